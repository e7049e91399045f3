//! Experiments that answer questions users ask, printed as markdown tables.
//!
//! Each experiment runs the same simulator the invariant tests use, over many seeds,
//! and also runs every invariant checker on every run: a number measured on a run that
//! broke an invariant would be meaningless, so the tables count violations too.
//!
//! Run `cargo run -p vrrp-model --release --example report > model/REPORT.md`.

use std::fmt::Write as _;

use vrrp_core::wire::Version;

use crate::invariants::{self, changes, last_change_at_or_after};
use crate::rng::Rng;
use crate::schedule::{Fault, Quality, Schedule};
use crate::sim::run_with;
use crate::trace::TraceLevel;
use vrrp_core::State;

/// A protocol setting an experiment is run for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Protocol version.
    pub version: Version,
    /// Advert interval, centiseconds.
    pub interval_cs: u16,
}

impl Profile {
    /// VRRPv2, 1 s adverts: the classic default.
    pub const V2_1S: Profile = Profile { version: Version::V2, interval_cs: 100 };
    /// VRRPv3, 1 s adverts.
    pub const V3_1S: Profile = Profile { version: Version::V3, interval_cs: 100 };
    /// VRRPv3, 10 ms adverts: the fastest failover VRRPv3 allows.
    pub const V3_10MS: Profile = Profile { version: Version::V3, interval_cs: 1 };

    /// "v2, 1 s".
    pub fn label(&self) -> String {
        let v = match self.version {
            Version::V2 => "v2",
            Version::V3 => "v3",
        };
        format!("{v}, {}", ms(u64::from(self.interval_cs) * 10_000))
    }

    fn interval_us(&self) -> u64 {
        u64::from(self.interval_cs) * 10_000
    }
}

/// Formats µs for humans: "1 s", "12.3 ms", "450 µs".
pub fn ms(us: u64) -> String {
    if us >= 1_000_000 && us.is_multiple_of(1_000_000) {
        format!("{} s", us / 1_000_000)
    } else if us >= 1_000_000 {
        format!("{:.3} s", us as f64 / 1e6)
    } else if us >= 1_000 && us.is_multiple_of(1_000) {
        format!("{} ms", us / 1_000)
    } else if us >= 1_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{us} µs")
    }
}

/// A 3-router LAN as the experiments use it: distinct random priorities (so "the right
/// master" is unambiguous), preemption on, 50–500 µs delay with up to 1 ms jitter.
fn lan_of_three(rng: &mut Rng, p: Profile, seed: u64) -> Schedule {
    let mut prios: Vec<u8> = Vec::new();
    while prios.len() < 3 {
        let x = rng.between(1, 254) as u8;
        if !prios.contains(&x) {
            prios.push(x);
        }
    }
    let mut s = Schedule::basic(&prios);
    s.version = p.version;
    s.interval_cs = p.interval_cs;
    s.base = Quality::latency(rng.between(50, 500) as u32, rng.between(0, 1000) as u32);
    s.seed = seed;
    s
}

/// Settle times after a partition heals, for one profile.
#[derive(Clone, Debug)]
pub struct HealResult {
    /// The profile.
    pub profile: Profile,
    /// Settle time of each run, µs: from the heal to the last state change.
    pub settle_us: Vec<u64>,
    /// The invariants' settle allowance of the slowest run, µs.
    pub bound_us: u64,
    /// Runs that broke any invariant.
    pub violations: usize,
}

