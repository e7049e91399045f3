//! `virtual_routes` and `virtual_rules` follow the VIPs: installed on the MASTER only,
//! removed when it leaves MASTER and at exit, marked `proto keepalived` (18) as keepalived
//! marks them, and a route somebody else installed to the same destination is left
//! alone. keepalived 2.2.7, run with the same file on the same host, installs the same
//! routes and rules (compared as `ip` lists them).

mod common;

use std::time::Duration;

use common::capture::{Capture, Handover, EARLY, LATE};
use common::track::{Daemon, Kind, TrackConf};
use common::*;
use vrrp_core::timers::skew_time;
use vrrp_lab::{require_root, Lan};

const ROUTES: &str = "virtual_routes {
    198.18.5.0/24 via 192.0.2.254 dev eth1 table 100 metric 7
    src 192.0.2.1 198.18.6.0/24 dev eth1
    blackhole 198.18.7.0/24
    2001:db8:5::/48 via 2001:db8::fe dev eth1
}
virtual_rules {
    from 192.0.2.1/32 table 100 priority 100
    to 198.18.8.0/24 lookup main priority 101
    from 2001:db8::1/128 table 100 priority 102
}";

fn conf(state: &str, priority: u8) -> String {
    TrackConf::new(Conf::seed(state, priority)).instance(ROUTES).render()
}

fn lines(lan: &Lan, host: &str, args: &[&str]) -> Vec<String> {
    let out = lan.exec(host, args).expect("exec ip");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_owned()).collect();
    v.sort();
    v
}

/// The routes (both families, every table) and rules marked `proto keepalived` on `host`.
fn installed(lan: &Lan, host: &str) -> Vec<String> {
    let mut all = Vec::new();
    for family in ["-4", "-6"] {
        all.extend(lines(lan, host, &["ip", family, "route", "show", "table", "all", "proto", "keepalived"]));
        all.extend(
            lines(lan, host, &["ip", family, "rule", "show"]).into_iter().filter(|l| l.contains("proto keepalived")),
        );
    }
    all
}

fn settled(lan: &Lan, a: &Vrrpd, b: &Vrrpd) -> bool {
    a.state() == "MASTER" && holds(lan, "a", vip()) && b.state() == "BACKUP" && !holds(lan, "b", vip())
}

#[test]
fn virtual_routes_and_rules_follow_mastership_and_leave_others_alone() {
    if !require_root("virtual_routes_and_rules_follow_mastership_and_leave_others_alone") {
        return;
    }
    let lan = lan("vroutes");
    // Somebody else's route to one of our destinations, on b: it must survive b.
    let theirs = ["ip", "route", "add", "198.18.7.0/24", "dev", "eth1", "proto", "static"];
    assert!(lan.exec("b", &theirs).unwrap().status.success());
    let mut a = start_vrrpd(&lan, "a", &conf("MASTER", 101));
    let mut b = start_vrrpd(&lan, "b", &conf("BACKUP", 100));
    assert!(wait_for(Duration::from_secs(15), || settled(&lan, &a, &b)).is_some(), "a log:\n{}", a.log());
    let on_a = installed(&lan, "a");
    assert_eq!(on_a.len(), 7, "4 routes and 3 rules on the master: {on_a:#?}\na log:\n{}", a.log());
    // (`ip route show proto keepalived` lists only those, without saying so on each line.)
    for needle in [
        "198.18.5.0/24 via 192.0.2.254 dev eth1 table 100 metric 7",
        "198.18.6.0/24 dev eth1 src 192.0.2.1",
        "blackhole 198.18.7.0/24",
        "2001:db8:5::/48 via 2001:db8::fe dev eth1",
        "100:\tfrom 192.0.2.1 lookup 100 proto keepalived",
        "101:\tfrom all to 198.18.8.0/24 lookup main proto keepalived",
        "102:\tfrom 2001:db8::1 lookup 100 proto keepalived",
    ] {
        assert!(on_a.iter().any(|l| l.starts_with(needle)), "{needle:?} not in {on_a:#?}");
    }
    assert!(installed(&lan, "b").is_empty(), "the backup installed routes: {:#?}", installed(&lan, "b"));

    // a stops: b is MASTER with every route and rule (its blackhole in front of the
    // static route), a has none left.
    assert!(a.terminate().success());
    assert!(installed(&lan, "a").is_empty(), "left on a after exit: {:#?}", installed(&lan, "a"));
    let moved = wait_for(Duration::from_secs(10), || installed(&lan, "b").len() == 7);
    assert!(moved.is_some(), "b: {:#?}\nb log:\n{}", installed(&lan, "b"), b.log());
    assert!(b.terminate().success());
    assert!(installed(&lan, "b").is_empty(), "left on b after exit: {:#?}", installed(&lan, "b"));
    let kept = lines(&lan, "b", &["ip", "route", "show", "198.18.7.0/24"]);
    assert_eq!(kept, ["198.18.7.0/24 dev eth1 proto static scope link"], "somebody else's route was touched");
}

