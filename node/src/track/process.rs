//! `vrrp_track_process`: how many running processes match, and whether that number is
//! within `quorum..=quorum_max` (keepalived 2.2.7 `keepalived/core/track_process.c`).
//!
//! A first scan of `/proc` finds the matching processes; after it the kernel's process
//! events connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`) says which processes fork, exec,
//! change name or exit, as in keepalived. A fork of a matching process counts at once
//! (the child runs the same program); an exec or a name change is checked by reading
//! `/proc/PID/stat` (and `cmdline` when a tracker matches command lines); an exit drops
//! the process. Zombies never count. When the connector cannot be used (no
//! `CAP_NET_ADMIN`, a kernel without `CONFIG_PROC_EVENTS`, or a network namespace other
//! than the initial one, where the kernel refuses the subscription), `/proc` is scanned
//! every second instead, with a warning.
//!
//! Every reaction is bounded, so a fork bomb cannot make vrrpd spin: at most
//! [`MAX_BATCH`] kernel messages are read per round, rounds are at least [`EVAL_EVERY`]
//! apart (the kernel buffers events meanwhile; when its buffer overflows, the state is
//! rebuilt by a scan, as keepalived does), at most [`MAX_CHECKS`] processes are read
//! from `/proc` per round, and at most [`MAX_PIDS`] matching processes are remembered.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::config::{ParamMatch, TrackProcess};

/// Least time between two evaluations of the quorums (and two reads of the socket).
pub const EVAL_EVERY: Duration = Duration::from_millis(5);
/// Kernel messages read per round at most.
pub const MAX_BATCH: usize = 1024;
/// Processes read from `/proc` (after an exec or a name change) per round at most.
pub const MAX_CHECKS: usize = 256;
/// Processes waiting for such a read at most; beyond, a full scan replaces them.
pub const MAX_PENDING: usize = 4096;
/// Matching processes remembered at most (each costs a few bytes).
pub const MAX_PIDS: usize = 1 << 16;
/// The `/proc` scan period without the connector, and the least time between two
/// scans after lost events (keepalived waits `TIMER_HZ` before its rescan too).
pub const SCAN_EVERY: Duration = Duration::from_secs(1);

/// How one `vrrp_track_process` recognises its processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    process: Vec<u8>,
    /// The configured parameters, each followed by a NUL, as in `/proc/PID/cmdline`.
    params: Vec<u8>,
    param_match: Option<ParamMatch>,
    full_command: bool,
}

impl Matcher {
    pub fn new(tp: &TrackProcess) -> Matcher {
        let mut params = Vec::new();
        for p in &tp.params {
            params.extend_from_slice(p.as_bytes());
            params.push(0);
        }
        Matcher {
            process: tp.process.as_bytes().to_vec(),
            params,
            // As the reader settles it: parameters alone mean an exact match.
            param_match: tp.param_match.or((!tp.params.is_empty()).then_some(ParamMatch::Exact)),
            full_command: tp.full_command || tp.param_match.is_some() || !tp.params.is_empty(),
        }
    }

    /// Whether it reads `/proc/PID/cmdline`.
    pub fn full_command(&self) -> bool {
        self.full_command
    }

    /// Bytes of `cmdline` that decide a match: the name, its NUL, the parameters, and
    /// one byte more to tell "longer" from "equal" (keepalived reads
    /// `vrrp_max_process_name_len + 1` bytes for the same reason).
    fn cmdline_needed(&self) -> usize {
        self.process.len() + 1 + self.params.len() + 1
    }

