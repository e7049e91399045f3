//! Least privilege: the process knobs of `global_defs`, the capability check at start, and
//! the drop to the capabilities vrrpd needs once it is set up.
//!
//! keepalived's `set_process_priorities` (lib/process.c) is followed: `vrrp_rt_priority`
//! (SCHED_RR with SCHED_RESET_ON_FORK, so scripts do not inherit it) wins over
//! `vrrp_priority` (nice); `vrrp_no_swap` locks the process in memory
//! (`mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT)`, `set_process_dont_swap`). Like
//! keepalived, a knob the kernel refuses is a warning, not a failed start. Unlike keepalived,
//! vrrpd asks for nice -10 when `vrrp_priority` is not given (see [`DEFAULT_NICE`]).

use std::fmt;

use anyhow::Result;
use caps::{CapSet, Capability, CapsHashSet};
use tracing::{info, warn};

use crate::config::{Config, GlobalDefs};

/// The nice value vrrpd asks for without `vrrp_priority`: a failover daemon must keep time
/// on a busy host (at 10 ms adverts a backup scheduled 36 ms late takes over spuriously).
pub const DEFAULT_NICE: i8 = -10;

/// The capabilities vrrpd cannot run without: raw VRRP and AF_PACKET sockets
/// (`CAP_NET_RAW`), adding and removing the VIPs (`CAP_NET_ADMIN`).
pub const REQUIRED: [Capability; 2] = [Capability::CAP_NET_RAW, Capability::CAP_NET_ADMIN];

/// What [`apply_process_settings`] obtained from the kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Raised {
    /// The scheduling priority was raised (a negative nice value or SCHED_RR).
    pub priority: bool,
    /// The process is locked in memory with `MCL_FUTURE`: later allocations count against
    /// `RLIMIT_MEMLOCK` unless `CAP_IPC_LOCK` is kept.
    pub locked: bool,
}

/// Runs the calling thread at the normal policy (SCHED_OTHER), whatever it inherited: a
/// thread doing bulk work off the protocol loop (reading and planning a reloaded file,
/// winding an old configuration down) must not hold a CPU the SCHED_RR loop may need (at
/// the same real-time priority the loop would wait for it to block). Lowering needs no
/// privilege; an error leaves the thread as it was.
pub fn normal_priority_for_this_thread() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler reads `param` only; pid 0 is this thread.
    let _ = unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) };
}

/// Applies `vrrp_rt_priority` / `vrrp_priority` and `vrrp_no_swap`, as keepalived's
/// `set_process_priorities` does; call it on the protocol thread before any other thread
/// starts (SCHED_RR applies to the calling thread).
pub fn apply_process_settings(global: &GlobalDefs) -> Raised {
    let mut raised = Raised::default();
    if let Some(rt) = global.rt_priority {
        let param = libc::sched_param { sched_priority: i32::from(rt) };
        // SAFETY: sched_setscheduler reads `param` only; pid 0 is this thread.
        let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) };
        if rc == 0 {
            info!("vrrp_rt_priority {rt}: running SCHED_RR at priority {rt}");
            raised.priority = true;
        } else {
            warn!(
                "vrrp_rt_priority {rt}: cannot switch to SCHED_RR: {} (needs CAP_SYS_NICE or RLIMIT_RTPRIO)",
                std::io::Error::last_os_error()
            );
        }
    } else {
        let nice = global.process_priority.unwrap_or(DEFAULT_NICE);
        match rustix::process::setpriority_process(None, i32::from(nice)) {
            Ok(()) => raised.priority = nice < 0,
            Err(e) => warn!("could not set scheduling priority (nice) to {nice}: {e}"),
        }
    }
    if global.no_swap {
        // SAFETY: mlockall takes flags only.
        let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
        if rc == 0 {
            raised.locked = true;
        } else {
            warn!(
                "vrrp_no_swap: cannot lock vrrpd in memory: {} (needs CAP_IPC_LOCK or a larger RLIMIT_MEMLOCK)",
                std::io::Error::last_os_error()
            );
        }
    }
    raised
}

