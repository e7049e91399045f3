//! The daemon's steady-state path allocates nothing after startup, at 1020 instances.
//!
//! A counting global allocator counts allocations made on the measuring thread while a
//! measurement is open. Two measurements:
//! - the protocol path (`vrrp_node::daemon::engine::Engine`, exactly what vrrpd runs
//!   between socket and socket): 1020 backups hearing their masters, and 1020 masters
//!   advertising on their timers, for ten simulated seconds each;
//! - the socket path (`VrrpSocket::try_send` / `try_recv`, IPv4 and IPv6) between two
//!   hosts of a lab LAN (needs root).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr};

use vrrp_core::wire::Version;
use vrrp_core::{Duration, Instance, InstanceConfig, Instant};
use vrrp_node::daemon::engine::{Engine, Inbound, Transmit};
use vrrp_node::sync::{facade::Arc, NotifyQueue};

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not count each other's allocations.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    if MEASURING.with(Cell::get) {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
    }
}

// SAFETY: delegates every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    MEASURING.with(|m| m.set(true));
    let out = f();
    MEASURING.with(|m| m.set(false));
    (ALLOCATIONS.with(Cell::get) - before, out)
}

const INSTANCES: u32 = 1020;

fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn config(i: u32, priority: u8, primary: IpAddr) -> InstanceConfig {
    let mut c = InstanceConfig::new(1 + i / 255, (i % 255 + 1) as u8, Version::V3, primary);
    c.priority = priority;
    c.vips.push(a4(1)).unwrap();
    c
}

/// Counts what would go on the wire, without allocating.
#[derive(Default)]
struct CountingTx {
    sent: u64,
    bytes: u64,
}

