//! Unit tests over whole texts; file-based cases (includes, fixtures) live in
//! node/tests/config_*.rs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;

pub(super) fn ok(text: &str) -> Config {
    match parse_str("t.conf", text) {
        Ok(c) => c,
        Err(e) => panic!("unexpected errors:\n{}", e.render()),
    }
}

pub(super) fn errors(text: &str) -> Vec<(u32, u32, String)> {
    match parse_str("t.conf", text) {
        Ok(c) => panic!("expected errors, got {c:#?}"),
        Err(e) => e.errors.iter().map(|d| (d.location.line, d.location.column, d.message.clone())).collect(),
    }
}

pub(super) fn warnings(text: &str) -> Vec<(u32, u32, String)> {
    ok(text).warnings.iter().map(|d| (d.location.line, d.location.column, d.message.clone())).collect()
}

/// Asserts exactly one error, at (line, column), whose message mentions `needle`.
pub(super) fn one_error(text: &str, line: u32, column: u32, needle: &str) {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!((errs[0].0, errs[0].1), (line, column), "{errs:#?}");
    assert!(errs[0].2.contains(needle), "{:?} lacks {needle:?}", errs[0].2);
}

/// Asserts the file loads with exactly one warning, at (line, column), whose message
/// mentions `needle`; returns the configuration.
pub(super) fn one_warning(text: &str, line: u32, column: u32, needle: &str) -> Config {
    let c = ok(text);
    assert_eq!(c.warnings.len(), 1, "{:#?}", c.warnings);
    let w = &c.warnings[0];
    assert_eq!((w.location.line, w.location.column), (line, column), "{w}");
    assert!(w.message.contains(needle), "{:?} lacks {needle:?}", w.message);
    c
}

/// An instance with `body` lines inserted after `vrrp_instance A {` (line 1),
/// so body line N is file line N + 1.
pub(super) fn instance(body: &str) -> String {
    format!("vrrp_instance A {{\n{body}}}\n")
}

const BASE: &str = "    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1\n    }\n";

pub(super) fn with_base(extra: &str) -> String {
    instance(&format!("{BASE}{extra}"))
}

