//! State machine tests, named after the RFC 9568 / RFC 3768 clause they check.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::stats::ProtoErrReason;
use crate::wire::{AdvertRepr, ChecksumForm, GROUP_V4, GROUP_V6};

const IF: u32 = 7;

fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn ll6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last))
}

fn cfg(version: Version, priority: u8, primary: IpAddr) -> InstanceConfig {
    let mut c = InstanceConfig::new(IF, 51, version, primary);
    c.priority = priority;
    let vip = match primary {
        IpAddr::V4(_) => a4(1),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    };
    c.vips.push(vip).unwrap();
    if version == Version::V2 {
        c.auth = Auth::simple_text(b"XXXXXX");
    }
    c
}

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn drain(i: &mut Instance) -> std::vec::Vec<Action> {
    core::iter::from_fn(|| i.poll_action()).collect()
}

extern crate std;

/// An advert as `peer` (a config) would send it with `priority`.
fn advert_from(peer: &InstanceConfig, priority: u8) -> std::vec::Vec<u8> {
    let inst = Instance::new(peer.clone()).unwrap();
    let mut buf = [0u8; 256];
    let n = inst.write_advert(priority, &mut buf).unwrap();
    buf[..n].to_vec()
}

fn group(addr: &IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => IpAddr::V4(GROUP_V4),
        IpAddr::V6(_) => IpAddr::V6(GROUP_V6),
    }
}

fn deliver(i: &mut Instance, now: Instant, peer: &InstanceConfig, priority: u8) -> Result<Accepted, RxError> {
    let bytes = advert_from(peer, priority);
    i.handle_packet(now, peer.primary_address, group(&peer.primary_address), 255, &bytes)
}

fn backup(version: Version, priority: u8) -> Instance {
    let mut i = Instance::new(cfg(version, priority, a4(11))).unwrap();
    i.handle_startup(t(0));
    drain(&mut i);
    i
}

fn master(version: Version, priority: u8) -> Instance {
    let mut i = backup(version, priority);
    let down = i.poll_timeout().unwrap();
    i.handle_timeout(down);
    assert_eq!(i.state(), State::Master);
    drain(&mut i);
    i
}

#[test]
fn rfc9568_6_4_1_startup_non_owner_becomes_backup_with_down_timer() {
    let mut i = Instance::new(cfg(Version::V3, 100, a4(11))).unwrap();
    i.handle_startup(t(0));
    assert_eq!(i.state(), State::Backup);
    assert_eq!(
        drain(&mut i),
        [Action::StateChanged { from: State::Initialize, to: State::Backup, reason: Reason::Startup }]
    );
    assert_eq!(i.poll_timeout(), Some(t(0) + timers::master_down_interval(100, 100)));
}

#[test]
fn rfc9568_6_4_1_owner_becomes_master_at_once() {
    let mut i = Instance::new(cfg(Version::V3, 255, a4(11))).unwrap();
    i.handle_startup(t(5));
    assert_eq!(i.state(), State::Master);
    assert_eq!(
        drain(&mut i),
        [
            Action::StateChanged { from: State::Initialize, to: State::Master, reason: Reason::AddressOwner },
            Action::AddVips,
            Action::SendAdvert { priority: 255 },
            Action::Announce,
        ]
    );
    assert_eq!(i.poll_timeout(), Some(t(1005)));
    assert_eq!(i.stats().new_master_reason, NewMasterReason::Priority);
}

#[test]
fn rfc9568_6_4_2_master_down_timer_makes_backup_master() {
    let mut i = backup(Version::V3, 100);
    let down = i.poll_timeout().unwrap();
    i.handle_timeout(down - Duration::from_micros(1));
    assert_eq!(i.state(), State::Backup, "fires not a microsecond early");
    i.handle_timeout(down);
    assert_eq!(i.state(), State::Master);
    let actions = drain(&mut i);
    assert_eq!(
        actions[0],
        Action::StateChanged { from: State::Backup, to: State::Master, reason: Reason::MasterNoResponse }
    );
    assert!(actions.contains(&Action::SendAdvert { priority: 100 }));
    assert!(actions.contains(&Action::Announce));
    assert_eq!(i.stats().master_transitions, 1);
}

#[test]
fn rfc9568_6_4_2_backup_resets_down_timer_on_higher_priority_advert() {
    let mut i = backup(Version::V3, 100);
    let peer = cfg(Version::V3, 200, a4(12));
    deliver(&mut i, t(2000), &peer, 200).unwrap();
    assert_eq!(i.poll_timeout(), Some(t(2000) + timers::master_down_interval(100, 100)));
    assert_eq!(i.master().unwrap().address, a4(12));
}

#[test]
fn rfc9568_6_4_2_backup_receiving_priority_zero_waits_skew_time_only() {
    let mut i = backup(Version::V3, 100);
    let peer = cfg(Version::V3, 200, a4(12));
    deliver(&mut i, t(100), &peer, 0).unwrap();
    assert_eq!(i.poll_timeout(), Some(t(100) + timers::skew_time(100, 100)));
    assert_eq!(i.stats().rcvd_pri_zero_packets, 1);
    i.handle_timeout(t(100) + timers::skew_time(100, 100));
    assert_eq!(
        drain(&mut i)[0],
        Action::StateChanged { from: State::Backup, to: State::Master, reason: Reason::MasterLeft }
    );
}

#[test]
fn rfc9568_6_4_2_preempt_discards_lower_priority_advert() {
    let mut i = backup(Version::V3, 150);
    let before = i.poll_timeout();
    deliver(&mut i, t(1000), &cfg(Version::V3, 100, a4(12)), 100).unwrap();
    assert_eq!(i.poll_timeout(), before, "lower priority advert must not reset the timer");
    i.handle_timeout(before.unwrap());
    assert_eq!(
        drain(&mut i)[0],
        Action::StateChanged { from: State::Backup, to: State::Master, reason: Reason::Preempted }
    );
    assert_eq!(i.stats().new_master_reason, NewMasterReason::Preempted);
}

#[test]
fn rfc9568_6_4_2_nopreempt_accepts_lower_priority_master() {
    let mut c = cfg(Version::V3, 150, a4(11));
    c.preempt = false;
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    deliver(&mut i, t(1000), &cfg(Version::V3, 100, a4(12)), 100).unwrap();
    assert_eq!(i.poll_timeout(), Some(t(1000) + timers::master_down_interval(150, 100)));
}

#[test]
fn keepalived_preempt_delay_tolerates_lower_master_for_the_delay() {
    let mut c = cfg(Version::V3, 150, a4(11));
    c.preempt_delay = Duration::from_secs(5);
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    let low = cfg(Version::V3, 100, a4(12));
    for ms in (1000..6000).step_by(1000) {
        deliver(&mut i, t(ms), &low, 100).unwrap();
        assert_eq!(i.poll_timeout(), Some(t(ms) + i.master_down_interval()), "at {ms} ms");
    }
    // The delay (started at 1000 ms) is over at 6000 ms: now the advert is discarded.
    let before = i.poll_timeout();
    deliver(&mut i, t(6000), &low, 100).unwrap();
    assert_eq!(i.poll_timeout(), before);
}

