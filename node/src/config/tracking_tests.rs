//! `vrrp_script`, `vrrp_track_file`, `track_*`, `notify*` and `notify_fifo*`, against
//! keepalived 2.2.7's handlers (cited per test) and what `keepalived -t` says.

use std::path::PathBuf;
use std::time::Duration;

use super::tests::{errors, ok, one_error, warnings, with_base};
use super::*;

/// `vrrp_script chk { BODY }`: body line N is file line N + 1.
fn script(body: &str) -> String {
    format!("vrrp_script chk {{\n{body}}}\n")
}

fn only_script(body: &str) -> VrrpScript {
    let c = ok(&script(body));
    assert_eq!(c.scripts.len(), 1, "{c:#?}");
    c.scripts[0].clone()
}

/// `vrrp_track_file tf { BODY }`.
fn track_file(body: &str) -> String {
    format!("vrrp_track_file tf {{\n{body}}}\n")
}

fn one_warning(text: &str, line: u32, column: u32, needle: &str) {
    let ws = warnings(text);
    assert_eq!(ws.len(), 1, "{ws:#?}");
    assert_eq!((ws[0].0, ws[0].1), (line, column), "{ws:#?}");
    assert!(ws[0].2.contains(needle), "{:?} lacks {needle:?}", ws[0].2);
}

/// [`one_warning`] for a line keepalived reports as a configuration error and goes on
/// (`keepalived -t` exits 5, and so does `vrrpd -t`): the configuration it loads to.
fn one_recovered(text: &str, line: u32, column: u32, needle: &str) -> Config {
    one_warning(text, line, column, needle);
    let l = parse_str_with("t.conf", text, ReadOptions::default()).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(l.keepalived_errors, 1, "{:#?}", l.config.warnings);
    l.config
}

/// Like [`one_recovered`], for what leaves an instance without something it was to track:
/// `--strict` refuses it.
fn one_untracked(text: &str, line: u32, column: u32, needle: &str) -> Config {
    let c = one_recovered(text, line, column, needle);
    let e = parse_str_with("t.conf", text, ReadOptions { strict: true }).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e}");
    assert!(e.errors[0].message.contains("refused by --strict"), "{e}");
    c
}

fn argv(cmd: &ScriptCmd) -> Vec<&str> {
    cmd.argv.iter().map(String::as_str).collect()
}

/// vrrp_data.c `alloc_vrrp_script`: interval 1 s, timeout 0 (= the interval,
/// vrrp_scheduler.c), weight 0, rise 1, fall 1.
#[test]
fn vrrp_script_defaults_are_keepalived_s() {
    let s = only_script("    script \"/usr/bin/killall -0 haproxy\"\n");
    assert_eq!(s.name, "chk");
    assert_eq!((s.location.line, s.location.column), (1, 13));
    assert_eq!(s.interval, Duration::from_secs(1));
    assert_eq!(s.timeout, Duration::from_secs(1));
    assert_eq!(s.weight, 0);
    assert!(!s.reverse);
    assert_eq!((s.rise, s.fall), (1, 1));
    assert!(!s.init_fail);
    assert_eq!(s.cmd.text, "/usr/bin/killall -0 haproxy");
    assert_eq!(argv(&s.cmd), ["/usr/bin/killall", "-0", "haproxy"]);
    assert!(!s.cmd.shell);
    assert_eq!(s.cmd.user, None);
    assert_eq!((s.cmd.location.line, s.cmd.location.column), (2, 12));
}

#[test]
fn vrrp_script_every_keyword() {
    let s = only_script(
        "    script /bin/check\n    interval 2\n    timeout 5\n    weight -20 reverse\n    rise 3\n    fall 4\n    user nobody nogroup\n    init_fail\n",
    );
    assert_eq!(argv(&s.cmd), ["/bin/check"]);
    assert_eq!(s.interval, Duration::from_secs(2));
    assert_eq!(s.timeout, Duration::from_secs(5));
    assert_eq!((s.weight, s.reverse), (-20, true));
    assert_eq!((s.rise, s.fall), (3, 4));
    assert!(s.init_fail);
    let user = s.cmd.user.expect("user");
    assert_eq!((user.user.as_str(), user.group.as_deref()), ("nobody", Some("nogroup")));
    assert_eq!((user.location.line, user.location.column), (8, 10));
    // The timeout follows the interval when not written.
    assert_eq!(only_script("    script /bin/x\n    interval 7\n").timeout, Duration::from_secs(7));
    // `user` alone: the user's primary group.
    assert_eq!(only_script("    script /bin/x\n    user www\n").cmd.user.and_then(|u| u.group), None);
}

