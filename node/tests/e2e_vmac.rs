//! `use_vmac` (RFC 9568 §7.3 virtual MAC): vrrpd creates the macvlan keepalived creates
//! (vrrp_vmac.c `netlink_link_add_vmac`), the client's neighbour entry for the VIP is the
//! virtual MAC and stays so across a failover and a preemption, the hosts' own addresses
//! keep answering with their own MAC (keepalived issue #2512), the macvlan and the
//! sysctls go at exit and after a SIGKILL at the next start, and a mixed pair with
//! keepalived 2.2.7 `use_vmac` converges.

mod common;

use std::time::Duration;

use common::{holds, keepalived_available, lan, start_keepalived, start_vrrpd, vip, wait_for, Conf, Peer, Vrrpd};
use vrrp_lab::Lan;

const VRID: u8 = 200;
const VMAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x01, VRID];
const LIMIT: Duration = Duration::from_secs(20);

/// The seed config with `use_vmac` (default name vrrp.200) and no garp_master_delay wait.
fn vmac_conf(state: &str, priority: u8) -> String {
    let mut c = Conf::seed(state, priority);
    c.garp_master_delay = 1;
    c.render().replace("    interface eth1\n", "    interface eth1\n    use_vmac\n")
}

/// Does `host` hold `addr` on its macvlan vrrp.200?
fn vmac_holds(lan: &Lan, host: &str, addr: std::net::IpAddr) -> bool {
    lan.addrs(host, "vrrp.200").map(|a| a.iter().any(|(ip, _)| *ip == addr)).unwrap_or(false)
}

fn mac_of(lan: &Lan, host: &str, name: &str) -> Option<[u8; 6]> {
    let out = lan.exec(host, &["ip", "-j", "link", "show", "dev", name]).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let text = v.get(0)?.get("address")?.as_str()?.to_string();
    let bytes: Vec<u8> = text.split(':').filter_map(|b| u8::from_str_radix(b, 16).ok()).collect();
    <[u8; 6]>::try_from(bytes.as_slice()).ok()
}

fn has_link(lan: &Lan, host: &str, name: &str) -> bool {
    lan.exec(host, &["ip", "link", "show", "dev", name]).is_ok_and(|o| o.status.success())
}

