//! `vrrpd`: the VRRP daemon. Reads keepalived.conf; see README.md.

use std::process::ExitCode;

use clap::Parser;
use vrrp_node::daemon::{self, Options};
use vrrp_node::service::cli::VrrpdCli as Cli;
use vrrp_node::service::{runtime, systemd};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(name) = &cli.signum {
        return match vrrp_node::service::dump::signum(name) {
            Ok(n) => {
                println!("{n}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    systemd::init_logging(systemd::LogStyle::detect());
    if cli.config_test {
        let options = vrrp_node::config::ReadOptions { strict: cli.strict };
        return match daemon::config_test_with(&cli.config, options) {
            Ok(ok) => {
                for w in &ok.config.warnings {
                    eprintln!("{w}");
                }
                println!("{}: configuration OK ({} instance(s))", cli.config.display(), ok.config.instances.len());
                ExitCode::from(ok.exit_code())
            }
            Err(e) => {
                eprint!("{}", e.render());
                ExitCode::from(e.exit_code())
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
        metrics_listen: cli.metrics_listen,
        strict: cli.strict,
    };
    match rt.block_on(daemon::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vrrpd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
