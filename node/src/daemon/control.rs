//! The control socket, served from its own threads so a slow or stuck `vrrpctl` can never
//! delay an advert. It speaks [`crate::control`]'s protocol and shares only [`crate::sync`]
//! types with the protocol loop: it asks for a fresh snapshot (waking the loop), waits for
//! it on the [`StatusBoard`], and serialises it to JSON here, off the protocol thread.
//!
//! One thread accepts; each client gets its own thread (at most [`MAX_CLIENTS`] at once) and
//! [`TIMEOUT`] to send its request, so clients that connect and say nothing cannot lock
//! others out. Who may ask what: see [`authorise`].

use std::io::{self, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::control::protocol::{read_message, write_message, FrameError, MAX_REQUEST_LEN};
use crate::control::{ReloadSummary, Reply, Request, Status};
use crate::sync::facade::{lock, Arc, Mutex};
use crate::sync::{Shutdown, StatusBoard};
use vrrp_core::State;

/// What the protocol loop and the control thread share.
#[derive(Debug)]
pub struct Shared {
    /// Newest status, published by the loop on request.
    pub board: StatusBoard<Status>,
    /// Stop (loop → control thread) and reload (control thread → loop) requests.
    pub shutdown: Shutdown,
    /// Instances to hand over (control thread → loop), by name, checked to be MASTER in
    /// the latest status; the loop takes them all when woken.
    pub handovers: Mutex<Vec<String>>,
    /// `vrrpctl stats --clear` asked (control thread → loop).
    pub stats_clear: Mutex<bool>,
    /// The outcome of each reload (loop → control thread): `None` until the first; a
    /// summary, or every reason the new file was refused.
    pub reloads: StatusBoard<Option<Result<ReloadSummary, String>>>,
    /// Wakes the loop: a request is waiting. Only a wake-up; the data travels through the
    /// `sync` types above.
    pub wake: tokio::sync::Notify,
}

impl Shared {
    /// Takes the handover requests waiting for the loop.
    pub fn take_handovers(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.handovers))
    }

    /// Takes a pending `stats --clear` request.
    pub fn take_stats_clear(&self) -> bool {
        std::mem::take(&mut *lock(&self.stats_clear))
    }

    /// Nothing published or requested yet.
    pub fn new() -> Self {
        Shared {
            board: StatusBoard::new(Status::default()),
            shutdown: Shutdown::new(),
            handovers: Mutex::new(Vec::new()),
            stats_clear: Mutex::new(false),
            reloads: StatusBoard::new(None),
            wake: tokio::sync::Notify::new(),
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Self::new()
    }
}

/// How long a client has to send its request, and again to read the reply; and how long
/// a status request waits for the loop.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Clients served at once. One more is answered at once with an error and closed.
pub const MAX_CLIENTS: usize = 16;

/// Stack of a client's thread: it parses a short line and writes a reply.
const CLIENT_STACK: usize = 256 << 10;

/// Serves `listener` until a stop is requested (the loop then connects once to wake us).
pub fn serve(listener: UnixListener, shared: Arc<Shared>) {
    let own_uid = nix::unistd::geteuid().as_raw();
    let active = std::sync::Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        if shared.shutdown.stop_requested() {
            return;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(_) => {
                // Out of file descriptors, most likely: do not spin on it.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CLIENTS {
            active.fetch_sub(1, Ordering::AcqRel);
            refuse_busy(&stream);
            continue;
        }
        let slot = Slot(std::sync::Arc::clone(&active));
        let shared = Arc::clone(&shared);
        // A thread that cannot be started drops the closure, and with it the slot.
        let _ = std::thread::Builder::new().name("vrrpd-client".into()).stack_size(CLIENT_STACK).spawn(move || {
            let _slot = slot;
            let peer = peer_uid(&stream);
            let _ = answer(&stream, &shared, peer, own_uid);
        });
    }
}

