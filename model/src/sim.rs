//! The event queue, the virtual clock and the main loop.
//!
//! Two sources of events: the queue (faults and packet deliveries, ordered by time then
//! by insertion) and the instances' own deadlines (`poll_timeout`). Deadlines are not
//! queued but asked for afresh at every step, so a deadline the core moves or cancels
//! can never fire stale. At equal times queued events go first, then deadlines by
//! router (each router fires all its instances due at that time, in VRID order): any
//! fixed rule would do, this one is simply fixed.

use core::net::IpAddr;
use std::collections::BTreeMap;

use crate::checker::{self, Violation};
use crate::lan::{Fate, Lan};
#[cfg(doc)]
use crate::node::IFINDEX;
use crate::node::{Advert, Bytes, Engine, Node, Recorder};
use crate::rng::Rng;
use crate::schedule::{Fault, Schedule};
use crate::trace::{At, Drop, Event, Record, TraceLevel};

/// The network as the invariants see it between two faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// When the fault that began it was applied.
    pub start: u64,
    /// When the last packet held back by reordering before `start` arrives (at least
    /// `start`): until then stale adverts are still in flight, so the settle time is
    /// counted from here.
    pub quiet_from: u64,
    /// No link loses or reorders.
    pub clean: bool,
    /// Participating routers (running, interface up), grouped by partition side.
    pub sides: Vec<Vec<u8>>,
    /// Each router's priority per virtual router.
    pub priorities: Vec<Vec<u8>>,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The normalised schedule that ran.
    pub schedule: Schedule,
    /// Everything that happened.
    pub trace: Vec<Record>,
    /// The network conditions, one per distinct fault time (and one for startup).
    pub segments: Vec<Segment>,
    /// Violations found while running (see [`crate::node`] and [`crate::checker`]).
    pub violations: Vec<Violation>,
    /// When the run stopped, µs.
    pub end: u64,
    /// The settle time the invariants allow, µs ([`Schedule::settle_time`]).
    pub settle: u64,
}

/// One call the simulator makes into a node: what an [`Observer`] is told.
/// benches/replay's `export-traces` writes these down as the firmware's input traces,
/// so a recorded run is this loop's run. Every instance sits on interface
/// [`crate::node::IFINDEX`], and every advert comes to the VRRP group of its sender's
/// family with TTL 255.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// `Node::start`: at time 0, and each `Restart` (even of a running node).
    Start,
    /// `Node::crash`.
    Crash,
    /// `Node::shutdown`.
    Shutdown,
    /// `Node::set_link` (`LinkUp` when true, `LinkDown`).
    Link(bool),
    /// `Node::set_priority` of virtual router `.0` to `.1`.
    SetPriority(u8, u8),
    /// `Node::handover` of virtual router `.0`.
    Handover(u8),
    /// `Node::receive` of an advert from `src` (only while running, interface up).
    Packet {
        /// The sender's primary address.
        src: IpAddr,
        /// The advert.
        bytes: &'a [u8],
    },
    /// `Node::timeout`: its earliest deadline is due.
    Timer,
}

