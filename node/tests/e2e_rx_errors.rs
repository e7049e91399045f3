//! Adverts that fail the receive checks are dropped and counted, never acted on, and never
//! crash the daemon: a wrong password on one server, and a client on the LAN sending
//! TTL ≠ 255, bad checksums, unknown VRIDs, truncated and garbage VRRP datagrams.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use vrrp_lab::require_root;

fn counter(v: &Value, name: &str) -> u64 {
    v[name].as_u64().unwrap_or_else(|| panic!("no counter {name} in {v}"))
}

#[test]
fn wrong_auth_pass_adverts_are_dropped_and_counted_on_both_sides() {
    let test = "wrong_auth_pass_adverts_are_dropped_and_counted_on_both_sides";
    if !require_root(test) {
        return;
    }
    let lan = lan("wrongpass");
    let mut a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let mut b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).auth_pass("YYYYYY").render());

    // Each drops the other's adverts, so neither ever hears a master: both end up MASTER
    // (split brain is what a password mismatch means; the point is that nothing is accepted).
    let both = wait_for(Duration::from_secs(12), || a.state() == "MASTER" && b.state() == "MASTER");
    assert!(both.is_some(), "a log:\n{}\nb log:\n{}", a.log(), b.log());
    // Let each receive a few adverts from the other as MASTER.
    std::thread::sleep(Duration::from_millis(2500));
    for (name, d) in [("a", &a), ("b", &b)] {
        let s = d.status_json();
        let stats = &s["instances"][0]["stats"];
        assert!(counter(stats, "auth_failures") >= 2, "{name}: {s}\nlog:\n{}", d.log());
        assert_eq!(counter(stats, "rcvd_advertisements"), 0, "{name} accepted an advert: {s}");
        assert!(d.log().contains("dropped advert"), "{name} log:\n{}", d.log());
    }
    assert!(a.running() && b.running(), "a daemon died; a log:\n{}\nb log:\n{}", a.log(), b.log());
}

#[test]
fn injected_bad_ttl_and_garbage_are_dropped_counted_and_change_nothing() {
    let test = "injected_bad_ttl_and_garbage_are_dropped_counted_and_change_nothing";
    if !require_root(test) {
        return;
    }
    let lan = lan("inject");
    let mut a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    let mut b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    let settled = wait_for(Duration::from_secs(10), || {
        holds(&lan, "a", vip()) && b.state() == "BACKUP" && !holds(&lan, "b", vip())
    });
    assert!(settled.is_some(), "pair never settled; a log:\n{}\nb log:\n{}", a.log(), b.log());
    let a0 = a.status_json();
    let b0 = b.status_json();

    // Adverts that would win if accepted: priority 254 > 101, for our VRID, right password.
    let winning = v2_advert(200, 254, &[vip()], b"XXXXXX");
    let mut bad_checksum = winning.clone();
    bad_checksum[6] ^= 0x5a;
    let unknown_vrid = v2_advert(99, 254, &[vip()], b"XXXXXX");
    let truncated = winning[..10].to_vec();
    let one_byte = vec![0x21];
    let bad_version = {
        let mut p = winning.clone();
        p[0] = 0x71; // version 7, type 1
        p
    };
    let garbage: Vec<u8> = (0..64u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    const N: usize = 5;
    let mut packets = Vec::new();
    for _ in 0..N {
        packets.push((winning.clone(), 64)); // TTL ≠ 255: sent from off-link as far as we know
        packets.push((winning.clone(), 254));
        packets.push((bad_checksum.clone(), 255));
        packets.push((unknown_vrid.clone(), 255));
        packets.push((truncated.clone(), 255));
        packets.push((one_byte.clone(), 255));
        packets.push((bad_version.clone(), 255));
        packets.push((garbage.clone(), 255));
        packets.push((Vec::new(), 255));
    }
    // Spread over a couple of advert intervals, while adverts keep flowing.
    for chunk in packets.chunks(9) {
        inject(&lan, "client", chunk);
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_millis(1200));

    // Nothing changed: a still MASTER (no new transition), b still BACKUP, the VIP on a only.
    assert!(a.running() && b.running(), "a daemon died; a log:\n{}\nb log:\n{}", a.log(), b.log());
    let a1 = a.status_json();
    let b1 = b.status_json();
    assert_eq!(a1["instances"][0]["state"], "MASTER", "{a1}\na log:\n{}", a.log());
    assert_eq!(b1["instances"][0]["state"], "BACKUP", "{b1}\nb log:\n{}", b.log());
    // (Compared with before the injection: both start as backups, and on a loaded machine
    // b may have been master for a moment before hearing a.)
    let transitions = |v: &Value| counter(&v["instances"][0]["stats"], "master_transitions");
    assert_eq!(transitions(&a1), transitions(&a0), "a changed state: {a1}");
    assert_eq!(transitions(&b1), transitions(&b0), "b changed state: {b1}");
    assert!(holds(&lan, "a", vip()) && !holds(&lan, "b", vip()), "VIP moved");
    assert_eq!(b1["instances"][0]["master_ip"], "192.0.2.11", "b follows someone else: {b1}");

    // Every kind was counted, on both servers.
    for (name, before, after) in [("a", &a0, &a1), ("b", &b0, &b1)] {
        let msg = format!("{name}: before {before}\nafter {after}");
        let inst = |c: &str| counter(&after["instances"][0]["stats"], c) - counter(&before["instances"][0]["stats"], c);
        let router = |c: &str| counter(&after["router"], c) - counter(&before["router"], c);
        assert_eq!(inst("ip_ttl_errors"), 2 * N as u64, "ip_ttl_errors {msg}");
        assert_eq!(inst("packet_length_errors"), N as u64, "instance packet_length_errors {msg}");
        assert_eq!(router("checksum_errors"), N as u64, "checksum_errors {msg}");
        assert_eq!(router("vrid_errors"), N as u64, "vrid_errors {msg}");
        assert_eq!(router("packet_length_errors"), 2 * N as u64, "router packet_length_errors {msg}");
        assert_eq!(router("version_errors"), 2 * N as u64, "version_errors {msg}");
        // The advert of the real peer kept being accepted meanwhile.
        assert_eq!(inst("auth_failures"), 0, "{msg}");
    }
    let b_rx = counter(&b1["instances"][0]["stats"], "rcvd_advertisements")
        - counter(&b0["instances"][0]["stats"], "rcvd_advertisements");
    assert!(b_rx >= 2, "b stopped hearing a's adverts: {b_rx}");
}
