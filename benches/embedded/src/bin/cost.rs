//! What vrrp-core costs on a Cortex-M4F: a firmware holding `INSTANCES` instances
//! (`VRRP_INSTANCES` at build time: 1, 16, 255) in one static `Driver`, all backups of a
//! peer at priority 200, then all masters. It prints `key=value` lines that
//! scripts/embedded.sh turns into README's table:
//!
//! - `instance_bytes`, `driver_bytes`: `size_of` on this 32-bit target;
//! - `advert_insns`: instructions per received advert (a backup hearing its master: the
//!   steady state), averaged over about a thousand;
//! - `timer_insns`: instructions per timer expiry (a master's Adver_Timer: serialise and
//!   send one advert, re-arm), averaged likewise;
//! - `stack_bytes`: the deepest the stack went, by painting (construction included);
//! - `static_ram`: .data + .bss as linked.
//!
//! Instructions are counted by QEMU's `-icount shift=0` (1 ns of virtual time per
//! instruction) through SysTick, calibrated by a loop of known length.

#![no_std]
#![no_main]

use core::net::{IpAddr, Ipv4Addr};

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use vrrp_core::wire::{Version, GROUP_V4, TTL};
use vrrp_core::{Driver, Inbound, Instance, InstanceConfig, InstanceId, Instant, Io, Reason, State};
use vrrp_embedded::{exit, paint_stack, stack_depth, static_ram, Ticks};

include!(concat!(env!("OUT_DIR"), "/instances.rs"));

/// Events per measurement, about.
const EVENTS: usize = 1000;

/// Counts what the driver asked for, so the work is not optimised away.
#[derive(Default)]
struct Count {
    adverts: u32,
    advert_bytes: u32,
    vips: u32,
    changes: u32,
}

impl Io for Count {
    fn send_advert(&mut self, _: InstanceId, _: &Instance, advert: &[u8]) {
        self.adverts += 1;
        self.advert_bytes += advert.len() as u32;
    }
    fn add_vips(&mut self, _: InstanceId, _: &Instance) {
        self.vips += 1;
    }
    fn remove_vips(&mut self, _: InstanceId, _: &Instance) {
        self.vips += 1;
    }
    fn announce(&mut self, _: InstanceId, _: &Instance) {}
    fn state_changed(&mut self, _: InstanceId, _: &Instance, _: State, _: State, _: Reason) {
        self.changes += 1;
    }
}

fn a4(a: u8, b: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, a, b))
}

fn cfg(k: usize, priority: u8, primary: IpAddr) -> InstanceConfig {
    let mut c = InstanceConfig::new(1, (k + 1) as u8, Version::V3, primary);
    c.priority = priority;
    let _ = c.vips.push(a4(2, (k % 250 + 1) as u8));
    c
}

#[entry]
fn main() -> ! {
    paint_stack();
    let Some(p) = cortex_m::Peripherals::take() else { exit(false) };
    let ticks = Ticks::start(p.SYST);
    let Some(driver) = cortex_m::singleton!(: Driver<INSTANCES> = Driver::new()) else { exit(false) };
    for k in 0..INSTANCES {
        if driver.add(cfg(k, 100, a4(2, 11))).is_err() {
            hprintln!("FAIL: add {}", k);
            exit(false);
        }
    }
    let mut io = Count::default();
    driver.start_all(&Instant::ZERO, &mut io);

    // Each instance's master: the peer 192.0.2.12 at priority 200.
    let mut adverts = [[0u8; 12]; INSTANCES];
    for (k, buf) in adverts.iter_mut().enumerate() {
        let Ok(peer) = Instance::new(cfg(k, 200, a4(2, 12))) else { exit(false) };
        if peer.write_advert(200, buf) != Ok(12) {
            exit(false);
        }
    }
    let rounds = EVENTS.div_ceil(INSTANCES);
    let group = IpAddr::V4(GROUP_V4);
    let mut received = 0u64;
    let start = ticks.read();
    for round in 0..rounds {
        let now = Instant::from_millis(100 * (round as u64 + 1));
        for buf in &adverts {
            let packet = Inbound { ifindex: 1, src: a4(2, 12), dst: group, ttl: TTL, bytes: buf };
            if driver.on_packet(&now, &mut io, packet).is_ok() {
                received += 1;
            }
        }
    }
    let advert_ticks = u64::from(ticks.since(start));
    if received != (rounds * INSTANCES) as u64 || io.changes != INSTANCES as u32 {
        hprintln!("FAIL: {} adverts accepted, {} state changes", received, io.changes);
        exit(false);
    }

    // The peer falls silent: every instance takes over (not measured), then each
    // Adver_Timer expiry sends one advert (measured).
    let Some(takeover) = driver.next_deadline() else { exit(false) };
    driver.on_timer(&takeover, &mut io);
    let masters = driver.router().iter().filter(|(_, i)| i.state() == State::Master).count();
    if masters != INSTANCES {
        hprintln!("FAIL: {} of {} took over", masters, INSTANCES);
        exit(false);
    }
    let before = io.adverts;
    let start = ticks.read();
    for _ in 0..rounds {
        let Some(next) = driver.next_deadline() else { exit(false) };
        driver.on_timer(&next, &mut io);
    }
    let timer_ticks = u64::from(ticks.since(start));
    let expiries = u64::from(io.adverts - before);
    if expiries != (rounds * INSTANCES) as u64 {
        hprintln!("FAIL: {} expiries sent {} adverts", rounds * INSTANCES, expiries);
        exit(false);
    }

    hprintln!("instances={}", INSTANCES);
    hprintln!("instance_bytes={}", core::mem::size_of::<Instance>());
    hprintln!("config_bytes={}", core::mem::size_of::<InstanceConfig>());
    hprintln!("driver_bytes={}", core::mem::size_of::<Driver<INSTANCES>>());
    hprintln!("driver1_bytes={}", core::mem::size_of::<Driver<1>>());
    hprintln!("driver2_bytes={}", core::mem::size_of::<Driver<2>>());
    hprintln!("milli_insns_per_tick={}", ticks.milli_insns_per_tick);
    hprintln!("adverts={}", received);
    hprintln!("advert_insns={}", ticks.insns(advert_ticks) / received);
    hprintln!("expiries={}", expiries);
    hprintln!("timer_insns={}", ticks.insns(timer_ticks) / expiries);
    hprintln!("stack_bytes={}", stack_depth());
    hprintln!("static_ram={}", static_ram());
    hprintln!("advert_bytes_sent={}", io.advert_bytes);
    exit(true)
}
