//! VRRP conformance suite: one test per scenario of the conformance plan, named after it,
//! each citing the RFC clause it checks. README.md lists them in a table.
//!
//! Every scenario drives the public API only, as a peer on the wire would: packets are
//! bytes built by another instance (or mutated from one), time is explicit. The
//! configurations and adverts come from `vrrp_model::scenarios`, which benches/replay's
//! `export-traces` also builds these scenarios' input traces from.

use core::net::IpAddr;

use vrrp_core::instance::{Action, Reason, RxError, State};
use vrrp_core::wire::{Auth, Version};
use vrrp_core::{timers, Duration, Instance, InstanceConfig, Instant, Router};
use vrrp_model::scenarios::{
    a4, bad_checksum, bytes_from, cfg, global6, group, ll6, no_addresses, peer_v3, too_long, vip6, wrong_type,
    wrong_version, zero_interval,
};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn drain(i: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

fn started(c: InstanceConfig) -> Instance {
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(ms(0));
    drain(&mut i);
    i
}

fn backup(version: Version, priority: u8) -> Instance {
    started(cfg(version, priority, a4(11)))
}

fn master(version: Version, priority: u8) -> Instance {
    let mut i = backup(version, priority);
    i.handle_timeout(i.poll_timeout().unwrap());
    drain(&mut i);
    assert_eq!(i.state(), State::Master);
    i
}

fn rx(
    i: &mut Instance,
    at: Instant,
    from: IpAddr,
    ttl: u8,
    bytes: &[u8],
) -> Result<vrrp_core::instance::Accepted, RxError> {
    i.handle_packet(at, from, group(&from), ttl, bytes)
}

/// RFC 9568 §7.1 ¶1; RFC 3768 §7.1: TTL must be 255.
#[test]
fn conformance_01_ttl_not_255_is_discarded() {
    let mut b = backup(Version::V3, 100);
    let before = b.poll_timeout();
    assert_eq!(rx(&mut b, ms(10), a4(12), 1, &bytes_from(&peer_v3(200), 200)), Err(RxError::Ttl(1)));
    assert_eq!(b.stats().ip_ttl_errors, 1);
    assert_eq!(b.poll_timeout(), before, "a discarded packet changes nothing");
}

/// RFC 9568 §7.1 ¶2: version must be 3 (and RFC 3768: 2) — a v2 advert to a v3 router.
#[test]
fn conformance_02_wrong_version_is_discarded() {
    let mut b = backup(Version::V3, 100);
    let v2 = bytes_from(&cfg(Version::V2, 200, a4(12)), 200);
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &v2), Err(RxError::Version(2)));
    let bad = wrong_version(&bytes_from(&peer_v3(200), 200));
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bad), Err(RxError::Version(5)));
}

/// RFC 9568 §7.1 ¶3: the packet must hold the complete advert — short.
#[test]
fn conformance_03_short_length_is_discarded() {
    let mut b = backup(Version::V3, 100);
    let good = bytes_from(&peer_v3(200), 200);
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &good[..good.len() - 1]), Err(RxError::Length));
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &good[..5]), Err(RxError::Length));
    assert_eq!(b.stats().packet_length_errors, 2);
}

/// RFC 9568 §7.1 ¶3: length must match Count — long.
#[test]
fn conformance_04_long_length_is_discarded() {
    let mut b = backup(Version::V3, 100);
    let long = too_long(&bytes_from(&peer_v3(200), 200));
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &long), Err(RxError::Length));
}

/// RFC 9568 §7.1 ¶4: checksum must verify.
#[test]
fn conformance_05_bad_checksum_is_discarded() {
    let mut r: Router<2> = Router::new();
    r.add(cfg(Version::V3, 100, a4(11))).unwrap();
    r.start_all(ms(0));
    let bad = bad_checksum(&bytes_from(&peer_v3(200), 200));
    let d = r.handle_packet(ms(5), 1, a4(12), group(&a4(12)), 255, &bad).unwrap_err();
    assert_eq!(d.error, RxError::Checksum);
    assert_eq!(r.stats().checksum_errors, 1);
}

