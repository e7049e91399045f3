//! What `vrrpctl status` shows: the JSON document and the table.
//!
//! States use keepalived's words (INIT, BACKUP, MASTER, FAULT), as operators grep for them.

use serde::{Deserialize, Serialize};
use vrrp_core::stats::{NewMasterReason, ProtoErrReason};
use vrrp_core::{Instance, RouterStats, Stats};

/// `vrrpctl status --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Every configured instance.
    pub instances: Vec<InstanceStatus>,
    /// Router-wide receive errors (RFC 6527 vrrpv3Router*).
    #[serde(default)]
    pub router: RouterCounters,
    /// How punctually the protocol timer fired.
    #[serde(default)]
    pub timer: TimerCounters,
}

/// Timer punctuality: how late, after its deadline, each expiry was handled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerCounters {
    /// Expiries handled.
    pub fired: u64,
    /// Worst lateness seen, microseconds.
    pub late_max_us: u64,
    /// Expiries handled more than 1 ms late.
    pub late_over_1ms: u64,
}

impl TimerCounters {
    /// Records one expiry handled `late_us` after its deadline.
    pub fn record(&mut self, late_us: u64) {
        self.fired += 1;
        self.late_max_us = self.late_max_us.max(late_us);
        if late_us > 1000 {
            self.late_over_1ms += 1;
        }
    }
}

/// One instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatus {
    /// `vrrp_instance` name.
    pub name: String,
    /// Interface.
    pub interface: String,
    /// Virtual router id.
    pub vrid: u8,
    /// "IPv4" or "IPv6".
    pub family: String,
    /// 2 or 3.
    pub version: u8,
    /// INIT, BACKUP, MASTER or FAULT.
    pub state: String,
    /// Configured priority.
    pub priority: u8,
    /// Priority in effect now.
    pub effective_priority: u8,
    /// The master's address (ours when MASTER), if known.
    pub master_ip: Option<String>,
    /// Configured advert interval, centiseconds.
    pub advert_int_cs: u16,
    /// Virtual addresses, with prefix.
    pub vips: Vec<String>,
    /// Counters.
    pub stats: InstanceCounters,
}

/// Per-instance counters, RFC 6527 / RFC 2787 names in snake case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceCounters {
    pub master_transitions: u64,
    pub new_master_reason: String,
    pub rcvd_advertisements: u64,
    pub sent_advertisements: u64,
    pub adv_interval_errors: u64,
    pub ip_ttl_errors: u64,
    pub proto_err_reason: String,
    pub rcvd_pri_zero_packets: u64,
    pub sent_pri_zero_packets: u64,
    pub rcvd_invalid_type_packets: u64,
    pub address_list_errors: u64,
    pub packet_length_errors: u64,
    pub auth_failures: u64,
    pub invalid_auth_type: u64,
    pub auth_type_mismatch: u64,
    pub source_address_errors: u64,
}

/// Router-wide counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterCounters {
    pub checksum_errors: u64,
    pub version_errors: u64,
    pub vrid_errors: u64,
    pub packet_length_errors: u64,
    /// Datagrams the socket layer could not even take apart (bad IP header, truncated).
    pub malformed_packets: u64,
}

impl RouterCounters {
    /// From the core's router counters plus the daemon's own.
    pub fn new(s: &RouterStats, malformed_packets: u64) -> Self {
        RouterCounters {
            checksum_errors: s.checksum_errors,
            version_errors: s.version_errors,
            vrid_errors: s.vrid_errors,
            packet_length_errors: s.packet_length_errors,
            malformed_packets,
        }
    }
}

