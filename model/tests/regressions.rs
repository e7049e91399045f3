//! Literal schedules that sit exactly on the edge of an invariant's allowance.
//!
//! One schedule broke an invariant against the real core (the last test, kept since the
//! core was fixed); the others sit on an edge. These edges were
//! found by proptest when the settle allowance was cut on purpose (their seeds are in
//! `proptest-regressions/invariants.txt`): each shows that one term of
//! [`Schedule::settle_time`](vrrp_model::Schedule::settle_time) is needed, so a change
//! that slows the core down by a microsecond fails here first. Core bugs, when found,
//! get their minimal schedule added here too.

use vrrp_core::timers::master_down_interval;
use vrrp_core::wire::Version;
use vrrp_core::State;
use vrrp_model::invariants::{changes, check, masters_at};
use vrrp_model::{run, Event, Fault, Quality, Schedule};

#[test]
fn slowest_election_takes_exactly_the_lowest_priority_master_down_interval() {
    let mut s = Schedule::basic(&[1, 1]);
    s.version = Version::V2;
    s.base = Quality::latency(0, 0);
    let o = run(&s);
    assert_eq!(check(&o), vec![]);
    let mdi = master_down_interval(1, 100).as_micros();
    assert_eq!(mdi, 3_996_093);
    let elected: Vec<u64> = changes(&o).iter().filter(|c| c.to == State::Master).map(|c| c.at).collect();
    assert_eq!(elected.first(), Some(&mdi));
    assert!(o.settle >= mdi);
}

#[test]
fn equal_priority_masters_at_10ms_resolve_within_two_latencies() {
    // Two routers of equal priority time out together and are both master until the
    // first advert crosses; with 1.3 ms worst latency that is what the 2 × latency term
    // of the settle allowance is for.
    let mut s = Schedule::basic(&[200, 200]);
    s.interval_cs = 1;
    s.base = Quality::latency(395, 937);
    s.tail_intervals = 200;
    let o = run(&s);
    assert_eq!(check(&o), vec![]);
    let mdi = master_down_interval(200, 1).as_micros();
    assert_eq!(masters_at(&o, 0, mdi), vec![0, 1], "both time out at once");
    let resolved = changes(&o).last().map(|c| c.at).unwrap();
    assert!(resolved - mdi <= 395 + 937, "dual master for {} µs", resolved - mdi);
    assert_eq!(masters_at(&o, 0, o.end), vec![1], "the higher address wins");
}

#[test]
fn advert_in_flight_across_a_partition_delays_the_takeover_by_its_latency() {
    // r0 (prio 200) is master at 10 ms adverts; the LAN splits 10 µs after one of its
    // adverts left. That advert still arrives and restarts r1's down timer, so r1 takes
    // over Master_Down_Interval after the *arrival*, up to one latency later than after
    // the partition: the reason the settle allowance has a latency term for in-flight
    // packets.
    let mut s = Schedule::basic(&[200, 100]);
    s.interval_cs = 1;
    s.base = Quality::latency(736, 637);
    let elected = master_down_interval(200, 1).as_micros();
    let cut = elected + 10 * 10_000 + 10;
    s.faults = vec![(cut, Fault::Partition { sides: vec![0, 1] })];
    let o = run(&s);
    assert_eq!(check(&o), vec![]);
    let arrival = o
        .trace
        .iter()
        .filter(|r| matches!(r.event, Event::Delivered { from: 0, to: 1, .. }))
        .map(|r| r.at)
        .next_back()
        .unwrap();
    assert!(arrival > cut, "the last advert lands after the cut: {arrival} vs {cut}");
    let takeover = changes(&o).iter().find(|c| c.node == 1 && c.to == State::Master).map(|c| c.at);
    assert_eq!(takeover, Some(arrival + master_down_interval(100, 1).as_micros()));
}

/// Found by proptest once `Fault::Handover` joined the schedules, but it needs only the
/// older faults: a master raises its priority and stops in the same microsecond, so it
/// sends a priority-250 advert and then its priority-0 goodbye, and 1 µs of jitter
/// delivers them the other way round. The backup (100) starts its Skew_Time on the
/// goodbye, then takes the late 250 advert for a live master and restarts its
/// Master_Down_Interval at its own priority, 3 s + Skew_Time(100), from then. The
/// leaving master releases its VIPs after Master_Down_Interval at its own priority,
/// 3 s + Skew_Time(250), which is sooner, so for 0.59 s nobody holds them. The core
/// sets that release (`release_vips_later` in core/src/instance.rs); it now holds until
/// Master_Down_Interval at priority 1 (the most any backup waits,
/// `Instance::longest_release_hold`), which closes the gap. proptest found it once in 13
/// runs of the 4096-case test.
#[test]
fn a_stale_advert_overtaking_the_goodbye_leaves_the_vips_with_nobody() {
    let mut s = Schedule::basic(&[200, 100]);
    s.base = Quality::latency(0, 1);
    s.faults =
        vec![(20_000_000, Fault::SetPriority { router: 0, vrid: 0, priority: 250 }), (20_000_000, Fault::Shutdown(0))];
    let o = run(&s);
    assert_eq!(check(&o), vec![]);
}

/// A lone master at 10 ms adverts stops gracefully (its peer's link is down) and keeps
/// its VIPs for the release hold, 100 ms, far longer than Master_Down_Interval (~40 ms).
/// Restarted 60.05 ms later, while it still held them, it starts as BACKUP and its new
/// instance takes over 39.96 ms after that, 10 µs after the hold ended. Nothing could
/// keep the VIPs over a restart with no peer: the checker had taken the hold for a
/// settled state, because the settle allowance (Master_Down_Interval + one interval,
/// ~50 ms) was shorter than the hold. It found this once in CI; the settle allowance
/// now covers the hold.
#[test]
fn a_restart_during_a_lone_masters_release_hold_is_not_a_planned_change_from_a_settled_state() {
    let mut s = Schedule::basic(&[1, 1]);
    s.preempt = false;
    s.interval_cs = 1;
    s.base = Quality::latency(0, 0);
    s.tail_intervals = 15;
    s.faults = vec![(0, Fault::LinkDown(1)), (167_500, Fault::Shutdown(0)), (227_550, Fault::Restart(0))];
    let o = run(&s);
    assert!(o.settle > 227_550 - 167_500, "the restart is inside the settle allowance");
    assert_eq!(check(&o), vec![]);
}
