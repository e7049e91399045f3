//! The VRRP advertisement on the wire, VRRPv2 (RFC 3768 §5) and VRRPv3 (RFC 9568 §5).
//!
//! Two layers, as in smoltcp: [`Packet`] is a zero-copy view over a byte buffer that
//! knows where each field sits (see [`field`]); [`AdvertRepr`] is the parsed, validated,
//! high-level form with [`AdvertRepr::parse`] and [`AdvertRepr::emit`]. Parsing checks
//! everything the packet alone can tell (length, version, type, count, interval, auth
//! type, checksum); the checks that need the virtual router's configuration (TTL, VRID,
//! auth data, interval mismatch, address list) live in [`crate::instance`].

pub mod checksum;
pub mod field;
pub mod hmac;
mod packet;
mod repr;

pub use checksum::{internet_checksum, ChecksumContext, ChecksumForm};
pub use packet::{auth_data_len, Packet};
pub use repr::{same_address_set, AddressList, AdvertHeader, AdvertRepr, Auth, Variant};

/// VRRP is IP protocol 112 (RFC 9568 §5.1.1.4, RFC 3768 §5.2.4).
pub const IP_PROTOCOL: u8 = 112;
/// The IPv4 multicast group adverts go to (RFC 9568 §5.1.1.2).
pub const GROUP_V4: core::net::Ipv4Addr = core::net::Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 multicast group adverts go to (RFC 9568 §5.1.2.2).
pub const GROUP_V6: core::net::Ipv6Addr = core::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// Adverts are sent, and must arrive, with TTL / Hop Limit 255 (RFC 9568 §5.1.1.3, §7.1).
pub const TTL: u8 = 255;
/// Type 1 is the only type defined: ADVERTISEMENT (RFC 9568 §5.2.2).
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// The Count field is one octet, so an advert names at most 255 addresses.
pub const MAX_ADDRESSES: usize = 255;
/// Length of the fixed header that precedes the address list, both versions.
pub const HEADER_LEN: usize = 8;
/// Length of the VRRPv2 authentication data that follows the address list (RFC 3768 §5.3.10).
pub const V2_AUTH_DATA_LEN: usize = 8;
/// The longest advert: VRRPv3 over IPv6 with 255 addresses.
pub const MAX_PACKET_LEN: usize = HEADER_LEN + MAX_ADDRESSES * 16;

/// Protocol version carried in the high nibble of octet 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// VRRPv2, RFC 3768: interval in seconds, optional simple-text auth. RFC 3768 is IPv4
    /// only; keepalived 2.2.7 also runs it over IPv6 (no auth data, IPv6 pseudo-header
    /// checksum), and so does vrrp-core.
    V2,
    /// VRRPv3, RFC 9568: IPv4 or IPv6, interval in centiseconds, no auth.
    V3,
}

impl Version {
    /// Both versions.
    pub const ALL: [Version; 2] = [Version::V2, Version::V3];

    /// The value in the Version field.
    pub const fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }

    /// The version whose Version field is `n`, if it is one we speak.
    pub const fn from_number(n: u8) -> Option<Version> {
        match n {
            2 => Some(Version::V2),
            3 => Some(Version::V3),
            _ => None,
        }
    }
}

/// "VRRPv2" / "VRRPv3".
impl core::fmt::Display for Version {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "VRRPv{}", self.number())
    }
}

/// Address family of the advert: which IP carries it and what its list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (VRRPv2 or VRRPv3).
    Ipv4,
    /// IPv6 (VRRPv3; VRRPv2 as keepalived sends it).
    Ipv6,
}

impl Family {
    /// Both families.
    pub const ALL: [Family; 2] = [Family::Ipv4, Family::Ipv6];

    /// "IPv4" or "IPv6", as `vrrpctl status` shows it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        }
    }

    /// The family [`as_str`](Self::as_str) names, if `name` is one.
    pub fn from_name(name: &str) -> Option<Family> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Octets per address in the list.
    pub const fn address_len(self) -> usize {
        match self {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }

    /// The family of an address.
    pub const fn of(addr: &core::net::IpAddr) -> Family {
        match addr {
            core::net::IpAddr::V4(_) => Family::Ipv4,
            core::net::IpAddr::V6(_) => Family::Ipv6,
        }
    }

    /// The multicast group adverts of this family go to.
    pub const fn group(self) -> core::net::IpAddr {
        match self {
            Family::Ipv4 => core::net::IpAddr::V4(GROUP_V4),
            Family::Ipv6 => core::net::IpAddr::V6(GROUP_V6),
        }
    }
}

/// "IPv4" / "IPv6".
impl core::fmt::Display for Family {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a byte buffer is not a well-formed advertisement. Each variant is one receive
/// check of RFC 9568 §7.1 / RFC 3768 §7.1 that the packet alone can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the fixed header, or than the header plus `Count` addresses
    /// (plus 8 octets of auth data for v2 over IPv4): "MUST verify that the received packet
    /// contains the complete VRRP packet".
    Truncated,
    /// Longer than the header, addresses and auth data account for.
    TrailingBytes,
    /// The Version field is neither 2 nor 3.
    UnknownVersion(u8),
    /// The Type field is not 1 (ADVERTISEMENT).
    UnknownType(u8),
    /// VRRPv3 `Count IPvX Addr` is zero; RFC 9568 §5.2.5 requires at least one. (A VRRPv2
    /// advert may list none: RFC 3768 §5.3.5 sets no minimum, and keepalived sends such
    /// adverts for an instance without `virtual_ipaddress`.)
    NoAddresses,
    /// VRRPv3 `Max Adver Int` is zero, or VRRPv2 `Adver Int` is zero.
    ZeroInterval,
    /// VRRPv2 `Auth Type` is not 0, 1 or 2.
    UnknownAuthType(u8),
    /// The checksum does not verify (under either accepted form for v3 over IPv4).
    Checksum,
    /// `emit` was given a buffer too small for the advert.
    BufferTooSmall,
    /// `emit` was given a repr the wire cannot carry (v3 interval above 4095, address
    /// family different from the checksum context's).
    Unrepresentable,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Truncated => f.write_str("packet shorter than its header and address count require"),
            Error::TrailingBytes => f.write_str("packet longer than its header and address count say"),
            Error::UnknownVersion(v) => write!(f, "unknown VRRP version {v}"),
            Error::UnknownType(t) => write!(f, "unknown VRRP packet type {t}"),
            Error::NoAddresses => f.write_str("VRRPv3 address count is zero"),
            Error::ZeroInterval => f.write_str("advertisement interval is zero"),
            Error::UnknownAuthType(t) => write!(f, "unknown VRRPv2 auth type {t}"),
            Error::Checksum => f.write_str("bad checksum"),
            Error::BufferTooSmall => f.write_str("buffer too small"),
            Error::Unrepresentable => f.write_str("advert cannot be represented on the wire"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_round_trip_and_nothing_else_is_a_version() {
        for v in [Version::V2, Version::V3] {
            assert_eq!(Version::from_number(v.number()), Some(v));
        }
        for n in [0, 1, 4, 15, 255] {
            assert_eq!(Version::from_number(n), None);
        }
    }

    #[test]
    fn family_names_are_the_ones_operators_read() {
        assert_eq!(Family::Ipv4.as_str(), "IPv4");
        assert_eq!(Family::Ipv6.as_str(), "IPv6");
        assert_eq!(Family::of(&core::net::IpAddr::V6(GROUP_V6)), Family::Ipv6);
    }
}
