//! `auth_hmac` tests against keepalived 2.4.3's behaviour (`vrrp_auth_hmac.c`, `vrrp.c`).
//! The hash here is a stand-in keyed digest (the core links none); the real HMAC-SHA256
//! against captured keepalived adverts is checked in `node/tests/hmac_vectors.rs`.

extern crate std;

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::sync::atomic::{AtomicU32, Ordering};
use std::boxed::Box;
use std::vec::Vec as StdVec;

use super::*;
use crate::config::{ConfigError, InstanceConfig};
use crate::instance::{Instance, RxError, State};
use crate::time::Instant;
use crate::wire::{GROUP_V4, GROUP_V6};

/// A keyed stand-in for HMAC-SHA256 (FNV-1a over key and message, spread over 32 octets)
/// and a settable clock.
struct TestAuth {
    secs: AtomicU32,
    subsec: AtomicU32,
}

impl Authenticator for TestAuth {
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
        WallClock { secs: self.secs.load(Ordering::Relaxed), subsec: self.subsec.load(Ordering::Relaxed) as u16 }
    }
}

const T0: u32 = 1_796_173_369; // 2026-12-02, as in the captured vectors

fn auth() -> &'static TestAuth {
    Box::leak(Box::new(TestAuth { secs: AtomicU32::new(T0), subsec: AtomicU32::new(0x1000) }))
}

fn key(id: u8, fill: u8) -> HmacKey {
    HmacKey::new(id, &[fill; 32]).unwrap()
}

fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn ll6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last))
}

fn hmac_cfg(a: &'static TestAuth, mode: HmacMode) -> HmacConfig {
    let mut h = HmacConfig::new(a, key(1, 0xa5), 5);
    h.mode = mode;
    h
}

fn instance_cfg(version: Version, priority: u8, primary: IpAddr, hmac: Option<HmacConfig>) -> InstanceConfig {
    let mut c = InstanceConfig::new(7, 51, version, primary);
    c.priority = priority;
    c.vips
        .push(match primary {
            IpAddr::V4(_) => a4(1),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        })
        .unwrap();
    c.hmac = hmac;
    c
}

fn group(addr: &IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => IpAddr::V4(GROUP_V4),
        IpAddr::V6(_) => IpAddr::V6(GROUP_V6),
    }
}

fn advert(inst: &Instance, priority: u8) -> StdVec<u8> {
    let mut buf = [0u8; 512];
    let n = inst.write_advert(priority, &mut buf).unwrap();
    buf[..n].to_vec()
}

fn deliver(to: &mut Instance, from: IpAddr, bytes: &[u8]) -> Result<crate::instance::Accepted, RxError> {
    to.handle_packet(Instant::from_millis(10), from, group(&from), 255, bytes)
}

/// A backup (priority 100) that has started, and its master's instance (priority 200).
fn pair(version: Version, family: Family, mode: HmacMode) -> (&'static TestAuth, Instance, Instance) {
    let a = auth();
    let (m, b) = match family {
        Family::Ipv4 => (a4(11), a4(12)),
        Family::Ipv6 => (ll6(11), ll6(12)),
    };
    let master = Instance::new(instance_cfg(version, 200, m, Some(hmac_cfg(a, mode)))).unwrap();
    let mut backup = Instance::new(instance_cfg(version, 100, b, Some(hmac_cfg(a, mode)))).unwrap();
    backup.handle_startup(Instant::from_millis(0));
    while backup.poll_action().is_some() {}
    (a, master, backup)
}

#[test]
fn trailer_fields_sit_where_keepalived_puts_them() {
    let mut buf = [0xffu8; TRAILER_LEN];
    let mut t = Trailer::new_unchecked(&mut buf[..]);
    t.set_header(9, 0x6b0f_6e39_f170_0003);
    t.set_tag(&[0x11; TAG_LEN]);
    assert_eq!(&buf[..12], &[1, 9, 0, 0, 0x6b, 0x0f, 0x6e, 0x39, 0xf1, 0x70, 0x00, 0x03]);
    assert_eq!(&buf[12..], &[0x11; TAG_LEN]);
    let t = Trailer::new_checked(&buf[..]).unwrap();
    assert_eq!((t.ext_type(), t.key_id(), t.reserved(), t.sequence()), (1, 9, 0, 0x6b0f_6e39_f170_0003));
    assert!(Trailer::new_checked(&buf[..27]).is_none());
}

