//! What the timeline shows while the steps run: rtnetlink events inside the servers'
//! namespaces (VIP added/removed, carrier lost/back), the daemons' states, and a raw VRRP
//! socket on the client that waits for the master's next advertisement.

use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, Socket, Type};
use vrrp_core::wire;
use vrrp_node::net;

use super::interrupt::{stopping, Interrupted};
use super::report::Timeline;
use super::servers::{daemon_state, Server};
use super::{Binaries, Implementation, VIP};
use crate::{Lan, HOST_IFNAME};

/// A raw VRRP socket on a host that only waits for the next advertisement (any sender).
pub(crate) struct AdvertWatch {
    sock: Socket,
}

impl AdvertWatch {
    pub(crate) fn open(lan: &Lan, host: &str) -> Result<AdvertWatch> {
        let ifindex = lan.ifindex(host)?;
        let sock = lan
            .run_in(host, || -> std::io::Result<Socket> {
                let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(i32::from(wire::IP_PROTOCOL))))?;
                sock.bind_device(Some(HOST_IFNAME.as_bytes()))?;
                sock.join_multicast_v4_n(&wire::GROUP_V4, &socket2::InterfaceIndexOrAddress::Index(ifindex))?;
                Ok(sock)
            })?
            .context("opening a VRRP socket on the client")?;
        Ok(AdvertWatch { sock })
    }

    /// Drops what is queued, then waits up to `limit` for a fresh advert: true if one came.
    pub(crate) fn wait_for_advert(&self, limit: Duration) -> Result<bool> {
        let mut buf = [0u8; 1500];
        let mut reader = &self.sock;
        self.sock.set_nonblocking(true)?;
        while reader.read(&mut buf).is_ok() {}
        self.sock.set_nonblocking(false)?;
        let end = Instant::now() + limit;
        self.sock.set_read_timeout(Some(Duration::from_millis(50)))?;
        while Instant::now() < end {
            if stopping() {
                return Err(Interrupted.into());
            }
            if reader.read(&mut buf).is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Watches the servers: rtnetlink events inside their namespaces (VIP added/removed,
/// carrier lost/back) and the daemons' states, printing each change on the timeline.
pub(super) struct Monitor {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Monitor {
    pub(super) fn start(lan: &Lan, tl: Arc<Timeline>, servers: &[Server], bins: &Binaries) -> Result<Monitor> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();

        // rtnetlink: one subscription per server namespace, on one current-thread runtime.
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let mut watches = Vec::new();
        {
            let _entered = rt.enter();
            for s in servers {
                let watch = lan.run_in(s.host, net::watch)?.with_context(|| format!("{}: rtnetlink", s.host))?;
                watches.push((s.host, lan.ifindex(s.host)?, watch));
            }
        }
        let (stop2, tl2) = (Arc::clone(&stop), Arc::clone(&tl));
        threads.push(std::thread::spawn(move || {
            rt.block_on(watch_netlink(watches, stop2, tl2));
        }));

        // Daemon states, every 50 ms.
        let targets: Vec<_> = servers.iter().map(|s| (s.host, s.imp, s.socket.clone(), s.log.clone())).collect();
        let vrrpctl = bins.vrrpctl.clone();
        let stop3 = Arc::clone(&stop);
        threads.push(std::thread::spawn(move || {
            let mut last: Vec<Option<String>> = vec![None; targets.len()];
            while !stop3.load(Ordering::SeqCst) {
                for ((host, imp, socket, log), last) in targets.iter().zip(&mut last) {
                    let Some(state) = daemon_state(*imp, socket, log, &vrrpctl) else { continue };
                    if last.as_deref() != Some(state.as_str()) {
                        let source = if *imp == Implementation::Vrrpd { "vrrpctl" } else { "keepalived log" };
                        let from = last.as_deref().unwrap_or("-");
                        tl.note(format!("{host}: {from} -> {state} ({source})"));
                        *last = Some(state);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }));
        Ok(Monitor { stop, threads })
    }

    pub(super) fn stop(self) {
        drop(self);
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

async fn watch_netlink(watches: Vec<(&'static str, u32, net::Watch)>, stop: Arc<AtomicBool>, tl: Arc<Timeline>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for (host, eth1, mut watch) in watches {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            // The lab brings every eth1 up before the daemons start.
            let mut carrier = true;
            while let Some(event) = watch.recv().await {
                let at = Instant::now();
                let text = match event {
                    net::Event::AddrAdded { index, addr, prefix } if index == eth1 && addr == IpAddr::V4(VIP) => {
                        format!("{host}: VIP {addr}/{prefix} added (rtnetlink)")
                    }
                    net::Event::AddrRemoved { index, addr, prefix } if index == eth1 && addr == IpAddr::V4(VIP) => {
                        format!("{host}: VIP {addr}/{prefix} removed (rtnetlink)")
                    }
                    net::Event::LinkDown { index } if index == eth1 && carrier => {
                        carrier = false;
                        format!("{host}: eth1 lost carrier (rtnetlink)")
                    }
                    net::Event::LinkUp { index } if index == eth1 && !carrier => {
                        carrier = true;
                        format!("{host}: eth1 carrier back (rtnetlink)")
                    }
                    _ => continue,
                };
                if tx.send((at, text)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            Some((at, text)) = rx.recv() => tl.note_at(at, text),
            _ = tick.tick() => {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
    }
    for t in tasks {
        t.abort();
    }
}
