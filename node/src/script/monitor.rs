//! The track script monitor: one periodic task per `vrrp_script`, on the runner's runtime.
//!
//! keepalived's schedule (`keepalived/vrrp/vrrp_scheduler.c`): every script runs once at
//! start (`vrrp_init_script` adds an event, not a timer), then every `interval` counted
//! from the previous start (`vrrp_script_thread` registers the next timer before running
//! the script), whatever the script takes. A tick that finds the script still running (or
//! still being killed after its timeout) is skipped with "Track script X is already
//! running, expect idle - skipping run" (keepalived 2.2.7 logs this and then starts a
//! second copy anyway, a bug fixed later by a `return`; here the run is skipped). The
//! result of each run goes through [`RiseFall`]; a change is sent to the protocol loop.
//!
//! A script tracked by many instances is one task: the monitor is keyed by the
//! `vrrp_script`, not by the `track_script` entry.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tracing::info;

use crate::config::VrrpScript;

use super::rise_fall::{RiseFall, ScriptState};
use super::runner::{Outcome, RunnerHandle};
use super::security::Prepared;

/// A tracked script's state changed (or, for a script that started
/// [`ScriptState::Unknown`], its first result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptChange {
    /// Index into [`Config::scripts`](crate::config::Config::scripts).
    pub script: usize,
    pub good: bool,
}

/// How many changes may wait for the protocol loop before the monitors wait for it.
const CHANNEL: usize = 256;

/// The running monitor tasks. Dropping it stops them (a script running then is killed
/// with its group and reaped).
#[derive(Debug)]
pub struct TrackMonitor {
    tasks: Vec<JoinHandle<()>>,
}

impl TrackMonitor {
    /// Starts one task per `(index, script, prepared)`; `index` is what [`ScriptChange`]
    /// carries. The receiver can be awaited from any runtime.
    pub fn start(
        runner: &RunnerHandle,
        scripts: impl IntoIterator<Item = (usize, VrrpScript, Arc<Prepared>)>,
    ) -> (TrackMonitor, mpsc::Receiver<ScriptChange>) {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let tasks = scripts
            .into_iter()
            .map(|(index, script, prepared)| {
                runner.spawn_task(watch(runner.clone(), index, script, prepared, tx.clone()))
            })
            .collect();
        (TrackMonitor { tasks }, rx)
    }
}

impl Drop for TrackMonitor {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The initial state of `script` as the protocol loop must assume it before any
/// [`ScriptChange`]: [`ScriptState::Bad`] with `init_fail`, else [`ScriptState::Unknown`].
pub fn initial_state(script: &VrrpScript) -> ScriptState {
    RiseFall::new(script.rise, script.fall, script.init_fail).state()
}

async fn watch(
    runner: RunnerHandle,
    index: usize,
    script: VrrpScript,
    prepared: Arc<Prepared>,
    tx: mpsc::Sender<ScriptChange>,
) {
    let interval = script.interval.max(Duration::from_millis(1));
    let timeout = if script.timeout.is_zero() { interval } else { script.timeout };
    let mut rise_fall = RiseFall::new(script.rise, script.fall, script.init_fail);
    let mut ticker = tokio::time::interval(interval);
    // The next run is on the schedule, never right after an overrun.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_status: Option<i32> = None;
    loop {
        ticker.tick().await;
        let started = Instant::now();
        let outcome = runner.run_here(Arc::clone(&prepared), Some(timeout)).await;
        if runner.is_closing() {
            // Shutting down: a script stopped for that is no result.
            return;
        }
        if let Outcome::Exited(code) = outcome {
            if last_status != Some(code) {
                info!("Script `{}` now returning {code}", script.name);
                last_status = Some(code);
            }
        }
        if let Some(good) = rise_fall.record(outcome.success()) {
            info!("VRRP_Script({}) {outcome}", script.name);
            if tx.send(ScriptChange { script: index, good }).await.is_err() {
                return;
            }
        }
        let took = started.elapsed();
        if took > interval {
            let skipped = took.as_nanos() / interval.as_nanos().max(1);
            info!(
                "Track script {} is already running, expect idle - skipping run ({skipped} run(s) skipped, it took {took:?})",
                script.name
            );
        }
    }
}
