//! `vrrp_track_process` and `track_process`, against keepalived 2.2.7's handlers
//! (vrrp_parser.c `vrrp_tprocess_*_handler`, vrrp_data.c `alloc_vrrp_process`,
//! vrrp_track.c `alloc_track_process`).

use std::time::Duration;

use super::tests::{errors, ok, one_warning, warnings, with_base};
use super::*;

/// `vrrp_track_process tp { BODY }`: body line N is file line N + 1.
fn block(body: &str) -> String {
    format!("vrrp_track_process tp {{\n{body}}}\n")
}

fn only(body: &str) -> TrackProcess {
    let c = ok(&block(body));
    assert_eq!(c.track_processes.len(), 1, "{c:#?}");
    c.track_processes[0].clone()
}

/// vrrp_data.c `alloc_vrrp_process`: quorum 1, quorum_max UINT_MAX, weight 0 (the code;
/// the manual says 1), no delays, name matching.
#[test]
fn keepalived_track_process_defaults() {
    let p = only("    process haproxy\n");
    assert_eq!(p.name, "tp");
    assert_eq!((p.location.line, p.location.column), (1, 20));
    assert_eq!(p.process, "haproxy");
    assert!(p.params.is_empty());
    assert_eq!(p.param_match, None);
    assert!(!p.full_command);
    assert_eq!((p.weight, p.reverse), (0, false));
    assert_eq!((p.quorum, p.quorum_max), (1, u32::MAX));
    assert_eq!((p.fork_delay, p.terminate_delay), (Duration::ZERO, Duration::ZERO));
}

#[test]
fn keepalived_track_process_every_keyword() {
    let p = only(
        "    process \"/usr/sbin/a b\" -f \"x y\"\n    param_match partial\n    weight -30 reverse\n    quorum 2\n    quorum_max 4\n    fork_delay 0.5\n    terminate_delay 2\n",
    );
    assert_eq!(p.process, "/usr/sbin/a b");
    assert_eq!(p.params, ["-f", "x y"]);
    assert_eq!(p.param_match, Some(ParamMatch::Partial));
    assert!(p.full_command);
    assert_eq!((p.weight, p.reverse), (-30, true));
    assert_eq!((p.quorum, p.quorum_max), (2, 4));
    assert_eq!(p.fork_delay, Duration::from_millis(500));
    assert_eq!(p.terminate_delay, Duration::from_secs(2));
    let p = only("    process sleep\n    delay 0.000001\n    full_command\n");
    assert_eq!((p.fork_delay, p.terminate_delay), (Duration::from_micros(1), Duration::from_micros(1)));
    assert!(p.full_command);
    assert_eq!(p.param_match, None);
}

/// vrrp_tprocess_process_handler: parameters mean an exact match of the command line
/// unless `param_match` says otherwise, whichever comes first; `param_match` alone is
/// "no parameters", on the command line.
#[test]
fn keepalived_parameters_imply_exact_command_line_match() {
    let p = only("    process nginx -g daemon\n");
    assert_eq!((p.param_match, p.full_command), (Some(ParamMatch::Exact), true));
    let p = only("    param_match initial\n    process nginx -g\n");
    assert_eq!(p.param_match, Some(ParamMatch::Initial));
    let p = only("    process nginx\n    param_match\n");
    assert_eq!((p.param_match, p.full_command), (Some(ParamMatch::Exact), true));
    // vrrp_parser.c 1692 "Invalid param_match type %s - ignoring".
    let c = one_warning(&block("    process x\n    param_match whole\n"), 3, 17, "invalid `param_match` type `whole`");
    assert_eq!((c.track_processes[0].param_match, c.track_processes[0].full_command), (None, false));
}

