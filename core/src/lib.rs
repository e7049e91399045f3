//! vrrp-core: the VRRP protocol core, VRRPv3 (RFC 9568) and VRRPv2 (RFC 3768).
//!
//! Bytes and time in, decisions and bytes out. The core never reads a clock, a socket,
//! a random source or a global: every input carries `now`, every effect comes back as
//! an [`Action`] the caller drains, and the same inputs in the same order always give
//! the same outputs. It is `no_std`, allocates nothing, has no `unsafe`, and is written
//! so that no input can make it panic (indexing, `unwrap` and `panic!` are denied).
//!
//! - [`wire`]: the advertisement codec (zero-copy [`wire::Packet`] view, [`wire::AdvertRepr`]).
//! - [`instance`]: one virtual router's state machine (RFC 9568 §6.4), sans-IO.
//! - [`router`]: many instances, O(log n) packet dispatch and earliest-deadline lookup.
//! - [`driver`]: the [`Clock`] and [`Io`] traits and the [`Driver`] pumping a router's actions into them.
//! - [`timers`]: the RFC 9568 §6.1 timer formulas.
//! - [`stats`]: RFC 6527 / RFC 2787 counters.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![warn(missing_docs)]

pub mod config;
pub mod driver;
pub mod instance;
pub mod router;
pub mod stats;
pub mod time;
pub mod timers;
pub mod wire;

pub use config::{ConfigError, InstanceConfig};
pub use driver::{Clock, Driver, Inbound, Io};
pub use instance::{Action, Instance, Reason, ReconfigureError, RxError, State};
pub use router::{GroupChange, GroupError, GroupId, InstanceId, Router};
pub use stats::{RouterStats, Stats};
pub use time::{Duration, Instant};