#[test]
fn minimal_instance_gets_keepalived_defaults() {
    let c = ok(&with_base(""));
    let i = &c.instances[0];
    assert_eq!(i.name, "A");
    assert_eq!((i.location.line, i.location.column), (1, 15));
    assert_eq!(i.state, None);
    assert_eq!(i.priority, 100);
    assert_eq!(i.advert_int_cs, 100);
    assert_eq!(i.version, Version::V2);
    assert_eq!(i.family, Family::Ipv4);
    assert_eq!(i.auth, None);
    assert_eq!(i.vips[0].addr, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(i.vips[0].prefix_len, 32);
    assert!(!i.nopreempt);
    assert_eq!(i.preempt_delay_cs, 0);
    assert_eq!(i.accept, None);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn fractional_advert_int_for_v3() {
    for (text, cs) in [("0.01", 1), ("1", 100), ("2.5", 250), ("40.95", 4095), ("0.10", 10)] {
        let c = ok(&with_base(&format!("    version 3\n    advert_int {text}\n")));
        assert_eq!(c.instances[0].advert_int_cs, cs, "{text}");
        assert_eq!(c.instances[0].version, Version::V3);
    }
}

#[test]
fn v2_whole_seconds_and_range() {
    let c = ok(&with_base("    advert_int 255\n"));
    assert_eq!(c.instances[0].advert_int_cs, 25500);
    let c = ok(&with_base("    advert_int 3.00\n"));
    assert_eq!(c.instances[0].advert_int_cs, 300);
    // Line 7 = body line 6; value after "    advert_int ".
    // keepalived's recoveries: rounding to at least 1 s (vrrp.c 3266), and outside
    // 0.01..=255 s the default 1 s (vrrp_parser.c 1026).
    for (text, needle, cs) in [
        ("0.5", "rounded to 1 s", 100),
        ("2.49", "rounded to 2 s", 200),
        ("256", "0.01..=255", 100),
        ("0", "0.01..=255", 100),
    ] {
        let c = one_warning(&with_base(&format!("    advert_int {text}\n")), 7, 16, needle);
        assert_eq!(c.instances[0].advert_int_cs, cs, "{text}");
    }
}

#[test]
fn v2_fraction_error_even_when_version_is_given_later() {
    // vrrp.c 3266: keepalived rounds (half up) to whole seconds.
    let text = with_base("    advert_int 1.5\n    version 2\n");
    let c = one_warning(&text, 7, 16, "advert_int 1.50 s rounded to 2 s");
    assert_eq!(c.instances[0].advert_int_cs, 200);
}

#[test]
fn v3_advert_int_bounds_and_precision() {
    one_error(&with_base("    version 3\n    advert_int 0.015\n"), 8, 16, "multiple of 0.01");
    // vrrp.c 3279: capped at 40.95 s; vrrp_parser.c 1026: otherwise the default 1 s.
    for (text, needle, cs) in [("41", "set to 40.95 s", 4095), ("0", "ignored", 100), ("fast", "ignored", 100)] {
        let c = one_warning(&with_base(&format!("    version 3\n    advert_int {text}\n")), 8, 16, needle);
        assert_eq!(c.instances[0].advert_int_cs, cs, "{text}");
    }
}

#[test]
fn global_version_applies_and_instance_overrides() {
    let text = format!("global_defs {{\n  vrrp_version 3\n}}\n{}", with_base("    advert_int 0.5\n"));
    let c = ok(&text);
    assert_eq!(c.global.vrrp_version, Some(Version::V3));
    assert_eq!(c.instances[0].version, Version::V3);
    assert_eq!(c.instances[0].advert_int_cs, 50);

    let text = format!("global_defs {{\n  vrrp_version 3\n}}\n{}", with_base("    version 2\n"));
    assert_eq!(ok(&text).instances[0].version, Version::V2);
}

#[test]
fn ipv6_instance_defaults_to_v3() {
    let text = instance("    interface eth0\n    virtual_router_id 9\n    virtual_ipaddress {\n        fd00::1/64 dev eth0\n    }\n    advert_int 0.5\n");
    let c = ok(&text);
    let i = &c.instances[0];
    assert_eq!(i.family, Family::Ipv6);
    assert_eq!(i.version, Version::V3);
    assert_eq!(i.advert_int_cs, 50);
    assert_eq!(i.vips[0].addr, IpAddr::V6("fd00::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED)));
    assert_eq!(i.vips[0].prefix_len, 64);
    assert_eq!(i.vips[0].dev.as_deref(), Some("eth0"));
}

#[test]
fn ipv6_default_prefix_is_128() {
    let text =
        instance("    interface eth0\n    virtual_router_id 9\n    virtual_ipaddress {\n        fd00::1\n    }\n");
    assert_eq!(ok(&text).instances[0].vips[0].prefix_len, 128);
}

/// keepalived 2.2.7 runs `version 2` before IPv6 addresses as VRRPv2 over IPv6 (vrrp.c
/// 2863: only strict mode switches it to 3), and so does vrrpd: silently, `--strict` too.
#[test]
fn keepalived_vrrp_c_2863_ipv6_with_explicit_v2_runs_vrrpv2_over_ipv6() {
    let text = instance(
        "    interface eth0\n    virtual_router_id 9\n    version 2\n    virtual_ipaddress {\n        fd00::1\n    }\n",
    );
    let c = ok(&text);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!((c.instances[0].version, c.instances[0].family), (Version::V2, Family::Ipv6));
    let l = parse_str_with("t.conf", &text, ReadOptions::default()).unwrap();
    assert_eq!(l.keepalived_errors, 0, "keepalived -t says nothing");
    let s = parse_str_with("t.conf", &text, ReadOptions { strict: true }).unwrap();
    assert_eq!(s.config.instances[0].version, Version::V2);
}

/// vrrp.c 2860-2868: under `vrrp_strict` (or the instance's `strict_mode`, which wins)
/// keepalived reports "cannot use IPv6 with VRRP version 2; setting version 3" and runs
/// VRRPv3; vrrpd does the same, at the `version` value.
#[test]
fn keepalived_vrrp_c_2864_strict_mode_runs_v2_with_ipv6_as_v3() {
    let body = |strict: &str| {
        format!("    interface eth0\n    virtual_router_id 9\n{strict}    version 2\n    virtual_ipaddress {{\n        fd00::1\n    }}\n")
    };
    let global = |text: String| format!("global_defs {{\n    vrrp_strict\n}}\n{text}");
    for (text, line, want) in [
        (global(instance(&body(""))), 7, Version::V3),
        (instance(&body("    strict_mode\n")), 5, Version::V3),
        (instance(&body("    strict_mode on\n")), 5, Version::V3),
        (global(instance(&body("    strict_mode false\n"))), 8, Version::V2),
    ] {
        let l = parse_str_with("t.conf", &text, ReadOptions::default()).unwrap();
        assert_eq!(l.config.instances[0].version, want, "{text}");
        if want == Version::V3 {
            let w = l.config.warnings.iter().find(|w| w.message.contains("setting version 3")).expect("warning");
            assert_eq!((w.location.line, w.location.column), (line, 13), "{text}");
            assert!(l.keepalived_errors >= 1, "a keepalived configuration error");
        } else {
            assert!(
                l.config.warnings.iter().all(|w| !w.message.contains("setting version 3")),
                "{:?}",
                l.config.warnings
            );
        }
    }
    let bad = instance(&body("    strict_mode maybe\n"));
    let l = parse_str_with("t.conf", &bad, ReadOptions::default()).unwrap();
    assert_eq!(l.config.instances[0].version, Version::V2, "an invalid value leaves strict mode unset");
    assert!(
        l.config.warnings.iter().any(|w| w.message.contains("invalid strict_mode `maybe`")),
        "{:?}",
        l.config.warnings
    );
}

/// vrrp.c 2941: AH over IPv6 is ignored; PASS over IPv6 is kept by keepalived but its
/// advert has no room for the password (vrrp.c 278): vrrpd runs both without
/// authentication, loudly (INCOMPATIBLE for PASS).
#[test]
fn v2_over_ipv6_runs_without_authentication_keepalived_cannot_send() {
    for (auth, label) in
        [("PASS\n        auth_pass secret", "INCOMPATIBLE"), ("AH\n        auth_pass secret", "INSECURE")]
    {
        let text = instance(&format!(
            "    interface eth0\n    virtual_router_id 9\n    version 2\n    authentication {{\n        auth_type {auth}\n    }}\n    virtual_ipaddress {{\n        fd00::1\n    }}\n"
        ));
        let l = parse_str_with("t.conf", &text, ReadOptions::default()).unwrap();
        assert_eq!(l.config.instances[0].version, Version::V2);
        assert_eq!(l.config.instances[0].auth, None, "{text}");
        let w = l.config.warnings.iter().find(|w| w.message.starts_with(label)).expect(label);
        assert_eq!(w.location.line, 5, "{:?}", w);
    }
}

/// vrrp_parser.c 1849 `vrrp_version_handler`: `version 2` after an IPv6 address, or after
/// `native_ipv6`, or a version other than the one already written, "conflicts with
/// configured or deduced version": the line is ignored (a configuration error to `-t`).
#[test]
fn a_version_conflicting_with_what_came_before_is_ignored() {
    let base = "    interface eth0\n    virtual_router_id 9\n";
    let vips6 = "    virtual_ipaddress {\n        fd00::1\n    }\n";
    for (text, line, column, want) in [
        (format!("{base}{vips6}    version 2\n"), 7, 13, Version::V3),
        (format!("{base}    native_ipv6\n    version 2\n{vips6}"), 5, 13, Version::V3),
        (
            format!("{base}    version 3\n    version 2\n    virtual_ipaddress {{\n        10.0.0.1\n    }}\n"),
            5,
            13,
            Version::V3,
        ),
        (
            format!("{base}    version 2\n    version 3\n    virtual_ipaddress {{\n        10.0.0.1\n    }}\n"),
            5,
            13,
            Version::V2,
        ),
    ] {
        let text = instance(&text);
        let c = one_warning(&text, line, column, "ignored, as keepalived does");
        assert_eq!(c.instances[0].version, want, "{text}");
        assert_eq!(parse_str_with("t.conf", &text, ReadOptions::default()).unwrap().keepalived_errors, 1);
    }
    // The same version twice is no conflict; `native_ipv6` after `version 2` makes it 3.
    let c = ok(&instance(&format!("{base}    version 3\n    version 3\n{vips6}")));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = one_warning(&instance(&format!("{base}    version 2\n    native_ipv6\n{vips6}")), 4, 13, "native_ipv6");
    assert_eq!(c.instances[0].version, Version::V3);
}

#[test]
fn ipv6_with_global_v2_warns_and_uses_v3() {
    let text = format!(
        "global_defs {{\n  vrrp_version 2\n}}\n{}",
        instance("    interface eth0\n    virtual_router_id 9\n    virtual_ipaddress {\n        fd00::1\n    }\n")
    );
    let c = ok(&text);
    assert_eq!(c.instances[0].version, Version::V3);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!((c.warnings[0].location.line, c.warnings[0].location.column), (4, 15));
}

#[test]
fn mixed_families_error_at_second_address_but_excluded_may_mix() {
    let text = instance("    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1\n        fd00::1\n    }\n");
    // vrrp_data.c 1131: keepalived skips it and keeps the first.
    let c = one_warning(&text, 6, 9, "mixes address families");
    assert_eq!(c.instances[0].vips.len(), 1);

    let text = instance("    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1\n    }\n    virtual_ipaddress_excluded {\n        fd00::1\n        10.1.0.1/16\n    }\n");
    let c = ok(&text);
    assert_eq!(c.instances[0].family, Family::Ipv4);
    assert_eq!(c.instances[0].vips_excluded.len(), 2);
    assert_eq!(c.instances[0].vips_excluded[1].prefix_len, 16);
}

#[test]
fn native_ipv6_forces_family() {
    let text = instance("    interface eth0\n    virtual_router_id 1\n    native_ipv6\n    virtual_ipaddress {\n        fd00::1\n    }\n    virtual_ipaddress_excluded {\n        10.0.0.1\n    }\n");
    let c = ok(&text);
    assert_eq!(c.instances[0].family, Family::Ipv6);
    assert_eq!(c.instances[0].version, Version::V3);
    assert!(c.instances[0].native_ipv6);

    let text = instance("    interface eth0\n    virtual_router_id 1\n    native_ipv6\n    virtual_ipaddress {\n        10.0.0.1\n    }\n");
    // The IPv4 address is skipped (vrrp_data.c 1131), which leaves a VRRPv3 instance with
    // no VIP: keepalived refuses that (vrrp.c 2897).
    let Err(e) = parse_str("t.conf", &text) else { panic!("expected an error") };
    assert_eq!(e.errors.len(), 1, "{e}");
    assert!(e.errors[0].message.contains("at least one is required"), "{e}");
    assert_eq!((e.warnings[0].location.line, e.warnings[0].location.column), (6, 9), "{:?}", e.warnings);
    assert!(e.warnings[0].message.contains("native_ipv6"), "{:?}", e.warnings);
}

#[test]
fn missing_required_parts_reported_at_instance_name() {
    let errs = errors("vrrp_instance Lonely {\n    priority 50\n}\n");
    assert_eq!(errs.len(), 2, "{errs:#?}");
    for (line, col, _) in &errs {
        assert_eq!((*line, *col), (1, 15));
    }
    assert!(errs.iter().any(|e| e.2.contains("interface")));
    assert!(errs.iter().any(|e| e.2.contains("virtual_router_id")));
    // No VIP: a warning for VRRPv2 (vrrp.c 2901), an error for v3 (vrrp.c 2897).
    one_error(
        "vrrp_instance Lonely {\n    version 3\n    interface eth0\n    virtual_router_id 1\n}\n",
        1,
        15,
        "virtual IP",
    );
}

#[test]
fn duplicate_instance_name() {
    let one = with_base("");
    let two = one.replace("virtual_router_id 1", "virtual_router_id 2");
    let text = format!("{one}{two}");
    // Second instance starts on line 8; keepalived skips it (vrrp_parser.c 417).
    let c = one_warning(&text, 8, 15, "duplicate vrrp_instance name `A`: first defined at t.conf:1:15");
    assert_eq!(c.instances.len(), 1);
    assert_eq!(c.instances[0].vrid, 1);
}

#[test]
fn duplicate_vrid_on_same_interface_and_family() {
    let one = with_base("");
    let two = one.replace("vrrp_instance A", "vrrp_instance B");
    one_error(&format!("{one}{two}"), 10, 23, "already used by vrrp_instance `A`");

    // Same VRID on another interface or another family is fine.
    let other_if = two.replace("eth0", "eth1");
    ok(&format!("{one}{other_if}"));
    let v6 = two.replace("10.0.0.1", "fd00::1");
    ok(&format!("{one}{v6}"));
}

#[test]
fn bad_numbers_are_errors_at_the_value() {
    // vrrp_parser.c 1012: keepalived uses the default 100 instead (see keepalived_tests.rs).
    for bad in ["0", "256", "high", "-1"] {
        let c = one_warning(&with_base(&format!("    priority {bad}\n")), 7, 14, "1..=255");
        assert_eq!(c.instances[0].priority, 100);
    }
    // vrrp_parser.c 1849: ignored, the default version applies.
    let c = one_warning(&with_base("    version 4\n"), 7, 13, "expected 2 or 3");
    assert_eq!(c.instances[0].version, Version::V2);
    one_error(&with_base("    garp_master_repeat x\n"), 7, 24, "integer");
    one_error(&with_base("    preempt_delay 1000.01\n"), 7, 19, "0..=1000");
    one_error(
        &instance("    interface eth0\n    virtual_router_id 0\n    virtual_ipaddress {\n        10.0.0.1\n    }\n"),
        3,
        23,
        "1..=255",
    );
}

#[test]
fn missing_values_are_errors_at_the_keyword() {
    one_error(&with_base("    priority\n"), 7, 5, "missing value: expected `priority <1..=255>`");
    one_error(&with_base("    state   # nothing\n"), 7, 5, "MASTER|BACKUP");
    let c = one_warning(
        &with_base("    virtual_ipaddress {\n        10.0.0.2 dev\n    }\n"),
        8,
        18,
        "missing value after `dev`",
    );
    assert_eq!(c.instances[0].vips.len(), 1);
}

#[test]
fn priority_255_is_the_address_owner() {
    assert_eq!(ok(&with_base("    priority 255\n")).instances[0].priority, 255);
}

#[test]
fn bad_state_and_vips() {
    // keepalived's recoveries (vrrp_parser.c 799, vrrp_ipaddress.c 405/415/651/553; see
    // keepalived_tests.rs): warnings, and the values keepalived uses.
    let c = one_warning(&with_base("    state master\n"), 7, 11, "expected MASTER or BACKUP");
    assert_eq!(c.instances[0].state, Some(InitialState::Backup));
    let vips = |line: &str| {
        instance(&format!(
            "    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {{\n        10.0.0.9\n        {line}\n    }}\n"
        ))
    };
    let c = one_warning(&vips("10.0.0.300/24"), 6, 9, "invalid virtual IP address");
    assert_eq!(c.instances[0].vips.len(), 1);
    let c = one_warning(&vips("10.0.0.3/33"), 6, 9, "0..=32");
    assert_eq!(c.instances[0].vips[1].prefix_len, 32);
    let c = one_warning(&vips("10.0.0.3 10.0.0.4"), 6, 18, "one address per line");
    assert_eq!(c.instances[0].vips.len(), 2);
    let c = one_warning(&vips("fd00::3"), 6, 9, "mixes address families");
    assert_eq!(c.instances[0].vips.len(), 1);
    let c = one_warning(&vips("fd00::3 brd +"), 6, 21, "IPv4");
    assert_eq!(c.instances[0].vips.len(), 1);
    let c = one_warning(&vips("10.0.0.3 brd 1.2.3"), 6, 22, "invalid broadcast");
    assert_eq!(c.instances[0].vips.len(), 1);
}

#[test]
fn vip_options() {
    let text = instance("    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        192.168.1.10/24 dev eth1 brd + label eth1:vip scope global\n        192.168.2.10/24 broadcast 192.168.2.255 scope 253 no_track\n    }\n");
    let c = ok(&text);
    let v = &c.instances[0].vips;
    assert_eq!(v[0].dev.as_deref(), Some("eth1"));
    assert_eq!(v[0].brd, Some(Ipv4Addr::new(192, 168, 1, 255)));
    assert_eq!(v[0].label.as_deref(), Some("eth1:vip"));
    assert_eq!(v[0].scope, Some(Scope::Global));
    assert_eq!((v[0].location.line, v[0].location.column), (5, 9));
    assert_eq!(v[1].brd, Some(Ipv4Addr::new(192, 168, 2, 255)));
    // A numeric scope keeps its value: 253 is iproute2's `link` (keepalived takes both).
    assert_eq!(v[1].scope, Some(Scope::Link));
    assert_eq!(v[1].scope.map(Scope::number), Some(253));
    assert!(!v[0].no_track && v[1].no_track);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn numeric_scopes_survive_as_numbers() {
    // `scope 200` is what keepalived users write for site scope; it must reach netlink
    // as 200, not fall back to global. Unnamed numbers keep their value.
    let text = instance("    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        192.0.2.10/24 scope 200\n        192.0.2.11/24 scope 17\n        192.0.2.12/24 scope 0\n    }\n");
    let v = ok(&text).instances.remove(0).vips;
    assert_eq!(
        v.iter().map(|v| v.scope).collect::<Vec<_>>(),
        [Some(Scope::Site), Some(Scope::Other(17)), Some(Scope::Global)]
    );
    for n in 0..=255u8 {
        assert_eq!(Scope::from_number(n).number(), n);
    }
    let c = one_warning(&instance("    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        192.0.2.10/24 scope 256\n    }\n"), 5, 29, "invalid scope `256`");
    assert_eq!(c.instances[0].vips[0].scope, None);
}

#[test]
fn unexpected_close_and_unclosed_block() {
    // lib/parser.c 2868: "Extra '}' found", and keepalived reads on.
    one_warning(&format!("{}}}\n", with_base("")), 8, 1, "unexpected `}`");
    // The instance block (opened at 1:17) swallows the rest of the file.
    one_error("vrrp_instance A {\n    interface eth0\n", 1, 17, "never closed");
    one_error(&format!("{{ }}\n{}", with_base("")), 1, 1, "unexpected `{`");
}

#[test]
fn block_where_none_belongs_and_missing_block() {
    one_error(&with_base("    nopreempt {\n    }\n"), 7, 15, "does not take a block");
    one_error(&with_base("    authentication\n"), 7, 5, "expected `{` after `authentication`");
    one_error("vrrp_instance\n", 1, 1, "vrrp_instance <name> {");
}

#[test]
fn several_errors_in_one_file_are_all_reported() {
    let text = "\
vrrp_instance A {
    interface eth0
    virtual_router_id 300
    priority 0
    advert_int x
    state SLAVE
    virtual_ipaddress {
        10.0.0.1/99
    }
}
vrrp_instance B {
    interface eth0
}
}
";
    let errs = errors(text);
    let at: Vec<(u32, u32)> = errs.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(at, vec![(3, 23), (11, 15)], "{errs:#?}");
    // What keepalived recovers from is warned, also all in one run.
    let Err(e) = parse_str("t.conf", text) else { panic!("expected errors") };
    let at: Vec<(u32, u32)> = e.warnings.iter().map(|w| (w.location.line, w.location.column)).collect();
    assert_eq!(at, vec![(4, 14), (5, 16), (6, 11), (8, 9), (11, 15), (14, 1)], "{:#?}", e.warnings);
}

#[test]
fn authentication_pass_ah_and_truncation() {
    let c = ok(&with_base("    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n"));
    assert_eq!(c.instances[0].auth, Some(Auth::Pass("secret".into())));

    let c = ok(&with_base("    authentication {\n        auth_type AH\n        auth_pass secret\n    }\n"));
    assert_eq!(c.instances[0].auth, Some(Auth::Ah));

    let c = ok(&with_base("    authentication {\n        auth_type PASS\n        auth_pass \"0123456789\"\n    }\n"));
    assert_eq!(c.instances[0].auth, Some(Auth::Pass("01234567".into())));
    assert_eq!(c.warnings.len(), 1);
    assert_eq!((c.warnings[0].location.line, c.warnings[0].location.column), (9, 19));

    let c =
        one_warning(&with_base("    authentication {\n        auth_type MD5\n    }\n"), 8, 19, "expected PASS or AH");
    assert_eq!(c.instances[0].auth, None);
}

#[test]
fn glued_braces() {
    let c = ok("vrrp_instance A{\ninterface eth0\nvirtual_router_id 3\nauthentication{auth_type PASS\nauth_pass x}\nvirtual_ipaddress{\n10.0.0.1}}");
    assert_eq!(c.instances[0].auth, Some(Auth::Pass("x".into())));
    assert_eq!(c.instances[0].vrid, 3);
}

#[test]
fn brace_on_next_line() {
    let c = ok(
        "vrrp_instance A\n{\n  interface eth0\n  virtual_router_id 3\n  virtual_ipaddress\n  {\n    10.0.0.1\n  }\n}\n",
    );
    assert_eq!(c.instances[0].vips.len(), 1);
}

#[test]
fn auth_with_v3_warns_and_is_dropped() {
    let c = ok(&with_base("    version 3\n    authentication {\n        auth_type PASS\n        auth_pass x\n    }\n"));
    assert_eq!(c.instances[0].auth, None);
    assert_eq!(c.warnings.len(), 1);
    assert_eq!((c.warnings[0].location.line, c.warnings[0].location.column), (8, 5));
    assert!(c.warnings[0].message.contains("VRRPv3 has no authentication"));
}

#[test]
fn comments_with_hash_and_bang() {
    let c = ok("! keepalived style\n# shell style\nvrrp_instance A { # trailing\n interface eth0 ! trailing\n virtual_router_id 4#glued\n virtual_ipaddress {\n 10.0.0.1 # x\n }\n}\n");
    assert_eq!(c.instances[0].vrid, 4);
    assert_eq!(c.instances[0].interface, "eth0");
    assert!(c.warnings.is_empty());
}

#[test]
fn unimplemented_top_level_blocks_warn_once_each() {
    let text = "\
virtual_server 10.0.0.1 80 {
    real_server 10.0.1.1 80 {
        weight 1
    }
}
bfd_instance chk {
    neighbor_ip 192.0.2.1
}
frobnicate {
    a { b }
}
lonely_keyword 1 2
";
    let ws = warnings(text);
    let at: Vec<(u32, u32)> = ws.iter().map(|w| (w.0, w.1)).collect();
    assert_eq!(at, vec![(1, 1), (6, 1), (9, 1), (12, 1)], "{ws:#?}");
    assert!(ws[0].2.contains("`virtual_server` is not implemented by vrrpd"));
    assert!(ws[2].2.contains("unknown top-level keyword `frobnicate`"));
}

#[test]
fn global_defs_keywords() {
    let text = "\
global_defs {
    router_id lb-1
    vrrp_version 3
    vrrp_garp_master_delay 10
    vrrp_garp_master_repeat 3
    vrrp_garp_master_refresh 60
    enable_script_security
    script_user nobody nogroup
    notification_email {
        ops@example.com
    }
    smtp_server 127.0.0.1
}
";
    let c = ok(text);
    assert_eq!(
        c.global,
        GlobalDefs {
            router_id: Some("lb-1".into()),
            vrrp_version: Some(Version::V3),
            garp_master_delay_s: Some(10),
            garp_master_repeat: Some(3),
            garp_master_refresh_s: Some(60),
            enable_script_security: true,
            script_user: Some(RunAs {
                user: "nobody".into(),
                group: Some("nogroup".into()),
                location: c.global.script_user.as_ref().map(|u| u.location.clone()).unwrap(),
            }),
            notify_fifo: None,
            vrrp_notify_fifo: None,
            ..GlobalDefs::default()
        }
    );
    let at: Vec<(u32, u32)> = c.warnings.iter().map(|w| (w.location.line, w.location.column)).collect();
    assert_eq!(at, vec![(9, 5), (12, 5)]);
    assert!(c.warnings[0].message.contains("not implemented by vrrpd, ignored"));
}

#[test]
fn unimplemented_instance_keywords_warn_and_skip_blocks() {
    let c = ok(&with_base(
        "    use_ipvlan\n    track_bfd {\n        chk\n    }\n    notify_deleted /bin/x\n    priorty 5\n",
    ));
    let at: Vec<(u32, u32)> = c.warnings.iter().map(|w| (w.location.line, w.location.column)).collect();
    assert_eq!(at, vec![(7, 5), (8, 5), (11, 5), (12, 5)]);
    assert!(c.warnings[0].message.contains("`use_ipvlan` is not implemented by vrrpd"));
    assert!(c.warnings[3].message.contains("unknown keyword `priorty`"));
}

#[test]
fn use_vmac_defaults_to_keepalived_s_name_and_takes_one_and_vmac_xmit_base() {
    // vrrp.c 2784 `create_vmac_name`: "vrrp.<VRID>".
    let c = ok(&with_base("    use_vmac\n"));
    let v = c.instances[0].vmac.as_ref().expect("vmac");
    assert_eq!((v.name.as_str(), v.xmit_base), ("vrrp.1", false));
    let c = ok(&with_base("    use_vmac vmac51\n    vmac_xmit_base\n"));
    let v = c.instances[0].vmac.as_ref().expect("vmac");
    assert_eq!((v.name.as_str(), v.xmit_base), ("vmac51", true));
    assert_eq!(crate::config::Vmac::mac(crate::config::Family::Ipv4, 51), [0, 0, 0x5e, 0, 1, 51]);
    assert_eq!(crate::config::Vmac::mac(crate::config::Family::Ipv6, 51), [0, 0, 0x5e, 0, 2, 51]);
    assert!(ok(&with_base("")).instances[0].vmac.is_none());
    let c = ok(&with_base("    vmac_xmit_base\n"));
    assert!(c.instances[0].vmac.is_none());
    assert_eq!((c.warnings[0].location.line, c.warnings[0].location.column), (7, 5));
    assert!(c.warnings[0].message.contains("vmac_xmit_base is only valid with use_vmac"), "{}", c.warnings[0]);
    let c = ok(&with_base("    use_vmac\n    unicast_peer {\n        10.0.0.2\n    }\n"));
    assert!(c.instances[0].vmac.as_ref().expect("vmac").xmit_base, "unicast sets vmac_xmit_base");
    assert!(c.warnings.iter().any(|w| w.message.contains("requires vmac_xmit_base")), "{:?}", c.warnings);
}

/// The macvlan of each address, `None` for the interface itself.
fn vip_vmacs(c: &Config) -> Vec<(String, Option<String>)> {
    let i = &c.instances[0];
    i.vips.iter().chain(&i.vips_excluded).map(|v| (v.addr.to_string(), v.vmac.clone())).collect()
}

/// vrrp.c 3705-3760 and 2775 `create_vmac_name`: with `use_vmac_addr`, an address on
/// another interface, or of the other family, gets a macvlan of its own named
/// `vrrp.<VRID>` if free, else `vrrp1.<VRID>` (IPv6: `vrrp6.<VRID>` first), one per
/// family and interface; the instance's own-family addresses stay on its macvlan.
#[test]
fn keepalived_vrrp_c_2775_use_vmac_addr_names_a_macvlan_per_interface_and_family() {
    let c = ok(&with_base(
        "    use_vmac\n    use_vmac_addr\n    virtual_ipaddress_excluded {\n        198.18.0.1/24 dev eth1\n        198.18.0.2/24 dev eth1\n        2001:db8::1/64 dev eth1\n        2001:db8::2/64\n    }\n",
    ));
    assert!(c.instances[0].use_vmac_addr);
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        vip_vmacs(&c),
        [
            ("10.0.0.1".to_string(), None),
            ("198.18.0.1".to_string(), some("vrrp1.1")),
            ("198.18.0.2".to_string(), some("vrrp1.1")),
            ("2001:db8::1".to_string(), some("vrrp6.1")),
            ("2001:db8::2".to_string(), some("vrrp2.1")),
        ]
    );
    // Without the instance's use_vmac, vrrp.<VRID> is free.
    let c =
        ok(&with_base("    use_vmac_addr\n    virtual_ipaddress_excluded {\n        198.18.0.1/24 dev eth1\n    }\n"));
    assert_eq!(vip_vmacs(&c)[1], ("198.18.0.1".to_string(), some("vrrp.1")));
    // No use_vmac_addr: addresses on other interfaces stay there.
    let c = ok(&with_base("    use_vmac\n    virtual_ipaddress_excluded {\n        198.18.0.1/24 dev eth1\n    }\n"));
    assert_eq!(vip_vmacs(&c)[1], ("198.18.0.1".to_string(), None));
}

