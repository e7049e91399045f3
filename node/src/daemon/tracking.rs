//! The daemon's side of tracking: what the script monitor, the file watcher and rtnetlink
//! report goes into [`Tracking`], and each instance's new [`Verdict`] goes to the core
//! (`set_priority`, `set_tracking_fault`, or a held-back start).
//!
//! Runs on the protocol loop but does no I/O there except reading which interface an
//! unknown ifindex is, and that only while a tracked interface has not been seen.

use std::collections::BTreeMap;

use tokio::sync::mpsc;
use tracing::{info, warn};
use vrrp_core::router::InstanceId;
use vrrp_core::Instant;

use super::engine::{Engine, Transmit};
use crate::config::Config;
use crate::net::Netlink;
use crate::track::{file, Tracking, Verdict};

/// What the tracking helpers (off the protocol loop) report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackEvent {
    /// `vrrp_script` number `index` (in `Config::scripts`) is now good or failed.
    Script { index: usize, good: bool },
    /// `vrrp_track_file` number `index` now holds `value`.
    File { index: usize, value: i64 },
    /// `vrrp_track_process` number `index` (in `Config::track_processes`) has its quorum
    /// (`good`) or not.
    Process { index: usize, good: bool },
}

/// Reports waiting for the loop before the helpers are slowed down (they `await` a slot).
pub const TRACK_EVENTS: usize = 256;

/// Tracking as the loop sees it.
pub(super) struct TrackingLoop {
    tracking: Tracking,
    /// The verdict last carried out, by instance id.
    applied: Vec<Option<Verdict>>,
    /// Instances not started yet (their verdict was [`Verdict::Pending`] at start).
    held: Vec<bool>,
    /// Tracked interfaces by ifindex, once seen.
    ifnames: BTreeMap<u32, String>,
    names: Vec<String>,
    rx: Option<mpsc::Receiver<TrackEvent>>,
}

impl TrackingLoop {
    /// Tracking for `cfg`, with the track files' current numbers already read (so an
    /// instance does not start on a value it is about to drop).
    pub(super) fn new(cfg: &Config, rx: Option<mpsc::Receiver<TrackEvent>>) -> TrackingLoop {
        let mut tracking = Tracking::new(cfg);
        for (i, f) in cfg.track_files.iter().enumerate() {
            if let Some(value) = file::read_value(&f.path) {
                tracking.set_file(i, value);
            }
        }
        TrackingLoop {
            applied: vec![None; tracking.len()],
            held: vec![false; tracking.len()],
            tracking,
            ifnames: BTreeMap::new(),
            names: cfg.instances.iter().map(|i| i.name.clone()).collect(),
            rx,
        }
    }

    /// After a reload: carries over what the old loop knew (script, process and interface
    /// states, [`Tracking::carry_from`]) and, for each instance kept, `(new index, old
    /// index)`, the verdict last carried out and whether it is still held back.
    pub(super) fn carry_from(&mut self, old: &TrackingLoop, kept: &[(usize, usize)]) {
        self.tracking.carry_from(&old.tracking);
        self.ifnames = old.ifnames.clone();
        for &(new, was) in kept {
            if let (Some(slot), Some(applied)) = (self.applied.get_mut(new), old.applied.get(was)) {
                *slot = *applied;
            }
            if let (Some(slot), Some(held)) = (self.held.get_mut(new), old.held.get(was)) {
                *slot = *held;
            }
        }
    }

    /// The priority instance `i` serves with under `configured`: what tracking makes of it.
    pub(super) fn priority_for(&self, i: usize, configured: u8) -> u8 {
        match self.tracking.tracks_anything(i).then(|| self.tracking.verdict(i)) {
            Some(Verdict::Priority(p)) => p,
            _ => configured,
        }
    }

    /// Script `index` cannot run: no instance tracks it any more (as keepalived).
    pub(super) fn disable_script(&mut self, index: usize) {
        self.tracking.disable_script(index);
    }

