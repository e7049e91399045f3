//! `vrrp_script` and `vrrp_track_file` blocks, the `track_*` blocks and `notify*` scripts
//! of a `vrrp_instance`, read as keepalived 2.2.7 reads them
//! (`keepalived/vrrp/vrrp_parser.c`, `keepalived/vrrp/vrrp_track.c`,
//! `keepalived/trackers/track_file.c`); `vrrp_track_process` blocks are in `process.rs`.

use std::collections::BTreeMap;

use super::diagnostic::{Reporter, SourceLocation};
use super::lexer::Token;
use super::model::{InitFile, Notify, RunAs, ScriptCmd};
use super::number::parse_uint;
use super::parser::{Cursor, Stmt};
use super::raw::{RawScript, RawTrack, RawTrackFile};
use super::script::{command, notify_command, script_line};

/// keepalived's `UINT_MAX / TIMER_HZ`: the largest `interval` and `timeout`, in seconds.
pub(crate) const MAX_SCRIPT_SECONDS: u64 = u32::MAX as u64 / 1_000_000;

/// `vrrp_script` `weight` (vrrp_parser.c `vrrp_vscript_weight_handler`).
const SCRIPT_WEIGHT: i64 = 253;
/// `track_file` weights, and per-entry weights before the ±254 → ±253 clamp.
const FILE_WEIGHT: i64 = 254;

/// A signed decimal integer (`-` allowed, no `+`, no spaces), like keepalived's `read_int`
/// on base 10 but without half-parsing `1O`.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    parse_uint(digits)?;
    s.parse().ok()
}

/// Warns when a keyword that sets one value is written again (the last one wins).
fn warn_repeat(rep: &mut Reporter, s: &Stmt<'_>, seen: &mut BTreeMap<String, SourceLocation>, block: &str) {
    match seen.get(s.name) {
        Some(first) => {
            rep.warn(s.key.pos, format!("`{}` set again in this {block} (first at {first}); the last one wins", s.name))
        }
        None => {
            seen.insert(s.name.to_string(), rep.loc(s.key.pos));
        }
    }
}

/// The name of `vrrp_script NAME {` or `vrrp_track_file NAME {`, and its block; `None`
/// (block skipped) when either is missing.
fn named_block<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, stmt: &Stmt<'t>) -> Option<(&'t Token, &'t Token)> {
    let name = stmt.arg_range(rep, "<name> {", 1);
    let Some(open) = stmt.block else {
        stmt.needs_block(rep);
        return None;
    };
    match name {
        Some(name) => Some((name, open)),
        None => {
            cur.skip_block(open, rep);
            None
        }
    }
}

/// `weight N [reverse]` inside a `vrrp_script` or `vrrp_track_file`: the weight (when
/// valid) and whether `reverse` was given.
fn block_weight(rep: &mut Reporter, s: &Stmt<'_>, max: i64) -> (Option<i32>, bool) {
    let Some(tok) = s.arg_range(rep, &format!("<{}..={max}> [reverse]", -max), 2) else {
        return (None, false);
    };
    let text = tok.word().unwrap_or_default();
    let weight = parse_int(text).filter(|w| (-max..=max).contains(w)).and_then(|w| i32::try_from(w).ok());
    if weight.is_none() {
        rep.error(tok.pos, format!("invalid `weight` value `{text}`: expected an integer in {}..={max}", -max));
    }
    let reverse = match s.args.get(1) {
        None => false,
        Some(t) if t.word() == Some("reverse") => true,
        Some(t) => {
            rep.error(t.pos, format!("unknown weight option `{}`: expected `reverse`", t.word().unwrap_or_default()));
            false
        }
    };
    (weight, reverse)
}

