extern crate std;

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::boxed::Box;
use std::vec::Vec as StdVec;

use proptest::prelude::*;

use super::*;
use crate::instance::{Reason, State};
use crate::time::Duration;
use crate::wire::{Version, GROUP_V4};

fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn cfg(ifindex: u32, vrid: u8, priority: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new(ifindex, vrid, Version::V3, a4(11));
    c.priority = priority;
    c.vips.push(a4(1)).unwrap();
    c
}

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn advert(vrid: u8, priority: u8) -> StdVec<u8> {
    let mut peer = cfg(1, vrid, 100);
    peer.primary_address = a4(12);
    let mut buf = [0u8; 64];
    let n = Instance::new(peer).unwrap().write_advert(priority, &mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn add_refuses_duplicates_and_respects_capacity() {
    let mut r: Router<2> = Router::new();
    let a = r.add(cfg(1, 10, 100)).unwrap();
    assert_eq!(r.add(cfg(1, 10, 200)), Err(AddError::Duplicate(a)));
    r.add(cfg(2, 10, 100)).unwrap();
    assert_eq!(r.add(cfg(3, 10, 100)), Err(AddError::Full));
    let mut r: Router<4> = Router::new();
    assert_eq!(r.add(cfg(1, 0, 100)), Err(AddError::Config(ConfigError::VridZero)));
}

#[test]
fn lookup_finds_by_interface_vrid_and_family() {
    let mut r: Router<64> = Router::new();
    let mut ids = StdVec::new();
    for vrid in (1..=60u8).rev() {
        ids.push((vrid, r.add(cfg(u32::from(vrid % 3), vrid, 100)).unwrap()));
    }
    for (vrid, id) in ids {
        assert_eq!(r.lookup(u32::from(vrid % 3), vrid, Family::Ipv4), Some(id));
        assert_eq!(r.lookup(u32::from(vrid % 3) + 1, vrid, Family::Ipv4), None);
        assert_eq!(r.lookup(u32::from(vrid % 3), vrid, Family::Ipv6), None);
    }
}

#[test]
fn rfc6527_router_counters_for_unmatched_packets() {
    let mut r: Router<4> = Router::new();
    r.add(cfg(1, 51, 100)).unwrap();
    let g = IpAddr::V4(GROUP_V4);
    let bytes = advert(52, 200);
    assert_eq!(r.handle_packet(t(0), 1, a4(12), g, 255, &bytes).unwrap_err().error, RxError::UnknownVrid(52));
    assert_eq!(r.handle_packet(t(0), 1, a4(12), g, 255, &[0x41, 51]).unwrap_err().error, RxError::Version(4));
    assert_eq!(r.handle_packet(t(0), 1, a4(12), g, 255, &[0x31]).unwrap_err().error, RxError::Length);
    let mut bad = advert(51, 200);
    bad[6] ^= 0xff;
    let d = r.handle_packet(t(0), 1, a4(12), g, 255, &bad).unwrap_err();
    assert_eq!(d.error, RxError::Checksum);
    assert!(d.instance.is_some());
    let s = *r.stats();
    assert_eq!((s.vrid_errors, s.version_errors, s.packet_length_errors, s.checksum_errors), (1, 1, 1, 1));
}

#[test]
fn poll_timeout_is_the_earliest_deadline_and_timeouts_fire_in_order() {
    let mut r: Router<8> = Router::new();
    let low = r.add(cfg(1, 1, 50)).unwrap();
    let high = r.add(cfg(1, 2, 250)).unwrap();
    r.start_all(t(0));
    let earliest = r.poll_timeout().unwrap();
    assert_eq!(earliest, r.get(high).unwrap().poll_timeout().unwrap());
    r.handle_timeout(earliest);
    assert_eq!(r.get(high).unwrap().state(), State::Master);
    assert_eq!(r.get(low).unwrap().state(), State::Backup);
    assert_eq!(r.poll_timeout(), r.iter().filter_map(|(_, i)| i.poll_timeout()).min());
}

#[test]
fn actions_are_served_in_ready_order_then_exhausted() {
    let mut r: Router<8> = Router::new();
    let a = r.add(cfg(1, 1, 255)).unwrap();
    let b = r.add(cfg(1, 2, 255)).unwrap();
    r.start_all(t(0));
    let got: StdVec<_> = core::iter::from_fn(|| r.poll_action()).collect();
    assert_eq!(got.len(), 8);
    assert!(got[..4].iter().all(|(id, _)| *id == a));
    assert!(got[4..].iter().all(|(id, _)| *id == b));
    assert_eq!(r.poll_action(), None);
}

#[test]
fn link_events_reach_every_instance_on_the_interface_only() {
    let mut r: Router<8> = Router::new();
    let on = [r.add(cfg(5, 1, 100)).unwrap(), r.add(cfg(5, 2, 100)).unwrap()];
    let off = r.add(cfg(6, 1, 100)).unwrap();
    r.start_all(t(0));
    r.handle_link(t(1), 5, false);
    for id in on {
        assert_eq!(r.get(id).unwrap().state(), State::Fault);
    }
    assert_eq!(r.get(off).unwrap().state(), State::Backup);
}

#[test]
fn dispatch_with_1020_instances_reaches_the_right_one() {
    let mut r: Box<Router<1020>> = Box::default();
    for i in 0..1020u32 {
        r.add(cfg(1 + i / 255, (i % 255 + 1) as u8, 100)).unwrap();
    }
    r.start_all(t(0));
    let bytes = advert(77, 200);
    let (id, _) = r.handle_packet(t(5), 3, a4(12), IpAddr::V4(GROUP_V4), 255, &bytes).unwrap();
    let inst = r.get(id).unwrap();
    assert_eq!((inst.config().ifindex, inst.config().vrid), (3, 77));
    assert_eq!(inst.master().unwrap().priority, 200);
}

#[derive(Clone, Debug)]
enum Op {
    Advance(u32),
    Packet { vrid: u8, priority: u8, ttl_ok: bool },
    Link(bool),
    Tracking(u8, bool),
    Priority(u8, u8),
    Start,
    Stop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3_000_000u32).prop_map(Op::Advance),
        (1..=4u8, any::<u8>(), any::<bool>()).prop_map(|(vrid, priority, ttl_ok)| Op::Packet {
            vrid,
            priority,
            ttl_ok
        }),
        any::<bool>().prop_map(Op::Link),
        (0..4u8, any::<bool>()).prop_map(|(i, f)| Op::Tracking(i, f)),
        (0..4u8, 1..=254u8).prop_map(|(i, p)| Op::Priority(i, p)),
        Just(Op::Start),
        Just(Op::Stop),
    ]
}

