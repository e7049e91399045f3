//! The clock and I/O traits, and the one allocation-free pump between them and a [`Router`].
//!
//! The core underneath stays sans-IO: every `Router::handle_*` takes `now`, and its
//! effects are [`Action`]s the caller drains. Every embedding had to write the same loop
//! around that (read the clock, call the router, drain the actions, serialise each
//! advert into a buffer, send it, change the addresses). [`Driver`] is that loop, once:
//! an embedding implements [`Clock`] (what time it is) and [`Io`] (send an advert, add or
//! remove the VIPs, announce them, hear about a state change) and calls the driver's
//! input methods; the driver reads `now` from the clock, feeds the router and pumps every
//! action the input caused into the `Io`, in the order the router queued them.
//!
//! The driver owns the router and one advert buffer of [`wire::MAX_PACKET_LEN`] bytes
//! and allocates nothing. Whoever wants the sans-IO API keeps it: [`Driver::router`] and
//! [`Driver::router_mut`] hand out the router (an input made directly on it is pumped by
//! the next driver call, or by [`Driver::pump`]).
//!
//! ```
//! use core::net::{IpAddr, Ipv4Addr};
//! use vrrp_core::{Driver, Instance, InstanceConfig, InstanceId, Instant, Io, Reason, State};
//! use vrrp_core::wire::Version;
//!
//! /// A board's I/O: here it only remembers what it was asked to do.
//! #[derive(Default)]
//! struct Board { sent: usize, vips_up: bool, state: Option<State> }
//!
//! impl Io for Board {
//!     fn send_advert(&mut self, _: InstanceId, _: &Instance, _advert: &[u8]) { self.sent += 1 }
//!     fn add_vips(&mut self, _: InstanceId, _: &Instance) { self.vips_up = true }
//!     fn remove_vips(&mut self, _: InstanceId, _: &Instance) { self.vips_up = false }
//!     fn announce(&mut self, _: InstanceId, _: &Instance) {}
//!     fn state_changed(&mut self, _: InstanceId, _: &Instance, _: State, to: State, _: Reason) {
//!         self.state = Some(to)
//!     }
//! }
//!
//! let me = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11));
//! let mut cfg = InstanceConfig::new(1, 51, Version::V3, me);
//! cfg.vips.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))).unwrap();
//! let mut driver: Driver<1> = Driver::new();
//! driver.add(cfg).unwrap();
//! let mut board = Board::default();
//! driver.start_all(&Instant::ZERO, &mut board);
//! assert_eq!(board.state, Some(State::Backup));
//! // Nobody else advertises: at the deadline the backup takes over (RFC 9568 §6.4.2).
//! let deadline = driver.next_deadline().unwrap();
//! driver.on_timer(&deadline, &mut board);
//! assert_eq!((board.state, board.vips_up, board.sent), (Some(State::Master), true, 1));
//! ```

use core::net::IpAddr;

use crate::config::{ConfigError, InstanceConfig};
use crate::instance::{Accepted, Action, Instance, Reason, ReconfigureError, State};
use crate::router::{AddError, Discarded, InstanceId, Router};
use crate::time::Instant;
use crate::wire;

/// A monotonic clock: microseconds from an arbitrary origin, never going backwards.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;
}

/// An instant is the clock that always reads it: for callers that already know `now`
/// (a simulator's virtual time, an event loop's timestamp), `driver.on_timer(&now, io)`.
impl Clock for Instant {
    fn now(&self) -> Instant {
        *self
    }
}

/// What the protocol does to the world. Every method gets the instance it is about, so an
/// implementation finds the interface (`instance.config().ifindex`), the family and the
/// VIPs (`instance.config().vips`) there rather than keeping its own copy.
pub trait Io {
    /// Send `advert` (the VRRP message, without the IP header) from the instance's
    /// interface to the VRRP group ([`wire::Family::group`]) with TTL / hop limit 255,
    /// IP protocol 112 (RFC 9568 §5.1). Must not block.
    fn send_advert(&mut self, id: InstanceId, instance: &Instance, advert: &[u8]);

    /// Add the instance's virtual addresses to its interface (it became master).
    fn add_vips(&mut self, id: InstanceId, instance: &Instance);

