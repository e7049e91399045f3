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

/// C `strtol(text, NULL, 10)` cast to `int`, as keepalived's `read_int_func` leaves it in
/// its result even when it reports the number (lib/parser.c 431): an optional sign and
/// the leading digits, 0 without any; limited here to ±`i32::MAX` (keepalived's `int`
/// cast of a larger `long` is not a number anyone writes on purpose).
fn strtol_int(text: &str) -> i32 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let magnitude = digits.parse::<u64>().map_or(if digits.is_empty() { 0 } else { u64::MAX }, |v| v);
    let magnitude = i32::try_from(magnitude.min(i32::MAX.unsigned_abs().into())).unwrap_or(i32::MAX);
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// `weight N [reverse]` inside a `vrrp_script` (vrrp_parser.c 1546
/// `vrrp_vscript_weight_handler`): a number outside -253..=253, or not a number, is
/// reported and yet used as C's `strtol` reads it; an unknown option after it is reported
/// and ignored. The priority it leads to is limited to 1..=254 in any case
/// (`vrrp_set_effective_priority`).
fn script_weight(rep: &mut Reporter, s: &Stmt<'_>, sc: &mut RawScript) {
    let Some(tok) = s.arg_range(rep, &format!("<{}..={SCRIPT_WEIGHT}> [reverse]", -SCRIPT_WEIGHT), 2) else {
        return;
    };
    let text = tok.word().unwrap_or_default();
    sc.weight = match parse_int(text).filter(|w| (-SCRIPT_WEIGHT..=SCRIPT_WEIGHT).contains(w)) {
        Some(w) => i32::try_from(w).unwrap_or(0),
        None => {
            let used = strtol_int(text);
            rep.recovered(
                tok.pos,
                format!("vrrp_script `{}` weight `{text}` is outside -253..=253: keepalived reports it and uses {used} anyway, and so does vrrpd (the priority stays within 1..=254)", sc.name),
            );
            used
        }
    };
    match s.args.get(1) {
        None => sc.reverse = false,
        Some(t) if t.word() == Some("reverse") => sc.reverse = true,
        Some(t) => rep.recovered(
            t.pos,
            format!(
                "unknown weight option `{}` (expected `reverse`): ignored, as keepalived does",
                t.word().unwrap_or_default()
            ),
        ),
    }
}

/// `weight N [reverse]` inside a `track_file` (track_file.c 234
/// `track_file_weight_handler`): only the first weight other than the default 1 counts
/// ("Weight already set ... - ignoring"); outside -254..=254 is reported and the weight
/// is 1; an unknown option is reported and ignored.
fn file_weight(rep: &mut Reporter, s: &Stmt<'_>, tf: &mut RawTrackFile) {
    let Some(tok) = s.arg_range(rep, &format!("<{}..={FILE_WEIGHT}> [reverse]", -FILE_WEIGHT), 2) else {
        return;
    };
    let text = tok.word().unwrap_or_default();
    if tf.weight != 1 {
        rep.recovered(
            tok.pos,
            format!("weight already set for track file `{}` ({}): this `{text}` is ignored, as keepalived does (the first one counts)", tf.name, tf.weight),
        );
        return;
    }
    tf.weight = match parse_int(text).filter(|w| (-FILE_WEIGHT..=FILE_WEIGHT).contains(w)) {
        Some(w) => i32::try_from(w).unwrap_or(1),
        None => {
            rep.recovered(
                tok.pos,
                format!(
                    "track file `{}` weight `{text}` is outside -254..=254: using the default 1, as keepalived does",
                    tf.name
                ),
            );
            1
        }
    };
    match s.args.get(1) {
        None => {}
        Some(t) if t.word() == Some("reverse") => tf.reverse = true,
        Some(t) => rep.recovered(
            t.pos,
            format!(
                "unknown weight option `{}` (expected `reverse`): ignored, as keepalived does",
                t.word().unwrap_or_default()
            ),
        ),
    }
}

