//! `vrrp_sync_group NAME { group { INSTANCE ... } notify_* ... }`: instances that change
//! state together (keepalived vrrp_parser.c 208 `vrrp_sync_group_handler`, 237
//! `vrrp_group_handler`; members resolved as vrrp_sync.c 49 `vrrp_sync_set_group` does).

use std::collections::{HashMap, HashSet};

use super::diagnostic::{Reporter, SourceLocation};
use super::model::{Notify, ScriptCmd, SyncGroup, VrrpInstance};
use super::parser::{is_text, Cursor, Stmt};
use super::raw::{RawSyncGroup, Spanned};
use super::tracking::{parse_notify, parse_track_block};

/// keepalived's sync group keywords vrrpd does not act on (vrrp_parser.c 2090-2107):
/// named, so the warning says "not implemented" rather than "unknown".
const NOT_IMPLEMENTED: &[&str] = &["track_bfd", "smtp_alert", "notify_priority_changes"];

/// The group notify keywords (vrrp_parser.c 2099-2103) and the slot each fills: the
/// instance's, but for `notify_master_rx_lower_pri`, which a group does not have.
fn notify_slot<'n>(notify: &'n mut Notify, keyword: &str) -> Option<&'n mut Option<ScriptCmd>> {
    match keyword {
        "notify_master_rx_lower_pri" => None,
        k => super::tracking::notify_slot(notify, k),
    }
}

/// `None` when the group has no name or no block (reported; its body is skipped).
pub(crate) fn parse_sync_group<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, stmt: &Stmt<'t>) -> Option<RawSyncGroup> {
    // vrrp_parser.c 216: "vrrp_sync_group must have a name - skipping".
    let name = match stmt.args.as_slice() {
        [name] if is_text(name, rep) => name,
        _ => {
            rep.recovered(stmt.key.pos, "vrrp_sync_group must have one name: skipped, as keepalived does");
            if let Some(open) = stmt.block {
                cur.skip_block(open, rep);
            }
            return None;
        }
    };
    if !stmt.needs_block(rep) {
        return None;
    }
    let open = stmt.block?;
    let mut group = RawSyncGroup {
        name: name.word().unwrap_or_default().to_string(),
        loc: rep.loc(name.pos),
        members: None,
        notify: Notify::default(),
        seq: 0,
        tracks: super::raw::RawTracks::default(),
        tracking_weight: false,
    };
    cur.block(rep, open, |cur, rep, s| group_stmt(cur, rep, &s, &mut group));
    Some(group)
}

fn group_stmt<'t>(cur: &mut Cursor<'t>, rep: &mut Reporter, s: &Stmt<'t>, group: &mut RawSyncGroup) {
    match s.name {
        "group" => {
            if !s.needs_block(rep) {
                return;
            }
            let Some(open) = s.block else { return };
            // vrrp_parser.c 241: "Group list already specified for sync group %s".
            if group.members.is_some() {
                rep.recovered(
                    s.key.pos,
                    format!(
                        "group list already specified for sync group `{}`: this one is skipped, as keepalived does",
                        group.name
                    ),
                );
                cur.skip_block(open, rep);
                return;
            }
            let mut members = Vec::new();
            cur.block(rep, open, |cur, rep, m| {
                m.no_block(cur, rep);
                for tok in std::iter::once(m.key).chain(m.args.iter().copied()) {
                    if is_text(tok, rep) {
                        members
                            .push(Spanned { value: tok.word().unwrap_or_default().to_string(), loc: rep.loc(tok.pos) });
                    }
                }
            });
            // vrrp_parser.c 250: "Warning - sync group %s has empty group block".
            if members.is_empty() {
                rep.recovered(s.key.pos, format!("sync group `{}` has an empty group block", group.name));
            }
            group.members = Some(members);
        }
        // vrrp_parser.c 256-277: the instance's track blocks (vrrp_data.c 1069-1094 use the
        // same `alloc_track_*`).
        name if group.tracks.block(name).is_some() => {
            if let Some((kind, out)) = group.tracks.block(name) {
                parse_track_block(cur, rep, s, kind, out);
            }
        }
        // vrrp_parser.c 374.
        "sync_group_tracking_weight" => {
            s.no_block(cur, rep);
            s.no_args(rep);
            group.tracking_weight = true;
        }
        // vrrp_parser.c 367: deprecated, and counted as an error by keepalived.
        "global_tracking" => {
            s.no_block(cur, rep);
            s.no_args(rep);
            rep.recovered(
                s.key.pos,
                format!("({}) global_tracking is deprecated: use track_interface/script/file on the sync group; taken as sync_group_tracking_weight, as keepalived does", group.name),
            );
            group.tracking_weight = true;
        }
        name if notify_slot(&mut group.notify, name).is_some() => {
            s.no_block(cur, rep);
            if let Some(slot) = notify_slot(&mut group.notify, name) {
                parse_notify(rep, s, slot);
            }
        }
        name if NOT_IMPLEMENTED.contains(&name) => s.not_implemented(cur, rep),
        name => s.ignore(cur, rep, format!("unknown vrrp_sync_group keyword `{name}`, ignored")),
    }
}

