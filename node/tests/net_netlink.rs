//! rtnetlink: link facts, VIP add/remove, and the link/address watch.

use std::net::IpAddr;
use std::time::Duration;

use vrrp_lab::{require_root, Lan, HOST_IFNAME};
use vrrp_node::net::{watch, Event, Netlink, Scope, Watch};

fn one_host(test: &str) -> Lan {
    Lan::builder(test).host("a", "192.0.2.11/24", "2001:db8::11/64").build().expect("build lab")
}

fn ip_addr_show(lan: &Lan) -> String {
    let out = lan.exec("a", &["ip", "addr", "show", "dev", HOST_IFNAME]).unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads events until `want` arrives (3 s limit); other events are skipped.
async fn expect_event(w: &mut Watch, want: Event) {
    let found = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(ev) = w.recv().await {
            if ev == want {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "did not see {want:?}");
}

/// Blocking lab calls (they run `ip`) off the runtime thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test]
async fn link_facts_match_the_lab() {
    if !require_root("net_netlink::link_facts_match_the_lab") {
        return;
    }
    let lan = one_host("nl-link");
    let nl = lan.run_in("a", Netlink::new).unwrap().unwrap();
    let link = nl.link_by_name(HOST_IFNAME).await.unwrap();
    assert_eq!(link.index, lan.ifindex("a").unwrap());
    assert_eq!(link.name, HOST_IFNAME);
    assert_eq!(link.mac, Some(lan.mac("a").unwrap()));
    assert!(link.up && link.admin_up);
    assert_eq!(link.mtu, 1500);
    assert_eq!(nl.link_by_index(link.index).await.unwrap(), link);
    assert_eq!(nl.primary_ipv4(link.index).await.unwrap(), Some(lan.ipv4("a").unwrap()));
    assert_eq!(nl.link_local_v6(link.index).await.unwrap(), lan.link_local("a").unwrap());
    let missing = nl.link_by_name("eth9").await.unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
}

#[tokio::test]
async fn vip_add_and_delete_show_in_ip_addr() {
    if !require_root("net_netlink::vip_add_and_delete_show_in_ip_addr") {
        return;
    }
    let lan = one_host("nl-vip");
    let nl = lan.run_in("a", Netlink::new).unwrap().unwrap();
    let index = lan.ifindex("a").unwrap();
    let vip: IpAddr = "192.0.2.1".parse().unwrap();

    let add = || nl.add_address(index, vip, 24, Some("eth1:vip"), None, Scope::Global);
    add().await.unwrap();
    let shown = ip_addr_show(&lan);
    let line = shown.lines().find(|l| l.contains("inet 192.0.2.1/24")).unwrap_or_else(|| panic!("{shown}"));
    assert!(line.contains("eth1:vip"), "{line}");
    assert!(!line.contains("brd"), "no broadcast unless asked: {line}");
    add().await.expect("adding twice is fine");
    let listed = nl.addresses(index).await.unwrap();
    let entry = listed.iter().find(|a| a.addr == vip).expect("listed");
    assert_eq!(entry.prefix, 24);
    assert_eq!(entry.label.as_deref(), Some("eth1:vip"));
    assert!(entry.secondary, "same subnet as 192.0.2.11/24");
    assert_eq!(
        nl.primary_ipv4(index).await.unwrap(),
        Some(lan.ipv4("a").unwrap()),
        "the VIP does not become the primary"
    );

    nl.del_address(index, vip, 24).await.unwrap();
    let shown = ip_addr_show(&lan);
    assert!(!shown.contains("192.0.2.1/"), "{shown}");
    assert!(!shown.contains("eth1:vip"), "{shown}");
    nl.del_address(index, vip, 24).await.expect("deleting twice is fine");

    // IPv6 VIPs are usable at once (nodad), never tentative.
    let vip6: IpAddr = "2001:db8::1".parse().unwrap();
    nl.add_address(index, vip6, 64, None, None, Scope::Global).await.unwrap();
    let shown = ip_addr_show(&lan);
    let line = shown.lines().find(|l| l.contains("2001:db8::1/64")).unwrap_or_else(|| panic!("{shown}"));
    assert!(!line.contains("tentative"), "{line}");
    let entry = nl.addresses(index).await.unwrap();
    assert!(entry.iter().any(|a| a.addr == vip6 && !a.tentative));
    nl.del_address(index, vip6, 64).await.unwrap();
    assert!(!ip_addr_show(&lan).contains("2001:db8::1/64"));
}

#[tokio::test]
async fn watch_reports_cable_cut_restore_and_address_changes() {
    if !require_root("net_netlink::watch_reports_cable_cut_restore_and_address_changes") {
        return;
    }
    let lan = std::sync::Arc::new(one_host("nl-watch"));
    let index = lan.ifindex("a").unwrap();
    let mut w = lan.run_in("a", watch).unwrap().unwrap();
    let nl = lan.run_in("a", Netlink::new).unwrap().unwrap();

    let l = lan.clone();
    blocking(move || l.cut_cable("a")).await.unwrap();
    expect_event(&mut w, Event::LinkDown { index }).await;
    assert!(!nl.link_by_index(index).await.unwrap().up);

    let l = lan.clone();
    blocking(move || l.restore_cable("a")).await.unwrap();
    expect_event(&mut w, Event::LinkUp { index }).await;

    let vip: IpAddr = "192.0.2.1".parse().unwrap();
    nl.add_address(index, vip, 32, None, None, Scope::Global).await.unwrap();
    expect_event(&mut w, Event::AddrAdded { index, addr: vip, prefix: 32 }).await;
    nl.del_address(index, vip, 32).await.unwrap();
    expect_event(&mut w, Event::AddrRemoved { index, addr: vip, prefix: 32 }).await;
}

#[tokio::test]
async fn watch_reports_an_overrun_when_an_event_storm_overflows_it() {
    if !require_root("net_netlink::watch_reports_an_overrun_when_an_event_storm_overflows_it") {
        return;
    }
    let lan = std::sync::Arc::new(one_host("nl-storm"));
    let index = lan.ifindex("a").unwrap();
    // The smallest buffer the kernel allows, and nobody reading while 600 addresses
    // (TEST-NET 198.18.0.0/15) are added: the kernel drops notifications.
    let mut w = lan.run_in("a", || vrrp_node::net::watch_with_buffer(1)).unwrap().unwrap();
    // Run it on the runtime's only thread, so the watch's connection task cannot drain
    // the socket meanwhile, as a daemon busy elsewhere would not.
    lan.address_storm("a", 600).unwrap();
    expect_event(&mut w, Event::Overrun).await;
    // The watch goes on: later changes are still reported.
    let l = lan.clone();
    blocking(move || l.cut_cable("a")).await.unwrap();
    expect_event(&mut w, Event::LinkDown { index }).await;
}
