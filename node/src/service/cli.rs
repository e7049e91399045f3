//! The command lines of `vrrpd` and `vrrpctl`, here rather than in the binaries so the man
//! pages (clap_mangen) and shell completions (clap_complete) the Debian package ships are
//! generated from the very definitions the binaries parse: `vrrpd --help` and `vrrpd(8)`
//! cannot drift apart.

use std::io;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};

/// VRRP daemon (RFC 9568 / RFC 3768) reading keepalived.conf.
#[derive(Debug, Parser)]
#[command(
    name = "vrrpd",
    version,
    about = "VRRP daemon (RFC 9568 / RFC 3768) reading keepalived.conf",
    long_about = "VRRP daemon (RFC 9568 / RFC 3768) reading keepalived.conf.\n\n\
        vrrpd runs in the foreground and logs to stderr (with journald priorities when stderr is the \
        journal; the level is set by $VRRPD_LOG, default info). Under systemd (Type=notify) it reports \
        READY=1, STATUS= and WATCHDOG=1. It needs CAP_NET_RAW and CAP_NET_ADMIN and drops every other \
        capability once set up. SIGTERM or SIGINT: release the VIPs, send priority-0 adverts and stop. \
        SIGHUP: reload is not implemented yet (restart to apply a change).\n\n\
        Files: /etc/keepalived/keepalived.conf; the control socket $RUNTIME_DIRECTORY/vrrpd.sock, \
        else /run/vrrpd/vrrpd.sock. See vrrpctl(8)."
)]
pub struct VrrpdCli {
    /// keepalived.conf to read.
    #[arg(short = 'f', long = "config", alias = "use-file", default_value = "/etc/keepalived/keepalived.conf")]
    pub config: PathBuf,
    /// Write the daemon's PID here.
    #[arg(short = 'p', long = "pid-file", alias = "pid")]
    pub pid_file: Option<PathBuf>,
    /// Control socket for vrrpctl. Default: vrrpd.sock in $RUNTIME_DIRECTORY (set by
    /// systemd's RuntimeDirectory=), else /run/vrrpd/vrrpd.sock.
    #[arg(long, value_name = "PATH")]
    pub control_socket: Option<PathBuf>,
    /// Group of the control socket (name or number): its members may ask vrrpd for its
    /// status. Default: vrrpd's own group.
    #[arg(long, value_name = "GROUP")]
    pub control_group: Option<String>,
    /// A notify script still running after this many seconds is killed with its process
    /// group (keepalived has no limit); the instance's next notification then runs.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub notify_timeout: u64,
    /// Serve Prometheus metrics over HTTP on this address (e.g. 127.0.0.1:9650 or
    /// [::]:9650), at /metrics. Default: no metrics.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Print the number of the signal that asks vrrpd for FUNC (STOP, RELOAD, DATA, STATS,
    /// JSON), as keepalived's --signum does, and exit. DATA (SIGUSR1) writes vrrpd.data,
    /// STATS (SIGUSR2) vrrpd.stats, JSON vrrpd.json, in the runtime directory.
    #[arg(long, value_name = "FUNC")]
    pub signum: Option<String>,
    /// Check the configuration and print every error and warning. Exit status, as
    /// keepalived's -t: 0 clean; 5 it runs, but keepalived would report errors (vrrpd warned
    /// what it does instead); 6 it runs scripts without enable_script_security; 4 vrrpd
    /// will not run it.
    #[arg(short = 't', long = "config-test")]
    pub config_test: bool,
    /// Refuse a file where keepalived (and by default vrrpd) would run an instance with less
    /// protection than it asks for: less authentication (an unknown auth_type, auth_type
    /// PASS without auth_pass, auth_pass without auth_type, authentication on VRRPv3), or
    /// without a tracked script, file or process it names (undefined, or defined after the
    /// instance). With -t too.
    #[arg(long)]
    pub strict: bool,
    /// keepalived's --dont-fork (vrrpd always runs in the foreground): accepted, ignored.
    #[arg(short = 'n', long = "dont-fork", hide = true)]
    pub dont_fork: bool,
    /// keepalived's --log-console: accepted, ignored (vrrpd logs to stderr).
    #[arg(short = 'l', long = "log-console", hide = true)]
    pub log_console: bool,
    /// keepalived's --log-detail: accepted, ignored.
    #[arg(short = 'D', long = "log-detail", hide = true)]
    pub log_detail: bool,
    /// keepalived's --vrrp (VRRP subsystem only): accepted, ignored.
    #[arg(short = 'P', long = "vrrp", hide = true)]
    pub vrrp: bool,
}

