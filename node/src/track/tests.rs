use std::time::Duration;

use super::*;
use crate::config::{self, ScriptCmd, SourceLocation, TrackFile, VrrpScript};

fn loc() -> SourceLocation {
    SourceLocation { file: "k.conf".into(), line: 1, column: 1 }
}

fn script(name: &str, weight: i32, init_fail: bool) -> VrrpScript {
    VrrpScript {
        name: name.into(),
        location: loc(),
        cmd: ScriptCmd { text: "true".into(), argv: vec!["true".into()], shell: false, user: None, location: loc() },
        interval: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        weight,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail,
    }
}

fn track(name: &str, weight: Option<i32>) -> Track {
    Track { name: name.into(), location: loc(), weight, reverse: false }
}

/// Two instances (priority 100 and the owner, 255) on eth0.
fn base() -> Config {
    let text = "vrrp_instance A { interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress { 192.0.2.1 } }\n\
                vrrp_instance O { interface eth0\n virtual_router_id 2\n priority 255\n virtual_ipaddress { 192.0.2.2 } }\n";
    config::parse_str("k.conf", text).unwrap()
}

#[test]
fn keepalived_weighted_script_moves_priority_once_known() {
    let mut cfg = base();
    cfg.scripts.push(script("chk", -20, false));
    cfg.instances[0].track_scripts.push(track("chk", None));
    let mut t = Tracking::new(&cfg);
    assert!(t.tracks_anything(0));
    assert!(!t.tracks_anything(1));
    assert_eq!(t.verdict(0), Verdict::Priority(100), "unknown adds nothing");
    assert!(t.set_script(0, false));
    assert_eq!(t.verdict(0), Verdict::Priority(80));
    assert!(!t.set_script(0, false), "no change, no news");
    assert!(t.set_script(0, true));
    assert_eq!(t.verdict(0), Verdict::Priority(100));
}

/// One `vrrp_script` tracked by two instances, each with its own weight on the entry.
#[test]
fn keepalived_entry_weight_overrides_the_scripts() {
    let mut cfg = base();
    cfg.scripts.push(script("chk", -20, false));
    cfg.instances[0].track_scripts.push(track("chk", Some(-50)));
    cfg.instances[1].track_scripts.push(track("chk", None));
    let mut t = Tracking::new(&cfg);
    t.set_script(0, false);
    assert_eq!(t.verdict(0), Verdict::Priority(50));
    assert_eq!(t.verdict(1), Verdict::Priority(255), "the owner's priority is never weighted");
}

/// keepalived `initialise_track_script_state` / `process_script_update_priority`: a
/// weight-0 script holds the instance in INIT until its first result, then FAULT or serve.
#[test]
fn keepalived_weight_zero_script_pending_then_fault_then_serving() {
    let mut cfg = base();
    cfg.scripts.push(script("chk", 0, false));
    cfg.instances[0].track_scripts.push(track("chk", None));
    cfg.instances[1].track_scripts.push(track("chk", None));
    let mut t = Tracking::new(&cfg);
    assert_eq!(t.verdict(0), Verdict::Pending);
    t.set_script(0, false);
    assert_eq!(t.verdict(0), Verdict::Fault);
    assert_eq!(t.verdict(1), Verdict::Fault, "weight 0 faults the owner too");
    t.set_script(0, true);
    assert_eq!(t.verdict(0), Verdict::Priority(100));
}

/// keepalived 2.2.7 as shipped: `init_fail` counts as failed until the first result, but a
/// weight-0 script holds its instance back (no FAULT before the first run).
#[test]
fn keepalived_init_fail_counts_failed_until_the_first_result() {
    let mut cfg = base();
    cfg.scripts.push(script("a", 0, true));
    cfg.scripts.push(script("b", -30, true));
    cfg.instances[0].track_scripts.push(track("a", None));
    cfg.instances[1].track_scripts.push(track("b", None));
    cfg.instances[1].priority = 100;
    let mut t = Tracking::new(&cfg);
    assert_eq!(t.verdict(0), Verdict::Pending);
    assert_eq!(t.verdict(1), Verdict::Priority(70));
    assert!(t.set_script(0, false), "the first result is news even when it confirms the assumption");
    assert_eq!(t.verdict(0), Verdict::Fault);
    assert!(t.set_script(1, true));
    assert_eq!(t.verdict(1), Verdict::Priority(100));
}

#[test]
fn keepalived_track_interface_default_weight_zero_faults_and_weights_apply() {
    let mut cfg = base();
    cfg.instances[0].track_interfaces.push(track("eth9", None));
    cfg.instances[0].track_interfaces.push(track("eth8", Some(-10)));
    let mut t = Tracking::new(&cfg);
    assert_eq!(t.interfaces().collect::<Vec<_>>(), vec!["eth8", "eth9"]);
    assert_eq!(t.verdict(0), Verdict::Fault, "an interface not seen yet is down");
    assert!(t.set_interface("eth9", true));
    assert_eq!(t.verdict(0), Verdict::Priority(90));
    assert!(t.set_interface("eth8", true));
    assert_eq!(t.verdict(0), Verdict::Priority(100));
    assert!(!t.set_interface("eth7", false), "untracked interfaces are not news");
    assert!(t.set_interface("eth9", false));
    assert_eq!(t.verdict(0), Verdict::Fault);
}

