use super::*;
use serde_json::json;

/// Two instances that between them use every field form: v2/v3, IPv4/IPv6, no master and
/// a master, effective priority below the configured one, every counter non-zero.
fn sample() -> Status {
    let backup = Stats { rcvd_advertisements: 3, ..Stats::default() };
    let mut master = Stats {
        new_master_reason: NewMasterReason::MasterNoResponse,
        proto_err_reason: ProtoErrReason::IpTtlError,
        ..Stats::default()
    };
    for (n, c) in (0u64..).zip(Stats::default().counters()) {
        assert!(master.set_counter(c.key, 100 + n * 7));
    }
    Status {
        instances: vec![
            InstanceStatus {
                waiting: None,
                name: "vi_1".into(),
                interface: "eth0".into(),
                vrid: 51,
                family: Family::Ipv4,
                version: Version::V2,
                state: State::Backup,
                priority: 100,
                effective_priority: 100,
                master_ip: None,
                distinct_masters: 0,
                transitions: vec![],
                advert_int_cs: 100,
                vips: vec!["192.0.2.10/24".into(), "192.0.2.11/32".into()],
                stats: backup,
            },
            InstanceStatus {
                waiting: None,
                name: "a_much_longer_instance_name".into(),
                interface: "bond0.100".into(),
                vrid: 255,
                family: Family::Ipv6,
                version: Version::V3,
                state: State::Master,
                priority: 255,
                effective_priority: 254,
                master_ip: Some("fe80::1234:5678:9abc:def0".into()),
                distinct_masters: 3,
                transitions: vec![
                    Transition { to: State::Backup, reason: Reason::Startup, count: 1 },
                    Transition { to: State::Master, reason: Reason::MasterNoResponse, count: 2 },
                ],
                advert_int_cs: 5,
                vips: vec!["2001:db8::1/64".into()],
                stats: master,
            },
        ],
        router: RouterCounters::new(
            &RouterStats { checksum_errors: 1, version_errors: 2, vrid_errors: 3, packet_length_errors: 4 },
            5,
        ),
        timer: TimerCounters { fired: 10, late_max_us: 1500, late_over_1ms: 1 },
        io: IoCounters { send_syscalls: 6, adverts_sent: 60, recv_syscalls: 7, packets_received: 70, wakeups: 8 },
        sync_groups: vec![],
    }
}

/// `sample()` as the field-by-field status of before the counter visitor wrote it (captured
/// from that code), plus the counter it had dropped, `actions_dropped`, and the ones added
/// since, `suppressed_replies` and `master_changes`, and the instance's `distinct_masters`
/// and `transitions` (reasons by their key).
fn document() -> serde_json::Value {
    json!({"instances":[
        {"name":"vi_1","interface":"eth0","vrid":51,"family":"IPv4","version":2,"state":"BACKUP","priority":100,
         "effective_priority":100,"master_ip":null,"distinct_masters":0,"transitions":[],"advert_int_cs":100,"vips":["192.0.2.10/24","192.0.2.11/32"],
         "stats":{"master_transitions":0,"new_master_reason":"notMaster","rcvd_advertisements":3,"sent_advertisements":0,
            "adv_interval_errors":0,"ip_ttl_errors":0,"proto_err_reason":"noError","rcvd_pri_zero_packets":0,
            "sent_pri_zero_packets":0,"rcvd_invalid_type_packets":0,"address_list_errors":0,"packet_length_errors":0,
            "auth_failures":0,"invalid_auth_type":0,"auth_type_mismatch":0,"source_address_errors":0,
            "actions_dropped":0,"suppressed_replies":0,"master_changes":0,"auth_ext_missing":0,
            "auth_ext_malformed":0,"auth_ext_unknown_key":0,"auth_ext_invalid_hmac":0,"auth_ext_stale":0,
            "auth_ext_replay":0,"vips_removed":0,"unicast_source_errors":0}},
        {"name":"a_much_longer_instance_name","interface":"bond0.100","vrid":255,"family":"IPv6","version":3,
         "state":"MASTER","priority":255,"effective_priority":254,"master_ip":"fe80::1234:5678:9abc:def0",
         "distinct_masters":3,"advert_int_cs":5,"vips":["2001:db8::1/64"],
         "transitions":[{"to":"BACKUP","reason":"startup","count":1},
            {"to":"MASTER","reason":"master_no_response","count":2}],
         "stats":{"master_transitions":100,"new_master_reason":"masterNoResponse","rcvd_advertisements":107,
            "sent_advertisements":114,"adv_interval_errors":121,"ip_ttl_errors":128,"proto_err_reason":"ipTtlError",
            "rcvd_pri_zero_packets":135,"sent_pri_zero_packets":142,"rcvd_invalid_type_packets":149,
            "address_list_errors":156,"packet_length_errors":163,"auth_failures":170,"invalid_auth_type":177,
            "auth_type_mismatch":184,"source_address_errors":191,"actions_dropped":198,
            "suppressed_replies":205,"master_changes":212,"auth_ext_missing":219,"auth_ext_malformed":226,
            "auth_ext_unknown_key":233,"auth_ext_invalid_hmac":240,"auth_ext_stale":247,"auth_ext_replay":254,
            "vips_removed":261,"unicast_source_errors":268}}],
     "router":{"checksum_errors":1,"version_errors":2,"vrid_errors":3,"packet_length_errors":4,"malformed_packets":5},
     "timer":{"fired":10,"late_max_us":1500,"late_over_1ms":1},
     "io":{"send_syscalls":6,"adverts_sent":60,"recv_syscalls":7,"packets_received":70,"wakeups":8}})
}

