//! `vrrp_track_process NAME { ... }`, read as keepalived 2.2.7 reads it
//! (`keepalived/vrrp/vrrp_parser.c` `vrrp_tprocess_*_handler`, defaults from
//! `keepalived/vrrp/vrrp_data.c` `alloc_vrrp_process`).

use std::time::Duration;

use super::diagnostic::Reporter;
use super::model::ParamMatch;
use super::number::parse_uint;
use super::parser::{Cursor, Stmt};
use super::raw::RawTrackProcess;
use super::tracking::parse_int;

/// `weight` of a `vrrp_track_process` and of a `track_process` entry.
pub(crate) const PROCESS_WEIGHT: i64 = 254;
/// `quorum` and `quorum_max` upper bound.
const MAX_QUORUM: u64 = 65_535;
/// Delays: 0.000001..=3600 s, in microseconds (keepalived's `TIMER_HZ`).
const MAX_DELAY_US: u64 = 3_600_000_000;
/// `TASK_COMM_LEN - 1`: the longest name `/proc/PID/comm` can hold.
pub(crate) const COMM_MAX: usize = 15;

/// `SECONDS[.FRACTION]` with up to six decimals, in microseconds
/// (keepalived `read_decimal_unsigned_strvec` with `TIMER_HZ_DIGITS`).
pub(crate) fn parse_micros(s: &str) -> Option<u64> {
    let (int_part, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int_part.is_empty() && frac.is_empty()) || frac.len() > 6 {
        return None;
    }
    let whole = if int_part.is_empty() { 0 } else { parse_uint(int_part)? };
    let frac_us = if frac.is_empty() { 0 } else { parse_uint(frac)? * 10u64.pow(6 - frac.len() as u32) };
    whole.checked_mul(1_000_000)?.checked_add(frac_us)
}

/// `vrrp_track_process NAME { ... }`; `None` when it has no name or no block.
pub(crate) fn parse_track_process<'t>(
    cur: &mut Cursor<'t>,
    rep: &mut Reporter,
    stmt: &Stmt<'t>,
) -> Option<RawTrackProcess> {
    let name = stmt.arg_range(rep, "<name> {", 1);
    let Some(open) = stmt.block else {
        stmt.needs_block(rep);
        return None;
    };
    let Some(name) = name else {
        cur.skip_block(open, rep);
        return None;
    };
    let pname = name.word().unwrap_or_default().to_string();
    let mut tp = RawTrackProcess {
        seq: 0,
        name: pname.clone(),
        loc: rep.loc(name.pos),
        process: None,
        params: Vec::new(),
        param_match: None,
        full_command: false,
        weight: 0,
        reverse: false,
        quorum: 1,
        quorum_max: u32::MAX,
        fork_delay: Duration::ZERO,
        terminate_delay: Duration::ZERO,
    };
    let closed = cur.block(rep, open, |cur, rep, s| {
        match s.name {
            "process" => {
                let Some(first) = s.args.first() else {
                    rep.error(s.key.pos, "missing value: expected `process <name> [<parameter> ...]`");
                    s.no_block(cur, rep);
                    return;
                };
                if let Some(path) = &tp.process {
                    // vrrp_parser.c 1647 vrrp_tprocess_process_handler: "Process already set
                    // for track process %s - ignoring %s".
                    rep.recovered(
                        first.pos,
                        format!("`process` is already set for vrrp_track_process `{pname}` (to `{path}`): keepalived keeps the first and ignores this one, and so does vrrpd"),
                    );
                } else {
                    tp.process = first.word().map(str::to_string);
                    tp.params = s.args[1..].iter().filter_map(|t| t.word()).map(str::to_string).collect();
                }
            }
            "param_match" => match s.args.first().map(|t| (t, t.word())) {
                None => tp.param_match = Some(ParamMatch::Exact),
                Some((_, Some("initial"))) => tp.param_match = Some(ParamMatch::Initial),
                Some((_, Some("partial"))) => tp.param_match = Some(ParamMatch::Partial),
                // vrrp_parser.c 1692: "Invalid param_match type %s - ignoring".
                Some((t, w)) => rep.recovered(
                    t.pos,
                    format!("invalid `param_match` type `{}` (expected `initial` or `partial`, or nothing for an exact match): ignored, as keepalived does", w.unwrap_or_default()),
                ),
            },
            "weight" => parse_weight(rep, &s, &mut tp),
            // vrrp_parser.c 1728 vrrp_tprocess_quorum_handler: outside 1..=65535 ("Ignoring...")
            // or above quorum_max ("Quorum is greater than quorum_max - ignoring"): the line
            // is ignored.
            "quorum" => {
                if let Some((q, tok)) = uint_or_ignored(rep, &s, 1..=MAX_QUORUM, &pname) {
                    let q = u32::try_from(q).unwrap_or(1);
                    if q > tp.quorum_max {
                        rep.recovered(tok.pos, format!("`quorum` {q} is greater than `quorum_max` {}: ignored, as keepalived does", tp.quorum_max));
                    } else {
                        tp.quorum = q;
                    }
                }
            }
            // vrrp_parser.c 1747 vrrp_tprocess_quorum_max_handler: outside 0..=65535, or
            // below quorum ("quorum_max is less than quorum - ignoring"): ignored.
            "quorum_max" => {
                if let Some((q, tok)) = uint_or_ignored(rep, &s, 0..=MAX_QUORUM, &pname) {
                    let q = u32::try_from(q).unwrap_or(0);
                    // keepalived allows quorum_max 0 while quorum is not set above 1.
                    if (q != 0 || tp.quorum > 1) && q < tp.quorum {
                        rep.recovered(tok.pos, format!("`quorum_max` {q} is less than `quorum` {}: ignored, as keepalived does", tp.quorum));
                    } else {
                        tp.quorum_max = q;
                        if q == 0 {
                            tp.quorum = 0;
                        } else if tp.quorum == 0 {
                            tp.quorum = 1;
                        }
                    }
                }
            }
            "delay" | "fork_delay" | "terminate_delay" => {
                if let Some(tok) = s.one_arg(rep, "<seconds>") {
                    let text = tok.word().unwrap_or_default();
                    match parse_micros(text).filter(|us| (1..=MAX_DELAY_US).contains(us)) {
                        Some(us) => {
                            let d = Duration::from_micros(us);
                            if s.name != "fork_delay" {
                                tp.terminate_delay = d;
                            }
                            if s.name != "terminate_delay" {
                                tp.fork_delay = d;
                            }
                        }
                        // vrrp_parser.c 1773 vrrp_tprocess_delay_general: "must be between
                        // [0.000001..3600] inclusive. Ignoring...".
                        None => rep.recovered(
                            tok.pos,
                            format!("invalid `{}` value `{text}` for vrrp_track_process `{pname}` (expected 0.000001..=3600 seconds): ignored, as keepalived does", s.name),
                        ),
                    }
                }
            }
            "full_command" => {
                s.no_args(rep);
                tp.full_command = true;
            }
            other => {
                s.ignore(cur, rep, format!("unknown keyword `{other}` in vrrp_track_process, ignored"));
                return;
            }
        }
        s.no_block(cur, rep);
    });
    if !closed {
        return Some(tp);
    }
    // vrrp_tprocess_process_handler / _match_handler: parameters or param_match mean
    // matching the command line, exactly unless said otherwise.
    if !tp.params.is_empty() && tp.param_match.is_none() {
        tp.param_match = Some(ParamMatch::Exact);
    }
    if tp.param_match.is_some() {
        tp.full_command = true;
    }
    match &tp.process {
        // vrrp_parser.c 1815 vrrp_tprocess_end_handler: "track process '%s' process name not
        // specified", and the block is freed: entries naming it track nothing.
        None => rep.recovered(
            stmt.key.pos,
            format!("vrrp_track_process `{pname}` has no process: keepalived drops the block, and so does vrrpd; expected `process <name>`"),
        ),
        Some(p) if !tp.full_command && p.len() > COMM_MAX => rep.warn(
            stmt.key.pos,
            format!("vrrp_track_process `{pname}`: process name `{p}` is longer than {COMM_MAX} bytes, so it never matches a process name (/proc/PID/comm); use `full_command` to match the command line"),
        ),
        Some(_) => {}
    }
    Some(tp)
}

