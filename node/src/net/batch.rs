//! Batched sends and receives on a [`VrrpSocket`]: `sendmmsg(2)` and `recvmmsg(2)`.
//!
//! At many instances and fast adverts the protocol work is small next to the kernel's per
//! syscall cost (issue 16: at 255 × 10 ms, ~66 adverts per wake-up each with its own
//! `sendto`, and a backup making one `recvmsg` per advert). The adverts the core writes in
//! one wake-up go out with one `sendmmsg` per socket, and a readable socket is drained
//! [`RECV_BATCH`] datagrams per `recvmmsg`.
//!
//! nix's [`MultiHeaders`] hold the `mmsghdr` arrays, allocated once. They hold raw
//! pointers (not `Send`), so they live in the daemon's loop, not in the socket; and they
//! are kept per address family for receives, because the kernel writes each header's
//! `msg_namelen` and `msg_controllen` back with what it used and nix does not reset them: a
//! header that received an IPv4 address (16 octets) has no room left for an IPv6 one, and
//! every IPv6 datagram carries the same two control messages (packet info, hop limit).
//! Each message's I/O vector is built on the stack for the call: nothing is allocated per
//! advert or per datagram.

use std::io::{self, IoSlice, IoSliceMut};

use nix::sys::socket::{recvmmsg, sendmmsg, ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage};

use super::raw::{Received, RecvError, VrrpSocket};

/// The most adverts one `sendmmsg` carries; more go in further calls.
pub const SEND_BATCH: usize = 64;

/// The most datagrams one `recvmmsg` takes.
pub const RECV_BATCH: usize = 32;

/// The preallocated headers of `sendmmsg` calls, for any of the daemon's sockets (nix
/// sets each header's address and I/O vector on every call).
#[derive(Debug)]
pub struct SendHeaders(MultiHeaders<SockaddrStorage>);

impl Default for SendHeaders {
    fn default() -> Self {
        SendHeaders(MultiHeaders::preallocate(SEND_BATCH, None))
    }
}

/// What one or more `recvmmsg` calls received, with their buffers and headers. The
/// datagrams of the last call are taken with [`RecvBatch::drain`].
#[derive(Debug)]
pub struct RecvBatch {
    v4: MultiHeaders<SockaddrStorage>,
    v6: MultiHeaders<SockaddrStorage>,
    /// [`RECV_BATCH`] buffers of `buf_len` octets.
    bufs: Vec<u8>,
    buf_len: usize,
    /// The verdict on each datagram received, in order; datagram `i` is in buffer `i`.
    got: Vec<Result<Received, RecvError>>,
    /// `recvmmsg` calls made (those that found nothing included) since [`RecvBatch::take_counts`].
    syscalls: u64,
    /// Datagrams received since [`RecvBatch::take_counts`].
    datagrams: u64,
}

impl RecvBatch {
    /// Buffers of `buf_len` octets each (the largest datagram expected, IP header
    /// included for IPv4).
    pub fn new(buf_len: usize) -> Self {
        RecvBatch {
            v4: MultiHeaders::preallocate(RECV_BATCH, None),
            v6: MultiHeaders::preallocate(RECV_BATCH, Some(nix::cmsg_space!(libc::in6_pktinfo, libc::c_int))),
            bufs: vec![0u8; RECV_BATCH * buf_len],
            buf_len,
            got: Vec::with_capacity(RECV_BATCH),
            syscalls: 0,
            datagrams: 0,
        }
    }

    /// How many datagrams the last call received (and [`RecvBatch::drain`] would yield).
    pub fn len(&self) -> usize {
        self.got.len()
    }

    /// Whether the last call received nothing.
    pub fn is_empty(&self) -> bool {
        self.got.is_empty()
    }

    /// Whether the last call filled every buffer (more may be queued).
    pub fn is_full(&self) -> bool {
        self.got.len() == RECV_BATCH
    }

    /// The datagrams of the last call, oldest first, each with the buffer it is in (for
    /// [`Received::payload`]); empties the batch, keeping its capacity.
    pub fn drain(&mut self) -> impl Iterator<Item = (Result<Received, RecvError>, &[u8])> + '_ {
        let bufs = &self.bufs;
        let len = self.buf_len;
        self.got.drain(..).enumerate().map(move |(i, r)| (r, bufs.get(i * len..(i + 1) * len).unwrap_or_default()))
    }

    /// (`recvmmsg` calls, datagrams) since the last time, and zero again.
    pub fn take_counts(&mut self) -> (u64, u64) {
        (std::mem::take(&mut self.syscalls), std::mem::take(&mut self.datagrams))
    }
}

