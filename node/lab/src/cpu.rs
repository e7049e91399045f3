//! `vrrp-lab cpu`: what keepalived and vrrpd cost to run the same job, measured in the
//! same run on the same lab LAN.
//!
//! For each scenario (many instances at 1 s adverts, fewer at 10 ms), each daemon runs as
//! a pair — master on `a`, backup on `b` — with the same keepalived.conf; after the group
//! settles, the CPU time (utime + stime, from /proc, summed over every process in the
//! server's namespace: keepalived forks a VRRP child) and resident memory of each server
//! are read over a fixed window. The VIPs must stay put during the window; a failover
//! would void the figure. [`observe`] (`vrrp-lab bench`'s scale part) measures the same
//! way and also watches the window: transitions and VIPs, a failover being its result.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::demo::Implementation;
use crate::{pids_in_netns, poll_until, Lan};

/// One load to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// VRRP instances (one VRID each, one VIP each), 255 per segment.
    pub instances: u16,
    /// `advert_int`, centiseconds.
    pub advert_cs: u16,
}

/// The most instances a scenario runs: 255 VRIDs on each of four segments.
pub const MAX_SCENARIO_INSTANCES: u16 = 1020;

impl Scenario {
    /// `advert_int` as written in keepalived.conf, in seconds ("1", "0.1", "0.01").
    pub fn advert_int(&self) -> String {
        let s = format!("{}.{:02}", self.advert_cs / 100, self.advert_cs % 100);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }

    /// The advert interval.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(u64::from(self.advert_cs) * 10)
    }

    /// Segments (interfaces) the instances are spread over, 255 VRIDs each.
    pub fn segments(&self) -> u8 {
        u8::try_from(self.instances.div_ceil(255)).unwrap_or(u8::MAX)
    }

    /// The segment (1-based) and VRID of instance `i`.
    pub(crate) fn place(i: u16) -> (u8, u8) {
        (u8::try_from(i / 255 + 1).unwrap_or(u8::MAX), u8::try_from(i % 255 + 1).unwrap_or(u8::MAX))
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.instances, self.advert_int())
    }
}

impl std::str::FromStr for Scenario {
    type Err = String;

    /// `INSTANCESxSECONDS`, e.g. `255x0.01` (255 instances at 10 ms adverts).
    fn from_str(text: &str) -> Result<Self, String> {
        let bad =
            || format!("{text:?}: expected INSTANCESxSECONDS, e.g. 255x0.01, 1..={MAX_SCENARIO_INSTANCES} instances");
        let (n, int) = text.split_once('x').ok_or_else(bad)?;
        let instances: u16 = n.parse().map_err(|_| bad())?;
        let seconds: f64 = int.parse().map_err(|_| bad())?;
        let cs = (seconds * 100.0).round();
        if !(1..=MAX_SCENARIO_INSTANCES).contains(&instances) || !(1.0..=4095.0).contains(&cs) {
            return Err(bad());
        }
        Ok(Scenario { instances, advert_cs: cs as u16 })
    }
}

/// The default scenarios: many groups at keepalived's usual 1 s, and fewer at 10 ms
/// (VRRPv3's fastest), where the per-advert cost dominates.
pub const SCENARIOS: [Scenario; 2] =
    [Scenario { instances: 200, advert_cs: 100 }, Scenario { instances: 50, advert_cs: 1 }];

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
    /// vrrpd's I/O counters over the window.
    pub io: Option<IoFigures>,
    /// What [`observe`] saw during the window (`None` from [`measure`]).
    pub watch: Option<Watch>,
}

fn config(s: Scenario, priority: u8) -> String {
    let mut out = String::new();
    for i in 0..s.instances {
        let (segment, vrid) = Scenario::place(i);
        let ifname = crate::segment_ifname(segment);
        let vip_host = i % 250 + 1;
        let _ = write!(
            out,
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface {ifname}\n    virtual_router_id {vrid}\n    \
             priority {priority}\n    advert_int {int}\n    version 3\n    virtual_ipaddress {{\n        \
             198.18.{net}.{vip_host}/32 dev {ifname}\n    }}\n}}\n",
            int = s.advert_int(),
            net = i / 250,
        );
    }
    out
}