    /// Whether a process with this `comm` (`/proc/PID/comm`, no newline) and, for
    /// command-line matching, this (possibly cut) `cmdline` matches.
    ///
    /// By name: the name is exactly `comm`. By command line: the first word of `cmdline`
    /// is exactly the name, and with `param_match` the words after it are checked as
    /// keepalived's `check_params` does: `Exact`, the same parameters (none, if none are
    /// configured); `Partial`, the configured ones come first; `Initial`, as partial but
    /// the last configured one may be the start of the process's.
    pub fn matches(&self, comm: &[u8], cmdline: Option<&[u8]>) -> bool {
        if !self.full_command {
            return comm == self.process.as_slice();
        }
        let Some(cmdline) = cmdline else { return false };
        let Some(end) = cmdline.iter().position(|&b| b == 0) else { return false };
        if cmdline[..end] != self.process[..] {
            return false;
        }
        let Some(mode) = self.param_match else { return true };
        let actual = &cmdline[end + 1..];
        let want = self.params.as_slice();
        match mode {
            ParamMatch::Exact => actual == want,
            _ if want.is_empty() => true,
            ParamMatch::Partial => actual.starts_with(want),
            ParamMatch::Initial => actual.starts_with(&want[..want.len() - 1]),
        }
    }
}

/// What `/proc/PID` says about a live process; `None` for a zombie, a process that is
/// gone, or one that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcInfo {
    pub comm: Vec<u8>,
    pub cmdline: Option<Vec<u8>>,
}

/// The `comm` field of a `/proc/PID/stat` line, `None` for a zombie (`Z`) or dead (`X`)
/// process. The name is between the first `(` and the last `)`, since it may hold
/// either.
pub fn parse_stat(stat: &[u8]) -> Option<&[u8]> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let state = *stat.get(close + 2)?;
    if matches!(state, b'Z' | b'X' | b'x') {
        return None;
    }
    Some(&stat[open + 1..close])
}

fn read_prefix(path: &str, limit: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(limit.min(4096));
    std::fs::File::open(path)?.take(limit as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads process `pid`; `cmdline_limit` 0 skips `cmdline`.
pub fn read_proc(pid: u32, cmdline_limit: usize) -> Option<ProcInfo> {
    // A stat line is one short line; 512 bytes hold the name and the state.
    let stat = read_prefix(&format!("/proc/{pid}/stat"), 512).ok()?;
    let comm = parse_stat(&stat)?.to_vec();
    let cmdline =
        if cmdline_limit > 0 { Some(read_prefix(&format!("/proc/{pid}/cmdline"), cmdline_limit).ok()?) } else { None };
    Some(ProcInfo { comm, cmdline })
}

/// Whether an item is good: keepalived's `have_quorum`, and the delays before a change
/// counts (`fork_delay` for a quorum gained by a fork, `terminate_delay` for one lost by
/// an exit; other changes count at once, as in keepalived's `check_process`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    pub quorum: u32,
    pub quorum_max: u32,
    pub fork_delay: Duration,
    pub terminate_delay: Duration,
    reported: Option<bool>,
    timer: Option<Instant>,
}

impl Quorum {
    pub fn new(tp: &TrackProcess) -> Quorum {
        Quorum {
            quorum: tp.quorum,
            quorum_max: tp.quorum_max,
            fork_delay: tp.fork_delay,
            terminate_delay: tp.terminate_delay,
            reported: None,
            timer: None,
        }
    }

    /// Good iff `quorum <= count <= quorum_max`.
    pub fn good(&self, count: usize) -> bool {
        (u64::from(self.quorum)..=u64::from(self.quorum_max)).contains(&(count as u64))
    }

    /// The count is now `count`; `by_fork` / `by_exit` say whether a fork added, or an
    /// exit removed, a process since the last call. Returns the new state when it is to
    /// be reported now. The first call always reports.
    pub fn update(&mut self, now: Instant, count: usize, by_fork: bool, by_exit: bool) -> Option<bool> {
        let want = self.good(count);
        let Some(reported) = self.reported else {
            self.reported = Some(want);
            return Some(want);
        };
        if reported == want {
            // Back where it was before the delay ran out: nothing happened.
            self.timer = None;
            return None;
        }
        if let Some(at) = self.timer {
            if now < at {
                return None;
            }
        } else {
            let delay = match (want, by_fork, by_exit) {
                (true, true, _) => self.fork_delay,
                (false, _, true) => self.terminate_delay,
                _ => Duration::ZERO,
            };
            if !delay.is_zero() {
                self.timer = Some(now + delay);
                return None;
            }
        }
        self.timer = None;
        self.reported = Some(want);
        Some(want)
    }

    /// When [`update`](Self::update) must be called again, if a delay runs.
    pub fn deadline(&self) -> Option<Instant> {
        self.timer
    }
}

/// One process event from the connector (`struct proc_event`), for processes only
/// (threads are left out, as keepalived does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The subscription's answer (`PROC_EVENT_NONE`).
    Ack,
    Fork {
        parent: u32,
        child: u32,
    },
    Exec(u32),
    Comm(u32),
    Exit(u32),
}