/// `interval` or `timeout` of a `vrrp_script`: whole seconds in 1..=4294; 0 becomes 1
/// with a warning, as keepalived does (vrrp_parser.c `vrrp_vscript_interval_handler`).
fn script_seconds(rep: &mut Reporter, s: &Stmt<'_>) -> Option<u64> {
    let tok = s.one_arg(rep, &format!("<1..={MAX_SCRIPT_SECONDS}>"))?;
    let text = tok.word().unwrap_or_default();
    match parse_uint(text).filter(|&v| v <= MAX_SCRIPT_SECONDS) {
        Some(0) => {
            rep.warn(tok.pos, format!("`{}` 0 is not allowed: using 1 second, as keepalived does", s.name));
            Some(1)
        }
        Some(v) => Some(v),
        None => {
            rep.error(
                tok.pos,
                format!(
                    "invalid `{}` value `{text}`: expected a whole number of seconds in 1..={MAX_SCRIPT_SECONDS}",
                    s.name
                ),
            );
            None
        }
    }
}

/// `user USER [GROUP]` of a `vrrp_script`, or `script_user` in `global_defs`.
pub(crate) fn user_group(rep: &mut Reporter, s: &Stmt<'_>) -> Option<RunAs> {
    let tok = s.arg_range(rep, "<user> [<group>]", 2)?;
    Some(RunAs {
        user: tok.word().unwrap_or_default().to_string(),
        group: s.args.get(1).and_then(|t| t.word()).map(str::to_string),
        location: rep.loc(tok.pos),
    })
}

/// `vrrp_script NAME { ... }`; `None` when it has no name or no block.
pub(crate) fn parse_vrrp_script<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, stmt: &Stmt<'t>) -> Option<RawScript> {
    let (name, open) = named_block(cur, rep, stmt)?;
    let mut sc = RawScript {
        seq: 0,
        name: name.word().unwrap_or_default().to_string(),
        loc: rep.loc(name.pos),
        cmd: None,
        interval_s: 1,
        timeout_s: None,
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        init_fail: false,
    };
    let mut script_written = false;
    let mut seen = BTreeMap::new();
    let closed = cur.block(rep, open, |cur, rep, s| {
        match s.name {
            "script" => {
                warn_repeat(rep, &s, &mut seen, "vrrp_script");
                script_written = true;
                let words = script_line(rep, s.key);
                if let Some(words) = words {
                    if let Some(extra) = words.get(2) {
                        rep.warn(
                            super::source::Pos { column: extra.column, ..s.key.pos },
                            "extra argument after `script` ignored: quote the whole command, as in `script \"/path/check arg\"`",
                        );
                    }
                    sc.cmd = command(rep, s.key, &words, None);
                }
            }
            "interval" | "timeout" => {
                warn_repeat(rep, &s, &mut seen, "vrrp_script");
                if let Some(v) = script_seconds(rep, &s) {
                    if s.name == "interval" {
                        sc.interval_s = v;
                    } else {
                        sc.timeout_s = Some(v);
                    }
                }
            }
            "weight" => {
                warn_repeat(rep, &s, &mut seen, "vrrp_script");
                let (weight, reverse) = block_weight(rep, &s, SCRIPT_WEIGHT);
                if let Some(w) = weight {
                    sc.weight = w;
                }
                sc.reverse = reverse;
            }
            "rise" | "fall" => {
                warn_repeat(rep, &s, &mut seen, "vrrp_script");
                if let Some((v, _)) = s.uint(rep, 1..=u64::from(i32::MAX.unsigned_abs())) {
                    let v = u32::try_from(v).unwrap_or(1);
                    if s.name == "rise" {
                        sc.rise = v;
                    } else {
                        sc.fall = v;
                    }
                }
            }
            "user" => {
                warn_repeat(rep, &s, &mut seen, "vrrp_script");
                sc.user = user_group(rep, &s);
            }
            "init_fail" => {
                s.no_args(rep);
                sc.init_fail = true;
            }
            name => {
                s.ignore(cur, rep, format!("unknown keyword `{name}` in vrrp_script, ignored"));
                return;
            }
        }
        s.no_block(cur, rep);
    });
    if closed && !script_written {
        rep.error(
            stmt.key.pos,
            format!("vrrp_script `{}` has no script: expected `script \"<command>\"` (keepalived removes it)", sc.name),
        );
    }
    if let Some(cmd) = &mut sc.cmd {
        cmd.user = sc.user.clone();
    }
    Some(sc)
}

