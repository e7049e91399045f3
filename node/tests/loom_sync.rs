//! loom models of everything the daemon shares between threads (`vrrp_node::sync`).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p vrrp-node --no-default-features --release --test loom_sync`
//! (scripts/test.sh does, with LOOM_MAX_PREEMPTIONS=3). Without `--cfg loom` this file is empty.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use vrrp_node::sync::{NotifyQueue, Shutdown, StatusBoard};

/// A reader sees a whole snapshot, and never an older one after a newer version number.
#[test]
fn status_board_readers_see_whole_monotonic_snapshots() {
    loom::model(|| {
        let board = Arc::new(StatusBoard::new((0u32, 0u32)));
        let writer = {
            let board = Arc::clone(&board);
            thread::spawn(move || {
                board.publish((1, 1));
                board.publish((2, 2));
            })
        };
        let v1 = board.version();
        let s1 = board.snapshot();
        let s2 = board.snapshot();
        assert_eq!(s1.0, s1.1, "torn snapshot");
        assert!(s2.0 >= s1.0, "went backwards");
        // The version is bumped under the lock after the swap: seeing version v means the
        // snapshot read afterwards is at least v.
        assert!(u64::from(s1.0) >= v1, "version {v1} ahead of snapshot {s1:?}");
        writer.join().unwrap();
        assert_eq!(*board.snapshot(), (2, 2));
        assert_eq!(board.version(), 2);
    });
}

/// A stop request wakes a waiter, whichever runs first.
#[test]
fn shutdown_wakes_the_waiter() {
    loom::model(|| {
        let s = Arc::new(Shutdown::new());
        let waiter = {
            let s = Arc::clone(&s);
            thread::spawn(move || {
                s.wait();
                assert!(s.stop_requested());
            })
        };
        s.request_stop();
        waiter.join().unwrap();
    });
}

/// Reload requests are taken exactly once.
#[test]
fn reload_request_is_taken_once() {
    loom::model(|| {
        let s = Arc::new(Shutdown::new());
        let a = {
            let s = Arc::clone(&s);
            thread::spawn(move || s.take_reload())
        };
        s.request_reload();
        let mine = s.take_reload();
        let theirs = a.join().unwrap();
        let leftover = s.take_reload();
        assert_eq!(u8::from(mine) + u8::from(theirs) + u8::from(leftover), 1);
    });
}

/// Two producers, one consumer, capacity 1: every item is delivered or counted as
/// dropped, none twice, and the consumer never waits forever.
#[test]
fn notify_queue_delivers_or_counts_every_item() {
    loom::model(|| {
        let q = Arc::new(NotifyQueue::new(1));
        let producers: Vec<_> = [1u8, 2]
            .into_iter()
            .map(|item| {
                let q = Arc::clone(&q);
                thread::spawn(move || q.push(item))
            })
            .collect();
        let accepted = producers.into_iter().map(|p| p.join().unwrap()).filter(|ok| *ok).count();
        let mut got = Vec::new();
        for _ in 0..accepted {
            got.push(q.pop());
        }
        assert_eq!(q.try_pop(), None);
        assert_eq!(got.len() as u64 + q.dropped(), 2);
        got.sort();
        got.dedup();
        assert_eq!(got.len(), accepted);
    });
}