/// Runs a sequence and returns every action with its time; checks invariants on the way.
fn run(ops: &[Op]) -> StdVec<(Instant, InstanceId, Action)> {
    let mut r: Router<4> = Router::new();
    for (vrid, prio) in [(1, 100), (2, 255), (3, 1), (4, 254)] {
        let mut c = cfg(1, vrid, prio);
        if vrid == 3 {
            c.primary_address = a4(13);
            c.preempt_delay = Duration::from_millis(1500);
        }
        r.add(c).unwrap();
    }
    let mut now = t(0);
    let mut trace = StdVec::new();
    for op in ops {
        match op {
            Op::Advance(us) => {
                now = now + Duration::from_micros(u64::from(*us));
                r.handle_timeout(now);
            }
            Op::Packet { vrid, priority, ttl_ok } => {
                let ttl = if *ttl_ok { 255 } else { 64 };
                let _ = r.handle_packet(now, 1, a4(12), IpAddr::V4(GROUP_V4), ttl, &advert(*vrid, *priority));
            }
            Op::Link(up) => r.handle_link(now, 1, *up),
            Op::Tracking(i, fault) => r.set_tracking_fault(now, InstanceId(u16::from(*i)), *fault),
            Op::Priority(i, p) => {
                let _ = r.set_priority(now, InstanceId(u16::from(*i)), *p);
            }
            Op::Start => r.start_all(now),
            Op::Stop => r.shutdown_all(now),
        }
        while let Some((id, action)) = r.poll_action() {
            if let Action::StateChanged { from, to, .. } = action {
                assert!(from.can_become(to), "illegal {from:?} -> {to:?}");
            }
            if let Action::SendAdvert { priority } = action {
                let mut buf = [0u8; 64];
                assert!(r.write_advert(id, priority, &mut buf).is_ok());
            }
            trace.push((now, id, action));
        }
        for (_, inst) in r.iter() {
            if let Some(d) = inst.poll_timeout() {
                assert!(d > now || inst.state() == State::Initialize, "deadline {d:?} not after now {now:?}");
            }
        }
        assert_eq!(r.poll_timeout(), r.iter().filter_map(|(_, i)| i.poll_timeout()).min());
    }
    trace
}

