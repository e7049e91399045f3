//! `virtual_routes` and `virtual_rules` lines: routes and policy rules a MASTER installs
//! and removes with its VIPs (keepalived/vrrp/vrrp_iproute.c `alloc_route`,
//! vrrp_iprule.c `alloc_rule`).
//!
//! The grammar is `ip route` / `ip rule`'s, as keepalived reads it:
//!
//! ```text
//! virtual_routes {
//!     src 192.0.2.1 198.51.100.0/24 via 192.0.2.254 dev eth1
//!     0.0.0.0/0 via 192.0.2.254 table 100 metric 10
//!     blackhole 198.18.9.0/24
//!     2001:db8:9::/48 via 2001:db8::fe dev eth1 no_track
//! }
//! virtual_rules {
//!     from 192.0.2.0/24 table 100 priority 100
//!     to 198.51.100.0/24 iif eth1 lookup main preference 200
//! }
//! ```
//!
//! A line keepalived refuses ("goto err" in its parser) is skipped with an error saying
//! so, as keepalived skips it; an option keepalived knows that vrrpd does not implement
//! (`nexthop`, `mtu`, `realms`, ...) skips the line with a warning naming it, since a
//! route without an option it was written with is not the route that was meant.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::diagnostic::{Reporter, SourceLocation};
use super::ifname::{ifname_problem, shown};
use super::lexer::Token;
use super::model::Scope;
use super::number::parse_uint;
use super::parser::{is_text, Cursor, Stmt};

/// `RTPROT_KEEPALIVED` (keepalived/include/vrrp_iproute.h 45): the protocol keepalived marks
/// its routes and rules with, unless `no_track` with another `protocol`; `ip route show
/// proto keepalived` lists them. vrrpd marks its own the same way, and removes only routes
/// with that mark.
pub const RTPROT_KEEPALIVED: u8 = 18;

/// keepalived's first automatic rule preference (vrrp_iprule.c 57, counting down).
const RULE_START_PRIORITY: u32 = 16384;

/// An IP prefix: address and length (the address as written; the kernel masks it).
pub type Prefix = (IpAddr, u8);

/// A route's type (`ip route`'s TYPE): what the kernel does with matching packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouteKind {
    #[default]
    Unicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
}

/// One `virtual_routes` line. Two are equal when they are the same route, wherever each
/// was written (a reload that only moves a line changes nothing).
#[derive(Debug, Clone)]
pub struct Route {
    /// Destination; `default` is the all-zero prefix of the route's family.
    pub dst: Prefix,
    pub kind: RouteKind,
    /// `src`: the preferred source address.
    pub src: Option<IpAddr>,
    /// `via` / `gw`: the gateway.
    pub via: Option<IpAddr>,
    /// `dev` / `oif`.
    pub dev: Option<String>,
    /// `table` (`main`, 254, by default).
    pub table: u32,
    /// `metric` / `priority` / `preference`.
    pub metric: Option<u32>,
    /// `scope`; `None`: the kernel's choice (universe, or link for a route without a gateway).
    pub scope: Option<Scope>,
    /// `protocol`: [`RTPROT_KEEPALIVED`] unless `no_track` with another one.
    pub protocol: u8,
    /// `tos` / `dsfield`.
    pub tos: u8,
    /// `onlink`: the gateway is on the link even if no prefix says so.
    pub onlink: bool,
    /// `no_track`, or no `dev` (keepalived cannot track a route without an interface,
    /// vrrp_iproute.c 1875): its removal by someone else does not make a master step down.
    pub no_track: bool,
    pub location: SourceLocation,
}

/// What a rule does with matching packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    /// `table N` / `lookup N`.
    Table(u32),
    /// `goto N`: go on at the rule of preference N.
    Goto(u32),
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
}

