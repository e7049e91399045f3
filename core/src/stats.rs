//! Counters, named after the MIB objects they implement so an SNMP agent or a metrics
//! exporter can map them one to one: RFC 6527 (VRRPv3-MIB) `vrrpv3Statistics*` and
//! `vrrpv3Router*`, and RFC 2787 (VRRP-MIB) `vrrpStats*` for VRRPv2 authentication.

/// RFC 6527 `vrrpv3StatisticsNewMasterReason`: why this router last became master.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum NewMasterReason {
    /// notMaster(0): has not become master.
    #[default]
    NotMaster,
    /// priority(1): the address owner, or higher priority than the master it heard.
    Priority,
    /// preempted(2): preempted a lower-priority master.
    Preempted,
    /// masterNoResponse(3): the master stopped advertising, or said it was leaving.
    MasterNoResponse,
}

impl NewMasterReason {
    /// Every reason, in MIB order.
    pub const ALL: [NewMasterReason; 4] = [
        NewMasterReason::NotMaster,
        NewMasterReason::Priority,
        NewMasterReason::Preempted,
        NewMasterReason::MasterNoResponse,
    ];

    /// The RFC 6527 enumeration label ("notMaster", "priority", "preempted", "masterNoResponse").
    pub const fn as_str(self) -> &'static str {
        match self {
            NewMasterReason::NotMaster => "notMaster",
            NewMasterReason::Priority => "priority",
            NewMasterReason::Preempted => "preempted",
            NewMasterReason::MasterNoResponse => "masterNoResponse",
        }
    }

    /// The reason [`as_str`](Self::as_str) names, if `name` is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// RFC 6527 `vrrpv3StatisticsProtoErrReason`: the last protocol error seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum ProtoErrReason {
    /// noError(0).
    #[default]
    NoError,
    /// ipTtlError(1).
    IpTtlError,
    /// versionError(2).
    VersionError,
    /// checksumError(3).
    ChecksumError,
    /// vrIdError(4).
    VrIdError,
}

impl ProtoErrReason {
    /// Every reason, in MIB order.
    pub const ALL: [ProtoErrReason; 5] = [
        ProtoErrReason::NoError,
        ProtoErrReason::IpTtlError,
        ProtoErrReason::VersionError,
        ProtoErrReason::ChecksumError,
        ProtoErrReason::VrIdError,
    ];

    /// The RFC 6527 enumeration label ("noError", "ipTtlError", "versionError",
    /// "checksumError", "vrIdError").
    pub const fn as_str(self) -> &'static str {
        match self {
            ProtoErrReason::NoError => "noError",
            ProtoErrReason::IpTtlError => "ipTtlError",
            ProtoErrReason::VersionError => "versionError",
            ProtoErrReason::ChecksumError => "checksumError",
            ProtoErrReason::VrIdError => "vrIdError",
        }
    }

    /// The reason [`as_str`](Self::as_str) names, if `name` is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// What a counter counts, so a report can group them without listing them by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterKind {
    /// Normal protocol activity: adverts sent and received, transitions.
    Event,
    /// A received packet discarded as erroneous (what `vrrpctl status` sums as RX_ERR).
    RxError,
    /// Something this router failed to do itself (e.g. an action queue overflow).
    LocalError,
}

/// One counter as [`Stats::counters`] or [`RouterStats::counters`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Counter {
    /// snake_case name, the field's name: the key in `vrrpctl status --json`, the metric name.
    pub key: &'static str,
    /// The MIB object it implements (RFC 6527 `vrrpv3*`, RFC 2787 `vrrpStats*`); `None`
    /// for this implementation's extensions.
    pub mib: Option<&'static str>,
    /// What it counts.
    pub kind: CounterKind,
    /// Its value.
    pub value: u64,
}

/// A counter's name and description, with the field it lives in.
struct Slot<'a> {
    key: &'static str,
    mib: Option<&'static str>,
    kind: CounterKind,
    value: &'a mut u64,
}

impl Slot<'_> {
    fn read(&self) -> Counter {
        Counter { key: self.key, mib: self.mib, kind: self.kind, value: *self.value }
    }
}