/// RFC 9568 §7.1 ¶5: the VRID must be configured on the receiving interface.
#[test]
fn conformance_06_unknown_vrid_is_discarded() {
    let mut r: Router<2> = Router::new();
    r.add(cfg(Version::V3, 100, a4(11))).unwrap();
    let mut other = peer_v3(200);
    other.vrid = 52;
    let d = r.handle_packet(ms(5), 1, a4(12), group(&a4(12)), 255, &bytes_from(&other, 200)).unwrap_err();
    assert_eq!((d.error, d.instance), (RxError::UnknownVrid(52), None));
    let d = r.handle_packet(ms(5), 2, a4(12), group(&a4(12)), 255, &bytes_from(&peer_v3(200), 200)).unwrap_err();
    assert_eq!(d.error, RxError::UnknownVrid(51), "same VRID on another interface is another router");
    assert_eq!(r.stats().vrid_errors, 2);
}

/// RFC 9568 §5.2.2: only type 1 (ADVERTISEMENT); others are discarded.
#[test]
fn conformance_07_wrong_type_is_discarded() {
    let mut b = backup(Version::V3, 100);
    let bad = wrong_type(&bytes_from(&peer_v3(200), 200));
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bad), Err(RxError::InvalidType(2)));
    assert_eq!(b.stats().rcvd_invalid_type_packets, 1);
}

/// RFC 9568 §5.2.5: Count IPvX Addr is at least 1.
#[test]
fn conformance_08_count_zero_is_discarded() {
    let mut b = backup(Version::V3, 100);
    let bad = no_addresses(&bytes_from(&peer_v3(200), 200));
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bad), Err(RxError::NoAddresses));
}

/// RFC 9568 §5.2.7: Max Adver Int 0 is invalid.
#[test]
fn conformance_09_interval_zero_is_discarded() {
    let mut b = backup(Version::V3, 100);
    let bad = zero_interval(&bytes_from(&peer_v3(200), 200));
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bad), Err(RxError::ZeroInterval));
    assert_eq!(b.stats().adv_interval_errors, 1);
}

/// RFC 9568 §6.4.3: a master receiving priority 0 sends an advert at once.
#[test]
fn conformance_10_priority_zero_received_by_master() {
    let mut m = master(Version::V3, 100);
    rx(&mut m, ms(8000), a4(12), 255, &bytes_from(&peer_v3(200), 0)).unwrap();
    assert_eq!(drain(&mut m), [Action::SendAdvert { priority: 100 }]);
    assert_eq!(m.state(), State::Master);
}

/// RFC 9568 §6.4.2: a backup receiving priority 0 takes over after Skew_Time.
#[test]
fn conformance_11_priority_zero_received_by_backup() {
    let mut b = backup(Version::V3, 100);
    rx(&mut b, ms(500), a4(12), 255, &bytes_from(&peer_v3(200), 0)).unwrap();
    let skew = timers::skew_time(100, 100);
    assert_eq!(b.poll_timeout(), Some(ms(500) + skew));
    b.handle_timeout(ms(500) + skew);
    assert_eq!(b.state(), State::Master);
}

/// RFC 9568 §6.4.1: the address owner (priority 255) becomes master at startup at once.
#[test]
fn conformance_12_owner_priority_255_at_startup() {
    let mut o = Instance::new(cfg(Version::V3, 255, a4(11))).unwrap();
    o.handle_startup(ms(0));
    assert_eq!(o.state(), State::Master);
    assert!(drain(&mut o).contains(&Action::SendAdvert { priority: 255 }));
}

/// RFC 9568 §6.4.3: equal priority, the higher primary address wins (unsigned compare).
#[test]
fn conformance_13_equal_priority_tie_break_by_address() {
    let mut m = master(Version::V3, 100);
    rx(&mut m, ms(8000), a4(10), 255, &bytes_from(&cfg(Version::V3, 100, a4(10)), 100)).unwrap();
    assert_eq!(m.state(), State::Master, "lower address loses");
    rx(&mut m, ms(8001), a4(200), 255, &bytes_from(&cfg(Version::V3, 100, a4(200)), 100)).unwrap();
    assert_eq!(m.state(), State::Backup, "higher address wins");
}

/// RFC 9568 §6.4.2 (Preempt_Mode true): a higher-priority backup ignores a lower master and takes over.
#[test]
fn conformance_14_preempt_on() {
    let mut b = backup(Version::V3, 200);
    let down = b.poll_timeout().unwrap();
    for t in (0..3600).step_by(1000) {
        rx(&mut b, ms(t), a4(12), 255, &bytes_from(&peer_v3(100), 100)).unwrap();
    }
    assert_eq!(b.poll_timeout(), Some(down), "lower-priority adverts do not hold it back");
    b.handle_timeout(down);
    assert_eq!(
        drain(&mut b)[0],
        Action::StateChanged { from: State::Backup, to: State::Master, reason: Reason::Preempted }
    );
}