/// One `virtual_rules` line. Two are equal when they are the same rule, wherever each
/// was written.
#[derive(Debug, Clone)]
pub struct Rule {
    /// IPv6 when an address or `inet6` says so, else IPv4 (vrrp_iprule.c 843).
    pub ipv6: bool,
    pub from: Option<Prefix>,
    pub to: Option<Prefix>,
    pub action: RuleAction,
    /// `preference` / `order` / `priority`; keepalived's automatic one when absent.
    pub priority: u32,
    /// `not`: the selector is inverted.
    pub invert: bool,
    /// `fwmark MARK[/MASK]`.
    pub fwmark: Option<(u32, Option<u32>)>,
    /// `tos` / `dsfield`.
    pub tos: u8,
    /// `iif` / `dev`.
    pub iif: Option<String>,
    pub oif: Option<String>,
    /// `protocol`: [`RTPROT_KEEPALIVED`] unless `no_track` with another one.
    pub protocol: u8,
    /// `no_track`: its removal by someone else does not make a master step down.
    pub no_track: bool,
    pub location: SourceLocation,
}

impl PartialEq for Route {
    fn eq(&self, o: &Route) -> bool {
        let Route { dst, kind, src, via, dev, table, metric, scope, protocol, tos, onlink, no_track, location: _ } =
            self;
        (dst, kind, src, via, dev, table, metric, scope, protocol, tos, onlink, no_track)
            == (
                &o.dst,
                &o.kind,
                &o.src,
                &o.via,
                &o.dev,
                &o.table,
                &o.metric,
                &o.scope,
                &o.protocol,
                &o.tos,
                &o.onlink,
                &o.no_track,
            )
    }
}

impl Eq for Route {}

impl PartialEq for Rule {
    fn eq(&self, o: &Rule) -> bool {
        let Rule { ipv6, from, to, action, priority, invert, fwmark, tos, iif, oif, protocol, no_track, location: _ } =
            self;
        (ipv6, from, to, action, priority, invert, fwmark, tos, iif, oif, protocol, no_track)
            == (
                &o.ipv6,
                &o.from,
                &o.to,
                &o.action,
                &o.priority,
                &o.invert,
                &o.fwmark,
                &o.tos,
                &o.iif,
                &o.oif,
                &o.protocol,
                &o.no_track,
            )
    }
}

impl Eq for Rule {}

/// Options keepalived's route parser knows and vrrpd does not implement, with whether each
/// takes a value: the line is skipped with a warning naming the option.
const ROUTE_NOT_IMPLEMENTED: &[(&str, bool)] = &[
    ("as", true),
    ("encap", true),
    ("expires", true),
    ("mtu", true),
    ("hoplimit", true),
    ("advmss", true),
    ("rtt", true),
    ("rttvar", true),
    ("reordering", true),
    ("window", true),
    ("cwnd", true),
    ("ssthresh", true),
    ("realms", true),
    ("rto_min", true),
    ("initcwnd", true),
    ("initrwnd", true),
    ("features", true),
    ("quickack", true),
    ("congctl", true),
    ("pref", true),
    ("ttl-propagate", true),
    ("fastopen_no_cookie", true),
    ("nexthop", false),
    ("or", true),
    ("track_group", true),
    ("vrf", true),
    ("add", false),
    ("append", false),
    ("prepend", false),
    ("from", true),
];

/// Options keepalived's rule parser knows and vrrpd does not implement.
const RULE_NOT_IMPLEMENTED: &[(&str, bool)] = &[
    ("realms", true),
    ("suppress_prefixlength", true),
    ("sup_pl", true),
    ("suppress_ifgroup", true),
    ("sup_group", true),
    ("tunnel-id", true),
    ("uidrange", true),
    ("l3mdev", false),
    ("ipproto", true),
    ("sport", true),
    ("dport", true),
    ("track_group", true),
];

/// Parses a `virtual_routes { … }` block into `out`.
pub(crate) fn parse_route_block<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, open: &'t Token, out: &mut Vec<Route>) {
    cur.block(rep, open, |cur, rep, stmt| {
        stmt.no_block(cur, rep);
        if let Some(route) = parse_route(rep, &stmt) {
            out.push(route);
        }
    });
}

/// A `virtual_rules` line as read: without a preference, keepalived gives it one, counted
/// down across the whole file ([`assign_rule_priorities`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedRule {
    pub rule: Rule,
    pub priority_given: bool,
}