const NLMSG_HDR: usize = 16;
const CN_MSG: usize = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const PROC_EVENT_NONE: u32 = 0;
const PROC_EVENT_FORK: u32 = 1;
const PROC_EVENT_EXEC: u32 = 2;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// The events in one datagram from the connector; anything short, foreign or unknown
/// is skipped. Layout: `nlmsghdr` (16 bytes), `cn_msg` (20), then `proc_event`:
/// `what`, `cpu`, `timestamp_ns` (8), then the event's data.
pub fn parse_events(buf: &[u8], mut each: impl FnMut(Event)) {
    let mut rest = buf;
    while rest.len() >= NLMSG_HDR {
        let Some(len) = u32_at(rest, 0).map(|l| l as usize) else { return };
        if len < NLMSG_HDR || len > rest.len() {
            return;
        }
        let msg = &rest[..len];
        rest = rest.get((len + 3) & !3usize..).unwrap_or(&[]);
        let kind = u16_at(msg, 4).unwrap_or(NLMSG_ERROR);
        if kind == NLMSG_ERROR {
            continue;
        }
        let cn = &msg[NLMSG_HDR..];
        if u32_at(cn, 0) != Some(CN_IDX_PROC) || u32_at(cn, 4) != Some(CN_VAL_PROC) {
            continue;
        }
        let ev = &cn[CN_MSG.min(cn.len())..];
        let (Some(what), Some(a), Some(b), Some(c), Some(d)) =
            (u32_at(ev, 0), u32_at(ev, 16), u32_at(ev, 20), u32_at(ev, 24), u32_at(ev, 28))
        else {
            if u32_at(ev, 0) == Some(PROC_EVENT_NONE) {
                each(Event::Ack);
            }
            continue;
        };
        match what {
            PROC_EVENT_NONE => each(Event::Ack),
            // parent_pid, parent_tgid, child_pid, child_tgid: a process when the child's
            // pid is its tgid (keepalived: otherwise a new thread).
            PROC_EVENT_FORK if c == d => each(Event::Fork { parent: b, child: d }),
            // process_pid, process_tgid.
            PROC_EVENT_EXEC if a == b => each(Event::Exec(b)),
            PROC_EVENT_COMM if a == b => each(Event::Comm(b)),
            PROC_EVENT_EXIT if a == b => each(Event::Exit(b)),
            _ => {}
        }
    }
}

