//! What `vrrpctl status` shows: the JSON document and the table.
//!
//! States use keepalived's words (INIT, BACKUP, MASTER, FAULT), as operators grep for them.
//! Fields that are core enums hold those enums and are written with the core's own names
//! ([`State::as_str`], [`Family::as_str`], [`Version::number`], the RFC 6527 reasons'
//! `as_str`); the counters are written from the core's visitors ([`Stats::counters`],
//! [`RouterStats::counters`]), so a new counter appears in the JSON and the table at once.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Unexpected, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use vrrp_core::instance::Reason;
use vrrp_core::stats::{Counter, CounterKind, NewMasterReason, ProtoErrReason};
use vrrp_core::wire::{Family, Version};
use vrrp_core::{Instance, InstanceConfig, RouterStats, State, Stats};

/// `vrrpctl status --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Every configured instance.
    pub instances: Vec<InstanceStatus>,
    /// Router-wide receive errors (RFC 6527 vrrpv3Router*).
    #[serde(default)]
    pub router: RouterCounters,
    /// How punctually the protocol timer fired.
    #[serde(default)]
    pub timer: TimerCounters,
    /// The VRRP sockets' syscalls, adverts and datagrams, and the loop's wake-ups.
    #[serde(default)]
    pub io: IoCounters,
    /// Every running `vrrp_sync_group`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sync_groups: Vec<SyncGroupStatus>,
}

/// One sync group: its state (INIT, BACKUP, MASTER, FAULT) and members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncGroupStatus {
    pub name: String,
    #[serde(with = "named")]
    pub state: State,
    pub members: Vec<String>,
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

/// The VRRP sockets' I/O since start: with batching (`sendmmsg` per socket per wake-up,
/// `recvmmsg` in batches) `send_syscalls` / `adverts_sent` and `recv_syscalls` /
/// `packets_received` say how many syscalls one advert costs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoCounters {
    /// Send syscalls on the VRRP sockets (`sendmmsg`, and `sendmsg` / `sendto` for
    /// unicast copies and adverts that found the queue full).
    pub send_syscalls: u64,
    /// Adverts (and unicast copies) the kernel took.
    pub adverts_sent: u64,
    /// Receive syscalls (`recvmmsg`), those that found nothing included.
    pub recv_syscalls: u64,
    /// Datagrams received, malformed ones included.
    pub packets_received: u64,
    /// Wake-ups of the event loop (each event it handled).
    pub wakeups: u64,
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
    #[serde(with = "named")]
    pub family: Family,
    /// 2 or 3.
    #[serde(with = "version_number")]
    pub version: Version,
    /// INIT, BACKUP, MASTER or FAULT.
    #[serde(with = "named")]
    pub state: State,
    /// Configured priority.
    pub priority: u8,
    /// Priority in effect now.
    pub effective_priority: u8,
    /// The master's address (ours when MASTER), if known.
    pub master_ip: Option<String>,
    /// How many different routers (this one included, once it has been master) it has
    /// known as master since vrrpd started, counted up to 64 (64 reads "64 or more").
    /// Absent from an older vrrpd's document: 0.
    #[serde(default)]
    pub distinct_masters: u64,
    /// Configured advert interval, centiseconds.
    pub advert_int_cs: u16,
    /// State changes since start by new state and reason, only those that happened.
    /// Absent from an older vrrpd's document: none.
    #[serde(default)]
    pub transitions: Vec<Transition>,
    /// Virtual addresses, with prefix.
    pub vips: Vec<String>,
    /// Counters: the two RFC 6527 reasons by name, then every [`Stats::counters`] entry
    /// under its key. Reading back, a missing counter is 0 and an unknown key is ignored
    /// (vrrpctl and vrrpd of different versions), an unknown reason is an error.
    #[serde(with = "instance_counters")]
    pub stats: Stats,
    /// Why it waits, FAULT, for its interface (`file:line:col: interface … `); `None` once
    /// it runs. Absent from an older vrrpd's document: running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
}

/// Router-wide counters: the core's plus the daemon's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouterCounters {
    /// The core's (RFC 6527 vrrpv3Router*).
    pub stats: RouterStats,
    /// Datagrams the socket layer could not even take apart (bad IP header, truncated).
    pub malformed_packets: u64,
}

impl RouterCounters {
    /// Key of [`RouterCounters::malformed_packets`].
    pub const MALFORMED_PACKETS: &'static str = "malformed_packets";

    /// From the core's router counters plus the daemon's own.
    pub fn new(s: &RouterStats, malformed_packets: u64) -> Self {
        RouterCounters { stats: *s, malformed_packets }
    }

