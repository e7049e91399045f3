//! The pure half of the bench: the protocol floor per config and event, median and worst
//! of the repetitions, and the Markdown (and stdout) table made from given figures.

use std::fmt::Write as _;
use std::time::Duration;

use vrrp_core::timers::{master_down_interval, skew_time};

use super::{Config, Event};
use crate::demo::Implementation;

/// The backup's priority in the pair (b): its timers set the floor.
pub const BACKUP_PRIORITY: u8 = 100;

/// The least outage the protocol allows for `event` under `config`, seen from the backup
/// (priority [`BACKUP_PRIORITY`]): a cut or a SIGKILL silences the master, and the backup
/// waits Master_Down_Interval after the last advert it heard; a SIGTERM sends a
/// priority-0 advert, after which the backup waits Skew_Time (RFC 9568 §6.4.2).
pub fn floor(config: Config, event: Event) -> Duration {
    match event {
        Event::Cut | Event::Kill => master_down_interval(BACKUP_PRIORITY, config.advert_cs).into(),
        Event::Term => skew_time(BACKUP_PRIORITY, config.advert_cs).into(),
    }
}

/// What one repetition of one event measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The daemon that ran the pair.
    pub imp: Implementation,
    /// The pair's config.
    pub config: Config,
    /// What was done to the master.
    pub event: Event,
    /// The client's longest gap between two echo replies.
    pub outage: Duration,
    /// Echo requests never answered.
    pub lost: u64,
    /// SIGKILL only: how long both hosts held the VIP (from b adding it until one host
    /// alone held it again, a's daemon restarted in between).
    pub both_held: Option<Duration>,
}

/// Median and worst (largest) of some figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread<T> {
    /// The median (the mean of the two middle values for an even count).
    pub median: T,
    /// The largest value.
    pub worst: T,
}

/// Median and worst of `values`; `None` if there are none.
pub fn spread_durations(values: &[Duration]) -> Option<Spread<Duration>> {
    let mut v = values.to_vec();
    v.sort();
    let n = v.len();
    let worst = *v.last()?;
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2 };
    Some(Spread { median, worst })
}

/// Median and worst of counts (an even count's median rounds down).
pub fn spread_counts(values: &[u64]) -> Option<Spread<u64>> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    let worst = *v.last()?;
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2 };
    Some(Spread { median, worst })
}

/// The machine and the run, for the Markdown's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// `/proc/cpuinfo`'s model name.
    pub cpu: String,
    /// Online CPUs.
    pub nproc: usize,
    /// `uname -r`.
    pub kernel: String,
    /// When the run started, UTC.
    pub date: String,
    /// `/proc/loadavg`'s three load averages at the start.
    pub load: String,
    /// Repetitions per cell.
    pub reps: u32,
    /// The command line.
    pub command: String,
    /// How often the bench could look at who holds the VIP (mean period of its poll), if
    /// measured: the resolution of the both-held figure.
    pub poll_period: Option<Duration>,
}

fn ms(d: Duration) -> String {
    let m = d.as_secs_f64() * 1000.0;
    if m < 100.0 {
        format!("{m:.1} ms")
    } else {
        format!("{m:.0} ms")
    }
}

/// The samples of one cell.
fn cell(samples: &[Sample], imp: Implementation, config: Config, event: Event) -> Vec<&Sample> {
    samples.iter().filter(|s| s.imp == imp && s.config == config && s.event == event).collect()
}

/// "median / worst" of a cell's outages with the pings lost, or "–" for a cell not run.
fn outage_cells(samples: &[&Sample]) -> [String; 2] {
    let outages: Vec<Duration> = samples.iter().map(|s| s.outage).collect();
    let lost: Vec<u64> = samples.iter().map(|s| s.lost).collect();
    match (spread_durations(&outages), spread_counts(&lost)) {
        (Some(o), Some(l)) => {
            [format!("{}, {} lost", ms(o.median), l.median), format!("{}, {} lost", ms(o.worst), l.worst)]
        }
        _ => ["–".into(), "–".into()],
    }
}

