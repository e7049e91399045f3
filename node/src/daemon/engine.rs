//! The daemon's protocol path, without I/O: the core's [`Driver`] (a [`Router`] and its
//! advert buffer) pumping into [`DaemonIo`], the daemon's implementation of the core's
//! [`Io`] trait: what turns the core's actions into bytes on the wire and work for the loop. Synchronous and allocation-free after construction, so the
//! steady state — an advert in, the core, an advert out, timers — can be proven to
//! allocate nothing (`node/tests/zero_alloc.rs`), at 1020 instances.
//!
//! Adverts are queued through [`Transmit`] and flushed at the end of each input (the
//! daemon sends one input's adverts with one `sendmmsg` per socket); the rare, slow effects (netlink address
//! changes, gratuitous ARP bursts) and the failures the loop must report (an advert the
//! socket refused) are queued as [`Effect`]s for the async loop; state changes go to the
//! notifier thread through the bounded [`NotifyQueue`]. A master never seen before is an
//! effect too ([`Effect::MasterSeen`]): recording it in the instance's set of distinct
//! masters allocates, so the loop does it ([`Engine::record_master`]).

use std::collections::BTreeSet;
use std::net::IpAddr;

use vrrp_core::driver::{Driver, Inbound as CoreInbound, Io};
use vrrp_core::instance::{Accepted, MasterInfo, Reason};
use vrrp_core::router::{AddError, Discarded, GroupError, GroupId, InstanceId};
use vrrp_core::{Instance, InstanceConfig, Instant, Router, State};

use crate::sync::{facade::Arc, NotifyQueue};

/// An instance's configured advert interval (not the one a backup learns from its master).
fn configured_interval(cfg: &InstanceConfig) -> vrrp_core::Duration {
    vrrp_core::Duration::from_centis(cfg.advert_interval_cs.into())
}

/// keepalived's practical ceiling, and what the core is benchmarked with.
pub const MAX_INSTANCES: usize = 1024;

/// The most effects one instance queues between two drains by the loop.
pub const EFFECTS_PER_INSTANCE: usize = 5;

/// Distinct masters recorded per instance ([`Engine::distinct_masters`]); past this many
/// the count stays there (it reads "this many or more").
pub const MAX_DISTINCT_MASTERS: usize = 64;

/// Sends advert bytes on one of the daemon's sockets.
pub trait Transmit {
    /// Sends `bytes` to the VRRP group on socket `socket`; must not block.
    fn transmit(&mut self, socket: usize, bytes: &[u8]) -> std::io::Result<()>;

    /// Sends `bytes` to the unicast address `dst` on socket `socket` with TTL / hop limit
    /// `ttl` (keepalived's `unicast_peer` and `unicast_ttl`); must not block.
    fn transmit_to(&mut self, socket: usize, bytes: &[u8], dst: IpAddr, ttl: u8) -> std::io::Result<()>;

    /// Queues `bytes`, an advert of instance `id`, for the VRRP group on socket `socket`:
    /// the engine calls [`Transmit::flush`] at the end of each input, so the adverts one
    /// wake-up makes go out together (the daemon's: one `sendmmsg` per socket). Must not
    /// block or allocate. Default: sent at once with [`Transmit::transmit`].
    fn queue(&mut self, id: InstanceId, socket: usize, bytes: &[u8]) -> std::io::Result<()> {
        let _ = id;
        self.transmit(socket, bytes)
    }

    /// Sends what [`Transmit::queue`] holds; `failed` hears of each advert refused, with
    /// its instance. Default: nothing is held.
    fn flush(&mut self, failed: &mut dyn FnMut(InstanceId, std::io::ErrorKind)) {
        let _ = failed;
    }
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
    /// The instance's master (itself when it became master) is now this address, another
    /// than the last one the engine saw for it: the loop records it with
    /// [`Engine::record_master`].
    MasterSeen(InstanceId, IpAddr),
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
        /// The instance's master after the change ([`vrrp_core::Instance::master`]):
        /// itself when MASTER, none in INIT and FAULT, and leaving MASTER for a
        /// [`Reason::HigherPriority`] advert, the router that took over.
        master: Option<MasterInfo>,
        /// The instance's own (effective) priority.
        priority: u8,
    },
    /// A master heard an advert with a lower priority than its own (keepalived's
    /// `notify_master_rx_lower_pri`); at most one per [`LOWER_PRIORITY_NOTICE_SPACING`].
    LowerPriority {
        /// Which.
        instance: InstanceId,
        /// The instance's own (effective) priority.
        priority: u8,
    },
    /// A sync group changed state (keepalived's `send_group_notifies`).
    Group {
        /// Which (its index in the running file's `vrrp_sync_group`s).
        group: GroupId,
        /// From.
        from: State,
        /// To.
        to: State,
    },
    /// The daemon is stopping: the notifier drains and exits.
    Stop,
}

