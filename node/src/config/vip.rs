//! `virtual_ipaddress` lines: `ADDR[/PREFIX] [dev IF] [brd ADDR] [label L] [scope S]
//! [no_track] [use_vmac]`.

use std::net::{IpAddr, Ipv4Addr};

use super::diagnostic::Reporter;
use super::ifname::{ifname_problem, label_problem, shown};
use super::lexer::Token;
use super::model::{Scope, Vip};
use super::number::parse_uint;
use super::parser::{is_text, Cursor, Stmt};

/// keepalived options vrrpd does not apply, with whether they take a value;
/// listed so they get a precise warning and their value is not misread.
const IGNORED_OPTIONS: &[(&str, bool)] = &[
    ("home", false),
    ("nodad", false),
    ("-nodad", false),
    ("noprefixroute", false),
    ("autojoin", false),
    ("preferred_lft", true),
    ("track_group", true),
    ("peer", true),
];

/// Returns how many lines the block had, valid or not, so a block whose every
/// line was wrong is not also reported as "no addresses".
pub(crate) fn parse_vip_block<'t>(
    cur: &mut Cursor<'t>,
    rep: &mut Reporter,
    open: &'t Token,
    out: &mut Vec<Vip>,
) -> usize {
    let mut lines = 0;
    cur.block(rep, open, |cur, rep, stmt| {
        lines += 1;
        stmt.no_block(cur, rep);
        if let Some(vip) = parse_vip(rep, &stmt) {
            out.push(vip);
        }
    });
    lines
}

/// keepalived's `alloc_ipaddress` (vrrp_ipaddress.c) reports a bad line and either drops
/// the address (bad address, `dev`, `brd`, `label`, a missing value) or ignores the bad
/// part (prefix length, `scope`, unknown words) and keeps it; vrrpd does the same, with a
/// warning saying which, so one bad line never stops the other addresses.
fn parse_vip<'t>(rep: &mut Reporter, stmt: &Stmt<'t>) -> Option<Vip> {
    if !is_text(stmt.key, rep) {
        return None;
    }
    let (addr, prefix_len) = parse_addr_prefix(rep, stmt.key)?;
    let mut vip = Vip {
        addr,
        prefix_len,
        dev: None,
        brd: None,
        label: None,
        scope: None,
        no_track: false,
        use_vmac: false,
        vmac: None,
        location: rep.loc(stmt.key.pos),
    };
    let mut ok = true;
    let text = stmt.key.word().unwrap_or_default();
    let drop = |rep: &mut Reporter, tok: &Token, why: String| {
        rep.recovered(tok.pos, format!("{why}: address {text} skipped, as keepalived does"));
    };
    let mut args = stmt.args.iter();
    while let Some(opt) = args.next() {
        if !is_text(opt, rep) {
            ok = false;
            continue;
        }
        let name = opt.word().unwrap_or_default();
        let value = |rep: &mut Reporter, args: &mut std::slice::Iter<'_, &'t Token>| option_value(rep, opt, text, args);
        match name {
            // vrrp_ipaddress.c 515: "interface %s for ip address %s doesn't exist", dropped.
            "dev" => match value(rep, &mut args) {
                Some((v, tok)) => {
                    if let Some(why) = ifname_problem(&v) {
                        drop(rep, tok, format!("invalid `dev` {}: {why}", shown(&v)));
                        ok = false;
                    }
                    vip.dev = Some(v);
                }
                None => ok = false,
            },
            // vrrp_ipaddress.c 566: "Address label %s is longer than maximum length", dropped.
            "label" => match value(rep, &mut args) {
                Some((v, tok)) => {
                    if let Some(why) = label_problem(&v) {
                        drop(rep, tok, format!("invalid `label` {}: {why}", shown(&v)));
                        ok = false;
                    }
                    vip.label = Some(v);
                }
                None => ok = false,
            },
            // vrrp_ipaddress.c 528: "Invalid scope '%s' specified for %s - ignoring".
            "scope" => match value(rep, &mut args) {
                Some((v, tok)) => {
                    // Names `ip address` understands; numbers 0..=255 too.
                    let number = || parse_uint(&v).and_then(|n| u8::try_from(n).ok()).map(Scope::from_number);
                    if let Some(scope) = Scope::from_name(&v).or_else(number) {
                        vip.scope = Some(scope);
                    } else {
                        rep.recovered(
                            tok.pos,
                            format!("invalid scope `{v}` (expected global, site, link, host, nowhere or 0..=255): scope ignored, as keepalived does"),
                        );
                    }
                }
                None => ok = false,
            },
            // vrrp_ipaddress.c 630 (`alloc_ipaddress`): the address is not tracked (its removal by
            // someone else does not make the master step down).
            "no_track" => vip.no_track = true,
            // vrrp_ipaddress.c 637: a macvlan of its own (resolved with the instance).
            "use_vmac" => vip.use_vmac = true,
            // vrrp_ipaddress.c 553: "VRRP is trying to assign invalid broadcast", dropped.
            "brd" | "broadcast" => match value(rep, &mut args) {
                Some((v, tok)) => match broadcast(&v, addr, prefix_len) {
                    Ok(brd) => vip.brd = brd,
                    Err(msg) => {
                        drop(rep, tok, msg);
                        ok = false;
                    }
                },
                None => ok = false,
            },
            _ => {
                if let Some(&(_, takes_value)) = IGNORED_OPTIONS.iter().find(|(n, _)| *n == name) {
                    rep.warn(
                        opt.pos,
                        format!("virtual_ipaddress option `{name}` is not implemented by vrrpd, ignored"),
                    );
                    if takes_value && value(rep, &mut args).is_none() {
                        ok = false;
                    }
                } else if name.parse::<IpAddr>().is_ok() || name.contains('/') {
                    // vrrp_ipaddress.c 651: "Unknown configuration entry '%s' for ip address - ignoring".
                    rep.recovered(
                        opt.pos,
                        format!("one address per line in `virtual_ipaddress`: `{name}` ignored (only {text} is read from this line), as keepalived does"),
                    );
                } else {
                    rep.recovered(opt.pos, format!("unknown virtual_ipaddress option `{name}`, ignored"));
                }
            }
        }
    }
    ok.then_some(vip)
}

