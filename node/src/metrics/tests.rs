use vrrp_core::instance::Reason;
use vrrp_core::stats::{NewMasterReason, Stats};
use vrrp_core::wire::{Family, Version};
use vrrp_core::{RouterStats, State};

use super::*;
use crate::control::status::{TimerCounters, Transition};

fn instance(name: &str, vrid: u8, state: State) -> InstanceStatus {
    InstanceStatus {
        waiting: None,
        name: name.into(),
        interface: "eth1".into(),
        vrid,
        family: Family::Ipv4,
        version: Version::V3,
        state,
        priority: 100,
        effective_priority: 90,
        master_ip: None,
        distinct_masters: 2,
        transitions: vec![],
        advert_int_cs: 150,
        vips: vec![],
        stats: Stats::default(),
    }
}

fn sample() -> Status {
    let mut a = instance("VI_a", 7, State::Master);
    // Distinct values per counter, so a swapped key shows.
    let keys: Vec<&str> = a.stats.counters().iter().map(|c| c.key).collect();
    for (n, key) in keys.iter().enumerate() {
        a.stats.set_counter(key, 1000 + n as u64);
    }
    a.stats.new_master_reason = NewMasterReason::Preempted;
    a.transitions = vec![
        Transition { to: State::Backup, reason: Reason::Startup, count: 1 },
        Transition { to: State::Master, reason: Reason::MasterNoResponse, count: 3 },
        Transition { to: State::Fault, reason: Reason::TrackingFault, count: 2 },
    ];
    let b = instance("VI_b", 8, State::Backup);
    let router = RouterStats { checksum_errors: 5, ..RouterStats::default() };
    Status {
        instances: vec![a, b],
        router: RouterCounters::new(&router, 3),
        timer: TimerCounters { fired: 42, late_max_us: 2500, late_over_1ms: 1 },
        io: Default::default(),
        sync_groups: vec![],
    }
}

fn value(text: &str, series: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')).map(str::to_owned))
}

const A: &str = r#"vrrp_instance="VI_a",interface="eth1",vrid="7",family="IPv4",version="3""#;
const B: &str = r#"vrrp_instance="VI_b",interface="eth1",vrid="8",family="IPv4",version="3""#;

#[test]
fn state_is_one_series_per_state_with_the_current_one_at_1() {
    let text = render(&sample());
    for s in State::ALL {
        let a = value(&text, &format!("vrrp_instance_state{{{A},state=\"{}\"}}", s.as_str()));
        assert_eq!(a.as_deref(), Some(if s == State::Master { "1" } else { "0" }), "{s:?}\n{text}");
    }
    assert_eq!(value(&text, &format!("vrrp_instance_state{{{B},state=\"BACKUP\"}}")).as_deref(), Some("1"));
    assert_eq!(value(&text, &format!("vrrp_instance_priority{{{A}}}")).as_deref(), Some("100"));
    assert_eq!(value(&text, &format!("vrrp_instance_effective_priority{{{A}}}")).as_deref(), Some("90"));
    assert_eq!(value(&text, &format!("vrrp_instance_advert_interval_seconds{{{A}}}")).as_deref(), Some("1.5"));
    assert_eq!(value(&text, &format!("vrrp_instance_distinct_masters{{{A}}}")).as_deref(), Some("2"));
}

