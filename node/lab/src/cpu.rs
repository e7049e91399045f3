//! `vrrp-lab cpu`: what keepalived and vrrpd cost to run the same job, measured in the
//! same run on the same lab LAN.
//!
//! For each scenario (many instances at 1 s adverts, fewer at 10 ms), each daemon runs as
//! a pair — master on `a`, backup on `b` — with the same keepalived.conf; after the group
//! settles, the CPU time (utime + stime, from /proc, summed over every process in the
//! server's namespace: keepalived forks a VRRP child) and resident memory of each server
//! are read over a fixed window. The VIPs must stay put during the window; a failover
//! would void the figure.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::demo::Implementation;
use crate::{pids_in_netns, poll_until, Lan};

/// One load to measure.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// VRRP instances (one VRID each, one VIP each).
    pub instances: u16,
    /// `advert_int` as written in keepalived.conf.
    pub advert_int: &'static str,
}

/// The default scenarios: many groups at keepalived's usual 1 s, and fewer at 10 ms
/// (VRRPv3's fastest), where the per-advert cost dominates.
pub const SCENARIOS: [Scenario; 2] =
    [Scenario { instances: 200, advert_int: "1" }, Scenario { instances: 50, advert_int: "0.01" }];

/// What one daemon pair cost.
#[derive(Debug, Clone)]
pub struct Cost {
    /// Which daemon.
    pub imp: Implementation,
    /// The load.
    pub scenario: Scenario,
    /// Measurement window.
    pub window: Duration,
    /// CPU seconds used by the master's namespace.
    pub master_cpu: f64,
    /// CPU seconds used by the backup's namespace.
    pub backup_cpu: f64,
    /// Resident memory of the master's processes, KiB.
    pub master_rss_kib: u64,
    /// Resident memory of the backup's processes, KiB.
    pub backup_rss_kib: u64,
}

fn config(s: Scenario, priority: u8) -> String {
    let mut out = String::new();
    for i in 0..s.instances {
        let vip_host = i % 250 + 1;
        let _ = write!(
            out,
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface eth1\n    virtual_router_id {vrid}\n    \
             priority {priority}\n    advert_int {int}\n    version 3\n    virtual_ipaddress {{\n        \
             198.18.{net}.{vip_host}/32 dev eth1\n    }}\n}}\n",
            vrid = i + 1,
            int = s.advert_int,
            net = i / 250,
        );
    }
    out
}

