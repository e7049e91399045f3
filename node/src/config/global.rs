//! `global_defs`: only the VRRP-relevant keywords are kept; the many others
//! (mail, LVS, scripts, SNMP...) each get a warning so nothing vanishes silently.

use super::diagnostic::Reporter;
use super::lexer::Token;
use super::model::{RunAs, Version};
use super::parser::{Cursor, Stmt};
use super::raw::{RawDocument, RawFifo, Spanned};
use super::script::notify_command;
use super::tracking::user_group;

/// Several `global_defs` blocks merge into `doc.global`, as in keepalived.
pub(crate) fn parse_global<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, open: &'t Token, doc: &mut RawDocument) {
    cur.block(rep, open, |cur, rep, stmt| {
        let global = &mut doc.global;
        match stmt.name {
            "router_id" => {
                if let Some(tok) = stmt.one_arg(rep, "<name>") {
                    global.router_id = tok.word().map(str::to_string);
                }
            }
            "vrrp_version" => {
                if let Some((v, _)) = stmt.uint(rep, 2..=3) {
                    global.vrrp_version = u8::try_from(v).ok().and_then(Version::from_number);
                }
            }
            "vrrp_garp_master_delay" => {
                if let Some(v) = stmt.u32(rep) {
                    global.garp_master_delay_s = Some(v);
                }
            }
            "vrrp_garp_master_repeat" => {
                if let Some(v) = stmt.u32(rep) {
                    global.garp_master_repeat = Some(v);
                }
            }
            "vrrp_garp_master_refresh" => {
                if let Some(v) = stmt.u32(rep) {
                    global.garp_master_refresh_s = Some(v);
                }
            }
            "enable_script_security" => {
                stmt.no_args(rep);
                global.enable_script_security = true;
            }
            "script_user" => {
                if let Some(user) = user_group(rep, &stmt) {
                    global.script_user = Some(user);
                }
            }
            // global_parser.c 1302 `vrrp_strict_handler`: the default of each instance's
            // `strict_mode` (vrrp.c 2860). vrrpd acts on it for the version only.
            "vrrp_strict" => {
                stmt.no_args(rep);
                global.vrrp_strict = true;
                rep.warn(
                    stmt.key.pos,
                    "`vrrp_strict`: vrrpd follows it in running `version 2` with IPv6 addresses as VRRPv3, as keepalived does; its other checks are not implemented",
                );
            }
            // global_parser.c `vrrp_check_unicast_src_handler`: keepalived then drops unicast
            // adverts from unlisted senders; vrrpd always does (README "Unicast peers").
            "vrrp_check_unicast_src" => stmt.no_args(rep),
            "vrrp_no_swap" => {
                stmt.no_args(rep);
                global.no_swap = true;
            }
            "vrrp_rt_priority" => global.rt_priority = rt_priority(rep, &stmt).or(global.rt_priority),
            "vrrp_priority" => global.process_priority = nice(rep, &stmt).or(global.process_priority),
            "notify_fifo" => fifo_path(rep, &stmt, &mut doc.notify_fifo),
            "vrrp_notify_fifo" => fifo_path(rep, &stmt, &mut doc.vrrp_notify_fifo),
            "notify_fifo_script" => fifo_script(rep, &stmt, &mut doc.notify_fifo),
            "vrrp_notify_fifo_script" => fifo_script(rep, &stmt, &mut doc.vrrp_notify_fifo),
            name if NOT_IMPLEMENTED.contains(&name) => {
                stmt.not_implemented(cur, rep);
                return;
            }
            name => {
                stmt.ignore(cur, rep, format!("unknown keyword `{name}` in global_defs, ignored"));
                return;
            }
        }
        stmt.no_block(cur, rep);
    });
}

