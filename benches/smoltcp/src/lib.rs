//! vrrp-core on smoltcp: the code an embedded user copies.
//!
//! A [`VrrpNode`] is one smoltcp [`Interface`] with one raw socket for IP protocol 112
//! (VRRP), joined to 224.0.0.18, and a [`Driver`] from vrrp-core. The embedding writes two
//! small things and this file is both of them:
//!
//! - a [`vrrp_core::Clock`]: whatever the board counts time with (here the tests pass a
//!   virtual clock; any `vrrp_core::Instant` is a clock too);
//! - a [`vrrp_core::Io`] ([`SmolIo`]): adverts go out through the raw socket with the IPv4
//!   header RFC 9568 §5.1.1 asks for (TTL 255, protocol 112, to 224.0.0.18), the VIPs
//!   are added to and removed from the interface's addresses.
//!
//! [`VrrpNode::poll`] is the whole main loop: smoltcp ingress, every received advert into
//! the driver, the driver's timers, smoltcp egress; it returns when to call it again.
//!
//! What is left to the board: announcing the VIPs. On `Medium::Ip` (used here) there is
//! no link layer to announce to; on Ethernet, [`Io::announce`] is where a gratuitous ARP
//! for each VIP goes out (RFC 9568 §6.4.2), from the virtual MAC 00-00-5E-00-01-{VRID}
//! (§7.3) if the MAC can be changed. IPv6 is the same with a raw socket for
//! `IpVersion::Ipv6`, the group ff02::12, and unsolicited Neighbor Advertisements.
//!
//! [`medium`] is the in-memory LAN the host test joins two or three nodes with.

#![no_std]
#![forbid(unsafe_code)]

pub mod medium;

use core::net::{IpAddr, Ipv4Addr};

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet, SocketStorage};
use smoltcp::phy::{ChecksumCapabilities, Device};
use smoltcp::socket::raw::{self, PacketBuffer, PacketMetadata};
use smoltcp::wire::{HardwareAddress, IpCidr, IpProtocol, IpVersion, Ipv4Packet, Ipv4Repr};
use vrrp_core::router::{AddError, InstanceId};
use vrrp_core::wire::{GROUP_V4, MAX_PACKET_LEN, TTL};
use vrrp_core::{Clock, Driver, Inbound, Instance, InstanceConfig, Instant, Io, Reason, State};

/// IP protocol number of VRRP (RFC 9568 §5.1.1.4).
pub const VRRP: IpProtocol = IpProtocol::Unknown(112);
/// The interface handle every instance of a node is configured with: a node is one
/// smoltcp interface.
pub const IFINDEX: u32 = 1;
/// Room for one IPv4 header and the largest advert.
const PACKET: usize = 20 + MAX_PACKET_LEN;

/// smoltcp's clock from vrrp-core's (both count microseconds).
pub fn smol_time(t: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(i64::try_from(t.as_micros()).unwrap_or(i64::MAX))
}

/// What a node needs to borrow for its socket: static arrays on an MCU, locals in a test.
#[derive(Debug)]
pub struct Storage<'a> {
    sockets: [SocketStorage<'a>; 1],
    rx_meta: [PacketMetadata; 8],
    rx: [u8; 8 * PACKET],
    tx_meta: [PacketMetadata; 8],
    tx: [u8; 8 * PACKET],
}

impl Default for Storage<'_> {
    fn default() -> Self {
        Storage {
            sockets: [SocketStorage::EMPTY],
            rx_meta: [PacketMetadata::EMPTY; 8],
            rx: [0; 8 * PACKET],
            tx_meta: [PacketMetadata::EMPTY; 8],
            tx: [0; 8 * PACKET],
        }
    }
}

/// The [`Io`] over one smoltcp interface and its raw VRRP socket.
pub struct SmolIo<'x, 'a> {
    /// The interface whose addresses the VIPs are.
    pub iface: &'x mut Interface,
    /// The raw socket for protocol 112.
    pub socket: &'x mut raw::Socket<'a>,
    /// What happened, for the caller.
    pub log: &'x mut Log,
}

