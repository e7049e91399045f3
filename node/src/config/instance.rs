//! `vrrp_instance NAME { ... }` and its `authentication` sub-block.

use std::collections::BTreeMap;

use super::diagnostic::{Reporter, SourceLocation};
use super::ifname::{ifname_problem, shown};
use super::lexer::Token;
use super::model::{Auth, InitialState, Version};
use super::parser::{Cursor, Stmt};
use super::raw::{RawInstance, Spanned};
use super::tracking::{notify_slot, parse_notify, parse_track_block, TrackKind};
use super::vip::parse_vip_block;

/// keepalived instance keywords vrrpd deliberately does not implement; they
/// get "not implemented" rather than "unknown" so users know it is not a typo.
const NOT_IMPLEMENTED: &[&str] = &[
    "use_vmac",
    "vmac_xmit_base",
    "unicast_src_ip",
    "unicast_peer",
    "unicast_fault_no_peer",
    "unicast_ttl",
    "check_unicast_src",
    "mcast_dst_ip",
    "dont_track_primary",
    "track_bfd",
    "notify_deleted",
    "smtp_alert",
    "virtual_routes",
    "virtual_rules",
    "lvs_sync_daemon_interface",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "garp_extra_if",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "kernel_rx_buf_size",
    "debug",
    "strict_mode",
    "skip_check_adv_addr",
    "linkbeat_use_polling",
    "promote_secondaries",
    "down_timer_adverts",
    "no_accept_unicast",
    "version_compat",
];

/// keepalived's auth_pass field is 8 bytes on the wire.
const MAX_PASS_BYTES: usize = 8;

/// `None` when the instance is unusable (no name or no block); its body is
/// still read so the errors inside are reported too.
pub(crate) fn parse_instance<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, stmt: &Stmt<'t>) -> Option<RawInstance> {
    let name = match stmt.arg_range(rep, "<name> {", 1) {
        Some(tok) => tok,
        None => {
            if let Some(open) = stmt.block {
                cur.skip_block(open, rep);
            }
            return None;
        }
    };
    let open = if stmt.needs_block(rep) {
        stmt.block?
    } else {
        return None;
    };
    let mut inst = RawInstance::new(name.word().unwrap_or_default().to_string(), rep.loc(name.pos));
    let mut seen = BTreeMap::new();
    // A truncated instance would only add "missing interface"-style noise.
    cur.block(rep, open, |cur, rep, s| {
        warn_if_repeated(rep, &s, &mut seen);
        instance_stmt(cur, rep, &s, &mut inst)
    })
    .then_some(inst)
}

/// Keywords that set one value: written twice, the last wins (as in keepalived), which
/// is rarely what the operator meant, so the second gets a warning naming the first.
/// `accept` and `no_accept` set the same value.
const SINGLE_VALUED: &[&str] = &[
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "version",
    "nopreempt",
    "preempt_delay",
    "garp_master_delay",
    "garp_master_repeat",
    "accept",
    "no_accept",
    "mcast_src_ip",
    "native_ipv6",
    "authentication",
];

fn warn_if_repeated(rep: &mut Reporter, s: &Stmt<'_>, seen: &mut BTreeMap<&'static str, SourceLocation>) {
    let Some(&key) = SINGLE_VALUED.iter().find(|k| **k == s.name) else { return };
    let key = if key == "no_accept" { "accept" } else { key };
    match seen.get(key) {
        Some(first) => rep.warn(
            s.key.pos,
            format!("`{}` set again in this vrrp_instance (first at {first}); the last one wins", s.name),
        ),
        None => {
            seen.insert(key, rep.loc(s.key.pos));
        }
    }
}

