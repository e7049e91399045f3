//! [`VrrpSocket`]: a raw IP socket for VRRP (IP protocol 112) on one
//! interface and one address family.
//!
//! Design notes (the why):
//! - TTL / hop limit 255 on send, and the received value reported: RFC 9568
//!   §7.1 makes receivers drop advertisements whose TTL/hop limit is not
//!   255, which proves the sender is on the same link. The TTL is passed as
//!   ancillary data on every send, so it does not depend on socket state.
//! - The source address is chosen per send with `IP_PKTINFO` /
//!   `IPV6_PKTINFO` instead of `bind()`: Linux delivers to a raw socket
//!   bound to a unicast address only datagrams *addressed* to it, so a bound
//!   socket would never see the advertisements sent to the group.
//! - `SO_BINDTODEVICE` plus group membership on that ifindex: one socket per
//!   interface, receiving only that interface's advertisements.
//! - Multicast loop off: our own advertisements must not come back to us.
//! - Marked DSCP CS6 (`IP_TOS` / `IPV6_TCLASS` 0xc0, network control), as
//!   keepalived marks its adverts, so QoS that drops by class under
//!   congestion drops them last: a lost advert is a needless failover.
//! - IPv6: no `IPV6_CHECKSUM` — the protocol core computes the VRRP checksum
//!   (pseudo-header included) itself. The hop limit and destination come
//!   from `IPV6_RECVHOPLIMIT` / `IPV6_RECVPKTINFO`, since IPv6 raw sockets
//!   never see the IPv6 header. IPv4 raw sockets do get the header, which is
//!   parsed (defensively) for TTL, source and destination.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::ops::Range;
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags, SockaddrIn, SockaddrIn6,
};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;

use super::ipv4::{parse_ipv4, Malformed};

// The protocol number, the groups and the TTL are the core's (`vrrp_core::wire`).
use vrrp_core::wire::{GROUP_V4, GROUP_V6, IP_PROTOCOL, TTL};

/// The TOS / traffic class byte of every advert: DSCP CS6 (class selector 6, "network
/// control", RFC 4594) with ECN bits 0; keepalived sends the same.
const TOS_CS6: u8 = 0xc0;

/// One received advertisement. The VRRP bytes are `buf[payload]` in the
/// buffer given to [`VrrpSocket::recv`] (IPv4 header already stripped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Where the VRRP part lies in the receive buffer.
    pub payload: Range<usize>,
    /// Sender's address (IPv6: normally its link-local).
    pub src: IpAddr,
    /// Destination: the group, or our address for unicast peers.
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6) as received; must be 255 to accept.
    pub ttl_or_hop_limit: u8,
    /// Interface it arrived on.
    pub ifindex: u32,
}

impl Received {
    /// The VRRP bytes within the buffer passed to `recv` (empty if `buf` is
    /// not that buffer).
    pub fn payload<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.payload.clone()).unwrap_or_default()
    }
}

/// Why [`VrrpSocket::recv`] produced no advertisement. `Truncated` and
/// `Malformed` are per-packet conditions to count and move on from.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The datagram did not fit the buffer.
    #[error("datagram larger than the receive buffer")]
    Truncated,
    /// The IP layer framing was unusable.
    #[error("malformed packet: {0}")]
    Malformed(#[from] Malformed),
}

/// `IP_MULTICAST_IF` with a `struct ip_mreqn`: outgoing interface `ifindex`, source `src`.
fn set_multicast_if_v4_n(s: &Socket, src: std::net::Ipv4Addr, ifindex: u32) -> io::Result<()> {
    let mreqn = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: 0 },
        imr_address: libc::in_addr { s_addr: u32::from(src).to_be() },
        imr_ifindex: i32::try_from(ifindex).map_err(|_| io::Error::other("ifindex out of range"))?,
    };
    // SAFETY: `mreqn` is a valid `ip_mreqn` living across the call, and the length
    // passed is its size; the fd is open (owned by `s`).
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            std::ptr::from_ref(&mreqn).cast(),
            libc::socklen_t::try_from(std::mem::size_of::<libc::ip_mreqn>()).unwrap_or(12),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A non-blocking raw VRRP socket registered with tokio.
