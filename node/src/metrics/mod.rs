//! Prometheus metrics (`vrrpd --metrics-listen ADDR`): the [`Status`] snapshot `vrrpctl
//! status` shows, in the exposition format (OpenMetrics text, prometheus-client), served over
//! HTTP at `/metrics` from a thread of its own ([`server`]).
//!
//! Series (prefix `vrrp_`), labelled by `vrrp_instance` (the `vrrp_instance` name; Prometheus
//! keeps `instance` for the scrape target), `interface`, `vrid`, `family`, `version`:
//! - `vrrp_instance_state{state}`: 1 for the instance's state, 0 for the others;
//! - `vrrp_instance_priority`, `vrrp_instance_effective_priority`,
//!   `vrrp_instance_advert_interval_seconds`, `vrrp_instance_distinct_masters`;
//! - `vrrp_instance_new_master_reason{reason}` and `vrrp_instance_protocol_error_reason{reason}`:
//!   RFC 6527's two reasons, 1 for the current one;
//! - `vrrp_instance_transitions_total{state,reason}`: state changes since start by the state
//!   entered and the reason's key (`master_no_response`, `tracking_fault`, …);
//! - `vrrp_instance_<counter>_total` for every [`vrrp_core::Stats::counters`] entry, under its
//!   key (RFC 6527 / RFC 2787 object named in the HELP text), `master_transitions` and
//!   `master_changes` among them;
//! - `vrrp_router_<counter>_total` for every [`RouterCounters::counters`] entry;
//! - `vrrp_timer_fired_total`, `vrrp_timer_late_over_1ms_total`, `vrrp_timer_late_max_seconds`.

pub mod server;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use vrrp_core::stats::{Counter as CoreCounter, CounterKind, NewMasterReason, ProtoErrReason};
use vrrp_core::State;

use crate::control::status::{InstanceStatus, RouterCounters, Status};

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of [`to_text_format`]'s output: Prometheus' classic text format.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a scrape with this `Accept` header gets: OpenMetrics when the scraper asks for it
/// (Prometheus does), else the classic text format (curl, `promtool check metrics`).
pub fn render_for(accept: Option<&str>, status: &Status) -> (&'static str, String) {
    let open = render(status);
    if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
        (CONTENT_TYPE, open)
    } else {
        (TEXT_CONTENT_TYPE, to_text_format(&open))
    }
}

/// OpenMetrics text (prometheus-client's only output) as Prometheus' text format 0.0.4:
/// a counter family's HELP and TYPE lines name its `_total` samples, and the `# UNIT` and
/// `# EOF` lines, which that format lacks, go.
pub fn to_text_format(open: &str) -> String {
    let counters: Vec<&str> =
        open.lines().filter_map(|l| l.strip_prefix("# TYPE ").and_then(|t| t.strip_suffix(" counter"))).collect();
    let mut out = String::with_capacity(open.len());
    for line in open.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(&name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        out += renamed.as_deref().unwrap_or(line);
        out.push('\n');
    }
    out
}

type Labels = Vec<(&'static str, String)>;

fn instance_labels(i: &InstanceStatus) -> Labels {
    vec![
        // Not `instance`: Prometheus gives every scraped series the target's `instance`.
        ("vrrp_instance", i.name.clone()),
        ("interface", i.interface.clone()),
        ("vrid", i.vrid.to_string()),
        ("family", i.family.as_str().to_owned()),
        ("version", i.version.number().to_string()),
    ]
}

fn with(mut labels: Labels, key: &'static str, value: &str) -> Labels {
    labels.push((key, value.to_owned()));
    labels
}

fn help(c: &CoreCounter) -> String {
    let kind = match c.kind {
        CounterKind::Event => "protocol events",
        CounterKind::RxError => "received packets discarded",
        CounterKind::LocalError => "local errors",
    };
    match c.mib {
        Some(mib) => format!("{mib} ({kind})"),
        None => format!("vrrpd extension {} ({kind})", c.key),
    }
}

/// Registers `counters` (the same keys for every label set) as `PREFIX_KEY_total`.
fn counters<'a>(
    registry: &mut Registry,
    prefix: &str,
    rows: impl IntoIterator<Item = (Labels, Vec<CoreCounter>)> + 'a,
) {
    let mut families: Vec<(CoreCounter, Family<Labels, Counter>)> = Vec::new();
    for (labels, row) in rows {
        for c in row {
            let family = match families.iter().find(|(f, _)| f.key == c.key) {
                Some((_, f)) => f.clone(),
                None => {
                    let f = Family::<Labels, Counter>::default();
                    families.push((c, f.clone()));
                    f
                }
            };
            family.get_or_create(&labels).inc_by(c.value);
        }
    }
    for (c, family) in families {
        registry.register(format!("{prefix}_{}", c.key), help(&c), family);
    }
}

