//! One simulated router: a real [`vrrp_core::Instance`] per VRID, and what the
//! daemon around it would do with its actions.
//!
//! The node is where the core's output meets the world, so the checks that must hold
//! after *every* call into the core live here rather than in the trace checkers: a
//! deadline in the past, an illegal transition, VIPs held by a non-master, a VIP
//! announcement from a non-master. Catching them at the call that caused them makes the
//! failing trace point straight at the culprit.
//!
//! A node drives its instances in one of two ways ([`Engine`]): directly, one
//! `Instance` per VRID as a minimal embedding would, or through a [`vrrp_core::Router`]
//! as `vrrpd` does. The two must produce the same trace event for event, which turns
//! every simulated run into a differential test of the router's dispatch, deadline heap
//! and ready queue.
//!
//! Either way the actions go through one [`vrrp_core::Io`] (`Checks`), which records
//! them and runs the online checks: the router engine holds its router in a
//! [`vrrp_core::Driver`] and pumps with [`vrrp_core::Driver::pump`], the direct engine
//! makes the same `Io` calls instance by instance.

use core::net::IpAddr;

use vrrp_core::time::Instant;
use vrrp_core::wire::{self, Version};
use vrrp_core::{Action, Driver, Instance, InstanceConfig, InstanceId, Io, Reason, Router, RxError, State};

use crate::checker::{self, Violation};
use crate::schedule::Schedule;
use crate::trace::{At, Event, Record, TraceLevel};

/// Room for the largest advert the simulation sends (v3 over IPv6, one address: 24
/// bytes; v2: 20 bytes).
pub const ADVERT_CAP: usize = 64;

/// Advert bytes, kept inline so a run allocates nothing per packet.
pub type Bytes = heapless::Vec<u8, ADVERT_CAP>;

/// An advert a node sent: the simulator fans it out over the LAN.
#[derive(Clone, Debug)]
pub struct Advert {
    /// Virtual router index.
    pub vrid: u8,
    /// The serialised advert.
    pub bytes: Bytes,
}

/// Where the trace and the online violations go.
#[derive(Debug)]
pub struct Recorder {
    level: TraceLevel,
    /// Everything recorded at or below `level`.
    pub trace: Vec<Record>,
    /// Online violations (first [`Recorder::MAX_VIOLATIONS`] only).
    pub violations: Vec<Violation>,
}

impl Recorder {
    /// Beyond this many, a broken run would only repeat itself.
    pub const MAX_VIOLATIONS: usize = 50;

    /// An empty recorder keeping events up to `level`.
    pub fn new(level: TraceLevel) -> Recorder {
        Recorder { level, trace: Vec::new(), violations: Vec::new() }
    }

    /// Appends an event if the level keeps it.
    pub fn record(&mut self, at: u64, event: Event) {
        if event.level() <= self.level {
            self.trace.push(Record { at, event });
        }
    }

    /// Notes a violation.
    pub fn violate(&mut self, checker: &'static str, at: u64, message: String) {
        if self.violations.len() < Self::MAX_VIOLATIONS {
            self.violations.push(Violation { checker, at, message });
        }
    }
}

/// How a node drives its instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    /// One `Instance` per VRID, called directly.
    #[default]
    Instances,
    /// All of a node's instances in one `vrrp_core::Router`, as `vrrpd` runs them.
    Router,
}

/// The instances of a running (or shut-down) node.
#[derive(Debug)]
enum Held {
    Instances(Vec<Instance>),
    Router(Box<Driver<{ crate::schedule::MAX_VRIDS }>>),
}

