//! Reload (SIGHUP, `vrrpctl reload`, systemd's `ExecReload`): the new file is read,
//! checked and planned on this host's interfaces off the protocol loop ([`prepare`]);
//! if anything in it is wrong it is refused whole, with every `file:line:col`, and
//! nothing changes. Otherwise the loop applies it in one step ([`Daemon::apply_reload`]):
//!
//! - each new instance is matched with the running one of the same virtual router
//!   (interface, VRID, family: what RFC 9568 §6.1 identifies a virtual router by);
//! - an unchanged one is carried into the new core router as it is (state, timers,
//!   counters, VIPs: [`vrrp_core::Router::adopt`]), so its adverts go on without a gap;
//! - a changed one is carried too and given its new settings
//!   ([`vrrp_core::Instance::reconfigure`]): it keeps its state, and a master advertises
//!   the new priority and interval at once; VIPs added or dropped while MASTER are added
//!   or removed;
//! - a new one starts as at startup; a removed MASTER hands over as at shutdown
//!   (priority 0, its VIPs kept until its successor is heard), then is dropped at the
//!   next reload;
//! - the sockets of the interfaces still in use are kept (no advert is missed while the
//!   file is applied); the script runner, notify scripts and the notifier start again
//!   from the new file ([`Generation`]), the old ones finish off the loop; tracked
//!   scripts, processes and interfaces keep their last results until they report again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};
use vrrp_core::router::InstanceId;
use vrrp_core::wire::Family;
use vrrp_core::State;

use super::engine::{Engine, Notice};
use super::helpers::Helpers;
use super::notifications::Notifications;
use super::routes::Routes;
use super::startup::{open_announcers, plan_on_host, HostPlan, HostPlans};
use super::tracking::{TrackEvent, TrackingLoop, TRACK_EVENTS};
use super::vips::Vips;
use super::{notifier, Daemon, Pending, SocketKey, Sockets, NOTICE_QUEUE};
use crate::config;
use crate::control::ReloadSummary;
use crate::net::{Netlink, VrrpSocket};
use crate::sync::{facade::Arc, NotifyQueue};

/// What is rebuilt from the file at start and at each reload, beside the protocol: the
/// script runner (track scripts, file and process watchers, notify scripts), the notify
/// FIFOs and the notifier thread with its queue of state changes.
pub(super) struct Generation {
    pub(super) helpers: Helpers,
    pub(super) notices: Arc<NotifyQueue<Notice>>,
    /// Instance names by instance id, as the notifier logs them; a reload appends the
    /// removed instances that are still handing over.
    names: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    notifier: std::thread::JoinHandle<()>,
}

impl Generation {
    /// Starts them for `cfg`; `names` are the instance names by instance id.
    pub(super) fn start(
        cfg: &config::Config,
        names: Vec<String>,
        notify_timeout: std::time::Duration,
    ) -> Result<(Generation, mpsc::Receiver<TrackEvent>)> {
        let (track_tx, track_rx) = mpsc::channel(TRACK_EVENTS);
        let helpers = Helpers::start(cfg, track_tx).context("starting the script thread")?;
        let notices = Arc::new(NotifyQueue::new(NOTICE_QUEUE));
        let notifications = Notifications::start(cfg, &helpers.plan, &helpers.runner.handle(), notify_timeout);
        // At the stop, a notify script just started may run its whole timeout, and the stop
        // scripts after it theirs.
        let finish = notify_timeout * 2 + crate::script::runner::TERM_GRACE;
        let names = std::sync::Arc::new(std::sync::Mutex::new(names));
        let spawned = std::thread::Builder::new().name("vrrpd-notify".into()).spawn({
            let notices = Arc::clone(&notices);
            let names = std::sync::Arc::clone(&names);
            move || notifier::run(&notices, &names, notifications, finish)
        });
        match spawned {
            Ok(notifier) => Ok((Generation { helpers, notices, names, notifier }, track_rx)),
            Err(e) => {
                helpers.stop();
                Err(e).context("starting the notifier thread")
            }
        }
    }

    /// Lets the notifier finish what is queued (its notify scripts within their bound),
    /// then stops the script runner.
    pub(super) fn stop(self) {
        self.notices.push(Notice::Stop);
        let _ = self.notifier.join();
        self.helpers.stop();
    }
}

