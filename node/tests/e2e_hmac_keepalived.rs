//! vrrpd ↔ keepalived 2.4.3 with `auth_hmac` enforced, VRRPv2 over IPv4 and VRRPv3 over
//! IPv6: each accepts the other's signed adverts (the backup stays backup well past its
//! Master_Down_Interval), and the signed priority-0 advert of a stopping master hands over
//! at once.
//!
//! keepalived 2.4.3 is not packaged: `bash scripts/build-keepalived-2.4.sh` builds it into
//! `target/keepalived-2.4.3/keepalived` from source (about half a minute). Without that
//! binary these tests say SKIPPED and pass; `hmac_vectors` carries the interop proof then
//! (keepalived's captured adverts, byte for byte).

mod common;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use vrrp_lab::{require_root, Lan};

const KEY: &str = "hex:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn keepalived_2_4(test: &str) -> Option<PathBuf> {
    let bin = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/keepalived-2.4.3/keepalived"));
    if bin.exists() {
        Some(bin)
    } else {
        println!("SKIPPED: {test}: {} is absent; run `bash scripts/build-keepalived-2.4.sh`", bin.display());
        None
    }
}

fn config(version: u8, state: &str, priority: u8, vip: &str) -> String {
    let v = if version == 3 { "    version 3\n" } else { "" };
    format!(
        "vrrp_instance VI {{\n{v}    state {state}\n    interface eth1\n    garp_master_delay 5\n    virtual_router_id 61\n    priority {priority}\n    advert_int 1\n    auth_hmac {{\n        key 3 {KEY}\n        active_key 3\n    }}\n    virtual_ipaddress {{\n        {vip} dev eth1\n    }}\n}}\n"
    )
}

/// keepalived 2.4.3 in the foreground on `host`; SIGTERM, then SIGKILL, on drop.
struct Ka {
    child: Child,
    dir: tempfile::TempDir,
}

impl Ka {
    fn start(lan: &Lan, host: &str, bin: &PathBuf, config: &str) -> Ka {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = write_file(dir.path(), "keepalived.conf", config);
        let log = std::fs::File::create(dir.path().join("keepalived.log")).expect("log");
        let mut cmd = Command::new(bin);
        cmd.args(["-n", "-l", "-D"])
            .arg(format!("--use-file={}", conf.display()))
            .arg(format!("--pid={}", dir.path().join("k.pid").display()))
            .arg(format!("--vrrp_pid={}", dir.path().join("v.pid").display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        Ka { child: lan.spawn(host, &mut cmd).expect("spawn keepalived"), dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("keepalived.log")).unwrap_or_default()
    }

    fn stop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        if wait_for(Duration::from_secs(5), || matches!(self.child.try_wait(), Ok(Some(_)))).is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Ka {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

fn auth_errors(status: &serde_json::Value) -> u64 {
    let stats = &status["instances"][0]["stats"];
    [
        "auth_ext_missing",
        "auth_ext_malformed",
        "auth_ext_unknown_key",
        "auth_ext_invalid_hmac",
        "auth_ext_stale",
        "auth_ext_replay",
    ]
    .iter()
    .map(|k| stats[k].as_u64().unwrap_or(u64::MAX))
    .sum()
}

fn interop(test: &str, lan_name: &str, version: u8, vip_cidr: &str) {
    if !require_root(test) {
        return;
    }
    let Some(bin) = keepalived_2_4(test) else { return };
    let lan = lan(lan_name);
    let vip: IpAddr = vip_cidr.split('/').next().unwrap().parse().unwrap();

    // 1. vrrpd master (200), keepalived backup (100): keepalived accepts vrrpd's signed
    //    adverts, so it stays backup far beyond its 3.6 s Master_Down_Interval.
    let mut a = start_vrrpd(&lan, "a", &config(version, "MASTER", 200, vip_cidr));
    assert!(a.wait_state("MASTER", Duration::from_secs(10)), "vrrpd never MASTER; log:\n{}", a.log());
    let mut ka = Ka::start(&lan, "b", &bin, &config(version, "BACKUP", 100, vip_cidr));
    assert!(
        wait_for(Duration::from_secs(10), || ka.log().contains("Entering BACKUP STATE")).is_some(),
        "keepalived never BACKUP; log:\n{}",
        ka.log()
    );
    std::thread::sleep(Duration::from_secs(6));
    let klog = ka.log();
    assert!(!klog.contains("Entering MASTER STATE"), "keepalived took over: it refused vrrpd's adverts:\n{klog}");
    assert!(!klog.contains("authentication"), "keepalived complained:\n{klog}");
    assert_eq!(holders(&lan, &["a", "b"], vip), ["a"]);

    // 2. vrrpd stops: its signed priority-0 advert makes keepalived take over at once
    //    (Skew_Time, 0.6 s, not the 3.6 s of a silent master).
    a.terminate();
    let took = wait_for(Duration::from_secs(3), || ka.log().contains("Entering MASTER STATE"));
    assert!(took.is_some(), "keepalived did not take over within 3 s of the goodbye; log:\n{}", ka.log());

    // 3. vrrpd back as backup (50): it accepts keepalived's signed adverts.
    let b = start_vrrpd(&lan, "a", &config(version, "BACKUP", 50, vip_cidr));
    assert!(b.wait_state("BACKUP", Duration::from_secs(5)), "vrrpd not BACKUP; log:\n{}", b.log());
    std::thread::sleep(Duration::from_secs(5));
    let status = b.status_json();
    let context = || format!("status: {status}\nvrrpd log:\n{}\nkeepalived log:\n{}", b.log(), ka.log());
    assert_eq!(status["instances"][0]["state"], "BACKUP", "{}", context());
    assert!(status["instances"][0]["stats"]["rcvd_advertisements"].as_u64().unwrap_or(0) >= 4, "{}", context());
    assert_eq!(auth_errors(&status), 0, "{}", context());
    assert!(wait_for(Duration::from_secs(5), || holders(&lan, &["a", "b"], vip) == ["b"]).is_some(), "{}", context());
    ka.stop();
}

#[test]
fn vrrpd_and_keepalived_2_4_v2_ipv4_auth_hmac() {
    interop("vrrpd_and_keepalived_2_4_v2_ipv4_auth_hmac", "kah4", 2, "192.0.2.1/24");
}

#[test]
fn vrrpd_and_keepalived_2_4_v3_ipv6_auth_hmac() {
    interop("vrrpd_and_keepalived_2_4_v3_ipv6_auth_hmac", "kah6", 3, "2001:db8::1/64");
}