/// The least time between two [`Notice::LowerPriority`] of one instance: the LAN is
/// untrusted, and a flood of lower-priority adverts must not become a flood of scripts.
pub const LOWER_PRIORITY_NOTICE_SPACING: vrrp_core::Duration = vrrp_core::Duration::from_millis(1000);

/// The protocol path.
#[derive(Debug)]
pub struct Engine {
    driver: Box<Driver<MAX_INSTANCES>>,
    /// Socket index of each instance, by instance id.
    socket_of: Vec<usize>,
    effects: Vec<Effect>,
    notices: Arc<NotifyQueue<Notice>>,
    /// The master address last reported in an [`Effect::MasterSeen`], by instance id.
    last_master: Vec<Option<IpAddr>>,
    /// The distinct masters recorded, by instance id (at most [`MAX_DISTINCT_MASTERS`]).
    masters: Vec<BTreeSet<IpAddr>>,
    /// When each instance last sent a [`Notice::LowerPriority`].
    last_lower: Vec<Option<Instant>>,
    /// State changes by instance, then by (new state, reason): [`TRANSITION_KINDS`] slots each.
    transitions: Vec<[u64; TRANSITION_KINDS]>,
    /// Sync group names, by group id.
    group_names: Vec<String>,
    /// The shortest configured advert interval of the instances.
    shortest_interval: Option<vrrp_core::Duration>,
}

/// The engine's bookkeeping of one instance beside the core, carried over a reload.
#[derive(Debug, Clone)]
pub struct Carried {
    last_master: Option<IpAddr>,
    masters: BTreeSet<IpAddr>,
    last_lower: Option<Instant>,
    transitions: [u64; TRANSITION_KINDS],
}

impl Default for Carried {
    fn default() -> Self {
        Carried { last_master: None, masters: BTreeSet::new(), last_lower: None, transitions: [0; TRANSITION_KINDS] }
    }
}

/// One counter per (new state, reason) pair.
pub const TRANSITION_KINDS: usize = State::ALL.len() * Reason::ALL.len();

fn transition_slot(to: State, reason: Reason) -> usize {
    let state = State::ALL.iter().position(|s| *s == to).unwrap_or(0);
    state * Reason::ALL.len() + reason.index()
}

impl Engine {
    /// An engine with no instance; `notices` receives state changes.
    pub fn new(notices: Arc<NotifyQueue<Notice>>) -> Self {
        Engine {
            driver: Box::default(),
            socket_of: Vec::with_capacity(MAX_INSTANCES),
            // Worst case: every instance changes state at once (three effects each), its
            // advert fails to go out (a fourth) and its master is a new one (a fifth).
            effects: Vec::with_capacity(EFFECTS_PER_INSTANCE * MAX_INSTANCES),
            notices,
            last_master: Vec::with_capacity(MAX_INSTANCES),
            masters: Vec::with_capacity(MAX_INSTANCES),
            last_lower: Vec::with_capacity(MAX_INSTANCES),
            transitions: Vec::with_capacity(MAX_INSTANCES),
            group_names: Vec::new(),
            shortest_interval: None,
        }
    }

    /// Adds an instance that sends on socket `socket`.
    pub fn add(&mut self, cfg: InstanceConfig, socket: usize) -> Result<InstanceId, AddError> {
        let interval = configured_interval(&cfg);
        let id = self.driver.add(cfg)?;
        self.shortest_interval = Some(self.shortest_interval.map_or(interval, |s| s.min(interval)));
        self.socket_of.push(socket);
        self.last_master.push(None);
        self.masters.push(BTreeSet::new());
        self.last_lower.push(None);
        self.transitions.push([0; TRANSITION_KINDS]);
        Ok(id)
    }

    /// Adds an instance that already runs, as it is, with the daemon's own bookkeeping of
    /// it (a reload: [`Engine::carried`] of the old engine), sending on socket `socket`.
    pub fn adopt(&mut self, instance: Instance, carried: Carried, socket: usize) -> Result<InstanceId, AddError> {
        let interval = configured_interval(instance.config());
        let id = self.driver.adopt(instance)?;
        self.shortest_interval = Some(self.shortest_interval.map_or(interval, |s| s.min(interval)));
        self.socket_of.push(socket);
        self.last_master.push(carried.last_master);
        self.masters.push(carried.masters);
        self.last_lower.push(carried.last_lower);
        self.transitions.push(carried.transitions);
        Ok(id)
    }

