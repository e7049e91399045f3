//! keepalived's scripts (`vrrp_script`, notify scripts), run safely off the protocol loop.
//!
//! - [`user`]: who a script runs as (`script_user`, `user`, `keepalived_script`/root),
//!   resolved once at start.
//! - [`security`]: keepalived's `check_script_secure`: path search, executable bit, and
//!   with root's uid/gid the ownership and write bits of every component of the path.
//! - [`runner`]: a dedicated thread with its own runtime that forks, execs, times out,
//!   kills (the whole process group) and reaps.
//! - [`rise_fall`]: keepalived's rise/fall/init_fail counter, pure.
//! - [`monitor`]: one periodic task per tracked `vrrp_script`, sending state changes.
//!
//! The daemon's use, in order:
//! ```text
//! let plan = ScriptPlan::new(&cfg);               // once, at start; log plan.diagnostics
//! let runner = Runner::start()?;                  // the script thread
//! let (monitor, mut changes) = plan.start_monitor(&runner.handle());
//! // protocol loop: changes.recv().await -> ScriptChange { script, good }
//! // notify: if let Some(p) = plan.notify_script(cmd) { runner.handle().spawn(p, args, None) }
//! runner.shutdown();  // SIGTERM, SIGKILL 1 s later, reaps; the monitor's tasks end with it
//! drop(monitor);
//! ```

pub mod monitor;
pub mod rise_fall;
pub mod runner;
pub mod security;
pub mod user;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::config::{Config, Diagnostic, ScriptCmd, Severity, SourceLocation, VrrpScript};

pub use monitor::{initial_state, ScriptChange, TrackMonitor};
pub use rise_fall::{RiseFall, ScriptState};
pub use runner::{Outcome, Runner, RunnerHandle};
pub use security::{check_security, prepare, Checked, Prepared, Unsafe};
pub use user::{Credentials, UserRules, DEFAULT_SCRIPT_USER};

/// Every script of a configuration, checked once at start.
#[derive(Debug)]
pub struct ScriptPlan {
    users: UserRules,
    enable_script_security: bool,
    scripts: Vec<VrrpScript>,
    /// Per [`Config::scripts`] index: the script to run, or `None` when it is disabled
    /// (refused by the checks, or tracked by no instance). The daemon must then treat every
    /// `track_script` entry naming it as absent, as keepalived does
    /// (`vrrp.c: check_vrrp_script_security` removes them): no FAULT, no weight.
    pub track: Vec<Option<Arc<Prepared>>>,
    /// The notify and FIFO scripts, by where they are written: `None` when refused
    /// (keepalived's `check_notify_script_secure` frees them: never called).
    notify: HashMap<SourceLocation, Option<Arc<Prepared>>>,
    /// What keepalived would log about the scripts, at their `file:line:column`: the
    /// refusals (errors), the warnings, and the "SECURITY VIOLATION" warning.
    pub diagnostics: Vec<Diagnostic>,
}

impl ScriptPlan {
    /// Resolves the users and checks every script keepalived checks: the tracked
    /// `vrrp_script`s, every instance's notify scripts, the FIFO scripts.
    pub fn new(cfg: &Config) -> ScriptPlan {
        let users = UserRules::new(&cfg.global);
        let security = cfg.global.enable_script_security;
        let mut diagnostics = users.notes.clone();
        let mut insecure = false;
        let mut track = vec![None; cfg.scripts.len()];
        let mut notify = HashMap::new();
        for (what, index, cmd) in commands(cfg) {
            let checked = prepare(cmd, &users, security);
            insecure |= checked.insecure;
            diagnostics.extend(checked.warnings);
            let prepared = match checked.result {
                Ok(p) => Some(Arc::new(p)),
                Err(mut d) => {
                    d.message = format!("{what}: {}", d.message);
                    diagnostics.push(d);
                    None
                }
            };
            match index {
                Some(i) => track[i] = prepared,
                None => {
                    notify.insert(cmd.location.clone(), prepared);
                }
            }
        }
        if users.default_is_ours() {
            // keepalived's set_uid_gid says so when a script needs the default user.
            if let Some((_, _, first)) = commands(cfg).find(|(_, _, c)| c.user.is_none()) {
                diagnostics.push(Diagnostic {
                    severity: Severity::Warning,
                    location: first.location.clone(),
                    message: format!(
                        "script user '{DEFAULT_SCRIPT_USER}' does not exist: scripts without a user run as {}",
                        users.default_user().map_or_else(|_| "?".to_owned(), ToString::to_string)
                    ),
                });
            }
        }
        if !security {
            // keepalived's check_vrrp_script_security closing line, at the first script.
            if let Some((_, _, first)) = commands(cfg).next() {
                let more = if insecure { " There are insecure scripts." } else { "" };
                diagnostics.push(Diagnostic {
                    severity: Severity::Warning,
                    location: first.location.clone(),
                    message: format!(
                        "SECURITY VIOLATION - scripts are being executed but script_security not enabled.{more}"
                    ),
                });
            }
        }
        ScriptPlan { users, enable_script_security: security, scripts: cfg.scripts.clone(), track, notify, diagnostics }
    }

