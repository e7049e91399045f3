//! The properties every run must have, each its own checker with its own name (the
//! names, and the online checks [`crate::node`] and [`crate::sim`] run at every call
//! into the core, are listed in [`crate::checker`]).
//!
//! Trace checks (here, over a finished [`Outcome`]):
//! 1. [`single_master_when_stable`]: on a connected, clean LAN that has had time to
//!    settle, exactly one master per VRID, and with preemption the highest priority
//!    (but for a router that handed its mastership over: it does not preempt its
//!    successor until it is master again).
//! 2. [`converges_after_last_fault`]: after the last fault, a single master within the
//!    settle time, and no state change after it.
//! 3. [`no_flapping_when_stable`]: no state change at all while nothing changes.
//! 4. [`one_master_per_partition_side`]: in a settled partition, one master per side.
//! 5. [`same_seed_same_trace`]: the run is a function of its schedule.
//! 6. [`planned_changes_keep_the_vips`]: a graceful stop, an operator handover, a
//!    priority change or a restart on a settled, clean, connected LAN (make-before-break, see `vrrp_core::instance`)
//!    never leaves a VIP held by nobody while some router takes part, and a router
//!    stopping gracefully never advertises a non-zero priority while it hands over.
//!
//! Differential: [`router_agrees_with_instances`] runs the schedule a second time with
//! every node's instances inside a `vrrp_core::Router` and wants the same trace.
//!
//! "Settled" means [`Schedule::settle_time`](crate::Schedule::settle_time) after the
//! segment's `quiet_from`. "Clean" means no loss and no reordering: those are faults,
//! under which VRRP may legitimately fail over. Delay and jitter up to 1 ms are normal
//! and must not disturb anything.
//!
//! About ties: with preemption, the master must have the highest priority, but among
//! routers of *equal* priority any may be master. RFC 9568 §6.4.2 has a backup accept a
//! master whose priority is "greater than or equal to" its own, so an equal-priority
//! backup with a higher address does not preempt; the address tie-break (§6.4.3) only
//! decides between two routers that are both master at once.

use vrrp_core::{Reason, State};

use crate::checker::{
    Violation, CONVERGES_AFTER_LAST_FAULT, NO_FLAPPING_WHEN_STABLE, ONE_MASTER_PER_PARTITION_SIDE,
    PLANNED_CHANGES_KEEP_THE_VIPS, ROUTER_AGREES_WITH_INSTANCES, SAME_SEED_SAME_TRACE, SINGLE_MASTER_WHEN_STABLE,
};
use crate::node::Engine;
use crate::schedule::{Fault, Schedule};
use crate::sim::{run_engine, run_with, Outcome, Segment};
use crate::trace::{At, Event, TraceLevel};

/// Every violation of a run: the online ones, then each trace checker's.
pub fn check(o: &Outcome) -> Vec<Violation> {
    let mut v = o.violations.clone();
    v.extend(single_master_when_stable(o));
    v.extend(converges_after_last_fault(o));
    v.extend(no_flapping_when_stable(o));
    v.extend(one_master_per_partition_side(o));
    v.extend(planned_changes_keep_the_vips(o));
    v
}

/// Runs the schedule and checks it: every checker, determinism (a second run), and the
/// router engine against the direct one (a third run).
pub fn check_schedule(s: &Schedule) -> Vec<Violation> {
    let o = run_with(s, TraceLevel::Full);
    let mut v = check(&o);
    let again = run_with(s, TraceLevel::Full);
    v.extend(compare_traces(SAME_SEED_SAME_TRACE, &o, &again));
    let routed = run_engine(s, TraceLevel::Full, Engine::Router);
    v.extend(routed.violations.iter().cloned());
    v.extend(compare_traces(ROUTER_AGREES_WITH_INSTANCES, &o, &routed));
    v
}

/// Runs the schedule with instances driven directly and through `vrrp_core::Router`,
/// and reports the router run's online violations and the first trace difference.
pub fn router_agrees_with_instances(s: &Schedule) -> Vec<Violation> {
    let direct = run_engine(s, TraceLevel::Full, Engine::Instances);
    let routed = run_engine(s, TraceLevel::Full, Engine::Router);
    let mut v = routed.violations.clone();
    v.extend(compare_traces(ROUTER_AGREES_WITH_INSTANCES, &direct, &routed));
    v
}

