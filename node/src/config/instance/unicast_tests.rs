//! The unicast keywords as keepalived 2.2.7 reads them (vrrp_parser.c
//! `vrrp_unicast_peer_handler`, `vrrp_unicast_srcip_handler`, `vrrp_ttl_handler`,
//! `vrrp_unicast_fault_no_peer`, `vrrp_check_unicast_src_handler`; vrrp_data.c
//! `alloc_vrrp_unicast_peer`), with every refusal at file:line:column.

use std::net::IpAddr;

use crate::config::tests::{errors, ok, one_error, one_warning, with_base};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Body lines start on line 7 (see `with_base`).
#[test]
fn keepalived_unicast_peer_block_with_min_and_max_ttl() {
    let c = ok(&with_base(
        "    unicast_src_ip 192.0.2.1\n    unicast_ttl 64\n    check_unicast_src\n    unicast_peer {\n        192.0.2.2 min_ttl 250 max_ttl 255\n        192.0.2.3\n        192.0.2.4 max_ttl 254\n    }\n",
    ));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let i = &c.instances[0];
    assert_eq!(i.mcast_src_ip, Some(ip("192.0.2.1")), "unicast_src_ip is keepalived's one source setting");
    assert_eq!(i.unicast_ttl, Some(64));
    let peers: Vec<(IpAddr, u8, u8, u32, u32)> =
        i.unicast_peers.iter().map(|p| (p.address, p.min_ttl, p.max_ttl, p.location.line, p.location.column)).collect();
    assert_eq!(
        peers,
        [(ip("192.0.2.2"), 250, 255, 11, 9), (ip("192.0.2.3"), 0, 255, 12, 9), (ip("192.0.2.4"), 0, 254, 13, 9)]
    );
}

#[test]
fn unicast_peer_blocks_add_up_and_a_repeated_address_is_ignored() {
    let text = with_base("    unicast_peer {\n        192.0.2.2\n    }\n    unicast_peer {\n        192.0.2.3\n        192.0.2.2\n    }\n");
    let c = one_warning(&text, 12, 9, "already listed at t.conf:8:9");
    let got: Vec<IpAddr> = c.instances[0].unicast_peers.iter().map(|p| p.address).collect();
    assert_eq!(got, [ip("192.0.2.2"), ip("192.0.2.3")]);
}

#[test]
fn no_unicast_keyword_is_multicast() {
    let c = ok(&with_base(""));
    assert!(c.instances[0].unicast_peers.is_empty());
    assert_eq!(c.instances[0].unicast_ttl, None);
}

/// vrrp_data.c 992: "VRRP instance[%s] and unicast peer address[%s] MUST be of the same
/// family": an error at the peer's address.
#[test]
fn keepalived_unicast_peer_of_the_wrong_family_is_an_error_at_the_peer() {
    one_error(
        &with_base("    unicast_peer {\n        192.0.2.2\n        fe80::2\n    }\n"),
        9,
        9,
        "is IPv6 but the instance is IPv4",
    );
}

/// vrrp_parser.c `vrrp_srcip_handler`: "src address[%s] MUST be of the same family".
#[test]
fn keepalived_unicast_src_ip_of_the_wrong_family_is_an_error() {
    one_error(
        &with_base("    unicast_src_ip fe80::1\n    unicast_peer {\n        192.0.2.2\n    }\n"),
        7,
        20,
        "unicast_src_ip fe80::1 is IPv6 but the instance is IPv4",
    );
    one_error(&with_base("    unicast_src_ip nope\n"), 7, 20, "invalid `unicast_src_ip` `nope`");
}

#[test]
fn keepalived_vrrp_c_2972_ipv6_unicast_peers_and_source_may_be_global() {
    let v6 = "vrrp_instance A {\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        2001:db8::1\n    }\n";
    let c = ok(&format!("{v6}    unicast_peer {{\n        fe80::2\n    }}\n}}\n"));
    assert_eq!(c.instances[0].unicast_peers[0].address, ip("fe80::2"));
    let c = ok(&format!(
        "{v6}    unicast_src_ip 2001:db8::5\n    unicast_peer {{\n        2001:db8::2\n        fe80::3\n    }}\n}}\n"
    ));
    let i = &c.instances[0];
    assert_eq!(i.mcast_src_ip, Some(ip("2001:db8::5")));
    assert_eq!(i.unicast_peers.iter().map(|p| p.address).collect::<Vec<_>>(), [ip("2001:db8::2"), ip("fe80::3")]);
}