/// vrrp.c 3691-3703: a line's `use_vmac` gives that address its own macvlan; on an
/// address that goes on the instance's macvlan anyway, or with `use_vmac_addr`, it is
/// keepalived's configuration error and changes nothing.
#[test]
fn keepalived_vip_use_vmac_option() {
    let c = ok(&with_base("    virtual_ipaddress_excluded {\n        198.18.0.1/24 dev eth1 use_vmac\n    }\n"));
    assert_eq!(vip_vmacs(&c)[1], ("198.18.0.1".to_string(), Some("vrrp.1".to_string())));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = one_warning(
        &with_base("    use_vmac\n    virtual_ipaddress_excluded {\n        10.0.0.9/24 use_vmac\n    }\n"),
        9,
        9,
        "use_vmac specified for VIP/eVIP 10.0.0.9 and vrrp instance",
    );
    assert_eq!(vip_vmacs(&c)[1], ("10.0.0.9".to_string(), None));
    let c = one_warning(
        &with_base(
            "    use_vmac_addr\n    virtual_ipaddress_excluded {\n        198.18.0.1/24 dev eth1 use_vmac\n    }\n",
        ),
        9,
        9,
        "use_vmac_addr specified and use_vmac specified",
    );
    assert_eq!(vip_vmacs(&c)[1], ("198.18.0.1".to_string(), Some("vrrp.1".to_string())));
}