/// Invariant 1: see the module documentation.
pub fn single_master_when_stable(o: &Outcome) -> Vec<Violation> {
    sides_checker(o, SINGLE_MASTER_WHEN_STABLE, false)
}

/// Invariant 4: a settled partition has exactly one master on each side (at most one,
/// or VIPs would be claimed twice within a side; at least one, or a side with routers
/// would have no gateway), the highest of that side when preempting.
pub fn one_master_per_partition_side(o: &Outcome) -> Vec<Violation> {
    sides_checker(o, ONE_MASTER_PER_PARTITION_SIDE, true)
}

fn sides_checker(o: &Outcome, checker: &'static str, partitioned: bool) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut replay = Replay::new(o);
    for (k, seg) in o.segments.iter().enumerate() {
        if !seg.clean || (seg.sides.len() > 1) != partitioned {
            continue;
        }
        let Some((from, to)) = window(o, k) else {
            continue;
        };
        replay.advance_through(from);
        let mut t = from;
        loop {
            if let Some(msg) = judge(o, seg, &replay) {
                out.push(Violation {
                    checker,
                    at: t,
                    message: format!("{} (settled since {}, {} sides): {msg}", At(t), At(from), seg.sides.len()),
                });
                break;
            }
            match replay.next_at() {
                Some(next) if next < to => {
                    replay.advance_through(next);
                    t = next;
                }
                _ => break,
            }
        }
    }
    out
}

/// Invariant 2: once the last fault is `settle` old, every side of the final network
/// has one master and no state changes any more. The final network must be clean: under
/// lasting loss nothing is promised.
pub fn converges_after_last_fault(o: &Outcome) -> Vec<Violation> {
    let Some(seg) = o.segments.last() else {
        return Vec::new();
    };
    let deadline = seg.quiet_from.saturating_add(o.settle);
    if !seg.clean || deadline > o.end {
        return Vec::new();
    }
    let mut out = Vec::new();
    let late = changes(o).into_iter().find(|c| c.at > deadline && c.at >= seg.start);
    if let Some(c) = late {
        out.push(Violation {
            checker: CONVERGES_AFTER_LAST_FAULT,
            at: c.at,
            message: format!(
                "{}: {} still changes state ({:?} -> {:?}) more than the settle time {}us \
                 after the last fault at {}",
                At(c.at),
                who(o, c.node, c.vrid),
                c.from,
                c.to,
                o.settle,
                At(seg.start)
            ),
        });
    }
    let mut replay = Replay::new(o);
    replay.advance_through(o.end);
    if let Some(msg) = judge(o, seg, &replay) {
        out.push(Violation {
            checker: CONVERGES_AFTER_LAST_FAULT,
            at: o.end,
            message: format!("{} (end of run, last fault at {}): {msg}", At(o.end), At(seg.start)),
        });
    }
    out
}

/// Invariant 3: in a settled, clean segment, nobody changes state. At 10 ms adverts with
/// 1 ms jitter this is what catches a timer that is too tight.
pub fn no_flapping_when_stable(o: &Outcome) -> Vec<Violation> {
    let all = changes(o);
    let mut out = Vec::new();
    for (k, seg) in o.segments.iter().enumerate() {
        if !seg.clean {
            continue;
        }
        let Some((from, to)) = window(o, k) else {
            continue;
        };
        let first = all.partition_point(|c| c.at < from);
        if let Some(c) = all.get(first).filter(|c| c.at < to) {
            out.push(Violation {
                checker: NO_FLAPPING_WHEN_STABLE,
                at: c.at,
                message: format!(
                    "{}: {} went {:?} -> {:?} on a stable network (nothing changed since {}, \
                     settled since {})",
                    At(c.at),
                    who(o, c.node, c.vrid),
                    c.from,
                    c.to,
                    At(seg.start),
                    At(from)
                ),
            });
        }
    }
    out
}

