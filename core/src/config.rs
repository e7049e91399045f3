//! What one virtual router is configured with, and its validation.

use core::net::IpAddr;

use heapless::Vec;

use crate::time::Duration;
use crate::wire::hmac::{HmacConfig, HmacConfigError};
use crate::wire::{Auth, ChecksumForm, Family, Version};

/// Virtual addresses an instance advertises. keepalived advises at most 20 per advert;
/// 32 leaves room while keeping an instance small enough for 1020 of them in a router.
pub const MAX_VIPS: usize = 32;

/// Unicast peers one instance lists (keepalived `unicast_peer`). A VRRP group is a handful
/// of routers; 8 keeps an instance small enough for 1020 of them in a router.
pub const MAX_UNICAST_PEERS: usize = 8;

/// One keepalived `unicast_peer` entry: adverts are sent to `address`, and adverts from it
/// are accepted when their TTL / hop limit lies in `min_ttl..=max_ttl` (keepalived
/// vrrp_data.c `alloc_vrrp_unicast_peer`: 0 and 255 by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnicastPeer {
    /// The peer's address, of the instance's family.
    pub address: IpAddr,
    /// Lowest TTL / hop limit accepted from it.
    pub min_ttl: u8,
    /// Highest TTL / hop limit accepted from it.
    pub max_ttl: u8,
}

impl UnicastPeer {
    /// A peer accepted at any TTL (keepalived's default range 0..=255).
    pub const fn new(address: IpAddr) -> Self {
        UnicastPeer { address, min_ttl: 0, max_ttl: 255 }
    }
}

/// Priority of the router that owns the virtual addresses (RFC 9568 §6.1).
pub const PRIORITY_OWNER: u8 = 255;
/// Default priority of a backup (RFC 9568 §6.1, keepalived's default too).
pub const PRIORITY_DEFAULT: u8 = 100;

/// Configuration of one virtual router (RFC 9568 §6.1 parameters plus keepalived's extras).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceConfig {
    /// The caller's handle for the interface (the Linux ifindex in `vrrpd`).
    pub ifindex: u32,
    /// Virtual Router Identifier, 1..=255.
    pub vrid: u8,
    /// VRRPv2 or VRRPv3.
    pub version: Version,
    /// Priority, 1..=255; 255 means address owner.
    pub priority: u8,
    /// Advertisement_Interval in centiseconds: v3 1..=4095; v2 a whole number of
    /// seconds (100..=25500).
    pub advert_interval_cs: u16,
    /// Preempt_Mode (default true).
    pub preempt: bool,
    /// keepalived `preempt_delay`: keep accepting a lower-priority master for this long
    /// before preempting it.
    pub preempt_delay: Duration,
    /// Accept_Mode (RFC 9568 §6.1): a non-owner master accepts packets addressed to the VIPs.
    pub accept_mode: bool,
    /// VRRPv2 authentication; must be [`Auth::None`] for v3.
    pub auth: Auth,
    /// The virtual addresses, all of one family, in advert order; at least one for VRRPv3
    /// (RFC 9568 §5.2.5), possibly none for VRRPv2 (an election without addresses, as
    /// keepalived runs it).
    pub vips: Vec<IpAddr, MAX_VIPS>,
    /// This router's primary address on the interface: the advert source, and the
    /// tie-breaker on equal priority. IPv6: the interface's link-local address.
    pub primary_address: IpAddr,
    /// Checksum form for VRRPv3 over IPv4 adverts we send.
    pub checksum_form: ChecksumForm,
    /// keepalived `garp_master_delay`: announce the VIPs again this long after becoming master.
    pub announce_delay: Option<Duration>,
    /// keepalived `garp_master_refresh`: keep announcing at this period while master.
    pub announce_refresh: Option<Duration>,
    /// keepalived 2.4 `auth_hmac`: sign and verify adverts ([`crate::wire::hmac`]).
    pub hmac: Option<HmacConfig>,
    /// keepalived `unicast_peer`: empty for multicast (the group). Otherwise each advert is
    /// sent to every peer, and only adverts from a listed peer, to a unicast address, with
    /// a TTL / hop limit in that peer's range are accepted (the RFC 9568 §7.1 TTL 255 check
    /// does not apply: keepalived vrrp.c `vrrp_check_packet`, "but not if unicast").
    pub unicast_peers: Vec<UnicastPeer, MAX_UNICAST_PEERS>,
    /// keepalived `unicast_ttl`: the TTL / hop limit of unicast adverts (default 255).
    pub unicast_ttl: u8,
}