#[test]
fn use_vmac_bad_input_is_an_error_at_its_line_and_column() {
    for (body, col, needle) in [
        ("    use_vmac 00:11:22:33:44:55\n", 14, "use_vmac with a MAC address"),
        ("    use_vmac a b\n", 16, "interface name already given"),
        ("    use_vmac eth0\n", 5, "cannot be the instance's own interface"),
    ] {
        one_error(&with_base(body), 7, col, needle);
    }
}

#[test]
fn flags_and_misc_instance_keywords() {
    let c = ok(&with_base("    state BACKUP\n    nopreempt\n    preempt_delay 2.5\n    garp_master_delay 3\n    garp_master_repeat 4\n    no_accept\n    accept\n    mcast_src_ip 10.0.0.5\n"));
    let i = &c.instances[0];
    assert_eq!(i.state, Some(InitialState::Backup));
    assert!(i.nopreempt);
    assert_eq!(i.preempt_delay_cs, 250);
    assert_eq!(i.garp_master_delay_s, Some(3));
    assert_eq!(i.garp_master_repeat, Some(4));
    assert_eq!(i.accept, Some(true));
    assert_eq!(i.mcast_src_ip, Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5))));

    one_error(&with_base("    mcast_src_ip fd00::5\n"), 7, 18, "IPv4");
    one_error(&with_base("    mcast_src_ip nope\n"), 7, 18, "IPv4 or IPv6");
}

