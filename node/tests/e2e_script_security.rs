//! `enable_script_security` (issue 10; keepalived.conf(5) "enable_script_security"; keepalived
//! 2.2.7 lib/notify.c: check_security refuses a script when the file or any directory on its
//! path is not root-owned or is group/world writable (a sticky directory such as /tmp
//! excepted), logging "Unsafe permissions found for script 'PATH' - disabling";
//! keepalived/vrrp/vrrp.c: check_vrrp_script_security then drops the refused `vrrp_script`
//! from every instance tracking it, and a refused notify script is never run).
//!
//! Three servers, each alone on its own VRID, each tracking a script that always fails with
//! `weight 0`:
//! * `ww_file`: the script file is world-writable (0777): refused, so the instance runs as if
//!   it tracked nothing: MASTER, VIP held. Its world-writable `notify_master` never runs.
//! * `ww_dir`: the script is 0755 but its directory is world-writable (0777, no sticky bit):
//!   refused the same way.
//! * `safe`: the same script, 0755 in a root-owned 0700 directory: it runs, fails, and the
//!   instance is in FAULT without the VIP, which shows the refusal is what kept the others up.

mod common;

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use common::track::{vrrp_script, Daemon, Kind, ScriptDir, TrackConf};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::{require_root, Lan};

/// One case: its server, VRID and VIP, what it writes, and what keepalived does with it.
struct Case {
    host: &'static str,
    vrid: u8,
    vip: &'static str,
    /// Whether keepalived refuses the script (and so the instance ends MASTER with the VIP).
    refused: bool,
}

const CASES: [Case; 3] = [
    Case { host: "wwfile", vrid: 201, vip: "192.0.2.201", refused: true },
    Case { host: "wwdir", vrid: 202, vip: "192.0.2.202", refused: true },
    Case { host: "safe", vrid: 203, vip: "192.0.2.203", refused: false },
];

/// A case's files: the failing script (made unsafe as the case says) and a notify_master
/// script with the same permissions that logs when it runs.
struct Files {
    dir: ScriptDir,
    script: PathBuf,
    notify: PathBuf,
}

fn files(case: &Case) -> Files {
    let dir = ScriptDir::new();
    // In the wwdir case the scripts sit in a subdirectory that is world-writable.
    let sub = dir.path("scripts");
    std::fs::create_dir(&sub).expect("mkdir");
    let write = |name: &str, body: &str, mode: u32| {
        let p = sub.join(name);
        std::fs::write(&p, format!("#!/bin/bash\n{body}")).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        p
    };
    let mode = if case.host == "wwfile" { 0o777 } else { 0o755 };
    let script = write("fail.sh", "exit 1\n", mode);
    let notify = write("notify.sh", &format!("echo \"$@\" >> {}\n", dir.path("notify.log").display()), mode);
    let dir_mode = if case.host == "wwdir" { 0o777 } else { 0o755 };
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(dir_mode)).expect("chmod dir");
    Files { dir, script, notify }
}

fn config(case: &Case, f: &Files) -> String {
    let mut conf = Conf::seed("BACKUP", 100).vip(&format!("{}/24", case.vip));
    conf.vrid = case.vrid;
    TrackConf::new(conf)
        .global("enable_script_security")
        // Without it keepalived wants the user keepalived_script, which Debian does not
        // create, and drops every script (Unable to set default user).
        .global("script_user root")
        .block(&vrrp_script("chk_fail", &f.script.display().to_string(), 1, 0, 1, 1, &[]))
        .instance("track_script {\n    chk_fail\n}")
        .instance(&format!("notify_master \"{} master\"", f.notify.display()))
        .render()
}

/// What a case ended in, as the outside sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    holds_vip: bool,
    /// Whether notify_master ran.
    notified: bool,
}

fn lan3(tag: &str) -> Lan {
    let mut b = Lan::builder(tag);
    for (i, c) in CASES.iter().enumerate() {
        b = b.host_v4(c.host, &format!("192.0.2.{}/24", 21 + i));
    }
    b.build().expect("build lab LAN")
}

/// Runs every case on `kind`; checks the refusals are logged; returns the outcomes.
fn run(test: &str, tag: &str, kind: Kind) -> Vec<Outcome> {
    let lan = lan3(tag);
    let all: Vec<(Files, Daemon)> = CASES
        .iter()
        .map(|c| {
            let f = files(c);
            let d = Daemon::start(&lan, c.host, kind, &config(c, &f));
            (f, d)
        })
        .collect();
    // Alone, a BACKUP becomes MASTER after Master_Down_Interval; FAULT comes sooner (the
    // first run fails). Wait for that, twice over for start-up on a loaded machine, then
    // check the outcome holds.
    let down: Duration = master_down_interval(100, 100).into();
    std::thread::sleep(2 * down + Duration::from_secs(1));
    let outcome = |c: &Case, f: &Files| Outcome {
        holds_vip: holds(&lan, c.host, c.vip.parse::<IpAddr>().unwrap()),
        notified: !f.dir.lines("notify").is_empty(),
    };
    let first: Vec<Outcome> = CASES.iter().zip(&all).map(|(c, (f, _))| outcome(c, f)).collect();
    std::thread::sleep(Duration::from_secs(2));
    let second: Vec<Outcome> = CASES.iter().zip(&all).map(|(c, (f, _))| outcome(c, f)).collect();
    let logs = || all.iter().map(|(_, d)| d.log()).collect::<Vec<_>>().join("\n");
    assert_eq!(first, second, "{test} ({}): outcomes changed over 2 s\n{}", kind.name(), logs());
    for (c, (f, d)) in CASES.iter().zip(&all) {
        let log = d.log();
        let path = f.script.display().to_string();
        let named = log.lines().any(|l| {
            let l_low = l.to_lowercase();
            l.contains(&path) && ["unsafe", "insecure", "writable", "permission"].iter().any(|w| l_low.contains(w))
        });
        assert_eq!(
            named,
            c.refused,
            "{test} ({}) {}: a log line naming {path} and why it is refused: expected {}\n{log}",
            kind.name(),
            c.host,
            c.refused
        );
    }
    eprintln!("{test} ({}): {:?}", kind.name(), first);
    first
}

/// keepalived's behaviour, as its source reads: refused scripts are dropped from the
/// instance (MASTER, VIP held) and refused notify scripts never run; the safe failing
/// script puts its instance in FAULT.
fn assert_keepalived_semantics(test: &str, kind: Kind, got: &[Outcome]) {
    for (c, o) in CASES.iter().zip(got) {
        let want = Outcome { holds_vip: c.refused, notified: false };
        assert_eq!(*o, want, "{test} ({}) {}", kind.name(), c.host);
    }
}

/// vrrpd beside keepalived, same configs, same run: each case ends the same way (VIP held
/// or not, notify_master run or not), and vrrpd logs each refusal naming the file.
#[test]
fn vrrpd_refuses_unsafe_scripts_as_keepalived_does() {
    let test = "vrrpd_refuses_unsafe_scripts_as_keepalived_does";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let (ours, theirs) = std::thread::scope(|s| {
        let ka = s.spawn(|| run(test, "secka2", Kind::Keepalived));
        let ours = run(test, "secvr", Kind::Vrrpd);
        (ours, ka.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    assert_keepalived_semantics(test, Kind::Keepalived, &theirs);
    assert_eq!(ours, theirs, "{test}: vrrpd (left) and keepalived (right) differ");
}
