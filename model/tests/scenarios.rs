//! Hand-written schedules whose outcome is known to the microsecond from RFC 9568's
//! formulas. They pin the simulator to the protocol (a simulator that merely agrees
//! with itself proves nothing) and document the behaviours users ask about.

use vrrp_core::instance::HANDOVER_LINGER;
use vrrp_core::timers::{master_down_interval, skew_time};
use vrrp_core::wire::Version;
use vrrp_core::{Reason, State};
use vrrp_model::invariants::{changes, check, masters_at};
use vrrp_model::sim::Outcome;
use vrrp_model::{run, Event, Fault, Quality, Schedule};

const S: u64 = 1_000_000;

/// r0 prio 200, r1 prio 100, r2 prio 150; v3, 1 s adverts, 100 µs links, no jitter.
fn three() -> Schedule {
    Schedule::basic(&[200, 100, 150])
}

fn mdi(p: u8, cs: u16) -> u64 {
    master_down_interval(p, cs).as_micros()
}

fn skew(p: u8, cs: u16) -> u64 {
    skew_time(p, cs).as_micros()
}

/// Runs and insists on a clean bill of health.
fn run_clean(s: &Schedule) -> Outcome {
    let o = run(s);
    let v = check(&o);
    assert!(v.is_empty(), "{v:#?}");
    o
}

/// When `node` next entered `to` at or after `after`, and why.
fn entered(o: &Outcome, node: u8, to: State, after: u64) -> Option<(u64, Reason)> {
    o.trace.iter().find_map(|r| match r.event {
        Event::State { node: n, to: t, reason, vrid: 0, .. } if n == node && t == to && r.at >= after => {
            Some((r.at, reason))
        }
        _ => None,
    })
}

/// When `node` next added (`held`) or removed the VIPs of VRID 51 at or after `after`.
fn vips(o: &Outcome, node: u8, held: bool, after: u64) -> Option<u64> {
    o.trace.iter().find_map(|r| match r.event {
        Event::Vips { node: n, vrid: 0, held: h } if n == node && h == held && r.at >= after => Some(r.at),
        _ => None,
    })
}

const LINGER: u64 = HANDOVER_LINGER.as_micros();

#[test]
fn initial_election_takes_the_highest_priority_one_master_down_interval() {
    let o = run_clean(&three());
    assert_eq!(entered(&o, 0, State::Master, 0), Some((mdi(200, 100), Reason::MasterNoResponse)));
    assert_eq!(masters_at(&o, 0, o.end), vec![0]);
}

#[test]
fn crashed_master_is_replaced_one_master_down_interval_after_its_last_advert() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Crash(0))];
    let o = run_clean(&s);
    // r0 advertises at mdi(200) + k s; the last before the crash arrives 100 µs later.
    let last_heard = mdi(200, 100) + 6 * S + 100;
    assert_eq!(entered(&o, 2, State::Master, 10 * S), Some((last_heard + mdi(150, 100), Reason::MasterNoResponse)));
    assert_eq!(entered(&o, 1, State::Master, 0), None);
}

#[test]
fn graceful_shutdown_hands_over_after_skew_time_only() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Shutdown(0))];
    let o = run_clean(&s);
    assert_eq!(entered(&o, 2, State::Master, 10 * S), Some((10 * S + 100 + skew(150, 100), Reason::MasterLeft)));
    assert_eq!(entered(&o, 1, State::Master, 0), None, "r1 hears r2 first");
}

#[test]
fn handover_graceful_stop_keeps_the_vips_until_the_successor_is_heard_plus_linger() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Shutdown(0))];
    let o = run_clean(&s);
    let taken = 10 * S + 100 + skew(150, 100);
    assert_eq!(vips(&o, 2, true, 10 * S), Some(taken));
    // r0 hears r2's first advert 100 µs later, and keeps the VIPs HANDOVER_LINGER more.
    assert_eq!(vips(&o, 0, false, 0), Some(taken + 100 + LINGER));
    assert_eq!(entered(&o, 0, State::Initialize, 10 * S), Some((10 * S, Reason::Shutdown)));
}

