//! `vrrp-lab bench`: failover outage of a keepalived pair and a vrrpd pair, same lab, same
//! generated keepalived.conf, in one run (issue 16, "one command, a table and a picture",
//! part 1).
//!
//! For each daemon and each config ([`CONFIGS`]: the seed VRRPv2 at 1 s, VRRPv3 at 100 ms
//! and at 10 ms) one LAN is built as the demo's (a: priority 101 MASTER, b: 100 BACKUP, a
//! client pinging the VIP every 1 ms), and each [`Event`] — cable cut of the master,
//! SIGKILL of its daemon, SIGTERM of its daemon — runs N times, a being restored (cable
//! back, daemon restarted) and master alone again between repetitions. Per repetition:
//! the client's outage (longest gap between echo replies) and pings lost; for SIGKILL also
//! how long both hosts held the VIP (a's daemon restarted as soon as b holds it, as a
//! supervisor would). The results go to DIR/bench.md (`report`) and DIR/outage.png
//! (`plot`), and the table to stdout.
//!
//! The scale part ([`scale`], `--part scale`): CPU, RSS, spurious transitions and a
//! split-brain check of both pairs and the floor at 255 and 1020 instances × 10 ms and
//! 100 ms adverts, idle and with the other core busy; a "Scale" section in bench.md
//! ([`scale_report`]) and DIR/scale.png ([`scale_plot`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use vrrp_core::timers::master_down_interval;

use crate::demo::monitor::AdvertWatch;
use crate::demo::servers::{Server, WorkDir};
use crate::demo::{
    holders, nap, pair_config, wait_until, Binaries, Implementation, Interrupted, Pinger, PING_INTERVAL, VIP,
};
use crate::Lan;

pub mod plot;
pub mod report;
pub mod scale;
pub mod scale_plot;
pub mod scale_report;

pub use report::{Meta, Sample};

/// One pair configuration: VRRP version and advert interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Config {
    /// 2 or 3.
    pub version: u8,
    /// `advert_int`, centiseconds.
    pub advert_cs: u16,
}

/// The seed config (v2, 1 s), VRRPv3 at 100 ms and at 10 ms.
pub const CONFIGS: [Config; 3] =
    [Config { version: 2, advert_cs: 100 }, Config { version: 3, advert_cs: 10 }, Config { version: 3, advert_cs: 1 }];

impl Config {
    /// `advert_int` as keepalived.conf writes it, seconds.
    pub fn advert_int(self) -> String {
        match self.advert_cs {
            cs if cs % 100 == 0 => format!("{}", cs / 100),
            cs if cs % 10 == 0 => format!("0.{}", cs / 10),
            cs => format!("0.{cs:02}"),
        }
    }

    /// The advert interval.
    pub fn interval(self) -> Duration {
        Duration::from_millis(u64::from(self.advert_cs) * 10)
    }

    /// "VRRPv2, 1 s", "VRRPv3, 100 ms".
    pub fn label(self) -> String {
        let ms = u64::from(self.advert_cs) * 10;
        if ms % 1000 == 0 {
            format!("VRRPv{}, {} s", self.version, ms / 1000)
        } else {
            format!("VRRPv{}, {ms} ms", self.version)
        }
    }

    /// Master_Down_Interval of the backup.
    fn mdi(self) -> Duration {
        master_down_interval(report::BACKUP_PRIORITY, self.advert_cs).into()
    }
}

/// What is done to the master (a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// Its cable is pulled (bridge port down).
    Cut,
    /// Its daemon gets SIGKILL (the whole process group: keepalived's VRRP child too).
    Kill,
    /// Its daemon gets SIGTERM (a priority-0 advert).
    Term,
}

/// All three, in table order.
pub const EVENTS: [Event; 3] = [Event::Cut, Event::Kill, Event::Term];

impl Event {
    /// The table's name.
    pub fn label(self) -> &'static str {
        match self {
            Event::Cut => "cable cut",
            Event::Kill => "SIGKILL",
            Event::Term => "SIGTERM",
        }
    }

    /// Which protocol time is its floor.
    pub fn floor_name(self) -> &'static str {
        match self {
            Event::Cut | Event::Kill => "Master_Down_Interval",
            Event::Term => "Skew_Time",
        }
    }
}

/// Which parts of the bench to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Failover outage (part 1).
    Outage,
    /// The scale table and plot (part 2).
    Scale,
    /// Both.
    All,
}