#[test]
fn the_json_keeps_every_key_and_value_form() {
    assert_eq!(serde_json::to_value(sample()).unwrap(), document());
}

#[test]
fn the_json_reads_back_into_the_same_status() {
    let text = serde_json::to_string(&sample()).unwrap();
    assert_eq!(serde_json::from_str::<Status>(&text).unwrap(), sample());
    assert_eq!(serde_json::from_value::<Status>(document()).unwrap(), sample());
}

#[test]
fn every_counter_is_in_the_json_under_its_key() {
    let json = serde_json::to_value(sample()).unwrap();
    let stats = &json["instances"][1]["stats"];
    for c in sample().instances[1].stats.counters() {
        assert_eq!(stats[c.key], c.value, "{}", c.key);
    }
    assert_eq!(stats.as_object().unwrap().len(), Stats::COUNTERS + 2, "the counters and the two reasons");
    let router = json["router"].as_object().unwrap();
    assert_eq!(router.len(), RouterStats::COUNTERS + 1);
    for c in sample().router.counters() {
        assert_eq!(router[c.key], c.value, "{}", c.key);
    }
}

#[test]
fn an_older_or_newer_document_still_reads() {
    // An older vrrpd: no actions_dropped, suppressed_replies, master_changes or vips_removed, no
    // distinct_masters, no router, no timer. A newer one: keys we do not know.
    let mut doc = document();
    doc["instances"][1].as_object_mut().unwrap().remove("distinct_masters");
    let stats = doc["instances"][1]["stats"].as_object_mut().unwrap();
    stats.remove("actions_dropped");
    stats.remove("suppressed_replies");
    stats.remove("master_changes");
    stats.remove("vips_removed");
    stats.insert("a_future_counter".into(), json!(9));
    doc["router"] = json!({"checksum_errors": 1, "a_future_router_counter": {"nested": true}});
    doc.as_object_mut().unwrap().remove("timer");
    let status: Status = serde_json::from_value(doc).unwrap();
    let expected = sample();
    assert_eq!(status.instances[0], expected.instances[0]);
    assert_eq!(status.instances[1].distinct_masters, 0);
    assert_eq!(
        status.instances[1].stats,
        Stats {
            actions_dropped: 0,
            suppressed_replies: 0,
            master_changes: 0,
            vips_removed: 0,
            ..expected.instances[1].stats
        }
    );
    assert_eq!(status.router, RouterCounters::new(&RouterStats { checksum_errors: 1, ..RouterStats::default() }, 0));
    assert_eq!(status.timer, TimerCounters::default());
}

