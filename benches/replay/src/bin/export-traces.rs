//! Writes the firmware's input traces and the host's digests of them.
//!
//! `export-traces DIR` writes `DIR/traces.bin` (the conformance scenarios of
//! core/tests/conformance.rs as input traces, built from the same fixtures,
//! `vrrp_model::scenarios`, and simulator schedules of 2–3 routers
//! recorded from vrrp-model's event loop) and `DIR/expected.bin` (per trace, the digest,
//! input count and output count [`vrrp_replay::replay`] computes on this host). The
//! firmware (benches/embedded) `include_bytes!`s both, replays every trace on the target
//! and compares.
//!
//! A simulator run is recorded by the simulator itself ([`vrrp_model::sim::run_observed`]
//! tells an observer of every call into a node) and checked before it is written:
//! replaying the recorded inputs must give the state changes the simulator recorded (so
//! the inputs are all the routers saw).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use vrrp_core::wire::{Auth, Version, TTL};
use vrrp_core::{Driver, Instance, InstanceConfig, Instant, Io};
use vrrp_model::node::IFINDEX;
use vrrp_model::scenarios::{
    a4, bad_checksum, bytes_from, cfg, global6, group, ll6, no_addresses, peer_v3, too_long, wrong_type, wrong_version,
    zero_interval,
};
use vrrp_model::schedule::{Fault, Quality};
use vrrp_model::sim::{Input as SimInput, Observer};
use vrrp_model::{Engine, Event as SimEvent, Schedule, TraceLevel};
use vrrp_replay::{Event, Input, Output, Reader, TraceWriter};

fn ms(n: u64) -> u64 {
    n * 1000
}

struct Null;

impl Io for Null {
    fn send_advert(&mut self, _: vrrp_core::InstanceId, _: &Instance, _: &[u8]) {}
    fn add_vips(&mut self, _: vrrp_core::InstanceId, _: &Instance) {}
    fn remove_vips(&mut self, _: vrrp_core::InstanceId, _: &Instance) {}
    fn announce(&mut self, _: vrrp_core::InstanceId, _: &Instance) {}
    fn state_changed(
        &mut self,
        _: vrrp_core::InstanceId,
        _: &Instance,
        _: vrrp_core::State,
        _: vrrp_core::State,
        _: vrrp_core::Reason,
    ) {
    }
}

/// One router under test, written down as a trace while a host driver tracks its
/// deadlines (so the script can say "let its timers run until t").
struct Script {
    w: TraceWriter,
    d: Driver<4>,
}

impl Script {
    fn new(name: &str, cfgs: Vec<InstanceConfig>) -> Script {
        let mut d = Driver::new();
        for c in &cfgs {
            d.add(c.clone()).expect("valid scenario");
        }
        let mut s = Script { w: TraceWriter::new(name, vec![cfgs]), d };
        s.input(0, Input::Start);
        s
    }

    fn input(&mut self, at: u64, input: Input<'_>) -> &mut Script {
        self.timers_until(at);
        self.w.push(Event { node: 0, at, input });
        let now = Instant::from_micros(at);
        match input {
            Input::Start => self.d.start_all(&now, &mut Null),
            Input::Shutdown => self.d.shutdown_all(&now, &mut Null),
            Input::Packet { ifindex, src, dst, ttl, bytes } => {
                let _ = self.d.on_packet(&now, &mut Null, vrrp_core::Inbound { ifindex, src, dst, ttl, bytes });
            }
            Input::SetPriority { instance, priority } => {
                let _ = self.d.set_priority(&now, &mut Null, vrrp_core::InstanceId(instance), priority);
            }
            Input::Timer => {
                self.d.on_timer(&now, &mut Null);
            }
            other => panic!("scripts do not use {other:?}"),
        }
        self
    }

    /// A packet from `src` to the group, TTL `ttl`, on interface 1.
    fn rx(&mut self, at: u64, src: IpAddr, ttl: u8, bytes: &[u8]) -> &mut Script {
        self.input(at, Input::Packet { ifindex: 1, src, dst: group(&src), ttl, bytes })
    }

    /// Fires every deadline up to and including `t`, each at its time.
    fn timers_until(&mut self, t: u64) -> &mut Script {
        while let Some(d) = self.d.next_deadline().filter(|d| d.as_micros() <= t) {
            self.w.push(Event { node: 0, at: d.as_micros(), input: Input::Timer });
            self.d.on_timer(&d, &mut Null);
        }
        self
    }

