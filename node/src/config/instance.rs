//! `vrrp_instance NAME { ... }`, its `authentication` sub-block and keepalived 2.4's
//! `auth_hmac` block.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::diagnostic::{Reporter, SourceLocation};
use super::ifname::{ifname_problem, shown};
use super::lexer::Token;
use super::model::{Auth, AuthHmac, HmacAntiReplay, InitialState, UnicastPeer, Version};
use super::number::parse_uint;
use super::parser::{Cursor, Stmt};
use super::raw::{RawInstance, Spanned};
use super::route::{parse_route_block, parse_rule_block};
use super::tracking::{notify_slot, parse_notify, parse_track_block};
use super::vip::parse_vip_block;

/// keepalived instance keywords vrrpd deliberately does not implement; they
/// get "not implemented" rather than "unknown" so users know it is not a typo.
/// Together with the keywords [`instance_stmt`] reads, this is every keyword
/// `vrrp_parser.c` installs under `vrrp_instance` in keepalived 2.2.7 and 2.4.x
/// (`init_vrrp_keywords`; checked by `every_keepalived_instance_keyword_is_recognised`).
pub(crate) const NOT_IMPLEMENTED: &[&str] = &[
    "use_ipvlan",
    "vrf",
    "track_src_ip",
    "old_unicast_checksum",
    "notify_priority_changes",
    "vmac_garp_intvl",
    "owner_ignore_adverts",
    "timer_expired_backup",
    "thread_timer_expired",
    "v3_checksum_as_v2",
    "mcast_dst_ip",
    "dont_track_primary",
    "track_bfd",
    "notify_deleted",
    "smtp_alert",
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
        let backup_after_master = s.name == "state"
            && inst.state == Some(InitialState::Master)
            && s.args.first().and_then(|t| t.word()) == Some("BACKUP");
        if !backup_after_master {
            warn_if_repeated(rep, &s, &mut seen);
        }
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
    "nopreempt",
    "preempt",
    "preempt_delay",
    "garp_master_delay",
    "garp_master_repeat",
    "accept",
    "no_accept",
    "mcast_src_ip",
    "unicast_src_ip",
    "unicast_ttl",
    "native_ipv6",
    "authentication",
    "auth_hmac",
];

/// vrrp_parser.c 1061 `vrrp_strict_mode_handler`: `strict_mode` alone is true, else
/// `check_true_false` (lib/parser.c 2272: true/on/yes, false/off/no); anything else is a
/// configuration error and leaves it unset. vrrpd acts on it for the version only.
fn strict_mode(rep: &mut Reporter, s: &Stmt<'_>, inst: &mut RawInstance) {
    let Some(tok) = s.args.first() else {
        inst.strict_mode = Some(true);
        return;
    };
    match tok.word().unwrap_or_default() {
        "true" | "on" | "yes" => inst.strict_mode = Some(true),
        "false" | "off" | "no" => inst.strict_mode = Some(false),
        other => rep.recovered(
            tok.pos,
            format!("invalid strict_mode `{other}`: expected true/on/yes or false/off/no; ignored, as keepalived does"),
        ),
    }
}

/// vrrp_parser.c 481 `vrrp_vmac_handler`: `use_vmac [NAME] [MAC]`. A word with `:` is
/// keepalived's own MAC address, which vrrpd does not take (an error: the RFC 9568 §7.3
/// one is the point); a name is checked as `interface` names are.
fn use_vmac(rep: &mut Reporter, s: &Stmt<'_>, inst: &mut RawInstance) {
    let mut name = None;
    for tok in s.args.iter().take(2) {
        let word = tok.word().unwrap_or_default();
        if word.contains(':') {
            rep.error(
                tok.pos,
                format!("use_vmac with a MAC address (`{word}`) is not implemented by vrrpd: it uses the RFC 9568 §7.3 virtual MAC 00-00-5E-00-01-{{VRID}} (IPv6 00-00-5E-00-02-{{VRID}})"),
            );
        } else if name.is_some() {
            rep.error(tok.pos, "use_vmac: interface name already given (\"VMAC interface name already specified\")");
        } else if let Some(why) = ifname_problem(word) {
            rep.error(tok.pos, format!("invalid `use_vmac` interface name {}: {why}", shown(word)));
        } else {
            name = Some(word.to_string());
        }
    }
    if let Some(extra) = s.args.get(2) {
        rep.error(extra.pos, "use_vmac takes at most an interface name and a MAC address");
    }
    inst.use_vmac = Some(Spanned { value: name, loc: rep.loc(s.key.pos) });
}

