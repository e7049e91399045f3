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

/// Saturating increment.
pub(crate) fn bump(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}
