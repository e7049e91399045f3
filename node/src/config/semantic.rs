//! Checks that need a whole instance or the whole file, and keepalived's
//! defaulting rules (version, family, advert interval).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::diagnostic::{Reporter, SourceLocation};
use super::ifname::{ifname_problem, shown};
use super::model::{
    Auth, Family, GlobalDefs, InitialState, NotifyFifo, Track, TrackFile, TrackProcess, Version, Vip, Vmac,
    VrrpInstance, VrrpScript,
};
use super::raw::{RawDocument, RawFifo, RawInstance, RawTrack, Spanned};

/// What [`resolve`] hands back: the parts of a [`super::Config`] besides its warnings.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub global: GlobalDefs,
    pub instances: Vec<VrrpInstance>,
    pub scripts: Vec<VrrpScript>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    pub sync_groups: Vec<super::model::SyncGroup>,
}

/// The scripts and files instances may track, by name. `broken` names were defined
/// but dropped (no `script`, no `file`, no `process`), as keepalived drops them: an entry
/// naming one tracks nothing, and says why.
#[derive(Debug, Default)]
struct Trackables {
    scripts: HashMap<String, Trackable>,
    files: HashMap<String, Trackable>,
    processes: HashMap<String, Trackable>,
    broken_scripts: HashSet<String>,
    broken_files: HashSet<String>,
    broken_processes: HashSet<String>,
    /// Instances named in the `group` block of a `vrrp_sync_group` without
    /// `sync_group_tracking_weight`: keepalived ignores their own weights (vrrp.c 3830).
    sync_members: HashSet<String>,
}

/// A `vrrp_script` or `vrrp_track_file` as tracking entries see it.
#[derive(Debug)]
struct Trackable {
    weight: i32,
    reverse: bool,
    seq: usize,
    loc: SourceLocation,
}

const DEFAULT_PRIORITY: u8 = 100;
const DEFAULT_ADVERT_CS: u64 = 100;

pub(crate) fn resolve(mut doc: RawDocument, rep: &mut Reporter) -> Resolved {
    let mut known = Trackables::default();
    let mut scripts = Vec::new();
    let mut first_seen: HashMap<String, SourceLocation> = HashMap::new();
    for raw in std::mem::take(&mut doc.scripts) {
        // keepalived's find_script_by_name takes the first of a name, and `keepalived -t`
        // says nothing about the others: a warning, since the second is dead text.
        if let Some(first) = first_seen.get(&raw.name) {
            rep.warn_at(
                raw.loc.clone(),
                format!("duplicate vrrp_script name `{}`: first defined at {first}; keepalived uses the first, this one is ignored", raw.name),
            );
            continue;
        }
        first_seen.insert(raw.name.clone(), raw.loc.clone());
        let Some(cmd) = raw.cmd else {
            known.broken_scripts.insert(raw.name);
            continue;
        };
        let entry = Trackable { weight: raw.weight, reverse: raw.reverse, seq: raw.seq, loc: raw.loc.clone() };
        known.scripts.insert(raw.name.clone(), entry);
        scripts.push(VrrpScript {
            name: raw.name,
            location: raw.loc,
            cmd,
            interval: Duration::from_secs(raw.interval_s),
            // keepalived's timeout 0 (unset) means the interval (vrrp_scheduler.c).
            timeout: Duration::from_secs(raw.timeout_s.unwrap_or(raw.interval_s)),
            weight: raw.weight,
            reverse: raw.reverse,
            rise: raw.rise,
            fall: raw.fall,
            init_fail: raw.init_fail,
        });
    }
    let mut track_files = Vec::new();
    first_seen.clear();
    for raw in std::mem::take(&mut doc.track_files) {
        if let Some(first) = first_seen.get(&raw.name) {
            rep.warn_at(
                raw.loc.clone(),
                format!("duplicate track file name `{}`: first defined at {first}; keepalived uses the first, this one is ignored", raw.name),
            );
            continue;
        }
        first_seen.insert(raw.name.clone(), raw.loc.clone());
        let Some(path) = raw.path else {
            known.broken_files.insert(raw.name);
            continue;
        };
        let entry = Trackable { weight: raw.weight, reverse: raw.reverse, seq: raw.seq, loc: raw.loc.clone() };
        known.files.insert(raw.name.clone(), entry);
        track_files.push(TrackFile {
            name: raw.name,
            location: raw.loc,
            path,
            weight: raw.weight,
            reverse: raw.reverse,
            init_file: raw.init_file,
        });
    }
    let mut track_processes = Vec::new();
    first_seen.clear();
    for raw in std::mem::take(&mut doc.track_processes) {
        // vrrp_track.c find_tracked_process_by_name takes the first of a name.
        if let Some(first) = first_seen.get(&raw.name) {
            rep.warn_at(
                raw.loc.clone(),
                format!("duplicate vrrp_track_process name `{}`: first defined at {first}; keepalived uses the first, this one is ignored", raw.name),
            );
            continue;
        }
        first_seen.insert(raw.name.clone(), raw.loc.clone());
        let Some(process) = raw.process else {
            known.broken_processes.insert(raw.name);
            continue;
        };
        let entry = Trackable { weight: raw.weight, reverse: raw.reverse, seq: raw.seq, loc: raw.loc.clone() };
        known.processes.insert(raw.name.clone(), entry);
        track_processes.push(TrackProcess {
            name: raw.name,
            location: raw.loc,
            process,
            params: raw.params,
            param_match: raw.param_match,
            full_command: raw.full_command,
            weight: raw.weight,
            reverse: raw.reverse,
            quorum: raw.quorum,
            quorum_max: raw.quorum_max,
            fork_delay: raw.fork_delay,
            terminate_delay: raw.terminate_delay,
        });
    }
    doc.global.notify_fifo = fifo(std::mem::take(&mut doc.notify_fifo), "notify_fifo", rep);
    doc.global.vrrp_notify_fifo = fifo(std::mem::take(&mut doc.vrrp_notify_fifo), "vrrp_notify_fifo", rep);

    let mut instances = Vec::new();
    let mut names: HashMap<String, SourceLocation> = HashMap::new();
    let mut routers: HashMap<(String, u8, Family), (String, SourceLocation)> = HashMap::new();
    super::route::assign_rule_priorities(rep, doc.instances.iter_mut().flat_map(|i| i.rules.iter_mut()));
    known.sync_members = doc
        .sync_groups
        .iter()
        .filter(|g| !g.tracking_weight)
        .flat_map(|g| g.members.iter().flatten())
        .map(|m| m.value.clone())
        .collect();
    for raw in doc.instances {
        // vrrp_parser.c 417 `vrrp_handler`: "vrrp instance %s already defined", and the
        // block is skipped: keepalived runs the first only.
        if let Some(first) = names.get(&raw.name) {
            rep.recovered_at(
                raw.loc.clone(),
                format!("duplicate vrrp_instance name `{}`: first defined at {first}; this one is skipped, as keepalived does", raw.name),
            );
            continue;
        } else {
            names.insert(raw.name.clone(), raw.loc.clone());
        }
        let Some((inst, vrid_loc)) = resolve_instance(raw, &doc.global, &known, rep) else {
            continue;
        };
        // vrrp_parser.c 557: "VRRP instance %s is already using %s"; and a macvlan cannot
        // have the name of an instance's interface.
        if let Some(vmac) = &inst.vmac {
            let taken = instances.iter().find_map(|o: &VrrpInstance| {
                if o.vmac.as_ref().is_some_and(|v| v.name == vmac.name) || o.interface == vmac.name {
                    Some(o.name.clone())
                } else {
                    None
                }
            });
            if let Some(other) = taken {
                rep.error_at(
                    vmac.location.clone(),
                    format!("use_vmac {}: vrrp_instance `{other}` already uses that interface name; expected a distinct name per instance (`use_vmac NAME`)", vmac.name),
                );
            }
        }
        // Two instances with one VRID on one link would answer each other's adverts.
        let key = (inst.interface.clone(), inst.vrid, inst.family);
        if let Some((other, other_loc)) = routers.get(&key) {
            rep.error_at(
                vrid_loc,
                format!(
                    "virtual_router_id {} on {} ({}) is already used by vrrp_instance `{other}` at {other_loc}; expected a distinct virtual_router_id per interface and family",
                    inst.vrid, inst.interface, inst.family
                ),
            );
        } else {
            routers.insert(key, (inst.name.clone(), inst.location.clone()));
        }
        instances.push(inst);
    }
    assign_vip_vmacs(&mut instances);
    // The groups' own track entries, checked as an instance's are (keepalived reads them
    // with the same `alloc_track_*`), for the first group of each name (a later one is
    // skipped unread, vrrp_parser.c 227).
    let mut group_tracks: HashMap<String, InstanceTracks> = HashMap::new();
    for g in &mut doc.sync_groups {
        if group_tracks.contains_key(&g.name) {
            continue;
        }
        let mut pseudo = RawInstance::new(g.name.clone(), g.loc.clone());
        pseudo.seq = g.seq;
        pseudo.tracks = std::mem::take(&mut g.tracks);
        let tracks = resolve_tracks(&mut pseudo, false, &known, rep);
        group_tracks.insert(g.name.clone(), tracks);
    }
    let sync_groups = super::sync_group::resolve_sync_groups(std::mem::take(&mut doc.sync_groups), &instances, rep);
    for g in &sync_groups {
        if let Some(tracks) = group_tracks.remove(&g.name) {
            merge_group_tracks(g, tracks, &mut instances, &known, rep);
        }
    }
    Resolved { global: doc.global, instances, scripts, track_files, track_processes, sync_groups }
}