/// Why a configuration cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// VRID 0 is not a valid virtual router.
    VridZero,
    /// Priority 0 is reserved for "master leaving" (RFC 9568 §6.1).
    PriorityZero,
    /// Priority 255 is only for the configured address owner.
    PriorityOwnerOnly,
    /// Interval 0.
    IntervalZero,
    /// VRRPv3 interval above 4095 cs (12 bits).
    IntervalTooLarge,
    /// VRRPv2 interval not a whole number of seconds, or above 255 s.
    IntervalNotWholeSeconds,
    /// VRRPv2 over IPv6 with `auth_type PASS`: the advert has no room for the password
    /// (keepalived 2.2.7 vrrp.c 278 `vrrp_pkt_len` adds auth data for IPv4 only and sends
    /// Auth Type 1 without it), so there is nothing to authenticate with.
    V2PasswordOverIpv6,
    /// No virtual address in a VRRPv3 instance (RFC 9568 §5.2.5: Count is at least 1).
    NoVirtualAddress,
    /// Virtual addresses of both families.
    MixedFamilies,
    /// The primary address is of another family than the virtual addresses.
    PrimaryFamilyMismatch,
    /// VRRPv3 has no authentication (RFC 9568 §9).
    AuthWithV3,
    /// AH authentication is recognised but not implemented.
    AhUnsupported,
    /// `auth_hmac` with a VRRPv2 `authentication` block: keepalived drops the legacy one.
    HmacWithAuth,
    /// The `auth_hmac` block is invalid.
    Hmac(HmacConfigError),
    /// A unicast peer of another family than the primary address.
    UnicastPeerFamily,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let ConfigError::Hmac(e) = self {
            return write!(f, "{e}");
        }
        f.write_str(match self {
            ConfigError::VridZero => "virtual_router_id must be 1..=255",
            ConfigError::PriorityZero => "priority must be 1..=255 (0 is reserved for a master leaving)",
            ConfigError::PriorityOwnerOnly => "priority 255 is reserved for the address owner",
            ConfigError::IntervalZero => "advert interval must not be 0",
            ConfigError::IntervalTooLarge => "VRRPv3 advert interval must be at most 40.95 s",
            ConfigError::IntervalNotWholeSeconds => "VRRPv2 advert interval must be a whole number of seconds, 1..=255",
            ConfigError::V2PasswordOverIpv6 => "VRRPv2 over IPv6 carries no password: auth_type PASS needs IPv4",
            ConfigError::NoVirtualAddress => "VRRPv3 needs at least one virtual address (RFC 9568 §5.2.5)",
            ConfigError::MixedFamilies => "virtual addresses must all be IPv4 or all IPv6",
            ConfigError::PrimaryFamilyMismatch => "primary address family differs from the virtual addresses'",
            ConfigError::AuthWithV3 => "VRRPv3 has no authentication",
            ConfigError::AhUnsupported => "auth_type AH is not supported",
            ConfigError::HmacWithAuth => "auth_hmac cannot be combined with an authentication block",
            ConfigError::Hmac(_) => "invalid auth_hmac block",
            ConfigError::UnicastPeerFamily => "unicast peers must be of the instance's address family",
        })
    }
}

impl InstanceConfig {
    /// A configuration with RFC 9568 §6.1 defaults: priority 100, 1 s interval, preempt
    /// on, accept off, no auth, pseudo-header checksum, no delayed re-announce.
    pub fn new(ifindex: u32, vrid: u8, version: Version, primary_address: IpAddr) -> Self {
        InstanceConfig {
            ifindex,
            vrid,
            version,
            priority: PRIORITY_DEFAULT,
            advert_interval_cs: 100,
            preempt: true,
            preempt_delay: Duration::ZERO,
            accept_mode: false,
            auth: Auth::None,
            vips: Vec::new(),
            primary_address,
            checksum_form: ChecksumForm::default(),
            announce_delay: None,
            announce_refresh: None,
            hmac: None,
            unicast_peers: Vec::new(),
            unicast_ttl: crate::wire::TTL,
        }
    }

    /// Whether adverts go to [`InstanceConfig::unicast_peers`] instead of the group.
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// Address family, from the primary address.
    pub fn family(&self) -> Family {
        Family::of(&self.primary_address)
    }

