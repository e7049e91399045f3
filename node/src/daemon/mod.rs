//! `vrrpd`: the event loop that binds [`vrrp_core::Router`] to Linux.
//!
//! One current-thread tokio runtime drives the protocol: the raw VRRP sockets, a timerfd
//! at the core's single earliest deadline, rtnetlink link events and signals. The
//! allocation-free [`engine::Engine`] runs the core and sends adverts; this loop carries
//! out the slow effects (netlink, gratuitous ARP). Helper threads keep slow consumers off
//! the protocol path: the control server (`vrrpctl`), the notifier (state-change logs,
//! notify FIFOs, notify queues), the script runner ([`crate::script`]: track scripts, the
//! track file and process watchers, notify scripts) and the metrics server; they share only
//! [`crate::sync`] types and channels with the loop.
//!
//! This file is the loop and the handlers it calls; each other concern has its own room:
//! `startup` (from a configuration to a running daemon), [`plan`] (config → core,
//! and `vrrpd -t`), [`engine`] (the allocation-free protocol path), [`vips`] (which VIPs
//! vrrpd holds), [`clock`] (the timerfd), [`control`] (the `vrrpctl` server),
//! `notifier` (state-change logs), `notifications` (notify FIFOs and per-instance notify
//! queues), [`tracking`] (tracking verdicts to the core), `helpers` (what runs on the script
//! runner), [`ratelimit`] (log-line limits).

pub mod clock;
pub mod control;
pub mod engine;
mod helpers;
mod notifications;
mod notifier;
pub mod plan;
pub mod ratelimit;
mod reload;
mod routes;
pub mod socket_io;
mod startup;
mod sync_groups;
pub mod tracking;
pub mod vips;

use std::collections::{BTreeMap, BTreeSet};
use std::future::poll_fn;
use std::net::IpAddr;
use std::path::PathBuf;
use std::task::Poll;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use tracing::{error, info, warn};
use vrrp_core::router::{Discarded, InstanceId};
use vrrp_core::wire::hmac::HmacError;
use vrrp_core::{RxError, State};

use crate::config;
use crate::control::status::{self, InstanceStatus, RouterCounters, Status};
use crate::net::{self, Announcer, Netlink, RecvError, VrrpSocket};
use crate::service;
use crate::sync::facade::Arc;
use clock::Clock;
use engine::{Effect, Engine, Inbound};
use plan::InstancePlan;
use ratelimit::RateLimiter;
use socket_io::{SocketIo, Sockets};
use vips::Vips;

pub use engine::MAX_INSTANCES;
pub use plan::{config_test, config_test_with};

/// Receive buffer: the largest advert plus an IPv4 header with options.
const RX_BUF: usize = 4200;

/// Datagrams [`Daemon::hear_queued`] takes before a timer expiry is handled: bounded, so
/// a flood on the LAN cannot hold the protocol timer off.
const QUEUED_BEFORE_TIMEOUT: usize = 1024;

/// `recvmmsg` batches ([`net::RECV_BATCH`] datagrams each) one readable socket is drained
/// by before the loop looks at its other events again: the timer branch comes first
/// there, so a flood on the LAN (untrusted) cannot starve the protocol timers.
const RECV_BATCHES_PER_WAKEUP: usize = 4;

/// State-change notices that may wait for the notifier thread before new ones are dropped.
const NOTICE_QUEUE: usize = 4 * MAX_INSTANCES;

/// How `vrrpd` was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// keepalived.conf.
    pub config: PathBuf,
    /// Control socket path.
    pub control_socket: PathBuf,
    /// PID file, if any.
    pub pid_file: Option<PathBuf>,
    /// Group of the control socket (name or number); `None`: vrrpd's own group.
    pub control_group: Option<String>,
    /// How long a notify script may run before it is killed with its group.
    pub notify_timeout: std::time::Duration,
    /// `--metrics-listen`: serve Prometheus metrics there.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// `--strict`: refuse a file keepalived would run with less authentication than it asks for.
    pub strict: bool,
}

/// What a VRRP socket is opened on: (interface name, its index then, source address). The
/// index is part of it: an interface deleted and created again under the same name is
/// another interface, and needs a socket of its own.
type SocketKey = (String, u32, IpAddr);

/// The running daemon.
struct Daemon {
    clock: Clock,
    engine: Engine,
    /// Each instance's plan, by instance id: the file's instances, then the ones a reload
    /// removed that are still handing over.
    plans: Vec<InstancePlan>,
    /// How many of `plans` are the file's (the rest are handing over, and not shown).
    live: usize,
    /// Each instance's VIPs, and the ones we hold.
    vips: Vips,
    /// Each instance's `virtual_routes` and `virtual_rules`, and the ones we installed.
    routes: routes::Routes,
    /// Route and rule removals, watched once some instance tracks a route or rule.
    route_watch: Option<net::Watch>,
    sockets: Vec<VrrpSocket>,
    /// The adverts queued for the sockets, and the I/O counters.
    sio: SocketIo,
    /// What each socket was opened on.
    socket_keys: Vec<SocketKey>,
    announcers: BTreeMap<u32, Announcer>,
    netlink: Netlink,
    limiter: RateLimiter,
    malformed: u64,
    /// Adverts the sockets refused, since start.
    send_errors: u64,
    timer: status::TimerCounters,
    /// Effects being carried out (capacity kept between calls).
    effects: Vec<Effect>,
    /// Tracked scripts, interfaces and files, and what they mean for each instance.
    track: tracking::TrackingLoop,
    /// A stop was asked for: the instances said goodbye and the loop runs on only until
    /// their handovers end (no instance holds VIPs); tracking no longer acts.
    stopping: bool,
    /// IPv6 VIPs whose announcement waits for the kernel to finish the address
    /// ([`Vips::is_unconfirmed`]), with the instance and when to announce anyway.
    waiting_na: BTreeMap<vips::Key, (InstanceId, std::time::Instant)>,
    /// The instances waiting for their interface, and the file they are from.
    pending: Pending,
    /// A link a running instance uses changed: check whether it was deleted or renamed
    /// ([`startup::interfaces_moved`]).
    links_changed: bool,
}

