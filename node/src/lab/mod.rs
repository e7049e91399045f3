//! Lab support: network namespaces, veth, bridge; used by tests and `vrrp-lab`.
//!
//! [`Lan`] builds a LAN of namespaces that looks, from inside each host,
//! like the users' machines (`eth1` on a shared segment). The free functions
//! let in-process code (sockets, netlink) run inside a namespace, and gate
//! tests on root.

pub mod cpu;
pub mod demo;
mod netns;
mod ns;
mod util;

pub use netns::{remove_stale_labs, Lan, LanBuilder, HOST_IFNAME};
pub use ns::{enter_netns, netns_path, pids_in_netns, poll_until, require_root, run_in_netns};
pub use util::{is_test_net, parse_mac};