impl Part {
    /// Whether the outage part runs.
    pub fn outage(self) -> bool {
        matches!(self, Part::Outage | Part::All)
    }

    /// Whether the scale part runs.
    pub fn scale(self) -> bool {
        matches!(self, Part::Scale | Part::All)
    }
}

impl std::str::FromStr for Part {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "outage" => Ok(Part::Outage),
            "scale" => Ok(Part::Scale),
            "all" => Ok(Part::All),
            _ => Err(format!("{text:?}: expected outage, scale or all")),
        }
    }
}

/// How to run the bench.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which parts.
    pub part: Part,
    /// The scale part's window per run.
    pub window: Duration,
    /// The scale part's scenarios (empty: [`scale::SCENARIOS`]).
    pub scenarios: Vec<crate::cpu::Scenario>,
    /// Repetitions per cell.
    pub reps: u32,
    /// One repetition, VRRPv3 100 ms only, SIGTERM and cut only (for CI).
    pub smoke: bool,
    /// Where bench.md and outage.png go.
    pub out: PathBuf,
    /// vrrpd only.
    pub skip_keepalived: bool,
    /// vrrpd and vrrpctl.
    pub binaries: Binaries,
    /// The command line, for the Markdown.
    pub command: String,
}

impl Options {
    /// The configs, events, repetitions and daemons this run covers.
    pub fn plan(&self) -> (Vec<Config>, Vec<Event>, u32, Vec<Implementation>) {
        let mut daemons = vec![Implementation::Keepalived, Implementation::Vrrpd];
        if self.skip_keepalived {
            daemons.remove(0);
        }
        if self.smoke {
            (vec![CONFIGS[1]], vec![Event::Cut, Event::Term], 1, daemons)
        } else {
            (CONFIGS.to_vec(), EVENTS.to_vec(), self.reps, daemons)
        }
    }

    /// What the scale part runs: with `smoke`, one run of 20 × 100 ms, idle, over 5 s.
    pub fn scale_plan(&self) -> scale::Plan {
        if self.smoke {
            scale::Plan {
                scenarios: vec![scale::SMOKE_SCENARIO],
                loads: vec![scale_report::Load::Idle],
                reps: 1,
                window: scale::SMOKE_WINDOW,
                keepalived: !self.skip_keepalived,
            }
        } else {
            scale::Plan {
                scenarios: if self.scenarios.is_empty() { scale::SCENARIOS.to_vec() } else { self.scenarios.clone() },
                loads: vec![scale_report::Load::Idle, scale_report::Load::Busy],
                reps: self.reps,
                window: self.window,
                keepalived: !self.skip_keepalived,
            }
        }
    }
}

/// What the run produced.
#[derive(Debug)]
pub struct Outcome {
    /// The Markdown written to DIR/bench.md.
    pub markdown: String,
    /// Daemon × config pairs that failed (their error), also listed in the Markdown.
    pub failures: Vec<String>,
}

/// Runs the bench's parts, writes DIR/bench.md and DIR/outage.png and/or DIR/scale.png,
/// and returns the Markdown.
pub fn run(opts: &Options) -> Result<Outcome> {
    // Fail before the long run if the plot cannot be drawn or the busy rows cannot run.
    plot::register_font()?;
    let scale_plan = opts.part.scale().then(|| opts.scale_plan());
    if let Some(plan) = &scale_plan {
        scale::check_stress(plan)?;
    }
    become_subreaper();
    std::fs::create_dir_all(&opts.out).with_context(|| format!("creating {}", opts.out.display()))?;
    let (configs, events, reps, daemons) = opts.plan();
    let mut meta = machine_meta(reps, &opts.command);
    let mut samples = Vec::new();
    let mut failures = Vec::new();
    if opts.part.outage() {
        println!(
            "bench: {} daemon(s) x {} config(s) x {} event(s) x {reps} repetition(s); load average {}",
            daemons.len(),
            configs.len(),
            events.len(),
            meta.load
        );
        let mut polls = PollStats::default();
        for &config in &configs {
            for &imp in &daemons {
                println!("=== {} pair, {}", imp.name(), config.label());
                match run_pair(imp, config, &events, reps, opts, &mut samples, &mut polls) {
                    Ok(()) => {}
                    Err(e) if e.downcast_ref::<Interrupted>().is_some() => return Err(e),
                    Err(e) => {
                        eprintln!("bench: {} pair, {}: {e:#}", imp.name(), config.label());
                        failures.push(format!("{} pair, {}: {e:#}", imp.name(), config.label()));
                    }
                }
            }
        }
        meta.poll_period = polls.mean();
    }
    let mut scale_section = None;
    if let Some(plan) = &scale_plan {
        if !opts.part.outage() {
            meta.reps = plan.reps;
        }
        let date = machine_meta(plan.reps, "").date;
        let results = scale::run(plan, &opts.binaries, date)?;
        failures.extend(results.failures.iter().cloned());
        scale_section =
            Some(scale_report::scale_section(&results.meta, &results.samples, &plan.scenarios, &plan.loads));
        scale_plot::draw(&opts.out.join("scale.png"), &results.samples, &plan.scenarios, &plan.loads)?;
    }
    let outage = opts.part.outage().then_some((samples.as_slice(), configs.as_slice(), events.as_slice()));
    let markdown = report::document(&meta, outage, scale_section.as_deref(), &failures);
    let md_path = opts.out.join("bench.md");
    std::fs::write(&md_path, &markdown).with_context(|| format!("writing {}", md_path.display()))?;
    if opts.part.outage() {
        plot::draw(&opts.out.join("outage.png"), &samples, &configs, &events)?;
    }
    Ok(Outcome { markdown, failures })
}