/// The instances of the running file that wait for their interface
/// ([`startup::Waiting`]): shown as FAULT, started by a reload of the same file, as read,
/// once one of their interfaces is ready.
#[derive(Debug, Clone)]
struct Pending {
    /// The running file, every instance in it (the engine runs the ones not waiting).
    full: config::Config,
    waiting: Vec<startup::Waiting>,
}

/// How long an unsolicited NA waits for the kernel's RTM_NEWADDR of a new IPv6 VIP before it
/// is sent anyway (the notification is normally there within a millisecond; this only
/// covers a lost one).
const NA_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_millis(200);

/// Runs the daemon until SIGTERM/SIGINT.
pub async fn run(opts: Options) -> Result<()> {
    service::privilege::check_required()?;
    let cfg = config::load_with(&opts.config, config::ReadOptions { strict: opts.strict })
        .map_err(|e| anyhow::anyhow!("{}", e.render()))?
        .config;
    for w in &cfg.warnings {
        warn!("{w}");
    }
    if cfg.instances.is_empty() {
        warn!("no vrrp_instance in {}", opts.config.display());
    }
    let group = opts.control_group.as_deref().map(startup::control_group).transpose()?;
    // The control socket first: it refuses to start a second vrrpd on the same socket before
    // that one touches the running one's pid file or VIPs. Both files are removed when
    // `run` returns, a failed start included.
    let (listener, socket_file) = startup::bind_control(&opts.control_socket, group)?;
    let pid_file = opts.pid_file.as_deref().map(startup::write_pid_file).transpose()?;
    let metrics_listener = opts.metrics_listen.map(crate::metrics::server::bind).transpose()?;
    // Before any thread starts: SCHED_RR and capabilities are per thread.
    let raised = service::privilege::apply_process_settings(&cfg.global);
    service::privilege::drop_after_setup(&cfg, raised)?;
    let netlink = Netlink::new().context("opening rtnetlink")?;
    // use_vmac: macvlans a killed vrrpd left are removed (and what they changed restored)
    // before this start creates its own.
    for name in net::vmac::remove_all(&netlink).await {
        warn!("removed virtual MAC interface {name} left by an earlier vrrpd");
    }
    let planned = match startup::plan_on_host(&netlink, cfg).await {
        Ok(p) => p,
        Err(e) => {
            net::vmac::remove_all(&netlink).await;
            return Err(anyhow::anyhow!("{e}"));
        }
    };
    for w in &planned.waiting {
        warn!("({}) waiting for its interface, FAULT until then: {}", w.name, w.why);
    }
    let cfg = planned.running.clone();
    let names: Vec<String> = cfg.instances.iter().map(|i| i.name.clone()).collect();
    let (mut generation, track_rx) = reload::Generation::start(&cfg, names, opts.notify_timeout)?;
    let mut daemon = match Daemon::build(netlink, planned, Arc::clone(&generation.notices), Some(track_rx)).await {
        Ok(daemon) => daemon,
        Err(e) => {
            generation.stop();
            let netlink = Netlink::new().context("opening rtnetlink")?;
            net::vmac::remove_all(&netlink).await;
            return Err(e);
        }
    };
    for i in 0..cfg.scripts.len() {
        if generation.helpers.plan.is_disabled(i) {
            daemon.track.disable_script(i);
        }
    }
    let shared = Arc::new(control::Shared::new());
    let control_thread = std::thread::Builder::new()
        .name("vrrpd-control".into())
        .spawn({
            let shared = Arc::clone(&shared);
            move || control::serve(listener, shared)
        })
        .context("starting the control thread")?;
    let metrics =
        metrics_listener.map(|l| crate::metrics::server::Metrics::start(l, Arc::clone(&shared))).transpose()?;
    let mut watch = Some(net::watch().context("subscribing to rtnetlink events")?);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigusr1 = signal(SignalKind::user_defined1())?;
    let mut sigusr2 = signal(SignalKind::user_defined2())?;
    let mut sigjson = signal(SignalKind::from_raw(service::dump::sigjson()))?;
    let mut sigstats_clear = signal(SignalKind::from_raw(service::dump::sigstats_clear()))?;
    // The dumps go where the control socket is: the runtime directory.
    let dump_dir = opts.control_socket.parent().map(PathBuf::from).unwrap_or_else(service::runtime::dir);

    // A reload being prepared off the loop, whether another was asked for meanwhile, and
    // the generations reloads replaced, finishing their notify scripts.
    let mut preparing: Option<tokio::sync::oneshot::Receiver<Result<reload::Prepared, String>>> = None;
    let mut again = false;
    let mut retired: Vec<std::thread::JoinHandle<()>> = Vec::new();

    daemon.start().await;
    info!("vrrpd started: {} instance(s)", daemon.plans.len());
    let mut systemd = service::systemd::Notifier::from_env();
    systemd.ready(&daemon.status());
    let mut service_tick = systemd.period().map(tokio::time::interval);
    let mut rx = net::RecvBatch::new(RX_BUF);
    let mut timer = clock::DeadlineTimer::new().context("creating the timerfd")?;
    // Instances waiting for their interface are checked on each link or address change,
    // and every second in case a change was missed.
    let mut pending_tick = tokio::time::interval(PENDING_CHECK);
    let mut check_pending = false;
    loop {
        if daemon.stopping && !daemon.engine.holds_any_vips() {
            break;
        }
        // An interface a running instance uses was deleted (perhaps created again) or
        // renamed: its instances are planned again from the running file, as a waiting
        // instance is started: they wait for an interface of their name, or take the new one.
        if daemon.links_changed && preparing.is_none() && !daemon.stopping {
            daemon.links_changed = false;
            if startup::interfaces_moved(&daemon.netlink, &daemon.running_links()).await {
                info!("an interface of a running instance was deleted or renamed: planning its instances again");
                let source = reload::Source::Waiting(Box::new(daemon.pending.clone()));
                start_preparing(&mut preparing, source, &opts, "interface changed", &mut retired);
            }
        }
        if std::mem::take(&mut check_pending)
            && preparing.is_none()
            && !daemon.stopping
            && !daemon.pending.waiting.is_empty()
            && startup::any_ready(&daemon.netlink, &daemon.pending.full, &daemon.pending.waiting).await
        {
            let source = reload::Source::Waiting(Box::new(daemon.pending.clone()));
            start_preparing(&mut preparing, source, &opts, "interface ready", &mut retired);
        }
        // Late by the coalescing slack, never early: deadlines within it share one wake-up.
        let slack = daemon.engine.coalescing_slack();
        timer.set(&daemon.clock, daemon.engine.poll_timeout().map(|d| d + slack)).context("arming the timerfd")?;
        daemon.sio.counters.wakeups += 1;
        tokio::select! {
            biased;
            _ = service_tick_due(&mut service_tick) => systemd.tick(&daemon.status()),
            _ = na_overdue(daemon.waiting_na.values().map(|(_, at)| *at).min()) => daemon.announce_overdue(),
            _ = sigterm.recv() => if daemon.stop("SIGTERM", &mut systemd).await { break },
            _ = sigint.recv() => if daemon.stop("SIGINT", &mut systemd).await { break },
            _ = sigusr1.recv() => service::dump::on_signal(&dump_dir, service::dump::Dump::Data, &daemon.status()),
            _ = sigusr2.recv() => service::dump::on_signal(&dump_dir, service::dump::Dump::Stats, &daemon.status()),
            _ = sigjson.recv() => service::dump::on_signal(&dump_dir, service::dump::Dump::Json, &daemon.status()),
            _ = sigstats_clear.recv() => {
                daemon.clear_stats();
                info!("STATS_CLEAR: counters set to zero");
            }
            _ = sighup.recv() => begin_reload(&mut preparing, &mut again, &opts, &mut systemd, "SIGHUP", &mut retired),
            outcome = reload_prepared(&mut preparing) => {
                let asked = !matches!(&outcome, Ok(Ok(p)) if p.readiness());
                let outcome = match outcome {
                    Ok(Ok(prepared)) if !daemon.stopping => {
                        daemon.apply_reload(prepared, &mut generation).await
                    }
                    Ok(Ok(prepared)) => {
                        prepared.discard();
                        Err("reload refused: vrrpd is stopping".to_string())
                    }
                    // Logged by the thread that read the file.
                    Ok(Err(why)) => Err(why),
                    Err(_) => Err("reload refused: the thread reading the file did not finish".to_string()),
                };
                if asked {
                    shared.reloads.publish(Some(outcome));
                } else if let Err(why) = outcome {
                    error!("starting the instances whose interface is ready: {why}");
                }
                systemd.ready(&daemon.status());
                if std::mem::take(&mut again) {
                    begin_reload(&mut preparing, &mut again, &opts, &mut systemd, "again", &mut retired);
                }
            }
            result = timer.expired() => {
                if let Err(e) = result {
                    error!("timer: {e}");
                }
                // Adverts that arrived while vrrpd was not scheduled are older than this
                // wake-up: hear them before judging the deadline, or a late wake-up on a
                // loaded host turns a master that was on time into a spurious takeover.
                daemon.hear_queued(&mut rx).await;
                daemon.on_timeout().await
            }
            (idx, result) = recv_any(&daemon.sockets, &mut rx) => daemon.on_readable(idx, result, &mut rx).await,
            Some(event) = daemon.track.recv() => if !daemon.stopping { daemon.on_track_event(event).await },
            _ = waiting_tick(&mut pending_tick, !daemon.pending.waiting.is_empty()) => check_pending = true,
            Some(event) = next_link_event(&mut daemon.route_watch) => daemon.on_link_event(event).await,
            event = next_link_event(&mut watch) => match event {
                Some(event) => {
                    daemon.on_link_event(event).await;
                    check_pending = true;
                }
                None => {
                    // Only a socket error other than an overrun ends the stream.
                    error!("rtnetlink watch ended: subscribing again");
                    watch = net::watch().inspect_err(|e| error!("re-subscribing to rtnetlink: {e}; link changes are no longer seen")).ok();
                    daemon.resync().await;
                    daemon.execute().await;
                }
            },
            _ = shared.wake.notified() => {
                if shared.shutdown.take_reload() {
                    begin_reload(&mut preparing, &mut again, &opts, &mut systemd, "vrrpctl reload", &mut retired);
                }
                let handovers = shared.take_handovers();
                if !handovers.is_empty() {
                    daemon.handover(&handovers).await;
                }
                // `vrrpctl stats --clear` gets the counters as they were just before.
                let status = daemon.status();
                if shared.take_stats_clear() {
                    daemon.clear_stats();
                    info!("vrrpctl stats --clear: counters set to zero");
                }
                shared.board.publish(status);
            }
        }
    }
    if !daemon.stopping {
        systemd.stopping();
    }
    daemon.shutdown().await;
    shared.shutdown.request_stop();
    // Wake the control thread's accept() so it sees the stop.
    let _ = std::os::unix::net::UnixStream::connect(&opts.control_socket);
    let _ = control_thread.join();
    if let Some(m) = metrics {
        m.stop();
    }
    generation.stop();
    for handle in retired {
        let _ = handle.join();
    }
    drop(socket_file);
    drop(pid_file);
    info!("vrrpd stopped");
    Ok(())
}

