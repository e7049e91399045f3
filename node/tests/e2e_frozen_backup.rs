//! A backup that is not scheduled for longer than Master_Down_Interval (a loaded or
//! stalled host; here SIGSTOP) wakes up with its timer expired *and* the master's adverts
//! queued on its socket. The master was alive all along, so the backup must hear those
//! adverts before it judges its deadline, and stay BACKUP: no spurious takeover, no VIP on
//! two hosts.

mod common;

use std::time::Duration;

use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use vrrp_lab::require_root;

#[test]
fn a_backup_woken_late_hears_the_queued_adverts_before_its_timer() {
    let test = "a_backup_woken_late_hears_the_queued_adverts_before_its_timer";
    if !require_root(test) {
        return;
    }
    let lan = lan("frozen");
    let a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    let settled = wait_for(Duration::from_secs(15), || {
        holds(&lan, "a", vip()) && b.state() == "BACKUP" && !holds(&lan, "b", vip())
    });
    assert!(settled.is_some(), "pair never settled; a log:\n{}\nb log:\n{}", a.log(), b.log());
    let transitions = |d: &Vrrpd| d.status_json()["instances"][0]["stats"]["master_transitions"].as_u64();
    let before = transitions(&b);
    assert!(before.is_some(), "no status from b");

    // Freeze b for Master_Down_Interval + 1.4 s: its deadline passes while a keeps
    // advertising once a second into b's socket buffer.
    let mdi: Duration = vrrp_core::timers::master_down_interval(100, 100).into();
    let pid = Pid::from_raw(i32::try_from(b.child.id()).unwrap());
    // What b logged before the freeze (a start on a loaded machine may race: b master for
    // an instant until a's first advert) is not judged.
    let logged = b.log().len();
    kill(pid, Signal::SIGSTOP).unwrap();
    std::thread::sleep(mdi + Duration::from_millis(1400));
    kill(pid, Signal::SIGCONT).unwrap();

    // Let b run a few intervals, then judge: still BACKUP, never MASTER, VIP on a alone.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(b.state(), "BACKUP", "b log:\n{}", b.log());
    assert_eq!(transitions(&b), before, "b took over although a's adverts were queued; b log:\n{}", b.log());
    assert!(!b.log().get(logged..).unwrap_or_default().contains("Entering MASTER"), "b log:\n{}", b.log());
    assert_eq!(holders(&lan, &["a", "b"], vip()), ["a"], "a log:\n{}\nb log:\n{}", a.log(), b.log());
}