/// A FIFO needs its path; a `_script` alone has nothing to read.
fn fifo(raw: RawFifo, keyword: &str, rep: &mut Reporter) -> Option<NotifyFifo> {
    match raw.path {
        Some(path) => Some(NotifyFifo { path: path.value, user: raw.user, script: raw.script, location: path.loc }),
        None => {
            if let Some(script) = raw.script {
                rep.warn_at(
                    script.location,
                    format!("`{keyword}_script` without `{keyword}`: there is no FIFO for it to read; ignored"),
                );
            }
            None
        }
    }
}

/// The tracked scripts, files and interfaces of an instance, checked against what the
/// file defines, with keepalived's address-owner rule applied.
struct InstanceTracks {
    scripts: Vec<Track>,
    files: Vec<Track>,
    processes: Vec<Track>,
    interfaces: Vec<Track>,
}

/// `in_sync`: the instance is in a sync group without `sync_group_tracking_weight`.
fn resolve_tracks(raw: &mut RawInstance, in_sync: bool, known: &Trackables, rep: &mut Reporter) -> InstanceTracks {
    let name = raw.name.clone();
    let owner = raw.priority == Some(255);
    // vrrp.c 3825-3886 `vrrp_complete_instance`: a sync group member (without
    // `sync_group_tracking_weight`) or an address owner runs no floating priority: weighted
    // scripts and files are dropped; a weighted interface is dropped by an owner and made
    // weight 0 (FAULT when down) in a sync group. The sync group wins where both apply.
    let unweighted = owner || in_sync;
    let why = if in_sync { "SYNC group" } else { "address_owner (priority 255)" };
    let own_if = raw.interface.clone();

    // keepalived vrrp_track.c 214 alloc_track_script: an unknown name is "not found,
    // ignoring" and `keepalived -t` reports it; the instance then runs without what would
    // have made it step down: a warning, refused by --strict (`untracked_at`).
    let mut scripts = Vec::new();
    let mut seen: HashMap<String, SourceLocation> = HashMap::new();
    for t in std::mem::take(&mut raw.tracks.scripts) {
        if !not_duplicate(&t, "track_script", &mut seen, rep) {
            continue;
        }
        let Some(script) = known.scripts.get(&t.name) else {
            if known.broken_scripts.contains(&t.name) {
                rep.untracked_at(t.loc.clone(), format!("track_script `{}`: that vrrp_script has no script and was dropped: keepalived ignores the entry (\"not found, ignoring\"), and so does vrrpd: this instance does not track it", t.name));
            } else {
                rep.untracked_at(t.loc.clone(), format!("track_script `{}`: no vrrp_script of that name is defined: keepalived ignores the entry (\"not found, ignoring\"), and so does vrrpd: this instance does not track it; expected a `vrrp_script {} {{ ... }}` block", t.name, t.name));
            }
            continue;
        };
        if !defined_before(script, raw.seq, &t, "vrrp_script", rep) {
            continue;
        }
        let (weight, reverse) = (script.weight, script.reverse);
        let effective = t.weight.unwrap_or(weight);
        // keepalived vrrp.c vrrp_complete_instance: an address owner ignores weighted scripts.
        if unweighted && effective != 0 {
            rep.recovered_at(
                t.loc.clone(),
                format!("({name}) ignoring tracked script {} with weights due to {why}, as keepalived does", t.name),
            );
            continue;
        }
        scripts.push(Track { name: t.name, location: t.loc, weight: t.weight, reverse: t.reverse.unwrap_or(reverse) });
    }

    let mut files = Vec::new();
    seen.clear();
    for t in std::mem::take(&mut raw.tracks.files) {
        if !not_duplicate(&t, "track_file", &mut seen, rep) {
            continue;
        }
        let Some(file) = known.files.get(&t.name) else {
            if known.broken_files.contains(&t.name) {
                rep.untracked_at(t.loc.clone(), format!("track_file `{}`: that track file has no file and was dropped: keepalived ignores the entry (\"not found, ignoring\"), and so does vrrpd: this instance does not track it", t.name));
            } else {
                rep.untracked_at(t.loc.clone(), format!("track_file `{}`: no vrrp_track_file of that name is defined: keepalived ignores the entry (\"not found, ignoring\"), and so does vrrpd: this instance does not track it; expected a `vrrp_track_file {} {{ ... }}` block", t.name, t.name));
            }
            continue;
        };
        if !defined_before(file, raw.seq, &t, "vrrp_track_file", rep) {
            continue;
        }
        let (weight, reverse) = (file.weight, file.reverse);
        let mut entry_weight = t.weight;
        let effective = t.weight.unwrap_or(weight);
        if unweighted && effective == 1 {
            // weight 1 is the default: keepalived makes it 0 instead of dropping the file.
            rep.recovered_at(t.loc.clone(), format!("({name}) ignoring weight from tracked file {} due to {why}: using weight 0, as keepalived does; specify weight 0", t.name));
            entry_weight = Some(0);
        } else if unweighted && effective != 0 {
            rep.recovered_at(
                t.loc.clone(),
                format!(
                    "({name}) ignoring tracked file {} with weight {effective} due to {why}, as keepalived does",
                    t.name
                ),
            );
            continue;
        }
        files.push(Track {
            name: t.name,
            location: t.loc,
            weight: entry_weight,
            reverse: t.reverse.unwrap_or(reverse),
        });
    }

    // vrrp_track.c 320 alloc_track_process: unknown and duplicate names are reported
    // (`keepalived -t` exits 5) and the entry ignored.
    let mut processes = Vec::new();
    seen.clear();
    for t in std::mem::take(&mut raw.tracks.processes) {
        if !not_duplicate(&t, "track_process", &mut seen, rep) {
            continue;
        }
        let Some(process) = known.processes.get(&t.name) else {
            if known.broken_processes.contains(&t.name) {
                rep.untracked_at(t.loc.clone(), format!("track_process `{}`: that vrrp_track_process has no process and was dropped: keepalived ignores the entry (\"not found, ignoring\"), and so does vrrpd: this instance does not track it", t.name));
            } else {
                rep.untracked_at(t.loc.clone(), format!("track_process `{}`: no vrrp_track_process of that name is defined: keepalived ignores the entry (\"not found, ignoring\"), and so does vrrpd: this instance does not track it; expected a `vrrp_track_process {} {{ ... }}` block", t.name, t.name));
            }
            continue;
        };
        if !defined_before(process, raw.seq, &t, "vrrp_track_process", rep) {
            continue;
        }
        let effective = t.weight.unwrap_or(process.weight);
        if owner && effective != 0 {
            // keepalived keeps the entry, but vrrp_track.c process_update_track_process_status
            // never changes an address owner's priority: the weight has no effect.
            rep.warn_at(t.loc.clone(), format!("({name}) tracked process {} has weight {effective}, which does nothing on an address owner (priority 255), as in keepalived; specify weight 0", t.name));
        }
        processes.push(Track {
            name: t.name,
            location: t.loc,
            weight: t.weight,
            reverse: t.reverse.unwrap_or(process.reverse),
        });
    }

    let mut interfaces = Vec::new();
    seen.clear();
    for t in std::mem::take(&mut raw.tracks.interfaces) {
        if let Some(why) = ifname_problem(&t.name) {
            // vrrp_track.c 94 alloc_track_if: no interface has that name, so keepalived
            // reports "tracked interface %s doesn't exist" and drops the entry, and then
            // (without `dynamic_interfaces`, which vrrpd does not implement) its VRRP
            // process refuses to start: vrrp_daemon.c 525 "Non-existent interface specified
            // in configuration", exit KEEPALIVED_EXIT_CONFIG. Its `-t` exits 5 all the same;
            // vrrpd refuses the file, as keepalived's start does.
            rep.error_at(
                t.loc.clone(),
                format!("invalid `track_interface` {}: {why}: no interface has that name, and keepalived refuses to start with it (\"Non-existent interface specified in configuration\")", shown(&t.name)),
            );
            continue;
        }
        if !not_duplicate(&t, "track_interface", &mut seen, rep) {
            continue;
        }
        if own_if.as_deref() == Some(t.name.as_str()) {
            // vrrp.c vrrp_complete_instance: its own interface is always tracked (FAULT when down).
            rep.recovered_at(t.loc.clone(), format!("({name}) ignoring track_interface {} since it is the instance's own interface (always tracked), as keepalived does", t.name));
            continue;
        }
        let mut weight = t.weight;
        if in_sync && t.weight.unwrap_or(0) != 0 {
            rep.recovered_at(
                t.loc.clone(),
                format!("({name}) ignoring {} tracked interface weight due to SYNC group: weight 0 (FAULT when it is down), as keepalived does", t.name),
            );
            weight = Some(0);
        } else if owner && t.weight.unwrap_or(0) != 0 {
            rep.recovered_at(
                t.loc.clone(),
                format!(
                    "({name}) ignoring {} tracked interface due to address owner (priority 255), as keepalived does",
                    t.name
                ),
            );
            continue;
        }
        interfaces.push(Track { name: t.name, location: t.loc, weight, reverse: t.reverse.unwrap_or(false) });
    }
    InstanceTracks { scripts, files, processes, interfaces }
}

