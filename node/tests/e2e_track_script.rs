//! `vrrp_script` / `track_script` on the seed pair (issue 10; keepalived.conf(5) "vrrp_script",
//! keepalived 2.2.7 keepalived/vrrp/vrrp_track.c: process_script_update_priority): each server
//! runs a real TCP service the test starts in its namespace, checked every second by a script
//! (bash /dev/tcp), `weight -2 rise 2 fall 2`. The master (101) loses its service: after
//! `fall` failed checks its priority drops to 99, below the backup's 100, and the backup takes
//! the VIP; the service comes back: after `rise` good checks the master is 101 again and
//! preempts.
//!
//! Timing, on the wire (kernel timestamps of the client's capture), from the moment the test
//! stopped (restarted) the service:
//! * The script runs every `interval` at a phase of its own, so the first failing check comes
//!   up to one interval after the stop, the `fall`-th up to `fall × interval` after it; the
//!   priority drops when that run exits. The test stops (restarts) the service just after a
//!   check ran, the worst phase, the same for every pair, so their figures compare. The master's next advert carries the lower priority,
//!   and the backup, which discards it (RFC 3768 §6.4.2 / RFC 9568 §6.4.2, keepalived
//!   vrrp.c: vrrp_state_backup "received lower priority ... discarding"), takes over
//!   Master_Down_Interval after the master's last advert at the old priority, which came
//!   before the drop. So the takeover is at most `fall × interval + Master_Down_Interval`
//!   after the stop, plus `LATE` (scheduling on a loaded machine; the run itself takes a few
//!   ms and is within it).
//! * The return: at most `rise × interval + Master_Down_Interval` (the returning server's, at
//!   its restored priority) after the restart, plus `LATE`.
//! * `fall` and `rise` are honoured, not just the bound: each check logs its run, and the
//!   priority change shows on the wire only after the `fall`-th failing (`rise`-th good) run.

mod common;

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use common::capture::{advert_source, between, Capture, Frame, EARLY, LATE};
use common::track::{nth_in_streak, record_figure, Daemon, Kind, ScriptDir, Service, TrackConf};
use common::*;
use vrrp_core::timers::master_down_interval;
use vrrp_lab::require_root;

/// The service's port on each server.
const PORT: u16 = 7100;
/// How long the loose waits (the VIP moved, as `ip` shows it) may take beyond the protocol
/// bound before the test gives up: generous, because on a machine busy with other work
/// (`scripts/test-under-load.sh`) a daemon's script can be scheduled seconds late. The
/// bounds themselves are asserted afterwards, on the wire.
const SLACK: Duration = Duration::from_secs(20);
const INTERVAL: Duration = Duration::from_secs(1);
const RISE: u32 = 2;
const FALL: u32 = 2;
const WEIGHT: i32 = -2;
const VRID: u8 = 200;

/// One server's config: the seed instance tracking its own service.
fn config(dir: &ScriptDir, state: &str, priority: u8) -> String {
    let check = dir.tcp_check("chk_service");
    TrackConf::new(Conf::seed(state, priority))
        .block(&common::track::vrrp_script(
            "chk_service",
            &format!("{} {PORT}", check.display()),
            INTERVAL.as_secs() as u32,
            WEIGHT,
            RISE,
            FALL,
            &[],
        ))
        .instance("track_script {\n    chk_service\n}")
        .render()
}

/// What one run of the scenario measured.
#[derive(Debug, Clone, Copy)]
struct Figures {
    /// Service stopped on a → b's first advert.
    fail: Duration,
    /// Service restarted on a → a's first advert at priority 101.
    back: Duration,
    /// The same, less what the check's phase and the adverts' phase account for: from the
    /// old master's last advert before the deciding run ended (+ LATE for the daemon to act on
    /// its result) to the takeover, less Master_Down_Interval, floored at zero. What the
    /// daemons add beyond a prompt reaction; near zero for either.
    fail_excess: Duration,
    back_excess: Duration,
}

/// The last advert from `src` before `before`.
fn last_advert_before(cap: &Capture, src: IpAddr, before: SystemTime) -> Frame {
    cap.last_advert(src, VRID, before)
}