/// One client being served; frees its place when the client's thread ends.
struct Slot(std::sync::Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Tells a client over the limit so, without reading its request (that could block the
/// accepting thread); the reply fits in the empty socket buffer.
fn refuse_busy(stream: &UnixStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let message = format!("vrrpd is busy: {MAX_CLIENTS} clients are connected already; try again");
    let _ = write_message(stream, &Reply::Error { message });
}

/// The uid of the process at the other end, as the kernel recorded it at connect (SO_PEERCRED).
fn peer_uid(stream: &UnixStream) -> Option<u32> {
    nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials).ok().map(|c| c.uid())
}

/// Whether a client running as `peer` (`None`: not known) may make `request` of a vrrpd
/// running as `own`. Anyone who can connect (the socket's mode and group decide who can)
/// may read the status; a request that changes vrrpd's state needs root or vrrpd's own
/// uid: the same users who may signal it.
pub fn authorise(request: &Request, peer: Option<u32>, own: u32) -> Result<(), String> {
    if !request.changes_state() {
        return Ok(());
    }
    let name = request.name();
    match peer {
        Some(uid) if uid == 0 || uid == own => Ok(()),
        Some(uid) => Err(format!(
            "{name} refused: the client runs as uid {uid}; only root (uid 0) or vrrpd's own uid ({own}) may \
             change vrrpd's state"
        )),
        None => Err(format!("{name} refused: the client's credentials (SO_PEERCRED) could not be read")),
    }
}

fn answer(stream: &UnixStream, shared: &Shared, peer: Option<u32>, own_uid: u32) -> io::Result<()> {
    let reader = BufReader::new(Deadline::new(stream));
    let reply = match read_message(reader, MAX_REQUEST_LEN, "request") {
        Ok(request) => match authorise(&request, peer, own_uid) {
            Ok(()) => reply_to(request, shared),
            Err(message) => Reply::Error { message },
        },
        // Connected and left (or timed out) without a word: nobody to answer.
        Err(FrameError::Closed | FrameError::Io(_)) => return Ok(()),
        Err(e) => Reply::rejecting(&e),
    };
    write_message(Deadline::new(stream), &reply)
}

/// A client's stream with one deadline for all its reads or writes: a client that sends
/// (or reads) a byte at a time cannot hold its thread longer than [`TIMEOUT`].
struct Deadline<'a> {
    stream: &'a UnixStream,
    until: Instant,
}

impl<'a> Deadline<'a> {
    fn new(stream: &'a UnixStream) -> Self {
        Deadline { stream, until: Instant::now() + TIMEOUT }
    }

    /// Sets the socket's timeout to what is left; an error once nothing is.
    fn left(&self, read: bool) -> io::Result<()> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the client took too long"));
        }
        if read {
            self.stream.set_read_timeout(Some(left))
        } else {
            self.stream.set_write_timeout(Some(left))
        }
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.left(true)?;
        self.stream.read(buf)
    }
}

impl Write for Deadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.left(false)?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn reply_to(request: Request, shared: &Shared) -> Reply {
    match request {
        Request::Status => Reply::Status(fresh_status(shared)),
        Request::Reload => reload(shared, RELOAD_WAIT),
        Request::StatsClear => {
            *lock(&shared.stats_clear) = true;
            Reply::StatsCleared(fresh_status(shared))
        }
        Request::Handover { instance } => match handover_targets(&fresh_status(shared), instance.as_deref()) {
            Ok(instances) => {
                lock(&shared.handovers).extend(instances.iter().cloned());
                shared.wake.notify_one();
                Reply::HandoverStarted { instances }
            }
            Err(message) => Reply::Error { message },
        },
    }
}

/// How long a reload request waits for the loop to read, check and apply the file.
pub const RELOAD_WAIT: Duration = Duration::from_secs(10);

