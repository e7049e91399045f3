//! `vrrpd`: the event loop that binds [`vrrp_core::Router`] to Linux.
//!
//! One current-thread tokio runtime drives everything: the raw VRRP sockets, the timer
//! (the core's single earliest deadline), rtnetlink link events, signals and the control
//! socket. The core decides; this module only carries out its [`Action`]s.

pub mod clock;
pub mod plan;
pub mod ratelimit;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::future::poll_fn;
use std::net::IpAddr;
use std::path::PathBuf;
use std::task::Poll;
use std::time::Duration as StdDuration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};
use vrrp_core::router::{Discarded, InstanceId};
use vrrp_core::{Action, Router, RxError, State};

use crate::config;
use crate::net::{self, Announcer, Netlink, RecvError, Scope, VrrpSocket};
use clock::Clock;
use plan::{plan_instance, InstancePlan, LinkFacts};
use ratelimit::RateLimiter;
use status::{InstanceStatus, RouterCounters, Status};

/// keepalived's practical ceiling, and what the core is benchmarked with.
pub const MAX_INSTANCES: usize = 1024;

/// Receive buffer: the largest advert plus an IPv4 header with options.
const RX_BUF: usize = 4200;

/// How `vrrpd` was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// keepalived.conf.
    pub config: PathBuf,
    /// Control socket path.
    pub control_socket: PathBuf,
    /// PID file, if any.
    pub pid_file: Option<PathBuf>,
}

/// A VIP and where it lives.
#[derive(Debug, Clone)]
struct VipPlace {
    ifindex: u32,
    addr: IpAddr,
    prefix: u8,
    label: Option<String>,
    brd: Option<std::net::Ipv4Addr>,
    scope: Scope,
}

/// Per-instance runtime facts the core does not need.
#[derive(Debug)]
struct Runtime {
    plan: InstancePlan,
    socket: usize,
    vips: Vec<VipPlace>,
}

/// The running daemon.
struct Daemon {
    clock: Clock,
    router: Box<Router<MAX_INSTANCES>>,
    instances: Vec<Runtime>,
    sockets: Vec<VrrpSocket>,
    announcers: BTreeMap<u32, Announcer>,
    netlink: Netlink,
    /// VIPs we added and have not removed: removed on exit whatever the state.
    added: BTreeSet<(u32, IpAddr, u8)>,
    limiter: RateLimiter,
    malformed: u64,
    tx_buf: Vec<u8>,
}

/// A control-socket request, answered by the event loop.
type ControlRequest = (String, oneshot::Sender<String>);

fn scope_of(s: Option<&str>) -> Scope {
    match s {
        Some("site") => Scope::Site,
        Some("link") => Scope::Link,
        Some("host") => Scope::Host,
        Some("nowhere") => Scope::Nowhere,
        _ => Scope::Global,
    }
}

/// Checks a configuration the way `vrrpd -t` does: parse, then every instance through
/// the same planning the daemon uses, with placeholder interface facts.
pub fn config_test(path: &std::path::Path) -> Result<config::Config, String> {
    let cfg = config::load(path).map_err(|e| e.render())?;
    let mut errors = Vec::new();
    for inst in &cfg.instances {
        let facts = LinkFacts {
            ifindex: 1,
            primary_v4: Some("192.0.2.254".parse().map_err(|e| format!("{e}"))?),
            link_local_v6: Some("fe80::1".parse().map_err(|e| format!("{e}"))?),
        };
        if let Err(e) = plan_instance(&cfg.global, inst, &facts) {
            // Planning errors start with the location they concern; mark them like the
            // parser's diagnostics ("FILE:LINE:COL: error: ...") so one grep finds all.
            let msg = format!("{e:#}");
            let located = std::iter::once(&inst.location)
                .chain(inst.vips.iter().chain(&inst.vips_excluded).map(|v| &v.location))
                .find_map(|loc| msg.strip_prefix(&format!("{loc}: ")).map(|rest| format!("{loc}: error: {rest}")));
            errors.push(located.unwrap_or(msg));
        }
    }
    if errors.is_empty() {
        Ok(cfg)
    } else {
        Err(errors.join("\n") + "\n")
    }
}