/// Resolves the groups against the instances that loaded, in file order, as keepalived's
/// vrrp.c 4574 loop over `vrrp_sync_set_group` does: an unknown member or one already in
/// an earlier group is dropped with keepalived's error, a group left without members is
/// removed, and a group of one is kept with keepalived's warning.
pub(crate) fn resolve_sync_groups(
    raw: Vec<RawSyncGroup>,
    instances: &[VrrpInstance],
    rep: &mut Reporter,
) -> Vec<SyncGroup> {
    let known: HashSet<&str> = instances.iter().map(|i| i.name.as_str()).collect();
    let mut names: HashMap<String, SourceLocation> = HashMap::new();
    let mut grouped: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for g in raw {
        // vrrp_parser.c 227: "vrrp sync group %s already defined", block skipped.
        if let Some(first) = names.get(&g.name) {
            rep.recovered_at(
                g.loc.clone(),
                format!(
                    "vrrp sync group `{}` already defined at {first}: this one is skipped, as keepalived does",
                    g.name
                ),
            );
            continue;
        }
        names.insert(g.name.clone(), g.loc.clone());
        // vrrp.c 4576: "Sync group %s has no virtual router(s). removing".
        let Some(raw_members) = g.members else {
            rep.recovered_at(
                g.loc.clone(),
                format!(
                    "sync group `{}` has no virtual router (no `group {{ ... }}`): removed, as keepalived does",
                    g.name
                ),
            );
            continue;
        };
        let mut members = Vec::new();
        for m in raw_members {
            if !known.contains(m.value.as_str()) {
                // vrrp_sync.c 65.
                rep.recovered_at(m.loc, format!("virtual router `{}` specified in sync group `{}` is not a vrrp_instance: ignored, as keepalived does", m.value, g.name));
            } else if let Some(other) = grouped.get(&m.value) {
                // vrrp_sync.c 70.
                rep.recovered_at(m.loc, format!("virtual router `{}` cannot be in more than one sync group (already in `{other}`): ignored in `{}`, as keepalived does", m.value, g.name));
            } else {
                grouped.insert(m.value.clone(), g.name.clone());
                members.push(m.value);
            }
        }
        match members.len() {
            // vrrp_sync.c 98.
            0 => {
                rep.recovered_at(g.loc.clone(), format!("sync group `{}`: no matching virtual router found in its group block: removed, as keepalived does", g.name));
                continue;
            }
            // vrrp_sync.c 106.
            1 => rep.recovered_at(
                g.loc.clone(),
                format!("sync group `{}` has only 1 virtual router: this probably isn't what you want (kept, as keepalived does)", g.name),
            ),
            _ => {}
        }
        out.push(SyncGroup {
            name: g.name,
            location: g.loc,
            members,
            notify: g.notify,
            tracking_weight: g.tracking_weight,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ok, one_warning, warnings};

    /// Parses `text`, which may warn; panics on errors.
    fn ok_or_warn(text: &str) -> crate::config::Config {
        crate::config::parse_str("t.conf", text).unwrap_or_else(|e| panic!("{}", e.render()))
    }

    /// Instances A (eth0, VRID 1) and B (eth1, VRID 2) on lines 1-10, then `tail` from line 11.
    fn two(tail: &str) -> String {
        let inst = |n: &str, i: &str, v: u8| {
            format!("vrrp_instance {n} {{\n  interface {i}\n  virtual_router_id {v}\n  virtual_ipaddress {{ 192.0.2.{v} }}\n}}\n")
        };
        format!("{}{}{tail}", inst("A", "eth0", 1), inst("B", "eth1", 2))
    }

    #[test]
    fn keepalived_vrrp_sync_group_members_and_group_notify_scripts() {
        let c = ok(&two(
            "vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  notify_master \"/bin/true master\"\n  notify /bin/true\n  notify_fault /bin/true\n}\n",
        ));
        assert_eq!(c.sync_groups.len(), 1);
        let g = &c.sync_groups[0];
        assert_eq!((g.name.as_str(), g.members.as_slice()), ("G", &["A".to_string(), "B".to_string()][..]));
        assert_eq!((g.location.line, g.location.column), (11, 17));
        assert!(g.notify.master.is_some() && g.notify.any.is_some() && g.notify.fault.is_some());
        assert!(g.notify.backup.is_none() && g.notify.stop.is_none());
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn keepalived_vrrp_sync_c_65_an_unknown_member_is_dropped_with_its_location() {
        let c = one_warning(
            &two("vrrp_sync_group G {\n  group { A B C }\n}\n"),
            12,
            15,
            "`C` specified in sync group `G` is not a vrrp_instance",
        );
        assert_eq!(c.sync_groups[0].members, ["A", "B"]);
    }

    #[test]
    fn keepalived_vrrp_sync_c_70_an_instance_in_two_groups_stays_in_the_first() {
        let w = warnings(&two("vrrp_sync_group G {\n  group { A B }\n}\nvrrp_sync_group H {\n  group { B A }\n}\n"));
        assert_eq!(w.len(), 3, "{w:#?}");
        assert_eq!((w[0].0, w[0].1), (14, 17), "{w:#?}");
        assert!(w[0].2.contains("no matching virtual router"), "{w:#?}");
        assert_eq!((w[1].0, w[1].1, w[2].0, w[2].1), (15, 11, 15, 13), "{w:#?}");
        assert!(w[1].2.contains("`B` cannot be in more than one sync group (already in `G`)"), "{w:#?}");
        let c = ok(&two("vrrp_sync_group G {\n  group { A B }\n}\nvrrp_sync_group H {\n  group { B A }\n}\n"));
        assert_eq!(c.sync_groups.len(), 1, "H is left empty and removed, as vrrp_sync.c 98 does");
    }

    #[test]
    fn keepalived_vrrp_sync_c_106_a_group_of_one_is_kept_with_a_warning() {
        let c = one_warning(&two("vrrp_sync_group G {\n  group { A }\n}\n"), 11, 17, "only 1 virtual router");
        assert_eq!(c.sync_groups[0].members, ["A"]);
    }

    #[test]
    fn keepalived_vrrp_parser_sync_group_keywords_duplicates_and_unknown_tracked_names() {
        let w = warnings(&two(
            "vrrp_sync_group G {\n  group { A B }\n  track_script {\n    chk\n  }\n  notify_master_rx_lower_pri /bin/true\n}\nvrrp_sync_group G {\n  group { A B }\n}\nvrrp_sync_group X {\n}\n",
        ));
        let at = |l: u32| w.iter().find(|d| d.0 == l).map(|d| d.2.as_str()).unwrap_or_default();
        assert!(at(14).contains("track_script `chk`: no vrrp_script of that name is defined"), "{w:#?}");
        assert!(at(16).contains("unknown vrrp_sync_group keyword"), "{w:#?}");
        assert!(at(18).contains("already defined at t.conf:11:17"), "{w:#?}");
        assert!(at(21).contains("no virtual router"), "{w:#?}");
        assert_eq!(w.len(), 4, "{w:#?}");
    }

    /// `vrrp_script`s s1 (weight 10) and s2 (weight 0), a track file, then instances A
    /// (eth0, tracking s1 with weight 5) and B (eth1), then `tail`.
    fn tracked(tail: &str) -> String {
        let head = "vrrp_script s1 {\n  script /bin/true\n  weight 10\n}\nvrrp_script s2 {\n  script /bin/true\n}\nvrrp_track_file f1 {\n  file /tmp/vrrp-rs-f1\n}\n";
        let a = "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  track_script {\n    s1 weight 5\n  }\n  virtual_ipaddress { 192.0.2.1 }\n}\n";
        let b = "vrrp_instance B {\n  interface eth1\n  virtual_router_id 2\n  virtual_ipaddress { 192.0.2.2 }\n}\n";
        format!("{head}{a}{b}{tail}")
    }

    fn weights(c: &crate::config::Config, inst: &str) -> Vec<(String, Option<i32>)> {
        let i = c.instances.iter().find(|i| i.name == inst).unwrap();
        i.track_scripts
            .iter()
            .chain(&i.track_files)
            .chain(&i.track_interfaces)
            .map(|t| (t.name.clone(), t.weight))
            .collect()
    }

    /// vrrp.c 3991 `sync_group_tracking_init`: every member tracks the group's entries with
    /// the group's weights, even without `sync_group_tracking_weight` (which only keeps the
    /// members' own weights); A's own weighted s1 was dropped (vrrp.c 3830), so A takes the
    /// group's s1 as B does.
    #[test]
    fn keepalived_vrrp_c_3991_group_track_entries_go_to_every_member() {
        let c = ok_or_warn(&tracked(
            "vrrp_sync_group G {\n  group { A B }\n  track_script {\n    s1 weight -20\n    s2\n  }\n  track_file {\n    f1 weight 3\n  }\n  track_interface {\n    eth9 weight 7\n  }\n}\n",
        ));
        let want = |w: &[(&str, Option<i32>)]| w.iter().map(|(n, w)| (n.to_string(), *w)).collect::<Vec<_>>();
        let all = [("s1", Some(-20)), ("s2", None), ("f1", Some(3)), ("eth9", Some(7))];
        assert_eq!(weights(&c, "A"), want(&all));
        assert_eq!(weights(&c, "B"), want(&all));
        assert!(!c.sync_groups[0].tracking_weight);
    }

    /// `sync_group_tracking_weight`: A keeps its own weighted s1, and a group entry for the
    /// same script then sets its weight (vrrp.c 2690: "configured on VRRP instance and sync
    /// group", the group's weight wins over a weighted entry); `global_tracking` is the
    /// deprecated spelling, reported as keepalived reports it.
    #[test]
    fn keepalived_sync_group_tracking_weight_keeps_member_weights() {
        let c = ok_or_warn(&tracked("vrrp_sync_group G {\n  group { A B }\n  sync_group_tracking_weight\n}\n"));
        assert!(c.sync_groups[0].tracking_weight);
        assert_eq!(weights(&c, "A"), [("s1".to_string(), Some(5))]);
        let c = ok_or_warn(&tracked(
            "vrrp_sync_group G {\n  group { A B }\n  global_tracking\n  track_script {\n    s1 weight 30\n  }\n}\n",
        ));
        assert!(c.sync_groups[0].tracking_weight);
        assert_eq!(weights(&c, "A"), [("s1".to_string(), Some(30))]);
        assert_eq!(weights(&c, "B"), [("s1".to_string(), Some(30))]);
        assert!(c.warnings.iter().any(|w| w.message.contains("global_tracking is deprecated")), "{:#?}", c.warnings);
        assert!(c.warnings.iter().any(|w| w.message.contains("configured on VRRP instance")), "{:#?}", c.warnings);
    }

    /// vrrp.c 4013: a member that is an address owner (priority 255) clears the group's
    /// weights, with keepalived's error at each weighted entry.
    #[test]
    fn keepalived_vrrp_c_4013_an_owner_member_clears_group_weights() {
        let text = tracked("vrrp_sync_group G {\n  group { A B }\n  track_script {\n    s1\n    s2\n  }\n}\n")
            .replace("  interface eth1\n", "  interface eth1\n  priority 255\n");
        let c = ok_or_warn(&text);
        let want = vec![("s1".to_string(), Some(0)), ("s2".to_string(), None)];
        assert_eq!(weights(&c, "B"), want);
        let w: Vec<_> =
            c.warnings.iter().filter(|w| w.message.contains("Cannot have weighted track script 's1'")).collect();
        assert_eq!(w.len(), 1, "{:#?}", c.warnings);
        assert_eq!((w[0].location.line, w[0].location.column), (28, 5));
    }

    /// vrrp.c 3830-3886: a sync group member (without `sync_group_tracking_weight`) runs no
    /// floating priority: its weighted script is dropped, a default-weight track file gets
    /// weight 0 and a weighted one is dropped, a weighted interface gets weight 0; an
    /// instance outside the group keeps its weights.
    #[test]
    fn keepalived_vrrp_c_3830_sync_group_members_run_without_weights() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/edge/sync_group_weights.conf");
        let text = std::fs::read_to_string(path).unwrap();
        let c = ok(&text);
        let inst = |n: &str| c.instances.iter().find(|i| i.name == n).unwrap();
        let a = inst("A");
        assert!(a.track_scripts.is_empty(), "{:?}", a.track_scripts);
        assert_eq!(a.track_files.iter().map(|t| (t.name.as_str(), t.weight)).collect::<Vec<_>>(), [("f1", Some(0))]);
        assert_eq!(
            a.track_interfaces.iter().map(|t| (t.name.as_str(), t.weight)).collect::<Vec<_>>(),
            [("eth1", Some(0))]
        );
        assert_eq!(inst("C").track_scripts.len(), 1, "outside the group, weights stay");
        let sync: Vec<&str> =
            c.warnings.iter().filter(|w| w.message.contains("due to SYNC group")).map(|w| w.message.as_str()).collect();
        assert_eq!(sync.len(), 4, "{sync:#?}");
    }
}
