//! Starting before the network is ready, as a boot does: an instance whose interface does
//! not exist yet, has no IPv4 address, or (down, or still in DAD) no IPv6 link-local
//! address waits, FAULT as keepalived shows it, says why once, and starts when the
//! interface is ready. `vrrpd -t` accepts the file: it checks the file, not the host.

mod common;

use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

use common::*;
use vrrp_lab::require_root;

/// The instance named `name` in `vrrpctl status --json`.
fn instance(d: &Vrrpd, name: &str) -> serde_json::Value {
    let s = d.status_json();
    s["instances"].as_array().and_then(|all| all.iter().find(|i| i["name"] == name).cloned()).unwrap_or_default()
}

fn run(lan: &vrrp_lab::Lan, host: &str, args: &[&str]) {
    let out = lan.exec(host, args).expect("exec");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn ipv6_instance_started_before_its_link_local_exists_waits_fault_then_preempts() {
    let test = "ipv6_instance_started_before_its_link_local_exists_waits_fault_then_preempts";
    if !require_root(test) {
        return;
    }
    let lan = lan("early6");
    let vip6: IpAddr = "2001:db8::1".parse().unwrap();
    let conf_a = Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64").render();
    // a's interface is down: Linux takes its link-local address away until it is up again
    // and has passed DAD, as at boot.
    run(&lan, "a", &["ip", "link", "set", "eth1", "down"]);
    assert_eq!(lan.link_local("a").unwrap(), None);
    let b = start_vrrpd(&lan, "b", &Conf::seed("BACKUP", 100).v3().vip("2001:db8::1/64").render());
    let mut a = start_vrrpd(&lan, "a", &conf_a);
    let waiting = wait_for(Duration::from_secs(10), || instance(&a, "VI")["state"] == "FAULT");
    assert!(waiting.is_some(), "a is not FAULT while waiting; a log:\n{}", a.log());
    assert!(a.running(), "vrrpd exited instead of waiting; log:\n{}", a.log());
    let why = instance(&a, "VI")["waiting"].as_str().unwrap_or_default().to_string();
    assert!(why.ends_with("keepalived.conf:1:15: interface eth1 has no IPv6 link-local address"), "{why}");
    assert_eq!(a.log().matches("waiting for its interface").count(), 1, "said once:\n{}", a.log());
    assert!(
        wait_for(Duration::from_secs(15), || holds(&lan, "b", vip6) && b.state() == "MASTER").is_some(),
        "b never became MASTER alone; b log:\n{}",
        b.log()
    );
    // vrrpd -t checks the file, not the host: it accepts it.
    let t = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .arg("-t")
        .arg("-f")
        .arg(a.socket().with_file_name("keepalived.conf"))
        .output()
        .unwrap();
    assert!(t.status.success(), "vrrpd -t refused it: {}", String::from_utf8_lossy(&t.stderr));

    // The interface comes up; after DAD its link-local exists, the instance starts and, at
    // priority 101 with preemption, takes over from b.
    run(&lan, "a", &["ip", "link", "set", "eth1", "up"]);
    let converged = wait_for(Duration::from_secs(20), || {
        a.state() == "MASTER" && holds(&lan, "a", vip6) && b.state() == "BACKUP" && !holds(&lan, "b", vip6)
    });
    assert!(converged.is_some(), "no convergence once ready; a log:\n{}\nb log:\n{}", a.log(), b.log());
    let vi = instance(&a, "VI");
    assert!(vi.get("waiting").is_none(), "{vi}");
    let a_ll = lan.link_local("a").unwrap().unwrap().to_string();
    assert!(
        wait_for(Duration::from_secs(5), || instance(&b, "VI")["master_ip"] == a_ll.as_str()).is_some(),
        "b does not see a's link-local as master: {}",
        instance(&b, "VI")
    );
    assert!(a.log().contains("(VI) its interface is ready: starting"), "{}", a.log());
    assert!(a.terminate().success(), "a log:\n{}", a.log());
    assert!(!holds(&lan, "a", vip6), "VIP left behind");
}

#[test]
fn instances_on_a_missing_interface_and_an_unaddressed_one_wait_and_start_when_each_is_ready() {
    let test = "instances_on_a_missing_interface_and_an_unaddressed_one_wait_and_start_when_each_is_ready";
    if !require_root(test) {
        return;
    }
    let lan = lan("early4");
    run(&lan, "a", &["ip", "-4", "addr", "flush", "dev", "eth1"]);
    let late = "\nvrrp_instance LATE {\n    state MASTER\n    interface late0\n    virtual_router_id 51\n    priority 150\n    \
                advert_int 1\n    virtual_ipaddress {\n        198.18.0.1/24 dev late0\n    }\n}\n";
    let conf = format!("{}{late}", Conf::seed("MASTER", 101).render());
    let mut a = start_vrrpd(&lan, "a", &conf);
    let both = wait_for(Duration::from_secs(10), || {
        instance(&a, "VI")["state"] == "FAULT" && instance(&a, "LATE")["state"] == "FAULT"
    });
    assert!(both.is_some(), "not both FAULT; status {}\nlog:\n{}", a.status_json(), a.log());
    let why = |name: &str| instance(&a, name)["waiting"].as_str().unwrap_or_default().to_string();
    assert!(
        why("VI").ends_with("keepalived.conf:1:15: interface eth1 has no IPv4 address to send adverts from"),
        "{}",
        why("VI")
    );
    assert!(why("LATE").ends_with("keepalived.conf:17:15: interface late0 does not exist"), "{}", why("LATE"));
    assert_eq!(instance(&a, "LATE")["vips"][0], "198.18.0.1/24");
    let table =
        Command::new(env!("CARGO_BIN_EXE_vrrpctl")).arg("--socket").arg(a.socket()).arg("status").output().unwrap();
    let table = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(table.contains("LATE waits for its interface: "), "{table}");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!holds(&lan, "a", vip()), "a waiting instance took its VIP");

    // The address comes back: VI starts alone and becomes MASTER; LATE still waits.
    run(&lan, "a", &["ip", "addr", "add", "192.0.2.11/24", "dev", "eth1"]);
    let vi = wait_for(Duration::from_secs(15), || a.state() == "MASTER" && holds(&lan, "a", vip()));
    assert!(vi.is_some(), "VI never started; status {}\nlog:\n{}", a.status_json(), a.log());
    assert_eq!(instance(&a, "LATE")["state"], "FAULT");

    // The interface appears (a veth, addressed and up): LATE starts; VI is kept as it is.
    run(&lan, "a", &["ip", "link", "add", "late0", "type", "veth", "peer", "name", "late1"]);
    run(&lan, "a", &["ip", "addr", "add", "198.18.0.11/24", "dev", "late0"]);
    run(&lan, "a", &["ip", "link", "set", "late1", "up"]);
    run(&lan, "a", &["ip", "link", "set", "late0", "up"]);
    let late_vip: IpAddr = "198.18.0.1".parse().unwrap();
    let on_late = || lan.addrs("a", "late0").map(|l| l.iter().any(|(ip, _)| *ip == late_vip)).unwrap_or(false);
    let started = wait_for(Duration::from_secs(20), || instance(&a, "LATE")["state"] == "MASTER" && on_late());
    assert!(started.is_some(), "LATE never started; status {}\nlog:\n{}", a.status_json(), a.log());
    let vi = instance(&a, "VI");
    let masters: Vec<_> = vi["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["to"] == "MASTER")
        .map(|t| t["count"].clone())
        .collect();
    assert_eq!(masters, vec![serde_json::json!(1)], "VI changed state when LATE started: {vi}");
    assert!(holds(&lan, "a", vip()));
    assert!(a.terminate().success(), "log:\n{}", a.log());
    assert!(!holds(&lan, "a", vip()) && !on_late(), "VIPs left behind");
}
