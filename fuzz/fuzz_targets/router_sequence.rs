//! Router state machine: a `Router<8>` with a fixed set of instances (v2 and v3, IPv4 and
//! IPv6, an address owner, different priorities), driven by a structure-aware sequence
//! of packets, time steps, timeouts, link events, priority changes, startups and
//! shutdowns.
//!
//! Packets are either raw bytes or well-formed adverts built from arbitrary fields
//! (aimed at a configured instance by default, so the receive checks pass and the state
//! machine moves), optionally corrupted afterwards.
//!
//! Time only moves forward. Every time step is followed by `handle_timeout(now)`, as
//! in a real event loop, so after each op no deadline may be in the past.
//!
//! After every op, all pending actions are drained and checked:
//! - each `StateChanged` is legal (`from != to`, `State::can_become(from, to)`), starts
//!   from the state the previous change reported, and has a reason that fits its target;
//!   the address owner becomes Backup only by losing a v3 election to another owner
//!   (RFC 9568 erratum 8298);
//! - each `SendAdvert` serialises with `write_advert` and parses back (same VRID,
//!   priority, version, addresses); its priority is the instance's or 0;
//! - an advert sent because of a received packet (RFC 9568 §6.4.3's replies to a lower
//!   priority or to priority 0) comes at least one advert interval after the previous
//!   such advert of that instance, however many packets arrive;
//! - `AddVips` / `RemoveVips` alternate, VIPs are held exactly while Master or while a
//!   handover (graceful stop, operator handover, preemption) releases them, no longer than
//!   Master_Down_Interval or the linger after the successor, and `Announce` only happens while they are held;
//! - no action was dropped;
//! - each instance's `poll_timeout` is after `now`, present exactly in Backup and
//!   Master or while releasing, and `Router::poll_timeout` is the minimum over the
//!   instances.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vrrp_core::config::PRIORITY_OWNER;
use vrrp_core::router::AddError;
use vrrp_core::wire::{
    self, AddressList, AdvertRepr, Auth, ChecksumContext, ChecksumForm, Family, Packet, Variant,
    Version,
};
use vrrp_core::{Action, Duration, InstanceConfig, InstanceId, Instant, Reason, Router, State};

const CAPACITY: usize = 8;

/// `VRRP_FUZZ_TRACE=1` prints every op, packet verdict and action (for reading a
/// crash or checking what a seed does: `fuzz/target/.../router_sequence FILE`).
fn tracing() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("VRRP_FUZZ_TRACE").is_some())
}

macro_rules! trace {
    ($($t:tt)*) => {
        if tracing() {
            eprintln!($($t)*);
        }
    };
}
const MAX_OPS: usize = 512;

// ---------------------------------------------------------------------------
// Input

#[derive(Arbitrary, Debug)]
struct Input {
    setup: [Knobs; INSTANCES],
    ops: Vec<Op>,
}

/// Per-instance configuration knobs, clamped into valid ranges.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Knobs {
    /// Non-owners: 1..=254. Owners stay 255.
    priority: u8,
    /// v3: 0 means 100 cs, else 1..=4095 cs (mostly <= 200); v2: 1..=4 s.
    interval: u16,
    preempt: bool,
    /// Centiseconds.
    preempt_delay: u8,
    accept_mode: bool,
    message_only_checksum: bool,
    /// Centiseconds; 0 = none.
    announce_delay: u8,
    /// Centiseconds; 0 = none.
    announce_refresh: u8,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Packet(PacketOp),
    /// Time moves on by this many microseconds, then timers fire.
    AdvanceTime(u32),
    /// `handle_timeout` at the current time (normally a no-op).
    Timeout,
    /// Sleep until the router's next deadline (plus some wake-up latency), then fire.
    NextDeadline { latency_us: u16 },
    LinkDown(u8),
    LinkUp(u8),
    SetPriority(u8, u8),
    /// `None`: start all; `Some(i)`: start one.
    Startup(Option<u8>),
    /// `None`: shut all down; `Some(i)`: one.
    Shutdown(Option<u8>),
    /// The instance's primary address changes (host part of the same subnet; or the
    /// other family, which must be refused).
    SetPrimary { instance: u8, host: u8, other_family: bool },
    /// Tracking puts an instance in FAULT (`true`) or lets it out.
    TrackingFault(u8, bool),
    /// The operator hands an instance's mastership over.
    Handover(u8),
    /// Someone else removed one of an instance's VIPs.
    VipRemoved(u8),
}

