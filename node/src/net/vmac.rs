//! `use_vmac`: the macvlan vrrpd creates for an instance, carrying the RFC 9568 §7.3
//! virtual MAC, and the sysctls it sets, as keepalived 2.2.7 does.
//!
//! Followed from keepalived (vrrp_vmac.c `netlink_link_add_vmac`, vrrp_if_config.c
//! `set_interface_parameters_sysctl`):
//! - mode private (vrrp_vmac.c 353), address 00-00-5E-00-01-{VRID} (IPv6 …-02-…),
//!   linked to the instance's interface, brought up (vrrp_vmac.c 466 `netlink_link_up`);
//! - on the macvlan: `arp_ignore` 1, `accept_local` 1, `rp_filter` 0, `promote_secondaries`
//!   1 (vrrp_if_config.c 317-321); IPv6 off for an IPv4 instance (vrrp_vmac.c 412
//!   `link_set_ipv6`), no automatic link-local for an IPv6 one (vrrp_vmac.c 421
//!   `IN6_ADDR_GEN_MODE_NONE`) but the base interface's link-local, which is not derived
//!   from the shared MAC (vrrp_vmac.c 231 `set_link_local_address`);
//! - on the base interface: `arp_ignore` 1 and `arp_filter` 1 (vrrp_if_config.c 331-337),
//!   so the host's own addresses answer ARP with the host's MAC and the VIPs with the
//!   virtual one only (keepalived issue #364), restored at exit (vrrp_if_config.c 345);
//!   vrrpd adds `arp_announce` 2 there (see [`BASE_SYSCTLS`]).
//!
//! Unlike keepalived, what vrrpd changes on the base interface is written into the
//! macvlan's alias (`ip link` shows it): a vrrpd killed with SIGKILL leaves the macvlan,
//! and the next start reads the old values from it, restores them and removes it. Only
//! macvlans with that alias are removed; an interface of the wanted name that is not one
//! is an error, never touched.

use std::io;

use futures::TryStreamExt;
use netlink_packet_route::link::{InfoData, InfoKind, InfoMacVlan, LinkAttribute, LinkInfo, LinkMessage, MacVlanMode};
use rtnetlink::{LinkMacVlan, LinkUnspec};

use super::netlink::{errno, link_from, nl_error, Link, Netlink};
use crate::config::Scope;

/// The alias of every macvlan vrrpd creates; what follows it records the base
/// interface's sysctls as they were before vrrpd changed them.
pub const MARK: &str = "vrrpd-vmac";

/// The base interface sysctls vrrpd sets, and their values: `arp_ignore` 1 and `arp_filter`
/// 1 as keepalived (vrrp_if_config.c 331-337); and, unlike keepalived, `arp_announce` 2:
/// traffic from a VIP to a host of the VIP's subnet leaves by the base interface (its
/// connected route comes first), and the ARP requests it needs would otherwise carry the
/// VIP as sender address with the base's MAC, turning every neighbour's entry for the VIP
/// to the host's own MAC (found by e2e_vmac; the point of the virtual MAC is lost).
const BASE_SYSCTLS: [(&str, u32); 3] = [("arp_ignore", 1), ("arp_filter", 1), ("arp_announce", 2)];

/// A macvlan vrrpd created (its alias starts with [`MARK`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ours {
    /// The macvlan.
    pub link: Link,
    /// ifindex of the interface it sits on.
    pub base: u32,
    /// Its alias: [`MARK`] and the base's old sysctls.
    pub alias: String,
    /// macvlan mode private, as created.
    pub private: bool,
}

/// Every interface of the namespace with its kind and lower interface.
async fn all_links(netlink: &Netlink) -> io::Result<Vec<LinkMessage>> {
    netlink.handle.link().get().execute().try_collect().await.map_err(nl_error)
}

fn kind_of(msg: &LinkMessage) -> Option<&InfoKind> {
    msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Kind(k) => Some(k),
            _ => None,
        }),
        _ => None,
    })
}

fn private_mode(msg: &LinkMessage) -> bool {
    msg.attributes.iter().any(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().any(|i| match i {
            LinkInfo::Data(InfoData::MacVlan(d)) => d.contains(&InfoMacVlan::Mode(MacVlanMode::Private)),
            _ => false,
        }),
        _ => false,
    })
}

fn ours_from(msg: &LinkMessage) -> Option<Ours> {
    if kind_of(msg) != Some(&InfoKind::MacVlan) {
        return None;
    }
    let alias = msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfAlias(s) => Some(s.clone()),
        _ => None,
    })?;
    if !alias.starts_with(MARK) {
        return None;
    }
    let base = msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::Link(i) => Some(*i),
        _ => None,
    })?;
    Some(Ours { link: link_from(msg), base, alias, private: private_mode(msg) })
}

