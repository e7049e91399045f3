//! Effective priority from tracking, as the LAN sees it (issue 10; keepalived.conf(5)
//! "vrrp_script", "track_script", "track_interface", "track_file"; keepalived 2.2.7
//! vrrp_track.c: process_script_update_priority, vrrp_set_effective_priority clamps to
//! 1..=254). One server holds three instances, each alone on its VRID and so MASTER,
//! advertising its effective priority: scripts with positive and negative weights, a
//! `track_script` entry overriding the script's weight, `reverse`, tracked interfaces with
//! weights, and a tracked file (its number × weight, read as C `strtol(…, 0)` reads it),
//! with configured priorities that push the sum past 254 and below 1. The items are then
//! flipped, twice. vrrpd and keepalived 2.2.7 run the same config in the same run, each on
//! its own LAN; every advertised priority must be the same, phase by phase, and
//! keepalived's must be clamped into 1..=254 where the sum leaves it. Two scripts are
//! tracked by two instances each: they still run once per interval.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::capture::{advert_source, Capture};
use common::track::{add_veth, set_link, vrrp_script, Daemon, Kind, ScriptDir, TrackConf};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::{require_root, Lan};

/// (name, VRID, priority, VIP, tracking lines).
const INSTANCES: [(&str, u8, u8, &str, &str); 2] = [
    ("VI_HI", 201, 250, "192.0.2.2/24", "track_script {\n    chk_a\n}\ntrack_file {\n    tf weight 3\n}"),
    ("VI_LO", 202, 3, "192.0.2.3/24", "track_script {\n    chk_b\n}\ntrack_interface {\n    trk0 weight -6\n}"),
];

/// (name, weight, reverse).
const SCRIPTS: [(&str, i32, bool); 4] =
    [("chk_a", 10, false), ("chk_b", -5, false), ("chk_c", 20, false), ("chk_d", 7, true)];

fn config(dir: &ScriptDir) -> String {
    let mut conf = TrackConf::new(Conf::seed("MASTER", 100).v3());
    for (name, weight, reverse) in SCRIPTS {
        let path = dir.flag_check(name);
        let mut block = vrrp_script(name, &path.display().to_string(), 1, weight, 1, 1, &[]);
        if reverse {
            block = block.replace(&format!("weight {weight}\n"), &format!("weight {weight} reverse\n"));
        }
        conf = conf.block(&block);
    }
    conf = conf.block(&format!("vrrp_track_file tf {{\n    file \"{}\"\n}}\n", dir.path("tf").display()));
    for (name, vrid, prio, vip, tracking) in INSTANCES {
        let mut text = format!(
            "vrrp_instance {name} {{\n    version 3\n    state MASTER\n    interface eth1\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n        {vip} dev eth1\n    }}\n"
        );
        for l in tracking.lines() {
            text += &format!("    {l}\n");
        }
        text += "}\n";
        conf = conf.block(&text);
    }
    conf.instance("track_script {\n    chk_a\n    chk_b\n    chk_c weight 4\n    chk_d\n}")
        .instance("track_interface {\n    trk0 weight -6\n    trk1 weight 3 reverse\n}")
        .instance("track_file {\n    tf weight 3\n}")
        .render()
}

/// One phase: which scripts succeed, which interfaces are up, what the file holds.
struct Phase {
    ok: [bool; 4],
    up: [bool; 2],
    file: &'static str,
}

const PHASES: [Phase; 3] = [
    Phase { ok: [true, false, true, true], up: [true, true], file: "2" },
    Phase { ok: [false, true, false, false], up: [false, false], file: "-1" },
    Phase { ok: [false, true, false, false], up: [false, false], file: "0x10" },
];

fn apply(lan: &Lan, dir: &ScriptDir, p: &Phase) {
    for ((name, _, _), ok) in SCRIPTS.iter().zip(p.ok) {
        dir.set_ok(name, ok);
    }
    for (ifname, up) in ["trk0", "trk1"].iter().zip(p.up) {
        set_link(lan, "a", ifname, up);
    }
    std::fs::write(dir.path("tf"), format!("{}\n", p.file)).expect("write the tracked file");
}

