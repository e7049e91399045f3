//! keepalived's arithmetic for one tracked item (keepalived 2.2.7 `vrrp_track.c`
//! `process_script_update_priority`, `initialise_track_script_state`,
//! `initialise_interface_tracking_priorities`, and `trackers/track_file.c`
//! `update_track_file_status`), as pure functions.

/// What one tracked item does to its instance right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    /// Added to the configured priority (may be negative or zero).
    Add(i32),
    /// The instance must be in FAULT.
    Fault,
}

/// A weight as written: `weight N [reverse]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weight {
    pub weight: i32,
    pub reverse: bool,
}

impl Weight {
    /// keepalived's `weight_multiplier`: −1 with `reverse`.
    fn multiplier(self) -> i32 {
        if self.reverse {
            -1
        } else {
            1
        }
    }

    /// A script or interface that is good (`Some(true)`), failed (`Some(false)`), or not
    /// yet known (`None`: a script that has not finished its first run).
    ///
    /// Weight 0: a failure is FAULT (with `reverse`, success is). A positive weight is
    /// added while the item is good, a negative one while it has failed; `reverse` flips
    /// the sign of what is added. An unknown item adds nothing; with weight 0 it is
    /// handled by the caller (keepalived holds the instance in INIT until it is known).
    pub fn of_status(self, good: Option<bool>) -> Contribution {
        let Some(good) = good else { return Contribution::Add(0) };
        let m = self.multiplier();
        match self.weight {
            0 if good != (m == 1) => Contribution::Fault,
            0 => Contribution::Add(0),
            w if w > 0 && good => Contribution::Add(w * m),
            w if w < 0 && !good => Contribution::Add(w * m),
            _ => Contribution::Add(0),
        }
    }

    /// A tracked file holding `value`. Weight 0: a non-zero value is FAULT (with
    /// `reverse`, zero is). Otherwise `value × weight` (negated by `reverse`), limited to
    /// −254..=253, where −254 is FAULT.
    pub fn of_file(self, value: i64) -> Contribution {
        let m = self.multiplier();
        if self.weight == 0 {
            return if (value == 0) != (m == 1) { Contribution::Fault } else { Contribution::Add(0) };
        }
        let status = value.saturating_mul(i64::from(self.weight)).saturating_mul(i64::from(m)).clamp(-254, 253);
        if status == -254 {
            Contribution::Fault
        } else {
            // In -253..=253 after the clamp.
            Contribution::Add(i32::try_from(status).unwrap_or(0))
        }
    }
}

/// The priority the instance advertises: configured plus contributions, limited to
/// 1..=254 (keepalived `vrrp_set_effective_priority`). The address owner (255) is never
/// changed by weights.
pub fn effective_priority(configured: u8, total_added: i64) -> u8 {
    if configured == 255 {
        return 255;
    }
    let total = i64::from(configured).saturating_add(total_added).clamp(1, 254);
    u8::try_from(total).unwrap_or(254)
}

