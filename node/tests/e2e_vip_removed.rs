//! A VIP removed behind the master's back (`ip addr del`, systemd-networkd, a flush;
//! keepalived issues #836, #1170, #2479) does not leave a master that advertises
//! addresses it does not hold: as keepalived does by default (keepalived_netlink.c
//! `set_vrrp_backup`), the master says priority 0, steps down to BACKUP for its
//! Skew_Time and, with no better router taking over, is MASTER again with the VIP back.
//! keepalived 2.2.7 is measured the same way in the same test. A `no_track` VIP is left
//! as it is, as keepalived leaves it.

mod common;

use std::time::Duration;

use common::capture::{Capture, Handover, EARLY, LATE};
use common::track::{Daemon, Kind};
use common::*;
use vrrp_core::timers::skew_time;
use vrrp_lab::require_root;

/// The master's priority: its Skew_Time (218.75 ms at 1 s adverts) is far below the
/// backup's (609 ms), so the old master, not the backup, takes the VIP back.
const MASTER_PRIORITY: u8 = 200;

fn settled(lan: &vrrp_lab::Lan, b: &Vrrpd) -> bool {
    holds(lan, "a", vip()) && b.state() == "BACKUP" && !holds(lan, "b", vip())
}

fn steps_down_and_takes_the_vip_back(kind: Kind, test: &str) {
    if !require_root(test) || (kind == Kind::Keepalived && !keepalived_available(test)) {
        return;
    }
    let lan = lan(&format!("viprm{}", &kind.name()[..1]));
    let cap = Capture::start(&lan, "client");
    let a = Daemon::start(&lan, "a", kind, &seed_config("MASTER", MASTER_PRIORITY));
    let b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    let up = wait_for(Duration::from_secs(15), || settled(&lan, &b));
    assert!(up.is_some(), "{}\nb log:\n{}", a.log(), b.log());

    let removed = Capture::mark();
    let del = lan.exec("a", &["ip", "addr", "del", "192.0.2.1/24", "dev", "eth1"]).unwrap();
    assert!(del.status.success());
    // On the wire: a's priority 0, then, Skew_Time later, a's advert and announcement as
    // MASTER again (a "hands over" to itself).
    let handover = Handover::seed(&lan, "a", "a");
    let back = cap.goodbye_takeover(handover, removed, Duration::from_secs(5));
    println!(
        "{}: priority 0 {:?} after the removal; MASTER again {:?} (advert) / {:?} (announcement) after it",
        kind.name(),
        back.start.at.duration_since(removed).unwrap_or_default(),
        back.advert_after(),
        back.announce_after()
    );
    let skew: Duration = skew_time(MASTER_PRIORITY, 100).into();
    back.assert_within(skew, EARLY, LATE, &format!("{}\nb log:\n{}\n{}", a.log(), b.log(), cap.summary()));
    assert!(wait_for(Duration::from_secs(2), || holds(&lan, "a", vip())).is_some(), "VIP not back on a\n{}", a.log());
    // The backup never took over: it heard a's priority 0, but a's Skew_Time is shorter.
    let masters = b.status_json()["instances"][0]["transitions"]
        .as_array()
        .map(|t| t.iter().filter(|t| t["to"] == "MASTER").count())
        .unwrap_or(usize::MAX);
    assert_eq!(masters, 0, "b became MASTER\nb log:\n{}", b.log());
    assert!(!holds(&lan, "b", vip()));
    assert!(client_reaches(&lan, vip()), "client cannot reach the VIP after it came back");

    if let Daemon::Vrrpd(a) = &a {
        let stats = &a.status_json()["instances"][0]["stats"];
        assert_eq!(stats["vips_removed"], 1, "{stats}");
        assert!(
            a.log().contains("(VI) virtual address 192.0.2.1/24 was removed by someone else: leaving MASTER"),
            "a log:\n{}",
            a.log()
        );
        assert_eq!(a.state(), "MASTER");
    }
}

#[test]
fn keepalived_vip_removed_vrrpd_master_steps_down_for_skew_time_and_takes_it_back() {
    steps_down_and_takes_the_vip_back(
        Kind::Vrrpd,
        "keepalived_vip_removed_vrrpd_master_steps_down_for_skew_time_and_takes_it_back",
    );
}

#[test]
fn keepalived_vip_removed_keepalived_master_does_the_same() {
    steps_down_and_takes_the_vip_back(Kind::Keepalived, "keepalived_vip_removed_keepalived_master_does_the_same");
}

/// keepalived_netlink.c `address_is_ours`: a `no_track` address is not the master's
/// business once added: removing it changes nothing (no priority 0, no state change).
#[test]
fn keepalived_vip_removed_no_track_changes_nothing() {
    if !require_root("keepalived_vip_removed_no_track_changes_nothing") {
        return;
    }
    let lan = lan("viprmnt");
    let cap = Capture::start(&lan, "client");
    let conf = |state, prio| Conf::seed(state, prio).vip("192.0.2.1/24 no_track").render();
    let a = start_vrrpd(&lan, "a", &conf("MASTER", MASTER_PRIORITY));
    let b = start_vrrpd(&lan, "b", &conf("BACKUP", 100));
    assert!(wait_for(Duration::from_secs(15), || settled(&lan, &b)).is_some(), "a log:\n{}", a.log());
    let removed = Capture::mark();
    assert!(lan.exec("a", &["ip", "addr", "del", "192.0.2.1/24", "dev", "eth1"]).unwrap().status.success());
    // Three advert intervals: every advert a sends is a MASTER's, none priority 0.
    std::thread::sleep(Duration::from_secs(3));
    let src = lan.ipv4("a").unwrap().into();
    let adverts = cap.all_between(removed, Capture::mark(), |f| f.advert_priority(src, 200).is_some());
    assert!(adverts.len() >= 2, "a stopped advertising\n{}", cap.summary());
    assert!(
        adverts.iter().all(|f| f.advert_priority(src, 200) == Some(MASTER_PRIORITY)),
        "a left MASTER\n{}",
        cap.summary()
    );
    assert_eq!(a.state(), "MASTER");
    assert_eq!(a.status_json()["instances"][0]["stats"]["vips_removed"], 0);
    assert!(!holds(&lan, "a", vip()), "a no_track VIP is not put back");
    assert!(a.log().contains("virtual address 192.0.2.1/24 was removed by someone else"), "a log:\n{}", a.log());
    assert_eq!(b.state(), "BACKUP");
}