    /// The checked notify or FIFO script written at `cmd.location`, `None` when it was
    /// refused. A command not in the configuration the plan was made from is checked now.
    pub fn notify_script(&self, cmd: &ScriptCmd) -> Option<Arc<Prepared>> {
        match self.notify.get(&cmd.location) {
            Some(p) => p.clone(),
            None => prepare(cmd, &self.users, self.enable_script_security).result.ok().map(Arc::new),
        }
    }

    /// The user rules the scripts were checked with (resolved once, at start).
    pub fn users(&self) -> &UserRules {
        &self.users
    }

    /// Whether the `vrrp_script` at `index` is disabled (see [`ScriptPlan::track`]).
    pub fn is_disabled(&self, index: usize) -> bool {
        self.track.get(index).is_none_or(Option::is_none)
    }

    /// Starts the monitor for every enabled tracked script, on the runner's runtime.
    pub fn start_monitor(&self, runner: &RunnerHandle) -> (TrackMonitor, mpsc::Receiver<ScriptChange>) {
        let scripts = self
            .track
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, self.scripts.get(i)?.clone(), Arc::clone(p.as_ref()?))));
        TrackMonitor::start(runner, scripts)
    }
}

fn is_tracked(cfg: &Config, name: &str) -> bool {
    cfg.instances.iter().any(|i| i.track_scripts.iter().any(|t| t.name == name))
}

/// Every command line of `cfg` keepalived checks, with the `vrrp_script` index for track
/// scripts. A `vrrp_script` no instance tracks is left out: keepalived drops it ("script X
/// is not used", `vrrp.c: vrrp_complete_init`) before checking.
fn commands(cfg: &Config) -> impl Iterator<Item = (String, Option<usize>, &ScriptCmd)> {
    let track = cfg
        .scripts
        .iter()
        .enumerate()
        .filter(|(_, s)| is_tracked(cfg, &s.name))
        .map(|(i, s)| (format!("disabling track script {}", s.name), Some(i), &s.cmd));
    let notify = cfg.instances.iter().flat_map(|i| {
        let n = &i.notify;
        [
            ("notify_master", &n.master),
            ("notify_backup", &n.backup),
            ("notify_fault", &n.fault),
            ("notify_stop", &n.stop),
            ("notify", &n.any),
            ("notify_master_rx_lower_pri", &n.master_rx_lower_pri),
        ]
        .into_iter()
        .filter_map(move |(k, c)| Some((format!("{k} script of {} will not be called", i.name), None, c.as_ref()?)))
    });
    let group_notify = cfg.sync_groups.iter().flat_map(|g| {
        let n = &g.notify;
        [
            ("notify_master", &n.master),
            ("notify_backup", &n.backup),
            ("notify_fault", &n.fault),
            ("notify_stop", &n.stop),
            ("notify", &n.any),
        ]
        .into_iter()
        .filter_map(move |(k, c)| {
            Some((format!("{k} script of sync group {} will not be called", g.name), None, c.as_ref()?))
        })
    });
    let fifo =
        [("notify_fifo_script", &cfg.global.notify_fifo), ("vrrp_notify_fifo_script", &cfg.global.vrrp_notify_fifo)]
            .into_iter()
            .filter_map(|(k, f)| Some((format!("{k} will not be called"), None, f.as_ref()?.script.as_ref()?)));
    track.chain(notify).chain(group_notify).chain(fifo)
}

/// The script checks of `vrrpd -t`: for every script keepalived checks, a missing
/// program, one its user cannot execute, an unknown user, or (with
/// `enable_script_security`) an unsafe path is an error at the script's
/// `file:line:column`; path searches, unsafe paths without `enable_script_security` and
/// the "SECURITY VIOLATION" line are warnings. The same as [`ScriptPlan::diagnostics`].
pub fn check_config(cfg: &Config) -> Vec<Diagnostic> {
    ScriptPlan::new(cfg).diagnostics
}