/// The macvlans vrrpd created in this namespace.
pub async fn ours(netlink: &Netlink) -> io::Result<Vec<Ours>> {
    Ok(all_links(netlink).await?.iter().filter_map(ours_from).collect())
}

/// Whether interface `index` is itself a macvlan (`use_vmac` on one is refused).
pub async fn is_macvlan(netlink: &Netlink, index: u32) -> io::Result<bool> {
    Ok(all_links(netlink).await?.iter().any(|m| m.header.index == index && kind_of(m) == Some(&InfoKind::MacVlan)))
}

/// The names of the macvlans in this namespace now, for `vrrpd -t` (which runs outside
/// the daemon's runtime: this one is its own, and ends here). An error inside a runtime.
pub fn macvlans_now() -> io::Result<std::collections::BTreeSet<String>> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(io::Error::other("macvlans_now called inside a tokio runtime"));
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let netlink = Netlink::new()?;
        Ok(all_links(&netlink)
            .await?
            .iter()
            .filter(|m| kind_of(m) == Some(&InfoKind::MacVlan))
            .filter_map(|m| {
                m.attributes.iter().find_map(|a| match a {
                    LinkAttribute::IfName(n) => Some(n.clone()),
                    _ => None,
                })
            })
            .collect())
    })
}

fn sysctl_path(family: &str, ifname: &str, key: &str) -> String {
    format!("/proc/sys/net/{family}/conf/{ifname}/{key}")
}

fn read_sysctl(ifname: &str, key: &str) -> io::Result<u32> {
    let text = std::fs::read_to_string(sysctl_path("ipv4", ifname, key))?;
    text.trim().parse().map_err(|_| io::Error::other(format!("{ifname} {key}: not a number: {text:?}")))
}

fn write_sysctl(family: &str, ifname: &str, key: &str, value: u32) -> io::Result<()> {
    std::fs::write(sysctl_path(family, ifname, key), format!("{value}\n"))
        .map_err(|e| io::Error::new(e.kind(), format!("setting net.{family}.conf.{ifname}.{key} to {value}: {e}")))
}

/// The alias recording the base's sysctls as they are now.
fn alias_for(base: &str) -> io::Result<String> {
    let mut alias = MARK.to_string();
    for (key, _) in BASE_SYSCTLS {
        alias.push_str(&format!(" {key}={}", read_sysctl(base, key)?));
    }
    Ok(alias)
}

/// The old sysctls an alias records: (key, the value vrrpd sets, the old value).
fn recorded(alias: &str) -> Vec<(&str, u32, u32)> {
    alias
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k, BASE_SYSCTLS.iter().find(|(b, _)| *b == k)?.1, v.parse().ok()?)))
        .collect()
}