/// Every other keyword keepalived 2.2.7 and 2.4.3 install under `global_defs`
/// (global_parser.c `init_global_keywords`): vrrpd does not act on them, and says so by
/// name; anything else is a keyword keepalived does not know either.
const NOT_IMPLEMENTED: &[&str] = &[
    "bfd_cpu_affinity",
    "bfd_no_swap",
    "bfd_priority",
    "bfd_process_name",
    "bfd_rlimit_rtime",
    "bfd_rlimit_rttime",
    "bfd_rt_priority",
    "checker_cpu_affinity",
    "checker_log_all_failures",
    "checker_no_swap",
    "checker_priority",
    "checker_process_name",
    "checker_rlimit_rtime",
    "checker_rlimit_rttime",
    "checker_rt_priority",
    "config_save_dir",
    "data_use_instance",
    "dbus_no_interface_name",
    "dbus_service_name",
    "default_interface",
    "disable_local_igmp",
    "dynamic_interfaces",
    "enable_dbus",
    "enable_snmp_checker",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_snmp_vrrp",
    "enable_traps",
    "fifo_write_vrrp_states_on_reload",
    "include_check",
    "iproute_etc_dir",
    "iproute_usr_dir",
    "json_dump_file",
    "json_version",
    "log_unknown_vrids",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "lvs_process_name",
    "lvs_sync_daemon",
    "lvs_timeouts",
    "max_auto_priority",
    "min_auto_priority_delay",
    "nftables",
    "nftables_counters",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_priority",
    "no_checker_emails",
    "no_email_faults",
    "notification_email",
    "notification_email_from",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "process_name",
    "process_names",
    "random_seed",
    "reload_check_config",
    "reload_file",
    "reload_repeat",
    "reload_time_file",
    "rs_init_notifies",
    "shutdown_script",
    "shutdown_script_timeout",
    "smtp_alert",
    "smtp_alert_checker",
    "smtp_alert_vrrp",
    "smtp_connect_timeout",
    "smtp_helo_name",
    "smtp_server",
    "snmp_rs_stats_update_interval",
    "snmp_socket",
    "snmp_vs_stats_update_interval",
    "startup_script",
    "startup_script_timeout",
    "state_dump_file",
    "stats_dump_file",
    "tmp_config_directory",
    "umask",
    "use_symlink_paths",
    "v3_checksum_as_v2",
    "vmac_addr_prefix",
    "vmac_prefix",
    "vrrp_cpu_affinity",
    "vrrp_delay_after_boot",
    "vrrp_down_timer_adverts",
    "vrrp_garp_extra_if",
    "vrrp_garp_interval",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_gna_interval",
    "vrrp_higher_prio_send_advert",
    "vrrp_ipsets",
    "vrrp_iptables",
    "vrrp_lower_prio_no_advert",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_min_garp",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "vrrp_notify_priority_changes",
    "vrrp_owner_ignore_adverts",
    "vrrp_process_name",
    "vrrp_rlimit_rtime",
    "vrrp_rlimit_rttime",
    "vrrp_rx_bufs_multiplier",
    "vrrp_rx_bufs_policy",
    "vrrp_skip_check_adv_addr",
    "vrrp_startup_delay",
    "vrrp_vmac_garp_intvl",
];

/// `vrrp_rt_priority N` (global_parser.c `get_realtime_priority`): an integer, clamped to
/// SCHED_RR's 1..=99 with a warning, as keepalived clamps it.
fn rt_priority(rep: &mut Reporter, stmt: &Stmt<'_>) -> Option<u8> {
    let tok = stmt.one_arg(rep, "<1..=99>")?;
    let text = tok.word().unwrap_or_default();
    let Ok(v) = text.parse::<i64>() else {
        rep.error(tok.pos, format!("invalid `{}` value `{text}`: expected an integer in 1..=99", stmt.name));
        return None;
    };
    let clamped = v.clamp(1, 99);
    if clamped != v {
        rep.warn(tok.pos, format!("`{}` {v} is outside 1..=99: set to {clamped}, as keepalived does", stmt.name));
    }
    u8::try_from(clamped).ok()
}

