//! Carrying out notifications (see [`crate::notify`]): FIFO lines are written at once, in
//! order, by the notifier thread; scripts run on the script runner, one queue per
//! instance, so one instance's notifications run in transition order and never two at
//! a time (keepalived starts each without waiting, so its can overlap and reorder). A
//! script still running at `--notify-timeout` is killed with its process group and the
//! next one runs. Nothing here is on the protocol thread.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tracing::{info, warn};

use super::ratelimit::RateLimiter;
use crate::config::{Config, NotifyFifo, ScriptCmd};
use crate::notify::fifo::Fifo;
use crate::notify::{Notification, NotifyState, Scripts};
use crate::script::user::resolve;
use crate::script::{Prepared, RunnerHandle, ScriptPlan, UserRules};

/// Notifications one instance may have waiting before new ones are dropped (and logged):
/// bounded, so a LAN that flaps an instance cannot queue scripts without end.
pub const NOTIFY_QUEUE: usize = 64;

type Job = Vec<(Arc<Prepared>, Vec<String>)>;

/// A sync group's name, checked scripts and script queue.
type GroupNotify = (String, Scripts<Arc<Prepared>>, Option<mpsc::Sender<Job>>);

/// The notifier's side of notifications.
pub(super) struct Notifications {
    names: Vec<String>,
    /// Each instance's notify scripts, checked once at start (a refused one is logged
    /// then and never run, as keepalived disables it).
    scripts: Vec<Scripts<Arc<Prepared>>>,
    queues: Vec<Option<mpsc::Sender<Job>>>,
    fifos: Vec<Fifo>,
    /// Sync groups by group id: name, checked scripts, script queue.
    groups: Vec<GroupNotify>,
    done: std::sync::mpsc::Receiver<()>,
    workers: usize,
    limiter: RateLimiter,
}

impl Notifications {
    /// Checks every notify script, opens the FIFOs (starting their `notify_fifo_script`),
    /// and starts one worker per instance that has scripts.
    pub(super) fn start(cfg: &Config, plan: &ScriptPlan, runner: &RunnerHandle, timeout: Duration) -> Notifications {
        // Checked (and refusals logged) once, by the plan.
        let check = |cmd: &Option<ScriptCmd>| cmd.as_ref().and_then(|c| plan.notify_script(c));
        let users = plan.users();
        let mut fifos = Vec::new();
        for fifo in [&cfg.global.notify_fifo, &cfg.global.vrrp_notify_fifo].into_iter().flatten() {
            if let Some(f) = open_fifo(fifo, users, runner, &check) {
                fifos.push(f);
            }
        }
        let (done_tx, done) = std::sync::mpsc::channel();
        let mut scripts = Vec::new();
        let mut queues = Vec::new();
        let mut workers = 0;
        for inst in &cfg.instances {
            let p = Scripts::from_config(&inst.notify, |cmd| plan.notify_script(cmd));
            let any = !p.is_empty();
            scripts.push(p);
            if any {
                let (tx, rx) = mpsc::channel(NOTIFY_QUEUE);
                let done_tx = done_tx.clone();
                let name = inst.name.clone();
                let worker_runner = runner.clone();
                runner.spawn_task(async move {
                    worker(worker_runner, rx, timeout, name).await;
                    let _ = done_tx.send(());
                });
                queues.push(Some(tx));
                workers += 1;
            } else {
                queues.push(None);
            }
        }
        let mut groups = Vec::new();
        for g in &cfg.sync_groups {
            let p = Scripts::from_config(&g.notify, |cmd| plan.notify_script(cmd));
            let queue = (!p.is_empty()).then(|| {
                let (tx, rx) = mpsc::channel(NOTIFY_QUEUE);
                let done_tx = done_tx.clone();
                let name = g.name.clone();
                let worker_runner = runner.clone();
                runner.spawn_task(async move {
                    worker(worker_runner, rx, timeout, name).await;
                    let _ = done_tx.send(());
                });
                workers += 1;
                tx
            });
            groups.push((g.name.clone(), p, queue));
        }
        Notifications {
            names: cfg.instances.iter().map(|i| i.name.clone()).collect(),
            scripts,
            queues,
            fifos,
            groups,
            done,
            workers,
            limiter: RateLimiter::new(Duration::from_secs(10)),
        }
    }

    /// The name of sync group `group`.
    pub(super) fn group_name(&self, group: usize) -> Option<&str> {
        self.groups.get(group).map(|g| g.0.as_str())
    }

