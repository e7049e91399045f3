//! Known-answer tests: adverts captured from keepalived 2.2.7 (Debian 12) in a network
//! namespace by `scripts/capture-keepalived-vectors.sh`; see `tests/vectors/README.md`.
//! Each must parse to the fields keepalived was configured with, and our emitter must
//! reproduce keepalived's VRRP bytes exactly, checksum included.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::wire::{AddressList, AdvertRepr, Auth, ChecksumContext, ChecksumForm, Packet, Variant};
use vrrp_core::{Instance, InstanceConfig, Instant, State};

struct Captured {
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    vrrp: Vec<u8>,
}

fn load(hex: &str) -> Captured {
    let clean: String = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let ip: Vec<u8> = (0..clean.len()).step_by(2).map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap()).collect();
    match ip[0] >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            assert_eq!(ip[9], 112, "protocol");
            Captured {
                src: IpAddr::V4(Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15])),
                dst: IpAddr::V4(Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19])),
                ttl: ip[8],
                vrrp: ip[ihl..total].to_vec(),
            }
        }
        6 => {
            let plen = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
            assert_eq!(ip[6], 112, "next header");
            let addr = |at: usize| IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&ip[at..at + 16]).unwrap()));
            Captured { src: addr(8), dst: addr(24), ttl: ip[7], vrrp: ip[40..40 + plen].to_vec() }
        }
        v => panic!("not an IP packet: version {v}"),
    }
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn check(cap: &Captured, want: &AdvertRepr) {
    assert_eq!(cap.ttl, 255, "keepalived sends TTL/hop limit 255");
    let ctx = ChecksumContext { src: cap.src, dst: cap.dst };
    let repr = AdvertRepr::parse(&Packet::new_unchecked(&cap.vrrp[..]), &ctx).unwrap();
    assert_eq!(&repr, want);
    let mut buf = [0u8; 512];
    let n = repr.emit(&mut buf, &ctx, ChecksumForm::PseudoHeader).unwrap();
    assert_eq!(&buf[..n], &cap.vrrp[..], "our emitter reproduces keepalived's bytes");
}

#[test]
fn keepalived_v2_pass_advert() {
    let cap = load(include_str!("vectors/v2-pass.ip.hex"));
    assert_eq!((cap.src, cap.dst), (v4(192, 0, 2, 11), v4(224, 0, 0, 18)));
    let want = AdvertRepr {
        vrid: 200,
        priority: 101,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::simple_text(b"XXXXXX") },
        addresses: AddressList::from_addrs(&[v4(192, 0, 2, 1)]).unwrap(),
    };
    check(&cap, &want);
}

#[test]
fn keepalived_v2_priority_zero_on_shutdown() {
    let cap = load(include_str!("vectors/v2-priority0.ip.hex"));
    let want = AdvertRepr {
        vrid: 200,
        priority: 0,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::simple_text(b"XXXXXX") },
        addresses: AddressList::from_addrs(&[v4(192, 0, 2, 1)]).unwrap(),
    };
    check(&cap, &want);
}

#[test]
fn keepalived_v3_ipv4_uses_the_pseudo_header_checksum() {
    let cap = load(include_str!("vectors/v3-ipv4.ip.hex"));
    let want = AdvertRepr {
        vrid: 51,
        priority: 101,
        variant: Variant::V3 { max_adver_int_cs: 100 },
        addresses: AddressList::from_addrs(&[v4(192, 0, 2, 1), v4(192, 0, 2, 2)]).unwrap(),
    };
    check(&cap, &want);
    let ctx = ChecksumContext { src: cap.src, dst: cap.dst };
    assert_eq!(
        AdvertRepr::checksum_form(&Packet::new_unchecked(&cap.vrrp[..]), &ctx),
        Some(ChecksumForm::PseudoHeader)
    );
}

#[test]
fn keepalived_v3_ipv6_advert_from_link_local() {
    let cap = load(include_str!("vectors/v3-ipv6.ip.hex"));
    match cap.src {
        IpAddr::V6(a) => assert!(a.is_unicast_link_local()),
        IpAddr::V4(_) => panic!("IPv6 expected"),
    }
    let vip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    let want = AdvertRepr {
        vrid: 52,
        priority: 150,
        variant: Variant::V3 { max_adver_int_cs: 50 },
        addresses: AddressList::from_addrs(&[vip]).unwrap(),
    };
    check(&cap, &want);
}

/// Our own instance, configured as keepalived was, writes the very same advert.
#[test]
fn instance_configured_like_keepalived_writes_identical_v2_advert() {
    let cap = load(include_str!("vectors/v2-pass.ip.hex"));
    let mut cfg = InstanceConfig::new(1, 200, vrrp_core::wire::Version::V2, cap.src);
    cfg.priority = 101;
    cfg.auth = Auth::simple_text(b"XXXXXX");
    cfg.vips.push(v4(192, 0, 2, 1)).unwrap();
    let inst = Instance::new(cfg).unwrap();
    let mut buf = [0u8; 64];
    let n = inst.write_advert(101, &mut buf).unwrap();
    assert_eq!(&buf[..n], &cap.vrrp[..]);
}