/// Told of every call into a node, at its virtual time, just before the call.
pub trait Observer {
    /// Node `node` is about to get `input` at `at` µs.
    fn input(&mut self, node: u8, at: u64, input: Input<'_>);
}

/// Observes nothing: what [`run_engine`] runs with.
impl Observer for () {
    fn input(&mut self, _: u8, _: u64, _: Input<'_>) {}
}

#[derive(Clone, Debug)]
enum Queued {
    Fault(Fault),
    Deliver { from: u8, to: u8, vrid: u8, bytes: Bytes },
}

struct Sim<'o> {
    now: u64,
    /// Keyed by (time, insertion number): a BTreeMap is a priority queue with a
    /// deterministic order for equal times.
    queue: BTreeMap<(u64, u64), Queued>,
    seq: u64,
    rng: Rng,
    lan: Lan,
    nodes: Vec<Node>,
    rec: Recorder,
    segments: Vec<Segment>,
    /// Latest arrival of any reorder-held packet sent so far.
    held_until: u64,
    interval_us: u64,
    observer: &'o mut dyn Observer,
}

/// Runs a schedule, recording everything.
pub fn run(schedule: &Schedule) -> Outcome {
    run_with(schedule, TraceLevel::Full)
}

/// Runs a schedule, recording up to `level`, with instances driven directly.
pub fn run_with(schedule: &Schedule, level: TraceLevel) -> Outcome {
    run_engine(schedule, level, Engine::Instances)
}

/// Runs a schedule, recording up to `level`, with instances driven by `engine`.
pub fn run_engine(schedule: &Schedule, level: TraceLevel, engine: Engine) -> Outcome {
    run_observed(schedule, level, engine, &mut ())
}

/// [`run_engine`], telling `observer` of every call into a node before it is made.
pub fn run_observed(schedule: &Schedule, level: TraceLevel, engine: Engine, observer: &mut dyn Observer) -> Outcome {
    let s = schedule.normalized();
    let n = s.router_count();
    let mut sim = Sim {
        now: 0,
        queue: BTreeMap::new(),
        seq: 0,
        rng: Rng::new(s.seed),
        lan: Lan::new(n, s.base),
        nodes: (0..n).map(|i| Node::new(i, &s, engine)).collect(),
        rec: Recorder::new(level),
        segments: Vec::new(),
        held_until: 0,
        interval_us: s.interval().as_micros(),
        observer,
    };
    for (at, fault) in &s.faults {
        sim.push(*at, Queued::Fault(fault.clone()));
    }
    for i in 0..n {
        let mut out = Vec::new();
        if let Some(node) = sim.nodes.get_mut(i) {
            sim.observer.input(i as u8, 0, Input::Start);
            node.start(0, &mut sim.rec, &mut out);
        }
        sim.send(i, out);
    }
    sim.snapshot();
    let end = s.end_at();
    sim.run_until(end);
    Outcome {
        settle: s.settle_time().as_micros(),
        schedule: s,
        trace: sim.rec.trace,
        segments: sim.segments,
        violations: sim.rec.violations,
        end,
    }
}

impl Sim<'_> {
    fn push(&mut self, at: u64, item: Queued) {
        self.queue.insert((at, self.seq), item);
        self.seq += 1;
    }

