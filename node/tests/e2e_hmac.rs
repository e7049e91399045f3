//! keepalived 2.4 `auth_hmac` on the LAN (issue 12 item 5): with the trailer enforced, the
//! takeover of `e2e_hijack` (a priority-255 advert from a host without the key) fails, a
//! captured genuine advert replayed after its master went silent does not hold the backup
//! back, and the three-sweep rollout receive-only → permissive → enforce loses no advert
//! and makes the backup take over at no point.
//!
//! Multicast only: vrrpd has no unicast yet. The core already takes the replay mark to
//! use as a parameter (`HmacState::verify`), so unicast peers only have to pass theirs.

mod common;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use vrrp_core::wire::hmac::{HmacConfig, HmacKey, HmacMode, TRAILER_LEN};
use vrrp_core::wire::{Version, GROUP_V4};
use vrrp_core::InstanceConfig;
use vrrp_lab::{require_root, Lan, HOST_IFNAME};
use vrrp_node::auth_hmac::SYSTEM;
use vrrp_node::net::VrrpSocket;

const KEY: &str = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const VRID: u8 = 200;

/// A v2 seed-like instance with `auth_hmac` in `mode` (`None`: no `auth_hmac` block) and
/// the key read from `file:vrrp.key` beside the config.
fn config(state: &str, priority: u8, advert_int: u8, mode: Option<HmacMode>) -> String {
    let hmac = match mode {
        Some(m) => format!(
            "    auth_hmac {{\n        key 1 file:vrrp.key\n        active_key 1\n        mode {}\n    }}\n",
            m.as_str()
        ),
        None => String::new(),
    };
    format!(
        "vrrp_instance VI {{\n    state {state}\n    interface eth1\n    garp_master_delay 5\n    virtual_router_id {VRID}\n    priority {priority}\n    advert_int {advert_int}\n{hmac}    virtual_ipaddress {{\n        192.0.2.1/24 dev eth1\n    }}\n}}\n"
    )
}

fn start(lan: &Lan, host: &str, config: &str) -> Vrrpd {
    let dir = tempfile::tempdir().expect("tempdir");
    write_file(dir.path(), "vrrp.key", &format!("{KEY}\n"));
    std::fs::set_permissions(dir.path().join("vrrp.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    start_vrrpd_with(lan, host, config, dir, "vrrpd.sock", |_| {})
}

fn stats(status: &Value) -> &Value {
    &status["instances"][0]["stats"]
}

fn counter(status: &Value, key: &str) -> u64 {
    stats(status)[key].as_u64().unwrap_or_else(|| panic!("no counter {key} in {status}"))
}

/// What a LAN host without the key sends: VRRPv2 for our VRID and VIP at `priority`,
/// unsigned (`key` `None`) or signed with `key` under id 1.
fn forged(src: IpAddr, priority: u8, key: Option<&[u8]>) -> Vec<u8> {
    let mut c = InstanceConfig::new(1, VRID, Version::V2, src);
    c.priority = 254;
    c.vips.push(vip()).unwrap();
    c.hmac = key.map(|k| HmacConfig::new(&SYSTEM, HmacKey::new(1, k).unwrap(), 5));
    let inst = vrrp_core::Instance::new(c).unwrap();
    let mut buf = [0u8; 128];
    let n = inst.write_advert(priority, &mut buf).unwrap();
    buf[..n].to_vec()
}

/// Sends `packets` as VRRP from `host`'s eth1 with source `src` (which `host` must hold).
fn send_from(lan: &Lan, host: &str, src: IpAddr, packets: &[Vec<u8>]) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let sock = lan.run_in(host, || VrrpSocket::open(HOST_IFNAME, src)).expect("netns").expect("raw socket");
        for bytes in packets {
            sock.send_with_ttl(bytes, GROUP_V4.into(), 255).await.expect("send");
        }
    });
}

/// Adverts as received: when, and the VRRP payload.
type Received = Arc<Mutex<Vec<(Instant, Vec<u8>)>>>;

