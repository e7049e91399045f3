//! Advert codec: `AdvertRepr::parse` on arbitrary bytes, and `emit` of whatever parses.
//!
//! Input layout: `[selector, host, vrrp message...]`.
//!
//! `selector` bits:
//! - bit 0: family of the checksum context. 0: IPv4, src 192.0.2.`host`, dst 224.0.0.18.
//!   1: IPv6, src fe80::ff:fe00:`host` (an EUI-64 style link-local, so the keepalived
//!   vector's fe80::ff:fe00:11 is reachable), dst ff02::12.
//! - bits 1-2: checksum fix-up before parsing. 0 or 3: leave the bytes as they are;
//!   1: write the message-only checksum (the v2-over-IPv4 form, and one of the v3-over-IPv4
//!   forms); 2: write the pseudo-header checksum (IPv6, v2 as keepalived sends it and v3,
//!   and the other v3-over-IPv4 form).
//!   Without this the fuzzer would almost never get past the checksum check.
//! - bits 4-5: version nibble override. 1: force 2, 2: force 3, 0 or 3: leave.
//! - bit 6: force Type = 1 (ADVERTISEMENT).
//! - bit 7: set Count from the buffer length (so the length check can pass).
//!
//! The fix-ups happen before the checksum fix-up. The checksum used here is an
//! independent RFC 1071 implementation, so the target also cross-checks the core's.
//!
//! Properties:
//! - no `Packet` accessor, setter, length check or parse panics, whatever the bytes and
//!   whichever context (a parse under the other family's context runs too);
//! - whatever parses has the input's length as `buffer_len()` and the input's fields;
//! - it re-emits, with each `ChecksumForm`, to exactly `buffer_len()` bytes (into an exact,
//!   an oversized and a too-small buffer), whose checksum verifies under an independent
//!   implementation, and that parse back to an equal repr;
//! - a canonical input (reserved bits and unused auth data zero) re-emits byte for byte
//!   (up to the +0/-0 ambiguity of the ones-complement checksum);
//! - emitting under a context of the other family is refused, not mis-encoded.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use vrrp_core::wire::{
    self, AdvertRepr, Auth, ChecksumContext, ChecksumForm, Family, Packet, Variant, Version,
};

const FORMS: [ChecksumForm; 2] = [ChecksumForm::PseudoHeader, ChecksumForm::MessageOnly];

fuzz_target!(|data: &[u8]| {
    // Accessors on the raw input, selector bytes included: must never panic.
    accessors(data);
    let [selector, host, rest @ ..] = data else {
        return;
    };
    let family = if selector & 1 == 0 {
        Family::Ipv4
    } else {
        Family::Ipv6
    };
    let ctx = context(family, *host);
    let mut bytes = rest.to_vec();
    apply_fixups(&mut bytes, *selector, family, &ctx);

    accessors(&bytes);
    setters(&bytes);

    let packet = Packet::new_unchecked(&bytes[..]);
    // The other family's context: must not panic either (an IPv4 v2 advert read as
    // IPv6, wrong lengths...).
    let other = context(other_family(family), host.wrapping_add(1));
    let _ = AdvertRepr::parse(&packet, &other);
    let _ = AdvertRepr::checksum_form(&packet, &other);

    let parsed = AdvertRepr::parse(&packet, &ctx);
    let form = AdvertRepr::checksum_form(&packet, &ctx);
    if std::env::var_os("VRRP_FUZZ_TRACE").is_some() {
        eprintln!("{ctx:?} {bytes:02x?}: {parsed:?} checksum form {form:?}");
    }
    if let Ok(repr) = parsed {
        check_parsed(&repr, &bytes, &ctx, family, form);
        roundtrip(&repr, &bytes, &ctx, family);
    }
});

fn context(family: Family, host: u8) -> ChecksumContext {
    match family {
        Family::Ipv4 => ChecksumContext {
            src: IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)),
            dst: IpAddr::V4(wire::GROUP_V4),
        },
        Family::Ipv6 => ChecksumContext {
            src: IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, u16::from(host))),
            dst: IpAddr::V6(wire::GROUP_V6),
        },
    }
}

fn other_family(f: Family) -> Family {
    match f {
        Family::Ipv4 => Family::Ipv6,
        Family::Ipv6 => Family::Ipv4,
    }
}