proptest! {
    #[test]
    fn prop_arbitrary_inputs_keep_timers_ahead_and_transitions_legal(ops in prop::collection::vec(op(), 0..120)) {
        run(&ops);
    }

    #[test]
    fn prop_same_inputs_give_identical_outputs(ops in prop::collection::vec(op(), 0..120)) {
        prop_assert_eq!(run(&ops), run(&ops));
    }

    #[test]
    fn prop_state_changes_follow_the_rfc_triggers(ops in prop::collection::vec(op(), 0..120)) {
        for (_, id, action) in run(&ops) {
            if let Action::StateChanged { from, to, reason } = action {
                let ok = match (from, to) {
                    (State::Initialize, State::Master) => reason == Reason::AddressOwner && id == InstanceId(1),
                    (State::Backup, State::Master) => matches!(reason, Reason::MasterNoResponse | Reason::MasterLeft | Reason::Preempted),
                    (State::Master, State::Backup) => reason == Reason::HigherPriority,
                    (_, State::Fault) => matches!(reason, Reason::LinkDown | Reason::TrackingFault),
                    (State::Fault, _) => matches!(reason, Reason::LinkUp | Reason::TrackingRecovered | Reason::Shutdown),
                    (_, State::Initialize) => reason == Reason::Shutdown,
                    (State::Initialize, State::Backup) => reason == Reason::Startup,
                    _ => false,
                };
                prop_assert!(ok, "{:?} -> {:?} for {:?} by {:?}", from, to, reason, id);
            }
        }
    }
}

#[test]
fn ipv6_instances_are_dispatched_separately_from_ipv4() {
    let mut r: Router<4> = Router::new();
    r.add(cfg(1, 9, 100)).unwrap();
    let mut c6 = InstanceConfig::new(1, 9, Version::V3, IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x11)));
    c6.vips.push(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))).unwrap();
    let id6 = r.add(c6).unwrap();
    assert_eq!(r.lookup(1, 9, Family::Ipv6), Some(id6));
}

#[test]
fn len_and_is_empty() {
    let mut r: Router<4> = Router::new();
    assert!(r.is_empty());
    assert_eq!(r.len(), 0);
    r.add(cfg(1, 1, 100)).unwrap();
    assert!(!r.is_empty());
    assert_eq!(r.len(), 1);
}

#[test]
fn per_instance_start_shutdown_priority_and_address() {
    let mut r: Router<4> = Router::new();
    let a = r.add(cfg(1, 1, 100)).unwrap();
    let b = r.add(cfg(1, 2, 100)).unwrap();
    r.start(t(0), a);
    assert_eq!(r.get(a).unwrap().state(), State::Backup);
    assert_eq!(r.get(b).unwrap().state(), State::Initialize);
    assert!(r.poll_timeout().is_some(), "a started instance has a deadline in the heap");
    r.shutdown(t(1), a);
    assert_eq!(r.get(a).unwrap().state(), State::Initialize);
    assert_eq!(r.poll_timeout(), None, "its deadline left the heap");
    r.start_all(t(2));
    r.shutdown_all(t(3));
    assert!(r.iter().all(|(_, i)| i.state() == State::Initialize));
    assert_eq!(r.set_priority(t(4), a, 0), Err(ConfigError::PriorityZero));
    r.set_priority(t(4), a, 150).unwrap();
    assert_eq!(r.get(a).unwrap().priority(), 150);
    let v6 = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
    assert_eq!(r.set_primary_address(a, v6), Err(ConfigError::PrimaryFamilyMismatch));
    r.set_primary_address(a, a4(30)).unwrap();
    assert_eq!(r.get(a).unwrap().config().primary_address, a4(30));
}

