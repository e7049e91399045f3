//! The Internet checksum (RFC 1071) as VRRP uses it.
//!
//! VRRPv2 sums the VRRP message alone (RFC 3768 §5.3.8). VRRPv3 over IPv6 prepends the
//! IPv6 pseudo-header (RFC 8200 §8.1), as RFC 9568 §5.2.8 says. VRRPv3 over IPv4 is where
//! implementations split: RFC 9568 §5.2.8 reads as "the pseudo-header too", which is
//! what keepalived and FRR send, while Cisco and holo send the message-only sum. We
//! accept either on receive and let the caller choose on emit.

use core::net::IpAddr;

use super::IP_PROTOCOL;

/// Which octets a VRRPv3-over-IPv4 checksum covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum ChecksumForm {
    /// Pseudo-header plus message (keepalived, FRR). The default, for interop with keepalived.
    #[default]
    PseudoHeader,
    /// The VRRP message alone (RFC 9568 read strictly, Cisco, holo).
    MessageOnly,
}

/// The IP addresses the advert travels between; the pseudo-header needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChecksumContext {
    /// IP source address of the packet.
    pub src: IpAddr,
    /// IP destination address of the packet (the VRRP group, normally).
    pub dst: IpAddr,
}

/// Ones-complement accumulator. A u64 of 16-bit words cannot overflow for any slice
/// shorter than 2^48 octets, so folding waits until [`Accumulator::finish`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Accumulator {
    sum: u64,
}

impl Accumulator {
    /// Add a byte string as big-endian 16-bit words; an odd last byte is padded with zero.
    pub(crate) fn add_bytes(&mut self, data: &[u8]) {
        let mut chunks = data.chunks_exact(2);
        let mut sum = self.sum;
        for pair in &mut chunks {
            if let [hi, lo] = pair {
                sum = sum.wrapping_add(u64::from(u16::from_be_bytes([*hi, *lo])));
            }
        }
        if let [last] = chunks.remainder() {
            sum = sum.wrapping_add(u64::from(u16::from_be_bytes([*last, 0])));
        }
        self.sum = sum;
    }

    pub(crate) fn add_word(&mut self, word: u16) {
        self.sum = self.sum.wrapping_add(u64::from(word));
    }

    /// The ones-complement of the folded sum.
    pub(crate) fn finish(self) -> u16 {
        let mut sum = self.sum;
        while sum > 0xffff {
            sum = (sum & 0xffff).wrapping_add(sum >> 16);
        }
        !(sum as u16)
    }
}

/// Adds the IPv4 or IPv6 pseudo-header for a VRRP message of `len` octets.
/// Returns `false` when `src` and `dst` are of different families.
pub(crate) fn add_pseudo_header(acc: &mut Accumulator, ctx: &ChecksumContext, len: usize) -> bool {
    match (ctx.src, ctx.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            acc.add_bytes(&src.octets());
            acc.add_bytes(&dst.octets());
            acc.add_word(u16::from(IP_PROTOCOL));
            acc.add_word(len as u16);
            true
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            acc.add_bytes(&src.octets());
            acc.add_bytes(&dst.octets());
            let len = len as u32;
            acc.add_word((len >> 16) as u16);
            acc.add_word(len as u16);
            acc.add_word(u16::from(IP_PROTOCOL));
            true
        }
        _ => false,
    }
}

/// Checksum of `message` (whose checksum field is zero or holds the value to verify),
/// optionally preceded by the pseudo-header.
pub(crate) fn compute(message: &[u8], pseudo: Option<&ChecksumContext>) -> Option<u16> {
    let mut acc = Accumulator::default();
    if let Some(ctx) = pseudo {
        if !add_pseudo_header(&mut acc, ctx, message.len()) {
            return None;
        }
    }
    acc.add_bytes(message);
    Some(acc.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_sums_to_known_value() {
        // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2, checksum !0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(compute(&data, None), Some(!0xddf2));
    }

    #[test]
    fn odd_length_is_zero_padded() {
        assert_eq!(compute(&[0x12], None), compute(&[0x12, 0x00], None));
    }

    #[test]
    fn a_message_carrying_its_checksum_sums_to_zero() {
        let mut data = [0x31, 0x33, 0x65, 0x01, 0x00, 0x64, 0x00, 0x00, 192, 0, 2, 1];
        let sum = compute(&data, None).unwrap_or_default().to_be_bytes();
        data[6] = sum[0];
        data[7] = sum[1];
        assert_eq!(compute(&data, None), Some(0));
    }

    #[test]
    fn mixed_family_pseudo_header_is_refused() {
        let ctx = ChecksumContext {
            src: IpAddr::V4(core::net::Ipv4Addr::new(192, 0, 2, 1)),
            dst: IpAddr::V6(core::net::Ipv6Addr::LOCALHOST),
        };
        assert_eq!(compute(&[1, 2], Some(&ctx)), None);
    }

    #[test]
    fn long_input_does_not_overflow_the_accumulator() {
        let data = [0xffu8; 4096];
        assert_eq!(compute(&data, None), Some(0));
    }
}
