//! Unicast peers (keepalived's `unicast_src_ip` / `unicast_peer`) on a LAN whose switch
//! drops multicast, as clouds and some switches do: the bridge's namespace has an nftables
//! `bridge` table dropping every IPv4 multicast frame and every IPv6 one to ff02::12, so
//! adverts to the VRRP group never arrive and only unicast ones can.
//!
//! - `the_lab_drops_multicast_*`: the control, the same pair with multicast config (IPv4,
//!   IPv6) both become MASTER (so the others converge by unicast only).
//! - `vrrpd_unicast_pair_*`, `vrrpd_ipv6_unicast_pair_*`: a vrrpd pair listing each other.
//! - `keepalived_*` / `vrrpd_*_keepalived_*`: keepalived 2.2.7 and vrrpd, either master,
//!   VRRPv2, VRRPv3 and VRRPv3 over IPv6 (whose checksums sum the peer's address).
//! - `an_unlisted_sender_changes_nothing`: a valid priority-254 advert sent by unicast from
//!   a host neither lists is dropped and counted (`unicast_source_errors`).
//! - `a_reload_that_adds_the_missing_peer_ends_the_split`: the peer list is reloaded.
//! - `keepalived_unicast_ttl_0_both_ways`, `vrrpd_ipv6_unicast_pair_between_global_addresses`:
//!   `unicast_ttl 0` on the wire, and IPv6 unicast from and to global addresses, as
//!   keepalived runs them.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::capture::{Capture, What};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::{require_root, Lan, HOST_IFNAME};
use vrrp_node::net::VrrpSocket;

/// Drops multicast between the bridge's ports (not ARP, not IPv6 neighbour discovery).
/// The table lives in the lab's switch namespace and goes with it.
fn drop_multicast(lan: &Lan) {
    let rules = "table bridge vrrp_rs_no_multicast {\n\
        \tchain forward {\n\
        \t\ttype filter hook forward priority 0; policy accept;\n\
        \t\tip daddr 224.0.0.0/4 counter drop\n\
        \t\tip6 daddr ff02::12 counter drop\n\
        \t}\n\
        }\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_file(dir.path(), "no-multicast.nft", rules);
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", lan.switch_ns(), "nft", "-f"])
        .arg(&file)
        .output()
        .expect("run nft (package nftables)");
    assert!(out.status.success(), "nft: {}", String::from_utf8_lossy(&out.stderr));
}

/// Multicast frames the switch dropped so far.
fn dropped_multicast(lan: &Lan) -> u64 {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", lan.switch_ns(), "nft", "list", "table", "bridge", "vrrp_rs_no_multicast"])
        .output()
        .expect("nft list");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] == "packets")
        .filter_map(|w| w[1].parse::<u64>().ok())
        .sum()
}

fn nft_available(test: &str) -> bool {
    let ok = std::process::Command::new("nft").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED {test}: nft not installed (package nftables)");
    }
    ok
}

/// `conf` with `unicast_src_ip src` and a `unicast_peer` block listing `peers`.
fn unicast(conf: &Conf, src: &str, peers: &[&str]) -> String {
    let mut block = format!("    unicast_src_ip {src}\n    unicast_peer {{\n");
    for p in peers {
        block += &format!("        {p}\n");
    }
    block += "    }\n    virtual_ipaddress {\n";
    conf.render().replacen("    virtual_ipaddress {\n", &block, 1)
}

const A: &str = "192.0.2.11";
const B: &str = "192.0.2.12";

fn unicast_lan(name: &str) -> Lan {
    let lan = lan(name);
    drop_multicast(&lan);
    lan
}

/// Priority 100 at 1 s: Master_Down_Interval 3.609 s.
fn down() -> Duration {
    master_down_interval(100, 100).into()
}

