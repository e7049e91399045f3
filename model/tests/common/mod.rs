//! Shared by the integration tests: the proptest strategies that generate schedules,
//! the case-count knob, and failure explanations.

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use proptest::{collection::vec, option};
use vrrp_core::wire::Version;
use vrrp_model::sim::Outcome;
use vrrp_model::{Fault, Quality, Schedule, Violation};

/// `cases` unless `PROPTEST_CASES` says otherwise: CI runs the moderate default, a long
/// hunt sets e.g. `PROPTEST_CASES=200000`. Failing seeds go to
/// `model/proptest-regressions/<file>.txt` (tests run from the crate root), which is
/// checked in so every later run replays them first.
pub fn config(cases: u32, file: &'static str) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..ProptestConfig::default()
    }
}

/// Delay and jitter only: normal conditions.
pub fn latency() -> impl Strategy<Value = Quality> {
    (0u32..=1000, 0u32..=1000).prop_map(|(d, j)| Quality::latency(d, j))
}

/// Any link quality: sometimes lossy (up to 60 %), sometimes reordering.
pub fn quality() -> impl Strategy<Value = Quality> {
    (0u32..=1000, 0u32..=1000, prop_oneof![Just(0u16), 1u16..=600], prop_oneof![Just(0u16), 1u16..=300]).prop_map(
        |(delay_us, jitter_us, loss_permille, reorder_permille)| Quality {
            delay_us,
            jitter_us,
            loss_permille,
            reorder_permille,
        },
    )
}

/// One fault. Router indexes go up to 7 and are taken modulo the router count.
pub fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        2 => (option::of((0u8..8, 0u8..8)), quality())
            .prop_map(|(pair, quality)| Fault::Link { pair, quality }),
        2 => vec(0u8..3, 8).prop_map(|sides| Fault::Partition { sides }),
        2 => Just(Fault::Heal),
        2 => (0u8..8).prop_map(Fault::Crash),
        2 => (0u8..8).prop_map(Fault::Restart),
        1 => (0u8..8).prop_map(Fault::Shutdown),
        1 => (0u8..8, 0u8..2).prop_map(|(router, vrid)| Fault::Handover { router, vrid }),
        2 => (0u8..8, 0u8..2, 1u8..=254)
            .prop_map(|(router, vrid, priority)| Fault::SetPriority { router, vrid, priority }),
        1 => (0u8..8).prop_map(Fault::LinkDown),
        1 => (0u8..8).prop_map(Fault::LinkUp),
    ]
}

/// Version, IPv6, interval (cs): v2 at 1 s; v3 at 1 s, 50 ms and 10 ms, over both families.
pub fn profile() -> impl Strategy<Value = (Version, bool, u16)> {
    prop_oneof![
        Just((Version::V2, false, 100)),
        Just((Version::V3, false, 100)),
        Just((Version::V3, true, 100)),
        Just((Version::V3, false, 5)),
        Just((Version::V3, false, 1)),
        Just((Version::V3, true, 1)),
    ]
}

/// Priorities for 8 routers: half the time anything, half the time from a small set so
/// that ties (and the address tie-break) are common. 128 and 192 give Skew_Times of a
/// whole half or quarter interval, so with zero latency their timers land exactly on
/// the quarter-interval grid that [`fault_time`] also uses.
pub fn priorities() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(1u8..=254, 8), vec(prop_oneof![Just(100u8), Just(128), Just(150), Just(192), Just(200)], 8),]
}

/// Configuration without faults: 2–8 routers, priorities with an occasional owner.
pub fn quiet_schedule() -> impl Strategy<Value = Schedule> {
    (
        2u8..=8,
        prop_oneof![3 => Just(1u8), 1 => Just(2u8)],
        priorities(),
        prop_oneof![4 => Just(None), 1 => (0usize..8).prop_map(Some)],
        any::<bool>(),
        profile(),
        latency(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(routers, vrids, mut priorities, owner, preempt, profile, base, announce, seed)| {
            if let Some(p) = owner.and_then(|o| priorities.get_mut(o)) {
                *p = 255;
            }
            let (version, ipv6, interval_cs) = profile;
            Schedule {
                routers,
                vrids,
                priorities,
                preempt,
                version,
                ipv6,
                interval_cs,
                base,
                announce,
                faults: Vec::new(),
                tail_intervals: 15,
                seed,
            }
        })
}

/// When a fault strikes, in thousandths of an advert interval, within 60 intervals:
/// anywhere, or on a quarter-interval grid so several faults (and timers) coincide.
pub fn fault_time() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..60_000, (0u64..240).prop_map(|q| q * 250)]
}

/// A full random schedule: up to 15 faults within the first 60 advert intervals, and
/// usually a final repair (heal, every interface up, every router started) so the
/// convergence invariant has a clean final network to judge.
pub fn schedule() -> impl Strategy<Value = Schedule> {
    (quiet_schedule(), vec((fault_time(), fault()), 0..16), prop_oneof![3 => Just(true), 1 => Just(false)]).prop_map(
        |(mut s, faults, repair)| {
            let per_milli = s.interval().as_micros();
            s.faults = faults.into_iter().map(|(t, f)| (t * per_milli / 1000, f)).collect();
            if repair {
                let at = s.last_fault_at() + per_milli;
                s.faults.push((at, Fault::Heal));
                for r in 0..s.routers {
                    s.faults.push((at, Fault::LinkUp(r)));
                    s.faults.push((at, Fault::Restart(r)));
                }
            }
            s
        },
    )
}

/// The violations, the schedule, and the trace around the first violation.
pub fn explain(o: &Outcome, violations: &[Violation]) -> String {
    let mut text = String::new();
    for v in violations.iter().take(10) {
        text.push_str(&format!("{v}\n"));
    }
    text.push_str(&format!("schedule: {:?}\n", o.schedule));
    if let Some(first) = violations.first() {
        let from = first.at.saturating_sub(o.settle + 2 * o.schedule.interval().as_micros());
        text.push_str("trace before the first violation (states, faults, VIPs):\n");
        let lines: Vec<String> = o
            .trace
            .iter()
            .filter(|r| r.at >= from && r.at <= first.at + 1000)
            .filter(|r| r.event.level() == vrrp_model::TraceLevel::States)
            .map(|r| format!("  {r}\n"))
            .collect();
        let skip = lines.len().saturating_sub(200);
        for l in lines.into_iter().skip(skip) {
            text.push_str(&l);
        }
    }
    text
}