fn sysctl(lan: &Lan, host: &str, key: &str) -> String {
    let out = lan.exec(host, &["cat", &format!("/proc/sys/net/ipv4/conf/eth1/{key}")]).expect("cat");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The client learns the VIP's MAC afresh (a ping after flushing its entry).
fn client_sees(lan: &Lan) -> Option<[u8; 6]> {
    let _ = lan.exec("client", &["ip", "neigh", "flush", "dev", "eth1", "to", "192.0.2.1"]);
    let mut mac = None;
    wait_for(Duration::from_secs(5), || {
        lan.ping_once("client", vip());
        mac = lan.neigh("client", vip()).ok().flatten();
        mac.is_some()
    });
    mac
}

fn settled(lan: &Lan, master: &str, master_d: &Vrrpd, backup: &str, backup_d: &Vrrpd) -> bool {
    wait_for(LIMIT, || {
        master_d.state() == "MASTER"
            && backup_d.state() == "BACKUP"
            && vmac_holds(lan, master, vip())
            && !vmac_holds(lan, backup, vip())
    })
    .is_some()
}

#[test]
fn rfc9568_7_3_the_vip_keeps_the_virtual_mac_across_failover_and_preemption() {
    let lan = lan("vmac-pair");
    for h in ["a", "b"] {
        assert_eq!(sysctl(&lan, h, "arp_ignore"), "0", "lab default");
    }
    let mut a = start_vrrpd(&lan, "a", &vmac_conf("MASTER", 150));
    let mut b = start_vrrpd(&lan, "b", &vmac_conf("BACKUP", 100));
    assert!(settled(&lan, "a", &a, "b", &b), "pair did not settle:\n{}\n{}", a.log(), b.log());
    for h in ["a", "b"] {
        assert_eq!(mac_of(&lan, h, "vrrp.200"), Some(VMAC), "{h}: macvlan MAC");
        assert_eq!(sysctl(&lan, h, "arp_ignore"), "1", "{h}: base arp_ignore (vrrp_if_config.c 333)");
        assert_eq!(sysctl(&lan, h, "arp_filter"), "1", "{h}: base arp_filter (vrrp_if_config.c 337)");
        assert!(!holds(&lan, h, vip()), "{h}: the VIP is on the macvlan, not on eth1");
    }
    let seen = client_sees(&lan);
    if seen != Some(VMAC) {
        let show = |h: &str, args: &[&str]| String::from_utf8_lossy(&lan.exec(h, args).unwrap().stdout).to_string();
        panic!(
            "client's entry for the VIP, a master: {seen:?}\nclient neigh: {}\na addr: {}\na route: {}\n{}",
            show("client", &["ip", "neigh"]),
            show("a", &["ip", "-d", "addr"]),
            show("a", &["ip", "route"]),
            show("a", &["sh", "-c", "grep . /proc/sys/net/ipv4/conf/*/{arp_ignore,arp_filter,rp_filter,accept_local}"])
        );
    }
    // keepalived issue #2512: the host's own address still answers, with its own MAC.
    let _ = lan.exec("client", &["ip", "neigh", "flush", "dev", "eth1", "to", "192.0.2.11"]);
    assert!(lan.ping_once("client", "192.0.2.11".parse().unwrap()), "a's own address does not answer");
    assert_eq!(lan.neigh("client", "192.0.2.11".parse().unwrap()).unwrap(), Some(lan.mac("a").unwrap()));

    // Failover: a's cable is cut; b takes over with the same MAC.
    lan.cut_cable("a").unwrap();
    assert!(wait_for(LIMIT, || b.state() == "MASTER" && vmac_holds(&lan, "b", vip())).is_some(), "{}", b.log());
    assert_eq!(client_sees(&lan), Some(VMAC), "client's entry for the VIP, b master");
    // Preemption back: a's cable restored.
    lan.restore_cable("a").unwrap();
    assert!(settled(&lan, "a", &a, "b", &b), "no preemption back:\n{}\n{}", a.log(), b.log());
    assert_eq!(client_sees(&lan), Some(VMAC), "client's entry for the VIP, a master again");

    // SIGTERM: the macvlan goes and the base's sysctls come back.
    assert!(b.terminate().success(), "{}", b.log());
    assert!(!has_link(&lan, "b", "vrrp.200"), "b: macvlan left after SIGTERM");
    assert_eq!(sysctl(&lan, "b", "arp_ignore"), "0");
    assert_eq!(sysctl(&lan, "b", "arp_filter"), "0");

    // SIGKILL leaves it; the next start removes it (restoring the sysctls) and makes its own.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    assert!(has_link(&lan, "a", "vrrp.200"), "a: SIGKILL should leave the macvlan");
    let a2 = start_vrrpd(&lan, "a", &vmac_conf("MASTER", 150));
    assert!(wait_for(LIMIT, || a2.state() == "MASTER" && vmac_holds(&lan, "a", vip())).is_some(), "{}", a2.log());
    assert!(a2.log().contains("removed virtual MAC interface vrrp.200 left by an earlier vrrpd"), "{}", a2.log());
    let mut a2 = a2;
    assert!(a2.terminate().success(), "{}", a2.log());
    assert!(!has_link(&lan, "a", "vrrp.200"), "a: macvlan left after SIGTERM");
    assert_eq!(sysctl(&lan, "a", "arp_ignore"), "0", "a: arp_ignore not restored");
    assert_eq!(sysctl(&lan, "a", "arp_filter"), "0", "a: arp_filter not restored");
}

#[test]
fn use_vmac_on_an_interface_that_is_a_macvlan_is_refused_by_t_and_at_start_naming_it() {
    let lan = lan("vmac-on-mv");
    lan.exec("a", &["ip", "link", "add", "mv0", "link", "eth1", "type", "macvlan", "mode", "bridge"]).unwrap();
    lan.exec("a", &["ip", "addr", "add", "192.0.2.21/24", "dev", "mv0"]).unwrap();
    lan.exec("a", &["ip", "link", "set", "mv0", "up"]).unwrap();
    let conf = vmac_conf("MASTER", 150).replace("interface eth1", "interface mv0").replace("dev eth1", "dev mv0");
    // `vrrpd -t` looks the interface up, as `keepalived -t` does, and says where.
    let dir = tempfile::tempdir().unwrap();
    let vrrpd = env!("CARGO_BIN_EXE_vrrpd");
    let run_t = |name: &str, text: &str| {
        let path = common::write_file(dir.path(), name, text);
        let out = lan.exec("a", &[vrrpd, "-t", "-f", path.to_str().unwrap()]).expect("run vrrpd -t");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), path)
    };
    let (line, col) = conf
        .lines()
        .enumerate()
        .find_map(|(n, l)| l.find("use_vmac").map(|c| (n + 1, c + 1)))
        .expect("use_vmac in the config");
    let (code, stderr, path) = run_t("mv0.conf", &conf);
    let want = format!("{}:{line}:{col}: error: use_vmac on interface mv0, which is itself a macvlan", path.display());
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains(&want), "expected {want:?} in:\n{stderr}");
    let (code, stderr, _) = run_t("eth1.conf", &vmac_conf("MASTER", 150));
    assert_eq!(code, Some(0), "use_vmac on eth1 is fine: {stderr}");
    let mut a = start_vrrpd(&lan, "a", &conf);
    let status = a.wait_exit(LIMIT).expect("vrrpd should refuse to start");
    assert!(!status.success());
    assert!(a.log().contains("use_vmac on interface mv0, which is itself a macvlan"), "{}", a.log());
    assert!(!has_link(&lan, "a", "vrrp.200"));
}

