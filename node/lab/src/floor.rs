//! The floor `vrrp-lab cpu` compares vrrpd with: what the machine's packet path costs for
//! the same adverts, with nothing of a VRRP daemon around it.
//!
//! On the lab of a scenario, a minimal sender in `a`'s namespace sends N precomputed
//! adverts (the ones the scenario's masters send) every interval, woken by a timerfd at
//! absolute deadlines and sending with `sendmmsg` ([`VrrpSocket::try_send_batch`], the
//! same calls of up to `SEND_BATCH` as vrrpd); a minimal receiver in `b`'s drains them
//! with `recvmmsg` ([`VrrpSocket::poll_recv_batch`], the IPv4 header taken apart as vrrpd
//! does) and does nothing else. Both are this executable (`vrrp-lab floor-peer`), so their
//! CPU time is read exactly as the daemons' is: utime + stime of the processes in the
//! namespace, over the same window after the same settling time. vrrpd's cost over the
//! floor's is what vrrpd adds: protocol work, timers per instance, its own wake-ups.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use vrrp_core::wire::Version;
use vrrp_core::{Instance, InstanceConfig};
use vrrp_node::daemon::clock::{Clock, DeadlineTimer};
use vrrp_node::net::{RecvBatch, VrrpSocket};

use crate::cpu::Scenario;
use crate::Lan;

/// Which half of the floor a `floor-peer` process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The masters' adverts, every interval.
    Send,
    /// Drains them.
    Recv,
}

static STOP: AtomicBool = AtomicBool::new(false);

/// What one floor run cost, and what it moved.
#[derive(Debug, Clone)]
pub struct Floor {
    /// The load.
    pub scenario: Scenario,
    /// Measurement window.
    pub window: Duration,
    /// CPU seconds of the sender's namespace (`a`).
    pub sender_cpu: f64,
    /// CPU seconds of the receiver's namespace (`b`).
    pub receiver_cpu: f64,
    /// What the sender and the receiver said they did, over their whole run.
    pub report: String,
}

/// The adverts of the scenario's masters (priority 150, one VIP each, VRRPv3), by
/// segment (1-based), as vrrpd writes them.
fn adverts(s: Scenario, sources: &[Ipv4Addr]) -> Result<Vec<Vec<Vec<u8>>>> {
    let mut by_segment = vec![Vec::new(); sources.len()];
    for i in 0..s.instances {
        let (segment, vrid) = Scenario::place(i);
        let seg = usize::from(segment - 1);
        let src = *sources.get(seg).context("no source address for a segment")?;
        let mut cfg = InstanceConfig::new(1, vrid, Version::V3, IpAddr::V4(src));
        cfg.priority = 150;
        cfg.advert_interval_cs = s.advert_cs;
        cfg.vips
            .push(IpAddr::V4(Ipv4Addr::new(198, 18, (i / 250) as u8, (i % 250 + 1) as u8)))
            .map_err(|_| anyhow::anyhow!("VIP"))?;
        let inst = Instance::new(cfg).map_err(|e| anyhow::anyhow!("instance {i}: {e:?}"))?;
        let mut buf = [0u8; 64];
        let n = inst.write_advert(150, &mut buf).map_err(|e| anyhow::anyhow!("advert {i}: {e:?}"))?;
        by_segment.get_mut(seg).context("segment")?.push(buf[..n].to_vec());
    }
    Ok(by_segment)
}

/// `vrrp-lab floor-peer`: runs one half of the floor in the current namespace until
/// SIGTERM, then prints what it did. `sources`: this host's address on each segment.
pub fn peer(role: Role, s: Scenario, sources: &[Ipv4Addr]) -> Result<()> {
    ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)).context("SIGTERM handler")?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let sockets = (1..=s.segments())
            .zip(sources)
            .map(|(seg, src)| VrrpSocket::open(&crate::segment_ifname(seg), IpAddr::V4(*src)))
            .collect::<std::io::Result<Vec<_>>>()
            .context("opening the VRRP sockets")?;
        match role {
            Role::Send => send(s, &sockets, &adverts(s, sources)?).await,
            Role::Recv => recv(&sockets).await,
        }
    })
}

