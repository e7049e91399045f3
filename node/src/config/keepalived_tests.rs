//! keepalived 2.2.7's (and 2.4's) reading rules, one test each, citing the line of
//! keepalived's source the rule follows (`keepalived/vrrp/vrrp_parser.c`, `lib/parser.c`,
//! `keepalived/vrrp/vrrp.c` at tag v2.2.7 unless another tag is named).

use super::tests::{instance, ok, with_base};
use super::*;

/// Every keyword `init_vrrp_keywords` installs under `vrrp_instance` (vrrp_parser.c 2.2.7
/// lines 2123-2213, 2.4.3 lines 2328-2431), authentication sub-blocks aside.
const KEEPALIVED_INSTANCE_KEYWORDS: &[&str] = &[
    "accept",
    "advert_int",
    "auth_hmac",
    "authentication",
    "check_unicast_src",
    "debug",
    "dont_track_primary",
    "down_timer_adverts",
    "garp_extra_if",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "garp_master_delay",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "garp_master_repeat",
    "higher_prio_send_advert",
    "interface",
    "kernel_rx_buf_size",
    "linkbeat_use_polling",
    "lower_prio_no_advert",
    "lvs_sync_daemon_interface",
    "mcast_dst_ip",
    "mcast_src_ip",
    "native_ipv6",
    "no_accept",
    "no_virtual_ipaddress",
    "nopreempt",
    "notify",
    "notify_backup",
    "notify_deleted",
    "notify_fault",
    "notify_master",
    "notify_master_rx_lower_pri",
    "notify_priority_changes",
    "notify_stop",
    "old_unicast_checksum",
    "owner_ignore_adverts",
    "preempt",
    "preempt_delay",
    "priority",
    "promote_secondaries",
    "skip_check_adv_addr",
    "smtp_alert",
    "state",
    "strict_mode",
    "thread_timer_expired",
    "timer_expired_backup",
    "track_bfd",
    "track_file",
    "track_interface",
    "track_process",
    "track_script",
    "track_src_ip",
    "unicast_fault_no_peer",
    "unicast_peer",
    "unicast_src_ip",
    "unicast_ttl",
    "use_ipvlan",
    "use_vmac",
    "use_vmac_addr",
    "v3_checksum_as_v2",
    "version",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_router_id",
    "virtual_routes",
    "virtual_rules",
    "vmac_garp_intvl",
    "vmac_xmit_base",
    "vrf",
];

/// Every `install_keyword_root` of keepalived 2.2.7 and 2.4.3 (all subsystems).
const KEEPALIVED_ROOT_KEYWORDS: &[&str] = &[
    "SSL",
    "bfd_instance",
    "child_wait_time",
    "garp_group",
    "global_defs",
    "instance",
    "interface_up_down_delays",
    "linkbeat_interfaces",
    "linkbeat_use_polling",
    "namespace_with_ipsets",
    "net_namespace",
    "net_namespace_ipvs",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_file",
    "track_group",
    "use_pid_dir",
    "virtual_server",
    "virtual_server_group",
    "vrrp_instance",
    "vrrp_script",
    "vrrp_sync_group",
    "vrrp_track_file",
    "vrrp_track_process",
];

fn diagnostics(text: &str) -> Vec<Diagnostic> {
    match parse_str("t.conf", text) {
        Ok(c) => c.warnings,
        Err(e) => e.errors.into_iter().chain(e.warnings).collect(),
    }
}

#[test]
fn every_keepalived_instance_keyword_is_recognised() {
    for kw in KEEPALIVED_INSTANCE_KEYWORDS {
        let text = with_base(&format!("    {kw}\n"));
        for d in diagnostics(&text) {
            assert!(!d.message.contains("unknown"), "`{kw}` is a keepalived keyword: {d}");
        }
    }
    // And a typo still is unknown.
    let d = diagnostics(&with_base("    preemtp\n"));
    assert!(d.iter().any(|d| d.message.contains("unknown keyword `preemtp`")), "{d:?}");
}

#[test]
fn every_keepalived_top_level_keyword_is_recognised() {
    for kw in KEEPALIVED_ROOT_KEYWORDS {
        for d in diagnostics(&format!("{kw} x {{\n}}\n")) {
            assert!(!d.message.contains("unknown"), "`{kw}` is a keepalived keyword: {d}");
        }
    }
}