/// Parses a `virtual_rules { … }` block into `out`.
pub(crate) fn parse_rule_block<'t>(
    cur: &mut Cursor<'t>,
    rep: &mut Reporter,
    open: &'t Token,
    out: &mut Vec<ParsedRule>,
) {
    cur.block(rep, open, |cur, rep, stmt| {
        stmt.no_block(cur, rep);
        if let Some(rule) = parse_rule(rep, &stmt) {
            out.push(rule);
        }
    });
}

/// Gives each rule without a preference keepalived's automatic one (vrrp_iprule.c 849:
/// from 16384 down, per family, in file order), with keepalived's warning.
pub(crate) fn assign_rule_priorities<'a>(rep: &mut Reporter, rules: impl IntoIterator<Item = &'a mut ParsedRule>) {
    let (mut v4, mut v6) = (RULE_START_PRIORITY, RULE_START_PRIORITY);
    for p in rules.into_iter().filter(|p| !p.priority_given) {
        let next = if p.rule.ipv6 { &mut v6 } else { &mut v4 };
        p.rule.priority = *next;
        *next = next.saturating_sub(1);
        rep.recovered_at(
            p.rule.location.clone(),
            format!(
                "the rule has no preference: set to {}, as keepalived does (this is probably not what you want)",
                p.rule.priority
            ),
        );
        p.priority_given = true;
    }
}

/// The words of a line (key and arguments) and where each is; `None` after an error if
/// one is not text.
fn words<'t>(rep: &mut Reporter, stmt: &Stmt<'t>) -> Option<Vec<(&'t str, &'t Token)>> {
    let mut all = Vec::with_capacity(stmt.args.len() + 1);
    for tok in std::iter::once(stmt.key).chain(stmt.args.iter().copied()) {
        if !is_text(tok, rep) {
            return None;
        }
        all.push((tok.word().unwrap_or_default(), tok));
    }
    Some(all)
}

/// One family for the whole line: the first address (or `inet`/`inet6`) decides.
#[derive(Default)]
struct FamilyOf(Option<bool>);

impl FamilyOf {
    /// Records `ipv6`; `false` if the line already had the other family.
    fn set(&mut self, ipv6: bool) -> bool {
        *self.0.get_or_insert(ipv6) == ipv6
    }
}

/// `default` / `any` / `all` (vrrp_ipaddress.c 436), or ADDRESS[/LEN].
enum PrefixWord {
    Default,
    Prefix(Prefix),
}

fn parse_prefix(text: &str) -> Option<PrefixWord> {
    if matches!(text, "default" | "any" | "all") {
        return Some(PrefixWord::Default);
    }
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => u8::try_from(parse_uint(l)?).ok().filter(|n| *n <= max)?,
    };
    Some(PrefixWord::Prefix((addr, len)))
}

/// The all-zero prefix of a family: `default`.
fn default_prefix(ipv6: bool) -> Prefix {
    if ipv6 {
        (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)
    } else {
        (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
    }
}

/// A routing table by number or name: `main`, `local`, `default`, or a name in
/// iproute2's `rt_tables` (keepalived's `find_rttables_table`).
fn table(text: &str) -> Option<u32> {
    if let Some(n) = parse_uint(text) {
        return u32::try_from(n).ok();
    }
    match text {
        "main" => Some(254),
        "local" => Some(255),
        "default" => Some(253),
        "unspec" => Some(0),
        name => rt_tables_lookup("rt_tables", name),
    }
}

/// A route protocol by number or iproute2 name (`rt_protos`).
fn protocol(text: &str) -> Option<u8> {
    if let Some(n) = parse_uint(text) {
        return u8::try_from(n).ok();
    }
    let known = [
        ("unspec", 0),
        ("redirect", 1),
        ("kernel", 2),
        ("boot", 3),
        ("static", 4),
        ("ra", 9),
        ("dhcp", 16),
        ("keepalived", RTPROT_KEEPALIVED),
        ("babel", 42),
        ("bgp", 186),
        ("isis", 187),
        ("ospf", 188),
        ("rip", 189),
    ];
    known.iter().find(|(n, _)| *n == text).map(|(_, v)| *v)
}

/// A name in iproute2's table files (`/etc/iproute2/FILE`, `/usr/share/iproute2/FILE`,
/// and their `FILE.d/*.conf`): lines `NUMBER NAME`, `#` comments.
fn rt_tables_lookup(file: &str, name: &str) -> Option<u32> {
    let mut paths = Vec::new();
    for dir in ["/etc/iproute2", "/usr/share/iproute2"] {
        paths.push(std::path::PathBuf::from(format!("{dir}/{file}")));
        if let Ok(entries) = std::fs::read_dir(format!("{dir}/{file}.d")) {
            let mut more: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            more.sort();
            paths.extend(more);
        }
    }
    paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()).find_map(|text| {
        text.lines().find_map(|line| {
            let line = line.split('#').next().unwrap_or_default();
            let mut it = line.split_whitespace();
            let number = parse_uint(it.next()?)?;
            (it.next()? == name).then(|| u32::try_from(number).ok()).flatten()
        })
    })
}

