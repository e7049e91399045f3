//! Two servers both configured as the address owner (priority 255), a misconfiguration an
//! operator can make by copying one file to both. With VRRPv3, RFC 9568 erratum 8298 has
//! each owner log the other's adverts and process them, so the election leaves exactly
//! one master (the higher address) instead of two owners ignoring each other.

mod common;

use std::time::Duration;

use common::capture::{Capture, Handover, EARLY, LATE};
use common::*;
use vrrp_core::timers::skew_time;
use vrrp_lab::require_root;

#[test]
fn rfc9568_erratum_8298_two_v3_owners_leave_one_master_and_log_it() {
    if !require_root("rfc9568_erratum_8298_two_v3_owners_leave_one_master_and_log_it") {
        return;
    }
    let lan = lan("owners");
    let cap = Capture::start(&lan, "client");
    let owner = Conf::seed("MASTER", 255).v3().advert_int("0.1").render();
    let a = start_vrrpd(&lan, "a", &owner);
    let mut b = start_vrrpd(&lan, "b", &owner);

    // b (192.0.2.12, the higher address) stays master; a steps down and drops the VIP.
    let settled = wait_for(Duration::from_secs(10), || {
        a.state() == "BACKUP" && b.state() == "MASTER" && holders(&lan, &["a", "b"], vip()) == ["b"]
    });
    assert!(
        settled.is_some(),
        "holders {:?}\na log:\n{}\nb log:\n{}",
        holders(&lan, &["a", "b"], vip()),
        a.log(),
        b.log()
    );
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(holders(&lan, &["a", "b"], vip()), ["b"], "a log:\n{}\nb log:\n{}", a.log(), b.log());
    }
    assert_eq!(a.status_json()["instances"][0]["master_ip"], "192.0.2.12");
    // a logged the event, as the erratum asks (b logs only if it heard a's adverts,
    // which depends on who started first).
    assert!(a.log().contains("for the VRID we own"), "a did not log the other owner:\n{}", a.log());

    // The standing owner goes away: the other takes over after Skew_Time (priority 0).
    // a eventually holds the VIP (a loose wait)...
    let sent = Capture::mark();
    b.sigterm();
    let took = wait_for(Duration::from_secs(5), || holds(&lan, "a", vip()));
    assert!(took.is_some(), "a never took over; a log:\n{}", a.log());
    assert_eq!(a.state(), "MASTER");
    // ... and on the wire, a's first advert and gratuitous ARP follow b's priority-0
    // advert by Skew_Time for priority 255 at 0.1 s (10 cs): 0.39 ms. EARLY: two copies of
    // one flooded frame; LATE: a's wake-up and sends on a loaded machine.
    let skew: Duration = skew_time(255, 10).into();
    let handover = Handover::seed(&lan, "b", "a");
    let t = cap.goodbye_takeover(handover, sent, Duration::from_secs(5));
    println!(
        "takeover after the priority-0 advert: advert {:?}, gratuitous ARP {:?} (Skew_Time {skew:?})",
        t.advert_after(),
        t.announce_after()
    );
    t.assert_within(skew, EARLY, LATE, &format!("a log:\n{}\n{}", a.log(), cap.summary()));
}
