//! The virtual addresses on the host: where each instance's VIPs live, which of them
//! vrrpd added (and so must remove), and what to do when someone else removes one.
//!
//! One owner for the bookkeeping, so the rule "every VIP we added is removed on exit,
//! whatever the state, and no other address is ever touched" is kept in one place:
//! [`Vips::add`] and [`Vips::remove`] carry out the core's `AddVips` / `RemoveVips`,
//! [`Vips::remove_stale`] cleans up after a vrrpd that died, [`Vips::forget`] and
//! [`Vips::resync`] notice addresses removed behind our back, [`Vips::remove_all`] runs
//! at exit.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use tracing::{error, warn};
use vrrp_core::router::InstanceId;

use crate::config::Scope;
use crate::net::Netlink;

/// A VIP and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipPlace {
    /// Interface the address goes on (`dev`, or the instance's interface).
    pub ifindex: u32,
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// IPv4 label (`label eth1:vip`).
    pub label: Option<String>,
    /// IPv4 broadcast (`brd`).
    pub brd: Option<Ipv4Addr>,
    /// Address scope (`scope`), as written.
    pub scope: Scope,
    /// Whether its removal by someone else makes a master step down (not `no_track`).
    pub tracked: bool,
}

impl VipPlace {
    /// The key the kernel knows the address by.
    fn key(&self) -> Key {
        (self.ifindex, self.addr, self.prefix)
    }
}

/// (ifindex, address, prefix length): how the kernel names an address.
pub type Key = (u32, IpAddr, u8);

/// One instance's addresses.
#[derive(Debug)]
struct InstanceVips {
    name: String,
    /// An address owner's stale VIPs are not removed at start (they may be its own).
    owner: bool,
    places: Vec<VipPlace>,
}

/// Every instance's VIPs, by instance id, and the ones currently added by us.
#[derive(Debug, Default)]
pub struct Vips {
    instances: Vec<InstanceVips>,
    /// VIPs we added and have not removed: removed on exit whatever the state.
    added: BTreeSet<Key>,
    /// IPv6 VIPs just added whose RTM_NEWADDR has not come back yet: Linux finishes a
    /// new IPv6 address (and its local route) in deferred work, and until then drops what
    /// is sent to it. Announcing such an address would draw traffic the host cannot take.
    unconfirmed: BTreeSet<Key>,
}

impl Vips {
    /// No instance yet.
    pub fn new() -> Self {
        Vips::default()
    }

    /// Registers the next instance's addresses; call in instance-id order.
    pub fn push_instance(&mut self, name: &str, owner: bool, places: Vec<VipPlace>) {
        self.instances.push(InstanceVips { name: name.to_owned(), owner, places });
    }

    /// The addresses of instance `id` (empty for an unknown id).
    pub fn of(&self, id: InstanceId) -> &[VipPlace] {
        self.instances.get(usize::from(id.0)).map_or(&[], |i| i.places.as_slice())
    }

    /// Whether we added `key` and have not removed it.
    pub fn is_added(&self, key: &Key) -> bool {
        self.added.contains(key)
    }

    /// Interfaces on which we hold at least one VIP.
    pub fn interfaces_with_added(&self) -> BTreeSet<u32> {
        self.added.iter().map(|(index, _, _)| *index).collect()
    }