    /// What identifies the virtual router this configures (RFC 9568 §6.1): interface,
    /// VRID and family. A router holds one instance per identity; a reload matches the
    /// running instances with the new file's by it.
    pub fn identity(&self) -> (u32, u8, Family) {
        (self.ifindex, self.vrid, self.family())
    }

    /// True for the address owner (priority 255).
    pub fn is_owner(&self) -> bool {
        self.priority == PRIORITY_OWNER
    }

    /// Whether received IPv6 adverts must list a link-local address first (RFC 9568
    /// §5.2.9, receive check added by erratum 8300).
    ///
    /// Only a group that itself follows §5.2.9 (its own list starts with the virtual
    /// link-local address) requires it of its peers. keepalived lists only the configured
    /// VIPs, usually global ones, so a group configured that way could never hear a
    /// keepalived peer if it insisted; there the v3 address-list comparison still reports
    /// a peer whose list differs.
    pub fn requires_link_local_first(&self) -> bool {
        matches!(self.vips.first(), Some(IpAddr::V6(a)) if a.is_unicast_link_local())
    }

    /// Checks every rule a running instance relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.vrid == 0 {
            return Err(ConfigError::VridZero);
        }
        if self.priority == 0 {
            return Err(ConfigError::PriorityZero);
        }
        if self.advert_interval_cs == 0 {
            return Err(ConfigError::IntervalZero);
        }
        let family = self.family();
        if self.unicast_peers.iter().any(|p| Family::of(&p.address) != family) {
            return Err(ConfigError::UnicastPeerFamily);
        }
        match self.vips.first() {
            // RFC 9568 §5.2.5: a VRRPv3 advert lists at least one address. RFC 3768 §5.3.5
            // sets no minimum for VRRPv2, and keepalived 2.2.7 runs a v2 instance without
            // VIPs (vrrp.c 2895-2901: "No VIP specified; at least one is sensible"), so a v2
            // router may run the election for addresses something else moves.
            None if self.version == Version::V3 => return Err(ConfigError::NoVirtualAddress),
            None => {}
            Some(first) => {
                if self.vips.iter().any(|a| Family::of(a) != Family::of(first)) {
                    return Err(ConfigError::MixedFamilies);
                }
                if Family::of(first) != family {
                    return Err(ConfigError::PrimaryFamilyMismatch);
                }
            }
        }
        match self.version {
            Version::V2 => {
                // RFC 3768 is IPv4 only; keepalived 2.2.7 runs `version 2` over IPv6 unless
                // `vrrp_strict` (vrrp.c 2863-2871), advertising without auth data (vrrp.c
                // 278), so vrrp-core does too, without a password to send.
                if family == Family::Ipv6 && matches!(self.auth, Auth::SimpleText(_)) {
                    return Err(ConfigError::V2PasswordOverIpv6);
                }
                if !self.advert_interval_cs.is_multiple_of(100) || self.advert_interval_cs > 25_500 {
                    return Err(ConfigError::IntervalNotWholeSeconds);
                }
                if self.auth == Auth::IpAh {
                    return Err(ConfigError::AhUnsupported);
                }
            }
            Version::V3 => {
                if self.advert_interval_cs > 0x0fff {
                    return Err(ConfigError::IntervalTooLarge);
                }
                if self.auth != Auth::None {
                    return Err(ConfigError::AuthWithV3);
                }
            }
        }
        if let Some(hmac) = &self.hmac {
            if self.auth != Auth::None {
                return Err(ConfigError::HmacWithAuth);
            }
            hmac.validate().map_err(ConfigError::Hmac)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn v4() -> InstanceConfig {
        let mut c = InstanceConfig::new(1, 51, Version::V3, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)));
        c.vips.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))).unwrap();
        c
    }

    #[test]
    fn defaults_are_rfc9568_6_1() {
        let c = v4();
        assert_eq!(c.priority, 100);
        assert_eq!(c.advert_interval_cs, 100);
        assert!(c.preempt);
        assert!(!c.accept_mode);
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn each_invalid_setting_has_its_own_error() {
        type Case = (fn(&mut InstanceConfig), ConfigError);
        let cases: [Case; 9] = [
            (|c| c.vrid = 0, ConfigError::VridZero),
            (|c| c.priority = 0, ConfigError::PriorityZero),
            (|c| c.advert_interval_cs = 0, ConfigError::IntervalZero),
            (|c| c.advert_interval_cs = 4096, ConfigError::IntervalTooLarge),
            (|c| c.vips.clear(), ConfigError::NoVirtualAddress),
            (|c| c.vips.push(IpAddr::V6(Ipv6Addr::LOCALHOST)).unwrap(), ConfigError::MixedFamilies),
            (|c| c.auth = Auth::simple_text(b"secret"), ConfigError::AuthWithV3),
            (|c| c.primary_address = IpAddr::V6(Ipv6Addr::LOCALHOST), ConfigError::PrimaryFamilyMismatch),
            (
                |c| {
                    c.version = Version::V2;
                    c.advert_interval_cs = 150;
                },
                ConfigError::IntervalNotWholeSeconds,
            ),
        ];
        for (mutate, want) in cases {
            let mut c = v4();
            mutate(&mut c);
            assert_eq!(c.validate(), Err(want));
        }
    }

    /// RFC 9568 §5.2.5 (Count at least 1) for VRRPv3; RFC 3768 §5.3.5 sets no minimum,
    /// and keepalived 2.2.7 runs a v2 instance without VIPs (vrrp.c 2901).
    #[test]
    fn rfc3768_5_3_5_v2_runs_without_virtual_addresses_and_rfc9568_5_2_5_v3_does_not() {
        let mut c = v4();
        c.vips.clear();
        assert_eq!(c.validate(), Err(ConfigError::NoVirtualAddress));
        c.version = Version::V2;
        assert_eq!(c.validate(), Ok(()));
        assert!(!c.requires_link_local_first());
        // The family comes from the primary address: v2 over IPv6 without VIPs runs too
        // (keepalived 2.2.7 vrrp.c 2863 keeps v2 over IPv6 without vrrp_strict).
        c.primary_address = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(c.validate(), Ok(()));
    }

    /// keepalived 2.2.7 vrrp.c 2863-2871 keeps `version 2` with IPv6 addresses (it switches
    /// to v3 only under `vrrp_strict`) and sends VRRPv2 over IPv6 without auth data (vrrp.c
    /// 278): accepted, but not with a password it has no room to send.
    #[test]
    fn keepalived_vrrp_c_2863_v2_runs_over_ipv6_without_a_password() {
        let mut c = InstanceConfig::new(1, 1, Version::V2, IpAddr::V6(Ipv6Addr::LOCALHOST));
        c.vips.push(IpAddr::V6(Ipv6Addr::LOCALHOST)).unwrap();
        assert_eq!(c.validate(), Ok(()));
        c.auth = Auth::simple_text(b"secret");
        assert_eq!(c.validate(), Err(ConfigError::V2PasswordOverIpv6));
        c.auth = Auth::IpAh;
        assert_eq!(c.validate(), Err(ConfigError::AhUnsupported));
    }

    #[test]
    fn rfc3768_v2_rejects_ah() {
        let mut c = v4();
        c.version = Version::V2;
        c.auth = Auth::IpAh;
        assert_eq!(c.validate(), Err(ConfigError::AhUnsupported));
    }
}