#[test]
fn rfc9568_6_4_2_v3_backup_learns_master_adver_interval() {
    let mut i = backup(Version::V3, 100);
    let mut peer = cfg(Version::V3, 200, a4(12));
    peer.advert_interval_cs = 50;
    deliver(&mut i, t(0), &peer, 200).unwrap();
    assert_eq!(i.master_adver_interval_cs(), 50);
    assert_eq!(i.poll_timeout(), Some(t(0) + timers::master_down_interval(100, 50)));
}

#[test]
fn rfc3768_7_1_v2_interval_mismatch_is_discarded() {
    let mut i = backup(Version::V2, 100);
    let mut peer = cfg(Version::V2, 200, a4(12));
    peer.advert_interval_cs = 200;
    assert_eq!(deliver(&mut i, t(0), &peer, 200), Err(RxError::IntervalMismatch { received_s: 2 }));
    assert_eq!(i.stats().adv_interval_errors, 1);
    assert_eq!(i.master_adver_interval_cs(), 100);
}

#[test]
fn rfc9568_6_4_3_master_receives_lower_priority_sends_advert_at_once() {
    let mut i = master(Version::V3, 150);
    deliver(&mut i, t(9000), &cfg(Version::V3, 100, a4(12)), 100).unwrap();
    assert_eq!(i.state(), State::Master);
    assert_eq!(drain(&mut i), [Action::SendAdvert { priority: 150 }, Action::Announce]);
    assert_eq!(i.poll_timeout(), Some(t(10_000)));
}

/// A lower-priority advert from the LAN at `now` (v2: the seed's password).
fn lower(i: &mut Instance, now: Instant) -> std::vec::Vec<Action> {
    deliver(i, now, &cfg(i.config().version, 100, a4(12)), 100).unwrap();
    drain(i)
}

