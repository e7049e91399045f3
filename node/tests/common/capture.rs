//! A packet capture on one host's `eth1`, for timing bounds measured on the wire.
//!
//! An AF_PACKET socket opened inside the host's namespace records every VRRP advert, ARP
//! and Neighbour Advertisement that reaches the host, each with the **kernel's** receive
//! timestamp (SO_TIMESTAMPNS): a capture thread that load delays reads late, but the time
//! it records is still when the frame crossed the LAN. Bounds are then taken between two
//! frames ("a's priority-0 advert" to "b's first advert"), so neither our own signals nor
//! the polling of `ip addr` nor a daemon's shutdown latency enter them.
//!
//! Timestamps are CLOCK_REALTIME (the only clock SO_TIMESTAMPNS offers); compare them with
//! each other, or with a [`Capture::mark`] taken before the event that is awaited.

use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use nix::sys::socket::{
    recvmsg, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned, LinkAddr, MsgFlags, SockFlag,
    SockProtocol, SockType,
};
use nix::sys::time::{TimeSpec, TimeVal};
use vrrp_core::wire::{Family, Packet, IP_PROTOCOL};
use vrrp_lab::Lan;
use vrrp_node::net::garp::{ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_ICMPV6, ND_NEIGHBOR_ADVERT};

/// `sll_pkttype` of a frame the capturing host sent itself.
const PACKET_OUTGOING: u8 = 4;

/// What a captured frame was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A VRRP advert (IPv4 protocol / IPv6 next header 112), as `vrrp_core::wire` reads it.
    /// `ttl` is the IPv4 TTL or IPv6 hop limit it crossed the LAN with.
    Advert { src: IpAddr, version: u8, vrid: u8, priority: u8, ttl: u8 },
    /// An ARP packet (Ethernet/IPv4).
    Arp { op: u16, sender_mac: [u8; 6], sender_ip: Ipv4Addr, target_ip: Ipv4Addr },
    /// An ICMPv6 Neighbour Advertisement.
    Na { src: Ipv6Addr, target: Ipv6Addr, solicited: bool, override_flag: bool },
}

/// One captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The kernel's receive timestamp.
    pub at: SystemTime,
    /// Ethernet source address.
    pub src_mac: [u8; 6],
    pub what: What,
}

impl Frame {
    /// An advert from `src` for `vrid`, its priority.
    pub fn advert_priority(&self, src: IpAddr, vrid: u8) -> Option<u8> {
        match self.what {
            What::Advert { src: s, vrid: v, priority, .. } if s == src && v == vrid => Some(priority),
            _ => None,
        }
    }

    /// A gratuitous ARP (sender IP = target IP = `vip`) or an unsolicited NA (not
    /// Solicited, Override set, target `vip`), announcing `vip` at `mac`.
    pub fn announces(&self, vip: IpAddr, mac: [u8; 6]) -> bool {
        match (&self.what, vip) {
            (What::Arp { sender_mac, sender_ip, target_ip, .. }, IpAddr::V4(v)) => {
                *sender_mac == mac && *sender_ip == v && *target_ip == v
            }
            (What::Na { target, solicited, override_flag, .. }, IpAddr::V6(v)) => {
                self.src_mac == mac && *target == v && !solicited && *override_flag
            }
            _ => false,
        }
    }
}

/// Time from `from` to `to` (both kernel timestamps); panics if `to` is earlier, which
/// would mean the queries picked the wrong frames.
pub fn between(from: &Frame, to: &Frame) -> Duration {
    to.at.duration_since(from.at).unwrap_or_else(|e| panic!("{to:?} is {:?} before {from:?}", e.duration()))
}

#[derive(Debug, Default)]
struct Shared {
    frames: Vec<Frame>,
    /// Why the capture stopped early, if it did.
    problem: Option<String>,
}

