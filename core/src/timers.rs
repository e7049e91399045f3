//! The timer formulas of RFC 9568 §6.1, evaluated in microseconds.
//!
//! ```text
//! Skew_Time            = ((256 - Priority) * Active_Adver_Interval) / 256
//! Active_Down_Interval = 3 * Active_Adver_Interval + Skew_Time
//! ```
//!
//! `Active_Adver_Interval` ("Master_Adver_Interval" in RFC 5798, keepalived and FRR) is
//! in integer centiseconds as the wire carries it. The division is done after scaling to
//! microseconds, so the result is the RFC's value truncated to the microsecond rather
//! than to the centisecond (see [`crate::time`] for why).

use crate::time::{Duration, MICROS_PER_CENTI};

/// Skew_Time for a router of `priority` hearing a master that advertises every
/// `master_adver_interval_cs` centiseconds.
pub fn skew_time(priority: u8, master_adver_interval_cs: u16) -> Duration {
    let weight = 256 - u64::from(priority);
    let interval_us = u64::from(master_adver_interval_cs) * MICROS_PER_CENTI;
    Duration::from_micros(weight * interval_us / 256)
}

/// Master_Down_Interval (RFC 9568's Active_Down_Interval): how long a backup waits
/// without hearing the master before taking over.
pub fn master_down_interval(priority: u8, master_adver_interval_cs: u16) -> Duration {
    Duration::from_centis(u64::from(master_adver_interval_cs)).saturating_mul(3)
        + skew_time(priority, master_adver_interval_cs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9568_6_1_skew_time_for_priority_100_at_one_second() {
        // (256 - 100) * 100 cs / 256 = 60.9375 cs = 609_375 us.
        assert_eq!(skew_time(100, 100).as_micros(), 609_375);
    }

    #[test]
    fn rfc9568_6_1_master_down_interval_is_three_intervals_plus_skew() {
        assert_eq!(master_down_interval(100, 100).as_micros(), 3_000_000 + 609_375);
        assert_eq!(master_down_interval(254, 1).as_micros(), 30_000 + 78);
    }

    #[test]
    fn rfc9568_6_1_higher_priority_waits_less() {
        for p in 1..=254u8 {
            assert!(skew_time(p + 1, 100) < skew_time(p, 100));
            assert!(master_down_interval(p + 1, 1) < master_down_interval(p, 1));
        }
    }

    #[test]
    fn sub_centisecond_skew_survives_at_ten_millisecond_adverts() {
        // In whole centiseconds every priority would get skew 0 at a 1 cs interval.
        assert_eq!(skew_time(255, 1).as_micros(), 39);
        assert_eq!(skew_time(1, 1).as_micros(), 9_960);
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert_eq!(skew_time(0, 4095).as_micros(), 40_950_000);
        assert_eq!(master_down_interval(0, u16::MAX).as_micros(), 3 * 655_350_000 + 655_350_000);
    }
}