/// What a reload leaves behind, for the thread that prepared it to wind down off the loop
/// (at the normal scheduling policy): the replaced generation (a notify script may take
/// its whole timeout), the old engine and what else is freed (large frees, and logging,
/// stay off the SCHED_RR loop), and the lines to log.
struct Retire {
    generation: Generation,
    engine: Option<Engine>,
    leftovers: Option<Box<dyn Send>>,
    log: Vec<String>,
}

impl Retire {
    fn run(self) {
        for line in &self.log {
            info!("{line}");
        }
        drop(self.leftovers);
        drop(self.engine);
        self.generation.stop();
    }
}

/// A new file, read, checked and planned on this host.
pub(super) struct Prepared {
    path: PathBuf,
    cfg: config::Config,
    hosts: Vec<HostPlan>,
    /// The file with all its instances, and the ones that wait for their interface.
    pending: Pending,
    /// Planned for waiting instances ([`Source::Waiting`]), not asked for.
    readiness: bool,
    /// The new generation, started (its scripts run; its notifier waits for notices).
    generation: Generation,
    track_rx: mpsc::Receiver<TrackEvent>,
    /// An empty engine for the new core router (a large allocation, made here).
    engine: Engine,
    /// Back to the preparing thread, which waits for it.
    retire: std::sync::mpsc::Sender<Retire>,
}

impl Prepared {
    /// Whether it was planned for waiting instances rather than asked for.
    pub(super) fn readiness(&self) -> bool {
        self.readiness
    }

    /// Not applied after all (vrrpd is stopping): its generation stops off the loop.
    pub(super) fn discard(self) {
        let Prepared { generation, engine, retire, .. } = self;
        let _ = retire.send(Retire { generation, engine: Some(engine), leftovers: None, log: Vec::new() });
    }
}

/// What a reload plans.
pub(super) enum Source {
    /// The file, read again (SIGHUP, `vrrpctl reload`).
    File,
    /// The running file as it was read, because an instance waiting for its interface may
    /// now start (the file on disk may have changed since: that is for the operator's
    /// next reload).
    Waiting(Box<Pending>),
}

/// Reads, checks and plans `path` on its own thread (reading a large file, and the
/// netlink questions planning asks, must not delay an advert). The receiver gets the
/// plan, or every reason the file is refused. The thread then waits for what the reload
/// leaves behind and winds it down ([`Retire`]): join it before exiting.
pub(super) fn prepare(
    path: PathBuf,
    source: Source,
    strict: bool,
    notify_timeout: std::time::Duration,
    trigger: &'static str,
) -> (oneshot::Receiver<Result<Prepared, String>>, Option<std::thread::JoinHandle<()>>) {
    let (tx, rx) = oneshot::channel();
    // A thread that cannot start drops `tx`: the loop hears that as a failed reload.
    let thread = std::thread::Builder::new().name("vrrpd-reload".into()).spawn(move || {
        // Its threads (the new script runner and notifier) inherit this too.
        crate::service::privilege::normal_priority_for_this_thread();
        if matches!(source, Source::File) {
            info!("{trigger}: reloading {}", path.display());
        }
        let (retire_tx, retire_rx) = std::sync::mpsc::channel();
        let prepared = prepare_now(&path, source, strict, notify_timeout, retire_tx).map_err(|why| {
            let why = refused(&why);
            for line in why.lines() {
                error!("{line}");
            }
            why
        });
        if let Err(Ok(unsent)) = tx.send(prepared) {
            // The loop is gone (vrrpd stopped meanwhile).
            unsent.discard();
        }
        if let Ok(retire) = retire_rx.recv() {
            retire.run();
        }
    });
    (rx, thread.ok())
}

