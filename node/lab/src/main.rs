//! `vrrp-lab`: the users' keepalived pair, live, in network namespaces (run as root).
//!
//! `vrrp-lab demo` runs two vrrpd servers and a client pinging the VIP every millisecond,
//! cuts the master's cable, restores it, stops the master, and prints a timeline and the
//! client's outage at each step. `vrrp-lab compare` does the same with a keepalived pair
//! and then a vrrpd pair and prints both outages. See `vrrp_lab::demo`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use vrrp_lab::demo::{self, Binaries, Implementation, Interrupted, Options, StepReport};
use vrrp_lab::{bench, cpu, floor};

/// Network-namespace lab for vrrpd (needs root).
#[derive(Debug, Parser)]
#[command(name = "vrrp-lab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Two vrrpd servers and a client: cut the master's cable, restore it, stop the master.
    Demo(Common),
    /// The same three steps with a keepalived pair, then a vrrpd pair; outages side by side.
    Compare(Common),
    /// CPU and memory of a keepalived pair and a vrrpd pair doing the same job, same run,
    /// and the floor: a bare sender and receiver of the same adverts (`vrrp_lab::floor`).
    Cpu {
        #[command(flatten)]
        common: Common,
        /// Measurement window per daemon and scenario, seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// INSTANCESxSECONDS (e.g. 255x0.01, 1020x0.1; up to 1020, 255 per segment), as
        /// often as wanted; default: 200x1 and 50x0.01.
        #[arg(long = "scenario")]
        scenarios: Vec<cpu::Scenario>,
        /// Measure vrrpd and the floor only.
        #[arg(long)]
        skip_keepalived: bool,
        /// Do not measure the floor.
        #[arg(long)]
        skip_floor: bool,
    },
    /// Failover outage of a keepalived pair and a vrrpd pair (cut, SIGKILL, SIGTERM at 1 s,
    /// 100 ms, 10 ms adverts), and the scale table (CPU, RSS, the floor, spurious
    /// transitions, split-brain at 255 and 1020 instances): DIR/bench.md, DIR/outage.png,
    /// DIR/scale.png (`vrrp_lab::bench`).
    Bench {
        #[command(flatten)]
        common: Common,
        /// outage, scale or all.
        #[arg(long, default_value = "all")]
        part: bench::Part,
        /// Repetitions per cell (both parts).
        #[arg(long, default_value_t = 5)]
        reps: u32,
        /// The scale part's measurement window per run, seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// The scale part's INSTANCESxSECONDS, as often as wanted; default: 255x0.01,
        /// 1020x0.1, 255x0.1, 1020x0.01.
        #[arg(long = "scenario")]
        scenarios: Vec<cpu::Scenario>,
        /// One repetition: VRRPv3 100 ms, cut and SIGTERM only; scale: 20x0.1, idle, 5 s
        /// (for CI).
        #[arg(long)]
        smoke: bool,
        /// Where bench.md, outage.png and scale.png go.
        #[arg(long, default_value = "bench-out")]
        out: PathBuf,
        /// Run vrrpd only.
        #[arg(long)]
        skip_keepalived: bool,
    },
    /// One half of the floor `cpu` measures, in the current namespace (run by `cpu`).
    #[command(hide = true)]
    FloorPeer {
        /// send or recv.
        role: String,
        #[arg(long)]
        scenario: cpu::Scenario,
        /// This host's IPv4 address on each segment, in order.
        #[arg(long = "source")]
        sources: Vec<std::net::Ipv4Addr>,
    },
}

#[derive(Debug, Args)]
struct Common {
    /// Shorter pauses between the steps.
    #[arg(long)]
    quick: bool,
    /// Keep the daemons' configs and logs.
    #[arg(long)]
    keep_logs: bool,
    /// vrrpd to run (default: next to this executable).
    #[arg(long)]
    vrrpd: Option<PathBuf>,
    /// vrrpctl to query (default: next to this executable).
    #[arg(long)]
    vrrpctl: Option<PathBuf>,
}

impl Common {
    fn options(&self) -> anyhow::Result<Options> {
        let binaries = match (&self.vrrpd, &self.vrrpctl) {
            (Some(vrrpd), Some(vrrpctl)) => Binaries { vrrpd: vrrpd.clone(), vrrpctl: vrrpctl.clone() },
            (vrrpd, vrrpctl) => {
                let found = Binaries::beside_current_exe()?;
                Binaries {
                    vrrpd: vrrpd.clone().unwrap_or(found.vrrpd),
                    vrrpctl: vrrpctl.clone().unwrap_or(found.vrrpctl),
                }
            }
        };
        Ok(Options { quick: self.quick, keep_logs: self.keep_logs, binaries })
    }
}

