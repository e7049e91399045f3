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
