//! The script runner: one dedicated thread with its own current-thread tokio runtime, so
//! fork/exec and waiting never happen on the protocol thread.
//!
//! Each script runs the way keepalived's `lib/notify.c: system_call_script` and
//! `set_script_env` run it:
//! - as its resolved user: `setgid(gid)` (when it differs from ours), `setgroups([gid])`
//!   (no other supplementary group, keepalived does not call `initgroups`), `setuid(uid)`
//!   (when it differs from ours);
//! - stdin, stdout and stderr on `/dev/null` (`set_std_fd`);
//! - in its own process group (`setpgid(0, 0)`), so a timeout kills everything it started;
//! - with `PR_SET_PDEATHSIG = SIGTERM`: if the runner thread dies, the script is told;
//! - at nice 0 when the daemon runs with a raised priority (`reset_process_priorities`);
//! - with the daemon's environment, unchanged (keepalived passes `environ`), and the
//!   default signal dispositions (exec resets handlers; the daemon ignores no signal);
//! - no file is created anywhere.
//!
//! At the timeout the whole group gets `SIGTERM`, and `SIGKILL` 2 s later if the script
//! has not exited (then again every 10 s; keepalived repeats after 2 s, then every 10 s), as `keepalived/vrrp/vrrp_scheduler.c:
//! vrrp_script_child_thread` does. Once the script has exited the rest of its group gets
//! `SIGKILL` (keepalived does this when the script died of the `SIGTERM`; here always, so
//! a grandchild that ignores `SIGTERM` cannot outlive a timed-out script). A timed-out
//! script counts as failed even if it exited 0 on the `SIGTERM`.
//!
//! The script is waited for through a pidfd: its exit is seen without reaping it, so its
//! process group is killed while its pid (the group id) cannot yet be reused, and then it
//! is reaped. Every script is reaped: on exit, on timeout, when the task running it is
//! cancelled, and when the runner shuts down (`SIGTERM` to every running group, `SIGKILL`
//! 1 s later, as keepalived's `script_killall` + `child_killed_thread`).

use std::collections::HashSet;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{Gid, Pid, Uid};
use rustix::process::{pidfd_open, waitid, PidfdFlags, WaitId, WaitIdOptions};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::oneshot;
use tracing::{info, warn};

use super::security::{shell_quote, Prepared};

/// How long a timed-out script has between `SIGTERM` and `SIGKILL` (keepalived: 2 s).
pub const TERM_GRACE: Duration = Duration::from_secs(2);
/// How often `SIGKILL` is repeated for a script that does not die (keepalived: 10 s).
const KILL_RETRY: Duration = Duration::from_secs(10);
/// How often a script is looked at when the kernel has no pidfd.
const POLL: Duration = Duration::from_millis(10);
/// How long running scripts have between `SIGTERM` and `SIGKILL` at shutdown
/// (keepalived's `script_killall` reschedules the children with `TIMER_HZ`: 1 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How one run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal (not by the runner).
    Signaled(i32),
    /// Ran past its timeout and was killed with its group.
    TimedOut,
    /// Could not be started (fork, exec, or the runner is shutting down).
    NotStarted(io::Error),
}

impl Outcome {
    /// keepalived's `script_success`: exited with status 0. Anything else, a timeout
    /// included, is a failure.
    pub fn success(&self) -> bool {
        matches!(self, Outcome::Exited(0))
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exited(0) => f.write_str("succeeded"),
            Outcome::Exited(c) => write!(f, "failed (exited with status {c})"),
            Outcome::Signaled(s) => {
                let name = Signal::try_from(*s).map_or("?", Signal::as_str);
                write!(f, "failed (due to signal {s} {name})")
            }
            Outcome::TimedOut => f.write_str("timed_out"),
            Outcome::NotStarted(e) => write!(f, "failed (could not start: {e})"),
        }
    }
}

/// What the runner thread and the tasks share.
#[derive(Debug, Default)]
struct Shared {
    /// Pids (= process group ids) of the scripts running now.
    live: Mutex<HashSet<i32>>,
    /// Set at shutdown: no new script starts.
    closing: AtomicBool,
}