#[derive(Debug)]
pub struct VrrpSocket {
    fd: AsyncFd<Socket>,
    ifindex: u32,
    src: IpAddr,
    /// The group as a socket address, built once: the advert fast path is a plain
    /// `sendto` with no per-send allocation (nix's `sendmsg` allocates its control
    /// buffer, so it is kept for the rare TTL-override and unicast sends).
    group_addr: socket2::SockAddr,
    /// The same, as nix's batched sends take it ([`super::batch`]).
    group_storage: nix::sys::socket::SockaddrStorage,
    /// IPv6 receive control-message buffer, allocated once and reused for every packet.
    cmsg_buf: std::sync::Mutex<Vec<u8>>,
    /// IPv4 `unicast_ttl 0` only: an `IPPROTO_RAW` (header-included) send socket on the
    /// same interface, opened at the first such send. Linux refuses TTL 0 as `IP_TTL`
    /// (EINVAL), so these adverts carry their own IPv4 header, as keepalived builds it
    /// (vrrp.c 1161 `vrrp_build_ip4`).
    hdrincl: std::sync::OnceLock<Socket>,
    ifname: String,
}

impl VrrpSocket {
    /// Opens the socket on interface `ifname` for the family of `src`, the
    /// address advertisements are sent from: for IPv4 the interface's
    /// primary address or a configured `mcast_src_ip`, for IPv6 the
    /// interface's link-local address (RFC 9568 §5.1.2.1). `src` must be a
    /// usable (IPv6: non-tentative) local address, or sends fail.
    ///
    /// Must be called inside a tokio runtime, and in the network namespace
    /// of the interface.
    pub fn open(ifname: &str, src: IpAddr) -> io::Result<Self> {
        super::require_runtime()?;
        let ifindex = nix::net::if_::if_nametoindex(ifname)?;
        let socket = match src {
            IpAddr::V4(v4) => {
                let s = open_v4(ifname, ifindex)?;
                // Multicast sends without a cmsg take their source from here, and go out on
                // `ifindex`: by index, since with `use_vmac` the source is the base
                // interface's address while the socket is bound to the macvlan (an
                // address-only IP_MULTICAST_IF there is EINVAL).
                set_multicast_if_v4_n(&s, v4, ifindex)?;
                s
            }
            IpAddr::V6(_) => open_v6(ifname, ifindex)?,
        };
        // SAFETY: tokio's registration is unsafe because it trusts the
        // fd's identity; `socket2::Socket` owns its fd, returns the same one
        // from every `as_raw_fd()`, and keeps it open until the `AsyncFd`
        // (which owns the `Socket`) drops it. No safe alternative exists for
        // raw sockets (tokio::net has no raw socket type).
        let fd = unsafe { AsyncFd::register(socket) }.map_err(io::Error::from)?;
        let (group_addr, group_storage) = match src {
            IpAddr::V4(_) => {
                let a = SocketAddrV4::new(GROUP_V4, 0);
                (socket2::SockAddr::from(a), a.into())
            }
            IpAddr::V6(_) => {
                let a = SocketAddrV6::new(GROUP_V6, 0, 0, ifindex);
                (socket2::SockAddr::from(a), a.into())
            }
        };
        let cmsg_buf = std::sync::Mutex::new(nix::cmsg_space!(libc::in6_pktinfo, libc::c_int));
        Ok(Self {
            fd,
            ifindex,
            src,
            group_addr,
            group_storage,
            cmsg_buf,
            hdrincl: std::sync::OnceLock::new(),
            ifname: ifname.into(),
        })
    }

    /// The address adverts are sent from (its family is the socket's).
    pub fn source(&self) -> IpAddr {
        self.src
    }

