//! Three smoltcp interfaces on an in-memory LAN, each with a raw socket for IP protocol
//! 112 joined to 224.0.0.18 and vrrp-core behind it, on one virtual clock: they elect one
//! master (RFC 9568 §6.4), fail over when it is cut off, fail over again, and take the
//! mastership back when the highest priority returns (preemption). Every advert on the
//! wire parses as the ones keepalived sends (core/tests/vectors, captured from keepalived
//! 2.2.7), and the router configured as keepalived was sends keepalived's bytes exactly.

use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr};

use smoltcp::wire::{IpCidr, IpProtocol, Ipv4Packet};
use vrrp_core::router::InstanceId;
use vrrp_core::wire::{AdvertRepr, ChecksumContext, Packet, Version, GROUP_V4};
use vrrp_core::{timers, Clock, Duration, InstanceConfig, Instant, State};
use vrrp_smoltcp::medium::Medium;
use vrrp_smoltcp::{Storage, VrrpNode, IFINDEX};

/// The board's clock, here moved by the test.
struct Virtual(Cell<u64>);

impl Clock for Virtual {
    fn now(&self) -> Instant {
        Instant::from_micros(self.0.get())
    }
}

const STEP_US: u64 = 10_000;
const ID: InstanceId = InstanceId(0);

fn addr(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, last)
}

/// keepalived's configuration when the vectors were captured (vectors/README.md):
/// VRID 51, VRRPv3, 1 s, VIPs 192.0.2.1 and 192.0.2.2; router 192.0.2.11 at priority 101.
fn cfg(primary: Ipv4Addr, priority: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new(IFINDEX, 51, Version::V3, IpAddr::V4(primary));
    c.priority = priority;
    c.vips.push(IpAddr::V4(addr(1))).unwrap();
    c.vips.push(IpAddr::V4(addr(2))).unwrap();
    c
}

/// The VRRP message of keepalived's captured v3 IPv4 advert.
fn keepalived_v3_ipv4() -> (Ipv4Addr, Vec<u8>) {
    let hex: String = include_str!("../../../core/tests/vectors/v3-ipv4.ip.hex").split_whitespace().collect();
    let ip: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let packet = Ipv4Packet::new_checked(&ip[..]).unwrap();
    assert_eq!((packet.next_header(), packet.hop_limit()), (IpProtocol::Unknown(112), 255));
    (packet.src_addr(), packet.payload().to_vec())
}

fn holds_vips(node: &VrrpNode<'_, 1>) -> bool {
    let vip = |last| IpCidr::new(addr(last).into(), 32);
    let addrs = node.iface().ip_addrs();
    let (one, two) = (addrs.contains(&vip(1)), addrs.contains(&vip(2)));
    assert_eq!(one, two, "both VIPs or neither");
    one
}

struct Lan<'a> {
    clock: Virtual,
    medium: Medium<3>,
    nodes: Vec<VrrpNode<'a, 1>>,
    /// (sender, priority) of every advert seen on the wire.
    adverts: Vec<(Ipv4Addr, u8)>,
    keepalived: (Ipv4Addr, Vec<u8>),
    /// When each node last became master.
    became_master: [Option<Instant>; 3],
    /// Adverts byte-identical to keepalived's.
    identical: usize,
}

impl Lan<'_> {
    /// Runs until `until_s`, polling every node every 10 ms, and checks every packet on
    /// the wire.
    fn run_until(&mut self, until_s: u64) {
        while self.clock.0.get() < until_s * 1_000_000 {
            self.clock.0.set(self.clock.0.get() + STEP_US);
            for (i, node) in self.nodes.iter_mut().enumerate() {
                let was = node.state(ID);
                node.poll(&self.clock, &mut self.medium.port(i));
                if node.state(ID) == Some(State::Master) && was != Some(State::Master) {
                    self.became_master[i] = Some(self.clock.now());
                }
            }
            while let Some(t) = self.medium.tapped() {
                self.check_packet(&t.frame);
            }
        }
    }

    fn check_packet(&mut self, frame: &[u8]) {
        let ip = Ipv4Packet::new_checked(frame).expect("an IPv4 packet");
        if ip.next_header() != IpProtocol::Unknown(112) {
            return; // smoltcp's IGMP reports for 224.0.0.18
        }
        // RFC 9568 §5.1.1: TTL 255, to the VRRP group.
        assert_eq!((ip.hop_limit(), ip.dst_addr()), (255, GROUP_V4), "{frame:02x?}");
        let ctx = ChecksumContext { src: IpAddr::V4(ip.src_addr()), dst: IpAddr::V4(ip.dst_addr()) };
        let got = AdvertRepr::parse(&Packet::new_unchecked(ip.payload()), &ctx).expect("parses, checksum included");
        let (ka_src, ka_bytes) = &self.keepalived;
        let ka_ctx = ChecksumContext { src: IpAddr::V4(*ka_src), dst: IpAddr::V4(GROUP_V4) };
        let want = AdvertRepr::parse(&Packet::new_unchecked(&ka_bytes[..]), &ka_ctx).unwrap();
        let same_but_priority = AdvertRepr { priority: want.priority, ..got.clone() };
        assert_eq!(same_but_priority, want, "fields as keepalived sends them");
        if ip.src_addr() == *ka_src && got.priority == want.priority {
            assert_eq!(ip.payload(), &ka_bytes[..], "keepalived's bytes, checksum included");
            self.identical += 1;
        }
        self.adverts.push((ip.src_addr(), got.priority));
    }

    fn masters(&self) -> Vec<usize> {
        (0..3).filter(|&i| self.nodes[i].state(ID) == Some(State::Master)).collect()
    }
}