    /// What the engine keeps of instance `id` beside the core (for [`Engine::adopt`]).
    pub fn carried(&self, id: InstanceId) -> Carried {
        let i = usize::from(id.0);
        Carried {
            last_master: self.last_master.get(i).copied().flatten(),
            masters: self.masters.get(i).cloned().unwrap_or_default(),
            last_lower: self.last_lower.get(i).copied().flatten(),
            transitions: self.transitions.get(i).copied().unwrap_or([0; TRANSITION_KINDS]),
        }
    }

    /// Carries the router-wide counters over from the engine this one replaces.
    pub fn restore_router_stats(&mut self, stats: vrrp_core::RouterStats) {
        self.driver.router_mut().restore_stats(stats);
    }

    /// A reload gave instance `id` new settings ([`vrrp_core::Instance::reconfigure`]).
    pub fn reconfigure(
        &mut self,
        now: Instant,
        id: InstanceId,
        cfg: InstanceConfig,
        priority: u8,
        tx: &mut impl Transmit,
    ) -> Result<(), vrrp_core::ReconfigureError> {
        let (driver, mut io) = self.split(tx);
        let result = driver.reconfigure(&now, &mut io, id, cfg, priority);
        self.flush(tx);
        self.shortest_interval = self.router().iter().map(|(_, i)| configured_interval(i.config())).min();
        result
    }

    /// How late the timer is armed after [`Engine::poll_timeout`]: the coalescing slack
    /// for the shortest configured advert interval ([`super::clock::coalescing_slack`]).
    pub fn coalescing_slack(&self) -> vrrp_core::Duration {
        super::clock::coalescing_slack(self.shortest_interval)
    }

    /// Shutdown event for one instance (a reload removed it: a master says goodbye).
    pub fn shutdown_one(&mut self, now: Instant, id: InstanceId, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.shutdown(&now, &mut io, id);
        self.flush(tx);
    }

    /// Makes `members` the sync group `name` ([`Router::add_sync_group`]); `state` is the
    /// group's state before (a reload), INIT for a new one.
    pub fn add_sync_group(
        &mut self,
        now: Instant,
        name: &str,
        members: &[InstanceId],
        state: State,
        tx: &mut impl Transmit,
    ) -> Result<GroupId, GroupError> {
        let (driver, mut io) = self.split(tx);
        let id = driver.router_mut().add_sync_group(now, members, state)?;
        driver.pump(&mut io);
        self.flush(tx);
        self.group_names.push(name.to_string());
        Ok(id)
    }

    /// After the groups are added: instances in none leave the group they were in before a
    /// reload ([`Router::release_ungrouped`]).
    pub fn release_ungrouped(&mut self, now: Instant, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.router_mut().release_ungrouped(now);
        driver.pump(&mut io);
        self.flush(tx);
    }

    /// The state of the sync group named `name`, if there is one.
    pub fn group_state_by_name(&self, name: &str) -> Option<State> {
        let g = self.group_names.iter().position(|n| n == name)?;
        self.router().group_state(GroupId(u16::try_from(g).ok()?))
    }

    /// The sync group names, by group id.
    pub fn group_names(&self) -> &[String] {
        &self.group_names
    }

    /// Hands the sync group state changes the last inputs made to the notifier.
    pub fn flush_group_changes(&mut self) {
        while let Some(c) = self.driver.router_mut().poll_group_change() {
            self.notices.push(Notice::Group { group: c.group, from: c.from, to: c.to });
        }
    }

    /// The core router (for status).
    pub fn router(&self) -> &Router<MAX_INSTANCES> {
        self.driver.router()
    }

    /// Startup event for every instance.
    pub fn start(&mut self, now: Instant, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.start_all(&now, &mut io);
        self.flush(tx);
    }

    /// Startup event for one instance (one that tracking held back at start).
    pub fn start_one(&mut self, now: Instant, id: InstanceId, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.start(&now, &mut io, id);
        self.flush(tx);
    }

    /// Tracking changed an instance's effective priority (a master advertises it at once).
    pub fn set_priority(
        &mut self,
        now: Instant,
        id: InstanceId,
        priority: u8,
        tx: &mut impl Transmit,
    ) -> Result<(), vrrp_core::ConfigError> {
        let (driver, mut io) = self.split(tx);
        let result = driver.set_priority(&now, &mut io, id, priority);
        self.flush(tx);
        result
    }

    /// Tracking puts an instance in FAULT or lets it out.
    pub fn set_tracking_fault(&mut self, now: Instant, id: InstanceId, fault: bool, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.set_tracking_fault(&now, &mut io, id, fault);
        self.flush(tx);
    }