/// The seed pair, a running `a_kind` (MASTER 101) and b running `b_kind` (BACKUP 100),
/// each tracking its own service; returns the figures.
fn scenario(test: &str, tag: &str, a_kind: Kind, b_kind: Kind) -> Figures {
    let lan = lan(tag);
    let cap = Capture::start(&lan, "client");
    let (a_src, b_src) = (advert_source(&lan, "a", false), advert_source(&lan, "b", false));
    let (da, db) = (ScriptDir::new(), ScriptDir::new());
    let mut svc_a = Service::start(&lan, "a", PORT);
    let _svc_b = Service::start(&lan, "b", PORT);
    let a = Daemon::start(&lan, "a", a_kind, &config(&da, "MASTER", 101));
    let b = Daemon::start(&lan, "b", b_kind, &config(&db, "BACKUP", 100));
    let logs = |a: &Daemon, b: &Daemon| format!("{}\n{}\n{}", a.log(), b.log(), cap.summary());
    let down_b: Duration = master_down_interval(100, 100).into();
    let down_a: Duration = master_down_interval(101, 100).into();
    let label = format!("{test} (a {}, b {})", a_kind.name(), b_kind.name());

    // 1. Settled: a holds the VIP, alone, advertising 101, and both check their service.
    let settled = wait_for(4 * down_b + SLACK, || {
        holders(&lan, &["a", "b"], vip()) == ["a"]
            && da.runs("chk_service").len() >= 2
            && db.runs("chk_service").len() >= 2
    });
    assert!(
        settled.is_some(),
        "{label}: never settled, holders {:?}\n{}",
        holders(&lan, &["a", "b"], vip()),
        logs(&a, &b)
    );
    cap.advert(a_src, VRID, Capture::mark(), Duration::from_secs(3), |p| p == 101);
    assert!(da.runs("chk_service").iter().all(|r| r.ok), "{label}: a's check failed with its service up");

    // 2. Stop a's service. b takes the VIP (a loose wait first, then the wire).
    after_a_check(&da);
    let stopped = svc_a.stop();
    let bound_fail = FALL * INTERVAL + down_b + LATE;
    let took = wait_for(bound_fail + SLACK, || holds(&lan, "b", vip()) && !holds(&lan, "a", vip()));
    assert!(took.is_some(), "{label}: b never took over after a's service stopped\n{}", logs(&a, &b));
    let b_first = cap.advert(b_src, VRID, stopped, Duration::from_secs(3), |p| p == 100);
    cap.announcement(vip(), lan.mac("b").unwrap(), stopped, Duration::from_secs(3));
    let fail = between_time(stopped, &b_first);
    // fall honoured: the first advert at the lowered priority came after the FALL-th failing run.
    let runs = da.runs("chk_service");
    let decisive = nth_in_streak(&runs, stopped, false, FALL as usize)
        .unwrap_or_else(|| panic!("{label}: a's check never failed {FALL} times: {runs:?}\n{}", logs(&a, &b)));
    let lowered = cap.advert(a_src, VRID, stopped, Duration::from_secs(1), |p| p == 99);
    assert!(
        lowered.at > decisive.start,
        "{label}: a advertised priority 99 at {:?}, before its failing check no. {FALL} began at {:?} (fall {FALL} not honoured)\nruns {runs:?}\n{}",
        lowered.at,
        decisive.start,
        logs(&a, &b)
    );
    // The protocol part: b took over Master_Down_Interval after a's last advert at 101.
    let last_high = cap
        .last_before(b_first.at, |f| f.advert_priority(a_src, VRID).is_some_and(|p| p >= 100))
        .unwrap_or_else(|| panic!("{label}: no advert from a at 101 before b's takeover\n{}", cap.summary()));
    let protocol = between(&last_high, &b_first);
    assert!(
        protocol + EARLY >= down_b && protocol <= down_b + LATE,
        "{label}: b's first advert {protocol:?} after a's last advert at 101 (Master_Down_Interval {down_b:?}, -{EARLY:?} +{LATE:?})\n{}",
        logs(&a, &b)
    );
    assert!(
        fail <= bound_fail,
        "{label}: failover {fail:?} after the service stopped, bound fall × interval + Master_Down_Interval + LATE = {bound_fail:?}\n{}",
        logs(&a, &b)
    );
    let fail_excess = between(&last_advert_before(&cap, a_src, decisive.end + LATE), &b_first).saturating_sub(down_b);

    // 3. Restart a's service: a preempts back after RISE good checks.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(holders(&lan, &["a", "b"], vip()), ["b"], "{label}: VIP not on b alone\n{}", logs(&a, &b));
    after_a_check(&da);
    let restarted = svc_a.restart(&lan);
    let bound_back = RISE * INTERVAL + down_a + LATE;
    let back_wait = wait_for(bound_back + SLACK, || holds(&lan, "a", vip()) && !holds(&lan, "b", vip()));
    assert!(back_wait.is_some(), "{label}: the VIP never returned to a\n{}", logs(&a, &b));
    let a_back = cap.advert(a_src, VRID, restarted, Duration::from_secs(3), |p| p == 101);
    cap.announcement(vip(), lan.mac("a").unwrap(), restarted, Duration::from_secs(3));
    let back = between_time(restarted, &a_back);
    let runs = da.runs("chk_service");
    let decisive = nth_in_streak(&runs, restarted, true, RISE as usize)
        .unwrap_or_else(|| panic!("{label}: a's check never passed {RISE} times: {runs:?}\n{}", logs(&a, &b)));
    // rise honoured: a (silent as backup) raised its priority only once the RISE-th good run
    // had begun, so b's adverts up to then still held it back: a's takeover is at least
    // Master_Down_Interval after b's last advert before that run.
    let held_back = last_advert_before(&cap, b_src, decisive.start);
    let since = between(&held_back, &a_back);
    assert!(
        since + EARLY >= down_a,
        "{label}: a took over {since:?} after b's last advert before a's good check no. {RISE} (Master_Down_Interval {down_a:?}): rise {RISE} not honoured\nruns {runs:?}\n{}",
        logs(&a, &b)
    );
    assert!(
        back <= bound_back,
        "{label}: return {back:?} after the service restarted, bound rise × interval + Master_Down_Interval + LATE = {bound_back:?}\n{}",
        logs(&a, &b)
    );
    let back_excess = between(&last_advert_before(&cap, b_src, decisive.end + LATE), &a_back).saturating_sub(down_a);
    // b fell silent once a was back (one advert may cross a's on the wire).
    let b_after = cap.all_between(a_back.at + LATE, Capture::mark(), |f| f.advert_priority(b_src, VRID).is_some());
    assert!(b_after.is_empty(), "{label}: b kept advertising after a returned: {b_after:?}\n{}", logs(&a, &b));
    let f = Figures { fail, back, fail_excess, back_excess };
    eprintln!("{label}: {f:?}");
    f
}

