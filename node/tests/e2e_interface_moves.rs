//! An interface that is deleted and created again (a new ifindex: a driver reload, a
//! hot-plugged NIC) or renamed is picked up again without a restart: the instances on it
//! are planned again from the running file, as an instance waiting for its interface is
//! started. While the interface is gone (or has another name) the instance waits, FAULT,
//! and holds nothing; once an interface of its name is back, it runs on it.

mod common;

use std::time::Duration;

use common::capture::Capture;
use common::*;
use vrrp_lab::require_root;

fn run(lan: &vrrp_lab::Lan, host: &str, args: &[&str]) {
    let out = lan.exec(host, args).expect("exec");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn settled(lan: &vrrp_lab::Lan, a: &Vrrpd, b: &Vrrpd) -> bool {
    a.state() == "MASTER" && holds(lan, "a", vip()) && b.state() == "BACKUP" && !holds(lan, "b", vip())
}

/// a (priority 200) MASTER, b BACKUP, both at 1 s adverts, VRRPv3.
fn pair(lan: &vrrp_lab::Lan) -> (Vrrpd, Vrrpd) {
    let a = start_vrrpd(lan, "a", &Conf::seed("MASTER", 200).v3().render());
    let b = start_vrrpd(lan, "b", &Conf::seed("BACKUP", 100).v3().render());
    assert!(
        wait_for(Duration::from_secs(15), || settled(lan, &a, &b)).is_some(),
        "a log:\n{}\nb log:\n{}",
        a.log(),
        b.log()
    );
    (a, b)
}

/// After the move, a is MASTER again on its (new) eth1: its adverts reach the client and
/// b follows them.
fn back_as_master(lan: &vrrp_lab::Lan, cap: &Capture, a: &Vrrpd, b: &Vrrpd, since: std::time::SystemTime) {
    let back = wait_for(Duration::from_secs(20), || settled(lan, a, b));
    assert!(back.is_some(), "a did not come back as MASTER\na log:\n{}\nb log:\n{}", a.log(), b.log());
    let src = lan.ipv4("a").unwrap().into();
    cap.advert(src, 200, since, Duration::from_secs(5), |p| p == 200);
    assert!(client_reaches(lan, vip()), "client cannot reach the VIP");
    assert!(a.status_json()["instances"][0].get("waiting").is_none());
}

#[test]
fn an_interface_deleted_and_created_again_is_picked_up_without_a_restart() {
    if !require_root("an_interface_deleted_and_created_again_is_picked_up_without_a_restart") {
        return;
    }
    let lan = lan("ifreplug");
    let cap = Capture::start(&lan, "client");
    let (mut a, b) = pair(&lan);
    let old_index = lan.ifindex("a").unwrap();
    // Deleted: a waits (FAULT) and b takes over. Created again at once, as a driver
    // reload does: a runs on the new interface and preempts b.
    run(&lan, "a", &["ip", "link", "del", "eth1"]);
    let gone = wait_for(Duration::from_secs(10), || b.state() == "MASTER" && holds(&lan, "b", vip()));
    assert!(gone.is_some(), "b did not take over\na log:\n{}\nb log:\n{}", a.log(), b.log());
    let waiting = a.status_json()["instances"][0].clone();
    assert_eq!(waiting["state"], "FAULT", "{waiting}");
    assert!(
        waiting["waiting"].as_str().is_some_and(|w| w.ends_with("interface eth1 does not exist")),
        "{waiting}\na log:\n{}",
        a.log()
    );
    let since = Capture::mark();
    lan.replug("a").unwrap();
    assert_ne!(lan.ifindex("a").unwrap(), old_index, "the lab did not make a new interface");
    back_as_master(&lan, &cap, &a, &b, since);
    assert!(a.log().contains("planning its instances again"), "a log:\n{}", a.log());
    assert!(a.log().contains("(VI) its interface is ready: starting"), "a log:\n{}", a.log());
    assert!(a.running(), "a log:\n{}", a.log());
}

#[test]
fn a_renamed_interface_is_left_and_its_name_followed() {
    if !require_root("a_renamed_interface_is_left_and_its_name_followed") {
        return;
    }
    let lan = lan("ifrename");
    let cap = Capture::start(&lan, "client");
    let (a, b) = pair(&lan);
    // eth1 becomes eth9: the configured interface no longer exists. a leaves it (no VIP
    // stays on eth9) and waits for an eth1; b takes over.
    run(&lan, "a", &["ip", "link", "set", "eth1", "down"]);
    run(&lan, "a", &["ip", "link", "set", "eth1", "name", "eth9"]);
    run(&lan, "a", &["ip", "link", "set", "eth9", "up"]);
    let gone = wait_for(Duration::from_secs(10), || {
        b.state() == "MASTER" && a.status_json()["instances"][0]["waiting"].is_string()
    });
    assert!(gone.is_some(), "a log:\n{}\nb log:\n{}", a.log(), b.log());
    let on_eth9 = lan.addrs("a", "eth9").unwrap();
    assert!(!on_eth9.iter().any(|(addr, _)| *addr == vip()), "VIP left on the renamed interface: {on_eth9:?}");
    // Named eth1 again: a runs on it again and preempts b.
    let since = Capture::mark();
    run(&lan, "a", &["ip", "link", "set", "eth9", "down"]);
    run(&lan, "a", &["ip", "link", "set", "eth9", "name", "eth1"]);
    run(&lan, "a", &["ip", "link", "set", "eth1", "up"]);
    back_as_master(&lan, &cap, &a, &b, since);
}
