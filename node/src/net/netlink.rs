//! rtnetlink: interface facts, VIP add/remove, and a link/address watch.
//!
//! Netlink instead of ioctl or `ip` so the daemon sees the kernel's state
//! and events directly (a cable pull is a `RTM_NEWLINK` without
//! `IFF_RUNNING`), and can add/remove VIPs with labels and flags exactly.
//! Errors are `io::Error`s that keep the kernel's errno.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::channel::mpsc::UnboundedReceiver;
use futures::{Stream, StreamExt, TryStreamExt};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_REQUEST};
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::route::{RouteMessage, RouteProtocol};
use netlink_packet_route::rule::{RuleAttribute, RuleMessage};

use crate::config::RTPROT_KEEPALIVED;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::AsyncSocket;
use rtnetlink::constants::{
    RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE, RTMGRP_IPV4_RULE, RTMGRP_IPV6_IFADDR, RTMGRP_IPV6_ROUTE, RTMGRP_LINK,
};
use tokio::task::JoinHandle;

/// An interface as the daemon needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// ifindex.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Hardware address, if the link has a 6-byte one (Ethernet-like).
    pub mac: Option<[u8; 6]>,
    /// Administratively up (`IFF_UP`).
    pub admin_up: bool,
    /// Usable: `IFF_UP` and `IFF_RUNNING` (operationally up, carrier
    /// present). A pulled cable clears `IFF_RUNNING` only.
    pub up: bool,
    /// MTU.
    pub mtu: u32,
}

/// Address scope, as `ip addr add ... scope`: the config's type, carried to netlink as is.
pub use crate::config::Scope;

/// One address on an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// IPv4 label (e.g. "eth1:vip"), if set.
    pub label: Option<String>,
    /// Scope.
    pub scope: Scope,
    /// IPv4 secondary (another address of the same subnet came first).
    pub secondary: bool,
    /// IPv6 duplicate address detection still running: not usable yet.
    pub tentative: bool,
}

/// A change reported by [`Watch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The link became usable (`IFF_UP` and `IFF_RUNNING`).
    LinkUp {
        /// ifindex.
        index: u32,
    },
    /// The link stopped being usable (admin down or carrier lost).
    LinkDown {
        /// ifindex.
        index: u32,
    },
    /// The link was deleted.
    LinkRemoved {
        /// ifindex.
        index: u32,
    },
    /// An address appeared (or its flags changed, e.g. DAD completed).
    AddrAdded {
        /// ifindex.
        index: u32,
        /// The address.
        addr: IpAddr,
        /// Prefix length.
        prefix: u8,
    },
    /// An address disappeared.
    AddrRemoved {
        /// ifindex.
        index: u32,
        /// The address.
        addr: IpAddr,
        /// Prefix length.
        prefix: u8,
    },
    /// A route of protocol keepalived (18) was removed ([`watch_routes`]).
    RouteRemoved(Box<RouteMessage>),
    /// A policy rule of protocol keepalived (18) was removed ([`watch_routes`]).
    RuleRemoved(Box<RuleMessage>),
    /// The kernel dropped notifications because the socket's receive buffer was full
    /// (`ENOBUFS`, an event storm): some changes were lost. Re-read the state that
    /// matters with [`Netlink`]; link events after this one are reported again even
    /// where they repeat the last known state.
    Overrun,
}