/// `tos` / `dsfield`: a number 0..=255 (iproute2's `rt_dsfield` names are not read).
fn tos(text: &str) -> Option<u8> {
    parse_uint(text).and_then(|n| u8::try_from(n).ok())
}

const MIXED: &str = "cannot mix IPv4 and IPv6 addresses in one route";

/// Skips the line: keepalived refuses it too ("goto err").
fn refuse<T>(rep: &mut Reporter, tok: &Token, line: &str, why: String) -> Option<T> {
    rep.recovered(tok.pos, format!("{why}: `{line}` skipped, as keepalived does"));
    None
}

fn line_text(stmt: &Stmt<'_>) -> String {
    std::iter::once(stmt.key)
        .chain(stmt.args.iter().copied())
        .map(|t| t.word().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value after the option at `*i`, moving `*i` onto it; `None`, after an error, when
/// the line ends there.
fn take_value<'t>(
    rep: &mut Reporter,
    words: &[(&'t str, &'t Token)],
    i: &mut usize,
    line: &str,
) -> Option<(&'t str, &'t Token)> {
    let &(word, tok) = words.get(*i)?;
    match words.get(*i + 1) {
        Some(&(v, t)) => {
            *i += 1;
            Some((v, t))
        }
        None => refuse(rep, tok, line, format!("`{word}` needs a value")),
    }
}

/// [`take_value`] read by `parse`; a value it refuses skips the line, saying `why(value)`.
fn take_parsed<'t, T>(
    rep: &mut Reporter,
    words: &[(&'t str, &'t Token)],
    i: &mut usize,
    line: &str,
    parse: impl FnOnce(&str) -> Option<T>,
    why: impl FnOnce(&str) -> String,
) -> Option<(T, &'t Token)> {
    let (v, vt) = take_value(rep, words, i, line)?;
    match parse(v) {
        Some(x) => Some((x, vt)),
        None => refuse(rep, vt, line, why(v)),
    }
}

/// A number that fits a u32.
fn u32_of(v: &str) -> Option<u32> {
    parse_uint(v).and_then(|n| u32::try_from(n).ok())
}

/// A scope by name or number (`ip route`'s).
fn scope(v: &str) -> Option<Scope> {
    Scope::from_name(v).or_else(|| parse_uint(v).and_then(|n| u8::try_from(n).ok()).map(Scope::from_number))
}

/// `fwmark MARK[/MASK]`, read as keepalived reads it (strtoul base 0: decimal or 0x hex).
fn fwmark(v: &str) -> Option<(u32, Option<u32>)> {
    let num = |s: &str| {
        match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u64::from_str_radix(hex, 16).ok()
            }
            Some(_) => None,
            None => parse_uint(s),
        }
        .and_then(|n| u32::try_from(n).ok())
    };
    match v.split_once('/') {
        Some((m, k)) => Some((num(m)?, Some(num(k)?))),
        None => Some((num(v)?, None)),
    }
}

/// A `dev`/`iif`/`oif` value, checked as an interface name.
fn ifname(rep: &mut Reporter, tok: &Token, line: &str, v: &str) -> Option<String> {
    match ifname_problem(v) {
        None => Some(v.to_owned()),
        Some(why) => refuse(rep, tok, line, format!("invalid interface {}: {why}", shown(v))),
    }
}