#[derive(Arbitrary, Debug)]
struct PacketOp {
    /// Arrives this many µs late, processed before the timers of that instant fire.
    late_us: Option<u32>,
    /// `None`: the target instance's interface; else 1..=4 (4 has no instance).
    ifindex: Option<u8>,
    src: SrcSel,
    /// false: the VRRP group; true: a unicast address.
    unicast_dst: bool,
    /// `None`: 255 (valid).
    ttl: Option<u8>,
    payload: Payload,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum SrcSel {
    /// 192.0.2.h / fe80::h (or the target's subnet).
    Host(u8),
    /// The target's own primary address (our advert looped back).
    Own,
    /// IPv4 from another subnet / IPv6 global (not link-local).
    Foreign(u8),
}

#[derive(Arbitrary, Debug)]
enum Payload {
    /// Raw bytes, from an IPv4 source if `v4`.
    Raw { v4: bool, target: u8, bytes: Vec<u8> },
    Advert(AdvertSpec),
}

#[derive(Arbitrary, Debug)]
struct AdvertSpec {
    /// Which instance it is aimed at: VRID, version, family, interface and defaults.
    target: u8,
    priority: u8,
    vrid: Option<u8>,
    other_version: bool,
    /// v2 seconds / v3 centiseconds; `None`: the target's interval.
    interval: Option<u16>,
    addresses: AddrSpec,
    auth: AuthSpec,
    message_only: bool,
    /// XOR one byte (index mod length) after emitting.
    corrupt: Option<(u16, u8)>,
    /// Cut the packet to this length (mod length + 1).
    truncate: Option<u16>,
}

#[derive(Arbitrary, Debug)]
enum AddrSpec {
    Same,
    Reversed,
    FirstOnly,
    Extra(u8),
    Hosts(Vec<u8>),
    Empty,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AuthSpec {
    Same,
    None,
    Simple([u8; 8]),
    Ah,
}

// ---------------------------------------------------------------------------
// The router under test

struct Spec {
    ifindex: u32,
    vrid: u8,
    version: Version,
    primary: IpAddr,
    owner: bool,
    default_priority: u8,
    vips: &'static [IpAddr],
    password: Option<&'static [u8]>,
}

const fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

const fn v6(seg0: u16, last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(seg0, 0, 0, 0, 0, 0, 0, last))
}

const fn db8(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

const INSTANCES: usize = 7;

static SPECS: [Spec; INSTANCES] = [
    // v3 IPv4 backup-ish, two VIPs.
    Spec {
        ifindex: 1,
        vrid: 1,
        version: Version::V3,
        primary: v4(192, 0, 2, 10),
        owner: false,
        default_priority: 100,
        vips: &[v4(192, 0, 2, 100), v4(192, 0, 2, 101)],
        password: None,
    },
    // v2 IPv4 with a simple-text password (keepalived `auth_type PASS`).
    Spec {
        ifindex: 1,
        vrid: 2,
        version: Version::V2,
        primary: v4(192, 0, 2, 10),
        owner: false,
        default_priority: 150,
        vips: &[v4(192, 0, 2, 102)],
        password: Some(b"secret"),
    },
    // v3 IPv4 address owner.
    Spec {
        ifindex: 1,
        vrid: 3,
        version: Version::V3,
        primary: v4(192, 0, 2, 10),
        owner: true,
        default_priority: PRIORITY_OWNER,
        vips: &[v4(192, 0, 2, 10)],
        password: None,
    },
    // v3 IPv6 on interface 2.
    Spec {
        ifindex: 2,
        vrid: 1,
        version: Version::V3,
        primary: v6(0xfe80, 0x10),
        owner: false,
        default_priority: 100,
        vips: &[db8(1), v6(0xfe80, 1)],
        password: None,
    },
    // v2 IPv4 without auth on interface 2.
    Spec {
        ifindex: 2,
        vrid: 5,
        version: Version::V2,
        primary: v4(198, 51, 100, 10),
        owner: false,
        default_priority: 50,
        vips: &[v4(198, 51, 100, 1)],
        password: None,
    },
    // Same interface and VRID as #0 but IPv6: the router keys by family too.
    Spec {
        ifindex: 1,
        vrid: 1,
        version: Version::V3,
        primary: v6(0xfe80, 0x10),
        owner: false,
        default_priority: 200,
        vips: &[db8(2)],
        password: None,
    },
    // IPv6 address owner on interface 3.
    Spec {
        ifindex: 3,
        vrid: 7,
        version: Version::V3,
        primary: v6(0xfe80, 0x30),
        owner: true,
        default_priority: PRIORITY_OWNER,
        vips: &[db8(0x30)],
        password: None,
    },
];

fn config(spec: &Spec, k: &Knobs) -> InstanceConfig {
    let mut c = InstanceConfig::new(spec.ifindex, spec.vrid, spec.version, spec.primary);
    c.priority = if spec.owner {
        PRIORITY_OWNER
    } else if k.priority == 0 || k.priority == PRIORITY_OWNER {
        spec.default_priority
    } else {
        k.priority
    };
    c.advert_interval_cs = match spec.version {
        Version::V2 => 100 * (1 + k.interval % 4),
        // Mostly short intervals (so time steps cross many of them), sometimes long.
        Version::V3 => {
            if k.interval == 0 {
                100
            } else if k.interval & 0x8000 != 0 {
                1 + (k.interval & 0x0fff) % 4095
            } else {
                1 + k.interval % 200
            }
        }
    };
    c.preempt = k.preempt || k.priority == 0;
    c.preempt_delay = Duration::from_centis(u64::from(k.preempt_delay));
    c.accept_mode = k.accept_mode;
    c.auth = match spec.password {
        Some(p) => Auth::simple_text(p),
        None => Auth::None,
    };
    for vip in spec.vips {
        c.vips.push(*vip).expect("vips fit");
    }
    c.checksum_form = if k.message_only_checksum {
        ChecksumForm::MessageOnly
    } else {
        ChecksumForm::PseudoHeader
    };
    c.announce_delay =
        (k.announce_delay != 0).then(|| Duration::from_centis(u64::from(k.announce_delay)));
    c.announce_refresh =
        (k.announce_refresh != 0).then(|| Duration::from_centis(u64::from(k.announce_refresh)));
    c
}

/// What the harness learned from the actions so far.
struct Model {
    state: [State; INSTANCES],
    vips_held: [bool; INSTANCES],
    /// When each instance last sent an advert in reply to a packet.
    last_reply: [Option<Instant>; INSTANCES],
    /// An owner MASTER lost a VIP: it adds its VIPs again while holding them, once.
    restoring: [bool; INSTANCES],
}

struct World {
    router: Router<CAPACITY>,
    now: Instant,
    model: Model,
    /// The op being checked is a packet: any advert it produced is a reply.
    replying: bool,
}

fuzz_target!(|input: Input| {
    let mut router = Router::<CAPACITY>::new();
    for (i, (spec, knobs)) in SPECS.iter().zip(input.setup.iter()).enumerate() {
        let cfg = config(spec, knobs);
        let id = router
            .add(cfg.clone())
            .unwrap_or_else(|e| panic!("harness config {i} refused: {e:?} {cfg:?}"));
        assert_eq!(id, InstanceId(i as u16));
        assert_eq!(router.lookup(spec.ifindex, spec.vrid, cfg.family()), Some(id));
        // Same key again: a duplicate.
        assert_eq!(router.add(cfg), Err(AddError::Duplicate(id)));
    }
    let mut world = World {
        router,
        now: Instant::from_micros(1_000_000),
        model: Model {
            state: [State::Initialize; INSTANCES],
            vips_held: [false; INSTANCES],
            last_reply: [None; INSTANCES],
            restoring: [false; INSTANCES],
        },
        replying: false,
    };
    world.check();
    for op in input.ops.iter().take(MAX_OPS) {
        trace!("[{:?}] {op:?}", world.now);
        world.apply(op);
        world.replying = matches!(op, Op::Packet(_));
        world.check();
        world.replying = false;
    }
    // Whatever happened, a full shutdown is clean: once the handovers time out, no
    // timers and no VIPs are left behind.
    world.router.shutdown_all(world.now);
    world.check();
    for _ in 0..INSTANCES {
        let Some(at) = world.router.poll_timeout() else { break };
        world.now = at;
        world.router.handle_timeout(at);
        world.check();
    }
    assert_eq!(world.router.poll_timeout(), None);
    assert!(!world.router.holds_any_vips());
    assert!(world.model.state.iter().all(|s| *s == State::Initialize));
});

fn pick(i: u8) -> usize {
    usize::from(i) % INSTANCES
}

fn id(i: usize) -> InstanceId {
    InstanceId(i as u16)
}

impl World {
    fn advance(&mut self, micros: u64) {
        self.now = Instant::from_micros(self.now.as_micros().saturating_add(micros));
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now;
        match op {
            Op::Packet(p) => self.packet(p),
            Op::AdvanceTime(us) => {
                self.advance(u64::from(*us));
                self.router.handle_timeout(self.now);
            }
            Op::Timeout => self.router.handle_timeout(now),
            Op::NextDeadline { latency_us } => {
                if let Some(t) = self.router.poll_timeout() {
                    assert!(t > now, "deadline {t:?} not after now {now:?}");
                    self.now = t;
                }
                self.advance(u64::from(*latency_us));
                self.router.handle_timeout(self.now);
            }
            Op::LinkDown(i) => self.router.handle_link(now, 1 + u32::from(*i % 4), false),
            Op::LinkUp(i) => self.router.handle_link(now, 1 + u32::from(*i % 4), true),
            Op::TrackingFault(i, fault) => self.router.set_tracking_fault(now, id(pick(*i)), *fault),
            Op::SetPriority(i, prio) => {
                let i = pick(*i);
                let owner = SPECS[i].owner;
                let before = self.router.get(id(i)).map(|x| x.priority());
                let result = self.router.set_priority(now, id(i), *prio);
                let after = self.router.get(id(i)).map(|x| x.priority());
                let valid = *prio != 0 && ((*prio == PRIORITY_OWNER) == owner);
                assert_eq!(result.is_ok(), valid, "set_priority({prio}) on owner={owner}");
                if valid {
                    assert_eq!(after, Some(*prio));
                } else {
                    assert_eq!(after, before);
                }
            }
            Op::Startup(None) => self.router.start_all(now),
            Op::Startup(Some(i)) => self.router.start(now, id(pick(*i))),
            Op::Shutdown(None) => self.router.shutdown_all(now),
            Op::Shutdown(Some(i)) => self.router.shutdown(now, id(pick(*i))),
            Op::Handover(i) => self.router.handover(now, id(pick(*i))),
            Op::VipRemoved(i) => {
                let i = pick(*i);
                let master = self.router.get(id(i)).is_some_and(|x| x.state() == State::Master);
                self.model.restoring[i] = SPECS[i].owner && master;
                self.router.vip_removed(now, id(i));
            }
            Op::SetPrimary {
                instance,
                host,
                other_family,
            } => {
                let i = pick(*instance);
                let family = Family::of(&SPECS[i].primary);
                let want_v4 = (family == Family::Ipv4) != *other_family;
                let addr = if want_v4 {
                    v4(192, 0, 2, *host)
                } else {
                    v6(0xfe80, u16::from(*host))
                };
                let result = self.router.set_primary_address(id(i), addr);
                assert_eq!(result.is_ok(), !*other_family);
                if !*other_family {
                    assert_eq!(
                        self.router.get(id(i)).map(|x| x.config().primary_address),
                        Some(addr)
                    );
                }
            }
        }
    }

    fn packet(&mut self, p: &PacketOp) {
        let (target, family, bytes) = match &p.payload {
            Payload::Raw { v4, target, bytes } => {
                let family = if *v4 { Family::Ipv4 } else { Family::Ipv6 };
                (pick(*target), family, bytes.clone())
            }
            Payload::Advert(spec) => {
                let target = pick(spec.target);
                let family = Family::of(&SPECS[target].primary);
                let Some(bytes) = self.build_advert(spec, target, p.src, p.unicast_dst) else {
                    return;
                };
                (target, family, bytes)
            }
        };
        let src = source(p.src, family, self.primary_of(target));
        let dst = destination(family, p.unicast_dst);
        let ifindex = match p.ifindex {
            Some(i) => 1 + u32::from(i % 4),
            None => SPECS[target].ifindex,
        };
        let ttl = p.ttl.unwrap_or(wire::TTL);
        if let Some(late) = p.late_us {
            self.advance(u64::from(late));
        }
        // Whatever fell due before the packet arrived is the timers' doing, not a reply to
        // it: handle and check it first, so the reply check below sees only what the packet
        // caused (the router would run these timers inside handle_packet anyway).
        self.router.handle_timeout(self.now);
        self.check();
        let before = *self.router.stats();
        let result = self
            .router
            .handle_packet(self.now, ifindex, src, dst, ttl, &bytes);
        trace!("  {ifindex} {src} -> {dst} ttl {ttl} {bytes:02x?}: {result:?}");
        match result {
            Ok((got, accepted)) => {
                let inst = self.router.get(got).expect("accepted by a known instance");
                let cfg = inst.config();
                assert_eq!(cfg.ifindex, ifindex);
                assert_eq!(cfg.family(), Family::of(&src));
                assert_eq!(Some(cfg.vrid), bytes.get(1).copied());
                assert_eq!(ttl, wire::TTL, "accepted with TTL {ttl}");
                // RFC 9568 erratum 8298: a v3 owner processes (and reports) adverts for
                // its VRID; a v2 owner discards them (RFC 3768 §7.1).
                assert_eq!(accepted.local_owner, cfg.is_owner());
                assert!(
                    !(cfg.is_owner() && cfg.version == Version::V2),
                    "a v2 owner accepted an advert for its own VRID"
                );
                assert_eq!(Some(accepted.priority), bytes.get(2).copied());
                assert_eq!(*self.router.stats(), before);
            }
            Err(d) => {
                if let Some(got) = d.instance {
                    assert!(self.router.get(got).is_some());
                }
            }
        }
        // The packet was handled at `now`; timers due by then fire now.
        self.router.handle_timeout(self.now);
    }

    fn primary_of(&self, i: usize) -> IpAddr {
        self.router
            .get(id(i))
            .map_or(SPECS[i].primary, |x| x.config().primary_address)
    }

    fn build_advert(
        &self,
        spec: &AdvertSpec,
        target: usize,
        src: SrcSel,
        unicast_dst: bool,
    ) -> Option<Vec<u8>> {
        let cfg = self.router.get(id(target))?.config();
        let family = cfg.family();
        let version = match (cfg.version, spec.other_version) {
            (v, false) => v,
            (Version::V2, true) => Version::V3,
            (Version::V3, true) => Version::V2,
        };
        let variant = match version {
            Version::V2 => Variant::V2 {
                adver_int_s: match spec.interval {
                    Some(s) => s as u8,
                    None => (cfg.advert_interval_cs / 100) as u8,
                },
                auth: match spec.auth {
                    AuthSpec::Same => cfg.auth,
                    AuthSpec::None => Auth::None,
                    AuthSpec::Simple(d) => Auth::SimpleText(d),
                    AuthSpec::Ah => Auth::IpAh,
                },
            },
            Version::V3 => Variant::V3 {
                max_adver_int_cs: spec.interval.map_or(cfg.advert_interval_cs, |i| i & 0x0fff),
            },
        };
        let host = |h: u8| match family {
            Family::Ipv4 => v4(192, 0, 2, h),
            Family::Ipv6 => db8(u16::from(h)),
        };
        let mut addrs: Vec<IpAddr> = cfg.vips.iter().copied().collect();
        match &spec.addresses {
            AddrSpec::Same => {}
            AddrSpec::Reversed => addrs.reverse(),
            AddrSpec::FirstOnly => addrs.truncate(1),
            AddrSpec::Extra(h) => addrs.push(host(*h)),
            AddrSpec::Hosts(hs) => addrs = hs.iter().take(40).map(|h| host(*h)).collect(),
            AddrSpec::Empty => addrs.clear(),
        }
        let mut list = match family {
            Family::Ipv4 => AddressList::V4(heapless::Vec::new()),
            Family::Ipv6 => AddressList::V6(heapless::Vec::new()),
        };
        for a in addrs {
            list.push(a).ok()?;
        }
        let repr = AdvertRepr {
            vrid: spec.vrid.unwrap_or(cfg.vrid),
            priority: spec.priority,
            variant,
            addresses: list,
        };
        let ctx = ChecksumContext {
            src: source(src, family, cfg.primary_address),
            dst: destination(family, unicast_dst),
        };
        let form = if spec.message_only {
            ChecksumForm::MessageOnly
        } else {
            ChecksumForm::PseudoHeader
        };
        let mut buf = vec![0u8; wire::MAX_PACKET_LEN];
        // v2 over IPv6 is unrepresentable: nothing to send.
        let n = repr.emit(&mut buf, &ctx, form).ok()?;
        assert_eq!(n, repr.buffer_len());
        buf.truncate(n);
        if let Some((at, x)) = spec.corrupt {
            let at = usize::from(at) % buf.len();
            buf[at] ^= x;
        }
        if let Some(len) = spec.truncate {
            buf.truncate(usize::from(len) % (buf.len() + 1));
        }
        Some(buf)
    }

    /// Drains the actions and checks every invariant.
    fn check(&mut self) {
        let now = self.now;
        // Instances that changed state in this op: an advert that comes with a transition
        // (an owner preempting on a packet, say) is the new master's first, not a reply.
        let mut changed = [false; INSTANCES];
        while let Some((got, action)) = self.router.poll_action() {
            let i = usize::from(got.0);
            trace!("  #{i}: {action:?}");
            assert!(i < INSTANCES, "action for unknown instance {got:?}");
            let inst = self.router.get(got).expect("instance exists");
            let owner = inst.config().is_owner();
            match action {
                Action::StateChanged { from, to, reason } => {
                    assert_ne!(from, to, "#{i}: self-transition {from:?} ({reason:?})");
                    assert!(from.can_become(to), "#{i}: illegal {from:?} -> {to:?}");
                    assert_eq!(
                        from, self.model.state[i],
                        "#{i}: change from {from:?}, but the last reported state was {:?}",
                        self.model.state[i]
                    );
                    let fits = match to {
                        State::Initialize => reason == Reason::Shutdown,
                        State::Fault => matches!(reason, Reason::LinkDown | Reason::TrackingFault),
                        State::Backup => matches!(
                            reason,
                            Reason::Startup
                                | Reason::LinkUp
                                | Reason::TrackingRecovered
                                | Reason::HigherPriority
                                | Reason::Handover
                                | Reason::VipRemoved
                        ),
                        State::Master => matches!(
                            reason,
                            Reason::AddressOwner
                                | Reason::LinkUp
                                | Reason::TrackingRecovered
                                | Reason::MasterNoResponse
                                | Reason::MasterLeft
                                | Reason::Preempted
                        ),
                    };
                    assert!(fits, "#{i}: {from:?} -> {to:?} for reason {reason:?}");
                    if reason == Reason::AddressOwner {
                        assert!(owner, "#{i}: AddressOwner reason for a non-owner");
                    }
                    // An owner is Backup only after losing the election to another
                    // owner (v3, erratum 8298): a higher-priority reason, never v2.
                    assert!(
                        !(owner
                            && to == State::Backup
                            && (reason != Reason::HigherPriority
                                || inst.config().version == Version::V2)),
                        "#{i}: the address owner became Backup ({reason:?})"
                    );
                    self.model.state[i] = to;
                    changed[i] = true;
                }
                Action::SendAdvert { priority } => {
                    assert!(
                        priority == 0 || priority == inst.priority(),
                        "#{i}: advert priority {priority}, instance priority {}",
                        inst.priority()
                    );
                    let mut buf = [0u8; wire::MAX_PACKET_LEN];
                    let n = self
                        .router
                        .write_advert(got, priority, &mut buf)
                        .unwrap_or_else(|e| panic!("#{i}: write_advert failed: {e:?}"));
                    let cfg = inst.config();
                    let ctx = ChecksumContext {
                        src: cfg.primary_address,
                        dst: cfg.family().group(),
                    };
                    let bytes = buf.get(..n).expect("n fits");
                    let repr = AdvertRepr::parse(&Packet::new_unchecked(bytes), &ctx)
                        .unwrap_or_else(|e| panic!("#{i}: own advert does not parse: {e:?}"));
                    assert_eq!(repr.vrid, cfg.vrid);
                    assert_eq!(repr.priority, priority);
                    assert_eq!(repr.version(), cfg.version);
                    assert_eq!(repr.interval_cs(), cfg.advert_interval_cs);
                    assert!(repr.addresses.same_set_as(&cfg.vips));
                    assert_eq!(n, repr.buffer_len());
                    if self.replying && !changed[i] {
                        let interval = Duration::from_centis(u64::from(cfg.advert_interval_cs));
                        if let Some(last) = self.model.last_reply[i] {
                            assert!(
                                now >= last + interval,
                                "#{i}: replied at {last:?} and again at {now:?}"
                            );
                        }
                        self.model.last_reply[i] = Some(now);
                    }
                }
                Action::AddVips => {
                    let restoring = std::mem::take(&mut self.model.restoring[i]);
                    assert!(!self.model.vips_held[i] || restoring, "#{i}: AddVips twice");
                    self.model.vips_held[i] = true;
                }
                Action::RemoveVips => {
                    assert!(self.model.vips_held[i], "#{i}: RemoveVips without AddVips");
                    self.model.vips_held[i] = false;
                }
                Action::Announce => {
                    assert!(self.model.vips_held[i], "#{i}: Announce without VIPs");
                }
            }
        }
        let mut earliest: Option<Instant> = None;
        for (got, inst) in self.router.iter() {
            let i = usize::from(got.0);
            let state = inst.state();
            assert_eq!(state, self.model.state[i], "#{i}: state without a StateChanged");
            let releasing = inst.releasing();
            assert_eq!(
                self.model.vips_held[i],
                state == State::Master || releasing.is_some(),
                "#{i}: VIPs held = {} in {state:?}, releasing {releasing:?}",
                self.model.vips_held[i]
            );
            assert_eq!(self.model.vips_held[i], inst.holds_vips(), "#{i}: holds_vips disagrees");
            if let Some(at) = releasing {
                assert!(state != State::Master, "#{i}: master and releasing");
                let longest = inst.longest_release_hold();
                assert!(at <= now + longest, "#{i}: releases at {at:?}, more than {longest:?} after {now:?}");
            }
            assert_eq!(inst.stats().actions_dropped, 0, "#{i}: actions dropped");
            assert!(!inst.has_actions());
            let deadline = inst.poll_timeout();
            if let Some(t) = deadline {
                assert!(t > now, "#{i} ({state:?}): deadline {t:?} not after now {now:?}");
            }
            assert_eq!(
                deadline.is_some(),
                matches!(state, State::Backup | State::Master) || releasing.is_some(),
                "#{i}: deadline {deadline:?} in {state:?}"
            );
            if inst.accepts_vip_traffic() {
                assert_eq!(state, State::Master);
            }
            earliest = match (earliest, deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        assert_eq!(
            self.router.poll_timeout(),
            earliest,
            "router deadline is not the earliest instance deadline"
        );
    }
}

fn source(sel: SrcSel, family: Family, own: IpAddr) -> IpAddr {
    match (sel, family) {
        (SrcSel::Own, f) if Family::of(&own) == f => own,
        // `Own` of the other family (raw bytes): some neighbour instead.
        (SrcSel::Own, Family::Ipv4) => v4(192, 0, 2, 11),
        (SrcSel::Own, Family::Ipv6) => v6(0xfe80, 0x11),
        (SrcSel::Host(h), Family::Ipv4) => v4(192, 0, 2, h),
        (SrcSel::Host(h), Family::Ipv6) => v6(0xfe80, u16::from(h)),
        (SrcSel::Foreign(h), Family::Ipv4) => v4(203, 0, 113, h),
        (SrcSel::Foreign(h), Family::Ipv6) => db8(u16::from(h)),
    }
}

fn destination(family: Family, unicast: bool) -> IpAddr {
    match (family, unicast) {
        (f, false) => f.group(),
        (Family::Ipv4, true) => v4(192, 0, 2, 10),
        (Family::Ipv6, true) => v6(0xfe80, 0x10),
    }
}