fn prepare_now(
    path: &Path,
    source: Source,
    strict: bool,
    notify_timeout: std::time::Duration,
    retire: std::sync::mpsc::Sender<Retire>,
) -> Result<Prepared, String> {
    // Planned for the running file again (an instance's interface became ready, or one
    // was deleted or renamed), not asked for by the operator.
    let readiness = matches!(source, Source::Waiting(_));
    let (cfg, waited) = match source {
        Source::File => {
            let loaded = config::load_with(path, config::ReadOptions { strict }).map_err(|e| e.render())?;
            for w in &loaded.config.warnings {
                warn!("{w}");
            }
            (loaded.config, Vec::new())
        }
        Source::Waiting(pending) => (pending.full, pending.waiting),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("reload: starting its runtime: {e}"))?;
    let planned = runtime.block_on(async {
        let netlink = Netlink::new().map_err(|e| format!("reload: opening rtnetlink: {e}"))?;
        plan_on_host(&netlink, cfg).await
    })?;
    // Said once per instance and reason.
    for w in planned.waiting.iter().filter(|w| !waited.contains(w)) {
        warn!("({}) waiting for its interface, FAULT until then: {}", w.name, w.why);
    }
    for w in waited.iter().filter(|w| !planned.waiting.iter().any(|p| p.name == w.name)) {
        info!("({}) its interface is ready: starting", w.name);
    }
    let HostPlans { running: cfg, hosts, full, waiting } = planned;
    let pending = Pending { full, waiting };
    check_distinct(&cfg, &hosts)?;
    if hosts.len() > super::MAX_INSTANCES {
        return Err(format!("{} instances: vrrpd runs at most {}", hosts.len(), super::MAX_INSTANCES));
    }
    let names = hosts.iter().map(|h| h.plan.name.clone()).collect();
    let (generation, track_rx) =
        Generation::start(&cfg, names, notify_timeout).map_err(|e| format!("reload refused: {e:#}"))?;
    let engine = Engine::new(Arc::clone(&generation.notices));
    Ok(Prepared { path: path.to_owned(), cfg, hosts, pending, readiness, generation, track_rx, engine, retire })
}