/// The pair is settled: `master` holds the VIP and `backup` does not (a backup may keep
/// it for a release hold while already BACKUP, so this is waited for, then held).
fn settled_on(lan: &Lan, vip: IpAddr, master: &str, backup: &str, what: &str) {
    assert_ne!(master, backup);
    let ok = wait_for(4 * down() + Duration::from_secs(6), || holders(lan, &["a", "b"], vip) == [master]);
    assert!(ok.is_some(), "{what}: never settled on {master}: holders {:?}", holders(lan, &["a", "b"], vip));
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(holders(lan, &["a", "b"], vip), [master], "{what}: not stable");
    }
    assert!(client_reaches(lan, vip), "{what}: client cannot reach the VIP");
}

fn settled(lan: &Lan, master: &str, backup: &str, what: &str) {
    settled_on(lan, vip(), master, backup, what);
}

fn stat(status: &serde_json::Value, key: &str) -> u64 {
    status["instances"][0]["stats"][key].as_u64().unwrap_or(0)
}

/// The control: on this switch, a multicast pair never hears each other and both become
/// MASTER. So in the tests below, hearing each other is unicast's doing.
fn multicast_pair_splits(test: &str, lan_name: &str, hi: Conf, lo: Conf, vip: IpAddr) {
    if !require_root(test) || !nft_available(test) {
        return;
    }
    let lan = unicast_lan(lan_name);
    let a = start_vrrpd(&lan, "a", &hi.render());
    let b = start_vrrpd(&lan, "b", &lo.render());
    let both = wait_for(3 * down() + Duration::from_secs(6), || holders(&lan, &["a", "b"], vip) == ["a", "b"]);
    assert!(
        both.is_some(),
        "the multicast pair did not split: the switch passes multicast\na:\n{}\nb:\n{}",
        a.log(),
        b.log()
    );
    assert_eq!(stat(&b.status_json(), "rcvd_advertisements"), 0, "b heard a multicast advert");
    assert!(dropped_multicast(&lan) > 0, "the switch counted no dropped multicast frame");
}

#[test]
fn the_lab_drops_multicast_a_multicast_pair_splits() {
    let (hi, lo) = (Conf::seed("MASTER", 101), Conf::seed("BACKUP", 100));
    multicast_pair_splits("the_lab_drops_multicast_a_multicast_pair_splits", "ucsplit", hi, lo, vip());
}

#[test]
fn the_lab_drops_multicast_an_ipv6_multicast_pair_splits() {
    let hi = Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64");
    let lo = Conf::seed("BACKUP", 100).v3().vip("2001:db8::1/64");
    multicast_pair_splits("the_lab_drops_multicast_an_ipv6_multicast_pair_splits", "ucsplit6", hi, lo, vip6());
}

#[test]
fn vrrpd_unicast_pair_converges_and_fails_over() {
    let test = "vrrpd_unicast_pair_converges_and_fails_over";
    if !require_root(test) || !nft_available(test) {
        return;
    }
    let lan = unicast_lan("ucpair");
    let mut a = start_vrrpd(&lan, "a", &unicast(&Conf::seed("MASTER", 101), A, &[B]));
    let b = start_vrrpd(&lan, "b", &unicast(&Conf::seed("BACKUP", 100), B, &[A]));
    let logs = |a: &Vrrpd, b: &Vrrpd| format!("a:\n{}\nb:\n{}", a.log(), b.log());
    settled(&lan, "a", "b", &logs(&a, &b));
    assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "{}", logs(&a, &b));
    let s = b.status_json();
    assert_eq!(s["instances"][0]["master_ip"], A, "{s}");
    assert!(stat(&s, "rcvd_advertisements") >= 2, "{s}");
    for key in ["unicast_source_errors", "ip_ttl_errors", "address_list_errors", "auth_failures"] {
        assert_eq!(stat(&s, key), 0, "{key}: {s}");
    }
    assert_eq!(s["router"]["checksum_errors"], 0, "{s}");
    assert_eq!(stat(&a.status_json(), "unicast_source_errors"), 0);

    // Seed failover: a stops; its priority-0 advert (unicast too) hands the VIP to b.
    let status = a.terminate();
    assert!(status.success(), "a exited with {status:?}\n{}", logs(&a, &b));
    let took = wait_for(down() + Duration::from_secs(5), || holds(&lan, "b", vip()));
    assert!(took.is_some(), "b never took over\n{}", logs(&a, &b));
    assert!(!holds(&lan, "a", vip()), "VIP left on the stopped a");
    let s = b.status_json();
    assert_eq!(s["instances"][0]["state"], "MASTER", "{s}");
    assert!(stat(&s, "rcvd_pri_zero_packets") >= 1, "a's goodbye did not arrive by unicast: {s}");
    assert!(client_reaches(&lan, vip()), "client cannot reach the VIP on b");
}

