//! The parsed, validated form of an advertisement.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use heapless::Vec;

use super::checksum::{self, ChecksumContext, ChecksumForm};
use super::packet::auth_data_len;
use super::{field, Error, Family, Packet, Version, HEADER_LEN, MAX_ADDRESSES, TYPE_ADVERTISEMENT, V2_AUTH_DATA_LEN};

/// The addresses an advert lists; one family per advert (RFC 9568 §5.2.9).
///
/// Fixed capacity, no allocation: the IPv4 variant is smaller, but boxing is not an
/// option without `alloc`, and one list on the stack is ~4 KiB at most.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AddressList {
    /// IPv4 addresses.
    V4(Vec<Ipv4Addr, MAX_ADDRESSES>),
    /// IPv6 addresses.
    V6(Vec<Ipv6Addr, MAX_ADDRESSES>),
}

impl AddressList {
    /// Builds a list from addresses that must all be of one family; `None` if they are
    /// mixed, empty (which has no family: start from an empty variant and [`push`]), or
    /// more than [`MAX_ADDRESSES`].
    ///
    /// [`push`]: AddressList::push
    pub fn from_addrs(addrs: &[IpAddr]) -> Option<AddressList> {
        let mut list = match addrs.first()? {
            IpAddr::V4(_) => AddressList::V4(Vec::new()),
            IpAddr::V6(_) => AddressList::V6(Vec::new()),
        };
        for addr in addrs {
            list.push(*addr).ok()?;
        }
        Some(list)
    }

    /// Appends an address of the list's family.
    pub fn push(&mut self, addr: IpAddr) -> Result<(), Error> {
        match (self, addr) {
            (AddressList::V4(v), IpAddr::V4(a)) => v.push(a).map_err(|_| Error::Unrepresentable),
            (AddressList::V6(v), IpAddr::V6(a)) => v.push(a).map_err(|_| Error::Unrepresentable),
            _ => Err(Error::Unrepresentable),
        }
    }

    /// The family of the addresses.
    pub fn family(&self) -> Family {
        match self {
            AddressList::V4(_) => Family::Ipv4,
            AddressList::V6(_) => Family::Ipv6,
        }
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        match self {
            AddressList::V4(v) => v.len(),
            AddressList::V6(v) => v.len(),
        }
    }

    /// True when the list holds no address.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The addresses, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + Clone + '_ {
        let (v4, v6) = match self {
            AddressList::V4(v) => (v.as_slice(), &[][..]),
            AddressList::V6(v) => (&[][..], v.as_slice()),
        };
        v4.iter().map(|a| IpAddr::V4(*a)).chain(v6.iter().map(|a| IpAddr::V6(*a)))
    }

    /// True if `addr` is in the list.
    pub fn contains(&self, addr: &IpAddr) -> bool {
        match (self, addr) {
            (AddressList::V4(v), IpAddr::V4(a)) => v.contains(a),
            (AddressList::V6(v), IpAddr::V6(a)) => v.contains(a),
            _ => false,
        }
    }

    /// Same addresses as `addrs`, regardless of order (RFC 9568 §7.1 compares the set).
    pub fn same_set_as(&self, addrs: &[IpAddr]) -> bool {
        same_address_set(self.iter(), self.len(), addrs)
    }

    fn parse<T: AsRef<[u8]>>(packet: &Packet<T>, family: Family) -> Result<AddressList, Error> {
        let mut list = match family {
            Family::Ipv4 => AddressList::V4(Vec::new()),
            Family::Ipv6 => AddressList::V6(Vec::new()),
        };
        for addr in packet.addresses(family) {
            list.push(addr)?;
        }
        Ok(list)
    }
}

/// True when `listed` (of which there are `count`) holds exactly the addresses of `addrs`,
/// in any order (RFC 9568 §7.1 compares the sets). Works on a parsed [`AddressList`] and
/// on the zero-copy [`Packet::addresses`] alike.
pub fn same_address_set<I>(listed: I, count: usize, addrs: &[IpAddr]) -> bool
where
    I: Iterator<Item = IpAddr> + Clone,
{
    count == addrs.len()
        && listed.clone().all(|a| addrs.contains(&a))
        && addrs.iter().all(|a| listed.clone().any(|l| l == *a))
}

