//! The latest status snapshot, published by the protocol loop, read by `vrrpctl`'s server.

use super::facade::{lock, Arc, AtomicU64, Mutex, Ordering};

/// A single-writer, many-reader slot holding the newest snapshot. Readers get a whole
/// snapshot (old or new, never a mix) without waiting for the writer to build the next.
#[derive(Debug)]
pub struct StatusBoard<T> {
    current: Mutex<Arc<T>>,
    version: AtomicU64,
}

impl<T> StatusBoard<T> {
    /// A board showing `initial` as version 0.
    pub fn new(initial: T) -> Self {
        StatusBoard { current: Mutex::new(Arc::new(initial)), version: AtomicU64::new(0) }
    }

    /// Replaces the snapshot; returns its version. The lock is held only for the swap.
    pub fn publish(&self, value: T) -> u64 {
        let value = Arc::new(value);
        let mut slot = lock(&self.current);
        *slot = value;
        // Bumped under the lock, so a reader that sees version v also sees snapshot v or newer.
        self.version.fetch_add(1, Ordering::AcqRel) + 1
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
