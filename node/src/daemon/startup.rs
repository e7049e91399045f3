//! Start-up: from a checked configuration to a [`Daemon`] ready to run: each instance's
//! interface looked up and planned, its VRRP socket (one per interface and source
//! address) and announcer opened, the core's instances added, stale VIPs removed, links
//! already down reported; plus the process-level set-up (priority, control socket).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration as StdDuration;

use anyhow::{Context, Result};
use tracing::warn;

use super::clock::Clock;
use super::engine::{Engine, Notice, EFFECTS_PER_INSTANCE, MAX_INSTANCES};
use super::plan::{plan_instance, LinkFacts};
use super::ratelimit::RateLimiter;
use super::vips::{VipPlace, Vips};
use super::{status, Daemon, Sockets};
use crate::config;
use crate::net::{Announcer, Netlink, VrrpSocket};
use crate::sync::{facade::Arc, NotifyQueue};

impl Daemon {
    /// Opens everything the configuration needs; an error names the `file:line:col` it concerns.
    pub(super) async fn build(cfg: &config::Config, notices: Arc<NotifyQueue<Notice>>) -> Result<Daemon> {
        let netlink = Netlink::new().context("opening rtnetlink")?;
        let mut engine = Engine::new(notices);
        let mut plans = Vec::new();
        let mut vips = Vips::new();
        let mut sockets: Vec<VrrpSocket> = Vec::new();
        let mut socket_keys: Vec<(String, IpAddr)> = Vec::new();
        let mut announcers = BTreeMap::new();
        let mut links_down = BTreeSet::new();
        for inst in &cfg.instances {
            let link = netlink
                .link_by_name(&inst.interface)
                .await
                .with_context(|| format!("{}: interface {} not found", inst.location, inst.interface))?;
            let facts = LinkFacts {
                ifindex: link.index,
                primary_v4: netlink.primary_ipv4(link.index).await?.map(IpAddr::V4),
                link_local_v6: netlink.link_local_v6(link.index).await?.map(IpAddr::V6),
            };
            if !link.up {
                links_down.insert(link.index);
            }
            let plan = plan_instance(&cfg.global, inst, &facts)?;
            let key = (inst.interface.clone(), plan.core.primary_address);
            let socket = match socket_keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    let s = VrrpSocket::open(&inst.interface, plan.core.primary_address).with_context(|| {
                        format!("{}: opening VRRP socket on {} from {}", inst.location, key.0, key.1)
                    })?;
                    sockets.push(s);
                    socket_keys.push(key);
                    sockets.len() - 1
                }
            };
            let mut places = Vec::new();
            for vip in &plan.vips {
                let ifindex = match &vip.dev {
                    Some(dev) if *dev != inst.interface => {
                        netlink
                            .link_by_name(dev)
                            .await
                            .with_context(|| format!("{}: interface {dev} not found", vip.location))?
                            .index
                    }
                    _ => link.index,
                };
                places.push(VipPlace {
                    ifindex,
                    addr: vip.addr,
                    prefix: vip.prefix_len,
                    label: vip.label.clone(),
                    brd: vip.brd,
                    scope: vip.scope.unwrap_or_default(),
                });
            }
            for v in &places {
                if let std::collections::btree_map::Entry::Vacant(e) = announcers.entry(v.ifindex) {
                    let l = netlink.link_by_index(v.ifindex).await?;
                    if let Some(mac) = l.mac {
                        e.insert(Announcer::open(v.ifindex, mac).context("opening AF_PACKET socket")?);
                    }
                }
            }
            engine
                .add(plan.core.clone(), socket)
                .map_err(|e| anyhow::anyhow!("{}: cannot add instance: {e:?}", inst.location))?;
            vips.push_instance(&plan.name, plan.core.is_owner(), places);
            plans.push(plan);
        }
        let daemon = Daemon {
            clock: Clock::start(),
            engine,
            plans,
            vips,
            sockets,
            announcers,
            netlink,
            limiter: RateLimiter::new(StdDuration::from_secs(10)),
            malformed: 0,
            send_errors: 0,
            timer: status::TimerCounters::default(),
            effects: Vec::with_capacity(EFFECTS_PER_INSTANCE * MAX_INSTANCES),
        };
        daemon.vips.remove_stale(&daemon.netlink).await;
        let mut daemon = daemon;
        let now = daemon.clock.now();
        for ifindex in links_down {
            daemon.engine.on_link(now, ifindex, false, &mut Sockets(&daemon.sockets));
        }
        Ok(daemon)
    }
}

/// A failover daemon must keep time on a busy host: at 10 ms adverts a backup that is
/// scheduled 36 ms late takes over spuriously. Like keepalived's `vrrp_priority`, vrrpd
/// asks for nice -10 (best effort; it runs on without it when not permitted).
pub(super) fn raise_priority() {
    // SAFETY: setpriority only changes this process's nice value; no memory is involved.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, -10) };
    if rc != 0 {
        warn!("could not raise scheduling priority: {}", std::io::Error::last_os_error());
    }
}

/// Binds the control socket, creating its directory and replacing a stale socket file.
pub(super) fn bind_control(path: &std::path::Path) -> Result<std::os::unix::net::UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(path);
    std::os::unix::net::UnixListener::bind(path).with_context(|| format!("binding control socket {}", path.display()))
}
