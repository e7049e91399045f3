use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

fn v4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn ctx4() -> ChecksumContext {
    ChecksumContext { src: v4(11), dst: IpAddr::V4(crate::wire::GROUP_V4) }
}

fn ctx6() -> ChecksumContext {
    ChecksumContext {
        src: IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x11)),
        dst: IpAddr::V6(crate::wire::GROUP_V6),
    }
}

fn v3_repr() -> AdvertRepr {
    AdvertRepr {
        vrid: 51,
        priority: 101,
        variant: Variant::V3 { max_adver_int_cs: 100 },
        addresses: AddressList::from_addrs(&[v4(1), v4(2)]).unwrap(),
    }
}

fn emit(repr: &AdvertRepr, ctx: &ChecksumContext, form: ChecksumForm) -> ([u8; 4096], usize) {
    let mut buf = [0u8; 4096];
    let n = repr.emit(&mut buf, ctx, form).unwrap();
    (buf, n)
}

fn parse(bytes: &[u8], ctx: &ChecksumContext) -> Result<AdvertRepr, Error> {
    AdvertRepr::parse(&Packet::new_unchecked(bytes), ctx)
}

#[test]
fn rfc9568_5_2_8_v3_ipv4_accepts_both_checksum_forms() {
    for form in [ChecksumForm::PseudoHeader, ChecksumForm::MessageOnly] {
        let (buf, n) = emit(&v3_repr(), &ctx4(), form);
        assert_eq!(parse(&buf[..n], &ctx4()), Ok(v3_repr()));
        assert_eq!(AdvertRepr::checksum_form(&Packet::new_unchecked(&buf[..n]), &ctx4()), Some(form));
    }
}

#[test]
fn rfc9568_5_2_8_the_two_forms_differ_on_the_wire() {
    let (a, n) = emit(&v3_repr(), &ctx4(), ChecksumForm::PseudoHeader);
    let (b, _) = emit(&v3_repr(), &ctx4(), ChecksumForm::MessageOnly);
    assert_ne!(a[6..8], b[6..8]);
    assert_eq!(a[..6], b[..6]);
    assert_eq!(a[8..n], b[8..n]);
}

#[test]
fn rfc9568_5_2_8_pseudo_header_binds_the_source_address() {
    let (buf, n) = emit(&v3_repr(), &ctx4(), ChecksumForm::PseudoHeader);
    let other = ChecksumContext { src: v4(12), ..ctx4() };
    assert_eq!(parse(&buf[..n], &other), Err(Error::Checksum));
}

#[test]
fn rfc9568_5_2_8_v3_ipv6_requires_the_pseudo_header() {
    let repr = AdvertRepr {
        addresses: AddressList::from_addrs(&[IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))]).unwrap(),
        ..v3_repr()
    };
    let (mut buf, n) = emit(&repr, &ctx6(), ChecksumForm::MessageOnly);
    assert_eq!(parse(&buf[..n], &ctx6()), Ok(repr.clone()));
    // Rewrite the checksum in message-only form: IPv6 must refuse it.
    buf[6] = 0;
    buf[7] = 0;
    let sum = super::checksum::compute(&buf[..n], None).unwrap().to_be_bytes();
    buf[6..8].copy_from_slice(&sum);
    assert_eq!(parse(&buf[..n], &ctx6()), Err(Error::Checksum));
}

#[test]
fn rfc3768_5_3_8_v2_checksum_covers_auth_data() {
    let repr = AdvertRepr {
        vrid: 200,
        priority: 101,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::simple_text(b"XXXXXX") },
        addresses: AddressList::from_addrs(&[v4(1)]).unwrap(),
    };
    let (mut buf, n) = emit(&repr, &ctx4(), ChecksumForm::PseudoHeader);
    assert_eq!(n, 20);
    assert_eq!(&buf[12..20], b"XXXXXX\0\0");
    assert_eq!(parse(&buf[..n], &ctx4()), Ok(repr));
    buf[19] = 1;
    assert_eq!(parse(&buf[..n], &ctx4()), Err(Error::Checksum));
}

#[test]
fn rfc3768_5_3_6_ah_auth_type_is_recognised_not_misparsed() {
    let repr = AdvertRepr {
        vrid: 1,
        priority: 100,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::IpAh },
        addresses: AddressList::from_addrs(&[v4(1)]).unwrap(),
    };
    let (buf, n) = emit(&repr, &ctx4(), ChecksumForm::default());
    assert_eq!(buf[4], 2);
    assert_eq!(parse(&buf[..n], &ctx4()), Ok(repr));
}

