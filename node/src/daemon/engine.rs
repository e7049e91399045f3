//! The daemon's protocol path, without I/O: the [`Router`] plus what turns its actions
//! into bytes on the wire. Synchronous and allocation-free after construction, so the
//! steady state — an advert in, the core, an advert out, timers — can be proven to
//! allocate nothing (`node/tests/zero_alloc.rs`), at 1020 instances.
//!
//! Adverts are sent at once through [`Transmit`]; the rare, slow effects (netlink address
//! changes, gratuitous ARP bursts) and the failures the loop must report (an advert the
//! socket refused) are queued as [`Effect`]s for the async loop; state changes go to the
//! notifier thread through the bounded [`NotifyQueue`].

use std::net::IpAddr;

use vrrp_core::instance::{Accepted, Reason};
use vrrp_core::router::{AddError, Discarded, InstanceId};
use vrrp_core::{Action, InstanceConfig, Instant, Router, State};

use crate::sync::{facade::Arc, NotifyQueue};

/// keepalived's practical ceiling, and what the core is benchmarked with.
pub const MAX_INSTANCES: usize = 1024;

/// The most effects one instance queues between two drains by the loop.
pub const EFFECTS_PER_INSTANCE: usize = 4;

/// Sends advert bytes on one of the daemon's sockets.
pub trait Transmit {
    /// Sends `bytes` to the VRRP group on socket `socket`; must not block.
    fn transmit(&mut self, socket: usize, bytes: &[u8]) -> std::io::Result<()>;
}

/// One received VRRP packet, as the socket layer delivers it.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// Interface it arrived on.
    pub ifindex: u32,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// TTL / hop limit as received.
    pub ttl: u8,
    /// The VRRP bytes.
    pub payload: &'a [u8],
}

/// Work for the async loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Add the instance's VIPs.
    AddVips(InstanceId),
    /// Remove the instance's VIPs.
    RemoveVips(InstanceId),
    /// Gratuitous ARP / unsolicited NA for the instance's VIPs.
    Announce(InstanceId),
    /// An advert of this instance was not sent: the socket refused it (or, never in
    /// practice, it did not fit the buffer: `InvalidInput`). Counted and logged by the loop.
    SendFailed(InstanceId, std::io::ErrorKind),
}

/// A state change, for the notifier thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// An instance changed state.
    State {
        /// Which.
        instance: InstanceId,
        /// From.
        from: State,
        /// To.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// The daemon is stopping: the notifier drains and exits.
    Stop,
}

/// The protocol path.
#[derive(Debug)]
pub struct Engine {
    router: Box<Router<MAX_INSTANCES>>,
    /// Socket index of each instance, by instance id.
    socket_of: Vec<usize>,
    effects: Vec<Effect>,
    tx_buf: Box<[u8]>,
    notices: Arc<NotifyQueue<Notice>>,
}

impl Engine {
    /// An engine with no instance; `notices` receives state changes.
    pub fn new(notices: Arc<NotifyQueue<Notice>>) -> Self {
        Engine {
            router: Box::default(),
            socket_of: Vec::with_capacity(MAX_INSTANCES),
            // Worst case: every instance changes state at once (three effects each) and
            // its advert fails to go out (a fourth).
            effects: Vec::with_capacity(EFFECTS_PER_INSTANCE * MAX_INSTANCES),
            tx_buf: vec![0u8; vrrp_core::wire::MAX_PACKET_LEN].into_boxed_slice(),
            notices,
        }
    }

    /// Adds an instance that sends on socket `socket`.
    pub fn add(&mut self, cfg: InstanceConfig, socket: usize) -> Result<InstanceId, AddError> {
        let id = self.router.add(cfg)?;
        self.socket_of.push(socket);
        Ok(id)
    }

    /// The core router (for status).
    pub fn router(&self) -> &Router<MAX_INSTANCES> {
        &self.router
    }