/// Median outage of a cell, for the plot.
pub fn median_outage(samples: &[Sample], imp: Implementation, config: Config, event: Event) -> Option<Duration> {
    let v: Vec<Duration> = cell(samples, imp, config, event).iter().map(|s| s.outage).collect();
    spread_durations(&v).map(|s| s.median)
}

/// The outage table (rows: config × event; columns: keepalived median / worst, vrrpd
/// median / worst, floor), as Markdown.
pub fn outage_table(samples: &[Sample], configs: &[Config], events: &[Event]) -> String {
    let mut out = String::new();
    out.push_str(
        "| config | event | keepalived median | keepalived worst | vrrpd median | vrrpd worst | protocol floor |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    for &config in configs {
        for &event in events {
            let [km, kw] = outage_cells(&cell(samples, Implementation::Keepalived, config, event));
            let [vm, vw] = outage_cells(&cell(samples, Implementation::Vrrpd, config, event));
            let _ = writeln!(
                out,
                "| {} | {} | {km} | {kw} | {vm} | {vw} | {} ({}) |",
                config.label(),
                event.label(),
                ms(floor(config, event)),
                event.floor_name()
            );
        }
    }
    out
}

/// The SIGKILL table: how long both hosts held the VIP, per daemon × config; `None` if no
/// SIGKILL ran.
pub fn both_held_table(samples: &[Sample], configs: &[Config]) -> Option<String> {
    if !samples.iter().any(|s| s.both_held.is_some()) {
        return None;
    }
    let mut out = String::new();
    out.push_str("| config | keepalived median | keepalived worst | vrrpd median | vrrpd worst |\n");
    out.push_str("|---|---:|---:|---:|---:|\n");
    for &config in configs {
        let mut row = format!("| {} |", config.label());
        for imp in [Implementation::Keepalived, Implementation::Vrrpd] {
            let held: Vec<Duration> =
                cell(samples, imp, config, Event::Kill).iter().filter_map(|s| s.both_held).collect();
            match spread_durations(&held) {
                Some(s) => {
                    let _ = write!(row, " {} | {} |", ms(s.median), ms(s.worst));
                }
                None => row.push_str(" – | – |"),
            }
        }
        out.push_str(&row);
        out.push('\n');
    }
    Some(out)
}

/// The whole Markdown file of the outage part alone: header (machine, date, load, N,
/// command), the outage table, the SIGKILL table with what an operator should expect,
/// and any failures.
pub fn markdown(meta: &Meta, samples: &[Sample], configs: &[Config], events: &[Event], failures: &[String]) -> String {
    document(meta, Some((samples, configs, events)), None, failures)
}

/// The whole Markdown file: the header, the outage part's tables (if it ran), the scale
/// part's section (if it ran, `scale`), and any failures.
pub fn document(
    meta: &Meta,
    outage: Option<(&[Sample], &[Config], &[Event])>,
    scale: Option<&str>,
    failures: &[String],
) -> String {
    let mut out = String::new();
    let title = match (outage.is_some(), scale.is_some()) {
        (true, true) => "failover outage and scale",
        (false, true) => "scale",
        _ => "failover outage",
    };
    let _ = writeln!(out, "# vrrp-lab bench: {title}, keepalived and vrrpd\n");
    let _ = writeln!(out, "- command: `{}`", meta.command);
    let _ = writeln!(out, "- date: {}", meta.date);
    let _ = writeln!(out, "- machine: {}, {} CPUs, Linux {}", meta.cpu, meta.nproc, meta.kernel);
    let _ = writeln!(out, "- load average at the start: {}", meta.load);
    let _ = writeln!(out, "- repetitions per cell (N): {}", meta.reps);
    if let Some((samples, configs, events)) = outage {
        if scale.is_some() {
            out.push_str("\n## Failover outage\n");
        }
        outage_part(&mut out, meta, samples, configs, events);
    }
    if let Some(scale) = scale {
        out.push('\n');
        out.push_str(scale);
    }
    if !failures.is_empty() {
        out.push_str("\n## Failures\n\n");
        for f in failures {
            let _ = writeln!(out, "- {}", f.replace('\n', " "));
        }
    }
    out
}