    pub(super) fn group_storage(&self) -> nix::sys::socket::SockaddrStorage {
        self.group_storage
    }

    pub(super) fn raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.get_ref().as_raw_fd()
    }

    pub(super) fn async_fd(&self) -> &AsyncFd<Socket> {
        &self.fd
    }

    /// Sends one advertisement (the VRRP part; the kernel builds the IP
    /// header) to the group with TTL / hop limit 255.
    pub async fn send(&self, payload: &[u8]) -> io::Result<()> {
        loop {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|fd| self.send_group_now(fd.get_ref(), payload)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Non-blocking [`VrrpSocket::send`]: the daemon's steady-state path. The source
    /// address and TTL / hop limit 255 come from socket options set at open
    /// (`IP_MULTICAST_IF` with the source address, multicast TTL / hops 255), so
    /// nothing is allocated per advert.
    pub fn try_send(&self, payload: &[u8]) -> io::Result<()> {
        self.send_group_now(self.fd.get_ref(), payload)
    }

    fn send_group_now(&self, sock: &Socket, payload: &[u8]) -> io::Result<()> {
        let sent = sock.send_to(payload, &self.group_addr)?;
        if sent != payload.len() {
            return Err(io::Error::other("short send on VRRP socket"));
        }
        Ok(())
    }

    /// Sends to one address instead of the group (keepalived's
    /// `unicast_peer`), still with TTL / hop limit 255.
    pub async fn send_to(&self, payload: &[u8], dst: IpAddr) -> io::Result<()> {
        self.send_with_ttl(payload, dst, TTL).await
    }

    /// Non-blocking send to one address (keepalived's `unicast_peer`) from the socket's
    /// source address with TTL / hop limit `ttl` (keepalived's `unicast_ttl`): the
    /// daemon's unicast path. `sendmsg` with `IP_PKTINFO` / `IPV6_PKTINFO`, so the source
    /// is the configured one whatever the routing table prefers.
    pub fn try_send_to(&self, payload: &[u8], dst: IpAddr, ttl: u8) -> io::Result<()> {
        self.send_now(self.fd.get_ref(), payload, dst, ttl)
    }

    /// Sends arbitrary bytes with a chosen TTL / hop limit (0..=255). Meant
    /// for tests that inject advertisements a receiver must reject.
    pub async fn send_with_ttl(&self, payload: &[u8], dst: IpAddr, ttl: u8) -> io::Result<()> {
        loop {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|fd| self.send_now(fd.get_ref(), payload, dst, ttl)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Waits for the next datagram and takes it apart. A `Truncated` or
    /// `Malformed` error concerns that one datagram only: count it and call
    /// `recv` again.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received, RecvError> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| self.recv_now(fd.get_ref(), &mut *buf)) {
                Ok(Ok(result)) => return result,
                Ok(Err(e)) => return Err(RecvError::Io(e)),
                Err(_would_block) => continue,
            }
        }
    }

    /// Polls for the next datagram: the building block for waiting on many
    /// sockets at once without allocating (the daemon polls all of its
    /// sockets from one `poll_fn`).
    pub fn poll_recv(
        &self,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<Result<Received, RecvError>> {
        loop {
            let mut guard = match self.fd.poll_read_ready(cx) {
                std::task::Poll::Ready(Ok(guard)) => guard,
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(RecvError::Io(e))),
                std::task::Poll::Pending => return std::task::Poll::Pending,
            };
            match guard.try_io(|fd| self.recv_now(fd.get_ref(), &mut *buf)) {
                Ok(Ok(result)) => return std::task::Poll::Ready(result),
                Ok(Err(e)) => return std::task::Poll::Ready(Err(RecvError::Io(e))),
                Err(_would_block) => continue,
            }
        }
    }

    /// Non-blocking receive; `RecvError::Io` with `WouldBlock` if nothing is
    /// queued.
    pub fn try_recv(&self, buf: &mut [u8]) -> Result<Received, RecvError> {
        self.recv_now(self.fd.get_ref(), buf)?
    }

    fn send_now(&self, sock: &Socket, payload: &[u8], dst: IpAddr, ttl: u8) -> io::Result<()> {
        let iov = [IoSlice::new(payload)];
        let hops = libc::c_int::from(ttl);
        let fd = sock.as_raw_fd();
        let sent = match (self.src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) if ttl == 0 => return self.send_v4_own_header(payload, src, dst, ttl),
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let info = libc::in_pktinfo {
                    ipi_ifindex: libc::c_int::try_from(self.ifindex)
                        .map_err(|_| io::Error::other("ifindex out of range"))?,
                    ipi_spec_dst: libc::in_addr { s_addr: u32::from(src).to_be() },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                let cmsgs = [ControlMessage::Ipv4PacketInfo(&info), ControlMessage::Ipv4Ttl(&hops)];
                let to = SockaddrIn::from(SocketAddrV4::new(dst, 0));
                sendmsg(fd, &iov, &cmsgs, MsgFlags::empty(), Some(&to))?
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr { s6_addr: src.octets() },
                    ipi6_ifindex: self.ifindex,
                };
                let cmsgs = [ControlMessage::Ipv6PacketInfo(&info), ControlMessage::Ipv6HopLimit(&hops)];
                let scope = if is_link_scoped(dst) { self.ifindex } else { 0 };
                let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, scope));
                sendmsg(fd, &iov, &cmsgs, MsgFlags::empty(), Some(&to))?
            }
            _ => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "destination family differs from the socket's"))
            }
        };
        if sent != payload.len() {
            return Err(io::Error::other("short send on raw socket"));
        }
        Ok(())
    }

    /// One IPv4 datagram with the header built here (keepalived's `vrrp_build_ip4`: TOS
    /// 0xc0, id and checksum 0 for the kernel to fill, no fragment flags), on the
    /// header-included socket. Only for TTLs the kernel will not set itself (0).
    fn send_v4_own_header(
        &self,
        payload: &[u8],
        src: std::net::Ipv4Addr,
        dst: std::net::Ipv4Addr,
        ttl: u8,
    ) -> io::Result<()> {
        let sock = match self.hdrincl.get() {
            Some(s) => s,
            None => {
                let s = open_v4_hdrincl(&self.ifname)?;
                // A concurrent first send may have won the race; either socket is as good.
                let _ = self.hdrincl.set(s);
                self.hdrincl.get().ok_or_else(|| io::Error::other("header-included socket not kept"))?
            }
        };
        let mut datagram = Vec::with_capacity(20 + payload.len());
        datagram.extend_from_slice(&ipv4_header(payload.len(), src, dst, ttl)?);
        datagram.extend_from_slice(payload);
        let to = socket2::SockAddr::from(SocketAddrV4::new(dst, 0));
        let sent = sock.send_to(&datagram, &to)?;
        if sent != datagram.len() {
            return Err(io::Error::other("short send on raw socket"));
        }
        Ok(())
    }

    /// The outer `io::Result` carries socket errors (including WouldBlock,
    /// for tokio's readiness tracking); the inner one per-packet verdicts.
    fn recv_now(&self, sock: &Socket, buf: &mut [u8]) -> io::Result<Result<Received, RecvError>> {
        match self.src {
            IpAddr::V4(_) => self.recv_v4(sock, buf),
            IpAddr::V6(_) => self.recv_v6(sock, buf),
        }
    }

    fn recv_v4(&self, sock: &Socket, buf: &mut [u8]) -> io::Result<Result<Received, RecvError>> {
        let (len, truncated) = {
            let mut iov = [IoSliceMut::new(buf)];
            let msg = recvmsg::<SockaddrIn>(sock.as_raw_fd(), &mut iov, None, MsgFlags::empty())?;
            (msg.bytes, msg.flags.contains(MsgFlags::MSG_TRUNC))
        };
        Ok(self.finish_v4(buf, len, truncated))
    }

    /// The verdict on an IPv4 datagram of `len` octets received into `buf` (header
    /// included): the same for `recvmsg` and `recvmmsg`.
    pub(super) fn finish_v4(&self, buf: &[u8], len: usize, truncated: bool) -> Result<Received, RecvError> {
        let Some(pkt) = buf.get(..len).filter(|_| !truncated) else {
            return Err(RecvError::Truncated);
        };
        let info = match parse_ipv4(pkt) {
            Ok(info) if info.protocol == IP_PROTOCOL => info,
            Ok(_) => return Err(Malformed::WrongProtocol.into()),
            Err(e) => return Err(e.into()),
        };
        Ok(Received {
            payload: info.payload,
            src: info.src.into(),
            dst: info.dst.into(),
            ttl_or_hop_limit: info.ttl,
            ifindex: self.ifindex,
        })
    }

    fn recv_v6(&self, sock: &Socket, buf: &mut [u8]) -> io::Result<Result<Received, RecvError>> {
        let mut cmsg_buf = match self.cmsg_buf.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut iov = [IoSliceMut::new(buf)];
        let msg = recvmsg::<SockaddrIn6>(sock.as_raw_fd(), &mut iov, Some(&mut *cmsg_buf), MsgFlags::empty())?;
        let truncated = msg.flags.contains(MsgFlags::MSG_TRUNC);
        // A truncated control buffer (ENOBUFS here) means no trustworthy
        // hop limit: treated like missing ancillary data below.
        let cmsgs = msg.cmsgs().into_iter().flatten();
        Ok(self.finish_v6(msg.bytes, truncated, msg.address.map(|a| a.ip()), cmsgs))
    }

    /// The verdict on an IPv6 datagram of `bytes` octets (the VRRP part: IPv6 raw sockets
    /// never see the header) from `src` with control messages `cmsgs`: the same for
    /// `recvmsg` and `recvmmsg`.
    pub(super) fn finish_v6(
        &self,
        bytes: usize,
        truncated: bool,
        src: Option<Ipv6Addr>,
        cmsgs: impl Iterator<Item = ControlMessageOwned>,
    ) -> Result<Received, RecvError> {
        if truncated {
            return Err(RecvError::Truncated);
        }
        let (mut dst, mut hops, mut ifindex) = (None, None, self.ifindex);
        for cmsg in cmsgs {
            match cmsg {
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
                    ifindex = info.ipi6_ifindex;
                }
                ControlMessageOwned::Ipv6HopLimit(h) => hops = u8::try_from(h).ok(),
                _ => {}
            }
        }
        let (Some(src), Some(dst), Some(hops)) = (src, dst, hops) else {
            return Err(Malformed::MissingAncillary.into());
        };
        Ok(Received { payload: 0..bytes, src: src.into(), dst: dst.into(), ttl_or_hop_limit: hops, ifindex })
    }
}