/// vrrp_parser.c `vrrp_vscript_interval_handler` / `_timeout_handler`: 0 becomes 1 ("must
/// be greater than 0, setting to 1"); the largest is UINT_MAX / TIMER_HZ = 4294.
#[test]
fn vrrp_script_interval_and_timeout_zero_become_one_with_a_warning() {
    let text = script("    script /bin/x\n    interval 0\n    timeout 0\n");
    let c = ok(&text);
    assert_eq!(c.scripts[0].interval, Duration::from_secs(1));
    assert_eq!(c.scripts[0].timeout, Duration::from_secs(1));
    let ws = warnings(&text);
    assert_eq!(ws.iter().map(|w| (w.0, w.1)).collect::<Vec<_>>(), [(3, 14), (4, 13)], "{ws:#?}");
    assert!(ws[0].2.contains("`interval` 0 is not allowed: using 1 second"), "{ws:#?}");
    assert_eq!(only_script("    script /bin/x\n    interval 4294\n").interval, Duration::from_secs(4294));
    let sc = one_recovered(&script("    script /bin/x\n    interval 4295\n"), 3, 14, "1..=4294").scripts[0].clone();
    assert_eq!(sc.interval, Duration::from_secs(1));
    one_recovered(&script("    script /bin/x\n    timeout 1.5\n"), 3, 13, "whole number of seconds");
    // keepalived counts "setting to 1" as a configuration error (`-t` exits 5).
    let l = parse_str_with("t.conf", &text, ReadOptions::default()).unwrap();
    assert_eq!(l.keepalived_errors, 2);
    one_error(&script("    script /bin/x\n    interval\n"), 3, 5, "missing value");
}

/// vrrp_parser.c 1546 `vrrp_vscript_weight_handler` reports a weight outside -253..=253 and
/// uses it anyway (as C's strtol reads it), and an unknown option is ignored; 1565
/// `vrrp_vscript_rise_handler` / `_fall_handler`: an invalid value is 1.
#[test]
fn vrrp_script_weight_rise_fall_ranges() {
    assert_eq!(only_script("    script /bin/x\n    weight 253\n").weight, 253);
    assert_eq!(only_script("    script /bin/x\n    weight -253\n").weight, -253);
    let weight = |text: &str, column, needle| one_recovered(&script(text), 3, column, needle).scripts[0].weight;
    assert_eq!(weight("    script /bin/x\n    weight 254\n", 12, "-253..=253"), 254);
    assert_eq!(weight("    script /bin/x\n    weight -300\n", 12, "uses -300 anyway"), -300);
    assert_eq!(weight("    script /bin/x\n    weight ten\n", 12, "weight `ten`"), 0);
    let c = one_recovered(&script("    script /bin/x\n    weight 10 backwards\n"), 3, 15, "expected `reverse`");
    assert_eq!((c.scripts[0].weight, c.scripts[0].reverse), (10, false));
    assert_eq!(one_recovered(&script("    script /bin/x\n    rise 0\n"), 3, 10, "1..=2147483647").scripts[0].rise, 1);
    assert_eq!(one_recovered(&script("    script /bin/x\n    fall 2147483648\n"), 3, 10, "using 1").scripts[0].fall, 1);
    assert_eq!(only_script("    script /bin/x\n    fall 2147483647\n").fall, 2_147_483_647);
    // 1506 / 1526: an interval or timeout out of range is ignored.
    let sc = one_recovered(&script("    script /bin/x\n    interval 5000\n"), 3, 14, "ignored").scripts[0].clone();
    assert_eq!((sc.interval, sc.timeout), (Duration::from_secs(1), Duration::from_secs(1)));
    let sc = one_recovered(&script("    script /bin/x\n    interval 3\n    timeout x\n"), 4, 13, "ignored").scripts[0]
        .clone();
    assert_eq!((sc.interval, sc.timeout), (Duration::from_secs(3), Duration::from_secs(3)));
}

/// vrrp_parser.c 1609 `vrrp_vscript_end_handler`: "No script set for vrrp_script … -
/// removing"; an instance tracking it then tracks nothing ("not found"), which --strict
/// refuses.
#[test]
fn vrrp_script_without_script_is_removed_with_a_warning_at_its_keyword() {
    let c = one_recovered(&script("    interval 2\n"), 1, 1, "vrrp_script `chk` has no script");
    assert!(c.scripts.is_empty());
    let text = format!("{}{}", script("    interval 2\n"), with_base("    track_script {\n        chk\n    }\n"));
    let ws = warnings(&text);
    assert_eq!(ws.iter().map(|w| (w.0, w.1)).collect::<Vec<_>>(), [(1, 1), (11, 9)], "{ws:#?}");
    assert!(ws[0].2.contains("has no script") && ws[1].2.contains("was dropped"), "{ws:#?}");
    assert!(ok(&text).instances[0].track_scripts.is_empty());
    let e = parse_str_with("t.conf", &text, ReadOptions { strict: true }).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e}");
    one_error("vrrp_script {\n    script /bin/x\n}\n", 1, 1, "missing value");
    one_error("vrrp_script chk\n", 1, 1, "expected `{`");
}

