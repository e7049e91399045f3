//! vrrp-lab: network namespaces, veth, bridge; used by vrrp-node's tests and the
//! `vrrp-lab` binary (`demo`, `compare`, `cpu`).
//!
//! [`Lan`] builds a LAN of namespaces that looks, from inside each host,
//! like the users' machines (`eth1` on a shared segment). The free functions
//! let in-process code (sockets, netlink) run inside a namespace, and gate
//! tests on root.

pub mod bench;
pub mod cpu;
pub mod demo;
pub mod floor;
mod lan;
mod ns;
mod util;

pub use lan::{remove_stale_labs, segment_ifname, Lan, LanBuilder, HOST_IFNAME, SECOND_IFNAME};
pub use ns::{enter_netns, netns_path, pids_in_netns, poll_until, require_root, run_in_netns};
pub use util::{is_test_net, parse_mac};