/// `keyword N` with N in `range`; otherwise reported, as keepalived reports it ("must be
/// between ... Ignoring..."), and `None`: the line is ignored and the default stays.
fn uint_or_ignored<'t>(
    rep: &mut Reporter,
    s: &Stmt<'t>,
    range: std::ops::RangeInclusive<u64>,
    pname: &str,
) -> Option<(u64, &'t super::lexer::Token)> {
    let tok = s.one_arg(rep, &format!("<{}..={}>", range.start(), range.end()))?;
    let text = tok.word().unwrap_or_default();
    match parse_uint(text).filter(|v| range.contains(v)) {
        Some(v) => Some((v, tok)),
        None => {
            rep.recovered(
                tok.pos,
                format!(
                    "invalid `{}` value `{text}` for vrrp_track_process `{pname}` (expected an integer in {}..={}): ignored, as keepalived does",
                    s.name,
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }
}

/// `weight N [reverse]` (vrrp_parser.c 1697 vrrp_tprocess_weight_handler): a second
/// non-zero weight is ignored ("Weight already set ... - ignoring"), one outside
/// -254..=254 too ("Ignoring...", the weight stays 0); an unknown option after it is
/// reported and ignored, the weight still set.
fn parse_weight(rep: &mut Reporter, s: &Stmt<'_>, tp: &mut RawTrackProcess) {
    let Some(tok) = s.arg_range(rep, "<-254..=254> [reverse]", 2) else { return };
    let text = tok.word().unwrap_or_default();
    if tp.weight != 0 {
        rep.recovered(
            tok.pos,
            format!(
                "`weight` is already set for vrrp_track_process `{}` ({}): this `{text}` is ignored, as keepalived does (the first one counts)",
                tp.name, tp.weight
            ),
        );
        return;
    }
    let Some(w) = parse_int(text).filter(|w| (-PROCESS_WEIGHT..=PROCESS_WEIGHT).contains(w)) else {
        rep.recovered(
            tok.pos,
            format!("vrrp_track_process `{}` weight `{text}` is outside -254..=254: ignored, as keepalived does (the weight stays 0: not running is a FAULT)", tp.name),
        );
        return;
    };
    match s.args.get(1) {
        None => {}
        Some(t) if t.word() == Some("reverse") => tp.reverse = true,
        Some(t) => rep.recovered(
            t.pos,
            format!(
                "unknown weight option `{}` (expected `reverse`): ignored, as keepalived does",
                t.word().unwrap_or_default()
            ),
        ),
    }
    tp.weight = i32::try_from(w).unwrap_or(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_delay_is_decimal_seconds_to_the_microsecond() {
        assert_eq!(parse_micros("1"), Some(1_000_000));
        assert_eq!(parse_micros("0.5"), Some(500_000));
        assert_eq!(parse_micros("0.000001"), Some(1));
        assert_eq!(parse_micros(".25"), Some(250_000));
        assert_eq!(parse_micros("0.0000001"), None);
        assert_eq!(parse_micros("-1"), None);
        assert_eq!(parse_micros("1e3"), None);
        assert_eq!(parse_micros("."), None);
    }
}