    fn run_until(&mut self, end: u64) {
        loop {
            let queued = self.queue.first_key_value().map(|((t, _), _)| *t);
            let timer = self.nodes.iter().enumerate().filter_map(|(i, n)| n.deadline().map(|t| (t, i))).min();
            let take_queue = match (queued, timer) {
                (Some(q), Some((t, _))) => q <= t,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_queue {
                let Some(((at, _), item)) = self.queue.pop_first() else {
                    break;
                };
                if at > end {
                    break;
                }
                self.now = at;
                self.process(item);
            } else if let Some((at, i)) = timer {
                if at > end {
                    break;
                }
                if at < self.now {
                    self.rec.violate(
                        checker::NO_DEADLINE_IN_THE_PAST,
                        self.now,
                        format!("{} r{i}: deadline t={at}us already passed", At(self.now)),
                    );
                    break;
                }
                self.now = at;
                let mut out = Vec::new();
                let progressed = match self.nodes.get_mut(i) {
                    Some(node) => {
                        self.observer.input(i as u8, at, Input::Timer);
                        node.timeout(at, &mut self.rec, &mut out)
                    }
                    None => true,
                };
                self.send(i, out);
                if !progressed {
                    break;
                }
            }
        }
    }

    fn process(&mut self, item: Queued) {
        match item {
            Queued::Fault(fault) => {
                // Recorded first so the trace reads cause, then effects.
                self.rec.record(self.now, Event::Fault(fault.clone()));
                self.apply(&fault);
                self.snapshot();
            }
            Queued::Deliver { from, to, vrid, bytes } => self.deliver(from, to, vrid, &bytes),
        }
    }

    fn deliver(&mut self, from: u8, to: u8, vrid: u8, bytes: &[u8]) {
        let now = self.now;
        let src = match self.nodes.get(usize::from(from)) {
            Some(n) => n.address(),
            None => return,
        };
        let Some(node) = self.nodes.get_mut(usize::from(to)) else {
            return;
        };
        let why = if !node.is_running() {
            Some(Drop::NotRunning)
        } else if !node.iface_up() {
            Some(Drop::InterfaceDown)
        } else {
            None
        };
        if let Some(why) = why {
            self.rec.record(now, Event::Dropped { from, to, vrid, why });
            return;
        }
        self.observer.input(to, now, Input::Packet { src, bytes });
        let mut out = Vec::new();
        let result = node.receive(now, usize::from(vrid), src, bytes, &mut self.rec, &mut out);
        let owner = node.priority(usize::from(vrid)) == vrrp_core::config::PRIORITY_OWNER;
        if let Err(e) = result {
            // A VRRPv2 owner discards adverts for its own VRID (RFC 3768 §7.1; a v3
            // owner processes them, RFC 9568 erratum 8298); any other refusal of a
            // peer's well-formed advert is a codec or validation bug.
            if !(owner && e == vrrp_core::RxError::LocalOwner) {
                self.rec.violate(
                    checker::CORE_ACCEPTS_VALID_INPUT,
                    now,
                    format!("{} r{to} rejected r{from}'s advert for vrid#{vrid}: {e}", At(now)),
                );
            }
        }
        self.rec.record(now, Event::Delivered { from, to, vrid, result });
        self.send(usize::from(to), out);
    }

    /// Puts each advert on the wire towards every other router.
    fn send(&mut self, from: usize, adverts: Vec<Advert>) {
        let n = self.nodes.len();
        let up = self.nodes.get(from).is_some_and(Node::iface_up);
        for advert in adverts {
            for to in (0..n).filter(|&to| to != from) {
                let fate = if up {
                    self.lan.transmit(&mut self.rng, from, to, self.interval_us)
                } else {
                    Fate::Dropped(Drop::InterfaceDown)
                };
                let (f, t) = (from as u8, to as u8);
                match fate {
                    Fate::Arrives { after_us, held } => {
                        let at = self.now + after_us;
                        if held {
                            self.held_until = self.held_until.max(at);
                        }
                        self.push(
                            at,
                            Queued::Deliver { from: f, to: t, vrid: advert.vrid, bytes: advert.bytes.clone() },
                        );
                    }
                    Fate::Dropped(why) => {
                        self.rec.record(self.now, Event::Dropped { from: f, to: t, vrid: advert.vrid, why })
                    }
                }
            }
        }
    }

    fn apply(&mut self, fault: &Fault) {
        let now = self.now;
        let mut out = Vec::new();
        let (node, rec, seen) = (&mut self.nodes, &mut self.rec, &mut self.observer);
        let target = match fault {
            Fault::Link { pair, quality } => {
                let pair = pair.map(|(a, b)| (usize::from(a), usize::from(b)));
                self.lan.set_quality(pair, *quality);
                None
            }
            Fault::Partition { sides } => {
                self.lan.partition(sides);
                None
            }
            Fault::Heal => {
                self.lan.heal();
                None
            }
            Fault::Crash(r) => {
                if let Some(n) = node.get_mut(usize::from(*r)) {
                    seen.input(*r, now, Input::Crash);
                    n.crash();
                }
                None
            }
            Fault::Restart(r) => {
                if let Some(n) = node.get_mut(usize::from(*r)) {
                    seen.input(*r, now, Input::Start);
                    n.start(now, rec, &mut out);
                }
                Some(*r)
            }
            Fault::Shutdown(r) => {
                if let Some(n) = node.get_mut(usize::from(*r)) {
                    seen.input(*r, now, Input::Shutdown);
                    n.shutdown(now, rec, &mut out);
                }
                Some(*r)
            }
            Fault::SetPriority { router, vrid, priority } => {
                if let Some(n) = node.get_mut(usize::from(*router)) {
                    seen.input(*router, now, Input::SetPriority(*vrid, *priority));
                    n.set_priority(now, usize::from(*vrid), *priority, rec, &mut out);
                }
                Some(*router)
            }
            Fault::Handover { router, vrid } => {
                if let Some(n) = node.get_mut(usize::from(*router)) {
                    seen.input(*router, now, Input::Handover(*vrid));
                    n.handover(now, usize::from(*vrid), rec, &mut out);
                }
                Some(*router)
            }
            Fault::LinkDown(r) | Fault::LinkUp(r) => {
                let up = matches!(fault, Fault::LinkUp(_));
                if let Some(n) = node.get_mut(usize::from(*r)) {
                    seen.input(*r, now, Input::Link(up));
                    n.set_link(now, up, rec, &mut out);
                }
                Some(*r)
            }
        };
        if let Some(r) = target {
            self.send(usize::from(r), out);
        }
    }

    /// Records the network as it is now; several faults at one time make one segment.
    fn snapshot(&mut self) {
        let mut sides: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if n.participates() {
                sides.entry(self.lan.side(i)).or_default().push(i as u8);
            }
        }
        let vrids = self.nodes.first().map_or(0, |n| n.vrid_count());
        let seg = Segment {
            start: self.now,
            quiet_from: self.now.max(self.held_until),
            clean: self.lan.is_clean(),
            sides: sides.into_values().collect(),
            priorities: self.nodes.iter().map(|n| (0..vrids).map(|v| n.priority(v)).collect()).collect(),
        };
        if self.segments.last().is_some_and(|l| l.start == self.now) {
            self.segments.pop();
        }
        self.segments.push(seg);
    }
}
