//! A master stopped with SIGTERM says goodbye: a priority-0 advert, its VIP removed, exit 0.
//! The backup then takes over after Skew_Time instead of Master_Down_Interval.

mod common;

use std::time::Duration;

use common::capture::{Capture, Handover, EARLY, LATE};
use common::*;
use vrrp_core::timers::{master_down_interval, skew_time};
use vrrp_lab::require_root;

#[test]
fn sigterm_on_master_sends_priority_zero_and_backup_takes_over_within_skew_time() {
    let test = "sigterm_on_master_sends_priority_zero_and_backup_takes_over_within_skew_time";
    if !require_root(test) {
        return;
    }
    let lan = lan("sigterm");
    let cap = Capture::start(&lan, "client");
    let mut a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    // Priority 100 at 1 s (100 cs): Skew_Time 0.609 s, Master_Down_Interval 3.609 s.
    let skew: Duration = skew_time(100, 100).into();
    let down: Duration = master_down_interval(100, 100).into();

    // A stable pair: a MASTER with the VIP, b BACKUP without.
    let up = wait_for(Duration::from_secs(10), || {
        holds(&lan, "a", vip()) && b.state() == "BACKUP" && !holds(&lan, "b", vip())
    });
    assert!(up.is_some(), "pair never settled; a log:\n{}\nb log:\n{}", a.log(), b.log());
    assert_eq!(a.state(), "MASTER");
    assert!(!holds(&lan, "b", vip()), "VIP on both servers; b log:\n{}", b.log());
    let before = b.status_json()["instances"][0]["stats"].clone();
    assert_eq!(before["rcvd_pri_zero_packets"], 0, "{before}");

    // SIGTERM the master; b eventually holds the VIP (a loose wait, not the measurement).
    let sent = Capture::mark();
    a.sigterm();
    let took = wait_for(down + Duration::from_secs(5), || holds(&lan, "b", vip()));
    took.unwrap_or_else(|| panic!("b never took over; a log:\n{}\nb log:\n{}", a.log(), b.log()));
    let status = a.wait_exit(Duration::from_secs(5)).unwrap_or_else(|| panic!("a did not exit; log:\n{}", a.log()));
    // The measurement, on the wire: a's priority-0 advert to b's first advert and first
    // gratuitous ARP.
    let handover = Handover::seed(&lan, "a", "b");
    let t = cap.goodbye_takeover(handover, sent, Duration::from_secs(5));
    println!(
        "takeover after the priority-0 advert: advert {:?}, gratuitous ARP {:?} (Skew_Time {skew:?})",
        t.advert_after(),
        t.announce_after()
    );

    // 1. a exited cleanly and took its VIP with it.
    assert!(status.success(), "a exited with {status}; log:\n{}", a.log());
    assert!(!holds(&lan, "a", vip()), "VIP left on the stopped server");
    assert!(a.log().contains("SIGTERM"), "a log:\n{}", a.log());

    // 2. b heard the priority-0 advert and became master because of it.
    let after = b.status_json()["instances"][0].clone();
    assert_eq!(after["state"], "MASTER", "{after}");
    assert!(after["stats"]["rcvd_pri_zero_packets"].as_u64().unwrap_or(0) >= 1, "{after}");

    // 3. The takeover came after Skew_Time, not Master_Down_Interval: on the wire, b's
    //    first advert and gratuitous ARP follow a's priority-0 advert by Skew_Time, no
    //    earlier (EARLY: two copies of one flooded frame) and no later than scheduling on a
    //    loaded machine allows (LATE), far from the 3.609 s a silent master would cost.
    t.assert_within(skew, EARLY, LATE, &format!("b log:\n{}\n{}", b.log(), cap.summary()));
    assert!(t.advert_after() < down / 2, "took {:?}", t.advert_after());

    // 4. The client reaches the VIP on b.
    assert!(client_reaches(&lan, vip()), "client cannot ping the VIP after the takeover");
    let moved =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip()).ok().flatten() == Some(lan.mac("b").unwrap()));
    assert!(moved.is_some(), "client's neighbour entry did not move to b");
}