/// Asks the loop for a reload and waits (at most `wait`) for its outcome: the first reload
/// the loop finishes after the request (requests that arrive together share one).
fn reload(shared: &Shared, wait: Duration) -> Reply {
    let seen = shared.reloads.version();
    shared.shutdown.request_reload();
    shared.wake.notify_one();
    let until = Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let outcome = shared.reloads.wait_newer(seen, left);
        if shared.reloads.version() > seen {
            return match &*outcome {
                Some(Ok(summary)) => Reply::Reloaded(summary.clone()),
                Some(Err(why)) => Reply::Error { message: why.clone() },
                None => Reply::Error { message: "reload: no outcome was published".into() },
            };
        }
        if left.is_zero() {
            return Reply::Error {
                message: format!("reload requested, but vrrpd did not finish it within {} ms", wait.as_millis()),
            };
        }
    }
}

/// Wakes the loop for a new snapshot and waits for it (the last one after [`TIMEOUT`]).
fn fresh_status(shared: &Shared) -> Status {
    let seen = shared.board.version();
    shared.wake.notify_one();
    Status::clone(&shared.board.wait_newer(seen, TIMEOUT))
}

/// Which instances a handover request names: `instance` if it is MASTER, or every MASTER
/// instance; an error saying why not otherwise.
pub fn handover_targets(status: &Status, instance: Option<&str>) -> Result<Vec<String>, String> {
    match instance {
        Some(name) => {
            let found = status.instance(name)?;
            if found.state != State::Master {
                return Err(format!("{name} is {}, not MASTER: only a master hands over", found.state.as_str()));
            }
            if found.priority == vrrp_core::config::PRIORITY_OWNER {
                return Err(format!("{name} is the address owner (priority 255): its addresses cannot move"));
            }
            Ok(vec![name.to_string()])
        }
        None => {
            let masters: Vec<String> = status
                .instances
                .iter()
                .filter(|i| i.state == State::Master && i.priority != vrrp_core::config::PRIORITY_OWNER)
                .map(|i| i.name.clone())
                .collect();
            if masters.is_empty() {
                return Err("no instance is MASTER: nothing to hand over".into());
            }
            Ok(masters)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, Write};

    use super::*;
    use crate::control::status::TimerCounters;
    use crate::control::{request, ClientError};

    /// A control thread on a fresh socket, with a stand-in for the protocol loop that
    /// publishes a status (fired = how many so far) each time it is woken.
    fn server() -> (tempfile::TempDir, std::path::PathBuf, Arc<Shared>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vrrpd.sock");
        let shared = Arc::new(Shared::new());
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn({
            let shared = Arc::clone(&shared);
            move || serve(listener, shared)
        });
        std::thread::spawn({
            let shared = Arc::clone(&shared);
            move || {
                let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
                for fired in 1.. {
                    rt.block_on(shared.wake.notified());
                    shared
                        .board
                        .publish(Status { timer: TimerCounters { fired, ..Default::default() }, ..Status::default() });
                }
            }
        });
        (dir, path, shared)
    }

    fn raw(path: &std::path::Path, bytes: &[u8]) -> String {
        let mut stream = UnixStream::connect(path).unwrap();
        stream.write_all(bytes).unwrap();
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).unwrap();
        line
    }

    #[test]
    fn status_wakes_the_loop_and_returns_its_fresh_snapshot() {
        let (_dir, path, _shared) = server();
        for fired in 1..=3 {
            let reply = request(&path, Request::Status, TIMEOUT).unwrap();
            let Reply::Status(status) = reply else { panic!("{reply:?}") };
            assert_eq!(status.timer.fired, fired);
        }
    }

    #[test]
    fn reload_is_passed_to_the_loop_and_its_outcome_comes_back() {
        let (_dir, path, shared) = server();
        // The loop: takes the request, publishes what it made of it.
        let loop_side = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for outcome in [
                    Ok(ReloadSummary { kept: vec!["VI_1".into()], ..Default::default() }),
                    Err("x.conf:3:5: error: no".to_string()),
                ] {
                    while !shared.shutdown.take_reload() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    shared.reloads.publish(Some(outcome));
                }
            })
        };
        let first = request(&path, Request::Reload, TIMEOUT).unwrap();
        assert_eq!(first, Reply::Reloaded(ReloadSummary { kept: vec!["VI_1".into()], ..Default::default() }));
        let second = request(&path, Request::Reload, TIMEOUT).unwrap();
        assert_eq!(second, Reply::Error { message: "x.conf:3:5: error: no".into() });
        loop_side.join().unwrap();
        assert!(!shared.shutdown.take_reload());
    }

    #[test]
    fn a_reload_the_loop_never_finishes_times_out_with_an_error() {
        let shared = Shared::new();
        let reply = reload(&shared, Duration::from_millis(50));
        let Reply::Error { message } = reply else { panic!("{reply:?}") };
        assert_eq!(message, "reload requested, but vrrpd did not finish it within 50 ms");
        assert!(shared.shutdown.take_reload(), "the request was passed on");
    }

    #[test]
    fn unknown_malformed_and_oversize_requests_get_an_error_reply() {
        let (_dir, path, shared) = server();
        let accepted = r#"vrrpd accepts one JSON object per line: {\"request\":\"status\"} or {\"request\":\"reload\"} or {\"request\":\"stats_clear\"} or {\"request\":\"handover\"}"#;
        for (sent, says) in [
            (&b"{\"request\":\"frobnicate\"}\n"[..], "unknown variant `frobnicate`"),
            (b"status\n", r#"malformed request \"status\" (not a JSON object)"#),
            (b"{\"request\":\"stat\n", r#"malformed request \"{\\\"request\\\":\\\"stat\""#),
        ] {
            let line = raw(&path, sent);
            assert!(line.starts_with(r#"{"reply":"error","message":""#), "{line}");
            assert!(line.contains(says) && line.contains(accepted), "{line}");
            assert!(line.ends_with("\"}\n"), "{line}");
        }
        let line = raw(&path, &vec![b'x'; 2 * MAX_REQUEST_LEN]);
        assert!(line.contains("message longer than 4096 bytes") && line.contains(accepted), "{line}");
        // Nothing of that reached the loop, and the server still answers.
        assert!(!shared.shutdown.take_reload());
        assert!(matches!(request(&path, Request::Status, TIMEOUT), Ok(Reply::Status(_))));
    }

    #[test]
    fn idle_clients_do_not_hold_up_others() {
        let (_dir, path, _shared) = server();
        let idle: Vec<UnixStream> = (0..5).map(|_| UnixStream::connect(&path).unwrap()).collect();
        let start = Instant::now();
        assert!(matches!(request(&path, Request::Status, TIMEOUT), Ok(Reply::Status(_))));
        assert!(start.elapsed() < Duration::from_secs(1), "status took {:?}", start.elapsed());
        drop(idle);
    }

    #[test]
    fn clients_over_the_limit_are_told_at_once_and_places_free_up() {
        let (_dir, path, _shared) = server();
        let mut idle: Vec<UnixStream> = (0..MAX_CLIENTS).map(|_| UnixStream::connect(&path).unwrap()).collect();
        // Each idle client holds its place once accepted; wait until all are.
        let start = Instant::now();
        let reply = loop {
            let reply = request(&path, Request::Status, TIMEOUT).unwrap();
            if matches!(reply, Reply::Error { .. }) || start.elapsed() > TIMEOUT {
                break reply;
            }
        };
        let Reply::Error { message } = reply else { panic!("{reply:?}") };
        assert_eq!(message, "vrrpd is busy: 16 clients are connected already; try again");
        assert!(start.elapsed() < Duration::from_secs(1), "refused after {:?}", start.elapsed());
        // One idle client leaves: the next request is served.
        idle.pop();
        let served = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            matches!(request(&path, Request::Status, TIMEOUT), Ok(Reply::Status(_)))
        });
        assert!(served);
    }

    #[test]
    fn a_client_sending_a_byte_at_a_time_is_cut_off_at_the_deadline() {
        let (_dir, path, _shared) = server();
        let mut stream = UnixStream::connect(&path).unwrap();
        let start = Instant::now();
        // Each byte comes well within TIMEOUT of the last, but the request never ends.
        let cut = loop {
            std::thread::sleep(Duration::from_millis(250));
            if stream.write_all(b" ").is_err() || start.elapsed() > 3 * TIMEOUT {
                break start.elapsed();
            }
        };
        assert!(cut < TIMEOUT + Duration::from_secs(1), "still connected after {cut:?}");
    }

    #[test]
    fn state_changes_need_root_or_our_uid_and_status_is_for_anyone() {
        for peer in [Some(0), Some(1000), Some(65534), None] {
            assert_eq!(authorise(&Request::Status, peer, 1000), Ok(()));
        }
        assert_eq!(authorise(&Request::Reload, Some(0), 1000), Ok(()));
        assert_eq!(authorise(&Request::Reload, Some(1000), 1000), Ok(()));
        assert_eq!(
            authorise(&Request::Reload, Some(65534), 0),
            Err("reload refused: the client runs as uid 65534; only root (uid 0) or vrrpd's own uid (0) may change \
                 vrrpd's state"
                .into())
        );
        assert_eq!(
            authorise(&Request::Reload, None, 0),
            Err("reload refused: the client's credentials (SO_PEERCRED) could not be read".into())
        );
    }

    fn instance(name: &str, state: State) -> crate::control::status::InstanceStatus {
        crate::control::status::InstanceStatus::for_test(name, state)
    }

    #[test]
    fn handover_names_a_master_or_takes_every_master() {
        let status = Status {
            instances: vec![instance("a", State::Master), instance("b", State::Backup), instance("c", State::Master)],
            ..Status::default()
        };
        assert_eq!(handover_targets(&status, Some("a")), Ok(vec!["a".to_string()]));
        assert_eq!(handover_targets(&status, None), Ok(vec!["a".to_string(), "c".to_string()]));
        assert_eq!(
            handover_targets(&status, Some("b")),
            Err("b is BACKUP, not MASTER: only a master hands over".to_string())
        );
        assert_eq!(handover_targets(&status, Some("z")), Err("vrrpd has no instance z (it has: a, b, c)".to_string()));
        let mut owner = instance("o", State::Master);
        owner.priority = 255;
        let status = Status { instances: vec![owner, instance("a", State::Master)], ..Status::default() };
        assert_eq!(
            handover_targets(&status, Some("o")),
            Err("o is the address owner (priority 255): its addresses cannot move".to_string())
        );
        assert_eq!(handover_targets(&status, None), Ok(vec!["a".to_string()]));
        let idle = Status { instances: vec![instance("b", State::Backup)], ..Status::default() };
        assert_eq!(handover_targets(&idle, None), Err("no instance is MASTER: nothing to hand over".to_string()));
    }

    #[test]
    fn a_handover_request_reaches_the_loop_only_for_masters() {
        let (_dir, path, shared) = server();
        // The stand-in loop publishes no instance: refused, nothing passed on.
        let reply = request(&path, Request::Handover { instance: None }, TIMEOUT).unwrap();
        assert_eq!(reply, Reply::Error { message: "no instance is MASTER: nothing to hand over".into() });
        assert!(shared.take_handovers().is_empty());
        assert_eq!(
            authorise(&Request::Handover { instance: None }, Some(65534), 0).unwrap_err().split(':').next(),
            Some("handover refused")
        );
    }

    #[test]
    fn no_server_is_a_connect_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = request(&dir.path().join("none.sock"), Request::Status, TIMEOUT).unwrap_err();
        assert!(matches!(err, ClientError::Connect { .. }));
        assert!(err.to_string().starts_with("cannot reach vrrpd at "), "{err}");
    }
}