    /// Every counter: [`RouterStats::counters`], then `malformed_packets`.
    pub fn counters(&self) -> impl Iterator<Item = Counter> {
        let malformed = Counter {
            key: Self::MALFORMED_PACKETS,
            mib: None,
            kind: CounterKind::RxError,
            value: self.malformed_packets,
        };
        self.stats.counters().into_iter().chain(std::iter::once(malformed))
    }
}

impl Serialize for RouterCounters {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for c in self.counters() {
            map.serialize_entry(c.key, &c.value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RouterCounters {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counters;
        impl<'de> Visitor<'de> for Counters {
            type Value = RouterCounters;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of router counters")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RouterCounters, A::Error> {
                let mut out = RouterCounters::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == RouterCounters::MALFORMED_PACKETS {
                        out.malformed_packets = map.next_value()?;
                    } else if out.stats.counters().iter().any(|c| c.key == key) {
                        out.stats.set_counter(&key, map.next_value()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Counters)
    }
}

impl InstanceStatus {
    /// Status of `inst`, configured as `name` on `interface` with `vips`, having known
    /// `distinct_masters` masters and made `transitions` (the daemon counts both; the core
    /// does not).
    pub fn new(
        name: &str,
        interface: &str,
        vips: Vec<String>,
        inst: &Instance,
        distinct_masters: usize,
        transitions: Vec<Transition>,
    ) -> Self {
        let cfg = inst.config();
        InstanceStatus {
            waiting: None,
            name: name.into(),
            interface: interface.into(),
            vrid: cfg.vrid,
            family: cfg.family(),
            version: cfg.version,
            state: inst.state(),
            priority: cfg.priority,
            effective_priority: inst.priority(),
            master_ip: inst.master().map(|m| m.address.to_string()),
            distinct_masters: u64::try_from(distinct_masters).unwrap_or(u64::MAX),
            advert_int_cs: cfg.advert_interval_cs,
            transitions,
            vips,
            stats: *inst.stats(),
        }
    }

    /// An instance configured as `cfg` that waits for its interface (`why`): FAULT, as
    /// keepalived shows it, with nothing counted yet.
    pub fn waiting(name: &str, interface: &str, vips: Vec<String>, cfg: &InstanceConfig, why: &str) -> Self {
        InstanceStatus {
            name: name.into(),
            interface: interface.into(),
            vrid: cfg.vrid,
            family: cfg.family(),
            version: cfg.version,
            state: State::Fault,
            priority: cfg.priority,
            effective_priority: cfg.priority,
            master_ip: None,
            distinct_masters: 0,
            advert_int_cs: cfg.advert_interval_cs,
            transitions: Vec::new(),
            vips,
            stats: Stats::default(),
            waiting: Some(why.into()),
        }
    }

    /// The sum of its receive-error counters (the table's RX_ERR).
    pub fn rx_errors(&self) -> u64 {
        sum_errors(self.stats.counters())
    }
}

fn sum_errors(counters: impl IntoIterator<Item = Counter>) -> u64 {
    counters.into_iter().filter(|c| c.kind == CounterKind::RxError).fold(0, |sum, c| sum.saturating_add(c.value))
}

/// How the table's `router:` line labels a counter (two keep their older, shorter labels).
fn router_label(key: &str) -> &str {
    match key {
        "packet_length_errors" => "length_errors",
        RouterCounters::MALFORMED_PACKETS => "malformed",
        other => other,
    }
}

#[cfg(test)]
impl InstanceStatus {
    /// An IPv4 VRRPv3 instance `name` in `state`, priority 100, no VIPs, zero counters: for
    /// tests of code that reads a [`Status`].
    pub(crate) fn for_test(name: &str, state: State) -> InstanceStatus {
        InstanceStatus {
            waiting: None,
            name: name.into(),
            interface: "eth0".into(),
            vrid: 1,
            family: Family::Ipv4,
            version: Version::V3,
            state,
            priority: 100,
            effective_priority: 100,
            master_ip: None,
            distinct_masters: 0,
            transitions: vec![],
            advert_int_cs: 100,
            vips: vec![],
            stats: Stats::default(),
        }
    }
}

impl Status {
    /// The instance named `name`, or an error naming the ones vrrpd has.
    pub fn instance(&self, name: &str) -> Result<&InstanceStatus, String> {
        self.instances.iter().find(|i| i.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.instances.iter().map(|i| i.name.as_str()).collect();
            format!("vrrpd has no instance {name} (it has: {})", known.join(", "))
        })
    }

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
                match i.family {
                    Family::Ipv4 => "v4",
                    Family::Ipv6 => "v6",
                },
                i.version.number(),
                i.state.as_str(),
                prio,
                i.master_ip.as_deref().unwrap_or("-"),
                u32::from(i.advert_int_cs) * 10,
                i.stats.rcvd_advertisements,
                i.rx_errors(),
                i.vips.join(",")
            );
        }
        for i in &self.instances {
            if let Some(why) = &i.waiting {
                out += &format!("{} waits for its interface: {why}\n", i.name);
            }
        }
        let t = &self.timer;
        out += &format!("timer: fired={} late_max={}us late_over_1ms={}\n", t.fired, t.late_max_us, t.late_over_1ms);
        out += "router:";
        for c in self.router.counters() {
            out += &format!(" {}={}", router_label(c.key), c.value);
        }
        out += "\n";
        out
    }
}