#[test]
fn link_events_find_interfaces_above_and_below() {
    let mut r: Router<8> = Router::new();
    let low = r.add(cfg(1, 1, 100)).unwrap();
    let mid = r.add(cfg(5, 1, 100)).unwrap();
    let high = r.add(cfg(9, 1, 100)).unwrap();
    r.start_all(t(0));
    r.handle_link(t(1), 9, false);
    r.handle_link(t(1), 1, false);
    assert_eq!(r.get(low).unwrap().state(), State::Fault);
    assert_eq!(r.get(mid).unwrap().state(), State::Backup);
    assert_eq!(r.get(high).unwrap().state(), State::Fault);
}

#[test]
fn instance_level_version_and_vrid_errors_reach_router_counters() {
    let mut r: Router<4> = Router::new();
    let mut v2 = cfg(1, 51, 100);
    v2.version = Version::V2;
    v2.advert_interval_cs = 100;
    r.add(v2).unwrap();
    // A v3 advert for the v2 instance: matched by VRID, refused by version.
    let bytes = advert(51, 200);
    let d = r.handle_packet(t(0), 1, a4(12), IpAddr::V4(GROUP_V4), 255, &bytes).unwrap_err();
    assert_eq!(d.error, RxError::Version(3));
    assert_eq!(r.stats().version_errors, 1);
    assert_eq!(r.stats().vrid_errors, 0);
}

#[test]
fn timeouts_fire_only_when_due() {
    let mut r: Router<4> = Router::new();
    let a = r.add(cfg(1, 1, 100)).unwrap();
    r.start_all(t(0));
    let due = r.poll_timeout().unwrap();
    r.handle_timeout(due - Duration::from_micros(1));
    assert_eq!(r.get(a).unwrap().state(), State::Backup);
    r.handle_timeout(due);
    assert_eq!(r.get(a).unwrap().state(), State::Master);
}

#[test]
fn write_advert_returns_the_advert_length() {
    let mut r: Router<4> = Router::new();
    let a = r.add(cfg(1, 1, 100)).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(r.write_advert(a, 100, &mut buf), Ok(12));
    assert_eq!(r.write_advert(InstanceId(9), 100, &mut buf), Err(crate::wire::Error::Unrepresentable));
}

proptest! {
    /// The indexed heap's top is always the earliest deadline, whatever the sequence of
    /// inserts, moves (earlier and later) and removals.
    #[test]
    fn prop_deadline_heap_top_is_the_minimum(ops in prop::collection::vec((0..16u16, prop::option::of(0..1000u64)), 1..200)) {
        let mut heap: DeadlineHeap<16> = DeadlineHeap::new();
        let mut model: [Option<Instant>; 16] = [None; 16];
        for (id, deadline) in ops {
            let deadline = deadline.map(Instant::from_micros);
            heap.set(id, deadline);
            model[usize::from(id)] = deadline;
            let want = model.iter().enumerate().filter_map(|(i, d)| d.map(|d| (d, i as u16))).min();
            prop_assert_eq!(heap.peek(), want);
            for (i, d) in model.iter().enumerate() {
                prop_assert_eq!(heap.deadline_of(i as u16), *d);
            }
        }
    }
}

#[test]
fn clear_stats_zeroes_every_instance_and_the_router_counters() {
    let mut r: Router<4> = Router::new();
    let id = r.add(cfg(1, 10, 100)).unwrap();
    r.start_all(Instant::ZERO);
    // A packet for a VRID nobody has: counted router-wide.
    let _ = r.handle_packet(
        Instant::ZERO,
        1,
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 12)),
        IpAddr::V4(GROUP_V4),
        255,
        &[0x31, 99],
    );
    assert!(r.stats().vrid_errors > 0 || r.stats().packet_length_errors > 0 || r.stats().version_errors > 0);
    let down = r.poll_timeout().unwrap();
    r.handle_timeout(down);
    assert_eq!(r.get(id).unwrap().stats().master_transitions, 1);
    r.clear_stats();
    assert_eq!(*r.stats(), RouterStats::default());
    assert_eq!(*r.get(id).unwrap().stats(), crate::stats::Stats::default());
    assert_eq!(r.get(id).unwrap().state(), State::Master);
}

