use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::*;
use crate::config::SourceLocation;

fn tp(process: &str, params: &[&str], param_match: Option<ParamMatch>, full_command: bool) -> TrackProcess {
    TrackProcess {
        name: "p".into(),
        location: SourceLocation { file: "k.conf".into(), line: 1, column: 1 },
        process: process.into(),
        params: params.iter().map(|s| s.to_string()).collect(),
        param_match,
        full_command,
        weight: 0,
        reverse: false,
        quorum: 1,
        quorum_max: u32::MAX,
        fork_delay: Duration::ZERO,
        terminate_delay: Duration::ZERO,
    }
}

fn m(process: &str, params: &[&str], pm: Option<ParamMatch>) -> Matcher {
    Matcher::new(&tp(process, params, pm, pm.is_some() || !params.is_empty()))
}

/// keepalived.conf(5): an exact match of the name, not pgrep's regular expression.
#[test]
fn keepalived_name_match_is_exact_on_comm() {
    let by_name = Matcher::new(&tp("ssh", &[], None, false));
    assert!(by_name.matches(b"ssh", None));
    assert!(!by_name.matches(b"sshd", None));
    assert!(!by_name.matches(b"ss", None));
    // full_command: the first word of cmdline, whatever follows.
    let full = Matcher::new(&tp("/usr/sbin/sshd", &[], None, true));
    assert!(full.matches(b"sshd", Some(b"/usr/sbin/sshd\0-D\0")));
    assert!(!full.matches(b"sshd", Some(b"sshd\0-D\0")));
    assert!(!full.matches(b"sshd", Some(b"")), "a zombie or kernel thread has no cmdline");
    assert!(!full.matches(b"sshd", None));
}

/// keepalived track_process.c `check_params`.
#[test]
fn keepalived_param_match_exact_partial_initial() {
    let exact = m("nginx", &["-g", "daemon off;"], None);
    assert!(exact.matches(b"", Some(b"nginx\0-g\0daemon off;\0")));
    assert!(!exact.matches(b"", Some(b"nginx\0-g\0daemon off;\0-x\0")));
    assert!(!exact.matches(b"", Some(b"nginx\0-g\0")));
    // param_match without parameters: the process must have none.
    let none = m("sleep", &[], Some(ParamMatch::Exact));
    assert!(none.matches(b"", Some(b"sleep\0")));
    assert!(!none.matches(b"", Some(b"sleep\x00100\0")));
    let partial = m("app", &["-c", "a.conf"], Some(ParamMatch::Partial));
    assert!(partial.matches(b"", Some(b"app\0-c\0a.conf\0-v\0")));
    assert!(partial.matches(b"", Some(b"app\0-c\0a.conf\0")));
    assert!(!partial.matches(b"", Some(b"app\0-c\0a.conf.bak\0")));
    let initial = m("app", &["-c", "a"], Some(ParamMatch::Initial));
    assert!(initial.matches(b"", Some(b"app\0-c\0a.conf\0-v\0")));
    assert!(!initial.matches(b"", Some(b"app\0-c\0b\0")));
    assert!(!initial.matches(b"", Some(b"app\0-cx\0a\0")));
    let any = m("app", &[], Some(ParamMatch::Partial));
    assert!(any.matches(b"", Some(b"app\0whatever\0")));
}

/// A cut cmdline (the tracker reads only what decides) still tells "longer" from "equal".
#[test]
fn cmdline_read_limit_keeps_exact_matching_right() {
    let exact = m("a", &["bc"], None);
    let needed = exact.cmdline_needed();
    let long = b"a\0bcdef\0";
    assert!(!exact.matches(b"", Some(&long[..needed.min(long.len())])));
    assert!(exact.matches(b"", Some(&b"a\0bc\0"[..needed.min(5)])));
}

#[test]
fn stat_line_name_and_zombies() {
    assert_eq!(parse_stat(b"42 (sleep) S 1 42 42 0"), Some(&b"sleep"[..]));
    assert_eq!(parse_stat(b"42 (a) (b)) R 1 42"), Some(&b"a) (b)"[..]));
    assert_eq!(parse_stat(b"42 (sleep) Z 1 42"), None);
    assert_eq!(parse_stat(b"42 (sleep) X 1 42"), None);
    assert_eq!(parse_stat(b"42 sleep S"), None);
    assert_eq!(parse_stat(b"42 (sleep)"), None);
}

fn quorum(q: u32, max: u32, fork: u64, term: u64) -> Quorum {
    let mut t = tp("x", &[], None, false);
    t.quorum = q;
    t.quorum_max = max;
    t.fork_delay = Duration::from_millis(fork);
    t.terminate_delay = Duration::from_millis(term);
    Quorum::new(&t)
}

