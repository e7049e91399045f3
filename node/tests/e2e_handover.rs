//! Make-before-break on a real LAN: a vrrpd master that leaves on purpose (SIGTERM,
//! `vrrpctl handover`, or preempted by a higher priority) keeps its VIPs until it has
//! heard its successor, so a client pinging the VIP every millisecond (the lab's pinger,
//! which sends whatever the replies) loses nothing. Each move runs at 1 s (v2 and v3) and
//! 10 ms (v3) adverts, over IPv4 and IPv6 (v3), with a vrrpd and with a keepalived
//! successor. Without a successor, a stop still ends: after Master_Down_Interval.

mod common;

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::demo::Pinger;
use vrrp_lab::{require_root, Lan};

/// How the master leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    /// SIGTERM to the master.
    Sigterm,
    /// `vrrpctl handover` on the master.
    Vrrpctl,
    /// A higher-priority router starts and preempts the master.
    Preempt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Successor {
    Vrrpd,
    Keepalived,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    version: u8,
    ipv6: bool,
    /// `advert_int`, seconds.
    advert_int: &'static str,
    how: Move,
    successor: Successor,
}

enum Server {
    Vrrpd(Vrrpd),
    Keepalived(Keepalived),
}

impl Server {
    fn start(lan: &Lan, host: &str, kind: Successor, conf: &Conf) -> Server {
        match kind {
            Successor::Vrrpd => Server::Vrrpd(start_vrrpd(lan, host, &conf.render())),
            Successor::Keepalived => Server::Keepalived(start_keepalived(lan, host, &conf.render())),
        }
    }

    fn log(&self) -> String {
        match self {
            Server::Vrrpd(v) => v.log(),
            Server::Keepalived(k) => k.log(),
        }
    }
}

fn conf(case: &Case, state: &str, priority: u8) -> Conf {
    let mut c = Conf::seed(state, priority);
    if case.version == 3 {
        c = c.v3();
    }
    c = c.advert_int(case.advert_int);
    if case.ipv6 {
        c = c.vip("2001:db8::1/64");
    }
    c
}

fn vip_of(case: &Case) -> IpAddr {
    if case.ipv6 {
        "2001:db8::1".parse().unwrap()
    } else {
        vip()
    }
}

fn vrrpctl(v: &Vrrpd, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpctl"))
        .arg("--socket")
        .arg(v.socket())
        .args(args)
        .output()
        .expect("run vrrpctl")
}

/// Pings an IPv6 move to a keepalived successor may lose. keepalived sends its unsolicited
/// NA as soon as it has added the address, before Linux has finished it (the kernel does
/// that in deferred work); the client follows the NA at once and its first requests reach
/// a host that still drops them (1 to 19 seen, in about one run in three). vrrpd announces
/// a new IPv6 VIP only once the kernel reports it (RTM_NEWADDR), so with a vrrpd successor
/// the bound is 0, as over IPv4. The bound keeps the keepalived cases meaningful against
/// an RFC-faithful stop, which loses Skew_Time (about 610 at 1 s).
const IPV6_LOSS_BOUND: u64 = 50;