/// RFC 9568 §6.4.2 (Preempt_Mode false): a higher-priority backup leaves a lower master alone.
#[test]
fn conformance_15_preempt_off() {
    let mut c = cfg(Version::V3, 200, a4(11));
    c.preempt = false;
    let mut b = started(c);
    for t in (0..20_000).step_by(1000) {
        rx(&mut b, ms(t), a4(12), 255, &bytes_from(&peer_v3(100), 100)).unwrap();
        b.handle_timeout(ms(t));
    }
    assert_eq!(b.state(), State::Backup);
}

/// RFC 9568 §6.1 Accept_Mode: a non-owner master accepts VIP traffic only with accept mode.
#[test]
fn conformance_16_accept_mode() {
    assert!(!master(Version::V3, 100).accepts_vip_traffic());
    let mut c = cfg(Version::V3, 100, a4(11));
    c.accept_mode = true;
    let mut m = started(c);
    m.handle_timeout(m.poll_timeout().unwrap());
    assert!(m.accepts_vip_traffic());
}

/// RFC 3768 §7.1 ¶5-6 / RFC 2787: v2 auth type and password must match.
#[test]
fn conformance_17_v2_auth_mismatch() {
    let mut b = backup(Version::V2, 100);
    let mut p = cfg(Version::V2, 200, a4(12));
    p.auth = Auth::simple_text(b"other");
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bytes_from(&p, 200)), Err(RxError::AuthFailure));
    p.auth = Auth::None;
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bytes_from(&p, 200)), Err(RxError::AuthTypeMismatch { received: 0 }));
    let s = b.stats();
    assert_eq!((s.auth_failures, s.auth_type_mismatch), (1, 1));
}

/// RFC 3768 §7.1 ¶7: v2 Adver Int must equal ours.
#[test]
fn conformance_18_v2_interval_mismatch() {
    let mut b = backup(Version::V2, 100);
    let mut p = cfg(Version::V2, 200, a4(12));
    p.advert_interval_cs = 300;
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bytes_from(&p, 200)), Err(RxError::IntervalMismatch { received_s: 3 }));
}

/// RFC 9568 §6.4.2: a v3 backup learns Master_Adver_Interval from the master.
#[test]
fn conformance_19_v3_interval_learning() {
    let mut b = backup(Version::V3, 100);
    let mut p = peer_v3(200);
    p.advert_interval_cs = 25;
    rx(&mut b, ms(10), a4(12), 255, &bytes_from(&p, 200)).unwrap();
    assert_eq!(b.master_adver_interval_cs(), 25);
    assert_eq!(b.poll_timeout(), Some(ms(10) + timers::master_down_interval(100, 25)));
}

/// RFC 3768 §7.1 ¶8: v2 address list mismatch from a non-owner is dropped.
#[test]
fn conformance_20_v2_address_list_mismatch_drops() {
    let mut b = backup(Version::V2, 100);
    let mut p = cfg(Version::V2, 200, a4(12));
    p.vips[0] = a4(77);
    assert_eq!(rx(&mut b, ms(10), a4(12), 255, &bytes_from(&p, 200)), Err(RxError::AddressListMismatch));
    assert_eq!(b.stats().address_list_errors, 1);
}

/// RFC 9568 §7.1 ¶6: v3 address list mismatch is logged (reported), not dropped.
#[test]
fn conformance_21_v3_address_list_mismatch_logs() {
    let mut b = backup(Version::V3, 100);
    let mut p = peer_v3(200);
    p.vips[0] = a4(77);
    let accepted = rx(&mut b, ms(10), a4(12), 255, &bytes_from(&p, 200)).unwrap();
    assert!(accepted.address_list_mismatch);
    assert_eq!(b.poll_timeout(), Some(ms(10) + b.master_down_interval()), "the advert still counts");
}