/// keepalived `initialise_process_tracking_priorities`: good iff quorum <= n <= quorum_max,
/// reported at once at start.
#[test]
fn keepalived_quorum_bounds_and_first_report() {
    let t0 = Instant::now();
    let mut q = quorum(2, 3, 0, 0);
    assert_eq!(q.update(t0, 1, false, false), Some(false));
    assert_eq!(q.update(t0, 1, false, false), None);
    assert_eq!(q.update(t0, 2, false, false), Some(true));
    assert_eq!(q.update(t0, 3, true, false), None);
    assert_eq!(q.update(t0, 4, true, false), Some(false), "above quorum_max");
    let mut none = quorum(0, 0, 0, 0);
    assert_eq!(none.update(t0, 0, false, false), Some(true), "quorum_max 0: good while nothing runs");
    assert_eq!(none.update(t0, 1, false, false), Some(false));
}

/// keepalived `check_process_fork` / `check_process_termination`: fork_delay holds back a
/// quorum gained by a fork, terminate_delay one lost by an exit; coming back in time
/// cancels the change; other causes (exec, a scan at start) count at once.
#[test]
fn keepalived_fork_and_terminate_delays() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut q = quorum(1, u32::MAX, 100, 200);
    assert_eq!(q.update(t0, 1, false, false), Some(true));
    // Exit: held for terminate_delay, then lost.
    assert_eq!(q.update(t0, 0, false, true), None);
    assert_eq!(q.deadline(), Some(t0 + ms(200)));
    assert_eq!(q.update(t0 + ms(199), 0, false, false), None);
    assert_eq!(q.update(t0 + ms(200), 0, false, false), Some(false));
    assert_eq!(q.deadline(), None);
    // Fork: held for fork_delay.
    assert_eq!(q.update(t0 + ms(300), 1, true, false), None);
    assert_eq!(q.update(t0 + ms(400), 1, false, false), Some(true));
    // A restart within terminate_delay changes nothing.
    assert_eq!(q.update(t0 + ms(500), 0, false, true), None);
    assert_eq!(q.update(t0 + ms(550), 1, false, false), None);
    assert_eq!(q.deadline(), None);
    assert_eq!(q.update(t0 + ms(900), 1, false, false), None);
    // Lost by an exec (no exit): at once.
    assert_eq!(q.update(t0 + ms(1000), 0, false, false), Some(false));
    // Gained by an exec: at once, though fork_delay is set.
    assert_eq!(q.update(t0 + ms(1100), 1, false, false), Some(true));
}

