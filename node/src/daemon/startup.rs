//! Start-up: from a checked configuration to a [`Daemon`] ready to run: each instance's
//! interface looked up and planned, its VRRP socket (one per interface and source
//! address) and announcer opened, the core's instances added, stale VIPs removed, links
//! already down reported; plus the process-level set-up (priority, control socket, pid file).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use anyhow::{Context, Result};
use nix::sys::stat::{fchmod, Mode};
use nix::unistd::{chown, Gid, Group};
use socket2::{Domain, SockAddr, Socket, Type};

use super::clock::Clock;
use super::engine::{Engine, Notice, EFFECTS_PER_INSTANCE, MAX_INSTANCES};
use super::plan::{plan_instance, InstancePlan, LinkFacts, PlanErrorKind};
use super::ratelimit::RateLimiter;
use super::routes::Routes;
use super::tracking::{TrackEvent, TrackingLoop};
use super::vips::{VipPlace, Vips};
use super::{status, Daemon, Pending, SocketKey, Sockets};
use crate::config;
use crate::net::{Announcer, Netlink, RoutePlace, VrrpSocket};
use crate::sync::{facade::Arc, NotifyQueue};

/// One instance planned on this host: its plan, where its VIPs go, whether its interface
/// is up, and the hardware address of each interface it announces on.
#[derive(Debug, Clone)]
pub(super) struct HostPlan {
    pub(super) plan: InstancePlan,
    pub(super) places: Vec<VipPlace>,
    pub(super) link_up: bool,
    /// (ifindex, MAC) of each interface a VIP goes on, once each.
    pub(super) macs: Vec<(u32, Option<[u8; 6]>)>,
    /// `virtual_routes`, each `dev` resolved.
    pub(super) routes: Vec<RoutePlace>,
    /// `virtual_rules`.
    pub(super) rules: Vec<config::Rule>,
}

impl HostPlan {
    /// The VRRP socket it sends on: one per interface and source address.
    pub(super) fn socket_key(&self) -> SocketKey {
        (self.plan.interface.clone(), self.plan.core.ifindex, self.plan.core.primary_address)
    }
}

/// An instance whose interface is not ready yet: it does not exist, or has no IPv4
/// address (or no IPv6 link-local address) to send adverts from. It is shown as FAULT,
/// as keepalived shows it, and starts once the interface is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Waiting {
    /// `vrrp_instance` name.
    pub(super) name: String,
    /// Why, as `file:line:col: interface … `.
    pub(super) why: String,
}

/// The instances of a file that can run on this host now, and the ones that wait.
pub(super) struct HostPlans {
    /// The file with only the instances that run now (in file order, so every index into
    /// its instances is an instance id).
    pub(super) running: config::Config,
    /// Their plans, in the same order.
    pub(super) hosts: Vec<HostPlan>,
    /// The file as it was read, every instance in it.
    pub(super) full: config::Config,
    /// The instances that wait for their interface.
    pub(super) waiting: Vec<Waiting>,
}

/// Why [`plan_one`] did not plan an instance.
enum Unplanned {
    /// The host is not ready for it yet (see [`Waiting`]).
    Wait(String),
    /// It cannot run here.
    Refused(String),
}

/// Plans every instance of `cfg` on this host's interfaces, as `vrrpd -t` plans them on
/// stand-in ones. Every instance is tried: the error lists each refusal, one
/// `file:line:col: error: …` line each. An instance whose interface is not ready is not
/// an error: it waits ([`Waiting`]).
pub(super) async fn plan_on_host(netlink: &Netlink, cfg: config::Config) -> Result<HostPlans, String> {
    let mut running = cfg.clone();
    running.instances.clear();
    let mut hosts = Vec::new();
    let mut waiting = Vec::new();
    let mut errors = Vec::new();
    for inst in &cfg.instances {
        match plan_one(netlink, &cfg.global, inst).await {
            Ok(p) => {
                hosts.push(p);
                running.instances.push(inst.clone());
            }
            Err(Unplanned::Wait(why)) => waiting.push(Waiting { name: inst.name.clone(), why }),
            Err(Unplanned::Refused(e)) => errors.push(e),
        }
    }
    running.sync_groups = super::sync_groups::running(&cfg.sync_groups, &running.instances);
    if errors.is_empty() {
        Ok(HostPlans { running, hosts, full: cfg, waiting })
    } else {
        Err(errors.join("\n"))
    }
}