/// A running capture; stopped (its thread joined) on drop.
#[derive(Debug)]
pub struct Capture {
    host: String,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Starts capturing on `host`'s `eth1`. Frames the host sends itself are not recorded.
    pub fn start(lan: &Lan, host: &str) -> Capture {
        let ifindex = lan.ifindex(host).expect("capture interface index");
        let fd = lan.run_in(host, open).expect("enter namespace").expect("open the capture socket");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || run(fd, ifindex, &shared, &stop))
        };
        Capture { host: host.into(), shared, stop, thread: Some(thread) }
    }

    /// "Now" on the capture's clock, to ask for frames after an action of the test.
    pub fn mark() -> SystemTime {
        SystemTime::now()
    }

    /// A copy of everything captured so far.
    pub fn frames(&self) -> Vec<Frame> {
        self.shared.lock().unwrap().frames.clone()
    }

    /// The first frame at or after `after` that satisfies `f`, waiting up to `limit` for
    /// it to be captured. `limit` only bounds the wait: the frame's own time is `at`.
    pub fn wait_first(&self, after: SystemTime, limit: Duration, f: impl Fn(&Frame) -> bool) -> Option<Frame> {
        let mut found = None;
        super::wait_for(limit, || {
            found = self.frames().into_iter().find(|fr| fr.at >= after && f(fr));
            found.is_some()
        });
        found
    }

    /// The last frame strictly before `before` that satisfies `f`.
    pub fn last_before(&self, before: SystemTime, f: impl Fn(&Frame) -> bool) -> Option<Frame> {
        self.frames().into_iter().rev().find(|fr| fr.at < before && f(fr))
    }

    /// Every frame in `[from, to)` that satisfies `f`.
    pub fn all_between(&self, from: SystemTime, to: SystemTime, f: impl Fn(&Frame) -> bool) -> Vec<Frame> {
        self.frames().into_iter().filter(|fr| fr.at >= from && fr.at < to && f(fr)).collect()
    }

    /// The first advert from `src` for `vrid` at or after `after` whose priority satisfies
    /// `priority`, waiting up to `limit`; panics (with the capture so far) if none comes.
    pub fn advert(
        &self,
        src: IpAddr,
        vrid: u8,
        after: SystemTime,
        limit: Duration,
        priority: impl Fn(u8) -> bool,
    ) -> Frame {
        self.wait_first(after, limit, |fr| fr.advert_priority(src, vrid).is_some_and(&priority))
            .unwrap_or_else(|| panic!("no such advert from {src} (VRID {vrid}) within {limit:?}\n{}", self.summary()))
    }

    /// The last advert from `src` for `vrid` before `before`; panics if there is none.
    pub fn last_advert(&self, src: IpAddr, vrid: u8, before: SystemTime) -> Frame {
        self.last_before(before, |fr| fr.advert_priority(src, vrid).is_some())
            .unwrap_or_else(|| panic!("no advert from {src} (VRID {vrid}) before {before:?}\n{}", self.summary()))
    }

    /// The first gratuitous ARP / unsolicited NA for `vip` from `mac` at or after `after`,
    /// waiting up to `limit`; panics if none comes.
    pub fn announcement(&self, vip: IpAddr, mac: [u8; 6], after: SystemTime, limit: Duration) -> Frame {
        self.wait_first(after, limit, |fr| fr.announces(vip, mac))
            .unwrap_or_else(|| panic!("no announcement of {vip} from {mac:02x?} within {limit:?}\n{}", self.summary()))
    }

    /// The capture as text (the last 40 frames), for assertion messages.
    pub fn summary(&self) -> String {
        let shared = self.shared.lock().unwrap();
        let first = shared.frames.first().map(|f| f.at).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut out = format!("capture on {}: {} frames", self.host, shared.frames.len());
        if let Some(p) = &shared.problem {
            out += &format!(" (stopped: {p})");
        }
        for fr in shared.frames.iter().rev().take(40).rev() {
            let t = fr.at.duration_since(first).unwrap_or_default();
            out += &format!("\n  +{:>10.6}s {:02x?} {:?}", t.as_secs_f64(), fr.src_mac, fr.what);
        }
        out
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An AF_PACKET socket for every protocol, with kernel receive timestamps, a receive
/// timeout (so the thread notices `stop`) and room for a few seconds of frames should the
/// thread be starved. Opened inside the namespace, it stays bound to it.
fn open() -> nix::Result<OwnedFd> {
    let fd = socket(AddressFamily::Packet, SockType::Raw, SockFlag::SOCK_CLOEXEC, SockProtocol::EthAll)?;
    setsockopt(&fd, sockopt::ReceiveTimestampns, &true)?;
    setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::new(0, 100_000))?;
    setsockopt(&fd, sockopt::RcvBufForce, &(4 << 20))?;
    Ok(fd)
}