/// CPU seconds (user + system) and resident KiB of every process in namespace `ns`.
fn usage(ns: &str) -> Result<(f64, u64)> {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut cpu = 0u64;
    let mut rss = 0u64;
    for pid in pids_in_netns(ns)? {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // Fields after the command name, which is in parentheses and may contain spaces.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of /proc/PID/stat; `rest` starts at field 3.
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        cpu += field(14) + field(15);
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            rss += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok((cpu as f64 / ticks, rss))
}

fn vips_on(lan: &Lan, host: &str) -> usize {
    lan.addrs(host, crate::HOST_IFNAME)
        .map(|a| a.iter().filter(|(ip, _)| ip.to_string().starts_with("198.18.")).count())
        .unwrap_or(0)
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ =
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.0.id() as i32), nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(lan: &Lan, host: &str, imp: Implementation, conf: &Path, dir: &Path, vrrpd: &Path) -> Result<Daemon> {
    let log = std::fs::File::create(dir.join(format!("{host}.log")))?;
    let mut cmd = match imp {
        Implementation::Vrrpd => {
            let mut c = Command::new(vrrpd);
            c.arg("-f").arg(conf).arg("--control-socket").arg(dir.join(format!("{host}.sock")));
            c
        }
        Implementation::Keepalived => {
            let mut c = Command::new("keepalived");
            c.args(["-n", "-l", "--vrrp", "-f"])
                .arg(conf)
                .arg("-p")
                .arg(dir.join(format!("{host}.pid")))
                .arg("-r")
                .arg(dir.join(format!("{host}.vrrp.pid")));
            c
        }
    };
    cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    Ok(Daemon(lan.spawn(host, &mut cmd).with_context(|| format!("starting {} on {host}", imp.name()))?))
}

/// Measures one daemon pair under one scenario over `window`.
pub fn measure(imp: Implementation, s: Scenario, window: Duration, vrrpd: &Path) -> Result<Cost> {
    let dir = tempfile::tempdir()?;
    let lan = Lan::builder(&format!("cpu{}", if imp == Implementation::Vrrpd { "v" } else { "k" }))
        .host_v4("a", "192.0.2.11/24")
        .host_v4("b", "192.0.2.12/24")
        .build()
        .context("building the lab (are you root?)")?;
    let (conf_a, conf_b): (PathBuf, PathBuf) = (dir.path().join("a.conf"), dir.path().join("b.conf"));
    std::fs::write(&conf_a, config(s, 150))?;
    std::fs::write(&conf_b, config(s, 100))?;
    let _a = start(&lan, "a", imp, &conf_a, dir.path(), vrrpd)?;
    let _b = start(&lan, "b", imp, &conf_b, dir.path(), vrrpd)?;
    let n = usize::from(s.instances);
    if !poll_until(Duration::from_secs(60), || vips_on(&lan, "a") == n && vips_on(&lan, "b") == 0) {
        let log = std::fs::read_to_string(dir.path().join("a.log")).unwrap_or_default();
        bail!(
            "{}: the group did not settle ({} of {n} VIPs on a); a's log tail:\n{}",
            imp.name(),
            vips_on(&lan, "a"),
            tail(&log)
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    let (a0, _) = usage(lan.ns_name("a"))?;
    let (b0, _) = usage(lan.ns_name("b"))?;
    std::thread::sleep(window);
    let (a1, master_rss_kib) = usage(lan.ns_name("a"))?;
    let (b1, backup_rss_kib) = usage(lan.ns_name("b"))?;
    if vips_on(&lan, "a") != n || vips_on(&lan, "b") != 0 {
        bail!("{}: a failover happened during the measurement; the figure would be meaningless", imp.name());
    }
    Ok(Cost { imp, scenario: s, window, master_cpu: a1 - a0, backup_cpu: b1 - b0, master_rss_kib, backup_rss_kib })
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Prints keepalived's and vrrpd's costs side by side with their ratios.
pub fn print_table(costs: &[(Cost, Cost)]) {
    println!("{:<22} {:>8} {:>14} {:>14} {:>10}", "scenario", "role", "keepalived", "vrrpd", "ratio");
    let ratio = |a: f64, b: f64| if b > 0.0 { format!("{:.1}x", a / b) } else { "-".into() };
    for (k, v) in costs {
        let label = format!("{} inst @ {} s", k.scenario.instances, k.scenario.advert_int);
        let pct = |cpu: f64, c: &Cost| 100.0 * cpu / c.window.as_secs_f64();
        let rows = [
            (label.as_str(), "master", pct(k.master_cpu, k), pct(v.master_cpu, v), "%"),
            ("", "backup", pct(k.backup_cpu, k), pct(v.backup_cpu, v), "%"),
            ("", "RSS", k.master_rss_kib as f64, v.master_rss_kib as f64, "KiB"),
        ];
        for (label, role, kv, vv, unit) in rows {
            println!("{label:<22} {role:>8} {kv:>10.2} {unit:<3} {vv:>10.2} {unit:<3} {:>10}", ratio(kv, vv));
        }
    }
    println!("CPU: share of one core over the window, summed over the server's processes.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_config_parses_with_one_vip_per_instance() {
        let text = config(Scenario { instances: 260, advert_int: "0.01" }, 150);
        // 260 instances would exceed 255 VRIDs: the parser must say so; 200 is fine.
        assert!(vrrp_node::config::parse_str("x.conf", &text).is_err());
        let cfg = vrrp_node::config::parse_str("x.conf", &config(SCENARIOS[0], 150)).unwrap();
        assert_eq!(cfg.instances.len(), 200);
        assert!(cfg
            .instances
            .iter()
            .all(|i| i.vips.len() == 1 && i.version == vrrp_core::wire::Version::V3 && i.priority == 150));
        let cfg = vrrp_node::config::parse_str("x.conf", &config(SCENARIOS[1], 100)).unwrap();
        assert_eq!(cfg.instances[0].advert_int_cs, 1);
    }
}
