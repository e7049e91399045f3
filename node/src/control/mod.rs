//! What vrrpd tells `vrrpctl`: the status document.
//!
//! - [`status`]: the [`Status`] document (`vrrpctl status --json`) and its table.

pub mod status;

pub use status::Status;
