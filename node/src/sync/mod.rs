//! State the daemon shares between threads, and nothing else.
//!
//! The protocol loop runs on one thread and owns the [`vrrp_core::Router`]; other threads
//! (the control server answering `vrrpctl`, signal handling, the notifier) only ever touch
//! the three small types here. Each goes through the [`facade`] so that `--cfg loom` swaps
//! std's primitives for loom's and `node/tests/loom_sync.rs` model-checks every
//! interleaving (tokio's `src/loom` pattern).

pub mod facade;

mod board;
mod notify;
mod shutdown;

pub use board::StatusBoard;
pub use notify::NotifyQueue;
pub use shutdown::Shutdown;
