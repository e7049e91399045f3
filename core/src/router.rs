//! Many virtual routers behind one receive path and one timer.
//!
//! `vrrpd` runs up to 1020 instances (keepalived's practical ceiling), so nothing per packet
//! or per tick may be O(n): packets are dispatched by binary search over a sorted
//! (interface, VRID, family) index, deadlines live in an indexed binary heap whose top is
//! the earliest, and instances with pending actions sit in a ready queue.

use core::net::IpAddr;

use heapless::{Deque, Vec};

use crate::config::{ConfigError, InstanceConfig};
use crate::instance::{Accepted, Action, Instance, ReconfigureError, RxError, State};
use crate::stats::{bump, RouterStats};
use crate::time::Instant;
use crate::wire::{self, Family, Packet};

/// A handle to an instance in a [`Router`]: its insertion index, stable for the router's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub u16);

/// Why [`Router::add`] refused an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The router holds its capacity already.
    Full,
    /// Another instance has the same interface, VRID and family.
    Duplicate(InstanceId),
    /// The configuration is invalid.
    Config(ConfigError),
}

/// A discarded packet: which instance it was for, if it got that far, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Discarded {
    /// The instance the packet was matched to.
    pub instance: Option<InstanceId>,
    /// The failed check.
    pub error: RxError,
}

/// A handle to a sync group in a [`Router`]: its insertion index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub u16);

/// Why [`Router::add_sync_group`] refused a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupError {
    /// The router holds as many groups as instances already, or the group has no member.
    Full,
    /// No such instance.
    Unknown(InstanceId),
    /// The instance is in a group already (keepalived vrrp_sync.c:69 refuses it too).
    AlreadyGrouped(InstanceId),
}

/// A sync group's state changed (keepalived's group notify: `notify_master` & co with
/// "GROUP" as $1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupChange {
    /// The group.
    pub group: GroupId,
    /// Previous state.
    pub from: State,
    /// New state.
    pub to: State,
}

/// A sync group: its members form a ring through `Router::next_member`.
#[derive(Clone, Copy, Debug)]
struct Group {
    first: u16,
    state: State,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    ifindex: u32,
    vrid: u8,
    family: Family,
}

/// Up to `N` virtual routers (N ≤ 65535).
#[derive(Debug)]
pub struct Router<const N: usize> {
    instances: Vec<Instance, N>,
    /// (key, id) sorted by key.
    index: Vec<(Key, u16), N>,
    timers: DeadlineHeap<N>,
    ready: Deque<u16, N>,
    queued: Vec<bool, N>,
    stats: RouterStats,
    /// Sync groups (keepalived `vrrp_sync_group`).
    groups: Vec<Group, N>,
    /// Per instance: its group, if any.
    group_of: Vec<Option<u16>, N>,
    /// Per instance: the next member of its group (a ring; itself when alone or ungrouped).
    next_member: Vec<u16, N>,
    /// Group state changes not polled yet.
    group_changes: Deque<GroupChange, N>,
}

impl<const N: usize> Default for Router<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Router<N> {
    /// An empty router.
    pub fn new() -> Self {
        Router {
            instances: Vec::new(),
            index: Vec::new(),
            timers: DeadlineHeap::new(),
            ready: Deque::new(),
            queued: Vec::new(),
            stats: RouterStats::default(),
            groups: Vec::new(),
            group_of: Vec::new(),
            next_member: Vec::new(),
            group_changes: Deque::new(),
        }
    }

    /// Adds an instance (in Initialize).
    pub fn add(&mut self, cfg: InstanceConfig) -> Result<InstanceId, AddError> {
        let (key, at) = self.free_slot(&cfg)?;
        let instance = Instance::new(cfg).map_err(AddError::Config)?;
        self.insert(at, key, instance)
    }

    /// Adds an instance that already runs, as it is: its state, timers, counters and
    /// whether it holds its VIPs (a configuration reload carries the routers whose
    /// configuration did not change, and the ones being reconfigured, into a new router).
    /// Its pending deadline is scheduled here.
    pub fn adopt(&mut self, instance: Instance) -> Result<InstanceId, AddError> {
        let (key, at) = self.free_slot(instance.config())?;
        let id = self.insert(at, key, instance)?;
        self.apply(id.0, |_| ());
        Ok(id)
    }