/// Builds a v3 IPv4 packet, lets `mutate` break it, fixes the checksum, parses it.
fn parse_mutated(mutate: impl Fn(&mut [u8])) -> Result<AdvertRepr, Error> {
    let (mut buf, n) = emit(&v3_repr(), &ctx4(), ChecksumForm::MessageOnly);
    mutate(&mut buf[..n]);
    buf[6] = 0;
    buf[7] = 0;
    let sum = super::checksum::compute(&buf[..n], None).unwrap().to_be_bytes();
    buf[6..8].copy_from_slice(&sum);
    parse(&buf[..n], &ctx4())
}

#[test]
fn rfc9568_7_1_each_packet_check_has_its_own_error() {
    assert_eq!(parse_mutated(|b| b[0] = 0x41), Err(Error::UnknownVersion(4)));
    assert_eq!(parse_mutated(|b| b[0] = 0x32), Err(Error::UnknownType(2)));
    assert_eq!(parse_mutated(|b| b[3] = 3), Err(Error::Truncated));
    assert_eq!(parse_mutated(|b| b[3] = 1), Err(Error::TrailingBytes));
    assert_eq!(parse_mutated(|b| b[4..6].copy_from_slice(&[0, 0])), Err(Error::ZeroInterval));
    assert_eq!(parse(&[0x31, 1, 100, 0, 0, 100, 0, 0][..], &ctx4()).err(), Some(Error::Checksum));
    let empty = [0x31u8, 1, 100, 0, 0, 100, 0, 0];
    let mut fixed = empty;
    let sum = super::checksum::compute(&fixed, None).unwrap().to_be_bytes();
    fixed[6..8].copy_from_slice(&sum);
    assert_eq!(parse(&fixed, &ctx4()), Err(Error::NoAddresses));
    assert_eq!(parse(&[0x31, 1, 100][..], &ctx4()), Err(Error::Truncated));
}

/// RFC 9568 §5.2.5: "The minimum value is 1": a VRRPv3 advert with Count 0 is refused
/// under either checksum form and in both families.
#[test]
fn rfc9568_5_2_5_v3_count_zero_is_refused_in_both_families() {
    for (ctx, list) in
        [(ctx4(), AddressList::V4(heapless::Vec::new())), (ctx6(), AddressList::V6(heapless::Vec::new()))]
    {
        let repr =
            AdvertRepr { vrid: 7, priority: 100, variant: Variant::V3 { max_adver_int_cs: 100 }, addresses: list };
        // emit writes what it is given; the receive side holds the RFC's minimum.
        let (buf, n) = emit(&repr, &ctx, ChecksumForm::PseudoHeader);
        assert_eq!(n, HEADER_LEN);
        assert_eq!(buf[3], 0);
        assert_eq!(parse(&buf[..n], &ctx), Err(Error::NoAddresses));
    }
}

/// RFC 3768 §5.3.5 sets no minimum Count for VRRPv2, and keepalived 2.2.7 advertises a
/// v2 instance without `virtual_ipaddress` with Count 0 (vrrp.c 1252): such an advert
/// parses, to an empty IPv4 list, and re-emits byte for byte.
#[test]
fn rfc3768_5_3_5_v2_count_zero_parses_and_round_trips() {
    let repr = AdvertRepr {
        vrid: 51,
        priority: 100,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::simple_text(b"secret") },
        addresses: AddressList::V4(heapless::Vec::new()),
    };
    let (buf, n) = emit(&repr, &ctx4(), ChecksumForm::default());
    assert_eq!(n, HEADER_LEN + V2_AUTH_DATA_LEN);
    assert_eq!(buf[3], 0, "Count");
    let back = parse(&buf[..n], &ctx4()).unwrap();
    assert_eq!(back, repr);
    assert!(back.addresses.is_empty());
    assert_eq!(back.addresses.family(), Family::Ipv4);
    // VRRPv2 runs over both families: the empty IPv4 list is still not an IPv6 advert.
    assert_eq!(repr.emit(&mut [0u8; 64], &ctx6(), ChecksumForm::default()), Err(Error::Unrepresentable));
    let mut again = [0u8; 64];
    assert_eq!(back.emit(&mut again, &ctx4(), ChecksumForm::default()), Ok(n));
    assert_eq!(again[..n], buf[..n]);
    // The header-only parse the receive path uses agrees.
    let header = AdvertHeader::parse(&Packet::new_unchecked(&buf[..n]), &ctx4()).unwrap();
    assert_eq!(header, repr.header());
}

