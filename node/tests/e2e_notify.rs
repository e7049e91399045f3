//! notify scripts and the notify FIFO (issue 10; keepalived.conf(5) "notify", "notify_master",
//! "vrrp_notify_fifo"; keepalived 2.2.7 vrrp_notify.c: notify_instance_exec runs `notify` as
//! `SCRIPT INSTANCE NAME STATE PRIORITY`, notify_fifo writes `INSTANCE "NAME" STATE PRIORITY`).
//!
//! One server alone, `state BACKUP`, priority 100, tracking a `weight 0` script the test can
//! fail: it goes BACKUP → MASTER (no peer: Master_Down_Interval), → FAULT (script fails) →
//! BACKUP → MASTER (script recovers), → STOP (SIGTERM). A `notify` script logs its arguments,
//! `notify_master` / `notify_backup` / `notify_fault` / `notify_stop` scripts log their own
//! names to one file, and a reader on `vrrp_notify_fifo` collects its lines: each must show
//! every transition, in order.

mod common;

use std::time::Duration;

use common::track::{vrrp_script, Daemon, FifoReader, Kind, ScriptDir, TrackConf};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::require_root;

/// What one run recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// `notify`'s arguments, one line per call.
    notify: Vec<String>,
    /// Which of notify_master / _backup / _fault / _stop ran, in order.
    per_state: Vec<String>,
    /// The FIFO's lines.
    fifo: Vec<String>,
}

fn config(dir: &ScriptDir, fifo: &std::path::Path) -> String {
    let check = dir.flag_check("chk");
    dir.set_ok("chk", true);
    let notify = dir.notify_log("notify");
    // notify_master etc. take their arguments from the config line only; each logs its own
    // name to states.log.
    let states = dir.notify_log("states");
    TrackConf::new(Conf::seed("BACKUP", 100))
        .global(&format!("vrrp_notify_fifo {}", fifo.display()))
        .block(&vrrp_script("chk", &check.display().to_string(), 1, 0, 1, 1, &[]))
        .instance("track_script {\n    chk\n}")
        .instance(&format!("notify {}", notify.display()))
        .instance(&format!("notify_master \"{} master\"", states.display()))
        .instance(&format!("notify_backup \"{} backup\"", states.display()))
        .instance(&format!("notify_fault \"{} fault\"", states.display()))
        .instance(&format!("notify_stop \"{} stop\"", states.display()))
        .render()
}

/// The scenario on `kind`; returns what the scripts and the FIFO saw.
fn scenario(test: &str, tag: &str, kind: Kind, vrrpd_args: &[&str]) -> Seen {
    let lan = lan(tag);
    let dir = ScriptDir::new();
    let fifo_path = dir.path("notify.fifo");
    let fifo = FifoReader::start(&fifo_path);
    let mut a = Daemon::start_with(&lan, "a", kind, &config(&dir, &fifo_path), vrrpd_args);
    let down: Duration = master_down_interval(100, 100).into();
    let label = format!("{test} ({})", kind.name());
    let notified = |state: &str, n: usize| {
        let want = format!("INSTANCE VI {state} 100");
        wait_for(down + Duration::from_secs(5), || dir.lines("notify").iter().filter(|l| **l == want).count() >= n)
            .is_some()
    };
    assert!(notified("MASTER", 1), "{label}: never notified MASTER: {:?}\n{}", dir.lines("notify"), a.log());
    assert!(holds(&lan, "a", vip()), "{label}: MASTER without the VIP\n{}", a.log());
    dir.set_ok("chk", false);
    assert!(notified("FAULT", 1), "{label}: never notified FAULT: {:?}\n{}", dir.lines("notify"), a.log());
    dir.set_ok("chk", true);
    assert!(notified("MASTER", 2), "{label}: never MASTER again: {:?}\n{}", dir.lines("notify"), a.log());
    a.peer().sigterm();
    let exited = a.peer().wait_exit(Duration::from_secs(10));
    assert!(exited.is_some(), "{label}: did not exit on SIGTERM\n{}", a.log());
    // Scripts still running when the daemon exits finish on their own; give them a moment.
    wait_for(Duration::from_secs(3), || dir.lines("notify").len() >= 6 && dir.lines("states").len() >= 6);
    std::thread::sleep(Duration::from_millis(300));
    let seen = Seen { notify: dir.lines("notify"), per_state: dir.lines("states"), fifo: fifo.lines() };
    eprintln!("{label}: {seen:#?}");
    seen
}

/// keepalived's order, as its manual documents it: every transition, once, in order.
fn assert_documented_order(label: &str, seen: &Seen) {
    let states = ["BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER", "STOP"];
    let want: Vec<String> = states.iter().map(|s| format!("INSTANCE VI {s} 100")).collect();
    assert_eq!(seen.notify, want, "{label}: notify's calls");
    let want: Vec<String> = states.iter().map(|s| s.to_lowercase()).collect();
    assert_eq!(seen.per_state, want, "{label}: notify_master/_backup/_fault/_stop calls");
    let want: Vec<String> = states.iter().map(|s| format!("INSTANCE \"VI\" {s} 100")).collect();
    assert_eq!(seen.fifo, want, "{label}: vrrp_notify_fifo lines");
}

#[test]
fn keepalived_notify_scripts_and_fifo_see_every_transition_in_order() {
    let test = "keepalived_notify_scripts_and_fifo_see_every_transition_in_order";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let seen = scenario(test, "ntfka", Kind::Keepalived, &[]);
    assert_documented_order(test, &seen);
}