fn open_v4(ifname: &str, ifindex: u32) -> io::Result<Socket> {
    let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(i32::from(IP_PROTOCOL))))?;
    sock.set_nonblocking(true)?;
    sock.bind_device(Some(ifname.as_bytes()))?;
    sock.join_multicast_v4_n(&GROUP_V4, &InterfaceIndexOrAddress::Index(ifindex))?;
    sock.set_multicast_loop_v4(false)?;
    // Defaults only: every send also passes the TTL explicitly.
    sock.set_multicast_ttl_v4(u32::from(TTL))?;
    sock.set_ttl_v4(u32::from(TTL))?;
    sock.set_tos_v4(u32::from(TOS_CS6))?;
    Ok(sock)
}

/// A send-only `IPPROTO_RAW` socket (the header is the caller's; it receives nothing)
/// bound to `ifname`.
fn open_v4_hdrincl(ifname: &str) -> io::Result<Socket> {
    let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(libc::IPPROTO_RAW)))?;
    sock.set_nonblocking(true)?;
    sock.bind_device(Some(ifname.as_bytes()))?;
    Ok(sock)
}

/// The 20-octet IPv4 header of a VRRP datagram carrying `payload_len` octets, as
/// keepalived's `vrrp_build_ip4` writes it; the kernel fills in the id and the checksum.
fn ipv4_header(payload_len: usize, src: std::net::Ipv4Addr, dst: std::net::Ipv4Addr, ttl: u8) -> io::Result<[u8; 20]> {
    let total = u16::try_from(20 + payload_len).map_err(|_| io::Error::other("advert too long for IPv4"))?;
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[1] = TOS_CS6;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[8] = ttl;
    h[9] = IP_PROTOCOL;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    Ok(h)
}