#[test]
fn rfc3768_7_1_unknown_auth_type_and_zero_interval_rejected() {
    let repr = AdvertRepr {
        vrid: 1,
        priority: 100,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::None },
        addresses: AddressList::from_addrs(&[v4(1)]).unwrap(),
    };
    let (buf, n) = emit(&repr, &ctx4(), ChecksumForm::default());
    let refix = |mut b: [u8; 20]| {
        b[6] = 0;
        b[7] = 0;
        let s = super::checksum::compute(&b, None).unwrap().to_be_bytes();
        b[6..8].copy_from_slice(&s);
        b
    };
    let mut b: [u8; 20] = buf[..n].try_into().unwrap();
    b[4] = 3;
    assert_eq!(parse(&refix(b), &ctx4()), Err(Error::UnknownAuthType(3)));
    let mut b: [u8; 20] = buf[..n].try_into().unwrap();
    b[5] = 0;
    assert_eq!(parse(&refix(b), &ctx4()), Err(Error::ZeroInterval));
    // Read as IPv6 the same octets are too short for one IPv6 address: a length error,
    // not a version one (VRRPv2 over IPv6 parses, see below).
    assert_eq!(parse(&buf[..n], &ctx6()), Err(Error::Truncated));
}

fn v6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

fn v2_over_ipv6(auth: Auth) -> AdvertRepr {
    AdvertRepr {
        vrid: 54,
        priority: 120,
        variant: Variant::V2 { adver_int_s: 2, auth },
        addresses: AddressList::from_addrs(&[v6(1), v6(2)]).unwrap(),
    }
}

/// keepalived 2.2.7 sends `version 2` with IPv6 addresses as VRRPv2 over IPv6: the header
/// and the addresses, no auth data (vrrp.c 278 `vrrp_pkt_len`), the checksum the kernel
/// computes with the IPv6 pseudo-header (IPV6_CHECKSUM offset 6, vrrp_if.c 1141).
#[test]
fn keepalived_vrrp_c_278_v2_over_ipv6_has_no_auth_data_and_the_ipv6_pseudo_header_checksum() {
    let repr = v2_over_ipv6(Auth::None);
    let (buf, n) = emit(&repr, &ctx6(), ChecksumForm::MessageOnly);
    assert_eq!(n, HEADER_LEN + 2 * 16, "no auth data");
    assert_eq!(repr.buffer_len(), n);
    assert_eq!(&buf[..6], &[0x21, 54, 120, 2, 0, 2], "version 2, type 1, Auth Type 0, Adver Int 2 s");
    assert_eq!(
        super::checksum::compute(&buf[..n], Some(&ctx6())),
        Some(0),
        "IPv6 pseudo-header sum, whatever the form"
    );
    assert_ne!(super::checksum::compute(&buf[..n], None), Some(0));
    assert_eq!(parse(&buf[..n], &ctx6()), Ok(repr.clone()));
    let packet = Packet::new_unchecked(&buf[..n]);
    assert_eq!(AdvertRepr::checksum_form(&packet, &ctx6()), Some(ChecksumForm::PseudoHeader));
    assert_eq!(AdvertHeader::parse(&packet, &ctx6()), Ok(repr.header()));
}

#[test]
fn v2_over_ipv6_refuses_the_message_only_checksum_and_the_ipv4_auth_data() {
    let (buf, n) = emit(&v2_over_ipv6(Auth::None), &ctx6(), ChecksumForm::default());
    let mut b: [u8; 40] = buf[..n].try_into().unwrap();
    b[6] = 0;
    b[7] = 0;
    let s = super::checksum::compute(&b, None).unwrap().to_be_bytes();
    b[6..8].copy_from_slice(&s);
    assert_eq!(parse(&b, &ctx6()), Err(Error::Checksum));
    // 8 octets of auth data after the addresses, as over IPv4, are not keepalived's form.
    let mut long = [0u8; 48];
    long[..40].copy_from_slice(&buf[..40]);
    assert_eq!(parse(&long, &ctx6()), Err(Error::TrailingBytes));
}

/// keepalived 2.2.7 keeps `auth_type PASS` over IPv6 (vrrp.c 2922-2946 drops only AH
/// there) and writes Auth Type 1 without the password (vrrp.c 1254, 1264-1282): the type
/// alone goes on the wire, and reads back as eight zero octets.
#[test]
fn keepalived_vrrp_c_1254_v2_over_ipv6_sends_auth_type_1_without_the_password() {
    let (buf, n) = emit(&v2_over_ipv6(Auth::simple_text(b"XXXXXX")), &ctx6(), ChecksumForm::default());
    assert_eq!(n, HEADER_LEN + 2 * 16);
    assert_eq!(buf[4], 1, "Auth Type 1");
    assert!(!buf[..n].windows(6).any(|w| w == b"XXXXXX"), "no password on the wire");
    assert_eq!(parse(&buf[..n], &ctx6()), Ok(v2_over_ipv6(Auth::SimpleText([0; 8]))));
}