/// The macvlan `name` with `mac` on `base`, created as keepalived creates it (see the
/// module notes) unless vrrpd already made it (a reload keeps it). An interface `name`
/// that is not vrrpd's is an error and left alone.
///
/// `ipv6`: an IPv6 instance; unless `xmit_base`, its advert source `src6` (its
/// `mcast_src_ip`, else the base's link-local) is put on the macvlan, as vrrp_vmac.c 468
/// (`set_link_local_address` when not `VRRP_VMAC_XMITBASE_BIT`) does.
pub async fn ensure(
    netlink: &Netlink,
    base: &Link,
    name: &str,
    mac: [u8; 6],
    ipv6: bool,
    xmit_base: bool,
    src6: Option<std::net::Ipv6Addr>,
) -> io::Result<Link> {
    let existing = ours(netlink).await?;
    if let Some(o) = existing.iter().find(|o| o.link.name == name) {
        if o.base == base.index && o.link.mac == Some(mac) && o.private {
            if ipv6 && !xmit_base {
                // Made while the base had no usable link-local yet (DAD running): add it now.
                add_link_local(netlink, base, src6, o.link.index).await?;
            }
            return Ok(o.link.clone());
        }
        // Ours, but for another interface or VRID: made again.
        remove(netlink, o).await?;
    } else if netlink.link_by_name(name).await.is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("use_vmac: interface {name} exists and is not a virtual MAC interface vrrpd created; not touched"),
        ));
    }
    let alias = match existing.iter().find(|o| o.base == base.index) {
        // The base's sysctls were already changed by vrrpd: the first record holds the old values.
        Some(o) => o.alias.clone(),
        None => alias_for(&base.name)?,
    };
    let msg = LinkMacVlan::new(name, base.index, MacVlanMode::Private).address(mac.to_vec()).build();
    netlink.handle.link().add(msg).execute().await.map_err(|e| {
        io::Error::new(nl_error_kind(&e), format!("creating macvlan {name} on {}: {}", base.name, nl_error(e)))
    })?;
    let link = netlink.link_by_name(name).await?;
    let set_alias =
        LinkUnspec::new_with_index(link.index).append_extra_attribute(LinkAttribute::IfAlias(alias)).build();
    netlink.handle.link().set(set_alias).execute().await.map_err(nl_error)?;
    // vrrp_if_config.c 317-321, on the macvlan.
    for (key, value) in [("arp_ignore", 1), ("accept_local", 1), ("rp_filter", 0), ("promote_secondaries", 1)] {
        write_sysctl("ipv4", name, key, value)?;
    }
    if ipv6 {
        // vrrp_vmac.c 421: no link-local derived from the shared MAC.
        write_sysctl("ipv6", name, "addr_gen_mode", 1)?;
    } else {
        // vrrp_vmac.c 412: no IPv6 on an IPv4 instance's macvlan.
        write_sysctl("ipv6", name, "disable_ipv6", 1)?;
    }
    // vrrp_if_config.c 331-337, on the base: only what differs.
    for (key, value) in BASE_SYSCTLS {
        if read_sysctl(&base.name, key)? != value {
            write_sysctl("ipv4", &base.name, key, value)?;
        }
    }
    let up = LinkUnspec::new_with_index(link.index).up().build();
    netlink.handle.link().set(up).execute().await.map_err(nl_error)?;
    if ipv6 && !xmit_base {
        add_link_local(netlink, base, src6, link.index).await?;
    }
    netlink.link_by_name(name).await
}

/// vrrp_vmac.c 231 `set_link_local_address`: the configured source, else the base's
/// link-local, on the macvlan (already there is fine): the advert source there.
async fn add_link_local(
    netlink: &Netlink,
    base: &Link,
    src6: Option<std::net::Ipv6Addr>,
    index: u32,
) -> io::Result<()> {
    let ll = match src6 {
        Some(a) => Some(a),
        None => netlink.link_local_v6(base.index).await?,
    };
    if let Some(ll) = ll {
        netlink.add_address(index, ll.into(), 64, None, None, Scope::default()).await?;
    }
    Ok(())
}

fn nl_error_kind(e: &rtnetlink::Error) -> io::ErrorKind {
    match errno(e) {
        Some(libc::EEXIST) => io::ErrorKind::AlreadyExists,
        Some(libc::EPERM) => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    }
}

/// Removes one macvlan of ours; when it was the last one on its base, restores the base's
/// sysctls it records, each only if it still holds the 1 vrrpd wrote (a value somebody
/// changed since is theirs).
async fn remove(netlink: &Netlink, o: &Ours) -> io::Result<()> {
    match netlink.handle.link().del(o.link.index).execute().await {
        Err(e) if errno(&e) != Some(libc::ENODEV) => return Err(nl_error(e)),
        _ => {}
    }
    let others = ours(netlink).await?;
    if others.iter().any(|x| x.base == o.base) {
        return Ok(());
    }
    let Ok(base) = netlink.link_by_index(o.base).await else { return Ok(()) };
    for (key, set, old) in recorded(&o.alias) {
        if old != set && read_sysctl(&base.name, key).ok() == Some(set) {
            write_sysctl("ipv4", &base.name, key, old)?;
        }
    }
    Ok(())
}

/// Removes every macvlan vrrpd created in this namespace and restores what it changed
/// on their base interfaces: at exit, and at start for those a killed vrrpd left.
/// Returns the names removed.
pub async fn remove_all(netlink: &Netlink) -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(list) = ours(netlink).await else { return removed };
    for o in &list {
        match remove(netlink, o).await {
            Ok(()) => removed.push(o.link.name.clone()),
            Err(e) => tracing::warn!("removing virtual MAC interface {}: {e}", o.link.name),
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alias_records_the_base_sysctls_and_nothing_else_is_read_from_it() {
        assert_eq!(
            recorded("vrrpd-vmac arp_ignore=0 arp_filter=2 arp_announce=1"),
            vec![("arp_ignore", 1, 0), ("arp_filter", 1, 2), ("arp_announce", 2, 1)]
        );
        assert_eq!(recorded("vrrpd-vmac rp_filter=1 arp_ignore=x"), vec![]);
    }
}
