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
            _ => {
                stmt.not_implemented(cur, rep);
                return;
            }
        }
        stmt.no_block(cur, rep);
    });
}

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