/// A request connection to the kernel's rtnetlink, in the network namespace
/// of the thread that created it.
#[derive(Debug)]
pub struct Netlink {
    pub(super) handle: rtnetlink::Handle,
    conn: JoinHandle<()>,
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl Netlink {
    /// Opens the connection; must be called inside a tokio runtime.
    pub fn new() -> io::Result<Self> {
        super::require_runtime()?;
        let (conn, handle, _unsolicited) = rtnetlink::new_connection()?;
        Ok(Self { handle, conn: tokio::spawn(conn) })
    }

    /// Looks an interface up by name; `ErrorKind::NotFound` if absent.
    pub async fn link_by_name(&self, name: &str) -> io::Result<Link> {
        let links = self.handle.link().get().match_name(name.to_owned());
        first_link(links.execute(), name).await
    }

    /// Looks an interface up by index; `ErrorKind::NotFound` if absent.
    pub async fn link_by_index(&self, index: u32) -> io::Result<Link> {
        let links = self.handle.link().get().match_index(index);
        first_link(links.execute(), &format!("ifindex {index}")).await
    }

    /// All addresses on the interface, in kernel order (IPv4 primaries
    /// before their secondaries).
    pub async fn addresses(&self, ifindex: u32) -> io::Result<Vec<Address>> {
        let msgs: Vec<AddressMessage> = self
            .handle
            .address()
            .get()
            .set_link_index_filter(ifindex)
            .execute()
            .try_collect()
            .await
            .map_err(nl_error)?;
        Ok(msgs.iter().filter_map(address_from).collect())
    }

    /// The interface's primary IPv4 address (first non-secondary one), the
    /// default advertisement source as in keepalived.
    pub async fn primary_ipv4(&self, ifindex: u32) -> io::Result<Option<Ipv4Addr>> {
        Ok(self.addresses(ifindex).await?.iter().find_map(|a| match a.addr {
            IpAddr::V4(v4) if !a.secondary => Some(v4),
            _ => None,
        }))
    }

    /// The interface's usable (non-tentative) fe80::/10 address: the IPv6
    /// advertisement source (RFC 9568 §5.1.2.1). `None` while DAD runs.
    pub async fn link_local_v6(&self, ifindex: u32) -> io::Result<Option<Ipv6Addr>> {
        Ok(self.addresses(ifindex).await?.iter().find_map(|a| match a.addr {
            IpAddr::V6(v6) if is_link_local(v6) && !a.tentative => Some(v6),
            _ => None,
        }))
    }

    /// Adds an address (a VIP). Already present is success. `label` and
    /// `brd` apply to IPv4 only; a label must start with the interface name
    /// (kernel rule), e.g. "eth1:vip". Without `brd` no broadcast address is
    /// set, as with `ip addr add` without `brd`. IPv6 addresses are added
    /// with `nodad` so they are usable at once: VRRP already guarantees a
    /// single owner, and DAD would delay the takeover by a second or more.
    pub async fn add_address(
        &self,
        ifindex: u32,
        addr: IpAddr,
        prefix: u8,
        label: Option<&str>,
        brd: Option<Ipv4Addr>,
        scope: Scope,
    ) -> io::Result<()> {
        let mut req = self.handle.address().add(ifindex, addr, prefix);
        vip_message(req.message_mut(), addr, label, brd, scope);
        match req.execute().await {
            Err(e) if errno(&e) == Some(libc::EEXIST) => Ok(()),
            other => other.map_err(nl_error),
        }
    }

    /// Removes an address. Already absent (or the interface gone) is
    /// success, so removal can be repeated safely.
    ///
    /// Note: removing an IPv4 *primary* also removes the secondaries of its
    /// subnet unless `net.ipv4.conf.<if>.promote_secondaries` is 1.
    pub async fn del_address(&self, ifindex: u32, addr: IpAddr, prefix: u8) -> io::Result<()> {
        let mut msg = AddressMessage::default();
        msg.header.index = ifindex;
        msg.header.prefix_len = prefix;
        msg.header.family = match addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        msg.attributes.push(AddressAttribute::Local(addr));
        msg.attributes.push(AddressAttribute::Address(addr));
        match self.handle.address().del(msg).execute().await {
            Err(e) if matches!(errno(&e), Some(libc::EADDRNOTAVAIL | libc::ENOENT | libc::ENODEV)) => Ok(()),
            other => other.map_err(nl_error),
        }
    }
}

impl Netlink {
    /// Installs a route (`virtual_routes`) the way keepalived does by default
    /// (vrrp_iproute.c: `prepend`, `NLM_F_CREATE` without `NLM_F_EXCL`): in front of a
    /// route to the same destination somebody else installed. `false`: the very same
    /// route is there already (`EEXIST`), so it is not ours.
    pub async fn add_route(&self, msg: RouteMessage) -> io::Result<bool> {
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::NewRoute(msg));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
        let mut handle = self.handle.clone();
        let mut response =
            handle.request(req).map_err(|_| io::Error::other("rtnetlink: the request could not be sent"))?;
        while let Some(message) = response.next().await {
            if let NetlinkPayload::Error(err) = message.payload {
                let e = rtnetlink::Error::NetlinkError(err);
                return match errno(&e) {
                    Some(libc::EEXIST) => Ok(false),
                    _ => Err(nl_error(e)),
                };
            }
        }
        Ok(true)
    }

    /// Removes a route; whether it was there (absent, or its interface gone, is success
    /// too). The kernel matches the request's protocol: only a route of that protocol goes.
    pub async fn del_route(&self, msg: RouteMessage) -> io::Result<bool> {
        match self.handle.route().del(msg).execute().await {
            Ok(()) => Ok(true),
            Err(e) if matches!(errno(&e), Some(libc::ESRCH | libc::ENOENT | libc::ENODEV)) => Ok(false),
            Err(e) => Err(nl_error(e)),
        }
    }