/// Counters and the last state change of a node, for its owner to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// Adverts handed to the socket.
    pub adverts_sent: u32,
    /// Adverts the socket had no room for (or an advert with a non-IPv4 source).
    pub send_errors: u32,
    /// VIP announcements asked for (see the crate docs: the board sends them).
    pub announces: u32,
    /// The last state change: instance, from, to, why.
    pub last_change: Option<(InstanceId, State, State, Reason)>,
}

impl core::fmt::Debug for SmolIo<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmolIo").field("addrs", &self.iface.ip_addrs()).field("log", &self.log).finish()
    }
}

impl<const N: usize> core::fmt::Debug for VrrpNode<'_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VrrpNode").field("addrs", &self.iface.ip_addrs()).field("log", &self.log).finish()
    }
}

/// A VIP as smoltcp's address type (this example is IPv4 only).
fn cidr(vip: &IpAddr) -> Option<IpCidr> {
    match vip {
        IpAddr::V4(v4) => Some(IpCidr::new((*v4).into(), 32)),
        IpAddr::V6(_) => None,
    }
}

impl Io for SmolIo<'_, '_> {
    fn send_advert(&mut self, _: InstanceId, instance: &Instance, advert: &[u8]) {
        let IpAddr::V4(src) = instance.config().primary_address else {
            self.log.send_errors += 1;
            return;
        };
        let repr = Ipv4Repr {
            src_addr: src,
            dst_addr: GROUP_V4,
            next_header: VRRP,
            payload_len: advert.len(),
            hop_limit: TTL,
        };
        let len = repr.buffer_len() + advert.len();
        let Ok(buf) = self.socket.send(len) else {
            self.log.send_errors += 1;
            return;
        };
        let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut packet, &ChecksumCapabilities::default());
        packet.payload_mut().copy_from_slice(advert);
        self.log.adverts_sent += 1;
    }

    fn add_vips(&mut self, _: InstanceId, instance: &Instance) {
        let vips = &instance.config().vips;
        self.iface.update_ip_addrs(|addrs| {
            for cidr in vips.iter().filter_map(cidr) {
                if !addrs.contains(&cidr) && addrs.push(cidr).is_err() {
                    // smoltcp's address table is full (iface-max-addr-count-N): the
                    // VIP cannot be served. A real board would log this.
                    self.log.send_errors += 1;
                }
            }
        });
    }

    fn remove_vips(&mut self, _: InstanceId, instance: &Instance) {
        let vips = &instance.config().vips;
        self.iface.update_ip_addrs(|addrs| addrs.retain(|a| !vips.iter().filter_map(cidr).any(|v| v == *a)));
    }

    fn announce(&mut self, _: InstanceId, _: &Instance) {
        self.log.announces += 1;
    }

    fn state_changed(&mut self, id: InstanceId, _: &Instance, from: State, to: State, reason: Reason) {
        self.log.last_change = Some((id, from, to, reason));
    }
}

/// Why a node could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// The primary address does not fit smoltcp's address table.
    Addresses,
    /// smoltcp's multicast group table is full.
    Multicast,
    /// The core refused an instance.
    Instance(AddError),
}

/// One router: a smoltcp interface, its VRRP raw socket, and up to `N` instances.
pub struct VrrpNode<'a, const N: usize> {
    iface: Interface,
    sockets: SocketSet<'a>,
    raw: SocketHandle,
    driver: Driver<N>,
    rx: [u8; PACKET],
    /// What the node did.
    pub log: Log,
}