#[test]
fn handover_by_the_operator_moves_the_master_and_someone_always_holds_the_vips() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Handover { router: 0, vrid: 0 })];
    // run_clean: every invariant holds, planned_changes_keep_the_vips included, and
    // single_master_when_stable accepts r2 as master although r0 (200) is higher.
    let o = run_clean(&s);
    assert_eq!(entered(&o, 0, State::Backup, 10 * S), Some((10 * S, Reason::Handover)));
    // r2 (150) hears the priority-0 advert 100 µs later and takes over after Skew_Time.
    let taken = 10 * S + 100 + skew(150, 100);
    assert_eq!(entered(&o, 2, State::Master, 10 * S), Some((taken, Reason::MasterLeft)));
    assert_eq!(vips(&o, 2, true, 10 * S), Some(taken));
    // r0 hears r2's first advert 100 µs later and keeps the VIPs HANDOVER_LINGER more.
    assert_eq!(vips(&o, 0, false, 10 * S), Some(taken + 100 + LINGER));
    // Preempt is on, but r0 leaves its successor alone for the rest of the run.
    assert_eq!(entered(&o, 0, State::Master, 10 * S), None);
    assert_eq!(masters_at(&o, 0, o.end), vec![2]);
}

#[test]
fn handover_of_a_backup_or_of_the_address_owner_changes_nothing() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Handover { router: 1, vrid: 0 })];
    let o = run_clean(&s);
    assert_eq!(changes(&o).iter().filter(|c| c.at >= 10 * S).count(), 0);
    let mut s = Schedule::basic(&[255, 100]);
    s.faults = vec![(10 * S, Fault::Handover { router: 0, vrid: 0 })];
    let o = run_clean(&s);
    assert_eq!(changes(&o).iter().filter(|c| c.at >= 10 * S).count(), 0);
    assert_eq!(masters_at(&o, 0, o.end), vec![0]);
}

#[test]
fn handover_with_no_successor_takes_the_mastership_back_after_master_down_interval() {
    let mut s = Schedule::basic(&[200, 100]);
    s.faults = vec![(10 * S, Fault::Crash(1)), (20 * S, Fault::Handover { router: 0, vrid: 0 })];
    let o = run_clean(&s);
    let back = 20 * S + mdi(200, 100);
    assert_eq!(entered(&o, 0, State::Master, 20 * S), Some((back, Reason::MasterNoResponse)));
    // The VIPs never left: the handover was called off when it was master again.
    assert_eq!(vips(&o, 0, false, 20 * S), None);
}

#[test]
fn handover_graceful_stop_of_a_lone_router_releases_after_master_down_interval() {
    let mut s = Schedule::basic(&[200, 100]);
    s.faults = vec![(10 * S, Fault::Crash(1)), (20 * S, Fault::Shutdown(0))];
    let o = run_clean(&s);
    // The longest any backup would wait: Master_Down_Interval at priority 1.
    assert_eq!(vips(&o, 0, false, 0), Some(20 * S + mdi(1, 100)));
}

#[test]
fn handover_preempted_master_keeps_the_vips_for_the_linger() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Crash(0)), (20 * S, Fault::Restart(0))];
    let o = run_clean(&s);
    let back = 20 * S + mdi(200, 100);
    assert_eq!(vips(&o, 0, true, 20 * S), Some(back));
    assert_eq!(vips(&o, 2, false, 20 * S), Some(back + 100 + LINGER));
}

#[test]
fn restarted_higher_router_preempts_after_its_own_master_down_interval() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Crash(0)), (20 * S, Fault::Restart(0))];
    let o = run_clean(&s);
    let back = 20 * S + mdi(200, 100);
    assert_eq!(entered(&o, 0, State::Master, 20 * S), Some((back, Reason::Preempted)));
    assert_eq!(entered(&o, 2, State::Backup, 20 * S), Some((back + 100, Reason::HigherPriority)));
}

