//! `vrrpctl`: asks a running vrrpd for its state.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vrrp_node::control::{self, Reply, Request, Status};
use vrrp_node::service::cli::{VrrpctlCli as Cli, VrrpctlCommand as Command};
use vrrp_node::service::dump::stats_text;

/// How long vrrpctl waits for vrrpd.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Clears a terminal and puts the cursor home (what `watch` redraws with on a terminal).
const CLEAR: &str = "\x1b[H\x1b[2J";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Status { json, instance } => fetch(&cli, instance.as_deref()).and_then(|status| {
            if *json {
                // The Status document itself, not the reply around it: what scripts have always read.
                serde_json::to_string(&status)
                    .map(|document| println!("{document}"))
                    .map_err(|e| format!("cannot write the status as JSON: {e}"))
            } else {
                print!("{}", status.table());
                Ok(())
            }
        }),
        Command::Stats { clear: false, instance } => {
            fetch(&cli, instance.as_deref()).map(|status| print!("{}", stats_text(&status)))
        }
        Command::Stats { clear: true, instance } => clear_stats(&cli, instance.as_deref()),
        Command::Watch { interval, count } => watch(&cli, *interval, *count),
        Command::Handover { instance } => handover(&cli, instance.clone()),
        Command::Reload => reload(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vrrpctl: {e}");
            ExitCode::FAILURE
        }
    }
}

/// vrrpd's status, only `instance` if given (an error if vrrpd has no such instance).
fn fetch(cli: &Cli, instance: Option<&str>) -> Result<Status, String> {
    let reply = control::request(&cli.socket, Request::Status, TIMEOUT).map_err(|e| e.to_string())?;
    let mut status = match reply {
        Reply::Status(status) => status,
        Reply::Error { message } => return Err(format!("vrrpd refused the request: {message}")),
        other => return Err(format!("unexpected reply from vrrpd to a status request: {other:?}")),
    };
    if let Some(name) = instance {
        status.instance(name)?;
        status.instances.retain(|i| i.name == name);
    }
    Ok(status)
}

/// Prints the counters and has vrrpd set them to zero in the same step (no count is lost
/// between the two). `instance` only narrows what is printed: every counter is cleared.
fn clear_stats(cli: &Cli, instance: Option<&str>) -> Result<(), String> {
    match control::request(&cli.socket, Request::StatsClear, TIMEOUT).map_err(|e| e.to_string())? {
        Reply::StatsCleared(mut status) => {
            if let Some(name) = instance {
                status.instances.retain(|i| i.name == name);
            }
            print!("{}", stats_text(&status));
            println!("(counters cleared)");
            Ok(())
        }
        Reply::Error { message } => Err(format!("vrrpd refused to clear the counters: {message}")),
        other => Err(format!("unexpected reply from vrrpd to stats --clear: {other:?}")),
    }
}

/// Asks vrrpd to hand `instance` (or every MASTER instance) over, and says which it does.
fn handover(cli: &Cli, instance: Option<String>) -> Result<(), String> {
    match control::request(&cli.socket, Request::Handover { instance }, TIMEOUT).map_err(|e| e.to_string())? {
        Reply::HandoverStarted { instances } => {
            for name in instances {
                println!("{name}: handing over (BACKUP now; VIPs kept until the successor's first advert is heard)");
            }
            Ok(())
        }
        Reply::Error { message } => Err(format!("vrrpd refused the handover: {message}")),
        other => Err(format!("unexpected reply from vrrpd to a handover request: {other:?}")),
    }
}

/// How long `vrrpctl reload` waits: vrrpd reads, checks and applies the file first.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(15);

/// Has vrrpd re-read its configuration; prints what changed, or why the file was refused.
fn reload(cli: &Cli) -> Result<(), String> {
    match control::request(&cli.socket, Request::Reload, RELOAD_TIMEOUT).map_err(|e| e.to_string())? {
        Reply::Reloaded(summary) => {
            println!("reloaded: {}", summary.line());
            Ok(())
        }
        Reply::Error { message } => Err(message),
        other => Err(format!("unexpected reply from vrrpd to a reload request: {other:?}")),
    }
}

/// Draws the table, then again each time it changes; on a terminal it redraws in place.
fn watch(cli: &Cli, interval: f64, count: Option<u64>) -> Result<(), String> {
    let every = Duration::try_from_secs_f64(interval)
        .ok()
        .filter(|d| *d >= Duration::from_millis(100))
        .ok_or_else(|| format!("--interval {interval}: give at least 0.1 seconds"))?;
    let terminal = std::io::stdout().is_terminal();
    let mut last = String::new();
    let mut drawn = 0;
    loop {
        let table = fetch(cli, None)?.table();
        if table != last {
            if terminal {
                print!("{CLEAR}{table}");
            } else {
                // A pipe or file: one table after the other, separated by a blank line.
                if drawn > 0 {
                    println!();
                }
                print!("{table}");
            }
            last = table;
            drawn += 1;
            if count.is_some_and(|c| drawn >= c) {
                return Ok(());
            }
        }
        std::thread::sleep(every);
    }
}