#[test]
fn vrrp_script_unknown_keyword_repeats_and_extra_words_warn() {
    one_warning(&script("    script /bin/x\n    intervall 2\n"), 3, 5, "unknown keyword `intervall` in vrrp_script");
    let text = script("    script /bin/x\n    interval 2\n    interval 3\n");
    one_warning(&text, 4, 5, "`interval` set again in this vrrp_script (first at t.conf:3:5)");
    assert_eq!(ok(&text).scripts[0].interval, Duration::from_secs(3));
    one_warning(&script("    script /bin/x -v\n"), 2, 19, "quote the whole command");
    assert_eq!(argv(&ok(&script("    script /bin/x -v\n")).scripts[0].cmd), ["/bin/x"]);
    one_warning(&script("    script /bin/x\n    init_fail now\n"), 3, 15, "takes no argument");
}

/// keepalived vrrp_track.c `find_script_by_name` returns the first of a name, and
/// `keepalived -t` accepts the file (exit 0): a warning, the first is kept.
#[test]
fn duplicate_vrrp_script_names_warn_and_the_first_wins() {
    let text = "vrrp_script s {\n    script /bin/true\n}\nvrrp_script s {\n    script /bin/false\n}\n";
    one_warning(text, 4, 13, "duplicate vrrp_script name `s`: first defined at t.conf:1:13");
    let c = ok(text);
    assert_eq!(c.scripts.len(), 1);
    assert_eq!(argv(&c.scripts[0].cmd), ["/bin/true"]);
}

