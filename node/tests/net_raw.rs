//! VRRP raw sockets between two lab hosts, IPv4 and IPv6.

use std::io::{self, IoSliceMut};
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, SockaddrStorage};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};

use vrrp_core::wire::{GROUP_V4, GROUP_V6, IP_PROTOCOL};
use vrrp_lab::{require_root, Lan, HOST_IFNAME};
use vrrp_node::net::{Received, RecvError, VrrpSocket};

/// A VRRPv3-looking payload; the socket layer does not care what it is.
const PAYLOAD: &[u8] = &[0x31, 0x07, 0x64, 0x01, 0x00, 0x64, 0xab, 0xcd, 192, 0, 2, 1];

fn two_hosts(test: &str) -> Lan {
    Lan::builder(test)
        .host("a", "192.0.2.11/24", "2001:db8::11/64")
        .host("b", "192.0.2.12/24", "2001:db8::12/64")
        .build()
        .expect("build lab")
}

/// Opens a VRRP socket on `host`'s eth1, inside its namespace.
fn open(lan: &Lan, host: &str, src: IpAddr) -> VrrpSocket {
    lan.run_in(host, || VrrpSocket::open(HOST_IFNAME, src)).unwrap().unwrap()
}

fn v4(lan: &Lan, host: &str) -> IpAddr {
    lan.ipv4(host).unwrap().into()
}

fn ll(lan: &Lan, host: &str) -> IpAddr {
    lan.link_local(host).unwrap().unwrap().into()
}

async fn recv(sock: &VrrpSocket, buf: &mut [u8]) -> Result<Received, RecvError> {
    tokio::time::timeout(Duration::from_secs(3), sock.recv(buf)).await.expect("nothing received within 3 s")
}