const fn slot<'a>(key: &'static str, mib: Option<&'static str>, kind: CounterKind, value: &'a mut u64) -> Slot<'a> {
    Slot { key, mib, kind, value }
}

/// Per-virtual-router statistics (RFC 6527 `vrrpv3StatisticsEntry`, RFC 2787 `vrrpRouterStatsEntry`).
/// Counters saturate instead of wrapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Stats {
    /// vrrpv3StatisticsMasterTransitions.
    pub master_transitions: u64,
    /// vrrpv3StatisticsNewMasterReason.
    pub new_master_reason: NewMasterReason,
    /// vrrpv3StatisticsRcvdAdvertisements: valid adverts received.
    pub rcvd_advertisements: u64,
    /// vrrpv3StatisticsAdvIntervalErrors: v2 interval mismatch, or interval 0.
    pub adv_interval_errors: u64,
    /// vrrpv3StatisticsIpTtlErrors: TTL / hop limit not 255.
    pub ip_ttl_errors: u64,
    /// vrrpv3StatisticsProtoErrReason.
    pub proto_err_reason: ProtoErrReason,
    /// vrrpv3StatisticsRcvdPriZeroPackets.
    pub rcvd_pri_zero_packets: u64,
    /// vrrpv3StatisticsSentPriZeroPackets.
    pub sent_pri_zero_packets: u64,
    /// vrrpv3StatisticsRcvdInvalidTypePackets.
    pub rcvd_invalid_type_packets: u64,
    /// vrrpv3StatisticsAddressListErrors: list differs from ours, or is empty.
    pub address_list_errors: u64,
    /// vrrpv3StatisticsPacketLengthErrors.
    pub packet_length_errors: u64,
    /// vrrpStatsAuthFailures (RFC 2787): wrong simple-text password.
    pub auth_failures: u64,
    /// vrrpStatsInvalidAuthType (RFC 2787): auth type not 0, 1 or 2.
    pub invalid_auth_type: u64,
    /// vrrpStatsAuthTypeMismatch (RFC 2787): auth type other than ours (AH included).
    pub auth_type_mismatch: u64,
    /// Extension: adverts from an IPv6 source that is not link-local (RFC 9568 §5.1.2.1).
    pub source_address_errors: u64,
    /// Extension: adverts sent (priority 0 included).
    pub sent_advertisements: u64,
    /// Extension: actions dropped because the caller did not drain the queue.
    pub actions_dropped: u64,
    /// Extension: adverts received as master (lower priority, or priority 0) that RFC 9568
    /// §6.4.3 would answer at once, left to the regular advert because one was already
    /// answered within the advert interval.
    pub suppressed_replies: u64,
    /// Extension: how many times the master this router knows changed to another address:
    /// as backup, an advert it follows comes from another router than the master it knew;
    /// as master, it took over from another router, or another one took over from it. The
    /// first master it learns of is not a change, and losing sight of the master (FAULT,
    /// shutdown) neither counts nor forgets it: coming back to the same master is no change.
    pub master_changes: u64,
    /// keepalived 2.4 `auth_hmac`: mode enforce and an advert without a trailer.
    pub auth_ext_missing: u64,
    /// `auth_hmac`: a trailer with an unknown Ext Type or a non-zero Reserved field.
    pub auth_ext_malformed: u64,
    /// `auth_hmac`: a trailer naming a key id we do not have.
    pub auth_ext_unknown_key: u64,
    /// `auth_hmac`: a trailer whose HMAC does not verify (forged or altered advert).
    pub auth_ext_invalid_hmac: u64,
    /// `auth_hmac`: anti-replay by time, a sequence outside the freshness window.
    pub auth_ext_stale: u64,
    /// `auth_hmac`: a sequence not past the last one accepted from its sender (replay).
    pub auth_ext_replay: u64,
    /// Extension: times someone else removed one of the VIPs while MASTER, which made the
    /// router step down to BACKUP for Skew_Time (keepalived's default reaction).
    pub vips_removed: u64,
    /// Extension: a unicast instance heard an advert from an address that is not one of
    /// its `unicast_peer`s.
    pub unicast_source_errors: u64,
}

