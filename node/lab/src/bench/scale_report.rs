//! The pure half of the bench's scale part: the figures of each run, median (min–max)
//! over the repetitions, and the Markdown "Scale" section made from given figures.

use std::fmt::Write as _;

use crate::cpu::Scenario;

/// Whether the other core has work of its own during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Load {
    /// Nothing else runs.
    Idle,
    /// `stress-ng --cpu 1` runs beside the pair.
    Busy,
}

impl Load {
    /// The table's name.
    pub fn label(self) -> &'static str {
        match self {
            Load::Idle => "idle",
            Load::Busy => "other core busy",
        }
    }
}

/// What one daemon pair did in one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairRun {
    /// The master's CPU, % of one core.
    pub master_cpu: f64,
    /// The backup's CPU, % of one core.
    pub backup_cpu: f64,
    /// The master's resident memory, KiB.
    pub master_rss_kib: u64,
    /// The backup's resident memory, KiB.
    pub backup_rss_kib: u64,
    /// State transitions of every instance on both hosts during the window, if counted.
    pub transitions: Option<u64>,
    /// The most VIPs on b in one sample of the window.
    pub most_on_b: usize,
    /// The fewest VIPs on a in one sample of the window.
    pub fewest_on_a: usize,
    /// The VIPs a should hold (one per instance).
    pub instances: usize,
}

/// What the floor did in one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorRun {
    /// The sender's CPU (a, where the masters are), % of one core.
    pub sender_cpu: f64,
    /// The receiver's CPU (b), % of one core.
    pub receiver_cpu: f64,
}

/// One measurement of a run: not run, failed (why), or its figures.
#[derive(Debug, Clone, PartialEq)]
pub enum Measured<T> {
    /// Not asked for (`--skip-keepalived`).
    Skipped,
    /// It failed; the error.
    Failed(String),
    /// Its figures.
    Done(T),
}

impl<T> Measured<T> {
    fn done(&self) -> Option<&T> {
        match self {
            Measured::Done(t) => Some(t),
            _ => None,
        }
    }
}

/// One repetition of one scenario under one load: both pairs and the floor.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleSample {
    /// Instances × interval.
    pub scenario: Scenario,
    /// Idle or other core busy.
    pub load: Load,
    /// 1-based.
    pub rep: u32,
    /// keepalived's pair.
    pub keepalived: Measured<PairRun>,
    /// vrrpd's pair.
    pub vrrpd: Measured<PairRun>,
    /// The floor.
    pub floor: Measured<FloorRun>,
}

/// Median, least and largest of some figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// The median (the mean of the two middle values for an even count).
    pub median: f64,
    /// The least value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

/// Median (min–max) of `values`; `None` if there are none.
pub fn range(values: &[f64]) -> Option<Range> {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let (min, max) = (*v.first()?, *v.last()?);
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    Some(Range { median, min, max })
}

/// A figure with as many decimals as it needs to show two significant digits or more.
fn num(v: f64) -> String {
    if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// "median unit (min–max)", or "median unit" when they are all the same; "–" for none.
fn show(r: Option<Range>, unit: &str, fmt: fn(f64) -> String) -> String {
    match r {
        None => "–".into(),
        Some(r) => {
            let (m, lo, hi) = (fmt(r.median), fmt(r.min), fmt(r.max));
            if lo == hi {
                format!("{m}{unit}")
            } else {
                format!("{m}{unit} ({lo}–{hi})")
            }
        }
    }
}

fn pct(r: Option<Range>) -> String {
    show(r, " %", num)
}

fn ratio(r: Option<Range>) -> String {
    show(r, "x", |v| format!("{v:.1}"))
}

fn mib(r: Option<Range>) -> String {
    show(r, " MiB", |v| format!("{v:.1}"))
}

fn count(r: Option<Range>) -> String {
    show(r, "", |v| format!("{v:.0}"))
}

/// The samples of one row.
fn row_samples(samples: &[ScaleSample], scenario: Scenario, load: Load) -> Vec<&ScaleSample> {
    samples.iter().filter(|s| s.scenario == scenario && s.load == load).collect()
}

/// Which of the pair's measurements a column shows.
type Pick<T> = fn(&T) -> f64;

/// Which measurement of a run (keepalived's, vrrpd's, the floor's).
type Which<T> = fn(&ScaleSample) -> &Measured<T>;

fn over<T>(samples: &[&ScaleSample], which: Which<T>, pick: Pick<T>) -> Option<Range> {
    let v: Vec<f64> = samples.iter().filter_map(|s| which(s).done()).map(pick).collect();
    range(&v)
}

/// Ratio of two measurements of the same repetition, median (min–max) over the
/// repetitions where both ran.
fn ratio_over<A, B>(samples: &[&ScaleSample], a: (Which<A>, Pick<A>), b: (Which<B>, Pick<B>)) -> Option<Range> {
    let v: Vec<f64> = samples
        .iter()
        .filter_map(|s| {
            let (x, y) = ((a.1)((a.0)(s).done()?), (b.1)((b.0)(s).done()?));
            (y > 0.0).then(|| x / y)
        })
        .collect();
    range(&v)
}

fn keepalived(s: &ScaleSample) -> &Measured<PairRun> {
    &s.keepalived
}

fn vrrpd(s: &ScaleSample) -> &Measured<PairRun> {
    &s.vrrpd
}

fn floor(s: &ScaleSample) -> &Measured<FloorRun> {
    &s.floor
}

/// What stands in a daemon's cells when none of its runs has figures: "–" (not run), or
/// "did not settle" / "failed".
fn absent<T>(samples: &[&ScaleSample], which: Which<T>) -> Option<&'static str> {
    if samples.iter().any(|s| which(s).done().is_some()) {
        return None;
    }
    let failed: Vec<&str> = samples
        .iter()
        .filter_map(|s| match which(s) {
            Measured::Failed(e) => Some(e.as_str()),
            _ => None,
        })
        .collect();
    Some(match failed.first() {
        None => "–",
        Some(e) if e.contains("did not settle") => "did not settle",
        Some(_) => "failed",
    })
}

