//! vrrpd under systemd: sd_notify(3) messages on `$NOTIFY_SOCKET` from a real vrrpd in a
//! lab namespace, journald priority prefixes on stderr, and the shipped unit file.

mod common;

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use vrrp_lab::require_root;

/// Every datagram vrrpd sent within `limit`, until `stop` says enough.
fn collect(sock: &UnixDatagram, limit: Duration, mut stop: impl FnMut(&[String]) -> bool) -> Vec<String> {
    let start = Instant::now();
    let mut got = Vec::new();
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    while start.elapsed() < limit && !stop(&got) {
        let mut buf = [0u8; 1024];
        if let Ok(n) = sock.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    got
}

/// sd_notify(3): READY=1 only once the instance has its first state (never INIT), then
/// WATCHDOG=1 at half of WATCHDOG_USEC from the protocol loop, STATUS= following the
/// state, RELOADING=1 then READY=1 at SIGHUP, STOPPING=1 at SIGTERM.
#[test]
fn vrrpd_tells_systemd_ready_status_watchdog_reloading_and_stopping() {
    if !require_root("vrrpd_tells_systemd_ready_status_watchdog_reloading_and_stopping") {
        return;
    }
    let lan = lan("sdnotify");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let mut vrrpd = start_vrrpd_with(&lan, "a", &seed_config("MASTER", 101), dir, "vrrpd.sock", |cmd| {
        cmd.env("NOTIFY_SOCKET", &path).env("WATCHDOG_USEC", "400000");
    });
    let got = collect(&sock, Duration::from_secs(10), |g| g.iter().any(|m| m.contains("READY=1")));
    let ready =
        got.iter().find(|m| m.contains("READY=1")).unwrap_or_else(|| panic!("no READY=1: {got:?}\n{}", vrrpd.log()));
    assert!(ready.contains("STATUS=1 instance: 1 "), "{ready}");
    assert!(!ready.contains("INIT"), "READY before the first state: {ready}");
    // Alone on its LAN, a becomes MASTER: the status line follows; the watchdog keeps coming
    // every 200 ms.
    let start = Instant::now();
    let got = collect(&sock, Duration::from_secs(10), |g| g.iter().any(|m| m.contains("STATUS=1 instance: 1 MASTER")));
    assert!(got.iter().any(|m| m.contains("STATUS=1 instance: 1 MASTER")), "{got:?}");
    let pings = collect(&sock, Duration::from_millis(1100), |_| false);
    let n = pings.iter().filter(|m| m.as_str() == "WATCHDOG=1\n").count();
    assert!(
        (3..=8).contains(&n),
        "{n} WATCHDOG=1 in 1.1 s at a 200 ms period: {pings:?} (after {:?})",
        start.elapsed()
    );
    // A stopped loop stops the pings: what makes systemd restart a stuck vrrpd.
    let pid = nix::unistd::Pid::from_raw(vrrpd.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    let _ = collect(&sock, Duration::from_millis(300), |_| false);
    let frozen = collect(&sock, Duration::from_millis(800), |_| false);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).unwrap();
    assert!(frozen.is_empty(), "pings from a stopped vrrpd: {frozen:?}");
    // ExecReload sends SIGHUP: RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload
    // wants), then READY=1 once the file is applied, the instance still MASTER.
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    let got = collect(&sock, Duration::from_secs(10), |g| g.iter().any(|m| m.contains("READY=1")));
    let reloading = got.iter().position(|m| m.starts_with("RELOADING=1\nMONOTONIC_USEC="));
    let ready = got.iter().position(|m| m.starts_with("READY=1\nSTATUS=1 instance: 1 MASTER"));
    assert!(reloading.is_some() && ready > reloading, "{got:?}\n{}", vrrpd.log());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let got = collect(&sock, Duration::from_secs(10), |g| g.iter().any(|m| m.contains("STOPPING=1")));
    assert!(got.iter().any(|m| m.starts_with("STOPPING=1\n")), "{got:?}");
    assert!(vrrpd.child.wait().unwrap().success(), "{}", vrrpd.log());
}

/// sd-daemon(3) prefixes when stderr is the journal (`$JOURNAL_STREAM` names it): `<6>` for
/// info, `<4>` for warnings; no colour codes and no timestamps.
#[test]
fn vrrpd_logs_journald_priorities_when_stderr_is_the_journal() {
    if !require_root("vrrpd_logs_journald_priorities_when_stderr_is_the_journal") {
        return;
    }
    let lan = lan("journal");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vrrpd.log");
    // start_vrrpd_with creates the log file anew; create it first to know its inode.
    std::fs::write(&log, "").unwrap();
    let meta = std::fs::metadata(&log).unwrap();
    let stream = format!("{}:{}", meta.dev(), meta.ino());
    // A keyword vrrpd does not implement: a warning at start.
    let conf = seed_config("BACKUP", 100).replace("vrrp_instance", "vrrp_strict\nvrrp_instance");
    let mut vrrpd = start_vrrpd_with(&lan, "a", &conf, dir, "vrrpd.sock", |cmd| {
        cmd.env("JOURNAL_STREAM", &stream).env("VRRPD_LOG", "info");
    });
    assert!(vrrpd.wait_state("BACKUP", Duration::from_secs(10)), "{}", vrrpd.log());
    vrrpd.terminate();
    let text = vrrpd.log();
    assert!(text.lines().any(|l| l.starts_with("<6> INFO vrrpd started")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("<4> WARN")), "{text}");
    assert!(text.lines().all(|l| l.starts_with('<')), "a line without a priority: {text}");
    assert!(!text.contains('\x1b'), "colour codes: {text:?}");
}

/// The unit shipped in packaging/ passes `systemd-analyze verify` (with vrrpd at the path
/// the unit names replaced by the one just built; man pages are checked once the Debian
/// package installs them, in CI).
#[test]
fn the_shipped_unit_passes_systemd_analyze_verify() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "systemd-analyze missing under CI");
        println!("SKIPPED: no systemd-analyze");
        return;
    }
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/vrrpd.service")).unwrap();
    for key in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "ExecReload=", "RuntimeDirectory=vrrpd"] {
        assert!(unit.contains(key), "unit lacks {key}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrrpd.service");
    std::fs::write(&path, unit.replace("/usr/sbin/vrrpd", env!("CARGO_BIN_EXE_vrrpd"))).unwrap();
    let dropin = dir.path().join("vrrpd.service.d");
    std::fs::create_dir(&dropin).unwrap();
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/vrrpd-unprivileged.conf"), dropin.join("u.conf"))
        .unwrap();
    let out = Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");
    // And a broken one fails, so the check can fail.
    std::fs::write(&path, unit.replace("Type=notify", "Type=notifyy")).unwrap();
    let out = Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(&path).output().unwrap();
    assert!(!out.status.success() || !out.stderr.is_empty(), "a bad Type= passed");
}