/// `vrrp_track_file NAME { ... }` (or keepalived's newer name, `track_file`).
pub(crate) fn parse_track_file<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, stmt: &Stmt<'t>) -> Option<RawTrackFile> {
    let (name, open) = named_block(cur, rep, stmt)?;
    let mut tf = RawTrackFile {
        seq: 0,
        name: name.word().unwrap_or_default().to_string(),
        loc: rep.loc(name.pos),
        path: None,
        weight: 1,
        reverse: false,
        init_file: None,
    };
    let mut seen = BTreeMap::new();
    let closed = cur.block(rep, open, |cur, rep, s| {
        match s.name {
            "file" => {
                warn_repeat(rep, &s, &mut seen, "track file");
                if let Some(tok) = s.one_arg(rep, "<path>") {
                    tf.path = tok.word().map(Into::into);
                }
            }
            "weight" => {
                warn_repeat(rep, &s, &mut seen, "track file");
                let (weight, reverse) = block_weight(rep, &s, FILE_WEIGHT);
                if let Some(w) = weight {
                    tf.weight = w;
                }
                tf.reverse = reverse;
            }
            "init_file" => {
                warn_repeat(rep, &s, &mut seen, "track file");
                tf.init_file = Some(init_file(rep, &s));
            }
            name => {
                s.ignore(cur, rep, format!("unknown keyword `{name}` in {}, ignored", stmt.name));
                return;
            }
        }
        s.no_block(cur, rep);
    });
    if closed && tf.path.is_none() {
        rep.error(
            stmt.key.pos,
            format!("{} `{}` has no file: expected `file <path>` (keepalived ignores it)", stmt.name, tf.name),
        );
    }
    Some(tf)
}

/// `init_file [VALUE] [overwrite]` (track_file.c `track_file_init_handler`): words in any
/// order; a number is the value (keepalived calls values outside -254..=254 not sensible).
fn init_file(rep: &mut Reporter, s: &Stmt<'_>) -> InitFile {
    let mut init = InitFile { value: 0, overwrite: false };
    for tok in &s.args {
        let word = tok.word().unwrap_or_default();
        if word == "overwrite" {
            init.overwrite = true;
        } else if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            match parse_int(word).filter(|v| i32::try_from(*v).is_ok()) {
                Some(v) if (-FILE_WEIGHT..=FILE_WEIGHT).contains(&v) => init.value = v,
                Some(v) => {
                    rep.error(
                        tok.pos,
                        format!("`init_file` value {v} is outside keepalived's sensible range -254..=254"),
                    );
                    init.value = v;
                }
                None => rep.error(tok.pos, format!("invalid `init_file` value `{word}`: expected an integer")),
            }
        } else {
            rep.error(tok.pos, format!("unknown `init_file` option `{word}`: expected a number or `overwrite`"));
        }
    }
    init
}

/// What a `track_*` block tracks; the per-entry rules differ slightly (vrrp_track.c
/// `alloc_track_script`, `alloc_track_if`; track_file.c `vrrp_alloc_track_file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackKind {
    Script,
    Interface,
    File,
    /// vrrp_track.c `alloc_track_process`: -254..=254, no clamp to 253.
    Process,
}

impl TrackKind {
    fn block(self) -> &'static str {
        match self {
            TrackKind::Script => "track_script",
            TrackKind::Interface => "track_interface",
            TrackKind::File => "track_file",
            TrackKind::Process => "track_process",
        }
    }
}

/// A `track_script`, `track_interface` or `track_file` block: one `NAME [weight N
/// [reverse]]` per line. Entries with an invalid option are reported and dropped.
pub(crate) fn parse_track_block<'t>(
    cur: &mut Cursor<'t>,
    rep: &mut Reporter,
    stmt: &Stmt<'t>,
    kind: TrackKind,
    out: &mut Vec<RawTrack>,
) {
    let Some(open) = stmt.block else {
        stmt.needs_block(rep);
        return;
    };
    stmt.no_args(rep);
    cur.block(rep, open, |cur, rep, s| {
        s.no_block(cur, rep);
        if let Some(t) = track_entry(rep, &s, kind) {
            out.push(t);
        }
    });
}