/// The scripts, files or processes by name whose own weight an entry without one takes;
/// `None` for interfaces (weight 0).
type Defaults<'k> = Option<&'k HashMap<String, Trackable>>;

/// The weight an entry tracks with: its own, else the script's, file's or process's
/// (0 for an interface).
fn effective_weight(t: &Track, defaults: Defaults<'_>) -> i32 {
    t.weight.unwrap_or_else(|| defaults.and_then(|d| d.get(&t.name)).map_or(0, |d| d.weight))
}

/// vrrp.c 3991 `sync_group_tracking_init`: every member of `group` tracks the group's
/// entries, with the group's weights; a member that is an address owner makes them all
/// weight 0 ("Cannot have weighted track ... with member having priority 255"). An entry a
/// member already has keeps the member's place and takes the group's weight, unless the
/// member's is unweighted (vrrp.c 2249, 2690, track_file.c 480): keepalived logs that, and
/// counts it as a configuration error for an interface (vrrp.c 2253), which is also what
/// a group tracking a member's own interface gets.
fn merge_group_tracks(
    group: &super::model::SyncGroup,
    mut tracks: InstanceTracks,
    instances: &mut [VrrpInstance],
    known: &Trackables,
    rep: &mut Reporter,
) {
    let gname = &group.name;
    let is_member = |i: &VrrpInstance| group.members.contains(&i.name);
    if instances.iter().any(|i| is_member(i) && i.priority == 255) {
        let kinds: [(&mut Vec<Track>, Defaults<'_>, &str, &str); 4] = [
            (&mut tracks.scripts, Some(&known.scripts), "script", "clearing weight"),
            (&mut tracks.files, Some(&known.files), "file", "setting weight 0"),
            (&mut tracks.processes, Some(&known.processes), "process", "setting weight 0"),
            (&mut tracks.interfaces, None, "interface", "clearing weight"),
        ];
        for (list, defaults, what, done) in kinds {
            for t in list.iter_mut() {
                if effective_weight(t, defaults) != 0 {
                    rep.recovered_at(
                        t.location.clone(),
                        format!("({gname}) Cannot have weighted track {what} '{}' with member having priority 255 - {done}, as keepalived does", t.name),
                    );
                    t.weight = Some(0);
                }
            }
        }
    }
    for inst in instances.iter_mut().filter(|i| is_member(i)) {
        let iname = inst.name.clone();
        let lists: [(&mut Vec<Track>, &Vec<Track>, Defaults<'_>, &str); 4] = [
            (&mut inst.track_scripts, &tracks.scripts, Some(&known.scripts), "track_script"),
            (&mut inst.track_files, &tracks.files, Some(&known.files), "track_file"),
            (&mut inst.track_processes, &tracks.processes, Some(&known.processes), "track_process"),
            (&mut inst.track_interfaces, &tracks.interfaces, None, "track_interface"),
        ];
        for (own, from_group, defaults, block) in lists {
            for t in from_group {
                let interface = block == "track_interface";
                if interface && t.name == inst.interface {
                    rep.recovered_at(
                        t.location.clone(),
                        format!("({iname}) track_interface {} is configured on VRRP instance and sync group `{gname}` (it is the instance's own interface, always tracked): the group's entry changes nothing, as in keepalived", t.name),
                    );
                    continue;
                }
                match own.iter_mut().find(|o| o.name == t.name) {
                    Some(o) => {
                        let msg = format!("({iname}) {block} {} is configured on VRRP instance (at {}) and sync group `{gname}`: the group's weight counts unless the instance's entry is unweighted, as in keepalived; remove one of them", t.name, o.location);
                        if interface {
                            rep.recovered_at(t.location.clone(), msg);
                        } else {
                            rep.warn_at(t.location.clone(), msg);
                        }
                        if effective_weight(o, defaults) != 0 {
                            o.weight = t.weight;
                            o.reverse = t.reverse;
                        }
                    }
                    None => own.push(t.clone()),
                }
            }
        }
    }
}

/// keepalived looks a tracked name up when it reads the entry (vrrp_track.c 214
/// `alloc_track_script`, track_file.c `vrrp_alloc_track_file`), so a `vrrp_script` written
/// after the instance is "not found", the entry ignored and `keepalived -t` reports it:
/// vrrpd ignores it too, with a warning (an error under `--strict`), rather than track
/// what keepalived does not.
fn defined_before(def: &Trackable, instance_seq: usize, t: &RawTrack, what: &str, rep: &mut Reporter) -> bool {
    if def.seq < instance_seq {
        return true;
    }
    rep.untracked_at(
        t.loc.clone(),
        format!(
            "{what} `{}` is defined after this vrrp_instance (at {}): keepalived looks it up while reading, does not find it and ignores the entry, and so does vrrpd: this instance does not track it; expected the {what} block before the vrrp_instance",
            t.name, def.loc
        ),
    );
    false
}

/// keepalived reports a name tracked twice by one instance ("duplicate track_script %s -
/// ignoring", vrrp_track.c 104/222/344, track_file.c 135), which `keepalived -t` counts,
/// and keeps the first entry: so does vrrpd, with a warning (the second may carry the
/// weight that was meant).
fn not_duplicate(t: &RawTrack, block: &str, seen: &mut HashMap<String, SourceLocation>, rep: &mut Reporter) -> bool {
    if let Some(first) = seen.get(&t.name) {
        rep.recovered_at(
            t.loc.clone(),
            format!(
                "duplicate {block} `{}`: already tracked at {first}; this entry is ignored (the first one counts), as keepalived does; expected each name once per vrrp_instance",
                t.name
            ),
        );
        return false;
    }
    seen.insert(t.name.clone(), t.loc.clone());
    true
}

/// An instance's unicast keywords as read.
struct UnicastIn {
    peers: Vec<super::model::UnicastPeer>,
    ttl: Option<super::raw::Spanned<u8>>,
    configured: Option<SourceLocation>,
    fault_no_peer: Option<SourceLocation>,
}

/// The unicast peers and `unicast_ttl` of an instance, checked; `None` after an error.
///
/// keepalived (vrrp_data.c 990 `alloc_vrrp_unicast_peer`) skips a peer of another family
/// than the instance ("MUST be of the same family !!! Skipping...") and `keepalived -t`
/// fails: vrrpd refuses the file, at the peer. IPv6 peers and an IPv6 `unicast_src_ip`
/// may be global addresses, as in keepalived (vrrp.c 2972): RFC 9568 §5.1.2.1's
/// link-local source is the multicast rule, and a unicast receiver checks its peer list.
fn resolve_unicast(
    name: &str,
    raw: UnicastIn,
    family: Family,
    rep: &mut Reporter,
) -> Option<(Vec<super::model::UnicastPeer>, Option<u8>, Option<SourceLocation>)> {
    use vrrp_core::config::MAX_UNICAST_PEERS;
    let mut ok = true;
    let mut peers: Vec<super::model::UnicastPeer> = Vec::new();
    for peer in raw.peers {
        let peer_family = Family::of(&peer.address);
        if peer_family != family {
            rep.error_at(
                peer.location.clone(),
                format!("unicast_peer {} is {peer_family} but the instance is {family}: expected an {family} address (keepalived skips it: \"MUST be of the same family\")", peer.address),
            );
            ok = false;
            continue;
        }
        if let Some(first) = peers.iter().find(|p| p.address == peer.address) {
            rep.warn_at(
                peer.location.clone(),
                format!("unicast_peer {} is already listed at {}: this line is ignored", peer.address, first.location),
            );
            continue;
        }
        if peers.len() == MAX_UNICAST_PEERS {
            rep.error_at(
                peer.location.clone(),
                format!("more than {MAX_UNICAST_PEERS} unicast_peer addresses in vrrp_instance `{name}`: vrrpd sends to at most {MAX_UNICAST_PEERS}"),
            );
            ok = false;
            continue;
        }
        peers.push(peer);
    }
    // vrrp.c 2981-2995 `vrrp_complete_instance`: a unicast keyword without peers is
    // multicast ("Defaulting to multicast. This usage is deprecated"), or with
    // `unicast_fault_no_peer` an instance that stays FAULT ("Cannot use unicast without
    // any peers - going to fault state"): so it is here.
    let mut fault_no_peer = None;
    if peers.is_empty() && ok {
        if let Some(loc) = raw.fault_no_peer {
            rep.recovered_at(
                loc.clone(),
                format!("vrrp_instance `{name}` has `unicast_fault_no_peer` and no unicast_peer: it stays FAULT, as keepalived runs it (\"Cannot use unicast without any peers - going to fault state\")"),
            );
            fault_no_peer = Some(loc);
        } else if let Some(loc) = raw.configured {
            rep.recovered_at(
                loc,
                format!("vrrp_instance `{name}`: a unicast keyword without any unicast_peer: the instance uses multicast, as keepalived does (\"This usage is deprecated\")"),
            );
        }
    }
    let mut ttl = raw.ttl;
    // vrrp_parser.c 452 `vrrp_end_handler`: "Cannot use unicast_ttl without unicast peers - resetting".
    if let (Some(t), true) = (&ttl, peers.is_empty()) {
        rep.recovered_at(
            t.loc.clone(),
            format!("vrrp_instance `{name}`: unicast_ttl without unicast peers is ignored, as keepalived does"),
        );
        ttl = None;
    }
    ok.then(|| (peers, ttl.map(|t| t.value), fault_no_peer))
}

/// The instance, plus where its VRID was written (for duplicate reports);
/// `None` after reporting when a required part is missing or invalid.
/// `use_vmac` and `vmac_xmit_base` of one instance: `Some(None)` without `use_vmac`, `None`
/// after an error. The default name is keepalived's `vrrp.<VRID>` (vrrp.c 2784
/// `create_vmac_name`, prefix "vrrp").
fn resolve_vmac(
    use_vmac: Option<Spanned<Option<String>>>,
    xmit_base: Option<SourceLocation>,
    interface: &str,
    vrid: u8,
    instance: &str,
    rep: &mut Reporter,
) -> Option<Option<Vmac>> {
    let Some(use_vmac) = use_vmac else {
        if let Some(loc) = xmit_base {
            // vrrp.c 3550: "vmac_xmit_base is only valid with a vmac", and it is cleared.
            rep.recovered_at(
                loc,
                format!("vrrp_instance `{instance}`: vmac_xmit_base is only valid with use_vmac: ignored, as keepalived does"),
            );
        }
        return Some(None);
    };
    let name = use_vmac.value.unwrap_or_else(|| format!("vrrp.{vrid}"));
    if name == interface {
        rep.error_at(
            use_vmac.loc,
            format!("use_vmac {name}: the virtual MAC interface cannot be the instance's own interface {interface}"),
        );
        return None;
    }
    Some(Some(Vmac { name, xmit_base: xmit_base.is_some(), location: use_vmac.loc }))
}

/// A line's `use_vmac` option, checked as vrrp.c 3691-3703 checks it: on an address that
/// goes on the instance's own macvlan anyway it is an error and cleared; with
/// `use_vmac_addr` for an address it applies to anyway, also an error (it changes nothing).
fn check_vip_use_vmac(
    vip: &mut Vip,
    interface: &str,
    family: Family,
    vmac: Option<&Vmac>,
    use_vmac_addr: bool,
    instance: &str,
    rep: &mut Reporter,
) {
    if !vip.use_vmac {
        return;
    }
    let same_family = Family::of(&vip.addr) == family;
    let on_own = vip.other_interface(interface, vmac).is_none();
    if on_own && vmac.is_some() && same_family {
        rep.recovered_at(
            vip.location.clone(),
            format!("({instance}) use_vmac specified for VIP/eVIP {} and vrrp instance: the address goes on the instance's macvlan, as keepalived does", vip.addr),
        );
        vip.use_vmac = false;
    } else if (!on_own || !same_family) && use_vmac_addr {
        rep.recovered_at(
            vip.location.clone(),
            format!("({instance}) use_vmac_addr specified and use_vmac specified for VIP/eVIP {}: use_vmac_addr already gives it a macvlan, as in keepalived", vip.addr),
        );
        vip.use_vmac = false;
    }
}

/// Whether `vip` goes on a macvlan of its own (vrrp.c 3705-3760): an address on another
/// interface with `use_vmac_addr` or the line's `use_vmac`; one on the instance's own
/// interface with the line's `use_vmac` (without the instance's), or of the other family
/// with `use_vmac_addr`.
fn wants_own_vmac(vip: &Vip, inst: &VrrpInstance) -> bool {
    let same_family = Family::of(&vip.addr) == inst.family;
    if vip.other_interface(&inst.interface, inst.vmac.as_ref()).is_some() {
        vip.use_vmac || inst.use_vmac_addr
    } else if inst.vmac.is_some() && same_family {
        false
    } else {
        vip.use_vmac || (inst.use_vmac_addr && !same_family)
    }
}

/// Names the macvlans of [`wants_own_vmac`] addresses as keepalived's `create_vmac_name`
/// (vrrp.c 2775) does, prefix "vrrp": `vrrp.<VRID>` if no instance's `use_vmac` and no
/// instance interface has that name, else `vrrp1.<VRID>`, `vrrp2.<VRID>`, … (IPv6 tries
/// `vrrp6.<VRID>` second and skips 6 after); one macvlan per VRID, family and base
/// interface, shared by the addresses that need it (keepalived's `if_get_by_vmac`).
fn assign_vip_vmacs(instances: &mut [VrrpInstance]) {
    let mut taken: HashSet<String> = instances
        .iter()
        .flat_map(|i| std::iter::once(i.interface.clone()).chain(i.vmac.as_ref().map(|v| v.name.clone())))
        .collect();
    let mut made: HashMap<(u8, Family, String), String> = HashMap::new();
    for inst in instances.iter_mut() {
        // Which addresses need one, and on which interface, read before they are written.
        let wanted: Vec<Option<(Family, String)>> = inst
            .vips
            .iter()
            .chain(&inst.vips_excluded)
            .map(|vip| {
                wants_own_vmac(vip, inst).then(|| {
                    let base = vip.other_interface(&inst.interface, inst.vmac.as_ref()).unwrap_or(&inst.interface);
                    (Family::of(&vip.addr), base.to_string())
                })
            })
            .collect();
        let vrid = inst.vrid;
        for (vip, want) in inst.vips.iter_mut().chain(inst.vips_excluded.iter_mut()).zip(wanted) {
            let Some((fam, base)) = want else { continue };
            let key = (vrid, fam, base);
            let name = match made.get(&key) {
                Some(n) => n.clone(),
                None => {
                    let numbers: Vec<u32> = if fam == Family::Ipv6 {
                        std::iter::once(6).chain((1..100).filter(|n| *n != 6)).collect()
                    } else {
                        (1..100).collect()
                    };
                    let name = std::iter::once(format!("vrrp.{vrid}"))
                        .chain(numbers.into_iter().map(|n| format!("vrrp{n}.{vrid}")))
                        .find(|n| !taken.contains(n))
                        .unwrap_or_else(|| format!("vrrp.{vrid}"));
                    taken.insert(name.clone());
                    made.insert(key, name.clone());
                    name
                }
            };
            vip.vmac = Some(name);
        }
    }
}

fn resolve_instance(
    mut raw: RawInstance,
    global: &GlobalDefs,
    known: &Trackables,
    rep: &mut Reporter,
) -> Option<(VrrpInstance, SourceLocation)> {
    // vrrp.c 2904 `vrrp_complete_instance`: with no priority, a MASTER is the address
    // owner (255), anything else gets 100.
    if raw.priority.is_none() && raw.state == Some(InitialState::Master) {
        rep.warn_at(
            raw.loc.clone(),
            format!("vrrp_instance `{}` is `state MASTER` with no priority: priority 255 (address owner), as keepalived derives it", raw.name),
        );
        raw.priority = Some(255);
    }
    let in_sync = known.sync_members.contains(&raw.name);
    let tracks = resolve_tracks(&mut raw, in_sync, known, rep);
    let unicast_in = UnicastIn {
        peers: std::mem::take(&mut raw.unicast_peers),
        ttl: raw.unicast_ttl.take(),
        configured: raw.unicast_configured.take(),
        fault_no_peer: raw.unicast_fault_no_peer.take(),
    };
    let mut ok = true;
    let name = &raw.name;

    if raw.interface.is_none() {
        rep.error_at(
            raw.loc.clone(),
            format!("vrrp_instance `{name}` has no interface: expected `interface <ifname>`"),
        );
        ok = false;
    }
    if raw.vrid.is_none() && !raw.vrid_written {
        rep.error_at(
            raw.loc.clone(),
            format!("vrrp_instance `{name}` has no virtual_router_id: expected `virtual_router_id <1..=255>`"),
        );
        ok = false;
    }

    let first = raw.vips.first().or(raw.vips_excluded.first());
    let family =
        if raw.native_ipv6.is_some() { Family::Ipv6 } else { first.map_or(Family::Ipv4, |v| Family::of(&v.addr)) };
    // vrrp_data.c 1131 `alloc_vrrp_vip`: an address of the other family is "address family
    // must match VRRP instance [%s] - ignoring": keepalived drops it and keeps the others.
    let mut vips = std::mem::take(&mut raw.vips);
    vips.retain(|vip| {
        let vip_family = Family::of(&vip.addr);
        if vip_family == family {
            return true;
        }
        let msg = if raw.native_ipv6.is_some() {
            format!("{} is IPv4 but the instance is `native_ipv6`: address skipped, as keepalived does (IPv4 may go in virtual_ipaddress_excluded)", vip.addr)
        } else {
            format!("virtual_ipaddress mixes address families: {} is {vip_family} but the first address is {family}; address skipped, as keepalived does (put it in virtual_ipaddress_excluded or another instance)", vip.addr)
        };
        rep.recovered_at(vip.location.clone(), msg);
        false
    });
    raw.vips = vips;

    let version = match &raw.version {
        // vrrp_parser.c 783 `vrrp_native_ipv6_handler` sets version 3, whatever came before.
        Some(v) if v.value == Version::V2 && raw.native_ipv6.is_some() => {
            rep.warn_at(
                v.loc.clone(),
                "`native_ipv6` makes this instance VRRPv3: `version 2` is overridden, as keepalived does",
            );
            Version::V3
        }
        // `version 2` before the IPv6 addresses: keepalived 2.2.7 switches to 3 only under
        // `strict_mode` / `vrrp_strict` (vrrp.c 2860-2868: "cannot use IPv6 with VRRP
        // version 2; setting version 3", a configuration error), else keeps version 2 and
        // sends VRRPv2 over IPv6, which no RFC defines (RFC 3768 is IPv4 only): no auth
        // data, the IPv6 pseudo-header checksum (core/tests/vectors/v2-ipv6.ip.hex).
        // vrrp-core speaks that form too, so vrrpd runs what keepalived runs.
        Some(v) if v.value == Version::V2 && family == Family::Ipv6 => {
            if raw.strict_mode.unwrap_or(global.vrrp_strict) {
                rep.recovered_at(
                    v.loc.clone(),
                    format!("vrrp_instance `{name}` is `version 2` with IPv6 addresses under strict mode: VRRPv3, as keepalived does (\"cannot use IPv6 with VRRP version 2; setting version 3\")"),
                );
                Version::V3
            } else {
                Version::V2
            }
        }
        Some(v) => v.value,
        None => match global.vrrp_version {
            // vrrp.c 2867/2880: an IPv6 instance without its own `version` is VRRPv3,
            // whatever the global default says.
            Some(Version::V2) if family == Family::Ipv6 => {
                rep.warn_at(
                    raw.loc.clone(),
                    format!("vrrp_instance `{name}` is IPv6 without a `version`: version 3, as keepalived uses for IPv6 despite global vrrp_version 2 (write `version 2` in the instance for VRRPv2 over IPv6)"),
                );
                Version::V3
            }
            Some(v) => v,
            None if family == Family::Ipv6 => Version::V3,
            None => Version::V2,
        },
    };

    // vrrp.c 2895-2901 `vrrp_complete_instance` (2.4.3 4288): no VIP is an error for
    // VRRPv3, which drops the instance (and stops keepalived's VRRP process), a
    // configuration error for v2, which runs the election advertising Count 0 (vrrp.c 1252;
    // RFC 3768 §5.3.5 sets no minimum, captured in core/tests/vectors/v2-no-vip.ip.hex).
    // 2.4's `no_virtual_ipaddress` says it is on purpose: keepalived 2.4 then runs a v3
    // instance with Count 0 too, which RFC 9568 §5.2.5 forbids ("The minimum value is 1"),
    // so vrrpd refuses that one.
    if raw.vips.is_empty() {
        if version == Version::V3 && raw.no_vips_allowed {
            rep.error_at(
                raw.loc.clone(),
                format!("vrrp_instance `{name}` is VRRPv3 with `no_virtual_ipaddress`: keepalived 2.4 would advertise no address, which RFC 9568 §5.2.5 forbids (Count is at least 1) and vrrpd does not send; expected `version 2` for an election without addresses, or a virtual_ipaddress"),
            );
            ok = false;
        } else if version == Version::V3 {
            rep.error_at(
                raw.loc.clone(),
                format!("vrrp_instance `{name}` has no virtual IP address (keepalived: \"No VIP specified; at least one is required\" for VRRPv3): expected a `virtual_ipaddress {{ ... }}` block with at least one address"),
            );
            ok = false;
        } else if !raw.no_vips_allowed {
            rep.recovered_at(
                raw.loc.clone(),
                format!("vrrp_instance `{name}` has no virtual IP address: keepalived (\"No VIP specified; at least one is sensible\") runs the election without addresses, and so does vrrpd: its adverts list no address (VRRPv2 Count 0) and becoming MASTER adds none"),
            );
        }
    }

    // vrrp.c 3253-3298 `vrrp_complete_instance`: VRRPv2 rounds to whole seconds ("must be
    // an integer. rounding", at least 1 s); VRRPv3 caps at 40.95 s ("out of range").
    let advert_cs = match &raw.advert_int_cs {
        None => DEFAULT_ADVERT_CS,
        Some(a) => {
            let cs = a.value;
            if version == Version::V2 && cs % 100 != 0 {
                let rounded = ((cs + 50) / 100 * 100).max(100);
                rep.recovered_at(
                    a.loc.clone(),
                    format!("VRRPv2 advertises whole seconds: advert_int {}.{:02} s rounded to {} s, as keepalived does (fractional intervals need `version 3`)", cs / 100, cs % 100, rounded / 100),
                );
                rounded
            } else if version == Version::V3 && cs > 4095 {
                rep.recovered_at(
                    a.loc.clone(),
                    format!(
                        "VRRPv3 advert_int is at most 40.95 s: {}.{:02} s set to 40.95 s, as keepalived does",
                        cs / 100,
                        cs % 100
                    ),
                );
                4095
            } else {
                cs
            }
        }
    };

    let auth = match raw.auth {
        // vrrp.c 2941: "Cannot use AH authentication with IPv6. ignoring".
        Some(a) if version == Version::V2 && family == Family::Ipv6 && a.value == Auth::Ah => {
            rep.insecure_at(
                a.loc,
                "auth_type AH cannot go over IPv6: keepalived runs this instance without authentication, and so does vrrpd",
                true,
            );
            None
        }
        // keepalived 2.2.7 keeps PASS over IPv6 but sends Auth Type 1 without the password
        // (vrrp.c 278 `vrrp_pkt_len`: no auth data for IPv6; captured in
        // core/tests/vectors/v2-ipv6-pass.ip.hex) and looks for the received password at an
        // IPv4 header offset an IPv6 packet does not have (vrrp.c 908: `ip->tot_len` read
        // from the VRRP header): in a lab two keepalived 2.2.7 with such a file crash their
        // VRRP process (SIGSEGV, respawned) on each other's adverts. vrrpd therefore sends
        // Auth Type 0 there, which keepalived drops as an auth type mismatch (vrrp.c 896)
        // without reaching that read.
        Some(a) if version == Version::V2 && family == Family::Ipv6 && matches!(a.value, Auth::Pass(_)) => {
            rep.incompatible_at(
                a.loc,
                format!("vrrp_instance `{name}`: VRRPv2 over IPv6 has no room for the auth_type PASS password: keepalived sends Auth Type 1 without it, and its VRRP process crashes on receiving such an advert (keepalived 2.2.7 reads the password at an IPv4 offset); vrrpd runs the instance without authentication (INSECURE), and a keepalived peer with this file does not hear it; drop the authentication block, or use IPv4"),
            );
            None
        }
        Some(a) if version == Version::V3 && !matches!(a.value, Auth::Hmac(_)) => {
            // vrrp.c 2929: "VRRP version 3 does not support authentication. Ignoring."
            rep.insecure_at(
                a.loc,
                "VRRPv3 has no authentication: keepalived ignores `authentication`, and so does vrrpd",
                true,
            );
            None
        }
        other => other.map(|a| a.value),
    };

    if let Some(src) = &raw.mcast_src_ip {
        let src_family = Family::of(&src.value);
        if src_family != family {
            rep.error_at(
                src.loc.clone(),
                format!(
                    "{} {} is {src_family} but the instance is {family}: expected an {family} address",
                    raw.src_ip_keyword, src.value
                ),
            );
            ok = false;
        }
    }

    let (unicast_peers, unicast_ttl, fault_no_peer) = match resolve_unicast(name, unicast_in, family, rep) {
        Some(u) => u,
        None => {
            ok = false;
            (Vec::new(), None, None)
        }
    };

    // vrrp.c 3100-3121 `vrrp_complete_instance`: the address owner and an instance that
    // starts as MASTER always preempt ("nopreempt is incompatible with priority 255",
    // "nopreempt will not work with initial state MASTER - clearing"), and a MASTER has
    // no preempt delay ("preempt delay will not work with initial state MASTER").
    let priority = raw.priority.unwrap_or(DEFAULT_PRIORITY);
    let master = raw.state == Some(InitialState::Master);
    if raw.nopreempt && (priority == 255 || master) {
        let why = if priority == 255 { "with priority 255 (address owner)" } else { "with `state MASTER`" };
        rep.recovered_at(
            raw.loc.clone(),
            format!("vrrp_instance `{name}`: nopreempt does not work {why}: cleared (the instance preempts), as keepalived does"),
        );
        raw.nopreempt = false;
    }
    if master && raw.preempt_delay_cs.is_some_and(|cs| cs > 0) {
        rep.recovered_at(
            raw.loc.clone(),
            format!(
                "vrrp_instance `{name}`: preempt_delay does not work with `state MASTER`: cleared, as keepalived does"
            ),
        );
        raw.preempt_delay_cs = None;
    }

    let (Some(interface), Some(vrid), true) = (raw.interface, raw.vrid, ok) else {
        return None;
    };
    let mut vmac = resolve_vmac(raw.use_vmac.take(), raw.vmac_xmit_base.take(), &interface, vrid.value, name, rep)?;
    // vrrp_parser.c 446: "unicast with use_vmac requires vmac_xmit_base - setting".
    if let Some(v) = vmac.as_mut().filter(|v| !v.xmit_base && !unicast_peers.is_empty()) {
        rep.recovered_at(
            v.location.clone(),
            format!("vrrp_instance `{name}`: unicast with use_vmac requires vmac_xmit_base: set, as keepalived does"),
        );
        v.xmit_base = true;
    }
    let use_vmac_addr = raw.use_vmac_addr.is_some();
    for vip in raw.vips.iter_mut().chain(raw.vips_excluded.iter_mut()) {
        check_vip_use_vmac(vip, &interface, family, vmac.as_ref(), use_vmac_addr, name, rep);
    }
    let inst = VrrpInstance {
        name: raw.name,
        location: raw.loc,
        state: raw.state,
        interface,
        vrid: vrid.value,
        priority,
        advert_int_cs: u16::try_from(advert_cs).ok()?,
        version,
        family,
        auth,
        vips: raw.vips,
        vips_excluded: raw.vips_excluded,
        routes: raw.routes,
        rules: raw.rules.into_iter().map(|p| p.rule).collect(),
        nopreempt: raw.nopreempt,
        preempt_delay_cs: raw.preempt_delay_cs.unwrap_or(0),
        garp_master_delay_s: raw.garp_master_delay_s,
        garp_master_repeat: raw.garp_master_repeat,
        accept: raw.accept,
        mcast_src_ip: raw.mcast_src_ip.map(|s| s.value),
        unicast_peers,
        unicast_ttl,
        fault_no_peer,
        native_ipv6: raw.native_ipv6.is_some(),
        vmac,
        use_vmac_addr,
        track_scripts: tracks.scripts,
        track_files: tracks.files,
        track_processes: tracks.processes,
        track_interfaces: tracks.interfaces,
        notify: raw.notify,
    };
    Some((inst, vrid.loc))
}
