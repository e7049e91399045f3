//! The `/metrics` endpoint: an HTTP server (tiny_http) on its own threads, so a slow
//! scraper never delays an advert. Like the control thread it asks the protocol loop for a
//! fresh [`crate::control::Status`] (waking it) and waits for it on the status board; the
//! rendering happens here, off the protocol thread.

use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result};
use tiny_http::{Header, Method, Response, Server};
use tracing::warn;

use crate::daemon::control::Shared;
use crate::sync::facade::Arc;

/// How long a scrape waits for the protocol loop's snapshot before it is served the last one.
pub const SNAPSHOT_WAIT: Duration = Duration::from_secs(2);

/// Binds `addr` for `--metrics-listen`, at start (before privileges are dropped). The error
/// names the fix.
pub fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).map_err(|e| {
        let fix = match e.kind() {
            std::io::ErrorKind::AddrInUse => "another program listens on that port: pick a free one".to_owned(),
            std::io::ErrorKind::AddrNotAvailable => {
                "that address is not one of this host's (see `ip address`): use one of them, 127.0.0.1 or 0.0.0.0"
                    .to_owned()
            }
            std::io::ErrorKind::PermissionDenied => {
                "ports below 1024 need CAP_NET_BIND_SERVICE: pick a port above 1023 (9650 is vrrpd's usual one)"
                    .to_owned()
            }
            _ => "give ADDRESS:PORT of this host, e.g. 127.0.0.1:9650".to_owned(),
        };
        anyhow::anyhow!("cannot listen on --metrics-listen {addr}: {e}: {fix}")
    })
}

/// The running endpoint; [`Metrics::stop`] ends it.
pub struct Metrics {
    server: std::sync::Arc<Server>,
    thread: Option<JoinHandle<()>>,
    addr: SocketAddr,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Metrics {
    /// Serves `/metrics` on `listener` from snapshots the loop publishes on `shared`.
    pub fn start(listener: TcpListener, shared: Arc<Shared>) -> Result<Metrics> {
        let addr = listener.local_addr().context("--metrics-listen socket")?;
        let server = Server::from_listener(listener, None)
            .map_err(|e| anyhow::anyhow!("starting the metrics server on {addr}: {e}"))?;
        let server = std::sync::Arc::new(server);
        let thread = std::thread::Builder::new()
            .name("vrrpd-metrics".into())
            .spawn({
                let server = std::sync::Arc::clone(&server);
                move || serve(&server, &shared)
            })
            .context("starting the metrics thread")?;
        Ok(Metrics { server, thread: Some(thread), addr })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits for the thread.
    pub fn stop(mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(server: &Server, shared: &Shared) {
    for request in server.incoming_requests() {
        let path = request.url().split('?').next().unwrap_or_default().to_owned();
        let response = match (request.method(), path.as_str()) {
            (Method::Get | Method::Head, "/metrics") => {
                let seen = shared.board.version();
                shared.wake.notify_one();
                let status = shared.board.wait_newer(seen, SNAPSHOT_WAIT);
                let accept = request.headers().iter().find(|h| h.field.equiv("Accept")).map(|h| h.value.as_str());
                let (content_type, body) = super::render_for(accept, &status);
                text(200, content_type, body)
            }
            (Method::Get | Method::Head, "/") => {
                text(200, "text/plain; charset=utf-8", "vrrpd: metrics at /metrics\n".to_owned())
            }
            (Method::Get | Method::Head, _) => {
                text(404, "text/plain; charset=utf-8", "not found: try /metrics\n".into())
            }
            _ => text(405, "text/plain; charset=utf-8", "only GET\n".into()),
        };
        if let Err(e) = request.respond(response) {
            warn!("metrics: answering a scrape: {e}");
        }
    }
}

fn text(code: u16, content_type: &str, body: String) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut r = Response::from_string(body).with_status_code(code);
    if let Ok(h) = Header::from_bytes("Content-Type", content_type) {
        r = r.with_header(h);
    }
    r
}