#[test]
fn unterminated_quote_is_reported() {
    // The quote and the rest of its line are dropped (lib/parser.c 1193), which leaves
    // `interface` without a value.
    let Err(e) = parse_str("t.conf", &with_base("    interface \"eth0\n")) else { panic!("expected an error") };
    assert_eq!(e.errors.len(), 1, "{e}");
    assert_eq!((e.errors[0].location.line, e.errors[0].location.column), (7, 5), "{e}");
    let w = e.warnings.iter().find(|w| w.message.contains("unterminated")).expect("a warning");
    assert_eq!((w.location.line, w.location.column), (7, 15));
}

#[test]
fn include_without_pattern_and_with_no_match() {
    one_error(&format!("include\n{}", with_base("")), 1, 1, "`include` needs");
    let ws = warnings(&format!("include /nonexistent-vrrpd-dir/*.conf\n{}", with_base("")));
    assert_eq!(ws.len(), 1);
    assert_eq!((ws[0].0, ws[0].1), (1, 9));
    assert!(ws[0].2.contains("matched no file"));
}

#[test]
fn quoted_include_is_a_plain_word() {
    let ws = warnings(&format!("\"include\" x\n{}", with_base("")));
    assert_eq!(ws.len(), 1);
    assert!(ws[0].2.contains("unknown top-level keyword `include`"));
}

