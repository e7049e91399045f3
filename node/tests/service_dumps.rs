//! keepalived's signal dumps and `--signum` on a real vrrpd, and the vrrpctl commands an
//! operator uses: `status INSTANCE`, `stats`, `watch`.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use vrrp_lab::require_root;

fn vrrpctl(v: &Vrrpd, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpctl")).arg("--socket").arg(v.socket()).args(args).output().unwrap()
}

fn raise(v: &Vrrpd, sig: i32) {
    // SAFETY: kill(2) with a pid and a signal number, no memory involved.
    let rc = unsafe { libc::kill(v.child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
}

/// SIGUSR1 → vrrpd.data, SIGUSR2 → vrrpd.stats (keepalived.stats' layout), SIGRTMIN+2
/// (keepalived's SIGJSON) → vrrpd.json, in the runtime directory next to the control
/// socket; a symlink planted there (CVE-2018-19044) is replaced, its target untouched.
#[test]
fn keepalived_signals_write_dumps_safely_in_the_runtime_directory() {
    if !require_root("keepalived_signals_write_dumps_safely_in_the_runtime_directory") {
        return;
    }
    let lan = lan("dumps");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let v = start_vrrpd_with(&lan, "a", &seed_config("MASTER", 101), dir, "run/vrrpd.sock", |_| {});
    assert!(v.wait_state("MASTER", Duration::from_secs(10)), "{}", v.log());
    std::os::unix::fs::symlink(&victim, run.join("vrrpd.stats")).unwrap();

    let wait_file = |name: &str| {
        let path = run.join(name);
        let ok = wait_for(Duration::from_secs(5), || {
            std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file())
        });
        assert!(ok.is_some(), "{name} never written:\n{}", v.log());
        std::fs::read_to_string(path).unwrap()
    };
    raise(&v, libc::SIGUSR1);
    let data = wait_file("vrrpd.data");
    assert!(data.contains("VRRP Instance: VI") && data.contains("State: MASTER"), "{data}");
    raise(&v, libc::SIGUSR2);
    let stats = wait_file("vrrpd.stats");
    assert!(stats.starts_with("VRRP Instance: VI\n  Advertisements:\n"), "{stats}");
    assert!(!stats.contains("    Sent: 0\n  Became"), "no adverts counted: {stats}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    raise(&v, libc::SIGRTMIN() + 2);
    let json: serde_json::Value = serde_json::from_str(&wait_file("vrrpd.json")).unwrap();
    assert_eq!(json["instances"][0]["state"], "MASTER", "{json}");
    assert!(v.log().contains("wrote "), "{}", v.log());
}

/// `vrrpd --signum` gives keepalived's numbers (compared with keepalived itself when it is
/// installed).
#[test]
fn signum_matches_keepalived() {
    let vrrpd = |f: &str| Command::new(env!("CARGO_BIN_EXE_vrrpd")).arg("--signum").arg(f).output().unwrap();
    for f in ["STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON"] {
        let ours = vrrpd(f);
        assert!(ours.status.success(), "{f}");
        let ours = String::from_utf8_lossy(&ours.stdout).trim().to_owned();
        if let Ok(theirs) = Command::new("keepalived").arg(format!("--signum={f}")).output() {
            assert_eq!(ours, String::from_utf8_lossy(&theirs.stdout).trim(), "--signum={f}");
        }
        assert!(ours.parse::<i32>().is_ok_and(|n| n > 0), "{f}: {ours}");
    }
    assert_eq!(String::from_utf8_lossy(&vrrpd("DATA").stdout).trim(), "10");
    let unknown = vrrpd("NOPE");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).starts_with("Unknown sigfunc NOPE"));
}