/// Records the VRRP payloads `host` receives from `from`, on a thread, until dropped.
struct Recorder {
    got: Received,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Recorder {
    fn start(lan: &Lan, host: &str, from: IpAddr) -> Recorder {
        let own = IpAddr::from(lan.ipv4(host).expect("address"));
        let sock = lan.run_in(host, || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let sock = rt.block_on(async { VrrpSocket::open(HOST_IFNAME, own) });
            (rt, sock)
        });
        let (rt, sock) = sock.expect("netns");
        let sock = sock.expect("raw socket");
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (got, stop) = (got.clone(), stop.clone());
            std::thread::spawn(move || {
                rt.block_on(async {
                    let mut buf = [0u8; 2048];
                    while !stop.load(Ordering::Relaxed) {
                        let rx = tokio::time::timeout(Duration::from_millis(100), sock.recv(&mut buf)).await;
                        if let Ok(Ok(rx)) = rx {
                            if rx.src == from {
                                got.lock().unwrap().push((Instant::now(), buf[rx.payload].to_vec()));
                            }
                        }
                    }
                })
            })
        };
        Recorder { got, stop, thread: Some(thread) }
    }

    fn since(&self, t: Instant) -> Vec<Vec<u8>> {
        self.got.lock().unwrap().iter().filter(|(at, _)| *at >= t).map(|(_, b)| b.clone()).collect()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn a_addr() -> IpAddr {
    "192.0.2.11".parse().unwrap()
}

/// Issue 12 item 4's hijack with `auth_hmac` enforced: a priority-255 advert from a LAN host
/// without the key, unsigned or signed with a guessed key, changes nothing.
#[test]
fn a_forged_priority_255_takeover_without_the_key_fails() {
    let test = "a_forged_priority_255_takeover_without_the_key_fails";
    if !require_root(test) {
        return;
    }
    let lan = lan("hmac-hijack");
    let a = start(&lan, "a", &config("MASTER", 101, 1, Some(HmacMode::Enforce)));
    assert!(a.wait_state("MASTER", Duration::from_secs(10)), "a never became MASTER; log:\n{}", a.log());
    let spoofer: IpAddr = "192.0.2.100".parse().unwrap();
    let unsigned = forged(spoofer, 255, None);
    let guessed = forged(spoofer, 255, Some(&[0x5a; 32]));
    assert_eq!(guessed.len(), unsigned.len() + TRAILER_LEN);
    for _ in 0..4 {
        send_from(&lan, "client", spoofer, &[unsigned.clone(), guessed.clone()]);
        std::thread::sleep(Duration::from_millis(700));
        let status = a.status_json();
        assert_eq!(status["instances"][0]["state"], "MASTER", "a stepped down; status: {status}\nlog:\n{}", a.log());
    }
    let status = a.status_json();
    assert_eq!(counter(&status, "auth_ext_missing"), 4, "status: {status}");
    assert_eq!(counter(&status, "auth_ext_invalid_hmac"), 4, "status: {status}");
    assert_eq!(counter(&status, "master_changes"), 0, "status: {status}");
    assert_eq!(status["instances"][0]["distinct_masters"], 1, "status: {status}");
    assert_eq!(status["instances"][0]["master_ip"], "192.0.2.11", "status: {status}");
    assert!(holds(&lan, "a", vip()), "a lost the VIP");
    let log = a.log();
    assert!(log.contains("auth_hmac: invalid authentication HMAC"), "no WARN for the forged advert:\n{log}");
    assert!(log.contains("auth_hmac: missing authentication trailer"), "no WARN for the unsigned advert:\n{log}");
}

/// A genuine advert captured on the LAN and replayed once its master has gone silent (from
/// the master's own address) must not keep the backup from taking over.
#[test]
fn a_replayed_genuine_advert_does_not_hold_the_backup_back() {
    let test = "a_replayed_genuine_advert_does_not_hold_the_backup_back";
    if !require_root(test) {
        return;
    }
    let lan = lan("hmac-replay");
    let rec = Recorder::start(&lan, "client", a_addr());
    let recording = Instant::now();
    let a = start(&lan, "a", &config("MASTER", 101, 1, Some(HmacMode::Enforce)));
    assert!(a.wait_state("MASTER", Duration::from_secs(10)), "a never became MASTER; log:\n{}", a.log());
    let b = start(&lan, "b", &config("BACKUP", 100, 1, Some(HmacMode::Enforce)));
    assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "b not BACKUP; log:\n{}", b.log());
    assert!(wait_for(Duration::from_secs(5), || rec.since(recording).len() >= 3).is_some(), "no adverts from a");
    let captured = rec.since(recording);
    assert!(captured.iter().all(|p| p.len() == 20 + TRAILER_LEN), "a's adverts carry the trailer");

    // a freezes (no priority-0 goodbye); the attacker takes a's address and replays.
    let pid = nix::unistd::Pid::from_raw(a.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).expect("SIGSTOP a");
    std::thread::sleep(Duration::from_millis(100));
    let heard = counter(&b.status_json(), "rcvd_advertisements");
    assert!(heard >= 1, "b heard a's signed adverts");
    lan.exec("client", &["ip", "addr", "add", "192.0.2.11/32", "dev", "eth1"]).expect("take a's address");
    let frozen = Instant::now();
    let mut took_over = None;
    while frozen.elapsed() < Duration::from_secs(8) {
        send_from(&lan, "client", a_addr(), &captured);
        if b.state() == "MASTER" {
            took_over = Some(frozen.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = b.status_json();
    // Master_Down_Interval: 3 × 1 s + (256 − 100)/256 s ≈ 3.6 s after a's last advert.
    let took = took_over.unwrap_or_else(|| panic!("replays held b in BACKUP; status: {status}\nlog:\n{}", b.log()));
    assert!(took < Duration::from_secs(6), "b took over only after {took:?}");
    let rejected = counter(&status, "auth_ext_replay") + counter(&status, "auth_ext_stale");
    assert!(rejected >= captured.len() as u64, "replays not counted; status: {status}");
    assert_eq!(counter(&status, "rcvd_advertisements"), heard, "a replay was accepted; status: {status}");
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).ok();
}

/// keepalived.conf(5)'s rollout: receive-only, then permissive, then enforce, one node at a
/// time. vrrpd has no reload, so each node is restarted: the backup with SIGTERM (a backup
/// sends nothing), the master with SIGKILL (no priority-0 goodbye) and started again at
/// once, which with advert_int 2, a at priority 254 and b at 1 comes back as master (after
/// its 6.0 s Master_Down_Interval) before b's 8.0 s one expires. Every advert each b hears
/// must be accepted, and b must never become master.
#[test]
fn the_three_sweep_rollout_loses_no_advert_and_causes_no_takeover() {
    let test = "the_three_sweep_rollout_loses_no_advert_and_causes_no_takeover";
    if !require_root(test) {
        return;
    }
    let lan = lan("hmac-rollout");
    let rec = Recorder::start(&lan, "client", a_addr());
    let mut a = start(&lan, "a", &config("MASTER", 254, 2, None));
    assert!(a.wait_state("MASTER", Duration::from_secs(15)), "a never became MASTER; log:\n{}", a.log());
    let mut b = start(&lan, "b", &config("BACKUP", 1, 2, None));
    let mut b_since = Instant::now();
    assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "b not BACKUP; log:\n{}", b.log());

    // b's incarnation so far: every advert a sent reached it and was accepted, and b stayed
    // a backup. Checked just before each restart of b, and at the end.
    let check_b = |b: &Vrrpd, since: Instant, step: &str| {
        std::thread::sleep(Duration::from_millis(300));
        let status = b.status_json();
        let context = || format!("{step}: status: {status}\nlog:\n{}", b.log());
        assert_eq!(status["instances"][0]["state"], "BACKUP", "{}", context());
        assert_eq!(counter(&status, "master_transitions"), 0, "{}", context());
        let sent = rec.since(since).len() as u64;
        let heard = counter(&status, "rcvd_advertisements");
        assert!(heard + 1 >= sent && sent >= 1, "b accepted {heard} of {sent} adverts; {}", context());
        let rx_err: u64 = [
            "auth_ext_missing",
            "auth_ext_malformed",
            "auth_ext_unknown_key",
            "auth_ext_invalid_hmac",
            "auth_ext_stale",
            "auth_ext_replay",
            "packet_length_errors",
        ]
        .iter()
        .map(|k| counter(&status, k))
        .sum();
        assert_eq!(rx_err, 0, "adverts refused; {}", context());
    };
    std::thread::sleep(Duration::from_secs(3));
    for mode in [HmacMode::ReceiveOnly, HmacMode::Permissive, HmacMode::Enforce] {
        check_b(&b, b_since, &format!("before b goes {}", mode.as_str()));
        b.terminate();
        b = start(&lan, "b", &config("BACKUP", 1, 2, Some(mode)));
        b_since = Instant::now();
        assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "b not BACKUP; log:\n{}", b.log());
        std::thread::sleep(Duration::from_secs(3));
        check_b(&b, b_since, &format!("b {}, a not yet", mode.as_str()));

        // Right after one of a's adverts, so b's Master_Down timer has its full 8 s.
        let seen = rec.since(b_since).len();
        assert!(
            wait_for(Duration::from_secs(5), || rec.since(b_since).len() > seen).is_some(),
            "a stopped advertising"
        );
        let _ = a.child.kill();
        let _ = a.child.wait();
        a = start(&lan, "a", &config("MASTER", 254, 2, Some(mode)));
        assert!(a.wait_state("MASTER", Duration::from_secs(10)), "new a never became MASTER; log:\n{}", a.log());
        let first = rec.since(Instant::now() - Duration::from_millis(200));
        let signed = mode.signs();
        std::thread::sleep(Duration::from_secs(3));
        let recent = rec.since(Instant::now() - Duration::from_secs(2));
        assert!(!recent.is_empty(), "a silent after going {}", mode.as_str());
        assert!(
            recent.iter().chain(&first).all(|p| (p.len() == 20 + TRAILER_LEN) == signed),
            "a in {} sends {} trailer",
            mode.as_str(),
            if signed { "a" } else { "no" }
        );
        check_b(&b, b_since, &format!("both {}", mode.as_str()));
        let a_status = a.status_json();
        assert_eq!(counter(&a_status, "master_transitions"), 1, "a: status {a_status}");
    }
}