/// Returns just after a's check has run again: the service is then stopped (restarted) at
/// the worst phase for the script, almost a full interval before its next run, the same
/// phase for every pair, so their figures compare.
fn after_a_check(dir: &ScriptDir) {
    let n = dir.runs("chk_service").len();
    let ran = wait_for(INTERVAL * 3, || dir.runs("chk_service").len() > n);
    assert!(ran.is_some(), "a's check stopped running");
}

/// From a test-side moment to a captured frame.
fn between_time(from: SystemTime, to: &Frame) -> Duration {
    to.at.duration_since(from).unwrap_or_else(|e| panic!("{to:?} is {:?} before the event", e.duration()))
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn figure(name: &str, f: &Figures) -> String {
    format!(
        "{name}: failover {} after the service stopped (excess {}), return {} after it restarted (excess {})",
        ms(f.fail),
        ms(f.fail_excess),
        ms(f.back),
        ms(f.back_excess)
    )
}

/// The vrrpd pair and a keepalived 2.2.7 pair, same config, same run (in parallel, each on
/// its own LAN): both figures side by side. vrrpd must be no slower than keepalived beyond
/// what chance alone can make differ: each pair's figure carries its own script phase and
/// advert phase (up to `interval` + `advert_int` between two runs of the same daemon), plus
/// LATE; the excess (phases taken out) beyond LATE.
#[test]
fn vrrpd_pair_tracks_its_service_no_slower_than_keepalived() {
    let test = "vrrpd_pair_tracks_its_service_no_slower_than_keepalived";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let (ours, theirs) = std::thread::scope(|s| {
        let ka = s.spawn(|| scenario(test, "trkka", Kind::Keepalived, Kind::Keepalived));
        let ours = scenario(test, "trkvr", Kind::Vrrpd, Kind::Vrrpd);
        (ours, ka.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    record_figure(&figure("track_script vrrpd pair", &ours));
    record_figure(&figure("track_script keepalived pair", &theirs));
    record_figure(&format!(
        "track_script side by side (vrrpd | keepalived): failover {} | {}, return {} | {}",
        ms(ours.fail),
        ms(theirs.fail),
        ms(ours.back),
        ms(theirs.back)
    ));
    let chance = INTERVAL + Duration::from_secs(1) + LATE;
    for (what, o, t) in [("failover", ours.fail, theirs.fail), ("return", ours.back, theirs.back)] {
        assert!(o <= t + chance, "{what}: vrrpd {o:?}, keepalived {t:?} (margin {chance:?})");
    }
    for (what, o, t) in
        [("failover", ours.fail_excess, theirs.fail_excess), ("return", ours.back_excess, theirs.back_excess)]
    {
        assert!(o <= t + LATE, "{what} excess: vrrpd {o:?}, keepalived {t:?} (margin {LATE:?})");
    }
}

/// Mixed pairs: vrrpd tracking its service as the master with keepalived as the backup, and
/// the other way round; the VIP moves to the peer and back either way.
#[test]
fn mixed_pairs_fail_over_and_back_on_the_tracked_service() {
    let test = "mixed_pairs_fail_over_and_back_on_the_tracked_service";
    if !require_root(test) || !keepalived_available(test) {
        return;
    }
    let (vk, kv) = std::thread::scope(|s| {
        let kv = s.spawn(|| scenario(test, "trkkv", Kind::Keepalived, Kind::Vrrpd));
        let vk = scenario(test, "trkvk", Kind::Vrrpd, Kind::Keepalived);
        (vk, kv.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    record_figure(&figure("track_script vrrpd master, keepalived backup", &vk));
    record_figure(&figure("track_script keepalived master, vrrpd backup", &kv));
}