/// Host `host`'s (`a` or `b`) IPv4 address on segment `segment` of the lab [`lab`] builds.
pub(crate) fn segment_address(segment: u8, host: &str) -> std::net::Ipv4Addr {
    let last = if host == "a" { 11 } else { 12 };
    if segment == 1 {
        std::net::Ipv4Addr::new(192, 0, 2, last)
    } else {
        std::net::Ipv4Addr::new(198, 19, segment, last)
    }
}

/// The lab of a scenario: `a` and `b` on `eth1`, and on one more segment per 255
/// instances (`eth2`...).
pub(crate) fn lab(name: &str, s: Scenario) -> Result<Lan> {
    let lan = Lan::builder(name)
        .host_v4("a", &format!("{}/24", segment_address(1, "a")))
        .host_v4("b", &format!("{}/24", segment_address(1, "b")))
        .build()
        .context("building the lab (are you root?)")?;
    for seg in 2..=s.segments() {
        let (a, b) = (format!("{}/24", segment_address(seg, "a")), format!("{}/24", segment_address(seg, "b")));
        lan.add_segment(seg, &[("a", &a), ("b", &b)]).with_context(|| format!("adding segment {seg}"))?;
    }
    Ok(lan)
}

/// CPU seconds (user + system) and resident KiB of every process in namespace `ns`.
pub(crate) fn usage(ns: &str) -> Result<(f64, u64)> {
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

fn vips_on(lan: &Lan, host: &str, s: Scenario) -> usize {
    (1..=s.segments())
        .map(|seg| {
            lan.addrs(host, &crate::segment_ifname(seg))
                .map(|a| a.iter().filter(|(ip, _)| ip.to_string().starts_with("198.18.")).count())
                .unwrap_or(0)
        })
        .sum()
}

/// A process in a lab namespace, stopped with SIGTERM (then SIGKILL after 5 s) when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
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

fn start(lan: &Lan, host: &str, imp: Implementation, conf: &Path, dir: &Path, vrrpd: &Path) -> Result<Process> {
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
    Ok(Process(lan.spawn(host, &mut cmd).with_context(|| format!("starting {} on {host}", imp.name()))?))
}

/// vrrpd's I/O counters over the window (`vrrpctl status --json`, `io`), master and
/// backup; absent from a vrrpd that has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct IoFigures {
    /// The master's send syscalls and adverts sent.
    pub master_send_syscalls: u64,
    /// Adverts the master sent.
    pub master_adverts: u64,
    /// The master's event-loop wake-ups.
    pub master_wakeups: u64,
    /// The backup's receive syscalls.
    pub backup_recv_syscalls: u64,
    /// Datagrams the backup received.
    pub backup_packets: u64,
    /// The backup's event-loop wake-ups.
    pub backup_wakeups: u64,
}

/// `vrrpctl status --json` of the vrrpd behind `socket`.
fn status(vrrpctl: &Path, socket: &Path) -> Option<serde_json::Value> {
    let out = Command::new(vrrpctl).arg("--socket").arg(socket).args(["status", "--json"]).output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn io_figures(a: (&serde_json::Value, &serde_json::Value), b: (&serde_json::Value, &serde_json::Value)) -> IoFigures {
    let d = |(before, after): (&serde_json::Value, &serde_json::Value), key: &str| {
        after[key].as_u64().unwrap_or(0).saturating_sub(before[key].as_u64().unwrap_or(0))
    };
    IoFigures {
        master_send_syscalls: d(a, "send_syscalls"),
        master_adverts: d(a, "adverts_sent"),
        master_wakeups: d(a, "wakeups"),
        backup_recv_syscalls: d(b, "recv_syscalls"),
        backup_packets: d(b, "packets_received"),
        backup_wakeups: d(b, "wakeups"),
    }
}

/// Measures one daemon pair under one scenario over `window`; a failover during the
/// window voids the figure (an error).
pub fn measure(imp: Implementation, s: Scenario, window: Duration, bins: &crate::demo::Binaries) -> Result<Cost> {
    run(imp, s, window, bins, false)
}

/// Measures one daemon pair as [`measure`] does, and watches it over the window
/// ([`Cost::watch`]): the state transitions of every instance on both hosts, and the VIPs
/// on each host about every second. A failover during the window is a result, not an
/// error; a group that does not settle is an error ([`NotSettled`]).
pub fn observe(imp: Implementation, s: Scenario, window: Duration, bins: &crate::demo::Binaries) -> Result<Cost> {
    run(imp, s, window, bins, true)
}

/// The group did not settle (every VIP on a, none on b) within the time allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSettled {
    /// Which daemon.
    pub imp: Implementation,
    /// VIPs on a at the end of the wait.
    pub on_a: usize,
    /// VIPs on b at the end of the wait.
    pub on_b: usize,
    /// VIPs there should be on a.
    pub expected: usize,
    /// The tail of a's log.
    pub log_tail: String,
}