/// A core enum that names itself (the names `vrrpctl status --json` shows): the core's own
/// `ALL`, `as_str` and `from_name`.
trait Named: Copy + Sized + 'static {
    /// Every value.
    const ALL: &'static [Self];
    /// Its name.
    fn name(self) -> &'static str;
    /// The value called `name`.
    fn from_name(name: &str) -> Option<Self>;
}

macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            const ALL: &'static [Self] = &<$t>::ALL;
            fn name(self) -> &'static str {
                self.as_str()
            }
            fn from_name(name: &str) -> Option<Self> {
                <$t>::from_name(name)
            }
        }
    )*};
}

named!(State, Family, NewMasterReason, ProtoErrReason);

/// Reasons go by their machine key (`master_no_response`), not the log text.
impl Named for Reason {
    const ALL: &'static [Self] = &Reason::ALL;
    fn name(self) -> &'static str {
        self.key()
    }
    fn from_name(name: &str) -> Option<Self> {
        Reason::from_key(name)
    }
}

/// How often an instance entered a state for a reason, since vrrpd started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The state entered.
    #[serde(with = "named")]
    pub to: State,
    /// Why ([`Reason::key`]).
    #[serde(with = "named")]
    pub reason: Reason,
    pub count: u64,
}

/// The accepted names, for "expected one of …".
struct OneOf<T>(std::marker::PhantomData<T>);

impl<T: Named> de::Expected for OneOf<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("one of ")?;
        for (n, v) in T::ALL.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "\"{}\"", v.name())?;
        }
        Ok(())
    }
}

/// `#[serde(with = "named")]`: a [`Named`] enum as its name.
mod named {
    use super::*;

    /// Writes the name.
    pub fn serialize<T: Named, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.name())
    }

    /// Reads a name; anything else is an error listing the accepted names.
    pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        let name = String::deserialize(deserializer)?;
        T::from_name(&name)
            .ok_or_else(|| de::Error::invalid_value(Unexpected::Str(&name), &OneOf::<T>(std::marker::PhantomData)))
    }
}

/// `#[serde(with = "version_number")]`: a [`Version`] as 2 or 3.
mod version_number {
    use super::*;

    /// Writes 2 or 3.
    pub fn serialize<S: Serializer>(version: &Version, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(version.number())
    }

    /// Reads 2 or 3; anything else is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Version, D::Error> {
        let n = u8::deserialize(deserializer)?;
        Version::from_number(n).ok_or_else(|| de::Error::invalid_value(Unexpected::Unsigned(n.into()), &"2 or 3"))
    }
}

/// A [`Named`] value read inside a map.
struct ByName<T>(T);

impl<'de, T: Named> Deserialize<'de> for ByName<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        named::deserialize(deserializer).map(ByName)
    }
}

/// `#[serde(with = "instance_counters")]`: [`Stats`] as the `stats` object.
mod instance_counters {
    use super::*;

    const NEW_MASTER_REASON: &str = "new_master_reason";
    const PROTO_ERR_REASON: &str = "proto_err_reason";

    /// The two reasons by name, then every counter under its key.
    pub fn serialize<S: Serializer>(stats: &Stats, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(NEW_MASTER_REASON, stats.new_master_reason.as_str())?;
        map.serialize_entry(PROTO_ERR_REASON, stats.proto_err_reason.as_str())?;
        for c in stats.counters() {
            map.serialize_entry(c.key, &c.value)?;
        }
        map.end()
    }

    /// The reverse; a missing counter is 0, an unknown key is skipped.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Stats, D::Error> {
        struct Counters;
        impl<'de> Visitor<'de> for Counters {
            type Value = Stats;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of VRRP counters")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Stats, A::Error> {
                let mut stats = Stats::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == NEW_MASTER_REASON {
                        stats.new_master_reason = map.next_value::<ByName<_>>()?.0;
                    } else if key == PROTO_ERR_REASON {
                        stats.proto_err_reason = map.next_value::<ByName<_>>()?.0;
                    } else if stats.counters().iter().any(|c| c.key == key) {
                        stats.set_counter(&key, map.next_value()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(stats)
            }
        }
        deserializer.deserialize_map(Counters)
    }
}

#[cfg(test)]
mod tests;