#[test]
fn keepalived_track_file_number_times_weight_sums_with_the_rest() {
    let mut cfg = base();
    cfg.track_files.push(TrackFile {
        name: "f".into(),
        location: loc(),
        path: "/run/vrrp-test/f".into(),
        weight: 5,
        reverse: false,
        init_file: None,
    });
    cfg.scripts.push(script("chk", 20, false));
    cfg.instances[0].track_files.push(track("f", None));
    cfg.instances[0].track_scripts.push(track("chk", None));
    let mut t = Tracking::new(&cfg);
    assert_eq!(t.verdict(0), Verdict::Priority(100));
    t.set_script(0, true);
    assert_eq!(t.verdict(0), Verdict::Priority(120));
    assert!(t.set_file(0, -4));
    assert_eq!(t.verdict(0), Verdict::Priority(100));
    assert!(t.set_file(0, 40));
    assert_eq!(t.verdict(0), Verdict::Priority(254), "clamped at 254");
    t.set_file(0, -51);
    assert_eq!(t.verdict(0), Verdict::Fault, "-255 reaches keepalived's -254 FAULT");
}

/// keepalived `check_vrrp_script_security`: a disabled script is removed from every
/// instance's track list, so a weight-0 script that cannot run neither holds the instance
/// back nor faults it.
#[test]
fn keepalived_disabled_script_is_no_longer_tracked() {
    let mut cfg = base();
    cfg.scripts.push(script("bad", 0, false));
    cfg.scripts.push(script("good", -20, false));
    cfg.instances[0].track_scripts.push(track("bad", None));
    cfg.instances[0].track_scripts.push(track("good", None));
    let mut t = Tracking::new(&cfg);
    assert_eq!(t.verdict(0), Verdict::Pending);
    t.disable_script(0);
    assert_eq!(t.verdict(0), Verdict::Priority(100));
    t.set_script(1, false);
    assert_eq!(t.verdict(0), Verdict::Priority(80));
}

fn process(name: &str, weight: i32, reverse: bool) -> config::TrackProcess {
    let text = format!(
        "vrrp_track_process {name} {{\n process {name}\n{}}}\n",
        if weight != 0 {
            format!(" weight {weight}{}\n", if reverse { " reverse" } else { "" })
        } else {
            String::new()
        }
    );
    config::parse_str("k.conf", &text).unwrap().track_processes.remove(0)
}

/// keepalived vrrp_track.c `process_update_track_process_status`: a tracked process is a
/// script's good/failed, with weight 0 → FAULT and `reverse`; the instance waits for the
/// first scan whatever the weight (keepalived scans before starting instances).
#[test]
fn keepalived_track_process_weights_fault_and_reverse() {
    let mut cfg = base();
    cfg.track_processes.push(process("web", -30, false));
    cfg.track_processes.push(process("db", 0, false));
    cfg.track_processes.push(process("rev", 0, true));
    cfg.instances[0].track_processes.push(track("web", None));
    cfg.instances[1].track_processes.push(track("db", None));
    let mut t = Tracking::new(&cfg);
    assert!(t.tracks_anything(0) && t.tracks_anything(1));
    assert_eq!(t.verdict(0), Verdict::Pending, "no scan yet, even with a weight");
    assert!(t.set_process(0, false));
    assert_eq!(t.verdict(0), Verdict::Priority(70));
    assert!(!t.set_process(0, false));
    assert!(t.set_process(0, true));
    assert_eq!(t.verdict(0), Verdict::Priority(100));
    // Weight 0: FAULT without quorum; the owner's priority never moves.
    assert!(t.set_process(1, false));
    assert_eq!(t.verdict(1), Verdict::Fault);
    assert!(t.set_process(1, true));
    assert_eq!(t.verdict(1), Verdict::Priority(255));
    // Per-entry weight and reverse.
    let mut cfg = base();
    cfg.track_processes.push(process("rev", 0, true));
    cfg.instances[0].track_processes.push(track("rev", None));
    cfg.instances[0].track_processes[0].reverse = true;
    let mut t = Tracking::new(&cfg);
    t.set_process(0, true);
    assert_eq!(t.verdict(0), Verdict::Fault, "weight 0 reverse: FAULT while the quorum holds");
    t.set_process(0, false);
    assert_eq!(t.verdict(0), Verdict::Priority(100));
    let mut cfg = base();
    cfg.track_processes.push(process("web", 10, false));
    cfg.instances[0].track_processes.push(Track {
        name: "web".into(),
        location: loc(),
        weight: Some(-40),
        reverse: true,
    });
    let mut t = Tracking::new(&cfg);
    t.set_process(0, false);
    assert_eq!(t.verdict(0), Verdict::Priority(140), "-40 reversed is added while the quorum is lost");
    t.set_process(0, true);
    assert_eq!(t.verdict(0), Verdict::Priority(100));
}
