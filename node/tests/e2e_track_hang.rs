//! A hanging track script at 10 ms adverts (issue 10: scripts run off the protocol loop; one
//! that hangs is killed, its whole process group, at its `timeout` and counts as a failure;
//! it never delays an advert; no zombie is left. keepalived 2.2.7 vrrp_scheduler.c:
//! vrrp_script_child_thread sends SIGTERM to the script's process group at the timeout, then
//! SIGKILL, and treats it as a failure).
//!
//! The pair at `advert_int 0.01` (VRRPv3), a MASTER 150 and b BACKUP 100, each tracking a
//! script that never returns (`sleep 1000` in the background, `sleep 1000` in front: two
//! processes in its group), `interval 1 timeout 1 weight -20`: a's priority drops to 130, b's
//! to 80, and no state may change. While scripts hang and are killed, over several seconds:
//! * on the wire, a's adverts never leave a gap of Master_Down_Interval, b never advertises;
//! * no process of the script's outlives its timeout by more than [`KILL_SLACK`];
//! * no child of the daemon stays a zombie longer than [`ZOMBIE_SLACK`];
//! * (vrrpd) the timer punctuality counters in `vrrpctl status` meet e2e_timer's bound against
//!   a reference timer in the same window, and neither instance made a transition.
//!
//! This binary's tests run one after another (a lock), so each pair has the machine to itself
//! as e2e_timer's does.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use common::capture::{advert_source, between, Capture};
use common::punctuality::{reference_timer, Punctuality};
use common::track::{all_pids, cmdline, proc_state, vrrp_script, Daemon, Kind, ScriptDir, TrackConf};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::{pids_in_netns, require_root};

const VRID: u8 = 200;
/// The scripts' `timeout`.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How long past its timeout a script's process may live: the daemon's reaction to the
/// timer and the kill's delivery on a loaded machine. (keepalived's SIGKILL follow-up comes
/// 2 s later, but only for a process that survived SIGTERM, which `sleep` does not.)
const KILL_SLACK: Duration = Duration::from_secs(1);
/// How long a child may stay a zombie: between its exit and the daemon's waitpid.
const ZOMBIE_SLACK: Duration = Duration::from_millis(500);
/// 2 s windows in which the machine could wake a timer in time that the test needs (each
/// sees at least one script killed at its timeout), and the most it measures.
const USABLE: usize = 2;
const MAX_WINDOWS: usize = 10;

static ALONE: Mutex<()> = Mutex::new(());

fn config(kind: Kind, dir: &ScriptDir, state: &str, priority: u8) -> String {
    let hang = dir.script(
        "hang.sh",
        &format!("echo $EPOCHREALTIME >> {}\nsleep 1000 &\nexec sleep 1000\n", dir.path("hang.runs").display()),
    );
    let mut conf = TrackConf::new(Conf::seed(state, priority).v3().advert_int("0.01"))
        .block(&vrrp_script("hang", &hang.display().to_string(), 1, -20, 1, 1, &["timeout 1"]))
        .instance("track_script {\n    hang\n}");
    if kind == Kind::Keepalived {
        // vrrpd runs at nice -10; keepalived at the same priority, for a fair comparison
        // with the reference timer (itself at nice -10).
        conf = conf.global("vrrp_priority -10");
    }
    conf.render()
}

/// What the process sampler saw on one server.
#[derive(Debug, Default)]
struct Procs {
    /// `sleep 1000` processes: first and last time seen.
    sleeps: HashMap<u32, (Instant, Instant)>,
    /// Zombies whose parent is in the server's namespace: first and last time seen.
    zombies: HashMap<u32, (Instant, Instant)>,
}

fn sample(ns: &str, procs: &mut Procs) {
    let now = Instant::now();
    let live = pids_in_netns(ns).unwrap_or_default();
    for &p in &live {
        if cmdline(p).is_some_and(|c| c.ends_with("sleep 1000")) {
            procs.sleeps.entry(p).or_insert((now, now)).1 = now;
        }
    }
    for p in all_pids() {
        if proc_state(p).is_some_and(|(s, pp)| s == 'Z' && live.contains(&pp)) {
            procs.zombies.entry(p).or_insert((now, now)).1 = now;
        }
    }
}

/// A state-change count: vrrpd's master_transitions (b) and state, keepalived's "Entering"
/// log lines.
fn transitions(d: &Daemon) -> (u64, String) {
    match d {
        Daemon::Vrrpd(v) => {
            let s = v.status_json();
            let i = &s["instances"][0];
            (i["stats"]["master_transitions"].as_u64().unwrap_or(0), i["state"].as_str().unwrap_or("").to_owned())
        }
        Daemon::Keepalived(k) => (k.log().matches("Entering ").count() as u64, String::new()),
    }
}