/// Starts reading and checking the file off the loop (`RELOADING=1` to systemd), or, if
/// a reload is being prepared already, asks for another once it is done (the file may
/// have changed again since it was read). `trigger` names what asked, for the log (which
/// the reload's own threads write: a slow log must not hold the loop).
fn begin_reload(
    preparing: &mut Option<tokio::sync::oneshot::Receiver<Result<reload::Prepared, String>>>,
    again: &mut bool,
    opts: &Options,
    systemd: &mut service::systemd::Notifier,
    trigger: &'static str,
    retired: &mut Vec<std::thread::JoinHandle<()>>,
) {
    if preparing.is_some() {
        *again = true;
        return;
    }
    systemd.reloading();
    start_preparing(preparing, reload::Source::File, opts, trigger, retired);
}

/// Starts planning `source` off the loop.
fn start_preparing(
    preparing: &mut Option<tokio::sync::oneshot::Receiver<Result<reload::Prepared, String>>>,
    source: reload::Source,
    opts: &Options,
    trigger: &'static str,
    retired: &mut Vec<std::thread::JoinHandle<()>>,
) {
    // Threads of earlier reloads that have finished need no join.
    retired.retain(|t| !t.is_finished());
    let (rx, thread) = reload::prepare(opts.config.clone(), source, opts.strict, opts.notify_timeout, trigger);
    *preparing = Some(rx);
    retired.extend(thread);
}