/// vrrp_ipaddress.c 656: "No %s parameter specified for %s", and the address is dropped.
fn option_value<'t>(
    rep: &mut Reporter,
    opt: &Token,
    addr: &str,
    args: &mut std::slice::Iter<'_, &'t Token>,
) -> Option<(String, &'t Token)> {
    let v = args.next().and_then(|t| t.word().map(|w| (w.to_string(), *t)));
    if v.is_none() {
        rep.recovered(
            opt.pos,
            format!(
                "missing value after `{}`: address {addr} skipped, as keepalived does",
                opt.word().unwrap_or_default()
            ),
        );
    }
    v
}

fn parse_addr_prefix(rep: &mut Reporter, tok: &Token) -> Option<(IpAddr, u8)> {
    let text = tok.word().unwrap_or_default();
    let (addr_text, prefix_text) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    // vrrp_ipaddress.c 415: "VRRP parsed invalid IP %s. skipping IP...".
    let Ok(addr) = addr_text.parse::<IpAddr>() else {
        rep.recovered(
            tok.pos,
            format!("invalid virtual IP address `{text}` (expected IPv4 or IPv6 ADDRESS[/PREFIX]): skipped, as keepalived does; the other addresses are kept"),
        );
        return None;
    };
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => max,
        Some(p) => match parse_uint(p).filter(|&n| n <= u64::from(max)) {
            Some(n) => u8::try_from(n).unwrap_or(max),
            // vrrp_ipaddress.c 405: "Invalid address prefix len %s for address %s - using %d".
            None => {
                rep.recovered(
                    tok.pos,
                    format!("invalid prefix length `{p}` in `{text}` (expected 0..={max}): using /{max}, as keepalived does"),
                );
                max
            }
        },
    };
    Some((addr, prefix))
}

/// `brd ADDR`, or iproute2's `+` (derive from the prefix) and `-` (none).
fn broadcast(v: &str, addr: IpAddr, prefix_len: u8) -> Result<Option<Ipv4Addr>, String> {
    let IpAddr::V4(v4) = addr else {
        return Err("`brd` applies only to IPv4 addresses".to_string());
    };
    match v {
        "-" => Ok(None),
        "+" => {
            let host_mask = u32::MAX.checked_shr(u32::from(prefix_len)).unwrap_or(0);
            Ok(Some(Ipv4Addr::from(u32::from(v4) | host_mask)))
        }
        _ => v
            .parse::<Ipv4Addr>()
            .map(Some)
            .map_err(|_| format!("invalid broadcast address `{v}`: expected an IPv4 address, `+` or `-`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_plus_derives_from_prefix() {
        let a: IpAddr = "10.0.0.1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(broadcast("+", a, 24), Ok(Some(Ipv4Addr::new(10, 0, 0, 255))));
        assert_eq!(broadcast("+", a, 32), Ok(Some(Ipv4Addr::new(10, 0, 0, 1))));
        assert_eq!(broadcast("+", a, 0), Ok(Some(Ipv4Addr::BROADCAST)));
        assert_eq!(broadcast("-", a, 24), Ok(None));
        assert!(broadcast("x", a, 24).is_err());
    }
}
