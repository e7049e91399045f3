//! criterion benches of the protocol core: decode + validate, emit, and one advert
//! through a `Router` holding 1020 instances (keepalived's practical ceiling).
//!
//! Run: `cargo bench -p vrrp-benches --bench core`. Figures are quoted in README.md.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vrrp_core::wire::{
    AdvertHeader, AdvertRepr, Auth, ChecksumContext, ChecksumForm, Packet, Version, GROUP_V4, GROUP_V6,
};
use vrrp_core::{Instance, InstanceConfig, Instant, Router};

fn a4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn ll6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last))
}

fn config(ifindex: u32, vrid: u8, version: Version, primary: IpAddr) -> InstanceConfig {
    let mut c = InstanceConfig::new(ifindex, vrid, version, primary);
    let vip = match primary {
        IpAddr::V4(_) => a4(1),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    };
    c.vips.push(vip).unwrap();
    if version == Version::V2 {
        c.auth = Auth::simple_text(b"XXXXXX");
    }
    c
}

fn advert(cfg: &InstanceConfig, priority: u8) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = Instance::new(cfg.clone()).unwrap().write_advert(priority, &mut buf).unwrap();
    buf[..n].to_vec()
}

fn group(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => IpAddr::V4(GROUP_V4),
        IpAddr::V6(_) => IpAddr::V6(GROUP_V6),
    }
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode_validate");
    g.throughput(Throughput::Elements(1));
    for (name, version, src) in
        [("v2_ipv4", Version::V2, a4(12)), ("v3_ipv4", Version::V3, a4(12)), ("v3_ipv6", Version::V3, ll6(12))]
    {
        let peer = config(1, 51, version, src);
        let bytes = advert(&peer, 200);
        let ctx = ChecksumContext { src, dst: group(src) };
        g.bench_function(format!("header/{name}"), |b| {
            b.iter(|| {
                AdvertHeader::parse(&Packet::new_unchecked(black_box(&bytes[..])), black_box(&ctx)).map(|h| h.priority)
            })
        });
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| {
                AdvertRepr::parse(&Packet::new_unchecked(black_box(&bytes[..])), black_box(&ctx)).map(|r| r.priority)
            })
        });
        // The full receive path of one instance: every RFC 9568 §7.1 check plus the
        // state machine's reaction (a backup resetting its Master_Down_Timer).
        let own = match src {
            IpAddr::V4(_) => a4(11),
            IpAddr::V6(_) => ll6(11),
        };
        let mut inst = Instance::new(config(1, 51, version, own)).unwrap();
        inst.handle_startup(Instant::ZERO);
        while inst.poll_action().is_some() {}
        let mut now = 0u64;
        g.bench_function(format!("instance_handle_packet/{name}"), |b| {
            b.iter(|| {
                now += 1;
                inst.handle_packet(Instant::from_micros(now), src, group(src), 255, black_box(&bytes))
                    .map(|a| a.priority)
            })
        });
    }
    g.finish();
}

fn emit(c: &mut Criterion) {
    let mut g = c.benchmark_group("emit");
    g.throughput(Throughput::Elements(1));
    for (name, version, src) in
        [("v2_ipv4", Version::V2, a4(11)), ("v3_ipv4", Version::V3, a4(11)), ("v3_ipv6", Version::V3, ll6(11))]
    {
        let inst = Instance::new(config(1, 51, version, src)).unwrap();
        let mut buf = [0u8; 512];
        g.bench_function(format!("write_advert/{name}"), |b| b.iter(|| inst.write_advert(black_box(100), &mut buf)));
        let ctx = ChecksumContext { src, dst: group(src) };
        let repr = AdvertRepr::parse(&Packet::new_unchecked(&advert(inst.config(), 100)[..]), &ctx).unwrap();
        g.bench_function(format!("repr_emit/{name}"), |b| {
            b.iter(|| black_box(&repr).emit(&mut buf, &ctx, ChecksumForm::PseudoHeader))
        });
    }
    g.finish();
}

fn router(c: &mut Criterion) {
    let mut g = c.benchmark_group("router_1020");
    g.throughput(Throughput::Elements(1));
    let mut r: Box<Router<1020>> = Box::default();
    for i in 0..1020u32 {
        r.add(config(1 + i / 255, (i % 255 + 1) as u8, Version::V3, a4(11))).unwrap();
    }
    r.start_all(Instant::ZERO);
    while r.poll_action().is_some() {}
    // Adverts from a higher-priority master for every instance, sent round robin.
    let adverts: Vec<(u32, Vec<u8>)> = (0..1020u32)
        .map(|i| (1 + i / 255, advert(&config(1, (i % 255 + 1) as u8, Version::V3, a4(12)), 200)))
        .collect();
    let mut k = 0usize;
    let mut now = 0u64;
    g.bench_function("handle_packet", |b| {
        b.iter(|| {
            let (ifindex, bytes) = &adverts[k % adverts.len()];
            k += 1;
            now += 1;
            r.handle_packet(Instant::from_micros(now), *ifindex, a4(12), IpAddr::V4(GROUP_V4), 255, bytes).is_ok()
        })
    });
    g.bench_function("poll_timeout", |b| b.iter(|| black_box(&r).poll_timeout()));
    g.finish();
}

criterion_group!(benches, decode, emit, router);
criterion_main!(benches);
