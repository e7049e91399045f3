//! A spoofed takeover is visible. Anyone on the LAN who knows the VRRPv2 password (it is
//! sent in clear) can advertise priority 255 and take mastership, as the protocol allows;
//! vrrpd must then say so: a WARN line naming who took over and with what priority, the
//! `master_changes` counter and `distinct_masters` in the status, and `master_ip` showing
//! the spoofer for as long as it keeps advertising. When it stops, the master comes back.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use vrrp_lab::require_root;

/// The client's address: the spoofed adverts' source.
const SPOOFER: &str = "192.0.2.100";

fn instance(status: &Value) -> &Value {
    &status["instances"][0]
}

#[test]
fn a_spoofed_priority_255_takeover_is_logged_counted_and_shown() {
    let test = "a_spoofed_priority_255_takeover_is_logged_counted_and_shown";
    if !require_root(test) {
        return;
    }
    let lan = lan("hijack");
    let a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    assert!(a.wait_state("MASTER", Duration::from_secs(10)), "a never became MASTER; log:\n{}", a.log());
    let before = a.status_json();
    assert_eq!(instance(&before)["master_ip"], "192.0.2.11", "a master shows itself; status: {before}");
    assert_eq!(instance(&before)["distinct_masters"], 1, "status: {before}");
    assert_eq!(instance(&before)["stats"]["master_changes"], 0, "status: {before}");

    // The right VRID, VIP and password, priority 255, TTL 255: the master steps down at once.
    let spoof = vec![(v2_advert(200, 255, &[vip()], b"XXXXXX"), 255)];
    inject(&lan, "client", &spoof);
    let mut last_spoof = Instant::now();
    assert!(a.wait_state("BACKUP", Duration::from_secs(3)), "a did not step down; log:\n{}", a.log());
    // While the spoofer keeps advertising (every second, its advert interval), a follows it.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(900));
        let status = a.status_json();
        let context = || format!("status: {status}\nlog:\n{}", a.log());
        assert_eq!(instance(&status)["state"], "BACKUP", "{}", context());
        assert_eq!(instance(&status)["master_ip"], SPOOFER, "{}", context());
        assert!(!holds(&lan, "a", vip()), "a still holds the VIP as BACKUP; {}", context());
        inject(&lan, "client", &spoof);
        last_spoof = Instant::now();
    }
    let during = a.status_json();
    assert_eq!(instance(&during)["stats"]["master_changes"], 1, "a -> the spoofer; status: {during}");
    assert_eq!(instance(&during)["distinct_masters"], 2, "a and the spoofer; status: {during}");
    let log = a.log();
    let warned = log
        .lines()
        .find(|l| l.contains("took over as MASTER"))
        .unwrap_or_else(|| panic!("no takeover line in the log:\n{log}"));
    assert!(
        warned.contains("WARN") && warned.contains(&format!("{SPOOFER} (priority 255)")),
        "the takeover line must be a WARN naming {SPOOFER} and priority 255: {warned}\nlog:\n{log}"
    );

    // The spoofer goes silent: a takes over again after Master_Down_Interval (3 × 1 s +
    // (256 − 101)/256 s ≈ 3.6 s after the last spoofed advert), not before.
    if let Some(rest) = (last_spoof + Duration::from_millis(2500)).checked_duration_since(Instant::now()) {
        std::thread::sleep(rest);
    }
    let waiting = a.status_json();
    assert_eq!(instance(&waiting)["state"], "BACKUP", "a took over before Master_Down_Interval; status: {waiting}");
    assert_eq!(instance(&waiting)["master_ip"], SPOOFER, "status: {waiting}");
    let back = wait_for(Duration::from_secs(10), || a.state() == "MASTER");
    assert!(back.is_some(), "a never took over again; log:\n{}", a.log());
    let after = a.status_json();
    assert_eq!(instance(&after)["master_ip"], "192.0.2.11", "status: {after}");
    assert_eq!(instance(&after)["stats"]["master_changes"], 2, "the spoofer -> a; status: {after}");
    assert_eq!(instance(&after)["distinct_masters"], 2, "still the same two routers; status: {after}");
    assert!(wait_for(Duration::from_secs(5), || holds(&lan, "a", vip())).is_some(), "a never re-added the VIP");
}
