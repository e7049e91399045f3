//! Tracking: from the state of tracked scripts, interfaces, files and processes to each
//! instance's effective priority, or FAULT (keepalived's `track_script`,
//! `track_interface`, `track_file`, `track_process`; keepalived.conf(5)).
//!
//! [`Tracking`] is pure: the daemon feeds it what it learns (a script's result from the
//! script monitor, an interface's state from rtnetlink, a file's number from the file
//! watcher) and asks it for each instance's [`Verdict`], which it hands to the core
//! (`set_priority`, `set_tracking_fault`). The arithmetic of one item is in [`rules`].

pub mod file;
pub mod process;
pub mod rules;

use std::collections::BTreeMap;

use crate::config::{Config, Track};
use rules::{Contribution, Weight};

/// What is known of a tracked script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScriptStatus {
    /// Not run yet.
    Unknown,
    /// Not run yet, `init_fail`: counts as failed, but (as keepalived 2.2.7 does) a weight-0
    /// script still holds its instances back rather than faulting them before it has run.
    AssumedFailed,
    Known(bool),
}

/// What tracking says an instance must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A weight-0 script has not finished its first run (keepalived keeps the instance
    /// in INIT until it has), or a tracked process's first scan has not said yet: vrrpd
    /// does not start it yet.
    Pending,
    /// A weight-0 item failed (or a file reached −254): FAULT.
    Fault,
    /// Serve with this priority.
    Priority(u8),
}

#[derive(Debug, Clone)]
struct InstanceItems {
    configured: u8,
    scripts: Vec<(usize, Weight)>,
    files: Vec<(usize, Weight)>,
    processes: Vec<(usize, Weight)>,
    interfaces: Vec<(String, Weight)>,
}

/// The tracked state of every item and what it means for every instance.
#[derive(Debug, Clone)]
pub struct Tracking {
    instances: Vec<InstanceItems>,
    /// By script index (`Config::scripts`).
    scripts: Vec<ScriptStatus>,
    /// By file index (`Config::track_files`).
    files: Vec<i64>,
    /// By process index (`Config::track_processes`): quorum or not, `None` until the
    /// first scan has said.
    processes: Vec<Option<bool>>,
    /// Interface up/down by name; a name not (yet) seen counts as down.
    interfaces: BTreeMap<String, bool>,
    /// `vrrp_script` names, by script index.
    script_names: Vec<String>,
    /// `vrrp_track_process` names, by process index.
    process_names: Vec<String>,
}

impl Tracking {
    /// Tracking for `cfg`'s instances, in order. Scripts start unknown (with `init_fail`,
    /// assumed failed); files start at 0 and interfaces down until the caller says otherwise.
    pub fn new(cfg: &Config) -> Tracking {
        let script_index = |name: &str| cfg.scripts.iter().position(|s| s.name == name);
        let file_index = |name: &str| cfg.track_files.iter().position(|f| f.name == name);
        let process_index = |name: &str| cfg.track_processes.iter().position(|p| p.name == name);
        let instances = cfg
            .instances
            .iter()
            .map(|inst| InstanceItems {
                configured: inst.priority,
                scripts: inst
                    .track_scripts
                    .iter()
                    .filter_map(|t| {
                        let i = script_index(&t.name)?;
                        let s = &cfg.scripts[i];
                        Some((i, entry_weight(t, s.weight)))
                    })
                    .collect(),
                files: inst
                    .track_files
                    .iter()
                    .filter_map(|t| {
                        let i = file_index(&t.name)?;
                        let f = &cfg.track_files[i];
                        Some((i, entry_weight(t, f.weight)))
                    })
                    .collect(),
                processes: inst
                    .track_processes
                    .iter()
                    .filter_map(|t| {
                        let i = process_index(&t.name)?;
                        Some((i, entry_weight(t, cfg.track_processes[i].weight)))
                    })
                    .collect(),
                interfaces: inst.track_interfaces.iter().map(|t| (t.name.clone(), entry_weight(t, 0))).collect(),
            })
            .collect();
        Tracking {
            instances,
            scripts: cfg
                .scripts
                .iter()
                .map(|s| if s.init_fail { ScriptStatus::AssumedFailed } else { ScriptStatus::Unknown })
                .collect(),
            files: vec![0; cfg.track_files.len()],
            processes: vec![None; cfg.track_processes.len()],
            interfaces: BTreeMap::new(),
            script_names: cfg.scripts.iter().map(|s| s.name.clone()).collect(),
            process_names: cfg.track_processes.iter().map(|p| p.name.clone()).collect(),
        }
    }