fn parse_route(rep: &mut Reporter, stmt: &Stmt<'_>) -> Option<Route> {
    let words = words(rep, stmt)?;
    let line = line_text(stmt);
    let mut family = FamilyOf::default();
    let mut r = Route {
        dst: default_prefix(false),
        kind: RouteKind::Unicast,
        src: None,
        via: None,
        dev: None,
        table: 254,
        metric: None,
        scope: None,
        protocol: RTPROT_KEEPALIVED,
        tos: 0,
        onlink: false,
        no_track: false,
        location: rep.loc(stmt.key.pos),
    };
    let mut dst: Option<PrefixWord> = None;
    let mut protocol_set: Option<&Token> = None;
    let mut i = 0;
    while let Some(&(word, tok)) = words.get(i) {
        match word {
            "inet" | "inet6" => {
                if !family.set(word == "inet6") {
                    return refuse(rep, tok, &line, MIXED.into());
                }
            }
            "src" | "via" | "gw" => {
                let (mut v, mut vt) = take_value(rep, &words, &mut i, &line)?;
                if matches!(word, "via" | "gw") && matches!(v, "inet" | "inet6") {
                    if !family.set(v == "inet6") {
                        return refuse(rep, vt, &line, MIXED.into());
                    }
                    (v, vt) = take_value(rep, &words, &mut i, &line)?;
                }
                let Ok(addr) = v.parse::<IpAddr>() else {
                    return refuse(rep, vt, &line, format!("invalid route {word} address `{v}`"));
                };
                if !family.set(addr.is_ipv6()) {
                    return refuse(rep, vt, &line, MIXED.into());
                }
                if word == "src" {
                    r.src = Some(addr);
                } else {
                    if word == "gw" {
                        // vrrp_iproute.c 1435: deprecated, still read.
                        rep.recovered(tok.pos, "`gw` for routes is deprecated (keepalived says so too): read as `via`");
                    }
                    r.via = Some(addr);
                }
            }
            "tos" | "dsfield" => {
                r.tos = take_parsed(rep, &words, &mut i, &line, tos, |v| format!("TOS value `{v}` is invalid"))?.0;
            }
            "table" => {
                r.table =
                    take_parsed(rep, &words, &mut i, &line, table, |v| format!("routing table `{v}` not found"))?.0;
            }
            "protocol" => {
                let (p, pt) = take_parsed(rep, &words, &mut i, &line, protocol, |v| {
                    format!("protocol `{v}` not found or invalid")
                })?;
                r.protocol = p;
                protocol_set = Some(pt);
            }
            "scope" => {
                r.scope = Some(
                    take_parsed(rep, &words, &mut i, &line, scope, |v| format!("scope `{v}` not found or invalid"))?.0,
                );
            }
            "metric" | "priority" | "preference" => {
                r.metric =
                    Some(take_parsed(rep, &words, &mut i, &line, u32_of, |v| format!("invalid metric `{v}`"))?.0);
            }
            "dev" | "oif" => {
                let (v, vt) = take_value(rep, &words, &mut i, &line)?;
                r.dev = Some(ifname(rep, vt, &line, v)?);
            }
            "onlink" => r.onlink = true,
            "no_track" => r.no_track = true,
            name if ROUTE_NOT_IMPLEMENTED.iter().any(|(n, _)| *n == name) => {
                rep.warn(
                    tok.pos,
                    format!("route option `{name}` is not implemented by vrrpd: `{line}` skipped (keepalived would install it)"),
                );
                return None;
            }
            mut w => {
                // [to] [TYPE] PREFIX (vrrp_iproute.c 1825).
                if w == "to" {
                    i += 1;
                    w = words.get(i).map(|(w, _)| *w).unwrap_or_default();
                }
                let kind = match w {
                    "unicast" => Some(RouteKind::Unicast),
                    "blackhole" => Some(RouteKind::Blackhole),
                    "unreachable" => Some(RouteKind::Unreachable),
                    "prohibit" => Some(RouteKind::Prohibit),
                    "throw" => Some(RouteKind::Throw),
                    "local" | "broadcast" | "anycast" | "multicast" | "nat" | "xresolve" => {
                        rep.warn(
                            tok.pos,
                            format!("route type `{w}` is not implemented by vrrpd: `{line}` skipped (keepalived would install it)"),
                        );
                        return None;
                    }
                    _ => None,
                };
                if let Some(kind) = kind {
                    r.kind = kind;
                    i += 1;
                }
                let Some(&(d, dt)) = words.get(i) else {
                    return refuse(rep, tok, &line, "a route type needs a destination".into());
                };
                match parse_prefix(d) {
                    Some(PrefixWord::Prefix(p)) => {
                        if !family.set(p.0.is_ipv6()) {
                            return refuse(rep, dt, &line, MIXED.into());
                        }
                        dst = Some(PrefixWord::Prefix(p));
                    }
                    Some(PrefixWord::Default) => dst = Some(PrefixWord::Default),
                    None => return refuse(rep, dt, &line, format!("unknown route keyword `{d}`")),
                }
            }
        }
        i += 1;
    }
    let ipv6 = family.0.unwrap_or(false);
    r.dst = match dst {
        Some(PrefixWord::Prefix(p)) => p,
        Some(PrefixWord::Default) => default_prefix(ipv6),
        // vrrp_iproute.c 1864.
        None => return refuse(rep, stmt.key, &line, "a route must have a destination".into()),
    };
    if !r.no_track {
        // vrrp_iproute.c 1869-1887.
        if let Some(pt) = protocol_set.filter(|_| r.protocol != RTPROT_KEEPALIVED) {
            rep.recovered(
                pt.pos,
                format!("a route cannot be tracked if its protocol is not keepalived ({RTPROT_KEEPALIVED}): protocol reset to {RTPROT_KEEPALIVED}, as keepalived does"),
            );
        }
        r.protocol = RTPROT_KEEPALIVED;
        if r.dev.is_none() {
            rep.recovered(
                stmt.key.pos,
                format!("a route with no interface cannot be tracked: `{line}` is not tracked (no_track), as keepalived does"),
            );
            r.no_track = true;
        }
    }
    Some(r)
}

