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
//! judges and reports runs. (The test `modules_use_only_lower_layers` reads this list
//! and every `crate::` path in `src/`, and fails on an import that points up.)
//!
//! - [`checker`]: the name of every checker and the [`Violation`] it reports.
//! - [`rng`]: the simulator's only source of randomness.
//! - [`scenarios`]: the conformance scenarios' configurations and adverts, shared by
//!   vrrp-core's conformance suite and benches/replay's trace exporter.
//! - [`schedule`]: what a run is: routers, configuration, timed faults, seed.
//! - [`trace`]: what a run recorded.
//! - [`lan`]: link quality (delay, jitter, loss, reordering) and partitions.
//! - [`node`]: one router, its instances, and the online checks on every action.
//! - [`sim`]: the event queue, the virtual clock and the main loop ([`run`]; [`run_observed`]
//!   also tells an [`Observer`] of every call into a node).
//! - [`invariants`]: the checkers run over a trace, and the ones that rerun a schedule.
//! - [`report`]: experiments answering users' questions, printed as markdown tables.

pub mod checker;
pub mod invariants;
pub mod lan;
pub mod node;
pub mod report;
pub mod rng;
pub mod scenarios;
pub mod schedule;
pub mod sim;
pub mod trace;

pub use checker::Violation;
pub use invariants::check;
pub use node::Engine;
pub use schedule::{Fault, Quality, Schedule};
pub use sim::{run, run_engine, run_observed, run_with, Observer, Outcome};
pub use trace::{Event, Record, TraceLevel};

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    /// The modules of the "Modules, bottom up" list in this file's documentation, in order.
    fn documented_layers(lib: &str) -> Vec<String> {
        lib.lines()
            .skip_while(|l| !l.starts_with("//! # Modules"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! #") && l.starts_with("//!"))
            .filter_map(|l| l.strip_prefix("//! - [`"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_string)
            .collect()
    }

    /// The crate modules a source file's code names through `crate::` (comments skipped,
    /// `crate::{a, b::c}` counted as `a` and `b`).
    fn crate_uses(src: &str) -> Vec<String> {
        let code: String = src
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let ident =
            |s: &str| s.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
        let mut out = Vec::new();
        for (i, word) in code.match_indices("crate::") {
            if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue; // `vrrp_crate::`, not `crate::`
            }
            let rest = &code[i + word.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 0;
                let mut item_start = true;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        _ if item_start && !c.is_whitespace() => {
                            out.push(ident(&group[i..]));
                            item_start = false;
                        }
                        _ => {}
                    }
                }
            } else {
                out.push(ident(rest));
            }
        }
        out
    }

    #[test]
    fn crate_uses_finds_plain_grouped_and_inline_paths() {
        let src = "use crate::a::X;\nuse crate::{b, c::{D, E}};\n// use crate::comment;\nlet x = crate::f::g(); // crate::tail\nuse my_crate::h;\n";
        assert_eq!(crate_uses(src), ["a", "b", "c", "f"]);
    }

    #[test]
    fn modules_use_only_lower_layers() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let lib = fs::read_to_string(dir.join("lib.rs")).unwrap_or_default();
        let layers = documented_layers(&lib);
        let mut files: Vec<String> = fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".rs").map(str::to_string))
            .filter(|m| m != "lib")
            .collect();
        files.sort();
        let mut listed = layers.clone();
        listed.sort();
        assert_eq!(files, listed, "every file in src/ is listed once in the module docs of lib.rs");
        for (rank, module) in layers.iter().enumerate() {
            let src = fs::read_to_string(dir.join(format!("{module}.rs"))).unwrap_or_default();
            for used in crate_uses(&src) {
                let below = layers.iter().position(|l| *l == used).is_some_and(|r| r < rank);
                assert!(below, "{module} uses crate::{used}, which is not listed before it in lib.rs");
            }
        }
    }
}
