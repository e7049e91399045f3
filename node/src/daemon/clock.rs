//! The daemon's monotonic clock, in the core's unit (microseconds since start), and a
//! timer that fires at a core deadline with microsecond precision.
//!
//! tokio's timer wheel rounds every sleep up to the next millisecond; at 10 ms adverts that
//! is up to 10 % jitter on the advert interval and on Master_Down_Interval. A timerfd armed
//! with an absolute CLOCK_MONOTONIC deadline fires within tens of microseconds of it on an
//! idle machine. Both use CLOCK_MONOTONIC, immune to wall-clock steps (NTP, an operator's
//! `date -s`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use nix::time::{clock_gettime, ClockId as Clock_};
use tokio::io::unix::AsyncFd;
use vrrp_core::Instant;

/// The most a wake-up is put off so that deadlines close together are served by one.
pub const MAX_COALESCING_SLACK: vrrp_core::Duration = vrrp_core::Duration::from_micros(500);

/// How late the timer is armed after the core's earliest deadline: [`MAX_COALESCING_SLACK`],
/// and never more than a tenth of `shortest`, the shortest advert interval of the running
/// instances (none: no slack).
///
/// Why: at many instances the deadlines of instances started at different moments (a
/// reload, a failover of some of them, tracking) spread over the interval, and each would
/// cost a wake-up, a `timerfd_settime` and a `sendmmsg` of its own. Arming at the earliest
/// deadline plus the slack serves every deadline within it in one wake-up. Deadlines fire
/// *late* by at most the slack, never early (the timer is never armed before a deadline,
/// and the core acts only on deadlines at or before the time it is given).
///
/// Why it is safe (RFC 9568 §6.4): a master's advert late by up to a tenth of its
/// Advertisement_Interval leaves a gap of at most 1.1 intervals between two adverts, well
/// under the backups' Master_Down_Interval (3 × Master_Adver_Interval + Skew_Time); the
/// core anchors each next advert to the previous deadline, not to the late wake-up
/// (`Instance::handle_timeout`), so the advert rate does not drift. A backup's
/// Master_Down_Interval expiry late by the slack delays a takeover by at most 500 µs
/// (5 % of the fastest interval, 10 ms), and can never make one happen early.
pub fn coalescing_slack(shortest: Option<vrrp_core::Duration>) -> vrrp_core::Duration {
    let Some(shortest) = shortest else { return vrrp_core::Duration::ZERO };
    let tenth = vrrp_core::Duration::from_micros(shortest.as_micros() / 10);
    if tenth < MAX_COALESCING_SLACK {
        tenth
    } else {
        MAX_COALESCING_SLACK
    }
}

/// Maps CLOCK_MONOTONIC to the core's [`Instant`] (zero at daemon start).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch_us: u64,
}

fn monotonic_us() -> u64 {
    match clock_gettime(Clock_::CLOCK_MONOTONIC) {
        Ok(ts) => (ts.tv_sec() as u64).saturating_mul(1_000_000).saturating_add(ts.tv_nsec() as u64 / 1000),
        Err(_) => 0,
    }
}

impl Clock {
    /// A clock whose zero is now.
    pub fn start() -> Self {
        Clock { epoch_us: monotonic_us() }
    }

    /// Now, for the core.
    pub fn now(&self) -> Instant {
        Instant::from_micros(monotonic_us().saturating_sub(self.epoch_us))
    }

    fn absolute(&self, deadline: Instant) -> TimeSpec {
        let us = self.epoch_us.saturating_add(deadline.as_micros());
        TimeSpec::new((us / 1_000_000) as i64, ((us % 1_000_000) * 1000) as i64)
    }
}

struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// A one-shot timer at absolute core deadlines.
pub struct DeadlineTimer {
    fd: AsyncFd<Fd>,
    armed: Option<Instant>,
}

impl std::fmt::Debug for DeadlineTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadlineTimer").field("armed", &self.armed).finish()
    }
}

impl DeadlineTimer {
    /// A disarmed timer; must be called inside a tokio runtime.
    pub fn new() -> io::Result<Self> {
        let tfd = TimerFd::new(ClockId::CLOCK_MONOTONIC, TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC)?;
        // SAFETY: tokio trusts that the registered fd stays the same open file until the
        // AsyncFd is dropped; `Fd` owns the TimerFd, returns its one fd every time, and
        // closes it only when dropped together with the AsyncFd.
        let fd = unsafe { AsyncFd::register(Fd(tfd)) }.map_err(io::Error::from)?;
        Ok(DeadlineTimer { fd, armed: None })
    }