/// The subscription request (`PROC_CN_MCAST_LISTEN`).
fn listen_request() -> [u8; NLMSG_HDR + CN_MSG + 4] {
    let mut m = [0u8; NLMSG_HDR + CN_MSG + 4];
    let total = m.len() as u32;
    m[0..4].copy_from_slice(&total.to_ne_bytes());
    m[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
    m[16..20].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
    m[20..24].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
    m[32..34].copy_from_slice(&4u16.to_ne_bytes());
    m[36..40].copy_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    m
}

/// Every tracked process's matching processes and quorum state.
#[derive(Debug)]
pub struct Tracker {
    names: Vec<String>,
    matchers: Vec<Matcher>,
    quorums: Vec<Quorum>,
    /// Matching processes: pid → the trackers it matches.
    pids: HashMap<u32, Vec<usize>>,
    /// Since the last evaluation: a fork added / an exit removed a process, by tracker.
    by_fork: Vec<bool>,
    by_exit: Vec<bool>,
    /// Processes to read again (exec, name change).
    pending: BTreeSet<u32>,
    /// `pending` overflowed, or events were lost: scan everything.
    rescan: bool,
    cmdline_limit: usize,
    warned_full: bool,
}

impl Tracker {
    pub fn new(processes: &[TrackProcess]) -> Tracker {
        let matchers: Vec<Matcher> = processes.iter().map(Matcher::new).collect();
        let cmdline_limit = matchers.iter().filter(|m| m.full_command).map(Matcher::cmdline_needed).max().unwrap_or(0);
        Tracker {
            names: processes.iter().map(|p| p.name.clone()).collect(),
            quorums: processes.iter().map(Quorum::new).collect(),
            by_fork: vec![false; matchers.len()],
            by_exit: vec![false; matchers.len()],
            matchers,
            pids: HashMap::new(),
            pending: BTreeSet::new(),
            rescan: false,
            cmdline_limit,
            warned_full: false,
        }
    }

    fn matching(&self, info: &ProcInfo) -> Vec<usize> {
        (0..self.matchers.len()).filter(|&i| self.matchers[i].matches(&info.comm, info.cmdline.as_deref())).collect()
    }

    fn insert(&mut self, pid: u32, trackers: Vec<usize>) {
        if trackers.is_empty() {
            self.pids.remove(&pid);
            return;
        }
        if self.pids.len() >= MAX_PIDS && !self.pids.contains_key(&pid) {
            if !self.warned_full {
                warn!("vrrp_track_process: more than {MAX_PIDS} matching processes; further ones are not counted");
                self.warned_full = true;
            }
            return;
        }
        self.pids.insert(pid, trackers);
    }

    /// Rebuilds the state from `/proc` (at start, without the connector, after lost
    /// events). Changes found this way take both delays.
    pub fn scan(&mut self) {
        let before: Vec<usize> = (0..self.matchers.len()).map(|i| self.count(i)).collect();
        self.pids.clear();
        self.pending.clear();
        self.rescan = false;
        let Ok(dir) = std::fs::read_dir("/proc") else {
            warn!("vrrp_track_process: cannot read /proc");
            return;
        };
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            if let Some(info) = read_proc(pid, self.cmdline_limit) {
                let m = self.matching(&info);
                self.insert(pid, m);
            }
        }
        for (i, was) in before.into_iter().enumerate() {
            let now = self.count(i);
            self.by_fork[i] |= now > was;
            self.by_exit[i] |= now < was;
        }
    }

    /// Takes one event.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Ack => {}
            Event::Fork { parent, child } => {
                if let Some(trackers) = self.pids.get(&parent).cloned() {
                    for &i in &trackers {
                        self.by_fork[i] = true;
                    }
                    self.insert(child, trackers);
                }
            }
            Event::Exec(pid) | Event::Comm(pid) => {
                if self.pending.len() >= MAX_PENDING {
                    self.rescan = true;
                } else {
                    self.pending.insert(pid);
                }
            }
            Event::Exit(pid) => {
                if let Some(trackers) = self.pids.remove(&pid) {
                    for i in trackers {
                        self.by_exit[i] = true;
                    }
                }
                self.pending.remove(&pid);
            }
        }
    }

    /// Events were lost: the next [`evaluate`](Self::evaluate) starts with a scan.
    pub fn lost_events(&mut self) {
        self.rescan = true;
    }

    /// Whether work is left for the next round (reads not done yet).
    pub fn busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Reads up to [`MAX_CHECKS`] pending processes.
    fn check_pending(&mut self) {
        for _ in 0..MAX_CHECKS {
            let Some(pid) = self.pending.pop_first() else { return };
            // keepalived `check_process`: a process that stops matching by an exec, or
            // starts to, counts at once (no delay).
            let now = read_proc(pid, self.cmdline_limit).map(|info| self.matching(&info)).unwrap_or_default();
            self.insert(pid, now);
        }
    }

    /// How many processes match tracker `i`.
    pub fn count(&self, i: usize) -> usize {
        self.pids.values().filter(|t| t.contains(&i)).count()
    }

    /// Reads what is pending, then returns every tracker whose state is to be reported.
    /// `rescan_allowed`: a scan may run now (they are at least [`SCAN_EVERY`] apart).
    pub fn evaluate(&mut self, now: Instant, rescan_allowed: bool) -> Vec<(usize, bool)> {
        if self.rescan && rescan_allowed {
            info!("vrrp_track_process: process events were lost; reading /proc again");
            self.scan();
        }
        self.check_pending();
        let mut counts = vec![0usize; self.matchers.len()];
        for trackers in self.pids.values() {
            for &i in trackers {
                if let Some(c) = counts.get_mut(i) {
                    *c += 1;
                }
            }
        }
        let mut changes = Vec::new();
        for (i, q) in self.quorums.iter_mut().enumerate() {
            if let Some(good) = q.update(now, counts[i], self.by_fork[i], self.by_exit[i]) {
                let name = self.names.get(i).map_or("?", String::as_str);
                info!(
                    "Quorum {} for tracked process {name} ({} running)",
                    if good { "gained" } else { "lost" },
                    counts[i]
                );
                changes.push((i, good));
            }
        }
        self.by_fork.iter_mut().for_each(|b| *b = false);
        self.by_exit.iter_mut().for_each(|b| *b = false);
        changes
    }

    /// Whether a scan is wanted.
    pub fn wants_rescan(&self) -> bool {
        self.rescan
    }

    /// The earliest delay that runs out.
    pub fn deadline(&self) -> Option<Instant> {
        self.quorums.iter().filter_map(Quorum::deadline).min()
    }
}