fn scenario(test: &str, tag: &str, kind: Kind) {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let lan = lan(tag);
    let cap = Capture::start(&lan, "client");
    let (da, db) = (ScriptDir::new(), ScriptDir::new());
    let a = Daemon::start(&lan, "a", kind, &config(kind, &da, "MASTER", 150));
    let b = Daemon::start(&lan, "b", kind, &config(kind, &db, "BACKUP", 100));
    let label = format!("{test} ({})", kind.name());
    let logs = || format!("{}\n{}\n{}", a.log(), b.log(), cap.summary());
    let (a_src, b_src) = (advert_source(&lan, "a", false), advert_source(&lan, "b", false));
    let interval = Duration::from_millis(10);
    let down: Duration = master_down_interval(100, 1).into();

    // Settled, and the scripts have timed out at least once: a advertises 130.
    let settled = wait_for(Duration::from_secs(15), || {
        holders(&lan, &["a", "b"], vip()) == ["a"]
            && cap.frames().iter().any(|f| f.advert_priority(a_src, VRID) == Some(130))
    });
    assert!(settled.is_some(), "{label}: never settled with a's script failed (priority 130)\n{}", logs());
    let (a0, b0) = (transitions(&a), transitions(&b));
    let start = Capture::mark();
    let stop = AtomicBool::new(false);
    let (procs_a, procs_b, windows) = std::thread::scope(|s| {
        let sampler = |host: &'static str| {
            let ns = lan.ns_name(host).to_owned();
            let stop = &stop;
            s.spawn(move || {
                let mut procs = Procs::default();
                while !stop.load(Ordering::Relaxed) {
                    sample(&ns, &mut procs);
                    std::thread::sleep(Duration::from_millis(50));
                }
                procs
            })
        };
        let (sa, sb) = (sampler("a"), sampler("b"));
        // Windows until USABLE of them found the machine able to wake a timer in time
        // (e2e_timer's criterion), or MAX_WINDOWS.
        let usable = (down - interval) / 2;
        let mut windows: Vec<Window> = Vec::new();
        while windows.len() < MAX_WINDOWS && windows.iter().filter(|w| w.timer.ref_worst < usable).count() < USABLE {
            let vrrpd = match &a {
                Daemon::Vrrpd(v) => Some(v),
                Daemon::Keepalived(_) => None,
            };
            windows.push(window(vrrpd, interval, || (transitions(&a), transitions(&b))));
        }
        stop.store(true, Ordering::Relaxed);
        (sa.join().unwrap(), sb.join().unwrap(), windows)
    });
    let end = Capture::mark();

    // The wire: b stayed silent throughout; in each usable window a kept advertising within
    // Master_Down_Interval (and vrrpd's timer met e2e_timer's bound).
    let usable = (down - interval) / 2;
    let good: Vec<&Window> = windows.iter().filter(|w| w.timer.ref_worst < usable).collect();
    assert!(good.len() >= USABLE, "{label}: only {} of {} windows usable: {windows:?}", good.len(), windows.len());
    for w in &good {
        let adverts = cap.all_between(w.start, w.end, |f| f.advert_priority(a_src, VRID).is_some());
        let (gap, gap_at) =
            adverts.windows(2).map(|w| (between(&w[0], &w[1]), w[0].at)).max().unwrap_or((Duration::MAX, w.start));
        // Where the largest gap sits against a's script starts (each logs its start).
        let starts = script_starts(&da);
        let nearest = starts
            .iter()
            .map(|&t| t.duration_since(gap_at).map(|d| d.as_secs_f64()).unwrap_or_else(|e| -e.duration().as_secs_f64()))
            .min_by(|x, y| x.abs().total_cmp(&y.abs()));
        eprintln!(
            "{label}: window {:?}: {} adverts from a, largest gap {gap:?}, a script of a's started {nearest:?} s after the gap began",
            w.timer,
            adverts.len()
        );
        assert!(adverts.len() >= 150, "{label}: {} adverts from a in 2 s\n{}", adverts.len(), logs());
        assert!(gap < down, "{label}: a's adverts stopped for {gap:?} (Master_Down_Interval {down:?})\n{}", logs());
        let b_adverts = cap.all_between(w.start, w.end, |f| f.advert_priority(b_src, VRID).is_some());
        assert!(b_adverts.is_empty(), "{label}: b advertised: {:?}\n{}", &b_adverts[..b_adverts.len().min(5)], logs());
        assert_eq!((&w.a_before, &w.b_before), (&w.a_after, &w.b_after), "{label}: a or b changed state\n{}", logs());
        if kind == Kind::Vrrpd {
            assert!(w.timer.fired >= 150, "{label}: only {} timer expiries in 2 s at 10 ms adverts", w.timer.fired);
            assert!(w.timer.holds(), "{label}: timer late: {:?}\n{}", w.timer, logs());
        }
    }
    // Over the whole watch (stalled windows included), for the record.
    let b_total = cap.all_between(start, end, |f| f.advert_priority(b_src, VRID).is_some()).len();
    eprintln!(
        "{label}: over all {} windows: a {a0:?} -> {:?}, b {b0:?} -> {:?}, {b_total} adverts from b",
        windows.len(),
        transitions(&a),
        transitions(&b)
    );

    // The scripts were killed at their timeout, whole group, and reaped.
    for (host, procs) in [("a", &procs_a), ("b", &procs_b)] {
        assert!(procs.sleeps.len() >= 4, "{label}: {host}: only {} script processes seen", procs.sleeps.len());
        for (pid, (first, last)) in &procs.sleeps {
            // How long it was seen alive (less than it lived if it started before the
            // sampling did, which only makes this lenient).
            let lived = last.duration_since(*first);
            assert!(
                lived <= TIMEOUT + KILL_SLACK,
                "{label}: {host}: script process {pid} lived {lived:?} (timeout {TIMEOUT:?})\n{}",
                logs()
            );
        }
        for (pid, (first, last)) in &procs.zombies {
            let stuck = last.duration_since(*first);
            assert!(stuck <= ZOMBIE_SLACK, "{label}: {host}: zombie {pid} for {stuck:?}\n{}", logs());
        }
        eprintln!(
            "{label}: {host}: {} script processes, longest lived {:?}; {} zombies seen, longest {:?}",
            procs.sleeps.len(),
            procs.sleeps.values().map(|(f, l)| l.duration_since(*f)).max().unwrap_or_default(),
            procs.zombies.len(),
            procs.zombies.values().map(|(f, l)| l.duration_since(*f)).max().unwrap_or_default()
        );
    }
}

