//! The namespace lab itself: wiring, cable cuts, cleanup.

use std::net::IpAddr;
use std::process::{Command, Stdio};

use vrrp_lab::{require_root, Lan, HOST_IFNAME};

fn netns_list() -> String {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn three_hosts(test: &str) -> Lan {
    Lan::builder(test)
        .host("a", "192.0.2.11/24", "2001:db8::11/64")
        .host("b", "192.0.2.12/24", "2001:db8::12/64")
        .host("client", "192.0.2.100/24", "2001:db8::100/64")
        .build()
        .expect("build lab")
}

#[test]
fn hosts_see_eth1_with_their_addresses_and_reach_each_other() {
    if !require_root("net_lab::hosts_see_eth1_with_their_addresses_and_reach_each_other") {
        return;
    }
    let lan = three_hosts("lab-wiring");
    for host in ["a", "b", "client"] {
        let addrs = lan.addrs(host, HOST_IFNAME).unwrap();
        let v4 = IpAddr::from(lan.ipv4(host).unwrap());
        let v6 = IpAddr::from(lan.ipv6(host).unwrap().unwrap());
        assert!(addrs.contains(&(v4, 24)), "{host}: {addrs:?}");
        assert!(addrs.contains(&(v6, 64)), "{host}: {addrs:?}");
        assert!(lan.link_local(host).unwrap().is_some(), "{host}: link-local");
        let out = lan.exec(host, &["ip", "-o", "link", "show"]).unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("eth1@"), "{host}: {text}");
    }
    assert_ne!(lan.mac("a").unwrap(), lan.mac("b").unwrap());
    assert!(lan.ping_once("client", lan.ipv4("a").unwrap().into()));
    assert!(lan.ping_once("client", lan.ipv6("b").unwrap().unwrap().into()));
    assert_eq!(
        lan.neigh("client", lan.ipv4("a").unwrap().into()).unwrap(),
        Some(lan.mac("a").unwrap()),
        "ping taught client a's MAC"
    );
}

#[test]
fn cut_cable_isolates_a_host_until_restored() {
    if !require_root("net_lab::cut_cable_isolates_a_host_until_restored") {
        return;
    }
    let lan = three_hosts("lab-cable");
    let a = lan.ipv4("a").unwrap().into();
    assert!(lan.ping_once("client", a));
    lan.cut_cable("a").unwrap();
    assert!(!lan.ping_once("client", a), "a still reachable with cable cut");
    let out = lan.exec("a", &["ip", "link", "show", HOST_IFNAME]).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NO-CARRIER"), "{text}");
    lan.restore_cable("a").unwrap();
    assert!(
        vrrp_lab::poll_until(std::time::Duration::from_secs(3), || lan.ping_once("client", a)),
        "a unreachable after restore"
    );
}

#[test]
fn drop_removes_namespaces_and_kills_children() {
    if !require_root("net_lab::drop_removes_namespaces_and_kills_children") {
        return;
    }
    let lan = three_hosts("lab-drop");
    let names: Vec<String> =
        ["a", "b", "client"].iter().map(|h| lan.ns_name(h).to_owned()).chain([lan.switch_ns().to_owned()]).collect();
    let listed = netns_list();
    for n in &names {
        assert!(listed.contains(n.as_str()), "{n} missing from {listed}");
    }
    let mut child = lan.spawn("a", Command::new("sleep").arg("600").stdout(Stdio::null())).unwrap();
    // The child really runs inside a's namespace.
    let pids = vrrp_lab::pids_in_netns(lan.ns_name("a")).unwrap();
    assert!(pids.contains(&child.id()), "{pids:?}");
    drop(lan);
    let status = child.wait().unwrap();
    assert!(!status.success(), "child should have been killed: {status}");
    let listed = netns_list();
    for n in &names {
        assert!(!listed.contains(n.as_str()), "{n} left behind: {listed}");
    }
}

#[test]
fn panic_inside_a_test_still_cleans_up() {
    if !require_root("net_lab::panic_inside_a_test_still_cleans_up") {
        return;
    }
    let mut name = String::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let lan = Lan::builder("lab-panic").host_v4("a", "198.18.0.1/24").build().unwrap();
        name = lan.ns_name("a").to_owned();
        panic!("test failure while the lab is up");
    }));
    assert!(result.is_err());
    assert!(!name.is_empty());
    assert!(!netns_list().contains(&name), "{name} left behind");
}

#[test]
fn rejects_non_test_net_addresses() {
    // Validation happens before anything is created: no root needed.
    let err = Lan::builder("lab-reject").host_v4("a", "10.0.0.1/24").build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
