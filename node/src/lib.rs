//! vrrp-node: binds `vrrp-core` to Linux (raw sockets, AF_PACKET, rtnetlink) and reads keepalived.conf.

pub mod config;
pub mod daemon;
pub mod lab;
pub mod net;
