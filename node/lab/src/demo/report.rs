//! What the demo prints: the timeline as it happens, one outage line per step, and the
//! side-by-side table of `compare`.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vrrp_core::timers::{master_down_interval, skew_time};

use super::pinger::Outage;
use super::ADVERT_CS;

/// What one step did to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// What was done.
    pub name: String,
    /// Who held the VIP before and after.
    pub vip_before: String,
    /// Who held the VIP after.
    pub vip_after: String,
    /// How long the step took to reach its expected end state (VIP where it belongs).
    pub settled_after: Duration,
    /// What the client saw.
    pub outage: Outage,
}

impl fmt::Display for StepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outage  {:<34} VIP {} -> {}  {:>9.1} ms   lost {} of {} pings",
            self.name,
            self.vip_before,
            self.vip_after,
            self.outage.longest_gap.as_secs_f64() * 1000.0,
            self.outage.lost,
            self.outage.sent
        )
    }
}

pub(super) fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// The printed timeline: seconds since the demo started, and what happened.
#[derive(Debug)]
pub struct Timeline {
    epoch: Instant,
    out: Mutex<()>,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Timeline {
    /// A timeline starting now.
    pub fn new() -> Self {
        Timeline { epoch: Instant::now(), out: Mutex::new(()) }
    }

    /// Prints `what` with the time it happened.
    pub fn note(&self, what: impl AsRef<str>) {
        self.note_at(Instant::now(), what);
    }

    /// `at` as time since the start of the timeline.
    pub fn offset(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.epoch)
    }

    pub(super) fn note_at(&self, at: Instant, what: impl AsRef<str>) {
        let t = self.offset(at).as_secs_f64();
        let _guard = self.out.lock().unwrap_or_else(|e| e.into_inner());
        println!("{t:>9.3} s  {}", what.as_ref());
    }
}

/// Prints the outages of `compare`: keepalived's, vrrpd's, and their ratio per step.
pub fn print_comparison(keepalived: &[StepReport], vrrpd: &[StepReport]) {
    println!();
    println!("{:<34} {:>14} {:>14} {:>18}", "client outage per step", "keepalived", "vrrpd", "keepalived/vrrpd");
    for (k, v) in keepalived.iter().zip(vrrpd) {
        let (km, vm) = (k.outage.longest_gap.as_secs_f64() * 1000.0, v.outage.longest_gap.as_secs_f64() * 1000.0);
        let ratio = if vm > 0.0 { format!("{:.2}x", km / vm) } else { "-".into() };
        println!("{:<34} {:>11.1} ms {:>11.1} ms {:>18}", k.name, km, vm, ratio);
        println!(
            "{:<34} {:>14} {:>14}",
            "    pings lost",
            format!("{}/{}", k.outage.lost, k.outage.sent),
            format!("{}/{}", v.outage.lost, v.outage.sent)
        );
    }
    let mdi = Duration::from(master_down_interval(100, ADVERT_CS)).as_secs_f64() * 1000.0;
    let skew = Duration::from(skew_time(100, ADVERT_CS)).as_secs_f64() * 1000.0;
    println!();
    println!("Step 1 is set by the protocol's timers for any conforming implementation: the backup");
    println!("takes over Master_Down_Interval {mdi:.1} ms after the last advert (the cut follows one).");
    println!("Steps 2 and 3 are planned moves. The backup takes over Skew_Time {skew:.1} ms after the");
    println!("priority-0 advert (priority 100, advert_int 1); keepalived removes the VIP with that");
    println!("advert, so the client loses Skew_Time, while vrrpd keeps it until it hears its successor");
    println!("(make-before-break), and a preempted vrrpd master lingers the same way.");
}