fn apply_fixups(bytes: &mut [u8], selector: u8, family: Family, ctx: &ChecksumContext) {
    if let Some(b0) = bytes.first_mut() {
        match (selector >> 4) & 3 {
            1 => *b0 = (*b0 & 0x0f) | 0x20,
            2 => *b0 = (*b0 & 0x0f) | 0x30,
            _ => {}
        }
        if selector & 0x40 != 0 {
            *b0 = (*b0 & 0xf0) | 0x01;
        }
    }
    if selector & 0x80 != 0 && bytes.len() >= wire::HEADER_LEN {
        // Auth data only for VRRPv2 over IPv4 (keepalived sends none over IPv6).
        let v2 = bytes.first().is_some_and(|b| b >> 4 == 2);
        let auth = if v2 { wire::auth_data_len(Version::V2, family) } else { 0 };
        let fixed = wire::HEADER_LEN + auth;
        let count = bytes.len().saturating_sub(fixed) / family.address_len();
        bytes[3] = u8::try_from(count).unwrap_or(u8::MAX);
    }
    match (selector >> 1) & 3 {
        1 => write_checksum(bytes, None),
        2 => write_checksum(bytes, Some(ctx)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Independent RFC 1071 checksum (deliberately not the core's code).

fn ones_sum(data: &[u8], pseudo: Option<&ChecksumContext>) -> u16 {
    let mut acc: u64 = 0;
    let mut add = |bytes: &[u8]| {
        for chunk in bytes.chunks(2) {
            let hi = u64::from(chunk[0]);
            let lo = u64::from(chunk.get(1).copied().unwrap_or(0));
            acc += (hi << 8) | lo;
        }
    };
    if let Some(ctx) = pseudo {
        let len = data.len() as u32;
        match (ctx.src, ctx.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                add(&s.octets());
                add(&d.octets());
                add(&[0, wire::IP_PROTOCOL]);
                add(&(len as u16).to_be_bytes());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                add(&s.octets());
                add(&d.octets());
                add(&len.to_be_bytes());
                add(&[0, 0, 0, wire::IP_PROTOCOL]);
            }
            _ => unreachable!("harness builds single-family contexts"),
        }
    }
    add(data);
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// True if the message (checksum field included) verifies: the folded sum is all ones.
fn verifies(data: &[u8], pseudo: Option<&ChecksumContext>) -> bool {
    data.len() >= wire::HEADER_LEN && ones_sum(data, pseudo) == 0xffff
}

fn write_checksum(data: &mut [u8], pseudo: Option<&ChecksumContext>) {
    if data.len() < wire::HEADER_LEN {
        return;
    }
    data[6] = 0;
    data[7] = 0;
    let sum = !ones_sum(data, pseudo);
    data[6..8].copy_from_slice(&sum.to_be_bytes());
}

/// Which checksum the core must have used for (version, family, form).
fn pseudo_for(
    repr: &AdvertRepr,
    family: Family,
    form: ChecksumForm,
    ctx: &ChecksumContext,
) -> Option<ChecksumContext> {
    match (repr.version(), family, form) {
        (Version::V2, Family::Ipv4, _) => None,
        // IPv6 always sums the pseudo-header: v3 (RFC 9568 §5.2.8) and v2 as keepalived
        // 2.2.7 sends it (the kernel's IPV6_CHECKSUM, vrrp_if.c 1141).
        (_, Family::Ipv6, _) => Some(*ctx),
        (Version::V3, Family::Ipv4, ChecksumForm::PseudoHeader) => Some(*ctx),
        (Version::V3, Family::Ipv4, ChecksumForm::MessageOnly) => None,
    }
}

// ---------------------------------------------------------------------------

fn accessors(bytes: &[u8]) {
    let p = Packet::new_unchecked(bytes);
    let _ = p.version_field();
    let _ = p.version();
    let _ = p.packet_type();
    let _ = p.vrid();
    let _ = p.priority();
    let count = p.count();
    let _ = p.max_adver_int();
    let _ = p.v3_reserved();
    let _ = p.auth_type();
    let _ = p.adver_int();
    let _ = p.checksum();
    assert_eq!(p.auth_data().len(), wire::V2_AUTH_DATA_LEN);
    assert_eq!(p.as_bytes(), bytes);
    assert!(p.max_adver_int() <= 0x0fff);
    assert!(p.v3_reserved() <= 0x0f);
    for family in [Family::Ipv4, Family::Ipv6] {
        let addrs = p.address_bytes(family);
        assert!(
            addrs.is_empty() || addrs.len() == usize::from(count) * family.address_len(),
            "address_bytes length {} for count {count}",
            addrs.len()
        );
        for version in [Version::V2, Version::V3] {
            let _ = p.expected_len(version, family);
        }
        let checked = p.check_len(family);
        assert_eq!(Packet::new_checked(bytes, family).err(), checked.err());
        if checked.is_ok() {
            // check_len promises every accessor has its bytes.
            if let Ok(version) = p.version() {
                assert_eq!(bytes.len(), p.expected_len(version, family));
            }
            assert_eq!(addrs.len(), usize::from(count) * family.address_len());
        }
    }
    assert_eq!(p.into_inner(), bytes);
}

fn setters(bytes: &[u8]) {
    let mut copy = bytes.to_vec();
    let seed = bytes.iter().fold(0u8, |a, b| a.wrapping_mul(31).wrapping_add(*b));
    let long = copy.len() >= wire::HEADER_LEN;
    let mut p = Packet::new_unchecked(&mut copy[..]);
    p.set_version_and_type(seed, seed.rotate_left(3));
    p.set_vrid(seed ^ 0x55);
    p.set_priority(seed ^ 0xaa);
    p.set_count(seed.wrapping_add(1));
    p.set_max_adver_int(u16::from(seed) << 5);
    p.set_checksum(u16::from(seed) * 257);
    if long {
        assert_eq!(p.version_field(), seed & 0x0f);
        assert_eq!(p.packet_type(), seed.rotate_left(3) & 0x0f);
        assert_eq!(p.vrid(), seed ^ 0x55);
        assert_eq!(p.priority(), seed ^ 0xaa);
        assert_eq!(p.count(), seed.wrapping_add(1));
        assert_eq!(p.max_adver_int(), (u16::from(seed) << 5) & 0x0fff);
        assert_eq!(p.v3_reserved(), 0);
        assert_eq!(p.checksum(), u16::from(seed) * 257);
    }
    p.set_auth_type(seed);
    p.set_adver_int(!seed);
    if long {
        assert_eq!(p.auth_type(), seed);
        assert_eq!(p.adver_int(), !seed);
    }
    assert_eq!(p.as_bytes_mut().len(), bytes.len());
}

fn check_parsed(
    repr: &AdvertRepr,
    bytes: &[u8],
    ctx: &ChecksumContext,
    family: Family,
    form: Option<ChecksumForm>,
) {
    let p = Packet::new_unchecked(bytes);
    assert_eq!(repr.buffer_len(), bytes.len(), "parsed repr length != input length");
    assert_eq!(Ok(repr.version()), p.version());
    assert_eq!(repr.vrid, p.vrid());
    assert_eq!(repr.priority, p.priority());
    assert_eq!(p.packet_type(), wire::TYPE_ADVERTISEMENT);
    assert_eq!(repr.addresses.family(), family);
    assert_eq!(repr.addresses.len(), usize::from(p.count()));
    // RFC 9568 §5.2.5: VRRPv3 lists at least one address; VRRPv2 may list none (RFC 3768
    // §5.3.5 sets no minimum; keepalived advertises Count 0 for an instance without VIPs).
    assert!(!repr.addresses.is_empty() || repr.version() == Version::V2, "v3 parsed with Count 0");
    assert!(repr.interval_cs() > 0);
    match repr.variant {
        Variant::V2 { adver_int_s, auth } => {
            assert_eq!(adver_int_s, p.adver_int());
            assert_eq!(auth.type_number(), p.auth_type());
            match family {
                Family::Ipv4 => {
                    if let Auth::SimpleText(data) = auth {
                        assert_eq!(data, p.auth_data());
                    }
                    assert!(verifies(bytes, None), "v2 accepted without a message-only checksum");
                }
                // keepalived's VRRPv2 over IPv6: no password travels, the IPv6 pseudo-header sum.
                Family::Ipv6 => {
                    if let Auth::SimpleText(data) = auth {
                        assert_eq!(
                            data,
                            [0; wire::V2_AUTH_DATA_LEN],
                            "v2 over IPv6 has no password"
                        );
                    }
                    assert!(
                        verifies(bytes, Some(ctx)),
                        "v2 over IPv6 accepted without the pseudo-header checksum"
                    );
                }
            }
        }
        Variant::V3 { max_adver_int_cs } => {
            assert_eq!(max_adver_int_cs, p.max_adver_int());
            let ok = match family {
                Family::Ipv6 => verifies(bytes, Some(ctx)),
                Family::Ipv4 => verifies(bytes, Some(ctx)) || verifies(bytes, None),
            };
            assert!(ok, "v3 accepted with a checksum that does not verify");
        }
    }
    assert!(form.is_some(), "parsed but checksum_form is None");
    for (i, addr) in repr.addresses.iter().enumerate() {
        let len = family.address_len();
        let raw = &bytes[wire::field::ADDRESSES + i * len..][..len];
        let octets: Vec<u8> = match addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        assert_eq!(raw, &octets[..]);
        assert!(repr.addresses.contains(&addr));
    }
}

fn roundtrip(repr: &AdvertRepr, input: &[u8], ctx: &ChecksumContext, family: Family) {
    let len = repr.buffer_len();
    for form in FORMS {
        // Oversized buffer: exactly `len` bytes written, the rest untouched.
        let mut big = vec![0xa5u8; wire::MAX_PACKET_LEN + 64];
        let n = repr
            .emit(&mut big, ctx, form)
            .unwrap_or_else(|e| panic!("emit of a parsed repr failed: {e:?} ({form:?})"));
        assert_eq!(n, len, "emit wrote {n} bytes, buffer_len says {len}");
        assert!(big[n..].iter().all(|b| *b == 0xa5), "emit wrote past buffer_len");
        let out = &big[..n];

        // Exact buffer: same bytes.
        let mut exact = vec![0u8; len];
        assert_eq!(repr.emit(&mut exact, ctx, form), Ok(len));
        assert_eq!(&exact[..], out);

        // One byte short: refused.
        if len > 0 {
            let mut short = vec![0u8; len - 1];
            assert_eq!(
                repr.emit(&mut short, ctx, form),
                Err(wire::Error::BufferTooSmall)
            );
        }

        // Independent checksum verification.
        let pseudo = pseudo_for(repr, family, form, ctx);
        assert!(
            verifies(out, pseudo.as_ref()),
            "emitted checksum does not verify ({:?}, {family:?}, {form:?})",
            repr.version()
        );

        // Parses back to the same repr.
        let back = AdvertRepr::parse(&Packet::new_unchecked(out), ctx);
        assert_eq!(back.as_ref(), Ok(repr), "re-parse differs ({form:?})");
        assert!(AdvertRepr::checksum_form(&Packet::new_unchecked(out), ctx).is_some());

        // Canonical inputs round-trip byte for byte when the input used this form.
        if canonical(repr, input) && verifies(input, pseudo.as_ref()) {
            assert_eq!(out[..6], input[..6], "header differs");
            assert_eq!(out[8..], input[8..], "body differs");
            let (a, b) = (
                u16::from_be_bytes([out[6], out[7]]),
                u16::from_be_bytes([input[6], input[7]]),
            );
            assert!(
                a == b || (a | b == 0xffff && a & b == 0),
                "checksum {a:#06x} emitted for input checksum {b:#06x}"
            );
        }

        // A context of the other family cannot carry these addresses.
        let other = context(other_family(family), 1);
        let mut buf = vec![0u8; wire::MAX_PACKET_LEN];
        assert_eq!(
            repr.emit(&mut buf, &other, form),
            Err(wire::Error::Unrepresentable)
        );
    }
}

/// Inputs whose every bit the repr keeps: v3 reserved bits zero; v2-over-IPv4 auth data
/// zero unless it is a simple-text password (v2 over IPv6 carries none).
fn canonical(repr: &AdvertRepr, input: &[u8]) -> bool {
    let p = Packet::new_unchecked(input);
    match repr.variant {
        Variant::V3 { .. } => p.v3_reserved() == 0,
        Variant::V2 { .. } if repr.addresses.family() == Family::Ipv6 => true,
        Variant::V2 {
            auth: Auth::SimpleText(_),
            ..
        } => true,
        Variant::V2 { .. } => p.auth_data() == [0; wire::V2_AUTH_DATA_LEN],
    }
}
