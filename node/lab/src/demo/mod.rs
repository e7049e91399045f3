//! `vrrp-lab demo` and `vrrp-lab compare`: the users' keepalived pair, live, in namespaces.
//!
//! Three namespaces on one bridge ([`Lan`]): servers `a` (192.0.2.11, priority 101) and
//! `b` (192.0.2.12, priority 100) run the seed configuration (VRRPv2, PASS, advert 1 s,
//! VIP 192.0.2.1), and a `client` (192.0.2.100) pings the VIP every millisecond. The demo
//! then cuts the master's cable, plugs it back in, and stops the master with SIGTERM,
//! printing a timeline (VIP added/removed and carrier changes from rtnetlink inside each
//! server's namespace, daemon states from `vrrpctl`) and, per step, the outage the client
//! saw: the longest gap between two consecutive echo replies, and how many pings were lost.
//!
//! `compare` runs the same three steps once with a keepalived pair and once with a vrrpd
//! pair, each on a fresh LAN, and prints both outages side by side.
//!
//! Everything lives in namespaces the [`Lan`] creates and deletes (also on error, panic,
//! and Ctrl-C: [`request_stop`] makes every wait return [`Interrupted`], so the stack
//! unwinds through the `Drop`s).
//!
//! This file holds the options and the scenario with its three steps; beside it,
//! `servers.rs` writes the configs and starts the daemons, `pinger.rs` is the client's
//! 1 ms ping and the outage it measured, `monitor.rs` feeds the timeline (rtnetlink
//! events, daemon states, the wait for an advert), `report.rs` prints (the timeline, the
//! outage lines, `compare`'s table), and `interrupt.rs` handles Ctrl-C.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use vrrp_core::timers::master_down_interval;

use crate::{Lan, HOST_IFNAME};

mod interrupt;
pub(crate) mod monitor;
mod pinger;
mod report;
pub(crate) mod servers;

pub use interrupt::{request_stop, Interrupted};
pub use pinger::{outage, Outage, Pinger};
pub use report::{print_comparison, StepReport, Timeline};
pub use servers::{pair_config, seed_config};

pub(crate) use interrupt::{nap, stopping, wait_until};
use monitor::{AdvertWatch, Monitor};
use report::indent;
use servers::{Server, WorkDir};

/// The virtual address of the seed configuration (TEST-NET instead of 10.0.0.1).
pub const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// Ping interval of the client.
pub const PING_INTERVAL: Duration = Duration::from_millis(1);
/// Advert interval of the seed configuration (`advert_int 1`), in centiseconds as
/// [`vrrp_core::timers`] takes it.
const ADVERT_CS: u16 = 100;
/// Servers, in priority order: a is the master.
const SERVERS: [(&str, &str, u8, &str); 2] =
    [("a", "192.0.2.11/24", 101, "MASTER"), ("b", "192.0.2.12/24", 100, "BACKUP")];

/// Which daemon runs the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// vrrpd, with vrrpctl for its state.
    Vrrpd,
    /// keepalived (VRRP only), its state from its log.
    Keepalived,
}

impl Implementation {
    /// "vrrpd" or "keepalived".
    pub fn name(self) -> &'static str {
        match self {
            Implementation::Vrrpd => "vrrpd",
            Implementation::Keepalived => "keepalived",
        }
    }
}

/// Where vrrpd and vrrpctl are.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The daemon.
    pub vrrpd: PathBuf,
    /// The control tool.
    pub vrrpctl: PathBuf,
}

impl Binaries {
    /// vrrpd and vrrpctl next to the running executable, as `cargo build` puts them; an
    /// error that says how to build them if they are not there.
    pub fn beside_current_exe() -> Result<Binaries> {
        let exe = std::env::current_exe().context("locating the running executable")?;
        let dir = exe.parent().context("the running executable has no directory")?;
        let bins = Binaries { vrrpd: dir.join("vrrpd"), vrrpctl: dir.join("vrrpctl") };
        for path in [&bins.vrrpd, &bins.vrrpctl] {
            if !path.is_file() {
                bail!(
                    "{} not found next to {}; build the binaries first:\n    cargo build --release -p vrrp-node -p vrrp-lab",
                    path.display(),
                    exe.display()
                );
            }
        }
        Ok(bins)
    }
}

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct Options {
    /// Shorter pauses between the steps (for tests); the protocol's own times are unchanged.
    pub quick: bool,
    /// Keep the daemons' configs and logs (their directory is printed).
    pub keep_logs: bool,
    /// vrrpd and vrrpctl.
    pub binaries: Binaries,
}