fn run(fd: OwnedFd, ifindex: u32, shared: &Mutex<Shared>, stop: &AtomicBool) {
    let mut buf = vec![0u8; 65536];
    let mut cmsg = nix::cmsg_space!(TimeSpec);
    while !stop.load(Ordering::Relaxed) {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = match recvmsg::<LinkAddr>(fd.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty()) {
            Ok(msg) => msg,
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                shared.lock().unwrap().problem = Some(format!("recvmsg: {e}"));
                return;
            }
        };
        let Some(link) = msg.address else { continue };
        if link.ifindex() != ifindex as usize || link.pkttype() == PACKET_OUTGOING {
            continue;
        }
        let mut at = None;
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::ScmTimestampns(ts) = c {
                    at = Some(SystemTime::UNIX_EPOCH + Duration::from(ts));
                }
            }
        }
        let len = msg.bytes;
        let Some(at) = at else {
            // Without the kernel's time the frame cannot be placed; a bound computed from
            // the time we read it is exactly what this capture exists to avoid.
            shared.lock().unwrap().problem = Some("a frame came without SCM_TIMESTAMPNS".into());
            return;
        };
        if let Some((src_mac, what)) = parse(&buf[..len]) {
            shared.lock().unwrap().frames.push(Frame { at, src_mac, what });
        }
    }
}

fn mac_at(b: &[u8], at: usize) -> [u8; 6] {
    b[at..at + 6].try_into().unwrap()
}

/// Reads an Ethernet frame: the adverts, ARPs and NAs, nothing else.
fn parse(frame: &[u8]) -> Option<([u8; 6], What)> {
    if frame.len() < 14 {
        return None;
    }
    let src_mac = mac_at(frame, 6);
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let l3 = &frame[14..];
    let what = match ethertype {
        ETHERTYPE_IPV4 if l3.len() >= 20 => {
            let ihl = usize::from(l3[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([l3[2], l3[3]])).min(l3.len());
            if l3[9] != IP_PROTOCOL || ihl < 20 || total < ihl {
                return None;
            }
            let src = Ipv4Addr::new(l3[12], l3[13], l3[14], l3[15]).into();
            advert(src, &l3[ihl..total], Family::Ipv4, l3[8])?
        }
        ETHERTYPE_IPV6 if l3.len() >= 40 => {
            let payload_len = usize::from(u16::from_be_bytes([l3[4], l3[5]]));
            let payload = &l3[40..(40 + payload_len).min(l3.len())];
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(&l3[8..24]).unwrap());
            match l3[6] {
                IP_PROTOCOL => advert(src.into(), payload, Family::Ipv6, l3[7])?,
                IPPROTO_ICMPV6 if payload.len() >= 24 && payload[0] == ND_NEIGHBOR_ADVERT => What::Na {
                    src,
                    target: Ipv6Addr::from(<[u8; 16]>::try_from(&payload[8..24]).unwrap()),
                    solicited: payload[4] & 0x40 != 0,
                    override_flag: payload[4] & 0x20 != 0,
                },
                _ => return None,
            }
        }
        ETHERTYPE_ARP if l3.len() >= 28 => What::Arp {
            op: u16::from_be_bytes([l3[6], l3[7]]),
            sender_mac: mac_at(l3, 8),
            sender_ip: Ipv4Addr::new(l3[14], l3[15], l3[16], l3[17]),
            target_ip: Ipv4Addr::new(l3[24], l3[25], l3[26], l3[27]),
        },
        _ => return None,
    };
    Some((src_mac, what))
}

/// A VRRP message, read with `vrrp_core::wire` (length and version checked; the checksum
/// is the receivers' business, not the clock's).
fn advert(src: IpAddr, payload: &[u8], family: Family, ttl: u8) -> Option<What> {
    let p = Packet::new_checked(payload, family).ok()?;
    Some(What::Advert { src, version: p.version_field(), vrid: p.vrid(), priority: p.priority(), ttl })
}

