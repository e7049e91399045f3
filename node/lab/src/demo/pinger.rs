//! The measuring instrument: a client pinging the VIP every millisecond from inside its
//! namespace, and the outage computed from its log (longest gap between replies, pings lost).

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use vrrp_core::wire::internet_checksum;

use crate::Lan;

/// The client's view of a time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outage {
    /// The longest time without an echo reply.
    pub longest_gap: Duration,
    /// When that gap began (the last reply before it).
    pub gap_start: Option<Instant>,
    /// Echo requests sent in the window that were never answered.
    pub lost: u64,
    /// Echo requests sent in the window.
    pub sent: u64,
}

/// An ICMP echo loop from inside a namespace: one request every `interval`, each reply's
/// arrival recorded. Replies carry the request's 64-bit sequence number in their payload.
#[derive(Debug)]
pub struct Pinger {
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<PingLog>>,
    threads: Vec<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct PingLog {
    /// Send time of request n at index n.
    sent: Vec<Instant>,
    /// (sequence number, arrival) of each reply, in arrival order.
    replies: Vec<(u64, Instant)>,
}

/// The pinger's socket receive buffer (the kernel caps it at `net.core.rmem_max`).
const PING_RCVBUF: usize = 4 << 20;

const ICMP_ECHO_REQUEST: u8 = 8;
const ICMP_ECHO_REPLY: u8 = 0;
const ICMPV6_ECHO_REQUEST: u8 = 128;
const ICMPV6_ECHO_REPLY: u8 = 129;

impl Pinger {
    /// Starts pinging `target` (IPv4 or IPv6) from `host`'s namespace (raw ICMP or ICMPv6
    /// socket: needs root).
    pub fn start(lan: &Lan, host: &str, target: impl Into<IpAddr>, interval: Duration) -> Result<Pinger> {
        let target = target.into();
        let v6 = target.is_ipv6();
        let (domain, protocol) = if v6 { (Domain::IPV6, Protocol::ICMPV6) } else { (Domain::IPV4, Protocol::ICMPV4) };
        let sock = lan
            .run_in(host, || Socket::new(domain, Type::RAW, Some(protocol)))?
            .context("opening a raw ICMP socket")?;
        sock.set_read_timeout(Some(Duration::from_millis(50)))?;
        // The raw socket sees every ICMP(v6) message the client gets, not only our replies:
        // with the default buffer a receive thread held off the CPU for a few hundred ms on
        // a loaded machine would drop replies the wire carried, and count them as lost.
        let _ = sock.set_recv_buffer_size(PING_RCVBUF);
        let rx_sock = sock.try_clone()?;
        let id = (std::process::id() as u16) ^ 0x5652;
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(PingLog::default()));
        let mut threads = Vec::new();
        let (stop_tx, log_tx) = (Arc::clone(&stop), Arc::clone(&log));
        threads.push(std::thread::spawn(move || {
            raise_thread_priority();
            let to = SockAddr::from(SocketAddr::new(target, 0));
            let mut next = Instant::now();
            let mut seq: u64 = 0;
            while !stop_tx.load(Ordering::SeqCst) {
                let request = if v6 { echo_request_v6(id, seq) } else { echo_request(id, seq) };
                let now = Instant::now();
                if let Ok(mut l) = log_tx.lock() {
                    l.sent.push(now);
                }
                // Errors (no ARP answer yet, queue full) are losses like any other.
                let _ = sock.send_to(&request, &to);
                seq += 1;
                next += interval;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else if now - next > 20 * interval {
                    // Fell far behind (machine busy): do not burst to catch up.
                    next = now;
                }
            }
        }));
        let (stop_rx, log_rx) = (Arc::clone(&stop), Arc::clone(&log));
        threads.push(std::thread::spawn(move || {
            raise_thread_priority();
            let mut buf = [0u8; 1500];
            let mut reader = &rx_sock;
            while !stop_rx.load(Ordering::SeqCst) {
                let Ok(n) = reader.read(&mut buf) else { continue };
                let at = Instant::now();
                let parsed =
                    buf.get(..n).and_then(|p| if v6 { parse_echo_reply_v6(p, id) } else { parse_echo_reply(p, id) });
                if let Some(seq) = parsed {
                    if let Ok(mut l) = log_rx.lock() {
                        l.replies.push((seq, at));
                    }
                }
            }
        }));
        Ok(Pinger { stop, log, threads })
    }

    /// Replies received so far.
    pub fn replies(&self) -> usize {
        self.log.lock().map(|l| l.replies.len()).unwrap_or(0)
    }

    /// When the last reply arrived.
    pub fn last_reply(&self) -> Option<Instant> {
        self.log.lock().ok().and_then(|l| l.replies.last().map(|r| r.1))
    }

    /// What the client saw between `from` and `to`; see [`outage`].
    pub fn outage(&self, from: Instant, to: Instant) -> Outage {
        match self.log.lock() {
            Ok(l) => outage(&l.sent, &l.replies, from, to),
            Err(_) => Outage::default(),
        }
    }

    /// Stops both threads (as dropping does).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The pinger is the measuring instrument: make it less likely than the daemons and the
/// demo itself to wait for a CPU (nice −10 for the calling thread; best effort, root only).
fn raise_thread_priority() {
    // SAFETY: plain syscalls on the calling thread's own id; no memory is shared.
    unsafe {
        let tid = libc::gettid();
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, -10);
    }
}