/// Runs the daemon until SIGTERM/SIGINT.
pub async fn run(opts: Options) -> Result<()> {
    let cfg = config::load(&opts.config).map_err(|e| anyhow::anyhow!("{}", e.render()))?;
    for w in &cfg.warnings {
        warn!("{w}");
    }
    if cfg.instances.is_empty() {
        warn!("no vrrp_instance in {}", opts.config.display());
    }
    let mut daemon = Daemon::build(&cfg).await?;
    if let Some(pid) = &opts.pid_file {
        std::fs::write(pid, format!("{}\n", std::process::id()))
            .with_context(|| format!("writing {}", pid.display()))?;
    }
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<ControlRequest>(16);
    let listener = bind_control(&opts.control_socket)?;
    tokio::spawn(serve_control(listener, ctl_tx));
    let mut watch = net::watch().context("subscribing to rtnetlink events")?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;

    daemon.start().await;
    info!("vrrpd started: {} instance(s)", daemon.instances.len());
    let mut rx_buf = vec![0u8; RX_BUF];
    loop {
        let deadline = daemon.router.poll_timeout().map(|d| daemon.clock.to_tokio(d));
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = sigterm.recv() => { info!("SIGTERM: shutting down"); break; }
            _ = sigint.recv() => { info!("SIGINT: shutting down"); break; }
            _ = sighup.recv() => warn!("SIGHUP: reload not implemented; restart vrrpd to apply a new configuration"),
            _ = sleep => {
                let now = daemon.clock.now();
                daemon.router.handle_timeout(now);
                daemon.execute().await;
            }
            (idx, result) = recv_any(&daemon.sockets, &mut rx_buf) => {
                daemon.on_packet(idx, result, &rx_buf).await;
            }
            Some(event) = watch.recv() => daemon.on_link_event(event).await,
            Some((request, reply)) = ctl_rx.recv() => {
                let _ = reply.send(daemon.answer(&request));
            }
        }
    }
    daemon.shutdown().await;
    let _ = std::fs::remove_file(&opts.control_socket);
    if let Some(pid) = &opts.pid_file {
        let _ = std::fs::remove_file(pid);
    }
    Ok(())
}

/// Waits until any socket yields a datagram (or a per-datagram error).
async fn recv_any(sockets: &[VrrpSocket], buf: &mut [u8]) -> (usize, std::result::Result<net::Received, RecvError>) {
    if sockets.is_empty() {
        return std::future::pending().await;
    }
    poll_fn(|cx| {
        for (i, s) in sockets.iter().enumerate() {
            if let Poll::Ready(r) = s.poll_recv(cx, buf) {
                return Poll::Ready((i, r));
            }
        }
        Poll::Pending
    })
    .await
}

fn bind_control(path: &std::path::Path) -> Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(path);
    UnixListener::bind(path).with_context(|| format!("binding control socket {}", path.display()))
}

/// Accepts control connections; each sends one line ("status") and gets one reply.
async fn serve_control(listener: UnixListener, requests: mpsc::Sender<ControlRequest>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let requests = requests.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            let mut reader = BufReader::new(read);
            if tokio::time::timeout(StdDuration::from_secs(2), reader.read_line(&mut line)).await.is_err() {
                return;
            }
            let (tx, rx) = oneshot::channel();
            if requests.send((line.trim().to_owned(), tx)).await.is_err() {
                return;
            }
            if let Ok(reply) = rx.await {
                let _ = write.write_all(reply.as_bytes()).await;
                let _ = write.shutdown().await;
            }
        });
    }
}