/// Router-wide counters (RFC 6527 `vrrpv3RouterChecksumErrors` etc.): errors that happen
/// before, or regardless of, the packet being matched to a virtual router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct RouterStats {
    /// vrrpv3RouterChecksumErrors.
    pub checksum_errors: u64,
    /// vrrpv3RouterVersionErrors.
    pub version_errors: u64,
    /// vrrpv3RouterVrIdErrors: VRID (or family) not configured on the interface.
    pub vrid_errors: u64,
    /// Extension: packets too short to carry a VRID, so no virtual router can count them.
    pub packet_length_errors: u64,
}

impl Stats {
    /// How many counters [`Stats::counters`] reports.
    pub const COUNTERS: usize = 25;

    /// Every counter, by name and value, in a fixed order (the order `vrrpctl status
    /// --json` lists them). The two reasons are not counters: read them from their fields.
    pub fn counters(&self) -> [Counter; Self::COUNTERS] {
        let mut copy = *self;
        copy.slots().map(|s| s.read())
    }

    /// Sets the counter [`counters`](Self::counters) calls `key` (reading a snapshot back);
    /// false if there is none.
    pub fn set_counter(&mut self, key: &str, value: u64) -> bool {
        set(self.slots(), key, value)
    }

    /// The one list of counters. Destructured without `..`, so a new field does not compile
    /// until it is listed here (or explicitly left out, as the two reasons are).
    fn slots(&mut self) -> [Slot<'_>; Self::COUNTERS] {
        use CounterKind::{Event, LocalError, RxError};
        let Stats {
            master_transitions,
            new_master_reason: _,
            rcvd_advertisements,
            adv_interval_errors,
            ip_ttl_errors,
            proto_err_reason: _,
            rcvd_pri_zero_packets,
            sent_pri_zero_packets,
            rcvd_invalid_type_packets,
            address_list_errors,
            packet_length_errors,
            auth_failures,
            invalid_auth_type,
            auth_type_mismatch,
            source_address_errors,
            sent_advertisements,
            actions_dropped,
            suppressed_replies,
            master_changes,
            auth_ext_missing,
            auth_ext_malformed,
            auth_ext_unknown_key,
            auth_ext_invalid_hmac,
            auth_ext_stale,
            auth_ext_replay,
            vips_removed,
            unicast_source_errors,
        } = self;
        [
            slot("master_transitions", Some("vrrpv3StatisticsMasterTransitions"), Event, master_transitions),
            slot("rcvd_advertisements", Some("vrrpv3StatisticsRcvdAdvertisements"), Event, rcvd_advertisements),
            slot("sent_advertisements", None, Event, sent_advertisements),
            slot("adv_interval_errors", Some("vrrpv3StatisticsAdvIntervalErrors"), RxError, adv_interval_errors),
            slot("ip_ttl_errors", Some("vrrpv3StatisticsIpTtlErrors"), RxError, ip_ttl_errors),
            slot("rcvd_pri_zero_packets", Some("vrrpv3StatisticsRcvdPriZeroPackets"), Event, rcvd_pri_zero_packets),
            slot("sent_pri_zero_packets", Some("vrrpv3StatisticsSentPriZeroPackets"), Event, sent_pri_zero_packets),
            slot(
                "rcvd_invalid_type_packets",
                Some("vrrpv3StatisticsRcvdInvalidTypePackets"),
                RxError,
                rcvd_invalid_type_packets,
            ),
            slot("address_list_errors", Some("vrrpv3StatisticsAddressListErrors"), RxError, address_list_errors),
            slot("packet_length_errors", Some("vrrpv3StatisticsPacketLengthErrors"), RxError, packet_length_errors),
            slot("auth_failures", Some("vrrpStatsAuthFailures"), RxError, auth_failures),
            slot("invalid_auth_type", Some("vrrpStatsInvalidAuthType"), RxError, invalid_auth_type),
            slot("auth_type_mismatch", Some("vrrpStatsAuthTypeMismatch"), RxError, auth_type_mismatch),
            slot("source_address_errors", None, RxError, source_address_errors),
            slot("actions_dropped", None, LocalError, actions_dropped),
            slot("suppressed_replies", None, Event, suppressed_replies),
            slot("master_changes", None, Event, master_changes),
            slot("auth_ext_missing", None, RxError, auth_ext_missing),
            slot("auth_ext_malformed", None, RxError, auth_ext_malformed),
            slot("auth_ext_unknown_key", None, RxError, auth_ext_unknown_key),
            slot("auth_ext_invalid_hmac", None, RxError, auth_ext_invalid_hmac),
            slot("auth_ext_stale", None, RxError, auth_ext_stale),
            slot("auth_ext_replay", None, RxError, auth_ext_replay),
            slot("vips_removed", None, Event, vips_removed),
            slot("unicast_source_errors", None, RxError, unicast_source_errors),
        ]
    }
}