    /// The key of a virtual router configured as `cfg` and where it goes in the index;
    /// [`AddError::Duplicate`] if the router has it already.
    fn free_slot(&self, cfg: &InstanceConfig) -> Result<(Key, usize), AddError> {
        let (ifindex, vrid, family) = cfg.identity();
        let key = Key { ifindex, vrid, family };
        match self.index.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => Err(AddError::Duplicate(InstanceId(self.index.get(i).map_or(0, |(_, id)| *id)))),
            Err(at) => Ok((key, at)),
        }
    }

    fn insert(&mut self, at: usize, key: Key, instance: Instance) -> Result<InstanceId, AddError> {
        let id = u16::try_from(self.instances.len()).map_err(|_| AddError::Full)?;
        if self.instances.is_full() || self.index.is_full() || self.queued.is_full() {
            return Err(AddError::Full);
        }
        self.instances.push(instance).map_err(|_| AddError::Full)?;
        self.queued.push(false).map_err(|_| AddError::Full)?;
        self.group_of.push(None).map_err(|_| AddError::Full)?;
        self.next_member.push(id).map_err(|_| AddError::Full)?;
        self.index.insert(at, (key, id)).map_err(|_| AddError::Full)?;
        Ok(InstanceId(id))
    }

    /// Carries router-wide counters over (a reload builds a new router).
    pub fn restore_stats(&mut self, stats: RouterStats) {
        self.stats = stats;
    }

    /// Applies a new configuration to instance `id` ([`Instance::reconfigure`]).
    pub fn reconfigure(
        &mut self,
        now: Instant,
        id: InstanceId,
        cfg: InstanceConfig,
        priority: u8,
    ) -> Result<(), ReconfigureError> {
        self.with(now, id.0, |i| i.reconfigure(now, cfg, priority)).unwrap_or(Ok(()))
    }

    /// Number of instances.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// True when the router has no instance.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// An instance.
    pub fn get(&self, id: InstanceId) -> Option<&Instance> {
        self.instances.get(usize::from(id.0))
    }

    /// All instances with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (InstanceId, &Instance)> {
        self.instances.iter().enumerate().map(|(i, inst)| (InstanceId(i as u16), inst))
    }

    /// Router-wide counters.
    pub fn stats(&self) -> &RouterStats {
        &self.stats
    }

    /// The instance for (interface, VRID, family), by binary search.
    pub fn lookup(&self, ifindex: u32, vrid: u8, family: Family) -> Option<InstanceId> {
        let key = Key { ifindex, vrid, family };
        let i = self.index.binary_search_by(|(k, _)| k.cmp(&key)).ok()?;
        self.index.get(i).map(|(_, id)| InstanceId(*id))
    }

    /// Runs `f` on one instance, then refreshes its deadline and ready-queue entry, then
    /// applies its sync group's rule, if it is in one.
    fn with<R>(&mut self, now: Instant, id: u16, f: impl FnOnce(&mut Instance) -> R) -> Option<R> {
        let out = self.apply(id, f)?;
        if let Some(g) = self.group_of.get(usize::from(id)).copied().flatten() {
            self.sync_group(now, g);
        }
        Some(out)
    }

    /// Runs `f` on one instance, then refreshes its deadline and ready-queue entry.
    fn apply<R>(&mut self, id: u16, f: impl FnOnce(&mut Instance) -> R) -> Option<R> {
        let inst = self.instances.get_mut(usize::from(id))?;
        let out = f(inst);
        let deadline = inst.poll_timeout();
        let has_actions = inst.has_actions();
        self.timers.set(id, deadline);
        if has_actions {
            if let Some(q) = self.queued.get_mut(usize::from(id)) {
                if !*q && self.ready.push_back(id).is_ok() {
                    *q = true;
                }
            }
        }
        Some(out)
    }

    /// Makes `members` one sync group (keepalived `vrrp_sync_group`): from now on they
    /// change state together, as keepalived's vrrp_sync.c decides:
    ///
    /// - a member in FAULT by its own reasons (interface down, tracking) takes every other
    ///   member to FAULT until it recovers; then they all go BACKUP (`vrrp_sync_fault`,
    ///   vrrp_track.c:551 `down_instance`, vrrp_scheduler.c:715 `try_up_instance`);
    /// - a member whose Master_Down_Timer runs out waits in BACKUP until every member
    ///   wants MASTER, then they all become master at once (`vrrp_sync_can_goto_master`
    ///   "prefer backup state to avoid thrashing", `vrrp_sync_master`);
    /// - a member leaving MASTER for BACKUP (preempted, handed over, a VIP removed) takes
    ///   the other masters to BACKUP (`vrrp_sync_backup`).
    ///
    /// `state` is the group's state so far (a reload carries it over; `State::Initialize`
    /// for a new group): a change from it is reported by [`Router::poll_group_change`].
    pub fn add_sync_group(
        &mut self,
        now: Instant,
        members: &[InstanceId],
        state: State,
    ) -> Result<GroupId, GroupError> {
        let gid = u16::try_from(self.groups.len()).map_err(|_| GroupError::Full)?;
        let first = members.first().ok_or(GroupError::Full)?;
        for (n, m) in members.iter().enumerate() {
            match self.group_of.get(usize::from(m.0)) {
                None => return Err(GroupError::Unknown(*m)),
                Some(Some(_)) => return Err(GroupError::AlreadyGrouped(*m)),
                Some(None) if members.iter().take(n).any(|x| x == m) => return Err(GroupError::AlreadyGrouped(*m)),
                Some(None) => {}
            }
        }
        self.groups.push(Group { first: first.0, state }).map_err(|_| GroupError::Full)?;
        for (n, m) in members.iter().enumerate() {
            let next = members.get(n + 1).unwrap_or(first);
            if let Some(slot) = self.group_of.get_mut(usize::from(m.0)) {
                *slot = Some(gid);
            }
            if let Some(slot) = self.next_member.get_mut(usize::from(m.0)) {
                *slot = next.0;
            }
            self.apply(m.0, |i| i.set_sync_member(true));
        }
        self.sync_group(now, gid);
        Ok(GroupId(gid))
    }

    /// Lets every instance that is in no group of this router out of the sync group it was
    /// in (a reload adopts instances as they ran, then adds the new file's groups): it
    /// becomes master by itself again, and leaves a FAULT its old group held it in. Call
    /// after the [`Router::add_sync_group`] calls.
    pub fn release_ungrouped(&mut self, now: Instant) {
        for id in self.ids() {
            if self.group_of.get(usize::from(id)).is_some_and(Option::is_none) {
                self.apply(id, |i| {
                    i.set_sync_member(false);
                    i.set_sync_fault(now, false);
                });
            }
        }
    }

    /// The sync group instance `id` is in.
    pub fn group_of(&self, id: InstanceId) -> Option<GroupId> {
        self.group_of.get(usize::from(id.0)).copied().flatten().map(GroupId)
    }

    /// A sync group's state: MASTER when all its members are, FAULT while one of them is
    /// by its own reasons, INIT before they start, BACKUP otherwise.
    pub fn group_state(&self, g: GroupId) -> Option<State> {
        self.groups.get(usize::from(g.0)).map(|g| g.state)
    }

    /// Number of sync groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The members of sync group `g`, in the order given to [`Router::add_sync_group`].
    pub fn group_members(&self, g: GroupId) -> impl Iterator<Item = InstanceId> + '_ {
        let first = self.groups.get(usize::from(g.0)).map(|g| g.first);
        let mut at = first;
        let mut left = self.instances.len();
        core::iter::from_fn(move || {
            let cur = at?;
            left = left.checked_sub(1)?;
            let next = self.next_member.get(usize::from(cur)).copied();
            at = next.filter(|n| Some(*n) != first);
            Some(InstanceId(cur))
        })
    }

    /// The next sync group state change, in the order they happened.
    pub fn poll_group_change(&mut self) -> Option<GroupChange> {
        self.group_changes.pop_front()
    }

    /// Applies the sync group rule of [`Router::add_sync_group`] to group `g`: O(members).
    fn sync_group(&mut self, now: Instant, g: u16) {
        let Some(group) = self.groups.get(usize::from(g)).copied() else {
            return;
        };
        let mut ids: Vec<u16, N> = Vec::new();
        ids.extend(self.group_members(GroupId(g)).map(|m| m.0));
        let faulted =
            ids.iter().filter(|&&m| self.instances.get(usize::from(m)).is_some_and(Instance::own_fault)).count();
        let is = |r: &Self, m: u16, s: State| r.instances.get(usize::from(m)).is_some_and(|i| i.state() == s);
        let all_init = ids.iter().all(|&m| is(self, m, State::Initialize));
        let any_init = ids.iter().any(|&m| is(self, m, State::Initialize));
        // vrrp_sync_fault / try_up_instance: FAULT while any *other* member is faulty.
        for &m in &ids {
            let own = self.instances.get(usize::from(m)).is_some_and(Instance::own_fault);
            let others = faulted > usize::from(own);
            self.apply(m, |i| i.set_sync_fault(now, others));
        }
        let any_backup = ids.iter().any(|&m| is(self, m, State::Backup));
        let all_master = ids.iter().all(|&m| is(self, m, State::Master));
        let all_ready = ids.iter().all(|&m| {
            self.instances
                .get(usize::from(m))
                .is_some_and(|i| i.state() == State::Master || (i.state() == State::Backup && i.wants_master()))
        });
        let to = if all_init {
            State::Initialize
        } else if faulted > 0 {
            State::Fault
        } else if any_init {
            // Starting or stopping one by one: wait for the others.
            group.state
        } else if group.state == State::Master && any_backup {
            for &m in &ids {
                self.apply(m, |i| i.sync_backup(now));
            }
            State::Backup
        } else if all_master {
            State::Master
        } else if all_ready {
            for &m in &ids {
                self.apply(m, |i| i.sync_master(now));
            }
            State::Master
        } else {
            State::Backup
        };
        if to != group.state {
            if let Some(gr) = self.groups.get_mut(usize::from(g)) {
                gr.state = to;
            }
            let change = GroupChange { group: GroupId(g), from: group.state, to };
            if self.group_changes.push_back(change).is_err() {
                self.group_changes.pop_front();
                let _ = self.group_changes.push_back(change);
            }
        }
    }

    fn ids(&self) -> core::ops::Range<u16> {
        0..self.instances.len() as u16
    }

    /// Startup event for every instance.
    pub fn start_all(&mut self, now: Instant) {
        for id in self.ids() {
            self.with(now, id, |i| i.handle_startup(now));
        }
    }

    /// Startup event for one instance.
    pub fn start(&mut self, now: Instant, id: InstanceId) {
        self.with(now, id.0, |i| i.handle_startup(now));
    }

    /// Shutdown event for every instance.
    pub fn shutdown_all(&mut self, now: Instant) {
        for id in self.ids() {
            self.with(now, id, |i| i.handle_shutdown(now));
        }
    }

    /// Shutdown event for one instance.
    pub fn shutdown(&mut self, now: Instant, id: InstanceId) {
        self.with(now, id.0, |i| i.handle_shutdown(now));
    }

    /// The operator hands instance `id`'s mastership over ([`Instance::handle_handover`]).
    pub fn handover(&mut self, now: Instant, id: InstanceId) {
        self.with(now, id.0, |i| i.handle_handover(now));
    }

    /// Someone else removed one of instance `id`'s VIPs ([`Instance::handle_vip_removed`]).
    pub fn vip_removed(&mut self, now: Instant, id: InstanceId) {
        self.with(now, id.0, |i| i.handle_vip_removed(now));
    }

    /// Whether any instance still holds its VIPs ([`Instance::holds_vips`]): after
    /// [`Router::shutdown_all`], the caller keeps the protocol running until this is false.
    pub fn holds_any_vips(&self) -> bool {
        self.instances.iter().any(Instance::holds_vips)
    }

    /// Sets every instance's counters and the router-wide ones back to zero.
    pub fn clear_stats(&mut self) {
        self.instances.iter_mut().for_each(Instance::clear_stats);
        self.stats = RouterStats::default();
    }

    /// Changes an instance's effective priority.
    pub fn set_priority(&mut self, now: Instant, id: InstanceId, priority: u8) -> Result<(), ConfigError> {
        self.with(now, id.0, |i| i.set_priority(now, priority)).unwrap_or(Ok(()))
    }

    /// Tracking puts an instance in FAULT (`true`) or lets it out (`false`); see
    /// [`Instance::set_tracking_fault`].
    pub fn set_tracking_fault(&mut self, now: Instant, id: InstanceId, fault: bool) {
        self.with(now, id.0, |i| i.set_tracking_fault(now, fault));
    }

    /// Updates an instance's primary address.
    pub fn set_primary_address(&mut self, id: InstanceId, addr: IpAddr) -> Result<(), ConfigError> {
        self.apply(id.0, |i| i.set_primary_address(addr)).unwrap_or(Ok(()))
    }

    /// The interface `ifindex` went up or down: every instance on it hears about it.
    pub fn handle_link(&mut self, now: Instant, ifindex: u32, up: bool) {
        let start = self.index.partition_point(|(k, _)| k.ifindex < ifindex);
        let mut at = start;
        while let Some((key, id)) = self.index.get(at).copied() {
            if key.ifindex != ifindex {
                break;
            }
            self.with(now, id, |i| i.handle_link(now, up));
            at += 1;
        }
    }

    /// A VRRP packet arrived on `ifindex` from `src` to `dst` with `ttl`: dispatch it to its
    /// instance (O(log n)) and run the receive checks there. Router-wide counters
    /// (checksum, version, VRID) are bumped here.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        ifindex: u32,
        src: IpAddr,
        dst: IpAddr,
        ttl: u8,
        bytes: &[u8],
    ) -> Result<(InstanceId, Accepted), Discarded> {
        let packet = Packet::new_unchecked(bytes);
        if bytes.len() < 2 {
            bump(&mut self.stats.packet_length_errors);
            return Err(Discarded { instance: None, error: RxError::Length });
        }
        if packet.version().is_err() {
            bump(&mut self.stats.version_errors);
            return Err(Discarded { instance: None, error: RxError::Version(packet.version_field()) });
        }
        let Some(id) = self.lookup(ifindex, packet.vrid(), Family::of(&src)) else {
            bump(&mut self.stats.vrid_errors);
            return Err(Discarded { instance: None, error: RxError::UnknownVrid(packet.vrid()) });
        };
        let result = self
            .with(now, id.0, |i| i.handle_packet(now, src, dst, ttl, bytes))
            .unwrap_or(Err(RxError::UnknownVrid(packet.vrid())));
        match result {
            Ok(accepted) => Ok((id, accepted)),
            Err(error) => {
                match error {
                    RxError::Checksum => bump(&mut self.stats.checksum_errors),
                    RxError::Version(_) => bump(&mut self.stats.version_errors),
                    RxError::UnknownVrid(_) => bump(&mut self.stats.vrid_errors),
                    _ => {}
                }
                Err(Discarded { instance: Some(id), error })
            }
        }
    }

    /// Fires every timer due at `now`. Each due instance is handled once per call: an
    /// instance always reschedules strictly after `now`, and the loop is bounded anyway.
    pub fn handle_timeout(&mut self, now: Instant) {
        for _ in 0..self.instances.len() {
            match self.timers.peek() {
                Some((deadline, id)) if deadline <= now => {
                    self.with(now, id, |i| i.handle_timeout(now));
                    if self.timers.deadline_of(id).is_some_and(|d| d <= now) {
                        // Defensive: an instance that did not move its deadline must not spin.
                        self.timers.set(id, None);
                    }
                }
                _ => break,
            }
        }
    }

    /// The earliest deadline over all instances, O(1).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|(d, _)| d)
    }

    /// The next action of any instance; instances are served in the order they became ready.
    pub fn poll_action(&mut self) -> Option<(InstanceId, Action)> {
        while let Some(&id) = self.ready.front() {
            if let Some(action) = self.instances.get_mut(usize::from(id)).and_then(Instance::poll_action) {
                return Some((InstanceId(id), action));
            }
            self.ready.pop_front();
            if let Some(q) = self.queued.get_mut(usize::from(id)) {
                *q = false;
            }
        }
        None
    }

    /// Serialises an advert of instance `id` with `priority` into `buf`.
    pub fn write_advert(&self, id: InstanceId, priority: u8, buf: &mut [u8]) -> Result<usize, wire::Error> {
        self.get(id).ok_or(wire::Error::Unrepresentable)?.write_advert(priority, buf)
    }
}