/// Control tool for vrrpd.
#[derive(Debug, Parser)]
#[command(name = "vrrpctl", version, about = "Control tool for vrrpd: asks a running vrrpd for its state")]
pub struct VrrpctlCli {
    /// vrrpd's control socket.
    #[arg(long, default_value = "/run/vrrpd/vrrpd.sock")]
    pub socket: PathBuf,
    #[command(subcommand)]
    pub command: VrrpctlCommand,
}

/// `vrrpctl`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum VrrpctlCommand {
    /// Show every instance (or only INSTANCE): state, priority, master, counters.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only this vrrp_instance.
        instance: Option<String>,
    },
    /// Show the counters of every instance (or only INSTANCE), in keepalived.stats' layout.
    Stats {
        /// Then set every counter of every instance back to zero (keepalived's STATS_CLEAR);
        /// the counters printed are the ones cleared.
        #[arg(long)]
        clear: bool,
        /// Only this vrrp_instance.
        instance: Option<String>,
    },
    /// Hand MASTER over to a backup without a gap (make-before-break): each MASTER
    /// instance (or only INSTANCE) sends priority 0 and becomes BACKUP, keeping its VIPs
    /// until its successor's first advert is heard; it does not preempt the successor
    /// afterwards. Exits non-zero if INSTANCE is unknown or not MASTER, or none is.
    Handover {
        /// Only this vrrp_instance.
        instance: Option<String>,
    },
    /// Re-read the configuration file and apply it (as SIGHUP does), then print what
    /// changed: instances whose configuration did not change keep their state, timers,
    /// VIPs and counters; changed ones keep their state and take the new settings; new
    /// ones start; a removed MASTER hands over as at shutdown. A file with any error is
    /// refused as a whole (every error is printed, `FILE:LINE:COL`), the running
    /// configuration stays, and vrrpctl exits non-zero.
    Reload,
    /// Show the status table and redraw it whenever it changes (Ctrl-C to stop).
    Watch {
        /// How often to ask vrrpd, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
        interval: f64,
        /// Stop after drawing the table this many times.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
}

/// Both commands, as clap sees them.
pub fn commands() -> [clap::Command; 2] {
    [VrrpdCli::command(), VrrpctlCli::command()]
}

/// Writes `man8/NAME.8` for both commands and their completions under `dir`:
/// `bash/NAME`, `zsh/_NAME`, `fish/NAME.fish`. Returns the files written.
pub fn write_docs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    use clap_complete::Shell;
    let mut written = Vec::new();
    for sub in ["man8", "bash", "zsh", "fish"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    for mut cmd in commands() {
        let name = cmd.get_name().to_string();
        let page = dir.join("man8").join(format!("{name}.8"));
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd.clone()).section("8").render(&mut out)?;
        std::fs::write(&page, out)?;
        written.push(page);
        for (shell, sub, file) in [
            (Shell::Bash, "bash", name.clone()),
            (Shell::Zsh, "zsh", format!("_{name}")),
            (Shell::Fish, "fish", format!("{name}.fish")),
        ] {
            let path = dir.join(sub).join(file);
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, name.clone(), &mut out);
            std::fs::write(&path, out)?;
            written.push(path);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        for cmd in commands() {
            cmd.debug_assert();
        }
    }

    /// Every option `--help` shows is in the man page and the completions, from the same
    /// definitions; hidden keepalived compatibility flags are in neither.
    #[test]
    fn man_pages_and_completions_list_every_visible_option() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_docs(dir.path()).unwrap();
        assert_eq!(files.len(), 8);
        for cmd in commands() {
            let name = cmd.get_name().to_string();
            let man = std::fs::read_to_string(dir.path().join(format!("man8/{name}.8"))).unwrap();
            assert!(man.starts_with(".ie"), "not roff: {}", &man[..40.min(man.len())]);
            assert!(man.contains(&format!(".TH {name} 8")), "{man}");
            let about = cmd.get_about().map(ToString::to_string).unwrap_or_default();
            assert!(
                !about.is_empty() && man.contains(&about.replace('-', "\\-")),
                "{name}(8) lacks its about: {about}"
            );
            let bash = std::fs::read_to_string(dir.path().join(format!("bash/{name}"))).unwrap();
            for arg in cmd.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                // roff escapes '-' as '\-'.
                let in_man = man.contains(&format!("\\-\\-{}", long.replace('-', "\\-")));
                assert_eq!(in_man, !arg.is_hide_set(), "--{long} in {name}(8): {in_man}");
                if !arg.is_hide_set() {
                    assert!(bash.contains(&format!("--{long}")), "--{long} not in the bash completion");
                }
            }
            for sub in cmd.get_subcommands() {
                assert!(man.contains(sub.get_name()), "{name}(8) lacks {}", sub.get_name());
            }
        }
    }
}