impl Held {
    fn get(&self, v: usize) -> Option<&Instance> {
        match self {
            Held::Instances(list) => list.get(v),
            Held::Router(d) => d.router().get(InstanceId(v as u16)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Held::Instances(list) => list.len(),
            Held::Router(d) => d.router().len(),
        }
    }

    /// Carries out every pending action through `io`, oldest first: the router engine
    /// through [`Driver::pump`], the direct engine by the same `Io` calls, instances in
    /// index order (the router serves them in the order they became ready, which for
    /// every operation the node performs is index order too).
    fn pump(&mut self, io: &mut Checks<'_>) {
        match self {
            Held::Instances(list) => {
                for (v, inst) in list.iter_mut().enumerate() {
                    let id = InstanceId(v as u16);
                    while let Some(action) = inst.poll_action() {
                        match action {
                            Action::SendAdvert { priority } => {
                                let mut buf = [0u8; ADVERT_CAP];
                                match inst.write_advert(priority, &mut buf) {
                                    Ok(n) => io.send_advert(id, inst, buf.get(..n).unwrap_or(&[])),
                                    Err(e) => io.advert_failed(id, inst, e),
                                }
                            }
                            Action::AddVips => io.add_vips(id, inst),
                            Action::RemoveVips => io.remove_vips(id, inst),
                            Action::Announce => io.announce(id, inst),
                            Action::StateChanged { from, to, reason } => io.state_changed(id, inst, from, to, reason),
                        }
                    }
                }
            }
            Held::Router(d) => {
                d.pump(io);
            }
        }
    }
}

/// One router on the LAN.
#[derive(Debug)]
pub struct Node {
    index: u8,
    address: IpAddr,
    engine: Engine,
    /// Configuration per virtual router; `priority` follows `SetPriority` so a restart
    /// comes back with the tracked priority, as a tracking script would re-apply it.
    configs: Vec<InstanceConfig>,
    /// `None` while crashed.
    inst: Option<Held>,
    /// False after a graceful shutdown (and while crashed).
    running: bool,
    iface_up: bool,
    /// The state as told by `StateChanged` actions (not by peeking), per virtual router.
    states: Vec<State>,
    holds_vip: Vec<bool>,
}

/// The interface every instance of the simulation sits on.
pub const IFINDEX: u32 = 1;

/// The configuration of router `index` of a (normalised) schedule, one per virtual
/// router in index order: what [`Node::new`] boots its instances from (and what
/// benches/replay's `export-traces` writes into a recorded run's trace).
pub fn configs(index: usize, s: &Schedule) -> Vec<InstanceConfig> {
    (0..s.vrid_count())
        .map(|v| {
            let mut c = InstanceConfig::new(IFINDEX, s.vrid(v), s.version, s.address(index));
            c.priority = s.priority(index, v);
            c.advert_interval_cs = s.interval_cs;
            c.preempt = s.preempt;
            // One VIP per virtual router; capacity is 32 so this cannot fail.
            let _ = c.vips.push(s.vip(v));
            if s.announce {
                c.announce_delay = Some(s.interval().saturating_mul(2));
                c.announce_refresh = Some(s.interval().saturating_mul(5));
            }
            if s.version == Version::V2 {
                c.auth = wire::Auth::simple_text(b"model");
            }
            c
        })
        .collect()
}

impl Node {
    /// Router `index` of a (normalised) schedule, not yet started.
    pub fn new(index: usize, s: &Schedule, engine: Engine) -> Node {
        let address = s.address(index);
        let configs = configs(index, s);
        let mut node = Node {
            index: index as u8,
            address,
            engine,
            inst: None,
            running: false,
            iface_up: true,
            states: vec![State::Initialize; configs.len()],
            holds_vip: vec![false; configs.len()],
            configs,
        };
        node.boot();
        node
    }

    /// Fresh instances from the configuration: what a process start does.
    fn boot(&mut self) {
        let cfgs = self.configs.iter().cloned();
        self.inst = Some(match self.engine {
            Engine::Instances => Held::Instances(cfgs.filter_map(|c| Instance::new(c).ok()).collect()),
            Engine::Router => {
                let mut d = Box::new(Driver::new());
                for c in cfgs {
                    // Ids are insertion indexes, so id v is virtual router v.
                    let _ = d.add(c);
                }
                Held::Router(d)
            }
        });
        self.states.iter_mut().for_each(|s| *s = State::Initialize);
    }

    /// This router's primary address.
    pub fn address(&self) -> IpAddr {
        self.address
    }

    /// True unless crashed.
    pub fn is_alive(&self) -> bool {
        self.inst.is_some()
    }

    /// True when alive, started and the interface is up: a router that takes part in
    /// elections. Only these count for the single-master invariants.
    pub fn participates(&self) -> bool {
        self.is_alive() && self.running && self.iface_up
    }

    /// True when the router can receive: running, or stopped but still handing its VIPs
    /// over (the daemon keeps its loop going until the core releases them); not crashed.
    pub fn is_running(&self) -> bool {
        self.is_alive() && (self.running || self.holds_vip.iter().any(|h| *h))
    }

    /// Number of virtual routers.
    pub fn vrid_count(&self) -> usize {
        self.configs.len()
    }

    /// Whether the interface is up.
    pub fn iface_up(&self) -> bool {
        self.iface_up
    }

    /// The state of virtual router `v`, as the actions told it.
    pub fn state(&self, v: usize) -> State {
        self.states.get(v).copied().unwrap_or(State::Initialize)
    }

    /// The priority this router has (or will have after a restart) for `v`.
    pub fn priority(&self, v: usize) -> u8 {
        self.configs.get(v).map_or(0, |c| c.priority)
    }