impl From<&Stats> for InstanceCounters {
    fn from(s: &Stats) -> Self {
        InstanceCounters {
            master_transitions: s.master_transitions,
            new_master_reason: match s.new_master_reason {
                NewMasterReason::NotMaster => "notMaster",
                NewMasterReason::Priority => "priority",
                NewMasterReason::Preempted => "preempted",
                NewMasterReason::MasterNoResponse => "masterNoResponse",
            }
            .into(),
            rcvd_advertisements: s.rcvd_advertisements,
            sent_advertisements: s.sent_advertisements,
            adv_interval_errors: s.adv_interval_errors,
            ip_ttl_errors: s.ip_ttl_errors,
            proto_err_reason: match s.proto_err_reason {
                ProtoErrReason::NoError => "noError",
                ProtoErrReason::IpTtlError => "ipTtlError",
                ProtoErrReason::VersionError => "versionError",
                ProtoErrReason::ChecksumError => "checksumError",
                ProtoErrReason::VrIdError => "vrIdError",
            }
            .into(),
            rcvd_pri_zero_packets: s.rcvd_pri_zero_packets,
            sent_pri_zero_packets: s.sent_pri_zero_packets,
            rcvd_invalid_type_packets: s.rcvd_invalid_type_packets,
            address_list_errors: s.address_list_errors,
            packet_length_errors: s.packet_length_errors,
            auth_failures: s.auth_failures,
            invalid_auth_type: s.invalid_auth_type,
            auth_type_mismatch: s.auth_type_mismatch,
            source_address_errors: s.source_address_errors,
        }
    }
}

impl InstanceStatus {
    /// Status of `inst`, configured as `name` on `interface` with `vips`.
    pub fn new(name: &str, interface: &str, vips: Vec<String>, inst: &Instance) -> Self {
        let cfg = inst.config();
        InstanceStatus {
            name: name.into(),
            interface: interface.into(),
            vrid: cfg.vrid,
            family: match cfg.family() {
                vrrp_core::wire::Family::Ipv4 => "IPv4",
                vrrp_core::wire::Family::Ipv6 => "IPv6",
            }
            .into(),
            version: cfg.version.number(),
            state: inst.state().as_str().into(),
            priority: cfg.priority,
            effective_priority: inst.priority(),
            master_ip: inst.master().map(|m| m.address.to_string()),
            advert_int_cs: cfg.advert_interval_cs,
            vips,
            stats: inst.stats().into(),
        }
    }
}

impl Status {
    /// The table `vrrpctl status` prints.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<16} {:<10} {:>4} {:<4} {:>2} {:<6} {:>4} {:<26} {:>9} {:>8} {:>7}  {}\n",
            "INSTANCE",
            "INTERFACE",
            "VRID",
            "FAM",
            "V",
            "STATE",
            "PRIO",
            "MASTER",
            "INTERVAL",
            "RX_ADV",
            "RX_ERR",
            "VIPS"
        );
        for i in &self.instances {
            let s = &i.stats;
            let errors = s.adv_interval_errors
                + s.ip_ttl_errors
                + s.rcvd_invalid_type_packets
                + s.address_list_errors
                + s.packet_length_errors
                + s.auth_failures
                + s.invalid_auth_type
                + s.auth_type_mismatch
                + s.source_address_errors;
            let prio = if i.effective_priority == i.priority {
                i.priority.to_string()
            } else {
                format!("{}/{}", i.effective_priority, i.priority)
            };
            out += &format!(
                "{:<16} {:<10} {:>4} {:<4} {:>2} {:<6} {:>4} {:<26} {:>7}ms {:>8} {:>7}  {}\n",
                i.name,
                i.interface,
                i.vrid,
                if i.family == "IPv6" { "v6" } else { "v4" },
                i.version,
                i.state,
                prio,
                i.master_ip.as_deref().unwrap_or("-"),
                u32::from(i.advert_int_cs) * 10,
                s.rcvd_advertisements,
                errors,
                i.vips.join(",")
            );
        }
        let t = &self.timer;
        out += &format!("timer: fired={} late_max={}us late_over_1ms={}\n", t.fired, t.late_max_us, t.late_over_1ms);
        let r = &self.router;
        out += &format!(
            "router: checksum_errors={} version_errors={} vrid_errors={} length_errors={} malformed={}\n",
            r.checksum_errors, r.version_errors, r.vrid_errors, r.packet_length_errors, r.malformed_packets
        );
        out
    }
}
