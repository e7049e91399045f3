//! The report's experiments, small enough for CI: they must run, agree with the
//! protocol's timing, and break no invariant.

use vrrp_model::report::{self, estimate, loss_tolerance, partition_heal, Plan, Profile};

#[test]
fn partition_heal_settles_within_one_interval_plus_latency() {
    for p in [Profile::V2_1S, Profile::V3_10MS] {
        let r = partition_heal(p, 20);
        assert_eq!(r.violations, 0, "{p:?}");
        let interval = u64::from(p.interval_cs) * 10_000;
        // One interval for the first crossing advert, plus at most 2 × 1.5 ms latency.
        let max = *r.settle_us.last().unwrap();
        assert!(max <= interval + 3_000, "{p:?}: {max}");
    }
}

#[test]
fn no_loss_means_no_spurious_failover_and_heavy_loss_means_some() {
    let r = loss_tolerance(Profile::V3_10MS, &[0, 400], 5, 10_000_000);
    assert_eq!(r[0].runs_with_failover, 0);
    assert_eq!(r[1].runs_with_failover, 5);
}

#[test]
fn loss_estimate_is_zero_without_loss_and_grows_with_it() {
    assert_eq!(estimate(0, 600), 0.0);
    assert!(estimate(100, 600) > estimate(50, 600));
    assert!(estimate(600, 600) > 0.99);
}

#[test]
fn report_renders_both_tables() {
    let md = report::markdown(Plan { heal_seeds: 3, loss_seeds: 2, loss_window_us: 2_000_000 });
    assert!(md.contains("## (a) Settling after a partition heals"));
    assert!(md.contains("| v3, 10 ms | 3 |"), "{md}");
    assert!(md.contains("## (b) Advert loss before a spurious failover"));
    assert!(md.contains("| 60% |"), "{md}");
}