fn warn_if_repeated(rep: &mut Reporter, s: &Stmt<'_>, seen: &mut BTreeMap<&'static str, SourceLocation>) {
    let Some(&key) = SINGLE_VALUED.iter().find(|k| **k == s.name) else { return };
    let key = match key {
        "no_accept" => "accept",
        "unicast_src_ip" => "mcast_src_ip",
        "preempt" => "nopreempt",
        key => key,
    };
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
        "authentication" | "auth_hmac" => {
            if let Some(open) = s.block {
                s.no_args(rep);
                let parsed = if s.name == "auth_hmac" {
                    parse_auth_hmac(cur, rep, s, open).map(Auth::Hmac)
                } else {
                    parse_auth(cur, rep, s, open)
                };
                // keepalived (vrrp.c: vrrp_complete_instance) refuses the two together.
                let hmac = |a: &Option<Spanned<Auth>>| a.as_ref().map(|a| matches!(a.value, Auth::Hmac(_)));
                match (hmac(&inst.auth), &parsed) {
                    (Some(was), Some(now)) if was != matches!(now, Auth::Hmac(_)) => rep.error(
                        s.key.pos,
                        "auth_hmac cannot be combined with an `authentication` block (keepalived drops the legacy one)",
                    ),
                    _ => {}
                }
                if parsed.is_some() || s.name == "authentication" {
                    inst.auth = parsed.map(|value| Spanned { value, loc: rep.loc(s.key.pos) });
                }
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
        "virtual_routes" | "virtual_rules" => {
            if let Some(open) = s.block {
                s.no_args(rep);
                if s.name == "virtual_routes" {
                    parse_route_block(cur, rep, open, &mut inst.routes);
                } else {
                    parse_rule_block(cur, rep, open, &mut inst.rules);
                }
            } else {
                s.needs_block(rep);
            }
            return;
        }
        name if inst.tracks.block(name).is_some() => {
            if let Some((kind, out)) = inst.tracks.block(name) {
                parse_track_block(cur, rep, s, kind, out);
            }
            return;
        }
        name if notify_slot(&mut inst.notify, name).is_some() => {
            if let Some(slot) = notify_slot(&mut inst.notify, name) {
                parse_notify(rep, s, slot);
            }
        }
        // vrrp_parser.c 786 `vrrp_state_handler`: anything but MASTER or BACKUP is
        // "unknown state '%s', defaulting to BACKUP"; BACKUP after MASTER is ignored.
        "state" => {
            if let Some(tok) = s.one_arg(rep, "MASTER|BACKUP") {
                match tok.word() {
                    Some("MASTER") => inst.state = Some(InitialState::Master),
                    Some("BACKUP") if inst.state == Some(InitialState::Master) => rep.recovered(
                        tok.pos,
                        "state previously set as MASTER: this BACKUP is ignored, as keepalived does (the instance starts as MASTER)",
                    ),
                    Some("BACKUP") => inst.state = Some(InitialState::Backup),
                    other => {
                        rep.recovered(
                            tok.pos,
                            format!(
                                "unknown state `{}` (expected MASTER or BACKUP): using BACKUP, as keepalived does",
                                other.unwrap_or_default()
                            ),
                        );
                        inst.state = Some(InitialState::Backup);
                    }
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
        // vrrp_parser.c 1005 `vrrp_prio_handler`: "Priority not valid! must be between 1 &
        // 255. Using default 100".
        "priority" => {
            if let Some(tok) = s.one_arg(rep, "<1..=255>") {
                let text = tok.word().unwrap_or_default();
                match parse_uint(text).filter(|v| (1..=255).contains(v)).and_then(|v| u8::try_from(v).ok()) {
                    Some(v) => inst.priority = Some(v),
                    None => {
                        rep.recovered(
                            tok.pos,
                            format!("invalid `priority` value `{text}` (expected an integer in 1..=255): using the default 100, as keepalived does"),
                        );
                        inst.priority = Some(100);
                    }
                }
            }
        }
        // vrrp_parser.c 1018 `vrrp_adv_handler`: outside 0.01..=255 s, or not a number, is
        // "Advert interval (%s) not valid! Must be > 0 - ignoring": the default 1 s stays.
        "advert_int" => {
            if let Some(tok) = s.one_arg(rep, "<seconds>") {
                let text = tok.word().unwrap_or_default();
                match super::number::parse_centis(text) {
                    Ok(cs) if (1..=25_500).contains(&cs) => {
                        inst.advert_int_cs = Some(Spanned { value: cs, loc: rep.loc(tok.pos) })
                    }
                    Err(super::number::DecimalError::TooPrecise) => rep.error(
                        tok.pos,
                        format!("invalid `advert_int` value `{text}`: expected a multiple of 0.01 seconds"),
                    ),
                    _ => {
                        rep.recovered(
                            tok.pos,
                            format!("invalid `advert_int` value `{text}` (expected 0.01..=255 seconds): ignored, as keepalived does; the default 1 s is used"),
                        );
                        inst.advert_int_cs = None;
                    }
                }
            }
        }
        // vrrp_parser.c 1844 `vrrp_version_handler`: anything but 2 or 3 is "Version must be
        // either 2 or 3" and the line is ignored (the global or deduced version applies); a
        // version other than the one already set (by `version`, or 3 by `native_ipv6`,
        // vrrp_parser.c 783), or 2 once an IPv6 address made the instance IPv6, is
        // "vrrp_version %d conflicts with configured or deduced version %d; ignoring".
        "version" => {
            if let Some(tok) = s.one_arg(rep, "2|3") {
                let text = tok.word().unwrap_or_default();
                match parse_uint(text).and_then(|v| u8::try_from(v).ok()).and_then(Version::from_number) {
                    Some(value) => {
                        let set = inst.version.as_ref().map(|v| v.value);
                        let set = set.or(inst.native_ipv6.is_some().then_some(Version::V3));
                        let first = inst.vips.first().or(inst.vips_excluded.first()).map(|v| v.addr);
                        let ipv6 = inst.native_ipv6.is_some()
                            || first.or(inst.mcast_src_ip.as_ref().map(|a| a.value)).is_some_and(|a| a.is_ipv6());
                        match set {
                            Some(set) if set != value => rep.recovered(
                                tok.pos,
                                format!("`version {text}` conflicts with the version already configured for this instance ({}): ignored, as keepalived does", set.number()),
                            ),
                            _ if value == Version::V2 && ipv6 => rep.recovered(
                                tok.pos,
                                "`version 2` after an IPv6 address, which VRRPv2 cannot carry: ignored, as keepalived does (\"conflicts with configured or deduced version\"); the instance is VRRPv3",
                            ),
                            _ => inst.version = Some(Spanned { value, loc: rep.loc(tok.pos) }),
                        }
                    }
                    None => rep.recovered(
                        tok.pos,
                        format!("invalid `version` value `{text}` (expected 2 or 3): ignored, as keepalived does"),
                    ),
                }
            }
        }
        "nopreempt" => {
            s.no_args(rep);
            inst.nopreempt = true;
        }
        // vrrp_parser.c (2.2.7) 1084 `vrrp_preempt_handler`: "backwards compatibility",
        // clears the nopreempt flag (preempting is the default).
        "preempt" => {
            s.no_args(rep);
            inst.nopreempt = false;
        }
        // 2.4's `no_virtual_ipaddress` (vrrp_parser.c `vrrp_no_vip_handler`): the instance
        // has no addresses on purpose, so "No VIP specified" is not reported.
        "no_virtual_ipaddress" => {
            s.no_args(rep);
            inst.no_vips_allowed = true;
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
        // vrrp_parser.c 933 `vrrp_unicast_srcip_handler`: `unicast_src_ip` sets the same
        // source address as `mcast_src_ip` (`vrrp_srcip_handler`), and makes the instance
        // one that asked for unicast.
        "mcast_src_ip" | "unicast_src_ip" => {
            if s.name == "unicast_src_ip" {
                mark_unicast(rep, s, inst);
            }
            if let Some(tok) = s.one_arg(rep, "<address>") {
                let text = tok.word().unwrap_or_default();
                match text.parse() {
                    Ok(addr) => {
                        inst.mcast_src_ip = Some(Spanned { value: addr, loc: rep.loc(tok.pos) });
                        inst.src_ip_keyword =
                            if s.name == "unicast_src_ip" { "unicast_src_ip" } else { "mcast_src_ip" };
                    }
                    Err(_) => {
                        rep.error(tok.pos, format!("invalid `{}` `{text}`: expected an IPv4 or IPv6 address", s.name))
                    }
                }
            }
        }
        // vrrp_parser.c 727 `vrrp_unicast_peer_handler`: a block of addresses, each with
        // optional `min_ttl N` / `max_ttl N` (vrrp_data.c 970 `alloc_vrrp_unicast_peer`).
        "unicast_peer" => {
            mark_unicast(rep, s, inst);
            if let Some(open) = s.block {
                s.no_args(rep);
                cur.block(rep, open, |cur, rep, line| {
                    if let Some(peer) = parse_unicast_peer(rep, &line) {
                        inst.unicast_peers.push(peer);
                    }
                    line.no_block(cur, rep);
                });
            } else {
                s.needs_block(rep);
            }
            return;
        }
        // vrrp_parser.c 992 `vrrp_ttl_handler`: 0..=255, and TTL 0 goes on the wire (its own
        // IPv4 header, vrrp.c 1174; IPV6_HOPLIMIT 0). Out of range: "TTL '%s' not valid -
        // must be between 0 & 255", the line ignored, the instance runs.
        "unicast_ttl" => {
            if let Some(tok) = s.one_arg(rep, "<0..=255>") {
                let text = tok.word().unwrap_or_default();
                match parse_uint(text).and_then(|v| u8::try_from(v).ok()) {
                    Some(value) => inst.unicast_ttl = Some(Spanned { value, loc: rep.loc(tok.pos) }),
                    None => rep.recovered(
                        tok.pos,
                        format!("invalid `unicast_ttl` value `{text}` (expected an integer in 0..=255): ignored, as keepalived does (TTL 255)"),
                    ),
                }
            }
        }
        // vrrp_parser.c 737 `vrrp_unicast_fault_no_peer`.
        "unicast_fault_no_peer" => {
            s.no_args(rep);
            mark_unicast(rep, s, inst);
            inst.unicast_fault_no_peer = Some(rep.loc(s.key.pos));
        }
        // vrrp_parser.c 746 `vrrp_check_unicast_src_handler`: keepalived then drops adverts
        // from unlisted senders; vrrpd always does, so the keyword changes nothing.
        "check_unicast_src" => {
            s.no_args(rep);
            mark_unicast(rep, s, inst);
        }
        "native_ipv6" => {
            s.no_args(rep);
            inst.native_ipv6 = Some(rep.loc(s.key.pos));
        }
        "strict_mode" => strict_mode(rep, s, inst),
        "use_vmac" => use_vmac(rep, s, inst),
        // vrrp_parser.c 590 `vrrp_vmac_xmit_base_handler`: a flag, no argument.
        "vmac_xmit_base" => {
            s.no_args(rep);
            inst.vmac_xmit_base = Some(rep.loc(s.key.pos));
        }
        // vrrp_parser.c 583 `vrrp_vmac_addr_handler`: a flag, no argument.
        "use_vmac_addr" => {
            s.no_args(rep);
            inst.use_vmac_addr = Some(rep.loc(s.key.pos));
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

/// Remembers the first unicast keyword (keepalived's `VRRP_FLAG_UNICAST_CONFIGURED`).
fn mark_unicast(rep: &Reporter, s: &Stmt<'_>, inst: &mut RawInstance) {
    if inst.unicast_configured.is_none() {
        inst.unicast_configured = Some(rep.loc(s.key.pos));
    }
}

/// One `ADDRESS [min_ttl N] [max_ttl N]` line of a `unicast_peer` block, as keepalived's
/// `alloc_vrrp_unicast_peer` reads it: a malformed address is an error (keepalived skips
/// the line, "malformed unicast peer address", and `keepalived -t` fails); an option
/// without its value or an unknown option is reported and ends the line's options; a
/// value outside 0..=255 is reported and ignored; min_ttl above max_ttl is reported and
/// kept ("all packets will be discarded").
fn parse_unicast_peer(rep: &mut Reporter, line: &Stmt<'_>) -> Option<UnicastPeer> {
    if !super::parser::is_text(line.key, rep) {
        return None;
    }
    let Ok(address) = line.name.parse::<IpAddr>() else {
        rep.error(
            line.key.pos,
            format!("invalid unicast_peer address `{}`: expected an IPv4 or IPv6 address", line.name),
        );
        return None;
    };
    let mut peer = UnicastPeer { address, min_ttl: 0, max_ttl: 255, location: rep.loc(line.key.pos) };
    let mut args = line.args.iter();
    while let Some(opt) = args.next() {
        let name = opt.word().unwrap_or_default();
        if name != "min_ttl" && name != "max_ttl" {
            rep.recovered(
                opt.pos,
                format!("unknown unicast_peer option `{name}` (expected min_ttl or max_ttl): ignored with the rest of the line, as keepalived does"),
            );
            break;
        }
        let Some(value) = args.next() else {
            rep.recovered(opt.pos, format!("unicast_peer `{name}` is missing a value: ignored, as keepalived does"));
            break;
        };
        let text = value.word().unwrap_or_default();
        match parse_uint(text).and_then(|v| u8::try_from(v).ok()) {
            Some(v) if name == "min_ttl" => peer.min_ttl = v,
            Some(v) => peer.max_ttl = v,
            None => rep.recovered(
                value.pos,
                format!("invalid unicast_peer `{name}` value `{text}` (expected 0..=255): ignored, as keepalived does"),
            ),
        }
    }
    if peer.min_ttl > peer.max_ttl {
        rep.recovered(
            line.key.pos,
            format!(
                "unicast_peer {address}: min_ttl {} > max_ttl {}: every advert from this peer will be discarded, as keepalived does",
                peer.min_ttl, peer.max_ttl
            ),
        );
    }
    Some(peer)
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
    let mut unknown_type = false;
    cur.block(rep, open, |cur, rep, s| {
        match s.name {
            // vrrp_parser.c 1426 `vrrp_auth_type_handler`: anything but AH or PASS is
            // "unknown authentication type" and leaves the instance without authentication.
            "auth_type" => {
                if let Some(tok) = s.one_arg(rep, "PASS|AH") {
                    match tok.word() {
                        Some("PASS") => auth_type = Some(Type::Pass),
                        Some("AH") => auth_type = Some(Type::Ah),
                        other => {
                            rep.insecure(
                                tok.pos,
                                format!(
                                    "unknown auth_type `{}` (expected PASS or AH): keepalived runs this instance without authentication, and so does vrrpd",
                                    other.unwrap_or_default()
                                ),
                                true,
                            );
                            unknown_type = true;
                        }
                    }
                }
            }
            // vrrp_parser.c 1439 `vrrp_auth_pass_handler`: "Truncating auth_pass to 8 characters".
            "auth_pass" => {
                if let Some(tok) = s.one_arg(rep, "<password>") {
                    let mut p = tok.word().unwrap_or_default().to_string();
                    if p.len() > MAX_PASS_BYTES {
                        let mut cut = MAX_PASS_BYTES;
                        while !p.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        p.truncate(cut);
                        rep.recovered(
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
        (Some(Type::Pass), Some(p)) if !p.is_empty() => Some(Auth::Pass(p)),
        // vrrp.c 2935: "Authentication specified but no password given. Ignoring".
        (Some(Type::Pass), _) => {
            rep.insecure(
                stmt.key.pos,
                "auth_type PASS without auth_pass: keepalived runs this instance without authentication, and so does vrrpd",
                true,
            );
            None
        }
        // keepalived says nothing: auth_type stays NONE (vrrp_data.c alloc_vrrp).
        (None, Some(_)) if !unknown_type => {
            rep.insecure(
                stmt.key.pos,
                "auth_pass without auth_type: keepalived runs this instance without authentication, and so does vrrpd",
                false,
            );
            None
        }
        (None, _) => None,
    }
}

/// keepalived 2.4's `auth_hmac { key ID VALUE; active_key ID; anti_replay time|monotonic;
/// time_window SECONDS; mode enforce|permissive|receive-only }` (`vrrp_parser.c:
/// vrrp_auth_hmac_*_handler`). keepalived reports a bad line and carries on, and disables
/// the extension when `active_key` names no key; vrrpd refuses the file instead, since an
/// instance that silently stops authenticating is what `auth_hmac` exists to prevent.
fn parse_auth_hmac<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, stmt: &Stmt<'t>, open: &'t Token) -> Option<AuthHmac> {
    use vrrp_core::wire::hmac::{HmacKey, HmacMode, KEY_MAX, KEY_MIN, MAX_KEYS, WINDOW_MAX_S, WINDOW_MIN_S};
    let mut keys: Vec<HmacKey> = Vec::new();
    let mut active: Option<u8> = None;
    let mut mode = HmacMode::Enforce;
    let mut time = true;
    let mut window: Option<u16> = None;
    let mut ok = true;
    cur.block(rep, open, |cur, rep, s| {
        match s.name {
            "key" => {
                let (Some(id_tok), Some(value_tok)) = (s.args.first(), s.args.get(1)) else {
                    rep.error(s.key.pos, "auth_hmac key needs an id and a value: `key <1..=255> hex:…|file:PATH|TEXT`");
                    ok = false;
                    return;
                };
                if let Some(extra) = s.args.get(2) {
                    rep.warn(extra.pos, "extra argument after `key` ignored");
                }
                let id_text = id_tok.word().unwrap_or_default();
                let Some(id) = id_text.parse::<u8>().ok().filter(|&id| id != 0) else {
                    rep.error(id_tok.pos, format!("auth_hmac key id `{id_text}` must be between 1 and 255"));
                    ok = false;
                    return;
                };
                let value = value_tok.word().unwrap_or_default();
                let bytes = match value.strip_prefix("file:") {
                    Some(path) => read_key_file(rep, value_tok, path),
                    None => decode_key(rep, value_tok, value),
                };
                let Some(bytes) = bytes else {
                    ok = false;
                    return;
                };
                if keys.iter().any(|k| k.id() == id) {
                    rep.error(id_tok.pos, format!("duplicate auth_hmac key id {id}"));
                    ok = false;
                } else if keys.len() == MAX_KEYS {
                    rep.error(s.key.pos, format!("at most {MAX_KEYS} auth_hmac keys per instance (enough to rotate)"));
                    ok = false;
                } else {
                    match HmacKey::new(id, &bytes) {
                        Some(k) => keys.push(k),
                        None => {
                            rep.error(
                                value_tok.pos,
                                format!(
                                    "auth_hmac key {id} length {} not in range [{KEY_MIN}, {KEY_MAX}] bytes",
                                    bytes.len()
                                ),
                            );
                            ok = false;
                        }
                    }
                }
            }
            "active_key" => match s.uint(rep, 1..=255) {
                Some((v, _)) => active = u8::try_from(v).ok(),
                None => ok = false,
            },
            "time_window" => match s.uint(rep, u64::from(WINDOW_MIN_S)..=u64::from(WINDOW_MAX_S)) {
                Some((v, _)) => window = u16::try_from(v).ok(),
                None => ok = false,
            },
            "anti_replay" => {
                if let Some(tok) = s.one_arg(rep, "time|monotonic") {
                    match tok.word() {
                        Some("time") => time = true,
                        Some("monotonic") => time = false,
                        other => {
                            rep.error(
                                tok.pos,
                                format!(
                                    "auth_hmac anti_replay `{}` must be time or monotonic",
                                    other.unwrap_or_default()
                                ),
                            );
                            ok = false;
                        }
                    }
                }
            }
            "mode" => {
                if let Some(tok) = s.one_arg(rep, "enforce|permissive|receive-only") {
                    let text = tok.word().unwrap_or_default();
                    match HmacMode::from_name(text) {
                        Some(m) => mode = m,
                        None => {
                            rep.error(
                                tok.pos,
                                format!("auth_hmac mode `{text}` must be enforce, permissive or receive-only"),
                            );
                            ok = false;
                        }
                    }
                }
            }
            name => {
                s.ignore(cur, rep, format!("unknown keyword `{name}` in auth_hmac, ignored"));
                return;
            }
        }
        s.no_block(cur, rep);
    });
    if !ok {
        return None;
    }
    let Some(active_key) = active else {
        rep.error(stmt.key.pos, "auth_hmac needs `active_key <id>`: the key adverts are signed with");
        return None;
    };
    if !keys.iter().any(|k| k.id() == active_key) {
        rep.error(stmt.key.pos, format!("auth_hmac active_key {active_key} is not defined by a `key` line"));
        return None;
    }
    let anti_replay = if time { HmacAntiReplay::Time(window) } else { HmacAntiReplay::Monotonic };
    Some(AuthHmac { keys, active_key, mode, anti_replay })
}

/// A key value as keepalived reads it (`vrrp_auth_hmac_decode_key`): `hex:` then hex digits
/// (spaces and tabs between them allowed), otherwise the text's own bytes.
fn decode_key(rep: &mut Reporter, tok: &Token, value: &str) -> Option<Vec<u8>> {
    let Some(hex) = value.strip_prefix("hex:") else {
        return Some(value.as_bytes().to_vec());
    };
    let digits: Vec<u8> = hex.bytes().filter(|b| *b != b' ' && *b != b'\t').collect();
    let nibble = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let pairs: Option<Vec<u8>> = digits
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(nibble(*hi)? << 4 | nibble(*lo)?),
            _ => None,
        })
        .collect();
    if pairs.is_none() {
        rep.error(tok.pos, "invalid auth_hmac hex key: expected pairs of hex digits after `hex:`");
    }
    pairs
}

/// `file:PATH` (`vrrp_auth_hmac_read_key_file`): the file holds what the inline value would;
/// trailing line ends are dropped; more than keepalived's buffer holds is an error; a file
/// that group or others may access gets a warning. A relative PATH is taken from the
/// directory of the file the `key` line is in (keepalived takes it from its working
/// directory, `/` when it runs as a daemon).
fn read_key_file(rep: &mut Reporter, tok: &Token, path: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    const MAX_FILE: usize = 4 + vrrp_core::wire::hmac::KEY_MAX * 2 + 8 - 1;
    let mut full = std::path::PathBuf::from(path);
    if full.is_relative() {
        if let Some(dir) = rep.loc(tok.pos).file.parent() {
            full = dir.join(path);
        }
    }
    let opened = std::fs::File::open(&full).and_then(|f| Ok((f.metadata()?, f)));
    let (meta, file) = match opened {
        Ok(pair) => pair,
        Err(e) => {
            rep.error(tok.pos, format!("auth_hmac key file `{}` cannot be opened: {e}", full.display()));
            return None;
        }
    };
    if meta.permissions().mode() & 0o077 != 0 {
        rep.warn(
            tok.pos,
            format!("auth_hmac key file `{}` is accessible by group or others (chmod 600 it)", full.display()),
        );
    }
    let mut buf = Vec::new();
    if let Err(e) = file.take(MAX_FILE as u64 + 1).read_to_end(&mut buf) {
        rep.error(tok.pos, format!("auth_hmac key file `{}` cannot be read: {e}", full.display()));
        return None;
    }
    if buf.len() > MAX_FILE {
        rep.error(tok.pos, format!("auth_hmac key file `{}` is too large", full.display()));
        return None;
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    match String::from_utf8(buf) {
        Ok(text) => decode_key(rep, tok, &text),
        Err(e) if !e.as_bytes().starts_with(b"hex:") => Some(e.into_bytes()),
        Err(_) => {
            rep.error(tok.pos, "invalid auth_hmac hex key: expected pairs of hex digits after `hex:`");
            None
        }
    }
}

#[cfg(test)]
mod hmac_tests;

#[cfg(test)]
mod unicast_tests;