fn us(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

#[test]
fn rfc9568_6_4_3_lower_priority_replies_are_bounded_per_interval() {
    let mut i = master(Version::V2, 150);
    let reply = [Action::SendAdvert { priority: 150 }, Action::Announce];
    assert_eq!(lower(&mut i, t(9000)), reply, "the first is answered at once");
    assert_eq!(i.poll_timeout(), Some(t(10_000)), "and resets the Adver_Timer");
    // 999 more within the interval (the last a microsecond before it ends): counted only.
    for k in 1..999 {
        assert_eq!(lower(&mut i, t(9000 + k)), [], "#{k}");
    }
    assert_eq!(lower(&mut i, t(10_000) - us(1)), []);
    assert_eq!(i.stats().suppressed_replies, 999);
    assert_eq!(i.stats().rcvd_advertisements, 1000);
    assert_eq!(i.poll_timeout(), Some(t(10_000)), "suppressed ones leave the timer alone");
    // The regular advert on its grid, then, the interval over, the next one is answered.
    i.handle_timeout(t(10_000));
    assert_eq!(drain(&mut i), [Action::SendAdvert { priority: 150 }]);
    assert_eq!(lower(&mut i, t(10_000)), reply);
    assert_eq!(lower(&mut i, t(10_500)), []);
    assert_eq!(i.stats().suppressed_replies, 1000);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn rfc9568_6_4_3_a_reply_flood_never_delays_the_regular_adverts() {
    // One lower-priority advert every 100 µs for 10 s, timers fired when due, as an event
    // loop does: the adverts still go out at least once per interval (a flood that pushed
    // the Adver_Timer back would silence the master, and the backups would take over),
    // any one interval holds at most two (the regular one and one reply) and one
    // announcement, and every packet is answered or counted.
    let mut i = master(Version::V2, 150);
    let start = t(9000);
    while let Some(due) = i.poll_timeout().filter(|d| *d <= start) {
        i.handle_timeout(due);
    }
    drain(&mut i);
    let (mut adverts, mut announces) = (std::vec::Vec::new(), std::vec::Vec::new());
    let mut now = start;
    let mut packets = 0u64;
    while now < start + Duration::from_secs(10) {
        while let Some(due) = i.poll_timeout().filter(|d| *d <= now) {
            i.handle_timeout(due);
            for a in drain(&mut i) {
                assert_eq!(a, Action::SendAdvert { priority: 150 }, "{due:?}");
                adverts.push(due);
            }
        }
        for a in lower(&mut i, now) {
            match a {
                Action::SendAdvert { .. } => adverts.push(now),
                Action::Announce => announces.push(now),
                other => panic!("{other:?}"),
            }
        }
        packets += 1;
        now = now + us(100);
    }
    let second = Duration::from_secs(1);
    assert!(adverts.windows(2).all(|w| w[1].saturating_since(w[0]) <= second), "{adverts:?}");
    assert!(adverts.windows(3).all(|w| w[2].saturating_since(w[0]) >= second), "3 in one interval: {adverts:?}");
    assert!(announces.windows(2).all(|w| w[1].saturating_since(w[0]) >= second), "{announces:?}");
    assert_eq!(announces.len(), 10);
    assert!((19..=21).contains(&adverts.len()), "{}: {adverts:?}", adverts.len());
    assert_eq!(i.stats().suppressed_replies, packets - announces.len() as u64);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn rfc9568_6_4_3_priority_zero_and_lower_priority_replies_share_one_budget() {
    let advert = Action::SendAdvert { priority: 150 };
    let mut i = master(Version::V3, 150);
    let zero = |i: &mut Instance, now: Instant| {
        deliver(i, now, &cfg(Version::V3, 200, a4(12)), 0).unwrap();
        drain(i)
    };
    assert_eq!(zero(&mut i, t(9000)), [advert]);
    assert_eq!(zero(&mut i, t(9001)), [], "priority 0 again");
    assert_eq!(lower(&mut i, t(9002)), [], "then a lower priority");
    assert_eq!(i.stats().suppressed_replies, 2);
    assert_eq!(lower(&mut i, t(10_000)), [advert, Action::Announce]);
    assert_eq!(zero(&mut i, t(10_999)), [], "the lower priority's reply used it");
    assert_eq!(zero(&mut i, t(11_000)), [advert]);
    assert_eq!(i.stats().suppressed_replies, 3);
    assert_eq!(i.stats().rcvd_pri_zero_packets, 4);
}

#[test]
fn rfc9568_6_4_3_master_receives_higher_priority_steps_down() {
    let mut i = master(Version::V3, 100);
    let mut peer = cfg(Version::V3, 200, a4(12));
    peer.advert_interval_cs = 20;
    deliver(&mut i, t(9000), &peer, 200).unwrap();
    assert_eq!(i.state(), State::Backup);
    assert_eq!(
        drain(&mut i),
        [Action::StateChanged { from: State::Master, to: State::Backup, reason: Reason::HigherPriority }]
    );
    assert_eq!(i.master_adver_interval_cs(), 20);
    // Make before break: the VIPs stay for HANDOVER_LINGER after the successor's advert.
    assert!(i.holds_vips());
    let release = t(9000) + HANDOVER_LINGER;
    assert_eq!(i.releasing(), Some(release));
    assert_eq!(i.poll_timeout(), Some(release));
    i.handle_timeout(release);
    assert_eq!(drain(&mut i), [Action::RemoveVips]);
    assert!(!i.holds_vips());
    assert_eq!(i.poll_timeout(), Some(t(9000) + timers::master_down_interval(100, 20)));
}

#[test]
fn rfc9568_6_4_3_equal_priority_tie_break_by_higher_primary_address() {
    // Peer .12 > our .11: we step down.
    let mut i = master(Version::V3, 100);
    deliver(&mut i, t(9000), &cfg(Version::V3, 100, a4(12)), 100).unwrap();
    assert_eq!(i.state(), State::Backup);
    // Peer .10 < our .11: we stay and re-assert.
    let mut i = master(Version::V3, 100);
    deliver(&mut i, t(9000), &cfg(Version::V3, 100, a4(10)), 100).unwrap();
    assert_eq!(i.state(), State::Master);
    assert_eq!(drain(&mut i), [Action::SendAdvert { priority: 100 }, Action::Announce]);
}

#[test]
fn rfc9568_6_4_3_tie_break_compares_addresses_as_unsigned_integers() {
    // 200.0.0.1 > 100.255.255.255 as an unsigned integer (a signed compare would flip it).
    let mut c = cfg(Version::V3, 100, IpAddr::V4(Ipv4Addr::new(100, 255, 255, 255)));
    c.vips[0] = a4(1);
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    i.handle_timeout(i.poll_timeout().unwrap());
    let peer = cfg(Version::V3, 100, IpAddr::V4(Ipv4Addr::new(200, 0, 0, 1)));
    deliver(&mut i, t(9000), &peer, 100).unwrap();
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn rfc9568_6_4_3_master_receiving_priority_zero_sends_advert_at_once() {
    let mut i = master(Version::V3, 100);
    deliver(&mut i, t(9100), &cfg(Version::V3, 200, a4(12)), 0).unwrap();
    assert_eq!(drain(&mut i), [Action::SendAdvert { priority: 100 }]);
    assert_eq!(i.poll_timeout(), Some(t(10_100)));
}

#[test]
fn rfc9568_6_4_3_master_shutdown_sends_priority_zero_and_releases_vips() {
    let mut i = master(Version::V2, 101);
    i.handle_shutdown(t(9000));
    assert_eq!(
        drain(&mut i),
        [
            Action::SendAdvert { priority: 0 },
            Action::StateChanged { from: State::Master, to: State::Initialize, reason: Reason::Shutdown }
        ]
    );
    assert_eq!(i.stats().sent_pri_zero_packets, 1);
    // Make before break: the VIPs are released once the successor is heard (after its
    // Skew_Time), HANDOVER_LINGER later.
    assert!(i.holds_vips());
    assert_eq!(i.releasing(), Some(t(9000) + i.longest_release_hold()));
    let heard = t(9000) + timers::skew_time(100, 100);
    deliver(&mut i, heard, &cfg(Version::V2, 100, a4(12)), 100).unwrap();
    assert_eq!(i.state(), State::Initialize, "an advert does not start a stopped router");
    assert_eq!(i.poll_timeout(), Some(heard + HANDOVER_LINGER));
    i.handle_timeout(heard + HANDOVER_LINGER);
    assert_eq!(drain(&mut i), [Action::RemoveVips]);
    assert!(!i.holds_vips());
    assert_eq!(i.poll_timeout(), None);
}

#[test]
fn handover_shutdown_without_successor_releases_after_master_down_interval() {
    let mut i = master(Version::V3, 101);
    i.handle_shutdown(t(9000));
    drain(&mut i);
    // The longest any backup waits: Master_Down_Interval at priority 1.
    let mdi = t(9000) + timers::master_down_interval(1, 100);
    assert_eq!(i.poll_timeout(), Some(mdi));
    // Its own advert looped back, and another router's priority 0, are no successor.
    let own = i.config().clone();
    deliver(&mut i, t(9100), &own, 101).unwrap_or_else(|e| panic!("{e:?}"));
    deliver(&mut i, t(9200), &cfg(Version::V3, 100, a4(12)), 0).unwrap();
    assert_eq!(i.poll_timeout(), Some(mdi));
    i.handle_timeout(mdi - Duration::from_millis(1));
    assert_eq!(drain(&mut i), []);
    i.handle_timeout(mdi);
    assert_eq!(drain(&mut i), [Action::RemoveVips]);
    assert_eq!(i.poll_timeout(), None);
    // Shutting down a backup or a stopped router holds nothing.
    let mut b = backup(Version::V3, 100);
    b.handle_shutdown(t(9000));
    assert!(!drain(&mut b).contains(&Action::RemoveVips));
    assert!(!b.holds_vips());
}

#[test]
fn handover_longest_release_hold_bounds_every_hold() {
    // Master_Down_Interval at priority 1 over the longer of configured and learned.
    let mut i = master(Version::V3, 200);
    assert_eq!(i.longest_release_hold(), timers::master_down_interval(1, 100));
    assert!(i.longest_release_hold() > timers::master_down_interval(200, 100));
    // A shutdown holds for the bound itself: no backup, whatever its priority, waits longer.
    i.handle_shutdown(t(9000));
    drain(&mut i);
    let hold = i.releasing().unwrap().saturating_since(t(9000));
    assert_eq!(hold, i.longest_release_hold());
    // A backup that learned a slower master's interval: the learned one counts.
    let mut b = backup(Version::V3, 100);
    let mut slow = cfg(Version::V3, 200, a4(12));
    slow.advert_interval_cs = 400;
    deliver(&mut b, t(10), &slow, 200).unwrap();
    assert_eq!(b.master_adver_interval_cs(), 400);
    assert_eq!(b.longest_release_hold(), timers::master_down_interval(1, 400));
    // At 10 ms adverts Master_Down_Interval (about 40 ms) is shorter than the linger.
    let mut fast = cfg(Version::V3, 100, a4(11));
    fast.advert_interval_cs = 1;
    let f = Instance::new(fast).unwrap();
    assert!(timers::master_down_interval(1, 1) < HANDOVER_LINGER);
    assert_eq!(f.longest_release_hold(), HANDOVER_LINGER);
}

#[test]
fn handover_operator_master_steps_down_keeps_vips_and_does_not_preempt() {
    let mut i = master(Version::V3, 200);
    let successor = cfg(Version::V3, 100, a4(12));
    i.handle_handover(t(9000));
    assert_eq!(
        drain(&mut i),
        [
            Action::SendAdvert { priority: 0 },
            Action::StateChanged { from: State::Master, to: State::Backup, reason: Reason::Handover }
        ]
    );
    assert!(i.holds_vips());
    // The lower-priority successor takes over after its Skew_Time; we follow it.
    let heard = t(9000) + timers::skew_time(100, 100);
    deliver(&mut i, heard, &successor, 100).unwrap();
    assert_eq!(i.releasing(), Some(heard + HANDOVER_LINGER));
    i.handle_timeout(heard + HANDOVER_LINGER);
    assert_eq!(drain(&mut i), [Action::RemoveVips]);
    // Higher priority, preempt on, yet it stays Backup while the successor advertises.
    for k in 1..=10u64 {
        let now = heard + Duration::from_secs(k);
        deliver(&mut i, now, &successor, 100).unwrap();
        assert_eq!(i.state(), State::Backup);
        assert_eq!(i.master().map(|m| m.address), Some(a4(12)));
        assert_eq!(i.poll_timeout(), Some(now + timers::master_down_interval(200, 100)));
    }
    // When the successor goes quiet it is master again, and preempts as before.
    let down = i.poll_timeout().unwrap();
    i.handle_timeout(down);
    assert_eq!(i.state(), State::Master);
    assert!(drain(&mut i).contains(&Action::AddVips));
    deliver(&mut i, down + Duration::from_millis(10), &successor, 100).unwrap();
    assert_eq!(i.state(), State::Master);
}

#[test]
fn handover_without_successor_becomes_master_again_keeping_the_vips() {
    let mut i = master(Version::V3, 200);
    i.handle_handover(t(9000));
    drain(&mut i);
    let mdi = t(9000) + timers::master_down_interval(200, 100);
    assert_eq!(i.poll_timeout(), Some(mdi));
    i.handle_timeout(mdi);
    let actions = drain(&mut i);
    assert_eq!(
        actions,
        [
            Action::StateChanged { from: State::Backup, to: State::Master, reason: Reason::MasterNoResponse },
            Action::SendAdvert { priority: 200 },
            Action::Announce
        ],
        "the VIPs were never removed, so they are not added again"
    );
    assert!(i.holds_vips());
    assert_eq!(i.releasing(), None);
    // Only a master hands over, and not the address owner.
    let mut b = backup(Version::V3, 100);
    b.handle_handover(t(9000));
    assert_eq!(drain(&mut b), []);
    assert_eq!(b.state(), State::Backup);
    let mut owner = Instance::new(cfg(Version::V3, 255, a4(11))).unwrap();
    owner.handle_startup(t(0));
    assert_eq!(owner.state(), State::Master);
    drain(&mut owner);
    owner.handle_handover(t(10));
    assert_eq!(drain(&mut owner), []);
    assert_eq!(owner.state(), State::Master);
}

#[test]
fn handover_link_down_or_tracking_fault_releases_at_once() {
    let mut i = master(Version::V3, 200);
    i.handle_shutdown(t(9000));
    drain(&mut i);
    i.handle_link(t(9010), false);
    assert_eq!(drain(&mut i), [Action::RemoveVips]);
    assert_eq!(i.poll_timeout(), None);
    let mut i = master(Version::V3, 200);
    i.handle_handover(t(9000));
    drain(&mut i);
    i.set_tracking_fault(t(9010), true);
    assert_eq!(
        drain(&mut i),
        [
            Action::RemoveVips,
            Action::StateChanged { from: State::Backup, to: State::Fault, reason: Reason::TrackingFault }
        ]
    );
    assert!(!i.holds_vips());
}

#[test]
fn rfc9568_6_4_3_master_adverts_are_anchored_and_never_in_the_past() {
    let mut i = master(Version::V3, 100);
    let first = i.poll_timeout().unwrap();
    // Woken 3 ms late: the next advert stays on the original grid.
    i.handle_timeout(first + Duration::from_millis(3));
    assert_eq!(i.poll_timeout(), Some(first + Duration::from_secs(1)));
    // Woken 5 s late: never schedule in the past.
    let late = first + Duration::from_secs(6);
    i.handle_timeout(late);
    assert!(i.poll_timeout().unwrap() > late);
}

/// keepalived vrrp_track.c `down_instance` → vrrp.c `vrrp_state_leave_master`: a master whose
/// weight-0 tracked item fails sends priority 0 (so a backup waits only Skew_Time), drops
/// its VIPs and goes to FAULT; recovery goes back through Backup.
#[test]
fn keepalived_tracking_fault_master_says_goodbye_and_recovers_as_backup() {
    let mut i = master(Version::V3, 100);
    i.set_tracking_fault(t(9000), true);
    assert_eq!(i.state(), State::Fault);
    assert!(i.tracking_fault());
    assert_eq!(
        drain(&mut i),
        [
            Action::SendAdvert { priority: 0 },
            Action::RemoveVips,
            Action::StateChanged { from: State::Master, to: State::Fault, reason: Reason::TrackingFault }
        ]
    );
    assert_eq!(i.poll_timeout(), None);
    deliver(&mut i, t(9100), &cfg(Version::V3, 50, a4(12)), 50).unwrap();
    assert_eq!(i.state(), State::Fault, "adverts are ignored in FAULT");
    // Saying it twice changes nothing.
    i.set_tracking_fault(t(9150), true);
    assert_eq!(drain(&mut i), []);
    i.set_tracking_fault(t(9200), false);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(
        drain(&mut i),
        [Action::StateChanged { from: State::Fault, to: State::Backup, reason: Reason::TrackingRecovered }]
    );
    assert_eq!(i.poll_timeout(), Some(t(9200) + i.master_down_interval()));
}

#[test]
fn keepalived_tracking_fault_backup_goes_quiet() {
    let mut i = backup(Version::V3, 100);
    i.set_tracking_fault(t(100), true);
    assert_eq!(
        drain(&mut i),
        [Action::StateChanged { from: State::Backup, to: State::Fault, reason: Reason::TrackingFault }]
    );
    assert_eq!(i.poll_timeout(), None, "a FAULT backup never takes over");
}

/// FAULT lasts while either cause does: link up with tracking still failed stays FAULT,
/// tracking recovered with the link down stays FAULT.
#[test]
fn keepalived_fault_needs_link_and_tracking_both_good() {
    let mut i = backup(Version::V3, 100);
    i.handle_link(t(100), false);
    i.set_tracking_fault(t(200), true);
    i.handle_link(t(300), true);
    assert_eq!(i.state(), State::Fault);
    i.handle_link(t(400), false);
    i.set_tracking_fault(t(500), false);
    assert_eq!(i.state(), State::Fault);
    drain(&mut i);
    i.handle_link(t(600), true);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(drain(&mut i), [Action::StateChanged { from: State::Fault, to: State::Backup, reason: Reason::LinkUp }]);
}

/// keepalived `initialise_track_script_state`: an instance whose weight-0 item already
/// failed starts in FAULT; when it recovers, the owner goes straight to Master.
#[test]
fn keepalived_tracking_fault_before_startup_starts_in_fault() {
    let mut i = Instance::new(cfg(Version::V3, 255, a4(10))).unwrap();
    i.set_tracking_fault(t(0), true);
    assert_eq!(i.state(), State::Initialize);
    assert_eq!(drain(&mut i), []);
    i.handle_startup(t(10));
    assert_eq!(
        drain(&mut i),
        [Action::StateChanged { from: State::Initialize, to: State::Fault, reason: Reason::TrackingFault }]
    );
    i.set_tracking_fault(t(20), false);
    assert_eq!(i.state(), State::Master);
    assert!(matches!(
        drain(&mut i).first(),
        Some(Action::StateChanged { from: State::Fault, to: State::Master, reason: Reason::TrackingRecovered })
    ));
}

#[test]
fn keepalived_fault_on_link_down_and_back_on_link_up() {
    let mut i = master(Version::V3, 100);
    i.handle_link(t(9000), false);
    assert_eq!(i.state(), State::Fault);
    assert_eq!(
        drain(&mut i),
        [Action::RemoveVips, Action::StateChanged { from: State::Master, to: State::Fault, reason: Reason::LinkDown }]
    );
    assert_eq!(i.poll_timeout(), None);
    // Adverts are ignored in FAULT.
    deliver(&mut i, t(9100), &cfg(Version::V3, 200, a4(12)), 200).unwrap();
    assert_eq!(i.state(), State::Fault);
    i.handle_link(t(9200), true);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(drain(&mut i), [Action::StateChanged { from: State::Fault, to: State::Backup, reason: Reason::LinkUp }]);
}

#[test]
fn keepalived_startup_with_link_down_enters_fault() {
    let mut i = Instance::new(cfg(Version::V3, 100, a4(11))).unwrap();
    i.handle_link(t(0), false);
    i.handle_startup(t(0));
    assert_eq!(i.state(), State::Fault);
    assert_eq!(i.poll_timeout(), None);
}

#[test]
fn keepalived_garp_master_delay_announces_again_then_refreshes() {
    let mut c = cfg(Version::V2, 101, a4(11));
    c.announce_delay = Some(Duration::from_secs(5));
    c.announce_refresh = Some(Duration::from_secs(60));
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    let down = i.poll_timeout().unwrap();
    i.handle_timeout(down);
    drain(&mut i);
    let announce = down + Duration::from_secs(5);
    let mut now = down;
    let mut announced = None;
    while now <= announce + Duration::from_secs(1) {
        now = i.poll_timeout().unwrap();
        i.handle_timeout(now);
        if drain(&mut i).contains(&Action::Announce) {
            announced.get_or_insert(now);
        }
    }
    assert_eq!(announced, Some(announce));
}

#[test]
fn priority_change_in_master_is_advertised_at_once() {
    let mut i = master(Version::V3, 100);
    i.set_priority(t(9000), 90).unwrap();
    assert_eq!(drain(&mut i), [Action::SendAdvert { priority: 90 }]);
    assert_eq!(i.set_priority(t(9000), 0), Err(ConfigError::PriorityZero));
    assert_eq!(i.set_priority(t(9000), 255), Err(ConfigError::PriorityOwnerOnly));
}

#[test]
fn rfc9568_7_1_ttl_other_than_255_is_discarded_and_counted() {
    let mut i = backup(Version::V3, 100);
    let peer = cfg(Version::V3, 200, a4(12));
    let bytes = advert_from(&peer, 200);
    assert_eq!(i.handle_packet(t(0), a4(12), group(&a4(12)), 254, &bytes), Err(RxError::Ttl(254)));
    assert_eq!(i.stats().ip_ttl_errors, 1);
    assert_eq!(i.stats().proto_err_reason, ProtoErrReason::IpTtlError);
}

#[test]
fn rfc3768_7_1_auth_checks_count_rfc2787_statistics() {
    let mut i = backup(Version::V2, 100);
    let mut peer = cfg(Version::V2, 200, a4(12));
    peer.auth = Auth::simple_text(b"wrong");
    assert_eq!(deliver(&mut i, t(0), &peer, 200), Err(RxError::AuthFailure));
    peer.auth = Auth::None;
    assert_eq!(deliver(&mut i, t(0), &peer, 200), Err(RxError::AuthTypeMismatch { received: 0 }));
    let s = i.stats();
    assert_eq!((s.auth_failures, s.auth_type_mismatch, s.rcvd_advertisements), (1, 1, 0));
}

#[test]
fn rfc3768_7_1_v2_owner_discards_adverts_for_its_vrid() {
    let mut i = Instance::new(cfg(Version::V2, 255, a4(11))).unwrap();
    i.handle_startup(t(0));
    drain(&mut i);
    assert_eq!(deliver(&mut i, t(10), &cfg(Version::V2, 255, a4(12)), 255), Err(RxError::LocalOwner));
    assert_eq!(i.state(), State::Master);
    assert!(drain(&mut i).is_empty());
}

#[test]
fn rfc9568_erratum_8298_owner_logs_and_keeps_mastership_against_a_lower_priority() {
    let mut i = Instance::new(cfg(Version::V3, 255, a4(11))).unwrap();
    i.handle_startup(t(0));
    drain(&mut i);
    let got = deliver(&mut i, t(10), &cfg(Version::V3, 254, a4(12)), 254).unwrap();
    assert!(got.local_owner, "the owner hearing an advert for its VRID is reported");
    assert_eq!(i.state(), State::Master);
    // Processed like any master hearing a lower priority (RFC 9568 §6.4.3): it asserts itself.
    assert!(drain(&mut i).contains(&Action::SendAdvert { priority: 255 }));
    assert_eq!(i.stats().rcvd_advertisements, 1);
}

#[test]
fn rfc9568_erratum_8298_duplicate_owners_elect_the_higher_address() {
    // Two routers both configured as owner: before the erratum each discarded the
    // other's adverts and both stayed master. Now the lower address steps down.
    let mut low = Instance::new(cfg(Version::V3, 255, a4(11))).unwrap();
    low.handle_startup(t(0));
    drain(&mut low);
    let got = deliver(&mut low, t(10), &cfg(Version::V3, 255, a4(12)), 255).unwrap();
    assert!(got.local_owner);
    assert_eq!(low.state(), State::Backup);
    assert!(drain(&mut low).contains(&Action::StateChanged {
        from: State::Master,
        to: State::Backup,
        reason: Reason::HigherPriority
    }));
    let mut high = Instance::new(cfg(Version::V3, 255, a4(12))).unwrap();
    high.handle_startup(t(0));
    drain(&mut high);
    assert!(deliver(&mut high, t(10), &cfg(Version::V3, 255, a4(11)), 255).unwrap().local_owner);
    assert_eq!(high.state(), State::Master);
    // The stepped-down owner follows the other while it advertises, and takes over
    // after its (short: Skew_Time is 1/256 interval) Master_Down_Interval when it stops.
    low.handle_timeout(t(10) + HANDOVER_LINGER);
    assert_eq!(drain(&mut low), [Action::RemoveVips]);
    let mdi = low.poll_timeout().unwrap();
    assert_eq!(mdi, t(10) + crate::timers::master_down_interval(255, 100));
    low.handle_timeout(mdi);
    assert_eq!(low.state(), State::Master);
}

#[test]
fn rfc9568_6_1_owner_preempts_even_with_preempt_off() {
    // An owner that lost the duplicate-owner election is Backup; a lower-priority master
    // (the other owner gone, a backup took over) is preempted despite `nopreempt`.
    let mut c = cfg(Version::V3, 255, a4(11));
    c.preempt = false;
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    deliver(&mut i, t(10), &cfg(Version::V3, 255, a4(12)), 255).unwrap();
    assert_eq!(i.state(), State::Backup);
    i.handle_timeout(t(10) + HANDOVER_LINGER);
    let down = i.poll_timeout().unwrap();
    deliver(&mut i, t(20), &cfg(Version::V3, 200, a4(13)), 200).unwrap();
    assert_eq!(i.poll_timeout(), Some(down), "the lower master does not reset the down timer");
    i.handle_timeout(down);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn non_owner_never_reports_local_owner() {
    let mut i = backup(Version::V3, 100);
    assert!(!deliver(&mut i, t(0), &cfg(Version::V3, 255, a4(12)), 255).unwrap().local_owner);
}

#[test]
fn rfc9568_7_1_v3_address_list_mismatch_is_logged_not_dropped() {
    let mut i = backup(Version::V3, 100);
    let mut peer = cfg(Version::V3, 200, a4(12));
    peer.vips[0] = a4(99);
    let got = deliver(&mut i, t(0), &peer, 200).unwrap();
    assert!(got.address_list_mismatch);
    assert_eq!(i.stats().address_list_errors, 1);
    assert_eq!(i.master().unwrap().priority, 200);
}

#[test]
fn rfc3768_7_1_v2_address_list_mismatch_is_dropped_unless_owner() {
    let mut i = backup(Version::V2, 100);
    let mut peer = cfg(Version::V2, 200, a4(12));
    peer.vips[0] = a4(99);
    assert_eq!(deliver(&mut i, t(0), &peer, 200), Err(RxError::AddressListMismatch));
    peer.priority = 255;
    assert!(deliver(&mut i, t(0), &peer, 255).unwrap().address_list_mismatch);
}

#[test]
fn rfc9568_5_1_2_1_ipv6_source_must_be_link_local() {
    let mut i = Instance::new(cfg(Version::V3, 100, ll6(0x11))).unwrap();
    i.handle_startup(t(0));
    let peer = cfg(Version::V3, 200, ll6(0x12));
    deliver(&mut i, t(0), &peer, 200).unwrap();
    let global = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x12));
    let peer = cfg(Version::V3, 200, global);
    assert_eq!(deliver(&mut i, t(0), &peer, 200), Err(RxError::SourceNotLinkLocal));
    assert_eq!(i.stats().source_address_errors, 1);
}

/// An IPv6 config listing `first` then 2001:db8::1.
fn v6_listing(priority: u8, primary: IpAddr, first: Ipv6Addr) -> InstanceConfig {
    let mut c = cfg(Version::V3, priority, primary);
    c.vips.clear();
    c.vips.push(IpAddr::V6(first)).unwrap();
    c.vips.push(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))).unwrap();
    c
}

#[test]
fn rfc9568_5_2_9_erratum_8300_first_address_must_be_link_local_where_we_list_one_first() {
    let virtual_ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    let mut i = Instance::new(v6_listing(100, ll6(0x11), virtual_ll)).unwrap();
    assert!(i.config().requires_link_local_first());
    i.handle_startup(t(0));
    // A peer following §5.2.9 is heard.
    let good = deliver(&mut i, t(0), &v6_listing(200, ll6(0x12), virtual_ll), 200).unwrap();
    assert!(!good.address_list_mismatch);
    // A peer whose list starts with a global address is invalid.
    let mut bad = v6_listing(200, ll6(0x12), virtual_ll);
    bad.vips.reverse();
    assert_eq!(deliver(&mut i, t(10), &bad, 200), Err(RxError::FirstAddressNotLinkLocal));
    assert_eq!(i.stats().address_list_errors, 1);
    assert_eq!(i.stats().rcvd_advertisements, 1);
}

#[test]
fn rfc9568_5_2_9_keepalived_style_global_only_group_hears_global_first_lists() {
    // keepalived lists only the configured VIPs; a group configured the same way hears it.
    let mut i = Instance::new(cfg(Version::V3, 100, ll6(0x11))).unwrap();
    assert!(!i.config().requires_link_local_first());
    i.handle_startup(t(0));
    let got = deliver(&mut i, t(0), &cfg(Version::V3, 200, ll6(0x12)), 200).unwrap();
    assert!(!got.address_list_mismatch);
    assert_eq!(i.master().unwrap().priority, 200);
}

#[test]
fn rfc9568_6_1_accept_mode_governs_vip_traffic() {
    let i = master(Version::V3, 100);
    assert!(!i.accepts_vip_traffic());
    let mut c = cfg(Version::V3, 100, a4(11));
    c.accept_mode = true;
    let mut j = Instance::new(c).unwrap();
    j.handle_startup(t(0));
    assert!(!j.accepts_vip_traffic(), "only a master accepts");
    j.handle_timeout(j.poll_timeout().unwrap());
    assert!(j.accepts_vip_traffic());
    let mut owner = Instance::new(cfg(Version::V3, 255, a4(11))).unwrap();
    owner.handle_startup(t(0));
    assert!(owner.accepts_vip_traffic());
}

#[test]
fn message_only_checksum_form_is_emitted_when_configured() {
    let mut c = cfg(Version::V3, 100, a4(11));
    c.checksum_form = ChecksumForm::MessageOnly;
    let i = Instance::new(c).unwrap();
    let mut buf = [0u8; 64];
    let n = i.write_advert(100, &mut buf).unwrap();
    let ctx = ChecksumContext { src: a4(11), dst: group(&a4(11)) };
    assert_eq!(AdvertRepr::checksum_form(&Packet::new_unchecked(&buf[..n]), &ctx), Some(ChecksumForm::MessageOnly));
}

#[test]
fn state_and_reason_names_are_keepalived_words() {
    let names = [State::Initialize, State::Backup, State::Master, State::Fault].map(State::as_str);
    assert_eq!(names, ["INIT", "BACKUP", "MASTER", "FAULT"]);
    assert_eq!(State::ALL.map(State::as_str), names);
    for s in State::ALL {
        assert_eq!(State::from_name(s.as_str()), Some(s));
    }
    assert_eq!(State::from_name("master"), None);
    assert_eq!(State::from_name("Initialize"), None);
    let reasons = Reason::ALL;
    for (i, r) in reasons.iter().enumerate() {
        assert_eq!(Reason::from_key(r.key()), Some(*r));
        assert_eq!(r.index(), i);
    }
    assert_eq!(Reason::from_key("Startup"), None);
    let mut keys: std::vec::Vec<&str> = reasons.iter().map(|r| r.key()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), reasons.len(), "every reason has its own key");
    let texts: std::vec::Vec<&str> = reasons.iter().map(|r| r.as_str()).collect();
    assert!(texts.iter().all(|t| t.len() > 3));
    let mut unique = texts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), texts.len(), "every reason reads differently");
    assert_eq!(Reason::MasterLeft.as_str(), "master sent priority 0");
}