/// keepalived's STATS_CLEAR, by `vrrpctl stats --clear` (which prints the counters it
/// cleared) and by the signal `vrrpd --signum STATS_CLEAR` names: the counters start again
/// from zero, the state does not change.
#[test]
fn stats_clear_by_vrrpctl_and_by_signal() {
    if !require_root("stats_clear_by_vrrpctl_and_by_signal") {
        return;
    }
    let lan = lan("ctlclear");
    let mut v = start_vrrpd(&lan, "a", &seed_config("MASTER", 100));
    assert!(v.wait_state("MASTER", Duration::from_secs(10)), "{}", v.log());
    let sent = |v: &Vrrpd| v.status_json()["instances"][0]["stats"]["sent_advertisements"].as_u64().unwrap();
    let master = |v: &Vrrpd| v.status_json()["instances"][0]["stats"]["master_transitions"].as_u64().unwrap();
    assert!(wait_for(Duration::from_secs(10), || sent(&v) >= 3).is_some(), "{}", v.log());
    assert_eq!(master(&v), 1);
    let out = vrrpctl(&v, &["stats", "--clear"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("VRRP Instance: VI\n") && text.ends_with("(counters cleared)\n"), "{text}");
    assert!(text.contains("  Became master: 1\n"), "the printed counters are the ones before the clear: {text}");
    // One advert a second: right after the clear at most one or two were counted again.
    assert!(sent(&v) <= 2, "{}", v.status_json());
    assert_eq!(master(&v), 0, "cleared");
    assert_eq!(v.state(), "MASTER");
    assert!(wait_for(Duration::from_secs(10), || sent(&v) >= 3).is_some());
    raise(&v, libc::SIGRTMAX() - 1);
    assert!(wait_for(Duration::from_secs(3), || sent(&v) <= 1).is_some(), "{}", v.status_json());
    assert!(v.log().contains("STATS_CLEAR: counters set to zero"), "{}", v.log());
    assert_eq!(v.state(), "MASTER");
    let pid = Pid::from_raw(v.child.id() as i32);
    let _ = kill(pid, Signal::SIGKILL);
    let _ = v.child.wait();
}

/// `vrrpctl status INSTANCE`, `vrrpctl stats`, `vrrpctl watch` against a running vrrpd;
/// an instance vrrpd does not have is an error naming the ones it has.
#[test]
fn vrrpctl_status_of_one_instance_stats_and_watch() {
    if !require_root("vrrpctl_status_of_one_instance_stats_and_watch") {
        return;
    }
    let lan = lan("ctlcmds");
    let mut v = start_vrrpd(&lan, "a", &seed_config("BACKUP", 100));
    assert!(v.wait_state("BACKUP", Duration::from_secs(10)), "{}", v.log());
    let one = vrrpctl(&v, &["status", "--json", "VI"]);
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(doc["instances"].as_array().map(Vec::len), Some(1));
    let none = vrrpctl(&v, &["status", "NOPE"]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("vrrpd has no instance NOPE (it has: VI)"));
    let stats = vrrpctl(&v, &["stats"]);
    assert!(String::from_utf8_lossy(&stats.stdout).starts_with("VRRP Instance: VI\n"), "{stats:?}");
    // With no peer, BACKUP becomes MASTER after Master_Down_Interval: watch draws the
    // table, then again when it changes (the state, the master), then stops at --count 2.
    let watch = Command::new(env!("CARGO_BIN_EXE_vrrpctl"))
        .arg("--socket")
        .arg(v.socket())
        .args(["watch", "--interval", "0.2", "--count", "2"])
        .output()
        .unwrap();
    assert!(watch.status.success(), "{}", String::from_utf8_lossy(&watch.stderr));
    let out = String::from_utf8_lossy(&watch.stdout);
    assert_eq!(out.matches("INSTANCE ").count(), 2, "{out}");
    assert!(!out.contains('\x1b'), "terminal codes in a pipe: {out}");
    let pid = Pid::from_raw(v.child.id() as i32);
    let _ = kill(pid, Signal::SIGTERM);
    let _ = v.child.wait();
}