/// The IPv6 VIP of the IPv6 cases.
fn vip6() -> IpAddr {
    "2001:db8::1".parse().unwrap()
}

/// `host`'s link-local address, once it has one (the source and peer address of IPv6
/// unicast adverts, RFC 9568 §5.1.2.1).
fn link_local(lan: &Lan, host: &str) -> String {
    let mut ll = None;
    wait_for(Duration::from_secs(5), || {
        ll = lan.link_local(host).ok().flatten();
        ll.is_some()
    });
    ll.unwrap_or_else(|| panic!("{host} has no link-local address")).to_string()
}

/// `conf` (an IPv6 one) with a `unicast_peer` block listing `peer`; the source is the
/// interface's link-local address.
fn unicast6(conf: &Conf, peer: &str) -> String {
    let block = format!("    unicast_peer {{\n        {peer}\n    }}\n    virtual_ipaddress {{\n");
    conf.render().replacen("    virtual_ipaddress {\n", &block, 1)
}

/// A vrrpd pair, VRRPv3 over IPv6, listing each other's link-local address: converges,
/// and fails over on SIGTERM. The IPv6 checksum sums the destination, so each copy is
/// checksummed for its peer.
#[test]
fn vrrpd_ipv6_unicast_pair_converges_and_fails_over() {
    let test = "vrrpd_ipv6_unicast_pair_converges_and_fails_over";
    if !require_root(test) || !nft_available(test) {
        return;
    }
    let lan = unicast_lan("ucpair6");
    let (lla, llb) = (link_local(&lan, "a"), link_local(&lan, "b"));
    let hi = Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64");
    let lo = Conf::seed("BACKUP", 100).v3().vip("2001:db8::1/64");
    let mut a = start_vrrpd(&lan, "a", &unicast6(&hi, &llb));
    let b = start_vrrpd(&lan, "b", &unicast6(&lo, &lla));
    let logs = |a: &Vrrpd, b: &Vrrpd| format!("a:\n{}\nb:\n{}", a.log(), b.log());
    settled_on(&lan, vip6(), "a", "b", &logs(&a, &b));
    assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "{}", logs(&a, &b));
    let s = b.status_json();
    assert_eq!(s["instances"][0]["master_ip"], lla.as_str(), "{s}");
    assert!(stat(&s, "rcvd_advertisements") >= 2, "{s}");
    assert_eq!(s["router"]["checksum_errors"], 0, "{s}");
    assert_eq!(stat(&s, "unicast_source_errors"), 0, "{s}");
    let status = a.terminate();
    assert!(status.success(), "a exited with {status:?}");
    let took = wait_for(down() + Duration::from_secs(5), || holders(&lan, &["a", "b"], vip6()) == ["b"]);
    assert!(took.is_some(), "b never took over\n{}", logs(&a, &b));
    assert!(stat(&b.status_json(), "rcvd_pri_zero_packets") >= 1);
}

