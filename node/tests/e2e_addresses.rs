//! vrrpd only ever touches its own VIPs: stale ones left by a vrrpd that died are removed
//! at startup, its own are removed at exit, and every other address stays.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::capture::{Capture, Handover, EARLY, LATE};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::require_root;

#[test]
fn stale_vips_are_removed_at_startup_and_other_addresses_are_never_touched() {
    if !require_root("stale_vips_are_removed_at_startup_and_other_addresses_are_never_touched") {
        return;
    }
    let lan = lan("addrs");
    let cap = Capture::start(&lan, "client");
    let other: IpAddr = "192.0.2.50".parse().unwrap();
    // b: a VIP left behind by a vrrpd that was SIGKILLed while master, plus an address
    // the operator added that has nothing to do with VRRP.
    lan.exec("b", &["ip", "addr", "add", "192.0.2.1/24", "dev", "eth1", "label", "eth1:vip"]).unwrap();
    lan.exec("b", &["ip", "addr", "add", "192.0.2.50/24", "dev", "eth1"]).unwrap();
    assert!(holds(&lan, "b", vip()));
    let a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let mut b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    let cleaned = wait_for(Duration::from_secs(5), || !holds(&lan, "b", vip()));
    assert!(cleaned.is_some(), "stale VIP still on the backup; b log:\n{}", b.log());
    assert!(b.log().contains("(VI) removed stale 192.0.2.1/24 left by a previous run"), "b log:\n{}", b.log());
    assert!(wait_for(Duration::from_secs(10), || holds(&lan, "a", vip())).is_some(), "a log:\n{}", a.log());
    // a had nothing stale: nothing to report.
    assert!(!a.log().contains("removed stale"), "a log:\n{}", a.log());
    assert!(holds(&lan, "b", other), "vrrpd removed an address that is not a VIP");
    let own: IpAddr = "192.0.2.12".parse().unwrap();
    assert!(holds(&lan, "b", own));
    // Make b master (a gone), then stop it: its VIP goes, the others stay.
    // a is SIGKILLed: a silent master. b eventually holds the VIP (a loose wait: up to
    // Master_Down_Interval, 3.609 s, and generous room)...
    let down: Duration = master_down_interval(100, 100).into();
    let killed = Capture::mark();
    drop(a);
    assert!(wait_for(down + Duration::from_secs(5), || holds(&lan, "b", vip())).is_some(), "b log:\n{}", b.log());
    // ... and on the wire, b's first advert and gratuitous ARP follow a's last advert by
    // Master_Down_Interval. EARLY: two copies of one flooded frame; LATE: b's wake-up and
    // sends on a loaded machine.
    let handover = Handover::seed(&lan, "a", "b");
    let t = cap.silence_takeover(handover, killed, down + Duration::from_secs(5));
    println!("takeover after a's last advert: advert {:?}, gratuitous ARP {:?}", t.advert_after(), t.announce_after());
    t.assert_within(down, EARLY, LATE, &format!("b log:\n{}\n{}", b.log(), cap.summary()));
    assert!(b.terminate().success());
    assert!(!holds(&lan, "b", vip()), "VIP left behind at exit");
    assert!(holds(&lan, "b", other) && holds(&lan, "b", own), "vrrpd removed an address that is not its VIP");
}