/// RFC 9568 §6.4.3: a master receiving a lower priority sends an advert at once and stays;
/// it also re-announces its VIPs, undoing the usurper's gratuitous ARPs.
#[test]
fn conformance_22_master_receives_lower_priority() {
    let mut m = master(Version::V3, 200);
    rx(&mut m, ms(8000), a4(12), 255, &bytes_from(&peer_v3(100), 100)).unwrap();
    assert_eq!(drain(&mut m), [Action::SendAdvert { priority: 200 }, Action::Announce]);
    assert_eq!(m.state(), State::Master);
}

/// RFC 9568 §5.1.2.1 / §5.2.9 and erratum 8300: IPv6 adverts come from a link-local
/// source, and a group whose own list starts with its virtual link-local address drops
/// adverts whose first address is not link-local. A group configured as keepalived
/// users do (global VIPs only, which is what keepalived sends, see the captured vector)
/// hears such lists: insisting would make every keepalived peer invisible.
#[test]
fn conformance_23_ipv6_link_local() {
    let mut b = started(cfg(Version::V3, 100, ll6(0x11)));
    let p = cfg(Version::V3, 200, ll6(0x12));
    rx(&mut b, ms(10), ll6(0x12), 255, &bytes_from(&p, 200)).expect("link-local source, global VIP first");
    let global_src = global6(0x12);
    let p = cfg(Version::V3, 200, global_src);
    assert_eq!(rx(&mut b, ms(10), global_src, 255, &bytes_from(&p, 200)), Err(RxError::SourceNotLinkLocal));

    // An RFC-style group: fe80::1 (the virtual link-local address) listed first.
    let rfc_style = |priority: u8, primary: IpAddr, vips: [IpAddr; 2]| {
        let mut c = cfg(Version::V3, priority, primary);
        c.vips.clear();
        c.vips.extend(vips);
        c
    };
    let vll = ll6(1);
    let mut b = started(rfc_style(100, ll6(0x11), [vll, vip6()]));
    let good = rfc_style(200, ll6(0x12), [vll, vip6()]);
    rx(&mut b, ms(10), ll6(0x12), 255, &bytes_from(&good, 200)).expect("link-local first");
    let bad = rfc_style(200, ll6(0x12), [vip6(), vll]);
    assert_eq!(rx(&mut b, ms(20), ll6(0x12), 255, &bytes_from(&bad, 200)), Err(RxError::FirstAddressNotLinkLocal));
    assert_eq!(b.stats().address_list_errors, 1);
}

/// RFC 9568 §7.1 as amended by erratum 8298: an address owner that hears an advert for
/// its VRID logs it and processes it, so two routers both configured as owner elect one
/// master (the higher address) instead of ignoring each other. RFC 3768 §7.1 (v2) still
/// discards.
#[test]
fn conformance_26_owner_receives_advert_for_its_vrid() {
    let owner = |version: Version, primary: IpAddr| started(cfg(version, 255, primary));
    let mut low = owner(Version::V3, a4(11));
    let mut high = owner(Version::V3, a4(12));
    let from_high = bytes_from(&cfg(Version::V3, 255, a4(12)), 255);
    let from_low = bytes_from(&cfg(Version::V3, 255, a4(11)), 255);
    assert!(rx(&mut low, ms(10), a4(12), 255, &from_high).unwrap().local_owner);
    assert!(rx(&mut high, ms(10), a4(11), 255, &from_low).unwrap().local_owner);
    assert_eq!((low.state(), high.state()), (State::Backup, State::Master));

    let mut v2 = owner(Version::V2, a4(11));
    let v2_from_high = bytes_from(&cfg(Version::V2, 255, a4(12)), 255);
    assert_eq!(rx(&mut v2, ms(10), a4(12), 255, &v2_from_high), Err(RxError::LocalOwner));
    assert_eq!(v2.state(), State::Master);
}

/// RFC 9568 §6.4.3: a master shutting down says goodbye with priority 0.
#[test]
fn conformance_24_master_shutdown_sends_priority_zero() {
    let mut m = master(Version::V3, 100);
    m.handle_shutdown(ms(9000));
    assert_eq!(drain(&mut m)[0], Action::SendAdvert { priority: 0 });
}

/// RFC 9568 §6.4.2 and §6.1: Master_Down_Interval = 3 × interval + Skew_Time exactly.
#[test]
fn conformance_25_master_down_interval_timing() {
    let b = backup(Version::V3, 100);
    assert_eq!(b.poll_timeout(), Some(ms(0) + Duration::from_micros(3_609_375)));
}