    /// Reads the tracked interfaces' state (at start, and after lost rtnetlink events).
    pub(super) async fn read_interfaces(&mut self, netlink: &Netlink) {
        let names: Vec<String> = self.tracking.interfaces().map(str::to_string).collect();
        for name in names {
            match netlink.link_by_name(&name).await {
                Ok(link) => {
                    self.ifnames.insert(link.index, name.clone());
                    self.tracking.set_interface(&name, link.up);
                }
                Err(e) => {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        warn!("track_interface {name}: {e}; counted as down");
                    }
                    self.ifnames.retain(|_, n| *n != name);
                    self.tracking.set_interface(&name, false);
                }
            }
        }
    }

    /// A link event for `index`; returns whether tracking changed.
    pub(super) async fn on_link(&mut self, netlink: &Netlink, index: u32, up: bool, removed: bool) -> bool {
        let name = match self.ifnames.get(&index) {
            Some(name) => name.clone(),
            None if up && self.tracking.interfaces().any(|n| !self.ifnames.values().any(|k| k == n)) => {
                // A tracked interface may have just been created: learn its name.
                match netlink.link_by_index(index).await {
                    Ok(link) if self.tracking.interfaces().any(|n| n == link.name) => {
                        self.ifnames.insert(index, link.name.clone());
                        link.name
                    }
                    _ => return false,
                }
            }
            None => return false,
        };
        if removed {
            self.ifnames.remove(&index);
        }
        self.tracking.set_interface(&name, up && !removed)
    }

    /// The next report from the tracking helpers; never ready without them.
    pub(super) async fn recv(&mut self) -> Option<TrackEvent> {
        match &mut self.rx {
            Some(rx) => rx.recv().await,
            None => std::future::pending().await,
        }
    }

    /// Takes a report; returns whether tracking changed.
    pub(super) fn on_event(&mut self, event: TrackEvent) -> bool {
        match event {
            TrackEvent::Script { index, good } => self.tracking.set_script(index, good),
            TrackEvent::File { index, value } => self.tracking.set_file(index, value),
            TrackEvent::Process { index, good } => self.tracking.set_process(index, good),
        }
    }

    /// Before the instances start: carries out each verdict, and holds back (returns
    /// `false` for) the ones still pending.
    pub(super) fn before_start(&mut self, now: Instant, engine: &mut Engine, tx: &mut impl Transmit) -> Vec<bool> {
        self.apply(now, engine, tx);
        (0..self.tracking.len()).map(|i| !self.held[i]).collect()
    }

    /// Carries out every verdict that changed since the last call.
    pub(super) fn apply(&mut self, now: Instant, engine: &mut Engine, tx: &mut impl Transmit) {
        for i in 0..self.tracking.len() {
            if !self.tracking.tracks_anything(i) {
                continue;
            }
            let verdict = self.tracking.verdict(i);
            let Some(slot) = self.applied.get_mut(i) else { continue };
            if *slot == Some(verdict) {
                continue;
            }
            let before = slot.replace(verdict);
            let Ok(raw) = u16::try_from(i) else { continue };
            let id = InstanceId(raw);
            let name = self.names.get(i).map_or("?", String::as_str);
            match verdict {
                Verdict::Pending => {
                    // Only at start: a script never returns to "not run yet". An instance
                    // a reload kept runs already: it waits for nothing.
                    let started = engine.router().get(id).is_some_and(|i| i.state() != vrrp_core::State::Initialize);
                    if before.is_none() && !started {
                        info!("({name}) waiting for the first result of its weight-0 track scripts or its tracked processes");
                        self.held[i] = true;
                    }
                }
                Verdict::Fault => engine.set_tracking_fault(now, id, true, tx),
                Verdict::Priority(p) => {
                    let current = engine.router().get(id).map(|inst| inst.priority());
                    if current != Some(p) {
                        info!("({name}) Changing effective priority from {} to {p}", current.unwrap_or(0));
                        if let Err(e) = engine.set_priority(now, id, p, tx) {
                            warn!("({name}) effective priority {p} refused: {e}");
                        }
                    }
                    engine.set_tracking_fault(now, id, false, tx);
                }
            }
            if verdict != Verdict::Pending && self.held[i] {
                self.held[i] = false;
                engine.start_one(now, id, tx);
            }
        }
    }
}