/// How often instances waiting for their interface are checked without a link event.
const PENDING_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// The next tick of `tick` while `waiting`; never otherwise.
async fn waiting_tick(tick: &mut tokio::time::Interval, waiting: bool) {
    if waiting {
        tick.tick().await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// The file a reload prepared; never ready when none is being prepared.
async fn reload_prepared(
    preparing: &mut Option<tokio::sync::oneshot::Receiver<Result<reload::Prepared, String>>>,
) -> Result<Result<reload::Prepared, String>, tokio::sync::oneshot::error::RecvError> {
    let result = match preparing {
        Some(rx) => rx.await,
        None => return std::future::pending().await,
    };
    *preparing = None;
    result
}

/// When the first IPv6 announcement that waits for its address is due anyway; never when
/// none waits.
async fn na_overdue(at: Option<std::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The next systemd watchdog/status tick; never ready when systemd did not start vrrpd.
async fn service_tick_due(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The next link or address event; never ready once the watch is gone.
async fn next_link_event(watch: &mut Option<net::Watch>) -> Option<net::Event> {
    match watch {
        Some(w) => w.recv().await,
        None => std::future::pending().await,
    }
}

/// Waits until any socket is readable and receives a batch from it into `rx`: the
/// socket's index, and the number of datagrams (or the socket's error).
async fn recv_any(sockets: &[VrrpSocket], rx: &mut net::RecvBatch) -> (usize, std::io::Result<usize>) {
    if sockets.is_empty() {
        return std::future::pending().await;
    }
    poll_fn(|cx| {
        for (i, s) in sockets.iter().enumerate() {
            if let Poll::Ready(r) = s.poll_recv_batch(cx, rx) {
                return Poll::Ready((i, r));
            }
        }
        Poll::Pending
    })
    .await
}

impl Daemon {
    async fn start(&mut self) {
        let now = self.clock.now();
        let mut tx = Sockets::new(&self.sockets, &mut self.sio);
        let start = self.track.before_start(now, &mut self.engine, &mut tx);
        for (i, go) in start.into_iter().enumerate() {
            if let (true, Ok(id)) = (go, u16::try_from(i)) {
                self.engine.start_one(now, InstanceId(id), &mut tx);
            }
        }
        self.execute().await;
    }

    /// A report from the script monitor or the file watcher.
    async fn on_track_event(&mut self, event: tracking::TrackEvent) {
        if self.track.on_event(event) {
            let now = self.clock.now();
            self.track.apply(now, &mut self.engine, &mut Sockets::new(&self.sockets, &mut self.sio));
            self.execute().await;
        }
    }

    /// A stop signal. The first: every master says priority 0 and keeps its VIPs until
    /// its successor is heard (make-before-break, [`vrrp_core::Instance::releasing`]); the
    /// loop runs on until none holds them. Returns true when the loop must end now: a
    /// second signal, which does not wait.
    async fn stop(&mut self, signal: &str, systemd: &mut service::systemd::Notifier) -> bool {
        if self.stopping {
            info!("{signal} again: stopping now, without waiting for the handovers");
            return true;
        }
        self.stopping = true;
        systemd.stopping();
        let now = self.clock.now();
        self.engine.shutdown(now, &mut Sockets::new(&self.sockets, &mut self.sio));
        self.execute().await;
        let last = self.engine.router().iter().filter_map(|(_, i)| i.releasing()).max();
        match last {
            Some(at) => info!(
                "{signal}: shutting down; VIPs kept until each successor is heard (at most {} ms)",
                at.saturating_since(now).as_micros() / 1000
            ),
            None => info!("{signal}: shutting down"),
        }
        false
    }

    /// Every counter back to zero: the core's, the transitions, the daemon's own
    /// (malformed packets, refused sends, timer punctuality).
    fn clear_stats(&mut self) {
        self.engine.clear_stats();
        self.malformed = 0;
        self.send_errors = 0;
        self.timer = status::TimerCounters::default();
        self.sio.counters = status::IoCounters::default();
    }

    /// `vrrpctl handover`: each named instance that is still MASTER hands over.
    async fn handover(&mut self, names: &[String]) {
        let now = self.clock.now();
        for name in names {
            let Some(i) = self.plans.iter().position(|p| &p.name == name) else { continue };
            let Ok(raw) = u16::try_from(i) else { continue };
            let id = InstanceId(raw);
            if self.is_master(id) {
                info!("({name}) handing over on request: priority 0 sent, VIPs kept until the successor is heard");
                self.engine.handover(now, id, &mut Sockets::new(&self.sockets, &mut self.sio));
            }
        }
        self.execute().await;
    }

    async fn shutdown(&mut self) {
        let now = self.clock.now();
        self.engine.shutdown(now, &mut Sockets::new(&self.sockets, &mut self.sio));
        self.execute().await;
        // Whatever happened, leave no VIP of ours behind.
        self.routes.remove_all(&self.netlink).await;
        self.vips.remove_all(&self.netlink).await;
        // use_vmac: the macvlans go last, the sysctls they changed restored.
        for name in net::vmac::remove_all(&self.netlink).await {
            info!("removed virtual MAC interface {name}");
        }
    }

    async fn on_timeout(&mut self) {
        let now = self.clock.now();
        let deadline = self.engine.poll_timeout();
        if !clock::DeadlineTimer::is_due(now, deadline) {
            // An early wake-up the timer was left armed for; the loop arms the real one.
            return;
        }
        if let Some(deadline) = deadline {
            // Punctuality of the wake-up: counted from when the timer was meant to fire, the
            // deadline plus the coalescing slack (at most 500 µs), so the deliberate slack is
            // not reported as lateness.
            self.timer.record(now.saturating_since(deadline + self.engine.coalescing_slack()).as_micros());
        }
        self.engine.on_timeout(now, &mut Sockets::new(&self.sockets, &mut self.sio));
        self.execute().await;
    }

    /// Handles what the sockets already hold (at most [`QUEUED_BEFORE_TIMEOUT`] datagrams,
    /// in `recvmmsg` batches), without waiting. An empty socket costs one call and none of
    /// the budget, as before batching: every socket is looked at.
    async fn hear_queued(&mut self, rx: &mut net::RecvBatch) {
        let mut budget = QUEUED_BEFORE_TIMEOUT;
        for socket in 0..self.sockets.len() {
            while budget > 0 {
                let Some(s) = self.sockets.get(socket) else { break };
                let result = s.try_recv_batch(rx);
                budget = budget.saturating_sub(rx.len());
                if !self.hear_batch(socket, result, rx).await {
                    break;
                }
            }
        }
        self.count_received(rx);
    }

    /// Socket `socket` was readable and `first` is what the first `recvmmsg` got into `rx`:
    /// its datagrams are handled, and up to [`RECV_BATCHES_PER_WAKEUP`] batches in all
    /// while the socket has more.
    async fn on_readable(&mut self, socket: usize, first: std::io::Result<usize>, rx: &mut net::RecvBatch) {
        let mut result = first;
        for round in 1..=RECV_BATCHES_PER_WAKEUP {
            if !self.hear_batch(socket, result, rx).await || round == RECV_BATCHES_PER_WAKEUP {
                break;
            }
            let Some(s) = self.sockets.get(socket) else { break };
            result = s.try_recv_batch(rx);
        }
        self.count_received(rx);
    }

    /// Handles the datagrams of one `recvmmsg` (`result`, into `rx`) on socket `socket`;
    /// whether the socket may hold more (the batch was full).
    async fn hear_batch(&mut self, socket: usize, result: std::io::Result<usize>, rx: &mut net::RecvBatch) -> bool {
        match result {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) => {
                self.on_packet(socket, Err(RecvError::Io(e)), &[]).await;
                return false;
            }
        }
        let full = rx.is_full();
        for (result, buf) in rx.drain() {
            self.on_packet(socket, result, buf).await;
        }
        full
    }

    /// Adds what `rx` counted to the I/O counters.
    fn count_received(&mut self, rx: &mut net::RecvBatch) {
        let (syscalls, datagrams) = rx.take_counts();
        self.sio.counters.recv_syscalls += syscalls;
        self.sio.counters.packets_received += datagrams;
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
        let inbound = Inbound { ifindex: rx.ifindex, src: rx.src, dst: rx.dst, ttl: rx.ttl_or_hop_limit, payload };
        let result = self.engine.on_packet(now, &inbound, &mut Sockets::new(&self.sockets, &mut self.sio));
        match result {
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
                if accepted.local_owner {
                    // RFC 9568 erratum 8298: the owner logs the event and lets the
                    // election settle who is master.
                    if let Some(n) = self.limiter.allow("owner", std::time::Instant::now()) {
                        let name = self.name(id);
                        warn!(
                            "({name}) advert from {} (priority {}) for the VRID we own (priority 255): another \
                             router claims it; the election decides ({n} similar suppressed)",
                            rx.src, accepted.priority
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
            RxError::LocalOwner => "owner",
            RxError::SourceNotLinkLocal => "source",
            RxError::FirstAddressNotLinkLocal => "first address",
            RxError::UnlistedSource => "unicast source",
            RxError::MulticastToUnicast => "unicast multicast",
            RxError::TtlOutOfRange { .. } => "unicast ttl",
            RxError::Hmac(e) => match e {
                HmacError::Missing => "auth_hmac missing",
                HmacError::Malformed => "auth_hmac malformed",
                HmacError::UnknownKey(_) => "auth_hmac key",
                HmacError::BadTag => "auth_hmac tag",
                HmacError::Stale { .. } => "auth_hmac stale",
                HmacError::Replay => "auth_hmac replay",
            },
        };
        if let Some(n) = self.limiter.allow(key, std::time::Instant::now()) {
            let who = instance.map(|id| self.name(id)).unwrap_or_else(|| "-".into());
            warn!("({who}) dropped advert from {src}: {error} ({n} similar suppressed)");
        }
    }

    fn name(&self, id: InstanceId) -> String {
        self.plans.get(usize::from(id.0)).map(|p| p.name.clone()).unwrap_or_default()
    }

    async fn on_link_event(&mut self, event: net::Event) {
        let now = self.clock.now();
        let link = match event {
            net::Event::LinkUp { index } => Some((index, true, false)),
            net::Event::LinkDown { index } => Some((index, false, false)),
            net::Event::LinkRemoved { index } => Some((index, false, true)),
            _ => None,
        };
        if let Some((index, up, removed)) = link.filter(|_| !self.stopping) {
            if self.track.on_link(&self.netlink, index, up, removed).await {
                self.track.apply(now, &mut self.engine, &mut Sockets::new(&self.sockets, &mut self.sio));
            }
            if self.running_links().iter().any(|(_, i)| *i == index) {
                self.links_changed = true;
            }
            if removed {
                // Its addresses went with it: nothing of ours left there to remove.
                self.vips.forget_interface(index);
            }
        }
        let mut tx = Sockets::new(&self.sockets, &mut self.sio);
        match event {
            net::Event::LinkUp { index } => self.engine.on_link(now, index, true, &mut tx),
            net::Event::LinkDown { index } | net::Event::LinkRemoved { index } => {
                self.engine.on_link(now, index, false, &mut tx)
            }
            net::Event::AddrRemoved { index, addr, prefix } => {
                if self.vips.forget((index, addr, prefix)) {
                    self.vips_gone(&[(index, addr, prefix)]);
                }
            }
            net::Event::AddrAdded { index, addr, prefix } => self.address_ready((index, addr, prefix)),
            net::Event::RouteRemoved(msg) => {
                let gone = self.routes.route_gone(&msg);
                self.tracked_gone(&gone);
            }
            net::Event::RuleRemoved(msg) => {
                let gone = self.routes.rule_gone(&msg);
                self.tracked_gone(&gone);
            }
            net::Event::Overrun => {
                warn!("rtnetlink notifications were lost (event storm): re-reading link and address state");
                self.resync().await;
            }
        }
        self.execute().await;
    }

    /// Carries out the effects the engine queued (netlink, announcements, send failures
    /// to report), in order.
    async fn execute(&mut self) {
        // Reuse one buffer: this runs after every packet and timer, and must not allocate.
        let mut effects = std::mem::take(&mut self.effects);
        self.engine.flush_group_changes();
        effects.extend(self.engine.effects());
        for effect in effects.drain(..) {
            match effect {
                Effect::AddVips(id) => {
                    self.vips.add(&self.netlink, id).await;
                    self.routes.add(&self.netlink, id).await;
                }
                Effect::RemoveVips(id) => {
                    self.routes.remove(&self.netlink, id).await;
                    self.vips.remove(&self.netlink, id).await;
                }
                Effect::Announce(id) => self.announce(id),
                Effect::SendFailed(id, kind) => self.send_failed(id, kind),
                Effect::MasterSeen(id, addr) => self.engine.record_master(id, addr),
            }
        }
        self.effects = effects;
    }

    /// An advert did not go out: counted, logged at most once per 10 s.
    fn send_failed(&mut self, id: InstanceId, kind: std::io::ErrorKind) {
        self.send_errors += 1;
        if let Some(n) = self.limiter.allow("send", std::time::Instant::now()) {
            warn!(
                "({}) sending advert failed: {kind:?} ({} failed in all, {n} log lines suppressed)",
                self.name(id),
                self.send_errors
            );
        }
    }

    /// Reads each of `links` from the kernel and tells the engine whether it is up (a
    /// deleted one is down); one that cannot be read stays as the engine knows it.
    async fn reread_links(&mut self, links: impl IntoIterator<Item = u32>) {
        let now = self.clock.now();
        for index in links {
            let up = match self.netlink.link_by_index(index).await {
                Ok(link) => link.up,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => {
                    warn!("re-reading link {index}: {e}");
                    continue;
                }
            };
            self.engine.on_link(now, index, up, &mut Sockets::new(&self.sockets, &mut self.sio));
        }
    }

    /// Re-reads what the link watch would have told us, after notifications were lost or
    /// the watch was re-subscribed: each instance's link state (the core ignores a repeat
    /// of the state it has), and which of our VIPs are still on their interfaces.
    async fn resync(&mut self) {
        let now = self.clock.now();
        let links: BTreeSet<u32> = self.plans.iter().map(|p| p.core.ifindex).collect();
        self.reread_links(links).await;
        let gone = self.vips.resync(&self.netlink).await;
        self.vips_gone(&gone);
        self.track.read_interfaces(&self.netlink).await;
        self.track.apply(now, &mut self.engine, &mut Sockets::new(&self.sockets, &mut self.sio));
    }

    /// VIPs of ours that disappeared without us removing them (another agent deleted them,
    /// or flushed the interface). A MASTER for which one is a tracked VIP steps down, as
    /// keepalived does by default ([`vrrp_core::Instance::handle_vip_removed`]: BACKUP for
    /// Skew_Time, then MASTER again with every VIP unless a better router took over); one
    /// marked `no_track`, or one of an instance no longer MASTER, is only logged.
    fn vips_gone(&mut self, gone: &[vips::Key]) {
        let now = self.clock.now();
        for key in gone {
            self.waiting_na.remove(key);
            let (_, addr, prefix) = key;
            let masters: Vec<InstanceId> =
                self.vips.tracked_by(key).into_iter().filter(|id| self.is_master(*id)).collect();
            if masters.is_empty() {
                warn!("virtual address {addr}/{prefix} was removed by someone else");
            }
            for id in masters {
                warn!(
                    "({}) virtual address {addr}/{prefix} was removed by someone else: leaving MASTER for Skew_Time, to take the addresses back unless a backup does",
                    self.name(id)
                );
                self.engine.vip_removed(now, id, &mut Sockets::new(&self.sockets, &mut self.sio));
            }
        }
    }

    /// One of our tracked routes or rules was removed by someone else: a MASTER it belongs
    /// to steps down, as for a VIP (keepalived_netlink.c `netlink_route_filter` /
    /// `netlink_rule_filter` call `set_vrrp_backup` too).
    fn tracked_gone(&mut self, gone: &[(InstanceId, String)]) {
        let now = self.clock.now();
        for (id, what) in gone {
            if !self.is_master(*id) {
                warn!("({}) {what} was removed by someone else", self.name(*id));
                continue;
            }
            warn!(
                "({}) {what} was removed by someone else: leaving MASTER for Skew_Time, to install it again unless a backup takes over",
                self.name(*id)
            );
            self.engine.vip_removed(now, *id, &mut Sockets::new(&self.sockets, &mut self.sio));
        }
    }

    /// Watches route and rule removals once some instance tracks a route or rule.
    fn watch_routes_if_tracked(&mut self) {
        if self.route_watch.is_none() && self.routes.tracks_any() {
            match net::watch_routes() {
                Ok(w) => self.route_watch = Some(w),
                Err(e) => warn!("subscribing to route and rule changes: {e}; a removed virtual route goes unnoticed"),
            }
        }
    }

    /// Gratuitous ARP for each IPv4 VIP, unsolicited NA for each IPv6 VIP, `garp_master_repeat`
    /// times. An IPv6 VIP just added is announced only once the kernel reports it
    /// ([`Daemon::address_ready`]): clients that follow the NA at once would otherwise send
    /// to an address this host still drops.
    fn announce(&mut self, id: InstanceId) {
        let Some(plan) = self.plans.get(usize::from(id.0)) else { return };
        if !self.is_master(id) {
            return;
        }
        let wait_until = std::time::Instant::now() + NA_WAIT_LIMIT;
        let mut now: Vec<&vips::VipPlace> = Vec::new();
        for v in self.vips.of(id) {
            let key = (v.ifindex, v.addr, v.prefix);
            if self.vips.is_unconfirmed(&key) {
                self.waiting_na.entry(key).or_insert((id, wait_until));
            } else {
                now.push(v);
            }
        }
        for _ in 0..plan.garp_repeat {
            for v in &now {
                self.announce_one(plan, v);
            }
        }
    }

    /// The interfaces the file's running instances use, by the name and index they were
    /// planned with: each instance's own, and its VIPs' `dev`.
    fn running_links(&self) -> Vec<(String, u32)> {
        let mut links: Vec<(String, u32)> = Vec::new();
        for (n, plan) in (0u16..).zip(self.plans.iter().take(self.live)) {
            let devs = plan
                .vips
                .iter()
                .zip(self.vips.of(InstanceId(n)))
                .filter_map(|(vip, place)| vip.dev.as_ref().map(|dev| (dev.clone(), place.ifindex)));
            for link in std::iter::once((plan.interface.clone(), plan.core.ifindex)).chain(devs) {
                if !links.contains(&link) {
                    links.push(link);
                }
            }
        }
        links
    }

    /// Whether instance `id` is MASTER now.
    fn is_master(&self, id: InstanceId) -> bool {
        self.engine.router().get(id).is_some_and(|i| i.state() == State::Master)
    }

    /// One announcement of `v` (gratuitous ARP or unsolicited NA) on its interface.
    fn announce_one(&self, plan: &InstancePlan, v: &vips::VipPlace) {
        let Some(a) = self.announcers.get(&v.ifindex) else { return };
        let result = match (v.addr, plan.core.primary_address) {
            (IpAddr::V4(vip), _) => a.send_garp(vip),
            (IpAddr::V6(vip), IpAddr::V6(ll)) => a.send_unsolicited_na(ll, vip, false),
            (IpAddr::V6(_), IpAddr::V4(_)) => return,
        };
        if let Err(e) = result {
            warn!("({}) announcing {}: {e}", plan.name, v.addr);
        }
    }

    /// The kernel reported address `key`: if it is a VIP of ours whose announcement was
    /// waiting for it, announce it now (while its instance is still MASTER).
    fn address_ready(&mut self, key: vips::Key) {
        self.vips.confirm(&key);
        if let Some((id, _)) = self.waiting_na.remove(&key) {
            self.announce_waiting(id, key);
        }
    }

    /// Announcements whose address never got its notification: sent anyway.
    fn announce_overdue(&mut self) {
        let now = std::time::Instant::now();
        let due: Vec<(vips::Key, InstanceId)> =
            self.waiting_na.iter().filter(|(_, (_, at))| *at <= now).map(|(k, (id, _))| (*k, *id)).collect();
        for (key, id) in due {
            self.waiting_na.remove(&key);
            self.vips.confirm(&key);
            warn!(
                "no notification from the kernel for {}/{} within {NA_WAIT_LIMIT:?}: announcing it anyway",
                key.1, key.2
            );
            self.announce_waiting(id, key);
        }
    }

    /// The `garp_master_repeat` announcements of one VIP of `id`, if it is still MASTER.
    fn announce_waiting(&self, id: InstanceId, key: vips::Key) {
        let Some(plan) = self.plans.get(usize::from(id.0)) else { return };
        if !self.is_master(id) {
            return;
        }
        let Some(v) = self.vips.of(id).iter().find(|v| (v.ifindex, v.addr, v.prefix) == key) else { return };
        for _ in 0..plan.garp_repeat {
            self.announce_one(plan, v);
        }
    }

    fn status(&self) -> Status {
        let instances = self
            .engine
            .router()
            .iter()
            .take(self.live)
            .filter_map(|(id, inst)| {
                let plan = self.plans.get(usize::from(id.0))?;
                let vips = self.vips.of(id).iter().map(|v| format!("{}/{}", v.addr, v.prefix)).collect();
                let masters = self.engine.distinct_masters(id);
                let transitions = self
                    .engine
                    .transitions(id)
                    .map(|(to, reason, count)| status::Transition { to, reason, count })
                    .collect();
                Some(InstanceStatus::new(&plan.name, &plan.interface, vips, inst, masters, transitions))
            })
            .chain(self.pending.waiting.iter().filter_map(|w| {
                let inst = self.pending.full.instances.iter().find(|i| i.name == w.name)?;
                let plan =
                    plan::plan_instance(&self.pending.full.global, inst, &plan::LinkFacts::placeholder()).ok()?;
                let vips = plan.vips.iter().map(|v| format!("{}/{}", v.addr, v.prefix_len)).collect();
                Some(InstanceStatus::waiting(&plan.name, &plan.interface, vips, &plan.core, &w.why))
            }))
            .collect();
        Status {
            instances,
            router: RouterCounters::new(self.engine.router().stats(), self.malformed),
            timer: self.timer.clone(),
            io: self.sio.counters.clone(),
            sync_groups: self.sync_group_status(),
        }
    }

    /// The running sync groups, for `vrrpctl status`.
    fn sync_group_status(&self) -> Vec<status::SyncGroupStatus> {
        let router = self.engine.router();
        let name_of = |id: InstanceId| self.plans.get(usize::from(id.0)).map(|p| p.name.clone());
        self.engine
            .group_names()
            .iter()
            .enumerate()
            .filter_map(|(g, name)| {
                let g = vrrp_core::GroupId(u16::try_from(g).ok()?);
                let state = router.group_state(g)?;
                let members = router.group_members(g).filter_map(name_of).collect();
                Some(status::SyncGroupStatus { name: name.clone(), state, members })
            })
            .collect()
    }
}
