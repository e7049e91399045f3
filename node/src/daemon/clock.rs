//! The daemon's monotonic clock, in the core's unit (microseconds since start).

use std::time::Duration as StdDuration;

use vrrp_core::Instant;

/// Maps between tokio's monotonic clock and the core's [`Instant`].
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch: tokio::time::Instant,
}

impl Clock {
    /// A clock whose zero is now.
    pub fn start() -> Self {
        Clock { epoch: tokio::time::Instant::now() }
    }

    /// Now, for the core.
    pub fn now(&self) -> Instant {
        Instant::from_micros(u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    /// A core deadline as a tokio instant, for `sleep_until`.
    pub fn to_tokio(&self, deadline: Instant) -> tokio::time::Instant {
        self.epoch + StdDuration::from_micros(deadline.as_micros())
    }
}