    /// The earliest pending deadline of any instance.
    pub fn deadline(&self) -> Option<u64> {
        match self.inst.as_ref()? {
            Held::Instances(list) => list.iter().filter_map(|i| i.poll_timeout().map(Instant::as_micros)).min(),
            Held::Router(d) => d.next_deadline().map(Instant::as_micros),
        }
    }

    /// Runs `f` on instance `v` (direct engine) or `g` on the router (router engine).
    fn call<R>(
        &mut self,
        v: usize,
        f: impl FnOnce(&mut Instance) -> R,
        g: impl FnOnce(&mut Router<{ crate::schedule::MAX_VRIDS }>, InstanceId) -> R,
    ) -> Option<R> {
        match self.inst.as_mut()? {
            Held::Instances(list) => list.get_mut(v).map(f),
            Held::Router(d) => Some(g(d.router_mut(), InstanceId(v as u16))),
        }
    }

    /// Process start: every instance gets its Startup event (after learning that the
    /// interface is down, if it is).
    pub fn start(&mut self, now: u64, rec: &mut Recorder, out: &mut Vec<Advert>) {
        if !self.is_alive() {
            self.boot();
        }
        if self.running {
            return;
        }
        self.running = true;
        let t = Instant::from_micros(now);
        if !self.iface_up {
            self.link_event(t, false);
        }
        for v in 0..self.vrid_count() {
            self.call(v, |i| i.handle_startup(t), |r, id| r.start(t, id));
        }
        self.drain(now, rec, out);
    }

    /// Crash: the instances vanish without a word, and the VIPs with the machine.
    pub fn crash(&mut self) {
        self.inst = None;
        self.running = false;
        self.states.iter_mut().for_each(|s| *s = State::Initialize);
        self.holds_vip.iter_mut().for_each(|h| *h = false);
    }

    /// Graceful stop.
    pub fn shutdown(&mut self, now: u64, rec: &mut Recorder, out: &mut Vec<Advert>) {
        if !self.is_alive() || !self.running {
            return;
        }
        self.running = false;
        let t = Instant::from_micros(now);
        for v in 0..self.vrid_count() {
            self.call(v, |i| i.handle_shutdown(t), |r, id| r.shutdown(t, id));
        }
        self.drain(now, rec, out);
    }

    fn link_event(&mut self, t: Instant, up: bool) {
        match self.inst.as_mut() {
            Some(Held::Instances(list)) => list.iter_mut().for_each(|i| i.handle_link(t, up)),
            Some(Held::Router(d)) => d.router_mut().handle_link(t, IFINDEX, up),
            None => {}
        }
    }

    /// The interface went up or down. A crashed router only remembers it for its restart.
    pub fn set_link(&mut self, now: u64, up: bool, rec: &mut Recorder, out: &mut Vec<Advert>) {
        self.iface_up = up;
        self.link_event(Instant::from_micros(now), up);
        self.drain(now, rec, out);
    }

    /// Priority tracking. The owner's 255 is fixed, so changes to it are ignored (the
    /// core would refuse them with `PriorityOwnerOnly`).
    pub fn set_priority(&mut self, now: u64, v: usize, priority: u8, rec: &mut Recorder, out: &mut Vec<Advert>) {
        let Some(cfg) = self.configs.get_mut(v) else {
            return;
        };
        if cfg.is_owner() {
            return;
        }
        cfg.priority = priority;
        let t = Instant::from_micros(now);
        let result = self.call(v, |i| i.set_priority(t, priority), |r, id| r.set_priority(t, id, priority));
        if let Some(Err(e)) = result {
            rec.violate(
                checker::CORE_ACCEPTS_VALID_INPUT,
                now,
                format!("{} r{} refused set_priority({priority}): {e}", At(now), self.index),
            );
        }
        self.drain(now, rec, out);
    }

    /// The operator hands virtual router `v`'s mastership over (`vrrpctl handover`,
    /// [`Instance::handle_handover`]): a master steps down to backup and keeps its VIPs
    /// until its successor is heard; anything else ignores it.
    pub fn handover(&mut self, now: u64, v: usize, rec: &mut Recorder, out: &mut Vec<Advert>) {
        let t = Instant::from_micros(now);
        self.call(v, |i| i.handle_handover(t), |r, id| r.handover(t, id));
        self.drain(now, rec, out);
    }