/// vrrp_parser.c 1084 `vrrp_preempt_handler` clears VRRP_FLAG_NOPREEMPT.
#[test]
fn preempt_cancels_an_earlier_nopreempt() {
    let c = ok(&with_base("    nopreempt\n    preempt\n"));
    assert!(!c.instances[0].nopreempt);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].message.contains("the last one wins"), "{:?}", c.warnings);
    let c = ok(&with_base("    preempt\n"));
    assert!(!c.instances[0].nopreempt);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(ok(&instance("    interface eth0\n    virtual_router_id 1\n    preempt\n    nopreempt\n    virtual_ipaddress {\n        10.0.0.1\n    }\n")).instances[0].nopreempt);
}

fn loaded(text: &str, strict: bool) -> Result<Loaded, ConfigErrors> {
    parse_str_with("t.conf", text, ReadOptions { strict })
}

/// (line, column, message) of every warning, and how many keepalived counts as errors.
fn warned(text: &str) -> (Vec<(u32, u32, String)>, usize, Config) {
    let l = loaded(text, false).unwrap_or_else(|e| panic!("unexpected errors:\n{}", e.render()));
    let w = l.config.warnings.iter().map(|d| (d.location.line, d.location.column, d.message.clone())).collect();
    (w, l.keepalived_errors, l.config)
}

/// Bytes that are not UTF-8 (GBK, Latin-1 comments; keepalived reads bytes): nothing to
/// say in a comment or a quoted string; an unquoted keyword holding them is no keyword
/// keepalived knows, so "Unknown keyword" (lib/parser.c 3098), skipped.
#[test]
fn non_utf8_comments_load_and_a_non_utf8_keyword_is_an_unknown_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gbk.conf");
    let mut bytes = b"# \xb2\xe2\xca\xd4 GBK comment\n! caf\xe9 Latin-1\n".to_vec();
    let body = with_base("    # GBK\n    priority 90 # LATIN1\n");
    let (head, rest) = body.split_once("GBK").unwrap();
    let (mid, tail) = rest.split_once("LATIN1").unwrap();
    for part in [head.as_bytes(), b"\xd6\xf7\xb1\xb8", mid.as_bytes(), b"pri\xf6rit\xe4t", tail.as_bytes()] {
        bytes.extend_from_slice(part);
    }
    std::fs::write(&path, &bytes).unwrap();
    let l = load_with(&path, ReadOptions::default()).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(l.config.instances[0].priority, 90);
    assert!(l.config.warnings.is_empty(), "{:?}", l.config.warnings);
    assert_eq!(l.keepalived_errors, 0);

    std::fs::write(&path, [with_base("").as_bytes(), b"caf\xe9 {\n  x\n}\n"].concat()).unwrap();
    let l = load_with(&path, ReadOptions::default()).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(l.config.instances.len(), 1);
    assert_eq!(l.config.warnings.len(), 1, "{:?}", l.config.warnings);
    let w = &l.config.warnings[0];
    assert_eq!((w.location.line, w.location.column), (8, 4), "{w}");
    assert!(w.message.contains("unknown keyword"), "{w}");
    assert_eq!(l.keepalived_errors, 1);
}