impl RouterStats {
    /// How many counters [`RouterStats::counters`] reports.
    pub const COUNTERS: usize = 4;

    /// Every counter, by name and value, in a fixed order.
    pub fn counters(&self) -> [Counter; Self::COUNTERS] {
        let mut copy = *self;
        copy.slots().map(|s| s.read())
    }

    /// Sets the counter [`counters`](Self::counters) calls `key`; false if there is none.
    pub fn set_counter(&mut self, key: &str, value: u64) -> bool {
        set(self.slots(), key, value)
    }

    /// The one list of counters; destructured without `..`, as `Stats`'s is.
    fn slots(&mut self) -> [Slot<'_>; Self::COUNTERS] {
        use CounterKind::RxError;
        let RouterStats { checksum_errors, version_errors, vrid_errors, packet_length_errors } = self;
        [
            slot("checksum_errors", Some("vrrpv3RouterChecksumErrors"), RxError, checksum_errors),
            slot("version_errors", Some("vrrpv3RouterVersionErrors"), RxError, version_errors),
            slot("vrid_errors", Some("vrrpv3RouterVrIdErrors"), RxError, vrid_errors),
            slot("packet_length_errors", None, RxError, packet_length_errors),
        ]
    }
}

fn set<const N: usize>(slots: [Slot<'_>; N], key: &str, value: u64) -> bool {
    match slots.into_iter().find(|s| s.key == key) {
        Some(s) => {
            *s.value = value;
            true
        }
        None => false,
    }
}

/// Saturating increment.
pub(crate) fn bump(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    /// Every field set to a different value, written out in full (no `..`), so a new field
    /// does not compile here either.
    fn distinct_stats() -> Stats {
        Stats {
            master_transitions: 1,
            new_master_reason: NewMasterReason::Preempted,
            rcvd_advertisements: 2,
            adv_interval_errors: 3,
            ip_ttl_errors: 4,
            proto_err_reason: ProtoErrReason::VrIdError,
            rcvd_pri_zero_packets: 5,
            sent_pri_zero_packets: 6,
            rcvd_invalid_type_packets: 7,
            address_list_errors: 8,
            packet_length_errors: 9,
            auth_failures: 10,
            invalid_auth_type: 11,
            auth_type_mismatch: 12,
            source_address_errors: 13,
            sent_advertisements: 14,
            actions_dropped: 15,
            suppressed_replies: 16,
            master_changes: 17,
            auth_ext_missing: 18,
            auth_ext_malformed: 19,
            auth_ext_unknown_key: 20,
            auth_ext_invalid_hmac: 21,
            auth_ext_stale: 22,
            auth_ext_replay: 23,
            vips_removed: 24,
            unicast_source_errors: 25,
        }
    }

    fn sorted_values<const N: usize>(counters: [Counter; N]) -> [u64; N] {
        let mut values = counters.map(|c| c.value);
        values.sort_unstable();
        values
    }

    fn unique_keys<const N: usize>(counters: &[Counter; N]) -> bool {
        counters.iter().enumerate().all(|(i, c)| counters.iter().skip(i + 1).all(|d| d.key != c.key))
    }

    #[test]
    fn every_stats_field_is_visited_exactly_once() {
        let counters = distinct_stats().counters();
        assert_eq!(sorted_values(counters), core::array::from_fn(|i| i as u64 + 1));
        assert!(unique_keys(&counters));
        assert_eq!(
            counters[0],
            Counter {
                key: "master_transitions",
                mib: Some("vrrpv3StatisticsMasterTransitions"),
                kind: CounterKind::Event,
                value: 1
            }
        );
        let by_key = |key: &str| counters.iter().find(|c| c.key == key).copied();
        assert_eq!(
            by_key("rcvd_advertisements").map(|c| (c.value, c.mib)),
            Some((2, Some("vrrpv3StatisticsRcvdAdvertisements")))
        );
        assert_eq!(by_key("auth_failures").map(|c| (c.value, c.kind)), Some((10, CounterKind::RxError)));
        assert_eq!(
            by_key("actions_dropped").map(|c| (c.value, c.kind, c.mib)),
            Some((15, CounterKind::LocalError, None))
        );
        assert_eq!(by_key("new_master_reason"), None);
    }

    #[test]
    fn the_rx_errors_are_the_receive_error_counters() {
        let errors: std::vec::Vec<&str> =
            Stats::default().counters().iter().filter(|c| c.kind == CounterKind::RxError).map(|c| c.key).collect();
        assert_eq!(
            errors,
            [
                "adv_interval_errors",
                "ip_ttl_errors",
                "rcvd_invalid_type_packets",
                "address_list_errors",
                "packet_length_errors",
                "auth_failures",
                "invalid_auth_type",
                "auth_type_mismatch",
                "source_address_errors",
                "auth_ext_missing",
                "auth_ext_malformed",
                "auth_ext_unknown_key",
                "auth_ext_invalid_hmac",
                "auth_ext_stale",
                "auth_ext_replay",
                "unicast_source_errors",
            ]
        );
    }

    #[test]
    fn set_counter_reaches_every_counter_and_nothing_else() {
        let mut stats = Stats::default();
        for (i, c) in distinct_stats().counters().iter().enumerate() {
            assert!(stats.set_counter(c.key, c.value), "{}", c.key);
            assert_eq!(stats.counters()[i].value, c.value);
        }
        let expected = Stats {
            new_master_reason: NewMasterReason::NotMaster,
            proto_err_reason: ProtoErrReason::NoError,
            ..distinct_stats()
        };
        assert_eq!(stats, expected);
        assert!(!stats.set_counter("new_master_reason", 1));
        assert!(!stats.set_counter("no_such_counter", 1));
        assert_eq!(stats, expected);
    }

    #[test]
    fn every_router_stats_field_is_visited_exactly_once() {
        let stats = RouterStats { checksum_errors: 1, version_errors: 2, vrid_errors: 3, packet_length_errors: 4 };
        let counters = stats.counters();
        assert_eq!(sorted_values(counters), [1, 2, 3, 4]);
        assert!(unique_keys(&counters));
        assert!(counters.iter().all(|c| c.kind == CounterKind::RxError));
        assert_eq!(
            counters.map(|c| c.mib),
            [
                Some("vrrpv3RouterChecksumErrors"),
                Some("vrrpv3RouterVersionErrors"),
                Some("vrrpv3RouterVrIdErrors"),
                None
            ]
        );
        let mut back = RouterStats::default();
        for c in counters {
            assert!(back.set_counter(c.key, c.value));
        }
        assert_eq!(back, stats);
        assert!(!back.set_counter("malformed_packets", 9));
    }

    #[test]
    fn reason_names_round_trip() {
        assert_eq!(
            NewMasterReason::ALL.map(NewMasterReason::as_str),
            ["notMaster", "priority", "preempted", "masterNoResponse"]
        );
        assert_eq!(
            ProtoErrReason::ALL.map(ProtoErrReason::as_str),
            ["noError", "ipTtlError", "versionError", "checksumError", "vrIdError"]
        );
        for r in NewMasterReason::ALL {
            assert_eq!(NewMasterReason::from_name(r.as_str()), Some(r));
        }
        for r in ProtoErrReason::ALL {
            assert_eq!(ProtoErrReason::from_name(r.as_str()), Some(r));
        }
        assert_eq!(NewMasterReason::from_name("Priority"), None);
        assert_eq!(ProtoErrReason::from_name(""), None);
    }
}
