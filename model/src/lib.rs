//! Deterministic multi-router simulator running the real vrrp-core.
//!
//! Why a simulator: the properties users care about (one master, quick failover, no
//! flapping, sane behaviour under loss and partitions) are properties of *several*
//! routers talking over a lossy LAN, not of one state machine. Unit tests of
//! [`vrrp_core::Instance`] cannot see them. Here 2–8 routers, each running one real
//! `Instance` per VRID, exchange the real advert bytes over a simulated LAN whose faults
//! come from a [`Schedule`]; [`invariants`] then judges the recorded trace.
//!
//! Everything is deterministic: virtual time in microseconds, one seeded PRNG
//! ([`rng::Rng`]), ordered containers only. The same schedule always produces the same
//! trace, event for event, so a failing schedule found by proptest replays exactly.
//!
//! # Running it
//!
//! - `cargo test -p vrrp-model --release`: the invariants over random schedules
//!   (proptest; `PROPTEST_CASES=100000` for a long hunt), hand-written scenarios pinned to
//!   RFC 9568's timer formulas, and tests that each checker fires on a forged trace.
//! - `cargo run -p vrrp-model --release --example report > model/REPORT.md`: the
//!   experiments of [`report`] as markdown tables (`--quick` for a fast look).
//!
//! A failing proptest case shrinks to a minimal schedule, printed with the violations and
//! the trace leading to them; proptest keeps its seed in `model/proptest-regressions/`,
//! and a bug worth naming also gets an explicit `#[test]` in `tests/regressions.rs`.
//!
//! # Modules, bottom up
//!
//! A module uses only modules listed before it, so the imports run one way: plain data
//! at the bottom, then the router, the simulator that runs routers, and on top what
//! judges and reports runs.
//!
//! - [`checker`]: the name of every checker and the [`Violation`] it reports.
//! - [`rng`]: the simulator's only source of randomness.
//! - [`schedule`]: what a run is: routers, configuration, timed faults, seed.
//! - [`trace`]: what a run recorded.
//! - [`lan`]: link quality (delay, jitter, loss, reordering) and partitions.
//! - [`node`]: one router, its instances, and the online checks on every action.
//! - [`sim`]: the event queue, the virtual clock and the main loop ([`run`]).
//! - [`invariants`]: the checkers run over a trace, and the ones that rerun a schedule.
//! - [`report`]: experiments answering users' questions, printed as markdown tables.

pub mod checker;
pub mod invariants;
pub mod lan;
pub mod node;
pub mod report;
pub mod rng;
pub mod schedule;
pub mod sim;
pub mod trace;

pub use checker::Violation;
pub use invariants::check;
pub use node::Engine;
pub use schedule::{Fault, Quality, Schedule};
pub use sim::{run, run_engine, run_with, Outcome};
pub use trace::{Event, Record, TraceLevel};
