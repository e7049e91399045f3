//! keepalived 2.4 `auth_hmac` (`vrrp_core::wire::hmac`): the receive path on arbitrary
//! bytes, and sign → verify → tamper.
//!
//! Input layout: `[selector, priority, clock (4), flip (2), packet...]`.
//! - selector bit 0: IPv6 (VRRPv3) or IPv4; bit 1: VRRPv2 (IPv4 only) or v3; bits 2-3:
//!   mode (receive-only, permissive, enforce, enforce); bit 4: anti-replay monotonic;
//!   bit 5: sign the receiver's copy with a second key id the receiver also has.
//! - clock: the seconds of both routers' clock (the receiver's is 0..=3 s later).
//!
//! Properties:
//! - `packet` (with and without a trailer-sized tail) goes through `handle_packet`, the
//!   trailer view and `split_trailer` without a panic, in every mode;
//! - an advert the sender signs is accepted once and refused as a replay the second time;
//! - the same advert with any one octet changed (the checksum then recomputed, as an
//!   attacker would) is refused, except a change to the checksum field itself, which
//!   the tag does not cover.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, Ordering};

use libfuzzer_sys::fuzz_target;
use vrrp_core::wire::checksum::Accumulator;
use vrrp_core::wire::hmac::{
    split_trailer, AntiReplay, Authenticator, HmacConfig, HmacError, HmacKey, HmacMode, Trailer, WallClock, TRAILER_LEN,
};
use vrrp_core::wire::{Family, Version, GROUP_V4, GROUP_V6, IP_PROTOCOL};
use vrrp_core::{Instance, InstanceConfig, Instant, RxError};

/// A keyed stand-in for HMAC-SHA256 (the hash's strength is not under test here) and a
/// clock the input sets.
struct Toy {
    secs: AtomicU32,
}

impl Authenticator for Toy {
    fn hmac_sha256(&self, key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (lane, chunk) in out.chunks_mut(8).enumerate() {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ lane as u64;
            for b in key.iter().chain(parts.iter().flat_map(|p| p.iter())) {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
            chunk.copy_from_slice(&h.to_be_bytes());
        }
        out
    }

    fn wall_clock(&self) -> WallClock {
        WallClock { secs: self.secs.load(Ordering::Relaxed), subsec: 0x4000 }
    }
}

static SENDER: Toy = Toy { secs: AtomicU32::new(0) };
static RECEIVER: Toy = Toy { secs: AtomicU32::new(0) };

fn hmac(auth: &'static Toy, selector: u8, active: u8) -> HmacConfig {
    let mut h = HmacConfig::new(auth, HmacKey::new(1, &[0x11; 32]).unwrap(), 5);
    h.keys.push(HmacKey::new(2, &[0x22; 40]).unwrap()).unwrap();
    h.active_key = active;
    h.mode = match (selector >> 2) & 3 {
        0 => HmacMode::ReceiveOnly,
        1 => HmacMode::Permissive,
        _ => HmacMode::Enforce,
    };
    if selector & 0x10 != 0 {
        h.anti_replay = AntiReplay::Monotonic;
    }
    h
}

fn config(family: Family, version: Version, priority: u8, host: u8, h: HmacConfig) -> InstanceConfig {
    let (src, vip) = match family {
        Family::Ipv4 => (IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        Family::Ipv6 => (
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(host))),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        ),
    };
    let mut c = InstanceConfig::new(1, 51, version, src);
    c.priority = priority.clamp(1, 254);
    c.vips.push(vip).unwrap();
    c.hmac = Some(h);
    c
}