/// Whether the interface of any of `waiting` (instances of `cfg`) is ready now.
pub(super) async fn any_ready(netlink: &Netlink, cfg: &config::Config, waiting: &[Waiting]) -> bool {
    for inst in cfg.instances.iter().filter(|i| waiting.iter().any(|w| w.name == i.name)) {
        if plan_one(netlink, &cfg.global, inst).await.is_ok() {
            return true;
        }
    }
    false
}

/// Whether an interface a running instance uses (its own, or a VIP's `dev`) no longer
/// is what it was planned on: deleted (perhaps created again, under a new index), or
/// renamed. Such instances are planned again from the running file.
pub(super) async fn interfaces_moved(netlink: &Netlink, running: &[(String, u32)]) -> bool {
    for (name, index) in running {
        match netlink.link_by_index(*index).await {
            Ok(link) if link.name == *name => {}
            Ok(_) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
            Err(_) => {}
        }
    }
    false
}

async fn plan_one(
    netlink: &Netlink,
    global: &config::GlobalDefs,
    inst: &config::VrrpInstance,
) -> Result<HostPlan, Unplanned> {
    if let Some(loc) = &inst.fault_no_peer {
        // vrrp.c 2988: keepalived keeps such an instance in FAULT for good.
        return Err(Unplanned::Wait(format!(
            "{loc}: unicast_fault_no_peer and no unicast_peer: FAULT for good, as keepalived runs it"
        )));
    }
    let refused = |e: std::io::Error| Unplanned::Refused(format!("{}: error: {e}", inst.location));
    let link = netlink
        .link_by_name(&inst.interface)
        .await
        .map_err(|_| Unplanned::Wait(format!("{}: interface {} does not exist", inst.location, inst.interface)))?;
    let mut facts = LinkFacts {
        ifindex: link.index,
        primary_v4: netlink.primary_ipv4(link.index).await.map_err(refused)?.map(IpAddr::V4),
        link_local_v6: netlink.link_local_v6(link.index).await.map_err(refused)?.map(IpAddr::V6),
    };
    // use_vmac: the VIPs go on the macvlan, and so do the adverts unless vmac_xmit_base
    // (vrrp.c 3701: a VIP without `dev`, or with the instance's own, goes on the vmac).
    let mut planned = std::borrow::Cow::Borrowed(inst);
    let vip_link = match &inst.vmac {
        None => link.clone(),
        Some(vmac) => {
            if crate::net::vmac::is_macvlan(netlink, link.index).await.map_err(refused)? {
                let kind = super::plan::PlanErrorKind::VmacOnMacvlan { interface: inst.interface.clone() };
                return Err(Unplanned::Refused(
                    super::plan::PlanError { location: vmac.location.clone(), kind }.to_string(),
                ));
            }
            if facts.link_local_v6.is_none() && inst.family == config::Family::Ipv6 && inst.mcast_src_ip.is_none() {
                return Err(Unplanned::Wait(format!(
                    "{}: interface {} has no IPv6 link-local address",
                    inst.location, inst.interface
                )));
            }
            if facts.primary_v4.is_none() && inst.family == config::Family::Ipv4 && inst.mcast_src_ip.is_none() {
                return Err(Unplanned::Wait(format!(
                    "{}: interface {} has no IPv4 address to send adverts from",
                    inst.location, inst.interface
                )));
            }
            let mac = config::Vmac::mac(inst.family, inst.vrid);
            let src6 = match inst.mcast_src_ip {
                Some(IpAddr::V6(a)) => Some(a),
                _ => None,
            };
            let v = crate::net::vmac::ensure(
                netlink,
                &link,
                &vmac.name,
                mac,
                inst.family == config::Family::Ipv6,
                vmac.xmit_base,
                src6,
            )
            .await
            .map_err(|e| Unplanned::Refused(format!("{}: error: {e}", vmac.location)))?;
            if !vmac.xmit_base {
                facts.ifindex = v.index;
                planned.to_mut().interface = vmac.name.clone();
            }
            v
        }
    };
    let plan = plan_instance(global, &planned, &facts).map_err(|e| match e.kind {
        PlanErrorKind::NoIpv4Source { .. } | PlanErrorKind::NoLinkLocal { .. } => {
            Unplanned::Wait(format!("{}: {}", e.location, e.kind))
        }
        _ => Unplanned::Refused(e.to_string()),
    })?;
    let mut places = Vec::new();
    let mut macs: Vec<(u32, Option<[u8; 6]>)> = Vec::new();
    for vip in &plan.vips {
        let other_dev = vip.other_interface(&inst.interface, inst.vmac.as_ref());
        let base = match other_dev {
            Some(dev) => netlink
                .link_by_name(dev)
                .await
                .map_err(|_| Unplanned::Wait(format!("{}: interface {dev} does not exist", vip.location)))?,
            None => link.clone(),
        };
        let vip_family = config::Family::of(&vip.addr);
        let l = match (&vip.vmac, other_dev) {
            // use_vmac_addr / the line's use_vmac (vrrp.c 3705-3760): a macvlan of its own on
            // the address's interface, with its family's virtual MAC, an IPv6 one with the
            // base's link-local as keepalived gives it. Adverts never use it.
            (Some(name), _) => crate::net::vmac::ensure(
                netlink,
                &base,
                name,
                config::Vmac::mac(vip_family, inst.vrid),
                vip_family == config::Family::Ipv6,
                false,
                None,
            )
            .await
            .map_err(|e| Unplanned::Refused(format!("{}: error: {e}", vip.location)))?,
            (None, Some(_)) => base,
            // The instance's macvlan takes its own family's addresses; one of the other
            // family stays on the base interface (vrrp.c 3717: `configured_ifp`).
            (None, None) if inst.vmac.is_some() && vip_family != inst.family => base,
            (None, None) => vip_link.clone(),
        };
        if !macs.iter().any(|(i, _)| *i == l.index) {
            macs.push((l.index, l.mac));
        }
        places.push(VipPlace {
            ifindex: l.index,
            addr: vip.addr,
            prefix: vip.prefix_len,
            label: vip.label.clone(),
            brd: vip.brd,
            scope: vip.scope.unwrap_or_default(),
            tracked: !vip.no_track,
        });
    }
    let mut routes = Vec::new();
    for route in &inst.routes {
        let oif = match &route.dev {
            Some(dev) => Some(
                netlink
                    .link_by_name(dev)
                    .await
                    .map_err(|_| Unplanned::Wait(format!("{}: interface {dev} does not exist", route.location)))?
                    .index,
            ),
            None => None,
        };
        routes.push(RoutePlace { route: route.clone(), oif });
    }
    Ok(HostPlan { plan, places, link_up: link.up, macs, routes, rules: inst.rules.clone() })
}

