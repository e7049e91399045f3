//! The name of every checker, and the [`Violation`] a checker reports.
//!
//! Names and violations sit below everything else because every layer reports them:
//! [`crate::node`] and [`crate::sim`] run the online checks at every call into the core,
//! [`crate::invariants`] runs the trace checks over a finished run. A name is a plain
//! string so that a violation prints as `[single_master_when_stable] …` and a test can
//! pick out one checker's findings.
//!
//! Online checks: [`NO_DEADLINE_IN_THE_PAST`], [`TIMERS_MAKE_PROGRESS`],
//! [`LEGAL_TRANSITIONS`], [`VIPS_FOLLOW_STATE`], [`CORE_ACCEPTS_VALID_INPUT`], and, with
//! the router engine, [`ROUTER_AGREES_WITH_INSTANCES`].
//!
//! Trace checks: [`SINGLE_MASTER_WHEN_STABLE`], [`CONVERGES_AFTER_LAST_FAULT`],
//! [`NO_FLAPPING_WHEN_STABLE`], [`ONE_MASTER_PER_PARTITION_SIDE`],
//! [`SAME_SEED_SAME_TRACE`], [`PLANNED_CHANGES_KEEP_THE_VIPS`], and the differential half of
//! [`ROUTER_AGREES_WITH_INSTANCES`].

use core::fmt;

/// Online: after any call, no instance deadline is earlier than the call's `now`.
pub const NO_DEADLINE_IN_THE_PAST: &str = "no_deadline_in_the_past";
/// Online: `handle_timeout(now)` moves every due deadline past `now`.
pub const TIMERS_MAKE_PROGRESS: &str = "timers_make_progress";
/// Online: each `StateChanged` starts from the previous announced state and is allowed
/// by `State::can_become`, and `state()` agrees with the actions.
pub const LEGAL_TRANSITIONS: &str = "legal_transitions";
/// Online: a router holds and announces the VIPs exactly while it is master.
pub const VIPS_FOLLOW_STATE: &str = "vips_follow_state";
/// Online: the core accepts what a correct peer and a correct caller give it.
pub const CORE_ACCEPTS_VALID_INPUT: &str = "core_accepts_valid_input";
/// Online and differential: a node driven through `vrrp_core::Router` dispatches each
/// advert to its instance, reports the earliest instance deadline, and produces the
/// same trace as instances driven directly.
pub const ROUTER_AGREES_WITH_INSTANCES: &str = "router_agrees_with_instances";
/// Invariant 1.
pub const SINGLE_MASTER_WHEN_STABLE: &str = "single_master_when_stable";
/// Invariant 2.
pub const CONVERGES_AFTER_LAST_FAULT: &str = "converges_after_last_fault";
/// Invariant 3.
pub const NO_FLAPPING_WHEN_STABLE: &str = "no_flapping_when_stable";
/// Invariant 4.
pub const ONE_MASTER_PER_PARTITION_SIDE: &str = "one_master_per_partition_side";
/// Invariant 5.
pub const SAME_SEED_SAME_TRACE: &str = "same_seed_same_trace";
/// Invariant 6: a planned change (graceful stop, priority change, restart) on a settled,
/// clean, connected LAN never leaves the VIPs with nobody, and a graceful stop never has
/// two routers advertising as master.
pub const PLANNED_CHANGES_KEEP_THE_VIPS: &str = "planned_changes_keep_the_vips";

/// A broken property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which checker.
    pub checker: &'static str,
    /// Virtual time, µs.
    pub at: u64,
    /// What went wrong, naming the time and the routers.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.checker, self.message)
    }
}