/// VRRPv2 authentication (RFC 3768 §5.3.6; types 1 and 2 from RFC 2338, which RFC 3768
/// deprecates but keepalived still speaks as `auth_type PASS` / `AH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Type 0: no authentication.
    None,
    /// Type 1: an 8-octet clear-text password, zero-padded (keepalived `auth_type PASS`).
    /// Over IPv6 the advert has no room for it: keepalived 2.2.7 sends Auth Type 1 and no
    /// password (vrrp.c 1254, 1264; captured in core/tests/vectors/v2-ipv6-pass.ip.hex),
    /// which parses as eight zero octets and emits as the type alone.
    SimpleText([u8; V2_AUTH_DATA_LEN]),
    /// Type 2: IP Authentication Header. Recognised, never accepted: vrrpd does not
    /// implement AH, and the Auth Data octets are not a password.
    IpAh,
}

impl Auth {
    /// The Auth Type field value.
    pub const fn type_number(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::SimpleText(_) => 1,
            Auth::IpAh => 2,
        }
    }

    /// A simple-text password as keepalived stores it: the first 8 octets, zero-padded.
    pub fn simple_text(password: &[u8]) -> Auth {
        let mut data = [0u8; V2_AUTH_DATA_LEN];
        for (dst, src) in data.iter_mut().zip(password) {
            *dst = *src;
        }
        Auth::SimpleText(data)
    }
}

/// The fields that differ between the versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// VRRPv2 (RFC 3768).
    V2 {
        /// Adver Int, seconds, 1..=255.
        adver_int_s: u8,
        /// Authentication.
        auth: Auth,
    },
    /// VRRPv3 (RFC 9568).
    V3 {
        /// Max Adver Int, centiseconds, 1..=4095.
        max_adver_int_cs: u16,
    },
}

/// A parsed advertisement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AdvertRepr {
    /// Virtual Router Identifier, 1..=255 in practice (0 parses; no router is configured with it).
    pub vrid: u8,
    /// Sender's priority: 0 = leaving, 255 = address owner.
    pub priority: u8,
    /// Version-specific fields.
    pub variant: Variant,
    /// The virtual addresses.
    pub addresses: AddressList,
}

impl Variant {
    /// The protocol version these fields belong to.
    pub fn version(&self) -> Version {
        match self {
            Variant::V2 { .. } => Version::V2,
            Variant::V3 { .. } => Version::V3,
        }
    }

    /// The advertised interval in centiseconds (v2 seconds × 100).
    pub fn interval_cs(&self) -> u16 {
        match *self {
            Variant::V2 { adver_int_s, .. } => u16::from(adver_int_s) * 100,
            Variant::V3 { max_adver_int_cs } => max_adver_int_cs,
        }
    }
}

impl AdvertRepr {
    /// The protocol version.
    pub fn version(&self) -> Version {
        self.variant.version()
    }

    /// The advertised interval in centiseconds (v2 seconds × 100).
    pub fn interval_cs(&self) -> u16 {
        self.variant.interval_cs()
    }

    /// Parses and validates a packet that arrived between `ctx.src` and `ctx.dst`: every
    /// check of [`AdvertHeader::parse`], then the address list.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>, ctx: &ChecksumContext) -> Result<AdvertRepr, Error> {
        let header = AdvertHeader::parse(packet, ctx)?;
        let family = Family::of(&ctx.src);
        Ok(AdvertRepr {
            vrid: header.vrid,
            priority: header.priority,
            variant: header.variant,
            addresses: AddressList::parse(packet, family)?,
        })
    }

    /// The fixed fields.
    pub fn header(&self) -> AdvertHeader {
        AdvertHeader { vrid: self.vrid, priority: self.priority, variant: self.variant }
    }

    /// Which form the checksum of a v3-over-IPv4 packet was computed in, if valid.
    /// Other packets have exactly one valid form; this reports it.
    pub fn checksum_form<T: AsRef<[u8]>>(packet: &Packet<T>, ctx: &ChecksumContext) -> Option<ChecksumForm> {
        let bytes = packet.as_bytes();
        if checksum::compute(bytes, Some(ctx)) == Some(0) {
            Some(ChecksumForm::PseudoHeader)
        } else if checksum::compute(bytes, None) == Some(0) {
            Some(ChecksumForm::MessageOnly)
        } else {
            None
        }
    }

    /// Octets [`AdvertRepr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.header().buffer_len(self.addresses.family(), self.addresses.len())
    }

    /// Writes the advert into the front of `buf` and returns its length. `ctx` gives the
    /// addresses for the pseudo-header; `form` chooses the v3-over-IPv4 checksum form
    /// (ignored otherwise: v2 over IPv4 is always message-only, IPv6 always pseudo-header).
    pub fn emit(&self, buf: &mut [u8], ctx: &ChecksumContext, form: ChecksumForm) -> Result<usize, Error> {
        // An empty list still has a family: VRRPv2 runs over both, so an empty IPv4 list
        // under an IPv6 context would otherwise pass as an IPv6 advert.
        if self.addresses.family() != Family::of(&ctx.src) {
            return Err(Error::Unrepresentable);
        }
        self.header().emit(self.addresses.iter(), buf, ctx, form)
    }
}