    /// Startup event for every instance.
    pub fn start(&mut self, now: Instant, tx: &mut impl Transmit) {
        self.router.start_all(now);
        self.drain(tx);
    }

    /// Shutdown event for every instance (masters send priority 0).
    pub fn shutdown(&mut self, now: Instant, tx: &mut impl Transmit) {
        self.router.shutdown_all(now);
        self.drain(tx);
    }

    /// A received VRRP payload.
    pub fn on_packet(
        &mut self,
        now: Instant,
        rx: &Inbound<'_>,
        tx: &mut impl Transmit,
    ) -> Result<(InstanceId, Accepted), Discarded> {
        let result = self.router.handle_packet(now, rx.ifindex, rx.src, rx.dst, rx.ttl, rx.payload);
        self.drain(tx);
        result
    }

    /// The earliest deadline passed.
    pub fn on_timeout(&mut self, now: Instant, tx: &mut impl Transmit) {
        self.router.handle_timeout(now);
        self.drain(tx);
    }

    /// An interface went up or down.
    pub fn on_link(&mut self, now: Instant, ifindex: u32, up: bool, tx: &mut impl Transmit) {
        self.router.handle_link(now, ifindex, up);
        self.drain(tx);
    }

    /// When [`Engine::on_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.router.poll_timeout()
    }

    /// Takes the queued effects, oldest first (keeps the buffer's capacity).
    pub fn effects(&mut self) -> std::vec::Drain<'_, Effect> {
        self.effects.drain(..)
    }

    fn drain(&mut self, tx: &mut impl Transmit) {
        while let Some((id, action)) = self.router.poll_action() {
            match action {
                Action::SendAdvert { priority } => {
                    let socket = self.socket_of.get(usize::from(id.0)).copied().unwrap_or(0);
                    let sent = match self.router.write_advert(id, priority, &mut self.tx_buf) {
                        Ok(n) => match self.tx_buf.get(..n) {
                            Some(bytes) => tx.transmit(socket, bytes).map_err(|e| e.kind()),
                            None => Err(std::io::ErrorKind::InvalidInput),
                        },
                        Err(_) => Err(std::io::ErrorKind::InvalidInput),
                    };
                    if let Err(kind) = sent {
                        self.effects.push(Effect::SendFailed(id, kind));
                    }
                }
                Action::StateChanged { from, to, reason } => {
                    self.notices.push(Notice::State { instance: id, from, to, reason });
                }
                Action::AddVips => self.effects.push(Effect::AddVips(id)),
                Action::RemoveVips => self.effects.push(Effect::RemoveVips(id)),
                Action::Announce => self.effects.push(Effect::Announce(id)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use vrrp_core::wire::Version;

    /// A socket that refuses everything, as a full send buffer would.
    struct Refusing(usize);

    impl Transmit for Refusing {
        fn transmit(&mut self, _socket: usize, _bytes: &[u8]) -> std::io::Result<()> {
            self.0 += 1;
            Err(std::io::ErrorKind::WouldBlock.into())
        }
    }

    #[test]
    fn a_refused_advert_is_reported_forward_as_an_effect() {
        let mut engine = Engine::new(Arc::new(NotifyQueue::new(8)));
        // Priority 255 (address owner): MASTER at once, so the start sends an advert.
        let mut cfg = InstanceConfig::new(3, 7, Version::V3, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)));
        cfg.priority = 255;
        cfg.vips.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))).unwrap();
        let id = engine.add(cfg, 0).unwrap();
        let mut tx = Refusing(0);
        engine.start(Instant::ZERO, &mut tx);
        assert_eq!(tx.0, 1, "one advert was attempted");
        let effects: Vec<Effect> = engine.effects().collect();
        assert!(effects.contains(&Effect::SendFailed(id, std::io::ErrorKind::WouldBlock)), "{effects:?}");
        assert!(effects.contains(&Effect::AddVips(id)), "{effects:?}");
        // Reported once: the queue is drained.
        assert_eq!(engine.effects().count(), 0);
    }
}
