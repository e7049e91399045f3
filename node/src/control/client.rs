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
    exchange(&stream, request, timeout)
}

/// [`request`] on a connected stream.
fn exchange(stream: &UnixStream, request: Request, timeout: Duration) -> Result<Reply, ClientError> {
    stream.set_read_timeout(Some(timeout)).map_err(ClientError::Send)?;
    stream.set_write_timeout(Some(timeout)).map_err(ClientError::Send)?;
    if let Err(e) = write_message(stream, &request) {
        // vrrpd may have answered and closed without reading the request (it does when it is
        // busy): its reply says more than the broken pipe.
        return match read_message(BufReader::new(stream), MAX_REPLY_LEN, "reply") {
            Ok(reply) => Ok(reply),
            Err(_) => Err(ClientError::Send(e)),
        };
    }
    read_message(BufReader::new(stream), MAX_REPLY_LEN, "reply").map_err(ClientError::Reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_sent_before_vrrpd_closed_is_read_even_though_the_request_could_not_be_sent() {
        let (client, server) = UnixStream::pair().unwrap();
        let busy = Reply::Error { message: "busy".into() };
        write_message(&server, &busy).unwrap();
        drop(server);
        assert_eq!(exchange(&client, Request::Status, Duration::from_secs(1)).unwrap(), busy);
        // Closed without a word: the send error is what is reported.
        let (client, server) = UnixStream::pair().unwrap();
        drop(server);
        let err = exchange(&client, Request::Status, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(&err, ClientError::Send(e) if e.kind() == io::ErrorKind::BrokenPipe), "{err:?}");
    }
}