/// Drains every pending action of the router.
fn drain(r: &mut Router<4>) -> StdVec<(InstanceId, Action)> {
    core::iter::from_fn(|| r.poll_action()).collect()
}

/// A reload carries a running master into a new router as it is: same state, same
/// deadline (its next advert is due when it was, so the backups see no gap), counters and
/// VIPs kept, and no action at all.
#[test]
fn reload_adopt_keeps_a_master_its_deadline_counters_and_vips() {
    let mut old: Router<4> = Router::new();
    let id = old.add(cfg(1, 10, 255)).unwrap();
    old.start_all(t(0));
    drain(&mut old);
    old.handle_timeout(t(1000));
    drain(&mut old);
    let inst = old.get(id).unwrap().clone();
    let deadline = old.poll_timeout();
    let mut stats = *old.stats();
    stats.vrid_errors = 7;
    let mut new: Router<4> = Router::new();
    let other = new.add(cfg(1, 11, 100)).unwrap();
    let adopted = new.adopt(inst).unwrap();
    new.restore_stats(stats);
    assert_ne!(adopted, other);
    let got = new.get(adopted).unwrap();
    assert_eq!(got.state(), State::Master);
    assert!(got.holds_vips());
    assert_eq!(got.stats().sent_advertisements, 2);
    assert_eq!(new.stats().vrid_errors, 7);
    assert_eq!(new.poll_timeout(), deadline, "the adopted master's next advert is due when it was");
    assert!(drain(&mut new).is_empty(), "adopting does nothing on the wire");
    assert_eq!(new.lookup(1, 10, Family::Ipv4), Some(adopted));
    assert_eq!(new.adopt(new.get(adopted).unwrap().clone()), Err(AddError::Duplicate(adopted)));
}

/// RFC 9568 §6.4.3: a master that gets a new priority or interval on reload tells the
/// backups at once, in an advert; an unchanged configuration sends nothing.
#[test]
fn rfc9568_6_4_3_reconfigure_a_master_advertises_the_new_settings_at_once() {
    let mut r: Router<4> = Router::new();
    let id = r.add(cfg(1, 10, 200)).unwrap();
    r.start_all(t(0));
    let down = r.poll_timeout().unwrap();
    r.handle_timeout(down);
    drain(&mut r);
    assert_eq!(r.get(id).unwrap().state(), State::Master);
    let before = r.poll_timeout();
    r.reconfigure(down + Duration::from_millis(10), id, cfg(1, 10, 200), 200).unwrap();
    assert!(drain(&mut r).is_empty(), "same settings: nothing to say");
    assert_eq!(r.poll_timeout(), before);
    let mut c = cfg(1, 10, 150);
    c.advert_interval_cs = 50;
    c.vips.push(a4(2)).unwrap();
    let now = down + Duration::from_millis(20);
    r.reconfigure(now, id, c, 150).unwrap();
    let actions: StdVec<Action> = drain(&mut r).into_iter().map(|(_, a)| a).collect();
    assert_eq!(actions, [Action::SendAdvert { priority: 150 }, Action::Announce]);
    assert_eq!(r.poll_timeout(), Some(now + Duration::from_millis(500)), "the new interval from now");
    let inst = r.get(id).unwrap();
    assert_eq!((inst.state(), inst.priority(), inst.config().vips.len()), (State::Master, 150, 2));
}

