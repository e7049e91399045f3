//! A master stopped with SIGTERM says goodbye: a priority-0 advert, its VIP removed, exit 0.
//! The backup then takes over after Skew_Time instead of Master_Down_Interval.

mod common;

use std::time::Duration;

use common::*;
use vrrp_lab::require_root;

#[test]
fn sigterm_on_master_sends_priority_zero_and_backup_takes_over_within_skew_time() {
    let test = "sigterm_on_master_sends_priority_zero_and_backup_takes_over_within_skew_time";
    if !require_root(test) {
        return;
    }
    let lan = lan("sigterm");
    let mut a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    let interval = Duration::from_secs(1);

    // A stable pair: a MASTER with the VIP, b BACKUP without.
    let up = wait_for(Duration::from_secs(10), || holds(&lan, "a", vip()) && b.state() == "BACKUP");
    assert!(up.is_some(), "pair never settled; a log:\n{}\nb log:\n{}", a.log(), b.log());
    assert_eq!(a.state(), "MASTER");
    assert!(!holds(&lan, "b", vip()), "VIP on both servers; b log:\n{}", b.log());
    let before = b.status_json()["instances"][0]["stats"].clone();
    assert_eq!(before["rcvd_pri_zero_packets"], 0, "{before}");

    // SIGTERM the master; measure until the backup holds the VIP.
    a.sigterm();
    let took = wait_for(master_down_interval(100, interval) + Duration::from_secs(3), || holds(&lan, "b", vip()));
    let took = took.unwrap_or_else(|| panic!("b never took over; a log:\n{}\nb log:\n{}", a.log(), b.log()));
    let status = a.wait_exit(Duration::from_secs(5)).unwrap_or_else(|| panic!("a did not exit; log:\n{}", a.log()));
    println!("takeover after SIGTERM: {took:?} (Skew_Time {:?})", skew_time(100, interval));

    // 1. a exited cleanly and took its VIP with it.
    assert!(status.success(), "a exited with {status}; log:\n{}", a.log());
    assert!(!holds(&lan, "a", vip()), "VIP left on the stopped server");
    assert!(a.log().contains("SIGTERM"), "a log:\n{}", a.log());

    // 2. b heard the priority-0 advert and became master because of it.
    let after = b.status_json()["instances"][0].clone();
    assert_eq!(after["state"], "MASTER", "{after}");
    assert!(after["stats"]["rcvd_pri_zero_packets"].as_u64().unwrap_or(0) >= 1, "{after}");

    // 3. The takeover came after Skew_Time, not Master_Down_Interval: no earlier than
    //    Skew_Time after the goodbye (which follows the SIGTERM), and well before the
    //    3 s + Skew_Time that a silent master would have cost. The upper bound is Skew_Time
    //    plus generous slack for a loaded machine and the 20 ms polling.
    let skew = skew_time(100, interval);
    assert!(took >= skew - Duration::from_millis(20), "took {took:?}: faster than Skew_Time {skew:?}?");
    assert!(took < skew + Duration::from_millis(900), "took {took:?} (Skew_Time {skew:?}); b log:\n{}", b.log());
    assert!(took < master_down_interval(100, interval) / 2, "took {took:?}");

    // 4. The client reaches the VIP on b.
    assert!(client_reaches(&lan, vip()), "client cannot ping the VIP after the takeover");
    let moved =
        wait_for(Duration::from_secs(3), || lan.neigh("client", vip()).ok().flatten() == Some(lan.mac("b").unwrap()));
    assert!(moved.is_some(), "client's neighbour entry did not move to b");
}