#[test]
fn emit_refuses_what_the_wire_cannot_carry() {
    let mut buf = [0u8; 64];
    let big = AdvertRepr { variant: Variant::V3 { max_adver_int_cs: 4096 }, ..v3_repr() };
    assert_eq!(big.emit(&mut buf, &ctx4(), ChecksumForm::default()), Err(Error::Unrepresentable));
    assert_eq!(v3_repr().emit(&mut buf[..15], &ctx4(), ChecksumForm::default()), Err(Error::BufferTooSmall));
    assert_eq!(v3_repr().emit(&mut buf, &ctx6(), ChecksumForm::default()), Err(Error::Unrepresentable));
}

#[test]
fn rfc9568_5_2_5_count_255_round_trips_in_both_families() {
    let mut v4s = AddressList::V4(heapless::Vec::new());
    let mut v6s = AddressList::V6(heapless::Vec::new());
    for i in 0..255u32 {
        v4s.push(IpAddr::V4(Ipv4Addr::from(0xc000_0200 + i))).unwrap();
        v6s.push(IpAddr::V6(Ipv6Addr::from(0x2001_0db8_0000_0000_0000_0000_0000_0000u128 + u128::from(i)))).unwrap();
    }
    assert!(v4s.push(v4(1)).is_err());
    for (list, ctx) in [(v4s, ctx4()), (v6s, ctx6())] {
        let repr = AdvertRepr { addresses: list, ..v3_repr() };
        let (buf, n) = emit(&repr, &ctx, ChecksumForm::default());
        assert_eq!(n, repr.buffer_len());
        assert_eq!(parse(&buf[..n], &ctx), Ok(repr));
    }
}

fn arb_v4() -> impl Strategy<Value = IpAddr> {
    any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
}

fn arb_v6() -> impl Strategy<Value = IpAddr> {
    any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
}

fn arb_auth() -> impl Strategy<Value = Auth> {
    prop_oneof![Just(Auth::None), any::<[u8; 8]>().prop_map(Auth::SimpleText), Just(Auth::IpAh)]
}

/// Every valid repr with the checksum context it travels in.
fn arb_repr() -> impl Strategy<Value = (AdvertRepr, ChecksumContext)> {
    let v2 = (any::<u8>(), any::<u8>(), 1..=255u8, arb_auth(), prop::collection::vec(arb_v4(), 1..=255)).prop_map(
        |(vrid, priority, adver_int_s, auth, addrs)| {
            let repr = AdvertRepr {
                vrid,
                priority,
                variant: Variant::V2 { adver_int_s, auth },
                addresses: AddressList::from_addrs(&addrs).unwrap(),
            };
            (repr, ctx4())
        },
    );
    let v3 = (any::<u8>(), any::<u8>(), 1..=4095u16, any::<bool>()).prop_flat_map(|(vrid, priority, int, six)| {
        let addrs = if six {
            prop::collection::vec(arb_v6(), 1..=255).boxed()
        } else {
            prop::collection::vec(arb_v4(), 1..=255).boxed()
        };
        addrs.prop_map(move |addrs| {
            let repr = AdvertRepr {
                vrid,
                priority,
                variant: Variant::V3 { max_adver_int_cs: int },
                addresses: AddressList::from_addrs(&addrs).unwrap(),
            };
            (repr, if six { ctx6() } else { ctx4() })
        })
    });
    let v2_six = (any::<u8>(), any::<u8>(), 1..=255u8, arb_auth_v6(), prop::collection::vec(arb_v6(), 0..=255))
        .prop_map(|(vrid, priority, adver_int_s, auth, addrs)| {
            let mut addresses = AddressList::V6(heapless::Vec::new());
            for a in addrs {
                addresses.push(a).unwrap();
            }
            let repr = AdvertRepr { vrid, priority, variant: Variant::V2 { adver_int_s, auth }, addresses };
            (repr, ctx6())
        });
    prop_oneof![v2, v2_six, v3]
}

/// The auth a VRRPv2-over-IPv6 advert reads back as: no password travels there.
fn arb_auth_v6() -> impl Strategy<Value = Auth> {
    prop_oneof![Just(Auth::None), Just(Auth::SimpleText([0; 8])), Just(Auth::IpAh)]
}