#[test]
fn an_interface_of_the_vmac_name_that_vrrpd_did_not_create_is_not_touched() {
    let lan = lan("vmac-foreign");
    let made = lan.exec("a", &["ip", "link", "add", "vrrp.200", "type", "bridge"]).unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let mut a = start_vrrpd(&lan, "a", &vmac_conf("MASTER", 150));
    let status = a.wait_exit(LIMIT).unwrap_or_else(|| panic!("vrrpd should refuse to start:\n{}", a.log()));
    assert!(!status.success());
    assert!(
        a.log().contains("interface vrrp.200 exists and is not a virtual MAC interface vrrpd created"),
        "{}",
        a.log()
    );
    assert!(has_link(&lan, "a", "vrrp.200"), "somebody else's interface was removed");
    assert_eq!(sysctl(&lan, "a", "arp_ignore"), "0");
}

/// keepalived 2.2.7 with `use_vmac` and vrrpd with `use_vmac`: either master, one VIP
/// holder, the virtual MAC at the client.
#[test]
fn a_mixed_pair_with_keepalived_use_vmac_converges_either_master() {
    if !keepalived_available("a_mixed_pair_with_keepalived_use_vmac_converges_either_master") {
        return;
    }
    for vrrpd_master in [true, false] {
        let lan = lan(if vrrpd_master { "vmac-mix-v" } else { "vmac-mix-k" });
        let (vp, kp) = if vrrpd_master { (150, 100) } else { (100, 150) };
        let d = start_vrrpd(&lan, "a", &vmac_conf(if vrrpd_master { "MASTER" } else { "BACKUP" }, vp));
        let mut k = start_keepalived(&lan, "b", &vmac_conf(if vrrpd_master { "BACKUP" } else { "MASTER" }, kp));
        let (m, s) = if vrrpd_master { ("a", "b") } else { ("b", "a") };
        let ok = wait_for(LIMIT, || {
            let want = if vrrpd_master { "MASTER" } else { "BACKUP" };
            d.state() == want && vmac_holds(&lan, m, vip()) && !vmac_holds(&lan, s, vip())
        });
        let show = |h: &str, args: &[&str]| String::from_utf8_lossy(&lan.exec(h, args).unwrap().stdout).to_string();
        assert!(
            ok.is_some(),
            "vrrpd master {vrrpd_master}: vrrpd {}\n{}\n{}\na: {}\nb: {}",
            d.state(),
            d.log(),
            k.log(),
            show("a", &["ip", "-d", "addr"]),
            show("b", &["ip", "-d", "addr"])
        );
        assert_eq!(mac_of(&lan, s, "vrrp.200"), Some(VMAC), "the backup has its macvlan too");
        if vrrpd_master {
            assert_eq!(client_sees(&lan), Some(VMAC), "vrrpd master");
        } else {
            // keepalived 2.2.7 leaves the base's arp_announce alone: the ARP request it sends
            // from eth1 for a reply sourced from the VIP teaches the client the host's MAC
            // (seen in this lab), so only that the client reaches the VIP is checked here.
            let seen = client_sees(&lan);
            assert!(seen == Some(VMAC) || seen == Some(lan.mac(m).unwrap()), "{seen:?}");
        }
        k.sigterm();
        let _ = k.wait_exit(LIMIT);
    }
}

fn ifindex_of(lan: &Lan, host: &str, name: &str) -> Option<u64> {
    let out = lan.exec(host, &["ip", "-j", "link", "show", "dev", name]).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v.get(0)?.get("ifindex")?.as_u64()
}

