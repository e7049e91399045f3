//! Helpers for the health-tracking and notify end-to-end tests (issue 10): either daemon
//! behind one type, keepalived.conf text with `vrrp_script` / `track_*` / `notify*` /
//! `global_defs`, a TCP service the test starts and stops inside a server's namespace, a
//! check script that logs every run, a notify script that logs its arguments, a FIFO
//! reader, and /proc readers (process state, parent, command line).
//!
//! Everything the scripts write goes to a directory of the test's own (a root-owned 0700
//! temporary directory), so keepalived's `enable_script_security` path check
//! (lib/notify.c: check_security: every component root-owned and not group/world
//! writable, sticky directories such as /tmp allowed) accepts them unless a test makes
//! them unsafe on purpose.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use vrrp_lab::Lan;

use super::{start_keepalived, start_vrrpd, start_vrrpd_with, Conf, Keepalived, Peer, Vrrpd};

/// Which daemon a server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Vrrpd,
    Keepalived,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Vrrpd => "vrrpd",
            Kind::Keepalived => "keepalived",
        }
    }
}

/// Either daemon, running on one server.
pub enum Daemon {
    Vrrpd(Vrrpd),
    Keepalived(Keepalived),
}

impl Daemon {
    /// Starts `kind` on `host` with `config`.
    pub fn start(lan: &Lan, host: &str, kind: Kind, config: &str) -> Daemon {
        Daemon::start_with(lan, host, kind, config, &[])
    }

    /// Starts `kind` on `host` with `config`; `vrrpd_args` are added to vrrpd's command
    /// line (keepalived takes none of them).
    pub fn start_with(lan: &Lan, host: &str, kind: Kind, config: &str, vrrpd_args: &[&str]) -> Daemon {
        match kind {
            Kind::Keepalived => Daemon::Keepalived(start_keepalived(lan, host, config)),
            Kind::Vrrpd if vrrpd_args.is_empty() => Daemon::Vrrpd(start_vrrpd(lan, host, config)),
            Kind::Vrrpd => Daemon::Vrrpd(start_vrrpd_with(
                lan,
                host,
                config,
                tempfile::tempdir().expect("tempdir"),
                "vrrpd.sock",
                |cmd| {
                    cmd.args(vrrpd_args);
                },
            )),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Daemon::Vrrpd(_) => Kind::Vrrpd,
            Daemon::Keepalived(_) => Kind::Keepalived,
        }
    }

    pub fn peer(&mut self) -> &mut dyn Peer {
        match self {
            Daemon::Vrrpd(d) => d,
            Daemon::Keepalived(k) => k,
        }
    }

    /// Its log, headed by which daemon it is and where it runs.
    pub fn log(&self) -> String {
        match self {
            Daemon::Vrrpd(d) => format!("[vrrpd on {}]\n{}", d.host, d.log()),
            Daemon::Keepalived(k) => format!("[keepalived on {}]\n{}", k.host, k.log()),
        }
    }
}

/// A keepalived.conf: `global_defs` lines, top-level blocks (`vrrp_script`, ...), and the
/// seed instance with extra lines at its end.
#[derive(Debug, Clone)]
pub struct TrackConf {
    pub conf: Conf,
    pub global: Vec<String>,
    pub blocks: Vec<String>,
    pub instance: Vec<String>,
}

impl TrackConf {
    pub fn new(conf: Conf) -> TrackConf {
        TrackConf { conf, global: Vec::new(), blocks: Vec::new(), instance: Vec::new() }
    }

    /// A line in `global_defs { }`.
    pub fn global(mut self, line: &str) -> TrackConf {
        self.global.push(line.into());
        self
    }

    /// A top-level block, as written.
    pub fn block(mut self, text: &str) -> TrackConf {
        self.blocks.push(text.into());
        self
    }

    /// A line (or block) inside `vrrp_instance VI { }`.
    pub fn instance(mut self, line: &str) -> TrackConf {
        self.instance.push(line.into());
        self
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.global.is_empty() {
            out += "global_defs {\n";
            for l in &self.global {
                out += &format!("    {l}\n");
            }
            out += "}\n";
        }
        for b in &self.blocks {
            out += b;
            if !b.ends_with('\n') {
                out.push('\n');
            }
        }
        let inst = self.conf.render();
        let body = inst.strip_suffix("}\n").expect("Conf::render ends the instance with }");
        out += body;
        for l in &self.instance {
            for line in l.lines() {
                out += &format!("    {line}\n");
            }
        }
        out += "}\n";
        out
    }
}