fn track_entry(rep: &mut Reporter, s: &Stmt<'_>, kind: TrackKind) -> Option<RawTrack> {
    let mut t = RawTrack { name: s.name.to_string(), loc: rep.loc(s.key.pos), weight: None, reverse: None };
    let Some(opt) = s.args.first() else { return Some(t) };
    let block = kind.block();
    if opt.word() != Some("weight") {
        rep.error(
            opt.pos,
            format!("unknown {block} option `{}`: expected `weight <N>`", opt.word().unwrap_or_default()),
        );
        return None;
    }
    let Some(value) = s.args.get(1) else {
        rep.error(opt.pos, format!("`weight` without a value for {block} `{}`: expected `weight <N>`", t.name));
        return None;
    };
    let text = value.word().unwrap_or_default();
    let range = -FILE_WEIGHT..=FILE_WEIGHT;
    let mut weight = parse_int(text).filter(|w| range.contains(w)).and_then(|w| i32::try_from(w).ok());
    let Some(w) = weight else {
        let max = if matches!(kind, TrackKind::File | TrackKind::Process) { FILE_WEIGHT } else { SCRIPT_WEIGHT };
        rep.error(value.pos, format!("invalid {block} weight `{text}`: expected an integer in {}..={max}", -max));
        return None;
    };
    if matches!(kind, TrackKind::Script | TrackKind::Interface) && i64::from(w).abs() == FILE_WEIGHT {
        let clamped = w.signum() * 253;
        rep.warn(value.pos, format!("weight {w} is not allowed: using {clamped}, as keepalived does"));
        weight = Some(clamped);
    }
    t.weight = weight;
    if let Some(opt) = s.args.get(2) {
        match opt.word() {
            Some("reverse") => t.reverse = Some(true),
            Some("noreverse") if kind != TrackKind::Interface => t.reverse = Some(false),
            other => {
                let expected = if kind == TrackKind::Interface { "`reverse`" } else { "`reverse` or `noreverse`" };
                rep.error(
                    opt.pos,
                    format!("unknown {block} weight option `{}`: expected {expected}", other.unwrap_or_default()),
                );
                return None;
            }
        }
    }
    if let Some(extra) = s.args.get(3) {
        rep.warn(extra.pos, format!("extra argument in {block} entry `{}` ignored", t.name));
    }
    Some(t)
}

/// The instance keywords that set a notify script, and the slot each fills.
pub(crate) fn notify_slot<'n>(notify: &'n mut Notify, keyword: &str) -> Option<&'n mut Option<ScriptCmd>> {
    Some(match keyword {
        "notify_master" => &mut notify.master,
        "notify_backup" => &mut notify.backup,
        "notify_fault" => &mut notify.fault,
        "notify_stop" => &mut notify.stop,
        "notify" => &mut notify.any,
        "notify_master_rx_lower_pri" => &mut notify.master_rx_lower_pri,
        _ => return None,
    })
}

/// `notify_* SCRIPT [username [groupname]]` into `slot`. keepalived keeps the first one
/// and reports the second ("notify_master script already specified - ignoring"), which
/// makes `keepalived -t` fail: an error here too.
pub(crate) fn parse_notify(rep: &mut Reporter, s: &Stmt<'_>, slot: &mut Option<ScriptCmd>) {
    if let Some(first) = slot {
        let first = first.location.clone();
        rep.error(
            s.key.pos,
            format!("`{}` is already set (at {first}): keepalived keeps the first and ignores this one; expected one `{}` per vrrp_instance", s.name, s.name),
        );
        return;
    }
    *slot = notify_command(rep, s.key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_integers() {
        assert_eq!(parse_int("-20"), Some(-20));
        assert_eq!(parse_int("253"), Some(253));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("+1"), None);
        assert_eq!(parse_int("--1"), None);
        assert_eq!(parse_int("1O"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }
}