/// Question (a): how long does a 3-router group take to settle after a partition heals?
///
/// Each seed draws priorities and link latency, splits one router from the other two
/// after the election, and heals the partition 10–20 intervals later at a random phase
/// relative to the adverts (the phase is what decides the settle time: the group settles
/// on the first advert that crosses the healed link).
pub fn partition_heal(p: Profile, seeds: u64) -> HealResult {
    let mut out = HealResult { profile: p, settle_us: Vec::new(), bound_us: 0, violations: 0 };
    let i = p.interval_us();
    let seeds: Vec<u64> = (0..seeds).collect();
    let runs = par_map(&seeds, |&seed| {
        let mut rng = Rng::new(0x5eed_0a00 ^ seed);
        let mut s = lan_of_three(&mut rng, p, seed);
        let alone = rng.below(3) as usize;
        let sides = (0..3).map(|r| u8::from(r == alone)).collect();
        let cut = 8 * i + rng.below(i);
        let heal = cut + rng.between(10, 20) * i + rng.below(i);
        s.faults = vec![(cut, Fault::Partition { sides }), (heal, Fault::Heal)];
        s.tail_intervals = 20;
        let o = run_with(&s, TraceLevel::States);
        let broken = !invariants::check(&o).is_empty();
        let settled = last_change_at_or_after(&o, heal).unwrap_or(heal);
        (settled - heal, o.settle, broken)
    });
    for (settle, bound, broken) in runs {
        out.settle_us.push(settle);
        out.bound_us = out.bound_us.max(bound);
        out.violations += usize::from(broken);
    }
    out.settle_us.sort_unstable();
    out
}

/// Spurious failovers at one loss rate, for one profile.
#[derive(Clone, Debug)]
pub struct LossResult {
    /// Loss in ‰, on every link, both directions, independently per receiver.
    pub loss_permille: u16,
    /// Runs.
    pub runs: u64,
    /// Runs with at least one spurious master change.
    pub runs_with_failover: u64,
    /// Spurious master changes over all runs.
    pub failovers: u64,
    /// Probability of at least one, estimated from the loss rate alone (see
    /// [`estimate`]).
    pub estimate: f64,
    /// How long each spurious master stayed master (two routers claimed the VIPs),
    /// µs, sorted; one still master at the end of the run counts until then.
    pub spurious_us: Vec<u64>,
}

/// How a backup times out under loss, from first principles: with Skew_Time below one
/// interval, a backup gives up exactly when the 3 adverts after one it heard are all
/// lost, probability p³ per advert heard, and it hears about N(1−p) of N adverts. Two
/// backups, independent losses: P(≥1) ≈ 1 − exp(−2·N·(1−p)·p³). The simulation should
/// agree; where it does not, one of the two is wrong.
pub fn estimate(loss_permille: u16, adverts: u64) -> f64 {
    let p = f64::from(loss_permille) / 1000.0;
    1.0 - (-2.0 * adverts as f64 * (1.0 - p) * p.powi(3)).exp()
}

/// Question (b): how much advert loss is tolerated before a spurious failover?
///
/// Each seed elects a master on a clean LAN, then turns on loss on every link for
/// `window_us` and counts transitions to master in that window: with nobody failing,
/// each is spurious.
pub fn loss_tolerance(p: Profile, rates: &[u16], seeds: u64, window_us: u64) -> Vec<LossResult> {
    let i = p.interval_us();
    rates
        .iter()
        .map(|&loss| {
            let mut r = LossResult {
                loss_permille: loss,
                runs: seeds,
                runs_with_failover: 0,
                failovers: 0,
                estimate: estimate(loss, window_us / i),
                spurious_us: Vec::new(),
            };
            let list: Vec<u64> = (0..seeds).collect();
            let counts = par_map(&list, |&seed| {
                let mut rng = Rng::new(0x1055_0000 ^ (u64::from(loss) << 32) ^ seed);
                let mut s = lan_of_three(&mut rng, p, seed);
                let start = 10 * i;
                let mut q = s.base;
                q.loss_permille = loss;
                s.faults = vec![(start, Fault::Link { pair: None, quality: q })];
                s.tail_intervals = (window_us / i) as u32;
                let o = run_with(&s, TraceLevel::States);
                let all = changes(&o);
                all.iter()
                    .enumerate()
                    .filter(|(_, c)| c.at >= start && c.to == State::Master)
                    .map(|(k, c)| {
                        let until = all
                            .iter()
                            .skip(k + 1)
                            .find(|d| d.node == c.node && d.vrid == c.vrid)
                            .map_or(o.end, |d| d.at);
                        until - c.at
                    })
                    .collect::<Vec<u64>>()
            });
            for spells in counts {
                r.failovers += spells.len() as u64;
                r.runs_with_failover += u64::from(!spells.is_empty());
                r.spurious_us.extend(spells);
            }
            r.spurious_us.sort_unstable();
            r
        })
        .collect()
}