    fn done(mut self, end: u64) -> TraceWriter {
        self.timers_until(end);
        self.w
    }
}

/// The conformance scenarios, one trace each, named after their test.
fn conformance() -> Vec<TraceWriter> {
    let v3 = |p| vec![cfg(Version::V3, p, a4(11))];
    let v2 = |p| vec![cfg(Version::V2, p, a4(11))];
    let good = bytes_from(&peer_v3(200), 200);
    let mut out = Vec::new();

    let mut s = Script::new("conformance_01_ttl", v3(100));
    s.rx(ms(10), a4(12), 1, &good);
    out.push(s.done(ms(5000)));

    let mut s = Script::new("conformance_02_version", v3(100));
    let bad = wrong_version(&good);
    s.rx(ms(10), a4(12), TTL, &bytes_from(&cfg(Version::V2, 200, a4(12)), 200)).rx(ms(20), a4(12), TTL, &bad);
    out.push(s.done(ms(5000)));

    let mut s = Script::new("conformance_03_04_length", v3(100));
    let long = too_long(&good);
    s.rx(ms(10), a4(12), TTL, &good[..good.len() - 1]).rx(ms(11), a4(12), TTL, &good[..5]).rx(
        ms(12),
        a4(12),
        TTL,
        &long,
    );
    out.push(s.done(ms(5000)));

    let mut s = Script::new("conformance_05_06_07_checksum_vrid_type", v3(100));
    let bad_sum = bad_checksum(&good);
    let mut other = peer_v3(200);
    other.vrid = 52;
    let typ = wrong_type(&good);
    s.rx(ms(5), a4(12), TTL, &bad_sum).rx(ms(6), a4(12), TTL, &bytes_from(&other, 200)).rx(ms(7), a4(12), TTL, &typ);
    s.input(ms(8), Input::Packet { ifindex: 2, src: a4(12), dst: group(&a4(12)), ttl: TTL, bytes: &good });
    out.push(s.done(ms(5000)));

    let mut s = Script::new("conformance_08_09_count_interval_zero", v3(100));
    let count0 = no_addresses(&good);
    let int0 = zero_interval(&good);
    s.rx(ms(10), a4(12), TTL, &count0).rx(ms(11), a4(12), TTL, &int0);
    out.push(s.done(ms(5000)));

    let mut s = Script::new("conformance_10_22_24_master", v3(100));
    s.timers_until(ms(4000));
    s.rx(ms(8000), a4(12), TTL, &bytes_from(&peer_v3(200), 0));
    s.rx(ms(8500), a4(12), TTL, &bytes_from(&peer_v3(50), 50));
    s.input(ms(9000), Input::Shutdown);
    out.push(s.done(ms(12000)));

    let mut s = Script::new("conformance_11_19_25_backup_timers", v3(100));
    let mut fast = peer_v3(200);
    fast.advert_interval_cs = 25;
    s.rx(ms(100), a4(12), TTL, &bytes_from(&fast, 200)).rx(ms(500), a4(12), TTL, &bytes_from(&peer_v3(200), 0));
    out.push(s.done(ms(6000)));

    out.push(Script::new("conformance_12_owner", vec![cfg(Version::V3, 255, a4(11))]).done(ms(3500)));

    let mut s = Script::new("conformance_13_tie_break", v3(100));
    s.timers_until(ms(4000));
    s.rx(ms(8000), a4(10), TTL, &bytes_from(&cfg(Version::V3, 100, a4(10)), 100));
    s.rx(ms(8100), a4(12), TTL, &bytes_from(&cfg(Version::V3, 100, a4(12)), 100));
    out.push(s.done(ms(12000)));

    for (name, preempt) in [("conformance_14_preempt_on", true), ("conformance_15_preempt_off", false)] {
        let mut c = cfg(Version::V3, 200, a4(11));
        c.preempt = preempt;
        let mut s = Script::new(name, vec![c]);
        let low = bytes_from(&peer_v3(100), 100);
        for t in (100..6000).step_by(1000) {
            s.rx(ms(t), a4(12), TTL, &low);
        }
        out.push(s.done(ms(9000)));
    }

    let mut c = cfg(Version::V3, 100, a4(11));
    c.accept_mode = true;
    c.announce_delay = Some(vrrp_core::Duration::from_millis(2000));
    c.announce_refresh = Some(vrrp_core::Duration::from_millis(3000));
    out.push(Script::new("conformance_16_accept_announce", vec![c]).done(ms(15000)));

    let mut s = Script::new("conformance_17_18_20_v2_checks", v2(100));
    let mut wrong_pass = cfg(Version::V2, 200, a4(12));
    wrong_pass.auth = Auth::simple_text(b"other");
    let mut no_auth = cfg(Version::V2, 200, a4(12));
    no_auth.auth = Auth::None;
    let mut slow = cfg(Version::V2, 200, a4(12));
    slow.advert_interval_cs = 300;
    let mut other_list = cfg(Version::V2, 200, a4(12));
    other_list.vips[0] = a4(77);
    s.rx(ms(10), a4(12), TTL, &bytes_from(&wrong_pass, 200))
        .rx(ms(11), a4(12), TTL, &bytes_from(&no_auth, 200))
        .rx(ms(12), a4(12), TTL, &bytes_from(&slow, 200))
        .rx(ms(13), a4(12), TTL, &bytes_from(&other_list, 200))
        .rx(ms(14), a4(12), TTL, &bytes_from(&cfg(Version::V2, 200, a4(12)), 200));
    out.push(s.done(ms(8000)));

    let mut s = Script::new("conformance_21_v3_list_mismatch", v3(100));
    let mut p = peer_v3(200);
    p.vips[0] = a4(77);
    s.rx(ms(10), a4(12), TTL, &bytes_from(&p, 200));
    out.push(s.done(ms(8000)));

    let mut s = Script::new("conformance_23_ipv6_link_local", vec![cfg(Version::V3, 100, ll6(0x11))]);
    let global = global6(0x12);
    s.rx(ms(10), ll6(0x12), TTL, &bytes_from(&cfg(Version::V3, 200, ll6(0x12)), 200)).rx(
        ms(20),
        global,
        TTL,
        &bytes_from(&cfg(Version::V3, 200, global), 200),
    );
    out.push(s.done(ms(8000)));

    for (name, version) in
        [("conformance_26_owner_hears_owner_v3", Version::V3), ("conformance_26_owner_v2", Version::V2)]
    {
        let mut s = Script::new(name, vec![cfg(version, 255, a4(11))]);
        s.rx(ms(10), a4(12), TTL, &bytes_from(&cfg(version, 255, a4(12)), 255));
        out.push(s.done(ms(6000)));
    }

    let mut s = Script::new(
        "set_priority_two_instances",
        vec![cfg(Version::V3, 150, a4(11)), {
            let mut c = cfg(Version::V3, 100, a4(11));
            c.vrid = 52;
            c
        }],
    );
    s.timers_until(ms(4000));
    s.input(ms(5000), Input::SetPriority { instance: 1, priority: 250 });
    s.rx(ms(5100), a4(12), TTL, &bytes_from(&peer_v3(200), 200));
    out.push(s.done(ms(9000)));
    out
}