const ABSENT: u16 = u16::MAX;

/// A binary min-heap of (deadline, instance id) with a position index, so an instance's
/// deadline can be changed or removed in O(log n) without lazy deletion (which would let
/// the heap grow with every received advert).
#[derive(Debug)]
struct DeadlineHeap<const N: usize> {
    heap: Vec<(Instant, u16), N>,
    pos: Vec<u16, N>,
}

impl<const N: usize> DeadlineHeap<N> {
    fn new() -> Self {
        DeadlineHeap { heap: Vec::new(), pos: Vec::new() }
    }

    fn peek(&self) -> Option<(Instant, u16)> {
        self.heap.first().copied()
    }

    fn position(&self, id: u16) -> Option<usize> {
        self.pos.get(usize::from(id)).copied().filter(|p| *p != ABSENT).map(usize::from)
    }

    fn deadline_of(&self, id: u16) -> Option<Instant> {
        self.heap.get(self.position(id)?).map(|(d, _)| *d)
    }

    fn set(&mut self, id: u16, deadline: Option<Instant>) {
        while self.pos.len() <= usize::from(id) {
            if self.pos.push(ABSENT).is_err() {
                return;
            }
        }
        match (self.position(id), deadline) {
            (Some(at), Some(d)) => {
                if let Some(entry) = self.heap.get_mut(at) {
                    entry.0 = d;
                }
                let at = self.sift_up(at);
                self.sift_down(at);
            }
            (Some(at), None) => self.remove_at(at),
            (None, Some(d)) => {
                let at = self.heap.len();
                if self.heap.push((d, id)).is_ok() {
                    self.set_pos(id, at);
                    self.sift_up(at);
                }
            }
            (None, None) => {}
        }
    }