    /// Installs a policy rule (`virtual_rules`). `false`: the very same rule is there
    /// already (`EEXIST`), so it is not ours.
    pub async fn add_rule(&self, msg: RuleMessage) -> io::Result<bool> {
        let mut req = self.handle.rule().add();
        *req.message_mut() = msg;
        match req.execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(libc::EEXIST) => Ok(false),
            Err(e) => Err(nl_error(e)),
        }
    }

    /// Removes a policy rule; whether it was there (absent is success too).
    pub async fn del_rule(&self, msg: RuleMessage) -> io::Result<bool> {
        match self.handle.rule().del(msg).execute().await {
            Ok(()) => Ok(true),
            Err(e) if matches!(errno(&e), Some(libc::ENOENT | libc::ESRCH)) => Ok(false),
            Err(e) => Err(nl_error(e)),
        }
    }
}

/// Subscribes to link and address changes (`RTMGRP_LINK`,
/// `RTMGRP_IPV4_IFADDR`, `RTMGRP_IPV6_IFADDR`) in the network namespace of
/// the calling thread; must be called inside a tokio runtime.
///
/// An event storm that overflows the socket shows up as [`Event::Overrun`]; if the
/// stream ends (any other socket error), re-read the state with [`Netlink`] and watch
/// again.
pub fn watch() -> io::Result<Watch> {
    // Room for bursts (many VIPs added at once); capped by rmem_max.
    watch_with_buffer(1 << 20)
}

/// [`watch`] with a receive buffer of `bytes` (the kernel doubles it, and caps it at
/// `net.core.rmem_max`). Small buffers let tests provoke an overrun.
pub fn watch_with_buffer(bytes: usize) -> io::Result<Watch> {
    super::require_runtime()?;
    let (mut conn, _handle, messages) = rtnetlink::new_connection()?;
    let socket = conn.socket_mut().socket_mut();
    socket.bind(&netlink_sys::SocketAddr::new(0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))?;
    socket.set_rx_buf_sz(bytes)?;
    Ok(Watch { messages, conn: tokio::spawn(conn), links: HashMap::new() })
}

/// Subscribes to route and policy-rule changes (`RTMGRP_IPV4_ROUTE`, `RTMGRP_IPV6_ROUTE`,
/// the IPv4 and IPv6 rule groups) and reports the removal of those of protocol keepalived
/// (18, what vrrpd marks its `virtual_routes` and `virtual_rules` with) as
/// [`Event::RouteRemoved`] / [`Event::RuleRemoved`]; everything else is dropped as it is
/// read. Only worth its wake-ups where such routes are tracked: a router with full BGP
/// tables sees many route changes.
pub fn watch_routes() -> io::Result<Watch> {
    super::require_runtime()?;
    let (mut conn, _handle, messages) = rtnetlink::new_connection()?;
    let socket = conn.socket_mut().socket_mut();
    // RTNLGRP_IPV6_RULE is group 19: bit 18 of the legacy group mask.
    let groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_RULE | (1 << 18);
    socket.bind(&netlink_sys::SocketAddr::new(0, groups))?;
    socket.set_rx_buf_sz(1 << 20)?;
    Ok(Watch { messages, conn: tokio::spawn(conn), links: HashMap::new() })
}

/// Stream of [`Event`]s from [`watch`]. Link events are reported on change
/// only (the kernel sends `RTM_NEWLINK` for many unrelated reasons); the
/// first one seen for an interface is always reported.
#[derive(Debug)]
pub struct Watch {
    messages: UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, netlink_sys::SocketAddr)>,
    conn: JoinHandle<()>,
    links: HashMap<u32, bool>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl Watch {
    /// The next event; `None` once the subscription is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        self.next().await
    }

    fn translate(&mut self, msg: NetlinkMessage<RouteNetlinkMessage>) -> Option<Event> {
        let msg = match msg.payload {
            NetlinkPayload::InnerMessage(msg) => msg,
            NetlinkPayload::Overrun(_) => {
                // What we remember may be stale now: report the next state of every link.
                self.links.clear();
                return Some(Event::Overrun);
            }
            _ => return None,
        };
        match msg {
            RouteNetlinkMessage::NewLink(link) => {
                let index = link.header.index;
                let up = link_usable(&link);
                if self.links.insert(index, up) == Some(up) {
                    return None;
                }
                Some(if up { Event::LinkUp { index } } else { Event::LinkDown { index } })
            }
            RouteNetlinkMessage::DelLink(link) => {
                let index = link.header.index;
                self.links.remove(&index);
                Some(Event::LinkRemoved { index })
            }
            RouteNetlinkMessage::NewAddress(msg) => {
                address_from(&msg).map(|a| Event::AddrAdded { index: msg.header.index, addr: a.addr, prefix: a.prefix })
            }
            RouteNetlinkMessage::DelAddress(msg) => address_from(&msg).map(|a| Event::AddrRemoved {
                index: msg.header.index,
                addr: a.addr,
                prefix: a.prefix,
            }),
            RouteNetlinkMessage::DelRoute(msg) if msg.header.protocol == RouteProtocol::from(RTPROT_KEEPALIVED) => {
                Some(Event::RouteRemoved(Box::new(msg)))
            }
            RouteNetlinkMessage::DelRule(msg)
                if msg.attributes.contains(&RuleAttribute::Protocol(RouteProtocol::from(RTPROT_KEEPALIVED))) =>
            {
                Some(Event::RuleRemoved(Box::new(msg)))
            }
            _ => None,
        }
    }
}