/// A vrrpd killed while MASTER leaves its routes and rules; the next start removes them
/// (a backup must not keep them), as it removes stale VIPs.
#[test]
fn routes_and_rules_left_by_a_killed_vrrpd_are_removed_at_start() {
    if !require_root("routes_and_rules_left_by_a_killed_vrrpd_are_removed_at_start") {
        return;
    }
    let lan = lan("vrstale");
    let a = start_vrrpd(&lan, "a", &conf("MASTER", 101));
    assert!(wait_for(Duration::from_secs(10), || installed(&lan, "a").len() == 7).is_some(), "{}", a.log());
    drop(a); // SIGKILL
    assert_eq!(installed(&lan, "a").len(), 7, "SIGKILL removed them?");
    // A peer is MASTER now: the restarted a is BACKUP and must hold nothing.
    let b = start_vrrpd(&lan, "b", &conf("MASTER", 150));
    assert!(wait_for(Duration::from_secs(10), || b.state() == "MASTER").is_some(), "{}", b.log());
    let a = start_vrrpd(&lan, "a", &conf("BACKUP", 101));
    let cleaned = wait_for(Duration::from_secs(5), || installed(&lan, "a").is_empty());
    assert!(cleaned.is_some(), "{:#?}\na log:\n{}", installed(&lan, "a"), a.log());
    assert!(a.log().contains("removed stale route 198.18.5.0/24"), "a log:\n{}", a.log());
    assert!(a.log().contains("removed stale rule"), "a log:\n{}", a.log());
}

/// keepalived 2.2.7 with the same file, alone on the same host, installs the same routes
/// and rules as vrrpd does.
#[test]
fn keepalived_installs_the_same_routes_and_rules() {
    let test = "keepalived_installs_the_same_routes_and_rules";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let lan = lan("vrkeep");
    let text = conf("MASTER", 101);
    let mut k = start_keepalived(&lan, "a", &text);
    let theirs = wait_for(Duration::from_secs(15), || installed(&lan, "a").len() == 7).map(|_| installed(&lan, "a"));
    let theirs = theirs.unwrap_or_else(|| panic!("keepalived: {:#?}\n{}", installed(&lan, "a"), k.log()));
    k.sigterm();
    assert!(k.wait_exit(Duration::from_secs(10)).is_some(), "keepalived did not stop:\n{}", k.log());
    assert!(wait_for(Duration::from_secs(10), || installed(&lan, "a").is_empty()).is_some(), "keepalived left them");
    let mut v = start_vrrpd(&lan, "a", &text);
    let ours = wait_for(Duration::from_secs(15), || installed(&lan, "a").len() == 7).map(|_| installed(&lan, "a"));
    let ours = ours.unwrap_or_else(|| panic!("vrrpd: {:#?}\n{}", installed(&lan, "a"), v.log()));
    assert_eq!(ours, theirs, "vrrpd and keepalived differ");
    assert!(v.terminate().success());
}