#[test]
fn without_preemption_a_restarted_higher_router_stays_backup() {
    let mut s = three();
    s.preempt = false;
    s.faults = vec![(10 * S, Fault::Crash(0)), (20 * S, Fault::Restart(0))];
    let o = run_clean(&s);
    assert_eq!(entered(&o, 0, State::Master, 20 * S), None);
    assert_eq!(masters_at(&o, 0, o.end), vec![2]);
}

#[test]
fn equal_priorities_timing_out_together_resolve_to_the_higher_address() {
    let o = run_clean(&Schedule::basic(&[100, 100]));
    let t = mdi(100, 100);
    assert_eq!(masters_at(&o, 0, t), vec![0, 1], "both time out at once");
    assert_eq!(entered(&o, 0, State::Backup, t), Some((t + 100, Reason::HigherPriority)));
    assert_eq!(masters_at(&o, 0, o.end), vec![1]);
}

#[test]
fn rfc9568_6_4_2_equal_priority_backup_does_not_preempt_a_lower_address_master() {
    let mut s = Schedule::basic(&[100, 100]);
    // r1 (the higher address) starts 1 s late, so r0 is master first.
    s.faults = vec![(0, Fault::Crash(1)), (S, Fault::Restart(1))];
    let o = run_clean(&s);
    assert_eq!(masters_at(&o, 0, o.end), vec![0]);
    assert_eq!(entered(&o, 1, State::Master, 0), None);
}

#[test]
fn address_owner_takes_over_at_once_when_it_restarts() {
    let mut s = Schedule::basic(&[255, 100]);
    s.faults = vec![(10 * S, Fault::Crash(0)), (20 * S, Fault::Restart(0))];
    let o = run_clean(&s);
    assert_eq!(entered(&o, 0, State::Master, 0), Some((0, Reason::AddressOwner)));
    assert_eq!(entered(&o, 0, State::Master, 20 * S), Some((20 * S, Reason::AddressOwner)));
    assert_eq!(entered(&o, 1, State::Backup, 20 * S), Some((20 * S + 100, Reason::HigherPriority)));
}

#[test]
fn rfc9568_erratum_8298_two_owners_elect_the_higher_address() {
    // r0 and r1 both configured as owner (a misconfiguration). Both are master at once at
    // startup; each hears the other, and r0 (the lower address) steps down.
    let mut s = Schedule::basic(&[255, 255, 100]);
    s.faults = vec![(10 * S, Fault::Crash(1)), (20 * S, Fault::Restart(1))];
    let o = run_clean(&s);
    assert_eq!(entered(&o, 0, State::Master, 0), Some((0, Reason::AddressOwner)));
    assert_eq!(entered(&o, 1, State::Master, 0), Some((0, Reason::AddressOwner)));
    assert_eq!(entered(&o, 0, State::Backup, 0), Some((100, Reason::HigherPriority)));
    assert_eq!(masters_at(&o, 0, 9 * S), vec![1]);
    // r1 crashes: r0 takes over after its Master_Down_Interval (Skew_Time 1/256 s).
    let (t, reason) = entered(&o, 0, State::Master, 10 * S).expect("r0 takes over");
    assert_eq!(reason, Reason::MasterNoResponse);
    assert!(t <= 10 * S + mdi(255, 100) + 200, "{t}");
    assert_eq!(entered(&o, 2, State::Master, 0), None, "the non-owner never becomes master");
    // r1 restarts as master at once and r0 yields again.
    assert_eq!(entered(&o, 1, State::Master, 20 * S), Some((20 * S, Reason::AddressOwner)));
    assert_eq!(entered(&o, 0, State::Backup, 20 * S), Some((20 * S + 100, Reason::HigherPriority)));
    assert_eq!(masters_at(&o, 0, o.end), vec![1]);
}

