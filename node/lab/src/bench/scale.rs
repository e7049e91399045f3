//! The bench's scale part (issue 16, "one command, a table and a picture", item 2): for
//! each scenario (instances × advert interval) and load (idle, other core busy), N runs of
//! keepalived's pair, vrrpd's pair and the floor, each on a lab of its own
//! ([`crate::cpu::observe`], [`crate::floor::measure`]); CPU, RSS, spurious transitions and
//! the split-brain check over the window. A pair that does not settle is a failed run,
//! shown as such in the table; a failover during the window is a result (counted).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::scale_report::{FloorRun, Load, Measured, PairRun, ScaleMeta, ScaleSample};
use crate::cpu::{Cost, Scenario};
use crate::demo::{Binaries, Implementation, Interrupted};

/// The default scenarios: 255 and 1020 instances at 10 ms and at 100 ms adverts.
pub const SCENARIOS: [Scenario; 4] = [
    Scenario { instances: 255, advert_cs: 1 },
    Scenario { instances: 1020, advert_cs: 10 },
    Scenario { instances: 255, advert_cs: 10 },
    Scenario { instances: 1020, advert_cs: 1 },
];

/// The smoke form's one scenario.
pub const SMOKE_SCENARIO: Scenario = Scenario { instances: 20, advert_cs: 10 };

/// The smoke form's window.
pub const SMOKE_WINDOW: Duration = Duration::from_secs(5);

/// What the scale part runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Scenarios, in table order.
    pub scenarios: Vec<Scenario>,
    /// Loads, in table order.
    pub loads: Vec<Load>,
    /// Runs per scenario × load.
    pub reps: u32,
    /// Measurement window of each run.
    pub window: Duration,
    /// keepalived's pair too.
    pub keepalived: bool,
}

impl Plan {
    /// Measurements: one per pair and one for the floor, per run.
    pub fn measurements(&self) -> u32 {
        let per_run = if self.keepalived { 3 } else { 2 };
        u32::try_from(self.scenarios.len() * self.loads.len()).unwrap_or(u32::MAX).saturating_mul(self.reps * per_run)
    }

    /// How long the part takes, roughly: each measurement is its window and about 5 s of
    /// lab, settling (2 s after the VIPs are in place) and teardown (a group slow to settle
    /// takes longer, up to a minute more).
    pub fn estimate(&self) -> Duration {
        (self.window + Duration::from_secs(5)) * self.measurements()
    }
}

/// What the scale part measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// The part's parameters.
    pub meta: ScaleMeta,
    /// Every run.
    pub samples: Vec<ScaleSample>,
    /// Failed measurements (their error).
    pub failures: Vec<String>,
}

/// `stress-ng --cpu 1` in a process group of its own, stopped (the group) when dropped.
struct Stress(Child);