    fn remove_at(&mut self, at: usize) {
        let last = self.heap.len().saturating_sub(1);
        self.swap(at, last);
        if let Some((_, id)) = self.heap.pop() {
            if let Some(p) = self.pos.get_mut(usize::from(id)) {
                *p = ABSENT;
            }
        }
        if at < self.heap.len() {
            let at = self.sift_up(at);
            self.sift_down(at);
        }
    }

    fn set_pos(&mut self, id: u16, at: usize) {
        if let Some(p) = self.pos.get_mut(usize::from(id)) {
            *p = at as u16;
        }
    }

    fn less(&self, a: usize, b: usize) -> bool {
        match (self.heap.get(a), self.heap.get(b)) {
            (Some(x), Some(y)) => x < y,
            _ => false,
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        if a == b || a >= self.heap.len() || b >= self.heap.len() {
            return;
        }
        self.heap.swap(a, b);
        for at in [a, b] {
            if let Some(&(_, id)) = self.heap.get(at) {
                self.set_pos(id, at);
            }
        }
    }

    fn sift_up(&mut self, mut at: usize) -> usize {
        while at > 0 {
            let parent = (at - 1) / 2;
            if !self.less(at, parent) {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
        at
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let left = 2 * at + 1;
            let right = left + 1;
            let mut smallest = at;
            if self.less(left, smallest) {
                smallest = left;
            }
            if self.less(right, smallest) {
                smallest = right;
            }
            if smallest == at {
                return;
            }
            self.swap(at, smallest);
            at = smallest;
        }
    }
}

#[cfg(test)]
mod tests;