/// Writes down every call vrrp-model's simulator makes into a node as a trace input.
struct Recording(TraceWriter);

impl Observer for Recording {
    fn input(&mut self, node: u8, at: u64, input: SimInput<'_>) {
        let input = match input {
            SimInput::Start => Input::Start,
            SimInput::Crash => Input::Crash,
            SimInput::Shutdown => Input::Shutdown,
            SimInput::Link(up) => Input::Link { ifindex: IFINDEX, up },
            SimInput::SetPriority(v, priority) => Input::SetPriority { instance: u16::from(v), priority },
            SimInput::Handover(v) => Input::Handover { instance: u16::from(v) },
            SimInput::Packet { src, bytes } => {
                Input::Packet { ifindex: IFINDEX, src, dst: group(&src), ttl: TTL, bytes }
            }
            SimInput::Timer => Input::Timer,
        };
        self.0.push(Event { node, at, input });
    }
}

/// Runs `schedule` in vrrp-model's simulator (router engine, as the replay drives the
/// core), recording every node's inputs; returns the trace and the simulator's record.
fn record(name: &str, schedule: &Schedule) -> (TraceWriter, Vec<vrrp_model::Record>) {
    let s = schedule.normalized();
    let configs = (0..s.router_count()).map(|i| vrrp_model::node::configs(i, &s)).collect();
    let mut rec = Recording(TraceWriter::new(name, configs));
    let outcome = vrrp_model::sim::run_observed(&s, TraceLevel::Full, Engine::Router, &mut rec);
    (rec.0, outcome.trace)
}

