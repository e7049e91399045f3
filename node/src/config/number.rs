//! Number syntax, done in fixed point: intervals like `0.01` must become
//! exact centiseconds, which binary floating point cannot promise.

/// Why a decimal was refused; the caller turns this into a message that says
/// what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalError {
    NotANumber,
    /// More precision than 0.01 (keepalived's VRRPv3 resolution).
    TooPrecise,
    TooLarge,
}

/// Plain unsigned decimal integer: no sign, no spaces, no hex, so that typos
/// like `1O0` are rejected instead of half-parsed as C's strtoul would.
pub(crate) fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `SECONDS[.FRACTION]` to centiseconds. Extra fractional digits are allowed
/// only when they are zeros (`0.010` is 1 cs, `0.015` is refused).
pub(crate) fn parse_centis(s: &str) -> Result<u64, DecimalError> {
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(DecimalError::NotANumber);
    }
    let int_part = int_part.trim_start_matches('0');
    let whole: u64 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| DecimalError::TooLarge)? };
    let mut frac_digits = frac_part.bytes().map(|b| u64::from(b - b'0'));
    let tenths = frac_digits.next().unwrap_or(0);
    let hundredths = frac_digits.next().unwrap_or(0);
    if frac_digits.any(|d| d != 0) {
        return Err(DecimalError::TooPrecise);
    }
    whole.checked_mul(100).and_then(|cs| cs.checked_add(tenths * 10 + hundredths)).ok_or(DecimalError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint() {
        assert_eq!(parse_uint("0"), Some(0));
        assert_eq!(parse_uint("255"), Some(255));
        assert_eq!(parse_uint("+1"), None);
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_uint(""), None);
        assert_eq!(parse_uint("1.0"), None);
        assert_eq!(parse_uint("99999999999999999999999"), None);
    }

    #[test]
    fn centis() {
        assert_eq!(parse_centis("0.01"), Ok(1));
        assert_eq!(parse_centis("1"), Ok(100));
        assert_eq!(parse_centis("2.5"), Ok(250));
        assert_eq!(parse_centis("40.95"), Ok(4095));
        assert_eq!(parse_centis("0.010"), Ok(1));
        assert_eq!(parse_centis(".5"), Ok(50));
        assert_eq!(parse_centis("3."), Ok(300));
        assert_eq!(parse_centis("007"), Ok(700));
        assert_eq!(parse_centis("0.015"), Err(DecimalError::TooPrecise));
        assert_eq!(parse_centis("."), Err(DecimalError::NotANumber));
        assert_eq!(parse_centis(""), Err(DecimalError::NotANumber));
        assert_eq!(parse_centis("1e3"), Err(DecimalError::NotANumber));
        assert_eq!(parse_centis("-1"), Err(DecimalError::NotANumber));
        assert_eq!(parse_centis("1.2.3"), Err(DecimalError::NotANumber));
        assert_eq!(parse_centis("999999999999999999999"), Err(DecimalError::TooLarge));
    }
}
