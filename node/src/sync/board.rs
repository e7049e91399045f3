//! The latest status snapshot, published by the protocol loop, read by `vrrpctl`'s server.

use std::time::Duration;

use super::facade::{lock, Arc, AtomicU64, Condvar, Mutex, Ordering};

/// A single-writer, many-reader slot holding the newest snapshot. Readers get a whole
/// snapshot (old or new, never a mix) without waiting for the writer to build the next.
#[derive(Debug)]
pub struct StatusBoard<T> {
    current: Mutex<Arc<T>>,
    version: AtomicU64,
    published: Condvar,
}

impl<T> StatusBoard<T> {
    /// A board showing `initial` as version 0.
    pub fn new(initial: T) -> Self {
        StatusBoard { current: Mutex::new(Arc::new(initial)), version: AtomicU64::new(0), published: Condvar::new() }
    }

    /// Replaces the snapshot; returns its version. The lock is held only for the swap.
    pub fn publish(&self, value: T) -> u64 {
        let value = Arc::new(value);
        let mut slot = lock(&self.current);
        *slot = value;
        // Bumped under the lock, so a reader that sees version v also sees snapshot v or newer.
        let version = self.version.fetch_add(1, Ordering::AcqRel) + 1;
        self.published.notify_all();
        version
    }

    /// Waits (at most `timeout`) for a snapshot newer than version `seen`, then returns the
    /// newest; on timeout returns the current one, so a wedged writer cannot wedge readers.
    pub fn wait_newer(&self, seen: u64, timeout: Duration) -> Arc<T> {
        let mut slot = lock(&self.current);
        if self.version.load(Ordering::Acquire) <= seen {
            slot = match self.published.wait_timeout(slot, timeout) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        Arc::clone(&slot)
    }

    /// The newest snapshot.
    pub fn snapshot(&self) -> Arc<T> {
        Arc::clone(&lock(&self.current))
    }

    /// How many snapshots have been published.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }
}
