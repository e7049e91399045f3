//! Input traces for vrrp-core, replayed through [`vrrp_core::Driver`], and the digest of
//! everything the core does with them.
//!
//! One place for the three things the host and the firmware must agree on byte for byte:
//!
//! - the trace format ([`Reader`]; the writer, [`write`], is host-only): a trace is a few
//!   routers (each a list of [`InstanceConfig`]s) and the inputs each received, in order,
//!   each stamped with its virtual time;
//! - the replay ([`replay`]): each router is a `Driver`, each input one driver call, with
//!   the simulator's node semantics (a crash drops the instances, a restart boots fresh
//!   ones from the configuration, a priority change is kept across restarts);
//! - the digest ([`Fnv`]): FNV-1a 64 over the `Debug` text of every [`Output`]: every
//!   action with its fields, every advert's bytes, every receive verdict, the next
//!   deadline after every input, and the counters at the end.
//!
//! `Debug` text is the same on every target (it prints integers and enum names), so two
//! digests are equal exactly when the two runs did the same thing.
//!
//! No `std`, no allocation: the firmware (benches/embedded) links this for
//! `thumbv7em-none-eabihf` with `default-features = false`.

#![cfg_attr(not(feature = "export"), no_std)]
#![forbid(unsafe_code)]

use core::fmt::{self, Write as _};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::instance::{Accepted, Reason, State};
use vrrp_core::router::{Discarded, InstanceId};
use vrrp_core::time::Duration;
use vrrp_core::wire::{Auth, ChecksumForm, Version};
use vrrp_core::{ConfigError, Driver, Inbound, Instance, InstanceConfig, Instant, Io};

#[cfg(feature = "export")]
mod writer;
#[cfg(feature = "export")]
pub use writer::{write, TraceWriter};

/// File magic, then a format version byte.
pub const MAGIC: &[u8; 4] = b"VRTR";
/// Format version.
pub const FORMAT: u8 = 1;
/// The most routers in one trace.
pub const MAX_NODES: usize = 4;
/// The most instances per router in a trace.
pub const MAX_INSTANCES: usize = 4;
/// The longest trace name.
pub const MAX_NAME: usize = 48;

/// FNV-1a, 64 bits: tiny, no tables, the same on every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Mixes `bytes` in.
    pub fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.update(s.as_bytes());
        Ok(())
    }
}

/// Why a trace file could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Not a trace file, or another format version.
    Magic,
    /// The file ends inside a record.
    Truncated,
    /// A field holds a value the format does not define.
    Invalid(&'static str),
    /// More routers, instances or name bytes than this build holds.
    TooLarge,
    /// A configuration the core refused.
    Config(ConfigError),
}

/// One input to one router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// Process start: fresh instances if crashed, then (interface down first if it is)
    /// the Startup event for each. Nothing if already running.
    Start,
    /// The router dies: instances dropped, no goodbye.
    Crash,
    /// Graceful stop: Shutdown event for each instance.
    Shutdown,
    /// The interface went up or down.
    Link {
        /// Interface.
        ifindex: u32,
        /// Up.
        up: bool,
    },
    /// Tracking changed an instance's priority (kept across restarts; ignored for owners).
    SetPriority {
        /// Instance index.
        instance: u16,
        /// New priority.
        priority: u8,
    },
    /// The operator handed an instance's mastership over (`vrrpctl handover`).
    Handover {
        /// Instance index.
        instance: u16,
    },
    /// Tracking put an instance into FAULT or let it out.
    TrackingFault {
        /// Instance index.
        instance: u16,
        /// Fault.
        fault: bool,
    },
    /// A VRRP packet arrived.
    Packet {
        /// Interface.
        ifindex: u32,
        /// IP source.
        src: IpAddr,
        /// IP destination.
        dst: IpAddr,
        /// TTL / hop limit.
        ttl: u8,
        /// The VRRP message.
        bytes: &'a [u8],
    },
    /// The router's earliest deadline came: fire what is due.
    Timer,
}

/// An input and when it happened, to which router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// Router index in the trace.
    pub node: u8,
    /// Virtual time, µs.
    pub at: u64,
    /// What.
    pub input: Input<'a>,
}