/// Opens an announcer (AF_PACKET) for each interface of `plan` that has none in `announcers`.
pub(super) fn open_announcers(plan: &HostPlan, announcers: &mut BTreeMap<u32, Announcer>) -> Result<()> {
    for (ifindex, mac) in &plan.macs {
        if let (std::collections::btree_map::Entry::Vacant(e), Some(mac)) = (announcers.entry(*ifindex), mac) {
            e.insert(Announcer::open(*ifindex, *mac).context("opening AF_PACKET socket")?);
        }
    }
    Ok(())
}

impl Daemon {
    /// Opens everything the configuration needs; an error names the `file:line:col` of
    /// every instance that cannot run.
    pub(super) async fn build(
        netlink: Netlink,
        planned: HostPlans,
        notices: Arc<NotifyQueue<Notice>>,
        track_events: Option<tokio::sync::mpsc::Receiver<TrackEvent>>,
    ) -> Result<Daemon> {
        let HostPlans { running, hosts: host, full, waiting } = planned;
        let cfg = &running;
        let mut engine = Engine::new(notices);
        let mut plans = Vec::new();
        let mut vips = Vips::new();
        let mut routes = Routes::new();
        let mut sockets: Vec<VrrpSocket> = Vec::new();
        let mut socket_keys: Vec<SocketKey> = Vec::new();
        let mut announcers = BTreeMap::new();
        let mut links_down = BTreeSet::new();
        for (h, inst) in host.into_iter().zip(&cfg.instances) {
            if !h.link_up {
                links_down.insert(h.plan.core.ifindex);
            }
            let key = h.socket_key();
            let socket = match socket_keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    let s = VrrpSocket::open(&key.0, key.2).with_context(|| {
                        format!("{}: opening VRRP socket on {} from {}", inst.location, key.0, key.2)
                    })?;
                    sockets.push(s);
                    socket_keys.push(key);
                    sockets.len() - 1
                }
            };
            open_announcers(&h, &mut announcers)?;
            engine
                .add(h.plan.core.clone(), socket)
                .map_err(|e| anyhow::anyhow!("{}: cannot add instance: {e:?}", inst.location))?;
            vips.push_instance(&h.plan.name, h.plan.core.is_owner(), h.places);
            routes.push_instance(&h.plan.name, h.plan.core.is_owner(), h.routes, h.rules);
            plans.push(h.plan);
        }
        let mut daemon = Daemon {
            clock: Clock::start(),
            engine,
            live: plans.len(),
            plans,
            vips,
            routes,
            route_watch: None,
            sockets,
            sio: super::SocketIo::new(),
            socket_keys,
            announcers,
            netlink,
            limiter: RateLimiter::new(StdDuration::from_secs(10)),
            malformed: 0,
            send_errors: 0,
            timer: status::TimerCounters::default(),
            effects: Vec::with_capacity(EFFECTS_PER_INSTANCE * MAX_INSTANCES),
            track: TrackingLoop::new(cfg, track_events),
            stopping: false,
            waiting_na: BTreeMap::new(),
            pending: Pending { full, waiting },
            links_changed: false,
        };
        daemon.vips.remove_stale(&daemon.netlink).await;
        daemon.routes.remove_stale(&daemon.netlink).await;
        daemon.watch_routes_if_tracked();
        daemon.track.read_interfaces(&daemon.netlink).await;
        let now = daemon.clock.now();
        let ids = super::sync_groups::ids_by_name(cfg.instances.iter().map(|i| i.name.as_str()));
        let mut tx = Sockets::new(&daemon.sockets, &mut daemon.sio);
        super::sync_groups::add_all(&mut daemon.engine, now, &cfg.sync_groups, &ids, |_| None, &mut tx);
        for ifindex in links_down {
            daemon.engine.on_link(now, ifindex, false, &mut Sockets::new(&daemon.sockets, &mut daemon.sio));
        }
        Ok(daemon)
    }
}

