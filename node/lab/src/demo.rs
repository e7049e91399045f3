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

use std::fmt;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::{Lan, HOST_IFNAME};
use vrrp_core::wire::internet_checksum;
use vrrp_node::net;

/// The virtual address of the seed configuration (TEST-NET instead of 10.0.0.1).
pub const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// Ping interval of the client.
pub const PING_INTERVAL: Duration = Duration::from_millis(1);
/// Advert interval of the seed configuration.
const ADVERT: Duration = Duration::from_secs(1);
/// Servers, in priority order: a is the master.
const SERVERS: [(&str, &str, u8, &str); 2] =
    [("a", "192.0.2.11/24", 101, "MASTER"), ("b", "192.0.2.12/24", 100, "BACKUP")];

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks a running demo to stop: every wait returns [`Interrupted`] from now on, and the
/// lab is torn down as the call stack unwinds. For a Ctrl-C handler.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

fn stopping() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The demo was interrupted (Ctrl-C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

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

/// What one step did to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// What was done.
    pub name: String,
    /// Who held the VIP before and after.
    pub vip_before: String,
    /// Who held the VIP after.
    pub vip_after: String,
    /// How long the step took to reach its expected end state (VIP where it belongs).
    pub settled_after: Duration,
    /// What the client saw.
    pub outage: Outage,
}

/// The client's view of a time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outage {
    /// The longest time without an echo reply.
    pub longest_gap: Duration,
    /// When that gap began (the last reply before it).
    pub gap_start: Option<Instant>,
    /// Echo requests sent in the window that were never answered.
    pub lost: u64,
    /// Echo requests sent in the window.
    pub sent: u64,
}

impl fmt::Display for StepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outage  {:<34} VIP {} -> {}  {:>9.1} ms   lost {} of {} pings",
            self.name,
            self.vip_before,
            self.vip_after,
            self.outage.longest_gap.as_secs_f64() * 1000.0,
            self.outage.lost,
            self.outage.sent
        )
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
    let mdi = master_down_interval(100, ADVERT);
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
    // 3. Stop the master: its priority-0 advert hands over after Skew_Time.
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

/// A raw VRRP socket on a host that only waits for the next advertisement (any sender).
struct AdvertWatch {
    sock: Socket,
}

