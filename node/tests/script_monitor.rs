//! The track script monitor (`keepalived/vrrp/vrrp_scheduler.c: vrrp_init_script`,
//! `vrrp_script_thread`, `vrrp_script_child_thread`): one task per `vrrp_script` however
//! many instances track it, runs at start then every `interval` from the previous start,
//! timeouts are failures, an overrunning script makes ticks be skipped, never bunched, and
//! rise/fall/init_fail decide what reaches the protocol loop's channel.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vrrp_node::config::{parse_str, Config, ScriptCmd, SourceLocation, Track, VrrpScript};
use vrrp_node::script::{initial_state, Runner, ScriptChange, ScriptPlan, ScriptState};

fn workdir() -> tempfile::TempDir {
    let d = tempfile::Builder::new().prefix("script-monitor-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn loc(line: u32) -> SourceLocation {
    SourceLocation { file: PathBuf::from("keepalived.conf"), line, column: 1 }
}

fn vscript(name: &str, path: &Path, interval_ms: u64, timeout_ms: u64) -> VrrpScript {
    let p = path.to_str().unwrap().to_owned();
    VrrpScript {
        name: name.into(),
        location: loc(1),
        cmd: ScriptCmd { text: p.clone(), argv: vec![p], shell: false, user: None, location: loc(2) },
        interval: Duration::from_millis(interval_ms),
        timeout: Duration::from_millis(timeout_ms),
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
    }
}

/// Two instances, both tracking every script in `scripts`; scripts run as root.
fn config(scripts: Vec<VrrpScript>) -> Config {
    let inst = |name: &str, vrid: u8| {
        format!("vrrp_instance {name} {{\n interface lo\n virtual_router_id {vrid}\n priority 100\n virtual_ipaddress {{\n  192.0.2.{vrid}/24\n }}\n}}\n")
    };
    let text = format!("{}{}", inst("A", 1), inst("B", 2));
    let mut cfg = parse_str("keepalived.conf", &text).unwrap();
    cfg.global.enable_script_security = true;
    cfg.global.script_user = Some(vrrp_node::config::RunAs { user: "root".into(), group: None, location: loc(3) });
    for inst in &mut cfg.instances {
        inst.track_scripts = scripts
            .iter()
            .map(|s| Track { name: s.name.clone(), location: loc(9), weight: None, reverse: false })
            .collect();
    }
    cfg.scripts = scripts;
    cfg
}

fn lines(path: &Path) -> usize {
    fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

/// The protocol side: its own current-thread runtime, receiving from the runner's.
fn protocol_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn next(rx: &mut tokio::sync::mpsc::Receiver<ScriptChange>, within: Duration) -> Option<ScriptChange> {
    tokio::time::timeout(within, rx.recv()).await.ok().flatten()
}

#[test]
fn keepalived_one_vrrp_script_tracked_by_two_instances_runs_once_per_interval() {
    let d = workdir();
    let count = d.path().join("count");
    let s = write_script(d.path(), "chk", &format!("echo run >> {}", count.display()));
    let cfg = config(vec![vscript("chk", &s, 200, 200)]);
    assert_eq!(cfg.instances.iter().filter(|i| i.track_scripts.len() == 1).count(), 2);
    let plan = ScriptPlan::new(&cfg);
    assert!(!plan.is_disabled(0), "{:?}", plan.diagnostics);
    let runner = Runner::start().unwrap();
    let (monitor, mut rx) = plan.start_monitor(&runner.handle());
    let window = Duration::from_millis(1100);
    let change = protocol_rt().block_on(async {
        let first = next(&mut rx, Duration::from_secs(2)).await;
        tokio::time::sleep(window.saturating_sub(Duration::from_millis(100))).await;
        first
    });
    drop(monitor);
    // Runs at 0, 200, ..., 1000 ms: 6, once per interval, not once per instance (12).
    let runs = lines(&count);
    let expected = (window.as_millis() / 200 + 1) as usize;
    assert!((expected - 1..=expected).contains(&runs), "{runs} runs, expected {expected}");
    // The first result of a script in keepalived's INIT state is always reported.
    assert_eq!(change, Some(ScriptChange { script: 0, good: true }));
}

#[test]
fn keepalived_rise_and_fall_reach_the_channel_only_on_change() {
    let d = workdir();
    let rc = d.path().join("rc");
    let runs = d.path().join("runs");
    fs::write(&rc, "0\n").unwrap();
    let s = write_script(d.path(), "chk", &format!("echo r >> {}\nexit $(cat {})", runs.display(), rc.display()));
    let mut script = vscript("chk", &s, 100, 1000);
    (script.rise, script.fall) = (2, 3);
    let cfg = config(vec![script]);
    let plan = ScriptPlan::new(&cfg);
    assert_eq!(initial_state(&cfg.scripts[0]), ScriptState::Unknown);
    let runner = Runner::start().unwrap();
    let (_monitor, mut rx) = plan.start_monitor(&runner.handle());
    protocol_rt().block_on(async {
        assert_eq!(next(&mut rx, Duration::from_secs(2)).await, Some(ScriptChange { script: 0, good: true }));
        // Still good: nothing more while it keeps succeeding.
        assert_eq!(next(&mut rx, Duration::from_millis(350)).await, None);
        fs::write(&rc, "1\n").unwrap();
        let before = lines(&runs);
        assert_eq!(next(&mut rx, Duration::from_secs(2)).await, Some(ScriptChange { script: 0, good: false }));
        // fall 3: at least three failing runs happened since the switch.
        assert!(lines(&runs) - before >= 3, "{} runs", lines(&runs) - before);
        assert_eq!(next(&mut rx, Duration::from_millis(350)).await, None);
        fs::write(&rc, "0\n").unwrap();
        let before = lines(&runs);
        assert_eq!(next(&mut rx, Duration::from_secs(2)).await, Some(ScriptChange { script: 0, good: true }));
        assert!(lines(&runs) - before >= 2, "rise 2: {} runs", lines(&runs) - before);
    });
}

#[test]
fn keepalived_init_fail_starts_bad_and_failures_say_nothing() {
    let d = workdir();
    let rc = d.path().join("rc");
    fs::write(&rc, "1\n").unwrap();
    let s = write_script(d.path(), "chk", &format!("exit $(cat {})", rc.display()));
    let mut script = vscript("chk", &s, 100, 1000);
    script.init_fail = true;
    let cfg = config(vec![script]);
    assert_eq!(initial_state(&cfg.scripts[0]), ScriptState::Bad);
    let plan = ScriptPlan::new(&cfg);
    let runner = Runner::start().unwrap();
    let (_monitor, mut rx) = plan.start_monitor(&runner.handle());
    protocol_rt().block_on(async {
        assert_eq!(next(&mut rx, Duration::from_millis(500)).await, None, "already known bad: no report");
        fs::write(&rc, "0\n").unwrap();
        assert_eq!(next(&mut rx, Duration::from_secs(2)).await, Some(ScriptChange { script: 0, good: true }));
    });
}

/// A script that hangs past its timeout is a failure, and the next run still starts on the
/// schedule (from the previous start, not from the kill).
#[test]
fn keepalived_timeout_is_a_failure_and_the_schedule_holds() {
    let d = workdir();
    let runs = d.path().join("runs");
    let s = write_script(d.path(), "hang", &format!("echo r >> {}\nsleep 1000", runs.display()));
    let cfg = config(vec![vscript("hang", &s, 300, 100)]);
    let plan = ScriptPlan::new(&cfg);
    let runner = Runner::start().unwrap();
    let (monitor, mut rx) = plan.start_monitor(&runner.handle());
    let t0 = Instant::now();
    let change = protocol_rt().block_on(async {
        let c = next(&mut rx, Duration::from_secs(2)).await;
        tokio::time::sleep(Duration::from_millis(1000).saturating_sub(t0.elapsed())).await;
        c
    });
    drop(monitor);
    assert_eq!(change, Some(ScriptChange { script: 0, good: false }));
    // Starts at 0, 300, 600, 900 ms.
    let n = lines(&runs);
    assert!((3..=4).contains(&n), "{n} runs in 1 s at a 300 ms interval");
}

/// A script that ignores SIGTERM is still running (being killed) when the next ticks come:
/// they are skipped (keepalived: "expect idle - skipping run"), and the run after the kill
/// is on the original schedule, not at once.
#[test]
fn keepalived_overrun_skips_ticks_instead_of_bunching_them() {
    let d = workdir();
    let starts = d.path().join("starts");
    let s = write_script(
        d.path(),
        "stubborn",
        &format!("date +%s%N >> {}\ntrap '' TERM\nwhile :; do sleep 1; done", starts.display()),
    );
    let interval = Duration::from_millis(300);
    let cfg = config(vec![vscript("stubborn", &s, 300, 100)]);
    let plan = ScriptPlan::new(&cfg);
    let runner = Runner::start().unwrap();
    let (monitor, _rx) = plan.start_monitor(&runner.handle());
    // Killed at 100 ms + the 2 s TERM grace; the next tick on the grid after that is 2.4 s.
    std::thread::sleep(Duration::from_millis(2900));
    drop(monitor);
    drop(runner);
    let t: Vec<u128> = fs::read_to_string(&starts).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(t.len(), 2, "{t:?}");
    let gap = Duration::from_nanos((t[1] - t[0]) as u64);
    let grid = vrrp_node::script::runner::TERM_GRACE + Duration::from_millis(100);
    assert!(gap >= grid, "second run {gap:?} after the first: before the kill");
    let on_grid = interval * (grid.as_millis().div_ceil(interval.as_millis()) as u32);
    assert!(
        gap < on_grid + Duration::from_millis(150),
        "second run {gap:?} after the first, expected about {on_grid:?}"
    );
}

/// A refused script is disabled: the plan says so and the monitor never runs it.
#[test]
fn keepalived_refused_track_script_is_disabled_and_never_run() {
    let d = workdir();
    let runs = d.path().join("runs");
    let s = write_script(d.path(), "ww", &format!("echo r >> {}", runs.display()));
    fs::set_permissions(&s, fs::Permissions::from_mode(0o777)).unwrap();
    let cfg = config(vec![vscript("ww", &s, 100, 100)]);
    let plan = ScriptPlan::new(&cfg);
    assert!(plan.is_disabled(0));
    assert!(plan.diagnostics.iter().any(|d| d.message.contains("disabling track script ww")), "{:?}", plan.diagnostics);
    let runner = Runner::start().unwrap();
    let (_monitor, mut rx) = plan.start_monitor(&runner.handle());
    let change = protocol_rt().block_on(next(&mut rx, Duration::from_millis(400)));
    assert_eq!(change, None);
    assert_eq!(lines(&runs), 0);
}

/// A hanging script (TERM ignored, so it takes the 2 s grace to die) does not delay
/// another script's schedule: each has its own task and nothing blocks the runner.
#[test]
fn hanging_script_does_not_delay_another_scripts_runs() {
    let d = workdir();
    let runs = d.path().join("runs");
    let hang = write_script(d.path(), "hang", "trap '' TERM\nwhile :; do sleep 1; done");
    let quick = write_script(d.path(), "quick", &format!("echo r >> {}", runs.display()));
    let cfg = config(vec![vscript("hang", &hang, 100, 50), vscript("quick", &quick, 100, 1000)]);
    let plan = ScriptPlan::new(&cfg);
    let runner = Runner::start().unwrap();
    let (monitor, mut rx) = plan.start_monitor(&runner.handle());
    let window = Duration::from_millis(1500);
    let changes = protocol_rt().block_on(async {
        let mut got = Vec::new();
        let end = tokio::time::Instant::now() + window;
        while let Ok(Some(c)) = tokio::time::timeout_at(end, rx.recv()).await {
            got.push(c);
        }
        got
    });
    drop(monitor);
    let n = lines(&runs);
    let expected = (window.as_millis() / 100) as usize;
    assert!(n + 1 >= expected, "{n} quick runs in {window:?}, expected about {expected}");
    // The quick one reported good; the hanging one is still being killed (2 s grace).
    assert_eq!(changes, [ScriptChange { script: 1, good: true }]);
}
