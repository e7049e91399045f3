//! Linux networking: VRRP raw sockets, gratuitous ARP / unsolicited NA, rtnetlink.
//!
//! One job per module:
//! - [`raw`]: the VRRP raw IP socket ([`VrrpSocket`]) on one interface;
//! - [`ipv4`]: defensive parsing of the IPv4 header raw sockets deliver;
//! - [`garp`]: gratuitous ARP / unsolicited NA frames and their sender;
//! - [`netlink`]: interface facts, VIP add/remove, link/address events;
//! - [`route`]: `virtual_routes` / `virtual_rules` as rtnetlink messages.
//!
//! Everything here works in the network namespace of the thread that
//! creates the socket, which is how the lab runs it inside namespaces.

pub mod batch;
pub mod garp;
pub mod ipv4;
pub mod netlink;
pub mod raw;
pub mod route;
pub mod vmac;

pub use batch::{RecvBatch, SendHeaders, RECV_BATCH, SEND_BATCH};
pub use garp::{build_garp, build_unsolicited_na, Announcer};
pub use ipv4::Malformed;
pub use netlink::{watch, watch_routes, watch_with_buffer, Address, Event, Link, Netlink, Scope, Watch};
pub use raw::{Received, RecvError, VrrpSocket};
pub use route::{route_matches, route_message, rule_matches, rule_message, RoutePlace};

/// The sockets here register with (or spawn onto) tokio; outside a runtime
/// tokio would panic, so report the misuse as an error instead.
fn require_runtime() -> std::io::Result<()> {
    tokio::runtime::Handle::try_current()
        .map(drop)
        .map_err(|_| std::io::Error::other("must be called inside a tokio runtime"))
}