fn assert_nothing_queued(sock: &VrrpSocket) {
    let mut buf = [0u8; 1500];
    match sock.try_recv(&mut buf) {
        Err(RecvError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected an empty socket, got {other:?}"),
    }
}

/// a sends one advert from `source(a)`; b hears it from that address, to `group`, with
/// TTL / hop limit 255, on its own interface; a does not hear itself (multicast loop off).
async fn advert_reaches_peer(lan_name: &str, source: fn(&Lan, &str) -> IpAddr, group: IpAddr) {
    let lan = two_hosts(lan_name);
    let a = open(&lan, "a", source(&lan, "a"));
    let b = open(&lan, "b", source(&lan, "b"));
    a.send(PAYLOAD).await.unwrap();
    let mut buf = [0u8; 1500];
    let got = recv(&b, &mut buf).await.unwrap();
    assert_eq!(got.src, source(&lan, "a"));
    assert_eq!(got.dst, group);
    assert_eq!(got.ttl_or_hop_limit, 255);
    assert_eq!(got.payload(&buf), PAYLOAD);
    assert_eq!(got.ifindex, lan.ifindex("b").unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_nothing_queued(&a);
}

#[tokio::test]
async fn ipv4_advertisement_reaches_peer_with_ttl_255() {
    if !require_root("net_raw::ipv4_advertisement_reaches_peer_with_ttl_255") {
        return;
    }
    advert_reaches_peer("raw-v4", v4, IpAddr::from(GROUP_V4)).await;
}

#[tokio::test]
async fn ipv6_advertisement_comes_from_link_local_with_hop_limit_255() {
    if !require_root("net_raw::ipv6_advertisement_comes_from_link_local_with_hop_limit_255") {
        return;
    }
    advert_reaches_peer("raw-v6", ll, IpAddr::from(GROUP_V6)).await;
}

#[tokio::test]
async fn lower_ttl_is_reported_so_the_daemon_can_drop_it() {
    if !require_root("net_raw::lower_ttl_is_reported_so_the_daemon_can_drop_it") {
        return;
    }
    let lan = two_hosts("raw-ttl");
    let a4 = open(&lan, "a", v4(&lan, "a"));
    let b4 = open(&lan, "b", v4(&lan, "b"));
    let a6 = open(&lan, "a", ll(&lan, "a"));
    let b6 = open(&lan, "b", ll(&lan, "b"));
    let mut buf = [0u8; 1500];

    a4.send_with_ttl(PAYLOAD, GROUP_V4.into(), 64).await.unwrap();
    let got = recv(&b4, &mut buf).await.unwrap();
    assert_eq!(got.ttl_or_hop_limit, 64);
    assert_eq!(got.payload(&buf), PAYLOAD);

    a6.send_with_ttl(PAYLOAD, GROUP_V6.into(), 1).await.unwrap();
    let got = recv(&b6, &mut buf).await.unwrap();
    assert_eq!(got.ttl_or_hop_limit, 1);

    // Garbage is delivered as-is: validating VRRP is the core's job.
    a4.send_with_ttl(&[0xff, 0x00, 0x13], GROUP_V4.into(), 255).await.unwrap();
    let got = recv(&b4, &mut buf).await.unwrap();
    assert_eq!(got.payload(&buf), &[0xff, 0x00, 0x13]);
}

#[tokio::test]
async fn unicast_peer_and_truncation() {
    if !require_root("net_raw::unicast_peer_and_truncation") {
        return;
    }
    let lan = two_hosts("raw-unicast");
    let a = open(&lan, "a", v4(&lan, "a"));
    let b = open(&lan, "b", v4(&lan, "b"));
    a.send_to(PAYLOAD, v4(&lan, "b")).await.unwrap();
    let mut buf = [0u8; 1500];
    let got = recv(&b, &mut buf).await.unwrap();
    assert_eq!(got.dst, v4(&lan, "b"));
    assert_eq!(got.ttl_or_hop_limit, 255);
    assert_eq!(got.payload(&buf), PAYLOAD);

    // A buffer too small for the datagram is reported, not a panic.
    a.send(PAYLOAD).await.unwrap();
    let mut tiny = [0u8; 16];
    assert!(matches!(recv(&b, &mut tiny).await, Err(RecvError::Truncated)));
    // The socket keeps working afterwards.
    a.send(PAYLOAD).await.unwrap();
    assert!(recv(&b, &mut buf).await.is_ok());
}

#[tokio::test]
async fn family_mismatch_is_an_error() {
    if !require_root("net_raw::family_mismatch_is_an_error") {
        return;
    }
    let lan = two_hosts("raw-family");
    let a = open(&lan, "a", v4(&lan, "a"));
    let err = a.send_to(PAYLOAD, GROUP_V6.into()).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

/// DSCP CS6 (network control) in the TOS / traffic class byte, what keepalived marks its
/// adverts with (core/tests/vectors/README.md).
const CS6: u8 = 0xc0;

/// A plain raw protocol-112 socket on `host`'s eth1 that reports the received IPv4 TOS /
/// IPv6 traffic class (IP_RECVTOS / IPV6_RECVTCLASS), which `VrrpSocket` does not.
fn marking_listener(lan: &Lan, host: &str, ipv6: bool) -> Socket {
    let ifindex = lan.ifindex(host).unwrap();
    lan.run_in(host, || -> io::Result<Socket> {
        let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
        let s = Socket::new(domain, Type::RAW, Some(Protocol::from(i32::from(IP_PROTOCOL))))?;
        s.bind_device(Some(HOST_IFNAME.as_bytes()))?;
        s.set_read_timeout(Some(Duration::from_secs(3)))?;
        if ipv6 {
            s.join_multicast_v6(&GROUP_V6, ifindex)?;
            s.set_recv_tclass_v6(true)?;
        } else {
            s.join_multicast_v4_n(&GROUP_V4, &InterfaceIndexOrAddress::Index(ifindex))?;
            s.set_recv_tos_v4(true)?;
        }
        Ok(s)
    })
    .unwrap()
    .unwrap()
}

/// The TOS / traffic class of the next datagram on `s`.
fn received_marking(s: &Socket) -> u8 {
    let mut buf = [0u8; 1500];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut cmsg = nix::cmsg_space!(libc::c_int);
    let msg = recvmsg::<SockaddrStorage>(s.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty())
        .expect("no advert within 3 s");
    let mut marking = None;
    for c in msg.cmsgs().unwrap() {
        match c {
            ControlMessageOwned::Ipv4Tos(tos) => marking = Some(tos),
            ControlMessageOwned::Ipv6TClass(tc) => marking = u8::try_from(tc).ok(),
            _ => {}
        }
    }
    marking.expect("no IP_TOS / IPV6_TCLASS control message")
}

/// Adverts are marked DSCP CS6 (TOS / traffic class 0xc0) as keepalived's are, so QoS that
/// drops by class under congestion keeps them; both the advert path (`send`) and the
/// unicast / TTL-override path (`sendmsg`) carry it.
#[tokio::test]
async fn adverts_are_marked_dscp_cs6() {
    if !require_root("net_raw::adverts_are_marked_dscp_cs6") {
        return;
    }
    let lan = two_hosts("raw-dscp");
    for ipv6 in [false, true] {
        let source = if ipv6 { ll } else { v4 };
        let group: IpAddr = if ipv6 { GROUP_V6.into() } else { GROUP_V4.into() };
        let a = open(&lan, "a", source(&lan, "a"));
        let listener = marking_listener(&lan, "b", ipv6);
        a.send(PAYLOAD).await.unwrap();
        assert_eq!(received_marking(&listener), CS6, "advert, ipv6={ipv6}");
        a.send_with_ttl(PAYLOAD, group, 255).await.unwrap();
        assert_eq!(received_marking(&listener), CS6, "sendmsg path, ipv6={ipv6}");
    }
}

/// A batch the kernel refuses (the interface is down) reports every advert, each for its
/// own instance, and the adverts queued after a refused one are still tried.
#[tokio::test]
async fn a_refused_batch_reports_each_advert_for_its_instance() {
    use vrrp_core::router::InstanceId;
    use vrrp_node::daemon::engine::Transmit;
    use vrrp_node::daemon::socket_io::{SocketIo, Sockets};
    if !require_root("a_refused_batch_reports_each_advert_for_its_instance") {
        return;
    }
    let lan = two_hosts("rawrefused");
    let a = [open(&lan, "a", v4(&lan, "a"))];
    let mut sio = SocketIo::new();
    let queue_three = |sio: &mut SocketIo| -> Vec<(InstanceId, io::ErrorKind)> {
        let mut tx = Sockets::new(&a, sio);
        for id in [4, 9, 2] {
            tx.queue(InstanceId(id), 0, PAYLOAD).unwrap();
        }
        let mut failed = Vec::new();
        tx.flush(&mut |id, kind| failed.push((id, kind)));
        failed
    };
    assert_eq!(queue_three(&mut sio), [], "link up: all three go out");
    assert_eq!((sio.counters.send_syscalls, sio.counters.adverts_sent), (1, 3), "in one sendmmsg");
    let out = lan.exec("a", &["ip", "link", "set", HOST_IFNAME, "down"]).unwrap();
    assert!(out.status.success(), "{out:?}");
    let failed = queue_three(&mut sio);
    let ids: Vec<InstanceId> = failed.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [InstanceId(4), InstanceId(9), InstanceId(2)], "{failed:?}");
    assert_eq!(sio.counters.adverts_sent, 3, "nothing more went out");
    assert_eq!(sio.counters.send_syscalls, 4, "one call per refused advert, each after the one before");
}