/// keepalived 2.2.7 on one server, vrrpd on the other, both unicast; the master (priority
/// 101) on a; then a stops and b takes over. Version 6 is VRRPv3 over IPv6, peers by
/// link-local address.
fn mixed_pair(test: &str, lan_name: &str, version: u8, keepalived_is_master: bool) {
    if !require_root(test) || !nft_available(test) || !keepalived_available(test) {
        return;
    }
    let lan = unicast_lan(lan_name);
    let ipv6 = version == 6;
    let (hi, lo) = match version {
        2 => (Conf::seed("MASTER", 101), Conf::seed("BACKUP", 100)),
        3 => (Conf::seed("MASTER", 101).v3(), Conf::seed("BACKUP", 100).v3()),
        _ => {
            (Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64"), Conf::seed("BACKUP", 100).v3().vip("2001:db8::1/64"))
        }
    };
    let (lla, llb) = if ipv6 { (link_local(&lan, "a"), link_local(&lan, "b")) } else { (A.into(), B.into()) };
    let (hi, lo) =
        if ipv6 { (unicast6(&hi, &llb), unicast6(&lo, &lla)) } else { (unicast(&hi, A, &[B]), unicast(&lo, B, &[A])) };
    let vip = if ipv6 { vip6() } else { vip() };
    let (mut ka, mut vd, a_is_ka) = if keepalived_is_master {
        let ka = start_keepalived(&lan, "a", &hi);
        (ka, start_vrrpd(&lan, "b", &lo), true)
    } else {
        let vd = start_vrrpd(&lan, "a", &hi);
        (start_keepalived(&lan, "b", &lo), vd, false)
    };
    let logs = |ka: &Keepalived, vd: &Vrrpd| format!("[keepalived]\n{}\n[vrrpd]\n{}", ka.log(), vd.log());
    settled_on(&lan, vip, "a", "b", &logs(&ka, &vd));
    let s = vd.status_json();
    if a_is_ka {
        // vrrpd hears keepalived's unicast adverts, checksums included, and follows them.
        assert!(vd.wait_state("BACKUP", Duration::from_secs(5)), "{}", logs(&ka, &vd));
        assert_eq!(s["instances"][0]["master_ip"], lla.as_str(), "{s}");
        assert!(stat(&s, "rcvd_advertisements") >= 2, "{s}");
        for key in ["unicast_source_errors", "ip_ttl_errors", "address_list_errors", "auth_failures"] {
            assert_eq!(stat(&s, key), 0, "{key}: {s}");
        }
        assert_eq!(s["router"]["checksum_errors"], 0, "{s}");
    } else {
        // keepalived hears vrrpd's: it is BACKUP (it may have been master for a moment
        // at start, before vrrpd's first advert).
        assert_eq!(s["instances"][0]["state"], "MASTER", "{s}");
        let last = ka.log().lines().rfind(|l| l.contains("Entering")).map(str::to_owned);
        assert!(last.as_deref().is_some_and(|l| l.contains("Entering BACKUP STATE")), "{}", logs(&ka, &vd));
        assert!(!ka.log().contains("checksum"), "keepalived complained of a checksum\n{}", logs(&ka, &vd));
    }

    // Failover: the master stops; the other takes the VIP.
    if a_is_ka {
        ka.sigterm();
        assert!(ka.wait_exit(Duration::from_secs(10)).is_some(), "keepalived did not stop");
    } else {
        let status = vd.terminate();
        assert!(status.success(), "vrrpd exited with {status:?}");
    }
    let took = wait_for(down() + Duration::from_secs(6), || holders(&lan, &["a", "b"], vip) == ["b"]);
    assert!(took.is_some(), "b never took over alone: {:?}\n{}", holders(&lan, &["a", "b"], vip), logs(&ka, &vd));
    if a_is_ka {
        let s = vd.status_json();
        assert_eq!(s["instances"][0]["state"], "MASTER", "{s}");
        assert!(stat(&s, "rcvd_pri_zero_packets") >= 1, "keepalived's goodbye did not arrive: {s}");
    } else {
        let last = ka.log().lines().rfind(|l| l.contains("Entering")).map(str::to_owned);
        assert!(last.as_deref().is_some_and(|l| l.contains("Entering MASTER STATE")), "{}", logs(&ka, &vd));
    }
    assert!(client_reaches(&lan, vip), "client cannot reach the VIP on b");
}

#[test]
fn keepalived_v2_unicast_master_vrrpd_backup() {
    mixed_pair("keepalived_v2_unicast_master_vrrpd_backup", "uck2m", 2, true);
}

#[test]
fn vrrpd_v2_unicast_master_keepalived_backup() {
    mixed_pair("vrrpd_v2_unicast_master_keepalived_backup", "uck2b", 2, false);
}

#[test]
fn keepalived_v3_unicast_master_vrrpd_backup() {
    mixed_pair("keepalived_v3_unicast_master_vrrpd_backup", "uck3m", 3, true);
}

#[test]
fn vrrpd_v3_unicast_master_keepalived_backup() {
    mixed_pair("vrrpd_v3_unicast_master_keepalived_backup", "uck3b", 3, false);
}

#[test]
fn keepalived_v3_ipv6_unicast_master_vrrpd_backup() {
    mixed_pair("keepalived_v3_ipv6_unicast_master_vrrpd_backup", "uck6m", 6, true);
}

#[test]
fn vrrpd_v3_ipv6_unicast_master_keepalived_backup() {
    mixed_pair("vrrpd_v3_ipv6_unicast_master_keepalived_backup", "uck6b", 6, false);
}

/// A third host (the client, listed by neither) sends valid VRRPv2 adverts at priority
/// 254 by unicast to both servers, TTL 255: each drops and counts them; a stays MASTER
/// with the VIP, b keeps following a.
#[test]
fn an_unlisted_sender_changes_nothing() {
    let test = "an_unlisted_sender_changes_nothing";
    if !require_root(test) || !nft_available(test) {
        return;
    }
    let lan = unicast_lan("ucrogue");
    let a = start_vrrpd(&lan, "a", &unicast(&Conf::seed("MASTER", 101), A, &[B]));
    let b = start_vrrpd(&lan, "b", &unicast(&Conf::seed("BACKUP", 100), B, &[A]));
    let logs = |a: &Vrrpd, b: &Vrrpd| format!("a:\n{}\nb:\n{}", a.log(), b.log());
    settled(&lan, "a", "b", &logs(&a, &b));
    assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "{}", logs(&a, &b));

    let rogue = v2_advert(200, 254, &[vip()], b"XXXXXX");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let src = IpAddr::from(lan.ipv4("client").unwrap());
    const SENT: u64 = 8;
    rt.block_on(async {
        let sock = lan.run_in("client", || VrrpSocket::open(HOST_IFNAME, src)).expect("netns").expect("raw socket");
        for _ in 0..SENT {
            for dst in [A, B] {
                sock.send_to(&rogue, dst.parse().unwrap()).await.expect("send");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    // Had either listened, a would have stepped down at once (priority 254 > 101) and b
    // followed the client.
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(holders(&lan, &["a", "b"], vip()), ["a"], "{}", logs(&a, &b));
    }
    let (sa, sb) = (a.status_json(), b.status_json());
    assert_eq!(sa["instances"][0]["state"], "MASTER", "{sa}");
    assert_eq!(sb["instances"][0]["master_ip"], A, "{sb}");
    assert_eq!(stat(&sa, "unicast_source_errors"), SENT, "{sa}");
    assert_eq!(stat(&sb, "unicast_source_errors"), SENT, "{sb}");
    assert!(a.log().contains("not one of this instance's unicast peers"), "{}", a.log());
    assert!(client_reaches(&lan, vip()), "client cannot reach the VIP");
}

/// A peer missing from b's list: b drops a's adverts (counted) and both are MASTER; the
/// list fixed and reloaded (SIGHUP), b hears a and steps down without a restart.
#[test]
fn a_reload_that_adds_the_missing_peer_ends_the_split() {
    let test = "a_reload_that_adds_the_missing_peer_ends_the_split";
    if !require_root(test) || !nft_available(test) {
        return;
    }
    let lan = unicast_lan("ucreload");
    let a = start_vrrpd(&lan, "a", &unicast(&Conf::seed("MASTER", 101), A, &[B]));
    let b = start_vrrpd(&lan, "b", &unicast(&Conf::seed("BACKUP", 100), B, &["192.0.2.99"]));
    let logs = |a: &Vrrpd, b: &Vrrpd| format!("a:\n{}\nb:\n{}", a.log(), b.log());
    let split = wait_for(3 * down() + Duration::from_secs(6), || holders(&lan, &["a", "b"], vip()) == ["a", "b"]);
    assert!(split.is_some(), "b should not hear a, which it does not list\n{}", logs(&a, &b));
    let heard = wait_for(Duration::from_secs(5), || stat(&b.status_json(), "unicast_source_errors") >= 2);
    assert!(heard.is_some(), "b did not count a's adverts: {}", b.status_json());

    std::fs::write(b.dir.path().join("keepalived.conf"), unicast(&Conf::seed("BACKUP", 100), B, &[A])).unwrap();
    let pid = nix::unistd::Pid::from_raw(b.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    settled(&lan, "a", "b", &logs(&a, &b));
    let s = b.status_json();
    assert_eq!(s["instances"][0]["state"], "BACKUP", "{s}");
    assert_eq!(s["instances"][0]["master_ip"], A, "{s}");
}

/// vrrp.c 2988 "Cannot use unicast without any peers - going to fault state": keepalived
/// runs such an instance in FAULT for good, and so does vrrpd: it never becomes MASTER,
/// never takes the VIP, and says why in its status and once in its log.
#[test]
fn keepalived_unicast_fault_no_peer_without_peers_stays_fault() {
    let test = "keepalived_unicast_fault_no_peer_without_peers_stays_fault";
    if !require_root(test) {
        return;
    }
    let lan = lan("ucnopeer");
    let text = Conf::seed("MASTER", 150).render().replacen(
        "    virtual_ipaddress {\n",
        &format!("    unicast_src_ip {A}\n    unicast_fault_no_peer\n    virtual_ipaddress {{\n"),
        1,
    );
    let a = start_vrrpd(&lan, "a", &text);
    let fault = wait_for(Duration::from_secs(5), || a.state() == "FAULT");
    assert!(fault.is_some(), "a log:\n{}", a.log());
    // Longer than Master_Down_Interval: a BACKUP would be MASTER by now.
    std::thread::sleep(down() + Duration::from_secs(1));
    let vi = a.status_json()["instances"][0].clone();
    assert_eq!(vi["state"], "FAULT", "{vi}");
    assert!(vi["waiting"].as_str().is_some_and(|w| w.contains("FAULT for good")), "{vi}");
    assert!(!holds(&lan, "a", vip()), "a FAULT instance holds the VIP");
    assert_eq!(a.log().matches("unicast_fault_no_peer and no unicast_peer").count(), 1, "a log:\n{}", a.log());
}

/// `conf` with `unicast_ttl 0` (keepalived sends it: TTL / hop limit 0 on the wire).
fn ttl0(text: String) -> String {
    text.replacen("    unicast_peer {\n", "    unicast_ttl 0\n    unicast_peer {\n", 1)
}

/// The TTLs of the adverts from `src` that `capture` saw.
fn advert_ttls(capture: &Capture, src: IpAddr) -> Vec<u8> {
    capture
        .frames()
        .into_iter()
        .filter_map(|f| match f.what {
            What::Advert { src: s, ttl, .. } if s == src => Some(ttl),
            _ => None,
        })
        .collect()
}

/// keepalived 2.2.7 runs `unicast_ttl 0` (vrrp_parser.c 997 takes 0..=255) and sends TTL 0
/// in its own IPv4 header (vrrp.c 1174); so does vrrpd. First keepalived is MASTER and
/// vrrpd follows its TTL-0 adverts; then keepalived stops, vrrpd takes over, and a
/// keepalived restarted as the lower priority follows vrrpd's TTL-0 adverts.
#[test]
fn keepalived_unicast_ttl_0_both_ways() {
    let test = "keepalived_unicast_ttl_0_both_ways";
    if !require_root(test) || !nft_available(test) || !keepalived_available(test) {
        return;
    }
    let lan = unicast_lan("ucttl0");
    let (on_a, on_b) = (Capture::start(&lan, "a"), Capture::start(&lan, "b"));
    let ka_conf = |state: &str, prio: u8| ttl0(unicast(&Conf::seed(state, prio).v3(), A, &[B]));
    let mut ka = start_keepalived(&lan, "a", &ka_conf("MASTER", 101));
    let vd = start_vrrpd(&lan, "b", &ttl0(unicast(&Conf::seed("BACKUP", 100).v3(), B, &[A])));
    let logs = |ka: &Keepalived, vd: &Vrrpd| format!("[keepalived]\n{}\n[vrrpd]\n{}", ka.log(), vd.log());
    settled(&lan, "a", "b", &logs(&ka, &vd));
    assert!(vd.wait_state("BACKUP", Duration::from_secs(5)), "{}", logs(&ka, &vd));
    let s = vd.status_json();
    assert_eq!(s["instances"][0]["master_ip"], A, "{s}");
    assert_eq!(stat(&s, "ip_ttl_errors"), 0, "{s}");
    let from_ka = advert_ttls(&on_b, A.parse().unwrap());
    assert!(!from_ka.is_empty() && from_ka.iter().all(|&t| t == 0), "keepalived's advert TTLs: {from_ka:?}");

    ka.sigterm();
    assert!(ka.wait_exit(Duration::from_secs(10)).is_some(), "keepalived did not stop");
    let took = wait_for(down() + Duration::from_secs(6), || holders(&lan, &["a", "b"], vip()) == ["b"]);
    assert!(took.is_some(), "vrrpd never took over\n{}", logs(&ka, &vd));
    drop(ka);
    let ka = start_keepalived(&lan, "a", &ka_conf("BACKUP", 50));
    settled(&lan, "b", "a", &logs(&ka, &vd));
    let entered = wait_for(Duration::from_secs(5), || {
        ka.log().lines().rfind(|l| l.contains("Entering")).is_some_and(|l| l.contains("Entering BACKUP STATE"))
    });
    assert!(entered.is_some(), "keepalived does not follow vrrpd's TTL-0 adverts\n{}", logs(&ka, &vd));
    let from_vd = advert_ttls(&on_a, B.parse().unwrap());
    assert!(!from_vd.is_empty() && from_vd.iter().all(|&t| t == 0), "vrrpd's advert TTLs: {from_vd:?}");
}

/// IPv6 unicast between global addresses, as keepalived allows (its receiver does not
/// ask for a link-local source, vrrp.c 2972): `unicast_src_ip` and the peer are the
/// hosts' 2001:db8:: addresses, with `unicast_ttl 0` (hop limit 0 on the wire). The pair
/// converges and fails over on SIGTERM.
#[test]
fn vrrpd_ipv6_unicast_pair_between_global_addresses() {
    let test = "vrrpd_ipv6_unicast_pair_between_global_addresses";
    if !require_root(test) || !nft_available(test) {
        return;
    }
    let lan = unicast_lan("ucglobal6");
    let (ga, gb) = ("2001:db8::11", "2001:db8::12");
    let on_b = Capture::start(&lan, "b");
    let hi = Conf::seed("MASTER", 101).v3().vip("2001:db8::1/64");
    let lo = Conf::seed("BACKUP", 100).v3().vip("2001:db8::1/64");
    let mut a = start_vrrpd(&lan, "a", &ttl0(unicast(&hi, ga, &[gb])));
    let b = start_vrrpd(&lan, "b", &ttl0(unicast(&lo, gb, &[ga])));
    let logs = |a: &Vrrpd, b: &Vrrpd| format!("a:\n{}\nb:\n{}", a.log(), b.log());
    settled_on(&lan, vip6(), "a", "b", &logs(&a, &b));
    assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "{}", logs(&a, &b));
    let s = b.status_json();
    assert_eq!(s["instances"][0]["master_ip"], ga, "{s}");
    for key in ["unicast_source_errors", "source_address_errors", "ip_ttl_errors"] {
        assert_eq!(stat(&s, key), 0, "{key}: {s}");
    }
    assert_eq!(s["router"]["checksum_errors"], 0, "{s}");
    let hops = advert_ttls(&on_b, ga.parse().unwrap());
    assert!(!hops.is_empty() && hops.iter().all(|&h| h == 0), "a's advert hop limits: {hops:?}");
    let status = a.terminate();
    assert!(status.success(), "a exited with {status:?}");
    let took = wait_for(down() + Duration::from_secs(5), || holders(&lan, &["a", "b"], vip6()) == ["b"]);
    assert!(took.is_some(), "b never took over\n{}", logs(&a, &b));
    assert!(stat(&b.status_json(), "rcvd_pri_zero_packets") >= 1);
}
