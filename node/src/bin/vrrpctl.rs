//! `vrrpctl`: asks a running vrrpd for its state.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use vrrp_node::control::{self, Reply, Request};

/// Control tool for vrrpd.
#[derive(Debug, Parser)]
#[command(name = "vrrpctl", version, about)]
struct Cli {
    /// vrrpd's control socket.
    #[arg(long, default_value = "/run/vrrpd/vrrpd.sock")]
    socket: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show every instance: state, priority, master, counters.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

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