/// The metrics of `status`, in OpenMetrics text.
pub fn render(status: &Status) -> String {
    let mut registry = Registry::with_prefix("vrrp");
    let gauge = || Family::<Labels, Gauge>::default();
    let (state, prio, eff, masters) = (gauge(), gauge(), gauge(), gauge());
    let (new_master, proto_err) = (gauge(), gauge());
    let interval = Family::<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    let transitions = Family::<Labels, Counter>::default();
    for i in &status.instances {
        let labels = instance_labels(i);
        for s in State::ALL {
            state.get_or_create(&with(labels.clone(), "state", s.as_str())).set(i64::from(i.state == s));
        }
        prio.get_or_create(&labels).set(i64::from(i.priority));
        eff.get_or_create(&labels).set(i64::from(i.effective_priority));
        masters.get_or_create(&labels).set(i64::try_from(i.distinct_masters).unwrap_or(i64::MAX));
        interval.get_or_create(&labels).set(f64::from(i.advert_int_cs) / 100.0);
        for t in &i.transitions {
            let labels = with(with(labels.clone(), "state", t.to.as_str()), "reason", t.reason.key());
            transitions.get_or_create(&labels).inc_by(t.count);
        }
        for r in NewMasterReason::ALL {
            let current = i.stats.new_master_reason == r;
            new_master.get_or_create(&with(labels.clone(), "reason", r.as_str())).set(i64::from(current));
        }
        for r in ProtoErrReason::ALL {
            let current = i.stats.proto_err_reason == r;
            proto_err.get_or_create(&with(labels.clone(), "reason", r.as_str())).set(i64::from(current));
        }
    }
    registry.register("instance_state", "VRRP state (1 for the current one: INIT, BACKUP, MASTER, FAULT)", state);
    registry.register("instance_priority", "configured priority", prio);
    registry.register("instance_effective_priority", "priority in effect (tracking applied)", eff);
    registry.register("instance_advert_interval_seconds", "configured advertisement interval", interval);
    registry.register("instance_distinct_masters", "routers known as master since start (up to 64)", masters);
    registry.register(
        "instance_transitions",
        "state changes since start, by the state entered and the reason (the pairs that happened)",
        transitions,
    );
    registry.register(
        "instance_new_master_reason",
        "RFC 6527 vrrpv3StatisticsNewMasterReason (1: current)",
        new_master,
    );
    registry.register(
        "instance_protocol_error_reason",
        "RFC 6527 vrrpv3StatisticsProtoErrReason (1: current)",
        proto_err,
    );
    counters(
        &mut registry,
        "instance",
        status.instances.iter().map(|i| (instance_labels(i), i.stats.counters().into_iter().collect())),
    );
    counters(&mut registry, "router", [(Labels::new(), router_counters(&status.router))]);
    let t = &status.timer;
    let fired = Counter::<u64>::default();
    fired.inc_by(t.fired);
    registry.register("timer_fired", "protocol timer expiries handled", fired);
    let late = Counter::<u64>::default();
    late.inc_by(t.late_over_1ms);
    registry.register("timer_late_over_1ms", "protocol timer expiries handled more than 1 ms late", late);
    let worst = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    #[allow(clippy::cast_precision_loss)]
    worst.set(t.late_max_us as f64 / 1e6);
    registry.register("timer_late_max_seconds", "worst lateness of a protocol timer expiry", worst);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut out, &registry);
    out
}

fn router_counters(r: &RouterCounters) -> Vec<CoreCounter> {
    r.counters().collect()
}

#[cfg(test)]
mod tests;
