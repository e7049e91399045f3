//! `vrrpctl`: asks a running vrrpd for its state.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use vrrp_node::control::Status;

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

fn request(socket: &PathBuf, line: &str) -> std::io::Result<String> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("{line}\n").as_bytes())?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Status { json } = cli.command;
    let reply = match request(&cli.socket, "status") {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vrrpctl: cannot reach vrrpd at {}: {e}", cli.socket.display());
            return ExitCode::FAILURE;
        }
    };
    if json {
        print!("{reply}");
        return ExitCode::SUCCESS;
    }
    match serde_json::from_str::<Status>(&reply) {
        Ok(status) => {
            print!("{}", status.table());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vrrpctl: unexpected reply from vrrpd ({e}): {reply}");
            ExitCode::FAILURE
        }
    }
}
