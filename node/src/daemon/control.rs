//! The control socket, served from its own thread so a slow or stuck `vrrpctl` can never
//! delay an advert. It shares only [`crate::sync`] types with the protocol loop: it asks
//! for a fresh snapshot (waking the loop), waits for it on the [`StatusBoard`], and
//! serialises it to JSON here, off the protocol thread.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use crate::control::Status;
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
    for stream in listener.incoming() {
        if shared.shutdown.stop_requested() {
            return;
        }
        if let Ok(stream) = stream {
            let _ = answer(stream, &shared);
        }
    }
}

fn answer(mut stream: UnixStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let reply = match line.trim() {
        "status" | "status json" => {
            let seen = shared.board.version();
            shared.wake.notify_one();
            let snapshot = shared.board.wait_newer(seen, TIMEOUT);
            serde_json::to_string(&*snapshot).unwrap_or_else(|e| format!("error: {e}")) + "\n"
        }
        "reload" => {
            shared.shutdown.request_reload();
            shared.wake.notify_one();
            "ok: reload requested\n".to_owned()
        }
        other => format!("error: unknown request {other:?}; try \"status\"\n"),
    };
    stream.write_all(reply.as_bytes())
}