/// A backup of ours accepts keepalived's advert and keeps following it.
#[test]
fn backup_accepts_keepalived_v3_ipv6_advert_and_learns_its_interval() {
    let cap = load(include_str!("vectors/v3-ipv6.ip.hex"));
    let own = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x12));
    let mut cfg = InstanceConfig::new(1, 52, vrrp_core::wire::Version::V3, own);
    cfg.vips.push(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))).unwrap();
    let mut inst = Instance::new(cfg).unwrap();
    inst.handle_startup(Instant::ZERO);
    let got = inst.handle_packet(Instant::from_millis(10), cap.src, cap.dst, cap.ttl, &cap.vrrp).unwrap();
    assert_eq!(got.priority, 150);
    assert!(!got.address_list_mismatch);
    assert_eq!(inst.state(), State::Backup);
    assert_eq!(inst.master_adver_interval_cs(), 50);
}

/// keepalived 2.2.7 runs a VRRPv2 instance without `virtual_ipaddress` ("No VIP
/// specified; at least one is sensible", vrrp.c 2901) and advertises Count 0 with the
/// 8 octets of (empty) auth data (vrrp.c 1252 `vrrp_build_vrrp_v2`); RFC 3768 §5.3.5
/// sets no minimum Count.
fn no_vip_advert() -> AdvertRepr {
    AdvertRepr {
        vrid: 53,
        priority: 100,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::None },
        addresses: AddressList::V4(heapless::Vec::new()),
    }
}

#[test]
fn rfc3768_5_3_5_keepalived_v2_advert_without_vips_has_count_zero() {
    let cap = load(include_str!("vectors/v2-no-vip.ip.hex"));
    assert_eq!((cap.src, cap.dst), (v4(192, 0, 2, 11), v4(224, 0, 0, 18)));
    assert_eq!(cap.vrrp.len(), 16, "8-octet header and 8 octets of auth data, no address");
    assert_eq!(cap.vrrp[3], 0, "Count IP Addrs");
    check(&cap, &no_vip_advert());
}

/// Our instance without VIPs, configured as keepalived was, writes keepalived's advert,
/// and a backup of ours without VIPs follows keepalived's (the empty lists match).
#[test]
fn rfc3768_5_3_5_instance_without_vips_writes_and_follows_keepalived_s_advert() {
    let cap = load(include_str!("vectors/v2-no-vip.ip.hex"));
    let cfg = InstanceConfig::new(1, 53, vrrp_core::wire::Version::V2, cap.src);
    let inst = Instance::new(cfg).unwrap();
    let mut buf = [0u8; 64];
    let n = inst.write_advert(100, &mut buf).unwrap();
    assert_eq!(&buf[..n], &cap.vrrp[..]);

    let mut cfg = InstanceConfig::new(1, 53, vrrp_core::wire::Version::V2, v4(192, 0, 2, 12));
    cfg.priority = 90;
    let mut backup = Instance::new(cfg).unwrap();
    backup.handle_startup(Instant::ZERO);
    assert_eq!(backup.state(), State::Backup);
    let got = backup.handle_packet(Instant::from_millis(10), cap.src, cap.dst, cap.ttl, &cap.vrrp).unwrap();
    assert_eq!(got.priority, 100);
    assert!(!got.address_list_mismatch);
    assert_eq!(backup.state(), State::Backup);
}

fn v6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

fn v2_ipv6_advert(priority: u8) -> AdvertRepr {
    AdvertRepr {
        vrid: 54,
        priority,
        variant: Variant::V2 { adver_int_s: 2, auth: Auth::None },
        addresses: AddressList::from_addrs(&[v6(1), v6(2)]).unwrap(),
    }
}

