//! The invariants, over random fault schedules. Failing schedules shrink to a minimal
//! one and are kept in `proptest-regressions/` so they run first next time.

mod common;

/// Where proptest keeps this file's failing seeds.
const REGRESSIONS: &str = "proptest-regressions/invariants.txt";

use proptest::prelude::*;
use vrrp_core::wire::Version;
use vrrp_model::invariants::{changes, check, router_agrees_with_instances, same_seed_same_trace};
use vrrp_model::{run, run_with, Quality, TraceLevel};

proptest! {
    #![proptest_config(common::config(4096, REGRESSIONS))]

    #[test]
    fn every_invariant_holds_under_random_faults(s in common::schedule()) {
        let o = run(&s);
        let v = check(&o);
        prop_assert!(v.is_empty(), "{}", common::explain(&o, &v));
    }
}

proptest! {
    #![proptest_config(common::config(1024, REGRESSIONS))]

    /// Two routers configured as address owner (a misconfiguration) under random faults:
    /// with VRRPv3 they hear each other (RFC 9568 erratum 8298) and every invariant holds,
    /// one master per side included.
    #[test]
    fn every_invariant_holds_with_two_v3_owners(
        mut s in common::schedule(),
        first in 0usize..8,
        second in 0usize..8,
        ipv6 in any::<bool>(),
    ) {
        if s.version == Version::V2 {
            s.version = Version::V3;
            s.interval_cs = 100;
        }
        s.ipv6 = ipv6;
        let n = usize::from(s.routers.clamp(2, 8));
        let (a, b) = (first % n, if second % n == first % n { (first + 1) % n } else { second % n });
        s.priorities[a] = 255;
        s.priorities[b] = 255;
        let o = run(&s);
        let v = check(&o);
        prop_assert!(v.is_empty(), "{}", common::explain(&o, &v));
    }
}

proptest! {
    #![proptest_config(common::config(256, REGRESSIONS))]

    #[test]
    fn same_seed_gives_the_same_trace(s in common::schedule()) {
        let v = same_seed_same_trace(&s);
        prop_assert!(v.is_empty(), "{v:?}");
    }

    /// The same schedule with each node's instances inside a `vrrp_core::Router` (as
    /// `vrrpd` runs them) must give the same trace as driving them directly.
    #[test]
    fn router_engine_gives_the_same_trace_as_direct_instances(s in common::schedule()) {
        let v = router_agrees_with_instances(&s);
        prop_assert!(v.is_empty(), "{v:?}");
    }
}

proptest! {
    #![proptest_config(common::config(256, REGRESSIONS))]

    /// Invariant 3 where it is tightest: 10 ms adverts leave a backup 30 ms plus skew,
    /// and 1 ms of jitter must not eat into that enough to cause a single transition.
    #[test]
    fn no_flapping_at_10ms_adverts_with_1ms_jitter(
        mut s in common::quiet_schedule(),
        delay_us in 0u32..=1000,
        jitter_us in 500u32..=1000,
        ipv6 in any::<bool>(),
    ) {
        s.version = Version::V3;
        s.ipv6 = ipv6;
        s.interval_cs = 1;
        s.base = Quality::latency(delay_us, jitter_us);
        s.tail_intervals = 3_000;
        let o = run_with(&s, TraceLevel::States);
        let v = check(&o);
        prop_assert!(v.is_empty(), "{}", common::explain(&o, &v));
        let late: Vec<_> = changes(&o).into_iter().filter(|c| c.at > o.settle).collect();
        prop_assert!(late.is_empty(), "{late:?}");
    }
}