impl Stream for Watch {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = self.get_mut();
        loop {
            match this.messages.poll_next_unpin(cx) {
                Poll::Ready(Some((msg, _))) => {
                    if let Some(event) = this.translate(msg) {
                        return Poll::Ready(Some(event));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

async fn first_link(
    links: impl futures::TryStream<Ok = LinkMessage, Error = rtnetlink::Error>,
    what: &str,
) -> io::Result<Link> {
    let mut links = std::pin::pin!(links.into_stream());
    match links.next().await {
        Some(Ok(msg)) => Ok(link_from(&msg)),
        None => Err(no_such_link(what)),
        Some(Err(e)) if errno(&e) == Some(libc::ENODEV) => Err(no_such_link(what)),
        Some(Err(e)) => Err(nl_error(e)),
    }
}

fn no_such_link(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no such interface: {what}"))
}

fn link_usable(link: &LinkMessage) -> bool {
    link.header.flags.contains(LinkFlags::Up | LinkFlags::Running)
}

pub(super) fn link_from(msg: &LinkMessage) -> Link {
    let mut link = Link {
        index: msg.header.index,
        name: String::new(),
        mac: None,
        admin_up: msg.header.flags.contains(LinkFlags::Up),
        up: link_usable(msg),
        mtu: 0,
    };
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(name) => link.name.clone_from(name),
            LinkAttribute::Address(mac) => link.mac = <[u8; 6]>::try_from(mac.as_slice()).ok(),
            LinkAttribute::Mtu(mtu) => link.mtu = *mtu,
            _ => {}
        }
    }
    link
}

fn address_from(msg: &AddressMessage) -> Option<Address> {
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut flag_attr = AddressFlags::empty();
    for attr in &msg.attributes {
        match attr {
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Address(a) => address = Some(*a),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            AddressAttribute::Flags(f) => flag_attr = *f,
            _ => {}
        }
    }
    let hdr = &msg.header.flags;
    Some(Address {
        // IFA_LOCAL is the interface's own address where it differs from
        // IFA_ADDRESS (point-to-point peers); IPv6 usually sends only
        // IFA_ADDRESS.
        addr: local.or(address)?,
        prefix: msg.header.prefix_len,
        label,
        scope: msg.header.scope.into(),
        secondary: hdr.contains(AddressHeaderFlags::Secondary) || flag_attr.contains(AddressFlags::Secondary),
        tentative: hdr.contains(AddressHeaderFlags::Tentative) || flag_attr.contains(AddressFlags::Tentative),
    })
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

pub(super) fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(msg) => msg.code.map(|c| -c.get()),
        _ => None,
    }
}

pub(super) fn nl_error(e: rtnetlink::Error) -> io::Error {
    match e {
        rtnetlink::Error::NetlinkError(msg) => msg.to_io(),
        other => io::Error::other(other),
    }
}

/// Fills the rest of an address-add message for a VIP: our broadcast (or none) instead
/// of rtnetlink's computed one, the scope as configured, the IPv4 label, and `nodad`
/// for IPv6.
fn vip_message(msg: &mut AddressMessage, addr: IpAddr, label: Option<&str>, brd: Option<Ipv4Addr>, scope: Scope) {
    msg.attributes.retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
    msg.header.scope = scope.into();
    match addr {
        IpAddr::V4(_) => {
            if let Some(brd) = brd {
                msg.attributes.push(AddressAttribute::Broadcast(brd));
            }
            if let Some(label) = label {
                msg.attributes.push(AddressAttribute::Label(label.to_owned()));
            }
        }
        IpAddr::V6(_) => {
            msg.header.flags |= AddressHeaderFlags::Nodad;
            msg.attributes.push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
    }
}

impl From<Scope> for AddressScope {
    fn from(s: Scope) -> Self {
        match s {
            Scope::Global => AddressScope::Universe,
            Scope::Site => AddressScope::Site,
            Scope::Link => AddressScope::Link,
            Scope::Host => AddressScope::Host,
            Scope::Nowhere => AddressScope::Nowhere,
            Scope::Other(n) => AddressScope::Other(n),
        }
    }
}

impl From<AddressScope> for Scope {
    fn from(s: AddressScope) -> Self {
        match s {
            AddressScope::Universe => Scope::Global,
            AddressScope::Site => Scope::Site,
            AddressScope::Link => Scope::Link,
            AddressScope::Host => Scope::Host,
            AddressScope::Nowhere => Scope::Nowhere,
            AddressScope::Other(n) => Scope::Other(n),
            _ => Scope::Other(u8::from(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NetlinkHeader;

    #[test]
    fn address_parsing_prefers_local_and_reads_flags() {
        let mut msg = AddressMessage::default();
        msg.header.prefix_len = 24;
        msg.header.index = 3;
        msg.header.flags = AddressHeaderFlags::Secondary;
        let local: IpAddr = "192.0.2.1".parse().unwrap();
        msg.attributes = vec![
            AddressAttribute::Address("192.0.2.200".parse().unwrap()),
            AddressAttribute::Local(local),
            AddressAttribute::Label("eth1:vip".into()),
        ];
        let a = address_from(&msg).unwrap();
        assert_eq!(a.addr, local);
        assert_eq!(a.prefix, 24);
        assert_eq!(a.label.as_deref(), Some("eth1:vip"));
        assert!(a.secondary);
        assert!(!a.tentative);
    }

    #[test]
    fn outside_a_runtime_is_an_error_not_a_panic() {
        assert!(Netlink::new().is_err());
        assert!(watch().is_err());
    }

    #[tokio::test]
    async fn overrun_is_reported_and_forgets_the_known_link_states() {
        let mut w = watch_with_buffer(4096).expect("watch");
        let mut link = LinkMessage::default();
        link.header.index = 7;
        link.header.flags = LinkFlags::Up | LinkFlags::Running;
        let new_link = || NetlinkMessage::from(RouteNetlinkMessage::NewLink(link.clone()));
        assert_eq!(w.translate(new_link()), Some(Event::LinkUp { index: 7 }));
        assert_eq!(w.translate(new_link()), None, "repeats are not reported");
        let overrun = NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::Overrun(Vec::new()));
        assert_eq!(w.translate(overrun), Some(Event::Overrun));
        assert_eq!(w.translate(new_link()), Some(Event::LinkUp { index: 7 }), "reported again after an overrun");
    }

    #[test]
    fn address_without_address_is_skipped() {
        assert_eq!(address_from(&AddressMessage::default()), None);
    }

    #[test]
    fn link_needs_up_and_running() {
        let mut msg = LinkMessage::default();
        msg.header.flags = LinkFlags::Up;
        assert!(!link_usable(&msg));
        msg.header.flags |= LinkFlags::Running;
        assert!(link_usable(&msg));
        msg.attributes = vec![
            LinkAttribute::IfName("eth1".into()),
            LinkAttribute::Address(vec![2, 0, 0, 0, 0, 1]),
            LinkAttribute::Mtu(1500),
        ];
        let link = link_from(&msg);
        assert_eq!(link.name, "eth1");
        assert_eq!(link.mac, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(link.mtu, 1500);
        assert!(link.up && link.admin_up);
    }

    #[test]
    fn a_numeric_vip_scope_reaches_the_message_as_written() {
        // keepalived's `scope 200` (site) and unnamed numbers: the kernel gets the number.
        for (scope, number) in [(Scope::Site, 200u8), (Scope::Other(17), 17), (Scope::Global, 0), (Scope::Link, 253)] {
            let mut msg = AddressMessage::default();
            msg.attributes.push(AddressAttribute::Broadcast(Ipv4Addr::new(192, 0, 2, 255)));
            vip_message(&mut msg, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), Some("eth1:vip"), None, scope);
            assert_eq!(u8::from(msg.header.scope), number, "{scope:?}");
            assert_eq!(msg.attributes, [AddressAttribute::Label("eth1:vip".into())], "computed broadcast dropped");
        }
    }

    #[test]
    fn scope_round_trip() {
        for s in [Scope::Global, Scope::Site, Scope::Link, Scope::Host, Scope::Nowhere] {
            assert_eq!(Scope::from(AddressScope::from(s)), s);
        }
    }
}