    /// Remove the instance's virtual addresses from its interface.
    fn remove_vips(&mut self, id: InstanceId, instance: &Instance);

    /// Announce the VIPs: gratuitous ARP for IPv4, unsolicited Neighbor Advertisement for
    /// IPv6 (RFC 9568 §6.4.2).
    fn announce(&mut self, id: InstanceId, instance: &Instance);

    /// The instance went from `from` to `to` (it is in `to` already) for `reason`.
    fn state_changed(&mut self, id: InstanceId, instance: &Instance, from: State, to: State, reason: Reason);

    /// The router asked for an advert the core could not serialise (the configuration
    /// cannot be represented on the wire). Never happens with a validated configuration;
    /// the default ignores it.
    fn advert_failed(&mut self, id: InstanceId, instance: &Instance, error: wire::Error) {
        let _ = (id, instance, error);
    }
}

/// One received VRRP packet, as the IP stack hands it over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inbound<'a> {
    /// The interface it arrived on (the `ifindex` of [`InstanceConfig`]).
    pub ifindex: u32,
    /// IP source address.
    pub src: IpAddr,
    /// IP destination address (the VRRP group, normally).
    pub dst: IpAddr,
    /// TTL / hop limit as received (RFC 9568 §7.1 requires 255).
    pub ttl: u8,
    /// The IP payload: the VRRP message (IP protocol 112).
    pub bytes: &'a [u8],
}

/// A [`Router`] of up to `N` instances with its advert buffer: feeds inputs stamped by a
/// [`Clock`] and pumps the resulting actions into an [`Io`].
#[derive(Debug)]
pub struct Driver<const N: usize> {
    router: Router<N>,
    buf: [u8; wire::MAX_PACKET_LEN],
}

impl<const N: usize> Default for Driver<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Driver<N> {
    /// A driver around an empty router.
    pub fn new() -> Self {
        Driver { router: Router::new(), buf: [0; wire::MAX_PACKET_LEN] }
    }

    /// A driver around an existing router (its pending actions are pumped by the next call).
    pub fn with_router(router: Router<N>) -> Self {
        Driver { router, buf: [0; wire::MAX_PACKET_LEN] }
    }

    /// The router, for reading state, counters and instances.
    pub fn router(&self) -> &Router<N> {
        &self.router
    }

    /// The router itself, for the sans-IO API. Actions it queues are pumped by the next
    /// driver call or by [`Driver::pump`].
    pub fn router_mut(&mut self) -> &mut Router<N> {
        &mut self.router
    }

    /// Adds an instance (in Initialize); start it with [`Driver::start`] or [`Driver::start_all`].
    pub fn add(&mut self, cfg: InstanceConfig) -> Result<InstanceId, AddError> {
        self.router.add(cfg)
    }

    /// Adds an instance that already runs, as it is ([`Router::adopt`]).
    pub fn adopt(&mut self, instance: Instance) -> Result<InstanceId, AddError> {
        self.router.adopt(instance)
    }

    /// Applies a new configuration to a running instance ([`Instance::reconfigure`]).
    pub fn reconfigure(
        &mut self,
        clock: &impl Clock,
        io: &mut impl Io,
        id: InstanceId,
        cfg: InstanceConfig,
        priority: u8,
    ) -> Result<(), ReconfigureError> {
        let result = self.router.reconfigure(clock.now(), id, cfg, priority);
        self.pump(io);
        result
    }

    /// Startup event for every instance (RFC 9568 §6.4.1).
    pub fn start_all(&mut self, clock: &impl Clock, io: &mut impl Io) {
        self.router.start_all(clock.now());
        self.pump(io);
    }

    /// Startup event for one instance.
    pub fn start(&mut self, clock: &impl Clock, io: &mut impl Io, id: InstanceId) {
        self.router.start(clock.now(), id);
        self.pump(io);
    }

    /// Shutdown event for every instance: masters send priority 0 (RFC 9568 §6.4.3).
    pub fn shutdown_all(&mut self, clock: &impl Clock, io: &mut impl Io) {
        self.router.shutdown_all(clock.now());
        self.pump(io);
    }

