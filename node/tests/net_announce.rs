//! Gratuitous ARP and unsolicited NA move a LAN client's neighbour entry.
//!
//! Scenario, as in a real failover: the VIP lived on b, the client talked
//! to it (so its neighbour table maps the VIP to b's MAC), then a takes the
//! VIP over and announces it. Linux updates an *existing* ARP entry from a
//! gratuitous ARP even by default; it only *creates* entries from one with
//! `arp_accept=1`. The client here sets `net.ipv4.conf.all.arp_accept=1`
//! like a LAN host configured to learn announcements. For IPv6, an
//! unsolicited NA with the Override flag updates an existing entry (new
//! entries would need `accept_untracked_na`).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::lan;
use vrrp_lab::{poll_until, require_root, Lan, HOST_IFNAME};
use vrrp_node::net::Announcer;

fn ip(lan: &Lan, host: &str, args: &[&str]) {
    let mut full = vec!["ip"];
    full.extend_from_slice(args);
    let out = lan.exec(host, &full).unwrap();
    assert!(out.status.success(), "{full:?}: {out:?}");
}

/// The VIP starts on b and the client learns it at b's MAC.
fn vip_on_b_known_to_client(lan: &Lan, vip: &str, cidr: &str) -> IpAddr {
    let vip: IpAddr = vip.parse().unwrap();
    ip(lan, "b", &["addr", "add", cidr, "dev", HOST_IFNAME, "nodad"]);
    assert!(lan.ping_once("client", vip), "client cannot reach VIP on b");
    assert_eq!(lan.neigh("client", vip).unwrap(), Some(lan.mac("b").unwrap()));
    ip(lan, "b", &["addr", "del", cidr, "dev", HOST_IFNAME]);
    ip(lan, "a", &["addr", "add", cidr, "dev", HOST_IFNAME, "nodad"]);
    // Control: moving the address alone does not tell the client.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(lan.neigh("client", vip).unwrap(), Some(lan.mac("b").unwrap()));
    vip
}

fn announcer(lan: &Lan, host: &str) -> Announcer {
    let (index, mac) = (lan.ifindex(host).unwrap(), lan.mac(host).unwrap());
    lan.run_in(host, || Announcer::open(index, mac)).unwrap().unwrap()
}

fn client_sees(lan: &Lan, vip: IpAddr, mac: [u8; 6]) -> bool {
    poll_until(Duration::from_secs(2), || lan.neigh("client", vip).ok().flatten() == Some(mac))
}

#[test]
fn gratuitous_arp_moves_the_clients_entry_to_the_new_master() {
    if !require_root("net_announce::gratuitous_arp_moves_the_clients_entry_to_the_new_master") {
        return;
    }
    let lan = lan("garp");
    let vip = vip_on_b_known_to_client(&lan, "192.0.2.1", "192.0.2.1/24");
    let IpAddr::V4(vip4) = vip else { unreachable!() };
    announcer(&lan, "a").send_garp(vip4).unwrap();
    assert!(client_sees(&lan, vip, lan.mac("a").unwrap()), "client still has {:?}", lan.neigh("client", vip));
    assert!(lan.ping_once("client", vip), "VIP reachable on a");
}

#[test]
fn gratuitous_arp_creates_an_entry_with_arp_accept() {
    if !require_root("net_announce::gratuitous_arp_creates_an_entry_with_arp_accept") {
        return;
    }
    let lan = lan("garp-new");
    let vip: IpAddr = "192.0.2.2".parse().unwrap();
    assert_eq!(lan.neigh("client", vip).unwrap(), None);
    announcer(&lan, "a").send_garp("192.0.2.2".parse().unwrap()).unwrap();
    assert!(client_sees(&lan, vip, lan.mac("a").unwrap()));
}

#[test]
fn unsolicited_na_moves_the_clients_entry_to_the_new_master() {
    if !require_root("net_announce::unsolicited_na_moves_the_clients_entry_to_the_new_master") {
        return;
    }
    let lan = lan("una");
    let vip = vip_on_b_known_to_client(&lan, "2001:db8::1", "2001:db8::1/64");
    let IpAddr::V6(vip6) = vip else { unreachable!() };
    let src_ll = lan.link_local("a").unwrap().unwrap();
    announcer(&lan, "a").send_unsolicited_na(src_ll, vip6, false).unwrap();
    // The client's kernel verified hop limit 255 and the ICMPv6 checksum
    // before accepting it (RFC 4861 §7.1.2), so this also checks both.
    assert!(client_sees(&lan, vip, lan.mac("a").unwrap()), "client still has {:?}", lan.neigh("client", vip));
    assert!(lan.ping_once("client", vip), "VIP reachable on a");
}