/// How long the kernel has to answer the subscription (keepalived waits 0.1 s for the
/// `PROC_EVENT_NONE` answer before deciding the connector is missing).
const ACK_WAIT: Duration = Duration::from_secs(1);

/// The connector, subscribed; `Err` says why it cannot be used.
fn open_connector() -> io::Result<netlink_sys::TokioSocket> {
    use netlink_sys::{AsyncSocket, SocketAddr};
    let mut socket = netlink_sys::TokioSocket::new(netlink_sys::protocols::NETLINK_CONNECTOR)?;
    socket.socket_mut().bind(&SocketAddr::new(0, CN_IDX_PROC))?;
    // Room for bursts; beyond it the kernel reports ENOBUFS and a scan catches up.
    let _ = socket.socket_ref().set_rx_buf_sz(1 << 20);
    socket.socket_ref().send(&listen_request(), 0)?;
    Ok(socket)
}

/// One datagram from the connector: its length and sender's port (0: the kernel).
async fn recv(socket: &netlink_sys::TokioSocket, buf: &mut [u8]) -> io::Result<(usize, u32)> {
    use netlink_sys::AsyncSocketExt;
    let mut slice = buf;
    let total = slice.len();
    let addr = socket.recv_from(&mut slice).await?;
    Ok((total - slice.len(), addr.port_number()))
}

/// [`open_connector`], then its answer: a kernel without `CONFIG_PROC_EVENTS` takes the
/// subscription and never says anything.
async fn subscribe() -> io::Result<netlink_sys::TokioSocket> {
    let socket = open_connector()?;
    let mut buf = vec![0u8; 512];
    let acked = tokio::time::timeout(ACK_WAIT, async {
        loop {
            let (n, port) = recv(&socket, &mut buf).await?;
            let mut ack = false;
            if port == 0 {
                parse_events(&buf[..n.min(buf.len())], |e| ack |= e == Event::Ack);
            }
            if ack {
                return io::Result::Ok(());
            }
        }
    })
    .await;
    match acked {
        Ok(Ok(())) => Ok(socket),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the kernel did not answer the subscription (CONFIG_PROC_EVENTS missing?)",
        )),
    }
}

