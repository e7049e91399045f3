//! keepalived 2.4's `auth_hmac` extension: an HMAC-SHA256 trailer after the VRRP message.
//!
//! Wire-compatible with keepalived v2.4.3 (`keepalived/vrrp/vrrp_auth_hmac.c`,
//! `keepalived/include/vrrp_auth_hmac.h`, the receive path in `vrrp.c`), for VRRPv2 and
//! VRRPv3, IPv4 and IPv6. The 28-octet trailer follows the VRRP message inside the IP
//! payload (the IPv4 total length and the IPv6 payload length include it):
//!
//! ```text
//!  0                   1                   2                   3
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Ext Type = 1 |    Key ID     |         Reserved (0)          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               Seconds (UTC, since the Unix epoch)             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Subseconds (1/65536 s)      |           Counter             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        HMAC-SHA256, first 128 bits (16 octets)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The three words after the reserved field are one 64-bit sequence number. The tag is
//! HMAC-SHA256 over a 20-octet pseudo-header (family 4|6, version, VRID, 0, the source
//! address zero-padded to 16 octets), then the VRRP message with its checksum read as
//! zero, then the trailer's first 12 octets, then 16 zero octets for the tag itself
//! (`vrrp_auth_hmac.c: build_pseudo, pdu_hmac`). The IP header is not covered.
//!
//! The VRRP checksum: over IPv4 it covers the VRRP message only, as without a trailer
//! (keepalived computes it in user space). Over IPv6 it covers the whole payload, trailer
//! included, with the payload length in the pseudo-header, because keepalived leaves it
//! to the kernel (`IPV6_CHECKSUM`), which sums everything it sends. The captured vectors
//! in `node/tests/fixtures/hmac/` show both.
//!
//! A receiver configured with `auth_hmac` takes a packet that is exactly 28 octets longer
//! than its header says as carrying a trailer (`vrrp.c: vrrp_check_packet`). One without
//! it sees a packet too long and drops it; that is why the rollout goes receive-only →
//! permissive → enforce ([`HmacMode`]).
//!
//! The core does not link a hash: the caller implements [`Authenticator`] (HMAC-SHA256
//! and the UTC clock the sequence numbers need). The core stays `no_std`, allocation-free
//! and panic-free.
//!
//! Replay state: multicast senders are tracked by source address in a small LRU table
//! (`vrrp_auth_hmac.c: mcast_state`). Unicast (not in vrrpd yet) anchors the state on the
//! configured peer instead: [`HmacState::verify`] takes the mark to use, so unicast only
//! has to pass the peer's [`ReplayMark`].

use core::cell::Cell;
use core::net::IpAddr;

use heapless::Vec;

use super::checksum::{self, ChecksumContext};
use super::{field, Family, Packet, Version};

/// Length of the trailer (`sizeof(vrrp_auth_ext_t)`).
pub const TRAILER_LEN: usize = 28;
/// Length of the truncated HMAC in the trailer.
pub const TAG_LEN: usize = 16;
/// Offset of the tag in the trailer; the octets before it are covered by it.
pub const TAG_OFFSET: usize = 12;
/// Ext Type 1: HMAC-SHA256 truncated to 128 bits, the only scheme defined.
pub const EXT_TYPE_SHA256: u8 = 1;
/// Shortest key keepalived accepts, octets.
pub const KEY_MIN: usize = 32;
/// Longest key keepalived accepts, octets.
pub const KEY_MAX: usize = 64;
/// Keys one instance can hold (rotation needs two).
pub const MAX_KEYS: usize = 4;
/// Bounds of `time_window`, seconds.
pub const WINDOW_MIN_S: u16 = 1;
/// Bounds of `time_window`, seconds.
pub const WINDOW_MAX_S: u16 = 300;
/// Lower bound of the window derived from the advert interval.
pub const WINDOW_FLOOR_S: u16 = 5;
/// Multicast senders whose replay marks are kept per instance (keepalived's
/// `VRRP_AUTH_HMAC_MCAST_SENDERS`).
pub const SENDER_SLOTS: usize = 4;

/// Trailer field ranges.
mod tfield {
    use super::super::field::Field;
    pub const EXT_TYPE: usize = 0;
    pub const KEY_ID: usize = 1;
    pub const RESERVED: Field = 2..4;
    pub const SEQUENCE: Field = 4..12;
    pub const TAG: Field = 12..28;
}