/// A reload of an unchanged file keeps the macvlan (the same interface, not made again)
/// and the VIP on it, and the master stays master.
#[test]
fn a_reload_keeps_the_macvlan_of_an_unchanged_instance() {
    let lan = lan("vmac-reload");
    let a = start_vrrpd(&lan, "a", &vmac_conf("MASTER", 150));
    let b = start_vrrpd(&lan, "b", &vmac_conf("BACKUP", 100));
    assert!(settled(&lan, "a", &a, "b", &b), "pair did not settle:\n{}\n{}", a.log(), b.log());
    let before = ifindex_of(&lan, "a", "vrrp.200").expect("macvlan");
    let reloads = a.log().matches("reloaded ").count();
    let pid = nix::unistd::Pid::from_raw(a.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).expect("SIGHUP");
    assert!(
        wait_for(LIMIT, || a.log().matches("reloaded ").count() > reloads).is_some(),
        "SIGHUP did not reload:\n{}",
        a.log()
    );
    assert_eq!(ifindex_of(&lan, "a", "vrrp.200"), Some(before), "the macvlan was made again:\n{}", a.log());
    assert!(settled(&lan, "a", &a, "b", &b), "{}", a.log());
    assert_eq!(client_sees(&lan), Some(VMAC));
}

/// IPv6 (VRRPv3): the macvlan has 00-00-5E-00-02-{VRID} and the base's link-local (not one
/// made from the shared MAC); the client's neighbour entry for the VIP is that MAC through
/// a failover.
#[test]
fn rfc9568_7_3_ipv6_the_vip_keeps_00_00_5e_00_02_vrid_across_a_failover() {
    const VMAC6: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x02, VRID];
    let vip6: std::net::IpAddr = "2001:db8::1".parse().unwrap();
    let conf = |state: &str, prio: u8| {
        let mut c = Conf::seed(state, prio).v3().vip("2001:db8::1/64");
        c.garp_master_delay = 1;
        c.render().replace("    interface eth1\n", "    interface eth1\n    use_vmac\n")
    };
    let lan = lan("vmac-v6");
    for h in ["a", "b"] {
        assert!(wait_for(LIMIT, || lan.link_local(h).ok().flatten().is_some()).is_some(), "{h}: no link-local");
    }
    let a = start_vrrpd(&lan, "a", &conf("MASTER", 150));
    let b = start_vrrpd(&lan, "b", &conf("BACKUP", 100));
    let ok = wait_for(LIMIT, || {
        a.state() == "MASTER" && b.state() == "BACKUP" && vmac_holds(&lan, "a", vip6) && !vmac_holds(&lan, "b", vip6)
    });
    assert!(ok.is_some(), "IPv6 pair did not settle:\n{}\n{}", a.log(), b.log());
    assert_eq!(mac_of(&lan, "a", "vrrp.200"), Some(VMAC6));
    let ll = lan.link_local("a").unwrap().unwrap();
    let on_vmac = lan.addrs("a", "vrrp.200").unwrap();
    assert!(on_vmac.contains(&(ll.into(), 64)), "base link-local not on the macvlan: {on_vmac:?}");
    assert!(
        !on_vmac.iter().any(|(ip, _)| ip.to_string() == "fe80::200:5eff:fe00:2c8"),
        "a link-local made from the shared MAC: {on_vmac:?}"
    );
    let sees = |lan: &Lan| {
        let _ = lan.exec("client", &["ip", "-6", "neigh", "flush", "dev", "eth1", "to", "2001:db8::1"]);
        let mut mac = None;
        wait_for(Duration::from_secs(5), || {
            lan.ping_once("client", vip6);
            mac = lan.neigh("client", vip6).ok().flatten();
            mac.is_some()
        });
        mac
    };
    assert_eq!(sees(&lan), Some(VMAC6), "a master");
    lan.cut_cable("a").unwrap();
    assert!(wait_for(LIMIT, || b.state() == "MASTER" && vmac_holds(&lan, "b", vip6)).is_some(), "{}", b.log());
    assert_eq!(sees(&lan), Some(VMAC6), "b master");
}

/// The adverts' source MAC is the virtual one (they go out on the macvlan, as keepalived's
/// do with `use_vmac`), or the base interface's with `vmac_xmit_base` (vrrp.c 1407: the
/// base's ifindex for the send); the VIP's MAC at the client is the virtual one either way.
#[test]
fn rfc9568_7_3_adverts_come_from_the_virtual_mac_unless_vmac_xmit_base() {
    for xmit_base in [false, true] {
        let lan = lan(if xmit_base { "vmac-xb" } else { "vmac-adv" });
        let cap = common::capture::Capture::start(&lan, "client");
        let mut conf = vmac_conf("MASTER", 150);
        if xmit_base {
            conf = conf.replace("    use_vmac\n", "    use_vmac\n    vmac_xmit_base\n");
        }
        let a = start_vrrpd(&lan, "a", &conf);
        assert!(wait_for(LIMIT, || a.state() == "MASTER" && vmac_holds(&lan, "a", vip())).is_some(), "{}", a.log());
        let src: std::net::IpAddr = "192.0.2.11".parse().unwrap();
        let advert = cap.advert(src, VRID, common::capture::Capture::mark(), LIMIT, |p| p == 150);
        let want = if xmit_base { lan.mac("a").unwrap() } else { VMAC };
        assert_eq!(advert.src_mac, want, "vmac_xmit_base {xmit_base}");
        assert_eq!(client_sees(&lan), Some(VMAC), "vmac_xmit_base {xmit_base}");
    }
}