/// Sends `(index, good)` for each of `processes` (indices into it) whose quorum state
/// changes, until the receiver is dropped. Every process's first state is sent after
/// the first scan.
pub async fn watch(processes: Vec<TrackProcess>, tx: mpsc::Sender<(usize, bool)>) {
    let mut tracker = Tracker::new(&processes);
    let fallback = |why: &dyn std::fmt::Display| {
        warn!(
            "vrrp_track_process: the process events connector cannot be used ({why}); reading /proc every {} s instead",
            SCAN_EVERY.as_secs()
        )
    };
    let socket = match subscribe().await {
        Ok(s) => Some(s),
        Err(e) => {
            fallback(&e);
            None
        }
    };
    tracker.scan();
    let mut last_scan = Instant::now();
    if !send(&tx, tracker.evaluate(Instant::now(), false)).await {
        return;
    }
    if let Some(socket) = socket {
        match events_loop(socket, &mut tracker, &mut last_scan, &tx).await {
            Ok(()) => return,
            Err(e) => fallback(&e),
        }
    }
    loop {
        let next = tracker.deadline().map_or(last_scan + SCAN_EVERY, |d| d.min(last_scan + SCAN_EVERY));
        tokio::time::sleep_until(next.into()).await;
        if Instant::now() >= last_scan + SCAN_EVERY {
            tracker.scan();
            last_scan = Instant::now();
        }
        if !send(&tx, tracker.evaluate(Instant::now(), false)).await {
            return;
        }
    }
}

async fn send(tx: &mpsc::Sender<(usize, bool)>, changes: Vec<(usize, bool)>) -> bool {
    for c in changes {
        if tx.send(c).await.is_err() {
            return false;
        }
    }
    true
}

/// Follows the connector; `Ok` when the receiver is gone, `Err` when the socket fails.
async fn events_loop(
    socket: netlink_sys::TokioSocket,
    tracker: &mut Tracker,
    last_scan: &mut Instant,
    tx: &mpsc::Sender<(usize, bool)>,
) -> io::Result<()> {
    use netlink_sys::AsyncSocket;
    let mut buf = vec![0u8; 4096];
    loop {
        let rescan_at = tracker.wants_rescan().then_some(*last_scan + SCAN_EVERY);
        let wake = if tracker.busy() {
            Some(Instant::now())
        } else {
            [tracker.deadline(), rescan_at].into_iter().flatten().min()
        };
        let first = tokio::select! {
            r = recv(&socket, &mut buf) => Some(r),
            () = async {
                match wake {
                    Some(w) => tokio::time::sleep_until(w.into()).await,
                    None => std::future::pending().await,
                }
            } => None,
        };
        if let Some(r) = first {
            if take(r, &buf, tracker)? {
                for _ in 1..MAX_BATCH {
                    let mut slice = buf.as_mut_slice();
                    let r = socket
                        .socket_ref()
                        .recv_from(&mut slice, libc::MSG_DONTWAIT)
                        .map(|(n, a)| (n, a.port_number()));
                    if !take(r, &buf, tracker)? {
                        break;
                    }
                }
            }
        }
        let now = Instant::now();
        let scan_ok = now >= *last_scan + SCAN_EVERY;
        if scan_ok && tracker.wants_rescan() {
            *last_scan = now;
        }
        if !send(tx, tracker.evaluate(now, scan_ok)).await {
            return Ok(());
        }
        // Coalesce: whatever comes next waits in the socket for a few ms.
        tokio::time::sleep(EVAL_EVERY).await;
    }
}

/// Takes one receive's result: `Ok(false)` when the socket has nothing more for now,
/// `Err` when it cannot be used any more.
fn take(r: io::Result<(usize, u32)>, buf: &[u8], tracker: &mut Tracker) -> io::Result<bool> {
    match r {
        // Only the kernel (port 0) speaks for the connector.
        Ok((n, 0)) => parse_events(&buf[..n.min(buf.len())], |e| tracker.on_event(e)),
        Ok(_) => {}
        // keepalived `handle_proc_ev`: ENOBUFS means events were lost; rebuild.
        Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => tracker.lost_events(),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => {
            tracker.lost_events();
            return Err(e);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests;