/// Everything a replay produces, in order. The digest is over these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output<'a> {
    /// An input was applied (the outputs after it, up to the next one, are its effects).
    Input(Event<'a>),
    /// An advert left.
    Advert {
        /// Router.
        node: u8,
        /// Instance.
        id: u16,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// VIPs added.
    AddVips {
        /// Router.
        node: u8,
        /// Instance.
        id: u16,
    },
    /// VIPs removed.
    RemoveVips {
        /// Router.
        node: u8,
        /// Instance.
        id: u16,
    },
    /// VIPs announced.
    Announce {
        /// Router.
        node: u8,
        /// Instance.
        id: u16,
    },
    /// A state change.
    State {
        /// Router.
        node: u8,
        /// Instance.
        id: u16,
        /// From.
        from: State,
        /// To.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// An advert the core could not write.
    AdvertFailed {
        /// Router.
        node: u8,
        /// Instance.
        id: u16,
    },
    /// What the router made of a packet.
    Received(Result<(InstanceId, Accepted), Discarded>),
    /// What `set_priority` returned.
    Priority(Result<(), ConfigError>),
    /// The router's next deadline after the input.
    Deadline(Option<Instant>),
    /// At the end: one instance's counters.
    Stats {
        /// Router.
        node: u8,
        /// Instance.
        id: u16,
        /// Its state.
        state: State,
        /// Its counters, as `Debug` text is hashed.
        stats: &'a vrrp_core::Stats,
    },
    /// At the end: a router's own counters.
    RouterStats {
        /// Router.
        node: u8,
        /// Counters.
        stats: &'a vrrp_core::RouterStats,
    },
}

/// The sum of a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// FNV-1a 64 of every output's `Debug` text, each followed by a newline.
    pub digest: u64,
    /// How many inputs.
    pub inputs: u32,
    /// How many outputs (inputs included).
    pub outputs: u32,
}

/// A cursor over a trace file.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Opens a trace file: checks the magic and version, returns the reader and the number
    /// of traces in it.
    pub fn open(data: &'a [u8]) -> Result<(Reader<'a>, u16), FormatError> {
        let mut r = Reader { data, at: 0 };
        if r.take(4)? != MAGIC || r.u8()? != FORMAT {
            return Err(FormatError::Magic);
        }
        let count = r.u16()?;
        Ok((r, count))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.at.checked_add(n).ok_or(FormatError::Truncated)?;
        let out = self.data.get(self.at..end).ok_or(FormatError::Truncated)?;
        self.at = end;
        Ok(out)
    }

    fn array<const K: usize>(&mut self) -> Result<[u8; K], FormatError> {
        let mut out = [0u8; K];
        out.copy_from_slice(self.take(K)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, FormatError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, FormatError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn bool(&mut self) -> Result<bool, FormatError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(FormatError::Invalid("bool")),
        }
    }

    fn addr(&mut self) -> Result<IpAddr, FormatError> {
        match self.u8()? {
            4 => Ok(IpAddr::V4(Ipv4Addr::from(self.array::<4>()?))),
            6 => Ok(IpAddr::V6(Ipv6Addr::from(self.array::<16>()?))),
            _ => Err(FormatError::Invalid("address family")),
        }
    }

    fn opt_duration(&mut self) -> Result<Option<Duration>, FormatError> {
        Ok(if self.bool()? { Some(Duration::from_micros(self.u64()?)) } else { None })
    }

    fn config(&mut self) -> Result<InstanceConfig, FormatError> {
        let ifindex = self.u32()?;
        let vrid = self.u8()?;
        let version = match self.u8()? {
            2 => Version::V2,
            3 => Version::V3,
            _ => return Err(FormatError::Invalid("version")),
        };
        let primary = self.addr()?;
        let mut c = InstanceConfig::new(ifindex, vrid, version, primary);
        c.priority = self.u8()?;
        c.advert_interval_cs = self.u16()?;
        c.preempt = self.bool()?;
        c.preempt_delay = Duration::from_micros(self.u64()?);
        c.accept_mode = self.bool()?;
        c.auth = match self.u8()? {
            0 => Auth::None,
            1 => Auth::SimpleText(self.array()?),
            2 => Auth::IpAh,
            _ => return Err(FormatError::Invalid("auth")),
        };
        c.checksum_form = match self.u8()? {
            0 => ChecksumForm::PseudoHeader,
            1 => ChecksumForm::MessageOnly,
            _ => return Err(FormatError::Invalid("checksum form")),
        };
        c.announce_delay = self.opt_duration()?;
        c.announce_refresh = self.opt_duration()?;
        for _ in 0..self.u8()? {
            let vip = self.addr()?;
            c.vips.push(vip).map_err(|_| FormatError::TooLarge)?;
        }
        Ok(c)
    }

    fn event(&mut self) -> Result<Event<'a>, FormatError> {
        let node = self.u8()?;
        let at = self.u64()?;
        let input = match self.u8()? {
            0 => Input::Start,
            1 => Input::Crash,
            2 => Input::Shutdown,
            3 => Input::Link { ifindex: self.u32()?, up: self.bool()? },
            4 => Input::SetPriority { instance: self.u16()?, priority: self.u8()? },
            5 => Input::TrackingFault { instance: self.u16()?, fault: self.bool()? },
            6 => {
                let (ifindex, src, dst, ttl) = (self.u32()?, self.addr()?, self.addr()?, self.u8()?);
                let len = usize::from(self.u16()?);
                Input::Packet { ifindex, src, dst, ttl, bytes: self.take(len)? }
            }
            7 => Input::Timer,
            8 => Input::Handover { instance: self.u16()? },
            _ => return Err(FormatError::Invalid("input kind")),
        };
        Ok(Event { node, at, input })
    }
}