#[test]
fn a_state_never_transitions_to_itself() {
    for s in [State::Initialize, State::Backup, State::Master, State::Fault] {
        assert!(!s.can_become(s));
    }
    assert!(State::Backup.can_become(State::Master));
}

#[test]
fn every_rx_error_explains_itself() {
    use core::fmt::Write;
    let errors = [
        RxError::Ttl(1),
        RxError::Version(2),
        RxError::Length,
        RxError::Checksum,
        RxError::UnknownVrid(3),
        RxError::InvalidType(4),
        RxError::NoAddresses,
        RxError::ZeroInterval,
        RxError::IntervalMismatch { received_s: 5 },
        RxError::InvalidAuthType(6),
        RxError::AuthTypeMismatch { received: 0 },
        RxError::AuthAhUnsupported,
        RxError::AuthFailure,
        RxError::AddressListMismatch,
        RxError::LocalOwner,
        RxError::SourceNotLinkLocal,
        RxError::FirstAddressNotLinkLocal,
    ];
    let mut seen = std::vec::Vec::new();
    for e in errors {
        let mut s = std::string::String::new();
        write!(s, "{e}").unwrap();
        assert!(s.len() > 5, "{e:?} renders as {s:?}");
        seen.push(s);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), errors.len());
}

#[test]
fn priority_reports_the_effective_priority() {
    let mut i = backup(Version::V3, 100);
    assert_eq!(i.priority(), 100);
    i.set_priority(t(10), 120).unwrap();
    assert_eq!(i.priority(), 120);
    assert_eq!(i.config().priority, 100, "configured priority is kept");
}

