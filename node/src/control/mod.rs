//! The control protocol between vrrpd and `vrrpctl`, and the status document it carries.
//!
//! One request per connection: the client sends one JSON object on one line (a
//! [`Request`]), vrrpd answers with one JSON object on one line (a [`Reply`]) and closes.
//!
//! ```text
//! → {"request":"status"}
//! ← {"reply":"status","instances":[…],"router":{…},"timer":{…}}
//! → {"request":"reload"}
//! ← {"reply":"reloaded","kept":["VI_1"],"changed":[],"added":[],"removed":[]}
//! → status
//! ← {"reply":"error","message":"malformed request \"status\" (…); vrrpd accepts one JSON object per line: {\"request\":\"status\"} or {\"request\":\"reload\"}"}
//! ```
//!
//! - [`protocol`]: [`Request`], [`Reply`] and the framing (one JSON object per line, bounded).
//! - [`status`]: the [`Status`] document (`vrrpctl status --json`) and its table.
//! - [`client`]: [`request`], what `vrrpctl` calls.
//!
//! vrrpd's server thread lives in [`crate::daemon::control`] and speaks only these types.

pub mod client;
pub mod protocol;
pub mod status;

pub use client::{request, ClientError};
pub use protocol::{ReloadSummary, Reply, Request};
pub use status::Status;