    /// A previous vrrpd that died (SIGKILL, crash) may have left VIPs behind; a backup
    /// must not hold them. The owner's addresses are its own and stay. Each one found and
    /// removed is logged (removing an absent address succeeds too, so presence is read
    /// first); an interface whose addresses cannot be read is cleaned blind.
    pub async fn remove_stale(&self, netlink: &Netlink) {
        // Each interface's addresses, read once; `None` if they could not be read.
        let mut present: BTreeMap<u32, Option<BTreeSet<Key>>> = BTreeMap::new();
        for inst in self.instances.iter().filter(|i| !i.owner) {
            for v in &inst.places {
                let keys = match present.entry(v.ifindex) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => e.insert(present_keys(netlink, v.ifindex).await.ok()),
                };
                let found = keys.as_ref().map(|keys| keys.contains(&v.key()));
                if found == Some(false) {
                    continue;
                }
                match netlink.del_address(v.ifindex, v.addr, v.prefix).await {
                    Ok(()) if found == Some(true) => {
                        warn!("({}) removed stale {}/{} left by a previous run", inst.name, v.addr, v.prefix)
                    }
                    Ok(()) => {}
                    Err(e) => warn!("({}) removing stale {}/{}: {e}", inst.name, v.addr, v.prefix),
                }
            }
        }
    }

    /// Adds instance `id`'s VIPs (it became MASTER).
    pub async fn add(&mut self, netlink: &Netlink, id: InstanceId) {
        let Vips { instances, added, unconfirmed } = self;
        let Some(inst) = instances.get(usize::from(id.0)) else { return };
        for v in &inst.places {
            add_place(netlink, added, unconfirmed, &inst.name, v).await;
        }
    }

    /// Whether `key` is an IPv6 VIP we added that the kernel has not finished yet.
    pub fn is_unconfirmed(&self, key: &Key) -> bool {
        self.unconfirmed.contains(key)
    }

    /// The kernel reported `key` (RTM_NEWADDR): usable now. Returns whether it was waiting.
    pub fn confirm(&mut self, key: &Key) -> bool {
        self.unconfirmed.remove(key)
    }

    /// Removes instance `id`'s VIPs (it left MASTER).
    ///
    /// The owner's VIPs too: vrrpd added them (as keepalived does, priority 255 is not
    /// taken to mean they are the interface's own addresses), and an owner that is no
    /// longer master (FAULT, or a lost duplicate-owner election) must not keep them.
    pub async fn remove(&mut self, netlink: &Netlink, id: InstanceId) {
        let Vips { instances, added, unconfirmed } = self;
        let Some(inst) = instances.get(usize::from(id.0)) else { return };
        for v in &inst.places {
            remove_place(netlink, added, unconfirmed, &inst.name, v).await;
        }
    }

    /// After a reload: the VIPs `old` added are ours here too (they stay on the host).
    pub fn carry_added(&mut self, old: &Vips) {
        self.added.extend(old.added.iter().copied());
        self.unconfirmed.extend(old.unconfirmed.iter().copied());
    }

    /// Which of `old` (the places instance `id` had before a reload) to remove and which
    /// of its places now to add, by the kernel's key: (gone, new).
    fn place_changes(&self, id: InstanceId, old: &[VipPlace]) -> (Vec<VipPlace>, Vec<VipPlace>) {
        let now = self.of(id);
        let gone = old.iter().filter(|v| !now.iter().any(|n| n.key() == v.key())).cloned().collect();
        let new = now.iter().filter(|n| !old.iter().any(|v| v.key() == n.key())).cloned().collect();
        (gone, new)
    }

    /// A reload changed the addresses of instance `id` while it holds them: the ones no
    /// longer configured that we added are removed, the new ones added.
    pub async fn replace_places(&mut self, netlink: &Netlink, id: InstanceId, old: &[VipPlace]) {
        let (gone, new) = self.place_changes(id, old);
        let name = self.instances.get(usize::from(id.0)).map_or_else(String::new, |i| i.name.clone());
        let ours: Vec<VipPlace> = gone.into_iter().filter(|v| self.added.contains(&v.key())).collect();
        for v in &ours {
            remove_place(netlink, &mut self.added, &mut self.unconfirmed, &name, v).await;
        }
        for v in &new {
            add_place(netlink, &mut self.added, &mut self.unconfirmed, &name, v).await;
        }
    }

    /// Removes every VIP we added, whatever happened (exit).
    pub async fn remove_all(&mut self, netlink: &Netlink) {
        for (ifindex, addr, prefix) in std::mem::take(&mut self.added) {
            if let Err(e) = netlink.del_address(ifindex, addr, prefix).await {
                error!("removing {addr}/{prefix}: {e}");
            }
        }
    }

    /// One of our VIPs disappeared without us removing it: it is no longer ours to
    /// remove. Returns whether it was one of ours.
    pub fn forget(&mut self, vip: Key) -> bool {
        self.unconfirmed.remove(&vip);
        self.added.remove(&vip)
    }

    /// Interface `ifindex` was deleted, and its addresses with it: none of ours is there.
    pub fn forget_interface(&mut self, ifindex: u32) {
        self.added.retain(|k| k.0 != ifindex);
        self.unconfirmed.retain(|k| k.0 != ifindex);
    }

    /// The instances for which `key` is a tracked VIP (not `no_track`): its removal by
    /// someone else makes such an instance, if MASTER, step down.
    pub fn tracked_by(&self, key: &Key) -> Vec<InstanceId> {
        (0u16..)
            .zip(&self.instances)
            .filter(|(_, i)| i.places.iter().any(|v| v.tracked && v.key() == *key))
            .map(|(n, _)| InstanceId(n))
            .collect()
    }

    /// Forgets every VIP of ours on `ifindex` that is not in `present` (what the kernel
    /// says the interface holds now, after notifications were lost); returns them.
    pub fn forget_missing(&mut self, ifindex: u32, present: &BTreeSet<Key>) -> Vec<Key> {
        let gone: Vec<Key> = self.added.iter().filter(|v| v.0 == ifindex && !present.contains(v)).copied().collect();
        for vip in &gone {
            self.forget(*vip);
        }
        gone
    }

    /// Re-reads which of our VIPs are still on their interfaces and forgets the others;
    /// returns the ones forgotten.
    pub async fn resync(&mut self, netlink: &Netlink) -> Vec<Key> {
        let mut gone = Vec::new();
        for index in self.interfaces_with_added() {
            match present_keys(netlink, index).await {
                Ok(present) => gone.extend(self.forget_missing(index, &present)),
                Err(e) => warn!("re-reading the addresses of link {index}: {e}"),
            }
        }
        gone
    }
}

