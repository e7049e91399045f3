//! Gratuitous ARP and unsolicited Neighbour Advertisements for VIPs.
//!
//! When a router becomes master it must tell the LAN that the virtual
//! addresses now live at its MAC (RFC 9568 §6.4.2: "broadcast a gratuitous
//! ARP request" per IPv4 VIP, "send an unsolicited ND Neighbor
//! Advertisement" per IPv6 VIP). The frames are built here, byte for byte
//! as keepalived sends them, by pure functions, and sent over AF_PACKET by
//! an [`Announcer`] so that neither the kernel's ARP/ND state nor the
//! interface's own addresses get in the way.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{LinkAddr, SockaddrLike};
use socket2::{Domain, Socket, Type};
use vrrp_core::wire::checksum::Accumulator;

/// Length of a gratuitous ARP frame: Ethernet (14) + ARP for IPv4 (28).
pub const GARP_LEN: usize = 42;
/// Length of an unsolicited NA frame: Ethernet (14) + IPv6 (40) + NA (24)
/// + Target Link-Layer Address option (8).
pub const NA_LEN: usize = 86;

const ETH_BROADCAST: [u8; 6] = [0xff; 6];
/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// IPv6 next header of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;
/// ICMPv6 type of a Neighbour Advertisement (RFC 4861 §4.4).
pub const ND_NEIGHBOR_ADVERT: u8 = 136;
const ND_OPT_TARGET_LL_ADDR: u8 = 2;
const NA_FLAG_ROUTER: u8 = 0x80;
const NA_FLAG_OVERRIDE: u8 = 0x20;
/// All-nodes multicast, the destination of unsolicited NAs (RFC 4861
/// §7.2.6).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// A gratuitous ARP request for `ip` from `mac`: Ethernet broadcast, sender
/// and target protocol address both `ip`, sender hardware address `mac`,
/// target hardware address all-ones (as keepalived does). Hosts that
/// already have an entry for `ip` update it to `mac` (RFC 5227 §3).
pub fn build_garp(mac: [u8; 6], ip: Ipv4Addr) -> [u8; GARP_LEN] {
    let mut f = [0u8; GARP_LEN];
    f[0..6].copy_from_slice(&ETH_BROADCAST);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
    f[14..16].copy_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    f[16..18].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes()); // protocol: IPv4
    f[18] = 6; // hardware address length
    f[19] = 4; // protocol address length
    f[20..22].copy_from_slice(&1u16.to_be_bytes()); // op: request
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&ip.octets());
    f[32..38].copy_from_slice(&ETH_BROADCAST);
    f[38..42].copy_from_slice(&ip.octets());
    f
}

/// An unsolicited Neighbour Advertisement for `vip` from `mac`, sent from
/// the interface's link-local `src_ll` to all-nodes (ff02::1) with hop
/// limit 255 (receivers drop ND with any other, RFC 4861 §7.1.2). Override
/// set so existing cache entries switch to `mac`; Solicited clear (it
/// answers no solicitation); Router set if `router` (the interface forwards
/// IPv6, as keepalived does), so hosts keep us as a default router. The
/// Target Link-Layer Address option carries `mac`.
pub fn build_unsolicited_na(mac: [u8; 6], src_ll: Ipv6Addr, vip: Ipv6Addr, router: bool) -> [u8; NA_LEN] {
    let mut f = [0u8; NA_LEN];
    let dst = ALL_NODES;
    // Ethernet: IPv6 multicast maps to 33:33 + low 32 bits (RFC 2464 §7).
    f[0..2].copy_from_slice(&[0x33, 0x33]);
    f[2..6].copy_from_slice(&dst.octets()[12..16]);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
    // IPv6 header.
    let icmp_len = NA_LEN - 54;
    f[14] = 0x60; // version 6, traffic class 0, flow label 0
    f[18..20].copy_from_slice(&(icmp_len as u16).to_be_bytes());
    f[20] = IPPROTO_ICMPV6;
    f[21] = 255; // hop limit
    f[22..38].copy_from_slice(&src_ll.octets());
    f[38..54].copy_from_slice(&dst.octets());
    // ICMPv6 Neighbour Advertisement.
    let icmp = &mut f[54..];
    icmp[0] = ND_NEIGHBOR_ADVERT;
    icmp[1] = 0; // code
    icmp[4] = NA_FLAG_OVERRIDE | if router { NA_FLAG_ROUTER } else { 0 };
    icmp[8..24].copy_from_slice(&vip.octets());
    icmp[24] = ND_OPT_TARGET_LL_ADDR;
    icmp[25] = 1; // option length in units of 8 bytes
    icmp[26..32].copy_from_slice(&mac);
    let sum = icmpv6_checksum(src_ll, dst, icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    f
}

/// The ICMPv6 checksum (RFC 4443 §2.3) over the IPv6 pseudo-header and
/// `msg`, whose checksum field must be zero: the core's RFC 1071 sum.
pub fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut acc = Accumulator::default();
    acc.add_pseudo_header(src.into(), dst.into(), IPPROTO_ICMPV6, msg.len());
    acc.add_bytes(msg);
    acc.finish()
}

/// Sends gratuitous ARPs and unsolicited NAs on one interface through an
/// AF_PACKET socket. The socket uses protocol 0, so it never receives.
#[derive(Debug)]
pub struct Announcer {
    sock: Socket,
    mac: [u8; 6],
}