impl std::fmt::Display for NotSettled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: the group did not settle ({} of {} VIPs on a, {} on b); a's log tail:\n{}",
            self.imp.name(),
            self.on_a,
            self.expected,
            self.on_b,
            self.log_tail
        )
    }
}

impl std::error::Error for NotSettled {}

/// What [`observe`] saw during the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Watch {
    /// State transitions of every instance on the master's host (a) during the window;
    /// `None` if they could not be counted.
    pub master_transitions: Option<u64>,
    /// The same on the backup's host (b).
    pub backup_transitions: Option<u64>,
    /// Samples of the VIPs on both hosts (one about every second).
    pub samples: u32,
    /// Samples with a VIP on b or one missing on a.
    pub bad_samples: u32,
    /// The most VIPs on b in one sample.
    pub most_on_b: usize,
    /// The fewest VIPs on a in one sample.
    pub fewest_on_a: usize,
    /// Both hosts' transitions as their logs' "Entering X STATE" lines during the window
    /// say (both daemons write them; for vrrpd, a cross-check of its counters).
    pub log_transitions: Option<u64>,
}

impl Watch {
    /// Adds one sample of the VIPs on a and b (`n` expected on a, none on b).
    pub fn sample(&mut self, on_a: usize, on_b: usize, n: usize) {
        self.fewest_on_a = if self.samples == 0 { on_a } else { self.fewest_on_a.min(on_a) };
        self.most_on_b = self.most_on_b.max(on_b);
        self.samples += 1;
        if on_b > 0 || on_a < n {
            self.bad_samples += 1;
        }
    }

    /// Both hosts' transitions, if both were counted.
    pub fn transitions(&self) -> Option<u64> {
        Some(self.master_transitions? + self.backup_transitions?)
    }
}

/// The state transitions of every instance in a `vrrpctl status --json` document (the sum
/// of each instance's `transitions` counts); `None` if no instance has the counters (an
/// older vrrpd).
pub fn json_transitions(status: &serde_json::Value) -> Option<u64> {
    let instances = status.get("instances")?.as_array()?;
    let mut seen = false;
    let mut total = 0u64;
    for inst in instances {
        let Some(list) = inst.get("transitions").and_then(|t| t.as_array()) else { continue };
        seen = true;
        total += list.iter().filter_map(|t| t.get("count")?.as_u64()).sum::<u64>();
    }
    seen.then_some(total)
}

/// The state transitions logged in `log`: "(VI_1) Entering MASTER STATE", "... BACKUP
/// STATE", "... FAULT STATE", one line each, as keepalived (with `-l`) and vrrpd write them.
pub fn log_transitions(log: &str) -> u64 {
    log.lines()
        .filter(|l| {
            l.find("Entering ").is_some_and(|i| {
                let rest = &l[i + "Entering ".len()..];
                rest.split_whitespace().nth(1) == Some("STATE")
            })
        })
        .count() as u64
}