/// vrrp_parser.c 799: "unknown state '%s', defaulting to BACKUP"; 793: BACKUP after MASTER
/// is "state previously set as MASTER - ignoring BACKUP".
#[test]
fn unknown_states_are_backup_and_backup_after_master_is_ignored() {
    for state in ["PEER", "SLAVE", "master", "EQUAL"] {
        let (w, errors, c) = warned(&with_base(&format!("    state {state}\n")));
        assert_eq!(c.instances[0].state, Some(InitialState::Backup), "{state}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].0, w[0].1), (7, 11), "{w:?}");
        assert!(w[0].2.contains(&format!("unknown state `{state}`")) && w[0].2.contains("using BACKUP"), "{w:?}");
        assert_eq!(errors, 1);
    }
    let (w, errors, c) = warned(&with_base("    state MASTER\n    priority 100\n    state BACKUP\n"));
    assert_eq!(c.instances[0].state, Some(InitialState::Master));
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!((w[0].0, w[0].1), (9, 11), "{w:?}");
    assert!(w[0].2.contains("previously set as MASTER"), "{w:?}");
    assert_eq!(errors, 1);
}

/// vrrp.c 2904-2908: no priority: a MASTER gets 255 (the address owner), others 100.
#[test]
fn a_master_without_priority_is_the_address_owner() {
    let (w, errors, c) = warned(&with_base("    state MASTER\n"));
    assert_eq!(c.instances[0].priority, 255);
    assert_eq!((w.len(), errors), (1, 0), "{w:?}");
    assert!(w[0].2.contains("priority 255"), "{w:?}");
    let (_, _, c) = warned(&with_base("    state BACKUP\n"));
    assert_eq!(c.instances[0].priority, 100);
    let (_, _, c) = warned(&with_base("    state MASTER\n    priority 150\n"));
    assert_eq!(c.instances[0].priority, 150);
}

/// vrrp_parser.c 1426 `vrrp_auth_type_handler`: an unknown type (a stray `;`, `no_auth`)
/// is reported and leaves auth_type NONE: keepalived runs without authentication. vrrpd
/// does the same with an INSECURE warning, and `--strict` refuses the file.
#[test]
fn unknown_auth_type_runs_without_authentication_unless_strict() {
    for typ in ["PASS;", "no_auth", "pass"] {
        let text =
            with_base(&format!("    authentication {{\n        auth_type {typ}\n        auth_pass secret\n    }}\n"));
        let (w, errors, c) = warned(&text);
        assert_eq!(c.instances[0].auth, None, "{typ}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].0, w[0].1), (8, 19), "{w:?}");
        assert!(w[0].2.starts_with("INSECURE: unknown auth_type"), "{w:?}");
        assert!(w[0].2.contains("without authentication"), "{w:?}");
        assert_eq!(errors, 1);
        let e = loaded(&text, true).unwrap_err();
        assert_eq!(e.errors.len(), 1, "{e}");
        assert_eq!((e.errors[0].location.line, e.errors[0].location.column), (8, 19));
        assert!(e.errors[0].message.contains("refused by --strict"), "{e}");
    }
}

/// vrrp.c 2935 "Authentication specified but no password given. Ignoring" and 2929 "VRRP
/// version 3 does not support authentication. Ignoring." (both reported); auth_pass with
/// no auth_type is silently no authentication. All INSECURE; all refused by `--strict`.
#[test]
fn every_silent_loss_of_authentication_is_insecure_and_strict_refuses_it() {
    let cases = [
        ("    authentication {\n        auth_type PASS\n    }\n", (7, 5), 1),
        ("    authentication {\n        auth_pass secret\n    }\n", (7, 5), 0),
        ("    version 3\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n", (8, 5), 1),
    ];
    for (body, at, keepalived) in cases {
        let text = with_base(body);
        let (w, errors, c) = warned(&text);
        assert_eq!(c.instances[0].auth, None, "{body}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].0, w[0].1), at, "{w:?}");
        assert!(w[0].2.starts_with("INSECURE: "), "{w:?}");
        assert_eq!(errors, keepalived, "{body}");
        let e = loaded(&text, true).unwrap_err();
        assert_eq!(e.errors.len(), 1, "{e}");
        assert!(e.errors[0].message.contains("refused by --strict"), "{e}");
    }
    // Authentication that is used is not affected by --strict.
    let text = with_base("    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n");
    let l = loaded(&text, true).unwrap();
    assert_eq!(l.config.instances[0].auth, Some(Auth::Pass("secret".into())));
    assert_eq!(l.keepalived_errors, 0);
}

/// vrrp.c 2895-2901 (2.4.3 4288-4295): no VIP is "at least one is sensible" for VRRPv2 (it
/// runs, and vrrpd runs it), "at least one is required" for v3 (refused);
/// `no_virtual_ipaddress` silences it, but does not make a v3 advert without addresses.
#[test]
fn no_virtual_ipaddress_is_a_warning_for_v2_and_an_error_for_v3() {
    let bare = "    interface eth0\n    virtual_router_id 1\n";
    let commented = format!("{bare}    virtual_ipaddress {{\n#        10.0.0.1\n    }}\n");
    for body in [bare.to_string(), commented] {
        let (w, errors, c) = warned(&instance(&body));
        assert_eq!(c.instances.len(), 1);
        assert!(c.instances[0].vips.is_empty());
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].0, w[0].1), (1, 15), "{w:?}");
        assert!(w[0].2.contains("no virtual IP address"), "{w:?}");
        assert_eq!(errors, 1);
    }
    let e = loaded(&instance(&format!("{bare}    version 3\n")), false).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e}");
    assert!(e.errors[0].message.contains("at least one is required"), "{e}");
    let (w, errors, _) = warned(&instance(&format!("{bare}    no_virtual_ipaddress\n")));
    assert_eq!((w.len(), errors), (0, 0), "{w:?}");
    // keepalived 2.4 would run this v3 instance with Count 0; RFC 9568 §5.2.5 forbids it.
    let e = loaded(&instance(&format!("{bare}    version 3\n    no_virtual_ipaddress\n")), false).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e}");
    assert!(e.errors[0].message.contains("RFC 9568 §5.2.5"), "{e}");
    assert_eq!((e.errors[0].location.line, e.errors[0].location.column), (1, 15), "{e}");
}

