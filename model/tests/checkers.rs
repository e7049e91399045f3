//! The checkers are not vacuous: each fires on a trace that breaks its property.
//!
//! A checker that never fires looks exactly like a core without bugs, so each one is
//! fed a real run's trace with one forged event and must name the problem.

use vrrp_core::{Reason, State};
use vrrp_model::checker;
use vrrp_model::invariants::{self, check};
use vrrp_model::sim::Outcome;
use vrrp_model::{run, Event, Fault, Record, Schedule};

/// r0 prio 200, r1 prio 100, r2 prio 150; 1 s adverts, 100 µs links.
fn three_routers() -> Schedule {
    Schedule::basic(&[200, 100, 150])
}

/// Inserts a state change at `at` (after the events already there).
fn forge(o: &mut Outcome, at: u64, node: u8, from: State, to: State) {
    let i = o.trace.partition_point(|r| r.at <= at);
    o.trace.insert(i, Record { at, event: Event::State { node, vrid: 0, from, to, reason: Reason::MasterNoResponse } });
}

fn fired(o: &Outcome, checker: &str) -> Vec<String> {
    check(o).into_iter().filter(|v| v.checker == checker).map(|v| v.to_string()).collect()
}

#[test]
fn untouched_runs_pass_every_checker() {
    let o = run(&three_routers());
    assert_eq!(check(&o), vec![]);
}

#[test]
fn single_master_checker_names_both_masters() {
    let mut o = run(&three_routers());
    forge(&mut o, 10_000_000, 1, State::Backup, State::Master);
    let v = fired(&o, checker::SINGLE_MASTER_WHEN_STABLE);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("has 2 masters"), "{}", v[0]);
    assert!(v[0].contains("r0 (192.0.2.10) vrid 51 MASTER"), "{}", v[0]);
    assert!(v[0].contains("r1 (192.0.2.11) vrid 51 MASTER"), "{}", v[0]);
    assert!(v[0].contains("t=10.000000s"), "{}", v[0]);
}

#[test]
fn single_master_checker_wants_the_highest_priority_when_preempting() {
    let mut o = run(&three_routers());
    forge(&mut o, 10_000_000, 0, State::Master, State::Backup);
    forge(&mut o, 10_000_000, 2, State::Backup, State::Master);
    let v = fired(&o, checker::SINGLE_MASTER_WHEN_STABLE);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("master is r2 (192.0.2.12, prio 150) but r0 (192.0.2.10, prio 200)"), "{}", v[0]);
}

#[test]
fn single_master_checker_accepts_any_master_without_preemption() {
    let mut s = three_routers();
    s.preempt = false;
    let mut o = run(&s);
    forge(&mut o, 10_000_000, 0, State::Master, State::Backup);
    forge(&mut o, 10_000_000, 2, State::Backup, State::Master);
    assert_eq!(fired(&o, checker::SINGLE_MASTER_WHEN_STABLE), Vec::<String>::new());
}

#[test]
fn flapping_checker_reports_any_change_on_a_stable_network() {
    let mut o = run(&three_routers());
    forge(&mut o, 12_000_000, 1, State::Backup, State::Master);
    forge(&mut o, 12_000_500, 1, State::Master, State::Backup);
    let v = fired(&o, checker::NO_FLAPPING_WHEN_STABLE);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("t=12.000000s: r1 (192.0.2.11) vrid 51 went Backup -> Master"), "{}", v[0]);
}

#[test]
fn convergence_checker_reports_a_change_after_the_settle_time() {
    let mut s = three_routers();
    s.faults = vec![(5_000_000, Fault::Crash(0))];
    let mut o = run(&s);
    let late = 5_000_000 + o.settle + 1_000;
    forge(&mut o, late, 1, State::Backup, State::Master);
    let v = fired(&o, checker::CONVERGES_AFTER_LAST_FAULT);
    assert!(v[0].contains("still changes state"), "{v:?}");
    assert!(v[1].contains("end of run"), "{v:?}");
}

#[test]
fn partition_checker_reports_two_masters_on_one_side() {
    let mut s = three_routers();
    s.faults = vec![(5_000_000, Fault::Partition { sides: vec![0, 1, 1] })];
    s.tail_intervals = 30;
    let mut o = run(&s);
    assert_eq!(check(&o), vec![]);
    // r1 and r2 share side 1, where r2 (prio 150) is master.
    forge(&mut o, 20_000_000, 1, State::Backup, State::Master);
    let v = fired(&o, checker::ONE_MASTER_PER_PARTITION_SIDE);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("has 2 masters"), "{}", v[0]);
    assert!(v[0].contains("2 sides"), "{}", v[0]);
}