fn summary(title: &str, reports: &[StepReport]) {
    println!();
    println!("{title}");
    for r in reports {
        println!("{r}");
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    if let Cmd::FloorPeer { role, scenario, sources } = &cli.command {
        let role = match role.as_str() {
            "send" => floor::Role::Send,
            "recv" => floor::Role::Recv,
            other => anyhow::bail!("floor-peer: role {other:?} is neither send nor recv"),
        };
        return floor::peer(role, *scenario, sources);
    }
    let (Cmd::Demo(common) | Cmd::Compare(common) | Cmd::Cpu { common, .. } | Cmd::Bench { common, .. }) = &cli.command
    else {
        return Ok(());
    };
    // First what needs no privileges, so that its advice shows either way.
    let opts = common.options()?;
    let needs_keepalived = matches!(cli.command, Cmd::Bench { skip_keepalived: false, .. });
    if (needs_keepalived || matches!(cli.command, Cmd::Compare(_) | Cmd::Cpu { .. })) && !keepalived_installed() {
        anyhow::bail!("keepalived is not installed (Debian: apt-get install keepalived)");
    }
    if !nix::unistd::geteuid().is_root() {
        let args: Vec<String> = std::env::args().collect();
        anyhow::bail!("needs root (it creates network namespaces); try: sudo {}", args.join(" "));
    }
    // Ctrl-C (and SIGTERM): stop waiting, tear the lab down on the way out.
    ctrlc::set_handler(demo::request_stop).map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))?;
    match &cli.command {
        Cmd::Demo(_) => {
            let reports = demo::run_scenario(Implementation::Vrrpd, &opts, "demo")?;
            summary("client outage per step (vrrpd pair, seed config: v2, advert 1 s):", &reports);
        }
        Cmd::Compare(_) => {
            println!("=== keepalived pair");
            let keepalived = demo::run_scenario(Implementation::Keepalived, &opts, "cmp-ka")?;
            println!();
            println!("=== vrrpd pair");
            let vrrpd = demo::run_scenario(Implementation::Vrrpd, &opts, "cmp-vrrpd")?;
            summary("client outage per step (keepalived pair):", &keepalived);
            summary("client outage per step (vrrpd pair):", &vrrpd);
            demo::print_comparison(&keepalived, &vrrpd);
        }
        Cmd::Cpu { seconds, scenarios, skip_keepalived, skip_floor, .. } => {
            let window = std::time::Duration::from_secs(*seconds);
            let scenarios = if scenarios.is_empty() { cpu::SCENARIOS.to_vec() } else { scenarios.clone() };
            let exe = std::env::current_exe()?;
            let mut rows = Vec::new();
            for s in scenarios {
                println!(
                    "=== {} instances, advert_int {}: keepalived pair, vrrpd pair, floor",
                    s.instances,
                    s.advert_int()
                );
                let keepalived =
                    (!skip_keepalived).then(|| cpu::measure(Implementation::Keepalived, s, window, &opts.binaries));
                let keepalived = match keepalived.transpose() {
                    Ok(k) => k,
                    Err(e) => {
                        eprintln!("keepalived {s}: {e:#}");
                        None
                    }
                };
                let vrrpd = cpu::measure(Implementation::Vrrpd, s, window, &opts.binaries)?;
                let floor = (!skip_floor).then(|| floor::measure(s, window, &exe)).transpose()?;
                rows.push(cpu::Row { keepalived, vrrpd, floor });
            }
            println!();
            cpu::print_table(&rows);
        }
        Cmd::Bench { part, reps, seconds, scenarios, smoke, out, skip_keepalived, .. } => {
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let opts = bench::Options {
                part: *part,
                window: std::time::Duration::from_secs(*seconds),
                scenarios: scenarios.clone(),
                reps: *reps,
                smoke: *smoke,
                out: out.clone(),
                skip_keepalived: *skip_keepalived,
                binaries: opts.binaries,
                command,
            };
            let outcome = bench::run(&opts)?;
            println!("\n{}", outcome.markdown);
            let mut written = vec![out.join("bench.md")];
            if part.outage() {
                written.push(out.join("outage.png"));
            }
            if part.scale() {
                written.push(out.join("scale.png"));
            }
            let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            println!("written: {}", written.join(", "));
            if !outcome.failures.is_empty() {
                anyhow::bail!("{} measurement(s) failed (see bench.md)", outcome.failures.len());
            }
        }
        Cmd::FloorPeer { .. } => {}
    }
    Ok(())
}

fn keepalived_installed() -> bool {
    std::process::Command::new("keepalived")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VRRP_LAB_LOG")
                .unwrap_or_else(|_| "warn,netlink_packet_route=error".into()),
        )
        .init();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<Interrupted>().is_some() => {
            eprintln!("vrrp-lab: interrupted; lab removed");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("vrrp-lab: {e:#}");
            ExitCode::FAILURE
        }
    }
}
