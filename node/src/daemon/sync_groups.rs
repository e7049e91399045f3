//! `vrrp_sync_group`s between the configuration and the core router: which members run,
//! and the groups added to an engine at start and at each reload.

use std::collections::HashMap;

use tracing::warn;
use vrrp_core::router::InstanceId;
use vrrp_core::State;

use super::engine::{Engine, Transmit};
use crate::config::{SyncGroup, VrrpInstance};

/// The groups of `groups` as far as `running` instances run: a member waiting for its
/// interface is left out (logged) until a later plan runs it; a group with no running
/// member is left out as a whole.
pub(super) fn running(groups: &[SyncGroup], running: &[VrrpInstance]) -> Vec<SyncGroup> {
    groups
        .iter()
        .filter_map(|g| {
            let (members, waiting): (Vec<String>, Vec<String>) =
                g.members.iter().cloned().partition(|m| running.iter().any(|i| i.name == *m));
            for m in &waiting {
                warn!(
                    "VRRP_Group({}) member {m} does not run yet (waiting for its interface): synced once it runs",
                    g.name
                );
            }
            (!members.is_empty()).then(|| SyncGroup { members, ..g.clone() })
        })
        .collect()
}

/// Instance ids by name, for instances added to the engine in this order.
pub(super) fn ids_by_name<'a>(names: impl Iterator<Item = &'a str>) -> HashMap<String, InstanceId> {
    names.enumerate().filter_map(|(i, n)| Some((n.to_string(), InstanceId(u16::try_from(i).ok()?)))).collect()
}

/// Adds every group of `groups` to `engine`, whose instance `id` is `instances[id]`, in
/// order (so group ids are indices into `groups`, as the notifier knows them). `before`
/// gives a group's state before a reload (INIT for a new group).
pub(super) fn add_all(
    engine: &mut Engine,
    now: vrrp_core::Instant,
    groups: &[SyncGroup],
    ids: &HashMap<String, InstanceId>,
    before: impl Fn(&str) -> Option<State>,
    tx: &mut impl Transmit,
) {
    for g in groups {
        let members: Vec<InstanceId> = g.members.iter().filter_map(|m| ids.get(m).copied()).collect();
        let state = before(&g.name).unwrap_or(State::Initialize);
        if let Err(e) = engine.add_sync_group(now, &g.name, &members, state, tx) {
            warn!("VRRP_Group({}) cannot be set up: {e:?}", g.name);
        }
    }
    engine.release_ungrouped(now, tx);
}