/// One trace of a file: its name, routers and inputs, not yet replayed.
#[derive(Debug)]
pub struct Trace<'a> {
    /// The scenario's name.
    pub name: heapless::String<MAX_NAME>,
    /// Each router's instances.
    pub nodes: heapless::Vec<heapless::Vec<InstanceConfig, MAX_INSTANCES>, MAX_NODES>,
    events: Reader<'a>,
    count: u32,
}

impl<'a> Reader<'a> {
    /// Reads the next trace's header; [`replay`] then consumes its events, and the reader
    /// is left at the trace after it.
    pub fn next_trace(&mut self) -> Result<Trace<'a>, FormatError> {
        let len = usize::from(self.u8()?);
        let name = core::str::from_utf8(self.take(len)?).map_err(|_| FormatError::Invalid("name"))?;
        let name = heapless::String::try_from(name).map_err(|_| FormatError::TooLarge)?;
        let mut nodes = heapless::Vec::new();
        for _ in 0..self.u8()? {
            let mut cfgs = heapless::Vec::new();
            for _ in 0..self.u8()? {
                let cfg = self.config()?;
                cfgs.push(cfg).map_err(|_| FormatError::TooLarge)?;
            }
            nodes.push(cfgs).map_err(|_| FormatError::TooLarge)?;
        }
        let count = self.u32()?;
        let bytes = usize::try_from(self.u32()?).map_err(|_| FormatError::TooLarge)?;
        let events = Reader { data: self.take(bytes)?, at: 0 };
        Ok(Trace { name, nodes, events, count })
    }
}

/// The `Io` of one replayed router: forwards every callback as an [`Output`].
struct Sink<'s, F: FnMut(Output<'_>)> {
    node: u8,
    out: &'s mut F,
}

