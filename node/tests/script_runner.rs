//! The script runner: outcomes, timeouts that kill the whole process group, reaping
//! (no zombie ever), the user a script runs as, and how it is started (keepalived's
//! `lib/notify.c: system_call_script`, `set_script_env`; `vrrp_scheduler.c:
//! vrrp_script_child_thread` for the TERM-then-KILL timeout).
//!
//! Runs as root (like the other integration tests): it runs scripts as `nobody`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vrrp_node::config::{ScriptCmd, SourceLocation};
use vrrp_node::script::{prepare, Credentials, Outcome, Prepared, Runner, UserRules};

/// A root-owned 0755 directory under cargo's target dir (not /tmp: the path must be safe).
fn workdir() -> tempfile::TempDir {
    let d = tempfile::Builder::new().prefix("script-runner-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn loc() -> SourceLocation {
    SourceLocation { file: PathBuf::from("keepalived.conf"), line: 7, column: 3 }
}

fn cmd(argv: &[&str], shell: bool, text: &str) -> ScriptCmd {
    ScriptCmd {
        text: text.to_owned(),
        argv: argv.iter().map(|s| (*s).to_owned()).collect(),
        shell,
        user: None,
        location: loc(),
    }
}

/// `path` checked as keepalived would for `creds`.
fn prepared_as(path: &Path, creds: Credentials) -> Arc<Prepared> {
    let p = path.to_str().unwrap();
    let checked = prepare(&cmd(&[p], false, p), &UserRules::with_default(creds), true);
    Arc::new(checked.result.unwrap_or_else(|d| panic!("{d}")))
}

fn prepared(path: &Path) -> Arc<Prepared> {
    prepared_as(path, Credentials::ours())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// `(state, ppid)` of `pid`, `None` once it is gone.
fn proc_state(pid: i32) -> Option<(char, i32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may hold spaces: the fields after it start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut f = rest.split(' ');
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Our children in Z state (unreaped), from a scan of /proc.
fn zombie_scan() -> Vec<i32> {
    let me = std::process::id() as i32;
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| matches!(proc_state(pid), Some(('Z', ppid)) if ppid == me))
        .collect()
}

/// Our children left unreaped: zombies still there half a second later (the tests run in
/// parallel, so a script of another test may be between its exit and its reaping).
fn our_zombies() -> Vec<i32> {
    let first = zombie_scan();
    if first.is_empty() {
        return first;
    }
    std::thread::sleep(Duration::from_millis(500));
    let again = zombie_scan();
    first.into_iter().filter(|p| again.contains(p)).collect()
}

/// Dead: gone, or a zombie someone else (init) must reap.
fn wait_dead(pid: i32) -> bool {
    let me = std::process::id() as i32;
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match proc_state(pid) {
            None => return true,
            Some(('Z', ppid)) if ppid != me => return true,
            _ if Instant::now() > deadline => return false,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn read_pid(path: &Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        if let Ok(s) = fs::read_to_string(path) {
            if let Ok(p) = s.trim().parse() {
                return p;
            }
        }
        assert!(Instant::now() < deadline, "{} never written", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn keepalived_system_call_script_outcomes_exit_0_exit_1_signal_missing() {
    let dir = workdir();
    let runner = Runner::start().unwrap();
    let h = runner.handle();
    let rt = rt();
    let ok = prepared(&write_script(dir.path(), "ok", "exit 0"));
    let ko = prepared(&write_script(dir.path(), "ko", "exit 1"));
    let sig = prepared(&write_script(dir.path(), "sig", "kill -USR1 $$; sleep 5"));
    let t = Some(Duration::from_secs(5));
    assert!(matches!(rt.block_on(h.run(ok, vec![], t)), Outcome::Exited(0)));
    assert!(matches!(rt.block_on(h.run(ko, vec![], t)), Outcome::Exited(1)));
    let o = rt.block_on(h.run(sig, vec![], t));
    assert!(matches!(o, Outcome::Signaled(s) if s == libc::SIGUSR1), "{o:?}");
    assert!(!o.success());

    // A program that vanished after the start-up check: could not start, with the io error.
    let gone = write_script(dir.path(), "gone", "exit 0");
    let p = prepared(&gone);
    fs::remove_file(&gone).unwrap();
    match rt.block_on(h.run(p, vec![], t)) {
        Outcome::NotStarted(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}"),
        o => panic!("{o:?}"),
    }
    // And a missing program is refused at the start-up check, naming it.
    let missing = dir.path().join("missing");
    let m = missing.to_str().unwrap();
    let checked = prepare(&cmd(&[m], false, m), &UserRules::with_default(Credentials::ours()), true);
    let d = checked.result.unwrap_err();
    assert!(d.message.contains(m) && d.message.contains("cannot be accessed"), "{d}");
    assert_eq!(d.location, loc());
    assert!(our_zombies().is_empty(), "{:?}", our_zombies());
}

/// A hanging script, and a grandchild hanging too, both ignoring SIGTERM: at the timeout
/// the group gets TERM, then KILL 2 s later (keepalived's vrrp_script_child_thread).
#[test]
fn keepalived_timeout_kills_the_whole_group_term_then_kill_and_reaps() {
    let dir = workdir();
    let gc_file = dir.path().join("grandchild");
    let body = format!(
        "trap '' TERM\n( trap '' TERM; exec sleep 1000 ) &\necho $! > {}\necho $$ > {}.leader\nwhile :; do sleep 1; done",
        gc_file.display(),
        gc_file.display()
    );
    let p = prepared(&write_script(dir.path(), "hang", &body));
    let runner = Runner::start().unwrap();
    let h = runner.handle();
    let rt = rt();
    let timeout = Duration::from_millis(300);
    let t0 = Instant::now();
    let outcome = rt.block_on(h.run(p, vec![], Some(timeout)));
    let took = t0.elapsed();
    assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
    assert!(!outcome.success(), "a timeout counts as a failure");
    // TERM was ignored: KILL came after the grace, not before, and not much later.
    let grace = vrrp_node::script::runner::TERM_GRACE;
    assert!(took >= timeout + grace, "{took:?}");
    assert!(took < timeout + grace + Duration::from_secs(2), "{took:?}");
    let gc = read_pid(&gc_file);
    let leader = read_pid(&dir.path().join("grandchild.leader"));
    assert!(wait_dead(gc), "grandchild {gc} survived: {:?}", proc_state(gc));
    assert!(proc_state(leader).is_none(), "leader {leader} not reaped: {:?}", proc_state(leader));
    assert!(our_zombies().is_empty(), "{:?}", our_zombies());
}

/// A script that dies on the TERM, with a grandchild that ignores it: the grandchild gets
/// KILL as soon as the script has exited (keepalived: `kill(-pid, SIGKILL)` once the script
/// died of the TERM), without waiting for the grace.
#[test]
fn keepalived_timeout_term_then_group_kill_takes_the_grandchild_promptly() {
    let dir = workdir();
    let gc_file = dir.path().join("gc");
    let body = format!("( trap '' TERM; exec sleep 1000 ) &\necho $! > {}\nsleep 1000", gc_file.display());
    let p = prepared(&write_script(dir.path(), "hang", &body));
    let runner = Runner::start().unwrap();
    let rt = rt();
    let timeout = Duration::from_millis(200);
    let t0 = Instant::now();
    let outcome = rt.block_on(runner.handle().run(p, vec![], Some(timeout)));
    let took = t0.elapsed();
    assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
    assert!(took >= timeout && took < vrrp_node::script::runner::TERM_GRACE, "{took:?}");
    let gc = read_pid(&gc_file);
    assert!(wait_dead(gc), "grandchild {gc} survived: {:?}", proc_state(gc));
    assert!(our_zombies().is_empty(), "{:?}", our_zombies());
}

/// keepalived's set_script_env: setgid, setgroups([gid]), setuid; set_std_fd: /dev/null;
/// setpgid(0, 0): its own process group.
#[test]
fn keepalived_set_script_env_runs_as_nobody_in_own_group_with_null_stdio() {
    let dir = workdir();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let nobody = vrrp_node::script::user::resolve("nobody", None).unwrap();
    nix::unistd::chown(&out, Some(nobody.uid), Some(nobody.gid)).unwrap();
    let body = format!(
        "cd {o}\nid -u > uid\nid -g > gid\nid -G > groups\nreadlink /proc/self/fd/0 > fd0\n\
         o=$(readlink /proc/$$/fd/1); echo \"$o\" > fd1\ne=$(readlink /proc/$$/fd/2); echo \"$e\" > fd2\ncut -d' ' -f5 /proc/$$/stat > pgid\necho $$ > pid",
        o = out.display()
    );
    let p = prepared_as(&write_script(dir.path(), "who", &body), nobody.clone());
    let runner = Runner::start().unwrap();
    let outcome = rt().block_on(runner.handle().run(p, vec![], Some(Duration::from_secs(5))));
    assert!(matches!(outcome, Outcome::Exited(0)), "{outcome:?}");
    let read = |f: &str| fs::read_to_string(out.join(f)).unwrap().trim().to_owned();
    assert_eq!(read("uid"), nobody.uid.to_string());
    assert_eq!(read("gid"), nobody.gid.to_string());
    assert_eq!(read("groups"), nobody.gid.to_string(), "no supplementary group but its own");
    for fd in ["fd0", "fd1", "fd2"] {
        assert_eq!(read(fd), "/dev/null", "{fd}");
    }
    assert_eq!(read("pgid"), read("pid"), "the script leads its own process group");

    // `user nobody daemon`: the named group, and it alone.
    let daemon = vrrp_node::script::user::resolve("nobody", Some("daemon")).unwrap();
    assert_ne!(daemon.gid, nobody.gid);
    let p = prepared_as(&dir.path().join("who"), daemon.clone());
    let outcome = rt().block_on(runner.handle().run(p, vec![], Some(Duration::from_secs(5))));
    assert!(matches!(outcome, Outcome::Exited(0)), "{outcome:?}");
    assert_eq!(read("uid"), nobody.uid.to_string());
    assert_eq!(read("gid"), daemon.gid.to_string());
    assert_eq!(read("groups"), daemon.gid.to_string());
}

/// keepalived's reset_process_priorities: vrrpd runs at nice -10, its scripts do not.
#[test]
fn keepalived_reset_process_priorities_scripts_do_not_inherit_raised_priority() {
    let dir = workdir();
    let out = dir.path().join("nice");
    let p = prepared(&write_script(dir.path(), "nice", &format!("cut -d' ' -f19 /proc/$$/stat > {}", out.display())));
    // Linux nice values are per thread: this test's thread, and the runner thread it
    // starts, run raised as the daemon's would.
    rustix::process::setpriority_process(None, -10).unwrap();
    let runner = Runner::start();
    rustix::process::setpriority_process(None, 0).unwrap();
    let runner = runner.unwrap();
    let o = rt().block_on(runner.handle().run(p, vec![], Some(Duration::from_secs(5))));
    assert!(matches!(o, Outcome::Exited(0)), "{o:?}");
    assert_eq!(fs::read_to_string(&out).unwrap().trim(), "0");
}

/// Notify scripts get extra arguments: appended to argv, or (a shell line) appended to
/// the line single-quoted, like keepalived's cmd_str.
#[test]
fn keepalived_extra_arguments_reach_argv_and_shell_lines() {
    let dir = workdir();
    let args_file = dir.path().join("args");
    let direct = write_script(dir.path(), "direct", &format!("printf '%s|' \"$@\" > {}", args_file.display()));
    let d = direct.to_str().unwrap();
    let users = UserRules::with_default(Credentials::ours());
    let p = Arc::new(prepare(&cmd(&[d, "first"], false, &format!("{d} first")), &users, true).result.unwrap());
    let runner = Runner::start().unwrap();
    let rt = rt();
    let extra = vec!["INSTANCE".to_owned(), "VI 1".to_owned(), "it's".to_owned()];
    let o = rt.block_on(runner.handle().run(p, extra.clone(), Some(Duration::from_secs(5))));
    assert!(matches!(o, Outcome::Exited(0)), "{o:?}");
    assert_eq!(fs::read_to_string(&args_file).unwrap(), "first|INSTANCE|VI 1|it's|");

    let line = format!("printf '%s|' x > {}", args_file.display());
    let p = Arc::new(prepare(&cmd(&["printf", "%s|", "x"], true, &line), &users, true).result.unwrap());
    let o = rt.block_on(runner.handle().run(p, extra, Some(Duration::from_secs(5))));
    assert!(matches!(o, Outcome::Exited(0)), "{o:?}");
    assert_eq!(fs::read_to_string(&args_file).unwrap(), "x|INSTANCE|VI 1|it's|");
}

/// Shutting the runner down stops what runs (TERM, KILL after 1 s: keepalived's
/// script_killall) and reaps it, detached notify scripts included.
#[test]
fn keepalived_script_killall_on_shutdown_reaps_everything() {
    let dir = workdir();
    let pid_file = dir.path().join("pid");
    let body = format!("trap '' TERM\necho $$ > {}\nwhile :; do sleep 1; done", pid_file.display());
    let p = prepared(&write_script(dir.path(), "forever", &body));
    let runner = Runner::start().unwrap();
    runner.handle().spawn(p, vec![], None);
    let pid = read_pid(&pid_file);
    assert!(matches!(proc_state(pid), Some((s, _)) if s != 'Z'));
    let t0 = Instant::now();
    drop(runner);
    let took = t0.elapsed();
    assert!(took < vrrp_node::script::runner::SHUTDOWN_GRACE + Duration::from_secs(1), "{took:?}");
    assert!(proc_state(pid).is_none(), "script {pid} left behind: {:?}", proc_state(pid));
    assert!(our_zombies().is_empty(), "{:?}", our_zombies());
}

/// After shutdown nothing starts, and the caller hears so instead of waiting forever.
#[test]
fn run_after_shutdown_is_not_started() {
    let dir = workdir();
    let p = prepared(&write_script(dir.path(), "ok", "exit 0"));
    let runner = Runner::start().unwrap();
    let h = runner.handle();
    runner.shutdown();
    assert!(h.is_closing());
    let o = rt().block_on(h.run(p, vec![], Some(Duration::from_secs(1))));
    assert!(matches!(o, Outcome::NotStarted(_)), "{o:?}");
}

/// The runner never blocks its caller's runtime: a 10 ms timer on the caller's
/// current-thread runtime keeps its schedule while scripts start, hang and are killed.
#[test]
fn caller_runtime_timer_is_not_delayed_by_hanging_scripts() {
    let dir = workdir();
    let hang = prepared(&write_script(dir.path(), "hang", "trap '' TERM\nwhile :; do sleep 1; done"));
    let quick = prepared(&write_script(dir.path(), "quick", "exit 0"));
    let runner = Runner::start().unwrap();
    let h = runner.handle();
    let worst = rt().block_on(async move {
        let hung = tokio::spawn({
            let h = h.clone();
            async move { h.run(hang, vec![], Some(Duration::from_millis(50))).await }
        });
        let quick_runs = tokio::spawn(async move {
            for _ in 0..20 {
                h.run(Arc::clone(&quick), vec![], Some(Duration::from_secs(2))).await;
            }
        });
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        tick.tick().await;
        let mut worst = Duration::ZERO;
        let start = tokio::time::Instant::now();
        for n in 1..=150u32 {
            tick.tick().await;
            let late = tokio::time::Instant::now().saturating_duration_since(start + Duration::from_millis(10) * n);
            worst = worst.max(late);
        }
        assert!(matches!(hung.await.unwrap(), Outcome::TimedOut));
        quick_runs.await.unwrap();
        worst
    });
    // Blocking on a wait would cost the 2 s TERM grace; a shared machine costs a few ms.
    assert!(worst < Duration::from_millis(30), "the caller's timer was {worst:?} late");
    assert!(our_zombies().is_empty(), "{:?}", our_zombies());
}
