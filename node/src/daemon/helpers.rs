//! Everything that may be slow or block runs off the protocol loop, on the script runner's
//! thread ([`crate::script::Runner`]): track scripts (fork, exec, wait, kill at the
//! timeout), the track file watcher, the process tracker, notify scripts. It talks to the
//! loop only through channels, so a script that hangs never delays an advert.

use std::io;
use std::path::PathBuf;

use tokio::sync::mpsc;
use tracing::{error, warn};

use super::tracking::TrackEvent;
use crate::config::{Config, Severity};
use crate::script::{Runner, ScriptPlan, TrackMonitor};
use crate::track::{file, process};

/// The script runner with the track script monitor and the track file watcher on it.
pub(super) struct Helpers {
    pub(super) plan: ScriptPlan,
    pub(super) runner: Runner,
    monitor: Option<TrackMonitor>,
}

impl Helpers {
    /// Checks every script (logging what keepalived would log), writes the track files'
    /// `init_file` values, and starts the runner, the monitor and the file watcher; both
    /// report into `events`.
    pub(super) fn start(cfg: &Config, events: mpsc::Sender<TrackEvent>) -> io::Result<Helpers> {
        let plan = ScriptPlan::new(cfg);
        for d in &plan.diagnostics {
            match d.severity {
                Severity::Error => error!("{d}"),
                Severity::Warning => warn!("{d}"),
            }
        }
        for f in &cfg.track_files {
            if let Err(e) = file::init(f) {
                warn!("{}: vrrp_track_file {}: init_file {}: {e}", f.location, f.name, f.path.display());
            }
        }
        let runner = Runner::start()?;
        let handle = runner.handle();
        let (monitor, mut changes) = plan.start_monitor(&handle);
        let scripts = events.clone();
        handle.spawn_task(async move {
            while let Some(c) = changes.recv().await {
                if scripts.send(TrackEvent::Script { index: c.script, good: c.good }).await.is_err() {
                    return;
                }
            }
        });
        if !cfg.track_processes.is_empty() {
            let (ptx, mut prx) = mpsc::channel(64);
            handle.spawn_task(process::watch(cfg.track_processes.clone(), ptx));
            let events = events.clone();
            handle.spawn_task(async move {
                while let Some((index, good)) = prx.recv().await {
                    if events.send(TrackEvent::Process { index, good }).await.is_err() {
                        return;
                    }
                }
            });
        }
        let files: Vec<PathBuf> = cfg.track_files.iter().map(|f| f.path.clone()).collect();
        if !files.is_empty() {
            let (ftx, mut frx) = mpsc::channel(64);
            handle.spawn_task(file::watch(files, ftx));
            handle.spawn_task(async move {
                while let Some((index, value)) = frx.recv().await {
                    if events.send(TrackEvent::File { index, value }).await.is_err() {
                        return;
                    }
                }
            });
        }
        Ok(Helpers { plan, runner, monitor: Some(monitor) })
    }

    /// Stops the monitor and the runner: running scripts are killed and reaped.
    pub(super) fn stop(mut self) {
        // The runner first: running scripts get SIGTERM and their grace, and the monitor's
        // tasks end with the runtime; dropping the monitor first would SIGKILL them at once.
        let monitor = self.monitor.take();
        self.runner.shutdown();
        drop(monitor);
    }
}