impl Options {
    /// How long to watch after a step has settled, and before the first one.
    fn settle(&self) -> Duration {
        if self.quick {
            Duration::from_millis(700)
        } else {
            Duration::from_secs(2)
        }
    }
}

/// Runs the three steps with `imp` on a fresh LAN named after `lan_name`, printing the
/// timeline as it happens, and returns the per-step outages.
pub fn run_scenario(imp: Implementation, opts: &Options, lan_name: &str) -> Result<Vec<StepReport>> {
    let work = WorkDir::create(imp, opts.keep_logs)?;
    let timeline = Arc::new(Timeline::new());
    let tl = &timeline;
    tl.note(format!("[{}] building the lab: namespaces a, b, client on one bridge", imp.name()));
    let lan = Lan::builder(lan_name)
        .host_v4("a", SERVERS[0].1)
        .host_v4("b", SERVERS[1].1)
        .host_v4("client", "192.0.2.100/24")
        .build()
        .context("building the lab (are you root?)")?;
    lan.sysctl("client", "net.ipv4.conf.all.arp_accept", "1")?;
    let mut servers = Vec::new();
    for (host, _, priority, state) in SERVERS {
        servers.push(Server::start(&lan, imp, host, priority, state, &work.path, &opts.binaries)?);
        tl.note(format!("{host}: {} started, priority {priority}", imp.name()));
    }
    let monitor = Monitor::start(&lan, Arc::clone(&timeline), &servers, &opts.binaries)?;
    let result = steps(&lan, &mut servers, opts, tl);
    monitor.stop();
    if let Err(e) = &result {
        if e.downcast_ref::<Interrupted>().is_none() {
            for s in &servers {
                eprintln!("--- {} log ({}):\n{}", s.host, s.log.display(), s.log_text());
            }
        }
    }
    drop(servers);
    drop(lan);
    if opts.keep_logs {
        tl.note(format!("configs and logs kept in {}", work.path.display()));
    }
    result
}

fn steps(lan: &Lan, servers: &mut [Server], opts: &Options, tl: &Timeline) -> Result<Vec<StepReport>> {
    let mdi: Duration = master_down_interval(100, ADVERT_CS).into();
    // keepalived 2.2.7 starts in BACKUP even as `state MASTER` and waits Master_Down_Interval.
    let limit = 2 * mdi + Duration::from_secs(5);
    wait_until(limit, || holders(lan) == "a")?
        .with_context(|| format!("the VIP did not appear on a within {limit:?} (holders: {})", holders(lan)))?;
    tl.note(format!("VIP {VIP} is on a, the master:"));
    if let Ok(out) = lan.exec("a", &["ip", "-br", "-4", "addr", "show", "dev", HOST_IFNAME]) {
        print!("{}", indent(&String::from_utf8_lossy(&out.stdout)));
    }
    for s in servers.iter() {
        if let Some(table) = s.vrrpctl_table(&opts.binaries) {
            println!("    {}$ vrrpctl status", s.host);
            print!("{}", indent(&indent(&table)));
        }
    }
    let pinger = Pinger::start(lan, "client", VIP, PING_INTERVAL)?;
    tl.note(format!("client: pinging {VIP} every {} ms", PING_INTERVAL.as_millis()));
    wait_until(Duration::from_secs(5), || pinger.replies() > 0)?.context("the client gets no echo reply")?;
    nap(opts.settle())?;

    let mut reports = Vec::new();
    // 1. Pull the master's cable: b takes over after Master_Down_Interval. The cut comes
    //    right after one of a's adverts, so that b waits the whole interval: the outage is
    //    then the protocol's worst case, the same on every run and for every daemon.
    let adverts = AdvertWatch::open(lan, "client")?;
    let step = Step { name: "1. cut the master's cable (a)", expect: "b", limit: mdi + Duration::from_secs(5) };
    reports.push(step.run(lan, &pinger, opts, tl, || {
        if !adverts.wait_for_advert(Duration::from_secs(3))? {
            tl.note("no advert seen from a within 3 s; cutting anyway");
        }
        lan.cut_cable("a").map_err(Into::into)
    })?);
    drop(adverts);
    // 2. Plug it back: a (priority 101, preempt) takes the VIP back.
    let step = Step { name: "2. restore a's cable", expect: "a", limit: 2 * mdi + Duration::from_secs(5) };
    reports.push(step.run(lan, &pinger, opts, tl, || lan.restore_cable("a").map_err(Into::into))?);
    // 3. Stop the master: its priority-0 advert hands over after Skew_Time, and vrrpd keeps
    //    the VIP until it hears its successor (keepalived drops it at once).
    let step = Step { name: "3. stop the master (SIGTERM a)", expect: "b", limit: mdi + Duration::from_secs(5) };
    let a = servers.first_mut().context("no server a")?;
    reports.push(step.run(lan, &pinger, opts, tl, || {
        a.sigterm();
        Ok(())
    })?);
    let exited = wait_until(Duration::from_secs(5), || !a.running())?;
    match a.child.try_wait() {
        Ok(Some(status)) => tl.note(format!("a: {} exited ({status})", a.imp.name())),
        _ => tl.note(format!("a: {} still running {exited:?} after SIGTERM", a.imp.name())),
    }
    pinger.stop();
    Ok(reports)
}