/// A UTC clock reading as the trailer carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallClock {
    /// Seconds since the Unix epoch, truncated to 32 bits.
    pub secs: u32,
    /// Fraction of a second in units of 1/65536 s.
    pub subsec: u16,
}

impl WallClock {
    /// The sequence number a sender reads off this clock: seconds, subseconds, counter 0
    /// (`vrrp_auth_hmac.c: clock_seq`).
    pub const fn sequence(self) -> u64 {
        ((self.secs as u64) << 32) | ((self.subsec as u64) << 16)
    }

    /// The subsecond field for `nanos` nanoseconds (`(ns << 16) / 10^9`, as keepalived).
    pub const fn subsec_from_nanos(nanos: u32) -> u16 {
        (((nanos as u64) << 16) / 1_000_000_000) as u16
    }
}

/// What the caller supplies: the hash and the clock the core does not have.
pub trait Authenticator: Sync {
    /// HMAC-SHA256 (RFC 2104, FIPS 180-4) of the concatenation of `parts`, under `key`
    /// (32..=64 octets here).
    fn hmac_sha256(&self, key: &[u8], parts: &[&[u8]]) -> [u8; 32];

    /// The current UTC time (`CLOCK_REALTIME`): sequence numbers are built from it and,
    /// with [`AntiReplay::Time`], received ones are checked against it.
    fn wall_clock(&self) -> WallClock;
}

/// keepalived's `mode`: how strictly the trailer is required.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum HmacMode {
    /// Verify a trailer that is present, accept adverts without one, send none.
    ReceiveOnly,
    /// Sign, verify a trailer that is present, accept adverts without one.
    Permissive,
    /// Sign, and require a valid trailer (keepalived's default).
    #[default]
    Enforce,
}

impl HmacMode {
    /// Every mode, in rollout order.
    pub const ALL: [HmacMode; 3] = [HmacMode::ReceiveOnly, HmacMode::Permissive, HmacMode::Enforce];

    /// keepalived's name: "receive-only", "permissive", "enforce".
    pub const fn as_str(self) -> &'static str {
        match self {
            HmacMode::ReceiveOnly => "receive-only",
            HmacMode::Permissive => "permissive",
            HmacMode::Enforce => "enforce",
        }
    }

    /// The mode [`as_str`](Self::as_str) names.
    pub fn from_name(name: &str) -> Option<HmacMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// True when adverts we send carry a trailer.
    pub const fn signs(self) -> bool {
        !matches!(self, HmacMode::ReceiveOnly)
    }
}

/// keepalived's `anti_replay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AntiReplay {
    /// Sequence numbers must grow, and their seconds be within `window_s` of our clock.
    Time {
        /// `time_window`, 1..=300 s.
        window_s: u16,
    },
    /// Sequence numbers must only grow.
    Monotonic,
}

impl AntiReplay {
    /// keepalived's default window for an advert interval: three whole intervals, at
    /// least 5 s, at most 300 s (`vrrp.c: vrrp_complete_instance`, integer seconds).
    pub fn default_window_s(advert_interval_cs: u16) -> u16 {
        (3 * (advert_interval_cs / 100)).clamp(WINDOW_FLOOR_S, WINDOW_MAX_S)
    }
}

/// One key, addressed by its id (1..=255) so keys can be rotated without downtime.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HmacKey {
    id: u8,
    len: u8,
    bytes: [u8; KEY_MAX],
}

impl HmacKey {
    /// A key with id 1..=255 and 32..=64 octets; `None` otherwise.
    pub fn new(id: u8, key: &[u8]) -> Option<HmacKey> {
        if id == 0 || !(KEY_MIN..=KEY_MAX).contains(&key.len()) {
            return None;
        }
        let mut bytes = [0; KEY_MAX];
        bytes.get_mut(..key.len())?.copy_from_slice(key);
        Some(HmacKey { id, len: key.len() as u8, bytes })
    }

    /// Its id.
    pub const fn id(&self) -> u8 {
        self.id
    }

    /// Its octets.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// The key material is never printed.
impl core::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "HmacKey {{ id: {}, len: {}, bytes: <redacted> }}", self.id, self.len)
    }
}