    /// Shutdown event for every instance (masters send priority 0).
    pub fn shutdown(&mut self, now: Instant, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.shutdown_all(&now, &mut io);
        self.flush(tx);
    }

    /// The operator hands instance `id`'s mastership over (`vrrpctl handover`).
    pub fn handover(&mut self, now: Instant, id: InstanceId, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.handover(&now, &mut io, id);
        self.flush(tx);
    }

    /// Someone else removed one of instance `id`'s tracked VIPs
    /// ([`vrrp_core::Instance::handle_vip_removed`]).
    pub fn vip_removed(&mut self, now: Instant, id: InstanceId, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.vip_removed(&now, &mut io, id);
        self.flush(tx);
    }

    /// Sets every counter back to zero: the core's (per instance and router-wide) and the
    /// transitions by reason (keepalived's STATS_CLEAR, `vrrpctl stats --clear`).
    pub fn clear_stats(&mut self) {
        self.driver.router_mut().clear_stats();
        self.transitions.iter_mut().for_each(|t| *t = [0; TRANSITION_KINDS]);
    }

    /// Whether any instance still holds its VIPs: after [`Engine::shutdown`] the loop keeps
    /// running until the handovers end ([`vrrp_core::Instance::releasing`]).
    pub fn holds_any_vips(&self) -> bool {
        self.driver.holds_any_vips()
    }

    /// A received VRRP payload.
    pub fn on_packet(
        &mut self,
        now: Instant,
        rx: &Inbound<'_>,
        tx: &mut impl Transmit,
    ) -> Result<(InstanceId, Accepted), Discarded> {
        let inbound = CoreInbound { ifindex: rx.ifindex, src: rx.src, dst: rx.dst, ttl: rx.ttl, bytes: rx.payload };
        let (driver, mut io) = self.split(tx);
        let result = driver.on_packet(&now, &mut io, inbound);
        self.flush(tx);
        if let Ok((id, accepted)) = &result {
            // A backup follows a new master without changing state.
            self.observe_master(*id);
            self.notice_lower_priority(now, *id, accepted.priority);
        }
        result
    }

    /// The earliest deadline passed.
    pub fn on_timeout(&mut self, now: Instant, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.on_timer(&now, &mut io);
        self.flush(tx);
    }

    /// An interface went up or down.
    pub fn on_link(&mut self, now: Instant, ifindex: u32, up: bool, tx: &mut impl Transmit) {
        let (driver, mut io) = self.split(tx);
        driver.on_link(&now, &mut io, ifindex, up);
        self.flush(tx);
    }

    /// When [`Engine::on_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.driver.next_deadline()
    }

    /// Records `addr` among the distinct masters of `id` (an [`Effect::MasterSeen`]):
    /// allocates for a new address, until [`MAX_DISTINCT_MASTERS`].
    pub fn record_master(&mut self, id: InstanceId, addr: IpAddr) {
        if let Some(set) = self.masters.get_mut(usize::from(id.0)) {
            if set.len() < MAX_DISTINCT_MASTERS {
                set.insert(addr);
            }
        }
    }

    /// How many distinct masters (itself included, once it has been master) instance `id`
    /// has known since start, counted up to [`MAX_DISTINCT_MASTERS`].
    pub fn distinct_masters(&self, id: InstanceId) -> usize {
        self.masters.get(usize::from(id.0)).map_or(0, BTreeSet::len)
    }

    /// Instance `id`'s state changes since start, by new state and reason (only the pairs
    /// that happened).
    pub fn transitions(&self, id: InstanceId) -> impl Iterator<Item = (State, Reason, u64)> + '_ {
        let counts = self.transitions.get(usize::from(id.0));
        State::ALL.into_iter().flat_map(|to| Reason::ALL.into_iter().map(move |r| (to, r))).filter_map(
            move |(to, r)| {
                let n = *counts?.get(transition_slot(to, r))?;
                (n > 0).then_some((to, r, n))
            },
        )
    }

    /// A master that heard `heard` below its own priority tells the notifier, spaced.
    fn notice_lower_priority(&mut self, now: Instant, id: InstanceId, heard: u8) {
        let Some(inst) = self.driver.router().get(id) else { return };
        if inst.state() != State::Master || heard >= inst.priority() || heard == 0 {
            return;
        }
        let priority = inst.priority();
        let Some(last) = self.last_lower.get_mut(usize::from(id.0)) else { return };
        if last.is_some_and(|t| now.saturating_since(t) < LOWER_PRIORITY_NOTICE_SPACING) {
            return;
        }
        *last = Some(now);
        self.notices.push(Notice::LowerPriority { instance: id, priority });
    }

    /// Queues [`Effect::MasterSeen`] if `id`'s master is not the one last reported.
    fn observe_master(&mut self, id: InstanceId) {
        let Some(instance) = self.driver.router().get(id) else { return };
        observe_master(&mut self.last_master, &mut self.effects, id, instance);
    }

    /// Sends the adverts the last input queued ([`Transmit::flush`]); the refused ones
    /// become [`Effect::SendFailed`] of their instance.
    fn flush(&mut self, tx: &mut impl Transmit) {
        let effects = &mut self.effects;
        tx.flush(&mut |id, kind| effects.push(Effect::SendFailed(id, kind)));
    }

    /// The driver, and the [`Io`] the daemon gives it for one input (borrowing the other fields).
    fn split<'a, T: Transmit>(&'a mut self, tx: &'a mut T) -> (&'a mut Driver<MAX_INSTANCES>, DaemonIo<'a, T>) {
        let io = DaemonIo {
            tx,
            socket_of: &self.socket_of,
            effects: &mut self.effects,
            notices: &self.notices,
            transitions: &mut self.transitions,
            last_master: &mut self.last_master,
        };
        (&mut self.driver, io)
    }

    /// Takes the queued effects, oldest first (keeps the buffer's capacity).
    pub fn effects(&mut self) -> std::vec::Drain<'_, Effect> {
        self.effects.drain(..)
    }
}

