//! State-change notifications from the loop to the notifier thread (logging today, notify
//! scripts later). Bounded: a stuck consumer must never make the protocol loop wait or
//! grow memory, so a full queue drops the newest and counts it.

use std::collections::VecDeque;

use super::facade::{lock, AtomicU64, Condvar, Mutex, Ordering};

/// A bounded multi-producer, single-consumer queue.
#[derive(Debug)]
pub struct NotifyQueue<T> {
    items: Mutex<VecDeque<T>>,
    ready: Condvar,
    capacity: usize,
    dropped: AtomicU64,
}

impl<T> NotifyQueue<T> {
    /// A queue holding at most `capacity` items (allocated up front).
    pub fn new(capacity: usize) -> Self {
        NotifyQueue {
            items: Mutex::new(VecDeque::with_capacity(capacity)),
            ready: Condvar::new(),
            capacity,
            dropped: AtomicU64::new(0),
        }
    }

    /// Enqueues without ever blocking on the consumer; false (and counted) when full.
    pub fn push(&self, item: T) -> bool {
        let mut q = lock(&self.items);
        if q.len() >= self.capacity {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        q.push_back(item);
        self.ready.notify_one();
        true
    }

    /// Takes the oldest item, if any.
    pub fn try_pop(&self) -> Option<T> {
        lock(&self.items).pop_front()
    }

    /// Waits for an item.
    pub fn pop(&self) -> T {
        let mut q = lock(&self.items);
        loop {
            if let Some(item) = q.pop_front() {
                return item;
            }
            q = match self.ready.wait(q) {
                Ok(q) => q,
                Err(p) => p.into_inner(),
            };
        }
    }

    /// Items refused because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounded_queue_drops_and_counts_when_full() {
        let q = NotifyQueue::new(2);
        assert!(q.push(1));
        assert!(q.push(2));
        assert!(!q.push(3));
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.try_pop(), Some(1));
        assert_eq!(q.pop(), 2);
        assert_eq!(q.try_pop(), None);
    }
}