/// An instance's `auth_hmac` block.
#[derive(Clone)]
pub struct HmacConfig {
    /// The keys, each with a distinct id.
    pub keys: Vec<HmacKey, MAX_KEYS>,
    /// The id of the key adverts are signed with; must be among `keys`.
    pub active_key: u8,
    /// How strictly the trailer is required.
    pub mode: HmacMode,
    /// Replay protection.
    pub anti_replay: AntiReplay,
    /// The hash and the clock.
    pub authenticator: &'static dyn Authenticator,
}

impl HmacConfig {
    /// One key, active, mode enforce, anti-replay by time with `window_s`: keepalived's
    /// defaults once the window is derived.
    pub fn new(authenticator: &'static dyn Authenticator, key: HmacKey, window_s: u16) -> HmacConfig {
        let mut keys = Vec::new();
        let _ = keys.push(key);
        HmacConfig {
            keys,
            active_key: key.id(),
            mode: HmacMode::Enforce,
            anti_replay: AntiReplay::Time { window_s },
            authenticator,
        }
    }

    /// The key with id `id`.
    pub fn key(&self, id: u8) -> Option<&HmacKey> {
        self.keys.iter().find(|k| k.id() == id)
    }

    /// Checks the rules keepalived's parser and `vrrp_complete_instance` enforce.
    pub fn validate(&self) -> Result<(), HmacConfigError> {
        for (i, k) in self.keys.iter().enumerate() {
            if self.keys.iter().skip(i + 1).any(|o| o.id() == k.id()) {
                return Err(HmacConfigError::DuplicateKeyId(k.id()));
            }
        }
        if self.key(self.active_key).is_none() {
            return Err(HmacConfigError::ActiveKeyUndefined(self.active_key));
        }
        if let AntiReplay::Time { window_s } = self.anti_replay {
            if !(WINDOW_MIN_S..=WINDOW_MAX_S).contains(&window_s) {
                return Err(HmacConfigError::WindowOutOfRange(window_s));
            }
        }
        Ok(())
    }
}

/// Equal when the settings are; the authenticators are compared by address.
impl PartialEq for HmacConfig {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
            && self.active_key == other.active_key
            && self.mode == other.mode
            && self.anti_replay == other.anti_replay
            && core::ptr::addr_eq(self.authenticator, other.authenticator)
    }
}

impl Eq for HmacConfig {}

impl core::fmt::Debug for HmacConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HmacConfig")
            .field("keys", &self.keys)
            .field("active_key", &self.active_key)
            .field("mode", &self.mode)
            .field("anti_replay", &self.anti_replay)
            .finish_non_exhaustive()
    }
}

/// Why an `auth_hmac` block cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HmacConfigError {
    /// `active_key` names no configured key.
    ActiveKeyUndefined(u8),
    /// Two keys share an id.
    DuplicateKeyId(u8),
    /// `time_window` outside 1..=300 s.
    WindowOutOfRange(u16),
}

impl core::fmt::Display for HmacConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HmacConfigError::ActiveKeyUndefined(id) => write!(f, "auth_hmac active_key {id} is not defined"),
            HmacConfigError::DuplicateKeyId(id) => write!(f, "duplicate auth_hmac key id {id}"),
            HmacConfigError::WindowOutOfRange(w) => {
                write!(f, "auth_hmac time_window {w} must be between {WINDOW_MIN_S} and {WINDOW_MAX_S} seconds")
            }
        }
    }
}

/// Why a received advert failed `auth_hmac`; each has its counter (keepalived's
/// `auth_ext_*` statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HmacError {
    /// Mode enforce and no trailer (`auth_ext_missing`).
    Missing,
    /// Unknown Ext Type or non-zero Reserved (`auth_ext_malformed`).
    Malformed,
    /// No key with this id (`auth_ext_unknown_key`).
    UnknownKey(u8),
    /// The tag does not verify (`auth_ext_invalid_hmac`).
    BadTag,
    /// Anti-replay by time: the sequence's seconds are further than the window from our
    /// clock (`auth_ext_stale`).
    Stale {
        /// Our seconds minus the trailer's.
        skew_s: i32,
    },
    /// The sequence does not grow past the last one accepted from this sender
    /// (`auth_ext_replay`).
    Replay,
}