/// A backup made the address owner by a reload takes over as the owner does at startup
/// (RFC 9568 §6.4.2); the identity and the priority rules are checked.
#[test]
fn rfc9568_6_4_2_reconfigure_a_backup_into_the_owner_takes_over() {
    let mut r: Router<4> = Router::new();
    let id = r.add(cfg(1, 10, 100)).unwrap();
    r.start_all(t(0));
    drain(&mut r);
    assert_eq!(r.get(id).unwrap().state(), State::Backup);
    assert_eq!(r.reconfigure(t(5), id, cfg(1, 11, 100), 100), Err(ReconfigureError::Identity));
    assert_eq!(r.reconfigure(t(5), id, cfg(2, 10, 100), 100), Err(ReconfigureError::Identity));
    assert_eq!(
        r.reconfigure(t(5), id, cfg(1, 10, 100), 255),
        Err(ReconfigureError::Config(ConfigError::PriorityOwnerOnly))
    );
    assert_eq!(r.reconfigure(t(5), id, cfg(1, 10, 100), 0), Err(ReconfigureError::Config(ConfigError::PriorityZero)));
    assert_eq!(r.get(id).unwrap().priority(), 100, "a refused configuration changes nothing");
    // A lower tracked priority for the new configuration is taken as given.
    r.reconfigure(t(6), id, cfg(1, 10, 120), 90).unwrap();
    assert_eq!((r.get(id).unwrap().state(), r.get(id).unwrap().priority()), (State::Backup, 90));
    assert!(drain(&mut r).is_empty(), "a backup says nothing");
    r.reconfigure(t(10), id, cfg(1, 10, 255), 255).unwrap();
    let actions: StdVec<Action> = drain(&mut r).into_iter().map(|(_, a)| a).collect();
    assert!(actions.contains(&Action::AddVips), "{actions:?}");
    assert!(actions.contains(&Action::SendAdvert { priority: 255 }), "{actions:?}");
    assert_eq!(r.get(id).unwrap().state(), State::Master);
}

/// Two sync group members on interfaces 1 and 2 (priority 200), started and run until both
/// are master.
fn synced_masters() -> (Router<4>, [InstanceId; 2], Instant) {
    let mut r: Router<4> = Router::new();
    let a = r.add(cfg(1, 10, 200)).unwrap();
    let b = r.add(cfg(2, 11, 200)).unwrap();
    let g = r.add_sync_group(t(0), &[a, b], State::Initialize).unwrap();
    assert_eq!(r.group_state(g), Some(State::Initialize));
    r.start_all(t(0));
    assert_eq!(r.group_state(g), Some(State::Backup));
    let mut now = t(0);
    for _ in 0..4 {
        now = r.poll_timeout().unwrap();
        r.handle_timeout(now);
    }
    assert_eq!(r.get(a).unwrap().state(), State::Master);
    assert_eq!(r.get(b).unwrap().state(), State::Master);
    assert_eq!(r.group_state(g), Some(State::Master));
    drain(&mut r);
    let changes: StdVec<_> = core::iter::from_fn(|| r.poll_group_change()).map(|c| (c.from, c.to)).collect();
    assert_eq!(
        changes,
        [(State::Initialize, State::Backup), (State::Backup, State::Master)],
        "INIT → BACKUP at start, MASTER once both are"
    );
    (r, [a, b], now)
}

