//! Known-answer tests for keepalived 2.4's `auth_hmac`: adverts captured from keepalived
//! v2.4.3 built from its source (`scripts/capture-keepalived-hmac-vectors.sh`, fixtures in
//! `tests/fixtures/hmac/` with the configs and keys that produced them).
//!
//! For each capture, vrrpd's own config reader and planner read keepalived's file, and:
//! - every captured advert verifies with our HMAC-SHA256 (`vrrp_node::auth_hmac`);
//! - for the same clock reading our emitter writes keepalived's bytes exactly, trailer
//!   and checksum included;
//! - a second copy of a captured advert is a replay, a captured advert outside the time
//!   window is stale, and an altered one (checksum fixed up) fails the tag.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use vrrp_core::wire::hmac::{Authenticator, HmacError, WallClock, TRAILER_LEN};
use vrrp_core::wire::{internet_checksum, Family};
use vrrp_core::{Instance, InstanceConfig, Instant, RxError, State};
use vrrp_node::auth_hmac::SYSTEM;
use vrrp_node::config;
use vrrp_node::daemon::plan::{plan_instance, LinkFacts};

/// The host's HMAC-SHA256 with a clock the test sets (seconds << 16 | subseconds).
struct FixedClock(AtomicU64);

impl Authenticator for FixedClock {
    fn hmac_sha256(&self, key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        SYSTEM.hmac_sha256(key, parts)
    }

    fn wall_clock(&self) -> WallClock {
        let v = self.0.load(Ordering::Relaxed);
        WallClock { secs: (v >> 16) as u32, subsec: v as u16 }
    }
}

impl FixedClock {
    fn set(&self, c: WallClock) {
        self.0.store((u64::from(c.secs) << 16) | u64::from(c.subsec), Ordering::Relaxed);
    }
}

struct Captured {
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    /// The IP payload: VRRP message and trailer.
    payload: Vec<u8>,
}

impl Captured {
    fn trailer(&self) -> &[u8] {
        &self.payload[self.payload.len() - TRAILER_LEN..]
    }

    /// The trailer's sequence as the clock reading that produced it (counter 0).
    fn clock(&self) -> WallClock {
        let t = self.trailer();
        assert_eq!(&t[10..12], &[0, 0], "keepalived's counter is 0 when the clock moved");
        WallClock { secs: u32::from_be_bytes(t[4..8].try_into().unwrap()), subsec: u16::from_be_bytes([t[8], t[9]]) }
    }

    fn priority(&self) -> u8 {
        self.payload[2]
    }
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hmac"))
}

fn packets(case: &str) -> Vec<Captured> {
    let text = std::fs::read_to_string(fixtures().join(format!("{case}.hex"))).unwrap();
    text.lines()
        .map(|line| {
            let ip: Vec<u8> =
                (0..line.len()).step_by(2).map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap()).collect();
            match ip[0] >> 4 {
                4 => {
                    let ihl = usize::from(ip[0] & 0x0f) * 4;
                    let v4 = |at: usize| IpAddr::V4(Ipv4Addr::new(ip[at], ip[at + 1], ip[at + 2], ip[at + 3]));
                    Captured { src: v4(12), dst: v4(16), ttl: ip[8], payload: ip[ihl..].to_vec() }
                }
                6 => {
                    let v6 = |at: usize| IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&ip[at..at + 16]).unwrap()));
                    Captured { src: v6(8), dst: v6(24), ttl: ip[7], payload: ip[40..].to_vec() }
                }
                v => panic!("IP version {v}"),
            }
        })
        .collect()
}

/// keepalived's config for `case`, through vrrpd's reader and planner, with `primary` as
/// the source address and the test's clock.
fn core_config(case: &str, primary: IpAddr, clock: &'static FixedClock) -> InstanceConfig {
    let cfg = config::load(&fixtures().join(format!("{case}.conf"))).unwrap_or_else(|e| panic!("{}", e.render()));
    let facts = LinkFacts {
        ifindex: 1,
        primary_v4: matches!(primary, IpAddr::V4(_)).then_some(primary),
        link_local_v6: matches!(primary, IpAddr::V6(_)).then_some(primary),
    };
    let mut core = plan_instance(&cfg.global, &cfg.instances[0], &facts).unwrap().core;
    core.hmac.as_mut().expect("the fixture configures auth_hmac").authenticator = clock;
    core
}

fn clock() -> &'static FixedClock {
    Box::leak(Box::new(FixedClock(AtomicU64::new(0))))
}

fn backup_of(cfg: &InstanceConfig, addr: IpAddr) -> Instance {
    let mut c = cfg.clone();
    c.priority = 1;
    c.primary_address = addr;
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(Instant::from_millis(0));
    while i.poll_action().is_some() {}
    i
}

fn peer_address(family: Family) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(192, 0, 2, 12)),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0x12)),
    }
}