/// ", 1 of 3 failed" when some but not all of a measurement's runs failed.
fn partial<T>(samples: &[&ScaleSample], which: Which<T>) -> String {
    let failed = samples.iter().filter(|s| matches!(which(s), Measured::Failed(_))).count();
    let done = samples.iter().filter(|s| which(s).done().is_some()).count();
    if failed > 0 && done > 0 {
        format!(", {failed} of {} failed", failed + done)
    } else {
        String::new()
    }
}

/// The split-brain check of a pair over its runs: the worst sample, "0 on b" when no
/// sample had a VIP on b, else the most VIPs b held in one sample; and how many a lacked
/// at worst, if any.
fn split_brain(samples: &[&ScaleSample], which: Which<PairRun>) -> String {
    let runs: Vec<&PairRun> = samples.iter().filter_map(|s| which(s).done()).collect();
    if runs.is_empty() {
        return "–".into();
    }
    let on_b = runs.iter().map(|r| r.most_on_b).max().unwrap_or(0);
    let lacking = runs.iter().map(|r| r.instances.saturating_sub(r.fewest_on_a)).max().unwrap_or(0);
    if lacking > 0 {
        format!("{on_b} on b, {lacking} missing on a")
    } else {
        format!("{on_b} on b")
    }
}

/// The header of the Scale table.
pub const TABLE_HEADER: &str =
    "| scenario | load | keepalived master CPU | keepalived backup CPU | vrrpd master CPU | \
     vrrpd backup CPU | keepalived/vrrpd master / backup | floor sender / receiver CPU | vrrpd/floor master / backup | \
     keepalived RSS master / backup | vrrpd RSS master / backup | keepalived spurious transitions | \
     vrrpd spurious transitions | keepalived split-brain | vrrpd split-brain |\n";

