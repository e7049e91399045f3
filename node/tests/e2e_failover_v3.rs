//! VRRPv3 failover on a cable cut: at 10 ms adverts (takeover well under a second), and
//! with an IPv6 VIP (the VIP moves, the client's neighbour entry follows the unsolicited NA).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use vrrp_lab::require_root;

#[test]
fn v3_10ms_adverts_cut_cable_takeover_well_under_a_second() {
    let test = "v3_10ms_adverts_cut_cable_takeover_well_under_a_second";
    if !require_root(test) {
        return;
    }
    let lan = lan("v3fast");
    let a = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().advert_int("0.01").render());
    let b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).v3().advert_int("0.01").render());
    let interval = Duration::from_millis(10);
    let down = master_down_interval(100, interval);
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

    // Cut the master's cable: b holds the VIP within Master_Down_Interval (36 ms) plus
    // polling and scheduling slack; a (FAULT) has dropped it.
    lan.cut_cable("a").unwrap();
    let took = wait_for(Duration::from_secs(5), || holds(&lan, "b", vip()));
    let took = took.unwrap_or_else(|| panic!("b never took over; b log:\n{}", b.log()));
    println!("takeover after cable cut at 10 ms adverts: {took:?} (Master_Down_Interval {down:?})");
    assert!(took < Duration::from_millis(700), "took {took:?}; b log:\n{}", b.log());
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
    let vip6: IpAddr = "2001:db8::1".parse().unwrap();
    let a = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64").render());
    let b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).v3().vip("2001:db8::1/64").render());
    let interval = Duration::from_secs(1);

    let settled = wait_for(Duration::from_secs(10), || holds(&lan, "a", vip6) && b.state() == "BACKUP");
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
    lan.cut_cable("a").unwrap();
    let down = master_down_interval(100, interval);
    let took = wait_for(down + Duration::from_secs(3), || holds(&lan, "b", vip6));
    let took = took.unwrap_or_else(|| panic!("b never took over; b log:\n{}", b.log()));
    println!("IPv6 takeover after cable cut: {took:?} (Master_Down_Interval {down:?})");
    assert!(took <= down + Duration::from_millis(1500), "took {took:?}");
    let moved =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip6).ok().flatten() == Some(lan.mac("b").unwrap()));
    assert!(moved.is_some(), "client's IPv6 neighbour entry did not move to b; b log:\n{}", b.log());
    assert!(client_reaches(&lan, vip6), "pings to the IPv6 VIP do not resume after failover");
    assert!(!holds(&lan, "a", vip6), "a kept the IPv6 VIP with its cable cut");
}