fn message(what: u32, data: [u32; 4], idx: u32) -> Vec<u8> {
    let mut m = vec![0u8; 16 + 20 + 16 + 24];
    let len = m.len() as u32;
    m[0..4].copy_from_slice(&len.to_ne_bytes());
    m[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
    m[16..20].copy_from_slice(&idx.to_ne_bytes());
    m[20..24].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
    m[36..40].copy_from_slice(&what.to_ne_bytes());
    for (i, d) in data.iter().enumerate() {
        m[52 + 4 * i..56 + 4 * i].copy_from_slice(&d.to_ne_bytes());
    }
    m
}

/// linux/cn_proc.h layouts; threads are left out as keepalived's `handle_proc_ev` does.
#[test]
fn connector_messages_are_parsed_and_threads_skipped() {
    let mut buf = Vec::new();
    for (what, data) in [
        (PROC_EVENT_NONE, [0, 0, 0, 0]),
        (PROC_EVENT_FORK, [10, 10, 11, 11]),
        (PROC_EVENT_FORK, [10, 10, 12, 10]),
        (PROC_EVENT_EXEC, [11, 11, 0, 0]),
        (PROC_EVENT_EXEC, [13, 11, 0, 0]),
        (PROC_EVENT_COMM, [11, 11, 0, 0]),
        (PROC_EVENT_EXIT, [11, 11, 0, 0]),
        (PROC_EVENT_EXIT, [13, 11, 0, 0]),
        (0x40, [11, 11, 0, 0]),
    ] {
        buf.extend(message(what, data, CN_IDX_PROC));
    }
    buf.extend(message(PROC_EVENT_EXIT, [99, 99, 0, 0], 7));
    buf.extend_from_slice(&[1, 2, 3]);
    let mut got = Vec::new();
    parse_events(&buf, |e| got.push(e));
    assert_eq!(
        got,
        [Event::Ack, Event::Fork { parent: 10, child: 11 }, Event::Exec(11), Event::Comm(11), Event::Exit(11)]
    );
    let mut short = message(PROC_EVENT_EXIT, [5, 5, 0, 0], CN_IDX_PROC);
    short[0..4].copy_from_slice(&9999u32.to_ne_bytes());
    parse_events(&short, |e| panic!("{e:?} from a message longer than its datagram"));
}

/// The tracker follows forks and exits without reading /proc, and bounds what it keeps.
#[test]
fn tracker_follows_fork_and_exit_events() {
    let mut t = Tracker::new(&[tp("zz-no-such", &[], None, false)]);
    t.scan();
    let t0 = Instant::now();
    assert_eq!(t.evaluate(t0, false), [(0, false)]);
    // Not tracked: a fork of it is not followed.
    t.on_event(Event::Fork { parent: 1, child: 2 });
    assert_eq!(t.count(0), 0);
    t.pids.insert(100, vec![0]);
    t.on_event(Event::Fork { parent: 100, child: 101 });
    assert_eq!(t.count(0), 2);
    assert_eq!(t.evaluate(t0, false), [(0, true)]);
    t.on_event(Event::Exit(100));
    t.on_event(Event::Exit(101));
    assert_eq!(t.evaluate(t0, false), [(0, false)]);
    for pid in 0..(MAX_PENDING as u32 + 10) {
        t.on_event(Event::Exec(pid + 1_000_000_000));
    }
    assert!(t.pending.len() <= MAX_PENDING);
    assert!(t.wants_rescan(), "an overflow asks for a scan");
    t.evaluate(t0, false);
    assert!(t.pending.len() <= MAX_PENDING - MAX_CHECKS, "at most MAX_CHECKS reads per round");
    t.evaluate(t0, true);
    assert!(!t.wants_rescan() && !t.busy());
}

/// A copy of `sleep` under a name of its own, so `comm` is unique to this test.
struct Procs {
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl Procs {
    fn new() -> Procs {
        Procs { dir: tempfile::tempdir().unwrap(), children: Vec::new() }
    }
    fn binary(&self, name: &str) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        if !path.exists() {
            std::fs::copy("/bin/sleep", &path).unwrap();
        }
        path
    }
    fn start(&mut self, name: &str) -> usize {
        let child = Command::new(self.binary(name)).arg("300").spawn().unwrap();
        self.children.push(child);
        self.children.len() - 1
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn unique(tag: &str) -> String {
    format!("tp{tag}{}", std::process::id() % 100_000)
}

/// A scan counts running processes by name and by command line; a zombie never counts.
#[test]
fn scan_counts_live_processes_and_never_zombies() {
    let name = unique("s");
    let mut procs = Procs::new();
    let a = procs.start(&name);
    procs.start(&name);
    let path = procs.binary(&name).display().to_string();
    let mut t = Tracker::new(&[
        tp(&name, &[], None, false),
        tp(&path, &["300"], Some(ParamMatch::Exact), true),
        tp(&path, &["30"], Some(ParamMatch::Exact), true),
        tp(&path, &["30"], Some(ParamMatch::Initial), true),
    ]);
    t.scan();
    assert_eq!((t.count(0), t.count(1), t.count(2), t.count(3)), (2, 2, 0, 2));
    // Killed but not reaped: a zombie.
    procs.children[a].kill().unwrap();
    let pid = procs.children[a].id();
    let deadline = Instant::now() + Duration::from_secs(5);
    while read_proc(pid, 0).is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap().contains(") Z"), "still a zombie");
    t.scan();
    assert_eq!((t.count(0), t.count(1)), (1, 1));
}

async fn next(rx: &mut mpsc::Receiver<(usize, bool)>) -> (usize, bool) {
    tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap()
}

/// The connector reports a new process at once (well inside the 1 s of the fallback scan)
/// and its exit too; in a network namespace other than the first one, the kernel
/// refuses the subscription and the fallback is used (that case is the e2e test's).
#[test]
fn watch_sees_start_and_exit_through_the_connector() {
    let name = unique("w");
    let mut procs = Procs::new();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        if let Err(e) = open_connector() {
            assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED), "only a foreign netns may refuse: {e}");
            eprintln!("not in the initial network namespace: connector refused, nothing to test here");
            return;
        }
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(watch(vec![tp(&name, &[], None, false)], tx));
        assert_eq!(next(&mut rx).await, (0, false));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let i = procs.start(&name);
        assert_eq!(next(&mut rx).await, (0, true));
        let up = started.elapsed();
        procs.children[i].kill().unwrap();
        let killed = Instant::now();
        assert_eq!(next(&mut rx).await, (0, false));
        let down = killed.elapsed();
        assert!(up < SCAN_EVERY / 2 && down < SCAN_EVERY / 2, "connector too slow: up {up:?}, down {down:?}");
        drop(rx);
        task.abort();
    });
}