/// Invariant 6: see the module documentation. A segment is judged when it begins with
/// planned faults only (`Shutdown`, `Handover`, `SetPriority`, `Restart`), is clean and connected,
/// some router takes part in it, and the segment before it was clean and had settled
/// with the VIP held: then, until the next segment, the holders of each VIP never drop
/// to none, and a router stopped by a `Shutdown` sends no advert with a non-zero
/// priority (so the successor is the only master advertising). Two successors of equal
/// priority may both be master for a moment: that is the election, not the handover.
pub fn planned_changes_keep_the_vips(o: &Outcome) -> Vec<Violation> {
    let vrids = o.schedule.vrid_count();
    let n = o.schedule.router_count();
    let mut out = Vec::new();
    for (k, seg) in o.segments.iter().enumerate() {
        let Some(prev) = k.checked_sub(1).and_then(|p| o.segments.get(p)) else { continue };
        let settled = prev.clean && prev.quiet_from.saturating_add(o.settle) <= seg.start;
        let participants = seg.sides.iter().map(Vec::len).sum::<usize>();
        if !settled || !seg.clean || seg.sides.len() != 1 || participants == 0 {
            continue;
        }
        let faults: Vec<&Fault> = o
            .trace
            .iter()
            .filter(|r| r.at == seg.start)
            .filter_map(|r| match &r.event {
                Event::Fault(f) => Some(f),
                _ => None,
            })
            .collect();
        let planned = |f: &&Fault| {
            matches!(f, Fault::Shutdown(_) | Fault::Handover { .. } | Fault::SetPriority { .. } | Fault::Restart(_))
        };
        if faults.is_empty() || !faults.iter().all(planned) {
            continue;
        }
        // Routers stopped from their `Shutdown` record on (a `Restart` undoes it).
        let mut stopped: Vec<u8> = Vec::new();
        let end = o.segments.get(k + 1).map_or(o.end + 1, |s| s.start);
        // Holders and states just before the segment.
        let mut held = vec![vec![false; vrids]; n];
        let mut states = vec![vec![State::Initialize; vrids]; n];
        let mut records = o.trace.iter().peekable();
        while let Some(r) = records.next_if(|r| r.at < seg.start) {
            apply(&r.event, &mut held, &mut states);
        }
        let count = |held: &[Vec<bool>], v: usize| held.iter().filter(|h| h.get(v) == Some(&true)).count();
        let watched: Vec<usize> = (0..vrids).filter(|v| count(&held, *v) > 0).collect();
        'records: for r in records.take_while(|r| r.at < end) {
            apply(&r.event, &mut held, &mut states);
            match r.event {
                Event::Fault(Fault::Shutdown(x)) => stopped.push(x),
                Event::Fault(Fault::Restart(x)) => stopped.retain(|s| *s != x),
                _ => {}
            }
            for &v in &watched {
                let problem = match r.event {
                    Event::Sent { node, vrid, priority }
                        if usize::from(vrid) == v && priority != 0 && stopped.contains(&node) =>
                    {
                        Some(format!("r{node}, stopping, advertised priority {priority}"))
                    }
                    _ if count(&held, v) == 0 => Some("no router holds the VIPs".to_string()),
                    _ => None,
                };
                if let Some(p) = problem {
                    out.push(Violation {
                        checker: PLANNED_CHANGES_KEEP_THE_VIPS,
                        at: r.at,
                        message: format!(
                            "{}: vrid {}: {p} during a planned change at {} ({})",
                            At(r.at),
                            o.schedule.vrid(v),
                            At(seg.start),
                            faults.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ")
                        ),
                    });
                    break 'records;
                }
            }
        }
    }
    out
}

/// Applies a trace event to the VIP holders and states (`[router][vrid]`); a crash drops both.
fn apply(event: &Event, held: &mut [Vec<bool>], states: &mut [Vec<State>]) {
    match event {
        Event::Vips { node, vrid, held: h } => {
            if let Some(x) = held.get_mut(usize::from(*node)).and_then(|x| x.get_mut(usize::from(*vrid))) {
                *x = *h;
            }
        }
        Event::State { node, vrid, to, .. } => {
            if let Some(x) = states.get_mut(usize::from(*node)).and_then(|x| x.get_mut(usize::from(*vrid))) {
                *x = *to;
            }
        }
        Event::Fault(Fault::Crash(node)) => {
            held.get_mut(usize::from(*node)).into_iter().flatten().for_each(|x| *x = false);
            states.get_mut(usize::from(*node)).into_iter().flatten().for_each(|x| *x = State::Initialize);
        }
        _ => {}
    }
}