/// The Scale table (rows: scenario × load, in the order given), as Markdown.
pub fn scale_table(samples: &[ScaleSample], scenarios: &[Scenario], loads: &[Load]) -> String {
    let mut out = String::from(TABLE_HEADER);
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let pair = |a: String, b: String| if a == "–" && b == "–" { "–".to_string() } else { format!("{a} / {b}") };
    for &scenario in scenarios {
        for &load in loads {
            let rows = row_samples(samples, scenario, load);
            if rows.is_empty() {
                continue;
            }
            let mut cells: Vec<String> = vec![scenario_label(scenario), load.label().into()];
            for which in [keepalived as Which<PairRun>, vrrpd] {
                match absent(&rows, which) {
                    Some(why) => cells.extend([why.to_string(), why.to_string()]),
                    None => {
                        cells.push(format!("{}{}", pct(over(&rows, which, |r| r.master_cpu)), partial(&rows, which)));
                        cells.push(pct(over(&rows, which, |r| r.backup_cpu)));
                    }
                }
            }
            cells.push(pair(
                ratio(ratio_over(&rows, (keepalived, |r| r.master_cpu), (vrrpd, |r| r.master_cpu))),
                ratio(ratio_over(&rows, (keepalived, |r| r.backup_cpu), (vrrpd, |r| r.backup_cpu))),
            ));
            match absent(&rows, floor) {
                Some(why) => cells.push(why.into()),
                None => cells.push(format!(
                    "{}{}",
                    pair(pct(over(&rows, floor, |f| f.sender_cpu)), pct(over(&rows, floor, |f| f.receiver_cpu))),
                    partial(&rows, floor)
                )),
            }
            cells.push(pair(
                ratio(ratio_over(&rows, (vrrpd, |r| r.master_cpu), (floor, |f| f.sender_cpu))),
                ratio(ratio_over(&rows, (vrrpd, |r| r.backup_cpu), (floor, |f| f.receiver_cpu))),
            ));
            for which in [keepalived as Which<PairRun>, vrrpd] {
                cells.push(pair(
                    mib(over(&rows, which, |r| r.master_rss_kib as f64 / 1024.0)),
                    mib(over(&rows, which, |r| r.backup_rss_kib as f64 / 1024.0)),
                ));
            }
            for which in [keepalived as Which<PairRun>, vrrpd] {
                let v: Vec<f64> = rows.iter().filter_map(|s| which(s).done()?.transitions).map(|t| t as f64).collect();
                cells.push(count(range(&v)));
            }
            for which in [keepalived as Which<PairRun>, vrrpd] {
                cells.push(split_brain(&rows, which));
            }
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
    }
    out
}

/// "255 × 10 ms".
pub fn scenario_label(s: Scenario) -> String {
    let ms = u64::from(s.advert_cs) * 10;
    if ms % 1000 == 0 {
        format!("{} × {} s", s.instances, ms / 1000)
    } else {
        format!("{} × {ms} ms", s.instances)
    }
}

/// The run's parameters, for the section's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleMeta {
    /// The window of each run, seconds.
    pub window_s: u64,
    /// Repetitions per row.
    pub reps: u32,
    /// `/proc/loadavg`'s three load averages when the part started.
    pub load: String,
    /// When the part started, UTC.
    pub date: String,
}