impl Transmit for CountingTx {
    fn transmit(&mut self, _socket: usize, bytes: &[u8]) -> std::io::Result<()> {
        self.sent += 1;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    fn transmit_to(&mut self, socket: usize, bytes: &[u8], _dst: IpAddr, _ttl: u8) -> std::io::Result<()> {
        self.transmit(socket, bytes)
    }
}

fn engine(priority: u8) -> Engine {
    let mut e = Engine::new(Arc::new(NotifyQueue::new(8 * INSTANCES as usize)));
    for i in 0..INSTANCES {
        e.add(config(i, priority, a4(11)), 0).unwrap();
    }
    e
}

#[test]
fn backups_hearing_their_masters_allocate_nothing() {
    let mut e = engine(100);
    let mut tx = CountingTx::default();
    e.start(Instant::ZERO, &mut tx);
    e.effects().for_each(drop);
    // The masters' adverts, built before measuring (a peer at .12 with priority 200).
    let adverts: Vec<(u32, Vec<u8>)> = (0..INSTANCES)
        .map(|i| {
            let peer = Instance::new(config(i, 200, a4(12))).unwrap();
            let mut buf = [0u8; 64];
            let n = peer.write_advert(200, &mut buf).unwrap();
            (1 + i / 255, buf[..n].to_vec())
        })
        .collect();
    let group = IpAddr::V4(vrrp_core::wire::GROUP_V4);
    let (allocs, accepted) = allocations_in(|| {
        let mut accepted = 0u64;
        for second in 1..=10u64 {
            let now = Instant::ZERO + Duration::from_secs(second);
            for (ifindex, bytes) in &adverts {
                let rx = Inbound { ifindex: *ifindex, src: a4(12), dst: group, ttl: 255, payload: bytes };
                if e.on_packet(now, &rx, &mut tx).is_ok() {
                    accepted += 1;
                }
            }
            if e.poll_timeout().is_some_and(|d| d <= now) {
                e.on_timeout(now, &mut tx);
            }
            e.effects().for_each(drop);
        }
        accepted
    });
    assert_eq!(accepted, 10 * u64::from(INSTANCES), "every advert accepted");
    assert!(e.router().iter().all(|(_, i)| i.state() == vrrp_core::State::Backup));
    assert_eq!(allocs, 0, "the receive path allocated {allocs} times");
}

#[test]
fn masters_advertising_on_their_timers_allocate_nothing() {
    let mut e = engine(100);
    let mut tx = CountingTx::default();
    e.start(Instant::ZERO, &mut tx);
    // Nobody else is there: everyone becomes master after Master_Down_Interval.
    let mut now = Instant::ZERO;
    while e.router().iter().any(|(_, i)| i.state() != vrrp_core::State::Master) {
        now = e.poll_timeout().unwrap();
        e.on_timeout(now, &mut tx);
    }
    e.effects().for_each(drop);
    let sent_before = tx.sent;
    let end = now + Duration::from_secs(10);
    let (allocs, ()) = allocations_in(|| {
        while let Some(deadline) = e.poll_timeout().filter(|d| *d <= end) {
            e.on_timeout(deadline, &mut tx);
            e.effects().for_each(drop);
        }
    });
    let sent = tx.sent - sent_before;
    assert!(sent >= 10 * u64::from(INSTANCES), "only {sent} adverts in 10 s");
    assert_eq!(allocs, 0, "the timer/send path allocated {allocs} times");
}

#[test]
fn raw_sockets_send_and_receive_without_allocating() {
    use vrrp_lab::{require_root, Lan, HOST_IFNAME};
    use vrrp_node::net::{RecvError, VrrpSocket};
    if !require_root("zero_alloc::raw_sockets_send_and_receive_without_allocating") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = rt.enter();
    let lan = Lan::builder("zeroalloc")
        .host("a", "192.0.2.11/24", "2001:db8::11/64")
        .host("b", "192.0.2.12/24", "2001:db8::12/64")
        .build()
        .unwrap();
    let payload = [0x31u8, 7, 100, 1, 0, 100, 0xab, 0xcd, 192, 0, 2, 1];
    for family in ["IPv4", "IPv6"] {
        let src = |h: &str| -> IpAddr {
            if family == "IPv4" {
                lan.ipv4(h).unwrap().into()
            } else {
                lan.link_local(h).unwrap().unwrap().into()
            }
        };
        let (sa, sb) = (src("a"), src("b"));
        let a = lan.run_in("a", || VrrpSocket::open(HOST_IFNAME, sa)).unwrap().unwrap();
        let b = lan.run_in("b", || VrrpSocket::open(HOST_IFNAME, sb)).unwrap().unwrap();
        let mut buf = vec![0u8; 4200];
        let mut exchange = |n: usize| -> usize {
            let mut got = 0;
            for _ in 0..n {
                a.try_send(&payload).unwrap();
                for _ in 0..2000 {
                    match b.try_recv(&mut buf) {
                        Ok(rx) => {
                            assert_eq!(rx.payload(&buf), payload);
                            got += 1;
                            break;
                        }
                        Err(RecvError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(std::time::Duration::from_micros(50))
                        }
                        Err(e) => panic!("{family}: {e}"),
                    }
                }
            }
            got
        };
        assert_eq!(exchange(3), 3, "{family}: warm-up");
        let (allocs, got) = allocations_in(|| exchange(1000));
        assert_eq!(got, 1000, "{family}: lost adverts");
        assert_eq!(allocs, 0, "{family}: send/receive allocated {allocs} times");
    }
}

/// The batched path the daemon runs: adverts queued through `Sockets` and sent with one
/// `sendmmsg` per flush, received with `recvmmsg` in batches, IPv4 and IPv6, between two
/// hosts of a lab LAN (needs root); nothing allocated, and fewer syscalls than adverts.
#[test]
fn batched_sends_and_receives_allocate_nothing_and_save_syscalls() {
    use vrrp_core::router::InstanceId;
    use vrrp_lab::{require_root, Lan, HOST_IFNAME};
    use vrrp_node::daemon::socket_io::{SocketIo, Sockets};
    use vrrp_node::net::{RecvBatch, RecvError, VrrpSocket};
    if !require_root("zero_alloc::batched_sends_and_receives_allocate_nothing_and_save_syscalls") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = rt.enter();
    let lan = Lan::builder("zerobatch")
        .host("a", "192.0.2.11/24", "2001:db8::11/64")
        .host("b", "192.0.2.12/24", "2001:db8::12/64")
        .build()
        .unwrap();
    const PER_FLUSH: u16 = 50;
    for family in ["IPv4", "IPv6"] {
        let src = |h: &str| -> IpAddr {
            if family == "IPv4" {
                lan.ipv4(h).unwrap().into()
            } else {
                lan.link_local(h).unwrap().unwrap().into()
            }
        };
        let (sa, sb) = (src("a"), src("b"));
        let a = [lan.run_in("a", || VrrpSocket::open(HOST_IFNAME, sa)).unwrap().unwrap()];
        let b = lan.run_in("b", || VrrpSocket::open(HOST_IFNAME, sb)).unwrap().unwrap();
        let mut sio = SocketIo::new();
        let mut rx = RecvBatch::new(4200);
        let round = |sio: &mut SocketIo, rx: &mut RecvBatch| -> u64 {
            let mut tx = Sockets::new(&a, sio);
            for i in 0..PER_FLUSH {
                let payload = [0x31u8, (i % 255 + 1) as u8, 100, 1, 0, 100, 0xab, 0xcd, 192, 0, 2, 1];
                tx.queue(InstanceId(i), 0, &payload).unwrap();
            }
            tx.flush(&mut |id, kind| panic!("{family}: advert of {id:?} refused: {kind:?}"));
            let mut got = 0u64;
            for _ in 0..4000 {
                match b.try_recv_batch(rx) {
                    Ok(_) => {
                        for (r, buf) in rx.drain() {
                            let r = r.unwrap_or_else(|e: RecvError| panic!("{family}: {e}"));
                            assert_eq!(r.payload(buf).len(), 12, "{family}");
                            assert_eq!(r.ttl_or_hop_limit, 255, "{family}");
                            assert_eq!(r.src, sa, "{family}");
                            got += 1;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if got == u64::from(PER_FLUSH) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_micros(50))
                    }
                    Err(e) => panic!("{family}: {e}"),
                }
            }
            got
        };
        assert_eq!(round(&mut sio, &mut rx), u64::from(PER_FLUSH), "{family}: warm-up");
        let before = sio.counters.clone();
        rx.take_counts();
        let rounds = 20u64;
        let (allocs, got) = allocations_in(|| (0..rounds).map(|_| round(&mut sio, &mut rx)).sum::<u64>());
        assert_eq!(got, rounds * u64::from(PER_FLUSH), "{family}: lost adverts");
        assert_eq!(allocs, 0, "{family}: batched send/receive allocated {allocs} times");
        let sent = sio.counters.adverts_sent - before.adverts_sent;
        let send_calls = sio.counters.send_syscalls - before.send_syscalls;
        assert_eq!(sent, got, "{family}");
        assert_eq!(send_calls, rounds, "{family}: one sendmmsg per flush of {PER_FLUSH}");
        let (recv_calls, datagrams) = rx.take_counts();
        assert_eq!(datagrams, got, "{family}");
        assert!(recv_calls < datagrams, "{family}: {recv_calls} recvmmsg for {datagrams} datagrams");
    }
}