/// A file vrrpd created (the control socket, the pid file), removed when this is dropped:
/// at exit, and on a failed start.
#[derive(Debug)]
pub(super) struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The control socket's mode: owner and group may connect, nobody else.
const SOCKET_MODE: u32 = 0o660;

/// The mode of a directory vrrpd creates for the control socket.
const DIR_MODE: u32 = 0o750;

/// The pid file's mode: anyone may read it, only vrrpd's user may write it.
const PID_FILE_MODE: u32 = 0o644;

/// The group named by `--control-group` (a name or a number).
pub(super) fn control_group(name: &str) -> Result<Gid> {
    if let Ok(gid) = name.parse::<u32>() {
        return Ok(Gid::from_raw(gid));
    }
    match Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid),
        Ok(None) => Err(anyhow::anyhow!("--control-group {name}: no such group")),
        Err(e) => Err(anyhow::anyhow!("--control-group {name}: looking the group up: {e}")),
    }
}

/// Binds the control socket at `path`: its file mode 0660 and its group `group` (vrrpd's
/// own group if `None`), whatever the umask; the directories it creates for it 0750 and in
/// `group` too. A directory that already exists is the operator's and is left as it is.
///
/// Refuses to start if another vrrpd answers on `path` (taking its socket over would leave
/// it unreachable); a stale socket file left by a vrrpd that died is replaced, anything
/// else at `path` is an error. The returned guard removes the socket file.
pub(super) fn bind_control(path: &Path, group: Option<Gid>) -> Result<(UnixListener, RemoveOnDrop)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dirs(dir, group)?;
    }
    if listening(path) {
        anyhow::bail!(
            "another vrrpd is listening on the control socket {}: stop it first, or give this one \
             another --control-socket",
            path.display()
        );
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(path);
    }
    let binding = || format!("binding control socket {}", path.display());
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None).with_context(binding)?;
    // Linux creates the socket file with the socket inode's mode, less the umask: set it
    // before bind, so the file is never more open than 0660, whatever the umask.
    fchmod(&socket, Mode::from_bits_truncate(SOCKET_MODE)).with_context(binding)?;
    socket.bind(&SockAddr::unix(path).with_context(binding)?).with_context(binding)?;
    let file = RemoveOnDrop(path.to_owned());
    // A umask stricter than 0117 took bits away: restore exactly 0660, then the group. Until
    // `listen` below nobody can connect, so these need not be atomic.
    set_mode(path, SOCKET_MODE)?;
    if let Some(gid) = group {
        chown(path, None, Some(gid)).with_context(|| format!("setting the group of {}", path.display()))?;
    }
    socket.listen(128).with_context(binding)?;
    Ok((socket.into(), file))
}