#[test]
fn wall_clock_packs_seconds_and_subseconds_with_a_zero_counter() {
    let c = WallClock { secs: 0x6b0f_6e39, subsec: WallClock::subsec_from_nanos(500_000_000) };
    assert_eq!(c.subsec, 0x8000);
    assert_eq!(c.sequence(), 0x6b0f_6e39_8000_0000);
}

#[test]
fn a_trailer_is_exactly_28_octets_past_the_message() {
    let (_, master, _) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let bytes = advert(&master, 200);
    let (message, trailer) = split_trailer(&bytes, Family::Ipv4);
    assert_eq!(message.len(), 12);
    assert_eq!(trailer.map(<[u8]>::len), Some(TRAILER_LEN));
    for extra in [0, 1, 27, 29] {
        let mut b = bytes[..12].to_vec();
        b.resize(12 + extra, 0);
        assert_eq!(split_trailer(&b, Family::Ipv4), (&b[..], None), "{extra} extra octets");
    }
    assert_eq!(split_trailer(&[0xf0, 1], Family::Ipv4).1, None, "unknown version");
}

#[test]
fn the_tag_covers_everything_but_the_checksum_and_binds_source_vrid_and_version() {
    let a = auth();
    let k = key(1, 7);
    let msg = [0x31, 51, 100, 1, 0, 100, 0x12, 0x34, 192, 0, 2, 1];
    let covered = [1, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    let base = compute_tag(a, k.bytes(), Version::V3, 51, a4(11), &msg, &covered);
    let mut other_sum = msg;
    other_sum[6] = 0xab;
    assert_eq!(compute_tag(a, k.bytes(), Version::V3, 51, a4(11), &other_sum, &covered), base);
    for i in (0..msg.len()).filter(|i| !(6..8).contains(i)) {
        let mut m = msg;
        m[i] ^= 1;
        assert_ne!(compute_tag(a, k.bytes(), Version::V3, 51, a4(11), &m, &covered), base, "octet {i}");
    }
    let mut c = covered;
    c[5] ^= 1;
    assert_ne!(compute_tag(a, k.bytes(), Version::V3, 51, a4(11), &msg, &c), base);
    assert_ne!(compute_tag(a, k.bytes(), Version::V3, 51, a4(12), &msg, &covered), base);
    assert_ne!(compute_tag(a, k.bytes(), Version::V3, 52, a4(11), &msg, &covered), base);
    assert_ne!(compute_tag(a, k.bytes(), Version::V2, 51, a4(11), &msg, &covered), base);
    assert_ne!(compute_tag(a, key(1, 8).bytes(), Version::V3, 51, a4(11), &msg, &covered), base);
}

#[test]
fn signed_adverts_are_accepted_for_v2_and_v3_ipv4_and_ipv6() {
    for (version, family) in [(Version::V2, Family::Ipv4), (Version::V3, Family::Ipv4), (Version::V3, Family::Ipv6)] {
        let (_, master, mut backup) = pair(version, family, HmacMode::Enforce);
        let bytes = advert(&master, 200);
        let plain = Instance::new(InstanceConfig { hmac: None, ..master.config().clone() }).unwrap();
        assert_eq!(bytes.len(), advert(&plain, 200).len() + TRAILER_LEN, "{version} {family}");
        let got = deliver(&mut backup, master.config().primary_address, &bytes);
        assert_eq!(got.map(|a| a.priority), Ok(200), "{version} {family}");
        assert_eq!(backup.master().map(|m| m.priority), Some(200));
    }
}

#[test]
fn ipv6_checksum_covers_the_trailer_and_ipv4_checksum_does_not() {
    let (_, m6, _) = pair(Version::V3, Family::Ipv6, HmacMode::Enforce);
    let b6 = advert(&m6, 200);
    let ctx6 = ChecksumContext { src: ll6(11), dst: IpAddr::V6(GROUP_V6) };
    assert_eq!(checksum::compute(&b6, Some(&ctx6)), Some(0));
    assert_ne!(checksum::compute(&b6[..b6.len() - TRAILER_LEN], Some(&ctx6)), Some(0));
    let (_, m4, _) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let b4 = advert(&m4, 200);
    let ctx4 = ChecksumContext { src: a4(11), dst: IpAddr::V4(GROUP_V4) };
    assert_eq!(checksum::compute(&b4[..b4.len() - TRAILER_LEN], Some(&ctx4)), Some(0));
}

#[test]
fn enforce_rejects_an_advert_without_trailer_and_counts_it() {
    let (a, _, mut backup) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let attacker = Instance::new(instance_cfg(Version::V3, 254, a4(66), None)).unwrap();
    let got = deliver(&mut backup, a4(66), &advert(&attacker, 254));
    assert_eq!(got, Err(RxError::Hmac(HmacError::Missing)));
    assert_eq!(backup.stats().auth_ext_missing, 1);
    assert_eq!(backup.state(), State::Backup);
    let _ = a;
}

#[test]
fn receive_only_and_permissive_accept_adverts_without_trailer() {
    for mode in [HmacMode::ReceiveOnly, HmacMode::Permissive] {
        let (_, _, mut backup) = pair(Version::V3, Family::Ipv4, mode);
        let legacy = Instance::new(instance_cfg(Version::V3, 200, a4(11), None)).unwrap();
        assert_eq!(deliver(&mut backup, a4(11), &advert(&legacy, 200)).map(|a| a.priority), Ok(200), "{mode:?}");
    }
}

#[test]
fn receive_only_sends_no_trailer_and_permissive_signs() {
    let (_, ro, _) = pair(Version::V3, Family::Ipv4, HmacMode::ReceiveOnly);
    assert_eq!(advert(&ro, 200).len(), 12);
    let (_, pm, _) = pair(Version::V3, Family::Ipv4, HmacMode::Permissive);
    assert_eq!(advert(&pm, 200).len(), 12 + TRAILER_LEN);
}

#[test]
fn a_present_trailer_is_verified_in_every_mode() {
    for mode in HmacMode::ALL {
        let (_, master, mut backup) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
        let mut cfg = backup.config().clone();
        cfg.hmac.as_mut().unwrap().mode = mode;
        backup = Instance::new(cfg).unwrap();
        let mut bytes = advert(&master, 200);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x80;
        assert_eq!(deliver(&mut backup, a4(11), &bytes), Err(RxError::Hmac(HmacError::BadTag)), "{mode:?}");
        assert_eq!(backup.stats().auth_ext_invalid_hmac, 1);
    }
}

#[test]
fn a_forged_higher_priority_advert_is_rejected_and_the_master_stays() {
    // The hijack of issue 12 item 4: right VRID and addresses, priority 255, no key.
    let (a, master, mut backup) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    assert!(deliver(&mut backup, a4(11), &advert(&master, 200)).is_ok());
    let mut forged_cfg = instance_cfg(Version::V3, 254, a4(66), None);
    forged_cfg.hmac = Some(HmacConfig::new(a, key(1, 0x5a), 5)); // a guessed key, same id
    let forger = Instance::new(forged_cfg).unwrap();
    let got = deliver(&mut backup, a4(66), &advert(&forger, 254));
    assert_eq!(got, Err(RxError::Hmac(HmacError::BadTag)));
    assert_eq!(backup.master().map(|m| m.address), Some(a4(11)));
    assert_eq!(backup.stats().auth_ext_invalid_hmac, 1);
}

#[test]
fn a_replayed_advert_is_rejected() {
    let (_, master, mut backup) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let first = advert(&master, 200);
    assert!(deliver(&mut backup, a4(11), &first).is_ok());
    assert_eq!(deliver(&mut backup, a4(11), &first), Err(RxError::Hmac(HmacError::Replay)));
    assert_eq!(backup.stats().auth_ext_replay, 1);
    // The next genuine one (same clock reading: the counter breaks the tie) is fine.
    assert!(deliver(&mut backup, a4(11), &advert(&master, 200)).is_ok());
}

#[test]
fn an_advert_replayed_from_another_source_fails_the_tag() {
    let (_, master, mut backup) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let mut bytes = advert(&master, 200);
    // The attacker fixes the checksum for its own source (the checksum is no secret).
    let n = bytes.len() - TRAILER_LEN;
    let mut pkt = Packet::new_unchecked(&mut bytes[..n]);
    pkt.set_checksum(0);
    let ctx = ChecksumContext { src: a4(66), dst: IpAddr::V4(GROUP_V4) };
    let sum = checksum::compute(&bytes[..n], Some(&ctx)).unwrap();
    Packet::new_unchecked(&mut bytes[..n]).set_checksum(sum);
    assert_eq!(deliver(&mut backup, a4(66), &bytes), Err(RxError::Hmac(HmacError::BadTag)));
}

#[test]
fn time_anti_replay_rejects_adverts_outside_the_window_before_hashing() {
    let (a, master, mut backup) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let bytes = advert(&master, 200);
    a.secs.store(T0 + 6, Ordering::Relaxed);
    assert_eq!(deliver(&mut backup, a4(11), &bytes), Err(RxError::Hmac(HmacError::Stale { skew_s: 6 })));
    a.secs.store(T0 - 6, Ordering::Relaxed);
    assert_eq!(deliver(&mut backup, a4(11), &bytes), Err(RxError::Hmac(HmacError::Stale { skew_s: -6 })));
    assert_eq!(backup.stats().auth_ext_stale, 2);
    a.secs.store(T0 + 5, Ordering::Relaxed);
    assert!(deliver(&mut backup, a4(11), &bytes).is_ok(), "the window is inclusive");
}

#[test]
fn monotonic_anti_replay_ignores_the_clock() {
    let a = auth();
    let mut h = hmac_cfg(a, HmacMode::Enforce);
    h.anti_replay = AntiReplay::Monotonic;
    let master = Instance::new(instance_cfg(Version::V3, 200, a4(11), Some(h.clone()))).unwrap();
    let mut backup = Instance::new(instance_cfg(Version::V3, 100, a4(12), Some(h))).unwrap();
    let bytes = advert(&master, 200);
    a.secs.store(T0 + 10_000, Ordering::Relaxed);
    assert!(deliver(&mut backup, a4(11), &bytes).is_ok());
    assert_eq!(deliver(&mut backup, a4(11), &bytes), Err(RxError::Hmac(HmacError::Replay)));
}

#[test]
fn malformed_and_unknown_key_trailers_are_told_apart() {
    let (_, master, mut backup) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let bytes = advert(&master, 200);
    let at = bytes.len() - TRAILER_LEN;
    let mut b = bytes.clone();
    b[at] = 2;
    assert_eq!(deliver(&mut backup, a4(11), &b), Err(RxError::Hmac(HmacError::Malformed)));
    let mut b = bytes.clone();
    b[at + 3] = 1;
    assert_eq!(deliver(&mut backup, a4(11), &b), Err(RxError::Hmac(HmacError::Malformed)));
    let mut b = bytes;
    b[at + 1] = 9;
    assert_eq!(deliver(&mut backup, a4(11), &b), Err(RxError::Hmac(HmacError::UnknownKey(9))));
    assert_eq!((backup.stats().auth_ext_malformed, backup.stats().auth_ext_unknown_key), (2, 1));
}

#[test]
fn key_rotation_verifies_with_any_configured_key_and_signs_with_the_active_one() {
    let a = auth();
    let mut old = hmac_cfg(a, HmacMode::Enforce);
    old.keys.push(key(2, 0x77)).unwrap();
    let mut new = old.clone();
    new.active_key = 2;
    let sender = Instance::new(instance_cfg(Version::V3, 200, a4(11), Some(new))).unwrap();
    let bytes = advert(&sender, 200);
    assert_eq!(bytes[bytes.len() - TRAILER_LEN + 1], 2);
    let mut receiver = Instance::new(instance_cfg(Version::V3, 100, a4(12), Some(old))).unwrap();
    assert!(deliver(&mut receiver, a4(11), &bytes).is_ok());
}

#[test]
fn a_trailer_on_an_instance_without_auth_hmac_is_a_length_error() {
    let (_, master, _) = pair(Version::V3, Family::Ipv4, HmacMode::Enforce);
    let mut plain = Instance::new(instance_cfg(Version::V3, 100, a4(12), None)).unwrap();
    assert_eq!(deliver(&mut plain, a4(11), &advert(&master, 200)), Err(RxError::Length));
}

#[test]
fn replay_marks_are_kept_per_sender_and_the_least_recent_is_evicted() {
    let a = auth();
    let cfg = hmac_cfg(a, HmacMode::Enforce);
    let mut state = HmacState::default();
    let senders: StdVec<IpAddr> = (20..20 + SENDER_SLOTS as u8 + 1).map(a4).collect();
    let signed = |src: IpAddr, seq: u64| {
        let inst = Instance::new(instance_cfg(Version::V3, 200, src, Some(cfg.clone()))).unwrap();
        let mut buf = [0u8; 64];
        let plain = InstanceConfig { hmac: None, ..inst.config().clone() };
        let n = Instance::new(plain).unwrap().write_advert(200, &mut buf).unwrap();
        let ctx = ChecksumContext { src, dst: IpAddr::V4(GROUP_V4) };
        let n = sign(&cfg, Version::V3, &ctx, &mut buf, n, seq).unwrap();
        buf[..n].to_vec()
    };
    let check = |state: &mut HmacState, src: IpAddr, bytes: &[u8]| {
        let (m, t) = split_trailer(bytes, Family::Ipv4);
        state.verify(&cfg, Version::V3, 51, src, m, t, None)
    };
    let seq = WallClock { secs: T0, subsec: 0 }.sequence();
    let first = signed(senders[0], seq);
    assert_eq!(check(&mut state, senders[0], &first), Ok(()));
    for s in &senders[1..SENDER_SLOTS] {
        assert_eq!(check(&mut state, *s, &signed(*s, seq)), Ok(()), "each sender has its own mark");
    }
    assert_eq!(check(&mut state, senders[0], &first), Err(HmacError::Replay));
    // A fifth sender evicts the least recently used (senders[1]; senders[0] was just used).
    let fifth = senders[SENDER_SLOTS];
    assert_eq!(check(&mut state, fifth, &signed(fifth, seq)), Ok(()));
    assert_eq!(check(&mut state, senders[1], &signed(senders[1], seq)), Ok(()), "evicted: mark forgotten");
    assert_eq!(check(&mut state, senders[0], &first), Err(HmacError::Replay), "kept");
}

#[test]
fn an_explicit_mark_serves_unicast_peers() {
    let a = auth();
    let cfg = hmac_cfg(a, HmacMode::Enforce);
    let master = Instance::new(instance_cfg(Version::V3, 200, a4(11), Some(cfg.clone()))).unwrap();
    let bytes = advert(&master, 200);
    let (m, t) = split_trailer(&bytes, Family::Ipv4);
    let mut state = HmacState::default();
    let mut peer = ReplayMark::default();
    assert_eq!(state.verify(&cfg, Version::V3, 51, a4(11), m, t, Some(&mut peer)), Ok(()));
    assert_eq!(state.verify(&cfg, Version::V3, 51, a4(11), m, t, Some(&mut peer)), Err(HmacError::Replay));
    assert_eq!(state.verify(&cfg, Version::V3, 51, a4(11), m, t, None), Ok(()), "the multicast table is separate");
}

#[test]
fn send_sequence_follows_the_clock_and_never_repeats() {
    let state = HmacState::default();
    let time = AntiReplay::Time { window_s: 5 };
    let c0 = WallClock { secs: T0, subsec: 10 };
    assert_eq!(state.next_sequence(time, c0), c0.sequence());
    assert_eq!(state.next_sequence(time, c0), c0.sequence() + 1, "same clock: the counter");
    let later = WallClock { secs: T0 + 1, subsec: 0 };
    assert_eq!(state.next_sequence(time, later), later.sequence());
    // The clock steps back 3 s (within the window): keep growing from the last.
    let back = WallClock { secs: T0 - 2, subsec: 0 };
    assert_eq!(state.next_sequence(time, back), later.sequence() + 1);
    // Stepped back past the window: receivers would reject the old line, restart.
    let far = WallClock { secs: T0 - 10, subsec: 0 };
    assert_eq!(state.next_sequence(time, far), far.sequence());
    // Monotonic never goes back.
    let mono = HmacState::default();
    assert_eq!(mono.next_sequence(AntiReplay::Monotonic, later), later.sequence());
    assert_eq!(mono.next_sequence(AntiReplay::Monotonic, far), later.sequence() + 1);
}

#[test]
fn the_first_sequence_is_the_clock_s_even_past_2038() {
    // Found by fuzz/hmac_trailer: a last value of 0 is "after" a clock past 2^31 s.
    let state = HmacState::default();
    let c = WallClock { secs: 0x8000_0000, subsec: 0x4000 };
    assert_eq!(state.next_sequence(AntiReplay::Time { window_s: 5 }, c), c.sequence());
    assert_eq!(state.next_sequence(AntiReplay::Time { window_s: 5 }, c), c.sequence() + 1);
}

#[test]
fn receivers_accept_a_restarted_sender_once_its_old_mark_leaves_the_window() {
    let a = auth();
    let cfg = hmac_cfg(a, HmacMode::Enforce);
    let mut mark = ReplayMark::default();
    let t = |secs| WallClock { secs, subsec: 0 }.sequence();
    let now = |secs| WallClock { secs, subsec: 0 };
    assert!(mark.accept(t(T0 + 3), cfg.anti_replay, now(T0)));
    assert!(!mark.accept(t(T0 + 1), cfg.anti_replay, now(T0)), "behind the mark");
    assert!(mark.accept(t(T0 + 1), cfg.anti_replay, now(T0 + 9)), "mark aged out of the 5 s window");
}

#[test]
fn key_and_window_bounds_are_keepaliveds() {
    assert!(HmacKey::new(1, &[0; KEY_MIN - 1]).is_none());
    assert!(HmacKey::new(1, &[0; KEY_MAX + 1]).is_none());
    assert!(HmacKey::new(0, &[0; KEY_MIN]).is_none(), "ids are 1..=255");
    assert_eq!(HmacKey::new(255, &[3; KEY_MAX]).unwrap().bytes(), &[3; KEY_MAX]);
    assert_eq!(AntiReplay::default_window_s(100), 5, "max(3 x 1 s, 5)");
    assert_eq!(AntiReplay::default_window_s(50), 5);
    assert_eq!(AntiReplay::default_window_s(1000), 30);
    assert_eq!(AntiReplay::default_window_s(25_500), 300);
}

#[test]
fn config_errors_match_keepalived_s_checks() {
    let a = auth();
    let mut h = hmac_cfg(a, HmacMode::Enforce);
    h.active_key = 2;
    assert_eq!(h.validate(), Err(HmacConfigError::ActiveKeyUndefined(2)));
    let mut h = hmac_cfg(a, HmacMode::Enforce);
    h.keys.push(key(1, 9)).unwrap();
    assert_eq!(h.validate(), Err(HmacConfigError::DuplicateKeyId(1)));
    let mut h = hmac_cfg(a, HmacMode::Enforce);
    h.anti_replay = AntiReplay::Time { window_s: 301 };
    assert_eq!(h.validate(), Err(HmacConfigError::WindowOutOfRange(301)));
    let mut c = instance_cfg(Version::V2, 100, a4(11), Some(hmac_cfg(a, HmacMode::Enforce)));
    c.auth = crate::wire::Auth::simple_text(b"secret");
    assert_eq!(c.validate(), Err(ConfigError::HmacWithAuth));
    let c = instance_cfg(Version::V2, 100, a4(11), Some(h));
    assert_eq!(c.validate(), Err(ConfigError::Hmac(HmacConfigError::WindowOutOfRange(301))));
}

#[test]
fn key_material_is_not_printed() {
    let k = HmacKey::new(1, b"0123456789abcdef0123456789abcdef").unwrap();
    let text = std::format!("{:?}", hmac_cfg(auth(), HmacMode::Enforce)) + &std::format!("{k:?}");
    assert!(!text.contains("0123456789"), "{text}");
    assert!(!text.contains("165"), "key fill 0xa5 shows as 165: {text}");
}

#[test]
fn mode_names_are_keepalived_s() {
    for m in HmacMode::ALL {
        assert_eq!(HmacMode::from_name(m.as_str()), Some(m));
    }
    assert_eq!(HmacMode::from_name("enforced"), None);
}
