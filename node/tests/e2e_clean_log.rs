//! A clean vrrpd start and stop on this kernel logs no warning: an IPv4 pair and an
//! IPv6 (VRRPv3) master come up, the master takes the VIPs, and neither vrrpd nor a
//! crate below it (the netlink crates log through `log`, which vrrpd's subscriber also
//! prints, without a target) has anything to warn about. netlink-packet-route 0.19
//! warned twice per start on kernels newer than it (IFLA_INET6_CONF sizes).

mod common;

use std::time::Duration;

use common::*;
use vrrp_lab::require_root;

#[test]
fn clean_start_and_stop_log_no_warning() {
    if !require_root("clean_start_and_stop_log_no_warning") {
        return;
    }
    let lan = lan("cleanlog");
    let mut a = start_vrrpd(&lan, "a", &seed_config("MASTER", 101));
    // b only once a runs: started within a few ms of each other on a loaded host, b's
    // Master_Down_Interval (4 ms longer than a's) can end first, and the brief second
    // master that follows is rightly a WARN ("took over as MASTER"), not a clean start.
    let running = wait_for(Duration::from_secs(10), || a.log().contains("vrrpd started"));
    assert!(running.is_some(), "a never started; log:\n{}", a.log());
    let mut b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    let mut a6 = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64").render());

    // Settled: a holds both VIPs, b is BACKUP without the IPv4 one.
    let up = wait_for(Duration::from_secs(10), || {
        holds(&lan, "a", vip())
            && holds(&lan, "a", "2001:db8::1".parse().unwrap())
            && b.state() == "BACKUP"
            && !holds(&lan, "b", vip())
    });
    assert!(up.is_some(), "pair never settled; a log:\n{}\nb log:\n{}\na6 log:\n{}", a.log(), b.log(), a6.log());
    for d in [&mut a, &mut b, &mut a6] {
        let status = d.terminate();
        assert!(status.success(), "{} exited with {status}; log:\n{}", d.host, d.log());
        let log = strip_ansi(&d.log());
        assert!(log.contains("vrrpd started"), "{} did not log its start:\n{log}", d.host);
        // "<timestamp> <LEVEL> <message>": the level is the second field.
        let warnings: Vec<&str> =
            log.lines().filter(|l| matches!(l.split_whitespace().nth(1), Some("WARN" | "ERROR"))).collect();
        assert!(warnings.is_empty(), "{} warned on a clean start and stop: {warnings:#?}\nlog:\n{log}", d.host);
    }
}

/// The log without its colour escapes (`ESC [ ... m`).
fn strip_ansi(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}
