//! The helper thread: a second tokio runtime, off the protocol loop, for everything that
//! may be slow or block: track scripts (fork, exec, wait, kill at the timeout), the track
//! file watcher, notify scripts. It talks to the loop only through channels, so a script
//! that hangs never delays an advert.

use std::io;
use std::path::PathBuf;

use tokio::sync::{mpsc, oneshot};
use tracing::warn;

use super::tracking::TrackEvent;
use crate::config::Config;
use crate::track::file;

/// The running helper thread.
pub(super) struct Helpers {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Helpers {
    /// Starts the thread with the track file watcher (and, when the configuration tracks
    /// them, the script monitors). Track files get their `init_file` value first.
    pub(super) fn start(cfg: &Config, events: mpsc::Sender<TrackEvent>) -> io::Result<Helpers> {
        for f in &cfg.track_files {
            if let Err(e) = file::init(f) {
                warn!("{}: vrrp_track_file {}: init_file {}: {e}", f.location, f.name, f.path.display());
            }
        }
        let files: Vec<PathBuf> = cfg.track_files.iter().map(|f| f.path.clone()).collect();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("vrrpd-helpers".into()).spawn(move || {
            // The protocol thread runs at nice -10; scripts must not inherit that.
            // SAFETY: setpriority changes only this thread's nice value (Linux: per thread).
            unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 0) };
            runtime.block_on(async move {
                if !files.is_empty() {
                    let (ftx, mut frx) = mpsc::channel(64);
                    tokio::spawn(file::watch(files, ftx));
                    let events = events.clone();
                    tokio::spawn(async move {
                        while let Some((index, value)) = frx.recv().await {
                            if events.send(TrackEvent::File { index, value }).await.is_err() {
                                return;
                            }
                        }
                    });
                }
                let _ = stop_rx.await;
            });
        })?;
        Ok(Helpers { stop: Some(stop_tx), thread: Some(thread) })
    }

    /// Stops the thread (running scripts are killed and reaped) and waits for it.
    pub(super) fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