/// Queues [`Effect::MasterSeen`] if `instance`'s master is not the one last reported.
fn observe_master(last_master: &mut [Option<IpAddr>], effects: &mut Vec<Effect>, id: InstanceId, instance: &Instance) {
    let Some(master) = instance.master() else { return };
    let Some(last) = last_master.get_mut(usize::from(id.0)) else { return };
    if *last != Some(master.address) {
        *last = Some(master.address);
        effects.push(Effect::MasterSeen(id, master.address));
    }
}

/// The daemon's [`Io`]: adverts are queued for the instance's socket (unicast copies go
/// out at once); the slow effects
/// (netlink, announcements) and refused sends are queued for the loop; state changes are
/// counted and go to the notifier. Allocation-free: the effect buffer keeps its capacity.
struct DaemonIo<'a, T: Transmit> {
    tx: &'a mut T,
    socket_of: &'a [usize],
    effects: &'a mut Vec<Effect>,
    notices: &'a NotifyQueue<Notice>,
    transitions: &'a mut [[u64; TRANSITION_KINDS]],
    last_master: &'a mut [Option<IpAddr>],
}

impl<T: Transmit> Io for DaemonIo<'_, T> {
    fn send_advert(&mut self, id: InstanceId, instance: &Instance, advert: &[u8]) {
        let socket = self.socket_of.get(usize::from(id.0)).copied().unwrap_or(0);
        let cfg = instance.config();
        if !cfg.is_unicast() {
            if let Err(e) = self.tx.queue(id, socket, advert) {
                self.effects.push(Effect::SendFailed(id, e.kind()));
            }
            return;
        }
        // keepalived vrrp.c `vrrp_send_adv`: one copy per peer, each with its own
        // destination (and so, where the checksum covers the pseudo-header, its own
        // checksum: vrrp.c 380-440 `vrrp_update_pkt`). One failure report per advert.
        let mut failed = None;
        for peer in &cfg.unicast_peers {
            let mut copy = [0u8; vrrp_core::wire::MAX_PACKET_LEN];
            let bytes = match copy.get_mut(..advert.len()) {
                Some(out) if checksum_covers_destination(cfg) => {
                    out.copy_from_slice(advert);
                    retarget_checksum(out, cfg.family().group(), peer.address);
                    &*out
                }
                _ => advert,
            };
            if let Err(e) = self.tx.transmit_to(socket, bytes, peer.address, cfg.unicast_ttl) {
                failed.get_or_insert(e.kind());
            }
        }
        if let Some(kind) = failed {
            self.effects.push(Effect::SendFailed(id, kind));
        }
    }

    fn advert_failed(&mut self, id: InstanceId, _: &Instance, _: vrrp_core::wire::Error) {
        self.effects.push(Effect::SendFailed(id, std::io::ErrorKind::InvalidInput));
    }

    fn add_vips(&mut self, id: InstanceId, _: &Instance) {
        self.effects.push(Effect::AddVips(id));
    }

    fn remove_vips(&mut self, id: InstanceId, _: &Instance) {
        self.effects.push(Effect::RemoveVips(id));
    }

    fn announce(&mut self, id: InstanceId, _: &Instance) {
        self.effects.push(Effect::Announce(id));
    }

    fn state_changed(&mut self, id: InstanceId, instance: &Instance, from: State, to: State, reason: Reason) {
        if let Some(slot) =
            self.transitions.get_mut(usize::from(id.0)).and_then(|c| c.get_mut(transition_slot(to, reason)))
        {
            *slot = slot.saturating_add(1);
        }
        // The instance is already in `to`: one input queues at most one change.
        let (master, priority) = (instance.master(), instance.priority());
        self.notices.push(Notice::State { instance: id, from, to, reason, master, priority });
        observe_master(self.last_master, self.effects, id, instance);
    }
}

