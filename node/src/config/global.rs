//! `global_defs`: only the VRRP-relevant keywords are kept; the many others
//! (mail, LVS, scripts, SNMP...) each get a warning so nothing vanishes silently.

use super::diagnostic::Reporter;
use super::lexer::Token;
use super::model::{GlobalDefs, RunAs, Version};
use super::parser::Cursor;

/// Several `global_defs` blocks merge into `global`, as in keepalived.
pub(crate) fn parse_global<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, open: &'t Token, global: &mut GlobalDefs) {
    cur.block(rep, open, |cur, rep, stmt| {
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
                if let Some(tok) = stmt.arg_range(rep, "<user> [<group>]", 2) {
                    global.script_user = Some(RunAs {
                        user: tok.word().unwrap_or_default().to_string(),
                        group: stmt.args.get(1).and_then(|t| t.word()).map(str::to_string),
                        location: rep.loc(tok.pos),
                    });
                }
            }
            _ => {
                stmt.not_implemented(cur, rep);
                return;
            }
        }
        stmt.no_block(cur, rep);
    });
}
