//! `virtual_routes` and `virtual_rules` as keepalived reads them (vrrp_iproute.c
//! `alloc_route`, vrrp_iprule.c `alloc_rule`).

use std::net::IpAddr;

use super::tests::{ok, with_base};
use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The config with `block` (lines of a `virtual_routes`/`virtual_rules` body) added to the
/// base instance; body line 1 is file line 8.
fn routes(block: &str) -> Config {
    ok(&with_base(&format!("    virtual_routes {{\n{block}    }}\n")))
}

fn rules(block: &str) -> Config {
    ok(&with_base(&format!("    virtual_rules {{\n{block}    }}\n")))
}

fn messages(c: &Config) -> Vec<(u32, u32, String)> {
    c.warnings.iter().map(|d| (d.location.line, d.location.column, d.message.clone())).collect()
}

#[test]
fn keepalived_routes_are_read_with_every_option_vrrpd_installs() {
    let c = routes(concat!(
        "        src 10.0.0.1 to 198.51.100.0/24 via 10.0.0.254 dev eth1 table 100 metric 5 scope link onlink\n",
        "        default via 2001:db8::fe dev eth1 table main\n",
        "        blackhole 198.18.9.0/24 no_track\n",
        "        unreachable 198.18.10.0/24 dev eth1 tos 16\n",
    ));
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    let r = &c.instances[0].routes;
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].dst, (ip("198.51.100.0"), 24));
    assert_eq!((r[0].src, r[0].via), (Some(ip("10.0.0.1")), Some(ip("10.0.0.254"))));
    assert_eq!(r[0].dev.as_deref(), Some("eth1"));
    assert_eq!((r[0].table, r[0].metric, r[0].scope, r[0].onlink), (100, Some(5), Some(Scope::Link), true));
    assert_eq!((r[0].kind, r[0].protocol, r[0].no_track), (RouteKind::Unicast, RTPROT_KEEPALIVED, false));
    assert_eq!((r[0].location.line, r[0].location.column), (8, 9));
    // `default` is the all-zero prefix of the route's family, here IPv6 (from `via`).
    assert_eq!((r[1].dst, r[1].via, r[1].table), ((ip("::"), 0), Some(ip("2001:db8::fe")), 254));
    assert_eq!((r[2].kind, r[2].dst, r[2].no_track), (RouteKind::Blackhole, (ip("198.18.9.0"), 24), true));
    assert_eq!((r[3].kind, r[3].tos), (RouteKind::Unreachable, 16));
}

/// vrrp_iproute.c 1869-1887: a tracked route gets protocol keepalived (18), with an
/// error-warning if another was asked for, and one without `dev` cannot be tracked.
#[test]
fn keepalived_a_tracked_route_is_protocol_keepalived_and_needs_a_dev() {
    let c = routes(concat!(
        "        198.51.100.0/24 via 10.0.0.254 dev eth1 protocol static\n",
        "        198.51.101.0/24 via 10.0.0.254\n",
        "        198.51.102.0/24 via 10.0.0.254 dev eth1 protocol static no_track\n",
    ));
    let r = &c.instances[0].routes;
    assert_eq!(r.iter().map(|r| (r.protocol, r.no_track)).collect::<Vec<_>>(), [(18, false), (18, true), (4, true)]);
    let m = messages(&c);
    assert_eq!(m.len(), 2, "{m:#?}");
    assert_eq!((m[0].0, m[0].1), (8, 58));
    assert!(m[0].2.contains("protocol reset to 18"), "{m:?}");
    assert_eq!((m[1].0, m[1].1), (9, 9));
    assert!(m[1].2.contains("no interface cannot be tracked"), "{m:?}");
}

/// A line keepalived refuses is skipped, saying where and why; the other lines stay.
#[test]
fn keepalived_bad_route_lines_are_skipped_and_the_others_kept() {
    let c = routes(concat!(
        "        198.51.100.0/24 via 2001:db8::1 dev eth1\n",
        "        via 10.0.0.254 dev eth1\n",
        "        198.51.101.0/24 table nosuchtable dev eth1\n",
        "        198.51.102.0/24 bogus dev eth1\n",
        "        198.51.103.0/24 metric\n",
        "        198.51.104.0/24 dev eth1 mtu 1400\n",
        "        198.51.105.0/24 dev eth1\n",
    ));
    let r = &c.instances[0].routes;
    assert_eq!(r.iter().map(|r| r.dst).collect::<Vec<_>>(), [(ip("198.51.105.0"), 24)]);
    let m = messages(&c);
    let expect: [(u32, u32, &str); 6] = [
        (8, 29, "cannot mix IPv4 and IPv6"),
        (9, 9, "must have a destination"),
        (10, 31, "routing table `nosuchtable` not found"),
        (11, 25, "unknown route keyword `bogus`"),
        (12, 25, "`metric` needs a value"),
        (13, 34, "`mtu` is not implemented by vrrpd"),
    ];
    assert_eq!(m.len(), expect.len(), "{m:#?}");
    for ((line, col, needle), got) in expect.iter().zip(&m) {
        assert_eq!((got.0, got.1), (*line, *col), "{got:?}");
        assert!(got.2.contains(needle), "{:?} lacks {needle:?}", got.2);
    }
    assert!(m[..5].iter().all(|w| w.2.contains("skipped, as keepalived does")), "{m:#?}");
}