/// Whether the advert's checksum sums the IP pseudo-header, destination included: IPv6
/// always (RFC 9568 §5.2.8), VRRPv3 over IPv4 in the pseudo-header form (keepalived's),
/// never VRRPv2 (RFC 3768 §5.3.8).
fn checksum_covers_destination(cfg: &InstanceConfig) -> bool {
    use vrrp_core::wire::{ChecksumForm, Family, Version};
    cfg.family() == Family::Ipv6 || (cfg.version == Version::V3 && cfg.checksum_form == ChecksumForm::PseudoHeader)
}

/// Rewrites the checksum (octets 6..8) of an advert summed with destination `from` into
/// the one for destination `to` (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')). The core
/// writes adverts for the group; a unicast copy goes to each peer.
fn retarget_checksum(advert: &mut [u8], from: IpAddr, to: IpAddr) {
    fn words(addr: IpAddr) -> impl Iterator<Item = u16> {
        let octets: ([u8; 16], usize) = match addr {
            IpAddr::V4(a) => {
                let mut o = [0u8; 16];
                o[..4].copy_from_slice(&a.octets());
                (o, 4)
            }
            IpAddr::V6(a) => (a.octets(), 16),
        };
        (0..octets.1 / 2).map(move |i| u16::from_be_bytes([octets.0[2 * i], octets.0[2 * i + 1]]))
    }
    let Some(field) = advert.get_mut(6..8) else { return };
    let old = u16::from_be_bytes([field[0], field[1]]);
    let mut sum = u64::from(!old);
    sum += words(from).map(|w| u64::from(!w)).sum::<u64>();
    sum += words(to).map(u64::from).sum::<u64>();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let new = !(sum as u16);
    field.copy_from_slice(&new.to_be_bytes());
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

        fn transmit_to(&mut self, socket: usize, bytes: &[u8], _: IpAddr, _: u8) -> std::io::Result<()> {
            self.transmit(socket, bytes)
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

    /// Sends nothing anywhere, successfully.
    struct Quiet;

    impl Transmit for Quiet {
        fn transmit(&mut self, _socket: usize, _bytes: &[u8]) -> std::io::Result<()> {
            Ok(())
        }

        fn transmit_to(&mut self, _: usize, _: &[u8], _: IpAddr, _: u8) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn a4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    fn v3(priority: u8, primary: IpAddr) -> InstanceConfig {
        let mut cfg = InstanceConfig::new(3, 7, Version::V3, primary);
        cfg.priority = priority;
        cfg.vips.push(a4(1)).unwrap();
        cfg
    }

    /// An advert from `primary` with `priority`, as the engine receives it.
    fn hear(engine: &mut Engine, now: Instant, primary: IpAddr, priority: u8) {
        let peer = vrrp_core::Instance::new(v3(priority, primary)).unwrap();
        let mut buf = [0u8; 64];
        let n = peer.write_advert(priority, &mut buf).unwrap();
        let rx =
            Inbound { ifindex: 3, src: primary, dst: vrrp_core::wire::GROUP_V4.into(), ttl: 255, payload: &buf[..n] };
        engine.on_packet(now, &rx, &mut Quiet).unwrap();
    }

    fn masters_seen(engine: &mut Engine) -> Vec<IpAddr> {
        let seen: Vec<(InstanceId, IpAddr)> = engine
            .effects()
            .filter_map(|e| match e {
                Effect::MasterSeen(id, addr) => Some((id, addr)),
                _ => None,
            })
            .collect();
        // What the loop does with them.
        for &(id, addr) in &seen {
            engine.record_master(id, addr);
        }
        seen.into_iter().map(|(_, addr)| addr).collect()
    }

    /// Every state change is counted by the state entered and its reason, per instance.
    #[test]
    fn transitions_are_counted_by_state_and_reason() {
        let mut engine = Engine::new(Arc::new(NotifyQueue::new(16)));
        let a = engine.add(v3(101, a4(11)), 0).unwrap();
        engine.start(Instant::ZERO, &mut Quiet);
        let down = engine.poll_timeout().unwrap();
        engine.on_timeout(down, &mut Quiet);
        engine.set_tracking_fault(down, a, true, &mut Quiet);
        engine.set_tracking_fault(down, a, false, &mut Quiet);
        let got: Vec<(State, Reason, u64)> = engine.transitions(a).collect();
        assert_eq!(
            got,
            [
                (State::Backup, Reason::Startup, 1),
                (State::Backup, Reason::TrackingRecovered, 1),
                (State::Master, Reason::MasterNoResponse, 1),
                (State::Fault, Reason::TrackingFault, 1),
            ]
        );
        assert_eq!(engine.transitions(InstanceId(9)).count(), 0, "no such instance");
    }

    #[test]
    fn each_new_master_is_reported_once_and_counted() {
        let notices = Arc::new(NotifyQueue::new(16));
        let mut engine = Engine::new(Arc::clone(&notices));
        let id = engine.add(v3(101, a4(11)), 0).unwrap();
        engine.start(Instant::ZERO, &mut Quiet);
        assert_eq!(masters_seen(&mut engine), Vec::<IpAddr>::new(), "a backup that has heard no one knows no master");
        hear(&mut engine, Instant::from_millis(100), a4(12), 200);
        hear(&mut engine, Instant::from_millis(1100), a4(12), 200);
        assert_eq!(masters_seen(&mut engine), [a4(12)], "reported once, not per advert");
        // .12 goes silent: we become master, and count ourselves.
        let down = engine.poll_timeout().unwrap();
        engine.on_timeout(down, &mut Quiet);
        assert_eq!(masters_seen(&mut engine), [a4(11)]);
        // A spoofed priority-255 advert takes over.
        hear(&mut engine, down + vrrp_core::Duration::from_millis(10), a4(100), 255);
        assert_eq!(masters_seen(&mut engine), [a4(100)]);
        // .12 again: a change, but not a new master.
        hear(&mut engine, down + vrrp_core::Duration::from_millis(20), a4(12), 200);
        assert_eq!(masters_seen(&mut engine), [a4(12)]);
        assert_eq!(engine.distinct_masters(id), 3);
        assert_eq!(engine.router().get(id).unwrap().stats().master_changes, 3);
        // The notifier learns who took over from us.
        let notices: Vec<Notice> = std::iter::from_fn(|| notices.try_pop()).collect();
        let takeover =
            notices.iter().find(|n| matches!(n, Notice::State { from: State::Master, to: State::Backup, .. })).unwrap();
        let Notice::State { reason, master, priority, .. } = takeover else { unreachable!() };
        assert_eq!(*reason, Reason::HigherPriority);
        assert_eq!(master.map(|m| (m.address, m.priority)), Some((a4(100), 255)));
        assert_eq!(*priority, 101);
    }

    #[test]
    fn distinct_masters_stop_counting_at_the_cap() {
        let mut engine = Engine::new(Arc::new(NotifyQueue::new(8)));
        let id = engine.add(v3(101, a4(11)), 0).unwrap();
        for last in 1..=100 {
            engine.record_master(id, a4(last));
            engine.record_master(id, a4(last));
        }
        assert_eq!(engine.distinct_masters(id), MAX_DISTINCT_MASTERS);
        assert_eq!(engine.distinct_masters(InstanceId(9)), 0, "no such instance");
    }

    /// Keeps what would go on the wire to unicast peers.
    #[derive(Default)]
    struct Recorder {
        group: usize,
        unicast: Vec<(IpAddr, u8, Vec<u8>)>,
    }

    impl Transmit for Recorder {
        fn transmit(&mut self, _: usize, _: &[u8]) -> std::io::Result<()> {
            self.group += 1;
            Ok(())
        }

        fn transmit_to(&mut self, _: usize, bytes: &[u8], dst: IpAddr, ttl: u8) -> std::io::Result<()> {
            self.unicast.push((dst, ttl, bytes.to_vec()));
            Ok(())
        }
    }

    /// An owner (MASTER at start, so it advertises at once) listing `peers`.
    fn unicast_owner(version: Version, primary: IpAddr, vip: IpAddr, peers: &[IpAddr]) -> Recorder {
        let mut cfg = InstanceConfig::new(3, 7, version, primary);
        cfg.priority = 255;
        cfg.vips.push(vip).unwrap();
        cfg.unicast_ttl = 64;
        for p in peers {
            cfg.unicast_peers.push(vrrp_core::config::UnicastPeer::new(*p)).unwrap();
        }
        let mut engine = Engine::new(Arc::new(NotifyQueue::new(8)));
        engine.add(cfg, 0).unwrap();
        let mut tx = Recorder::default();
        engine.start(Instant::ZERO, &mut tx);
        tx
    }

    fn verifies(bytes: &[u8], src: IpAddr, dst: IpAddr) -> bool {
        use vrrp_core::wire::{AdvertRepr, ChecksumContext, Packet};
        AdvertRepr::parse(&Packet::new_unchecked(bytes), &ChecksumContext { src, dst }).is_ok()
    }

    /// keepalived vrrp.c `vrrp_send_adv` / `vrrp_update_pkt`: one copy per peer, each
    /// checksummed for its own destination where the pseudo-header counts (VRRPv3 over
    /// IPv4 in keepalived's form, and IPv6), with `unicast_ttl`; nothing to the group.
    #[test]
    fn keepalived_unicast_adverts_go_to_each_peer_with_their_own_checksum() {
        let ll = |last: u16| IpAddr::V6(std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last));
        let vip6 = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        let cases = [
            (Version::V3, a4(11), a4(1), [a4(12), a4(13)], true),
            (Version::V3, ll(11), vip6, [ll(12), ll(0xfffe)], true),
            (Version::V2, a4(11), a4(1), [a4(12), a4(200)], false),
        ];
        for (version, primary, vip, peers, covered) in cases {
            let tx = unicast_owner(version, primary, vip, &peers);
            assert_eq!(tx.group, 0, "{version:?}: nothing to the group");
            let sent: Vec<(IpAddr, u8)> = tx.unicast.iter().map(|(d, t, _)| (*d, *t)).collect();
            assert_eq!(sent, [(peers[0], 64), (peers[1], 64)], "{version:?}");
            let group = vrrp_core::wire::Family::of(&primary).group();
            for (dst, _, bytes) in &tx.unicast {
                assert!(verifies(bytes, primary, *dst), "{version:?} to {dst}: checksum for its destination");
                // The group's checksum would not do (so the check above can fail).
                assert_eq!(verifies(bytes, primary, group), !covered, "{version:?} to {dst}");
            }
        }
    }

    /// Holds queued adverts until the flush, refusing the ones of instances in `refuse`.
    #[derive(Default)]
    struct Batching {
        held: Vec<(InstanceId, usize)>,
        flushes: Vec<usize>,
        refuse: Vec<InstanceId>,
    }

    impl Transmit for Batching {
        fn transmit(&mut self, _: usize, _: &[u8]) -> std::io::Result<()> {
            panic!("group adverts are queued");
        }

        fn transmit_to(&mut self, _: usize, _: &[u8], _: IpAddr, _: u8) -> std::io::Result<()> {
            Ok(())
        }

        fn queue(&mut self, id: InstanceId, socket: usize, _: &[u8]) -> std::io::Result<()> {
            self.held.push((id, socket));
            Ok(())
        }

        fn flush(&mut self, failed: &mut dyn FnMut(InstanceId, std::io::ErrorKind)) {
            self.flushes.push(self.held.len());
            for (id, _) in self.held.drain(..) {
                if self.refuse.contains(&id) {
                    failed(id, std::io::ErrorKind::WouldBlock);
                }
            }
        }
    }

    /// The adverts of every master due at one expiry are flushed together, once, at the end
    /// of that input; a refused one is reported for its own instance.
    #[test]
    fn one_expiry_flushes_its_adverts_together_and_reports_each_refusal() {
        let mut engine = Engine::new(Arc::new(NotifyQueue::new(64)));
        let ids: Vec<InstanceId> = (1..=10u8)
            .map(|vrid| {
                let mut cfg = InstanceConfig::new(3, vrid, Version::V3, a4(11));
                cfg.priority = 255;
                cfg.vips.push(a4(vrid)).unwrap();
                engine.add(cfg, usize::from(vrid % 2)).unwrap()
            })
            .collect();
        let mut tx = Batching { refuse: vec![ids[3]], ..Batching::default() };
        engine.start(Instant::ZERO, &mut tx);
        assert_eq!(tx.flushes, [10], "the ten owners' first adverts, in one flush");
        let failed: Vec<Effect> = engine.effects().filter(|e| matches!(e, Effect::SendFailed(..))).collect();
        assert_eq!(failed, [Effect::SendFailed(ids[3], std::io::ErrorKind::WouldBlock)]);
        // All ten are due at the same instant: one expiry, one flush of ten.
        let due = engine.poll_timeout().unwrap();
        engine.on_timeout(due, &mut tx);
        assert_eq!(tx.flushes, [10, 10]);
        assert!(tx.held.is_empty());
    }

    #[test]
    fn a_multicast_instance_sends_to_the_group_only() {
        let tx = unicast_owner(Version::V3, a4(11), a4(1), &[]);
        assert_eq!((tx.group, tx.unicast.len()), (1, 0));
    }
}