#[test]
fn trace_comparison_finds_the_first_difference() {
    let a = run(&three_routers());
    let mut b = a.clone();
    let name = checker::SAME_SEED_SAME_TRACE;
    assert_eq!(invariants::compare_traces(name, &a, &b), vec![]);
    b.trace[3].at += 1;
    let v = invariants::compare_traces(name, &a, &b);
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("differ at event 3"), "{}", v[0]);
}

/// r0 stops gracefully at 10 s; r2 (150) takes over after Skew_Time.
fn planned_stop() -> Outcome {
    let mut s = three_routers();
    s.faults = vec![(10_000_000, Fault::Shutdown(0))];
    run(&s)
}

#[test]
fn planned_changes_checker_catches_a_stop_that_drops_the_vips_at_once() {
    let mut o = planned_stop();
    assert_eq!(fired(&o, checker::PLANNED_CHANGES_KEEP_THE_VIPS), Vec::<String>::new());
    // What RFC 9568 §6.4.3 (and keepalived) does: the VIPs go with the priority-0 advert.
    let release = o.trace.iter().position(|r| matches!(r.event, Event::Vips { node: 0, held: false, .. })).unwrap();
    o.trace.remove(release);
    let i = o.trace.partition_point(|r| r.at <= 10_000_000);
    o.trace.insert(i, Record { at: 10_000_000, event: Event::Vips { node: 0, vrid: 0, held: false } });
    let v = fired(&o, checker::PLANNED_CHANGES_KEEP_THE_VIPS);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("vrid 51: no router holds the VIPs during a planned change at t=10.000000s"), "{}", v[0]);
}

#[test]
fn planned_changes_checker_catches_a_stopping_router_that_still_advertises() {
    let mut o = planned_stop();
    let i = o.trace.partition_point(|r| r.at <= 10_000_050);
    o.trace.insert(i, Record { at: 10_000_050, event: Event::Sent { node: 0, vrid: 0, priority: 200 } });
    let v = fired(&o, checker::PLANNED_CHANGES_KEEP_THE_VIPS);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("r0, stopping, advertised priority 200"), "{}", v[0]);
}

#[test]
fn planned_changes_checker_catches_a_handover_that_drops_the_vips_at_once() {
    let mut s = three_routers();
    s.faults = vec![(10_000_000, Fault::Handover { router: 0, vrid: 0 })];
    let mut o = run(&s);
    assert_eq!(check(&o), vec![]);
    // A core that releases with the priority-0 advert instead of after the successor's.
    let release = o.trace.iter().position(|r| matches!(r.event, Event::Vips { node: 0, held: false, .. })).unwrap();
    assert!(o.trace[release].at > 10_000_000, "released at {}", o.trace[release].at);
    o.trace.remove(release);
    let i = o.trace.partition_point(|r| r.at <= 10_000_000);
    o.trace.insert(i, Record { at: 10_000_000, event: Event::Vips { node: 0, vrid: 0, held: false } });
    let v = fired(&o, checker::PLANNED_CHANGES_KEEP_THE_VIPS);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].contains(
            "vrid 51: no router holds the VIPs during a planned change at t=10.000000s (Handover { router: 0, vrid: 0 })"
        ),
        "{}",
        v[0]
    );
}

#[test]
fn single_master_checker_still_wants_the_highest_router_that_did_not_hand_over() {
    // r0 (200) hands over: r2 (150) is the master to expect, not r1 (100).
    let mut s = three_routers();
    s.faults = vec![(10_000_000, Fault::Handover { router: 0, vrid: 0 })];
    let mut o = run(&s);
    assert_eq!(fired(&o, checker::SINGLE_MASTER_WHEN_STABLE), Vec::<String>::new());
    forge(&mut o, 20_000_000, 2, State::Master, State::Backup);
    forge(&mut o, 20_000_000, 1, State::Backup, State::Master);
    let v = fired(&o, checker::SINGLE_MASTER_WHEN_STABLE);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("master is r1 (192.0.2.11, prio 100) but r2 (192.0.2.12, prio 150)"), "{}", v[0]);
}