    /// Sync group `group` entered `state`: its scripts with `GROUP NAME STATE 0`, and the
    /// FIFO line `GROUP "NAME" STATE 0` (keepalived vrrp_notify.c 323 `send_group_notifies`).
    pub(super) fn notify_group(&mut self, group: usize, state: NotifyState) {
        let Some((name, _, _)) = self.groups.get(group) else { return };
        let n = Notification { name: name.clone(), group: true, state, priority: 0 };
        self.write_fifos(&n);
        let Some((_, p, Some(queue))) = self.groups.get(group) else { return };
        let job: Job = p.for_notification(&n).into_iter().map(|(s, extra)| (Arc::clone(s), extra)).collect();
        if !job.is_empty() && queue.try_send(job).is_err() {
            if let Some(k) = self.limiter.allow("notify queue", std::time::Instant::now()) {
                warn!(
                    "VRRP_Group({}) {} notify scripts dropped: {NOTIFY_QUEUE} already waiting ({k} similar suppressed)",
                    n.name,
                    state.as_str()
                );
            }
        }
    }

    fn write_fifos(&mut self, n: &Notification) {
        let line = n.fifo_line();
        for f in &mut self.fifos {
            let before = f.dropped;
            f.write_line(&line);
            if f.dropped != before {
                if let Some(k) = self.limiter.allow("fifo", std::time::Instant::now()) {
                    warn!(
                        "notify FIFO {} is full (no reader keeping up): line dropped ({k} similar suppressed)",
                        f.path().display()
                    );
                }
            }
        }
    }

    /// Instance `instance` entered `state` with `priority`.
    pub(super) fn notify(&mut self, instance: usize, state: NotifyState, priority: u8) {
        let Some(name) = self.names.get(instance).cloned() else { return };
        let n = Notification { name, group: false, state, priority };
        self.write_fifos(&n);
        let (Some(p), Some(Some(queue))) = (self.scripts.get(instance), self.queues.get(instance)) else { return };
        let job: Job = p.for_notification(&n).into_iter().map(|(s, extra)| (Arc::clone(s), extra)).collect();
        if job.is_empty() {
            return;
        }
        if queue.try_send(job).is_err() {
            if let Some(k) = self.limiter.allow("notify queue", std::time::Instant::now()) {
                warn!(
                    "({}) {} notify scripts dropped: {NOTIFY_QUEUE} already waiting ({k} similar suppressed)",
                    n.name,
                    state.as_str()
                );
            }
        }
    }

    /// No more notifications: waits (at most `bound`) for the queued scripts to finish.
    pub(super) fn finish(mut self, bound: Duration) {
        self.queues.clear();
        self.groups.clear();
        let deadline = std::time::Instant::now() + bound;
        for _ in 0..self.workers {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if self.done.recv_timeout(left).is_err() {
                warn!("notify scripts still running at exit: they are stopped");
                break;
            }
        }
        // The FIFOs close here (and are removed if vrrpd made them): their readers see EOF.
        drop(self.fifos);
    }
}

fn open_fifo(
    fifo: &NotifyFifo,
    users: &UserRules,
    runner: &RunnerHandle,
    check: &dyn Fn(&Option<ScriptCmd>) -> Option<Arc<Prepared>>,
) -> Option<Fifo> {
    // keepalived starts the reader before opening the FIFO itself; vrrpd opens (and
    // creates) it first so the script always finds it.
    let f = match Fifo::open(&fifo.path) {
        Ok(f) => f,
        Err(e) => {
            warn!(
                "{}: unable to open notify FIFO {}: {e}; notifications are not written to it",
                fifo.location,
                fifo.path.display()
            );
            return None;
        }
    };
    if f.created() {
        // keepalived's fifo_open: a FIFO it creates belongs to `username [groupname]`, or
        // to the default script user.
        let owner = match &fifo.user {
            Some(u) => resolve(&u.user, u.group.as_deref()),
            None => users.default_user().cloned().map_err(str::to_string),
        };
        match owner {
            Ok(c) => {
                if let Err(e) = nix::unistd::chown(&fifo.path, Some(c.uid), Some(c.gid)) {
                    warn!("{}: failed to set owner {c} of notify FIFO {}: {e}", fifo.location, fifo.path.display());
                }
            }
            Err(e) => warn!("{}: notify FIFO {}: {e}; left owned by vrrpd", fifo.location, fifo.path.display()),
        }
    }
    if let Some(script) = check(&fifo.script) {
        info!("starting notify FIFO script {} {}", script.text, fifo.path.display());
        runner.spawn(script, vec![fifo.path.display().to_string()], None);
    }
    Some(f)
}

async fn worker(runner: RunnerHandle, mut rx: mpsc::Receiver<Job>, timeout: Duration, name: String) {
    let mut limiter = RateLimiter::new(Duration::from_secs(10));
    while let Some(job) = rx.recv().await {
        for (script, extra) in job {
            let text = script.text.clone();
            let outcome = runner.run(script, extra, Some(timeout)).await;
            if !outcome.success() {
                if let Some(k) = limiter.allow("notify", std::time::Instant::now()) {
                    warn!("({name}) notify script `{text}` {outcome} ({k} similar suppressed)");
                }
            }
        }
    }
}
