//! The host side of keepalived 2.4's `auth_hmac`: HMAC-SHA256 from the RustCrypto `hmac`
//! and `sha2` crates, and the UTC clock, behind the core's
//! [`vrrp_core::wire::hmac::Authenticator`]. The keys stay in the core's configuration;
//! this holds no state, so one static serves every instance.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use vrrp_core::wire::hmac::{Authenticator, WallClock};

/// HMAC-SHA256 and `CLOCK_REALTIME`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemAuthenticator;

/// The one authenticator vrrpd's instances share.
pub static SYSTEM: SystemAuthenticator = SystemAuthenticator;

impl Authenticator for SystemAuthenticator {
    fn hmac_sha256(&self, key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        // HMAC takes a key of any length (RFC 2104 §2); the error arm cannot be reached,
        // and a zero digest would only make verification fail.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
            return [0; 32];
        };
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    fn wall_clock(&self) -> WallClock {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        // keepalived truncates the seconds to 32 bits the same way (`(uint32_t)ts.tv_sec`).
        WallClock { secs: since.as_secs() as u32, subsec: WallClock::subsec_from_nanos(since.subsec_nanos()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc4231_test_case_1_and_2() {
        let got = SYSTEM.hmac_sha256(&[0x0b; 20], &[b"Hi ", b"There"]);
        assert_eq!(got.to_vec(), hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
        let got = SYSTEM.hmac_sha256(b"Jefe", &[b"what do ya want ", b"", b"for nothing?"]);
        assert_eq!(got.to_vec(), hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    }

    #[test]
    fn rfc4231_test_case_6_key_longer_than_a_block_is_hashed_first() {
        let got = SYSTEM.hmac_sha256(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(got.to_vec(), hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
    }

    #[test]
    fn the_wall_clock_is_utc_now() {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as u32;
        let c = SYSTEM.wall_clock();
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as u32;
        assert!((before..=after).contains(&c.secs), "{c:?} not in {before}..={after}");
    }
}