proptest! {
    #[test]
    fn prop_parse_of_emit_is_identity((repr, ctx) in arb_repr(), message_only in any::<bool>()) {
        let form = if message_only { ChecksumForm::MessageOnly } else { ChecksumForm::PseudoHeader };
        let (buf, n) = emit(&repr, &ctx, form);
        prop_assert_eq!(n, repr.buffer_len());
        prop_assert_eq!(parse(&buf[..n], &ctx), Ok(repr));
    }

    #[test]
    fn prop_emitted_packets_pass_their_checksum((repr, ctx) in arb_repr(), message_only in any::<bool>()) {
        let form = if message_only { ChecksumForm::MessageOnly } else { ChecksumForm::PseudoHeader };
        let (buf, n) = emit(&repr, &ctx, form);
        prop_assert!(AdvertRepr::checksum_form(&Packet::new_unchecked(&buf[..n]), &ctx).is_some());
    }

    #[test]
    fn prop_parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), six in any::<bool>()) {
        let ctx = if six { ctx6() } else { ctx4() };
        let packet = Packet::new_unchecked(&bytes[..]);
        if let Ok(repr) = AdvertRepr::parse(&packet, &ctx) {
            // Anything that parses re-emits to the same bytes, bar the reserved bits.
            let form = AdvertRepr::checksum_form(&packet, &ctx).unwrap();
            let (buf, n) = emit(&repr, &ctx, form);
            prop_assert_eq!(parse(&buf[..n], &ctx), Ok(repr));
        }
        let _ = (packet.vrid(), packet.auth_data(), packet.address_bytes(Family::Ipv6), packet.max_adver_int());
    }
}

#[test]
fn max_packet_len_is_v3_ipv6_with_255_addresses() {
    assert_eq!(crate::wire::MAX_PACKET_LEN, 8 + 255 * 16);
}

#[test]
fn interval_in_centiseconds_for_both_versions() {
    let v2 = AdvertRepr {
        vrid: 1,
        priority: 1,
        variant: Variant::V2 { adver_int_s: 3, auth: Auth::None },
        addresses: AddressList::from_addrs(&[v4(1)]).unwrap(),
    };
    assert_eq!(v2.interval_cs(), 300);
    assert_eq!(v2.header().interval_cs(), 300);
    assert_eq!(v3_repr().interval_cs(), 100);
    assert_eq!(v3_repr().header().interval_cs(), 100);
}

#[test]
fn rfc9568_5_2_7_largest_interval_4095_is_emitted() {
    let repr = AdvertRepr { variant: Variant::V3 { max_adver_int_cs: 4095 }, ..v3_repr() };
    let (buf, n) = emit(&repr, &ctx4(), ChecksumForm::default());
    assert_eq!(parse(&buf[..n], &ctx4()), Ok(repr));
}

#[test]
fn address_list_queries() {
    let list = AddressList::from_addrs(&[v4(1), v4(2)]).unwrap();
    assert!(!list.is_empty());
    assert!(list.contains(&v4(2)));
    assert!(!list.contains(&v4(3)));
    assert!(!list.contains(&IpAddr::V6(Ipv6Addr::LOCALHOST)));
    let six = AddressList::from_addrs(&[IpAddr::V6(Ipv6Addr::LOCALHOST)]).unwrap();
    assert!(six.contains(&IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert!(AddressList::V4(heapless::Vec::new()).is_empty());
    assert!(list.same_set_as(&[v4(2), v4(1)]));
    assert!(!list.same_set_as(&[v4(1), v4(1)]));
    assert!(!list.same_set_as(&[v4(1)]));
    assert!(!list.same_set_as(&[v4(1), v4(2), v4(3)]));
    assert!(AddressList::from_addrs(&[v4(1), IpAddr::V6(Ipv6Addr::LOCALHOST)]).is_none(), "mixed families");
    assert!(AddressList::from_addrs(&[]).is_none());
}

#[test]
fn every_wire_error_explains_itself() {
    extern crate std;
    use std::string::ToString;
    let errors = [
        Error::Truncated,
        Error::TrailingBytes,
        Error::UnknownVersion(9),
        Error::UnknownType(7),
        Error::NoAddresses,
        Error::ZeroInterval,
        Error::UnknownAuthType(3),
        Error::Checksum,
        Error::BufferTooSmall,
        Error::Unrepresentable,
    ];
    let mut texts: std::vec::Vec<std::string::String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(texts.iter().all(|t| t.len() > 5));
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), errors.len());
}