impl<F: FnMut(Output<'_>)> Io for Sink<'_, F> {
    fn send_advert(&mut self, id: InstanceId, _: &Instance, advert: &[u8]) {
        (self.out)(Output::Advert { node: self.node, id: id.0, bytes: advert });
    }
    fn add_vips(&mut self, id: InstanceId, _: &Instance) {
        (self.out)(Output::AddVips { node: self.node, id: id.0 });
    }
    fn remove_vips(&mut self, id: InstanceId, _: &Instance) {
        (self.out)(Output::RemoveVips { node: self.node, id: id.0 });
    }
    fn announce(&mut self, id: InstanceId, _: &Instance) {
        (self.out)(Output::Announce { node: self.node, id: id.0 });
    }
    fn state_changed(&mut self, id: InstanceId, _: &Instance, from: State, to: State, reason: Reason) {
        (self.out)(Output::State { node: self.node, id: id.0, from, to, reason });
    }
    fn advert_failed(&mut self, id: InstanceId, _: &Instance, _: vrrp_core::wire::Error) {
        (self.out)(Output::AdvertFailed { node: self.node, id: id.0 });
    }
}

/// One replayed router, with the simulator's node semantics.
struct Node {
    cfgs: heapless::Vec<InstanceConfig, MAX_INSTANCES>,
    driver: Option<Driver<MAX_INSTANCES>>,
    running: bool,
    link_up: bool,
}

impl Node {
    fn boot(&mut self) -> Result<(), FormatError> {
        let mut d = Driver::new();
        for c in &self.cfgs {
            d.add(c.clone()).map_err(|e| match e {
                vrrp_core::router::AddError::Config(c) => FormatError::Config(c),
                _ => FormatError::TooLarge,
            })?;
        }
        self.driver = Some(d);
        Ok(())
    }

    fn apply<F: FnMut(Output<'_>)>(&mut self, e: &Event<'_>, out: &mut F) -> Result<(), FormatError> {
        let now = Instant::from_micros(e.at);
        let mut io = Sink { node: e.node, out };
        match e.input {
            Input::Start => {
                if self.driver.is_none() {
                    self.boot()?;
                }
                if !self.running {
                    self.running = true;
                    if let Some(d) = self.driver.as_mut() {
                        if !self.link_up {
                            let ifindex = self.cfgs.first().map_or(0, |c| c.ifindex);
                            d.on_link(&now, &mut io, ifindex, false);
                        }
                        d.start_all(&now, &mut io);
                    }
                }
            }
            Input::Crash => {
                self.driver = None;
                self.running = false;
            }
            Input::Shutdown => {
                if let (Some(d), true) = (self.driver.as_mut(), self.running) {
                    self.running = false;
                    d.shutdown_all(&now, &mut io);
                }
            }
            Input::Link { ifindex, up } => {
                self.link_up = up;
                if let Some(d) = self.driver.as_mut() {
                    d.on_link(&now, &mut io, ifindex, up);
                }
            }
            Input::SetPriority { instance, priority } => {
                let cfg = self.cfgs.get_mut(usize::from(instance)).ok_or(FormatError::Invalid("instance"))?;
                if !cfg.is_owner() {
                    cfg.priority = priority;
                    if let Some(d) = self.driver.as_mut() {
                        let r = d.set_priority(&now, &mut io, InstanceId(instance), priority);
                        (io.out)(Output::Priority(r));
                    }
                }
            }
            Input::Handover { instance } => {
                if let Some(d) = self.driver.as_mut() {
                    d.handover(&now, &mut io, InstanceId(instance));
                }
            }
            Input::TrackingFault { instance, fault } => {
                if let Some(d) = self.driver.as_mut() {
                    d.set_tracking_fault(&now, &mut io, InstanceId(instance), fault);
                }
            }
            Input::Packet { ifindex, src, dst, ttl, bytes } => {
                if let Some(d) = self.driver.as_mut() {
                    let r = d.on_packet(&now, &mut io, Inbound { ifindex, src, dst, ttl, bytes });
                    (io.out)(Output::Received(r));
                }
            }
            Input::Timer => {
                if let Some(d) = self.driver.as_mut() {
                    d.on_timer(&now, &mut io);
                }
            }
        }
        let deadline = self.driver.as_ref().and_then(Driver::next_deadline);
        (io.out)(Output::Deadline(deadline));
        Ok(())
    }
}

/// Replays `trace`, handing every output to `out` (the host's cross-check looks at them;
/// the firmware passes `|_| {}`), and returns the digest over them.
pub fn replay(trace: &mut Trace<'_>, mut out: impl FnMut(Output<'_>)) -> Result<Summary, FormatError> {
    let mut nodes: heapless::Vec<Node, MAX_NODES> = heapless::Vec::new();
    for cfgs in &trace.nodes {
        let node = Node { cfgs: cfgs.clone(), driver: None, running: false, link_up: true };
        nodes.push(node).map_err(|_| FormatError::TooLarge)?;
    }
    let mut hash = Fnv::default();
    let mut outputs = 0u32;
    let mut emit = |o: Output<'_>| {
        outputs = outputs.saturating_add(1);
        // Writing to an Fnv cannot fail.
        let _ = writeln!(hash, "{o:?}");
        out(o);
    };
    for _ in 0..trace.count {
        let e = trace.events.event()?;
        emit(Output::Input(e));
        let node = nodes.get_mut(usize::from(e.node)).ok_or(FormatError::Invalid("node"))?;
        node.apply(&e, &mut emit)?;
    }
    for (n, node) in nodes.iter().enumerate() {
        let Some(d) = node.driver.as_ref() else { continue };
        for (id, inst) in d.router().iter() {
            emit(Output::Stats { node: n as u8, id: id.0, state: inst.state(), stats: inst.stats() });
        }
        emit(Output::RouterStats { node: n as u8, stats: d.router().stats() });
    }
    Ok(Summary { digest: hash.0, inputs: trace.count, outputs })
}