#[test]
fn primary_address_changes_keep_the_family() {
    let mut i = master(Version::V3, 100);
    assert_eq!(i.set_primary_address(ll6(1)), Err(ConfigError::PrimaryFamilyMismatch));
    assert_eq!(i.master().unwrap().address, a4(11));
    i.set_primary_address(a4(20)).unwrap();
    assert_eq!(i.master().unwrap().address, a4(20));
    let mut buf = [0u8; 64];
    let n = i.write_advert(100, &mut buf).unwrap();
    let ctx = ChecksumContext { src: a4(20), dst: group(&a4(20)) };
    assert!(AdvertRepr::parse(&Packet::new_unchecked(&buf[..n]), &ctx).is_ok(), "pseudo-header uses the new source");
}

#[test]
fn has_actions_tracks_the_queue() {
    let mut i = Instance::new(cfg(Version::V3, 100, a4(11))).unwrap();
    assert!(!i.has_actions());
    i.handle_startup(t(0));
    assert!(i.has_actions());
    drain(&mut i);
    assert!(!i.has_actions());
}

#[test]
fn only_priority_zero_adverts_count_as_sent_priority_zero() {
    let mut i = master(Version::V3, 100);
    let sent = i.stats().sent_advertisements;
    i.handle_timeout(i.poll_timeout().unwrap());
    assert_eq!(i.stats().sent_advertisements, sent + 1);
    assert_eq!(i.stats().sent_pri_zero_packets, 0);
    i.handle_shutdown(t(99_000));
    assert_eq!(i.stats().sent_pri_zero_packets, 1);
}