/// Two instances of one virtual router (interface, VRID, family) cannot both run.
fn check_distinct(cfg: &config::Config, hosts: &[HostPlan]) -> Result<(), String> {
    let mut seen: BTreeMap<(u32, u8, Family), usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        if let Some(first) = seen.insert(h.plan.core.identity(), i) {
            let (a, b) = (&cfg.instances[first], &cfg.instances[i]);
            errors.push(format!(
                "{}: error: vrrp_instance {} has the VRID {} of {} ({}) on the same interface and family",
                b.location, b.name, b.vrid, a.name, a.location
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

impl Daemon {
    /// Applies a prepared file (see the module). On an error nothing has changed. The
    /// generation that is replaced (or the prepared one, on an error) goes back to the
    /// thread that prepared the file, to stop off the loop.
    pub(super) async fn apply_reload(
        &mut self,
        prepared: Prepared,
        generation: &mut Generation,
    ) -> Result<ReloadSummary, String> {
        let Prepared { path, cfg, hosts, pending, readiness, generation: next, track_rx, mut engine, retire } =
            prepared;
        let t0 = std::time::Instant::now();
        let old_live = self.live;
        let running: BTreeMap<(u32, u8, Family), InstanceId> =
            self.engine.router().iter().map(|(id, i)| (i.config().identity(), id)).collect();
        let matched: Vec<Option<InstanceId>> =
            hosts.iter().map(|h| running.get(&h.plan.core.identity()).copied()).collect();
        let taken: BTreeSet<InstanceId> = matched.iter().flatten().copied().collect();
        // Unmatched routers still running or holding VIPs say goodbye and are kept until
        // they let go; the rest (a removed backup, one already let go) are dropped.
        let retiring: Vec<InstanceId> = self
            .engine
            .router()
            .iter()
            .filter(|(id, i)| !taken.contains(id) && (i.state() != State::Initialize || i.holds_vips()))
            .map(|(id, _)| id)
            .collect();
        let mut summary = ReloadSummary::default();
        for (id, _) in self.engine.router().iter().filter(|(id, _)| !taken.contains(id) && usize::from(id.0) < old_live)
        {
            summary.removed.push(self.name(id));
        }

        // Everything that can fail, before anything changes.
        let mut names: Vec<String> = hosts.iter().map(|h| h.plan.name.clone()).collect();
        names.extend(retiring.iter().map(|id| self.name(*id)));
        let mut keys: Vec<SocketKey> = Vec::new();
        for key in hosts.iter().map(HostPlan::socket_key).chain(retiring.iter().filter_map(|id| {
            let plan = self.plans.get(usize::from(id.0))?;
            Some((plan.interface.clone(), plan.core.ifindex, plan.core.primary_address))
        })) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let mut opened: BTreeMap<SocketKey, VrrpSocket> = BTreeMap::new();
        let mut refusal = None;
        for key in keys.iter().filter(|k| !self.socket_keys.contains(k)) {
            match VrrpSocket::open(&key.0, key.2) {
                Ok(s) => {
                    opened.insert(key.clone(), s);
                }
                Err(e) => {
                    refusal = Some(format!("reload refused: opening a VRRP socket on {} from {}: {e}", key.0, key.2));
                    break;
                }
            }
        }
        if refusal.is_none() {
            for h in &hosts {
                if let Err(e) = open_announcers(h, &mut self.announcers) {
                    refusal = Some(format!("reload refused: {e:#}"));
                    break;
                }
            }
        }
        if let Some(why) = refusal {
            let _ =
                retire.send(Retire { generation: next, engine: Some(engine), leftovers: None, log: vec![why.clone()] });
            return Err(why);
        }
        if let Ok(mut all) = next.names.lock() {
            *all = names;
        }

        // From here on nothing fails.
        let now = self.clock.now();
        let mut old_sockets: Vec<Option<VrrpSocket>> =
            std::mem::take(&mut self.sockets).into_iter().map(Some).collect();
        let old_keys = std::mem::take(&mut self.socket_keys);
        let mut sockets = Vec::with_capacity(keys.len());
        for key in &keys {
            let kept = old_keys.iter().position(|k| k == key).and_then(|j| old_sockets.get_mut(j)?.take());
            match kept.or_else(|| opened.remove(key)) {
                Some(s) => sockets.push(s),
                None => error!("reload: no socket for {} from {}", key.0, key.2),
            }
        }
        let socket_of = |key: &SocketKey| keys.iter().position(|k| k == key).unwrap_or(0);

        engine.restore_router_stats(*self.engine.router().stats());
        let mut vips = Vips::new();
        let mut routes = Routes::new();
        let mut kept_pairs = Vec::new();
        let mut changed = Vec::new();
        let mut added = Vec::new();
        // The interfaces of the instances that start now: their link state is read again
        // once they have started, since a link may have changed since the file was planned
        // off the loop (an interface renamed back and brought up just after).
        let mut added_links = BTreeSet::new();
        for (i, (h, was)) in hosts.iter().zip(&matched).enumerate() {
            let socket = socket_of(&h.socket_key());
            let adopted = was.and_then(|old| {
                let instance = self.engine.router().get(old)?.clone();
                match engine.adopt(instance, self.engine.carried(old), socket) {
                    Ok(id) => Some((id, old)),
                    Err(e) => {
                        error!(
                            "({}) reload: could not carry the running instance over ({e:?}): it starts again",
                            h.plan.name
                        );
                        None
                    }
                }
            });
            let stopped =
                |old: InstanceId| self.engine.router().get(old).is_some_and(|i| i.state() == State::Initialize);
            match adopted {
                // One a reload removed (stopped, perhaps still handing over), or whose
                // interface went away, is in the file again: it starts again.
                Some((id, old)) if stopped(old) => {
                    summary.added.push(h.plan.name.clone());
                    added.push(id);
                    added_links.insert(h.plan.core.ifindex);
                }
                Some((id, old)) => {
                    kept_pairs.push((i, usize::from(old.0)));
                    let before = self.plans.get(usize::from(old.0));
                    let same = before.is_some_and(|p| {
                        p.name == h.plan.name && p.core == h.plan.core && p.garp_repeat == h.plan.garp_repeat
                    }) && self.vips.of(old) == h.places.as_slice()
                        && self.routes.configured(old) == (h.routes.clone(), h.rules.clone());
                    if same {
                        summary.kept.push(h.plan.name.clone());
                    } else {
                        summary.changed.push(h.plan.name.clone());
                        changed.push((id, i, old));
                    }
                }
                None => match engine.add(h.plan.core.clone(), socket) {
                    Ok(id) => {
                        summary.added.push(h.plan.name.clone());
                        added.push(id);
                        added_links.insert(h.plan.core.ifindex);
                    }
                    Err(e) => {
                        // Checked in `prepare`: two instances of one virtual router.
                        error!("({}) reload: cannot add the instance: {e:?}", h.plan.name);
                        continue;
                    }
                },
            };
            vips.push_instance(&h.plan.name, h.plan.core.is_owner(), h.places.clone());
            routes.push_instance(&h.plan.name, h.plan.core.is_owner(), h.routes.clone(), h.rules.clone());
        }
        let mut plans: Vec<_> = hosts.iter().map(|h| h.plan.clone()).collect();
        let mut handing_over = Vec::new();
        for old in &retiring {
            let Some(plan) = self.plans.get(usize::from(old.0)).cloned() else { continue };
            let Some(instance) = self.engine.router().get(*old).cloned() else { continue };
            let socket = socket_of(&(plan.interface.clone(), plan.core.ifindex, plan.core.primary_address));
            match engine.adopt(instance, self.engine.carried(*old), socket) {
                Ok(id) => {
                    vips.push_instance(&plan.name, plan.core.is_owner(), self.vips.of(*old).to_vec());
                    let (r, l) = self.routes.configured(*old);
                    routes.push_instance(&plan.name, plan.core.is_owner(), r, l);
                    plans.push(plan);
                    handing_over.push(id);
                }
                Err(e) => error!("({}) reload: could not keep the removed instance to hand over ({e:?})", plan.name),
            }
        }
        let ids: std::collections::HashMap<String, InstanceId> = hosts
            .iter()
            .filter_map(|h| {
                let (ifindex, vrid, family) = h.plan.core.identity();
                Some((h.plan.name.clone(), engine.router().lookup(ifindex, vrid, family)?))
            })
            .collect();
        let before = |name: &str| self.engine.group_state_by_name(name);
        super::sync_groups::add_all(
            &mut engine,
            now,
            &cfg.sync_groups,
            &ids,
            before,
            &mut Sockets::new(&sockets, &mut self.sio),
        );
        let mut track = TrackingLoop::new(&cfg, Some(track_rx));
        track.carry_from(&self.track, &kept_pairs);
        for s in 0..cfg.scripts.len() {
            if next.helpers.plan.is_disabled(s) {
                track.disable_script(s);
            }
        }
        track.read_interfaces(&self.netlink).await;
        // The VIPs this daemon added stay added: carried, not touched.
        let old_vips = std::mem::replace(&mut self.vips, vips);
        self.vips.carry_added(&old_vips);
        let old_routes = std::mem::replace(&mut self.routes, routes);
        self.routes.carry_added(&old_routes);
        self.watch_routes_if_tracked();
        let old_engine = std::mem::replace(&mut self.engine, engine);
        self.sockets = sockets;
        self.socket_keys = keys;
        self.plans = plans;
        self.live = hosts.len();
        self.track = track;
        summary.waiting = pending.waiting.iter().map(|w| w.name.clone()).collect();
        self.pending = pending;

        // Announcements waiting for their address follow their instance's new id.
        let waiting = std::mem::take(&mut self.waiting_na);
        for (key, (_, at)) in waiting {
            let owner = (0..self.plans.len())
                .filter_map(|i| u16::try_from(i).ok().map(InstanceId))
                .find(|id| self.vips.of(*id).iter().any(|v| (v.ifindex, v.addr, v.prefix) == key));
            if let Some(id) = owner {
                self.waiting_na.insert(key, (id, at));
            }
        }
        let mut tx = Sockets::new(&self.sockets, &mut self.sio);
        for &(id, i, old) in &changed {
            let Some(h) = hosts.get(i) else { continue };
            let priority = self.track.priority_for(i, h.plan.core.priority);
            if let Err(e) = self.engine.reconfigure(now, id, h.plan.core.clone(), priority, &mut tx) {
                warn!("({}) reload: new settings refused by the core: {e}", h.plan.name);
            }
            if self.engine.router().get(id).is_some_and(|inst| inst.holds_vips()) {
                self.vips.replace_places(&self.netlink, id, old_vips.of(old)).await;
                self.routes.replace(&self.netlink, id, &old_routes, old).await;
            }
        }
        for &id in &handing_over {
            self.engine.shutdown_one(now, id, &mut Sockets::new(&self.sockets, &mut self.sio));
        }
        let go = self.track.before_start(now, &mut self.engine, &mut Sockets::new(&self.sockets, &mut self.sio));
        for &id in &added {
            if go.get(usize::from(id.0)).copied().unwrap_or(true) {
                self.engine.start_one(now, id, &mut Sockets::new(&self.sockets, &mut self.sio));
            }
        }
        self.reread_links(added_links).await;
        self.execute().await;
        let what = if readiness { "followed its interfaces: the instances of" } else { "reloaded" };
        let log =
            vec![format!("{what} {}: {} ({:?} of the loop's time)", path.display(), summary.line(), t0.elapsed())];
        let old = std::mem::replace(generation, next);
        let leftovers: Box<dyn Send> = Box::new((cfg, hosts, old_vips));
        let _ = retire.send(Retire { generation: old, engine: Some(old_engine), leftovers: Some(leftovers), log });
        Ok(summary)
    }
}

/// The reasons a reload was refused, as `vrrpctl reload` prints them.
pub(super) fn refused(why: &str) -> String {
    if why.starts_with("reload refused") {
        why.to_string()
    } else {
        format!("reload refused, the running configuration stays:\n{why}")
    }
}