fn run(test: &str, case: Case) {
    if !require_root(test) || (case.successor == Successor::Keepalived && !keepalived_available(test)) {
        return;
    }
    let lan = lan(&format!("ho{}", short(test)));
    let vip = vip_of(&case);
    let interval_cs = (case.advert_int.parse::<f64>().unwrap() * 100.0).round() as u16;
    let mdi: Duration = master_down_interval(100, interval_cs).into();
    // The leaving master is vrrpd on a; the successor on b. For a preemption a starts alone
    // at priority 100 and b comes later at 200; otherwise a is 200 and b 100.
    let a_priority = if case.how == Move::Preempt { 100 } else { 200 };
    let mut a = start_vrrpd(&lan, "a", &conf(&case, "MASTER", a_priority).render());
    let b_conf = conf(&case, "BACKUP", if case.how == Move::Preempt { 200 } else { 100 });
    let mut b = (case.how != Move::Preempt).then(|| Server::start(&lan, "b", case.successor, &b_conf));
    let blog = |b: &Option<Server>| b.as_ref().map(Server::log).unwrap_or_default();
    let settled = wait_for(mdi * 3 + Duration::from_secs(10), || {
        holds(&lan, "a", vip) && a.state() == "MASTER" && !holds(&lan, "b", vip)
    });
    assert!(settled.is_some(), "a never settled as master; a log:\n{}\nb log:\n{}", a.log(), blog(&b));
    // Let the backup follow a few adverts, and the client learn the VIP's address.
    std::thread::sleep(mdi);
    assert!(wait_for(Duration::from_secs(5), || lan.ping_once("client", vip)).is_some(), "client cannot ping {vip}");
    let pinger = Pinger::start(&lan, "client", vip, Duration::from_millis(1)).expect("pinger");
    assert!(wait_for(Duration::from_secs(5), || pinger.replies() > 50).is_some(), "the pinger gets no replies");
    let from = Instant::now();
    match case.how {
        Move::Sigterm => a.sigterm(),
        Move::Vrrpctl => {
            let out = vrrpctl(&a, &["handover"]);
            assert!(out.status.success(), "vrrpctl handover: {}", String::from_utf8_lossy(&out.stderr));
            assert!(String::from_utf8_lossy(&out.stdout).contains("VI: handing over"), "{out:?}");
        }
        Move::Preempt => b = Some(Server::start(&lan, "b", case.successor, &b_conf)),
    }
    // A loose wait for the move to finish (not a measurement): b holds the VIP, a has let
    // go of it. The pinger keeps going a little longer for the replies in flight.
    let moved = wait_for(mdi * 3 + Duration::from_secs(10), || holds(&lan, "b", vip) && !holds(&lan, "a", vip));
    assert!(moved.is_some(), "the VIP did not move; a log:\n{}\nb log:\n{}", a.log(), blog(&b));
    std::thread::sleep(Duration::from_millis(500));
    let outage = pinger.outage(from, Instant::now());
    pinger.stop();
    println!("{test}: {case:?}: {outage:?}");
    assert!(outage.sent > 100, "the pinger hardly sent: {outage:?}");
    let allowed = if case.ipv6 && case.successor == Successor::Keepalived { IPV6_LOSS_BOUND } else { 0 };
    assert!(
        outage.lost <= allowed,
        "{case:?}: {} pings lost across the move (at most {allowed}; longest gap {:?}); a log:\n{}\nb log:\n{}",
        outage.lost,
        outage.longest_gap,
        a.log(),
        blog(&b)
    );
    match case.how {
        Move::Sigterm => {
            let status = a.wait_exit(Duration::from_secs(5)).unwrap_or_else(|| panic!("a did not exit:\n{}", a.log()));
            assert!(status.success(), "a exited with {status}:\n{}", a.log());
            assert!(!holds(&lan, "a", vip), "VIP left on the stopped server");
        }
        // a stays BACKUP under the lower-priority successor: a handover is not undone by
        // preemption. Only judged at 1 s: at 10 ms a loaded machine may hold b's adverts
        // back for a Master_Down_Interval (36 ms), and a then rightly takes over.
        Move::Vrrpctl if interval_cs >= 100 => {
            std::thread::sleep(mdi * 2);
            assert_eq!(a.state(), "BACKUP", "a log:\n{}", a.log());
            assert!(holds(&lan, "b", vip) && !holds(&lan, "a", vip));
        }
        Move::Preempt => assert_eq!(a.state(), "BACKUP", "a log:\n{}", a.log()),
        Move::Vrrpctl => {}
    }
}

/// A short namespace tag from the test name (the lab adds its own unique suffix).
fn short(test: &str) -> String {
    let digest = test.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("{digest:08x}")
}

macro_rules! cases {
    ($($name:ident: $version:expr, $ipv6:expr, $int:expr, $how:ident, $succ:ident;)*) => {$(
        #[test]
        fn $name() {
            run(
                stringify!($name),
                Case { version: $version, ipv6: $ipv6, advert_int: $int, how: Move::$how, successor: Successor::$succ },
            );
        }
    )*};
}