struct Step {
    name: &'static str,
    /// Who must hold the VIP (alone) when the step is done.
    expect: &'static str,
    limit: Duration,
}

impl Step {
    fn run(
        &self,
        lan: &Lan,
        pinger: &Pinger,
        opts: &Options,
        tl: &Timeline,
        action: impl FnOnce() -> Result<()>,
    ) -> Result<StepReport> {
        let before = holders(lan);
        tl.note(format!("STEP {}", self.name));
        let t0 = Instant::now();
        action()?;
        let settled = wait_until(self.limit, || holders(lan) == self.expect)?.with_context(|| {
            format!(
                "{}: the VIP is on [{}], expected on {} alone after {:?}",
                self.name,
                holders(lan),
                self.expect,
                self.limit
            )
        })?;
        tl.note(format!("VIP on {} alone, {:.0} ms after the step", self.expect, settled.as_secs_f64() * 1000.0));
        let done = Instant::now();
        let resumed = wait_until(Duration::from_secs(10), || pinger.last_reply().is_some_and(|t| t > done))?;
        if resumed.is_none() {
            bail!("{}: the client gets no echo reply from the VIP any more", self.name);
        }
        nap(opts.settle())?;
        let from = t0.checked_sub(Duration::from_millis(100)).unwrap_or(t0);
        let outage = pinger.outage(from, Instant::now());
        let report = StepReport {
            name: self.name.into(),
            vip_before: before,
            vip_after: holders(lan),
            settled_after: settled,
            outage,
        };
        let began = outage.gap_start.map(|t| tl.offset(t).as_secs_f64()).unwrap_or_default();
        tl.note(format!("{report}  (longest gap from {began:.3} s)"));
        Ok(report)
    }
}

/// Which servers hold the VIP, e.g. "a", "b", "a+b" or "-".
pub(crate) fn holders(lan: &Lan) -> String {
    let who: Vec<&str> = SERVERS
        .iter()
        .map(|s| s.0)
        .filter(|h| lan.addrs(h, HOST_IFNAME).is_ok_and(|a| a.iter().any(|(ip, _)| *ip == IpAddr::V4(VIP))))
        .collect();
    if who.is_empty() {
        "-".into()
    } else {
        who.join("+")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrrp_core::timers::skew_time;

    #[test]
    fn skew_and_master_down_for_the_seed_backup() {
        assert_eq!(Duration::from(skew_time(100, ADVERT_CS)), Duration::from_micros(609_375));
        assert_eq!(Duration::from(master_down_interval(100, ADVERT_CS)), Duration::from_micros(3_609_375));
    }
}