impl Shared {
    fn live(&self) -> std::sync::MutexGuard<'_, HashSet<i32>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The runner thread. Dropping it (or [`Runner::shutdown`]) stops every running script
/// and reaps it before returning.
#[derive(Debug)]
pub struct Runner {
    handle: RunnerHandle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts scripts on the runner from any thread or runtime. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RunnerHandle {
    rt: tokio::runtime::Handle,
    shared: Arc<Shared>,
}

impl Runner {
    /// Starts the runner thread (`vrrpd-scripts`).
    pub fn start() -> io::Result<Runner> {
        let shared = Arc::new(Shared::default());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (rt_tx, rt_rx) = std::sync::mpsc::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("vrrpd-scripts".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = rt_tx.send(Err(e));
                    return;
                }
            };
            let _ = rt_tx.send(Ok(rt.handle().clone()));
            rt.block_on(async {
                // Also when the Runner is gone without a word (the sender dropped).
                let _ = stop_rx.await;
                stop_all(&thread_shared).await;
            });
            // Cancels what is left; each script's guard kills its group and reaps it.
            drop(rt);
        })?;
        let rt = rt_rx.recv().map_err(|_| io::Error::other("script runner thread died at start"))??;
        Ok(Runner { handle: RunnerHandle { rt, shared }, stop: Some(stop_tx), thread: Some(thread) })
    }

    pub fn handle(&self) -> RunnerHandle {
        self.handle.clone()
    }

    /// Stops every running script (`SIGTERM`, `SIGKILL` after [`SHUTDOWN_GRACE`]), reaps
    /// them and ends the thread.
    pub fn shutdown(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.handle.shared.closing.store(true, Ordering::SeqCst);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// keepalived's `script_killall(SIGTERM)` then, after the grace, `SIGKILL`.
async fn stop_all(shared: &Shared) {
    shared.closing.store(true, Ordering::SeqCst);
    let running: Vec<i32> = shared.live().iter().copied().collect();
    if running.is_empty() {
        return;
    }
    info!("stopping {} running script(s)", running.len());
    for pid in &running {
        let _ = killpg(Pid::from_raw(*pid), Signal::SIGTERM);
    }
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    while !shared.live().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

impl RunnerHandle {
    /// Runs `script` with `extra` arguments (notify scripts: appended to `argv`, or for a
    /// shell line appended to the line, each single-quoted) and, with `timeout`, kills its
    /// group at the timeout. Await it from any runtime.
    pub async fn run(&self, script: Arc<Prepared>, extra: Vec<String>, timeout: Option<Duration>) -> Outcome {
        match self.rt.spawn(run_one(Arc::clone(&self.shared), script, extra, timeout)).await {
            Ok(outcome) => outcome,
            Err(e) => Outcome::NotStarted(io::Error::other(format!("script runner stopped ({e})"))),
        }
    }

    /// Starts `script` and does not wait (notify scripts: keepalived's `notify_exec`). It is
    /// still reaped, and killed at `timeout` if given. The outcome is logged when not 0.
    pub fn spawn(&self, script: Arc<Prepared>, extra: Vec<String>, timeout: Option<Duration>) {
        let shared = Arc::clone(&self.shared);
        self.rt.spawn(async move {
            let text = script.text.clone();
            let outcome = run_one(shared, script, extra, timeout).await;
            if !outcome.success() {
                info!("script '{text}' {outcome}");
            }
        });
    }

    /// Whether the runner is shutting down (no script starts any more).
    pub fn is_closing(&self) -> bool {
        self.shared.closing.load(Ordering::SeqCst)
    }

    /// Runs a future on the runner's runtime (the track script monitor, the track file
    /// watcher and the notify queues live there).
    pub fn spawn_task<F>(&self, task: F) -> tokio::task::JoinHandle<()>
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.rt.spawn(task)
    }

    /// [`run`](Self::run), from a task already on the runner's runtime.
    pub(super) async fn run_here(&self, script: Arc<Prepared>, timeout: Option<Duration>) -> Outcome {
        run_one(Arc::clone(&self.shared), script, Vec::new(), timeout).await
    }
}

/// The command line for `script` + `extra`.
fn command(script: &Prepared, extra: &[String]) -> Command {
    let mut cmd = Command::new(&script.program);
    cmd.arg0(&script.arg0);
    if script.shell {
        let mut line = script.text.clone();
        for a in extra {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        cmd.arg("-c").arg(line);
    } else {
        cmd.args(&script.args).args(extra);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    cmd.process_group(0);
    let (uid, gid) = (script.creds.uid, script.creds.gid);
    let (our_uid, our_gid) = (Uid::current(), Gid::current());
    // SAFETY: the closure runs in the forked child before exec, where only
    // async-signal-safe calls are allowed: it makes a few system calls through nix's and
    // rustix's thin wrappers (no allocation, no lock) and returns.
    unsafe {
        cmd.pre_exec(move || set_script_env(uid, gid, our_uid, our_gid));
    }
    cmd
}

/// keepalived's `set_script_env`, then `PR_SET_PDEATHSIG` (after the uid change, which
/// would clear it).
fn set_script_env(uid: Uid, gid: Gid, our_uid: Uid, our_gid: Gid) -> io::Result<()> {
    // keepalived's reset_process_priorities: a script does not keep the daemon's raised
    // priority (vrrpd asks for nice -10, which the runner thread may have inherited).
    if rustix::process::getpriority_process(None).is_ok_and(|nice| nice < 0) {
        let _ = rustix::process::setpriority_process(None, 0);
    }
    if gid != our_gid {
        nix::unistd::setgid(gid)?;
    }
    match nix::unistd::setgroups(&[gid]) {
        Ok(()) => {}
        // Not root and staying who we are: there is nothing to drop.
        Err(Errno::EPERM) if uid == our_uid && gid == our_gid && !our_uid.is_root() => {}
        Err(e) => return Err(e.into()),
    }
    if uid != our_uid {
        nix::unistd::setuid(uid)?;
    }
    nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
    Ok(())
}

/// A started script: until it is reaped, dropping this kills its group and reaps it.
struct Child<'a> {
    pid: i32,
    pidfd: Option<AsyncFd<OwnedFd>>,
    shared: &'a Shared,
    reaped: bool,
}

impl Child<'_> {
    /// Waits until the script has exited, without reaping it.
    async fn exited(&self) {
        if let Some(fd) = &self.pidfd {
            // A pidfd is readable once the process has exited.
            if fd.readable().await.is_ok() {
                return;
            }
        }
        // No usable pidfd (a kernel before 5.3): look without reaping, every 10 ms.
        let Ok(pid) = pid_of(self.pid) else { return };
        loop {
            match waitid(WaitId::Pid(pid), WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT) {
                Ok(None) => tokio::time::sleep(POLL).await,
                // Exited, or not waitable at all: the reaping wait says which.
                Ok(Some(_)) | Err(_) => return,
            }
        }
    }

    /// Reaps the script (it has exited, or has been sent `SIGKILL`).
    fn reap(&mut self) -> io::Result<Outcome> {
        // By pid, not through the pidfd: that one is non-blocking, and this must wait when
        // the script has only just been sent SIGKILL. The pid is still ours (unreaped).
        let status = waitid(WaitId::Pid(pid_of(self.pid)?), WaitIdOptions::EXITED)?;
        self.reaped = true;
        self.shared.live().remove(&self.pid);
        let status = status.ok_or_else(|| io::Error::other("waitid returned no status"))?;
        Ok(match (status.exit_status(), status.terminating_signal()) {
            (_, Some(sig)) => Outcome::Signaled(sig),
            (Some(code), None) => Outcome::Exited(code),
            (None, None) => Outcome::NotStarted(io::Error::other("unexpected wait status")),
        })
    }
}

fn pid_of(pid: i32) -> io::Result<rustix::process::Pid> {
    rustix::process::Pid::from_raw(pid).ok_or_else(|| io::Error::other("pid 0"))
}

impl Drop for Child<'_> {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = killpg(Pid::from_raw(self.pid), Signal::SIGKILL);
            if let Err(e) = self.reap() {
                warn!("could not reap script pid {}: {e}", self.pid);
            }
        }
    }
}