impl Daemon {
    async fn build(cfg: &config::Config) -> Result<Daemon> {
        let netlink = Netlink::new().context("opening rtnetlink")?;
        let mut router: Box<Router<MAX_INSTANCES>> = Box::default();
        let mut instances = Vec::new();
        let mut sockets: Vec<VrrpSocket> = Vec::new();
        let mut socket_keys: Vec<(String, IpAddr)> = Vec::new();
        let mut announcers = BTreeMap::new();
        let mut links_down = BTreeSet::new();
        for inst in &cfg.instances {
            let link = netlink
                .link_by_name(&inst.interface)
                .await
                .with_context(|| format!("{}: interface {} not found", inst.location, inst.interface))?;
            let facts = LinkFacts {
                ifindex: link.index,
                primary_v4: netlink.primary_ipv4(link.index).await?.map(IpAddr::V4),
                link_local_v6: netlink.link_local_v6(link.index).await?.map(IpAddr::V6),
            };
            if !link.up {
                links_down.insert(link.index);
            }
            let plan = plan_instance(&cfg.global, inst, &facts)?;
            let key = (inst.interface.clone(), plan.core.primary_address);
            let socket = match socket_keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    let s = VrrpSocket::open(&inst.interface, plan.core.primary_address).with_context(|| {
                        format!("{}: opening VRRP socket on {} from {}", inst.location, key.0, key.1)
                    })?;
                    sockets.push(s);
                    socket_keys.push(key);
                    sockets.len() - 1
                }
            };
            let mut vips = Vec::new();
            for vip in &plan.vips {
                let ifindex = match &vip.dev {
                    Some(dev) if *dev != inst.interface => {
                        netlink
                            .link_by_name(dev)
                            .await
                            .with_context(|| format!("{}: interface {dev} not found", vip.location))?
                            .index
                    }
                    _ => link.index,
                };
                vips.push(VipPlace {
                    ifindex,
                    addr: vip.addr,
                    prefix: vip.prefix_len,
                    label: vip.label.clone(),
                    brd: vip.brd,
                    scope: scope_of(vip.scope.as_deref()),
                });
            }
            for v in &vips {
                if let std::collections::btree_map::Entry::Vacant(e) = announcers.entry(v.ifindex) {
                    let l = netlink.link_by_index(v.ifindex).await?;
                    if let Some(mac) = l.mac {
                        e.insert(Announcer::open(v.ifindex, mac).context("opening AF_PACKET socket")?);
                    }
                }
            }
            router
                .add(plan.core.clone())
                .map_err(|e| anyhow::anyhow!("{}: cannot add instance: {e:?}", inst.location))?;
            instances.push(Runtime { plan, socket, vips });
        }
        let mut daemon = Daemon {
            clock: Clock::start(),
            router,
            instances,
            sockets,
            announcers,
            netlink,
            added: BTreeSet::new(),
            limiter: RateLimiter::new(StdDuration::from_secs(10)),
            malformed: 0,
            tx_buf: vec![0u8; vrrp_core::wire::MAX_PACKET_LEN + 16],
        };
        daemon.remove_stale_vips().await;
        let now = daemon.clock.now();
        for ifindex in links_down {
            daemon.router.handle_link(now, ifindex, false);
        }
        Ok(daemon)
    }

    /// A previous vrrpd that died (SIGKILL, crash) may have left VIPs behind; a backup
    /// must not hold them. The owner's addresses are its own and stay.
    async fn remove_stale_vips(&mut self) {
        for rt in &self.instances {
            if rt.plan.core.is_owner() {
                continue;
            }
            for v in &rt.vips {
                if let Err(e) = self.netlink.del_address(v.ifindex, v.addr, v.prefix).await {
                    warn!("({}) removing stale {}/{}: {e}", rt.plan.name, v.addr, v.prefix);
                }
            }
        }
    }

    async fn start(&mut self) {
        let now = self.clock.now();
        self.router.start_all(now);
        self.execute().await;
    }

    async fn shutdown(&mut self) {
        let now = self.clock.now();
        self.router.shutdown_all(now);
        self.execute().await;
        // Whatever happened, leave no VIP of ours behind.
        for (ifindex, addr, prefix) in std::mem::take(&mut self.added) {
            if let Err(e) = self.netlink.del_address(ifindex, addr, prefix).await {
                error!("removing {addr}/{prefix}: {e}");
            }
        }
        info!("vrrpd stopped");
    }

    async fn on_packet(&mut self, socket: usize, result: std::result::Result<net::Received, RecvError>, buf: &[u8]) {
        let rx = match result {
            Ok(rx) => rx,
            Err(RecvError::Io(e)) => {
                if let Some(n) = self.limiter.allow("socket", std::time::Instant::now()) {
                    warn!("receive error on VRRP socket {socket}: {e} ({n} similar suppressed)");
                }
                return;
            }
            Err(e) => {
                self.malformed += 1;
                if let Some(n) = self.limiter.allow("malformed", std::time::Instant::now()) {
                    warn!("dropped malformed packet: {e} ({n} similar suppressed)");
                }
                return;
            }
        };
        let now = self.clock.now();
        let payload = rx.payload(buf);
        match self.router.handle_packet(now, rx.ifindex, rx.src, rx.dst, rx.ttl_or_hop_limit, payload) {
            Ok((id, accepted)) => {
                if accepted.address_list_mismatch {
                    if let Some(n) = self.limiter.allow("address list", std::time::Instant::now()) {
                        let name = self.name(id);
                        warn!(
                            "({name}) advert from {} lists other virtual addresses than ours ({n} similar suppressed)",
                            rx.src
                        );
                    }
                }
            }
            Err(Discarded { instance, error }) => self.log_discard(instance, error, rx.src),
        }
        self.execute().await;
    }

    fn log_discard(&mut self, instance: Option<InstanceId>, error: RxError, src: IpAddr) {
        let key = match error {
            RxError::Ttl(_) => "ttl",
            RxError::Version(_) => "version",
            RxError::Length => "length",
            RxError::Checksum => "checksum",
            RxError::UnknownVrid(_) => "vrid",
            RxError::InvalidType(_) => "type",
            RxError::NoAddresses => "count",
            RxError::ZeroInterval | RxError::IntervalMismatch { .. } => "interval",
            RxError::InvalidAuthType(_) | RxError::AuthTypeMismatch { .. } | RxError::AuthAhUnsupported => "auth type",
            RxError::AuthFailure => "auth",
            RxError::AddressListMismatch => "address list",
            RxError::LocalOwner => return,
            RxError::SourceNotLinkLocal => "source",
        };
        if let Some(n) = self.limiter.allow(key, std::time::Instant::now()) {
            let who = instance.map(|id| self.name(id)).unwrap_or_else(|| "-".into());
            warn!("({who}) dropped advert from {src}: {error} ({n} similar suppressed)");
        }
    }

    fn name(&self, id: InstanceId) -> String {
        self.instances.get(usize::from(id.0)).map(|r| r.plan.name.clone()).unwrap_or_default()
    }

    async fn on_link_event(&mut self, event: net::Event) {
        let now = self.clock.now();
        match event {
            net::Event::LinkUp { index } => self.router.handle_link(now, index, true),
            net::Event::LinkDown { index } | net::Event::LinkRemoved { index } => {
                self.router.handle_link(now, index, false)
            }
            net::Event::AddrRemoved { index, addr, prefix } => {
                if self.added.contains(&(index, addr, prefix)) {
                    warn!("virtual address {addr}/{prefix} was removed by someone else");
                    self.added.remove(&(index, addr, prefix));
                }
            }
            net::Event::AddrAdded { .. } => {}
        }
        self.execute().await;
    }

    /// Carries out every pending action of every instance, in order.
    async fn execute(&mut self) {
        while let Some((id, action)) = self.router.poll_action() {
            let Some(rt) = self.instances.get(usize::from(id.0)) else { continue };
            match action {
                Action::StateChanged { from, to, reason } => {
                    info!(
                        "({}) Entering {} STATE (from {}: {})",
                        rt.plan.name,
                        to.as_str(),
                        from.as_str(),
                        reason.as_str()
                    );
                }
                Action::SendAdvert { priority } => match self.router.write_advert(id, priority, &mut self.tx_buf) {
                    Ok(n) => {
                        if let (Some(sock), Some(bytes)) = (self.sockets.get(rt.socket), self.tx_buf.get(..n)) {
                            if let Err(e) = sock.send(bytes).await {
                                if let Some(s) = self.limiter.allow("send", std::time::Instant::now()) {
                                    warn!("({}) sending advert: {e} ({s} similar suppressed)", rt.plan.name);
                                }
                            }
                        }
                    }
                    Err(e) => error!("({}) cannot build advert: {e}", rt.plan.name),
                },
                Action::AddVips => {
                    for v in &rt.vips {
                        let label = v.label.as_deref();
                        match self.netlink.add_address(v.ifindex, v.addr, v.prefix, label, v.brd, v.scope).await {
                            Ok(()) => {
                                self.added.insert((v.ifindex, v.addr, v.prefix));
                            }
                            Err(e) => error!("({}) adding {}/{}: {e}", rt.plan.name, v.addr, v.prefix),
                        }
                    }
                }
                Action::RemoveVips => {
                    if rt.plan.core.is_owner() {
                        continue;
                    }
                    for v in &rt.vips {
                        match self.netlink.del_address(v.ifindex, v.addr, v.prefix).await {
                            Ok(()) => {
                                self.added.remove(&(v.ifindex, v.addr, v.prefix));
                            }
                            Err(e) => error!("({}) removing {}/{}: {e}", rt.plan.name, v.addr, v.prefix),
                        }
                    }
                }
                Action::Announce => self.announce(id),
            }
        }
    }

    /// Gratuitous ARP for each IPv4 VIP, unsolicited NA for each IPv6 VIP, `garp_master_repeat` times.
    fn announce(&self, id: InstanceId) {
        let Some(rt) = self.instances.get(usize::from(id.0)) else { return };
        let is_master = self.router.get(id).is_some_and(|i| i.state() == State::Master);
        if !is_master {
            return;
        }
        for _ in 0..rt.plan.garp_repeat {
            for v in &rt.vips {
                let Some(a) = self.announcers.get(&v.ifindex) else { continue };
                let result = match (v.addr, rt.plan.core.primary_address) {
                    (IpAddr::V4(vip), _) => a.send_garp(vip),
                    (IpAddr::V6(vip), IpAddr::V6(ll)) => a.send_unsolicited_na(ll, vip, false),
                    (IpAddr::V6(_), IpAddr::V4(_)) => continue,
                };
                if let Err(e) = result {
                    warn!("({}) announcing {}: {e}", rt.plan.name, v.addr);
                }
            }
        }
    }

    fn status(&self) -> Status {
        let instances = self
            .router
            .iter()
            .filter_map(|(id, inst)| {
                let rt = self.instances.get(usize::from(id.0))?;
                let vips = rt.vips.iter().map(|v| format!("{}/{}", v.addr, v.prefix)).collect();
                Some(InstanceStatus::new(&rt.plan.name, &rt.plan.interface, vips, inst))
            })
            .collect();
        Status { instances, router: RouterCounters::new(self.router.stats(), self.malformed) }
    }

    fn answer(&self, request: &str) -> String {
        match request {
            "status" | "status json" => {
                serde_json::to_string(&self.status()).unwrap_or_else(|e| format!("error: {e}")) + "\n"
            }
            other => format!("error: unknown request {other:?}; try \"status\"\n"),
        }
    }
}