    /// Fires every instance deadline due at `now`. Returns false if an instance failed
    /// to move its deadline past `now`, which would make the simulation spin forever.
    pub fn timeout(&mut self, now: u64, rec: &mut Recorder, out: &mut Vec<Advert>) -> bool {
        let t = Instant::from_micros(now);
        match self.inst.as_mut() {
            Some(Held::Instances(list)) => {
                for i in list.iter_mut() {
                    if i.poll_timeout().is_some_and(|d| d <= t) {
                        i.handle_timeout(t);
                    }
                }
            }
            Some(Held::Router(d)) => d.router_mut().handle_timeout(t),
            None => return true,
        }
        let mut progressed = true;
        for v in 0..self.vrid_count() {
            let next = self.inst.as_ref().and_then(|b| b.get(v)).and_then(Instance::poll_timeout);
            if let Some(d) = next.filter(|d| *d <= t) {
                rec.violate(
                    checker::TIMERS_MAKE_PROGRESS,
                    now,
                    format!(
                        "{} r{} vrid#{v}: after handle_timeout the next deadline is still {d:?}",
                        At(now),
                        self.index
                    ),
                );
                progressed = false;
            }
        }
        self.drain(now, rec, out);
        progressed
    }

    /// An advert for virtual router `v` arrived from `src`.
    pub fn receive(
        &mut self,
        now: u64,
        v: usize,
        src: IpAddr,
        bytes: &[u8],
        rec: &mut Recorder,
        out: &mut Vec<Advert>,
    ) -> Result<u8, RxError> {
        let group = wire::Family::of(&src).group();
        let t = Instant::from_micros(now);
        let result = match self.inst.as_mut() {
            Some(Held::Instances(list)) => match list.get_mut(v) {
                Some(i) => i.handle_packet(t, src, group, wire::TTL, bytes).map(|a| a.priority),
                None => Err(RxError::UnknownVrid(0)),
            },
            Some(Held::Router(d)) => match d.router_mut().handle_packet(t, IFINDEX, src, group, wire::TTL, bytes) {
                Ok((id, a)) if usize::from(id.0) == v => Ok(a.priority),
                Ok((id, _)) => {
                    rec.violate(
                        checker::ROUTER_AGREES_WITH_INSTANCES,
                        now,
                        format!(
                            "{} r{}: an advert for vrid#{v} was dispatched to instance {}",
                            At(now),
                            self.index,
                            id.0
                        ),
                    );
                    Err(RxError::UnknownVrid(0))
                }
                Err(d) => Err(d.error),
            },
            None => Err(RxError::UnknownVrid(0)),
        };
        self.drain(now, rec, out);
        result
    }

    /// Carries out every pending action and checks them, then checks each instance.
    fn drain(&mut self, now: u64, rec: &mut Recorder, out: &mut Vec<Advert>) {
        let Some(inst) = self.inst.as_mut() else {
            return;
        };
        let mut io =
            Checks { node: self.index, now, states: &mut self.states, holds_vip: &mut self.holds_vip, rec, out };
        inst.pump(&mut io);
        self.check_instances(now, rec);
    }

