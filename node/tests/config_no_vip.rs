//! An instance without `virtual_ipaddress` (issue 17): keepalived 2.2.7 warns "No VIP
//! specified; at least one is sensible" (vrrp.c 2901) and runs the VRRPv2 election,
//! advertising Count 0 (core/tests/vectors/v2-no-vip.ip.hex); vrrpd runs it too.
//!
//! On a lab LAN: vrrpd (priority 150) starts alone and becomes MASTER without adding an
//! address; keepalived (priority 100) joining with the same file stays BACKUP on vrrpd's
//! Count-0 adverts, takes over when vrrpd stops (its priority-0 advert), and a vrrpd
//! restarted at priority 50 follows keepalived's Count-0 adverts as BACKUP. Needs root and
//! keepalived; CI=true forbids skipping.

mod common;

use std::time::Duration;

use common::*;
use vrrp_lab::require_root;

fn config(state: &str, priority: u8) -> String {
    format!(
        "vrrp_instance VI {{\n    state {state}\n    interface eth1\n    virtual_router_id 53\n    priority {priority}\n    advert_int 1\n}}\n"
    )
}

/// Addresses on `host`'s eth1 besides its own TEST-NET ones and link-local ones.
fn extra_addrs(lan: &vrrp_lab::Lan, host: &str, own: &[&str]) -> Vec<String> {
    lan.addrs(host, "eth1")
        .expect("addrs")
        .iter()
        .map(|(ip, _)| ip.to_string())
        .filter(|ip| !own.contains(&ip.as_str()) && !ip.starts_with("fe80:"))
        .collect()
}

#[test]
fn vrrpd_and_keepalived_run_an_election_without_virtual_addresses() {
    let test = "vrrpd_and_keepalived_run_an_election_without_virtual_addresses";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let lan = lan("cfg_novip");
    let own_a = ["192.0.2.11", "2001:db8::11"];

    let mut a = start_vrrpd(&lan, "a", &config("MASTER", 150));
    assert!(a.wait_state("MASTER", Duration::from_secs(10)), "vrrpd never became MASTER:\n{}", a.log());
    assert!(a.log().contains("no virtual IP address"), "no warning about the missing VIPs:\n{}", a.log());
    assert_eq!(extra_addrs(&lan, "a", &own_a), Vec::<String>::new(), "vrrpd added an address");

    let b = start_keepalived(&lan, "b", &config("BACKUP", 100));
    assert!(
        wait_for(Duration::from_secs(10), || b.log().contains("Entering BACKUP STATE")).is_some(),
        "keepalived never entered BACKUP:\n{}",
        b.log()
    );
    // Five advert intervals, well past keepalived's Master_Down_Interval (3.6 s): it hears
    // vrrpd's Count-0 adverts as valid, or it would have taken over.
    std::thread::sleep(Duration::from_secs(5));
    let log = b.log();
    assert!(!log.contains("Entering MASTER STATE"), "keepalived took over from vrrpd:\n{log}");
    assert!(!log.contains("ip number count") && !log.contains("address list"), "keepalived complains:\n{log}");
    assert_eq!(a.state(), "MASTER", "{}", a.log());

    assert!(a.terminate().success(), "vrrpd did not exit cleanly:\n{}", a.log());
    assert!(
        wait_for(Duration::from_secs(5), || b.log().contains("Entering MASTER STATE")).is_some(),
        "keepalived did not take over after vrrpd stopped:\n{}",
        b.log()
    );

    let a = start_vrrpd(&lan, "a", &config("BACKUP", 50));
    assert!(a.wait_state("BACKUP", Duration::from_secs(10)), "vrrpd never became BACKUP:\n{}", a.log());
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(a.state(), "BACKUP", "vrrpd does not follow keepalived's Count-0 adverts:\n{}", a.log());
    let status = a.status_json();
    let text = status.to_string();
    assert!(!a.log().contains("address count"), "vrrpd refused keepalived's adverts:\n{}\n{text}", a.log());
    assert_eq!(extra_addrs(&lan, "a", &own_a), Vec::<String>::new());
}