/// Whether something accepts connections on the socket at `path`. Asked without blocking: a
/// listener whose backlog is full is listening too.
fn listening(path: &Path) -> bool {
    let Ok(addr) = SockAddr::unix(path) else { return false };
    let Ok(probe) = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None) else { return false };
    match probe.connect(&addr) {
        Ok(()) => true,
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    }
}

/// Creates `dir` and its missing parents, each 0750 and in `group`; leaves existing ones alone.
fn create_dirs(dir: &Path, group: Option<Gid>) -> Result<()> {
    let missing: Vec<&Path> =
        dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err()).collect();
    for d in missing.into_iter().rev() {
        match DirBuilder::new().mode(DIR_MODE).create(d) {
            Ok(()) => {}
            // Created meanwhile by someone else: theirs, left alone.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("creating {} ({})", d.display(), crate::service::runtime::hint(d)))
            }
        }
        // Created 0750 less the umask; never more open than that, so these need not be atomic.
        set_mode(d, DIR_MODE)?;
        if let Some(gid) = group {
            chown(d, None, Some(gid)).with_context(|| format!("setting the group of {}", d.display()))?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {} to {mode:o}", path.display()))
}

/// Writes this process's pid to `path`, mode 0644 whatever the umask; the returned guard
/// removes the file.
pub(super) fn write_pid_file(path: &Path) -> Result<RemoveOnDrop> {
    let writing = || format!("writing {}", path.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PID_FILE_MODE)
        .open(path)
        .with_context(writing)?;
    let guard = RemoveOnDrop(path.to_owned());
    // `mode` applies only to a file this call created, and less the umask.
    file.set_permissions(Permissions::from_mode(PID_FILE_MODE)).with_context(writing)?;
    writeln!(file, "{}", std::process::id()).with_context(writing)?;
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::UnixStream;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn the_socket_is_0660_its_new_directories_0750_and_an_existing_directory_is_left_alone() {
        let top = tempfile::tempdir().unwrap();
        std::fs::set_permissions(top.path(), Permissions::from_mode(0o711)).unwrap();
        let path = top.path().join("run/vrrpd/vrrpd.sock");
        let (_listener, file) = bind_control(&path, None).unwrap();
        assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_socket());
        assert_eq!(mode(&path), 0o660);
        assert_eq!(mode(&top.path().join("run")), 0o750);
        assert_eq!(mode(&top.path().join("run/vrrpd")), 0o750);
        assert_eq!(mode(top.path()), 0o711);
        drop(file);
        assert!(std::fs::symlink_metadata(&path).is_err(), "socket file left behind");
    }

    #[test]
    fn a_live_socket_is_not_taken_over_a_stale_one_is_replaced_and_other_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vrrpd.sock");
        let (first, _file) = bind_control(&path, None).unwrap();
        let err = bind_control(&path, None).unwrap_err();
        assert!(err.to_string().starts_with("another vrrpd is listening on the control socket "), "{err}");
        assert!(UnixStream::connect(&path).is_ok(), "the running one lost its socket");
        // The first one died (its file stays): the next start replaces the file.
        drop(first);
        let (_second, _file) = bind_control(&path, None).unwrap();
        assert!(UnixStream::connect(&path).is_ok());
        // Not a socket: not ours to remove.
        let other = dir.path().join("notes");
        std::fs::write(&other, "x").unwrap();
        assert!(bind_control(&other, None).is_err());
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "x");
    }

    #[test]
    fn control_groups_are_names_or_numbers() {
        assert_eq!(control_group("root").unwrap(), Gid::from_raw(0));
        assert_eq!(control_group("nogroup").unwrap(), Gid::from_raw(65534));
        assert_eq!(control_group("4242").unwrap(), Gid::from_raw(4242));
        let err = control_group("no-such-group-here").unwrap_err();
        assert_eq!(err.to_string(), "--control-group no-such-group-here: no such group");
    }

    #[test]
    fn the_pid_file_is_0644_holds_our_pid_and_goes_with_its_guard() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vrrpd.pid");
        // One left by an earlier run, writable by anyone.
        std::fs::write(&path, "1\n").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o666)).unwrap();
        let guard = write_pid_file(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", std::process::id()));
        assert_eq!(mode(&path), 0o644);
        drop(guard);
        assert!(std::fs::symlink_metadata(&path).is_err(), "pid file left behind");
    }
}
