//! `vrrp_track_process` end to end: a vrrpd pair in network namespaces where the master
//! tracks processes the test starts and kills (copies of `sleep` under names of their
//! own, so `/proc/PID/comm` is unique to the run). A weight −N process that dies moves
//! the VIP to the backup, and back when it runs again; a weight 0 process that dies puts
//! the master in FAULT, and it recovers when the process runs again. The same scenario
//! with keepalived 2.2.7 in the master's place, in the same run.
//!
//! vrrpd runs in a network namespace other than the initial one, where the kernel
//! refuses the process events connector's subscription (ECONNREFUSED): this exercises
//! vrrpd's fallback, a /proc scan every second (the connector itself is covered by the
//! `track::process` unit tests). keepalived 2.2.7 has no fallback: its
//! `init_track_processes` returns before the first /proc scan when the subscription fails,
//! so it counts no process at all; with a weight 0 process that is FAULT for good, even
//! with every tracked process running. The test checks that too, so a keepalived that
//! behaves otherwise is noticed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::require_root;

/// A tracked program: a copy of `sleep` named `name`; killed (and reaped) on drop.
struct Tracked {
    path: PathBuf,
    child: Option<Child>,
}

impl Tracked {
    fn new(dir: &Path, name: &str) -> Tracked {
        let path = dir.join(name);
        std::fs::copy("/bin/sleep", &path).expect("copy sleep");
        Tracked { path, child: None }
    }

    fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(&self.path).arg("600").stdin(Stdio::null()).spawn().expect("start tracked process");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A name of at most 15 bytes (the length of `/proc/PID/comm`) unique to this run.
fn unique(tag: &str) -> String {
    format!("vt{tag}{}", std::process::id())
}

/// The master's config: VRRPv3 at 0.1 s adverts, priority 101 (the backup has 100),
/// tracking `weighted` with weight -10 and `vital` with weight 0.
fn master_config(weighted: &str, vital: &str) -> String {
    let blocks = format!(
        "vrrp_track_process weighted {{\n    process {weighted}\n    weight -10\n}}\n\
         vrrp_track_process vital {{\n    process {vital}\n}}\n"
    );
    let instance = Conf::seed("MASTER", 101).v3().advert_int("0.1").render().replace(
        "    virtual_ipaddress {",
        "    track_process {\n        weighted\n        vital\n    }\n    virtual_ipaddress {",
    );
    format!("{blocks}{instance}")
}

fn backup_config() -> String {
    Conf::seed("BACKUP", 100).v3().advert_int("0.1").render()
}

/// Times, from the kill or the restart, to the event each step waits for.
#[derive(Debug, Default)]
struct Times {
    weighted_down: Option<Duration>,
    weighted_up: Option<Duration>,
    vital_down: Option<Duration>,
    vital_up: Option<Duration>,
}

/// Runs the scenario against a master started by `start_master`, which must report its
/// state through `state` ("" when it cannot tell). Returns the times.
fn scenario(
    lan: &vrrp_lab::Lan,
    weighted: &mut Tracked,
    vital: &mut Tracked,
    state: &dyn Fn() -> String,
    logs: &dyn Fn() -> String,
) -> Times {
    let limit = Duration::from_secs(10);
    let mut t = Times::default();
    let settled = wait_for(limit, || holds(lan, "a", vip()) && !holds(lan, "b", vip()));
    assert!(settled.is_some(), "pair never settled with both processes running\n{}", logs());

    // weight -10: 101 - 10 = 91 < 100, so b preempts.
    weighted.kill();
    t.weighted_down = wait_for(limit, || holds(lan, "b", vip()) && !holds(lan, "a", vip()));
    assert!(t.weighted_down.is_some(), "VIP did not move to b when the weight -10 process died\n{}", logs());
    let s = state();
    assert!(s.is_empty() || s == "BACKUP", "a is {s}, expected BACKUP\n{}", logs());
    weighted.start();
    t.weighted_up = wait_for(limit, || holds(lan, "a", vip()) && !holds(lan, "b", vip()));
    assert!(t.weighted_up.is_some(), "VIP did not come back to a when the process ran again\n{}", logs());

    // weight 0: FAULT.
    vital.kill();
    t.vital_down = wait_for(limit, || holds(lan, "b", vip()) && !holds(lan, "a", vip()));
    assert!(t.vital_down.is_some(), "VIP did not move to b when the weight 0 process died\n{}", logs());
    let s = state();
    assert!(s.is_empty() || s == "FAULT", "a is {s}, expected FAULT\n{}", logs());
    vital.start();
    t.vital_up = wait_for(limit, || holds(lan, "a", vip()) && !holds(lan, "b", vip()));
    assert!(t.vital_up.is_some(), "a did not recover from FAULT when the process ran again\n{}", logs());
    let s = state();
    assert!(s.is_empty() || s == "MASTER", "a is {s}, expected MASTER\n{}", logs());
    t
}

#[test]
fn track_process_weight_moves_the_vip_and_weight_zero_faults() {
    let test = "track_process_weight_moves_the_vip_and_weight_zero_faults";
    if !require_root(test) {
        return;
    }
    let bins = tempfile::tempdir().expect("tempdir");
    let (wname, vname) = (unique("w"), unique("v"));
    let mut weighted = Tracked::new(bins.path(), &wname);
    let mut vital = Tracked::new(bins.path(), &vname);
    weighted.start();
    vital.start();

    // Master_Down_Interval of b (priority 100) at 0.1 s adverts: 0.3 s + skew 0.061 s.
    let down: Duration = master_down_interval(100, 10).into();
    // vrrpd's fallback scan period plus b's (or a's, coming back) Master_Down_Interval.
    let bound = Duration::from_secs(1) + master_down_interval(100, 10).into() + Duration::from_millis(1500);

    let vrrpd_times = {
        let lan = lan("tproc");
        let a = start_vrrpd(&lan, "a", &master_config(&wname, &vname));
        let b = start_vrrpd(&lan, "b", &backup_config());
        let logs = || format!("a log:\n{}\nb log:\n{}", a.log(), b.log());
        let t = scenario(&lan, &mut weighted, &mut vital, &|| a.state(), &logs);
        let log = a.log();
        assert!(log.contains("Quorum lost for tracked process weighted"), "{log}");
        assert!(log.contains("Quorum gained for tracked process vital"), "{log}");
        assert!(log.contains("process events connector cannot be used"), "the fallback is not logged:\n{log}");
        let status = a.status_json();
        assert_eq!(status["instances"][0]["effective_priority"], 101, "{status}");
        t
    };
    println!("vrrpd (fallback /proc scan, Master_Down_Interval {down:?}): {vrrpd_times:?}");
    for (what, took) in [
        ("weight -10 process killed -> VIP on b", vrrpd_times.weighted_down),
        ("weight -10 process restarted -> VIP on a", vrrpd_times.weighted_up),
        ("weight 0 process killed -> VIP on b", vrrpd_times.vital_down),
        ("weight 0 process restarted -> VIP on a", vrrpd_times.vital_up),
    ] {
        let took = took.unwrap_or_default();
        assert!(
            took <= bound,
            "{what}: {took:?}, more than the scan period + Master_Down_Interval + margin ({bound:?})"
        );
    }

    if !keepalived_available(test) {
        return;
    }
    let lan = lan("tprocka");
    let a = start_keepalived(&lan, "a", &master_config(&wname, &vname));
    let b = start_vrrpd(&lan, "b", &backup_config());
    let logs = || format!("keepalived a log:\n{}\nb log:\n{}", a.log(), b.log());
    let refused = wait_for(Duration::from_secs(10), || {
        let log = a.log();
        log.contains("Failed to set/clear process event listen - errno 111")
            && log.contains("(VI) entering FAULT state (tracked process vital quorum not achieved)")
    });
    assert!(refused.is_some(), "keepalived tracked processes in a network namespace after all:\n{}", logs());
    assert!(wait_for(Duration::from_secs(5), || holds(&lan, "b", vip())).is_some(), "{}", logs());
    // Both processes run, yet keepalived stays in FAULT (no VIP on a) however long.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!holds(&lan, "a", vip()) && holds(&lan, "b", vip()), "{}", logs());
    println!(
        "keepalived 2.2.7, same run, same config: subscription refused, no /proc scan: FAULT with every tracked process running"
    );
}