async fn send(s: Scenario, sockets: &[VrrpSocket], adverts: &[Vec<Vec<u8>>]) -> Result<()> {
    let slices: Vec<Vec<&[u8]>> = adverts.iter().map(|seg| seg.iter().map(Vec::as_slice).collect()).collect();
    let mut headers = vrrp_node::net::SendHeaders::default();
    let clock = Clock::start();
    let mut timer = DeadlineTimer::new()?;
    let interval = vrrp_core::Duration::from_millis(u64::from(s.advert_cs) * 10);
    let mut next = clock.now() + interval;
    let (mut sent, mut calls, mut refused, mut ticks) = (0u64, 0u64, 0u64, 0u64);
    while !STOP.load(Ordering::Relaxed) {
        timer.set(&clock, Some(next))?;
        timer.expired().await?;
        ticks += 1;
        for (sock, payloads) in sockets.iter().zip(&slices) {
            let mut done = 0;
            while done < payloads.len() {
                calls += 1;
                match sock.try_send_batch(&mut headers, payloads.get(done..).unwrap_or_default()) {
                    Ok(n) if n > 0 => {
                        sent += n as u64;
                        done += n;
                    }
                    _ => {
                        refused += 1;
                        done += 1;
                    }
                }
            }
        }
        next = next + interval;
    }
    println!("floor sender: {ticks} ticks, {sent} adverts sent with {calls} sendmmsg, {refused} refused");
    Ok(())
}

async fn recv(sockets: &[VrrpSocket]) -> Result<()> {
    let mut rx = RecvBatch::new(4200);
    let (mut datagrams, mut bad, mut wakeups) = (0u64, 0u64, 0u64);
    while !STOP.load(Ordering::Relaxed) {
        let ready = std::future::poll_fn(|cx| {
            for (i, sock) in sockets.iter().enumerate() {
                if let std::task::Poll::Ready(r) = sock.poll_recv_batch(cx, &mut rx) {
                    return std::task::Poll::Ready((i, r));
                }
            }
            std::task::Poll::Pending
        });
        let Ok((i, mut result)) = tokio::time::timeout(Duration::from_millis(200), ready).await else { continue };
        wakeups += 1;
        // As vrrpd: up to four batches from the readable socket.
        for round in 1..=4 {
            if result.is_err() {
                break;
            }
            let full = rx.is_full();
            for (r, _) in rx.drain() {
                datagrams += 1;
                bad += u64::from(r.is_err());
            }
            if !full || round == 4 {
                break;
            }
            let Some(sock) = sockets.get(i) else { break };
            result = sock.try_recv_batch(&mut rx);
        }
    }
    let (calls, _) = rx.take_counts();
    println!("floor receiver: {datagrams} datagrams ({bad} unusable) with {calls} recvmmsg in {wakeups} wake-ups");
    Ok(())
}

/// Runs the floor of scenario `s` on its own lab and measures it over `window`, as
/// [`crate::cpu::measure`] measures a daemon pair; `exe` is this executable.
pub fn measure(s: Scenario, window: Duration, exe: &Path) -> Result<Floor> {
    let dir = tempfile::tempdir()?;
    let lan = crate::cpu::lab("cpuf", s)?;
    let spawn = |host: &str, role: &str| -> Result<crate::cpu::Process> {
        let log = std::fs::File::create(dir.path().join(format!("{host}.log")))?;
        let mut cmd = Command::new(exe);
        cmd.args(["floor-peer", role, "--scenario", &s.to_string()]);
        for seg in 1..=s.segments() {
            cmd.arg("--source").arg(crate::cpu::segment_address(seg, host).to_string());
        }
        cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        Ok(crate::cpu::Process(lan.spawn(host, &mut cmd).with_context(|| format!("starting the floor {role}er"))?))
    };
    let recv = spawn("b", "recv")?;
    let send = spawn("a", "send")?;
    // The daemons get the group's settling and two seconds more; the floor has nothing to
    // settle, only the same two seconds.
    std::thread::sleep(Duration::from_secs(2));
    let (a0, b0) = (usage_of(&lan, "a")?, usage_of(&lan, "b")?);
    std::thread::sleep(window);
    let (a1, b1) = (usage_of(&lan, "a")?, usage_of(&lan, "b")?);
    drop(send);
    drop(recv);
    let report = ["a", "b"]
        .iter()
        .map(|h| std::fs::read_to_string(dir.path().join(format!("{h}.log"))).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("");
    if !report.contains("floor sender:") || !report.contains("floor receiver:") {
        bail!("the floor's peers did not finish cleanly:\n{report}");
    }
    Ok(Floor { scenario: s, window, sender_cpu: a1 - a0, receiver_cpu: b1 - b0, report })
}

fn usage_of(lan: &Lan, host: &str) -> Result<f64> {
    Ok(crate::cpu::usage(lan.ns_name(host))?.0)
}