impl AdvertWatch {
    fn open(lan: &Lan, host: &str) -> Result<AdvertWatch> {
        let ifindex = lan.ifindex(host)?;
        let sock = lan
            .run_in(host, || -> std::io::Result<Socket> {
                let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112)))?;
                sock.bind_device(Some(HOST_IFNAME.as_bytes()))?;
                sock.join_multicast_v4_n(&net::VRRP_GROUP_V4, &socket2::InterfaceIndexOrAddress::Index(ifindex))?;
                Ok(sock)
            })?
            .context("opening a VRRP socket on the client")?;
        Ok(AdvertWatch { sock })
    }

    /// Drops what is queued, then waits up to `limit` for a fresh advert: true if one came.
    fn wait_for_advert(&self, limit: Duration) -> Result<bool> {
        let mut buf = [0u8; 1500];
        let mut reader = &self.sock;
        self.sock.set_nonblocking(true)?;
        while reader.read(&mut buf).is_ok() {}
        self.sock.set_nonblocking(false)?;
        let end = Instant::now() + limit;
        self.sock.set_read_timeout(Some(Duration::from_millis(50)))?;
        while Instant::now() < end {
            if stopping() {
                return Err(Interrupted.into());
            }
            if reader.read(&mut buf).is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Master_Down_Interval (RFC 9568 §6.1): 3 × interval + (256 − priority) × interval / 256.
pub fn master_down_interval(priority: u8, interval: Duration) -> Duration {
    3 * interval + skew_time(priority, interval)
}

/// Skew_Time (RFC 9568 §6.1): (256 − priority) × interval / 256.
pub fn skew_time(priority: u8, interval: Duration) -> Duration {
    interval * (256 - u32::from(priority)) / 256
}

/// Which servers hold the VIP, e.g. "a", "b", "a+b" or "-".
fn holders(lan: &Lan) -> String {
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

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// Sleeps `d`, or returns [`Interrupted`] as soon as a stop is requested.
fn nap(d: Duration) -> Result<()> {
    let end = Instant::now() + d;
    loop {
        if stopping() {
            return Err(Interrupted.into());
        }
        let now = Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep((end - now).min(Duration::from_millis(20)));
    }
}

/// Polls `f` every 20 ms for up to `limit`: `Ok(Some(elapsed))` once it holds, `Ok(None)`
/// on timeout, [`Interrupted`] on a stop request.
fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> Result<Option<Duration>> {
    let start = Instant::now();
    loop {
        if stopping() {
            return Err(Interrupted.into());
        }
        if f() {
            return Ok(Some(start.elapsed()));
        }
        if start.elapsed() >= limit {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The printed timeline: seconds since the demo started, and what happened.
#[derive(Debug)]
pub struct Timeline {
    epoch: Instant,
    out: Mutex<()>,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Timeline {
    /// A timeline starting now.
    pub fn new() -> Self {
        Timeline { epoch: Instant::now(), out: Mutex::new(()) }
    }

    /// Prints `what` with the time it happened.
    pub fn note(&self, what: impl AsRef<str>) {
        self.note_at(Instant::now(), what);
    }

    /// `at` as time since the start of the timeline.
    pub fn offset(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.epoch)
    }

    fn note_at(&self, at: Instant, what: impl AsRef<str>) {
        let t = self.offset(at).as_secs_f64();
        let _guard = self.out.lock().unwrap_or_else(|e| e.into_inner());
        println!("{t:>9.3} s  {}", what.as_ref());
    }
}

/// A scratch directory for configs, logs and control sockets; removed on drop unless kept.
#[derive(Debug)]
struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    fn create(imp: Implementation, keep: bool) -> Result<WorkDir> {
        let path = std::env::temp_dir().join(format!("vrrp-lab-{}-{}", std::process::id(), imp.name()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(WorkDir { path, keep })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The seed keepalived.conf for one server.
pub fn seed_config(state: &str, priority: u8) -> String {
    format!(
        r#"vrrp_instance VI {{
    state {state}
    interface eth1
    garp_master_delay 5
    virtual_router_id 200
    priority {priority}
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass XXXXXX
    }}
    virtual_ipaddress {{
        {VIP}/24 dev eth1
    }}
}}
"#
    )
}

/// One server's daemon.
#[derive(Debug)]
struct Server {
    host: &'static str,
    imp: Implementation,
    child: Child,
    socket: PathBuf,
    log: PathBuf,
}

impl Server {
    fn start(
        lan: &Lan,
        imp: Implementation,
        host: &'static str,
        priority: u8,
        state: &str,
        dir: &Path,
        bins: &Binaries,
    ) -> Result<Server> {
        let conf = dir.join(format!("{host}.conf"));
        std::fs::write(&conf, seed_config(state, priority)).with_context(|| format!("writing {}", conf.display()))?;
        let log = dir.join(format!("{host}.log"));
        let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let socket = dir.join(format!("{host}.sock"));
        let mut cmd = match imp {
            Implementation::Vrrpd => {
                let mut c = Command::new(&bins.vrrpd);
                c.arg("-f")
                    .arg(&conf)
                    .arg("--control-socket")
                    .arg(&socket)
                    .arg("-p")
                    .arg(dir.join(format!("{host}.pid")));
                c
            }
            Implementation::Keepalived => {
                let mut c = Command::new("keepalived");
                c.args(["-n", "-l", "-D", "--vrrp", "-f"])
                    .arg(&conf)
                    .arg("-p")
                    .arg(dir.join(format!("{host}.keepalived.pid")))
                    .arg("-r")
                    .arg(dir.join(format!("{host}.vrrp.pid")));
                c
            }
        };
        cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
        // Ctrl-C goes to the demo only; it stops the daemons itself, in order.
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = lan.spawn(host, &mut cmd).with_context(|| format!("starting {} on {host}", imp.name()))?;
        Ok(Server { host, imp, child, socket, log })
    }

    fn sigterm(&self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `vrrpctl status` (the table), for vrrpd.
    fn vrrpctl_table(&self, bins: &Binaries) -> Option<String> {
        (self.imp == Implementation::Vrrpd).then_some(())?;
        let out = Command::new(&bins.vrrpctl).arg("--socket").arg(&self.socket).arg("status").output().ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running() {
            self.sigterm();
            let end = Instant::now() + Duration::from_secs(3);
            while self.running() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The state of one server's daemon, as `vrrpctl status --json` says (vrrpd) or as the
/// last "Entering X STATE" line of its log says (keepalived).
fn daemon_state(imp: Implementation, socket: &Path, log: &Path, vrrpctl: &Path) -> Option<String> {
    match imp {
        Implementation::Vrrpd => {
            let out = Command::new(vrrpctl)
                .arg("--socket")
                .arg(socket)
                .args(["status", "--json"])
                .stderr(Stdio::null())
                .output()
                .ok()?;
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            v["instances"][0]["state"].as_str().map(str::to_owned)
        }
        Implementation::Keepalived => {
            let text = std::fs::read_to_string(log).ok()?;
            text.lines().rev().find_map(|l| {
                let rest = &l[l.find("Entering ")? + "Entering ".len()..];
                Some(rest.strip_suffix(" STATE")?.trim().to_owned())
            })
        }
    }
}

/// Watches the servers: rtnetlink events inside their namespaces (VIP added/removed,
/// carrier lost/back) and the daemons' states, printing each change on the timeline.
struct Monitor {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Monitor {
    fn start(lan: &Lan, tl: Arc<Timeline>, servers: &[Server], bins: &Binaries) -> Result<Monitor> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();

        // rtnetlink: one subscription per server namespace, on one current-thread runtime.
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let mut watches = Vec::new();
        {
            let _entered = rt.enter();
            for s in servers {
                let watch = lan.run_in(s.host, net::watch)?.with_context(|| format!("{}: rtnetlink", s.host))?;
                watches.push((s.host, lan.ifindex(s.host)?, watch));
            }
        }
        let (stop2, tl2) = (Arc::clone(&stop), Arc::clone(&tl));
        threads.push(std::thread::spawn(move || {
            rt.block_on(watch_netlink(watches, stop2, tl2));
        }));

        // Daemon states, every 50 ms.
        let targets: Vec<_> = servers.iter().map(|s| (s.host, s.imp, s.socket.clone(), s.log.clone())).collect();
        let vrrpctl = bins.vrrpctl.clone();
        let stop3 = Arc::clone(&stop);
        threads.push(std::thread::spawn(move || {
            let mut last: Vec<Option<String>> = vec![None; targets.len()];
            while !stop3.load(Ordering::SeqCst) {
                for ((host, imp, socket, log), last) in targets.iter().zip(&mut last) {
                    let Some(state) = daemon_state(*imp, socket, log, &vrrpctl) else { continue };
                    if last.as_deref() != Some(state.as_str()) {
                        let source = if *imp == Implementation::Vrrpd { "vrrpctl" } else { "keepalived log" };
                        let from = last.as_deref().unwrap_or("-");
                        tl.note(format!("{host}: {from} -> {state} ({source})"));
                        *last = Some(state);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }));
        Ok(Monitor { stop, threads })
    }

    fn stop(self) {
        drop(self);
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

async fn watch_netlink(watches: Vec<(&'static str, u32, net::Watch)>, stop: Arc<AtomicBool>, tl: Arc<Timeline>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for (host, eth1, mut watch) in watches {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            // The lab brings every eth1 up before the daemons start.
            let mut carrier = true;
            while let Some(event) = watch.recv().await {
                let at = Instant::now();
                let text = match event {
                    net::Event::AddrAdded { index, addr, prefix } if index == eth1 && addr == IpAddr::V4(VIP) => {
                        format!("{host}: VIP {addr}/{prefix} added (rtnetlink)")
                    }
                    net::Event::AddrRemoved { index, addr, prefix } if index == eth1 && addr == IpAddr::V4(VIP) => {
                        format!("{host}: VIP {addr}/{prefix} removed (rtnetlink)")
                    }
                    net::Event::LinkDown { index } if index == eth1 && carrier => {
                        carrier = false;
                        format!("{host}: eth1 lost carrier (rtnetlink)")
                    }
                    net::Event::LinkUp { index } if index == eth1 && !carrier => {
                        carrier = true;
                        format!("{host}: eth1 carrier back (rtnetlink)")
                    }
                    _ => continue,
                };
                if tx.send((at, text)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            Some((at, text)) = rx.recv() => tl.note_at(at, text),
            _ = tick.tick() => {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
    }
    for t in tasks {
        t.abort();
    }
}

/// An ICMP echo loop from inside a namespace: one request every `interval`, each reply's
/// arrival recorded. Replies carry the request's 64-bit sequence number in their payload.
#[derive(Debug)]
pub struct Pinger {
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<PingLog>>,
    threads: Vec<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct PingLog {
    /// Send time of request n at index n.
    sent: Vec<Instant>,
    /// (sequence number, arrival) of each reply, in arrival order.
    replies: Vec<(u64, Instant)>,
}

const ICMP_ECHO_REQUEST: u8 = 8;
const ICMP_ECHO_REPLY: u8 = 0;

impl Pinger {
    /// Starts pinging `target` from `host`'s namespace (raw ICMP socket: needs root).
    pub fn start(lan: &Lan, host: &str, target: Ipv4Addr, interval: Duration) -> Result<Pinger> {
        let sock = lan
            .run_in(host, || Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)))?
            .context("opening a raw ICMP socket")?;
        sock.set_read_timeout(Some(Duration::from_millis(50)))?;
        let rx_sock = sock.try_clone()?;
        let id = (std::process::id() as u16) ^ 0x5652;
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(PingLog::default()));
        let mut threads = Vec::new();
        let (stop_tx, log_tx) = (Arc::clone(&stop), Arc::clone(&log));
        threads.push(std::thread::spawn(move || {
            raise_thread_priority();
            let to = SockAddr::from(SocketAddrV4::new(target, 0));
            let mut next = Instant::now();
            let mut seq: u64 = 0;
            while !stop_tx.load(Ordering::SeqCst) {
                let request = echo_request(id, seq);
                let now = Instant::now();
                if let Ok(mut l) = log_tx.lock() {
                    l.sent.push(now);
                }
                // Errors (no ARP answer yet, queue full) are losses like any other.
                let _ = sock.send_to(&request, &to);
                seq += 1;
                next += interval;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else if now - next > 20 * interval {
                    // Fell far behind (machine busy): do not burst to catch up.
                    next = now;
                }
            }
        }));
        let (stop_rx, log_rx) = (Arc::clone(&stop), Arc::clone(&log));
        threads.push(std::thread::spawn(move || {
            raise_thread_priority();
            let mut buf = [0u8; 1500];
            let mut reader = &rx_sock;
            while !stop_rx.load(Ordering::SeqCst) {
                let Ok(n) = reader.read(&mut buf) else { continue };
                let at = Instant::now();
                if let Some(seq) = buf.get(..n).and_then(|p| parse_echo_reply(p, id)) {
                    if let Ok(mut l) = log_rx.lock() {
                        l.replies.push((seq, at));
                    }
                }
            }
        }));
        Ok(Pinger { stop, log, threads })
    }

    /// Replies received so far.
    pub fn replies(&self) -> usize {
        self.log.lock().map(|l| l.replies.len()).unwrap_or(0)
    }

    /// When the last reply arrived.
    pub fn last_reply(&self) -> Option<Instant> {
        self.log.lock().ok().and_then(|l| l.replies.last().map(|r| r.1))
    }

    /// What the client saw between `from` and `to`; see [`outage`].
    pub fn outage(&self, from: Instant, to: Instant) -> Outage {
        match self.log.lock() {
            Ok(l) => outage(&l.sent, &l.replies, from, to),
            Err(_) => Outage::default(),
        }
    }

    /// Stops both threads (as dropping does).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The pinger is the measuring instrument: make it less likely than the daemons and the
/// demo itself to wait for a CPU (nice −10 for the calling thread; best effort, root only).
fn raise_thread_priority() {
    // SAFETY: plain syscalls on the calling thread's own id; no memory is shared.
    unsafe {
        let tid = libc::gettid();
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, -10);
    }
}

/// The client's experience between `from` and `to`: the longest gap between consecutive
/// reply arrivals (the last reply before `from` counts as the start of a gap; `to` ends
/// one), and how many of the requests sent in the window went unanswered. Requests sent in
/// the last 100 ms before `to` are not judged (their replies may still be on the way).
pub fn outage(sent: &[Instant], replies: &[(u64, Instant)], from: Instant, to: Instant) -> Outage {
    let mut arrivals: Vec<Instant> = replies.iter().map(|r| r.1).filter(|t| *t <= to).collect();
    arrivals.sort();
    let first = arrivals.partition_point(|t| *t < from);
    let mut prev = if first > 0 { arrivals.get(first - 1).copied() } else { None }.unwrap_or(from);
    let mut longest = Duration::ZERO;
    let mut gap_start = None;
    for t in arrivals.get(first..).unwrap_or_default().iter().copied().chain([to]) {
        let gap = t.saturating_duration_since(prev);
        if gap > longest {
            longest = gap;
            gap_start = Some(prev);
        }
        prev = t;
    }
    let judged_until = to.checked_sub(Duration::from_millis(100)).unwrap_or(to);
    let answered: std::collections::BTreeSet<u64> = replies.iter().map(|r| r.0).collect();
    let window: Vec<u64> =
        sent.iter().enumerate().filter(|(_, t)| **t >= from && **t <= judged_until).map(|(i, _)| i as u64).collect();
    let lost = window.iter().filter(|i| !answered.contains(i)).count() as u64;
    Outage { longest_gap: longest, gap_start, lost, sent: window.len() as u64 }
}

/// An ICMP echo request carrying `seq` as its 8-byte payload.
fn echo_request(id: u16, seq: u64) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[0] = ICMP_ECHO_REQUEST;
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&(seq as u16).to_be_bytes());
    p[8..16].copy_from_slice(&seq.to_be_bytes());
    let sum = internet_checksum(&p);
    p[2..4].copy_from_slice(&sum.to_be_bytes());
    p
}

/// The sequence number of an echo reply to us (`id`) in an IPv4 packet, if it is one.
fn parse_echo_reply(packet: &[u8], id: u16) -> Option<u64> {
    let ihl = usize::from(packet.first()? & 0x0f) * 4;
    let icmp = packet.get(ihl..)?;
    if *icmp.first()? != ICMP_ECHO_REPLY || icmp.get(4..6)? != id.to_be_bytes() {
        return None;
    }
    Some(u64::from_be_bytes(icmp.get(8..16)?.try_into().ok()?))
}

/// Prints the outages of `compare`: keepalived's, vrrpd's, and their ratio per step.
pub fn print_comparison(keepalived: &[StepReport], vrrpd: &[StepReport]) {
    println!();
    println!("{:<34} {:>14} {:>14} {:>18}", "client outage per step", "keepalived", "vrrpd", "keepalived/vrrpd");
    for (k, v) in keepalived.iter().zip(vrrpd) {
        let (km, vm) = (k.outage.longest_gap.as_secs_f64() * 1000.0, v.outage.longest_gap.as_secs_f64() * 1000.0);
        let ratio = if vm > 0.0 { format!("{:.2}x", km / vm) } else { "-".into() };
        println!("{:<34} {:>11.1} ms {:>11.1} ms {:>18}", k.name, km, vm, ratio);
        println!(
            "{:<34} {:>14} {:>14}",
            "    pings lost",
            format!("{}/{}", k.outage.lost, k.outage.sent),
            format!("{}/{}", v.outage.lost, v.outage.sent)
        );
    }
    let mdi = master_down_interval(100, ADVERT).as_secs_f64() * 1000.0;
    let skew = skew_time(100, ADVERT).as_secs_f64() * 1000.0;
    println!();
    println!("Steps 1 and 3 are set by the protocol's timers for any conforming implementation:");
    println!("Master_Down_Interval {mdi:.1} ms after the last advert (the cut follows one), and");
    println!("Skew_Time {skew:.1} ms after the priority-0 advert, at priority 100 and advert_int 1.");
    println!("Step 2 is a pre-emption with both routers up: a few ms of jitter either way.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksum_verifies() {
        let p = echo_request(0x1234, 70_000);
        assert_eq!(internet_checksum(&p), 0);
        assert_eq!(&p[8..16], &70_000u64.to_be_bytes());
    }

    #[test]
    fn echo_reply_parsing() {
        let mut reply = vec![0x45u8; 20];
        let mut icmp = echo_request(7, 42).to_vec();
        icmp[0] = ICMP_ECHO_REPLY;
        reply.extend_from_slice(&icmp);
        assert_eq!(parse_echo_reply(&reply, 7), Some(42));
        assert_eq!(parse_echo_reply(&reply, 8), None);
        assert_eq!(parse_echo_reply(&reply[..30], 7), None);
        reply[20] = ICMP_ECHO_REQUEST;
        assert_eq!(parse_echo_reply(&reply, 7), None);
    }

    #[test]
    fn outage_is_the_longest_gap_and_lost_counts_unanswered() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // One request per ms for 1 s; requests 300..=699 unanswered.
        let sent: Vec<Instant> = (0..1000).map(ms).collect();
        let replies: Vec<(u64, Instant)> =
            (0..1000).filter(|i| !(300..700).contains(i)).map(|i| (i, ms(i) + Duration::from_micros(100))).collect();
        let o = outage(&sent, &replies, ms(100), ms(1000));
        assert_eq!(o.longest_gap, Duration::from_millis(401));
        assert_eq!(o.lost, 400);
        assert_eq!(o.sent, 801);
        // No reply at all in the window: the gap runs from the last one before it to the end.
        let o = outage(&sent, &replies, ms(350), ms(650));
        assert_eq!(o.longest_gap, ms(650) - (ms(299) + Duration::from_micros(100)));
    }

    #[test]
    fn skew_and_master_down_for_the_seed_backup() {
        assert_eq!(skew_time(100, ADVERT), Duration::from_micros(609_375));
        assert_eq!(master_down_interval(100, ADVERT), Duration::from_micros(3_609_375));
    }

    #[test]
    fn seed_config_is_the_users_with_a_test_net_vip() {
        let c = seed_config("MASTER", 101);
        assert!(c.contains("priority 101") && c.contains("192.0.2.1/24 dev eth1") && c.contains("auth_pass XXXXXX"));
    }
}
