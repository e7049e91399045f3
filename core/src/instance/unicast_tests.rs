//! keepalived's unicast receive rules (`unicast_peer`; keepalived 2.2.7 vrrp.c
//! `vrrp_check_packet`), and vrrpd's unlisted-sender filter.

extern crate std;

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::config::UnicastPeer;
use crate::stats::ProtoErrReason;
use crate::wire::{ChecksumForm, GROUP_V4};

fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

/// A VRRPv3 IPv4 config with the message-only checksum, so one advert is valid whatever
/// its destination (the pseudo-header form is retargeted per peer by the sender).
fn cfg(priority: u8, primary: IpAddr, peers: &[UnicastPeer]) -> InstanceConfig {
    let mut c = InstanceConfig::new(7, 51, Version::V3, primary);
    c.priority = priority;
    c.checksum_form = ChecksumForm::MessageOnly;
    c.vips.push(a4(1)).unwrap();
    for p in peers {
        c.unicast_peers.push(*p).unwrap();
    }
    c
}

fn advert(peer: &InstanceConfig, priority: u8) -> std::vec::Vec<u8> {
    let inst = Instance::new(peer.clone()).unwrap();
    let mut buf = [0u8; 256];
    let n = inst.write_advert(priority, &mut buf).unwrap();
    buf[..n].to_vec()
}

/// A unicast backup at .11 listing `peers`.
fn unicast_backup(peers: &[UnicastPeer]) -> Instance {
    let mut i = Instance::new(cfg(100, a4(11), peers)).unwrap();
    i.handle_startup(Instant::ZERO);
    while i.poll_action().is_some() {}
    i
}

#[test]
fn keepalived_vrrp_check_packet_unicast_skips_the_ttl_255_check() {
    let mut i = unicast_backup(&[UnicastPeer::new(a4(12))]);
    let bytes = advert(&cfg(200, a4(12), &[]), 200);
    // Routed on the way: TTL 250 is accepted from a listed peer with the default range.
    let got = i.handle_packet(Instant::from_millis(10), a4(12), a4(11), 250, &bytes);
    assert_eq!(got.map(|a| a.priority), Ok(200));
    assert_eq!(i.stats().ip_ttl_errors, 0);
    assert_eq!(i.master().map(|m| m.address), Some(a4(12)));
}

#[test]
fn unicast_unlisted_sender_is_dropped_and_counted() {
    let mut i = unicast_backup(&[UnicastPeer::new(a4(12))]);
    let bytes = advert(&cfg(254, a4(66), &[]), 254);
    let got = i.handle_packet(Instant::from_millis(10), a4(66), a4(11), 255, &bytes);
    assert_eq!(got, Err(RxError::UnlistedSource));
    assert_eq!(i.stats().unicast_source_errors, 1);
    assert_eq!(i.stats().rcvd_advertisements, 0);
    assert_eq!(i.master(), None, "the unlisted sender was not followed");
}

#[test]
fn keepalived_vrrp_check_packet_min_max_ttl_bound_a_listed_peer() {
    let peer = UnicastPeer { address: a4(12), min_ttl: 250, max_ttl: 254 };
    let mut i = unicast_backup(&[peer]);
    let bytes = advert(&cfg(200, a4(12), &[]), 200);
    let now = Instant::from_millis(10);
    assert_eq!(
        i.handle_packet(now, a4(12), a4(11), 255, &bytes),
        Err(RxError::TtlOutOfRange { ttl: 255, min: 250, max: 254 })
    );
    assert_eq!(
        i.handle_packet(now, a4(12), a4(11), 249, &bytes),
        Err(RxError::TtlOutOfRange { ttl: 249, min: 250, max: 254 })
    );
    assert_eq!(i.stats().ip_ttl_errors, 2);
    assert_eq!(i.stats().proto_err_reason, ProtoErrReason::IpTtlError);
    assert!(i.handle_packet(now, a4(12), a4(11), 250, &bytes).is_ok());
}