fn instance_stmt<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, s: &Stmt<'t>, inst: &mut RawInstance) {
    match s.name {
        "authentication" => {
            if let Some(open) = s.block {
                s.no_args(rep);
                inst.auth = parse_auth(cur, rep, s, open).map(|value| Spanned { value, loc: rep.loc(s.key.pos) });
            } else {
                s.needs_block(rep);
            }
            return;
        }
        "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
            if let Some(open) = s.block {
                s.no_args(rep);
                let out = if s.name == "virtual_ipaddress" { &mut inst.vips } else { &mut inst.vips_excluded };
                inst.vip_lines += parse_vip_block(cur, rep, open, out);
            } else {
                s.needs_block(rep);
            }
            return;
        }
        "track_script" | "track_interface" | "track_file" | "track_process" => {
            let (kind, out) = match s.name {
                "track_script" => (TrackKind::Script, &mut inst.track_scripts),
                "track_interface" => (TrackKind::Interface, &mut inst.track_interfaces),
                "track_process" => (TrackKind::Process, &mut inst.track_processes),
                _ => (TrackKind::File, &mut inst.track_files),
            };
            parse_track_block(cur, rep, s, kind, out);
            return;
        }
        name if notify_slot(&mut inst.notify, name).is_some() => {
            if let Some(slot) = notify_slot(&mut inst.notify, name) {
                parse_notify(rep, s, slot);
            }
        }
        "state" => {
            if let Some(tok) = s.one_arg(rep, "MASTER|BACKUP") {
                match tok.word() {
                    Some("MASTER") => inst.state = Some(InitialState::Master),
                    Some("BACKUP") => inst.state = Some(InitialState::Backup),
                    other => rep.error(
                        tok.pos,
                        format!("invalid state `{}`: expected MASTER or BACKUP", other.unwrap_or_default()),
                    ),
                }
            }
        }
        "interface" => {
            if let Some(tok) = s.one_arg(rep, "<ifname>") {
                let name = tok.word().unwrap_or_default();
                // Kept even when invalid: the error already fails the file, and
                // "has no interface" would only repeat it.
                if let Some(why) = ifname_problem(name) {
                    rep.error(tok.pos, format!("invalid `interface` {}: {why}", shown(name)));
                }
                inst.interface = Some(name.to_string());
            }
        }
        "virtual_router_id" => {
            inst.vrid_written = true;
            if let Some((v, tok)) = s.uint(rep, 1..=255) {
                inst.vrid = u8::try_from(v).ok().map(|value| Spanned { value, loc: rep.loc(tok.pos) });
            }
        }
        "priority" => {
            if let Some((v, _)) = s.uint(rep, 1..=255) {
                inst.priority = u8::try_from(v).ok();
            }
        }
        "advert_int" => {
            if let Some((cs, tok)) = s.centis(rep) {
                inst.advert_int_cs = Some(Spanned { value: cs, loc: rep.loc(tok.pos) });
            }
        }
        "version" => {
            if let Some((v, tok)) = s.uint(rep, 2..=3) {
                inst.version = u8::try_from(v)
                    .ok()
                    .and_then(Version::from_number)
                    .map(|value| Spanned { value, loc: rep.loc(tok.pos) });
            }
        }
        "nopreempt" => {
            s.no_args(rep);
            inst.nopreempt = true;
        }
        "preempt_delay" => {
            if let Some((cs, tok)) = s.centis(rep) {
                match u32::try_from(cs).ok().filter(|&cs| cs <= 100_000) {
                    Some(cs) => inst.preempt_delay_cs = Some(cs),
                    None => rep.error(tok.pos, "invalid `preempt_delay` value: expected 0..=1000 seconds"),
                }
            }
        }
        "garp_master_delay" => {
            if let Some(v) = s.u32(rep) {
                inst.garp_master_delay_s = Some(v);
            }
        }
        "garp_master_repeat" => {
            if let Some(v) = s.u32(rep) {
                inst.garp_master_repeat = Some(v);
            }
        }
        "accept" => {
            s.no_args(rep);
            inst.accept = Some(true);
        }
        "no_accept" => {
            s.no_args(rep);
            inst.accept = Some(false);
        }
        "mcast_src_ip" => {
            if let Some(tok) = s.one_arg(rep, "<address>") {
                let text = tok.word().unwrap_or_default();
                match text.parse() {
                    Ok(addr) => inst.mcast_src_ip = Some(Spanned { value: addr, loc: rep.loc(tok.pos) }),
                    Err(_) => {
                        rep.error(tok.pos, format!("invalid `mcast_src_ip` `{text}`: expected an IPv4 or IPv6 address"))
                    }
                }
            }
        }
        "native_ipv6" => {
            s.no_args(rep);
            inst.native_ipv6 = Some(rep.loc(s.key.pos));
        }
        name if NOT_IMPLEMENTED.contains(&name) => {
            s.not_implemented(cur, rep);
            return;
        }
        name => {
            s.ignore(cur, rep, format!("unknown keyword `{name}` in vrrp_instance, ignored"));
            return;
        }
    }
    s.no_block(cur, rep);
}

/// Combines `auth_type` and `auth_pass` the way keepalived does: incomplete
/// combinations leave the instance without authentication (with a warning).
fn parse_auth<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, stmt: &Stmt<'t>, open: &'t Token) -> Option<Auth> {
    #[derive(PartialEq)]
    enum Type {
        Pass,
        Ah,
    }
    let mut auth_type = None;
    let mut pass: Option<String> = None;
    cur.block(rep, open, |cur, rep, s| {
        match s.name {
            "auth_type" => {
                if let Some(tok) = s.one_arg(rep, "PASS|AH") {
                    match tok.word() {
                        Some("PASS") => auth_type = Some(Type::Pass),
                        Some("AH") => auth_type = Some(Type::Ah),
                        other => rep.error(
                            tok.pos,
                            format!(
                                "invalid auth_type `{}`: expected PASS or AH",
                                other.unwrap_or_default()
                            ),
                        ),
                    }
                }
            }
            "auth_pass" => {
                if let Some(tok) = s.one_arg(rep, "<password>") {
                    let mut p = tok.word().unwrap_or_default().to_string();
                    if p.len() > MAX_PASS_BYTES {
                        let mut cut = MAX_PASS_BYTES;
                        while !p.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        p.truncate(cut);
                        rep.warn(
                            tok.pos,
                            format!("auth_pass is longer than {MAX_PASS_BYTES} characters; truncated to `{p}` as keepalived does"),
                        );
                    }
                    pass = Some(p);
                }
            }
            name => {
                s.ignore(
                    cur,
                    rep,
                    format!("unknown keyword `{name}` in authentication, ignored"),
                );
                return;
            }
        }
        s.no_block(cur, rep);
    });
    match (auth_type, pass) {
        (Some(Type::Ah), _) => Some(Auth::Ah),
        (Some(Type::Pass), Some(p)) => Some(Auth::Pass(p)),
        (Some(Type::Pass), None) => {
            rep.warn(stmt.key.pos, "auth_type PASS without auth_pass: authentication disabled, as keepalived does");
            None
        }
        (None, Some(_)) => {
            rep.warn(stmt.key.pos, "auth_pass without auth_type: authentication disabled, as keepalived does");
            None
        }
        (None, None) => None,
    }
}