/// `vrrp_script NAME { script "CMD"; interval; weight; rise; fall }` plus `extra` lines
/// (`timeout 1`, `init_fail`, ...).
pub fn vrrp_script(name: &str, cmd: &str, interval: u32, weight: i32, rise: u32, fall: u32, extra: &[&str]) -> String {
    let mut out = format!(
        "vrrp_script {name} {{\n    script \"{cmd}\"\n    interval {interval}\n    weight {weight}\n    rise {rise}\n    fall {fall}\n"
    );
    for l in extra {
        out += &format!("    {l}\n");
    }
    out += "}\n";
    out
}

/// One run of a check script, as the script itself logged it (CLOCK_REALTIME, like the
/// capture's kernel timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: SystemTime,
    pub end: SystemTime,
    pub ok: bool,
}

/// A root-owned 0700 directory holding a server's scripts and what they log.
pub struct ScriptDir {
    pub dir: tempfile::TempDir,
}

impl Default for ScriptDir {
    fn default() -> Self {
        ScriptDir::new()
    }
}

impl ScriptDir {
    pub fn new() -> ScriptDir {
        ScriptDir { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes an executable (0755) script `name` with `body` after a bash shebang.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, format!("#!/bin/bash\n{body}")).expect("write script");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
        p
    }

    /// A check script `NAME.sh PORT`: succeeds when something accepts a TCP connection on
    /// 127.0.0.1:PORT (bash's /dev/tcp, nothing beyond Debian's base), and appends
    /// `START END RC` (bash's $EPOCHREALTIME) to `NAME.runs` for every run.
    pub fn tcp_check(&self, name: &str) -> PathBuf {
        let runs = self.path(&format!("{name}.runs"));
        self.script(
            &format!("{name}.sh"),
            &format!(
                "start=$EPOCHREALTIME\nif : 2>/dev/null </dev/tcp/127.0.0.1/\"$1\"; then rc=0; else rc=1; fi\necho \"$start $EPOCHREALTIME $rc\" >> {}\nexit $rc\n",
                runs.display()
            ),
        )
    }

    /// A check script `NAME.sh`: succeeds while the file `NAME.ok` exists, logging its runs
    /// to `NAME.runs` as [`ScriptDir::tcp_check`] does. [`ScriptDir::set_ok`] flips it.
    pub fn flag_check(&self, name: &str) -> PathBuf {
        let runs = self.path(&format!("{name}.runs"));
        let flag = self.path(&format!("{name}.ok"));
        self.script(
            &format!("{name}.sh"),
            &format!(
                "start=$EPOCHREALTIME\nif [ -e {} ]; then rc=0; else rc=1; fi\necho \"$start $EPOCHREALTIME $rc\" >> {}\nexit $rc\n",
                flag.display(),
                runs.display()
            ),
        )
    }