cases! {
    handover_sigterm_v2_1s_vrrpd: 2, false, "1", Sigterm, Vrrpd;
    handover_sigterm_v2_1s_keepalived: 2, false, "1", Sigterm, Keepalived;
    handover_vrrpctl_v2_1s_vrrpd: 2, false, "1", Vrrpctl, Vrrpd;
    handover_vrrpctl_v2_1s_keepalived: 2, false, "1", Vrrpctl, Keepalived;
    handover_preempt_v2_1s_vrrpd: 2, false, "1", Preempt, Vrrpd;
    handover_preempt_v2_1s_keepalived: 2, false, "1", Preempt, Keepalived;
    handover_sigterm_v3_10ms_vrrpd: 3, false, "0.01", Sigterm, Vrrpd;
    handover_sigterm_v3_10ms_keepalived: 3, false, "0.01", Sigterm, Keepalived;
    handover_vrrpctl_v3_10ms_vrrpd: 3, false, "0.01", Vrrpctl, Vrrpd;
    handover_vrrpctl_v3_10ms_keepalived: 3, false, "0.01", Vrrpctl, Keepalived;
    handover_preempt_v3_10ms_vrrpd: 3, false, "0.01", Preempt, Vrrpd;
    handover_preempt_v3_10ms_keepalived: 3, false, "0.01", Preempt, Keepalived;
    handover_sigterm_v3_ipv6_1s_vrrpd: 3, true, "1", Sigterm, Vrrpd;
    handover_sigterm_v3_ipv6_1s_keepalived: 3, true, "1", Sigterm, Keepalived;
    handover_vrrpctl_v3_ipv6_1s_vrrpd: 3, true, "1", Vrrpctl, Vrrpd;
    handover_vrrpctl_v3_ipv6_1s_keepalived: 3, true, "1", Vrrpctl, Keepalived;
    handover_preempt_v3_ipv6_1s_vrrpd: 3, true, "1", Preempt, Vrrpd;
    handover_preempt_v3_ipv6_1s_keepalived: 3, true, "1", Preempt, Keepalived;
    handover_sigterm_v3_ipv6_10ms_vrrpd: 3, true, "0.01", Sigterm, Vrrpd;
    handover_sigterm_v3_ipv6_10ms_keepalived: 3, true, "0.01", Sigterm, Keepalived;
    handover_vrrpctl_v3_ipv6_10ms_vrrpd: 3, true, "0.01", Vrrpctl, Vrrpd;
    handover_vrrpctl_v3_ipv6_10ms_keepalived: 3, true, "0.01", Vrrpctl, Keepalived;
    handover_preempt_v3_ipv6_10ms_vrrpd: 3, true, "0.01", Preempt, Vrrpd;
    handover_preempt_v3_ipv6_10ms_keepalived: 3, true, "0.01", Preempt, Keepalived;
}

/// With no one to take over, a SIGTERM still ends: the VIPs go after the longest
/// Master_Down_Interval a backup may wait (priority 1: 4 s here), and vrrpd exits 0 with
/// nothing left behind.
#[test]
fn handover_sigterm_without_successor_releases_after_master_down_interval() {
    let test = "handover_sigterm_without_successor_releases_after_master_down_interval";
    if !require_root(test) {
        return;
    }
    let lan = lan("holone");
    let mut a = start_vrrpd(&lan, "a", &seed_config("MASTER", 200));
    assert!(wait_for(Duration::from_secs(10), || holds(&lan, "a", vip())).is_some(), "{}", a.log());
    a.sigterm();
    let mdi: Duration = master_down_interval(1, 100).into();
    let status = a.wait_exit(mdi + Duration::from_secs(10)).unwrap_or_else(|| panic!("a did not exit:\n{}", a.log()));
    assert!(status.success(), "{}", a.log());
    assert!(!holds(&lan, "a", vip()));
    assert!(a.log().contains("VIPs kept until each successor is heard"), "{}", a.log());
    // A second SIGTERM does not wait.
    let mut a = start_vrrpd(&lan, "a", &seed_config("MASTER", 200));
    assert!(wait_for(Duration::from_secs(10), || holds(&lan, "a", vip())).is_some(), "{}", a.log());
    a.sigterm();
    std::thread::sleep(Duration::from_millis(300));
    a.sigterm();
    let status = a.wait_exit(Duration::from_secs(3)).unwrap_or_else(|| panic!("a ignored a second SIGTERM"));
    assert!(status.success());
    assert!(a.log().contains("SIGTERM again: stopping now"), "{}", a.log());
    assert!(!holds(&lan, "a", vip()));
}

/// `vrrpctl handover` names what it refuses: an unknown instance, a backup.
#[test]
fn handover_vrrpctl_refuses_an_unknown_instance_or_a_backup() {
    let test = "handover_vrrpctl_refuses_an_unknown_instance_or_a_backup";
    if !require_root(test) {
        return;
    }
    let lan = lan("horefuse");
    let b = start_vrrpd(&lan, "b", &seed_config("BACKUP", 100));
    assert!(b.wait_state("BACKUP", Duration::from_secs(10)), "{}", b.log());
    let out = vrrpctl(&b, &["handover", "VI"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VI is BACKUP, not MASTER: only a master hands over"), "{err}");
    let out = vrrpctl(&b, &["handover", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("vrrpd has no instance nope (it has: VI)"), "{out:?}");
    let out = vrrpctl(&b, &["handover"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no instance is MASTER"), "{out:?}");
    assert_eq!(b.state(), "BACKUP");
}
