//! `vrrp-lab demo --quick`: the three steps run, the client's outage per step is printed
//! and within the protocol's bounds, and the lab is gone afterwards.
//!
//! vrrp-lab runs the vrrpd and vrrpctl that sit beside it: `cargo test --workspace` builds
//! them into the same directory; to run this file alone, build vrrp-node first (same
//! profile), e.g. `cargo build -p vrrp-node && cargo test -p vrrp-lab --test e2e_lab_demo`.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::vrrp_lab;

use vrrp_core::timers::{master_down_interval, skew_time};
use vrrp_lab::require_root;

/// The summary lines: `outage  NAME  VIP X -> Y  MS ms  lost L of S pings`.
fn outages(stdout: &str) -> Vec<(String, String, f64)> {
    stdout
        .lines()
        .filter(|l| l.starts_with("outage "))
        .map(|l| {
            let vip = l.split("VIP ").nth(1).and_then(|r| r.get(..6)).unwrap_or_default().to_owned();
            let ms = l
                .split(" ms")
                .next()
                .and_then(|r| r.split_whitespace().last())
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            (l.to_owned(), vip, ms)
        })
        .collect()
}

#[test]
fn vrrp_lab_demo_quick_runs_the_three_steps_and_reports_outages() {
    if !require_root("vrrp_lab_demo_quick_runs_the_three_steps_and_reports_outages") {
        return;
    }
    let (out, pid) = vrrp_lab(&["demo", "--quick"], Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(out.status.success(), "vrrp-lab demo --quick: {}\n{all}", out.status);

    // The timeline shows the VIP on the master and vrrpctl's view.
    assert!(stdout.contains("VIP 192.0.2.1 is on a, the master"), "{all}");
    assert!(stdout.contains("vrrpctl status") && stdout.contains("MASTER"), "{all}");
    assert!(stdout.contains("a: eth1 lost carrier"), "{all}");

    // One outage line per step, the VIP moving as the protocol says.
    let steps = outages(&stdout);
    assert_eq!(steps.len(), 3, "{all}");
    let vips: Vec<&str> = steps.iter().map(|s| s.1.as_str()).collect();
    assert_eq!(vips, ["a -> b", "b -> a", "a -> b"], "{all}");
    // The seed configuration: priority 100 on b, advert_int 1 s (100 centiseconds).
    let mdi = Duration::from(master_down_interval(100, 100)).as_secs_f64() * 1000.0;
    let skew = Duration::from(skew_time(100, 100)).as_secs_f64() * 1000.0;
    let (cut, restore, stop) = (steps[0].2, steps[1].2, steps[2].2);
    // 1. Cable cut: b waits Master_Down_Interval after the last advert it heard (the demo
    //    cuts right after one), so at least 2 intervals and at most MDI plus slack.
    assert!((2000.0..mdi + 1500.0).contains(&cut), "cut outage {cut} ms (MDI {mdi} ms)\n{all}");
    // 2. Preempting back: a takes over while b still answers; at most a short blip.
    assert!(restore < 1000.0, "restore outage {restore} ms\n{all}");
    // 3. SIGTERM: b takes over after Skew_Time, but a keeps the VIP until it has heard b
    //    (make-before-break): no ping is lost, and the longest gap is reply jitter, far
    //    below the Skew_Time an RFC-faithful stop would cost.
    assert!(stop < skew / 2.0, "SIGTERM outage {stop} ms (Skew_Time {skew} ms)\n{all}");
    assert!(steps[2].0.contains("lost 0 of "), "SIGTERM lost pings: {}\n{all}", steps[2].0);
    println!("demo outages: cut {cut:.1} ms, restore {restore:.1} ms, SIGTERM {stop:.1} ms");

    // Nothing left behind.
    let list = Command::new("ip").args(["netns", "list"]).output().expect("ip netns list");
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(!list.contains(&format!("vr-demo-{pid}-")), "namespaces left:\n{list}");
    assert!(!std::env::temp_dir().join(format!("vrrp-lab-{pid}-vrrpd")).exists(), "work dir left");
}

#[test]
fn vrrp_lab_without_vrrpd_beside_it_says_how_to_build() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("vrrp-lab");
    std::fs::copy(env!("CARGO_BIN_EXE_vrrp-lab"), &lab).unwrap();
    let out = Command::new(&lab).args(["demo", "--quick"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("vrrpd not found"), "{stderr}");
    assert!(stderr.contains("cargo build --release -p vrrp-node -p vrrp-lab"), "{stderr}");
}

#[test]
fn vrrp_lab_demo_interrupted_by_ctrl_c_cleans_up() {
    if !require_root("vrrp_lab_demo_interrupted_by_ctrl_c_cleans_up") {
        return;
    }
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_vrrp-lab"))
        .args(["demo", "--quick"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn vrrp-lab");
    let pid = child.id();
    let ns_prefix = format!("vr-demo-{pid}-");
    let netns_list = || {
        let out = Command::new("ip").args(["netns", "list"]).output().expect("ip netns list");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Wait until the lab is up and the pair runs (the VIP is on the master), then Ctrl-C.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let up = lines.by_ref().map_while(Result::ok).any(|l| {
        seen += &l;
        seen.push('\n');
        l.contains("is on a, the master")
    });
    assert!(up, "the demo never got going:\n{seen}");
    assert!(netns_list().contains(&ns_prefix), "no lab namespaces while running");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("wait vrrp-lab");

    assert!(!status.success(), "an interrupted demo reports it in its exit status");
    assert!(!netns_list().contains(&ns_prefix), "namespaces left:\n{}", netns_list());
    assert!(!std::env::temp_dir().join(format!("vrrp-lab-{pid}-vrrpd")).exists(), "work dir left");
    // Its vrrpd children are gone with their namespaces.
    let vrrpds = Command::new("pgrep").args(["-f", &format!("vrrp-lab-{pid}-vrrpd")]).output().unwrap();
    assert!(vrrpds.stdout.is_empty(), "vrrpd still running: {}", String::from_utf8_lossy(&vrrpds.stdout));
    assert!(!rest.iter().any(|l| l.starts_with("outage ")), "no summary for an interrupted run: {rest:?}");
}
