//! README's "Migrating from keepalived", done on a running pair with a client pinging the VIP
//! every millisecond: a keepalived pair (the users' seed config) becomes a vrrpd pair one node
//! at a time, and one node is rolled back, with the same keepalived.conf throughout.
//!
//! What each step costs the client is what README says: swapping the backup costs nothing;
//! stopping the keepalived master costs about Skew_Time (keepalived removes its VIPs with its
//! priority-0 advert); the vrrpd master it then hands to, and a vrrpd master stopped or
//! preempted later, make before break and cost nothing.

mod common;

use std::time::{Duration, Instant};

use common::*;
use vrrp_core::timers::{master_down_interval, skew_time};
use vrrp_lab::demo::Pinger;
use vrrp_lab::{require_root, Lan};

/// Waits (loosely: not a measurement) until only `host` holds the VIP.
fn only_on(lan: &Lan, host: &str, limit: Duration) -> bool {
    let other = if host == "a" { "b" } else { "a" };
    wait_for(limit, || holds(lan, host, vip()) && !holds(lan, other, vip())).is_some()
}

/// The pings lost from `from` until now, after a short wait for the replies in flight.
fn lost_since(pinger: &Pinger, from: Instant) -> u64 {
    std::thread::sleep(Duration::from_millis(500));
    pinger.outage(from, Instant::now()).lost
}

#[test]
fn keepalived_pair_becomes_a_vrrpd_pair_one_node_at_a_time_and_rolls_back() {
    let test = "keepalived_pair_becomes_a_vrrpd_pair_one_node_at_a_time_and_rolls_back";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let lan = lan("migrate");
    let (conf_a, conf_b) = (seed_config("MASTER", 101), seed_config("BACKUP", 100));
    let mdi: Duration = master_down_interval(100, 100).into();
    let skew: Duration = skew_time(100, 100).into();
    let settle = 2 * mdi + Duration::from_secs(10);
    let mut ka = start_keepalived(&lan, "a", &conf_a);
    let mut kb = start_keepalived(&lan, "b", &conf_b);
    assert!(only_on(&lan, "a", settle), "keepalived pair never settled:\n{}\n{}", ka.log(), kb.log());
    std::thread::sleep(Duration::from_secs(2));
    assert!(wait_for(Duration::from_secs(5), || lan.ping_once("client", vip())).is_some());
    let pinger = Pinger::start(&lan, "client", vip(), Duration::from_millis(1)).expect("pinger");
    assert!(wait_for(Duration::from_secs(5), || pinger.replies() > 50).is_some());

    // 1. The backup: keepalived out, vrrpd in. The master keeps the VIP; nothing is lost.
    let t = Instant::now();
    kb.sigterm();
    assert!(kb.wait_exit(Duration::from_secs(10)).is_some(), "keepalived on b did not stop");
    let vb = start_vrrpd(&lan, "b", &conf_b);
    assert!(vb.wait_state("BACKUP", Duration::from_secs(10)), "{}", vb.log());
    std::thread::sleep(mdi);
    assert_eq!(vb.state(), "BACKUP", "vrrpd on b follows keepalived on a:\n{}", vb.log());
    assert!(only_on(&lan, "a", Duration::from_secs(1)));
    assert_eq!(lost_since(&pinger, t), 0, "step 1 lost pings");

    // 2. The master: keepalived out (its priority 0 hands the VIP to vrrpd on b after
    //    Skew_Time, and keepalived drops the VIP at once: about Skew_Time lost), then vrrpd in,
    //    which preempts (priority 101); b makes before break: nothing lost.
    let t = Instant::now();
    ka.sigterm();
    assert!(only_on(&lan, "b", mdi + Duration::from_secs(5)), "b did not take over:\n{}", vb.log());
    assert!(ka.wait_exit(Duration::from_secs(10)).is_some(), "keepalived on a did not stop");
    let lost = lost_since(&pinger, t);
    println!("keepalived master stopped: {lost} pings lost (Skew_Time {skew:?})");
    assert!(lost > 0, "keepalived removes its VIP with its priority-0 advert: a gap is expected");
    let t = Instant::now();
    let mut va = start_vrrpd(&lan, "a", &conf_a);
    assert!(only_on(&lan, "a", settle), "a did not preempt:\n{}\n{}", va.log(), vb.log());
    assert!(va.wait_state("MASTER", Duration::from_secs(5)));
    assert!(vb.wait_state("BACKUP", Duration::from_secs(5)));
    assert_eq!(lost_since(&pinger, t), 0, "step 2, vrrpd on a preempting vrrpd on b, lost pings");

    // 3. Roll b back to keepalived: the backup again, nothing lost.
    let t = Instant::now();
    let mut vb = vb;
    assert!(vb.terminate().success(), "{}", vb.log());
    let kb = start_keepalived(&lan, "b", &conf_b);
    std::thread::sleep(mdi + Duration::from_secs(1));
    assert!(only_on(&lan, "a", Duration::from_secs(1)), "{}", kb.log());
    assert_eq!(lost_since(&pinger, t), 0, "step 3 lost pings");

    // 4. Stop vrrpd on a: it hands over to keepalived on b without a gap.
    let t = Instant::now();
    va.sigterm();
    assert!(only_on(&lan, "b", mdi + Duration::from_secs(5)), "{}\n{}", va.log(), kb.log());
    assert!(va.wait_exit(Duration::from_secs(5)).is_some_and(|s| s.success()), "{}", va.log());
    assert_eq!(lost_since(&pinger, t), 0, "step 4, vrrpd handing over to keepalived, lost pings");
}