/// vrrp_parser.c 1728 vrrp_tprocess_quorum_handler / 1747 _quorum_max_handler: a value
/// out of range, or out of order with the other, is reported and the line ignored (the
/// previous value stays); `quorum_max 0` (success while no process runs) is allowed when
/// quorum is not above 1.
#[test]
fn keepalived_quorum_rules() {
    let p = only("    process x\n    quorum_max 0\n");
    assert_eq!((p.quorum, p.quorum_max), (0, 0));
    let q = |text: &str, line, column, needle| {
        let c = one_warning(&block(text), line, column, needle);
        assert!(c.warnings[0].message.contains("ignored, as keepalived does"), "{:?}", c.warnings);
        (c.track_processes[0].quorum, c.track_processes[0].quorum_max)
    };
    assert_eq!(q("    process x\n    quorum 0\n", 3, 12, "1..=65535"), (1, u32::MAX));
    assert_eq!(q("    process x\n    quorum_max 65536\n", 3, 16, "0..=65535"), (1, u32::MAX));
    assert_eq!(q("    process x\n    quorum_max 2\n    quorum 3\n", 4, 12, "greater than `quorum_max` 2"), (1, 2));
    assert_eq!(q("    process x\n    quorum 3\n    quorum_max 2\n", 4, 16, "less than `quorum` 3"), (3, u32::MAX));
    assert_eq!(q("    process x\n    quorum 2\n    quorum_max 0\n", 4, 16, "less than `quorum` 2"), (2, u32::MAX));
}

/// vrrp_parser.c 1697 vrrp_tprocess_weight_handler and 1773 vrrp_tprocess_delay_general:
/// each bad line is reported and ignored; an unknown option after a weight still sets it.
#[test]
fn keepalived_weight_and_delay_errors_are_ignored_lines() {
    let w = |text: &str, line, column, needle| {
        let c = one_warning(&block(text), line, column, needle);
        (c.track_processes[0].weight, c.track_processes[0].reverse)
    };
    assert_eq!(w("    process x\n    weight 255\n", 3, 12, "-254..=254"), (0, false));
    assert_eq!(w("    process x\n    weight 5 sideways\n", 3, 14, "unknown weight option `sideways`"), (5, false));
    assert_eq!(w("    process x\n    weight 5\n    weight 6\n", 4, 12, "already set"), (5, false));
    assert_eq!(only("    process x\n    weight 0\n    weight -254\n").weight, -254, "a weight 0 can be set again");
    let d = |text: &str, line, column| {
        let c = one_warning(&block(text), line, column, "0.000001..=3600");
        (c.track_processes[0].fork_delay, c.track_processes[0].terminate_delay)
    };
    assert_eq!(d("    process x\n    delay 0\n", 3, 11), (Duration::ZERO, Duration::ZERO));
    assert_eq!(d("    process x\n    fork_delay 3601\n", 3, 16), (Duration::ZERO, Duration::ZERO));
    assert_eq!(
        d("    process x\n    delay 2\n    terminate_delay 0.0000001\n", 4, 21),
        (Duration::from_secs(2), Duration::from_secs(2))
    );
}

