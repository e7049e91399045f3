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