/// A few schedules of 2–3 routers covering what the simulator exercises: election,
/// crash and restart, partition and heal, link down, priority tracking, graceful
/// shutdown, both versions, IPv6, two VRIDs, loss and jitter.
fn schedules() -> Vec<(&'static str, Schedule)> {
    let s = 1_000_000;
    let mut crash = Schedule::basic(&[200, 150, 100]);
    crash.faults = vec![(5 * s, Fault::Crash(0)), (12 * s, Fault::Restart(0)), (20 * s, Fault::Shutdown(1))];

    let mut v2 = Schedule::basic(&[100, 100]);
    v2.version = Version::V2;
    v2.faults = vec![(6 * s, Fault::Partition { sides: vec![0, 1] }), (14 * s, Fault::Heal)];

    let mut v6 = Schedule::basic(&[250, 120]);
    v6.ipv6 = true;
    v6.vrids = 2;
    v6.interval_cs = 50;
    v6.announce = true;
    v6.base = Quality { delay_us: 200, jitter_us: 300, loss_permille: 50, reorder_permille: 20 };
    v6.seed = 0x5eed;
    v6.faults = vec![
        (4 * s, Fault::LinkDown(0)),
        (8 * s, Fault::LinkUp(0)),
        (11 * s, Fault::SetPriority { router: 1, vrid: 0, priority: 254 }),
    ];

    let mut owner = Schedule::basic(&[255, 100, 90]);
    owner.preempt = false;
    owner.interval_cs = 10;
    owner.faults = vec![(2 * s, Fault::Crash(0)), (3 * s, Fault::Restart(0)), (4 * s, Fault::Shutdown(0))];
    owner.tail_intervals = 40;

    vec![
        ("sim_crash_restart_3_routers", crash),
        ("sim_v2_partition_heal", v2),
        ("sim_v6_two_vrids_lossy_link", v6),
        ("sim_owner_fast_adverts_nopreempt", owner),
    ]
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: export-traces DIR");
        return ExitCode::from(2);
    };
    let mut traces = conformance();
    for (name, schedule) in schedules() {
        let (w, simulated) = record(name, &schedule);
        traces.push(w);
        // The state changes the replay sees must be the simulator's.
        let bytes = vrrp_replay::write(std::slice::from_ref(traces.last().expect("just pushed")));
        let (mut r, _) = Reader::open(&bytes).expect("own format");
        let mut t = r.next_trace().expect("own format");
        let mut replayed = Vec::new();
        vrrp_replay::replay(&mut t, |o| {
            if let Output::State { node, id, from, to, reason } = o {
                replayed.push((node, id as u8, from, to, reason));
            }
        })
        .expect("own format");
        let want: Vec<_> = simulated
            .iter()
            .filter_map(|r| match r.event {
                SimEvent::State { node, vrid, from, to, reason } => Some((node, vrid, from, to, reason)),
                _ => None,
            })
            .collect();
        if replayed != want || want.is_empty() {
            eprintln!("{name}: replaying the recorded inputs gave other state changes than the simulator's");
            return ExitCode::FAILURE;
        }
    }
    let file = vrrp_replay::write(&traces);
    let (mut r, count) = Reader::open(&file).expect("own format");
    let mut expected = Vec::new();
    println!("| trace | routers | inputs | outputs | digest |");
    println!("| --- | --- | --- | --- | --- |");
    for _ in 0..count {
        let mut t = r.next_trace().expect("own format");
        let mut adverts = 0usize;
        let sum = vrrp_replay::replay(&mut t, |o| adverts += usize::from(matches!(o, Output::Advert { .. })))
            .expect("own format");
        assert!(adverts > 0 || t.name.contains("conformance"), "{} sends nothing", t.name);
        println!("| {} | {} | {} | {} | {:016x} |", t.name, t.nodes.len(), sum.inputs, sum.outputs, sum.digest);
        expected.extend_from_slice(&sum.digest.to_le_bytes());
        expected.extend_from_slice(&sum.inputs.to_le_bytes());
        expected.extend_from_slice(&sum.outputs.to_le_bytes());
    }
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("traces.bin"), &file))
        .and_then(|()| std::fs::write(dir.join("expected.bin"), &expected))
    {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    println!("\n{} traces, {} bytes, written to {}", count, file.len(), dir.display());
    ExitCode::SUCCESS
}