#[test]
fn rfc9568_6_4_three_smoltcp_nodes_elect_fail_over_and_preempt() {
    let (a, b, c) = (addr(11), addr(12), addr(13));
    let mut storage = [Storage::default(), Storage::default(), Storage::default()];
    let [s0, s1, s2] = &mut storage;
    let mut medium = Medium::<3>::new();
    let mut nodes = Vec::new();
    for (i, (s, primary, prio)) in [(s0, a, 101), (s1, b, 150), (s2, c, 200)].into_iter().enumerate() {
        let node = VrrpNode::new(&mut medium.port(i), s, primary, 24, [cfg(primary, prio)], Instant::ZERO).unwrap();
        nodes.push(node);
    }
    let mut lan = Lan {
        clock: Virtual(Cell::new(0)),
        medium,
        nodes,
        adverts: Vec::new(),
        keepalived: keepalived_v3_ipv4(),
        became_master: [None; 3],
        identical: 0,
    };
    let now = lan.clock.now();
    for n in &mut lan.nodes {
        n.start(&now);
    }

    // Election: the highest priority, C, is the one master and the only one with the VIPs.
    lan.run_until(8);
    assert_eq!(lan.masters(), [2]);
    assert_eq!(lan.nodes.iter().map(holds_vips).collect::<Vec<_>>(), [false, false, true]);
    assert!(lan.adverts.iter().all(|(src, p)| (*src, *p) == (c, 200)), "only the master advertises");

    // C is cut off: B takes over within Master_Down_Interval of C's last advert.
    lan.medium.cut(2, true);
    let cut = lan.clock.now();
    lan.run_until(16);
    assert_eq!(lan.masters(), [1, 2], "B took over; C, cut off, still thinks it is master");
    let mdi = timers::master_down_interval(150, 100);
    let took = lan.became_master[1].unwrap();
    let slack = Duration::from_micros(2 * STEP_US);
    assert!(took <= cut + mdi + slack && took + Duration::from_secs(1) >= cut + mdi, "{took:?}, cut at {cut:?}");
    assert!(holds_vips(&lan.nodes[1]) && !holds_vips(&lan.nodes[0]));

    // B is cut off too: A, configured as keepalived was, takes over and sends
    // keepalived's advert byte for byte (checked in check_packet).
    lan.medium.cut(1, true);
    lan.run_until(24);
    assert_eq!(lan.masters(), [0, 1, 2]);
    assert!(lan.identical >= 5, "A sent keepalived's advert, byte for byte: {}", lan.identical);

    // Both come back: C preempts (RFC 9568 §6.4.3), A and B step down to backup.
    lan.medium.cut(1, false);
    lan.medium.cut(2, false);
    lan.run_until(32);
    assert_eq!(lan.masters(), [2]);
    assert_eq!(lan.nodes.iter().map(holds_vips).collect::<Vec<_>>(), [false, false, true]);
    for n in &lan.nodes {
        assert_eq!(n.log.send_errors, 0);
        assert_eq!(n.driver().router().stats().checksum_errors, 0);
    }
    let senders: std::collections::BTreeSet<_> = lan.adverts.iter().map(|(s, _)| *s).collect();
    assert_eq!(senders.len(), 3, "every node advertised at some point");

    // A graceful shutdown of the master puts its priority-0 advert on the wire.
    let now = lan.clock.now();
    lan.nodes[2].shutdown(&now);
    lan.run_until(33);
    assert!(lan.adverts.contains(&(c, 0)));
}
