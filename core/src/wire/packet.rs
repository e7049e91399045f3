//! Zero-copy view over the octets of an advertisement.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::field;
use super::{Error, Family, Version, HEADER_LEN, V2_AUTH_DATA_LEN};

/// A read/write view over a buffer holding one VRRP advertisement.
///
/// [`Packet::new_checked`] proves the buffer is long enough for every accessor, so the
/// accessors never fail afterwards; they still never index out of bounds on a buffer
/// made with [`Packet::new_unchecked`] (they read zero instead), because the core must
/// not panic on any input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`Packet::check_len`] for the given family.
    pub fn new_checked(buffer: T, family: Family) -> Result<Packet<T>, Error> {
        let packet = Packet::new_unchecked(buffer);
        packet.check_len(family)?;
        Ok(packet)
    }

    /// Checks the buffer holds exactly the fixed header, `Count` addresses of `family`,
    /// and for VRRPv2 over IPv4 the 8 octets of authentication data (RFC 9568 §7.1,
    /// third check). VRRPv2 over IPv6, as keepalived 2.2.7 sends it, has none (vrrp.c 358
    /// `expected_vrrp_pkt_len` and 278 `vrrp_pkt_len` add them for AF_INET only).
    /// The version is checked first: its value decides the length rule.
    pub fn check_len(&self, family: Family) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let version = self.version()?;
        let want = self.expected_len(version, family);
        if len < want {
            Err(Error::Truncated)
        } else if len > want {
            Err(Error::TrailingBytes)
        } else {
            Ok(())
        }
    }

    /// The length a packet of this version, family and count must have.
    pub fn expected_len(&self, version: Version, family: Family) -> usize {
        let addrs = usize::from(self.count()) * family.address_len();
        HEADER_LEN + addrs + auth_data_len(version, family)
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    fn word(&self, at: field::Field) -> u16 {
        match self.buffer.as_ref().get(at) {
            Some([hi, lo]) => u16::from_be_bytes([*hi, *lo]),
            _ => 0,
        }
    }

    /// The raw Version field.
    pub fn version_field(&self) -> u8 {
        self.byte(field::VER_TYPE) >> 4
    }

    /// The Version field as a known version.
    pub fn version(&self) -> Result<Version, Error> {
        match self.version_field() {
            2 => Ok(Version::V2),
            3 => Ok(Version::V3),
            other => Err(Error::UnknownVersion(other)),
        }
    }

    /// The Type field.
    pub fn packet_type(&self) -> u8 {
        self.byte(field::VER_TYPE) & 0x0f
    }

    /// Virtual Router Identifier.
    pub fn vrid(&self) -> u8 {
        self.byte(field::VRID)
    }

    /// Priority of the sender.
    pub fn priority(&self) -> u8 {
        self.byte(field::PRIORITY)
    }

    /// Count IPvX Addr.
    pub fn count(&self) -> u8 {
        self.byte(field::COUNT)
    }

    /// v3: Max Adver Int in centiseconds (the low 12 bits; the reserved bits are ignored
    /// on receive, RFC 9568 §5.2.6).
    pub fn max_adver_int(&self) -> u16 {
        self.word(field::V3_MAX_ADVER_INT) & 0x0fff
    }

    /// v3: the 4 reserved bits before Max Adver Int.
    pub fn v3_reserved(&self) -> u8 {
        (self.byte(field::V3_MAX_ADVER_INT.start) >> 4) & 0x0f
    }

    /// v2: Auth Type.
    pub fn auth_type(&self) -> u8 {
        self.byte(field::V2_AUTH_TYPE)
    }

    /// v2: Adver Int in seconds.
    pub fn adver_int(&self) -> u8 {
        self.byte(field::V2_ADVER_INT)
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        self.word(field::CHECKSUM)
    }

    /// The octets of the address list (`Count` × address length), or empty if the buffer
    /// is shorter.
    pub fn address_bytes(&self, family: Family) -> &[u8] {
        let len = usize::from(self.count()) * family.address_len();
        self.buffer.as_ref().get(field::ADDRESSES..field::ADDRESSES + len).unwrap_or(&[])
    }

    /// The addresses on the wire, zero-copy; empty if the buffer is shorter than `Count` says.
    pub fn addresses(&self, family: Family) -> impl Iterator<Item = IpAddr> + Clone + '_ {
        self.address_bytes(family).chunks_exact(family.address_len()).filter_map(|chunk| {
            if let Ok(octets) = <[u8; 4]>::try_from(chunk) {
                Some(IpAddr::V4(Ipv4Addr::from(octets)))
            } else {
                <[u8; 16]>::try_from(chunk).ok().map(|o| IpAddr::V6(Ipv6Addr::from(o)))
            }
        })
    }

    /// v2 over IPv4: the 8 octets of authentication data after the IPv4 address list
    /// (VRRPv2 over IPv6 carries none: read [`auth_data_len`] first).
    pub fn auth_data(&self) -> [u8; V2_AUTH_DATA_LEN] {
        let start = field::ADDRESSES + usize::from(self.count()) * 4;
        let mut out = [0u8; V2_AUTH_DATA_LEN];
        if let Some(src) = self.buffer.as_ref().get(start..start + V2_AUTH_DATA_LEN) {
            out.copy_from_slice(src);
        }
        out
    }

    /// The whole buffer.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn set_byte(&mut self, at: usize, value: u8) {
        if let Some(b) = self.buffer.as_mut().get_mut(at) {
            *b = value;
        }
    }

    fn set_word(&mut self, at: field::Field, value: u16) {
        if let Some(dst) = self.buffer.as_mut().get_mut(at) {
            if dst.len() == 2 {
                dst.copy_from_slice(&value.to_be_bytes());
            }
        }
    }

    /// Sets Version and Type.
    pub fn set_version_and_type(&mut self, version: u8, packet_type: u8) {
        self.set_byte(field::VER_TYPE, (version << 4) | (packet_type & 0x0f));
    }

    /// Sets the Virtual Router Identifier.
    pub fn set_vrid(&mut self, vrid: u8) {
        self.set_byte(field::VRID, vrid);
    }

    /// Sets the Priority.
    pub fn set_priority(&mut self, priority: u8) {
        self.set_byte(field::PRIORITY, priority);
    }

    /// Sets Count IPvX Addr.
    pub fn set_count(&mut self, count: u8) {
        self.set_byte(field::COUNT, count);
    }

    /// v3: sets Max Adver Int (12 bits) with the reserved bits zero.
    pub fn set_max_adver_int(&mut self, centis: u16) {
        self.set_word(field::V3_MAX_ADVER_INT, centis & 0x0fff);
    }

    /// v2: sets Auth Type.
    pub fn set_auth_type(&mut self, auth_type: u8) {
        self.set_byte(field::V2_AUTH_TYPE, auth_type);
    }

    /// v2: sets Adver Int.
    pub fn set_adver_int(&mut self, secs: u8) {
        self.set_byte(field::V2_ADVER_INT, secs);
    }

    /// Sets the Checksum field.
    pub fn set_checksum(&mut self, checksum: u16) {
        self.set_word(field::CHECKSUM, checksum);
    }

    /// The whole buffer, mutable.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
}

