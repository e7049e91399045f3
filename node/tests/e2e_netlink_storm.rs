//! An rtnetlink event storm overflows vrrpd's notification socket, and the link-down
//! that follows is among the notifications the kernel drops. vrrpd sees the overrun,
//! re-reads the link state and its VIPs, and goes to FAULT (releasing the VIP) anyway.

mod common;

use std::time::Duration;

use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use vrrp_lab::require_root;

#[test]
fn link_down_lost_in_a_netlink_overrun_is_still_seen() {
    if !require_root("link_down_lost_in_a_netlink_overrun_is_still_seen") {
        return;
    }
    let lan = lan("nlstorm");
    let a = start_vrrpd(&lan, "a", &Conf::seed("MASTER", 101).v3().advert_int("0.1").render());
    let up = wait_for(Duration::from_secs(10), || a.state() == "MASTER" && holds(&lan, "a", vip()));
    assert!(up.is_some(), "a never became master; log:\n{}", a.log());

    // Freeze vrrpd so nothing reads its netlink socket, fill the socket with address
    // notifications (thousands of TEST-NET /32s), then cut the cable: the kernel has no
    // room left for that RTM_NEWLINK and drops it.
    let pid = Pid::from_raw(a.child.id() as i32);
    kill(pid, Signal::SIGSTOP).unwrap();
    let storm = lan.address_storm("a", storm_size());
    // An operator removes the VIP meanwhile; that notification is lost too.
    let removed = lan.exec("a", &["ip", "addr", "del", "192.0.2.1/24", "dev", "eth1"]);
    let cut = lan.cut_cable("a");
    kill(pid, Signal::SIGCONT).unwrap();
    storm.unwrap();
    assert!(removed.unwrap().status.success());
    cut.unwrap();

    let fault = wait_for(Duration::from_secs(5), || a.state() == "FAULT");
    assert!(fault.is_some(), "a missed its link going down; state {:?}; log:\n{}", a.state(), a.log());
    assert!(a.log().contains("notifications were lost"), "log:\n{}", a.log());
    // The re-read also noticed the VIP gone, which no notification said.
    assert!(a.log().contains("192.0.2.1/24 was removed by someone else"), "log:\n{}", a.log());
    assert!(wait_for(Duration::from_secs(2), || !holds(&lan, "a", vip())).is_some(), "VIP kept in FAULT");
    // And the watch still works afterwards: the cable comes back, so does a.
    lan.restore_cable("a").unwrap();
    assert!(a.wait_state("MASTER", Duration::from_secs(5)), "log:\n{}", a.log());
}

/// Enough address notifications to overflow vrrpd's socket whatever this machine's
/// `net.core.rmem_max` (vrrpd asks for 1 MiB, the kernel caps it there and doubles it):
/// every queued notification costs well over 500 bytes of buffer (sk_buff overhead).
fn storm_size() -> u32 {
    let rmem_max: u64 = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(212_992);
    let buffer = 2 * rmem_max.min(1 << 20);
    u32::try_from(buffer / 500 + 1000).unwrap_or(u32::MAX)
}