fn run(
    imp: Implementation,
    s: Scenario,
    window: Duration,
    bins: &crate::demo::Binaries,
    watching: bool,
) -> Result<Cost> {
    let dir = tempfile::tempdir()?;
    let lan = lab(&format!("cpu{}", if imp == Implementation::Vrrpd { "v" } else { "k" }), s)?;
    let (conf_a, conf_b): (PathBuf, PathBuf) = (dir.path().join("a.conf"), dir.path().join("b.conf"));
    std::fs::write(&conf_a, config(s, 150))?;
    std::fs::write(&conf_b, config(s, 100))?;
    let _a = start(&lan, "a", imp, &conf_a, dir.path(), &bins.vrrpd)?;
    let _b = start(&lan, "b", imp, &conf_b, dir.path(), &bins.vrrpd)?;
    let n = usize::from(s.instances);
    if !poll_until(Duration::from_secs(60), || vips_on(&lan, "a", s) == n && vips_on(&lan, "b", s) == 0) {
        let log = std::fs::read_to_string(dir.path().join("a.log")).unwrap_or_default();
        return Err(NotSettled {
            imp,
            on_a: vips_on(&lan, "a", s),
            on_b: vips_on(&lan, "b", s),
            expected: n,
            log_tail: tail(&log),
        }
        .into());
    }
    std::thread::sleep(Duration::from_secs(2));
    let sockets = (dir.path().join("a.sock"), dir.path().join("b.sock"));
    let statuses = || {
        (imp == Implementation::Vrrpd)
            .then(|| Some((status(&bins.vrrpctl, &sockets.0)?, status(&bins.vrrpctl, &sockets.1)?)))
            .flatten()
    };
    let logs = (dir.path().join("a.log"), dir.path().join("b.log"));
    let log_len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let st0 = statuses();
    let logs0 = (log_len(&logs.0), log_len(&logs.1));
    let (a0, _) = usage(lan.ns_name("a"))?;
    let (b0, _) = usage(lan.ns_name("b"))?;
    let mut watch = Watch::default();
    if watching {
        let start = Instant::now();
        loop {
            watch.sample(vips_on(&lan, "a", s), vips_on(&lan, "b", s), n);
            let left = window.saturating_sub(start.elapsed());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_secs(1)));
        }
    } else {
        std::thread::sleep(window);
    }
    let (a1, master_rss_kib) = usage(lan.ns_name("a"))?;
    let (b1, backup_rss_kib) = usage(lan.ns_name("b"))?;
    let st1 = statuses();
    let logs1 = (log_len(&logs.0), log_len(&logs.1));
    let io = st0.as_ref().zip(st1.as_ref()).and_then(|((a0, b0), (a1, b1))| {
        Some(io_figures((a0.get("io")?, a1.get("io")?), (b0.get("io")?, b1.get("io")?)))
    });
    if watching {
        let between = |p: &Path, from: u64, to: u64| -> Option<u64> {
            let bytes = std::fs::read(p).ok()?;
            let part = bytes.get(usize::try_from(from).ok()?..usize::try_from(to).ok()?)?;
            Some(log_transitions(&String::from_utf8_lossy(part)))
        };
        let (la, lb) = (between(&logs.0, logs0.0, logs1.0), between(&logs.1, logs0.1, logs1.1));
        watch.log_transitions = la.zip(lb).map(|(a, b)| a + b);
        let (ta, tb) = match imp {
            Implementation::Vrrpd => {
                let d = |before: Option<&serde_json::Value>, after: Option<&serde_json::Value>| {
                    Some(json_transitions(after?)?.saturating_sub(json_transitions(before?)?))
                };
                (
                    d(st0.as_ref().map(|s| &s.0), st1.as_ref().map(|s| &s.0)),
                    d(st0.as_ref().map(|s| &s.1), st1.as_ref().map(|s| &s.1)),
                )
            }
            Implementation::Keepalived => (la, lb),
        };
        watch.master_transitions = ta;
        watch.backup_transitions = tb;
    } else if vips_on(&lan, "a", s) != n || vips_on(&lan, "b", s) != 0 {
        bail!(
            "{}: a failover happened during the measurement ({} VIPs on a, {} on b); the figure would be meaningless",
            imp.name(),
            vips_on(&lan, "a", s),
            vips_on(&lan, "b", s)
        );
    }
    Ok(Cost {
        imp,
        scenario: s,
        window,
        master_cpu: a1 - a0,
        backup_cpu: b1 - b0,
        master_rss_kib,
        backup_rss_kib,
        io,
        watch: watching.then_some(watch),
    })
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// One scenario's measurements: keepalived's pair (unless skipped), vrrpd's, the floor.
#[derive(Debug, Clone)]
pub struct Row {
    /// keepalived's pair.
    pub keepalived: Option<Cost>,
    /// vrrpd's pair.
    pub vrrpd: Cost,
    /// The floor (unless skipped).
    pub floor: Option<crate::floor::Floor>,
}

