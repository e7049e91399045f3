//! VRRPv3 failover on a cable cut: at 10 ms adverts (takeover well under a second), and
//! with an IPv6 VIP (the VIP moves, the client's neighbour entry follows the unsolicited NA).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::capture::{advert_source, Capture, Handover, EARLY, LATE};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::require_root;

#[test]
fn v3_10ms_adverts_cut_cable_takeover_well_under_a_second() {
    let test = "v3_10ms_adverts_cut_cable_takeover_well_under_a_second";
    if !require_root(test) {
        return;
    }
    let lan = lan("v3fast");
    let cap = Capture::start(&lan, "client");
    let a = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().advert_int("0.01").render());
    let b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).v3().advert_int("0.01").render());
    // Priority 100 at 10 ms (1 cs): 30 ms + Skew_Time 6.09 ms.
    let down: Duration = master_down_interval(100, 1).into();
    assert_eq!(down.as_micros(), 36_093);

    // Settled: a MASTER with the VIP, b BACKUP without, for a while.
    let settled = wait_for(Duration::from_secs(10), || {
        holds(&lan, "a", vip()) && !holds(&lan, "b", vip()) && b.state() == "BACKUP"
    });
    assert!(settled.is_some(), "pair never settled; a log:\n{}\nb log:\n{}", a.log(), b.log());
    let status = a.status_json();
    assert_eq!(status["instances"][0]["state"], "MASTER", "{status}");
    assert_eq!(status["instances"][0]["version"], 3, "{status}");
    assert_eq!(status["instances"][0]["advert_int_cs"], 1, "{status}");
    assert!(client_reaches(&lan, vip()), "client cannot ping the VIP");
    let at_a =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip()).ok().flatten() == Some(lan.mac("a").unwrap()));
    assert!(at_a.is_some(), "client's neighbour entry for the VIP is not a's MAC");
    // b hears a's adverts at ~100 per second.
    let rx0 = b.status_json()["instances"][0]["stats"]["rcvd_advertisements"].as_u64().unwrap_or(0);
    std::thread::sleep(Duration::from_millis(500));
    let rx1 = b.status_json()["instances"][0]["stats"]["rcvd_advertisements"].as_u64().unwrap_or(0);
    assert!(rx1 - rx0 >= 20, "b heard only {} adverts in 0.5 s at a 10 ms interval", rx1 - rx0);

    // Cut the master's cable: b eventually holds the VIP (a loose wait, not the
    // measurement); a (FAULT) has dropped it.
    let cut = Capture::mark();
    lan.cut_cable("a").unwrap();
    let took = wait_for(Duration::from_secs(5), || holds(&lan, "b", vip()));
    took.unwrap_or_else(|| panic!("b never took over; b log:\n{}", b.log()));
    // On the wire: from a's last advert that crossed the LAN to b's first advert and
    // gratuitous ARP, Master_Down_Interval (36 ms). EARLY: two copies of one flooded
    // frame; LATE: b's wake-up and sends on a loaded machine, a fixed cost however short
    // the interval (the old bound, 700 ms after the cut by polling, hid it in the slack).
    let handover = Handover::seed(&lan, "a", "b");
    let t = cap.silence_takeover(handover, cut, Duration::from_secs(5));
    println!(
        "takeover after a's last advert at 10 ms adverts: advert {:?}, gratuitous ARP {:?} (Master_Down_Interval {down:?})",
        t.advert_after(),
        t.announce_after()
    );
    t.assert_within(down, EARLY, LATE, &format!("b log:\n{}\n{}", b.log(), cap.summary()));
    assert!(
        wait_for(Duration::from_secs(2), || !holds(&lan, "a", vip())).is_some(),
        "a kept the VIP with its cable cut"
    );
    assert_eq!(a.state(), "FAULT");
    assert_eq!(b.state(), "MASTER");
    let moved =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip()).ok().flatten() == Some(lan.mac("b").unwrap()));
    assert!(moved.is_some(), "client's neighbour entry did not move to b");
    assert!(client_reaches(&lan, vip()), "pings do not resume after failover");
}

#[test]
fn v3_ipv6_vip_moves_and_client_neighbour_entry_follows() {
    let test = "v3_ipv6_vip_moves_and_client_neighbour_entry_follows";
    if !require_root(test) {
        return;
    }
    let lan = lan("v3ipv6");
    let cap = Capture::start(&lan, "client");
    let vip6: IpAddr = "2001:db8::1".parse().unwrap();
    let a = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64").render());
    let b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).v3().vip("2001:db8::1/64").render());
    // Priority 100 at 1 s (100 cs): Master_Down_Interval 3.609 s.
    let down: Duration = master_down_interval(100, 100).into();

    let settled = wait_for(Duration::from_secs(10), || {
        holds(&lan, "a", vip6) && b.state() == "BACKUP" && !holds(&lan, "b", vip6)
    });
    assert!(settled.is_some(), "pair never settled; a log:\n{}\nb log:\n{}", a.log(), b.log());
    assert!(!holds(&lan, "b", vip6), "VIP on both servers; b log:\n{}", b.log());
    let status = a.status_json();
    assert_eq!(status["instances"][0]["family"], "IPv6", "{status}");
    // Adverts come from a's link-local address (RFC 9568 §5.1.2.1).
    let a_ll = lan.link_local("a").unwrap().unwrap().to_string();
    let b_view = b.status_json();
    assert_eq!(b_view["instances"][0]["master_ip"], a_ll.as_str(), "{b_view}");

    // The client talks to the VIP: its neighbour cache has a's MAC.
    assert!(
        wait_for(Duration::from_secs(3), || lan.ping_once("client", vip6)).is_some(),
        "client cannot ping the IPv6 VIP"
    );
    assert_eq!(lan.neigh("client", vip6).unwrap(), Some(lan.mac("a").unwrap()));

    // Cut a's cable: b takes the VIP within Master_Down_Interval and its unsolicited NA
    // (Override set) moves the client's entry to b's MAC without a new solicitation.
    // b eventually holds the VIP (a loose wait)...
    let cut = Capture::mark();
    lan.cut_cable("a").unwrap();
    let took = wait_for(down + Duration::from_secs(5), || holds(&lan, "b", vip6));
    took.unwrap_or_else(|| panic!("b never took over; b log:\n{}", b.log()));
    // ... and on the wire, b's first advert and unsolicited NA follow a's last advert by
    // Master_Down_Interval. EARLY: two copies of one flooded frame; LATE: b's wake-up and
    // sends on a loaded machine.
    let handover = Handover {
        old: a_ll.parse().unwrap(),
        new: advert_source(&lan, "b", true),
        new_mac: lan.mac("b").unwrap(),
        vrid: 200,
        vip: vip6,
    };
    let t = cap.silence_takeover(handover, cut, down + Duration::from_secs(5));
    println!(
        "IPv6 takeover after a's last advert: advert {:?}, unsolicited NA {:?} (Master_Down_Interval {down:?})",
        t.advert_after(),
        t.announce_after()
    );
    t.assert_within(down, EARLY, LATE, &format!("b log:\n{}\n{}", b.log(), cap.summary()));
    let moved =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip6).ok().flatten() == Some(lan.mac("b").unwrap()));
    assert!(moved.is_some(), "client's IPv6 neighbour entry did not move to b; b log:\n{}", b.log());
    assert!(client_reaches(&lan, vip6), "pings to the IPv6 VIP do not resume after failover");
    assert!(!holds(&lan, "a", vip6), "a kept the IPv6 VIP with its cable cut");
}
