//! Timer punctuality: vrrpd arms a timerfd at the core's absolute deadline, so on an idle
//! machine each expiry is handled within 1 ms of its deadline. This test binary runs alone
//! (cargo runs test binaries one after another), with one pair at 10 ms adverts.
//!
//! On a loaded machine the kernel's wake-up latency comes on top, and it is not vrrpd's:
//! a bare timer thread at vrrpd's priority (nice -10), waking at absolute deadlines at the
//! same period through the same window, measures it, and vrrpd is held to that reference.

mod common;

use std::time::Duration;

use common::capture::{advert_source, between, Capture};
use common::punctuality::{reference_timer, Punctuality};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::require_root;

#[test]
fn timers_fire_within_a_millisecond_of_their_deadline() {
    if !require_root("timers_fire_within_a_millisecond_of_their_deadline") {
        return;
    }
    let lan = lan("timer");
    let cap = Capture::start(&lan, "client");
    let a = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().advert_int("0.01").render());
    let b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).v3().advert_int("0.01").render());
    let settled = wait_for(Duration::from_secs(10), || a.state() == "MASTER" && b.state() == "BACKUP");
    assert!(settled.is_some(), "pair never settled; a log:\n{}", a.log());
    let down: Duration = master_down_interval(100, 1).into();
    let interval = Duration::from_millis(10);
    // A window only tells about vrrpd if this machine could wake a thread at vrrpd's
    // priority in time at all: when the reference timer itself was late by half of what
    // Master_Down_Interval leaves beyond one interval (13 ms), the machine stalled every
    // thread, vrrpd's worst lateness was up to twice the reference's in the same window,
    // and no daemon could have kept the gap under 36 ms. Such a window is measured again,
    // up to WINDOWS times; the test fails if none is usable, and every assertion holds in
    // the window that is.
    const WINDOWS: usize = 6;
    let usable = (down - interval) / 2;
    let mut stalls = Vec::new();
    let mut gaps = Vec::new();
    for _ in 0..WINDOWS {
        let w = window(&lan, &a, &b, &cap);
        if w.ref_worst >= usable {
            eprintln!("window discarded: the reference timer was {:?} late (usable below {usable:?})", w.ref_worst);
            stalls.push(w.ref_worst);
            continue;
        }
        // 10 ms adverts: about 200 expiries in 2 s.
        assert!(w.fired >= 150, "only {} timer expiries in 2 s at 10 ms adverts", w.fired);
        assert!(w.ref_fired >= 150, "the reference timer fired only {} times in 2 s", w.ref_fired);
        // On an idle machine essentially every expiry is within 1 ms (README quotes the
        // figure), and the reference is never late; this test asks for 90 %. On a loaded
        // machine (both cores held by other work) the kernel wakes a nice -10 thread more
        // than 1 ms late a share of the time whoever it is. That share is a 2 s sample of a
        // load that comes and goes (builds start and stop), and vrrpd's and the reference's
        // wake-ups fall on different moments and cores: measured under `stress-ng --cpu 2`
        // plus four builds, vrrpd's share was 0.4 to 2.5 times the reference's in the same
        // window. So vrrpd may be late up to twice the reference's share, plus the idle
        // 10 %. Idle (the reference never late), this is the same 90 % as before.
        let punctual = Punctuality {
            fired: w.fired,
            late: w.late,
            ref_fired: w.ref_fired,
            ref_late: w.ref_late,
            ref_worst: w.ref_worst,
        };
        assert!(
            punctual.holds(),
            "{} of {} expiries were more than 1 ms late (the reference timer: {} of {})",
            w.late,
            w.fired,
            w.ref_late,
            w.ref_fired
        );
        // On the wire: a's adverts never left a gap of Master_Down_Interval (36 ms at
        // priority 100, 1 cs), the bound that matters to the protocol...
        assert!(w.adverts >= 150, "only {} adverts from a on the wire in 2 s\n{}", w.adverts, cap.summary());
        // A machine busy with other work can stall vrrpd, tcpdump or both for tens of
        // milliseconds in a window where the reference timer on the other core happened to
        // be on time (seen once in CI while a build started: a 43 ms gap). One such window
        // is measured again; a second one fails, so a vrrpd that leaves such gaps keeps
        // failing here.
        if (w.gap >= down || w.transitions != 0) && gaps.is_empty() {
            eprintln!("window measured again: a's adverts stopped for {:?}, {} takeovers", w.gap, w.transitions);
            gaps.push(w.gap);
            continue;
        }
        assert!(w.gap < down, "a's adverts stopped for {:?} (Master_Down_Interval {down:?})", w.gap);
        // ... and its effect: the backup never took over in the window. (Counters are read
        // around the window only: a transition during start-up, b timing out before a's
        // first advert arrives on a busy machine, is not what this test measures.)
        assert_eq!(w.transitions, 0, "the backup became MASTER during the window; b log:\n{}", b.log());
        return;
    }
    panic!(
        "in {WINDOWS} windows this machine never woke a nice -10 timer within {usable:?}: {stalls:?} (gaps {gaps:?})"
    );
}

/// One 2 s measurement window.
#[derive(Debug)]
struct Window {
    /// vrrpd's (a's) timer expiries, and how many were more than 1 ms late.
    fired: u64,
    late: u64,
    /// The reference timer's, and its worst lateness.
    ref_fired: u64,
    ref_late: u64,
    ref_worst: Duration,
    /// a's adverts on the wire, and the largest gap between two of them.
    adverts: usize,
    gap: Duration,
    /// b's new master transitions.
    transitions: u64,
}

fn window(lan: &vrrp_lab::Lan, a: &Vrrpd, b: &Vrrpd, cap: &Capture) -> Window {
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    let transitions = || n(&b.status_json()["instances"][0]["stats"], "master_transitions");
    let b_before = transitions();
    let start = Capture::mark();
    let before = a.status_json()["timer"].clone();
    let reference = std::thread::spawn(|| reference_timer(Duration::from_millis(10), Duration::from_secs(2)));
    std::thread::sleep(Duration::from_secs(2));
    let after = a.status_json()["timer"].clone();
    let end = Capture::mark();
    let (ref_fired, ref_late, ref_worst) = reference.join().expect("reference timer");
    let a_src = advert_source(lan, "a", false);
    let adverts = cap.all_between(start, end, |f| f.advert_priority(a_src, 200).is_some());
    let gap = adverts.windows(2).map(|w| between(&w[0], &w[1])).max().unwrap_or(Duration::MAX);
    let w = Window {
        fired: n(&after, "fired") - n(&before, "fired"),
        late: n(&after, "late_over_1ms") - n(&before, "late_over_1ms"),
        ref_fired,
        ref_late,
        ref_worst,
        adverts: adverts.len(),
        gap,
        transitions: transitions() - b_before,
    };
    eprintln!(
        "master timer over 2 s: {} expiries, {} more than 1 ms late (worst so far {} us); reference timer at nice -10: {} expiries, {} more than 1 ms late, worst {:?}; largest gap between a's adverts on the wire {:?}",
        w.fired, w.late, n(&after, "late_max_us"), w.ref_fired, w.ref_late, w.ref_worst, w.gap
    );
    w
}
