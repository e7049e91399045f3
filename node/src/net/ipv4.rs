//! Parsing the IPv4 header that Linux hands to IPv4 raw sockets.
//!
//! An IPv4 raw socket receives the whole datagram, IP header included; the
//! VRRP layer needs the TTL (RFC 9568 §7.1: drop unless 255), the source
//! and destination, and the VRRP part. This is network input: every length
//! is checked and nothing here can panic.

use std::net::Ipv4Addr;
use std::ops::Range;

/// Why a received IPv4 datagram could not be taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// Shorter than the 20-byte minimum IPv4 header.
    #[error("shorter than an IPv4 header")]
    TooShort,
    /// Version field is not 4.
    #[error("IP version is not 4")]
    NotIpv4,
    /// IHL below 5 words or past the end of the data.
    #[error("bad IPv4 header length")]
    BadHeaderLength,
    /// Total length smaller than the header or larger than what arrived.
    #[error("bad IPv4 total length")]
    BadTotalLength,
    /// Protocol is not the one the socket is for (112, VRRP).
    #[error("IP protocol is not VRRP")]
    WrongProtocol,
    /// IPv6: the kernel did not supply the hop limit or destination.
    #[error("missing IPv6 ancillary data")]
    MissingAncillary,
}

/// The fields of an IPv4 header the VRRP layer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Info {
    /// Where the payload (after header and options) lies in the packet.
    pub payload: Range<usize>,
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Time to live as received.
    pub ttl: u8,
    /// IP protocol number.
    pub protocol: u8,
}

/// Parses an IPv4 header at the start of `pkt` (header options allowed).
pub fn parse_ipv4(pkt: &[u8]) -> Result<Ipv4Info, Malformed> {
    let hdr: &[u8; 20] = pkt.get(..20).and_then(|h| h.try_into().ok()).ok_or(Malformed::TooShort)?;
    if hdr[0] >> 4 != 4 {
        return Err(Malformed::NotIpv4);
    }
    let header_len = usize::from(hdr[0] & 0x0f) * 4;
    if header_len < 20 || header_len > pkt.len() {
        return Err(Malformed::BadHeaderLength);
    }
    let total_len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    if total_len < header_len || total_len > pkt.len() {
        return Err(Malformed::BadTotalLength);
    }
    Ok(Ipv4Info {
        payload: header_len..total_len,
        src: Ipv4Addr::new(hdr[12], hdr[13], hdr[14], hdr[15]),
        dst: Ipv4Addr::new(hdr[16], hdr[17], hdr[18], hdr[19]),
        ttl: hdr[8],
        protocol: hdr[9],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header(ihl: u8, total: u16, ttl: u8) -> Vec<u8> {
        let mut h = vec![0u8; usize::from(total).max(20)];
        h[0] = 0x40 | ihl;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[8] = ttl;
        h[9] = 112;
        h[12..16].copy_from_slice(&[192, 0, 2, 11]);
        h[16..20].copy_from_slice(&[224, 0, 0, 18]);
        h
    }

    #[test]
    fn plain_header() {
        let pkt = header(5, 40, 255);
        let info = parse_ipv4(&pkt).unwrap();
        assert_eq!(info.payload, 20..40);
        assert_eq!(info.src, Ipv4Addr::new(192, 0, 2, 11));
        assert_eq!(info.dst, Ipv4Addr::new(224, 0, 0, 18));
        assert_eq!(info.ttl, 255);
        assert_eq!(info.protocol, 112);
    }

    #[test]
    fn header_with_options_and_trailing_bytes() {
        let mut pkt = header(6, 32, 64);
        pkt.extend_from_slice(&[0xee; 8]); // link-layer padding after tot_len
        let info = parse_ipv4(&pkt).unwrap();
        assert_eq!(info.payload, 24..32);
        assert_eq!(info.ttl, 64);
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(parse_ipv4(&[0x45; 19]), Err(Malformed::TooShort));
        let mut v6 = header(5, 40, 255);
        v6[0] = 0x65;
        assert_eq!(parse_ipv4(&v6), Err(Malformed::NotIpv4));
        assert_eq!(parse_ipv4(&header(4, 40, 255)), Err(Malformed::BadHeaderLength));
        let mut long_ihl = header(15, 40, 255);
        long_ihl.truncate(40);
        assert_eq!(parse_ipv4(&long_ihl), Err(Malformed::BadHeaderLength));
        let mut short_total = header(5, 40, 255);
        short_total[2..4].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(parse_ipv4(&short_total), Err(Malformed::BadTotalLength));
        let mut long_total = header(5, 40, 255);
        long_total[2..4].copy_from_slice(&41u16.to_be_bytes());
        assert_eq!(parse_ipv4(&long_total), Err(Malformed::BadTotalLength));
    }

    proptest! {
        #[test]
        fn never_panics_and_stays_in_bounds(pkt in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(info) = parse_ipv4(&pkt) {
                prop_assert!(info.payload.start <= info.payload.end);
                prop_assert!(info.payload.end <= pkt.len());
                prop_assert!(info.payload.start >= 20);
            }
        }
    }
}