impl Announcer {
    /// Opens the packet socket for interface `ifindex` whose MAC is `mac`
    /// (the address written into the frames). Must run in the interface's
    /// network namespace.
    pub fn open(ifindex: u32, mac: [u8; 6]) -> io::Result<Self> {
        let sock = Socket::new(Domain::PACKET, Type::RAW, None)?;
        sock.set_nonblocking(true)?;
        let ll = link_addr(ifindex)?;
        nix::sys::socket::bind(sock.as_raw_fd(), &ll)?;
        Ok(Self { sock, mac })
    }

    /// Broadcasts one gratuitous ARP for `vip`.
    pub fn send_garp(&self, vip: Ipv4Addr) -> io::Result<()> {
        self.send(&build_garp(self.mac, vip))
    }

    /// Sends one unsolicited NA for `vip` from link-local `src_ll`; see
    /// [`build_unsolicited_na`] for `router`.
    pub fn send_unsolicited_na(&self, src_ll: Ipv6Addr, vip: Ipv6Addr, router: bool) -> io::Result<()> {
        self.send(&build_unsolicited_na(self.mac, src_ll, vip, router))
    }

    fn send(&self, frame: &[u8]) -> io::Result<()> {
        let sent = self.sock.send(frame)?;
        if sent != frame.len() {
            return Err(io::Error::other("short send on packet socket"));
        }
        Ok(())
    }
}

/// A `sockaddr_ll` naming the interface, for bind().
fn link_addr(ifindex: u32) -> io::Result<LinkAddr> {
    let sll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as libc::c_ushort,
        sll_protocol: 0,
        sll_ifindex: libc::c_int::try_from(ifindex)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "ifindex out of range"))?,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    let len = libc::socklen_t::try_from(std::mem::size_of::<libc::sockaddr_ll>())
        .map_err(|_| io::Error::other("sockaddr_ll size"))?;
    // SAFETY: neither nix nor socket2 offers a safe constructor for a
    // packet socket address. `sll` is a fully initialised `sockaddr_ll` that
    // lives across the call, `len` is exactly its size, and `from_raw`
    // copies it after checking the family is AF_PACKET.
    unsafe { LinkAddr::from_raw((&sll as *const libc::sockaddr_ll).cast(), Some(len)) }
        .ok_or_else(|| io::Error::other("could not build sockaddr_ll"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x00, 0x02, 0x0b];

    #[test]
    fn garp_fields() {
        let f = build_garp(MAC, Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(&f[0..6], &[0xff; 6], "Ethernet destination: broadcast");
        assert_eq!(&f[6..12], &MAC, "Ethernet source");
        assert_eq!(&f[12..14], &[0x08, 0x06], "EtherType ARP");
        assert_eq!(&f[14..16], &[0, 1], "hardware type Ethernet");
        assert_eq!(&f[16..18], &[0x08, 0x00], "protocol type IPv4");
        assert_eq!(f[18], 6);
        assert_eq!(f[19], 4);
        assert_eq!(&f[20..22], &[0, 1], "op request");
        assert_eq!(&f[22..28], &MAC, "sender MAC");
        assert_eq!(&f[28..32], &[192, 0, 2, 1], "sender IP = VIP");
        assert_eq!(&f[32..38], &[0xff; 6], "target MAC");
        assert_eq!(&f[38..42], &[192, 0, 2, 1], "target IP = VIP");
    }

    #[test]
    fn na_fields() {
        let src: Ipv6Addr = "fe80::ff:fe00:20b".parse().unwrap();
        let vip: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let f = build_unsolicited_na(MAC, src, vip, false);
        assert_eq!(&f[0..6], &[0x33, 0x33, 0, 0, 0, 1], "Ethernet dst for ff02::1");
        assert_eq!(&f[6..12], &MAC);
        assert_eq!(&f[12..14], &[0x86, 0xdd]);
        assert_eq!(&f[14..18], &[0x60, 0, 0, 0], "version 6, no class/flow");
        assert_eq!(u16::from_be_bytes([f[18], f[19]]), 32, "payload length");
        assert_eq!(f[20], 58, "next header ICMPv6");
        assert_eq!(f[21], 255, "hop limit");
        assert_eq!(&f[22..38], &src.octets());
        assert_eq!(&f[38..54], &ALL_NODES.octets());
        let icmp = &f[54..];
        assert_eq!(icmp[0], 136, "type NA");
        assert_eq!(icmp[1], 0, "code");
        assert_eq!(icmp[4], 0x20, "O set, R and S clear");
        assert_eq!(&icmp[5..8], &[0, 0, 0], "reserved");
        assert_eq!(&icmp[8..24], &vip.octets(), "target");
        assert_eq!(&icmp[24..26], &[2, 1], "TLLA option, 8 bytes");
        assert_eq!(&icmp[26..32], &MAC);
        // Verifying: the sum over the message with its checksum in place
        // is zero (the complement of 0xffff).
        assert_eq!(icmpv6_checksum(src, ALL_NODES, icmp), 0);
        let router = build_unsolicited_na(MAC, src, vip, true);
        assert_eq!(router[54 + 4], 0xa0, "R and O set");
        assert_eq!(icmpv6_checksum(src, ALL_NODES, &router[54..]), 0);
    }

    #[test]
    fn checksum_matches_known_value() {
        // Computed independently: Python, RFC 1071 over pseudo-header + msg.
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "ff02::1".parse().unwrap();
        let mut msg = [0u8; 8];
        msg[0] = 136;
        msg[4] = 0x20;
        assert_eq!(icmpv6_checksum(src, dst, &msg), 0x5a37);
    }

    #[test]
    fn checksum_handles_odd_lengths() {
        // Odd length: the last byte is padded with zero (RFC 1071);
        // reference value computed independently.
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        assert_eq!(icmpv6_checksum(src, ALL_NODES, &[1, 2, 3]), 0xfe3a);
    }
}