/// vrrp_parser.c 1815 vrrp_tprocess_end_handler: no `process` drops the block ("process
/// name not specified"); a second `process` is ignored (1647 "Process already set").
#[test]
fn keepalived_process_is_required_once() {
    let c = one_warning(&block("    weight 2\n"), 1, 1, "has no process");
    assert!(c.track_processes.is_empty());
    let c = one_warning(&block("    process a\n    process b\n"), 3, 13, "already set");
    assert_eq!(c.track_processes[0].process, "a");
    let errs = errors(&block("    process\n"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!((errs[0].0, errs[0].1), (2, 5), "{errs:#?}");
    assert!(errs[0].2.contains("missing value"), "{errs:#?}");
}

/// /proc/PID/comm holds 15 bytes: a longer name can only match with full_command.
#[test]
fn a_name_longer_than_comm_warns_unless_full_command() {
    let ws = warnings(&block("    process haproxy-long-name\n"));
    assert_eq!(ws.len(), 1, "{ws:#?}");
    assert_eq!((ws[0].0, ws[0].1), (1, 1));
    assert!(ws[0].2.contains("longer than 15 bytes"), "{ws:#?}");
    assert!(warnings(&block("    process haproxy-long-name\n    full_command\n")).is_empty());
    assert!(warnings(&block("    process haproxy-15chars\n")).is_empty());
}

const PROCS: &str = "vrrp_track_process web {\n    process nginx\n    weight -20 reverse\n}\nvrrp_track_process db {\n    process postgres\n}\n";
/// The instance's extra lines start at line 7 + 7.
const PROCS_LINES: u32 = 7;

fn tracking(extra: &str) -> String {
    format!("{PROCS}{}", with_base(extra))
}

fn track(name: &str, line: u32, column: u32, weight: Option<i32>, reverse: bool) -> Track {
    Track { name: name.into(), location: SourceLocation { file: "t.conf".into(), line, column }, weight, reverse }
}

/// vrrp_track.c `alloc_track_process`: the entry inherits the block's weight and
/// `reverse`; `weight N` overrides, then `reverse` / `noreverse`; ±254 is kept.
#[test]
fn keepalived_track_process_entries_inherit_or_override() {
    let l = PROCS_LINES + 7;
    let c = ok(&tracking("    track_process {\n        web\n        db weight 254 reverse\n    }\n"));
    let i = &c.instances[0];
    assert_eq!(i.track_processes, [track("web", l + 1, 9, None, true), track("db", l + 2, 9, Some(254), true)]);
    let c = ok(&tracking("    track_process {\n        web weight 3 noreverse\n    }\n"));
    assert_eq!(c.instances[0].track_processes, [track("web", l + 1, 9, Some(3), false)]);
    assert_eq!(c.track_processes.len(), 2);
    assert_eq!(c.track_processes[0].weight, -20);
}

/// vrrp_track.c 320 alloc_track_process: a weight out of range is reported and the
/// block's used; an unknown option drops the entry; a name tracked twice keeps the first.
#[test]
fn keepalived_track_process_entry_errors() {
    let l = PROCS_LINES + 8;
    let c = one_warning(&tracking("    track_process {\n        web weight -255\n    }\n"), l, 20, "-254..=254");
    assert_eq!(c.instances[0].track_processes, [track("web", l, 9, None, true)]);
    let c = one_warning(
        &tracking("    track_process {\n        web wieght 2\n    }\n"),
        l,
        13,
        "unknown track_process option",
    );
    assert!(c.instances[0].track_processes.is_empty());
    // vrrp_track.c 336 "track process %s not found, ignoring...": a warning, as keepalived runs.
    let c = super::tests::one_warning(
        &tracking("    track_process {\n        nope\n    }\n"),
        l,
        9,
        "no vrrp_track_process of that name",
    );
    assert!(c.instances[0].track_processes.is_empty());
    let c = one_warning(
        &tracking("    track_process {\n        web\n        web weight 5\n    }\n"),
        l + 1,
        9,
        "duplicate track_process",
    );
    assert_eq!(c.instances[0].track_processes, [track("web", l, 9, None, true)]);
    // Looked up while reading: a block after the instance is not found.
    let text = format!(
        "{}vrrp_track_process late {{\n    process x\n}}\n",
        with_base("    track_process {\n        late\n    }\n")
    );
    let c = super::tests::one_warning(&text, 8, 9, "defined after this vrrp_instance");
    assert!(c.instances[0].track_processes.is_empty());
    // A block dropped for having no process: its users track nothing, and say why.
    let text = format!(
        "vrrp_track_process bad {{\n    weight 1\n}}\n{}",
        with_base("    track_process {\n        bad\n    }\n")
    );
    let ws = warnings(&text);
    assert_eq!(ws.len(), 2, "{ws:#?}");
    assert!(ws[0].2.contains("has no process") && ws[1].2.contains("was dropped"), "{ws:#?}");
    assert!(ok(&text).instances[0].track_processes.is_empty());
    // --strict refuses running without what the entry named.
    let e = parse_str_with("t.conf", &text, ReadOptions { strict: true }).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e}");
    assert!(e.errors[0].message.contains("refused by --strict"), "{e}");
}

/// vrrp_track.c `process_update_track_process_status` never changes an owner's
/// priority: keepalived keeps the entry; vrrpd says the weight does nothing.
#[test]
fn keepalived_address_owner_keeps_process_tracking_but_weights_do_nothing() {
    let l = PROCS_LINES + 8;
    let text = tracking("    priority 255\n    track_process {\n        web\n        db\n    }\n");
    let ws = warnings(&text);
    assert_eq!(ws.len(), 1, "{ws:#?}");
    assert_eq!((ws[0].0, ws[0].1), (l + 1, 9));
    assert!(ws[0].2.contains("does nothing on an address owner"), "{ws:#?}");
    assert_eq!(ok(&text).instances[0].track_processes.len(), 2);
}