fn transitions(got: &[(InstanceId, Action)], id: InstanceId) -> StdVec<(State, Reason)> {
    got.iter()
        .filter(|(i, _)| *i == id)
        .filter_map(|(_, a)| match a {
            Action::StateChanged { to, reason, .. } => Some((*to, *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn keepalived_vrrp_sync_can_goto_master_a_member_waits_until_every_member_wants_master() {
    let mut r: Router<4> = Router::new();
    let a = r.add(cfg(1, 10, 200)).unwrap();
    let b = r.add(cfg(2, 11, 200)).unwrap();
    r.add_sync_group(t(0), &[a, b], State::Initialize).unwrap();
    r.start_all(t(0));
    let g = IpAddr::V4(GROUP_V4);
    // b follows a higher-priority master on its link; a hears nobody.
    let down_a = r.get(a).unwrap().poll_timeout().unwrap();
    let mut now = t(0);
    while now < down_a + Duration::from_millis(1500) {
        now = now + Duration::from_millis(500);
        r.handle_packet(now, 2, a4(12), g, 255, &advert(11, 250)).unwrap();
        r.handle_timeout(now);
    }
    assert_eq!(r.get(a).unwrap().state(), State::Backup, "held in BACKUP by the group");
    assert!(r.get(a).unwrap().wants_master());
    assert!(!r.get(b).unwrap().wants_master());
    assert_eq!(r.group_state(GroupId(0)), Some(State::Backup));
    drain(&mut r);
    // b's master goes silent: once b's timer runs out too, both become master together.
    let deadline = now + Duration::from_secs(4);
    while r.get(b).unwrap().state() != State::Master && now < deadline {
        now = r.poll_timeout().unwrap();
        r.handle_timeout(now);
    }
    let got = drain(&mut r);
    assert_eq!(transitions(&got, b), [(State::Master, Reason::MasterNoResponse)]);
    assert_eq!(transitions(&got, a), [(State::Master, Reason::MasterNoResponse)]);
    assert_eq!(r.group_state(GroupId(0)), Some(State::Master));
}

#[test]
fn keepalived_vrrp_sync_fault_one_member_down_takes_the_group_to_fault_until_it_recovers() {
    let (mut r, [a, b], now) = synced_masters();
    r.handle_link(now, 1, false);
    let got = drain(&mut r);
    assert_eq!(transitions(&got, a), [(State::Fault, Reason::LinkDown)]);
    assert_eq!(transitions(&got, b), [(State::Fault, Reason::SyncGroup)]);
    let b_actions: StdVec<_> = got.iter().filter(|(i, _)| *i == b).map(|(_, a)| *a).collect();
    assert!(b_actions.contains(&Action::SendAdvert { priority: 0 }), "vrrp.c:1800: FAULT says priority 0");
    assert!(b_actions.contains(&Action::RemoveVips));
    assert_eq!(r.group_state(GroupId(0)), Some(State::Fault));
    // b's own link flapping does not bring it back while a is down.
    r.handle_link(now, 2, false);
    r.handle_link(now, 2, true);
    assert_eq!(r.get(b).unwrap().state(), State::Fault);
    // Tracking failing on b too: a's recovery alone does not bring the group back.
    r.set_tracking_fault(now, b, true);
    r.handle_link(now, 1, true);
    assert_eq!(r.get(a).unwrap().state(), State::Fault);
    drain(&mut r);
    r.set_tracking_fault(now, b, false);
    let got = drain(&mut r);
    assert_eq!(transitions(&got, b), [(State::Backup, Reason::TrackingRecovered)]);
    assert_eq!(transitions(&got, a), [(State::Backup, Reason::SyncGroup)]);
    assert_eq!(r.group_state(GroupId(0)), Some(State::Backup));
    let changes: StdVec<_> = core::iter::from_fn(|| r.poll_group_change()).map(|c| c.to).collect();
    assert_eq!(changes, [State::Fault, State::Backup]);
}

#[test]
fn keepalived_vrrp_sync_backup_a_preempted_member_takes_the_other_masters_to_backup() {
    let (mut r, [a, b], now) = synced_masters();
    r.handle_packet(now, 1, a4(12), IpAddr::V4(GROUP_V4), 255, &advert(10, 250)).unwrap();
    let got = drain(&mut r);
    assert_eq!(transitions(&got, a), [(State::Backup, Reason::HigherPriority)]);
    assert_eq!(transitions(&got, b), [(State::Backup, Reason::SyncGroup)]);
    let b_actions: StdVec<_> = got.iter().filter(|(i, _)| *i == b).map(|(_, a)| *a).collect();
    assert!(!b_actions.contains(&Action::SendAdvert { priority: 0 }), "vrrp_sync_backup: leave_master without advF");
    assert_eq!(r.group_state(GroupId(0)), Some(State::Backup));
    assert!(r.get(b).unwrap().holds_vips(), "make before break: until its successor is heard");
}

#[test]
fn keepalived_vrrp_sync_set_group_refuses_unknown_and_twice_grouped_members() {
    let mut r: Router<4> = Router::new();
    let a = r.add(cfg(1, 10, 200)).unwrap();
    let b = r.add(cfg(2, 11, 200)).unwrap();
    let c = r.add(cfg(3, 12, 200)).unwrap();
    assert_eq!(r.add_sync_group(t(0), &[a, InstanceId(9)], State::Initialize), Err(GroupError::Unknown(InstanceId(9))));
    assert_eq!(r.add_sync_group(t(0), &[], State::Initialize), Err(GroupError::Full));
    assert_eq!(r.add_sync_group(t(0), &[a, a], State::Initialize), Err(GroupError::AlreadyGrouped(a)));
    let g = r.add_sync_group(t(0), &[a, b], State::Initialize).unwrap();
    assert_eq!(r.add_sync_group(t(0), &[c, b], State::Initialize), Err(GroupError::AlreadyGrouped(b)));
    assert_eq!(r.group_members(g).collect::<StdVec<_>>(), [a, b]);
    assert_eq!((r.group_of(a), r.group_of(c), r.group_count()), (Some(g), None, 1));
    // c stays ungrouped: its timer makes it master by itself.
    r.start_all(t(0));
    while r.get(c).unwrap().state() != State::Master {
        let now = r.poll_timeout().unwrap();
        r.handle_timeout(now);
    }
    assert!(!r.get(c).unwrap().sync_member() && r.get(a).unwrap().sync_member());
}

#[test]
fn keepalived_sync_group_link_down_before_start_starts_the_others_in_fault() {
    let mut r: Router<4> = Router::new();
    let a = r.add(cfg(1, 10, 200)).unwrap();
    let b = r.add(cfg(2, 11, 200)).unwrap();
    r.handle_link(t(0), 1, false);
    let g = r.add_sync_group(t(0), &[a, b], State::Initialize).unwrap();
    r.start_all(t(0));
    assert_eq!(r.get(a).unwrap().state(), State::Fault);
    assert_eq!(r.get(b).unwrap().state(), State::Fault, "vrrp_sync.c:93: a member down, the group in FAULT");
    assert_eq!(r.group_state(g), Some(State::Fault));
    r.shutdown_all(t(1));
    assert_eq!(r.group_state(g), Some(State::Initialize));
}

/// A reload adopts the instances as they ran, group flags included; the ones the new file
/// puts in no group must run alone again, and leave the FAULT their old group held them in.
#[test]
fn reload_release_ungrouped_lets_a_former_member_out_of_its_group_fault() {
    let (mut old, [a, b], now) = synced_masters();
    old.handle_link(now, 1, false);
    assert_eq!(old.get(b).unwrap().state(), State::Fault);
    let mut r: Router<4> = Router::new();
    let na = r.adopt(old.get(a).unwrap().clone()).unwrap();
    let nb = r.adopt(old.get(b).unwrap().clone()).unwrap();
    drain(&mut r);
    r.release_ungrouped(now);
    let got = drain(&mut r);
    assert_eq!(transitions(&got, nb), [(State::Backup, Reason::SyncGroup)], "out of the group's FAULT");
    assert_eq!(transitions(&got, na), [], "a is down by itself");
    assert!(!r.get(nb).unwrap().sync_member());
    let mut t = now;
    while r.get(nb).unwrap().state() != State::Master {
        t = r.poll_timeout().unwrap();
        r.handle_timeout(t);
    }
    assert!(t < now + Duration::from_secs(5), "alone, its own timer makes it master");
}

/// Three members: the operator handing one over takes the other two to BACKUP with it
/// (vrrp_sync_backup), each keeping its VIPs until its successor is heard.
#[test]
fn keepalived_vrrp_sync_backup_a_handover_of_one_of_three_members_takes_all_three() {
    let mut r: Router<4> = Router::new();
    let ids = [r.add(cfg(1, 10, 200)).unwrap(), r.add(cfg(2, 11, 200)).unwrap(), r.add(cfg(3, 12, 200)).unwrap()];
    let g = r.add_sync_group(t(0), &ids, State::Initialize).unwrap();
    assert_eq!(r.group_members(g).collect::<StdVec<_>>(), ids);
    r.start_all(t(0));
    let mut now = t(0);
    while r.group_state(g) != Some(State::Master) {
        now = r.poll_timeout().unwrap();
        r.handle_timeout(now);
    }
    drain(&mut r);
    r.handover(now, ids[1]);
    let got = drain(&mut r);
    assert_eq!(transitions(&got, ids[1]), [(State::Backup, Reason::Handover)]);
    for id in [ids[0], ids[2]] {
        assert_eq!(transitions(&got, id), [(State::Backup, Reason::SyncGroup)]);
        assert!(r.get(id).unwrap().holds_vips());
    }
    assert_eq!(r.group_state(g), Some(State::Backup));
}
