//! Top level of keepalived.conf: routes each section to its parser and
//! accounts for every section vrrpd skips.

use super::diagnostic::Reporter;
use super::global::parse_global;
use super::instance::parse_instance;
use super::lexer::Token;
use super::parser::{Cursor, Item};
use super::process::parse_track_process;
use super::raw::RawDocument;
use super::sync_group::parse_sync_group;
use super::tracking::{parse_track_file, parse_vrrp_script};

/// keepalived top-level sections outside vrrpd's scope (LVS, scripts, BFD,
/// static addresses...). Named so the warning says "not implemented" rather
/// than "unknown", which would suggest a typo.
const NOT_IMPLEMENTED: &[&str] = &[
    "virtual_server",
    "virtual_server_group",
    "real_server",
    "track_process",
    "bfd_instance",
    "garp_group",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "static_track_group",
    "linkbeat_interfaces",
    "net_namespace",
    "net_namespace_ipvs",
    "instance",
    "use_pid_dir",
    "track_group",
    "interface_up_down_delays",
    "linkbeat_use_polling",
    "namespace_with_ipsets",
    "child_wait_time",
    "SSL",
];

pub(crate) fn parse_document(tokens: &[Token], rep: &mut Reporter) -> RawDocument {
    let mut doc = RawDocument::default();
    let mut cur = Cursor::new(tokens);
    let mut seq = 0usize;
    loop {
        seq += 1;
        let stmt = match cur.next_item(rep) {
            Item::Eof => return doc,
            // lib/parser.c 2868 (read_line): "Extra '}' found", and reading goes on. It is
            // what a block keyword without its `{` (e.g. `virtual_server ... ` alone on its
            // line) leaves behind: keepalived reads that block's lines as top-level keywords.
            Item::Close(tok) => {
                rep.recovered(tok.pos, "unexpected `}`: no block is open here; ignored, as keepalived does");
                continue;
            }
            Item::Stmt(stmt) => stmt,
        };
        match stmt.name {
            "global_defs" => {
                if stmt.needs_block(rep) {
                    stmt.no_args(rep);
                    if let Some(open) = stmt.block {
                        parse_global(&mut cur, rep, open, &mut doc);
                    }
                }
            }
            "vrrp_instance" => {
                if let Some(mut inst) = parse_instance(&mut cur, rep, &stmt) {
                    inst.seq = seq;
                    doc.instances.push(inst);
                }
            }
            "vrrp_script" => {
                if let Some(mut script) = parse_vrrp_script(&mut cur, rep, &stmt) {
                    script.seq = seq;
                    doc.scripts.push(script);
                }
            }
            "vrrp_track_file" | "track_file" => {
                if let Some(mut file) = parse_track_file(&mut cur, rep, &stmt) {
                    file.seq = seq;
                    doc.track_files.push(file);
                }
            }
            "vrrp_track_process" => {
                if let Some(mut process) = parse_track_process(&mut cur, rep, &stmt) {
                    process.seq = seq;
                    doc.track_processes.push(process);
                }
            }
            "vrrp_sync_group" => {
                if let Some(mut group) = parse_sync_group(&mut cur, rep, &stmt) {
                    group.seq = seq;
                    doc.sync_groups.push(group);
                }
            }
            name if NOT_IMPLEMENTED.contains(&name) => stmt.not_implemented(&mut cur, rep),
            name => stmt.ignore(&mut cur, rep, format!("unknown top-level keyword `{name}`, ignored")),
        }
    }
}