#[test]
fn unknown_enum_values_are_errors_naming_what_is_accepted() {
    let read = |pointer: &str, value: serde_json::Value| {
        let mut doc = document();
        *doc.pointer_mut(pointer).unwrap() = value;
        serde_json::from_value::<Status>(doc).unwrap_err().to_string()
    };
    let e = read("/instances/0/state", json!("master"));
    assert!(
        e.contains(r#"invalid value: string "master", expected one of "INIT", "BACKUP", "MASTER", "FAULT""#),
        "{e}"
    );
    let e = read("/instances/0/family", json!("ipv4"));
    assert!(e.contains(r#"expected one of "IPv4", "IPv6""#), "{e}");
    let e = read("/instances/0/version", json!(4));
    assert!(e.contains("invalid value: integer `4`, expected 2 or 3"), "{e}");
    let e = read("/instances/0/stats/new_master_reason", json!("Priority"));
    assert!(e.contains(r#"expected one of "notMaster", "priority", "preempted", "masterNoResponse""#), "{e}");
    let e = read("/instances/1/stats/proto_err_reason", json!(0));
    assert!(e.contains("invalid type"), "{e}");
    let e = read("/instances/1/stats/auth_failures", json!("many"));
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn the_table_is_unchanged() {
    // Captured from the table of before the counter visitor drew it.
    let expected = "\
INSTANCE         INTERFACE  VRID FAM   V STATE  PRIO MASTER                      INTERVAL   RX_ADV  RX_ERR  VIPS
vi_1             eth0         51 v4    2 BACKUP  100 -                             1000ms        3       0  192.0.2.10/24,192.0.2.11/32
a_much_longer_instance_name bond0.100   255 v6    3 MASTER 254/255 fe80::1234:5678:9abc:def0       50ms      107    3126  2001:db8::1/64
timer: fired=10 late_max=1500us late_over_1ms=1
router: checksum_errors=1 version_errors=2 vrid_errors=3 length_errors=4 malformed=5
";
    assert_eq!(sample().table(), expected);
}

#[test]
fn rx_err_sums_the_receive_error_counters() {
    let s = &sample().instances[1];
    let by_hand = s.stats.adv_interval_errors
        + s.stats.ip_ttl_errors
        + s.stats.rcvd_invalid_type_packets
        + s.stats.address_list_errors
        + s.stats.packet_length_errors
        + s.stats.auth_failures
        + s.stats.invalid_auth_type
        + s.stats.auth_type_mismatch
        + s.stats.source_address_errors
        + s.stats.auth_ext_missing
        + s.stats.auth_ext_malformed
        + s.stats.auth_ext_unknown_key
        + s.stats.auth_ext_invalid_hmac
        + s.stats.auth_ext_stale
        + s.stats.auth_ext_replay
        + s.stats.unicast_source_errors;
    assert_eq!(s.rx_errors(), by_hand);
    assert_eq!(by_hand, 3126);
    let saturated = InstanceStatus { stats: Stats { auth_failures: u64::MAX, ..s.stats }, ..s.clone() };
    assert_eq!(saturated.rx_errors(), u64::MAX);
}

/// A document from a vrrpd before `transitions` reads as none; an unknown reason is an
/// error naming the accepted keys.
#[test]
fn transitions_absent_read_as_none_and_unknown_reasons_are_refused() {
    let mut doc = document();
    doc["instances"][1].as_object_mut().unwrap().remove("transitions");
    let status: Status = serde_json::from_value(doc).unwrap();
    assert!(status.instances[1].transitions.is_empty());
    let mut doc = document();
    doc["instances"][1]["transitions"][0]["reason"] = json!("Startup");
    let err = serde_json::from_value::<Status>(doc).unwrap_err().to_string();
    assert!(err.contains("\"master_no_response\""), "{err}");
}

#[test]
fn sync_groups_are_listed_with_keepalived_state_names_and_read_back() {
    let mut st = Status::default();
    let json = serde_json::to_value(&st).unwrap();
    assert!(json.get("sync_groups").is_none(), "no groups, no key: {json}");
    st.sync_groups.push(SyncGroupStatus {
        name: "G".into(),
        state: State::Fault,
        members: vec!["X".into(), "Y".into()],
    });
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["sync_groups"], serde_json::json!([{ "name": "G", "state": "FAULT", "members": ["X", "Y"] }]));
    let back: Status = serde_json::from_value(json).unwrap();
    assert_eq!(back, st);
}