#[test]
fn render_lists_every_error_with_source_line() {
    let text = instance("    interface eth0\n    virtual_router_id 0\n    advert_int 0.001\n    virtual_ipaddress {\n        10.0.0.1\n    }\n");
    let Err(e) = parse_str("t.conf", &text) else {
        panic!("expected errors");
    };
    let text = e.render();
    assert!(text.contains("t.conf:3:23: error: invalid `virtual_router_id` value `0`"), "{text}");
    assert!(text.contains("    virtual_router_id 0"), "{text}");
    assert!(text.contains("t.conf:4:16: error: invalid `advert_int` value `0.001`"), "{text}");
    assert!(text.contains('^'), "{text}");
}

#[test]
fn empty_and_comment_only_inputs_are_empty_configs() {
    assert_eq!(ok("").instances, vec![]);
    assert_eq!(ok("# nothing\n!\n").instances, vec![]);
}

#[test]
fn repeated_single_valued_keyword_warns_at_the_second_and_the_last_wins() {
    let text = instance(
        "    interface eth0\n    virtual_router_id 1\n    priority 150\n    accept\n    virtual_ipaddress {\n        10.0.0.1\n    }\n    priority 90\n    no_accept\n",
    );
    let c = ok(&text);
    assert_eq!(c.instances[0].priority, 90, "the last value wins, as in keepalived");
    let w = warnings(&text);
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!((w[0].0, w[0].1), (9, 5));
    assert!(w[0].2.contains("`priority` set again") && w[0].2.contains(":4:5"), "{:?}", w[0].2);
    assert_eq!((w[1].0, w[1].1), (10, 5));
    assert!(w[1].2.contains("`no_accept` set again") && w[1].2.contains(":5:5"), "{:?}", w[1].2);
    // virtual_ipaddress blocks add up, and two instances do not see each other's keywords.
    let two = format!("{}{}", instance("    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1\n    }\n    virtual_ipaddress {\n        10.0.0.2\n    }\n"), instance("    interface eth0\n    virtual_router_id 2\n    virtual_ipaddress {\n        10.0.0.3\n    }\n").replace("vrrp_instance A", "vrrp_instance B"));
    assert!(warnings(&two).is_empty(), "{:?}", warnings(&two));
}