/// The number a tracked file holds, read as keepalived reads it (`process_track_file`):
/// C `strtol(buf, NULL, 0)` on the first 127 bytes: leading white space, an optional
/// sign, then decimal, `0x` hex or `0` octal digits; anything after the number is
/// ignored; no number (or an empty or missing file) is 0. `None` when the number is
/// outside −2³¹..=2³¹ (keepalived logs it and keeps the previous value).
pub fn parse_file_value(bytes: &[u8]) -> Option<i64> {
    let bytes = &bytes[..bytes.len().min(127)];
    let mut i = bytes.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)).count();
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let rest = &bytes[i..];
    let (radix, digits) = match rest {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => (16, &rest[2..]),
        [b'0', ..] => (8, rest),
        _ => (10, rest),
    };
    let mut value: i64 = 0;
    for &b in digits {
        let Some(d) = char::from(b).to_digit(radix) else { break };
        value = value.saturating_mul(i64::from(radix)).saturating_add(i64::from(d));
    }
    let value = if negative { -value } else { value };
    (i64::from(i32::MIN)..=i64::from(i32::MAX) + 1).contains(&value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(weight: i32, reverse: bool) -> Weight {
        Weight { weight, reverse }
    }

    /// keepalived `process_script_update_priority`: a positive weight is added while the
    /// script succeeds, a negative one while it fails.
    #[test]
    fn keepalived_script_weight_sign_decides_when_it_applies() {
        assert_eq!(w(20, false).of_status(Some(true)), Contribution::Add(20));
        assert_eq!(w(20, false).of_status(Some(false)), Contribution::Add(0));
        assert_eq!(w(-20, false).of_status(Some(true)), Contribution::Add(0));
        assert_eq!(w(-20, false).of_status(Some(false)), Contribution::Add(-20));
    }

    #[test]
    fn keepalived_reverse_flips_what_is_added() {
        assert_eq!(w(20, true).of_status(Some(true)), Contribution::Add(-20));
        assert_eq!(w(20, true).of_status(Some(false)), Contribution::Add(0));
        assert_eq!(w(-20, true).of_status(Some(false)), Contribution::Add(20));
        assert_eq!(w(-20, true).of_status(Some(true)), Contribution::Add(0));
    }

    #[test]
    fn keepalived_weight_zero_failure_is_fault_and_reverse_faults_on_success() {
        assert_eq!(w(0, false).of_status(Some(false)), Contribution::Fault);
        assert_eq!(w(0, false).of_status(Some(true)), Contribution::Add(0));
        assert_eq!(w(0, true).of_status(Some(true)), Contribution::Fault);
        assert_eq!(w(0, true).of_status(Some(false)), Contribution::Add(0));
    }

    /// keepalived: while a script is in its INIT state it adjusts nothing.
    #[test]
    fn keepalived_unknown_script_adds_nothing() {
        for weight in [-20, 0, 20] {
            assert_eq!(w(weight, false).of_status(None), Contribution::Add(0));
        }
    }

    /// keepalived `update_track_file_status`: value × weight, limited to −254..=253;
    /// −254 is FAULT; weight 0 faults on a non-zero value.
    #[test]
    fn keepalived_track_file_value_times_weight() {
        assert_eq!(w(1, false).of_file(0), Contribution::Add(0));
        assert_eq!(w(1, false).of_file(-10), Contribution::Add(-10));
        assert_eq!(w(5, false).of_file(3), Contribution::Add(15));
        assert_eq!(w(5, true).of_file(3), Contribution::Add(-15));
        assert_eq!(w(1, false).of_file(1000), Contribution::Add(253));
        assert_eq!(w(1, false).of_file(-253), Contribution::Add(-253));
        assert_eq!(w(1, false).of_file(-254), Contribution::Fault);
        assert_eq!(w(2, false).of_file(-200), Contribution::Fault);
        assert_eq!(w(1, false).of_file(i64::MIN), Contribution::Fault);
        assert_eq!(w(0, false).of_file(7), Contribution::Fault);
        assert_eq!(w(0, false).of_file(0), Contribution::Add(0));
        assert_eq!(w(0, true).of_file(0), Contribution::Fault);
        assert_eq!(w(0, true).of_file(7), Contribution::Add(0));
    }

    /// keepalived `vrrp_set_effective_priority`: 1..=254, and the owner keeps 255.
    #[test]
    fn keepalived_effective_priority_is_clamped_and_owner_is_fixed() {
        assert_eq!(effective_priority(100, -20), 80);
        assert_eq!(effective_priority(100, 0), 100);
        assert_eq!(effective_priority(100, -500), 1);
        assert_eq!(effective_priority(100, 500), 254);
        assert_eq!(effective_priority(254, 1), 254);
        assert_eq!(effective_priority(255, -100), 255);
        assert_eq!(effective_priority(1, i64::MIN), 1);
    }

    /// keepalived `process_track_file`: `strtol(buf, NULL, 0)`.
    #[test]
    fn keepalived_track_file_is_read_like_strtol_base_0() {
        assert_eq!(parse_file_value(b"42\n"), Some(42));
        assert_eq!(parse_file_value(b"  -7 trailing"), Some(-7));
        assert_eq!(parse_file_value(b"+3"), Some(3));
        assert_eq!(parse_file_value(b"0x10"), Some(16));
        assert_eq!(parse_file_value(b"010"), Some(8));
        assert_eq!(parse_file_value(b"0x"), Some(0));
        assert_eq!(parse_file_value(b"09"), Some(0));
        assert_eq!(parse_file_value(b""), Some(0));
        assert_eq!(parse_file_value(b"abc"), Some(0));
        assert_eq!(parse_file_value(b"2147483648"), Some(2_147_483_648));
        assert_eq!(parse_file_value(b"2147483649"), None);
        assert_eq!(parse_file_value(b"-2147483649"), None);
        assert_eq!(parse_file_value(b"99999999999999999999999"), None);
    }
}