/// The address a host's adverts come from: its IPv4 address, or for IPv6 its link-local
/// address (RFC 9568 §5.1.2.1).
pub fn advert_source(lan: &Lan, host: &str, ipv6: bool) -> IpAddr {
    if ipv6 {
        lan.link_local(host).expect("link-local address").expect("a link-local address").into()
    } else {
        lan.ipv4(host).expect("IPv4 address").into()
    }
}

/// A takeover as the LAN saw it.
#[derive(Debug, Clone)]
pub struct Takeover {
    /// What started it: the old master's priority-0 advert (a SIGTERM handover) or its
    /// last advert before it went silent (a cable cut, a SIGKILL).
    pub start: Frame,
    /// The new master's first advert (priority > 0) after `start`.
    pub advert: Frame,
    /// The new master's first gratuitous ARP / unsolicited NA for the VIP after `start`.
    pub announce: Frame,
}

impl Takeover {
    /// From `start` to the new master's first advert.
    pub fn advert_after(&self) -> Duration {
        between(&self.start, &self.advert)
    }

    /// From `start` to the new master's first announcement of the VIP.
    pub fn announce_after(&self) -> Duration {
        between(&self.start, &self.announce)
    }

    /// Both the advert and the announcement came within `[expected - early, expected + late]`
    /// of `start`; panics with `context` otherwise.
    pub fn assert_within(&self, expected: Duration, early: Duration, late: Duration, context: &str) {
        for (what, took) in [("first advert", self.advert_after()), ("first announcement", self.announce_after())] {
            assert!(
                took + early >= expected && took <= expected + late,
                "{what} {took:?} after {:?}: expected {expected:?} (-{early:?}, +{late:?})\n{context}",
                self.start.what
            );
        }
    }
}

/// Who hands over to whom, on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Handover {
    /// The old master's advert source.
    pub old: IpAddr,
    /// The new master's advert source and MAC.
    pub new: IpAddr,
    pub new_mac: [u8; 6],
    pub vrid: u8,
    pub vip: IpAddr,
}

impl Handover {
    /// The seed group (VRID 200) moving from host `old` to host `new` over IPv4, with the
    /// seed VIP: what most tests measure.
    pub fn seed(lan: &Lan, old: &str, new: &str) -> Handover {
        Handover {
            old: advert_source(lan, old, false),
            new: advert_source(lan, new, false),
            new_mac: lan.mac(new).expect("MAC address"),
            vrid: 200,
            vip: super::vip(),
        }
    }
}

impl Capture {
    /// A SIGTERM handover: the old master's priority-0 advert at or after `after`, then the
    /// new master's first advert and announcement. Each is waited for up to `limit`.
    pub fn goodbye_takeover(&self, h: Handover, after: SystemTime, limit: Duration) -> Takeover {
        let start = self.advert(h.old, h.vrid, after, limit, |p| p == 0);
        self.takeover_from(h, start, limit)
    }

    /// A silent master (cable cut, SIGKILL) at `after`: the new master's first advert
    /// after `after`, timed from the old master's last advert before it, and the new
    /// master's announcement.
    pub fn silence_takeover(&self, h: Handover, after: SystemTime, limit: Duration) -> Takeover {
        let first = self.advert(h.new, h.vrid, after, limit, |p| p > 0);
        let start = self.last_advert(h.old, h.vrid, first.at);
        self.takeover_from(h, start, limit)
    }

    fn takeover_from(&self, h: Handover, start: Frame, limit: Duration) -> Takeover {
        let advert = self.advert(h.new, h.vrid, start.at, limit, |p| p > 0);
        let announce = self.announcement(h.vip, h.new_mac, start.at, limit);
        Takeover { start, advert, announce }
    }
}

/// How much earlier than the protocol's bound a takeover may show on the wire. The backup
/// and the capturing client receive copies of the same flooded frame microseconds apart,
/// and the backup's timer starts when its daemon reads the frame, later still; 1 ms covers
/// the first with room. Anything earlier would be a timer firing before its time.
pub const EARLY: Duration = Duration::from_millis(1);

/// How much later than the protocol's bound a takeover may show on the wire on a loaded
/// 2-core machine (both cores held by `stress-ng --cpu 2` while other builds run): the new
/// master's timer wake-up, its state change and its sends, all competing for a core at
/// normal priority. The protocol bound itself is exact; this is scheduling only.
pub const LATE: Duration = Duration::from_millis(250);