/// keepalived_netlink.c `netlink_route_filter` / `netlink_rule_filter`: a tracked route or
/// rule somebody else removes makes the MASTER step down as a removed VIP does (priority 0,
/// BACKUP for Skew_Time, MASTER again with everything back); a `no_track` one (here the
/// blackhole, which has no `dev`) is left alone. vrrpd and keepalived 2.2.7 alike.
fn removed_route_or_rule_steps_down(kind: Kind, test: &str) {
    if !require_root(test) || (kind == Kind::Keepalived && !keepalived_available(test)) {
        return;
    }
    let lan = lan(&format!("vrgone{}", &kind.name()[..1]));
    let cap = Capture::start(&lan, "client");
    let a = Daemon::start(&lan, "a", kind, &conf("MASTER", 200));
    let b = start_vrrpd(&lan, "b", &conf("BACKUP", 100));
    let up = wait_for(Duration::from_secs(15), || {
        holds(&lan, "a", vip()) && installed(&lan, "a").len() == 7 && b.state() == "BACKUP" && !holds(&lan, "b", vip())
    });
    assert!(up.is_some(), "{}\nb log:\n{}", a.log(), b.log());
    let skew: Duration = skew_time(200, 100).into();
    let src = lan.ipv4("a").unwrap().into();
    for del in
        [&["ip", "route", "del", "198.18.5.0/24", "table", "100"][..], &["ip", "rule", "del", "priority", "100"][..]]
    {
        let removed = Capture::mark();
        assert!(lan.exec("a", del).unwrap().status.success(), "{del:?}");
        let back = cap.goodbye_takeover(Handover::seed(&lan, "a", "a"), removed, Duration::from_secs(5));
        println!("{}: {del:?}: MASTER again {:?} after its priority 0", kind.name(), back.advert_after());
        back.assert_within(skew, EARLY, LATE, &format!("{del:?}\n{}\nb log:\n{}\n{}", a.log(), b.log(), cap.summary()));
        let restored = wait_for(Duration::from_secs(3), || installed(&lan, "a").len() == 7);
        assert!(restored.is_some(), "{del:?}: {:#?}\n{}", installed(&lan, "a"), a.log());
    }
    // The untracked blackhole: removed, nothing happens, it stays away.
    let removed = Capture::mark();
    assert!(lan.exec("a", &["ip", "route", "del", "blackhole", "198.18.7.0/24"]).unwrap().status.success());
    std::thread::sleep(Duration::from_secs(2));
    let goodbyes = cap.all_between(removed, Capture::mark(), |f| f.advert_priority(src, 200) == Some(0));
    assert!(goodbyes.is_empty(), "a stepped down for an untracked route\n{}", cap.summary());
    assert_eq!(installed(&lan, "a").len(), 6);
    let masters = b.status_json()["instances"][0]["transitions"]
        .as_array()
        .map(|t| t.iter().filter(|t| t["to"] == "MASTER").count())
        .unwrap_or(usize::MAX);
    assert_eq!(masters, 0, "b became MASTER\nb log:\n{}", b.log());
    if let Daemon::Vrrpd(a) = &a {
        assert_eq!(a.status_json()["instances"][0]["stats"]["vips_removed"], 2);
        assert!(a.log().contains("route 198.18.5.0/24 ("), "{}", a.log());
        assert!(a.log().contains("was removed by someone else: leaving MASTER"), "{}", a.log());
    }
}

#[test]
fn keepalived_a_removed_route_or_rule_makes_vrrpd_step_down_for_skew_time() {
    removed_route_or_rule_steps_down(
        Kind::Vrrpd,
        "keepalived_a_removed_route_or_rule_makes_vrrpd_step_down_for_skew_time",
    );
}

#[test]
fn keepalived_a_removed_route_or_rule_makes_keepalived_step_down_too() {
    removed_route_or_rule_steps_down(
        Kind::Keepalived,
        "keepalived_a_removed_route_or_rule_makes_keepalived_step_down_too",
    );
}
