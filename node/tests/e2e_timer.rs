//! Timer punctuality: vrrpd arms a timerfd at the core's absolute deadline, so on an idle
//! machine each expiry is handled within 1 ms of its deadline. This test binary runs alone
//! (cargo runs test binaries one after another), with one pair at 10 ms adverts.

mod common;

use std::time::Duration;

use common::*;
use vrrp_lab::require_root;

#[test]
fn timers_fire_within_a_millisecond_of_their_deadline() {
    if !require_root("timers_fire_within_a_millisecond_of_their_deadline") {
        return;
    }
    let lan = lan("timer");
    let a = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().advert_int("0.01").render());
    let b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).v3().advert_int("0.01").render());
    let settled = wait_for(Duration::from_secs(10), || a.state() == "MASTER" && b.state() == "BACKUP");
    assert!(settled.is_some(), "pair never settled; a log:\n{}", a.log());
    // Counters are read around the window only: a transition during start-up (b can time out
    // before a's first advert arrives when the machine is busy) is not what this test measures.
    let transitions = || b.status_json()["instances"][0]["stats"]["master_transitions"].as_u64().unwrap_or(0);
    let b_before = transitions();
    let before = a.status_json()["timer"].clone();
    std::thread::sleep(Duration::from_secs(2));
    let after = a.status_json()["timer"].clone();
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    let fired = n(&after, "fired") - n(&before, "fired");
    let late = n(&after, "late_over_1ms") - n(&before, "late_over_1ms");
    eprintln!(
        "master timer over 2 s: {fired} expiries, {late} more than 1 ms late, worst {} us",
        n(&after, "late_max_us")
    );
    // 10 ms adverts: about 200 expiries in 2 s.
    assert!(fired >= 150, "only {fired} timer expiries in 2 s at 10 ms adverts");
    // On an idle machine essentially every expiry is within 1 ms (README quotes the
    // figure); this test also has to pass on a CI machine that is busy building, so it
    // asks for 90 %.
    assert!(late * 10 <= fired, "{late} of {fired} expiries were more than 1 ms late");
    // And the backup never took over in the window: its Master_Down_Interval (36 ms) was
    // never missed.
    assert_eq!(transitions() - b_before, 0, "the backup became MASTER during the window; b log:\n{}", b.log());
}
