//! The control socket, served from its own thread so a slow or stuck `vrrpctl` can never
//! delay an advert. It speaks [`crate::control`]'s protocol and shares only [`crate::sync`]
//! types with the protocol loop: it asks for a fresh snapshot (waking the loop), waits for
//! it on the [`StatusBoard`], and serialises it to JSON here, off the protocol thread.

use std::io::BufReader;
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use crate::control::protocol::{read_message, write_message, FrameError, MAX_REQUEST_LEN};
use crate::control::{Reply, Request, Status};
use crate::sync::{facade::Arc, Shutdown, StatusBoard};

/// What the protocol loop and the control thread share.
#[derive(Debug)]
pub struct Shared {
    /// Newest status, published by the loop on request.
    pub board: StatusBoard<Status>,
    /// Stop (loop → control thread) and reload (control thread → loop) requests.
    pub shutdown: Shutdown,
    /// Wakes the loop: a request is waiting. Only a wake-up; the data travels through the
    /// `sync` types above.
    pub wake: tokio::sync::Notify,
}

impl Shared {
    /// Nothing published or requested yet.
    pub fn new() -> Self {
        Shared {
            board: StatusBoard::new(Status::default()),
            shutdown: Shutdown::new(),
            wake: tokio::sync::Notify::new(),
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Self::new()
    }
}

/// How long a request may take end to end.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Serves `listener` until a stop is requested (the loop then connects once to wake us).
pub fn serve(listener: UnixListener, shared: Arc<Shared>) {
    let own_uid = nix::unistd::geteuid().as_raw();
    for stream in listener.incoming() {
        if shared.shutdown.stop_requested() {
            return;
        }
        if let Ok(stream) = stream {
            let peer = peer_uid(&stream);
            let _ = answer(stream, &shared, peer, own_uid);
        }
    }
}

/// The uid of the process at the other end, as the kernel recorded it at connect (SO_PEERCRED).
fn peer_uid(stream: &UnixStream) -> Option<u32> {
    nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials).ok().map(|c| c.uid())
}

/// Whether a client running as `peer` (`None`: not known) may make `request` of a vrrpd
/// running as `own`. Anyone who can connect (the socket's mode and group decide who can)
/// may read the status; a request that changes vrrpd's state needs root or vrrpd's own
/// uid: the same users who may signal it.
pub fn authorise(request: Request, peer: Option<u32>, own: u32) -> Result<(), String> {
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

fn answer(stream: UnixStream, shared: &Shared, peer: Option<u32>, own_uid: u32) -> std::io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let reply = match read_message(BufReader::new(&stream), MAX_REQUEST_LEN, "request") {
        Ok(request) => match authorise(request, peer, own_uid) {
            Ok(()) => reply_to(request, shared),
            Err(message) => Reply::Error { message },
        },
        // Connected and left (or timed out) without a word: nobody to answer.
        Err(FrameError::Closed | FrameError::Io(_)) => return Ok(()),
        Err(e) => Reply::rejecting(&e),
    };
    write_message(&stream, &reply)
}

fn reply_to(request: Request, shared: &Shared) -> Reply {
    match request {
        Request::Status => {
            let seen = shared.board.version();
            shared.wake.notify_one();
            let snapshot = shared.board.wait_newer(seen, TIMEOUT);
            Reply::Status(Status::clone(&snapshot))
        }
        Request::Reload => {
            shared.shutdown.request_reload();
            shared.wake.notify_one();
            Reply::ReloadRequested
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
    fn reload_is_acknowledged_and_passed_to_the_loop() {
        let (_dir, path, shared) = server();
        assert_eq!(request(&path, Request::Reload, TIMEOUT).unwrap(), Reply::ReloadRequested);
        assert!(shared.shutdown.take_reload());
        assert!(!shared.shutdown.take_reload());
    }

    #[test]
    fn unknown_malformed_and_oversize_requests_get_an_error_reply() {
        let (_dir, path, shared) = server();
        let accepted =
            r#"vrrpd accepts one JSON object per line: {\"request\":\"status\"} or {\"request\":\"reload\"}"#;
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
    fn state_changes_need_root_or_our_uid_and_status_is_for_anyone() {
        for peer in [Some(0), Some(1000), Some(65534), None] {
            assert_eq!(authorise(Request::Status, peer, 1000), Ok(()));
        }
        assert_eq!(authorise(Request::Reload, Some(0), 1000), Ok(()));
        assert_eq!(authorise(Request::Reload, Some(1000), 1000), Ok(()));
        assert_eq!(
            authorise(Request::Reload, Some(65534), 0),
            Err("reload refused: the client runs as uid 65534; only root (uid 0) or vrrpd's own uid (0) may change \
                 vrrpd's state"
                .into())
        );
        assert_eq!(
            authorise(Request::Reload, None, 0),
            Err("reload refused: the client's credentials (SO_PEERCRED) could not be read".into())
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