async fn run_one(shared: Arc<Shared>, script: Arc<Prepared>, extra: Vec<String>, timeout: Option<Duration>) -> Outcome {
    if shared.closing.load(Ordering::SeqCst) {
        return Outcome::NotStarted(io::Error::other("the script runner is shutting down"));
    }
    let spawned = match command(&script, &extra).spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::NotStarted(e),
    };
    // std's Child does nothing on drop; the script is reaped below, by pid.
    let Ok(pid) = i32::try_from(spawned.id()) else {
        return Outcome::NotStarted(io::Error::other("pid out of range"));
    };
    drop(spawned);
    shared.live().insert(pid);
    let mut child = Child { pid, pidfd: None, shared: &shared, reaped: false };
    match pid_of(pid).and_then(|p| Ok(pidfd_open(p, PidfdFlags::NONBLOCK)?)) {
        // SAFETY: tokio's registration trusts the fd's identity: the `OwnedFd` owns it,
        // returns the same fd from every `as_raw_fd()` and keeps it open until the
        // `AsyncFd` (which owns it) drops it.
        Ok(fd) => match unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.map_err(io::Error::from) {
            Ok(fd) => child.pidfd = Some(fd),
            Err(e) => warn!("script '{}': cannot watch pid {pid} ({e}); polling it", script.text),
        },
        Err(e) => warn!("script '{}': no pidfd for pid {pid} ({e}); polling it", script.text),
    }

    let timed_out = match timeout {
        Some(t) => tokio::time::timeout(t, child.exited()).await.is_err(),
        None => {
            child.exited().await;
            false
        }
    };
    if timed_out {
        info!("script '{}' (pid {pid}) timed out: sending SIGTERM to its process group", script.text);
        let _ = killpg(Pid::from_raw(pid), Signal::SIGTERM);
        let mut wait = TERM_GRACE;
        while tokio::time::timeout(wait, child.exited()).await.is_err() {
            info!("script '{}' (pid {pid}) still running: sending SIGKILL to its process group", script.text);
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            wait = KILL_RETRY;
        }
        // The script is a zombie, so its group id is still reserved: whatever it left
        // running in the group goes now.
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    match child.reap() {
        Ok(_) if timed_out => Outcome::TimedOut,
        Ok(outcome) => outcome,
        Err(e) => Outcome::NotStarted(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// The caller reaps it, by pid, through a [`Child`].
    #[allow(clippy::zombie_processes)]
    fn spawn_sh(line: &str) -> i32 {
        let c = Command::new("/bin/sh").arg("-c").arg(line).process_group(0).spawn().unwrap();
        i32::try_from(c.id()).unwrap()
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn without_a_pidfd_the_exit_is_polled_not_blocked_on() {
        let shared = Shared::default();
        let pid = spawn_sh("sleep 0.3; exit 3");
        let mut child = Child { pid, pidfd: None, shared: &shared, reaped: false };
        let t0 = Instant::now();
        // A timer on the same runtime keeps running while the exit is awaited.
        let ticks = rt().block_on(async {
            let mut ticks = 0u32;
            let exited = child.exited();
            tokio::pin!(exited);
            loop {
                tokio::select! {
                    () = &mut exited => break ticks,
                    () = tokio::time::sleep(Duration::from_millis(20)) => ticks += 1,
                }
            }
        });
        assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
        assert!(ticks >= 5, "the runtime was blocked: {ticks} ticks");
        assert!(matches!(child.reap().unwrap(), Outcome::Exited(3)));
    }

    #[test]
    fn a_dropped_child_is_killed_with_its_group_and_reaped() {
        let shared = Shared::default();
        let pid = spawn_sh("sleep 100 & sleep 100");
        shared.live().insert(pid);
        drop(Child { pid, pidfd: None, shared: &shared, reaped: false });
        assert!(shared.live().is_empty());
        // Reaped: the pid is no child of ours any more.
        let again = waitid(WaitId::Pid(pid_of(pid).unwrap()), WaitIdOptions::EXITED | WaitIdOptions::NOHANG);
        assert_eq!(again.unwrap_err(), rustix::io::Errno::CHILD);
    }
}