/// keepalived 2.2.7 with `version 2` and IPv6 addresses (no vrrp_strict, vrrp.c 2863)
/// sends VRRPv2 over IPv6 from the link-local address to ff02::12: the 8-octet header
/// with Adver Int in seconds and the addresses, no auth data (vrrp.c 278
/// `vrrp_pkt_len`), the checksum the kernel fills in with the IPv6 pseudo-header
/// (IPV6_CHECKSUM offset 6, vrrp_if.c 1141). Parse and emit round-trip it byte for byte.
#[test]
fn keepalived_v2_over_ipv6_advert_has_no_auth_data_and_the_ipv6_pseudo_header_checksum() {
    let cap = load(include_str!("vectors/v2-ipv6.ip.hex"));
    match cap.src {
        IpAddr::V6(a) => assert!(a.is_unicast_link_local()),
        IpAddr::V4(_) => panic!("IPv6 expected"),
    }
    assert_eq!(cap.dst, IpAddr::V6(vrrp_core::wire::GROUP_V6));
    assert_eq!(cap.vrrp[0], 0x21, "VRRPv2 advertisement");
    assert_eq!(cap.vrrp.len(), 8 + 2 * 16, "header and two IPv6 addresses, no auth data");
    check(&cap, &v2_ipv6_advert(120));
    let ctx = ChecksumContext { src: cap.src, dst: cap.dst };
    assert_eq!(
        AdvertRepr::checksum_form(&Packet::new_unchecked(&cap.vrrp[..]), &ctx),
        Some(ChecksumForm::PseudoHeader)
    );
}

/// The priority-0 advert keepalived sends over IPv6 when stopped while MASTER.
#[test]
fn keepalived_v2_over_ipv6_priority_zero_on_shutdown() {
    let cap = load(include_str!("vectors/v2-ipv6-priority0.ip.hex"));
    check(&cap, &v2_ipv6_advert(0));
}

/// `auth_type PASS` over IPv6: keepalived keeps it (vrrp.c 2941 drops only AH there) and
/// sends Auth Type 1 with no password (vrrp.c 1254, 1264-1282), which parses as eight zero
/// octets and emits back to the same bytes.
#[test]
fn keepalived_v2_over_ipv6_pass_sends_auth_type_1_and_no_password() {
    let cap = load(include_str!("vectors/v2-ipv6-pass.ip.hex"));
    assert_eq!(cap.vrrp.len(), 8 + 16, "no password on the wire");
    assert_eq!(cap.vrrp[4], 1, "Auth Type 1");
    let want = AdvertRepr {
        vrid: 55,
        priority: 101,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::SimpleText([0; 8]) },
        addresses: AddressList::from_addrs(&[v6(1)]).unwrap(),
    };
    check(&cap, &want);
}

/// Our instance configured as keepalived was (`version 2`, two IPv6 VIPs, 2 s, priority
/// 120, from keepalived's link-local address) writes keepalived's very advert, and a
/// backup of ours follows keepalived's.
#[test]
fn instance_configured_like_keepalived_writes_and_follows_its_v2_over_ipv6_advert() {
    let cap = load(include_str!("vectors/v2-ipv6.ip.hex"));
    let mut cfg = InstanceConfig::new(1, 54, vrrp_core::wire::Version::V2, cap.src);
    cfg.priority = 120;
    cfg.advert_interval_cs = 200;
    cfg.vips.push(v6(1)).unwrap();
    cfg.vips.push(v6(2)).unwrap();
    let inst = Instance::new(cfg).unwrap();
    let mut buf = [0u8; 64];
    let n = inst.write_advert(120, &mut buf).unwrap();
    assert_eq!(&buf[..n], &cap.vrrp[..]);

    let own = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x12));
    let mut cfg = InstanceConfig::new(1, 54, vrrp_core::wire::Version::V2, own);
    cfg.priority = 100;
    cfg.advert_interval_cs = 200;
    cfg.vips.push(v6(1)).unwrap();
    cfg.vips.push(v6(2)).unwrap();
    let mut backup = Instance::new(cfg).unwrap();
    backup.handle_startup(Instant::ZERO);
    assert_eq!(backup.state(), State::Backup);
    let got = backup.handle_packet(Instant::from_millis(10), cap.src, cap.dst, cap.ttl, &cap.vrrp).unwrap();
    assert_eq!(got.priority, 120);
    assert!(!got.address_list_mismatch);
    assert_eq!(backup.state(), State::Backup);
}

/// vrrpd runs `auth_type PASS` over IPv6 without authentication (VRRPv2 over IPv6 has no
/// room for the password); keepalived's Auth Type 1 adverts there are dropped as an auth
/// type mismatch (RFC 3768 §7.1), counted, never a panic.
#[test]
fn rfc3768_7_1_backup_without_auth_drops_keepalived_s_v2_over_ipv6_pass_advert() {
    let cap = load(include_str!("vectors/v2-ipv6-pass.ip.hex"));
    let own = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x12));
    let mut cfg = InstanceConfig::new(1, 55, vrrp_core::wire::Version::V2, own);
    cfg.vips.push(v6(1)).unwrap();
    let mut backup = Instance::new(cfg).unwrap();
    backup.handle_startup(Instant::ZERO);
    let got = backup.handle_packet(Instant::from_millis(10), cap.src, cap.dst, cap.ttl, &cap.vrrp);
    assert_eq!(got.err(), Some(vrrp_core::RxError::AuthTypeMismatch { received: 1 }));
    assert_eq!(backup.stats().auth_type_mismatch, 1);
}
