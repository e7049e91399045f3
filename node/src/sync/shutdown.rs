//! "Stop" and "reload" requests from signal handling or the control socket to the loop.

use super::facade::{lock, AtomicBool, Condvar, Mutex, Ordering};

/// A one-way latch for shutdown plus a resettable reload request.
#[derive(Debug, Default)]
pub struct Shutdown {
    stop: AtomicBool,
    /// A mutex rather than an atomic swap: under loom 0.7 on this toolchain an
    /// `AtomicBool::swap` model produced an outcome C11 forbids, and a reload request is
    /// far too rare for the lock to matter.
    reload: Mutex<bool>,
    wake: Mutex<()>,
    cv: Condvar,
}

impl Shutdown {
    /// Nothing requested.
    pub fn new() -> Self {
        Shutdown { stop: AtomicBool::new(false), reload: Mutex::new(false), wake: Mutex::new(()), cv: Condvar::new() }
    }

    /// Asks the loop to stop; idempotent. Wakes anyone in [`Shutdown::wait`].
    pub fn request_stop(&self) {
        let _g = lock(&self.wake);
        self.stop.store(true, Ordering::Release);
        self.cv.notify_all();
    }

    /// True once a stop was requested.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Asks for a reload.
    pub fn request_reload(&self) {
        *lock(&self.reload) = true;
    }

    /// Takes a pending reload request (at most one reload per request burst).
    pub fn take_reload(&self) -> bool {
        std::mem::take(&mut *lock(&self.reload))
    }

    /// Blocks until a stop is requested.
    pub fn wait(&self) {
        let mut g = lock(&self.wake);
        while !self.stop.load(Ordering::Acquire) {
            g = match self.cv.wait(g) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }
}