/// The fixed fields of an advert without its address list: what the receive path needs,
/// small enough to copy freely (the full [`AdvertRepr`] carries room for 255 addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdvertHeader {
    /// Virtual Router Identifier.
    pub vrid: u8,
    /// Sender's priority.
    pub priority: u8,
    /// Version-specific fields.
    pub variant: Variant,
}

impl AdvertHeader {
    /// The protocol version.
    pub fn version(&self) -> Version {
        self.variant.version()
    }

    /// The advertised interval in centiseconds (v2 seconds × 100).
    pub fn interval_cs(&self) -> u16 {
        self.variant.interval_cs()
    }

    /// Validates everything the packet alone can tell, in RFC 9568 §7.1 order where it
    /// gives one: version, length, checksum, then type, count, interval and (v2) auth
    /// type. For v3 over IPv4 either checksum form is accepted. VRRPv2 over IPv6 is read
    /// as keepalived 2.2.7 sends it: no auth data, the IPv6 pseudo-header checksum. The
    /// address list is left on the wire: read it with [`Packet::addresses`].
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>, ctx: &ChecksumContext) -> Result<AdvertHeader, Error> {
        Self::parse_covering(packet, ctx, packet.as_bytes())
    }

    /// [`AdvertHeader::parse`] with the checksum verified over `checksummed` rather than
    /// the packet alone: an IPv6 advert with an `auth_hmac` trailer ([`super::hmac`]) has
    /// its checksum over the whole payload, trailer included.
    pub fn parse_covering<T: AsRef<[u8]>>(
        packet: &Packet<T>,
        ctx: &ChecksumContext,
        checksummed: &[u8],
    ) -> Result<AdvertHeader, Error> {
        let bytes = packet.as_bytes();
        if bytes.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let version = packet.version()?;
        let family = Family::of(&ctx.src);
        packet.check_len(family)?;
        if !checksum_ok(checksummed, version, family, ctx) {
            return Err(Error::Checksum);
        }
        if packet.packet_type() != TYPE_ADVERTISEMENT {
            return Err(Error::UnknownType(packet.packet_type()));
        }
        // RFC 9568 §5.2.5: VRRPv3's Count IPvX Addr is at least 1. RFC 3768 §5.3.5 sets no
        // minimum for VRRPv2, and keepalived 2.2.7 runs a v2 instance without VIPs (vrrp.c
        // 2901 "No VIP specified; at least one is sensible"), advertising Count 0 (vrrp.c
        // 1252 `vrrp_build_vrrp_v2`): a v2 advert with no address is well-formed.
        if packet.count() == 0 && version == Version::V3 {
            return Err(Error::NoAddresses);
        }
        let variant = match version {
            Version::V2 => {
                let auth = match packet.auth_type() {
                    0 => Auth::None,
                    1 if family == Family::Ipv6 => Auth::SimpleText([0; V2_AUTH_DATA_LEN]),
                    1 => Auth::SimpleText(packet.auth_data()),
                    2 => Auth::IpAh,
                    other => return Err(Error::UnknownAuthType(other)),
                };
                if packet.adver_int() == 0 {
                    return Err(Error::ZeroInterval);
                }
                Variant::V2 { adver_int_s: packet.adver_int(), auth }
            }
            Version::V3 => {
                if packet.max_adver_int() == 0 {
                    return Err(Error::ZeroInterval);
                }
                Variant::V3 { max_adver_int_cs: packet.max_adver_int() }
            }
        };
        Ok(AdvertHeader { vrid: packet.vrid(), priority: packet.priority(), variant })
    }

    /// Octets an advert with `count` addresses of `family` takes.
    pub fn buffer_len(&self, family: Family, count: usize) -> usize {
        HEADER_LEN + count * family.address_len() + auth_data_len(self.version(), family)
    }

    /// Writes an advert with these fields and `addresses` (all of `ctx`'s family, at
    /// most 255) into the front of `buf`; returns its length. Emitting straight from the
    /// caller's addresses spares building an [`AddressList`].
    pub fn emit<I>(
        &self,
        addresses: I,
        buf: &mut [u8],
        ctx: &ChecksumContext,
        form: ChecksumForm,
    ) -> Result<usize, Error>
    where
        I: Iterator<Item = IpAddr> + Clone,
    {
        let family = Family::of(&ctx.src);
        if Family::of(&ctx.dst) != family || addresses.clone().any(|a| Family::of(&a) != family) {
            return Err(Error::Unrepresentable);
        }
        let count = u8::try_from(addresses.clone().count()).map_err(|_| Error::Unrepresentable)?;
        let len = self.buffer_len(family, usize::from(count));
        let out = buf.get_mut(..len).ok_or(Error::BufferTooSmall)?;
        out.fill(0);
        let mut packet = Packet::new_unchecked(&mut *out);
        packet.set_version_and_type(self.version().number(), TYPE_ADVERTISEMENT);
        packet.set_vrid(self.vrid);
        packet.set_priority(self.priority);
        packet.set_count(count);
        let pseudo = match self.variant {
            Variant::V2 { adver_int_s, auth } => {
                packet.set_auth_type(auth.type_number());
                packet.set_adver_int(adver_int_s);
                // keepalived 2.2.7 vrrp.c 1280 `vrrp_build_vrrp_v2`: over IPv6 "Kernel will
                // update checksum field" (IPV6_CHECKSUM offset 6, vrrp_if.c 1141), i.e.
                // the RFC 8200 §8.1 pseudo-header sum.
                family == Family::Ipv6
            }
            Variant::V3 { max_adver_int_cs } => {
                if max_adver_int_cs > 0x0fff {
                    return Err(Error::Unrepresentable);
                }
                packet.set_max_adver_int(max_adver_int_cs);
                family == Family::Ipv6 || form == ChecksumForm::PseudoHeader
            }
        };
        let mut at = field::ADDRESSES;
        for addr in addresses {
            let written = match addr {
                IpAddr::V4(a) => write_at(out, at, &a.octets()),
                IpAddr::V6(a) => write_at(out, at, &a.octets()),
            };
            at = written.ok_or(Error::BufferTooSmall)?;
        }
        if let (Variant::V2 { auth: Auth::SimpleText(data), .. }, Family::Ipv4) = (self.variant, family) {
            write_at(out, at, &data).ok_or(Error::BufferTooSmall)?;
        }
        let sum = checksum::compute(out, if pseudo { Some(ctx) } else { None }).ok_or(Error::Unrepresentable)?;
        Packet::new_unchecked(&mut *out).set_checksum(sum);
        Ok(len)
    }
}

fn checksum_ok(bytes: &[u8], version: Version, family: Family, ctx: &ChecksumContext) -> bool {
    let message_only = || checksum::compute(bytes, None) == Some(0);
    let pseudo = || checksum::compute(bytes, Some(ctx)) == Some(0);
    match (version, family) {
        (Version::V2, Family::Ipv4) => message_only(),
        // keepalived 2.2.7 sends VRRPv2 over IPv6 with the kernel's IPV6_CHECKSUM sum
        // (vrrp.c 1280, vrrp_if.c 1141), as VRRPv3 over IPv6.
        (_, Family::Ipv6) => pseudo(),
        (Version::V3, Family::Ipv4) => pseudo() || message_only(),
    }
}

/// Copies `data` to `buf[at..]`, returning the offset after it.
fn write_at(buf: &mut [u8], at: usize, data: &[u8]) -> Option<usize> {
    let end = at.checked_add(data.len())?;
    buf.get_mut(at..end)?.copy_from_slice(data);
    Some(end)
}

#[cfg(test)]
mod tests;