/// vrrp_ipaddress.c 415 "VRRP parsed invalid IP %s. skipping IP...": the others stay.
#[test]
fn one_invalid_vip_is_skipped_and_the_others_kept() {
    let text = instance("    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        192.0.2.1/24\n        192.0.2.999\n        192.0.2.3 dev eth0\n    }\n");
    let (w, errors, c) = warned(&text);
    let got: Vec<String> = c.instances[0].vips.iter().map(|v| v.addr.to_string()).collect();
    assert_eq!(got, ["192.0.2.1", "192.0.2.3"]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!((w[0].0, w[0].1), (6, 9), "{w:?}");
    assert!(w[0].2.contains("`192.0.2.999`") && w[0].2.contains("skipped"), "{w:?}");
    assert_eq!(errors, 1);
}

/// A block keyword without its `{` (lib/parser.c: the block's lines are read as top-level
/// keywords, 3098 "Unknown keyword", and its `}` is 2868 "Extra '}' found"): the VRRP
/// part loads.
#[test]
fn a_broken_block_elsewhere_does_not_stop_the_vrrp_part() {
    let text = format!(
        "virtual_server 192.0.2.50 80\n    delay_loop 6\n    real_server 192.0.2.51 80 {{\n        weight 1\n    }}\n}}\n{}",
        with_base("    priority 120\n")
    );
    let (w, errors, c) = warned(&text);
    assert_eq!(c.instances.len(), 1);
    assert_eq!(c.instances[0].priority, 120);
    let at: Vec<(u32, u32)> = w.iter().map(|w| (w.0, w.1)).collect();
    assert_eq!(at, [(1, 1), (2, 5), (3, 5), (6, 1)], "{w:?}");
    assert!(w[0].2.contains("not implemented"), "{w:?}");
    assert!(w[1].2.contains("unknown top-level keyword `delay_loop`"), "{w:?}");
    assert!(w[3].2.contains("unexpected `}`"), "{w:?}");
    // virtual_server and real_server are keepalived keywords; delay_loop here and the `}` are not.
    assert_eq!(errors, 2);
}

/// vrrp.c 3100 and 3110-3121: nopreempt is cleared for the address owner and for an
/// instance that starts as MASTER, and so is a MASTER's preempt_delay.
#[test]
fn nopreempt_and_preempt_delay_are_cleared_where_keepalived_clears_them() {
    for body in ["    state MASTER\n    priority 150\n    nopreempt\n", "    priority 255\n    nopreempt\n"] {
        let (w, errors, c) = warned(&with_base(body));
        assert!(!c.instances[0].nopreempt, "{body}");
        assert_eq!((w.len(), errors), (1, 1), "{w:?}");
        assert_eq!((w[0].0, w[0].1), (1, 15), "{w:?}");
        assert!(w[0].2.contains("nopreempt does not work"), "{w:?}");
    }
    let (w, _, c) = warned(&with_base("    state MASTER\n    priority 150\n    preempt_delay 30\n"));
    assert_eq!(c.instances[0].preempt_delay_cs, 0);
    assert!(w[0].2.contains("preempt_delay does not work"), "{w:?}");
    let (w, _, c) = warned(&with_base("    state BACKUP\n    nopreempt\n    preempt_delay 30\n"));
    assert!(c.instances[0].nopreempt);
    assert_eq!(c.instances[0].preempt_delay_cs, 3000);
    assert!(w.is_empty(), "{w:?}");
}

/// global_parser.c `init_global_keywords`: its keywords are "not implemented" by name,
/// anything else in global_defs is unknown to keepalived too ("Unknown keyword").
#[test]
fn global_defs_keywords_are_not_implemented_by_name_and_typos_are_unknown() {
    let text = format!(
        "global_defs {{\n    vrrp_skip_check_adv_addr\n    vrrp_strict\n    lvs_id X\n    garp_master_delay 3\n}}\n{}",
        with_base("")
    );
    let (w, errors, _) = warned(&text);
    let got: Vec<(u32, bool)> = w.iter().map(|w| (w.0, w.2.contains("not implemented"))).collect();
    // `lvs_id` is the old name of router_id, gone from 2.2.7's parser: unknown there too.
    assert_eq!(got, [(2, true), (3, true), (4, false), (5, false)], "{w:?}");
    assert!(w[3].2.contains("unknown keyword `garp_master_delay` in global_defs"), "{w:?}");
    assert_eq!(errors, 2);
}