#[cfg(test)]
mod boundary_tests {
    extern crate std;
    use super::*;
    use core::net::Ipv4Addr;
    use std::string::ToString;

    fn base(version: Version) -> InstanceConfig {
        let mut c = InstanceConfig::new(1, 1, version, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)));
        c.vips.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))).unwrap();
        c
    }

    #[test]
    fn interval_limits_are_inclusive() {
        let mut c = base(Version::V2);
        c.advert_interval_cs = 25_500;
        assert_eq!(c.validate(), Ok(()));
        c.advert_interval_cs = 25_600;
        assert_eq!(c.validate(), Err(ConfigError::IntervalNotWholeSeconds));
        let mut c = base(Version::V3);
        c.advert_interval_cs = 4095;
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn every_config_error_explains_itself() {
        let errors = [
            ConfigError::VridZero,
            ConfigError::PriorityZero,
            ConfigError::PriorityOwnerOnly,
            ConfigError::IntervalZero,
            ConfigError::IntervalTooLarge,
            ConfigError::IntervalNotWholeSeconds,
            ConfigError::V2PasswordOverIpv6,
            ConfigError::NoVirtualAddress,
            ConfigError::MixedFamilies,
            ConfigError::PrimaryFamilyMismatch,
            ConfigError::AuthWithV3,
            ConfigError::AhUnsupported,
            ConfigError::HmacWithAuth,
            ConfigError::Hmac(HmacConfigError::ActiveKeyUndefined(3)),
        ];
        let mut texts: std::vec::Vec<std::string::String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(texts.iter().all(|t| t.len() > 10));
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), errors.len());
    }
}