impl core::fmt::Display for HmacError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HmacError::Missing => f.write_str("missing authentication trailer"),
            HmacError::Malformed => f.write_str("malformed authentication trailer"),
            HmacError::UnknownKey(id) => write!(f, "unknown authentication key id {id}"),
            HmacError::BadTag => f.write_str("invalid authentication HMAC"),
            HmacError::Stale { skew_s } => write!(f, "stale authentication trailer, clock skew {skew_s} s"),
            HmacError::Replay => f.write_str("replayed authentication trailer"),
        }
    }
}

/// A zero-copy view over a trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Trailer<T> {
    /// Wraps a buffer without checking it; accessors read zero past its end.
    pub const fn new_unchecked(buffer: T) -> Trailer<T> {
        Trailer { buffer }
    }

    /// Wraps a buffer of exactly [`TRAILER_LEN`] octets.
    pub fn new_checked(buffer: T) -> Option<Trailer<T>> {
        (buffer.as_ref().len() == TRAILER_LEN).then_some(Trailer { buffer })
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    /// Ext Type.
    pub fn ext_type(&self) -> u8 {
        self.byte(tfield::EXT_TYPE)
    }

    /// Key ID.
    pub fn key_id(&self) -> u8 {
        self.byte(tfield::KEY_ID)
    }

    /// Reserved (zero on send).
    pub fn reserved(&self) -> u16 {
        u16::from_be_bytes([self.byte(tfield::RESERVED.start), self.byte(tfield::RESERVED.start + 1)])
    }

    /// The 64-bit sequence: seconds, subseconds, counter.
    pub fn sequence(&self) -> u64 {
        let mut b = [0u8; 8];
        for (i, out) in b.iter_mut().enumerate() {
            *out = self.byte(tfield::SEQUENCE.start + i);
        }
        u64::from_be_bytes(b)
    }

    /// The truncated HMAC.
    pub fn tag(&self) -> [u8; TAG_LEN] {
        let mut t = [0u8; TAG_LEN];
        for (i, out) in t.iter_mut().enumerate() {
            *out = self.byte(tfield::TAG.start + i);
        }
        t
    }

    /// The octets the tag covers (all but the tag), zero-padded if the buffer is short.
    pub fn covered(&self) -> [u8; TAG_OFFSET] {
        let mut c = [0u8; TAG_OFFSET];
        for (i, out) in c.iter_mut().enumerate() {
            *out = self.byte(i);
        }
        c
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Trailer<T> {
    fn write(&mut self, range: core::ops::Range<usize>, data: &[u8]) {
        if let Some(dst) = self.buffer.as_mut().get_mut(range) {
            dst.copy_from_slice(data);
        }
    }

    /// Writes Ext Type, Key ID, a zero Reserved, the sequence and a zero tag.
    pub fn set_header(&mut self, key_id: u8, sequence: u64) {
        self.write(tfield::EXT_TYPE..tfield::KEY_ID + 1, &[EXT_TYPE_SHA256, key_id]);
        self.write(tfield::RESERVED, &[0, 0]);
        self.write(tfield::SEQUENCE, &sequence.to_be_bytes());
        self.write(tfield::TAG, &[0; TAG_LEN]);
    }

    /// Writes the tag.
    pub fn set_tag(&mut self, tag: &[u8; TAG_LEN]) {
        self.write(tfield::TAG, tag);
    }
}

/// Splits a received VRRP payload into message and trailer: the trailer is there when
/// the payload is exactly [`TRAILER_LEN`] octets longer than the header says
/// (`vrrp.c: vrrp_check_packet`). Anything else comes back whole, for the length check.
pub fn split_trailer(payload: &[u8], family: Family) -> (&[u8], Option<&[u8]>) {
    let packet = Packet::new_unchecked(payload);
    let Ok(version) = packet.version() else {
        return (payload, None);
    };
    let want = packet.expected_len(version, family);
    if payload.len() != want + TRAILER_LEN {
        return (payload, None);
    }
    match (payload.get(..want), payload.get(want..)) {
        (Some(message), Some(trailer)) => (message, Some(trailer)),
        _ => (payload, None),
    }
}

/// The truncated HMAC of an advert (`vrrp_auth_hmac.c: pdu_hmac`): over the pseudo-header
/// for `version`, `vrid` and `src`, the VRRP `message` with its checksum read as zero,
/// the trailer's `covered` octets, and a zero tag.
pub fn compute_tag(
    auth: &dyn Authenticator,
    key: &[u8],
    version: Version,
    vrid: u8,
    src: IpAddr,
    message: &[u8],
    covered: &[u8; TAG_OFFSET],
) -> [u8; TAG_LEN] {
    let mut addr = [0u8; 16];
    let family = match src {
        IpAddr::V4(a) => {
            for (out, octet) in addr.iter_mut().zip(a.octets()) {
                *out = octet;
            }
            4
        }
        IpAddr::V6(a) => {
            addr = a.octets();
            6
        }
    };
    let head = [family, version.number(), vrid, 0];
    let before = message.get(..field::CHECKSUM.start).unwrap_or(message);
    let after = message.get(field::CHECKSUM.end..).unwrap_or(&[]);
    let digest = auth.hmac_sha256(key, &[&head, &addr, before, &[0, 0], after, covered, &[0; TAG_LEN]]);
    let mut tag = [0u8; TAG_LEN];
    for (out, d) in tag.iter_mut().zip(digest) {
        *out = d;
    }
    tag
}

/// Constant-time comparison of two tags.
fn tags_equal(a: &[u8; TAG_LEN], b: &[u8; TAG_LEN]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 1982 serial number order over the 64-bit sequence: `a` is after `b`.
fn seq_after(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) > 0
}

/// The last sequence accepted from one sender.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayMark {
    seq: Option<u64>,
}

impl ReplayMark {
    /// Accepts `seq` if it grows past the mark, and raises the mark
    /// (`vrrp_auth_hmac.c: replay_ok`). With anti-replay by time a mark out of the window
    /// is forgotten first: the window already rejects what it would order, and dropping
    /// it lets a sender restarted after a clock step be heard again.
    fn accept(&mut self, seq: u64, anti_replay: AntiReplay, now: WallClock) -> bool {
        if let (Some(mark), AntiReplay::Time { window_s }) = (self.seq, anti_replay) {
            let age = now.secs.wrapping_sub((mark >> 32) as u32) as i32;
            if age.unsigned_abs() > u32::from(window_s) {
                self.seq = None;
            }
        }
        if matches!(self.seq, Some(mark) if !seq_after(seq, mark)) {
            return false;
        }
        self.seq = Some(seq);
        true
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Sender {
    addr: Option<IpAddr>,
    mark: ReplayMark,
    last_used: u32,
}

/// Per-instance `auth_hmac` state: the send sequence and the receive replay marks.
#[derive(Clone, Debug, Default)]
pub struct HmacState {
    /// The last sequence sent; `None` before the first.
    send_seq: Cell<Option<u64>>,
    lru_clock: u32,
    senders: [Sender; SENDER_SLOTS],
}

impl HmacState {
    /// The next sequence to send (`vrrp_auth_hmac.c: next_seq`): the clock's, or the last
    /// one plus one when the clock has not moved past it. With anti-replay by time, a
    /// last sequence more than the window ahead of the clock (a corrected clock step)
    /// restarts from the clock, since receivers would reject it anyway.
    ///
    /// The first sequence is the clock's. (keepalived starts from a last value of 0,
    /// which under serial order is "after" the clock from 2038-01-19 on, when the seconds
    /// pass 2^31: its first advert would then carry sequence 1, stale everywhere.)
    pub fn next_sequence(&self, anti_replay: AntiReplay, now: WallClock) -> u64 {
        let clock = now.sequence();
        let next = match self.send_seq.get() {
            None => clock,
            Some(last) => Self::after(last, clock, anti_replay, now),
        };
        self.send_seq.set(Some(next));
        next
    }

    fn after(last: u64, clock: u64, anti_replay: AntiReplay, now: WallClock) -> u64 {
        if seq_after(clock, last) {
            clock
        } else {
            let ahead = ((last >> 32) as u32).wrapping_sub(now.secs) as i32;
            match anti_replay {
                AntiReplay::Time { window_s } if ahead > i32::from(window_s) => clock,
                _ => last.wrapping_add(1),
            }
        }
    }

    /// The replay mark for a multicast sender, allocating or evicting the least recently
    /// used slot (`vrrp_auth_hmac.c: mcast_state`). Called only once the tag verified, so
    /// forged sources cannot churn the table.
    fn multicast_mark(&mut self, src: IpAddr) -> Option<&mut ReplayMark> {
        self.lru_clock = self.lru_clock.wrapping_add(1).max(1);
        let rank = self.lru_clock;
        let found = self.senders.iter().position(|s| s.last_used != 0 && s.addr == Some(src));
        let at = match found {
            Some(at) => at,
            None => self.senders.iter().enumerate().min_by_key(|(_, s)| s.last_used).map(|(i, _)| i)?,
        };
        let slot = self.senders.get_mut(at)?;
        if found.is_none() {
            *slot = Sender { addr: Some(src), mark: ReplayMark::default(), last_used: rank };
        }
        slot.last_used = rank;
        Some(&mut slot.mark)
    }

    /// Verifies a received advert's trailer (`vrrp_auth_hmac.c: vrrp_auth_hmac_check` and
    /// `vrrp.c: vrrp_auth_ext_verify`), in keepalived's order: presence (by mode), Ext
    /// Type and Reserved, freshness (before the costly HMAC, so replayed captures cannot
    /// force a digest each), key id, tag, then replay against `mark` or, for multicast
    /// (`mark` `None`), the source's slot.
    #[allow(clippy::too_many_arguments)]
    pub fn verify(
        &mut self,
        cfg: &HmacConfig,
        version: Version,
        vrid: u8,
        src: IpAddr,
        message: &[u8],
        trailer: Option<&[u8]>,
        mark: Option<&mut ReplayMark>,
    ) -> Result<(), HmacError> {
        let Some(trailer) = trailer.map(Trailer::new_unchecked) else {
            return match cfg.mode {
                HmacMode::Enforce => Err(HmacError::Missing),
                HmacMode::ReceiveOnly | HmacMode::Permissive => Ok(()),
            };
        };
        if trailer.ext_type() != EXT_TYPE_SHA256 || trailer.reserved() != 0 {
            return Err(HmacError::Malformed);
        }
        let seq = trailer.sequence();
        let now = cfg.authenticator.wall_clock();
        if let AntiReplay::Time { window_s } = cfg.anti_replay {
            let skew_s = now.secs.wrapping_sub((seq >> 32) as u32) as i32;
            if skew_s.unsigned_abs() > u32::from(window_s) {
                return Err(HmacError::Stale { skew_s });
            }
        }
        let key = cfg.key(trailer.key_id()).ok_or(HmacError::UnknownKey(trailer.key_id()))?;
        let want = compute_tag(cfg.authenticator, key.bytes(), version, vrid, src, message, &trailer.covered());
        if !tags_equal(&want, &trailer.tag()) {
            return Err(HmacError::BadTag);
        }
        let mark = match mark {
            Some(mark) => Some(mark),
            None => self.multicast_mark(src),
        };
        if mark.is_some_and(|m| m.accept(seq, cfg.anti_replay, now)) {
            Ok(())
        } else {
            Err(HmacError::Replay)
        }
    }
}

/// Appends a signed trailer to the advert `buf[..message_len]` (`vrrp_auth_hmac.c:
/// vrrp_auth_hmac_sign`) with sequence `seq` and the active key, and for IPv6 recomputes
/// the checksum over the whole payload as the kernel does for keepalived. Returns the new
/// length. `ctx` is the advert's source and destination.
pub fn sign(
    cfg: &HmacConfig,
    version: Version,
    ctx: &ChecksumContext,
    buf: &mut [u8],
    message_len: usize,
    seq: u64,
) -> Result<usize, super::Error> {
    let total = message_len + TRAILER_LEN;
    let key = cfg.key(cfg.active_key).ok_or(super::Error::Unrepresentable)?;
    let (message, rest) = buf.get_mut(..total).ok_or(super::Error::BufferTooSmall)?.split_at_mut(message_len);
    let vrid = Packet::new_unchecked(&*message).vrid();
    let mut trailer = Trailer::new_unchecked(rest);
    trailer.set_header(cfg.active_key, seq);
    let tag = compute_tag(cfg.authenticator, key.bytes(), version, vrid, ctx.src, message, &trailer.covered());
    trailer.set_tag(&tag);
    if Family::of(&ctx.src) == Family::Ipv6 {
        let payload = buf.get_mut(..total).ok_or(super::Error::BufferTooSmall)?;
        Packet::new_unchecked(&mut *payload).set_checksum(0);
        let sum = checksum::compute(payload, Some(ctx)).ok_or(super::Error::Unrepresentable)?;
        Packet::new_unchecked(&mut *payload).set_checksum(sum);
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
