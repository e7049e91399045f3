//! FAULT from tracking (issue 10; keepalived.conf(5): a tracked script or interface with
//! weight 0 that fails puts the instance in FAULT; keepalived 2.2.7 vrrp_track.c:
//! update_script_priorities / process_script_update_priority, vrrp_scheduler.c: the
//! instance leaves FAULT when its last failed item recovers).
//!
//! The seed pair, a (MASTER 101) tracking a `weight 0` script, `track_interface` on a
//! veth `trk0` in its namespace and a `weight 0` `vrrp_track_file`, b (BACKUP 100) tracking
//! nothing. Each fault (script failing, `trk0` down, a non-zero number in the file) must
//! remove the VIP from a and silence its adverts on the wire after one priority-0 advert on
//! the way out (keepalived sends it when a master leaves for FAULT), b takes over; each
//! recovery brings a back to BACKUP and, preempting, to MASTER.

mod common;

use std::time::Duration;

use common::capture::{advert_source, Capture, LATE};
use common::track::{add_veth, set_link, vrrp_script, Daemon, Kind, ScriptDir, TrackConf};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::{require_root, Lan};

const VRID: u8 = 200;
const DUMMY: &str = "trk0";
/// The script's interval; it fails (and recovers) after one run (`rise 1 fall 1`).
const INTERVAL: Duration = Duration::from_secs(1);
/// How long a must stay silent on the wire once in FAULT.
const SILENCE: Duration = Duration::from_secs(3);

/// The tracked file (`vrrp_track_file tf`, weight 0: a non-zero number in it is a failure).
fn track_file(dir: &ScriptDir) -> std::path::PathBuf {
    dir.path("track_file")
}

/// Writes `value` to the tracked file in one write (keepalived reads it on IN_CLOSE_WRITE).
fn set_track_file(dir: &ScriptDir, value: &str) {
    std::fs::write(track_file(dir), format!("{value}\n")).expect("write the tracked file");
}

fn config_a(dir: &ScriptDir) -> String {
    let check = dir.flag_check("chk_zero");
    dir.set_ok("chk_zero", true);
    set_track_file(dir, "0");
    TrackConf::new(Conf::seed("MASTER", 101))
        .block(&vrrp_script("chk_zero", &check.display().to_string(), 1, 0, 1, 1, &[]))
        .instance("track_script {\n    chk_zero\n}")
        .instance(&format!("track_interface {{\n    {DUMMY}\n}}"))
        .block(&format!("vrrp_track_file tf {{\n    file \"{}\"\n    weight 0\n}}\n", track_file(dir).display()))
        .instance("track_file {\n    tf\n}")
        .render()
}

/// The state a reports: vrrpd's status, or keepalived's last "Entering X STATE" line.
fn state(d: &Daemon) -> String {
    match d {
        Daemon::Vrrpd(v) => v.state(),
        Daemon::Keepalived(k) => k
            .log()
            .lines()
            .rev()
            .find_map(|l| Some(l.split("Entering ").nth(1)?.split(" STATE").next()?.to_owned()))
            .unwrap_or_default(),
    }
}

/// The LAN, the client's capture, a and b.
struct Pair<'a> {
    lan: &'a Lan,
    cap: &'a Capture,
    a: &'a Daemon,
    b: &'a Daemon,
}