impl Stress {
    fn start() -> Result<Stress> {
        use std::os::unix::process::CommandExt as _;
        let child = Command::new("stress-ng")
            .args(["--cpu", "1", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(stress_missing)?;
        // Let the worker start before the lab is built.
        std::thread::sleep(Duration::from_millis(500));
        Ok(Stress(child))
    }
}

impl Drop for Stress {
    fn drop(&mut self) {
        let group = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.0.wait();
    }
}

fn stress_missing(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        anyhow::anyhow!(
            "stress-ng is not installed; the \"other core busy\" rows need it (Debian: apt-get install stress-ng)"
        )
    } else {
        anyhow::anyhow!("starting stress-ng: {e}")
    }
}

/// Fails at once, before the long run, if the busy rows are planned and stress-ng is
/// missing.
pub fn check_stress(plan: &Plan) -> Result<()> {
    if !plan.loads.contains(&Load::Busy) {
        return Ok(());
    }
    let status = Command::new("stress-ng")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(stress_missing)?;
    anyhow::ensure!(status.success(), "stress-ng --version failed ({status})");
    Ok(())
}

/// One pair's figures from [`crate::cpu::observe`]'s cost.
pub fn pair_run(cost: &Cost) -> PairRun {
    let pct = |cpu: f64| 100.0 * cpu / cost.window.as_secs_f64();
    let watch = cost.watch.unwrap_or_default();
    PairRun {
        master_cpu: pct(cost.master_cpu),
        backup_cpu: pct(cost.backup_cpu),
        master_rss_kib: cost.master_rss_kib,
        backup_rss_kib: cost.backup_rss_kib,
        transitions: watch.transitions(),
        most_on_b: watch.most_on_b,
        fewest_on_a: watch.fewest_on_a,
        instances: usize::from(cost.scenario.instances),
    }
}

fn stop_check() -> Result<()> {
    if crate::demo::stopping() {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// Runs the scale part.
pub fn run(plan: &Plan, bins: &Binaries, date: String) -> Result<Results> {
    check_stress(plan)?;
    let exe = std::env::current_exe().context("this executable (the floor's peers)")?;
    let load_avg = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let meta = ScaleMeta { window_s: plan.window.as_secs(), reps: plan.reps, load: load_avg, date };
    println!(
        "bench scale: {} scenario(s) x {} load(s) x {} run(s) of {} s, {} + floor; about {} min",
        plan.scenarios.len(),
        plan.loads.len(),
        plan.reps,
        plan.window.as_secs(),
        if plan.keepalived { "keepalived + vrrpd" } else { "vrrpd" },
        plan.estimate().as_secs().div_ceil(60)
    );
    let mut samples = Vec::new();
    let mut failures = Vec::new();
    for &scenario in &plan.scenarios {
        for &load in &plan.loads {
            stop_check()?;
            let _stress = match load {
                Load::Busy => Some(Stress::start()?),
                Load::Idle => None,
            };
            for rep in 1..=plan.reps {
                let what = |who: &str| format!("{who} {scenario}, {}, run {rep}", load.label());
                let mut pair = |imp: Implementation| -> Result<Measured<PairRun>> {
                    stop_check()?;
                    Ok(match crate::cpu::observe(imp, scenario, plan.window, bins) {
                        Ok(cost) => {
                            let r = pair_run(&cost);
                            let logged = cost.watch.and_then(|w| w.log_transitions);
                            if imp == Implementation::Vrrpd && logged.is_some() && logged != r.transitions {
                                println!(
                                    "  note: vrrpd's counters say {} transitions, its log lines {}",
                                    r.transitions.map_or("?".into(), |t| t.to_string()),
                                    logged.map_or("?".into(), |t| t.to_string())
                                );
                            }
                            println!(
                                "  {}: master {:.2} %, backup {:.2} %, transitions {}, most VIPs on b {}, fewest on a {} of {}",
                                what(imp.name()),
                                r.master_cpu,
                                r.backup_cpu,
                                r.transitions.map_or("?".into(), |t| t.to_string()),
                                r.most_on_b,
                                r.fewest_on_a,
                                r.instances
                            );
                            Measured::Done(r)
                        }
                        Err(e) => {
                            eprintln!("bench: {}: {e:#}", what(imp.name()));
                            failures.push(format!("{}: {e:#}", what(imp.name())));
                            Measured::Failed(format!("{e:#}"))
                        }
                    })
                };
                let keepalived = if plan.keepalived { pair(Implementation::Keepalived)? } else { Measured::Skipped };
                let vrrpd = pair(Implementation::Vrrpd)?;
                stop_check()?;
                let floor = match crate::floor::measure(scenario, plan.window, &exe) {
                    Ok(f) => {
                        let pct = |cpu: f64| 100.0 * cpu / f.window.as_secs_f64();
                        let r = FloorRun { sender_cpu: pct(f.sender_cpu), receiver_cpu: pct(f.receiver_cpu) };
                        println!("  {}: sender {:.2} %, receiver {:.2} %", what("floor"), r.sender_cpu, r.receiver_cpu);
                        Measured::Done(r)
                    }
                    Err(e) => {
                        eprintln!("bench: {}: {e:#}", what("floor"));
                        failures.push(format!("{}: {e:#}", what("floor")));
                        Measured::Failed(format!("{e:#}"))
                    }
                };
                samples.push(ScaleSample { scenario, load, rep, keepalived, vrrpd, floor });
            }
        }
    }
    Ok(Results { meta, samples, failures })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_plan_and_its_duration() {
        let plan = Plan {
            scenarios: SCENARIOS.to_vec(),
            loads: vec![Load::Idle, Load::Busy],
            reps: 3,
            window: Duration::from_secs(60),
            keepalived: true,
        };
        assert_eq!(plan.measurements(), 72);
        assert_eq!(plan.estimate(), Duration::from_secs(72 * 65));
        let names: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
        assert_eq!(names, ["255x0.01", "1020x0.1", "255x0.1", "1020x0.01"]);
        assert_eq!(SMOKE_SCENARIO.to_string(), "20x0.1");
    }
}