    /// What must hold of every instance between two inputs.
    fn check_instances(&self, now: u64, rec: &mut Recorder) {
        let node = self.index;
        let at = At(now);
        let Some(inst) = self.inst.as_ref() else {
            return;
        };
        let mut earliest: Option<Instant> = None;
        for v in 0..inst.len() {
            let (Some(i), Some(state), Some(holds)) = (inst.get(v), self.states.get(v), self.holds_vip.get(v)) else {
                continue;
            };
            // Held while master, and after leaving it on purpose until the handover ends.
            let handing_over = i.releasing().is_some() && *state != State::Master;
            if *holds != (*state == State::Master || handing_over) || *holds != i.holds_vips() {
                rec.violate(
                    checker::VIPS_FOLLOW_STATE,
                    now,
                    format!(
                        "{at} r{node} vrid#{v}: {state:?} (releasing at {:?}) but {} the VIPs",
                        i.releasing(),
                        if *holds { "holds" } else { "does not hold" }
                    ),
                );
            }
            if handing_over && i.releasing().is_some_and(|r| r > Instant::from_micros(now) + i.longest_release_hold()) {
                rec.violate(
                    checker::VIPS_FOLLOW_STATE,
                    now,
                    format!("{at} r{node} vrid#{v}: releases its VIPs only at {:?}", i.releasing()),
                );
            }
            if i.state() != *state {
                rec.violate(
                    checker::LEGAL_TRANSITIONS,
                    now,
                    format!("{at} r{node} vrid#{v}: state() is {:?} but the actions said {state:?}", i.state()),
                );
            }
            if let Some(t) = i.poll_timeout() {
                if t.as_micros() < now {
                    rec.violate(
                        checker::NO_DEADLINE_IN_THE_PAST,
                        now,
                        format!("{at} r{node} vrid#{v}: deadline {t:?} is before now"),
                    );
                }
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
            if i.stats().actions_dropped > 0 {
                rec.violate(
                    checker::CORE_ACCEPTS_VALID_INPUT,
                    now,
                    format!("{at} r{node} vrid#{v}: the action queue overflowed"),
                );
            }
        }
        if let Held::Router(d) = inst {
            let r = d.router();
            if r.poll_timeout() != earliest {
                rec.violate(
                    checker::ROUTER_AGREES_WITH_INSTANCES,
                    now,
                    format!(
                        "{at} r{node}: Router::poll_timeout is {:?} but the earliest instance \
                         deadline is {earliest:?}",
                        r.poll_timeout()
                    ),
                );
            }
        }
    }
}

/// The node's [`Io`]: what the daemon would do with each action, and the online checks
/// on it (legal transitions, VIPs only on a master, announcements only from a master).
struct Checks<'x> {
    node: u8,
    now: u64,
    /// The state as told by `StateChanged`, per virtual router.
    states: &'x mut Vec<State>,
    holds_vip: &'x mut Vec<bool>,
    rec: &'x mut Recorder,
    out: &'x mut Vec<Advert>,
}

impl Io for Checks<'_> {
    fn state_changed(&mut self, id: InstanceId, _: &Instance, from: State, to: State, reason: Reason) {
        let (node, now, v) = (self.node, self.now, usize::from(id.0));
        let Some(state) = self.states.get_mut(v) else {
            return;
        };
        if from != *state || !from.can_become(to) {
            self.rec.violate(
                checker::LEGAL_TRANSITIONS,
                now,
                format!(
                    "{} r{node} vrid#{v}: StateChanged {from:?} -> {to:?} ({}) \
                     but the last announced state was {state:?}",
                    At(now),
                    reason.as_str()
                ),
            );
        }
        *state = to;
        self.rec.record(now, Event::State { node, vrid: v as u8, from, to, reason });
    }

    fn send_advert(&mut self, id: InstanceId, _: &Instance, advert: &[u8]) {
        let vrid = id.0 as u8;
        let priority = advert.get(2).copied().unwrap_or(0);
        let Ok(bytes) = Bytes::from_slice(advert) else {
            self.rec.violate(
                checker::CORE_ACCEPTS_VALID_INPUT,
                self.now,
                format!("{} r{} vrid#{vrid}: a {}-byte advert", At(self.now), self.node, advert.len()),
            );
            return;
        };
        self.rec.record(self.now, Event::Sent { node: self.node, vrid, priority });
        self.out.push(Advert { vrid, bytes });
    }

    fn advert_failed(&mut self, id: InstanceId, _: &Instance, e: wire::Error) {
        self.rec.violate(
            checker::CORE_ACCEPTS_VALID_INPUT,
            self.now,
            format!("{} r{} vrid#{}: write_advert failed: {e}", At(self.now), self.node, id.0),
        );
    }

    fn add_vips(&mut self, id: InstanceId, _: &Instance) {
        self.vips(id, true);
    }

    fn remove_vips(&mut self, id: InstanceId, _: &Instance) {
        self.vips(id, false);
    }

    fn announce(&mut self, id: InstanceId, _: &Instance) {
        let (node, now, v) = (self.node, self.now, usize::from(id.0));
        let Some(state) = self.states.get(v) else {
            return;
        };
        if *state != State::Master {
            self.rec.violate(
                checker::VIPS_FOLLOW_STATE,
                now,
                format!("{} r{node} vrid#{v}: announces the VIPs while {state:?}", At(now)),
            );
        }
        self.rec.record(now, Event::Announce { node, vrid: v as u8 });
    }
}

impl Checks<'_> {
    fn vips(&mut self, id: InstanceId, add: bool) {
        let (node, now, v) = (self.node, self.now, usize::from(id.0));
        let (Some(holds), Some(_)) = (self.holds_vip.get_mut(v), self.states.get(v)) else {
            return;
        };
        if *holds == add {
            let action = if add { Action::AddVips } else { Action::RemoveVips };
            self.rec.violate(
                checker::VIPS_FOLLOW_STATE,
                now,
                format!(
                    "{} r{node} vrid#{v}: {action:?} while already {}",
                    At(now),
                    if add { "holding the VIPs" } else { "without them" }
                ),
            );
        }
        *holds = add;
        self.rec.record(now, Event::Vips { node, vrid: v as u8, held: add });
    }
}