/// The "Scale" section of bench.md: what was run, the table, what the columns mean.
pub fn scale_section(meta: &ScaleMeta, samples: &[ScaleSample], scenarios: &[Scenario], loads: &[Load]) -> String {
    let mut out = String::from("## Scale\n\n");
    let _ = writeln!(out, "- started: {}, load average {}", meta.date, meta.load);
    let _ = writeln!(out, "- repetitions per row (N): {}; window per run: {} s", meta.reps, meta.window_s);
    let _ = writeln!(
        out,
        "- loads: {}",
        loads
            .iter()
            .map(|l| match l {
                Load::Idle => "idle (nothing else running)",
                Load::Busy => "other core busy (`stress-ng --cpu 1` for the whole row)",
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    out.push_str(
        "\nEach run: a pair (a: priority 150, b: 100) with one VRRPv3 instance and one VIP per VRID, 255 \
         VRIDs per segment, both daemons with the same generated keepalived.conf, on a lab of its own; \
         after the group settles (every VIP on a, none on b) and 2 s more, the CPU (utime + stime of \
         every process of the server, as % of one core) and RSS over the window. The floor: a bare \
         sender (sendmmsg on a timerfd, in a) and receiver (recvmmsg, in b) of the same adverts, \
         measured the same way. Figures: median (min–max) over the N runs; ratios are per run \
         (keepalived's run i over vrrpd's run i, vrrpd's over the floor's) then median (min–max). \
         Spurious transitions: state changes of every instance on both hosts during the window \
         (vrrpd: its per-instance transition counters, `vrrpctl status --json`, checked against \
         its \"Entering … STATE\" log lines, a difference printed while running; keepalived: \
         the same log lines); 0 is right. Split-brain: the VIPs on a and on b sampled \
         about every second through the window; the worst sample over the N runs (\"0 on b\" is \
         right). A failover during the window is counted there, not dropped.\n\n",
    );
    out.push_str(&scale_table(samples, scenarios, loads));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(master: f64, backup: f64, rss: u64, transitions: u64, on_b: usize) -> PairRun {
        PairRun {
            master_cpu: master,
            backup_cpu: backup,
            master_rss_kib: rss,
            backup_rss_kib: rss / 2,
            transitions: Some(transitions),
            most_on_b: on_b,
            fewest_on_a: 255 - on_b.min(255),
            instances: 255,
        }
    }

    #[test]
    fn median_min_max() {
        assert_eq!(range(&[]), None);
        assert_eq!(range(&[2.0]), Some(Range { median: 2.0, min: 2.0, max: 2.0 }));
        assert_eq!(range(&[9.0, 1.0, 5.0]), Some(Range { median: 5.0, min: 1.0, max: 9.0 }));
        assert_eq!(range(&[4.0, 1.0, 2.0, 9.0]), Some(Range { median: 3.0, min: 1.0, max: 9.0 }));
        assert_eq!(range(&[f64::NAN, 3.0]), Some(Range { median: 3.0, min: 3.0, max: 3.0 }));
    }

    #[test]
    fn cells_show_the_median_and_the_spread() {
        assert_eq!(pct(range(&[44.0, 40.25, 48.0])), "44.0 % (40.2–48.0)");
        assert_eq!(pct(range(&[0.3125])), "0.312 %");
        assert_eq!(ratio(range(&[2.0, 1.96, 2.04])), "2.0x");
        assert_eq!(count(range(&[0.0, 0.0, 3.0])), "0 (0–3)");
        assert_eq!(pct(None), "–");
        assert_eq!(scenario_label("255x0.01".parse().unwrap()), "255 × 10 ms");
        assert_eq!(scenario_label("200x1".parse().unwrap()), "200 × 1 s");
    }

    #[test]
    fn markdown_from_given_figures() {
        let s: Scenario = "255x0.01".parse().unwrap();
        let t: Scenario = "1020x0.1".parse().unwrap();
        let f = |a, b| Measured::Done(FloorRun { sender_cpu: a, receiver_cpu: b });
        let samples = vec![
            ScaleSample {
                scenario: s,
                load: Load::Idle,
                rep: 1,
                keepalived: Measured::Done(run(80.0, 70.0, 8192, 2, 0)),
                vrrpd: Measured::Done(run(20.0, 10.0, 4096, 0, 0)),
                floor: f(10.0, 5.0),
            },
            ScaleSample {
                scenario: s,
                load: Load::Idle,
                rep: 2,
                keepalived: Measured::Done(run(90.0, 72.0, 8192, 0, 438)),
                vrrpd: Measured::Done(run(30.0, 12.0, 4096, 0, 0)),
                floor: f(10.0, 6.0),
            },
            ScaleSample {
                scenario: s,
                load: Load::Idle,
                rep: 3,
                keepalived: Measured::Done(run(84.0, 71.0, 8192, 0, 0)),
                vrrpd: Measured::Done(run(21.0, 11.0, 4096, 0, 0)),
                floor: Measured::Failed("floor: no".into()),
            },
            ScaleSample {
                scenario: t,
                load: Load::Busy,
                rep: 1,
                keepalived: Measured::Failed("keepalived: the group did not settle (3 of 1020 VIPs on a)".into()),
                vrrpd: Measured::Done(run(36.0, 15.0, 6144, 1, 0)),
                floor: Measured::Skipped,
            },
        ];
        let meta = ScaleMeta { window_s: 60, reps: 3, load: "0.1 0.2 0.3".into(), date: "2026-12-04 05:00 UTC".into() };
        let md = scale_section(&meta, &samples, &[s, t], &[Load::Idle, Load::Busy]);
        assert!(md.starts_with("## Scale\n\n- started: 2026-12-04 05:00 UTC, load average 0.1 0.2 0.3\n"), "{md}");
        assert!(md.contains("- repetitions per row (N): 3; window per run: 60 s\n"), "{md}");
        assert!(md.contains(TABLE_HEADER), "{md}");
        // keepalived/vrrpd per run: 4.0, 3.0, 4.0 (master); 7.0, 6.0, 6.45 (backup).
        // vrrpd/floor: 2.0, 3.0 (master); 2.0, 2.0 (backup); the floor's 3rd run failed.
        assert!(
            md.contains(
                "| 255 × 10 ms | idle | 84.0 % (80.0–90.0) | 71.0 % (70.0–72.0) | 21.0 % (20.0–30.0) | \
                 11.0 % (10.0–12.0) | 4.0x (3.0–4.0) / 6.5x (6.0–7.0) | 10.0 % / 5.50 % (5.00–6.00), 1 of 3 failed | \
                 2.5x (2.0–3.0) / 2.0x | 8.0 MiB / 4.0 MiB | 4.0 MiB / 2.0 MiB | 0 (0–2) | 0 | 438 on b, 255 missing on a | 0 on b |\n"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| 1020 × 100 ms | other core busy | did not settle | did not settle | 36.0 % | 15.0 % | – | – | – | \
                 – | 6.0 MiB / 3.0 MiB | – | 1 | – | 0 on b |\n"
            ),
            "{md}"
        );
        // No row for a scenario × load not run.
        assert!(!md.contains("| 255 × 10 ms | other core busy |"), "{md}");
    }
}
