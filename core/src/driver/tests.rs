extern crate std;

use core::cell::Cell;
use core::net::{IpAddr, Ipv4Addr};
use std::vec::Vec as StdVec;

use super::*;
use crate::time::Duration;
use crate::timers;
use crate::wire::{Packet, Version, GROUP_V4, TTL};

fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn cfg(vrid: u8, priority: u8, primary: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new(1, vrid, Version::V3, a4(primary));
    c.priority = priority;
    c.vips.push(a4(1)).unwrap();
    c
}

/// Everything an `Io` was told, as the action it stands for, plus the advert bytes.
#[derive(Default)]
struct Log {
    calls: StdVec<(InstanceId, Action)>,
    adverts: StdVec<StdVec<u8>>,
}

impl Io for Log {
    fn send_advert(&mut self, id: InstanceId, instance: &Instance, advert: &[u8]) {
        let priority = Packet::new_checked(advert, instance.config().family()).map(|p| p.priority()).unwrap_or(0);
        assert_eq!(instance.config().vrid, advert[1]);
        self.calls.push((id, Action::SendAdvert { priority }));
        self.adverts.push(advert.to_vec());
    }
    fn add_vips(&mut self, id: InstanceId, _: &Instance) {
        self.calls.push((id, Action::AddVips));
    }
    fn remove_vips(&mut self, id: InstanceId, _: &Instance) {
        self.calls.push((id, Action::RemoveVips));
    }
    fn announce(&mut self, id: InstanceId, _: &Instance) {
        self.calls.push((id, Action::Announce));
    }
    fn state_changed(&mut self, id: InstanceId, instance: &Instance, from: State, to: State, reason: Reason) {
        assert_eq!(instance.state(), to, "the instance is in the new state when the Io hears of it");
        self.calls.push((id, Action::StateChanged { from, to, reason }));
    }
}

/// A clock the test moves by hand, as a firmware's tick counter would move.
struct Manual(Cell<u64>);

impl Clock for Manual {
    fn now(&self) -> Instant {
        Instant::from_micros(self.0.get())
    }
}

#[test]
fn an_instant_is_a_clock_that_reads_itself() {
    assert_eq!(Instant::from_millis(7).now(), Instant::from_millis(7));
}

#[test]
fn driver_pumps_exactly_the_actions_the_sans_io_router_queues() {
    let mut router: Router<4> = Router::new();
    let mut driver: Driver<4> = Driver::new();
    for (vrid, prio) in [(10, 100), (11, 255), (12, 50)] {
        let mut c = cfg(vrid, prio, 11);
        if prio == 255 {
            c.vips[0] = a4(11);
        }
        router.add(c.clone()).unwrap();
        driver.add(c).unwrap();
    }
    let mut peer = cfg(10, 200, 12);
    peer.vips[0] = a4(1);
    let mut buf = [0u8; 64];
    let n = Instance::new(peer).unwrap().write_advert(200, &mut buf).unwrap();
    let advert = &buf[..n];

    let mut log = Log::default();
    let mut expected = StdVec::new();
    let drain = |r: &mut Router<4>, out: &mut StdVec<(InstanceId, Action)>| {
        while let Some(a) = r.poll_action() {
            out.push(a);
        }
    };
    let t0 = Instant::from_millis(0);
    router.start_all(t0);
    drain(&mut router, &mut expected);
    driver.start_all(&t0, &mut log);
    let mut now = t0;
    for step in 0..12u64 {
        let next = router.poll_timeout().unwrap();
        assert_eq!(driver.next_deadline(), Some(next));
        now = next;
        if step == 3 {
            let a = router.handle_packet(now, 1, a4(12), IpAddr::V4(GROUP_V4), TTL, advert);
            let b = driver.on_packet(
                &now,
                &mut log,
                Inbound { ifindex: 1, src: a4(12), dst: IpAddr::V4(GROUP_V4), ttl: TTL, bytes: advert },
            );
            assert_eq!(a, b);
        }
        router.handle_timeout(now);
        drain(&mut router, &mut expected);
        assert_eq!(driver.on_timer(&now, &mut log), router.poll_timeout());
    }
    router.shutdown_all(now);
    drain(&mut router, &mut expected);
    driver.shutdown_all(&now, &mut log);
    assert!(expected.len() > 20, "the scenario exercises the pump: {}", expected.len());
    assert_eq!(log.calls, expected);
    for (bytes, (id, action)) in
        log.adverts.iter().zip(log.calls.iter().filter(|(_, a)| matches!(a, Action::SendAdvert { .. })))
    {
        let Action::SendAdvert { priority } = *action else { unreachable!() };
        let mut want = [0u8; 64];
        let n = router.write_advert(*id, priority, &mut want).unwrap();
        assert_eq!(bytes.as_slice(), &want[..n], "the driver sends what write_advert serialises");
    }
}

#[test]
fn on_timer_before_the_deadline_fires_nothing() {
    let mut driver: Driver<1> = Driver::new();
    driver.add(cfg(10, 100, 11)).unwrap();
    let mut log = Log::default();
    driver.start_all(&Instant::ZERO, &mut log);
    let down = driver.next_deadline().unwrap();
    log.calls.clear();
    let early = Instant::from_micros(down.as_micros() - 1);
    assert_eq!(driver.on_timer(&early, &mut log), Some(down));
    assert!(log.calls.is_empty(), "{:?}", log.calls);
    driver.on_timer(&down, &mut log);
    assert!(log.calls.contains(&(InstanceId(0), Action::AddVips)), "{:?}", log.calls);
}