    /// Makes `NAME.sh` of [`ScriptDir::flag_check`] succeed (`ok`) or fail.
    pub fn set_ok(&self, name: &str, ok: bool) {
        let flag = self.path(&format!("{name}.ok"));
        if ok {
            std::fs::write(flag, "").expect("write flag");
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// The runs `NAME.sh` logged so far, in order.
    pub fn runs(&self, name: &str) -> Vec<Run> {
        let text = std::fs::read_to_string(self.path(&format!("{name}.runs"))).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                let t = |s: &str| s.parse::<f64>().ok().map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(s));
                Some(Run { start: t(f.next()?)?, end: t(f.next()?)?, ok: f.next()? == "0" })
            })
            .collect()
    }

    /// A notify script `NAME.sh` that appends its arguments (`$@`) as one line to `NAME.log`.
    pub fn notify_log(&self, name: &str) -> PathBuf {
        let log = self.path(&format!("{name}.log"));
        self.script(&format!("{name}.sh"), &format!("echo \"$@\" >> {}\n", log.display()))
    }

    /// The lines `NAME.log` holds so far.
    pub fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path(&format!("{name}.log")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// The first run in `runs` that starts at or after `after` and begins a streak of `n`
/// consecutive runs with result `ok`: the streak's last run (the one after which a
/// daemon honouring `rise`/`fall` = `n` changes its mind).
pub fn nth_in_streak(runs: &[Run], after: SystemTime, ok: bool, n: usize) -> Option<Run> {
    let mut streak = 0;
    for r in runs.iter().filter(|r| r.start >= after) {
        if r.ok == ok {
            streak += 1;
            if streak == n {
                return Some(*r);
            }
        } else {
            streak = 0;
        }
    }
    None
}

/// A TCP service on one server (`127.0.0.1:port` and every other address), accepting
/// and closing connections, that the test can stop and start again: the "real service"
/// a `vrrp_script` checks. Stopped when dropped.
pub struct Service {
    host: String,
    port: u16,
    running: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Service {
    pub fn start(lan: &Lan, host: &str, port: u16) -> Service {
        let mut s = Service { host: host.into(), port, running: None };
        s.restart(lan);
        s
    }

    /// Opens the listener again (no-op if running). Returns the moment it listens.
    pub fn restart(&mut self, lan: &Lan) -> SystemTime {
        if self.running.is_none() {
            let port = self.port;
            let listener = lan
                .run_in(&self.host, || {
                    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
                    s.set_reuse_address(true)?;
                    s.bind(&std::net::SocketAddr::from(([0, 0, 0, 0], port)).into())?;
                    s.listen(64)?;
                    Ok::<std::net::TcpListener, std::io::Error>(s.into())
                })
                .expect("enter namespace")
                .expect("bind the tracked service");
            listener.set_nonblocking(true).expect("nonblocking listener");
            let stop = Arc::new(AtomicBool::new(false));
            let stopping = stop.clone();
            let thread = std::thread::spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((conn, _)) => drop(conn),
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
            self.running = Some((stop, thread));
        }
        SystemTime::now()
    }

    /// Closes the listener: from the returned moment on, connections are refused. (It may
    /// have closed up to a few ms earlier; the moment returned is the conservative one
    /// for "time since the service stopped" upper bounds: taken before the close.)
    pub fn stop(&mut self) -> SystemTime {
        let at = SystemTime::now();
        if let Some((stop, thread)) = self.running.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = thread.join();
        }
        at
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads the lines a daemon writes to a FIFO (`vrrp_notify_fifo`). The FIFO is created
/// here (keepalived uses an existing one) and held open read-write, so the reader never
/// sees end-of-file when a writer closes and never blocks the daemon's open.
pub struct FifoReader {
    lines: Arc<Mutex<Vec<(SystemTime, String)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FifoReader {
    pub fn start(path: &Path) -> FifoReader {
        use std::os::unix::fs::OpenOptionsExt;
        nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .expect("open the FIFO");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (lines, stop) = (lines.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut pending = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match file.read(&mut buf) {
                        Ok(n) if n > 0 => {
                            pending.extend_from_slice(&buf[..n]);
                            while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                                let line: Vec<u8> = pending.drain(..=i).collect();
                                let text = String::from_utf8_lossy(&line[..i]).into_owned();
                                lines.lock().unwrap().push((SystemTime::now(), text));
                            }
                        }
                        _ => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        FifoReader { lines, stop, thread: Some(thread) }
    }

    /// Every line read so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().iter().map(|(_, l)| l.clone()).collect()
    }
}

impl Drop for FifoReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `(state, ppid)` of a process from /proc/PID/stat.
pub fn proc_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses; it ends at the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Every pid in /proc.
pub fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// A process's command line, arguments joined by spaces.
pub fn cmdline(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Appends `line` to the file named by `VRRP_E2E_FIGURES`, if set, so a run can collect
/// the side-by-side figures for README.md; always prints it too.
pub fn record_figure(line: &str) {
    eprintln!("FIGURE {line}");
    if let Ok(path) = std::env::var("VRRP_E2E_FIGURES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }
}

/// Adds a second interface `name`, up, to `host` (for `track_interface`): one end of a veth
/// pair whose other end (`NAMEp`) stays in the same namespace, up, so `name` has carrier.
/// (A veth rather than a dummy: not every kernel the suite runs on has the dummy module.)
pub fn add_veth(lan: &Lan, host: &str, name: &str) {
    let peer = format!("{name}p");
    for args in [
        &["ip", "link", "add", name, "type", "veth", "peer", "name", &peer][..],
        &["ip", "link", "set", &peer, "up"],
        &["ip", "link", "set", name, "up"],
    ] {
        let out = lan.exec(host, args).expect("ip");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Sets `host`'s interface `name` up or down.
pub fn set_link(lan: &Lan, host: &str, name: &str, up: bool) {
    let out = lan.exec(host, &["ip", "link", "set", name, if up { "up" } else { "down" }]).expect("ip");
    assert!(out.status.success(), "ip link set {name}: {}", String::from_utf8_lossy(&out.stderr));
}