/// Prints keepalived's and vrrpd's costs side by side with their ratios, the floor, and
/// vrrpd's cost as a multiple of the floor; then vrrpd's syscalls per advert.
pub fn print_table(rows: &[Row]) {
    println!(
        "{:<16} {:>8} {:>14} {:>14} {:>10} {:>14} {:>12}",
        "scenario", "role", "keepalived", "vrrpd", "ka/vrrpd", "floor", "vrrpd/floor"
    );
    let ratio = |a: Option<f64>, b: f64| match a {
        Some(a) if b > 0.0 => format!("{:.1}x", a / b),
        _ => "-".into(),
    };
    let cell =
        |v: Option<f64>, unit: &str| v.map_or_else(|| format!("{:>14}", "-"), |v| format!("{v:>10.2} {unit:<3}"));
    for row in rows {
        let v = &row.vrrpd;
        let k = row.keepalived.as_ref();
        let f = row.floor.as_ref();
        let pct = |cpu: f64, window: Duration| 100.0 * cpu / window.as_secs_f64();
        let label = format!("{} x {} s", v.scenario.instances, v.scenario.advert_int());
        let lines = [
            (
                label.as_str(),
                "master",
                k.map(|k| pct(k.master_cpu, k.window)),
                pct(v.master_cpu, v.window),
                f.map(|f| pct(f.sender_cpu, f.window)),
                "%",
            ),
            (
                "",
                "backup",
                k.map(|k| pct(k.backup_cpu, k.window)),
                pct(v.backup_cpu, v.window),
                f.map(|f| pct(f.receiver_cpu, f.window)),
                "%",
            ),
            ("", "RSS", k.map(|k| k.master_rss_kib as f64), v.master_rss_kib as f64, None, "KiB"),
        ];
        for (label, role, kv, vv, fv, unit) in lines {
            println!(
                "{label:<16} {role:>8} {} {} {:>10} {} {:>12}",
                cell(kv, unit),
                cell(Some(vv), unit),
                ratio(kv, vv),
                cell(fv, unit),
                ratio(Some(vv), fv.unwrap_or(0.0))
            );
        }
    }
    println!("CPU: share of one core over the window, summed over the server's processes.");
    println!("floor: a bare sender (sendmmsg on a timerfd) and receiver (recvmmsg) of the same adverts.");
    for row in rows {
        let Some(io) = row.vrrpd.io else { continue };
        let per = |a: u64, b: u64| if b > 0 { format!("{:.3}", a as f64 / b as f64) } else { "-".into() };
        println!(
            "vrrpd {}: master {} adverts, {} send syscalls ({} per advert), {} wake-ups; backup {} datagrams, {} receive syscalls ({} per datagram), {} wake-ups",
            row.vrrpd.scenario,
            io.master_adverts,
            io.master_send_syscalls,
            per(io.master_send_syscalls, io.master_adverts),
            io.master_wakeups,
            io.backup_packets,
            io.backup_recv_syscalls,
            per(io.backup_recv_syscalls, io.backup_packets),
            io.backup_wakeups
        );
    }
    for f in rows.iter().filter_map(|r| r.floor.as_ref()) {
        println!("floor {}: {}", f.scenario, f.report.trim().replace('\n', "; "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_config_parses_with_one_vip_per_instance() {
        let cfg = vrrp_node::config::parse_str("x.conf", &config(SCENARIOS[0], 150)).unwrap();
        assert_eq!(cfg.instances.len(), 200);
        assert!(cfg
            .instances
            .iter()
            .all(|i| i.vips.len() == 1 && i.version == vrrp_core::wire::Version::V3 && i.priority == 150));
        let cfg = vrrp_node::config::parse_str("x.conf", &config(SCENARIOS[1], 100)).unwrap();
        assert_eq!(cfg.instances[0].advert_int_cs, 1);
        // 1020 instances: 255 VRIDs on each of eth1..eth4.
        let s: Scenario = "1020x0.1".parse().unwrap();
        assert_eq!((s.instances, s.advert_cs, s.segments(), s.advert_int()), (1020, 10, 4, "0.1".to_string()));
        let cfg = vrrp_node::config::parse_str("x.conf", &config(s, 150)).unwrap();
        assert_eq!(cfg.instances.len(), 1020);
        assert_eq!(cfg.instances[1019].interface, "eth4");
        assert_eq!(cfg.instances[1019].vrid, 255);
        assert_eq!(cfg.instances[255].interface, "eth2");
        assert_eq!(cfg.instances[255].vrid, 1);
    }

    #[test]
    fn scenarios_are_read_as_instances_x_seconds() {
        let s: Scenario = "255x0.01".parse().unwrap();
        assert_eq!((s.instances, s.advert_cs, s.segments()), (255, 1, 1));
        assert_eq!(s.to_string(), "255x0.01");
        assert_eq!("200x1".parse::<Scenario>().unwrap().advert_int(), "1");
        for bad in ["1021x0.1", "0x1", "255", "255x0.001", "ax1"] {
            assert!(bad.parse::<Scenario>().is_err(), "{bad}");
        }
    }

    #[test]
    fn transitions_are_counted_from_the_json_and_from_keepalived_log_lines() {
        let status = serde_json::json!({"instances": [
            {"name": "VI_0", "transitions": [{"to": "BACKUP", "reason": "startup", "count": 1},
                {"to": "MASTER", "reason": "master_no_response", "count": 2}]},
            {"name": "VI_1", "transitions": []},
            {"name": "VI_2"}
        ]});
        assert_eq!(json_transitions(&status), Some(3));
        // An older vrrpd without the counters: not countable, rather than 0.
        assert_eq!(json_transitions(&serde_json::json!({"instances": [{"name": "VI_0"}]})), None);
        assert_eq!(json_transitions(&serde_json::json!({"io": {}})), None);
        let log = "Fri Dec  4 04:54:00 2026: (VI_0) Entering BACKUP STATE (init)\n\
                   Fri Dec  4 04:54:03 2026: (VI_0) Entering MASTER STATE\n\
                   Fri Dec  4 04:54:03 2026: (VI_1) received lower priority advert\n\
                   Fri Dec  4 04:54:09 2026: (VI_7) Entering FAULT STATE\n\
                   Fri Dec  4 04:54:09 2026: Entering the main loop\n\
                   2026-12-04T05:10:00.000001Z  INFO (VI_3) Entering MASTER STATE (from BACKUP: master_no_response)\n";
        assert_eq!(log_transitions(log), 4);
        assert_eq!(log_transitions(""), 0);
    }

    #[test]
    fn the_watch_keeps_the_worst_sample() {
        let mut w = Watch::default();
        w.sample(255, 0, 255);
        assert_eq!((w.bad_samples, w.most_on_b, w.fewest_on_a), (0, 0, 255));
        w.sample(250, 438, 255);
        w.sample(255, 3, 255);
        assert_eq!((w.samples, w.bad_samples, w.most_on_b, w.fewest_on_a), (3, 2, 438, 250));
        assert_eq!(w.transitions(), None);
        w.master_transitions = Some(2);
        w.backup_transitions = Some(1);
        assert_eq!(w.transitions(), Some(3));
    }
}