/// Every RFC 6527 / RFC 2787 counter (and each extension) under its status key, with its
/// MIB object in the HELP line.
#[test]
fn every_counter_is_a_total_under_its_key_with_its_mib_name() {
    let s = sample();
    let text = render(&s);
    for c in s.instances[0].stats.counters() {
        let got = value(&text, &format!("vrrp_instance_{}_total{{{A}}}", c.key));
        assert_eq!(got, Some(c.value.to_string()), "{}\n{text}", c.key);
        if let Some(mib) = c.mib {
            assert!(text.contains(&format!("# HELP vrrp_instance_{} {mib}", c.key)), "{mib}\n{text}");
        }
        assert!(text.contains(&format!("# TYPE vrrp_instance_{} counter", c.key)));
    }
    for c in s.router.counters() {
        assert_eq!(value(&text, &format!("vrrp_router_{}_total", c.key)), Some(c.value.to_string()), "{}", c.key);
    }
    assert_eq!(value(&text, "vrrp_timer_fired_total").as_deref(), Some("42"));
    assert_eq!(value(&text, "vrrp_timer_late_over_1ms_total").as_deref(), Some("1"));
    assert_eq!(value(&text, "vrrp_timer_late_max_seconds").as_deref(), Some("0.0025"));
    assert!(text.ends_with("# EOF\n"), "not OpenMetrics: {text}");
}

/// RFC 6527 vrrpv3StatisticsNewMasterReason: one series per reason, the current one at 1.
#[test]
fn rfc6527_reasons_are_enumerated_with_the_current_one_at_1() {
    let text = render(&sample());
    for r in NewMasterReason::ALL {
        let got = value(&text, &format!("vrrp_instance_new_master_reason{{{A},reason=\"{}\"}}", r.as_str()));
        assert_eq!(got.as_deref(), Some(if r == NewMasterReason::Preempted { "1" } else { "0" }), "{r:?}");
    }
    for r in ProtoErrReason::ALL {
        let got = value(&text, &format!("vrrp_instance_protocol_error_reason{{{B},reason=\"{}\"}}", r.as_str()));
        assert_eq!(got.as_deref(), Some(if r == ProtoErrReason::default() { "1" } else { "0" }), "{r:?}");
    }
}

#[test]
fn no_instances_still_renders_router_and_timer() {
    let text = render(&Status::default());
    assert!(!text.contains("vrrp_instance_state{"), "{text}");
    assert_eq!(value(&text, "vrrp_router_checksum_errors_total").as_deref(), Some("0"));
}

/// Without an OpenMetrics Accept header: Prometheus' text format 0.0.4, where a counter's
/// HELP and TYPE name its `_total` samples and there is no `# EOF`.
#[test]
fn plain_scrapers_get_the_classic_text_format() {
    let s = sample();
    // Series order within a family is not fixed: compare sorted lines.
    let sorted = |t: &str| {
        let mut l: Vec<String> = t.lines().map(str::to_owned).collect();
        l.sort();
        l
    };
    let (open_type, open) = render_for(Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"), &s);
    assert_eq!(open_type, CONTENT_TYPE);
    assert_eq!(sorted(&open), sorted(&render(&s)));
    let (text_type, text) = render_for(None, &s);
    assert_eq!(text_type, TEXT_CONTENT_TYPE);
    assert!(!text.contains("# EOF"), "{text}");
    assert!(text.contains("# TYPE vrrp_instance_master_transitions_total counter\n"), "{text}");
    assert!(text.contains("# HELP vrrp_instance_master_transitions_total vrrpv3StatisticsMasterTransitions"));
    assert!(text.contains("# TYPE vrrp_instance_state gauge\n"), "{text}");
    // The samples themselves are unchanged.
    let samples = |t: &str| sorted(t).into_iter().filter(|l| !l.starts_with('#')).collect::<Vec<_>>();
    assert_eq!(samples(&text), samples(&open));
}

/// Transitions are counted by the state entered and the reason, under the reason's key.
#[test]
fn transitions_are_counted_by_state_and_reason() {
    let text = render(&sample());
    let series = |state: &str, reason: &str| {
        value(&text, &format!("vrrp_instance_transitions_total{{{A},state=\"{state}\",reason=\"{reason}\"}}"))
    };
    assert_eq!(series("MASTER", "master_no_response").as_deref(), Some("3"), "{text}");
    assert_eq!(series("FAULT", "tracking_fault").as_deref(), Some("2"));
    assert_eq!(series("BACKUP", "startup").as_deref(), Some("1"));
    assert_eq!(series("MASTER", "preempted"), None, "only the pairs that happened");
}