fn open_v6(ifname: &str, ifindex: u32) -> io::Result<Socket> {
    let sock = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(i32::from(IP_PROTOCOL))))?;
    sock.set_nonblocking(true)?;
    sock.bind_device(Some(ifname.as_bytes()))?;
    sock.join_multicast_v6(&GROUP_V6, ifindex)?;
    sock.set_multicast_loop_v6(false)?;
    sock.set_multicast_if_v6(ifindex)?;
    sock.set_multicast_hops_v6(u32::from(TTL))?;
    sock.set_unicast_hops_v6(u32::from(TTL))?;
    sock.set_tclass_v6(u32::from(TOS_CS6))?;
    setsockopt(&sock, sockopt::Ipv6RecvPacketInfo, &true)?;
    setsockopt(&sock, sockopt::Ipv6RecvHopLimit, &true)?;
    Ok(sock)
}

/// Link-local unicast and link/interface-local multicast destinations need
/// the interface as scope id.
fn is_link_scoped(addr: Ipv6Addr) -> bool {
    let first = addr.segments()[0];
    first & 0xffc0 == 0xfe80 || (first & 0xff00 == 0xff00 && matches!(first & 0x000f, 1 | 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn open_outside_a_runtime_is_an_error_not_a_panic() {
        let err = VrrpSocket::open("lo", Ipv4Addr::LOCALHOST.into()).unwrap_err();
        assert!(err.to_string().contains("tokio runtime"), "{err}");
    }

    #[test]
    fn keepalived_vrrp_build_ip4_header_for_unicast_ttl_0() {
        let (src, dst) = (Ipv4Addr::new(192, 0, 2, 11), Ipv4Addr::new(192, 0, 2, 12));
        let mut datagram = ipv4_header(16, src, dst, 0).unwrap().to_vec();
        datagram.extend_from_slice(&[0u8; 16]);
        let info = parse_ipv4(&datagram).unwrap();
        assert_eq!((info.src, info.dst, info.ttl, info.protocol, info.payload), (src, dst, 0, IP_PROTOCOL, 20..36));
        assert_eq!(datagram[1], 0xc0, "DSCP CS6, as keepalived");
        assert_eq!(&datagram[4..8], &[0, 0, 0, 0], "id for the kernel, no fragment flags");
        assert!(ipv4_header(usize::from(u16::MAX), src, dst, 0).is_err());
    }

    #[test]
    fn link_scope() {
        assert!(is_link_scoped(GROUP_V6));
        assert!(is_link_scoped("fe80::1".parse().unwrap()));
        assert!(!is_link_scoped("2001:db8::1".parse().unwrap()));
        assert!(!is_link_scoped("ff05::12".parse().unwrap()));
    }

    #[test]
    fn payload_slice_never_panics() {
        let r = Received {
            payload: 20..40,
            src: Ipv4Addr::LOCALHOST.into(),
            dst: GROUP_V4.into(),
            ttl_or_hop_limit: 255,
            ifindex: 1,
        };
        assert_eq!(r.payload(&[0u8; 10]), &[] as &[u8]);
        assert_eq!(r.payload(&[7u8; 40]).len(), 20);
    }
}