#[test]
fn keepalived_rules_are_read_with_every_option_vrrpd_installs() {
    let c = rules(concat!(
        "        from 10.0.0.0/24 table 100 priority 100\n",
        "        not to 198.51.100.0/24 iif eth1 oif eth2 fwmark 0x10/0xff tos 8 prohibit preference 200\n",
        "        from all lookup main order 300 no_track\n",
        "        to 198.51.101.0/24 goto 500 priority 400\n",
    ));
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    let r = &c.instances[0].rules;
    assert_eq!((r[0].from, r[0].action, r[0].priority), (Some((ip("10.0.0.0"), 24)), RuleAction::Table(100), 100));
    assert_eq!((r[0].ipv6, r[0].protocol, r[0].no_track), (false, RTPROT_KEEPALIVED, false));
    assert_eq!((r[1].invert, r[1].to, r[1].action), (true, Some((ip("198.51.100.0"), 24)), RuleAction::Prohibit));
    assert_eq!((r[1].iif.as_deref(), r[1].oif.as_deref()), (Some("eth1"), Some("eth2")));
    assert_eq!((r[1].fwmark, r[1].tos, r[1].priority), (Some((16, Some(255))), 8, 200));
    assert_eq!((r[2].from, r[2].action, r[2].no_track), (None, RuleAction::Table(254), true));
    assert_eq!(r[3].action, RuleAction::Goto(500));
}

/// vrrp_iprule.c 849: a rule without a preference gets one, from 16384 down, per family,
/// across the file, with keepalived's "probably not what you want".
#[test]
fn keepalived_rules_without_a_preference_count_down_from_16384_per_family() {
    let text = format!(
        "{}vrrp_instance B {{\n    interface eth0\n    virtual_router_id 2\n    virtual_ipaddress {{\n        10.0.0.2\n    }}\n    virtual_rules {{\n        from 10.0.2.0/24 table 7\n    }}\n}}\n",
        with_base("    virtual_rules {\n        from 10.0.0.0/24 table 5\n        from 2001:db8::/32 table 5\n        from 10.0.1.0/24 table 6\n    }\n")
    );
    let c = ok(&text);
    let prio = |i: usize| c.instances[i].rules.iter().map(|r| r.priority).collect::<Vec<_>>();
    assert_eq!(prio(0), [16384, 16384, 16383]);
    assert_eq!(prio(1), [16382]);
    assert_eq!(c.warnings.len(), 4, "{:#?}", c.warnings);
    assert!(c.warnings.iter().all(|w| w.message.contains("has no preference")));
}

#[test]
fn keepalived_bad_rule_lines_are_skipped_and_the_others_kept() {
    let c = rules(concat!(
        "        from 10.0.0.0/24 priority 5\n",
        "        from 10.0.0.0/24 table 0 priority 5\n",
        "        from 10.0.0.0/24 to 2001:db8::/32 table 1 priority 5\n",
        "        to 198.51.100.0/24 goto 10 priority 20\n",
        "        from 10.0.0.0/24 table 1 nop priority 5\n",
        "        from 10.0.0.0/24 table 1 uidrange 1-2 priority 5\n",
        "        from 10.0.3.0/24 table 1 priority 5\n",
    ));
    let r = &c.instances[0].rules;
    assert_eq!(r.iter().map(|r| r.from).collect::<Vec<_>>(), [Some((ip("10.0.3.0"), 24))]);
    let m = messages(&c);
    let expect = [
        "no action specified",
        "table 0 is not valid",
        "mixed IPv4 and IPv6",
        "preference 20 >= goto target 10",
        "only one of table/nop",
        "`uidrange` is not implemented",
    ];
    assert_eq!(m.len(), expect.len(), "{m:#?}");
    for (needle, got) in expect.iter().zip(&m) {
        assert!(got.2.contains(needle), "{:?} lacks {needle:?}", got.2);
    }
}

/// A reload that only moves a line must not see another route or rule.
#[test]
fn the_same_route_or_rule_written_elsewhere_is_the_same() {
    let a = routes("        198.51.100.0/24 dev eth1\n");
    let b = routes("\n\n        198.51.100.0/24   dev eth1\n");
    assert_ne!(a.instances[0].routes[0].location, b.instances[0].routes[0].location);
    assert_eq!(a.instances[0].routes, b.instances[0].routes);
    let c = routes("        198.51.100.0/24 dev eth2\n");
    assert_ne!(a.instances[0].routes, c.instances[0].routes);
    let r1 = rules("        from 10.0.0.0/24 table 5 priority 9\n");
    let r2 = rules("\n        from 10.0.0.0/24 table 5 priority 9\n");
    assert_eq!(r1.instances[0].rules, r2.instances[0].rules);
}