fn outage_part(out: &mut String, meta: &Meta, samples: &[Sample], configs: &[Config], events: &[Event]) {
    out.push_str(
        "\nA pair on a namespace LAN (a: priority 101 MASTER, b: 100 BACKUP, one VIP), both daemons \
         with the same generated keepalived.conf; a client pings the VIP every 1 ms whatever the \
         replies. Outage = the client's longest gap between two echo replies; lost = echo requests \
         never answered. The cut and the SIGKILL come right after one of a's adverts (the \
         protocol's worst case). Floor: Master_Down_Interval (cut, SIGKILL) or Skew_Time \
         (SIGTERM: the backup takes over Skew_Time after the priority-0 advert) of b; for SIGKILL \
         it is when b takes over, while a's host still answers for the VIP (see below). An \
         outage can come out a little under its floor: b's timer starts at the advert it last \
         heard, the client's gap at the last reply before the event.\n\n",
    );
    out.push_str(&outage_table(samples, configs, events));
    if let Some(table) = both_held_table(samples, configs) {
        out.push_str(
            "\n## SIGKILL: how long both hosts held the VIP\n\nA killed daemon leaves its VIP on \
             the host, so the client sees almost no outage, but once b takes over both hosts hold \
             (and answer for) the VIP. The bench restarts a's daemon as soon as b holds the VIP, \
             as a supervisor would; the figure runs from b adding the VIP until only one host \
             holds it",
        );
        match meta.poll_period {
            Some(p) => {
                let _ = write!(out, " (polled about every {}: that is its resolution)", ms(p));
            }
            None => out.push_str(" (polled)"),
        }
        out.push_str(".\n\n");
        out.push_str(&table);
        out.push_str(
            "\nWhat an operator should expect: after a SIGKILL the VIP stays on the dead daemon's \
             host, so traffic keeps flowing to it, and once the backup takes over (after \
             Master_Down_Interval) both hosts hold the VIP until the killed daemon is restarted \
             and has settled, for about the figure above on top of the supervisor's restart delay; \
             without a restart, the duplicate VIP stays until someone removes it by hand.\n",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::CONFIGS;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn median_and_worst() {
        assert_eq!(spread_durations(&[]), None);
        assert_eq!(spread_durations(&[MS(5)]), Some(Spread { median: MS(5), worst: MS(5) }));
        assert_eq!(spread_durations(&[MS(9), MS(1), MS(5)]), Some(Spread { median: MS(5), worst: MS(9) }));
        assert_eq!(spread_durations(&[MS(4), MS(1), MS(2), MS(9)]), Some(Spread { median: MS(3), worst: MS(9) }));
        assert_eq!(spread_counts(&[3, 0, 7, 7]), Some(Spread { median: 5, worst: 7 }));
        assert_eq!(spread_counts(&[]), None);
    }

    #[test]
    fn floors_from_the_rfc_timers() {
        let [v2, v3_100, v3_10] = CONFIGS;
        // 3 * 1 s + (256 - 100) / 256 * 1 s.
        assert_eq!(floor(v2, Event::Cut), Duration::from_micros(3_609_375));
        assert_eq!(floor(v2, Event::Kill), Duration::from_micros(3_609_375));
        assert_eq!(floor(v2, Event::Term), Duration::from_micros(609_375));
        assert_eq!(floor(v3_100, Event::Cut), Duration::from_micros(360_937));
        assert_eq!(floor(v3_100, Event::Term), Duration::from_micros(60_937));
        assert_eq!(floor(v3_10, Event::Kill), Duration::from_micros(36_093));
        assert_eq!(floor(v3_10, Event::Term), Duration::from_micros(6_093));
    }

    fn sample(imp: Implementation, config: Config, event: Event, outage_ms: u64, lost: u64) -> Sample {
        let both_held = (event == Event::Kill).then(|| MS(outage_ms * 10));
        Sample { imp, config, event, outage: MS(outage_ms), lost, both_held }
    }

    #[test]
    fn markdown_from_given_figures() {
        let c = CONFIGS[1];
        let samples = [
            sample(Implementation::Vrrpd, c, Event::Cut, 365, 360),
            sample(Implementation::Vrrpd, c, Event::Cut, 380, 370),
            sample(Implementation::Vrrpd, c, Event::Cut, 370, 362),
            sample(Implementation::Vrrpd, c, Event::Term, 4, 0),
            sample(Implementation::Keepalived, c, Event::Term, 70, 66),
            sample(Implementation::Vrrpd, c, Event::Kill, 2, 0),
        ];
        let meta = Meta {
            cpu: "AMD EPYC".into(),
            nproc: 2,
            kernel: "6.18.0".into(),
            date: "2026-12-04 02:00 UTC".into(),
            load: "0.50 0.40 0.30".into(),
            reps: 3,
            command: "vrrp-lab bench --reps 3".into(),
            poll_period: Some(MS(8)),
        };
        let md = markdown(&meta, &samples, &[c], &[Event::Cut, Event::Kill, Event::Term], &["oops".into()]);
        assert!(md.contains("- machine: AMD EPYC, 2 CPUs, Linux 6.18.0\n"), "{md}");
        assert!(md.contains("- load average at the start: 0.50 0.40 0.30\n"), "{md}");
        assert!(md.contains("- repetitions per cell (N): 3\n"), "{md}");
        assert!(
            md.contains(
                "| VRRPv3, 100 ms | cable cut | – | – | 370 ms, 362 lost | 380 ms, 370 lost | 361 ms (Master_Down_Interval) |\n"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| VRRPv3, 100 ms | SIGTERM | 70.0 ms, 66 lost | 70.0 ms, 66 lost | 4.0 ms, 0 lost | 4.0 ms, 0 lost | 60.9 ms (Skew_Time) |\n"
            ),
            "{md}"
        );
        assert!(md.contains("| VRRPv3, 100 ms | – | – | 20.0 ms | 20.0 ms |\n"), "{md}");
        assert!(md.contains("polled about every 8.0 ms") && md.contains("What an operator should expect"), "{md}");
        assert!(md.contains("## Failures\n\n- oops\n"), "{md}");
        assert!(md.starts_with("# vrrp-lab bench: failover outage, keepalived and vrrpd\n\n- command: "), "{md}");
        // Both parts: the outage section, then the scale section, then the failures.
        let all = document(&meta, Some((&samples, &[c], &[Event::Cut])), Some("## Scale\n\n| x |\n"), &["oops".into()]);
        assert!(all.starts_with("# vrrp-lab bench: failover outage and scale, keepalived and vrrpd\n"), "{all}");
        let (o, sc, f) = (
            all.find("## Failover outage\n").unwrap(),
            all.find("\n## Scale\n").unwrap(),
            all.find("## Failures").unwrap(),
        );
        assert!(o < sc && sc < f, "{all}");
        let scale_only = document(&meta, None, Some("## Scale\n"), &[]);
        assert!(
            scale_only.starts_with("# vrrp-lab bench: scale,") && !scale_only.contains("| config |"),
            "{scale_only}"
        );
        // No SIGKILL run: no SIGKILL section.
        let md = markdown(&meta, &samples[..5], &[c], &[Event::Cut, Event::Term], &[]);
        assert!(!md.contains("## SIGKILL") && !md.contains("Failures"), "{md}");
    }
}