impl VrrpSocket {
    /// Sends `payloads` (at most [`SEND_BATCH`]; the rest is left) to the group with one
    /// `sendmmsg`, as [`VrrpSocket::try_send`] sends one. `Ok(n)`: the first `n` went
    /// out (the kernel stops at the first it refuses: the caller sends from there again,
    /// which reports that one's error); `Err`: the first was refused. Never blocks.
    pub fn try_send_batch(&self, headers: &mut SendHeaders, payloads: &[&[u8]]) -> io::Result<usize> {
        let n = payloads.len().min(SEND_BATCH);
        if n == 0 {
            return Ok(0);
        }
        let iovs: [[IoSlice<'_>; 1]; SEND_BATCH] =
            std::array::from_fn(|i| [IoSlice::new(payloads.get(i).copied().unwrap_or_default())]);
        let addrs: [Option<SockaddrStorage>; SEND_BATCH] = [Some(self.group_storage()); SEND_BATCH];
        let cmsgs: [ControlMessage<'_>; 0] = [];
        let fd = self.raw_fd();
        let sent = sendmmsg(fd, &mut headers.0, iovs.get(..n).unwrap_or_default(), addrs, cmsgs, MsgFlags::empty())?;
        // nix counts the messages sent only through its iterator, which reads each
        // header's address slot (never written by a send): sound because the slots are
        // `SockaddrStorage`, a union of plain C structs, for which any bytes are valid.
        Ok(sent.count())
    }

    /// Receives up to [`RECV_BATCH`] queued datagrams with one `recvmmsg` into `batch`
    /// (what it held is dropped), each taken apart as [`VrrpSocket::try_recv`] does; the
    /// number received, `WouldBlock` when nothing is queued. Never blocks. The syscall is
    /// made whatever tokio last saw of the socket's readiness (as `try_recv`), so a
    /// datagram that arrived since the reactor last looked is heard.
    pub fn try_recv_batch(&self, batch: &mut RecvBatch) -> io::Result<usize> {
        self.recv_batch_now(batch)
    }

    /// Polls until the socket is readable, then receives as [`VrrpSocket::try_recv_batch`]:
    /// the building block for waiting on many sockets at once without allocating.
    pub fn poll_recv_batch(
        &self,
        cx: &mut std::task::Context<'_>,
        batch: &mut RecvBatch,
    ) -> std::task::Poll<io::Result<usize>> {
        use std::task::Poll;
        loop {
            let mut guard = match self.async_fd().poll_read_ready(cx) {
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match guard.try_io(|_| self.recv_batch_now(batch)) {
                Ok(result) => {
                    // A batch that did not fill emptied the queue: no need for a second
                    // call to learn it (tokio keeps a readiness that arrived meanwhile).
                    if matches!(result, Ok(n) if n < RECV_BATCH) {
                        guard.clear_ready();
                    }
                    return Poll::Ready(result);
                }
                Err(_would_block) => continue,
            }
        }
    }

    fn recv_batch_now(&self, batch: &mut RecvBatch) -> io::Result<usize> {
        batch.got.clear();
        batch.syscalls += 1;
        let v6 = self.source().is_ipv6();
        let RecvBatch { v4, v6: h6, bufs, buf_len, got, datagrams, .. } = batch;
        let len = *buf_len;
        // (length, truncated) of each datagram: IPv4 verdicts read the buffers, which the
        // call's I/O vectors hold until it is over.
        let mut sizes = [(0usize, false); RECV_BATCH];
        let mut n = 0;
        {
            let mut chunks = bufs.chunks_mut(len);
            let mut iovs: [[IoSliceMut<'_>; 1]; RECV_BATCH] =
                std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or_default())]);
            let headers = if v6 { h6 } else { v4 };
            let msgs = recvmmsg(self.raw_fd(), headers, iovs.iter_mut(), MsgFlags::MSG_DONTWAIT, None)?;
            for (msg, size) in msgs.zip(sizes.iter_mut()) {
                let truncated = msg.flags.contains(MsgFlags::MSG_TRUNC);
                *size = (msg.bytes, truncated);
                n += 1;
                if v6 {
                    let src = msg.address.and_then(|a| a.as_sockaddr_in6().map(|a| a.ip()));
                    // A truncated control buffer means no trustworthy hop limit: treated
                    // like missing ancillary data.
                    let cmsgs = msg.cmsgs().into_iter().flatten();
                    got.push(self.finish_v6(msg.bytes, truncated, src, cmsgs));
                }
            }
        }
        if !v6 {
            for (i, (bytes, truncated)) in sizes.iter().take(n).enumerate() {
                let buf = bufs.get(i * len..(i + 1) * len).unwrap_or_default();
                got.push(self.finish_v4(buf, *bytes, *truncated));
            }
        }
        *datagrams += n as u64;
        Ok(n)
    }
}