fn run_kat(case: &str, expect_family: Family, expect_trailer_key: u8) {
    let caps = packets(case);
    assert!(caps.len() >= 3, "{case}: {} packets", caps.len());
    let clk = clock();
    let cfg = core_config(case, caps[0].src, clk);
    assert_eq!(cfg.family(), expect_family);
    let mut backup = backup_of(&cfg, peer_address(expect_family));
    let master = Instance::new(cfg.clone()).unwrap();
    for (n, cap) in caps.iter().enumerate() {
        assert_eq!(cap.ttl, 255);
        assert_eq!(cap.trailer()[..4], [1, expect_trailer_key, 0, 0], "{case} #{n}: Ext Type 1, key id, reserved");
        clk.set(cap.clock());
        // Ours, from the same config and clock, byte for byte keepalived's.
        let mut buf = [0u8; 512];
        let len = master.write_advert(cap.priority(), &mut buf).unwrap();
        assert_eq!(hex(&buf[..len]), hex(&cap.payload), "{case} #{n}: our advert differs from keepalived's");
        // Theirs verifies, once.
        let got = backup.handle_packet(Instant::from_millis(10 + n as u64), cap.src, cap.dst, cap.ttl, &cap.payload);
        assert_eq!(got.map(|a| a.priority), Ok(cap.priority()), "{case} #{n}");
        let again = backup.handle_packet(Instant::from_millis(10 + n as u64), cap.src, cap.dst, cap.ttl, &cap.payload);
        assert_eq!(again, Err(RxError::Hmac(HmacError::Replay)), "{case} #{n}: a replay");
    }
    assert_eq!(backup.stats().auth_ext_replay, caps.len() as u64);
    assert_eq!(backup.stats().rcvd_advertisements, caps.len() as u64);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn keepalived_2_4_v2_ipv4_hex_key() {
    run_kat("hmac-v2-ipv4", Family::Ipv4, 1);
}

#[test]
fn keepalived_2_4_v3_ipv4_rotated_to_ascii_key_2_monotonic() {
    run_kat("hmac-v3-ipv4", Family::Ipv4, 2);
}

#[test]
fn keepalived_2_4_v3_ipv6_key_from_file_permissive() {
    run_kat("hmac-v3-ipv6", Family::Ipv6, 7);
}

#[test]
fn a_captured_advert_replayed_later_is_stale_and_changes_nothing() {
    // Anti-replay by time (the default): today's clock is far past the capture.
    let caps = packets("hmac-v2-ipv4");
    let clk = clock();
    let cfg = core_config("hmac-v2-ipv4", caps[0].src, clk);
    let mut backup = backup_of(&cfg, peer_address(Family::Ipv4));
    let c = caps[0].clock();
    clk.set(WallClock { secs: c.secs + 6, subsec: 0 });
    let got = backup.handle_packet(Instant::from_millis(10), caps[0].src, caps[0].dst, 255, &caps[0].payload);
    assert_eq!(got, Err(RxError::Hmac(HmacError::Stale { skew_s: 6 })));
    assert_eq!((backup.state(), backup.master()), (State::Backup, None));
    assert_eq!(backup.stats().auth_ext_stale, 1);
}

#[test]
fn an_altered_captured_advert_fails_the_tag_even_with_its_checksum_fixed() {
    for case in ["hmac-v2-ipv4", "hmac-v3-ipv4", "hmac-v3-ipv6"] {
        let cap = &packets(case)[0];
        let clk = clock();
        let cfg = core_config(case, cap.src, clk);
        let mut backup = backup_of(&cfg, peer_address(cfg.family()));
        clk.set(cap.clock());
        let mut forged = cap.payload.clone();
        forged[2] = 255; // the hijack: claim the top priority
        let msg_len = forged.len() - TRAILER_LEN;
        forged[6..8].copy_from_slice(&[0, 0]);
        let sum = match (cfg.family(), cfg.version) {
            (Family::Ipv4, vrrp_core::wire::Version::V2) => internet_checksum(&forged[..msg_len]),
            (Family::Ipv4, _) => checksum_with_pseudo(cap, &forged[..msg_len]),
            (Family::Ipv6, _) => checksum_with_pseudo(cap, &forged),
        };
        forged[6..8].copy_from_slice(&sum.to_be_bytes());
        let got = backup.handle_packet(Instant::from_millis(10), cap.src, cap.dst, 255, &forged);
        assert_eq!(got, Err(RxError::Hmac(HmacError::BadTag)), "{case}");
        assert_eq!(backup.master(), None, "{case}");
    }
}

fn checksum_with_pseudo(cap: &Captured, covered: &[u8]) -> u16 {
    let mut acc = vrrp_core::wire::checksum::Accumulator::default();
    assert!(acc.add_pseudo_header(cap.src, cap.dst, 112, covered.len()));
    acc.add_bytes(covered);
    acc.finish()
}

#[test]
fn without_auth_hmac_a_signed_advert_is_too_long() {
    // What keepalived 2.2 (or vrrpd without the block) does with a signed advert, and
    // why the rollout starts with receive-only.
    let cap = &packets("hmac-v3-ipv4")[0];
    let clk = clock();
    let mut cfg = core_config("hmac-v3-ipv4", cap.src, clk);
    cfg.hmac = None;
    let mut plain = backup_of(&cfg, peer_address(Family::Ipv4));
    assert_eq!(
        plain.handle_packet(Instant::from_millis(10), cap.src, cap.dst, 255, &cap.payload),
        Err(RxError::Length)
    );
}
