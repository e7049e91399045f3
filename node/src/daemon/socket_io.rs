//! The daemon's sockets as the engine's [`Transmit`], batched: the group adverts one input
//! makes (a timer expiry firing tens of masters at once, at many instances) are queued
//! per socket and go out with one `sendmmsg(2)` per socket when the engine flushes, at
//! the end of that input; and the I/O counters `vrrpctl status` shows, so that syscalls
//! per advert can be read.
//!
//! Unicast copies (keepalived's `unicast_peer`) stay on the one-`sendmsg`-per-copy path:
//! each has its own destination and its own `IP_PKTINFO` / TTL control messages, which
//! nix's `sendmmsg` would share across a call; they are rare next to group adverts.
//!
//! Nothing here allocates after [`SocketIo::new`]: the adverts are copied into a
//! preallocated arena; one that finds it full goes out at once, as before batching.

use std::io;
use std::net::IpAddr;

use vrrp_core::router::InstanceId;

use super::engine::{Transmit, MAX_INSTANCES};
use crate::control::status::IoCounters;
use crate::net::{SendHeaders, VrrpSocket, SEND_BATCH};

/// Octets of queued adverts held before the next one is sent at once: 1024 adverts of a
/// VRRPv3 instance with a few IPv4 VIPs (20–40 octets each) fit.
const ARENA: usize = 64 * 1024;

/// One queued advert.
#[derive(Debug, Clone, Copy)]
struct Queued {
    id: InstanceId,
    socket: usize,
    start: usize,
    len: usize,
}

/// The send queue, the `sendmmsg` headers and the I/O counters; one per daemon.
#[derive(Debug)]
pub struct SocketIo {
    arena: Vec<u8>,
    queued: Vec<Queued>,
    headers: SendHeaders,
    /// Since start (or the last `vrrpctl stats --clear`).
    pub counters: IoCounters,
}

impl SocketIo {
    /// An empty queue with its buffers allocated.
    pub fn new() -> Self {
        SocketIo {
            arena: Vec::with_capacity(ARENA),
            queued: Vec::with_capacity(MAX_INSTANCES),
            headers: SendHeaders::default(),
            counters: IoCounters::default(),
        }
    }
}

impl Default for SocketIo {
    fn default() -> Self {
        Self::new()
    }
}

/// The daemon's sockets and its [`SocketIo`], for one engine input.
#[derive(Debug)]
pub struct Sockets<'a> {
    sockets: &'a [VrrpSocket],
    io: &'a mut SocketIo,
}

impl<'a> Sockets<'a> {
    /// `sockets` (by the engine's socket index) sending through `io`.
    pub fn new(sockets: &'a [VrrpSocket], io: &'a mut SocketIo) -> Self {
        Sockets { sockets, io }
    }

    fn count(&mut self, result: &io::Result<()>) {
        self.io.counters.send_syscalls += 1;
        if result.is_ok() {
            self.io.counters.adverts_sent += 1;
        }
    }

    /// The queued adverts of socket `s`, in order, in calls of up to [`SEND_BATCH`].
    fn flush_socket(&mut self, s: usize, failed: &mut dyn FnMut(InstanceId, io::ErrorKind)) {
        let SocketIo { arena, queued, headers, counters } = &mut *self.io;
        let Some(sock) = self.sockets.get(s) else {
            queued.iter().filter(|q| q.socket == s).for_each(|q| failed(q.id, io::ErrorKind::NotFound));
            return;
        };
        let mut pending = queued.iter().filter(|q| q.socket == s);
        loop {
            let mut ids = [InstanceId(0); SEND_BATCH];
            let mut bytes: [&[u8]; SEND_BATCH] = [&[]; SEND_BATCH];
            let mut k = 0;
            for (q, (id, b)) in pending.by_ref().take(SEND_BATCH).zip(ids.iter_mut().zip(bytes.iter_mut())) {
                *id = q.id;
                *b = arena.get(q.start..q.start + q.len).unwrap_or_default();
                k += 1;
            }
            if k == 0 {
                return;
            }
            let mut done = 0;
            while done < k {
                counters.send_syscalls += 1;
                let (first, rest) =
                    (ids.get(done).copied().unwrap_or(InstanceId(0)), bytes.get(done..k).unwrap_or_default());
                match sock.try_send_batch(headers, rest) {
                    Ok(0) => {
                        failed(first, io::ErrorKind::WriteZero);
                        done += 1;
                    }
                    Ok(n) => {
                        counters.adverts_sent += n as u64;
                        done += n;
                    }
                    // The kernel refused this one; the ones after it are tried again.
                    Err(e) => {
                        failed(first, e.kind());
                        done += 1;
                    }
                }
            }
        }
    }
}

impl Transmit for Sockets<'_> {
    fn transmit(&mut self, socket: usize, bytes: &[u8]) -> io::Result<()> {
        let result = match self.sockets.get(socket) {
            Some(s) => s.try_send(bytes),
            None => return Err(io::Error::other("no such socket")),
        };
        self.count(&result);
        result
    }

    fn transmit_to(&mut self, socket: usize, bytes: &[u8], dst: IpAddr, ttl: u8) -> io::Result<()> {
        let result = match self.sockets.get(socket) {
            Some(s) => s.try_send_to(bytes, dst, ttl),
            None => return Err(io::Error::other("no such socket")),
        };
        self.count(&result);
        result
    }

    fn queue(&mut self, id: InstanceId, socket: usize, bytes: &[u8]) -> io::Result<()> {
        let io = &mut *self.io;
        let start = io.arena.len();
        if start + bytes.len() > io.arena.capacity() || io.queued.len() == io.queued.capacity() {
            return self.transmit(socket, bytes);
        }
        io.arena.extend_from_slice(bytes);
        io.queued.push(Queued { id, socket, start, len: bytes.len() });
        Ok(())
    }

    fn flush(&mut self, failed: &mut dyn FnMut(InstanceId, io::ErrorKind)) {
        if self.io.queued.is_empty() {
            return;
        }
        // By socket index: few per daemon (one per interface and family).
        let last = self.io.queued.iter().map(|q| q.socket).max().unwrap_or(0);
        for s in 0..=last {
            if self.io.queued.iter().any(|q| q.socket == s) {
                self.flush_socket(s, failed);
            }
        }
        self.io.queued.clear();
        self.io.arena.clear();
    }
}