/// An instance on `interface` with one `virtual_ipaddress` line `vip` (file line 5).
fn on_interface(interface: &str, vip: &str) -> String {
    instance(&format!(
        "    interface {interface}\n    virtual_router_id 1\n    virtual_ipaddress {{\n        {vip}\n    }}\n"
    ))
}

#[test]
fn interface_names_the_kernel_would_refuse_are_errors_at_the_name() {
    // IFNAMSIZ - 1 = 15 bytes is the longest; 16, 300 and 100 000 used to pass and then
    // fail (or panic inside netlink-packet-route) at start.
    assert_eq!(ok(&on_interface(&"x".repeat(15), "10.0.0.1")).instances[0].interface, "x".repeat(15));
    for len in [16, 300, 100_000] {
        one_error(&on_interface(&"x".repeat(len), "10.0.0.1"), 2, 15, &format!("{len} bytes, at most 15"));
    }
    for bad in ["\"\"", ".", "..", "a/b", "eth1:1", "\"eth 1\""] {
        one_error(&on_interface(bad, "10.0.0.1"), 2, 15, "invalid `interface`");
    }
    let long = "y".repeat(100_000);
    let errs = errors(&on_interface(&long, "10.0.0.1"));
    assert!(errs[0].2.len() < 200, "the message quotes a cut name: {}", errs[0].2);
}

