//! The users' keepalived pair, reproduced with vrrpd on a real LAN in network namespaces:
//! the seed config (v2, PASS, advert 1 s, garp_master_delay 5) on two servers and a client.

mod common;

use std::time::Duration;

use common::capture::{advert_source, Capture, Handover, EARLY, LATE};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::require_root;

#[test]
fn seed_pair_vip_on_master_failover_and_preempt_back() {
    if !require_root("seed_pair_vip_on_master_failover_and_preempt_back") {
        return;
    }
    let lan = lan("seedpair");
    let cap = Capture::start(&lan, "client");
    // Master_Down_Interval for priority 100 at 1 s (100 cs): 3 s + (156/256) s.
    let down: std::time::Duration = master_down_interval(100, 100).into();
    assert_eq!(down, Duration::from_micros(3_609_375));
    let (a_src, b_src) = (advert_source(&lan, "a", false), advert_source(&lan, "b", false));
    let a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    // Each server runs a TCP service that names itself: a new connection to the VIP tells
    // which server holds it, as the users' clients would find out.
    let _services = [NameServer::start(&lan, "a"), NameServer::start(&lan, "b")];

    // 1. The VIP ends up on the prio-101 server only; the client resolves it to a's MAC.
    let took = wait_for(Duration::from_secs(10), || holds(&lan, "a", vip()));
    assert!(took.is_some(), "VIP never appeared on a; a log:\n{}", a.log());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!holds(&lan, "b", vip()), "VIP on both servers; b log:\n{}", b.log());
    assert!(client_reaches(&lan, vip()), "client cannot ping the VIP");
    assert_eq!(lan.neigh("client", vip()).unwrap(), Some(lan.mac("a").unwrap()));
    assert_eq!(tcp_reaches(&lan, vip()).expect("TCP connect to the VIP"), "a");
    let status = a.status_json();
    assert_eq!(status["instances"][0]["state"], "MASTER", "{status}");
    assert_eq!(b.status_json()["instances"][0]["state"], "BACKUP");

    // 2. Cut the master's cable: b takes the VIP within Master_Down_Interval, and its
    //    gratuitous ARP moves the client's entry to b's MAC. b eventually holds the VIP
    //    (a loose wait)...
    let cut = Capture::mark();
    lan.cut_cable("a").unwrap();
    let took = wait_for(down + Duration::from_secs(5), || holds(&lan, "b", vip()));
    assert!(took.is_some(), "b did not take over; b log:\n{}", b.log());
    //    ... and on the wire, b's first advert and gratuitous ARP follow a's last advert by
    //    Master_Down_Interval. EARLY: two copies of one flooded frame; LATE: b's wake-up
    //    and sends on a loaded machine.
    let handover = Handover { old: a_src, new: b_src, new_mac: lan.mac("b").unwrap(), vrid: 200, vip: vip() };
    let t = cap.silence_takeover(handover, cut, down + Duration::from_secs(5));
    println!(
        "takeover after a's last advert: advert {:?}, gratuitous ARP {:?} (Master_Down_Interval {down:?})",
        t.advert_after(),
        t.announce_after()
    );
    t.assert_within(down, EARLY, LATE, &format!("b log:\n{}\n{}", b.log(), cap.summary()));
    let moved =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip()).ok().flatten() == Some(lan.mac("b").unwrap()));
    assert!(moved.is_some(), "client's neighbour entry did not move to b");
    assert!(client_reaches(&lan, vip()), "pings do not resume after failover");
    assert_eq!(tcp_reaches(&lan, vip()).expect("TCP connect to the VIP after failover"), "b");

    // 3. Restore the cable: a preempts back; never on both for longer than about an advert.
    let restored = Capture::mark();
    lan.restore_cable("a").unwrap();
    let back = wait_for(Duration::from_secs(10), || holds(&lan, "a", vip()) && !holds(&lan, "b", vip()));
    assert!(back.is_some(), "VIP did not return to a; a log:\n{}\nb log:\n{}", a.log(), b.log());
    let moved =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip()).ok().flatten() == Some(lan.mac("a").unwrap()));
    assert!(moved.is_some(), "client's neighbour entry did not return to a");
    assert_eq!(tcp_reaches(&lan, vip()).expect("TCP connect to the VIP after preemption"), "a");

    // On the wire: once a advertises again as master, b falls silent at once (it hears
    // the higher priority and becomes backup). One advert of b's may already be on its
    // way when a's arrives: LATE covers b's reception and state change on a loaded
    // machine, far less than b's 1 s advert interval.
    let a_back = cap.advert(a_src, 200, restored, Duration::from_secs(10), |p| p == 101);
    let b_after = cap.all_between(a_back.at + LATE, Capture::mark(), |f| f.advert_priority(b_src, 200).is_some());
    assert!(b_after.is_empty(), "b kept advertising after a preempted: {b_after:?}\n{}", cap.summary());
}