/// Two drivers on a lossless LAN, with one clock: the higher priority becomes master, the
/// other stays backup while it hears adverts, and takes over Master_Down_Interval after
/// the master falls silent (RFC 9568 §6.4.2).
#[test]
fn rfc9568_6_4_two_drivers_elect_one_master_and_fail_over() {
    let clock = Manual(Cell::new(0));
    let mut nodes: [(Driver<2>, Log); 2] = [(Driver::new(), Log::default()), (Driver::new(), Log::default())];
    nodes[0].0.add(cfg(10, 200, 11)).unwrap();
    nodes[1].0.add(cfg(10, 100, 12)).unwrap();
    let id = InstanceId(0);
    for (d, io) in nodes.iter_mut() {
        d.start_all(&clock, io);
    }
    let mut cut_at = None;
    let mut took_over_at = None;
    let deliver = |nodes: &mut [(Driver<2>, Log); 2], clock: &Manual, cut: bool| {
        for from in 0..2 {
            let sent: StdVec<_> = nodes[from].1.adverts.drain(..).collect();
            if cut && from == 0 {
                continue;
            }
            let to = 1 - from;
            for bytes in sent {
                let src = a4(11 + from as u8);
                let (d, io) = &mut nodes[to];
                d.on_packet(clock, io, Inbound { ifindex: 1, src, dst: IpAddr::V4(GROUP_V4), ttl: TTL, bytes: &bytes })
                    .unwrap();
            }
        }
    };
    while clock.0.get() < 20_000_000 {
        let next = nodes.iter().filter_map(|(d, _)| d.next_deadline()).min().unwrap();
        clock.0.set(next.as_micros());
        if cut_at.is_none() && clock.0.get() >= 10_000_000 {
            cut_at = Some(clock.now());
        }
        for (d, io) in nodes.iter_mut() {
            d.on_timer(&clock, io);
        }
        deliver(&mut nodes, &clock, cut_at.is_some());
        if took_over_at.is_none() && nodes[1].0.router().get(id).unwrap().state() == State::Master {
            took_over_at = Some(clock.now());
        }
        if cut_at.is_none() {
            assert_eq!(nodes[0].0.router().get(id).unwrap().state(), State::Master);
            if clock.0.get() > 4_000_000 {
                assert_eq!(nodes[1].0.router().get(id).unwrap().state(), State::Backup);
            }
        }
    }
    assert_eq!(nodes[1].0.router().get(id).unwrap().state(), State::Master, "the backup took over");
    let took_over = nodes[1].1.calls.iter().filter(|(_, a)| *a == Action::AddVips).count();
    assert_eq!(took_over, 1, "{:?}", nodes[1].1.calls);
    // The last advert heard came at most one advert interval before the cut, and the
    // backup takes over Master_Down_Interval after it.
    let (cut, took_over_at) = (cut_at.unwrap(), took_over_at.unwrap());
    let down = timers::master_down_interval(100, 100);
    assert!(took_over_at <= cut + down, "{took_over_at:?} vs cut {cut:?}");
    assert!(took_over_at >= cut - Duration::from_centis(100) + down, "{took_over_at:?} vs cut {cut:?}");
}

/// Make-before-break through the driver: after `handover` the VIPs stay until a successor's
/// advert, then [`crate::instance::HANDOVER_LINGER`] more; `holds_any_vips` tells a caller
/// stopping the device when it may power down.
#[test]
fn handover_keeps_the_vips_until_the_successor_plus_linger() {
    let mut driver: Driver<1> = Driver::new();
    let id = driver.add(cfg(10, 200, 11)).unwrap();
    let mut log = Log::default();
    driver.start_all(&Instant::ZERO, &mut log);
    let down = driver.next_deadline().unwrap();
    driver.on_timer(&down, &mut log);
    log.calls.clear();
    let t = down + Duration::from_millis(500);
    driver.handover(&t, &mut log, id);
    assert!(driver.holds_any_vips());
    assert!(!log.calls.iter().any(|(_, a)| *a == Action::RemoveVips), "{:?}", log.calls);
    let successor = Instance::new(cfg(10, 100, 12)).unwrap();
    let mut buf = [0u8; 64];
    let n = successor.write_advert(100, &mut buf).unwrap();
    let heard = t + Duration::from_millis(600);
    let inbound = Inbound { ifindex: 1, src: a4(12), dst: IpAddr::V4(GROUP_V4), ttl: TTL, bytes: &buf[..n] };
    driver.on_packet(&heard, &mut log, inbound).unwrap();
    assert_eq!(driver.next_deadline(), Some(heard + crate::instance::HANDOVER_LINGER));
    driver.on_timer(&(heard + crate::instance::HANDOVER_LINGER), &mut log);
    assert_eq!(log.calls.last(), Some(&(id, Action::RemoveVips)));
    assert!(!driver.holds_any_vips());
}
