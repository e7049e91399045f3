//! An in-memory LAN for smoltcp interfaces: every IP packet one port sends reaches every
//! other port, except ports that are cut off (they neither send nor receive). A tap keeps
//! the last packets put on the wire, so a test can look at what the routers exchanged.
//! No allocation: fixed queues, packets dropped when a queue is full, as a NIC would.

use heapless::{Deque, Vec};
use smoltcp::phy::{Device, DeviceCapabilities, Medium as SmolMedium, RxToken, TxToken};
use smoltcp::time::Instant;

/// The largest packet.
pub const MTU: usize = 1500;
/// Packets queued per port before the medium drops.
pub const QUEUE: usize = 16;
/// Packets the tap keeps.
pub const TAP: usize = 64;

/// One IP packet.
pub type Frame = Vec<u8, MTU>;

/// `P` ports on one segment.
#[derive(Debug)]
pub struct Medium<const P: usize> {
    queues: [Deque<Frame, QUEUE>; P],
    cut: [bool; P],
    tap: Deque<Tapped, TAP>,
}

/// A packet as the tap saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tapped {
    /// The port that sent it.
    pub from: usize,
    /// Whether it reached the other ports (false: the sender was cut off).
    pub delivered: bool,
    /// The IP packet.
    pub frame: Frame,
}

impl<const P: usize> Default for Medium<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const P: usize> Medium<P> {
    /// A segment with every port connected.
    pub fn new() -> Self {
        Medium { queues: core::array::from_fn(|_| Deque::new()), cut: [false; P], tap: Deque::new() }
    }

    /// Cuts port `port` off the segment (`true`) or reconnects it.
    pub fn cut(&mut self, port: usize, cut: bool) {
        if let Some(c) = self.cut.get_mut(port) {
            *c = cut;
        }
    }

    /// The smoltcp device of port `port`.
    pub fn port(&mut self, port: usize) -> Port<'_, P> {
        Port { medium: self, index: port }
    }

    /// The oldest packet the tap still holds.
    pub fn tapped(&mut self) -> Option<Tapped> {
        self.tap.pop_front()
    }

    fn send(&mut self, from: usize, frame: &[u8]) {
        let delivered = !self.cut.get(from).copied().unwrap_or(true);
        if delivered {
            for (to, q) in self.queues.iter_mut().enumerate() {
                if to != from && !self.cut.get(to).copied().unwrap_or(true) {
                    if let Ok(f) = Frame::from_slice(frame) {
                        // A full queue drops the packet, as a NIC's ring would.
                        let _ = q.push_back(f);
                    }
                }
            }
        }
        if self.tap.is_full() {
            self.tap.pop_front();
        }
        if let Ok(frame) = Frame::from_slice(frame) {
            let _ = self.tap.push_back(Tapped { from, delivered, frame });
        }
    }
}

/// One port, as a smoltcp [`Device`] (`Medium::Ip`: the packets are IP packets).
#[derive(Debug)]
pub struct Port<'m, const P: usize> {
    medium: &'m mut Medium<P>,
    index: usize,
}

/// A received packet.
#[derive(Debug)]
pub struct Rx(Frame);

/// Room to send one packet.
#[derive(Debug)]
pub struct Tx<'a, const P: usize> {
    medium: &'a mut Medium<P>,
    from: usize,
}

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl<const P: usize> TxToken for Tx<'_, P> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = [0u8; MTU];
        let frame = &mut buf[..len.min(MTU)];
        let r = f(frame);
        self.medium.send(self.from, frame);
        r
    }
}

impl<const P: usize> Device for Port<'_, P> {
    type RxToken<'a>
        = Rx
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a, P>
    where
        Self: 'a;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx<'_, P>)> {
        let cut = self.medium.cut.get(self.index).copied().unwrap_or(true);
        let queue = self.medium.queues.get_mut(self.index)?;
        if cut {
            queue.clear();
            return None;
        }
        let frame = queue.pop_front()?;
        Some((Rx(frame), Tx { medium: self.medium, from: self.index }))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_, P>> {
        Some(Tx { medium: self.medium, from: self.index })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = SmolMedium::Ip;
        caps.max_transmission_unit = MTU;
        caps
    }
}