#[test]
fn zero_announce_delay_and_refresh_mean_none() {
    let mut c = cfg(Version::V3, 255, a4(11));
    c.announce_delay = Some(Duration::ZERO);
    c.announce_refresh = Some(Duration::ZERO);
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    assert_eq!(i.poll_timeout(), Some(t(1000)), "only the advert timer");
    let mut c = cfg(Version::V3, 255, a4(11));
    c.announce_delay = Some(Duration::from_millis(500));
    c.announce_refresh = Some(Duration::ZERO);
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    drain(&mut i);
    i.handle_timeout(t(500));
    assert_eq!(drain(&mut i), [Action::Announce]);
    assert_eq!(i.poll_timeout(), Some(t(1000)), "no refresh scheduled");
}

#[test]
fn advert_timer_woken_exactly_one_interval_late_stays_ahead() {
    let mut i = master(Version::V3, 100);
    let first = i.poll_timeout().unwrap();
    let late = first + Duration::from_secs(1);
    i.handle_timeout(late);
    assert_eq!(i.poll_timeout(), Some(late + Duration::from_secs(1)));
}

#[test]
fn rfc9568_7_1_address_list_compared_as_a_set_with_duplicates() {
    let mut c = cfg(Version::V3, 100, a4(11));
    c.vips.push(a4(2)).unwrap();
    let mut i = started(c);
    let mut peer = cfg(Version::V3, 200, a4(12));
    peer.vips[0] = a4(1);
    peer.vips.push(a4(1)).unwrap();
    assert!(deliver(&mut i, t(10), &peer, 200).unwrap().address_list_mismatch, "[1,1] is not [1,2]");
    peer.vips[1] = a4(2);
    assert!(!deliver(&mut i, t(20), &peer, 200).unwrap().address_list_mismatch);
    let mut peer_reordered = peer.clone();
    peer_reordered.vips.swap(0, 1);
    assert!(!deliver(&mut i, t(30), &peer_reordered, 200).unwrap().address_list_mismatch, "order does not matter");
}