/// Invariant 5: running the schedule again gives the same trace, event for event.
pub fn same_seed_same_trace(s: &Schedule) -> Vec<Violation> {
    compare_traces(SAME_SEED_SAME_TRACE, &run_with(s, TraceLevel::Full), &run_with(s, TraceLevel::Full))
}

/// The first difference between two runs' traces, as a violation of `checker`.
pub fn compare_traces(checker: &'static str, first: &Outcome, second: &Outcome) -> Vec<Violation> {
    let diverge = first.trace.iter().zip(&second.trace).position(|(a, b)| a != b);
    let (index, at, detail) = match diverge {
        Some(i) => {
            let (a, b) = (&first.trace[i], &second.trace[i]);
            (i, a.at.min(b.at), format!("{a} vs {b}"))
        }
        None if first.trace.len() != second.trace.len() => {
            let i = first.trace.len().min(second.trace.len());
            (i, first.end, "one trace is longer".to_string())
        }
        None => return Vec::new(),
    };
    vec![Violation {
        checker,
        at,
        message: format!("{}: the traces of two runs of one schedule differ at event {index}: {detail}", At(at)),
    }]
}

/// The checked window of segment `k`: from settled to the next segment (or the end).
fn window(o: &Outcome, k: usize) -> Option<(u64, u64)> {
    let seg = o.segments.get(k)?;
    let from = seg.quiet_from.saturating_add(o.settle);
    let to = o.segments.get(k + 1).map_or(o.end + 1, |n| n.start);
    (from < to).then_some((from, to))
}

/// What is wrong with the replayed states on network `seg`, if anything.
fn judge(o: &Outcome, seg: &Segment, replay: &Replay) -> Option<String> {
    let states = &replay.states;
    let vrids = o.schedule.vrid_count();
    for v in 0..vrids {
        // A master that does not participate (crashed, down, stopped) would be a
        // state-tracking bug: report it before counting sides.
        let stray = states
            .iter()
            .enumerate()
            .find(|(r, s)| s.get(v) == Some(&State::Master) && !seg.sides.iter().flatten().any(|x| x == &(*r as u8)));
        if let Some((r, _)) = stray {
            return Some(format!("{} is MASTER without taking part", who(o, r as u8, v as u8)));
        }
        for side in &seg.sides {
            let masters: Vec<u8> = side.iter().copied().filter(|r| state_of(states, *r, v) == State::Master).collect();
            let prio = |r: u8| seg.priorities.get(usize::from(r)).and_then(|p| p.get(v)).copied().unwrap_or(0);
            if masters.len() != 1 {
                let list: Vec<String> = side
                    .iter()
                    .map(|r| format!("{} {}", who(o, *r, v as u8), state_of(states, *r, v).as_str()))
                    .collect();
                return Some(format!(
                    "vrid {} has {} masters among {}",
                    o.schedule.vrid(v),
                    masters.len(),
                    list.join(", ")
                ));
            }
            if !o.schedule.preempt {
                continue;
            }
            let master = masters[0];
            // A router that handed mastership over does not preempt its successor.
            let top = side.iter().copied().filter(|r| !replay.handed_over(*r, v)).max_by_key(|r| prio(*r));
            if let Some(top) = top.filter(|t| prio(*t) > prio(master)) {
                return Some(format!(
                    "vrid {}: master is {} but {} has a higher priority (preempt on)",
                    o.schedule.vrid(v),
                    who_p(o, master, prio(master)),
                    who_p(o, top, prio(top))
                ));
            }
        }
    }
    None
}

fn state_of(states: &[Vec<State>], r: u8, v: usize) -> State {
    states.get(usize::from(r)).and_then(|s| s.get(v)).copied().unwrap_or(State::Initialize)
}

/// "r2 (192.0.2.12) vrid 51".
fn who(o: &Outcome, r: u8, v: u8) -> String {
    format!("r{r} ({}) vrid {}", o.schedule.address(usize::from(r)), o.schedule.vrid(usize::from(v)))
}

fn who_p(o: &Outcome, r: u8, prio: u8) -> String {
    format!("r{r} ({}, prio {prio})", o.schedule.address(usize::from(r)))
}