#[test]
fn partition_elects_a_master_per_side_and_healing_keeps_the_highest() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::Partition { sides: vec![0, 1, 1] }), (20 * S, Fault::Heal)];
    let o = run_clean(&s);
    assert_eq!(masters_at(&o, 0, 19 * S), vec![0, 2]);
    let (t, reason) = entered(&o, 2, State::Backup, 20 * S).expect("r2 steps down");
    assert_eq!(reason, Reason::HigherPriority);
    assert!(t <= 20 * S + S + 200, "within one interval: {t}");
    assert_eq!(masters_at(&o, 0, o.end), vec![0]);
}

#[test]
fn interface_down_master_goes_to_fault_and_comes_back_by_preempting() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::LinkDown(0)), (20 * S, Fault::LinkUp(0))];
    let o = run_clean(&s);
    assert_eq!(entered(&o, 0, State::Fault, 0), Some((10 * S, Reason::LinkDown)));
    assert_eq!(masters_at(&o, 0, 19 * S), vec![2]);
    assert_eq!(entered(&o, 0, State::Backup, 20 * S), Some((20 * S, Reason::LinkUp)));
    assert_eq!(entered(&o, 0, State::Master, 20 * S), Some((20 * S + mdi(200, 100), Reason::Preempted)));
}

#[test]
fn lowering_the_master_priority_hands_over_to_the_higher_backup() {
    let mut s = three();
    s.faults = vec![(10 * S, Fault::SetPriority { router: 0, vrid: 0, priority: 120 })];
    let o = run_clean(&s);
    // r2 discards r0's prio-120 adverts and its down timer, set by r0's last prio-200
    // advert (received at mdi(200) + 6 s + 100 µs), runs out.
    let last_heard = mdi(200, 100) + 6 * S + 100;
    assert_eq!(entered(&o, 2, State::Master, 10 * S), Some((last_heard + mdi(150, 100), Reason::Preempted)));
    assert_eq!(masters_at(&o, 0, o.end), vec![2]);
}

#[test]
fn each_vrid_elects_its_own_master() {
    let mut s = three();
    s.vrids = 2;
    let o = run_clean(&s);
    assert_eq!(masters_at(&o, 0, o.end), vec![0]);
    // VRID 52 reads the priorities backwards: r2 has 200.
    assert_eq!(masters_at(&o, 1, o.end), vec![2]);
}

#[test]
fn v2_and_ipv6_elect_like_v3_over_ipv4() {
    let mut v2 = three();
    v2.version = Version::V2;
    let mut v6 = three();
    v6.ipv6 = true;
    for s in [v2, v6] {
        let o = run_clean(&s);
        assert_eq!(entered(&o, 0, State::Master, 0).map(|(t, _)| t), Some(mdi(200, 100)));
        assert_eq!(masters_at(&o, 0, o.end), vec![0]);
    }
}

#[test]
fn ten_ms_adverts_fail_over_in_about_thirty_four_ms() {
    let mut s = three();
    s.interval_cs = 1;
    s.base = Quality::latency(100, 0);
    s.faults = vec![(S, Fault::Crash(0))];
    s.tail_intervals = 500;
    let o = run_clean(&s);
    let (t, _) = entered(&o, 2, State::Master, S).expect("failover");
    // Last advert heard at most one interval before the crash.
    assert!(t > S + mdi(150, 1) - 10_000 && t <= S + mdi(150, 1) + 100, "{t}");
    assert_eq!(mdi(150, 1), 34_140);
}

#[test]
fn a_quiet_network_has_no_state_change_after_the_election() {
    let mut s = three();
    s.interval_cs = 1;
    s.base = Quality::latency(1_000, 1_000);
    s.tail_intervals = 10_000;
    let o = run_clean(&s);
    let c = changes(&o);
    assert_eq!(c.len(), 4, "3 startups and one election: {c:?}");
}
