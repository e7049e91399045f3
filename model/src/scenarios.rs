//! The conformance scenarios' fixtures: the routers' configuration, their addresses,
//! and the adverts a peer sends, well-formed or broken in one field.
//!
//! Shared by vrrp-core's conformance suite (core/tests/conformance.rs, which asserts on
//! each scenario) and benches/replay's `export-traces` (which writes the same scenarios
//! as input traces for the firmware), so both feed the core the same bytes. The router
//! under test is 192.0.2.11 (fe80::11 over IPv6) in VRID 51 on interface 1, its peer
//! 192.0.2.12; VRRPv2 routers authenticate with the simple-text password `XXXXXX`.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::wire::{Auth, Version, GROUP_V4, GROUP_V6};
use vrrp_core::{Instance, InstanceConfig};

/// 192.0.2.`last`.
pub fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

/// fe80::`last`.
pub fn ll6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last))
}

/// 2001:db8::`last`.
pub fn global6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

/// The IPv6 VIP, 2001:db8::1.
pub fn vip6() -> IpAddr {
    global6(1)
}

/// The VRRP multicast group of `a`'s family.
pub fn group(a: &IpAddr) -> IpAddr {
    match a {
        IpAddr::V4(_) => IpAddr::V4(GROUP_V4),
        IpAddr::V6(_) => IpAddr::V6(GROUP_V6),
    }
}

/// VRID 51 on interface 1 at `priority` with primary address `primary`, one VIP
/// (192.0.2.1, or 2001:db8::1 over IPv6), and the password `XXXXXX` for v2.
pub fn cfg(version: Version, priority: u8, primary: IpAddr) -> InstanceConfig {
    let mut c = InstanceConfig::new(1, 51, version, primary);
    c.priority = priority;
    // The list holds 32 addresses: the first cannot fail.
    let _ = c.vips.push(if primary.is_ipv4() { a4(1) } else { vip6() });
    if version == Version::V2 {
        c.auth = Auth::simple_text(b"XXXXXX");
    }
    c
}

/// The v3 peer, 192.0.2.12, at `priority`.
pub fn peer_v3(priority: u8) -> InstanceConfig {
    cfg(Version::V3, priority, a4(12))
}

/// The advert an instance configured as `peer` sends with `priority`.
///
/// # Panics
/// If `peer` is not a valid configuration (a fixture bug).
pub fn bytes_from(peer: &InstanceConfig, priority: u8) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = Instance::new(peer.clone()).expect("valid peer").write_advert(priority, &mut buf).expect("fits");
    buf[..n].to_vec()
}

/// Recomputes the checksum after a mutation (the message-only form, which v3 over IPv4
/// and v2 accept).
pub fn refix(bytes: &mut [u8]) {
    bytes[6] = 0;
    bytes[7] = 0;
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    bytes[6..8].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

/// `advert` with version 5 (checksum fixed): RFC 9568 §7.1 ¶2.
pub fn wrong_version(advert: &[u8]) -> Vec<u8> {
    mutated(advert, |b| b[0] = 0x51)
}

/// `advert` with four bytes more than its Count says (checksum fixed): §7.1 ¶3.
pub fn too_long(advert: &[u8]) -> Vec<u8> {
    mutated(advert, |b| b.extend_from_slice(&[0, 0, 0, 0]))
}

/// `advert` with one checksum bit flipped: §7.1 ¶4.
pub fn bad_checksum(advert: &[u8]) -> Vec<u8> {
    let mut b = advert.to_vec();
    b[7] ^= 1;
    b
}

/// `advert` as type 2, not ADVERTISEMENT (checksum fixed): §5.2.2.
pub fn wrong_type(advert: &[u8]) -> Vec<u8> {
    mutated(advert, |b| b[0] = 0x32)
}

/// `advert` with Count 0 and no addresses (checksum fixed): §5.2.5.
pub fn no_addresses(advert: &[u8]) -> Vec<u8> {
    mutated(advert, |b| {
        b[3] = 0;
        b.truncate(8);
    })
}

/// `advert` with Max Adver Int 0 (checksum fixed): §5.2.7.
pub fn zero_interval(advert: &[u8]) -> Vec<u8> {
    mutated(advert, |b| {
        b[4] = 0;
        b[5] = 0;
    })
}

fn mutated(advert: &[u8], change: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = advert.to_vec();
    change(&mut b);
    refix(&mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrrp_core::RxError;

    /// Each broken advert is refused for the reason it was broken for (and the intact
    /// one is accepted), by a backup configured as the scenarios' router under test.
    #[test]
    fn each_mutation_breaks_the_field_it_names() {
        let good = bytes_from(&peer_v3(200), 200);
        let rx = |bytes: &[u8]| {
            let mut i = Instance::new(cfg(Version::V3, 100, a4(11))).expect("valid");
            i.handle_startup(vrrp_core::Instant::from_millis(0));
            let src = a4(12);
            i.handle_packet(vrrp_core::Instant::from_millis(10), src, group(&src), 255, bytes).map(|_| ())
        };
        assert_eq!(rx(&good), Ok(()));
        assert_eq!(rx(&wrong_version(&good)), Err(RxError::Version(5)));
        assert_eq!(rx(&too_long(&good)), Err(RxError::Length));
        assert_eq!(rx(&bad_checksum(&good)), Err(RxError::Checksum));
        assert_eq!(rx(&wrong_type(&good)), Err(RxError::InvalidType(2)));
        assert_eq!(rx(&no_addresses(&good)), Err(RxError::NoAddresses));
        assert_eq!(rx(&zero_interval(&good)), Err(RxError::ZeroInterval));
    }
}