    /// After a reload: what `old` knew of each script and process of the same name, and of
    /// every interface, so an instance does not change priority or state because its
    /// checks have not run again yet (keepalived keeps a reloaded script's last result
    /// too). Scripts new in the file start as [`Tracking::new`] starts them.
    pub fn carry_from(&mut self, old: &Tracking) {
        for (i, name) in self.script_names.iter().enumerate() {
            let known = old.script_names.iter().position(|n| n == name).and_then(|j| old.scripts.get(j));
            if let (Some(ScriptStatus::Known(good)), Some(slot)) = (known, self.scripts.get_mut(i)) {
                *slot = ScriptStatus::Known(*good);
            }
        }
        for (i, name) in self.process_names.iter().enumerate() {
            let known = old.process_names.iter().position(|n| n == name).and_then(|j| old.processes.get(j));
            if let (Some(Some(good)), Some(slot)) = (known, self.processes.get_mut(i)) {
                *slot = Some(*good);
            }
        }
        self.interfaces = old.interfaces.clone();
    }

    /// Script `script` could not be made to run (missing, not executable, or refused by
    /// `enable_script_security`): as keepalived (`check_vrrp_script_security`), every
    /// instance stops tracking it, and it never runs.
    pub fn disable_script(&mut self, script: usize) {
        for inst in &mut self.instances {
            inst.scripts.retain(|(i, _)| *i != script);
        }
    }

    /// Number of instances.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Whether there are no instances.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// Whether instance `inst` tracks anything at all.
    pub fn tracks_anything(&self, inst: usize) -> bool {
        self.instances.get(inst).is_some_and(|i| {
            !(i.scripts.is_empty() && i.files.is_empty() && i.processes.is_empty() && i.interfaces.is_empty())
        })
    }

    /// Every interface name some instance tracks.
    pub fn interfaces(&self) -> impl Iterator<Item = &str> {
        let mut names: Vec<&str> =
            self.instances.iter().flat_map(|i| i.interfaces.iter().map(|(n, _)| n.as_str())).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter()
    }

    /// Script `script` finished with this result. Returns whether anything changed.
    pub fn set_script(&mut self, script: usize, good: bool) -> bool {
        match self.scripts.get_mut(script) {
            Some(slot) if *slot != ScriptStatus::Known(good) => {
                *slot = ScriptStatus::Known(good);
                true
            }
            _ => false,
        }
    }

    /// File `file` now holds `value`. Returns whether anything changed.
    pub fn set_file(&mut self, file: usize, value: i64) -> bool {
        match self.files.get_mut(file) {
            Some(slot) if *slot != value => {
                *slot = value;
                true
            }
            _ => false,
        }
    }

    /// Process `process` has (`true`) or lacks its quorum. Returns whether anything changed.
    pub fn set_process(&mut self, process: usize, good: bool) -> bool {
        match self.processes.get_mut(process) {
            Some(slot) if *slot != Some(good) => {
                *slot = Some(good);
                true
            }
            _ => false,
        }
    }

    /// Interface `name` is up or down. Returns whether a tracked interface changed.
    pub fn set_interface(&mut self, name: &str, up: bool) -> bool {
        if !self.instances.iter().any(|i| i.interfaces.iter().any(|(n, _)| n == name)) {
            return false;
        }
        self.interfaces.insert(name.to_string(), up) != Some(up)
    }

    /// What instance `inst` must do now.
    pub fn verdict(&self, inst: usize) -> Verdict {
        let Some(items) = self.instances.get(inst) else { return Verdict::Priority(1) };
        let mut fault = false;
        let mut pending = false;
        let mut total: i64 = 0;
        let mut apply = |c: Contribution| match c {
            Contribution::Fault => fault = true,
            Contribution::Add(n) => total += i64::from(n),
        };
        for &(i, w) in &items.scripts {
            match self.scripts.get(i).copied().unwrap_or(ScriptStatus::Unknown) {
                ScriptStatus::Known(good) => apply(w.of_status(Some(good))),
                _ if w.weight == 0 => pending = true,
                ScriptStatus::AssumedFailed => apply(w.of_status(Some(false))),
                ScriptStatus::Unknown => apply(w.of_status(None)),
            }
        }
        for &(i, w) in &items.files {
            apply(w.of_file(self.files.get(i).copied().unwrap_or(0)));
        }
        // A tracked process counts like a script (keepalived vrrp_track.c
        // `process_update_track_process_status`). Its first state comes from a /proc scan
        // at start, which keepalived does before any instance starts: until then the
        // instance waits, whatever the weight.
        for &(i, w) in &items.processes {
            let status = self.processes.get(i).copied().flatten();
            if status.is_none() {
                pending = true;
            }
            apply(w.of_status(status));
        }
        for (name, w) in &items.interfaces {
            apply(w.of_status(Some(self.interfaces.get(name).copied().unwrap_or(false))));
        }
        if fault {
            Verdict::Fault
        } else if pending {
            Verdict::Pending
        } else {
            Verdict::Priority(rules::effective_priority(items.configured, total))
        }
    }
}

/// The weight that applies to one entry: its own `weight N` if written, else the
/// script's or file's. The reader already settled `reverse` (the entry's `reverse` /
/// `noreverse`, else the script's or file's own).
fn entry_weight(t: &Track, own: i32) -> Weight {
    Weight { weight: t.weight.unwrap_or(own), reverse: t.reverse }
}

#[cfg(test)]
mod tests;