fn started(c: InstanceConfig) -> Instance {
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    drain(&mut i);
    i
}

#[test]
fn rfc9568_7_1_instance_checks_vrid_and_family_itself() {
    let mut i = backup(Version::V3, 100);
    let mut other = cfg(Version::V3, 200, a4(12));
    other.vrid = 52;
    assert_eq!(deliver(&mut i, t(0), &other, 200), Err(RxError::UnknownVrid(52)));
    let v6 = cfg(Version::V3, 200, ll6(12));
    assert_eq!(deliver(&mut i, t(0), &v6, 200), Err(RxError::UnknownVrid(51)));
    assert_eq!(i.stats().proto_err_reason, ProtoErrReason::VrIdError);
}

#[test]
fn rfc9568_6_4_2_equal_priority_master_is_followed() {
    let mut i = backup(Version::V3, 100);
    deliver(&mut i, t(1000), &cfg(Version::V3, 100, a4(12)), 100).unwrap();
    assert_eq!(i.poll_timeout(), Some(t(1000) + i.master_down_interval()), "equal priority resets the timer");
}

#[test]
fn master_ignores_its_own_looped_advert() {
    let mut i = master(Version::V3, 100);
    deliver(&mut i, t(9000), &cfg(Version::V3, 100, a4(11)), 100).unwrap();
    assert_eq!(i.state(), State::Master);
    assert_eq!(drain(&mut i), []);
}

#[test]
fn v2_backup_reports_master_interval_in_centiseconds() {
    let mut i = backup(Version::V2, 100);
    deliver(&mut i, t(0), &cfg(Version::V2, 200, a4(12)), 200).unwrap();
    assert_eq!(i.master().unwrap().adver_interval_cs, 100);
}

#[test]
fn keepalived_garp_master_refresh_repeats_while_master() {
    let mut c = cfg(Version::V3, 255, a4(11));
    c.announce_delay = Some(Duration::from_secs(5));
    c.announce_refresh = Some(Duration::from_secs(60));
    let mut i = Instance::new(c).unwrap();
    i.handle_startup(t(0));
    drain(&mut i);
    let mut announced = std::vec::Vec::new();
    while let Some(now) = i.poll_timeout().filter(|d| *d <= t(130_000)) {
        i.handle_timeout(now);
        if drain(&mut i).contains(&Action::Announce) {
            announced.push(now);
        }
    }
    assert_eq!(announced, [t(5_000), t(65_000), t(125_000)]);
}

#[test]
fn master_changes_counts_each_new_master_address_ourselves_included() {
    let peer = cfg(Version::V3, 200, a4(12));
    let mut i = backup(Version::V3, 100);
    deliver(&mut i, t(1000), &peer, 200).unwrap();
    assert_eq!(i.stats().master_changes, 0, "the first master learned is not a change");
    deliver(&mut i, t(2000), &peer, 200).unwrap();
    assert_eq!(i.stats().master_changes, 0, "the same master again is not a change");
    // .12 goes silent: we take over.
    i.handle_timeout(i.poll_timeout().unwrap());
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.stats().master_changes, 1, ".12 -> us");
    // A higher priority takes over from us; it is the master we now report.
    let spoofer = cfg(Version::V3, 254, a4(100));
    let now = i.poll_timeout().unwrap();
    deliver(&mut i, now, &spoofer, 254).unwrap();
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.master().map(|m| (m.address, m.priority)), Some((a4(100), 254)));
    assert_eq!(i.stats().master_changes, 2, "us -> .100");
    // Then .12 is heard as master again (followed: higher than ours).
    deliver(&mut i, now + Duration::from_millis(500), &peer, 200).unwrap();
    assert_eq!(i.stats().master_changes, 3, ".100 -> .12");
    assert_eq!(i.stats().master_transitions, 1, "only one of those changes made us master");
}