/// The client's experience between `from` and `to`: the longest gap between consecutive
/// reply arrivals (the last reply before `from` counts as the start of a gap; `to` ends
/// one), and how many of the requests sent in the window went unanswered. Requests sent in
/// the last 100 ms before `to` are not judged (their replies may still be on the way).
pub fn outage(sent: &[Instant], replies: &[(u64, Instant)], from: Instant, to: Instant) -> Outage {
    let mut arrivals: Vec<Instant> = replies.iter().map(|r| r.1).filter(|t| *t <= to).collect();
    arrivals.sort();
    let first = arrivals.partition_point(|t| *t < from);
    let mut prev = if first > 0 { arrivals.get(first - 1).copied() } else { None }.unwrap_or(from);
    let mut longest = Duration::ZERO;
    let mut gap_start = None;
    for t in arrivals.get(first..).unwrap_or_default().iter().copied().chain([to]) {
        let gap = t.saturating_duration_since(prev);
        if gap > longest {
            longest = gap;
            gap_start = Some(prev);
        }
        prev = t;
    }
    let judged_until = to.checked_sub(Duration::from_millis(100)).unwrap_or(to);
    let answered: std::collections::BTreeSet<u64> = replies.iter().map(|r| r.0).collect();
    let window: Vec<u64> =
        sent.iter().enumerate().filter(|(_, t)| **t >= from && **t <= judged_until).map(|(i, _)| i as u64).collect();
    let lost = window.iter().filter(|i| !answered.contains(i)).count() as u64;
    Outage { longest_gap: longest, gap_start, lost, sent: window.len() as u64 }
}

/// An ICMP echo request carrying `seq` as its 8-byte payload.
fn echo_request(id: u16, seq: u64) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[0] = ICMP_ECHO_REQUEST;
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&(seq as u16).to_be_bytes());
    p[8..16].copy_from_slice(&seq.to_be_bytes());
    let sum = internet_checksum(&p);
    p[2..4].copy_from_slice(&sum.to_be_bytes());
    p
}

/// An ICMPv6 echo request carrying `seq`; the kernel fills in the checksum (RFC 3542 §3.1:
/// raw ICMPv6 sockets always compute it).
fn echo_request_v6(id: u16, seq: u64) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[0] = ICMPV6_ECHO_REQUEST;
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&(seq as u16).to_be_bytes());
    p[8..16].copy_from_slice(&seq.to_be_bytes());
    p
}

/// The sequence number of an ICMPv6 echo reply to us (`id`): a raw ICMPv6 socket delivers
/// the ICMPv6 message without the IPv6 header.
fn parse_echo_reply_v6(icmp: &[u8], id: u16) -> Option<u64> {
    if *icmp.first()? != ICMPV6_ECHO_REPLY || icmp.get(4..6)? != id.to_be_bytes() {
        return None;
    }
    Some(u64::from_be_bytes(icmp.get(8..16)?.try_into().ok()?))
}

/// The sequence number of an echo reply to us (`id`) in an IPv4 packet, if it is one.
fn parse_echo_reply(packet: &[u8], id: u16) -> Option<u64> {
    let ihl = usize::from(packet.first()? & 0x0f) * 4;
    let icmp = packet.get(ihl..)?;
    if *icmp.first()? != ICMP_ECHO_REPLY || icmp.get(4..6)? != id.to_be_bytes() {
        return None;
    }
    Some(u64::from_be_bytes(icmp.get(8..16)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksum_verifies() {
        let p = echo_request(0x1234, 70_000);
        assert_eq!(internet_checksum(&p), 0);
        assert_eq!(&p[8..16], &70_000u64.to_be_bytes());
    }
    #[test]
    fn echo_reply_parsing() {
        let mut reply = vec![0x45u8; 20];
        let mut icmp = echo_request(7, 42).to_vec();
        icmp[0] = ICMP_ECHO_REPLY;
        reply.extend_from_slice(&icmp);
        assert_eq!(parse_echo_reply(&reply, 7), Some(42));
        assert_eq!(parse_echo_reply(&reply, 8), None);
        assert_eq!(parse_echo_reply(&reply[..30], 7), None);
        reply[20] = ICMP_ECHO_REQUEST;
        assert_eq!(parse_echo_reply(&reply, 7), None);
    }
    #[test]
    fn icmpv6_echo_reply_parsing() {
        let mut reply = echo_request_v6(7, 42).to_vec();
        assert_eq!(parse_echo_reply_v6(&reply, 7), None, "a request is not a reply");
        reply[0] = ICMPV6_ECHO_REPLY;
        assert_eq!(parse_echo_reply_v6(&reply, 7), Some(42));
        assert_eq!(parse_echo_reply_v6(&reply, 8), None);
        assert_eq!(parse_echo_reply_v6(&reply[..12], 7), None);
    }

    #[test]
    fn outage_is_the_longest_gap_and_lost_counts_unanswered() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // One request per ms for 1 s; requests 300..=699 unanswered.
        let sent: Vec<Instant> = (0..1000).map(ms).collect();
        let replies: Vec<(u64, Instant)> =
            (0..1000).filter(|i| !(300..700).contains(i)).map(|i| (i, ms(i) + Duration::from_micros(100))).collect();
        let o = outage(&sent, &replies, ms(100), ms(1000));
        assert_eq!(o.longest_gap, Duration::from_millis(401));
        assert_eq!(o.lost, 400);
        assert_eq!(o.sent, 801);
        // No reply at all in the window: the gap runs from the last one before it to the end.
        let o = outage(&sent, &replies, ms(350), ms(650));
        assert_eq!(o.longest_gap, ms(650) - (ms(299) + Duration::from_micros(100)));
    }
}
