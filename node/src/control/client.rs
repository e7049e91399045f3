//! The client side: one request, one reply.

use std::io::{self, BufReader};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::protocol::{read_message, write_message, FrameError, Reply, Request, MAX_REPLY_LEN};

/// Why no reply came back.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket (vrrpd not running, wrong path, no permission).
    #[error("cannot reach vrrpd at {}: {source}", path.display())]
    Connect {
        /// The control socket.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Sending the request failed.
    #[error("sending the request to vrrpd: {0}")]
    Send(io::Error),
    /// The reply did not arrive in time, or is not a [`Reply`].
    #[error("unexpected reply from vrrpd: {0}")]
    Reply(FrameError),
}

/// Sends `request` to vrrpd's control socket at `socket` and returns its reply, waiting at
/// most `timeout` for each read and write.
pub fn request(socket: &Path, request: Request, timeout: Duration) -> Result<Reply, ClientError> {
    let stream = UnixStream::connect(socket).map_err(|source| ClientError::Connect { path: socket.into(), source })?;
    stream.set_read_timeout(Some(timeout)).map_err(ClientError::Send)?;
    stream.set_write_timeout(Some(timeout)).map_err(ClientError::Send)?;
    write_message(&stream, &request).map_err(ClientError::Send)?;
    read_message(BufReader::new(&stream), MAX_REPLY_LEN, "reply").map_err(ClientError::Reply)
}