#[test]
fn keepalived_vrrp_check_packet_unicast_instance_refuses_multicast_adverts() {
    let mut i = unicast_backup(&[UnicastPeer::new(a4(12))]);
    let bytes = advert(&cfg(200, a4(12), &[]), 200);
    let got = i.handle_packet(Instant::from_millis(10), a4(12), IpAddr::V4(GROUP_V4), 255, &bytes);
    assert_eq!(got, Err(RxError::MulticastToUnicast));
    assert_eq!(i.stats().address_list_errors, 1);
}

#[test]
fn rfc9568_7_1_multicast_instance_keeps_the_ttl_255_check() {
    let mut i = unicast_backup(&[]);
    let bytes = advert(&cfg(200, a4(12), &[]), 200);
    let got = i.handle_packet(Instant::from_millis(10), a4(12), IpAddr::V4(GROUP_V4), 250, &bytes);
    assert_eq!(got, Err(RxError::Ttl(250)));
}

#[test]
fn a_unicast_peer_of_the_other_family_is_refused() {
    let mut c = cfg(100, a4(11), &[]);
    c.unicast_peers.push(UnicastPeer::new("fe80::2".parse().unwrap())).unwrap();
    assert_eq!(c.validate(), Err(crate::ConfigError::UnicastPeerFamily));
}

fn g6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

/// An advert from `peer` summed for destination `dst` (IPv6 checksums always cover the
/// pseudo-header, RFC 9568 §5.2.8), as a unicast sender writes it.
fn advert_to(peer: &InstanceConfig, priority: u8, dst: IpAddr) -> std::vec::Vec<u8> {
    let header =
        AdvertHeader { vrid: peer.vrid, priority, variant: Variant::V3 { max_adver_int_cs: peer.advert_interval_cs } };
    let ctx = ChecksumContext { src: peer.primary_address, dst };
    let mut buf = [0u8; 256];
    let n = header.emit(peer.vips.iter().copied(), &mut buf, &ctx, peer.checksum_form).unwrap();
    buf[..n].to_vec()
}

/// An IPv6 VRRPv3 config at `primary` listing `peers`, with one global VIP.
fn cfg6(priority: u8, primary: IpAddr, peers: &[UnicastPeer]) -> InstanceConfig {
    let mut c = InstanceConfig::new(7, 51, Version::V3, primary);
    c.priority = priority;
    c.checksum_form = ChecksumForm::MessageOnly;
    c.vips.push(g6(1)).unwrap();
    for p in peers {
        c.unicast_peers.push(*p).unwrap();
    }
    c
}

#[test]
fn keepalived_vrrp_c_2972_ipv6_unicast_peers_may_be_global_addresses() {
    // keepalived 2.2.7 sends IPv6 unicast adverts from a global unicast_src_ip to global
    // peers, and its receiver does not ask for a link-local source: a unicast instance
    // follows the listed global peer.
    let mut i = Instance::new(cfg6(100, g6(11), &[UnicastPeer::new(g6(12))])).unwrap();
    i.handle_startup(Instant::ZERO);
    while i.poll_action().is_some() {}
    let bytes = advert_to(&cfg6(200, g6(12), &[]), 200, g6(11));
    let got = i.handle_packet(Instant::from_millis(10), g6(12), g6(11), 255, &bytes);
    assert_eq!(got.map(|a| a.priority), Ok(200));
    assert_eq!(i.stats().source_address_errors, 0);
    assert_eq!(i.master().map(|m| m.address), Some(g6(12)));
    // An unlisted global sender is still dropped by the peer filter.
    let rogue = advert_to(&cfg6(254, g6(66), &[]), 254, g6(11));
    assert_eq!(i.handle_packet(Instant::from_millis(20), g6(66), g6(11), 255, &rogue), Err(RxError::UnlistedSource));
}

#[test]
fn keepalived_unicast_ttl_0_adverts_are_accepted_from_a_listed_peer() {
    // keepalived sends `unicast_ttl 0` as TTL 0 on the wire (its own IP header, vrrp.c
    // 1174); a peer's default min_ttl is 0, so such adverts are followed.
    let mut i = unicast_backup(&[UnicastPeer::new(a4(12))]);
    let bytes = advert(&cfg(200, a4(12), &[]), 200);
    let got = i.handle_packet(Instant::from_millis(10), a4(12), a4(11), 0, &bytes);
    assert_eq!(got.map(|a| a.priority), Ok(200));
}
