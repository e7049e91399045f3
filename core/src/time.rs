//! Time as the caller gives it.
//!
//! The core never reads a clock: every `handle_*` call takes `now`. The unit is the
//! **microsecond**. RFC 9568 states its timers in centiseconds, and we keep every
//! configured and advertised interval in integer centiseconds, but we evaluate the
//! derived timers (Skew_Time, Master_Down_Interval) in microseconds so the
//! `(256 − Priority) / 256` fraction of a centisecond is not truncated away: at a
//! 10 ms advert interval truncation to whole centiseconds would make every
//! priority's skew 0 and break the RFC's tie-breaking by priority. All arithmetic
//! saturates, so no input, however absurd, can overflow.

use core::fmt;
use core::ops::{Add, Sub};

/// Microseconds in one centisecond, the RFC 9568 timer unit.
pub const MICROS_PER_CENTI: u64 = 10_000;

/// A point on the caller's monotonic clock, in microseconds from an arbitrary origin.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    micros: u64,
}

/// A span of time in microseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    micros: u64,
}

impl Instant {
    /// The clock origin.
    pub const ZERO: Instant = Instant { micros: 0 };

    /// An instant `micros` microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Instant { micros }
    }

    /// An instant `millis` milliseconds after the origin (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Instant { micros: millis.saturating_mul(1000) }
    }

    /// Microseconds since the origin.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration { micros: self.micros.saturating_sub(earlier.micros) }
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { micros: 0 };

    /// A duration of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Duration { micros }
    }

    /// A duration of `millis` milliseconds (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Duration { micros: millis.saturating_mul(1000) }
    }

    /// A duration of `centis` centiseconds, the RFC 9568 interval unit.
    pub const fn from_centis(centis: u64) -> Self {
        Duration { micros: centis.saturating_mul(MICROS_PER_CENTI) }
    }

    /// A duration of `secs` seconds (saturating), the RFC 3768 interval unit.
    pub const fn from_secs(secs: u64) -> Self {
        Duration { micros: secs.saturating_mul(1_000_000) }
    }

    /// Length in microseconds.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }

    /// Saturating multiplication by an integer.
    pub const fn saturating_mul(self, n: u64) -> Self {
        Duration { micros: self.micros.saturating_mul(n) }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant { micros: self.micros.saturating_add(rhs.micros) }
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        Instant { micros: self.micros.saturating_sub(rhs.micros) }
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration { micros: self.micros.saturating_add(rhs.micros) }
    }
}

/// For callers on a platform clock (`std::time::Duration` is `core::time::Duration`):
/// the lab and the tests compute their bounds from [`crate::timers`] and compare them
/// with what they measured.
impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> core::time::Duration {
        core::time::Duration::from_micros(d.micros)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{}us", self.micros)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}us", self.micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let end = Instant::from_micros(u64::MAX);
        assert_eq!(end + Duration::from_secs(1), end);
        assert_eq!(Instant::ZERO - Duration::from_secs(1), Instant::ZERO);
        assert_eq!(Duration::from_centis(u64::MAX).as_micros(), u64::MAX);
    }

    #[test]
    fn converts_to_the_platform_duration_exactly() {
        let d: core::time::Duration = Duration::from_micros(609_375).into();
        assert_eq!(d.as_micros(), 609_375);
    }

    #[test]
    fn centisecond_is_ten_thousand_micros() {
        assert_eq!(Duration::from_centis(3).as_micros(), 30_000);
        assert_eq!(Duration::from_secs(1), Duration::from_centis(100));
        assert_eq!(Instant::from_millis(5).saturating_since(Instant::from_millis(2)), Duration::from_millis(3));
    }
}

#[cfg(test)]
mod more_tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn subtraction_and_accessors() {
        let t = Instant::from_micros(5_000);
        assert_eq!((t - Duration::from_micros(1_000)).as_micros(), 4_000);
        assert_eq!(t.as_micros(), 5_000);
        assert_eq!((Duration::from_millis(2) + Duration::from_micros(3)).as_micros(), 2_003);
    }

    #[test]
    fn debug_shows_the_unit() {
        assert_eq!(format!("{:?}", Instant::from_micros(7)), "t+7us");
        assert_eq!(format!("{:?}", Duration::from_micros(7)), "7us");
    }
}