/// The checksum an attacker writes after changing an octet.
fn fix_checksum(bytes: &mut [u8], family: Family, version: Version, src: IpAddr) {
    let covered = match family {
        Family::Ipv4 => bytes.len() - TRAILER_LEN,
        Family::Ipv6 => bytes.len(),
    };
    bytes[6] = 0;
    bytes[7] = 0;
    let mut acc = Accumulator::default();
    if version == Version::V3 {
        let dst = match family {
            Family::Ipv4 => IpAddr::V4(GROUP_V4),
            Family::Ipv6 => IpAddr::V6(GROUP_V6),
        };
        acc.add_pseudo_header(src, dst, IP_PROTOCOL, covered);
    }
    acc.add_bytes(&bytes[..covered]);
    let sum = acc.finish();
    bytes[6..8].copy_from_slice(&sum.to_be_bytes());
}

fuzz_target!(|data: &[u8]| {
    let [selector, priority, c0, c1, c2, c3, f0, f1, packet @ ..] = data else {
        return;
    };
    let family = if selector & 1 != 0 { Family::Ipv6 } else { Family::Ipv4 };
    let version = if selector & 2 != 0 && family == Family::Ipv4 { Version::V2 } else { Version::V3 };
    let secs = u32::from_be_bytes([*c0, *c1, *c2, *c3]);
    SENDER.secs.store(secs, Ordering::Relaxed);
    RECEIVER.secs.store(secs.wrapping_add(u32::from(*f1 & 3)), Ordering::Relaxed);
    let active = if selector & 0x20 != 0 { 2 } else { 1 };

    let mut receiver = Instance::new(config(family, version, 100, 12, hmac(&RECEIVER, *selector, 1))).unwrap();
    receiver.handle_startup(Instant::from_millis(0));
    while receiver.poll_action().is_some() {}
    let group = match family {
        Family::Ipv4 => IpAddr::V4(GROUP_V4),
        Family::Ipv6 => IpAddr::V6(GROUP_V6),
    };

    // Arbitrary bytes: no panic, with or without a trailer-sized tail.
    let src = receiver.config().primary_address;
    let _ = receiver.handle_packet(Instant::from_millis(1), src, group, 255, packet);
    let (message, trailer) = split_trailer(packet, family);
    assert!(message.len() <= packet.len());
    if let Some(t) = trailer {
        let view = Trailer::new_checked(t).expect("split_trailer yields a whole trailer");
        let _ = (view.ext_type(), view.key_id(), view.reserved(), view.sequence(), view.tag());
    }
    let _ = Trailer::new_unchecked(packet).sequence();

    // Sign, verify once, refuse the replay and every one-octet change.
    let sender_cfg = config(family, version, *priority, 11, hmac(&SENDER, *selector, active));
    let signs = sender_cfg.hmac.as_ref().unwrap().mode.signs();
    let sender = Instance::new(sender_cfg).unwrap();
    let mut buf = [0u8; 256];
    let n = sender.write_advert(sender.priority(), &mut buf).unwrap();
    let advert = &buf[..n];
    let from = sender.config().primary_address;
    let got = receiver.handle_packet(Instant::from_millis(2), from, group, 255, advert);
    assert_eq!(got.map(|a| a.priority), Ok(sender.priority()), "a signed advert is accepted");
    if !signs {
        assert_eq!(split_trailer(advert, family).1, None);
        return;
    }
    let again = receiver.handle_packet(Instant::from_millis(3), from, group, 255, advert);
    assert_eq!(again, Err(RxError::Hmac(HmacError::Replay)), "the second copy is a replay");

    let at = usize::from(*f0) % n;
    let mut tampered = advert.to_vec();
    tampered[at] ^= 1 << (f1 >> 5);
    if (6..8).contains(&at) {
        return; // the checksum field: not covered by the tag, and the checksum check refuses it
    }
    fix_checksum(&mut tampered, family, version, from);
    let mut fresh = Instance::new(config(family, version, 100, 12, hmac(&RECEIVER, *selector, 1))).unwrap();
    fresh.handle_startup(Instant::from_millis(0));
    let got = fresh.handle_packet(Instant::from_millis(4), from, group, 255, &tampered);
    assert!(got.is_err(), "octet {at} changed, still accepted: {tampered:02x?}");
});