/// One fault and its recovery: `fault` breaks a tracked item, at most `detect` later a must
/// have fallen silent and dropped the VIP; `recover` repairs it and a must return.
fn cycle(pair: &Pair, label: &str, detect: Duration, fault: impl FnOnce(), recover: impl FnOnce()) {
    let Pair { lan, cap, a, b } = pair;
    let logs = || format!("{}\n{}\n{}", a.log(), b.log(), cap.summary());
    let (a_src, b_src) = (advert_source(lan, "a", false), advert_source(lan, "b", false));
    let down: Duration = master_down_interval(100, 100).into();
    let broke = Capture::mark();
    fault();
    let gone = wait_for(detect + Duration::from_secs(5), || !holds(lan, "a", vip()) && holds(lan, "b", vip()));
    assert!(gone.is_some(), "{label}: a kept the VIP or b never took it\n{}", logs());
    assert!(wait_for(Duration::from_secs(3), || state(a) == "FAULT").is_some(), "{label}: a not in FAULT\n{}", logs());
    // On the wire: a's adverts end within `detect` (+ LATE) of the fault, and stay ended.
    let b_first = cap.advert(b_src, VRID, broke, Duration::from_secs(3), |p| p > 0);
    let last = cap.last_advert(a_src, VRID, b_first.at);
    let until = last.at + LATE + SILENCE;
    wait_for(SILENCE + LATE + Duration::from_secs(1), || Capture::mark() > until);
    let after =
        cap.all_between(last.at + Duration::from_micros(1), until, |f| f.advert_priority(a_src, VRID).is_some());
    assert!(after.is_empty(), "{label}: a advertised in FAULT: {after:?}\n{}", logs());
    let quiet_from = last.at.duration_since(broke).unwrap_or_default();
    assert!(
        quiet_from <= detect + LATE,
        "{label}: a's last advert {quiet_from:?} after the fault (bound {detect:?} + {LATE:?})\n{}",
        logs()
    );
    // That last advert is a priority-0 goodbye, as keepalived sends it (vrrp.c:
    // vrrp_state_leave_master: "Entering FAULT STATE", vrrp_send_adv(VRRP_PRIO_STOP)), so b
    // takes over after Skew_Time rather than Master_Down_Interval.
    assert_eq!(
        last.advert_priority(a_src, VRID),
        Some(0),
        "{label}: a left MASTER for FAULT without a goodbye\n{}",
        logs()
    );
    assert!(b_first.at > last.at, "{label}: b advertised before a fell silent\n{}", logs());
    assert!(!holds(lan, "a", vip()), "{label}: VIP on a in FAULT\n{}", logs());
    assert_eq!(state(a), "FAULT", "{label}: a left FAULT while the item was still failed\n{}", logs());

    // Recovery: a leaves FAULT for BACKUP, then preempts b (101 > 100) after
    // Master_Down_Interval at the latest.
    let repaired = Capture::mark();
    recover();
    let back = wait_for(detect + down + Duration::from_secs(5), || holds(lan, "a", vip()) && !holds(lan, "b", vip()));
    assert!(back.is_some(), "{label}: the VIP never came back to a\n{}", logs());
    let a_back = cap.advert(a_src, VRID, repaired, Duration::from_secs(3), |p| p == 101);
    let took = a_back.at.duration_since(repaired).unwrap_or_default();
    assert!(
        took <= detect + down + LATE,
        "{label}: a back as master {took:?} after the repair (bound {:?})\n{}",
        detect + down + LATE,
        logs()
    );
    assert_eq!(state(a), "MASTER", "{label}\n{}", logs());
    let b_after = cap.all_between(a_back.at + LATE, Capture::mark(), |f| f.advert_priority(b_src, VRID).is_some());
    assert!(b_after.is_empty(), "{label}: b kept advertising after a returned: {b_after:?}\n{}", logs());
    eprintln!(
        "{label}: last advert {:?}, silent {quiet_from:?} after the fault, master again {took:?} after the repair",
        last.what
    );
}

fn scenario(test: &str, tag: &str, kind: Kind) {
    let lan = lan(tag);
    let cap = Capture::start(&lan, "client");
    add_veth(&lan, "a", DUMMY);
    let dir = ScriptDir::new();
    let a = Daemon::start(&lan, "a", kind, &config_a(&dir));
    let b = Daemon::start(&lan, "b", kind, &Conf::seed("BACKUP", 100).render());
    let down: Duration = master_down_interval(100, 100).into();
    let settled = wait_for(4 * down + Duration::from_secs(5), || {
        holders(&lan, &["a", "b"], vip()) == ["a"] && dir.runs("chk_zero").len() >= 2 && state(&a) == "MASTER"
    });
    assert!(settled.is_some(), "{test}: never settled\n{}\n{}", a.log(), b.log());
    let label = format!("{test} ({})", kind.name());

    // A script with weight 0 failing: FAULT after its one failing run (fall 1), at most one
    // interval after the flag goes (its phase) plus the run.
    let pair = Pair { lan: &lan, cap: &cap, a: &a, b: &b };
    cycle(
        &pair,
        &format!("{label}, weight 0 script"),
        INTERVAL,
        || dir.set_ok("chk_zero", false),
        || dir.set_ok("chk_zero", true),
    );
    assert!(dir.runs("chk_zero").iter().any(|r| !r.ok), "the script never failed");
    // A tracked interface going down: FAULT at once (netlink), back when it is up.
    cycle(
        &pair,
        &format!("{label}, track_interface {DUMMY}"),
        Duration::ZERO,
        || set_link(&lan, "a", DUMMY, false),
        || set_link(&lan, "a", DUMMY, true),
    );
    // A tracked file with weight 0 holding a non-zero number: FAULT when it is written
    // (inotify), back when it holds 0 again (keepalived.conf(5) "track_file").
    cycle(
        &pair,
        &format!("{label}, track_file"),
        Duration::ZERO,
        || set_track_file(&dir, "1"),
        || set_track_file(&dir, "0"),
    );
}

#[test]
fn keepalived_weight_zero_script_interface_and_file_fault_and_recover() {
    let test = "keepalived_weight_zero_script_interface_and_file_fault_and_recover";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    scenario(test, "fltka", Kind::Keepalived);
}

#[test]
fn vrrpd_weight_zero_script_interface_and_file_fault_and_recover() {
    let test = "vrrpd_weight_zero_script_interface_and_file_fault_and_recover";
    if !require_root(test) {
        return;
    }
    scenario(test, "fltvr", Kind::Vrrpd);
}
