//! vrrpd as a service: what systemd, journald and the kernel's privilege model see of it.
//!
//! - [`systemd`]: `sd_notify` (`READY=1`, `STOPPING=1`, `STATUS=`, `WATCHDOG=1`) and
//!   journald-friendly log lines.
//! - [`privilege`]: the `global_defs` process knobs (`vrrp_priority`, `vrrp_rt_priority`,
//!   `vrrp_no_swap`), the capability check at start and the drop to the few vrrpd keeps.
//! - [`cli`]: the command lines of vrrpd and vrrpctl, their man pages and completions.
//! - [`dump`]: the SIGUSR1/SIGUSR2/SIGJSON dumps, written safely, and `--signum`.
//! - [`runtime`]: where vrrpd's runtime files go (`$RUNTIME_DIRECTORY`).

pub mod cli;
pub mod dump;
pub mod privilege;
pub mod runtime;
pub mod systemd;