/// The client's neighbour entry for `addr` on its second-segment interface, after a ping.
fn client_sees_on_eth2(lan: &Lan, addr: &str) -> Option<[u8; 6]> {
    let mut mac = None;
    wait_for(Duration::from_secs(5), || {
        let _ = lan.exec("client", &["ping", "-c", "1", "-W", "1", addr]);
        let out = lan.exec("client", &["ip", "-j", "neigh", "show", "to", addr, "dev", "eth2"]).ok();
        mac = out.and_then(|o| {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
            let text = v.get(0)?.get("lladdr")?.as_str()?.to_string();
            let bytes: Vec<u8> = text.split(':').filter_map(|b| u8::from_str_radix(b, 16).ok()).collect();
            <[u8; 6]>::try_from(bytes.as_slice()).ok()
        });
        mac.is_some()
    });
    mac
}

/// The interface a macvlan sits on (`ip -d link`'s "link").
fn base_of(lan: &Lan, host: &str, name: &str) -> Option<String> {
    let out = lan.exec(host, &["ip", "-j", "link", "show", "dev", name]).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v.get(0)?.get("link")?.as_str().map(str::to_owned)
}

/// keepalived's `use_vmac_addr` (vrrp.c 3705-3760): an address on another interface
/// (`dev eth2`, the second segment) gets a macvlan of its own there, named as
/// `create_vmac_name` names it (`vrrp1.200`, since the instance's is `vrrp.200`), with the
/// virtual MAC; the client on that segment sees the address at the virtual MAC before and
/// after a failover, and the macvlan goes with vrrpd.
#[test]
fn keepalived_use_vmac_addr_puts_an_address_on_another_interface_on_its_own_macvlan() {
    let lan = lan("vmac-addr");
    lan.add_second_segment(&[("a", "198.18.0.11/24"), ("b", "198.18.0.12/24"), ("client", "198.18.0.100/24")])
        .expect("second segment");
    let conf = |state: &str, prio: u8| {
        vmac_conf(state, prio).replace("    use_vmac\n", "    use_vmac\n    use_vmac_addr\n").replace(
            "    virtual_ipaddress {\n",
            "    virtual_ipaddress_excluded {\n        198.18.0.77/24 dev eth2\n    }\n    virtual_ipaddress {\n",
        )
    };
    let extra: std::net::IpAddr = "198.18.0.77".parse().unwrap();
    let on_vmac = |host: &str| lan.addrs(host, "vrrp1.200").is_ok_and(|a| a.iter().any(|(ip, _)| *ip == extra));
    let mut a = start_vrrpd(&lan, "a", &conf("MASTER", 150));
    let b = start_vrrpd(&lan, "b", &conf("BACKUP", 100));
    assert!(settled(&lan, "a", &a, "b", &b), "pair did not settle:\n{}\n{}", a.log(), b.log());
    assert!(wait_for(LIMIT, || on_vmac("a")).is_some(), "a: 198.18.0.77 not on vrrp1.200\n{}", a.log());
    assert!(!on_vmac("b"), "b holds the address as BACKUP");
    for h in ["a", "b"] {
        assert_eq!(mac_of(&lan, h, "vrrp1.200"), Some(VMAC), "{h}: vrrp1.200 MAC");
        assert_eq!(base_of(&lan, h, "vrrp1.200").as_deref(), Some("eth2"), "{h}: vrrp1.200 sits on eth2");
    }
    assert_eq!(client_sees_on_eth2(&lan, "198.18.0.77"), Some(VMAC), "client on eth2 before the failover");

    assert!(a.terminate().success(), "{}", a.log());
    assert!(wait_for(LIMIT, || on_vmac("b")).is_some(), "b: 198.18.0.77 not taken over\n{}", b.log());
    assert!(!has_link(&lan, "a", "vrrp1.200"), "a: vrrp1.200 left after SIGTERM");
    assert_eq!(client_sees_on_eth2(&lan, "198.18.0.77"), Some(VMAC), "client on eth2 after the failover");
}
