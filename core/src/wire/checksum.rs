//! The Internet checksum (RFC 1071) as VRRP uses it.
//!
//! VRRPv2 sums the VRRP message alone (RFC 3768 §5.3.8). VRRPv3 over IPv6 prepends the
//! IPv6 pseudo-header (RFC 8200 §8.1), as RFC 9568 §5.2.8 says. VRRPv3 over IPv4 is where
//! implementations split: RFC 9568 §5.2.8 reads as "the pseudo-header too", which is
//! what keepalived and FRR send, while Cisco and holo send the message-only sum. We
//! accept either on receive and let the caller choose on emit.
//!
//! [`Accumulator`] and [`internet_checksum`] are public so that the one RFC 1071 sum in
//! the project also serves the frames `vrrp-node` builds (gratuitous ARP carries none,
//! but the unsolicited Neighbour Advertisement's ICMPv6 checksum and the lab's ICMP echo
//! use this code).

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

/// Ones-complement accumulator (RFC 1071). A u64 of 16-bit words cannot overflow for any
/// slice shorter than 2^48 octets, so folding waits until [`Accumulator::finish`].
///
/// Parts added one after another are summed as one byte string only if every part but
/// the last has an even length (each call pads an odd last byte with zero).
#[derive(Clone, Copy, Debug, Default)]
pub struct Accumulator {
    sum: u64,
}

impl Accumulator {
    /// Add a byte string as big-endian 16-bit words; an odd last byte is padded with zero.
    pub fn add_bytes(&mut self, data: &[u8]) {
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

    /// Add one 16-bit word.
    pub fn add_word(&mut self, word: u16) {
        self.sum = self.sum.wrapping_add(u64::from(word));
    }

    /// Add the IPv4 (RFC 791 as TCP/UDP use it) or IPv6 (RFC 8200 §8.1) pseudo-header
    /// of an upper-layer message of `len` octets carried as IP protocol `protocol`.
    /// Returns `false`, adding nothing, when `src` and `dst` are of different families.
    pub fn add_pseudo_header(&mut self, src: IpAddr, dst: IpAddr, protocol: u8, len: usize) -> bool {
        match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                self.add_bytes(&src.octets());
                self.add_bytes(&dst.octets());
                self.add_word(u16::from(protocol));
                self.add_word(len as u16);
                true
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                self.add_bytes(&src.octets());
                self.add_bytes(&dst.octets());
                let len = len as u32;
                self.add_word((len >> 16) as u16);
                self.add_word(len as u16);
                self.add_word(u16::from(protocol));
                true
            }
            _ => false,
        }
    }

    /// The ones-complement of the folded sum: the value for the checksum field, or 0
    /// when summing a message that carries a correct checksum.
    pub fn finish(self) -> u16 {
        let mut sum = self.sum;
        while sum > 0xffff {
            sum = (sum & 0xffff).wrapping_add(sum >> 16);
        }
        !(sum as u16)
    }
}

/// The Internet checksum (RFC 1071) of `data` alone, as ICMPv4 uses it.
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut acc = Accumulator::default();
    acc.add_bytes(data);
    acc.finish()
}

/// Checksum of `message` (whose checksum field is zero or holds the value to verify),
/// optionally preceded by the pseudo-header.
pub(crate) fn compute(message: &[u8], pseudo: Option<&ChecksumContext>) -> Option<u16> {
    let mut acc = Accumulator::default();
    if let Some(ctx) = pseudo {
        if !acc.add_pseudo_header(ctx.src, ctx.dst, IP_PROTOCOL, message.len()) {
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
    fn icmpv6_pseudo_header_uses_the_given_protocol_and_a_32_bit_length() {
        // RFC 8200 §8.1: src, dst, 32-bit upper-layer length, 24 zero bits, next header.
        let src = IpAddr::V6(core::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
        let dst = IpAddr::V6(core::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1));
        let mut acc = Accumulator::default();
        assert!(acc.add_pseudo_header(src, dst, 58, 32));
        let mut by_hand = Accumulator::default();
        by_hand.add_bytes(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        by_hand.add_bytes(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        by_hand.add_bytes(&[0, 0, 0, 32, 0, 0, 0, 58]);
        assert_eq!(acc.finish(), by_hand.finish());
    }

    #[test]
    fn internet_checksum_matches_the_rfc1071_example() {
        assert_eq!(internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), !0xddf2);
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
