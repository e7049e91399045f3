//! `vrrpctl`: asks a running vrrpd for its state.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vrrp_node::control::{self, Reply, Request};
use vrrp_node::service::cli::{VrrpctlCli as Cli, VrrpctlCommand as Command};

/// How long vrrpctl waits for vrrpd.
const TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Status { json } = cli.command;
    let reply = match control::request(&cli.socket, Request::Status, TIMEOUT) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vrrpctl: {e}");
            return ExitCode::FAILURE;
        }
    };
    let status = match reply {
        Reply::Status(status) => status,
        Reply::Error { message } => {
            eprintln!("vrrpctl: vrrpd refused the request: {message}");
            return ExitCode::FAILURE;
        }
        other => {
            eprintln!("vrrpctl: unexpected reply from vrrpd to a status request: {other:?}");
            return ExitCode::FAILURE;
        }
    };
    if !json {
        print!("{}", status.table());
        return ExitCode::SUCCESS;
    }
    // The Status document itself, not the reply around it: what scripts have always read.
    match serde_json::to_string(&status) {
        Ok(document) => {
            println!("{document}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vrrpctl: cannot write the status as JSON: {e}");
            ExitCode::FAILURE
        }
    }
}