/// `interval` or `timeout` of a `vrrp_script`: whole seconds in 1..=4294; 0 becomes 1
/// with a warning, as keepalived does; anything else is reported and the line ignored
/// (vrrp_parser.c 1506 `vrrp_vscript_interval_handler`, 1526 `_timeout_handler`: "-
/// ignoring").
fn script_seconds(rep: &mut Reporter, s: &Stmt<'_>) -> Option<u64> {
    let tok = s.one_arg(rep, &format!("<1..={MAX_SCRIPT_SECONDS}>"))?;
    let text = tok.word().unwrap_or_default();
    match parse_uint(text).filter(|&v| v <= MAX_SCRIPT_SECONDS) {
        // "must be greater than 0, setting to 1", a configuration error to keepalived -t.
        Some(0) => {
            rep.recovered(tok.pos, format!("`{}` 0 is not allowed: using 1 second, as keepalived does", s.name));
            Some(1)
        }
        Some(v) => Some(v),
        None => {
            let kept = if s.name == "interval" { "the default 1 s stays" } else { "the timeout stays the interval" };
            rep.recovered(
                tok.pos,
                format!(
                    "invalid `{}` value `{text}` (expected a whole number of seconds in 1..={MAX_SCRIPT_SECONDS}): ignored, as keepalived does; {kept}",
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
                script_weight(rep, &s, &mut sc);
            }
            // vrrp_parser.c 1565 `vrrp_vscript_rise_handler` / `_fall_handler`: "value
            // '%s' invalid, defaulting to 1".
            "rise" | "fall" => {
                warn_repeat(rep, &s, &mut seen, "vrrp_script");
                if let Some(tok) = s.one_arg(rep, "<1..=2147483647>") {
                    let text = tok.word().unwrap_or_default();
                    let v = match parse_uint(text).filter(|v| (1..=u64::from(i32::MAX.unsigned_abs())).contains(v)) {
                        Some(v) => u32::try_from(v).unwrap_or(1),
                        None => {
                            rep.recovered(
                                tok.pos,
                                format!("invalid `{}` value `{text}` (expected an integer in 1..=2147483647): using 1, as keepalived does", s.name),
                            );
                            1
                        }
                    };
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
    // vrrp_parser.c 1609 `vrrp_vscript_end_handler`: "No script set for vrrp_script %s -
    // removing": entries naming it track nothing.
    if closed && !script_written {
        rep.recovered(
            stmt.key.pos,
            format!("vrrp_script `{}` has no script: keepalived removes it, and so does vrrpd; expected `script \"<command>\"`", sc.name),
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
            // track_file.c 214 `track_file_file_handler`: "File already set for track
            // file %s - ignoring %s": the first one counts.
            "file" => {
                if let Some(tok) = s.one_arg(rep, "<path>") {
                    match &tf.path {
                        Some(first) => rep.recovered(
                            tok.pos,
                            format!("file already set for track file `{}` (`{}`): this one is ignored, as keepalived does (the first one counts)", tf.name, first.display()),
                        ),
                        None => tf.path = tok.word().map(Into::into),
                    }
                }
            }
            "weight" => file_weight(rep, &s, &mut tf),
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
    // track_file.c 322 `track_file_end_handler`: "No file set for track_file %s -
    // ignoring": the block is dropped, and entries naming it track nothing.
    if closed && tf.path.is_none() {
        rep.recovered(
            stmt.key.pos,
            format!(
                "{} `{}` has no file: keepalived ignores the block, and so does vrrpd; expected `file <path>`",
                stmt.name, tf.name
            ),
        );
    }
    Some(tf)
}

/// `init_file [VALUE] [overwrite]` (track_file.c 272 `track_file_init_handler`): words in
/// any order; a number is the value. keepalived reports, and goes on with: a value
/// outside -254..=254 ("outside sensible range", kept), one that is not an integer
/// ("invalid", 0), and an unknown word (ignored).
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
                    rep.recovered(
                        tok.pos,
                        format!("`init_file` value {v} is outside keepalived's sensible range -254..=254: used anyway, as keepalived does"),
                    );
                    init.value = v;
                }
                None => {
                    rep.recovered(
                        tok.pos,
                        format!(
                            "invalid `init_file` value `{word}` (expected an integer): using 0, as keepalived does"
                        ),
                    );
                    init.value = 0;
                }
            }
        } else {
            rep.recovered(
                tok.pos,
                format!("unknown `init_file` option `{word}` (expected a number or `overwrite`): ignored, as keepalived does"),
            );
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

/// One entry, as vrrp_track.c 86/201/320 (`alloc_track_if`, `alloc_track_script`,
/// `alloc_track_process`) and track_file.c 114 (`vrrp_alloc_track_file`) read it:
/// an option other than `weight`, or `weight` without a value, drops the entry ("-
/// ignoring": the instance does not track it); a weight outside -254..=254 is reported
/// and the default used (the script's, file's or process's own; 0 for an interface);
/// ±254 becomes ±253 for scripts and interfaces; an unknown word after the weight is
/// reported and ignored, except for a file, whose entry is then dropped.
fn track_entry(rep: &mut Reporter, s: &Stmt<'_>, kind: TrackKind) -> Option<RawTrack> {
    let mut t = RawTrack { name: s.name.to_string(), loc: rep.loc(s.key.pos), weight: None, reverse: None };
    let Some(opt) = s.args.first() else { return Some(t) };
    let block = kind.block();
    if opt.word() != Some("weight") {
        rep.untracked_at(
            rep.loc(opt.pos),
            format!("unknown {block} option `{}` (expected `weight <N>`): keepalived ignores the entry, and so does vrrpd: this instance does not track `{}`", opt.word().unwrap_or_default(), t.name),
        );
        return None;
    }
    let Some(value) = s.args.get(1) else {
        rep.untracked_at(
            rep.loc(opt.pos),
            format!("`weight` without a value for {block} `{}` (expected `weight <N>`): keepalived ignores the entry, and so does vrrpd: this instance does not track it", t.name),
        );
        return None;
    };
    let text = value.word().unwrap_or_default();
    let range = -FILE_WEIGHT..=FILE_WEIGHT;
    let max = if matches!(kind, TrackKind::File | TrackKind::Process) { FILE_WEIGHT } else { SCRIPT_WEIGHT };
    match parse_int(text).filter(|w| range.contains(w)).and_then(|w| i32::try_from(w).ok()) {
        None => {
            let default = match kind {
                TrackKind::Interface => "0",
                TrackKind::Script => "the vrrp_script's own",
                TrackKind::File => "the track file's own",
                TrackKind::Process => "the vrrp_track_process's own",
            };
            rep.recovered(
                value.pos,
                format!(
                    "{block} `{}` weight `{text}` is outside {}..={max}: using {default} weight, as keepalived does",
                    t.name, -max
                ),
            );
        }
        Some(w) if matches!(kind, TrackKind::Script | TrackKind::Interface) && i64::from(w).abs() == FILE_WEIGHT => {
            let clamped = w.signum() * 253;
            rep.recovered(value.pos, format!("weight {w} is not allowed: using {clamped}, as keepalived does"));
            t.weight = Some(clamped);
        }
        Some(w) => t.weight = Some(w),
    }
    if let Some(opt) = s.args.get(2) {
        match opt.word() {
            Some("reverse") => t.reverse = Some(true),
            Some("noreverse") if kind != TrackKind::Interface => t.reverse = Some(false),
            other if kind == TrackKind::File => {
                rep.untracked_at(
                    rep.loc(opt.pos),
                    format!("unknown {block} weight option `{}` (expected `reverse` or `noreverse`): keepalived ignores the entry, and so does vrrpd: this instance does not track `{}`", other.unwrap_or_default(), t.name),
                );
                return None;
            }
            other => {
                let expected = if kind == TrackKind::Interface { "`reverse`" } else { "`reverse` or `noreverse`" };
                rep.recovered(
                    opt.pos,
                    format!(
                        "unknown {block} weight option `{}` (expected {expected}): ignored, as keepalived does",
                        other.unwrap_or_default()
                    ),
                );
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
/// and reports the second (vrrp_parser.c 1107-1177: "notify_master script already
/// specified - ignoring"), and so does vrrpd.
pub(crate) fn parse_notify(rep: &mut Reporter, s: &Stmt<'_>, slot: &mut Option<ScriptCmd>) {
    if let Some(first) = slot {
        let first = first.location.clone();
        rep.recovered(
            s.key.pos,
            format!("`{}` is already set (at {first}): keepalived keeps the first and ignores this one, and so does vrrpd; expected one `{}` per vrrp_instance", s.name, s.name),
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

    #[test]
    fn strtol_reads_the_leading_number_as_keepalived_s_weight_does() {
        assert_eq!(strtol_int("300"), 300);
        assert_eq!(strtol_int("-300"), -300);
        assert_eq!(strtol_int("+7"), 7);
        assert_eq!(strtol_int("10x"), 10);
        assert_eq!(strtol_int("abc"), 0);
        assert_eq!(strtol_int("-"), 0);
        assert_eq!(strtol_int("99999999999999999999999"), i32::MAX);
        assert_eq!(strtol_int("-99999999999999999999999"), -i32::MAX);
    }
}
