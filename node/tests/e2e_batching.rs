//! Batched socket I/O (issue 16): the adverts one wake-up makes go out with one `sendmmsg`
//! per socket, and a readable socket is drained with `recvmmsg`, so at 20 instances × 100 ms
//! the master makes fewer send syscalls than it sends adverts, and the backup fewer
//! receive syscalls than it receives datagrams. Read from `vrrpctl status --json`'s `io`.

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use common::*;
use vrrp_lab::require_root;

const INSTANCES: u8 = 20;

fn config(priority: u8) -> String {
    let mut out = String::new();
    for vrid in 1..=INSTANCES {
        let _ = write!(
            out,
            "vrrp_instance VI_{vrid} {{\n    state BACKUP\n    interface eth1\n    virtual_router_id {vrid}\n    \
             priority {priority}\n    advert_int 0.1\n    version 3\n    virtual_ipaddress {{\n        \
             198.18.0.{vrid}/32 dev eth1\n    }}\n}}\n"
        );
    }
    out
}

fn io(v: &Vrrpd) -> serde_json::Value {
    v.status_json()["io"].clone()
}

fn delta(after: &serde_json::Value, before: &serde_json::Value, key: &str) -> u64 {
    after[key].as_u64().unwrap_or(0).saturating_sub(before[key].as_u64().unwrap_or(0))
}

fn states(v: &Vrrpd) -> Vec<String> {
    let status = v.status_json();
    status["instances"]
        .as_array()
        .map(|a| a.iter().map(|i| i["state"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn twenty_instances_share_their_syscalls() {
    if !require_root("twenty_instances_share_their_syscalls") {
        return;
    }
    let lan = lan("batching");
    let a = start_vrrpd(&lan, "a", &config(150));
    let b = start_vrrpd(&lan, "b", &config(100));
    let settled = wait_for(Duration::from_secs(15), || {
        states(&a).iter().all(|s| s == "MASTER") && states(&b).iter().all(|s| s == "BACKUP")
    });
    assert!(settled.is_some(), "the pair never settled: a {:?}, b {:?}\na log:\n{}", states(&a), states(&b), a.log());
    let (a0, b0) = (io(&a), io(&b));
    std::thread::sleep(Duration::from_secs(2));
    let (a1, b1) = (io(&a), io(&b));
    let sent = delta(&a1, &a0, "adverts_sent");
    let send_calls = delta(&a1, &a0, "send_syscalls");
    let received = delta(&b1, &b0, "packets_received");
    let recv_calls = delta(&b1, &b0, "recv_syscalls");
    eprintln!(
        "over 2 s: master sent {sent} adverts with {send_calls} send syscalls ({} wake-ups); backup received \
         {received} with {recv_calls} receive syscalls ({} wake-ups)",
        delta(&a1, &a0, "wakeups"),
        delta(&b1, &b0, "wakeups")
    );
    // 20 instances × 10 adverts/s × 2 s, give or take a status round trip.
    assert!(sent >= 300, "only {sent} adverts in 2 s");
    assert!(received >= 300, "the backup received only {received} datagrams in 2 s");
    assert!(send_calls < sent, "{send_calls} send syscalls for {sent} adverts: not batched");
    assert!(recv_calls < received, "{recv_calls} receive syscalls for {received} datagrams: not batched");
    assert!(states(&a).iter().all(|s| s == "MASTER") && states(&b).iter().all(|s| s == "BACKUP"));
}
