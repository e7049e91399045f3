//! Ctrl-C: [`request_stop`] makes every wait of the demo return [`Interrupted`], so the
//! call stack unwinds through the lab's `Drop`s and nothing is left behind.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks a running demo to stop: every wait returns [`Interrupted`] from now on, and the
/// lab is torn down as the call stack unwinds. For a Ctrl-C handler.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

pub(crate) fn stopping() -> bool {
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

/// Sleeps `d`, or returns [`Interrupted`] as soon as a stop is requested.
pub(crate) fn nap(d: Duration) -> Result<()> {
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
pub(crate) fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> Result<Option<Duration>> {
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