#[cfg(all(test, feature = "export"))]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn fnv1a_64_matches_the_published_test_vectors() {
        let mut h = Fnv::default();
        assert_eq!(h.0, 0xcbf29ce484222325);
        h.update(b"a");
        assert_eq!(h.0, 0xaf63dc4c8601ec8c);
        let mut h = Fnv::default();
        h.update(b"foobar");
        assert_eq!(h.0, 0x85944171f73967e8);
    }

    fn preempt_trace(advert_priority: u8) -> std::vec::Vec<u8> {
        let primary = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11));
        let mut c = InstanceConfig::new(1, 51, Version::V3, primary);
        c.priority = 200;
        c.vips.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))).unwrap();
        let mut peer = c.clone();
        peer.primary_address = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 12));
        let mut buf = [0u8; 64];
        let n = Instance::new(peer).unwrap().write_advert(advert_priority, &mut buf).unwrap();
        let mut w = TraceWriter::new("t", std::vec![std::vec![c]]);
        w.push(Event { node: 0, at: 0, input: Input::Start });
        let src = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 12));
        let dst = IpAddr::V4(vrrp_core::wire::GROUP_V4);
        w.push(Event { node: 0, at: 1000, input: Input::Packet { ifindex: 1, src, dst, ttl: 255, bytes: &buf[..n] } });
        w.push(Event { node: 0, at: 3_500_000, input: Input::Timer });
        w.push(Event { node: 0, at: 4_000_000, input: Input::Crash });
        w.push(Event { node: 0, at: 5_000_000, input: Input::Start });
        crate::write(&[w])
    }

    fn run(file: &[u8]) -> (Summary, std::vec::Vec<std::string::String>) {
        let (mut r, count) = Reader::open(file).unwrap();
        assert_eq!(count, 1);
        let mut t = r.next_trace().unwrap();
        let mut seen = std::vec::Vec::new();
        let sum = replay(&mut t, |o| seen.push(std::format!("{o:?}"))).unwrap();
        (sum, seen)
    }

    #[test]
    fn what_is_written_replays_input_for_input() {
        let (sum, seen) = run(&preempt_trace(100));
        assert_eq!(sum.inputs, 5);
        assert_eq!(sum.outputs as usize, seen.len());
        // A backup of priority 200 hears a master of 100 and preempts it when its down
        // timer fires (RFC 9568 §6.4.2); the
        // crash loses the instance; the restart boots a fresh one into Backup.
        let text = seen.join("\n");
        assert!(text.contains("from: Backup, to: Master, reason: Preempted"), "{text}");
        assert_eq!(text.matches("from: Initialize, to: Backup").count(), 2, "{text}");
        let mut h = Fnv::default();
        for line in &seen {
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        assert_eq!(h.0, sum.digest, "the digest is FNV-1a over the outputs' Debug lines");
    }

    #[test]
    fn a_handover_input_replays_as_the_operator_s_handover() {
        let primary = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11));
        let mut c = InstanceConfig::new(1, 51, Version::V3, primary);
        c.priority = 200;
        c.vips.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))).unwrap();
        let mut w = TraceWriter::new("h", std::vec![std::vec![c]]);
        w.push(Event { node: 0, at: 0, input: Input::Start });
        w.push(Event { node: 0, at: 3_300_000, input: Input::Timer });
        w.push(Event { node: 0, at: 4_000_000, input: Input::Handover { instance: 0 } });
        let (sum, seen) = run(&crate::write(&[w]));
        assert_eq!(sum.inputs, 3);
        let text = seen.join("\n");
        assert!(text.contains("from: Master, to: Backup, reason: Handover"), "{text}");
        // The goodbye: version 3 type 1, VRID 51, priority 0.
        assert!(text.contains("Advert { node: 0, id: 0, bytes: [49, 51, 0,"), "{text}");
    }

    #[test]
    fn one_changed_advert_byte_changes_the_digest() {
        let (a, _) = run(&preempt_trace(100));
        let (b, _) = run(&preempt_trace(101));
        assert_eq!((a.inputs, a.outputs), (b.inputs, b.outputs));
        assert_ne!(a.digest, b.digest);
    }

    #[test]
    fn a_truncated_trace_is_an_error_not_a_panic() {
        let file = preempt_trace(100);
        for cut in 0..file.len() {
            let Ok((mut r, _)) = Reader::open(&file[..cut]) else { continue };
            let result = r.next_trace().and_then(|mut t| replay(&mut t, |_| {}));
            assert!(result.is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_file_that_is_not_a_trace_is_refused() {
        assert_eq!(Reader::open(b"NOPE\x01\x00\x00").err(), Some(FormatError::Magic));
        assert_eq!(Reader::open(b"VRTR").err(), Some(FormatError::Truncated));
    }
}