/// Adds `v` for instance `name`; a success is ours to remove, and an IPv6 one waits for
/// the kernel's notification before it is announced.
async fn add_place(
    netlink: &Netlink,
    added: &mut BTreeSet<Key>,
    unconfirmed: &mut BTreeSet<Key>,
    name: &str,
    v: &VipPlace,
) {
    match netlink.add_address(v.ifindex, v.addr, v.prefix, v.label.as_deref(), v.brd, v.scope).await {
        Ok(()) => {
            added.insert(v.key());
            if v.addr.is_ipv6() {
                unconfirmed.insert(v.key());
            }
        }
        Err(e) => error!("({name}) adding {}/{}: {e}", v.addr, v.prefix),
    }
}

/// Removes `v` for instance `name`.
async fn remove_place(
    netlink: &Netlink,
    added: &mut BTreeSet<Key>,
    unconfirmed: &mut BTreeSet<Key>,
    name: &str,
    v: &VipPlace,
) {
    unconfirmed.remove(&v.key());
    match netlink.del_address(v.ifindex, v.addr, v.prefix).await {
        Ok(()) => {
            added.remove(&v.key());
        }
        Err(e) => error!("({name}) removing {}/{}: {e}", v.addr, v.prefix),
    }
}

/// The addresses the kernel says `ifindex` holds now, as keys.
async fn present_keys(netlink: &Netlink, ifindex: u32) -> std::io::Result<BTreeSet<Key>> {
    Ok(netlink.addresses(ifindex).await?.into_iter().map(|a| (ifindex, a.addr, a.prefix)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(ifindex: u32, last: u8) -> VipPlace {
        VipPlace {
            ifindex,
            addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)),
            prefix: 24,
            label: None,
            brd: None,
            scope: Scope::Global,
            tracked: true,
        }
    }

    #[test]
    fn places_are_found_by_instance_id_and_unknown_ids_have_none() {
        let mut vips = Vips::new();
        vips.push_instance("A", false, vec![place(3, 1), place(3, 2)]);
        vips.push_instance("B", true, vec![place(4, 9)]);
        assert_eq!(vips.of(InstanceId(0)).len(), 2);
        assert_eq!(vips.of(InstanceId(1)), [place(4, 9)]);
        assert!(vips.of(InstanceId(2)).is_empty());
    }

    #[test]
    fn a_reload_keeps_what_we_added_and_changes_only_the_places_that_differ() {
        let mut old = Vips::new();
        old.push_instance("A", false, vec![place(3, 1), place(3, 2)]);
        old.added.extend([place(3, 1).key(), place(3, 2).key()]);
        let mut new = Vips::new();
        let mut relabelled = place(3, 1);
        relabelled.label = Some("eth1:vip".into());
        new.push_instance("A", false, vec![relabelled, place(3, 3)]);
        new.carry_added(&old);
        assert!(new.is_added(&place(3, 1).key()) && new.is_added(&place(3, 2).key()));
        let (gone, added) = new.place_changes(InstanceId(0), old.of(InstanceId(0)));
        // The same address with another label is the same address to the kernel: kept.
        assert_eq!(gone, [place(3, 2)]);
        assert_eq!(added, [place(3, 3)]);
    }

    #[test]
    fn a_removed_vip_concerns_the_instances_tracking_it_and_not_no_track() {
        let mut vips = Vips::new();
        let mut untracked = place(3, 2);
        untracked.tracked = false;
        vips.push_instance("A", false, vec![place(3, 1), untracked.clone()]);
        vips.push_instance("B", false, vec![place(4, 1)]);
        vips.push_instance("C", false, vec![place(3, 1)]);
        assert_eq!(vips.tracked_by(&place(3, 1).key()), [InstanceId(0), InstanceId(2)]);
        assert!(vips.tracked_by(&untracked.key()).is_empty());
        assert_eq!(vips.tracked_by(&place(4, 1).key()), [InstanceId(1)]);
        assert!(vips.tracked_by(&place(4, 9).key()).is_empty());
    }

    #[test]
    fn only_our_vips_are_forgotten_and_only_on_the_reread_interface() {
        let mut vips = Vips::new();
        let (a, b, c) = (place(3, 1).key(), place(3, 2).key(), place(4, 1).key());
        vips.added.extend([a, b, c]);
        // Someone else's address is not ours to forget.
        assert!(!vips.forget(place(3, 77).key()));
        // Interface 3 now holds only `a`: `b` was removed behind our back; `c` lives on 4.
        assert_eq!(vips.forget_missing(3, &BTreeSet::from([a])), [b]);
        assert!(vips.is_added(&a) && !vips.is_added(&b) && vips.is_added(&c));
        assert_eq!(vips.interfaces_with_added(), BTreeSet::from([3, 4]));
        assert!(vips.forget(c));
        assert_eq!(vips.interfaces_with_added(), BTreeSet::from([3]));
    }
}