/// lib/notify.c `set_script_params_array`: the script word (quotes and escapes already
/// removed by `alloc_strvec_quoted_escaped`) is split again with the same rules.
#[test]
fn script_lines_are_split_twice_like_keepalived() {
    let cases: &[(&str, &str, &[&str])] = &[
        (r#"script "/bin/check \"a b\" 'c d'""#, r#"/bin/check "a b" 'c d'"#, &["/bin/check", "a b", "c d"]),
        ("script '/bin/x y'", "/bin/x y", &["/bin/x", "y"]),
        ("script /bin/true", "/bin/true", &["/bin/true"]),
        ("script \"/bin/x\"   # a comment", "/bin/x", &["/bin/x"]),
        ("script \"/bin/x 'a#b'\" ! other comment", "/bin/x 'a#b'", &["/bin/x", "a#b"]),
        (r"script /bin/x\#1", "/bin/x#1", &["/bin/x#1"]),
        (r#"script "/bin/printf a\\tb""#, r"/bin/printf a\tb", &["/bin/printf", "a\tb"]),
        // Escapes work at both levels: `\ ` is a space in the script word, so it splits.
        (r#"script "/bin/x a\ b""#, "/bin/x a b", &["/bin/x", "a", "b"]),
        (r#"script "/bin/x a\\ b""#, r"/bin/x a\ b", &["/bin/x", "a b"]),
        ("script \"/bin/x\"\t", "/bin/x", &["/bin/x"]),
    ];
    for (line, text, words) in cases {
        let s = only_script(&format!("    {line}\n"));
        assert_eq!(s.cmd.text, *text, "{line}");
        assert_eq!(argv(&s.cmd), *words, "{line}");
        assert!(!s.cmd.shell, "{line}");
    }
}

#[test]
fn script_line_errors_are_located() {
    // keepalived: "String '…': missing terminating '" (a configuration error) and the
    // script is dropped, so is the vrrp_script. Located at the script word: its text has
    // lost the outer quotes.
    let c = one_recovered(&script("    script \"/bin/x 'a b\"\n"), 2, 12, "unterminated `'` in the script command");
    assert!(c.scripts.is_empty());
    one_recovered(&script("    script '/bin/x\n"), 2, 12, "unterminated `'` in the script line");
    // One warning for a `"` the lexer already reported.
    one_recovered(&script("    script \"/bin/x\n"), 2, 12, "unterminated");
    // "Missing escape char at end" is only logged: a warning keepalived does not count.
    one_warning(&script("    script \"/bin/x \\\\\"\n"), 2, 12, "escapes nothing");
    one_error(&script("    script \"\"\n"), 2, 12, "empty `script` command");
    one_error(&script("    script \"   \"\n"), 2, 12, "empty `script` command");
    one_error(&script("    script\n"), 2, 5, "missing value");
    one_error(&script("    script /bin/x \\\n"), 2, 19, "continues it onto the next one");
}

#[test]
fn shell_is_set_by_the_documented_rule() {
    let s = only_script("    script \"pidof haproxy || exit 1\"\n");
    assert!(s.cmd.shell);
    assert_eq!(argv(&s.cmd), ["pidof", "haproxy", "||", "exit", "1"]);
    assert!(only_script("    script \"/bin/x > /dev/null\"\n").cmd.shell);
    assert!(only_script("    script \"/bin/x '>'\"\n").cmd.shell == needs_shell("/bin/x '>'"));
    assert!(!needs_shell("/bin/x '>'"));
}

/// track_file.c: `track_file_handler` (weight 1), `track_file_weight_handler`
/// (-254..=254, `reverse`), `track_file_init_handler`, `track_file_end_handler` ("No file
/// set for track_file … - ignoring").
#[test]
fn vrrp_track_file_keywords_defaults_and_ranges() {
    let c = ok(&track_file("    file /run/vrrp/prio\n"));
    assert_eq!(
        c.track_files,
        [TrackFile {
            name: "tf".into(),
            location: SourceLocation { file: "t.conf".into(), line: 1, column: 17 },
            path: PathBuf::from("/run/vrrp/prio"),
            weight: 1,
            reverse: false,
            init_file: None,
        }]
    );
    let f = &ok(&track_file("    file /x\n    weight -254 reverse\n    init_file\n")).track_files[0];
    assert_eq!((f.weight, f.reverse), (-254, true));
    assert_eq!(f.init_file, Some(InitFile { value: 0, overwrite: false }));
    let f = &ok(&track_file("    file /x\n    init_file 5 overwrite\n")).track_files[0];
    assert_eq!(f.init_file, Some(InitFile { value: 5, overwrite: true }));
    let f = &ok(&track_file("    file /x\n    init_file overwrite -3\n")).track_files[0];
    assert_eq!(f.init_file, Some(InitFile { value: -3, overwrite: true }));
    // The newer keepalived name.
    assert_eq!(ok("track_file tf {\n    file /x\n}\n").track_files[0].name, "tf");

    // track_file.c 322 "No file set for track_file %s - ignoring": the block is dropped.
    assert!(one_recovered(&track_file("    weight 2\n"), 1, 1, "vrrp_track_file `tf` has no file")
        .track_files
        .is_empty());
    // 234 track_file_weight_handler: out of range is the default 1; the first weight
    // other than 1 counts; an unknown option is ignored.
    let f = |text: &str, line, column, needle| {
        let c = one_recovered(&track_file(text), line, column, needle);
        (c.track_files[0].weight, c.track_files[0].reverse)
    };
    assert_eq!(f("    file /x\n    weight 255\n", 3, 12, "-254..=254"), (1, false));
    assert_eq!(f("    file /x\n    weight 3\n    weight 4 reverse\n", 4, 12, "already set"), (3, false));
    assert_eq!(f("    file /x\n    weight 3 sideways\n", 3, 14, "expected `reverse`"), (3, false));
    assert_eq!(ok(&track_file("    file /x\n    weight 1\n    weight 4\n")).track_files[0].weight, 4);
    // 214 track_file_file_handler: "File already set ... - ignoring": the first counts.
    let c = one_recovered(&track_file("    file /a\n    file /b\n"), 3, 10, "file already set");
    assert_eq!(c.track_files[0].path, PathBuf::from("/a"));
    // 272 track_file_init_handler reports these and goes on.
    let init = |text: &str, needle| one_recovered(&track_file(text), 3, 15, needle).track_files[0].init_file;
    assert_eq!(
        init("    file /x\n    init_file 300\n", "sensible range -254..=254"),
        Some(InitFile { value: 300, overwrite: false })
    );
    assert_eq!(
        init("    file /x\n    init_file 1x\n", "expected an integer"),
        Some(InitFile { value: 0, overwrite: false })
    );
    assert_eq!(
        init("    file /x\n    init_file create\n", "unknown `init_file` option `create`"),
        Some(InitFile { value: 0, overwrite: false })
    );
    one_warning(&track_file("    file /x\n    mode 1\n"), 3, 5, "unknown keyword `mode` in vrrp_track_file");
    let text = "vrrp_track_file tf {\n    file /a\n}\ntrack_file tf {\n    file /b\n}\n";
    one_warning(text, 4, 12, "duplicate track file name `tf`");
    assert_eq!(ok(text).track_files[0].path, PathBuf::from("/a"));
}

const SCRIPTS: &str = "vrrp_script up {\n    script /bin/true\n    weight -20 reverse\n}\nvrrp_script flat {\n    script /bin/true\n}\nvrrp_track_file tf {\n    file /run/prio\n}\n";
/// Lines in [`SCRIPTS`]: the instance starts at line 11, its extra lines at 17.
const SCRIPTS_LINES: u32 = 10;

fn tracking(extra: &str) -> String {
    format!("{SCRIPTS}{}", with_base(extra))
}

fn track(name: &str, line: u32, column: u32, weight: Option<i32>, reverse: bool) -> Track {
    Track { name: name.into(), location: SourceLocation { file: "t.conf".into(), line, column }, weight, reverse }
}

/// vrrp_track.c `alloc_track_script`: the entry inherits the script's weight and
/// `reverse`; `weight N` overrides, then `reverse` / `noreverse`.
#[test]
fn track_script_entries_inherit_or_override_weight_and_reverse() {
    let l = SCRIPTS_LINES + 8;
    let c = ok(&tracking(
        "    track_script {\n        up\n        flat weight 5\n    }\n    track_script {\n        up2 weight 1 noreverse\n    }\n",
    )
    .replace("vrrp_script up {", "vrrp_script up2 {\n    script /bin/x\n    weight 3 reverse\n}\nvrrp_script up {"));
    let i = &c.instances[0];
    assert_eq!(
        i.track_scripts,
        [
            track("up", l + 4, 9, None, true),
            track("flat", l + 5, 9, Some(5), false),
            track("up2", l + 8, 9, Some(1), false)
        ]
    );
    let c = ok(&tracking("    track_script {\n        up weight 7\n    }\n"));
    assert_eq!(c.instances[0].track_scripts, [track("up", l, 9, Some(7), true)], "reverse is the script's");
    let c = ok(&tracking("    track_script {\n        flat weight 7 reverse\n    }\n"));
    assert_eq!(c.instances[0].track_scripts, [track("flat", l, 9, Some(7), true)]);
}

/// vrrp_track.c 201 `alloc_track_script` / 86 `alloc_track_if`: -254..=254 read, ±254
/// "cannot be +/-254. Setting to +/-253"; track_file.c keeps ±254. Out of range: "weight
/// must be between [-253..253] inclusive, ignoring...": the script's (file's) own weight,
/// 0 for an interface.
#[test]
fn track_entry_weight_ranges() {
    let l = SCRIPTS_LINES + 8;
    let text = tracking("    track_script {\n        flat weight -254\n    }\n");
    let c = one_recovered(&text, l, 21, "weight -254 is not allowed: using -253");
    assert_eq!(c.instances[0].track_scripts[0].weight, Some(-253));
    let text = tracking("    track_interface {\n        eth1 weight 254\n    }\n");
    let c = one_recovered(&text, l, 21, "using 253");
    assert_eq!(c.instances[0].track_interfaces[0].weight, Some(253));
    let text = tracking("    track_file {\n        tf weight 254\n    }\n");
    assert!(warnings(&text).is_empty());
    assert_eq!(ok(&text).instances[0].track_files[0].weight, Some(254));
    let c = one_recovered(&tracking("    track_script {\n        up weight 255\n    }\n"), l, 19, "-253..=253");
    assert_eq!(c.instances[0].track_scripts, [track("up", l, 9, None, true)], "the script's own weight and reverse");
    let c = one_recovered(&tracking("    track_file {\n        tf weight -255\n    }\n"), l, 19, "-254..=254");
    assert_eq!(c.instances[0].track_files, [track("tf", l, 9, None, false)]);
    let c = one_recovered(&tracking("    track_interface {\n        eth1 weight x\n    }\n"), l, 21, "weight `x`");
    assert_eq!(c.instances[0].track_interfaces, [track("eth1", l, 9, None, false)], "weight 0");
}

/// vrrp_track.c 110-145 / track_file.c 143-171: an option other than `weight`, or
/// `weight` without a value, drops the entry (the instance does not track it: --strict
/// refuses); an unknown word after the weight is ignored, but drops a track_file entry.
#[test]
fn track_entry_options_are_checked() {
    let l = SCRIPTS_LINES + 8;
    let c = one_untracked(
        &tracking("    track_script {\n        up wieght 2\n    }\n"),
        l,
        12,
        "unknown track_script option `wieght`",
    );
    assert!(c.instances[0].track_scripts.is_empty());
    let c =
        one_untracked(&tracking("    track_script {\n        up weight\n    }\n"), l, 12, "`weight` without a value");
    assert!(c.instances[0].track_scripts.is_empty());
    let c = one_untracked(
        &tracking("    track_file {\n        tf weight 2 sideways\n    }\n"),
        l,
        21,
        "unknown track_file weight option",
    );
    assert!(c.instances[0].track_files.is_empty());
    let c = one_recovered(
        &tracking("    track_script {\n        up weight 2 sideways\n    }\n"),
        l,
        21,
        "unknown track_script weight option",
    );
    assert_eq!(c.instances[0].track_scripts, [track("up", l, 9, Some(2), true)]);
    // keepalived's alloc_track_if knows `reverse` only: `noreverse` is reported, not used.
    let c = one_recovered(
        &tracking("    track_interface {\n        eth1 weight 2 noreverse\n    }\n"),
        l,
        23,
        "expected `reverse`",
    );
    assert_eq!(c.instances[0].track_interfaces, [track("eth1", l, 9, Some(2), false)]);
    one_warning(&tracking("    track_script {\n        up weight 2 reverse more\n    }\n"), l, 29, "extra argument");
    one_error(&tracking("    track_script\n"), l - 1, 5, "expected `{`");
    one_warning(&tracking("    track_script extra {\n        up\n    }\n"), l - 1, 18, "takes no argument");
}

/// keepalived (vrrp_track.c 214): "(A) track script nosuch not found, ignoring..." / "track
/// file … not found", and it runs without the entry (`keepalived -t` exits 5): a warning
/// here, and an error under `--strict`.
#[test]
fn tracking_an_undefined_script_or_file_is_ignored_with_a_warning_or_refused_by_strict() {
    let l = SCRIPTS_LINES + 8;
    for (body, needle) in [
        ("    track_script {\n        nosuch\n    }\n", "no vrrp_script of that name"),
        ("    track_file {\n        nofile\n    }\n", "no vrrp_track_file of that name"),
        // A vrrp_track_file is not a vrrp_script.
        ("    track_script {\n        tf\n    }\n", "track_script `tf`"),
    ] {
        let c = super::tests::one_warning(&tracking(body), l, 9, needle);
        assert!(c.instances[0].track_scripts.is_empty() && c.instances[0].track_files.is_empty());
        let e = parse_str_with("t.conf", &tracking(body), ReadOptions { strict: true }).unwrap_err();
        assert_eq!(e.errors.len(), 1, "{e}");
        assert!(e.errors[0].message.contains(needle) && e.errors[0].message.contains("--strict"), "{e}");
    }
}

/// keepalived resolves `track_script` / `track_file` entries while reading, so only blocks
/// written before the instance exist for it ("track script chk not found", exit 5).
#[test]
fn tracked_scripts_and_files_must_be_defined_before_the_instance() {
    let text = format!(
        "{}{SCRIPTS}",
        with_base("    track_script {\n        up\n    }\n    track_file {\n        tf\n    }\n")
    );
    let errs = warnings(&text);
    assert_eq!(errs.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(), [(8, 9), (11, 9)], "{errs:#?}");
    assert!(errs[0].2.contains("vrrp_script `up` is defined after this vrrp_instance (at t.conf:14:13)"), "{errs:#?}");
    assert!(errs[1].2.contains("vrrp_track_file `tf` is defined after this vrrp_instance"), "{errs:#?}");
    assert!(ok(&text).instances[0].track_scripts.is_empty());
    // A second instance after the blocks finds them.
    let text = format!(
        "{text}{}",
        with_base("    track_script {\n        up\n    }\n")
            .replace("virtual_router_id 1", "virtual_router_id 2")
            .replace("vrrp_instance A", "vrrp_instance B")
    );
    let c = ok(&text);
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert_eq!(c.instances[1].track_scripts.len(), 1);
}

/// keepalived "duplicate track_script s - ignoring" (vrrp_track.c 104/222, track_file.c
/// 135; exit 5): the first entry kept, with a warning at the second.
#[test]
fn tracking_a_name_twice_keeps_the_first() {
    let l = SCRIPTS_LINES + 8;
    let text = tracking("    track_script {\n        up\n    }\n    track_script {\n        up weight 9\n    }\n");
    let c = one_recovered(&text, l + 3, 9, &format!("duplicate track_script `up`: already tracked at t.conf:{l}:9"));
    assert_eq!(c.instances[0].track_scripts, [track("up", l, 9, None, true)]);
    let c = one_recovered(
        &tracking("    track_interface {\n        eth1\n        eth1 weight 3\n    }\n"),
        l + 1,
        9,
        "duplicate track_interface",
    );
    assert_eq!(c.instances[0].track_interfaces, [track("eth1", l, 9, None, false)]);
    let c =
        one_recovered(&tracking("    track_file {\n        tf\n        tf\n    }\n"), l + 1, 9, "duplicate track_file");
    assert_eq!(c.instances[0].track_files.len(), 1);
}

#[test]
fn track_interface_names_are_checked_and_the_own_interface_is_dropped() {
    let l = SCRIPTS_LINES + 8;
    let c = ok(&tracking("    track_interface {\n        eth1\n        bond0 weight -10 reverse\n    }\n"));
    assert_eq!(
        c.instances[0].track_interfaces,
        [track("eth1", l, 9, None, false), track("bond0", l + 1, 9, Some(-10), true)]
    );
    // vrrp_track.c 94 alloc_track_if: no interface has such a name: "tracked interface %s
    // doesn't exist", and keepalived's VRRP process then refuses to start (vrrp_daemon.c
    // 525 "Non-existent interface specified in configuration").
    one_error(&tracking("    track_interface {\n        eth1:0\n    }\n"), l, 9, "interface names cannot contain `:`");
    one_error(
        &tracking("    track_interface {\n        averyveryverylongname\n        eth1\n    }\n"),
        l,
        9,
        "at most 15 fit a Linux interface name",
    );
    // vrrp.c vrrp_complete_instance: "Ignoring track_interface eth0 since own interface".
    let text = tracking("    track_interface {\n        eth0 weight 10\n    }\n");
    one_warning(&text, l, 9, "ignoring track_interface eth0 since it is the instance's own interface");
    assert!(ok(&text).instances[0].track_interfaces.is_empty());
}

/// vrrp.c `vrrp_complete_instance`, address owner (priority 255): weighted scripts and
/// interfaces are dropped, a file at the default weight 1 gets weight 0, other weighted
/// files are dropped; unweighted tracking stays (a failure is still a FAULT).
#[test]
fn address_owner_ignores_weighted_tracking_like_keepalived() {
    let l = SCRIPTS_LINES + 9;
    let text = tracking(
        "    priority 255\n    track_script {\n        up\n        flat\n    }\n    track_file {\n        tf\n    }\n    track_interface {\n        eth1 weight 5\n        eth2\n    }\n",
    );
    let c = ok(&text);
    let i = &c.instances[0];
    assert_eq!(i.track_scripts, [track("flat", l + 1, 9, None, false)]);
    assert_eq!(i.track_files, [track("tf", l + 4, 9, Some(0), false)]);
    assert_eq!(i.track_interfaces, [track("eth2", l + 8, 9, None, false)]);
    let ws = warnings(&text);
    assert_eq!(ws.iter().map(|w| (w.0, w.1)).collect::<Vec<_>>(), [(l, 9), (l + 4, 9), (l + 7, 9)], "{ws:#?}");
    assert!(ws[0].2.contains("(A) ignoring tracked script up with weights due to address_owner"), "{ws:#?}");
    assert!(ws[1].2.contains("ignoring weight from tracked file tf"), "{ws:#?}");
    assert!(ws[2].2.contains("ignoring eth1 tracked interface due to address owner"), "{ws:#?}");

    let text = tracking("    priority 255\n    track_file {\n        tf weight 4\n    }\n    track_script {\n        flat weight 0\n    }\n");
    one_warning(&text, l, 9, "ignoring tracked file tf with weight 4 due to address_owner");
    let c = ok(&text);
    assert!(c.instances[0].track_files.is_empty());
    assert_eq!(c.instances[0].track_scripts, [track("flat", l + 3, 9, Some(0), false)]);
}

/// vrrp_parser.c `vrrp_notify_*_handler` through lib/notify.c `notify_script_init`:
/// `SCRIPT [username [groupname]]`.
#[test]
fn notify_scripts_fill_their_slots_with_their_users() {
    let c = ok(&with_base(
        "    notify_master \"/etc/keepalived/notify.sh MASTER\" root wheel\n    notify_backup /etc/keepalived/notify.sh\n    notify_fault '/bin/logger fault'\n    notify_stop /bin/stop nobody\n    notify /bin/any\n    notify_master_rx_lower_pri \"/bin/lower $X\"\n",
    ));
    let n = &c.instances[0].notify;
    let master = n.master.as_ref().expect("master");
    assert_eq!(argv(master), ["/etc/keepalived/notify.sh", "MASTER"]);
    assert_eq!((master.location.line, master.location.column), (7, 19));
    let user = master.user.as_ref().expect("user");
    assert_eq!((user.user.as_str(), user.group.as_deref(), user.location.column), ("root", Some("wheel"), 54));
    assert_eq!(argv(n.backup.as_ref().unwrap()), ["/etc/keepalived/notify.sh"]);
    assert_eq!(n.backup.as_ref().unwrap().user, None);
    assert_eq!(argv(n.fault.as_ref().unwrap()), ["/bin/logger", "fault"]);
    let stop = n.stop.as_ref().unwrap();
    assert_eq!(
        (stop.user.as_ref().unwrap().user.as_str(), stop.user.as_ref().unwrap().group.as_deref()),
        ("nobody", None)
    );
    assert_eq!(argv(n.any.as_ref().unwrap()), ["/bin/any"]);
    let lower = n.master_rx_lower_pri.as_ref().unwrap();
    assert!(lower.shell);
    assert_eq!(lower.text, "/bin/lower $X");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

/// keepalived: "(A) notify_master script already specified - ignoring /bin/true", exit 5:
/// the first one runs.
#[test]
fn notify_errors() {
    let c = one_recovered(
        &with_base("    notify_master /bin/a\n    notify_master /bin/b\n"),
        8,
        5,
        "`notify_master` is already set (at t.conf:7:19): keepalived keeps the first",
    );
    assert_eq!(argv(c.instances[0].notify.master.as_ref().unwrap()), ["/bin/a"]);
    one_error(&with_base("    notify_backup\n"), 7, 5, "missing value: expected `notify_backup <command>`");
    let c = one_recovered(&with_base("    notify \"/bin/x 'y\"\n"), 7, 12, "unterminated `'`");
    assert!(c.instances[0].notify.any.is_none());
    one_warning(&with_base("    notify_fault /bin/x u g extra\n"), 7, 29, "extra argument after `notify_fault`");
    one_error(&with_base("    notify_stop /bin/x {\n    }\n"), 7, 24, "does not take a block");
}

/// global_parser.c `notify_fifo` / `notify_fifo_script`, and the `vrrp_` variants.
#[test]
fn global_notify_fifos_and_script_user() {
    let text = "global_defs {\n    notify_fifo /run/k.fifo root adm\n    notify_fifo_script \"/usr/bin/reader -v\" nobody\n    vrrp_notify_fifo_script /usr/bin/vreader\n    vrrp_notify_fifo /run/v.fifo\n    script_user keepalived_script users\n    enable_script_security\n}\n";
    let c = ok(text);
    let g = &c.global;
    let f = g.notify_fifo.as_ref().expect("notify_fifo");
    assert_eq!(f.path, PathBuf::from("/run/k.fifo"));
    assert_eq!((f.location.line, f.location.column), (2, 17));
    let u = f.user.as_ref().unwrap();
    assert_eq!((u.user.as_str(), u.group.as_deref(), u.location.column), ("root", Some("adm"), 29));
    let s = f.script.as_ref().unwrap();
    assert_eq!(argv(s), ["/usr/bin/reader", "-v"]);
    assert_eq!(s.user.as_ref().unwrap().user, "nobody");
    let v = g.vrrp_notify_fifo.as_ref().expect("vrrp_notify_fifo");
    assert_eq!(v.path, PathBuf::from("/run/v.fifo"));
    assert_eq!(v.user, None);
    assert_eq!(argv(v.script.as_ref().unwrap()), ["/usr/bin/vreader"]);
    let su = g.script_user.as_ref().unwrap();
    assert_eq!((su.user.as_str(), su.group.as_deref(), su.location.column), ("keepalived_script", Some("users"), 17));
    assert!(g.enable_script_security);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    one_warning(
        "global_defs {\n    notify_fifo_script /bin/r\n}\n",
        2,
        24,
        "`notify_fifo_script` without `notify_fifo`",
    );
    assert_eq!(ok("global_defs {\n    notify_fifo_script /bin/r\n}\n").global.notify_fifo, None);
    one_error("global_defs {\n    notify_fifo /a\n    notify_fifo /b\n}\n", 3, 5, "`notify_fifo` is already set");
    one_error("global_defs {\n    vrrp_notify_fifo\n}\n", 2, 5, "missing value");
    one_error("global_defs {\n    script_user\n}\n", 2, 5, "missing value");
    one_warning("global_defs {\n    script_user a b c\n}\n", 2, 21, "extra argument");
}

#[test]
fn keywords_still_not_implemented_warn_once_each() {
    let ws = warnings(&with_base(
        "    track_bfd {\n        p\n    }\n    track_bfd {\n        b\n    }\n    notify_deleted /bin/x\n",
    ));
    let got: Vec<(u32, u32)> = ws.iter().map(|w| (w.0, w.1)).collect();
    assert_eq!(got, [(7, 5), (10, 5), (13, 5)], "{ws:#?}");
    assert!(ws.iter().all(|w| w.2.contains("is not implemented by vrrpd")), "{ws:#?}");
}

/// Errors in one part do not hide the others: every problem in one run.
#[test]
fn every_tracking_error_is_reported_in_one_run() {
    let text = format!(
        "{}{}",
        script("    weight 999\n    rise 0\n"),
        with_base("    track_script {\n        chk\n        missing\n    }\n    notify_master\n")
    );
    let errs = errors(&text);
    let at: Vec<(u32, u32)> = errs.iter().map(|e| (e.0, e.1)).collect();
    // The weight (2:12), the rise (3:10) and `missing` (13:9) are warnings: keepalived
    // reports them and runs; the script without a `script` line (1:1) too.
    assert_eq!(at, [(15, 5)], "{errs:#?}");
    let ws: Vec<(u32, u32)> = match parse_str("t.conf", &text) {
        Err(e) => e.warnings.iter().map(|w| (w.location.line, w.location.column)).collect(),
        Ok(_) => unreachable!(),
    };
    assert_eq!(ws, [(1, 1), (2, 12), (3, 10), (12, 9), (13, 9)], "{ws:#?}");
}