#[test]
fn dev_and_label_on_a_vip_are_checked_like_interface_names() {
    assert_eq!(
        ok(&on_interface("eth0", "10.0.0.1 dev eth2 label eth2:vip")).instances[0].vips[0].label.as_deref(),
        Some("eth2:vip")
    );
    // keepalived drops such an address (vrrp_ipaddress.c 515, 566); here the only one, so
    // the "No VIP" warning (at the instance name) comes first.
    for (text, column, needle) in [
        (format!("10.0.0.1 dev {}", "d".repeat(16)), 22, "invalid `dev`"),
        ("10.0.0.1 dev eth2:1".to_string(), 22, "cannot contain `:`"),
        (format!("10.0.0.1 label eth0:{}", "l".repeat(11)), 24, "at most 15"),
    ] {
        let c = ok(&on_interface("eth0", &text));
        assert!(c.instances[0].vips.is_empty());
        let w: Vec<_> = c.warnings.iter().map(|w| (w.location.line, w.location.column, w.message.clone())).collect();
        assert_eq!(w.len(), 2, "{w:#?}");
        assert!(w[0].2.contains("no virtual IP address"), "{w:#?}");
        assert_eq!((w[1].0, w[1].1), (5, column), "{w:#?}");
        assert!(w[1].2.contains(needle) && w[1].2.contains("skipped"), "{w:#?}");
    }
}

#[test]
fn errors_are_capped_at_the_first_100_in_file_order_then_one_more_errors_line() {
    // 4096 instances on one VRID: 4095 duplicates. This used to take seconds to print
    // (each diagnostic re-indexed the whole file); now 100 are kept and rendered.
    let text: String = (0..4096)
        .map(|i| format!("vrrp_instance I{i} {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n  10.0.0.1\n }}\n}}\n"))
        .collect();
    let e = parse_str("t.conf", &text).unwrap_err();
    assert_eq!(e.errors.len(), MAX_ERRORS);
    assert_eq!(e.more_errors, 4095 - MAX_ERRORS);
    // The kept ones are the first a reader meets: instances I1..=I100, line 3 of each.
    let lines: Vec<u32> = e.errors.iter().map(|d| d.location.line).collect();
    assert_eq!(lines, (1..=100).map(|i| i * 7 + 3).collect::<Vec<u32>>());
    let rendered = e.render();
    assert_eq!(rendered.matches(": error: ").count(), MAX_ERRORS);
    assert_eq!(rendered.matches("3995 more errors not shown (the first 100 are above)").count(), 1, "{rendered}");
    assert!(e.to_string().ends_with("\n3995 more errors not shown (the first 100 are above)"));
}

#[test]
fn the_kept_errors_are_the_earliest_even_when_a_later_stage_finds_earlier_ones() {
    // 150 parser errors after line 3 are reported before the semantic check's one on
    // line 1 (an instance without virtual_router_id); that one is kept and the last
    // parser error is the one dropped.
    let tail: String = (0..150).map(|_| "{ }\n").collect();
    let e = parse_str("t.conf", &format!("vrrp_instance A {{\n    interface eth0\n}}\n{tail}")).unwrap_err();
    assert_eq!((e.errors.len(), e.more_errors), (MAX_ERRORS, 51));
    assert_eq!((e.errors[0].location.line, e.errors[0].location.column), (1, 15));
    assert!(e.errors[0].message.contains("virtual_router_id"), "{:?}", e.errors[0]);
    assert_eq!(e.errors[99].location.line, 102);
}

#[test]
fn a_million_nested_braces_are_refused_at_the_first_too_deep_brace() {
    let e = parse_str("t.conf", &"{".repeat(1_000_000)).unwrap_err();
    let deep: Vec<_> = e.errors.iter().filter(|d| d.message.contains("nested more than 64 levels")).collect();
    assert_eq!(deep.len(), 1, "{:#?}", e.errors);
    assert_eq!((deep[0].location.line, deep[0].location.column), (1, 65));
    // Besides it only the outermost block's own complaints: nothing per brace.
    assert!(e.errors.len() <= 3 && e.more_errors == 0, "{:#?}", e.errors);
}