/// The mean period of the poll of the VIP's holders (one look and a 1 ms pause).
#[derive(Debug, Default)]
struct PollStats {
    total: Duration,
    count: u32,
}

impl PollStats {
    fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| self.total / self.count)
    }
}

/// Polls `holders` as fast as it can until `f` holds: the time it first held, or None.
fn poll_holders(
    lan: &Lan,
    limit: Duration,
    stats: &mut PollStats,
    f: impl Fn(&str) -> bool,
) -> Result<Option<Instant>> {
    let start = Instant::now();
    loop {
        if crate::demo::stopping() {
            return Err(Interrupted.into());
        }
        let t = Instant::now();
        if f(&holders(lan)) {
            return Ok(Some(Instant::now()));
        }
        if start.elapsed() >= limit {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(1));
        stats.total += t.elapsed();
        stats.count += 1;
    }
}

fn run_pair(
    imp: Implementation,
    config: Config,
    events: &[Event],
    reps: u32,
    opts: &Options,
    samples: &mut Vec<Sample>,
    polls: &mut PollStats,
) -> Result<()> {
    let work = WorkDir::create(imp, false)?;
    let name = match imp {
        Implementation::Keepalived => "bench-ka",
        Implementation::Vrrpd => "bench-vd",
    };
    let lan = Lan::builder(name)
        .host_v4("a", "192.0.2.11/24")
        .host_v4("b", "192.0.2.12/24")
        .host_v4("client", "192.0.2.100/24")
        .build()
        .context("building the lab (are you root?)")?;
    lan.sysctl("client", "net.ipv4.conf.all.arp_accept", "1")?;
    let conf = |host: &str| {
        let (state, priority) = if host == "a" { ("MASTER", 101) } else { ("BACKUP", 100) };
        pair_config(state, priority, config.version, &config.advert_int())
    };
    let mut servers = vec![
        Server::start_with(&lan, imp, "a", &conf("a"), &work.path, &opts.binaries)?,
        Server::start_with(&lan, imp, "b", &conf("b"), &work.path, &opts.binaries)?,
    ];
    let result = (|| -> Result<()> {
        wait_a_alone(&lan, config)?;
        let pinger = Pinger::start(&lan, "client", VIP, PING_INTERVAL)?;
        wait_until(Duration::from_secs(5), || pinger.replies() > 0)?.context("the client gets no echo reply")?;
        nap(Duration::from_millis(300))?;
        let adverts = AdvertWatch::open(&lan, "client")?;
        for rep in 1..=reps {
            for &event in events {
                let s = run_event(&lan, &mut servers, imp, config, event, &pinger, &adverts, &conf, &work, opts, polls)
                    .with_context(|| format!("{}, repetition {rep}", event.label()))?;
                println!(
                    "  {} {} rep {rep}: outage {:.1} ms, {} lost{}",
                    imp.name(),
                    event.label(),
                    s.outage.as_secs_f64() * 1000.0,
                    s.lost,
                    s.both_held
                        .map(|d| format!(", both held the VIP {:.0} ms", d.as_secs_f64() * 1000.0))
                        .unwrap_or_default()
                );
                samples.push(s);
            }
        }
        Ok(())
    })();
    if let Err(e) = &result {
        if e.downcast_ref::<Interrupted>().is_none() {
            for s in &servers {
                let log = s.log_text();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                eprintln!("--- {} log tail ({}):", s.host, s.log.display());
                for l in tail.iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
    }
    drop(servers);
    drop(lan);
    result
}

/// Waits until a alone holds the VIP, and still does a few advert intervals later.
fn wait_a_alone(lan: &Lan, config: Config) -> Result<()> {
    // keepalived starts in BACKUP even as `state MASTER` and waits Master_Down_Interval.
    let limit = 2 * config.mdi() + Duration::from_secs(10);
    let hold = (3 * config.interval()).max(Duration::from_millis(300));
    let start = Instant::now();
    loop {
        wait_until(limit.saturating_sub(start.elapsed()), || holders(lan) == "a")?
            .with_context(|| format!("the VIP is not on a alone within {limit:?} (holders: {})", holders(lan)))?;
        nap(hold)?;
        if holders(lan) == "a" {
            return Ok(());
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_event(
    lan: &Lan,
    servers: &mut [Server],
    imp: Implementation,
    config: Config,
    event: Event,
    pinger: &Pinger,
    adverts: &AdvertWatch,
    conf: &dyn Fn(&str) -> String,
    work: &WorkDir,
    opts: &Options,
    polls: &mut PollStats,
) -> Result<Sample> {
    let mdi = config.mdi();
    let limit = mdi + Duration::from_secs(5);
    // Right after one of a's adverts, so that b waits the whole Master_Down_Interval.
    if event != Event::Term && !adverts.wait_for_advert(Duration::from_secs(3))? {
        bail!("no advert from a within 3 s");
    }
    let t0 = Instant::now();
    let mut both_held = None;
    match event {
        Event::Cut => {
            lan.cut_cable("a")?;
            wait_until(limit, || holders(lan) == "b")?
                .with_context(|| format!("cut: the VIP is on [{}], not b alone after {limit:?}", holders(lan)))?;
        }
        Event::Term => {
            servers[0].sigterm();
            wait_until(limit, || holders(lan) == "b")?
                .with_context(|| format!("SIGTERM: the VIP is on [{}], not b alone after {limit:?}", holders(lan)))?;
        }
        Event::Kill => {
            let pid = i32::try_from(servers[0].child.id()).context("pid")?;
            let old = crate::pids_in_netns(lan.ns_name("a")).unwrap_or_default();
            nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL)
                .context("SIGKILL to a's daemon")?;
            let b_has = poll_holders(lan, limit, polls, |h| h.contains('b'))?
                .with_context(|| format!("SIGKILL: b did not take the VIP within {limit:?} ({})", holders(lan)))?;
            // As a supervisor would: restart a's daemon at once (the old one is reaped first).
            let _ = servers[0].child.wait();
            // keepalived's VRRP child, orphaned, is a zombie until it is reaped; a new
            // keepalived that finds its pid (in the old pid file) still there says "daemon
            // is already running" and exits. A supervisor (systemd) reaps the whole group
            // before the restart; so does the bench (a child subreaper, see `run`), and
            // failing that it removes the stale pid files.
            reap(&old);
            let gone = || old.iter().all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists());
            if wait_until(Duration::from_millis(200), gone)?.is_none() {
                for f in ["a.pid", "a.keepalived.pid", "a.vrrp.pid"] {
                    let _ = std::fs::remove_file(work.path.join(f));
                }
            }
            servers[0] = Server::start_with(lan, imp, "a", &conf("a"), &work.path, &opts.binaries)?;
            let settle = 2 * mdi + Duration::from_secs(10);
            let one = poll_holders(lan, settle, polls, |h| h == "a" || h == "b")?
                .with_context(|| format!("SIGKILL: both hosts still hold the VIP {settle:?} after a's restart"))?;
            both_held = Some(one.duration_since(b_has));
        }
    }
    let done = Instant::now();
    wait_until(Duration::from_secs(10), || pinger.last_reply().is_some_and(|t| t > done))?
        .context("the client gets no echo reply from the VIP any more")?;
    nap(Duration::from_millis(300))?;
    let from = t0.checked_sub(Duration::from_millis(100)).unwrap_or(t0);
    let outage = pinger.outage(from, Instant::now());
    // Back to a alone as master for the next repetition.
    match event {
        Event::Cut => lan.restore_cable("a")?,
        Event::Term => {
            wait_until(Duration::from_secs(5), || !servers[0].running())?
                .context("a's daemon still runs 5 s after SIGTERM")?;
            servers[0] = Server::start_with(lan, imp, "a", &conf("a"), &work.path, &opts.binaries)?;
        }
        Event::Kill => {}
    }
    wait_a_alone(lan, config)?;
    Ok(Sample { imp, config, event, outage: outage.longest_gap, lost: outage.lost, both_held })
}

/// Makes this process the reaper of its orphaned descendants (keepalived's VRRP child
/// once its parent is killed), as a supervisor is, so that [`reap`] can collect them at
/// once instead of waiting for PID 1.
fn become_subreaper() {
    // SAFETY: prctl with integer arguments on the calling process; nothing is shared.
    unsafe {
        let _ = libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Reaps those of `pids` that are this process's (adopted) children once they exit,
/// waiting at most 2 s for each; others are skipped (ECHILD).
fn reap(pids: &[u32]) {
    for &pid in pids {
        let Ok(pid) = i32::try_from(pid) else { continue };
        let end = Instant::now() + Duration::from_secs(2);
        loop {
            let mut status = 0;
            // SAFETY: waitpid on one pid with a valid status pointer.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if r != 0 || Instant::now() >= end {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn machine_meta(reps: u32, command: &str) -> Meta {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':').map(|(_, v)| v.trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let nproc = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let run = |args: &[&str]| {
        std::process::Command::new(args[0])
            .args(&args[1..])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    Meta {
        cpu,
        nproc,
        kernel: run(&["uname", "-r"]),
        date: run(&["date", "-u", "+%Y-%m-%d %H:%M UTC"]),
        load,
        reps,
        command: command.to_owned(),
        poll_period: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(part: Part, smoke: bool) -> Options {
        Options {
            part,
            window: Duration::from_secs(60),
            scenarios: vec![],
            reps: 3,
            smoke,
            out: "out".into(),
            skip_keepalived: false,
            binaries: Binaries { vrrpd: "vrrpd".into(), vrrpctl: "vrrpctl".into() },
            command: String::new(),
        }
    }

    #[test]
    fn parts_and_the_scale_plan() {
        assert_eq!("all".parse::<Part>(), Ok(Part::All));
        assert!("outage".parse::<Part>().is_ok_and(|p| p.outage() && !p.scale()));
        assert!("scale".parse::<Part>().is_ok_and(|p| !p.outage() && p.scale()));
        assert!(Part::All.outage() && Part::All.scale() && "both".parse::<Part>().is_err());
        let full = options(Part::All, false).scale_plan();
        assert_eq!(full.scenarios, scale::SCENARIOS.to_vec());
        assert_eq!((full.reps, full.window, full.keepalived), (3, Duration::from_secs(60), true));
        assert_eq!(full.loads, [scale_report::Load::Idle, scale_report::Load::Busy]);
        let smoke = options(Part::Scale, true).scale_plan();
        assert_eq!(smoke.scenarios, [scale::SMOKE_SCENARIO]);
        assert_eq!(
            (smoke.reps, smoke.window, smoke.loads.as_slice()),
            (1, scale::SMOKE_WINDOW, &[scale_report::Load::Idle][..])
        );
        let mut some = options(Part::Scale, false);
        some.scenarios = vec!["255x0.1".parse().unwrap()];
        some.skip_keepalived = true;
        let plan = some.scale_plan();
        assert_eq!((plan.scenarios.len(), plan.keepalived), (1, false));
    }

    #[test]
    fn configs_as_keepalived_writes_them() {
        let ints: Vec<String> = CONFIGS.iter().map(|c| c.advert_int()).collect();
        assert_eq!(ints, ["1", "0.1", "0.01"]);
        let labels: Vec<String> = CONFIGS.iter().map(|c| c.label()).collect();
        assert_eq!(labels, ["VRRPv2, 1 s", "VRRPv3, 100 ms", "VRRPv3, 10 ms"]);
        for c in CONFIGS {
            let cfg = vrrp_node::config::parse_str("x.conf", &pair_config("BACKUP", 100, c.version, &c.advert_int()))
                .unwrap();
            assert_eq!(cfg.instances[0].advert_int_cs, c.advert_cs);
            let v = if c.version == 3 { vrrp_core::wire::Version::V3 } else { vrrp_core::wire::Version::V2 };
            assert_eq!(cfg.instances[0].version, v);
        }
    }
}