#[test]
fn master_changes_does_not_count_a_first_mastership_or_a_return_after_fault() {
    let mut i = master(Version::V3, 100);
    assert_eq!(i.stats().master_changes, 0, "becoming the first master known is not a change");
    i.handle_link(t(9000), false);
    assert_eq!(i.state(), State::Fault);
    assert_eq!(i.master(), None);
    i.handle_link(t(9100), true);
    i.handle_timeout(i.poll_timeout().unwrap());
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.stats().master_transitions, 2);
    assert_eq!(i.stats().master_changes, 0, "master again after FAULT, with no one else in between");
    // A preempted (ignored) lower-priority master is not followed, so not a change either.
    let now = i.poll_timeout().unwrap();
    i.handle_timeout(now);
    deliver(&mut i, now, &cfg(Version::V3, 50, a4(12)), 50).unwrap();
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.stats().master_changes, 0);
}

#[test]
fn master_changes_does_not_count_a_priority_change_of_the_same_master() {
    let mut i = backup(Version::V2, 100);
    deliver(&mut i, t(1000), &cfg(Version::V2, 200, a4(12)), 200).unwrap();
    deliver(&mut i, t(2000), &cfg(Version::V2, 150, a4(12)), 150).unwrap();
    assert_eq!(i.master().map(|m| m.priority), Some(150));
    assert_eq!(i.stats().master_changes, 0);
}

#[test]
fn keepalived_stats_clear_zeroes_the_counters_and_keeps_the_state() {
    let mut i = master(Version::V3, 100);
    deliver(&mut i, t(9000), &cfg(Version::V3, 50, a4(12)), 50).unwrap();
    drain(&mut i);
    assert!(i.stats().rcvd_advertisements > 0 && i.stats().master_transitions == 1);
    let deadline = i.poll_timeout();
    i.clear_stats();
    assert_eq!(*i.stats(), Stats::default());
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.poll_timeout(), deadline);
    assert_eq!(drain(&mut i), []);
}

#[test]
fn handover_a_spoofed_successor_with_the_wrong_password_does_not_end_the_hold() {
    let mut i = master(Version::V2, 200);
    i.handle_shutdown(t(9000));
    drain(&mut i);
    let mdi = t(9000) + timers::master_down_interval(1, 100);
    let mut spoof = cfg(Version::V2, 100, a4(12));
    spoof.auth = Auth::simple_text(b"wrong!");
    assert_eq!(deliver(&mut i, t(9100), &spoof, 100), Err(RxError::AuthFailure));
    assert_eq!(i.releasing(), Some(mdi), "an unauthenticated advert is nobody's");
    deliver(&mut i, t(9200), &cfg(Version::V2, 100, a4(12)), 100).unwrap();
    assert_eq!(i.releasing(), Some(t(9200) + HANDOVER_LINGER));
}

/// The schedule the simulator found: a master raises its priority and shuts down at once,
/// so its priority-250 advert and its goodbye leave together, and jitter swaps them. The
/// backup (priority 100) hears the goodbye, then the stale advert, and waits its whole
/// Master_Down_Interval from there. The leaving master must hold its VIPs at least that
/// long, or nobody holds them (RFC 9568 §6.1 timers; make-before-break).
#[test]
fn handover_a_stale_advert_after_the_goodbye_does_not_outlast_the_hold() {
    let mut leaving = master(Version::V3, 250);
    leaving.handle_shutdown(t(9000));
    drain(&mut leaving);
    let mut b = backup(Version::V3, 100);
    deliver(&mut b, t(9000), &cfg(Version::V3, 250, a4(11)), 0).unwrap();
    deliver(&mut b, t(9000) + Duration::from_micros(1), &cfg(Version::V3, 250, a4(11)), 250).unwrap();
    let takes_over = b.poll_timeout().unwrap();
    assert!(
        leaving.releasing().unwrap() >= takes_over,
        "the leaving master lets go at {:?}, the backup takes over at {takes_over:?}",
        leaving.releasing()
    );
}

/// keepalived_netlink.c `set_vrrp_backup`: a master whose VIP someone else removed says
/// priority 0, removes the rest, becomes BACKUP, and, with no one taking over, MASTER
/// again after its Skew_Time (RFC 9568 §6.4.2's timer for a master that left), putting
/// every VIP back.
#[test]
fn keepalived_a_removed_vip_makes_the_master_step_down_for_skew_time() {
    let mut i = master(Version::V3, 200);
    let now = t(5_000);
    i.handle_vip_removed(now);
    assert_eq!(
        drain(&mut i),
        [
            Action::SendAdvert { priority: 0 },
            Action::RemoveVips,
            Action::StateChanged { from: State::Master, to: State::Backup, reason: Reason::VipRemoved },
        ]
    );
    assert_eq!(i.state(), State::Backup);
    assert!(!i.holds_vips());
    assert_eq!(i.stats().vips_removed, 1);
    assert_eq!(i.poll_timeout(), Some(now + i.skew_time()));
    assert!(i.skew_time() < i.master_down_interval());
    // No one took over: MASTER again, the VIPs back and announced.
    i.handle_timeout(now + i.skew_time());
    let actions = drain(&mut i);
    assert_eq!(
        actions[..3],
        [
            Action::StateChanged { from: State::Backup, to: State::Master, reason: Reason::MasterLeft },
            Action::AddVips,
            Action::SendAdvert { priority: 200 },
        ]
    );
    assert!(actions.contains(&Action::Announce));
    assert!(i.holds_vips());
}

/// A better router that heard the priority 0 takes over first (its Skew_Time is shorter):
/// the old master stays BACKUP, as after any priority-0 advert.
#[test]
fn keepalived_a_removed_vip_lets_a_higher_backup_take_over() {
    let mut i = master(Version::V3, 100);
    i.handle_vip_removed(t(5_000));
    drain(&mut i);
    let better = cfg(Version::V3, 150, a4(12));
    assert!(deliver(&mut i, t(5_001), &better, 150).is_ok());
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.poll_timeout(), Some(t(5_001) + i.master_down_interval()));
    assert!(drain(&mut i).is_empty());
}

/// The address owner is master whenever it can be (RFC 9568 §6.4.1): it puts the
/// addresses back at once instead of stepping down.
#[test]
fn rfc9568_6_4_1_a_removed_vip_of_the_address_owner_is_put_back_at_once() {
    let mut o = Instance::new(cfg(Version::V3, 255, a4(1))).unwrap();
    o.handle_startup(t(0));
    assert_eq!(o.state(), State::Master);
    drain(&mut o);
    let deadline = o.poll_timeout();
    o.handle_vip_removed(t(500));
    assert_eq!(drain(&mut o), [Action::AddVips, Action::Announce]);
    assert_eq!((o.state(), o.poll_timeout(), o.stats().vips_removed), (State::Master, deadline, 1));
    assert!(o.holds_vips());
}

/// Only a MASTER reacts: a backup holds no VIP, and a leaving master still holding its
/// VIPs for a handover has its successor already; nothing is counted.
#[test]
fn keepalived_a_removed_vip_changes_nothing_but_for_a_master() {
    let mut b = backup(Version::V3, 100);
    let before = b.poll_timeout();
    b.handle_vip_removed(t(10));
    assert!(drain(&mut b).is_empty());
    assert_eq!((b.state(), b.poll_timeout(), b.stats().vips_removed), (State::Backup, before, 0));

    let mut m = master(Version::V3, 100);
    m.handle_handover(t(5_000));
    drain(&mut m);
    assert!(m.holds_vips());
    m.handle_vip_removed(t(5_001));
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.stats().vips_removed, 0);
}