fn parse_rule(rep: &mut Reporter, stmt: &Stmt<'_>) -> Option<ParsedRule> {
    let words = words(rep, stmt)?;
    let line = line_text(stmt);
    let mut family = FamilyOf::default();
    let mut r = Rule {
        ipv6: false,
        from: None,
        to: None,
        action: RuleAction::Nop,
        priority: 0,
        invert: false,
        fwmark: None,
        tos: 0,
        iif: None,
        oif: None,
        protocol: RTPROT_KEEPALIVED,
        no_track: false,
        location: rep.loc(stmt.key.pos),
    };
    let mut action: Option<RuleAction> = None;
    let mut priority: Option<u32> = None;
    let mut protocol_set: Option<&Token> = None;
    let mut i = 0;
    while let Some(&(word, tok)) = words.get(i) {
        let mut set_action = |rep: &mut Reporter, a: RuleAction| -> Option<()> {
            if action.replace(a).is_some() {
                return refuse(
                    rep,
                    tok,
                    &line,
                    "a rule takes only one of table/nop/goto/blackhole/prohibit/unreachable".into(),
                );
            }
            Some(())
        };
        match word {
            "inet" | "inet6" => {
                if !family.set(word == "inet6") {
                    return refuse(rep, tok, &line, "rule specification has mixed IPv4 and IPv6".into());
                }
            }
            "from" | "to" => {
                let (v, vt) = take_value(rep, &words, &mut i, &line)?;
                let p = match parse_prefix(v) {
                    Some(PrefixWord::Prefix(p)) => {
                        if !family.set(p.0.is_ipv6()) {
                            return refuse(rep, vt, &line, "rule specification has mixed IPv4 and IPv6".into());
                        }
                        Some(p)
                    }
                    // `from all`: any source, as no selector.
                    Some(PrefixWord::Default) => None,
                    None => return refuse(rep, vt, &line, format!("invalid rule {word} address `{v}`")),
                };
                if word == "from" {
                    r.from = p;
                } else {
                    r.to = p;
                }
            }
            "table" | "lookup" => {
                match take_parsed(rep, &words, &mut i, &line, table, |v| format!("routing table `{v}` not found"))? {
                    // vrrp_iprule.c 543.
                    (0, vt) => return refuse(rep, vt, &line, "table 0 is not valid".into()),
                    (t, _) => set_action(rep, RuleAction::Table(t))?,
                }
            }
            "not" => r.invert = true,
            "preference" | "order" | "priority" => {
                priority = Some(
                    take_parsed(rep, &words, &mut i, &line, u32_of, |v| format!("invalid rule preference `{v}`"))?.0,
                );
            }
            "tos" | "dsfield" => {
                r.tos = take_parsed(rep, &words, &mut i, &line, tos, |v| format!("TOS value `{v}` is invalid"))?.0;
            }
            "fwmark" => {
                r.fwmark =
                    Some(take_parsed(rep, &words, &mut i, &line, fwmark, |v| format!("invalid rule fwmark `{v}`"))?.0);
            }
            "dev" | "iif" | "oif" => {
                let (v, vt) = take_value(rep, &words, &mut i, &line)?;
                let name = ifname(rep, vt, &line, v)?;
                if word == "oif" {
                    r.oif = Some(name);
                } else {
                    r.iif = Some(name);
                }
            }
            "protocol" => {
                let (p, pt) = take_parsed(rep, &words, &mut i, &line, protocol, |v| {
                    format!("protocol `{v}` not found or invalid")
                })?;
                r.protocol = p;
                protocol_set = Some(pt);
            }
            "no_track" => r.no_track = true,
            name if RULE_NOT_IMPLEMENTED.iter().any(|(n, _)| *n == name) => {
                rep.warn(
                    tok.pos,
                    format!("rule option `{name}` is not implemented by vrrpd: `{line}` skipped (keepalived would install it)"),
                );
                return None;
            }
            mut w => {
                // [type] goto N | nop | blackhole | unreachable | prohibit (vrrp_iprule.c 765).
                if w == "type" {
                    i += 1;
                    w = words.get(i).map(|(w, _)| *w).unwrap_or_default();
                }
                match w {
                    "goto" => {
                        let (t, _) =
                            take_parsed(rep, &words, &mut i, &line, u32_of, |v| format!("invalid goto target `{v}`"))?;
                        set_action(rep, RuleAction::Goto(t))?;
                    }
                    "nop" => set_action(rep, RuleAction::Nop)?,
                    "blackhole" => set_action(rep, RuleAction::Blackhole)?,
                    "unreachable" => set_action(rep, RuleAction::Unreachable)?,
                    "prohibit" => set_action(rep, RuleAction::Prohibit)?,
                    other => return refuse(rep, tok, &line, format!("unknown rule option `{other}`")),
                }
            }
        }
        i += 1;
    }
    r.ipv6 = family.0.unwrap_or(false);
    let Some(action) = action else {
        // vrrp_iprule.c 815.
        return refuse(
            rep,
            stmt.key,
            &line,
            "no action specified for the rule (table, goto, nop, blackhole, …)".into(),
        );
    };
    r.action = action;
    if let RuleAction::Goto(target) = action {
        // vrrp_iprule.c 803-812.
        match priority {
            Some(p) if p >= target => {
                return refuse(rep, stmt.key, &line, format!("preference {p} >= goto target {target}"))
            }
            Some(_) => {}
            None => return refuse(rep, stmt.key, &line, format!("goto target {target} without a preference")),
        }
    }
    if !r.no_track {
        // vrrp_iprule.c 829.
        if let Some(pt) = protocol_set.filter(|_| r.protocol != RTPROT_KEEPALIVED) {
            rep.recovered(
                pt.pos,
                format!("a rule cannot be tracked if its protocol is not keepalived ({RTPROT_KEEPALIVED}): protocol reset to {RTPROT_KEEPALIVED}, as keepalived does"),
            );
        }
        r.protocol = RTPROT_KEEPALIVED;
    }
    r.priority = priority.unwrap_or(0);
    Some(ParsedRule { rule: r, priority_given: priority.is_some() })
}