/// Fails unless this process holds [`REQUIRED`] in its effective set, with the fix.
pub fn check_required() -> Result<()> {
    let effective = caps::read(None, CapSet::Effective).map_err(|e| anyhow::anyhow!("reading capabilities: {e}"))?;
    let missing: Vec<Capability> = REQUIRED.iter().copied().filter(|c| !effective.contains(c)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    anyhow::bail!("{}", missing_message(&missing))
}

fn missing_message(missing: &[Capability]) -> String {
    let names: Vec<String> = missing.iter().map(|c| c.to_string()).collect();
    format!(
        "vrrpd lacks {}: it needs CAP_NET_RAW (VRRP sockets) and CAP_NET_ADMIN (VIPs). Run it as root, or \
         give it both: in its systemd unit `AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN` with \
         `CapabilityBoundingSet=` listing them too (the packaged vrrpd.service does), or \
         `setpriv --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin`",
        names.join(" and ")
    )
}

/// Why vrrpd keeps each capability it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keep(Vec<(Capability, &'static str)>);

impl Keep {
    /// [`REQUIRED`]; `CAP_SYS_NICE` when the priority was raised; `CAP_IPC_LOCK` when locked
    /// in memory; and, when vrrpd runs as root and the configuration has scripts or FIFOs,
    /// what the script runner needs to start them as their user and stop them
    /// (`CAP_SETUID`, `CAP_SETGID`, `CAP_KILL`) and to give a FIFO its owner (`CAP_CHOWN`).
    pub fn new(raised: Raised, runs_scripts_as_root: bool) -> Keep {
        let mut keep = vec![
            (Capability::CAP_NET_RAW, "VRRP and ARP/ND sockets"),
            (Capability::CAP_NET_ADMIN, "virtual addresses"),
        ];
        if raised.priority {
            keep.push((Capability::CAP_SYS_NICE, "raised scheduling priority"));
        }
        if raised.locked {
            keep.push((Capability::CAP_IPC_LOCK, "vrrp_no_swap"));
        }
        if runs_scripts_as_root {
            keep.push((Capability::CAP_SETUID, "scripts run as their user"));
            keep.push((Capability::CAP_SETGID, "scripts run as their group"));
            keep.push((Capability::CAP_KILL, "scripts stopped at their timeout"));
            keep.push((Capability::CAP_CHOWN, "FIFO owners"));
        }
        Keep(keep)
    }

    /// The capabilities alone.
    pub fn set(&self) -> CapsHashSet {
        self.0.iter().map(|(c, _)| *c).collect()
    }
}

impl fmt::Display for Keep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(c, why)| format!("{c} ({why})")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// Whether `cfg` makes vrrpd start scripts (track, notify, FIFO) or create FIFOs.
pub fn has_scripts(cfg: &Config) -> bool {
    let fifo = |f: &Option<crate::config::NotifyFifo>| f.is_some();
    let notify =
        cfg.instances.iter().map(|i| &i.notify).chain(cfg.sync_groups.iter().map(|g| &g.notify)).any(|n| {
            [&n.master, &n.backup, &n.fault, &n.stop, &n.any, &n.master_rx_lower_pri].iter().any(|s| s.is_some())
        });
    !cfg.scripts.is_empty() || notify || fifo(&cfg.global.notify_fifo) || fifo(&cfg.global.vrrp_notify_fifo)
}

/// Drops every capability but `keep` from the permitted, effective and inheritable sets
/// and clears the ambient set, so neither vrrpd nor the scripts it starts as another user
/// can regain the rest. Capabilities are per thread: call it before any thread starts.
/// The bounding set is left as it is (a script run as root gets root's usual capabilities,
/// as under keepalived). Returns what is kept.
pub fn drop_to(keep: &Keep) -> Result<CapsHashSet> {
    let err = |what: &str, e: caps::errors::CapsError| anyhow::anyhow!("dropping capabilities ({what}): {e}");
    let permitted = caps::read(None, CapSet::Permitted).map_err(|e| err("reading", e))?;
    let kept: CapsHashSet = keep.set().intersection(&permitted).copied().collect();
    caps::clear(None, CapSet::Ambient).map_err(|e| err("ambient", e))?;
    caps::clear(None, CapSet::Inheritable).map_err(|e| err("inheritable", e))?;
    caps::set(None, CapSet::Effective, &kept).map_err(|e| err("effective", e))?;
    caps::set(None, CapSet::Permitted, &kept).map_err(|e| err("permitted", e))?;
    Ok(kept)
}

/// Once vrrpd is set up (control socket bound, priority raised), before any thread starts:
/// drops to [`Keep::new`]'s set and logs what it kept. vrrpd running as root with scripts
/// keeps what the runner needs; see [`Keep::new`].
pub fn drop_after_setup(cfg: &Config, raised: Raised) -> Result<()> {
    let keep = Keep::new(raised, nix::unistd::Uid::effective().is_root() && has_scripts(cfg));
    drop_to(&keep)?;
    info!("capabilities dropped; kept: {keep}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_capability_message_names_each_and_the_fix() {
        let m = missing_message(&[Capability::CAP_NET_ADMIN]);
        assert!(m.starts_with("vrrpd lacks CAP_NET_ADMIN:"), "{m}");
        assert!(m.contains("AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN"), "{m}");
    }

    #[test]
    fn only_what_is_used_is_kept() {
        let base = Keep::new(Raised::default(), false).set();
        assert_eq!(base, REQUIRED.into_iter().collect());
        let all = Keep::new(Raised { priority: true, locked: true }, true).set();
        for c in [Capability::CAP_SYS_NICE, Capability::CAP_IPC_LOCK, Capability::CAP_SETUID, Capability::CAP_KILL] {
            assert!(all.contains(&c), "{c} missing from {all:?}");
        }
        assert!(!all.contains(&Capability::CAP_SYS_ADMIN));
        assert!(!all.contains(&Capability::CAP_DAC_OVERRIDE));
    }

    /// Dropping is per thread: a fresh thread (as vrrpd's main thread before any other
    /// starts) ends up with exactly the kept set, and cannot raise a dropped one again.
    #[test]
    fn a_thread_that_drops_keeps_only_its_set_and_cannot_regain_the_rest() {
        std::thread::spawn(|| {
            let before = caps::read(None, CapSet::Permitted).unwrap();
            let keep = Keep::new(Raised::default(), false);
            let kept = drop_to(&keep).unwrap();
            let expected: CapsHashSet = keep.set().intersection(&before).copied().collect();
            assert_eq!(kept, expected);
            assert_eq!(caps::read(None, CapSet::Permitted).unwrap(), expected);
            assert_eq!(caps::read(None, CapSet::Effective).unwrap(), expected);
            assert!(caps::read(None, CapSet::Inheritable).unwrap().is_empty());
            assert!(caps::read(None, CapSet::Ambient).unwrap().is_empty());
            if before.contains(&Capability::CAP_SYS_ADMIN) {
                assert!(caps::raise(None, CapSet::Effective, Capability::CAP_SYS_ADMIN).is_err());
            }
        })
        .join()
        .unwrap();
    }
}