/// When each of a server's hang.sh runs started (it logs $EPOCHREALTIME first thing).
fn script_starts(dir: &ScriptDir) -> Vec<SystemTime> {
    std::fs::read_to_string(dir.path("hang.runs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(s))
        .collect()
}

/// One 2 s measurement window.
#[derive(Debug)]
struct Window {
    start: SystemTime,
    end: SystemTime,
    /// vrrpd's timer counters (zero for keepalived) beside the reference timer's.
    timer: Punctuality,
    /// a's and b's state-change counts before and after.
    a_before: (u64, String),
    b_before: (u64, String),
    a_after: (u64, String),
    b_after: (u64, String),
}

/// One 2 s window: the reference timer, and vrrpd's (a's) timer counters around it.
fn window(a: Option<&Vrrpd>, period: Duration, states: impl Fn() -> ((u64, String), (u64, String))) -> Window {
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    let counters = || a.map(|a| a.status_json()["timer"].clone()).unwrap_or(serde_json::Value::Null);
    let (a_before, b_before) = states();
    let start = Capture::mark();
    let before = counters();
    let (ref_fired, ref_late, ref_worst) = reference_timer(period, Duration::from_secs(2));
    let after = counters();
    let end = Capture::mark();
    let (a_after, b_after) = states();
    let timer = Punctuality {
        fired: n(&after, "fired") - n(&before, "fired"),
        late: n(&after, "late_over_1ms") - n(&before, "late_over_1ms"),
        ref_fired,
        ref_late,
        ref_worst,
    };
    Window { start, end, timer, a_before, b_before, a_after, b_after }
}

#[test]
fn keepalived_hanging_script_is_killed_at_its_timeout_without_disturbing_10ms_adverts() {
    let test = "keepalived_hanging_script_is_killed_at_its_timeout_without_disturbing_10ms_adverts";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    scenario(test, "hangka", Kind::Keepalived);
}

#[test]
fn vrrpd_hanging_script_is_killed_at_its_timeout_and_timers_stay_punctual_at_10ms_adverts() {
    let test = "vrrpd_hanging_script_is_killed_at_its_timeout_and_timers_stay_punctual_at_10ms_adverts";
    if !require_root(test) {
        return;
    }
    scenario(test, "hangvr", Kind::Vrrpd);
}
