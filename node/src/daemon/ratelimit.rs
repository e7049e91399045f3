//! Rate-limited logging for bad packets: a flood of garbage on protocol 112 must not turn
//! into a flood of log lines. Each kind of error logs at most once per window and says how
//! many it swallowed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// At most one line per key per `window`.
#[derive(Debug)]
pub struct RateLimiter {
    window: Duration,
    last: HashMap<&'static str, (Instant, u64)>,
}

impl RateLimiter {
    /// A limiter with the given window.
    pub fn new(window: Duration) -> Self {
        RateLimiter { window, last: HashMap::new() }
    }

    /// Returns `Some(suppressed)` when a line for `key` may be logged now, with the count of
    /// lines swallowed since the last one; `None` when it must be swallowed.
    pub fn allow(&mut self, key: &'static str, now: Instant) -> Option<u64> {
        match self.last.get_mut(key) {
            Some((at, suppressed)) if now.duration_since(*at) < self.window => {
                *suppressed += 1;
                None
            }
            Some(entry) => {
                let n = entry.1;
                *entry = (now, 0);
                Some(n)
            }
            None => {
                self.last.insert(key, (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_window_with_a_count_of_the_rest() {
        let mut r = RateLimiter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(r.allow("ttl", t0), Some(0));
        for i in 1..=5 {
            assert_eq!(r.allow("ttl", t0 + Duration::from_secs(i)), None);
        }
        assert_eq!(r.allow("auth", t0), Some(0), "keys are independent");
        assert_eq!(r.allow("ttl", t0 + Duration::from_secs(11)), Some(5));
    }
}