#[test]
fn keepalived_alloc_vrrp_unicast_peer_bad_lines() {
    one_error(&with_base("    unicast_peer {\n        192.0.2.300\n    }\n"), 8, 9, "invalid unicast_peer address");
    // An unknown option, a missing value, a bad value: reported, the peer kept.
    let c = one_warning(
        &with_base("    unicast_peer {\n        192.0.2.2 ttl 3\n    }\n"),
        8,
        19,
        "unknown unicast_peer option `ttl`",
    );
    assert_eq!(c.instances[0].unicast_peers.len(), 1);
    one_warning(&with_base("    unicast_peer {\n        192.0.2.2 min_ttl\n    }\n"), 8, 19, "missing a value");
    let c = one_warning(
        &with_base("    unicast_peer {\n        192.0.2.2 min_ttl 300\n    }\n"),
        8,
        27,
        "expected 0..=255",
    );
    assert_eq!(c.instances[0].unicast_peers[0].min_ttl, 0);
    // vrrp_data.c 1018: "min_ttl %u > max_ttl %u - all packets will be discarded".
    let c = one_warning(
        &with_base("    unicast_peer {\n        192.0.2.2 min_ttl 200 max_ttl 100\n    }\n"),
        8,
        9,
        "min_ttl 200 > max_ttl 100",
    );
    assert_eq!((c.instances[0].unicast_peers[0].min_ttl, c.instances[0].unicast_peers[0].max_ttl), (200, 100));
    one_error(&with_base("    unicast_peer 192.0.2.2\n"), 7, 5, "expected `{` after `unicast_peer`");
}

#[test]
fn keepalived_unicast_ttl_range_and_without_peers() {
    // vrrp_parser.c 997: out of 0..=255 is reported and ignored; the instance runs.
    let c = one_warning(
        &with_base("    unicast_ttl 256\n    unicast_peer {\n        192.0.2.2\n    }\n"),
        7,
        17,
        "0..=255",
    );
    assert_eq!(c.instances[0].unicast_ttl, None);
    let l = crate::config::parse_str_with(
        "t.conf",
        &with_base("    unicast_ttl 256\n    unicast_peer {\n        192.0.2.2\n    }\n"),
        crate::config::ReadOptions { strict: false },
    )
    .unwrap();
    assert_eq!(l.keepalived_errors, 1, "keepalived -t counts it as an error, and runs the file");
    // TTL 0 is a value keepalived sends.
    let c = ok(&with_base("    unicast_ttl 0\n    unicast_peer {\n        192.0.2.2\n    }\n"));
    assert_eq!(c.instances[0].unicast_ttl, Some(0));
    // vrrp_parser.c 452: "Cannot use unicast_ttl without unicast peers - resetting"; and
    // the unicast keyword without peers is multicast (vrrp.c 2994, deprecated).
    let c = ok(&with_base("    unicast_ttl 64\n"));
    assert_eq!(c.instances[0].unicast_ttl, None);
    let w: Vec<(u32, u32)> = c.warnings.iter().map(|w| (w.location.line, w.location.column)).collect();
    assert_eq!(w, [(7, 17)], "{:?}", c.warnings);
    assert!(c.warnings[0].message.contains("without unicast peers is ignored"), "{:?}", c.warnings);
}

#[test]
fn keepalived_unicast_keyword_without_peers_falls_back_to_multicast() {
    let c = one_warning(&with_base("    unicast_src_ip 192.0.2.1\n"), 7, 5, "uses multicast, as keepalived does");
    assert!(c.instances[0].unicast_peers.is_empty());
    one_warning(&with_base("    check_unicast_src\n"), 7, 5, "uses multicast");
}

/// vrrp.c 2988: "Cannot use unicast without any peers - going to fault state": the
/// instance runs, FAULT for good, with keepalived's error as a warning at the keyword.
#[test]
fn keepalived_unicast_fault_no_peer_without_peers_stays_fault() {
    let c = one_warning(&with_base("    unicast_fault_no_peer\n"), 7, 5, "it stays FAULT, as keepalived runs it");
    let at = c.instances[0].fault_no_peer.as_ref().map(|l| (l.line, l.column));
    assert_eq!(at, Some((7, 5)));
    let c = ok(&with_base("    unicast_fault_no_peer\n    unicast_peer {\n        192.0.2.2\n    }\n"));
    assert_eq!(c.instances[0].unicast_peers.len(), 1);
    assert!(c.instances[0].fault_no_peer.is_none());
}

#[test]
fn more_unicast_peers_than_an_instance_sends_to_is_an_error() {
    let lines: String = (2..=10).map(|n| format!("        192.0.2.{n}\n")).collect();
    let errs = errors(&with_base(&format!("    unicast_peer {{\n{lines}    }}\n")));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].0, errs[0].1), (16, 9), "{errs:?}");
    assert!(errs[0].2.contains("more than 8 unicast_peer"), "{errs:?}");
}

/// keepalived's global `vrrp_check_unicast_src` asks for what vrrpd always does: read,
/// without a "not implemented" warning.
#[test]
fn keepalived_global_vrrp_check_unicast_src_is_accepted() {
    let c = ok(&format!("global_defs {{\n    vrrp_check_unicast_src\n}}\n{}", with_base("")));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}