/// `vrrp_priority N` (global_parser.c `get_priority`): a nice value in -20..=19.
fn nice(rep: &mut Reporter, stmt: &Stmt<'_>) -> Option<i8> {
    let tok = stmt.one_arg(rep, "<-20..=19>")?;
    let text = tok.word().unwrap_or_default();
    match text.parse::<i8>().ok().filter(|v| (-20..=19).contains(v)) {
        Some(v) => Some(v),
        None => {
            rep.error(tok.pos, format!("invalid `{}` value `{text}`: expected an integer in -20..=19", stmt.name));
            None
        }
    }
}

/// `notify_fifo PATH [username [groupname]]` (global_parser.c `notify_fifo`). keepalived
/// keeps the first and reports a second one ("notify_fifo already specified - ignoring").
fn fifo_path(rep: &mut Reporter, stmt: &Stmt<'_>, fifo: &mut RawFifo) {
    if let Some(first) = &fifo.path {
        let first = first.loc.clone();
        rep.error(
            stmt.key.pos,
            format!("`{}` is already set (at {first}): keepalived keeps the first and ignores this one", stmt.name),
        );
        return;
    }
    let Some(path) = stmt.arg_range(rep, "<path> [<user> [<group>]]", 3) else { return };
    fifo.user = stmt.args.get(1).map(|user| RunAs {
        user: user.word().unwrap_or_default().to_string(),
        group: stmt.args.get(2).and_then(|g| g.word()).map(str::to_string),
        location: rep.loc(user.pos),
    });
    fifo.path = Some(Spanned { value: path.word().unwrap_or_default().into(), loc: rep.loc(path.pos) });
}

/// `notify_fifo_script SCRIPT [username [groupname]]` (global_parser.c `notify_fifo_script`).
fn fifo_script(rep: &mut Reporter, stmt: &Stmt<'_>, fifo: &mut RawFifo) {
    if let Some(first) = &fifo.script {
        let first = first.location.clone();
        rep.error(
            stmt.key.pos,
            format!("`{}` is already set (at {first}): keepalived keeps the first and ignores this one", stmt.name),
        );
        return;
    }
    fifo.script = notify_command(rep, stmt.key);
}

#[cfg(test)]
mod process_tests {
    use super::super::tests::{errors, ok, warnings};

    /// keepalived's `vrrp_no_swap`, `vrrp_rt_priority` and `vrrp_priority` (global_parser.c
    /// `vrrp_no_swap_handler`, `vrrp_rt_priority_handler`, `vrrp_prio_handler`).
    #[test]
    fn keepalived_process_knobs_are_read() {
        let c = ok("global_defs {\n    vrrp_no_swap\n    vrrp_rt_priority 50\n    vrrp_priority -15\n}\n");
        assert!(c.global.no_swap);
        assert_eq!(c.global.rt_priority, Some(50));
        assert_eq!(c.global.process_priority, Some(-15));
        let d = ok("global_defs {\n    router_id x\n}\n");
        assert!(!d.global.no_swap);
        assert_eq!((d.global.rt_priority, d.global.process_priority), (None, None));
    }

    /// get_realtime_priority clamps to sched_get_priority_min/max(SCHED_RR) with a message.
    #[test]
    fn keepalived_rt_priority_out_of_range_is_clamped_with_a_warning() {
        let text = "global_defs {\n    vrrp_rt_priority 150\n}\n";
        assert_eq!(ok(text).global.rt_priority, Some(99));
        let w = warnings(text);
        assert_eq!((w[0].0, w[0].1), (2, 22), "{w:?}");
        assert!(w[0].2.contains("set to 99"), "{w:?}");
        assert_eq!(ok("global_defs {\n    vrrp_rt_priority 0\n}\n").global.rt_priority, Some(1));
    }

    /// get_priority: -20..=19, anything else is a configuration error.
    #[test]
    fn keepalived_priority_outside_nice_range_is_an_error_at_its_position() {
        let e = errors("global_defs {\n    vrrp_priority -21\n}\n");
        assert_eq!((e[0].0, e[0].1), (2, 19), "{e:?}");
        assert!(e[0].2.contains("-20..=19"), "{e:?}");
        let e = errors("global_defs {\n    vrrp_rt_priority high\n}\n");
        assert_eq!((e[0].0, e[0].1), (2, 22), "{e:?}");
    }
}