/// One state change, including the silent ones a crash implies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// When, µs.
    pub at: u64,
    /// Router.
    pub node: u8,
    /// Virtual router index.
    pub vrid: u8,
    /// Previous state.
    pub from: State,
    /// New state.
    pub to: State,
    /// Why, as the core said; `None` for the change to Initialize a crash implies.
    pub reason: Option<Reason>,
}

/// Every state change of a run in order. A crash drops the instance without a
/// `StateChanged`; here it becomes a change to Initialize for each VRID it had.
pub fn changes(o: &Outcome) -> Vec<Change> {
    let n = o.schedule.router_count();
    let vrids = o.schedule.vrid_count();
    let mut now = vec![vec![State::Initialize; vrids]; n];
    let mut out = Vec::new();
    for r in &o.trace {
        match &r.event {
            Event::State { node, vrid, from, to, reason } => {
                if let Some(s) = now.get_mut(usize::from(*node)).and_then(|s| s.get_mut(usize::from(*vrid))) {
                    *s = *to;
                }
                out.push(Change { at: r.at, node: *node, vrid: *vrid, from: *from, to: *to, reason: Some(*reason) });
            }
            Event::Fault(Fault::Crash(node)) => {
                for (v, s) in now.get_mut(usize::from(*node)).into_iter().flatten().enumerate() {
                    if *s != State::Initialize {
                        let to = State::Initialize;
                        out.push(Change { at: r.at, node: *node, vrid: v as u8, from: *s, to, reason: None });
                        *s = State::Initialize;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The states of every instance as time advances through the changes.
struct Replay {
    changes: Vec<Change>,
    next: usize,
    states: Vec<Vec<State>>,
    /// `[router][vrid]`: left MASTER by an operator handover and not master since (nor
    /// stopped or crashed): the core does not preempt the successor meanwhile.
    handed_over: Vec<Vec<bool>>,
}

impl Replay {
    fn new(o: &Outcome) -> Replay {
        Replay {
            changes: changes(o),
            next: 0,
            states: vec![vec![State::Initialize; o.schedule.vrid_count()]; o.schedule.router_count()],
            handed_over: vec![vec![false; o.schedule.vrid_count()]; o.schedule.router_count()],
        }
    }

    /// Applies every change at or before `t`.
    fn advance_through(&mut self, t: u64) {
        while let Some(c) = self.changes.get(self.next).filter(|c| c.at <= t) {
            let (r, v) = (usize::from(c.node), usize::from(c.vrid));
            if let Some(s) = self.states.get_mut(r).and_then(|s| s.get_mut(v)) {
                *s = c.to;
            }
            if let Some(h) = self.handed_over.get_mut(r).and_then(|h| h.get_mut(v)) {
                if c.reason == Some(Reason::Handover) {
                    *h = true;
                } else if matches!(c.to, State::Master | State::Initialize) {
                    *h = false;
                }
            }
            self.next += 1;
        }
    }

    /// Whether router `r` handed virtual router `v` over and has not been master since.
    fn handed_over(&self, r: u8, v: usize) -> bool {
        self.handed_over.get(usize::from(r)).and_then(|h| h.get(v)).copied().unwrap_or(false)
    }

    /// When the next unapplied change happens.
    fn next_at(&self) -> Option<u64> {
        self.changes.get(self.next).map(|c| c.at)
    }
}

/// When the states last changed at or after `after` (for settle-time measurements).
pub fn last_change_at_or_after(o: &Outcome, after: u64) -> Option<u64> {
    changes(o).iter().rev().find(|c| c.at >= after).map(|c| c.at)
}

/// Every instance's state just after `t` (all changes at or before `t` applied),
/// indexed `[router][vrid]`.
pub fn states_at(o: &Outcome, t: u64) -> Vec<Vec<State>> {
    let mut replay = Replay::new(o);
    replay.advance_through(t);
    replay.states
}

/// The routers that are master of virtual router `v` just after `t`.
pub fn masters_at(o: &Outcome, v: usize, t: u64) -> Vec<u8> {
    states_at(o, t).iter().enumerate().filter(|(_, s)| s.get(v) == Some(&State::Master)).map(|(r, _)| r as u8).collect()
}