    /// Shutdown event for one instance.
    pub fn shutdown(&mut self, clock: &impl Clock, io: &mut impl Io, id: InstanceId) {
        self.router.shutdown(clock.now(), id);
        self.pump(io);
    }

    /// The operator hands instance `id`'s mastership over ([`Instance::handle_handover`]).
    pub fn handover(&mut self, clock: &impl Clock, io: &mut impl Io, id: InstanceId) {
        self.router.handover(clock.now(), id);
        self.pump(io);
    }

    /// Someone else removed one of instance `id`'s VIPs ([`Instance::handle_vip_removed`]).
    pub fn vip_removed(&mut self, clock: &impl Clock, io: &mut impl Io, id: InstanceId) {
        self.router.vip_removed(clock.now(), id);
        self.pump(io);
    }

    /// Whether any instance still holds its VIPs: after a shutdown, keep feeding packets and
    /// timers until this is false, so each master hands over before it goes (make-before-break).
    pub fn holds_any_vips(&self) -> bool {
        self.router.holds_any_vips()
    }

    /// A VRRP packet arrived (see [`Inbound`]). Returns what the router made of it.
    pub fn on_packet(
        &mut self,
        clock: &impl Clock,
        io: &mut impl Io,
        packet: Inbound<'_>,
    ) -> Result<(InstanceId, Accepted), Discarded> {
        let Inbound { ifindex, src, dst, ttl, bytes } = packet;
        let result = self.router.handle_packet(clock.now(), ifindex, src, dst, ttl, bytes);
        self.pump(io);
        result
    }

    /// Fires every timer due by now (nothing if none is) and returns the next deadline:
    /// call it again then, or at the latest after any other input.
    pub fn on_timer(&mut self, clock: &impl Clock, io: &mut impl Io) -> Option<Instant> {
        let now = clock.now();
        if self.router.poll_timeout().is_some_and(|d| d <= now) {
            self.router.handle_timeout(now);
        }
        self.pump(io);
        self.router.poll_timeout()
    }

    /// The interface `ifindex` went up or down (down: keepalived's FAULT).
    pub fn on_link(&mut self, clock: &impl Clock, io: &mut impl Io, ifindex: u32, up: bool) {
        self.router.handle_link(clock.now(), ifindex, up);
        self.pump(io);
    }

    /// Changes an instance's effective priority (tracking).
    pub fn set_priority(
        &mut self,
        clock: &impl Clock,
        io: &mut impl Io,
        id: InstanceId,
        priority: u8,
    ) -> Result<(), ConfigError> {
        let result = self.router.set_priority(clock.now(), id, priority);
        self.pump(io);
        result
    }

    /// Tracking puts an instance in FAULT (`true`) or lets it out (`false`).
    pub fn set_tracking_fault(&mut self, clock: &impl Clock, io: &mut impl Io, id: InstanceId, fault: bool) {
        self.router.set_tracking_fault(clock.now(), id, fault);
        self.pump(io);
    }

    /// The earliest deadline of any instance: when [`Driver::on_timer`] must next run.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.router.poll_timeout()
    }

    /// Carries out every pending action, oldest first; returns how many there were.
    pub fn pump(&mut self, io: &mut impl Io) -> usize {
        let mut count = 0;
        while let Some((id, action)) = self.router.poll_action() {
            count += 1;
            let Some(instance) = self.router.get(id) else {
                continue;
            };
            match action {
                Action::SendAdvert { priority } => match instance.write_advert(priority, &mut self.buf) {
                    Ok(n) => match self.buf.get(..n) {
                        Some(bytes) => io.send_advert(id, instance, bytes),
                        None => io.advert_failed(id, instance, wire::Error::Unrepresentable),
                    },
                    Err(e) => io.advert_failed(id, instance, e),
                },
                Action::AddVips => io.add_vips(id, instance),
                Action::RemoveVips => io.remove_vips(id, instance),
                Action::Announce => io.announce(id, instance),
                Action::StateChanged { from, to, reason } => io.state_changed(id, instance, from, to, reason),
            }
        }
        count
    }
}

#[cfg(test)]
mod tests;
