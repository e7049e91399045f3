//! `vrrpd`: the VRRP daemon. Reads keepalived.conf; see README.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vrrp_node::daemon::{self, Options};
use vrrp_node::service::{runtime, systemd};

/// VRRP daemon (RFC 9568 / RFC 3768) reading keepalived.conf.
#[derive(Debug, Parser)]
#[command(name = "vrrpd", version, about)]
struct Cli {
    /// keepalived.conf to read.
    #[arg(short = 'f', long = "config", alias = "use-file", default_value = "/etc/keepalived/keepalived.conf")]
    config: PathBuf,
    /// Write the daemon's PID here.
    #[arg(short = 'p', long = "pid-file", alias = "pid")]
    pid_file: Option<PathBuf>,
    /// Control socket for vrrpctl. Default: vrrpd.sock in $RUNTIME_DIRECTORY (set by
    /// systemd's RuntimeDirectory=), else /run/vrrpd/vrrpd.sock.
    #[arg(long, value_name = "PATH")]
    control_socket: Option<PathBuf>,
    /// Group of the control socket (name or number): its members may ask vrrpd for its
    /// status. Default: vrrpd's own group.
    #[arg(long, value_name = "GROUP")]
    control_group: Option<String>,
    /// A notify script still running after this many seconds is killed with its process
    /// group (keepalived has no limit); the instance's next notification then runs.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    notify_timeout: u64,
    /// Check the configuration, print every error, exit non-zero on any.
    #[arg(short = 't', long = "config-test")]
    config_test: bool,
    /// keepalived's --dont-fork (vrrpd always runs in the foreground): accepted, ignored.
    #[arg(short = 'n', long = "dont-fork", hide = true)]
    _dont_fork: bool,
    /// keepalived's --log-console: accepted, ignored (vrrpd logs to stderr).
    #[arg(short = 'l', long = "log-console", hide = true)]
    _log_console: bool,
    /// keepalived's --log-detail: accepted, ignored.
    #[arg(short = 'D', long = "log-detail", hide = true)]
    _log_detail: bool,
    /// keepalived's --vrrp (VRRP subsystem only): accepted, ignored.
    #[arg(short = 'P', long = "vrrp", hide = true)]
    _vrrp: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    systemd::init_logging(systemd::LogStyle::detect());
    if cli.config_test {
        return match daemon::config_test(&cli.config) {
            Ok(cfg) => {
                for w in &cfg.warnings {
                    eprintln!("{w}");
                }
                println!("{}: configuration OK ({} instance(s))", cli.config.display(), cfg.instances.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprint!("{}", e.render());
                ExitCode::FAILURE
            }
        };
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vrrpd: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opts = Options {
        config: cli.config,
        control_socket: cli.control_socket.unwrap_or_else(runtime::default_socket),
        pid_file: cli.pid_file,
        control_group: cli.control_group,
        notify_timeout: std::time::Duration::from_secs(cli.notify_timeout),
    };
    match rt.block_on(daemon::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vrrpd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