impl<'a, const N: usize> VrrpNode<'a, N> {
    /// A node on `device` with address `primary/prefix`, running `instances` (each with
    /// `ifindex` [`IFINDEX`]); call [`VrrpNode::start`], then [`VrrpNode::poll`].
    pub fn new(
        device: &mut impl Device,
        storage: &'a mut Storage<'a>,
        primary: Ipv4Addr,
        prefix: u8,
        instances: impl IntoIterator<Item = InstanceConfig>,
        now: Instant,
    ) -> Result<Self, SetupError> {
        let mut config = Config::new(HardwareAddress::Ip);
        config.random_seed = u64::from(u32::from(primary));
        let mut iface = Interface::new(config, device, smol_time(now));
        let mut added = Ok(());
        iface.update_ip_addrs(|addrs| added = addrs.push(IpCidr::new(primary.into(), prefix)).map_err(|_| ()));
        added.map_err(|()| SetupError::Addresses)?;
        // RFC 9568 §5.1.1.2: adverts go to 224.0.0.18; receiving them needs the group.
        iface.join_multicast_group(GROUP_V4).map_err(|_| SetupError::Multicast)?;
        let Storage { sockets, rx_meta, rx, tx_meta, tx } = storage;
        let socket = raw::Socket::new(
            IpVersion::Ipv4,
            VRRP,
            PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
            PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
        );
        let mut sockets = SocketSet::new(&mut sockets[..]);
        let raw = sockets.add(socket);
        let mut driver = Driver::new();
        for cfg in instances {
            driver.add(cfg).map_err(SetupError::Instance)?;
        }
        Ok(VrrpNode { iface, sockets, raw, driver, rx: [0; PACKET], log: Log::default() })
    }

    fn io<'x>(
        iface: &'x mut Interface,
        sockets: &'x mut SocketSet<'a>,
        raw: SocketHandle,
        log: &'x mut Log,
    ) -> SmolIo<'x, 'a> {
        SmolIo { iface, socket: sockets.get_mut::<raw::Socket<'a>>(raw), log }
    }

    /// Startup event for every instance (RFC 9568 §6.4.1).
    pub fn start(&mut self, clock: &impl Clock) {
        let mut io = Self::io(&mut self.iface, &mut self.sockets, self.raw, &mut self.log);
        self.driver.start_all(clock, &mut io);
    }

    /// Shutdown event for every instance: a master sends priority 0 (RFC 9568 §6.4.3).
    /// Poll once more to put that advert on the wire.
    pub fn shutdown(&mut self, clock: &impl Clock) {
        let mut io = Self::io(&mut self.iface, &mut self.sockets, self.raw, &mut self.log);
        self.driver.shutdown_all(clock, &mut io);
    }

    /// The main loop's one step: receive what the device has, hand every VRRP packet to
    /// the core, fire its due timers, send what it asked for. Returns the latest time to
    /// call it again (the core's next deadline or smoltcp's, whichever is earlier).
    pub fn poll(&mut self, clock: &impl Clock, device: &mut impl Device) -> Option<Instant> {
        let now = clock.now();
        self.iface.poll(smol_time(now), device, &mut self.sockets);
        loop {
            let socket = self.sockets.get_mut::<raw::Socket<'a>>(self.raw);
            let Ok(n) = socket.recv_slice(&mut self.rx) else { break };
            let Some(packet) = self.rx.get(..n).and_then(|b| Ipv4Packet::new_checked(b).ok()) else { continue };
            let inbound = Inbound {
                ifindex: IFINDEX,
                src: IpAddr::V4(packet.src_addr()),
                dst: IpAddr::V4(packet.dst_addr()),
                ttl: packet.hop_limit(),
                bytes: packet.payload(),
            };
            let mut io = Self::io(&mut self.iface, &mut self.sockets, self.raw, &mut self.log);
            // A discarded packet is counted by the core (RFC 6527 counters).
            let _ = self.driver.on_packet(clock, &mut io, inbound);
        }
        let mut io = Self::io(&mut self.iface, &mut self.sockets, self.raw, &mut self.log);
        let vrrp_next = self.driver.on_timer(clock, &mut io);
        self.iface.poll(smol_time(now), device, &mut self.sockets);
        let smol_next = self
            .iface
            .poll_at(smol_time(now), &self.sockets)
            .map(|t| Instant::from_micros(u64::try_from(t.total_micros()).unwrap_or(0)));
        match (vrrp_next, smol_next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// An instance's state.
    pub fn state(&self, id: InstanceId) -> Option<State> {
        self.driver.router().get(id).map(Instance::state)
    }

    /// The interface (its addresses show which VIPs this node holds).
    pub fn iface(&self) -> &Interface {
        &self.iface
    }

    /// The driver (and through it the router, its instances and counters).
    pub fn driver(&self) -> &Driver<N> {
        &self.driver
    }
}
