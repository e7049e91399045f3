//! vrrp-node: binds `vrrp-core` to Linux (raw sockets, AF_PACKET, rtnetlink) and reads keepalived.conf.
#![cfg_attr(test, recursion_limit = "256")]

pub mod auth_hmac;
pub mod config;
#[cfg(feature = "daemon")]
pub mod control;
#[cfg(feature = "daemon")]
pub mod daemon;
#[cfg(feature = "daemon")]
pub mod metrics;
#[cfg(feature = "daemon")]
pub mod net;
#[cfg(feature = "daemon")]
pub mod notify;
#[cfg(feature = "daemon")]
pub mod script;
#[cfg(feature = "daemon")]
pub mod service;
pub mod sync;
#[cfg(feature = "daemon")]
pub mod track;