/// Maps `f` over `items` on every core, results in input order. Each item is a whole
/// deterministic run, so splitting them across threads cannot change any number.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|c| scope.spawn(|| c.iter().map(&f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn percentile(sorted: &[u64], pct: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = (sorted.len() - 1) * pct / 100;
    sorted.get(idx).copied().unwrap_or(0)
}

/// How many seeds and how long a window the report uses.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Seeds per partition-heal profile.
    pub heal_seeds: u64,
    /// Seeds per loss rate.
    pub loss_seeds: u64,
    /// Loss window, µs.
    pub loss_window_us: u64,
}

impl Plan {
    /// The published numbers: 200 seeds, 10 minutes.
    pub const FULL: Plan = Plan { heal_seeds: 200, loss_seeds: 200, loss_window_us: 600_000_000 };
}

/// Loss rates of table (b), ‰.
pub const LOSS_RATES: [u16; 10] = [0, 10, 20, 50, 100, 200, 300, 400, 500, 600];

/// The whole report as markdown.
pub fn markdown(plan: Plan) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# vrrp-model: what the simulator says\n");
    let _ = writeln!(
        md,
        "Generated by `cargo run -p vrrp-model --release --example report > model/REPORT.md`. \
         Every number comes from the deterministic simulator in `model/` running the real \
         `vrrp-core` state machine: three routers on one simulated LAN, distinct random \
         priorities, preemption on, 50–500 µs one-way delay plus up to 1 ms jitter per \
         packet. Seeds are fixed, so re-running gives the same tables.\n"
    );

    let _ = writeln!(md, "## (a) Settling after a partition heals\n");
    let _ = writeln!(
        md,
        "One router is cut off from the other two after the election, so each side elects \
         its own master; 10–20 intervals later the partition heals at a random moment. \
         Settle time is from the heal to the last state change (the lower master stepping \
         down). {} seeds per row. The bound is the invariants' allowance \
         (Master_Down_Interval of the lowest priority + one interval + twice the worst \
         latency).\n",
        plan.heal_seeds
    );
    let _ =
        writeln!(md, "| protocol, interval | runs | min | median | p95 | max | bound | runs breaking an invariant |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for p in [Profile::V2_1S, Profile::V3_1S, Profile::V3_10MS] {
        let r = partition_heal(p, plan.heal_seeds);
        let s = &r.settle_us;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            p.label(),
            s.len(),
            ms(percentile(s, 0)),
            ms(percentile(s, 50)),
            ms(percentile(s, 95)),
            ms(percentile(s, 100)),
            ms(r.bound_us),
            r.violations
        );
    }
    let _ = writeln!(
        md,
        "\nA healed group settles on the first advert that crosses the healed link: at most \
         one interval plus the latency, a quarter to a third of an interval typically (the \
         earlier of two masters' next adverts). Nothing waits for a Master_Down_Interval, \
         because both sides already have a master and masters compare priorities directly \
         (RFC 9568 §6.4.3). v2 and v3 at 1 s run the same timers, so their rows match; they \
         differ only on the wire.\n"
    );

    let minutes = plan.loss_window_us / 60_000_000;
    let _ = writeln!(md, "## (b) Advert loss before a spurious failover\n");
    let _ = writeln!(
        md,
        "After the election, every link loses adverts at the given rate (independently per \
         receiver) for {} of simulated time; nothing else happens, so every transition to \
         master is spurious. Columns: share of {} seeds with at least one spurious master \
         change, mean changes per run, and the first-principles estimate \
         1 − exp(−2·N·(1−p)·p³) (a backup gives up after 3 consecutive lost adverts; N \
         adverts in the window; 2 backups).\n",
        if minutes > 1 {
            format!("{minutes} minutes")
        } else if minutes == 1 {
            "1 minute".to_string()
        } else {
            ms(plan.loss_window_us)
        },
        plan.loss_seeds
    );
    let profiles = [Profile::V2_1S, Profile::V3_10MS];
    let results: Vec<Vec<LossResult>> =
        profiles.iter().map(|p| loss_tolerance(*p, &LOSS_RATES, plan.loss_seeds, plan.loss_window_us)).collect();
    let mut header = String::from("| advert loss |");
    let mut rule = String::from("|---:|");
    for p in &profiles {
        let _ = write!(header, " {l}: runs with ≥1 | {l}: mean per run | {l}: estimate |", l = p.label());
        rule.push_str("---:|---:|---:|");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for (k, loss) in LOSS_RATES.iter().enumerate() {
        let mut row = format!("| {}% |", f64::from(*loss) / 10.0);
        for r in results.iter().filter_map(|rs| rs.get(k)) {
            let _ = write!(
                row,
                " {:.0}% | {:.2} | {:.0}% |",
                100.0 * r.runs_with_failover as f64 / r.runs.max(1) as f64,
                r.failovers as f64 / r.runs.max(1) as f64,
                100.0 * r.estimate
            );
        }
        let _ = writeln!(md, "{row}");
    }
    let _ = writeln!(md);
    for (p, rs) in profiles.iter().zip(&results) {
        let tolerated = rs.iter().take_while(|r| r.runs_with_failover == 0).last().map_or(0, |r| r.loss_permille);
        let _ = writeln!(
            md,
            "- {}: the highest loss rate in the table with no spurious failover in any run \
             is {}%.",
            p.label(),
            f64::from(tolerated) / 10.0
        );
    }
    let _ = writeln!(
        md,
        "\nThe tolerance is set by the count of adverts, not by time: a backup fails over \
         when 3 in a row are lost, so over N adverts the risk grows like N·p³. Ten minutes \
         is 600 adverts at 1 s and 60 000 at 10 ms: a 10 ms group meets in 6 seconds the \
         risk a 1 s group meets in 10 minutes. The simulated rates track the estimate, \
         which is evidence both that the core's timers are the RFC's and that the \
         simulator's loss is what it claims.\n"
    );
    let _ = writeln!(
        md,
        "How long a spurious master lasts (both it and the real master hold the VIPs \
         meanwhile): the real master hears the usurper's lower-priority advert and answers \
         at once (RFC 9568 §6.4.3), so unless that exchange is lost too the spell is one \
         round trip.\n"
    );
    let mut header = String::from("| advert loss |");
    let mut rule = String::from("|---:|");
    for p in &profiles {
        let _ = write!(header, " {l}: spells | {l}: median | {l}: p95 | {l}: max |", l = p.label());
        rule.push_str("---:|---:|---:|---:|");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for (k, loss) in LOSS_RATES.iter().enumerate().skip(1) {
        let mut row = format!("| {}% |", f64::from(*loss) / 10.0);
        for r in results.iter().filter_map(|rs| rs.get(k)) {
            let d = &r.spurious_us;
            if d.is_empty() {
                row.push_str(" 0 | – | – | – |");
            } else {
                let _ = write!(
                    row,
                    " {} | {} | {} | {} |",
                    d.len(),
                    ms(percentile(d, 50)),
                    ms(percentile(d, 95)),
                    ms(percentile(d, 100))
                );
            }
        }
        let _ = writeln!(md, "{row}");
    }
    md
}