    /// Makes sure the timer fires no later than `deadline`.
    ///
    /// It is re-armed only when `deadline` is earlier than what is armed (or nothing is).
    /// A later deadline keeps the earlier one: the timer then fires early, the loop finds
    /// nothing due ([`DeadlineTimer::is_due`]) and arms the real deadline. A backup's
    /// deadline moves later with every advert it hears; re-arming each time was one
    /// `timerfd_settime` per received packet, this is one early wake-up per
    /// Master_Down_Interval or so.
    pub fn set(&mut self, clock: &Clock, deadline: Option<Instant>) -> io::Result<()> {
        let Some(d) = deadline.filter(|&d| needs_arming(self.armed, d)) else {
            return Ok(());
        };
        self.fd.get_ref().0.set(Expiration::OneShot(clock.absolute(d)), TimerSetTimeFlags::TFD_TIMER_ABSTIME)?;
        self.armed = Some(d);
        Ok(())
    }

    /// Whether a wake-up at `now` is for a real deadline, not an early one left armed by
    /// [`DeadlineTimer::set`].
    pub fn is_due(now: Instant, deadline: Option<Instant>) -> bool {
        deadline.is_some_and(|d| d <= now)
    }

    /// Waits until the armed deadline passes (forever when disarmed).
    pub async fn expired(&mut self) -> io::Result<()> {
        if self.armed.is_none() {
            return std::future::pending().await;
        }
        loop {
            let mut guard = self.fd.readable().await?;
            let mut buf = [0u8; 8];
            match nix::unistd::read(guard.get_inner().0.as_fd(), &mut buf) {
                Ok(_) => {
                    self.armed = None;
                    return Ok(());
                }
                Err(nix::errno::Errno::EAGAIN) => guard.clear_ready(),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Arm for `deadline` unless what is armed already fires no later.
fn needs_arming(armed: Option<Instant>, deadline: Instant) -> bool {
    armed.is_none_or(|a| deadline < a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrrp_core::Duration;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn the_slack_is_500_us_at_most_and_a_tenth_of_the_shortest_interval() {
        let ms = Duration::from_millis;
        assert_eq!(coalescing_slack(Some(ms(10))), Duration::from_micros(500));
        assert_eq!(coalescing_slack(Some(ms(1000))), Duration::from_micros(500));
        assert_eq!(coalescing_slack(Some(ms(3))), Duration::from_micros(300));
        assert_eq!(coalescing_slack(None), Duration::ZERO);
    }

    #[test]
    fn only_an_earlier_deadline_rearms() {
        assert!(needs_arming(None, at(5)));
        assert!(needs_arming(Some(at(10)), at(5)));
        assert!(!needs_arming(Some(at(10)), at(10)));
        assert!(!needs_arming(Some(at(10)), at(36)), "a later deadline keeps the earlier wake-up");
    }

    #[test]
    fn early_wakeups_are_not_due() {
        assert!(DeadlineTimer::is_due(at(10), Some(at(10))));
        assert!(!DeadlineTimer::is_due(at(10), Some(at(11))));
        assert!(!DeadlineTimer::is_due(at(10), None));
    }

    #[tokio::test]
    async fn fires_at_the_earliest_deadline_it_was_given() {
        let clock = Clock::start();
        let mut timer = DeadlineTimer::new().unwrap();
        let t0 = clock.now();
        timer.set(&clock, Some(t0 + Duration::from_millis(30))).unwrap();
        timer.set(&clock, Some(t0 + Duration::from_millis(500))).unwrap();
        timer.set(&clock, Some(t0 + Duration::from_millis(20))).unwrap();
        timer.expired().await.unwrap();
        let woke = clock.now().saturating_since(t0);
        assert!(woke >= Duration::from_millis(20) && woke < Duration::from_millis(400), "woke after {woke:?}");
        // Expired: the next deadline, later or not, arms it again.
        timer.set(&clock, Some(clock.now() + Duration::from_millis(5))).unwrap();
        timer.expired().await.unwrap();
    }
}