/// Per phase, per VRID, the priority a advertised once the phase had settled.
fn run(test: &str, tag: &str, kind: Kind) -> Vec<BTreeMap<u8, u8>> {
    let lan = lan(tag);
    let cap = Capture::start(&lan, "client");
    add_veth(&lan, "a", "trk0");
    add_veth(&lan, "a", "trk1");
    let dir = ScriptDir::new();
    let config = config(&dir);
    apply(&lan, &dir, &PHASES[0]);
    let a = Daemon::start(&lan, "a", kind, &config);
    let src = advert_source(&lan, "a", false);
    let down: Duration = master_down_interval(100, 100).into();
    let vrids = [200, INSTANCES[0].1, INSTANCES[1].1];
    let label = format!("{test} ({})", kind.name());
    let all_adverts = || {
        let started = wait_for(2 * down + Duration::from_secs(5), || {
            vrids.iter().all(|&v| cap.frames().iter().any(|f| f.advert_priority(src, v).is_some()))
        });
        assert!(started.is_some(), "{label}: not every instance advertises\n{}\n{}", a.log(), cap.summary());
    };
    all_adverts();
    let mut out = Vec::new();
    for (i, phase) in PHASES.iter().enumerate() {
        if i > 0 {
            apply(&lan, &dir, phase);
        }
        // A script result within an interval (1 s) of the change, the next advert within
        // one advert interval (1 s) of that; then two adverts in a row must agree.
        std::thread::sleep(Duration::from_millis(2500));
        let mut seen = BTreeMap::new();
        for &v in &vrids {
            let from = Capture::mark();
            let p1 = cap.advert(src, v, from, Duration::from_secs(3), |_| true);
            let p2 = cap.advert(src, v, p1.at + Duration::from_micros(1), Duration::from_secs(3), |_| true);
            let (x, y) = (p1.advert_priority(src, v), p2.advert_priority(src, v));
            assert_eq!(x, y, "{label}: phase {i}, VRID {v}: priority still moving\n{}", a.log());
            seen.insert(v, x.unwrap());
        }
        eprintln!("{label}: phase {i}: {seen:?}");
        out.push(seen);
    }
    // chk_a and chk_b are each tracked by two instances: each still runs once per interval
    // (keepalived.conf(5): a script is run by the vrrp_script, not by each instance), so no
    // two runs start within half an interval of each other.
    for name in ["chk_a", "chk_b"] {
        let runs = dir.runs(name);
        assert!(runs.len() >= 5, "{label}: {name} ran only {} times", runs.len());
        let closest = runs.windows(2).map(|w| w[1].start.duration_since(w[0].start).unwrap_or_default()).min().unwrap();
        assert!(
            closest >= Duration::from_millis(500),
            "{label}: two runs of {name} started {closest:?} apart (interval 1 s): run per instance?\n{runs:?}"
        );
    }
    out
}

#[test]
fn vrrpd_effective_priority_equals_keepalived_phase_by_phase() {
    let test = "vrrpd_effective_priority_equals_keepalived_phase_by_phase";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let (ours, theirs) = std::thread::scope(|s| {
        let ka = s.spawn(|| run(test, "prika", Kind::Keepalived));
        let ours = run(test, "privr", Kind::Vrrpd);
        (ours, ka.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    // The phases exercise something: VI's priority differs in each.
    let vi: Vec<u8> = theirs.iter().map(|m| m[&200]).collect();
    assert!(vi[0] != vi[1] && vi[1] != vi[2], "{test}: keepalived's VI priority did not move: {vi:?}");
    // Clamped into 1..=254 where the sum leaves it: VI_HI's 250 + 10 + 3 × 2 = 266 in phase 0,
    // VI_LO's 3 − 5 in phase 0 and 3 − 6 in phases 1 and 2.
    assert_eq!(theirs[0][&201], 254, "{test}: keepalived VI_HI in phase 0: {theirs:?}");
    for (i, m) in theirs.iter().enumerate() {
        assert_eq!(m[&202], 1, "{test}: keepalived VI_LO in phase {i}: {theirs:?}");
    }
    assert_eq!(ours, theirs, "{test}: vrrpd (left) and keepalived (right) advertise different priorities");
}