/// Octets of authentication data after the address list: 8 for VRRPv2 over IPv4 (RFC
/// 3768 §5.3.10), none for VRRPv3 and for VRRPv2 over IPv6 (keepalived 2.2.7 vrrp.c 278
/// `vrrp_pkt_len`: the auth data is added for AF_INET only; captured in
/// core/tests/vectors/v2-ipv6.ip.hex).
pub const fn auth_data_len(version: Version, family: Family) -> usize {
    match (version, family) {
        (Version::V2, Family::Ipv4) => V2_AUTH_DATA_LEN,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V3_V4: [u8; 12] = [0x31, 0x33, 0x65, 0x01, 0x00, 0x64, 0xab, 0xcd, 192, 0, 2, 1];

    #[test]
    fn version_numbers_and_family_names_round_trip() {
        assert_eq!(Version::ALL.map(Version::number), [2, 3]);
        for v in Version::ALL {
            assert_eq!(Version::from_number(v.number()), Some(v));
        }
        assert_eq!([0, 1, 4, 15, 255].map(Version::from_number), [None; 5]);
        assert_eq!(Family::ALL.map(Family::as_str), ["IPv4", "IPv6"]);
        for f in Family::ALL {
            assert_eq!(Family::from_name(f.as_str()), Some(f));
        }
        assert_eq!(Family::from_name("ipv4"), None);
    }

    #[test]
    fn rfc9568_5_1_fields_read_from_their_offsets() {
        let p = Packet::new_checked(&V3_V4[..], Family::Ipv4).unwrap();
        assert_eq!(p.version(), Ok(Version::V3));
        assert_eq!(p.packet_type(), 1);
        assert_eq!(p.vrid(), 0x33);
        assert_eq!(p.priority(), 0x65);
        assert_eq!(p.count(), 1);
        assert_eq!(p.max_adver_int(), 100);
        assert_eq!(p.checksum(), 0xabcd);
        assert_eq!(p.address_bytes(Family::Ipv4), &[192, 0, 2, 1]);
    }

    #[test]
    fn rfc9568_5_2_6_reserved_bits_do_not_leak_into_the_interval() {
        let mut bytes = V3_V4;
        bytes[4] = 0xf0;
        let p = Packet::new_unchecked(&bytes[..]);
        assert_eq!(p.max_adver_int(), 100);
        assert_eq!(p.v3_reserved(), 0xf);
    }

    #[test]
    fn rfc9568_7_1_length_must_match_the_count() {
        assert_eq!(Packet::new_checked(&V3_V4[..11], Family::Ipv4).err(), Some(Error::Truncated));
        let mut long = [0u8; 13];
        long[..12].copy_from_slice(&V3_V4);
        assert_eq!(Packet::new_checked(&long[..], Family::Ipv4).err(), Some(Error::TrailingBytes));
        assert_eq!(Packet::new_checked(&V3_V4[..], Family::Ipv6).err(), Some(Error::Truncated));
        assert_eq!(Packet::new_checked(&V3_V4[..7], Family::Ipv4).err(), Some(Error::Truncated));
    }

    #[test]
    fn rfc3768_5_3_10_v2_length_includes_auth_data() {
        let mut v2 = [0u8; 20];
        v2[0] = 0x21;
        v2[3] = 1;
        assert!(Packet::new_checked(&v2[..], Family::Ipv4).is_ok());
        assert_eq!(Packet::new_checked(&v2[..12], Family::Ipv4).err(), Some(Error::Truncated));
    }

    #[test]
    fn keepalived_vrrp_c_358_v2_over_ipv6_length_has_no_auth_data() {
        let mut v2 = [0u8; 24];
        v2[0] = 0x21;
        v2[3] = 1;
        assert!(Packet::new_checked(&v2[..], Family::Ipv6).is_ok());
        let mut long = [0u8; 32];
        long[..24].copy_from_slice(&v2);
        assert_eq!(Packet::new_checked(&long[..], Family::Ipv6).err(), Some(Error::TrailingBytes));
    }

    #[test]
    fn unchecked_accessors_on_an_empty_buffer_read_zero() {
        let p = Packet::new_unchecked(&[][..]);
        assert_eq!(p.vrid(), 0);
        assert_eq!(p.checksum(), 0);
        assert_eq!(p.auth_data(), [0; 8]);
        assert_eq!(p.address_bytes(Family::Ipv6), &[] as &[u8]);
        assert_eq!(p.version(), Err(Error::UnknownVersion(0)));
    }

    #[test]
    fn setters_write_the_fields_back() {
        let mut buf = [0u8; 20];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        p.set_version_and_type(2, 1);
        p.set_vrid(200);
        p.set_priority(101);
        p.set_count(1);
        p.set_auth_type(1);
        p.set_adver_int(1);
        p.set_checksum(0x1234);
        assert_eq!(&buf[..8], &[0x21, 200, 101, 1, 1, 1, 0x12, 0x34]);
    }
}

#[cfg(test)]
mod reserved_tests {
    use super::*;

    #[test]
    fn reserved_bits_read_back_exactly() {
        let bytes = [0x31u8, 1, 100, 1, 0x50, 0x64, 0, 0, 192, 0, 2, 1];
        let p = Packet::new_unchecked(&bytes[..]);
        assert_eq!(p.v3_reserved(), 5);
        assert_eq!(p.max_adver_int(), 100);
    }
}
