//! Sync groups (issue 15; keepalived.conf(5) `vrrp_sync_group`; keepalived 2.2.7
//! vrrp_sync.c): two segments (two bridges, `eth1` and `eth2` on every server), instance X
//! on eth1 and Y on eth2, one sync group G { X Y } on both servers. Cutting a's eth1 cable
//! puts a's X in FAULT (link down) and its Y with it (`vrrp_sync_fault`: priority 0 on eth2),
//! so b takes over BOTH VIPs, although a's Y never lost its link; b's X and Y become master
//! together (`vrrp_sync_can_goto_master`). Restoring the cable brings a's group back to
//! BACKUP, and, preempting, to MASTER with both VIPs. The group notify script runs with
//! `GROUP G STATE 0` on each change (vrrp_notify.c `send_group_notifies`).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::track::ScriptDir;
use common::*;
use vrrp_lab::{require_root, Lan, SECOND_IFNAME};

const X_VIP: &str = "192.0.2.51";
const Y_VIP: &str = "198.18.0.52";

fn config(state: &str, priority: u8, notify: &std::path::Path) -> String {
    let inst = |name: &str, ifname: &str, vrid: u8, vip: &str| {
        format!(
            "vrrp_instance {name} {{\n    state {state}\n    interface {ifname}\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 1\n    version 3\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
        )
    };
    format!(
        "global_defs {{\n    router_id {state}\n}}\n{}{}vrrp_sync_group G {{\n    group {{\n        X\n        Y\n    }}\n    notify {}\n}}\n",
        inst("X", "eth1", 51, X_VIP),
        inst("Y", SECOND_IFNAME, 52, Y_VIP),
        notify.display()
    )
}

fn lab(test: &str) -> Lan {
    let lan = lan(test);
    lan.add_second_segment(&[("a", "198.18.0.11/24"), ("b", "198.18.0.12/24")]).expect("second segment");
    lan
}

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Which of X's and Y's VIPs `host` holds.
fn vips(lan: &Lan, host: &str) -> (bool, bool) {
    let on = |ifname: &str, a: &str| lan.addrs(host, ifname).unwrap_or_default().iter().any(|(ip, _)| *ip == addr(a));
    (on("eth1", X_VIP), on(SECOND_IFNAME, Y_VIP))
}

/// X's and Y's states as vrrpctl reports them.
fn states(v: &Vrrpd) -> (String, String) {
    let j = v.status_json();
    let of = |name: &str| {
        j["instances"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["name"] == name))
            .and_then(|i| i["state"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    (of("X"), of("Y"))
}

/// a holds both VIPs, b holds neither (and, when it is vrrpd, b's X and Y are BACKUP).
fn settled_on_a(lan: &Lan, b: Option<&Vrrpd>) -> bool {
    vips(lan, "a") == (true, true)
        && vips(lan, "b") == (false, false)
        && b.is_none_or(|b| states(b) == ("BACKUP".into(), "BACKUP".into()))
}

/// The cut-and-restore sequence against b (vrrpd or keepalived: `b_vrrpd` is `None` for
/// keepalived), checking a's group notify lines on the way.
fn cut_and_restore(lan: &Lan, a: &Vrrpd, b_vrrpd: Option<&Vrrpd>, b_log: &dyn Fn() -> String, dir: &ScriptDir) {
    let logs = || format!("a:\n{}\nb:\n{}", a.log(), b_log());
    assert!(
        wait_for(Duration::from_secs(20), || settled_on_a(lan, b_vrrpd)).is_some(),
        "never settled on a\n{}",
        logs()
    );
    assert_eq!(states(a), ("MASTER".into(), "MASTER".into()));

    lan.cut_cable("a").expect("cut a's eth1");
    // b's X waits Master_Down_Interval (~3.6 s); its Y heard a's priority 0 and waits in
    // BACKUP for X (vrrp_sync_can_goto_master), then both go MASTER together.
    let moved =
        wait_for(Duration::from_secs(15), || vips(lan, "b") == (true, true) && vips(lan, "a") == (false, false));
    assert!(moved.is_some(), "both VIPs must move to b: a {:?} b {:?}\n{}", vips(lan, "a"), vips(lan, "b"), logs());
    assert_eq!(states(a), ("FAULT".into(), "FAULT".into()), "X by its link, Y by the group\n{}", logs());
    assert_eq!(
        a.status_json()["sync_groups"],
        serde_json::json!([{ "name": "G", "state": "FAULT", "members": ["X", "Y"] }]),
        "vrrpctl status --json shows the group"
    );
    if let Some(b) = b_vrrpd {
        assert_eq!(states(b), ("MASTER".into(), "MASTER".into()));
    }
    assert!(
        wait_for(Duration::from_secs(5), || dir.lines("group").iter().any(|l| l == "GROUP G FAULT 0")).is_some(),
        "a's group notify: {:?}\n{}",
        dir.lines("group"),
        logs()
    );

    lan.restore_cable("a").expect("restore a's eth1");
    // a's X and Y come back BACKUP, hear b's lower priority, and preempt together.
    let back = wait_for(Duration::from_secs(25), || settled_on_a(lan, b_vrrpd));
    assert!(back.is_some(), "both VIPs must come back to a: a {:?} b {:?}\n{}", vips(lan, "a"), vips(lan, "b"), logs());
    assert_eq!(states(a), ("MASTER".into(), "MASTER".into()));
    let seen = dir.lines("group");
    let fault = seen.iter().position(|l| l == "GROUP G FAULT 0");
    let backup = seen.iter().rposition(|l| l == "GROUP G BACKUP 0");
    let master = seen.iter().rposition(|l| l == "GROUP G MASTER 0");
    assert!(fault < backup && backup < master, "FAULT, BACKUP, MASTER in order: {seen:?}\n{}", logs());
}

#[test]
fn keepalived_vrrp_sync_fault_cutting_one_segment_moves_both_vips_and_back() {
    if !require_root("keepalived_vrrp_sync_fault_cutting_one_segment_moves_both_vips_and_back") {
        return;
    }
    let lan = lab("sync_group");
    let (da, db) = (ScriptDir::new(), ScriptDir::new());
    let a = start_vrrpd(&lan, "a", &config("MASTER", 150, &da.notify_log("group")));
    let b = start_vrrpd(&lan, "b", &config("BACKUP", 100, &db.notify_log("group")));
    cut_and_restore(&lan, &a, Some(&b), &|| b.log(), &da);
    // A reload of the same file carries the group's state over (keepalived's
    // `state_same_at_reload`): nothing moves and the group is not notified again.
    let before = da.lines("group");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vrrpctl"))
        .arg("--socket")
        .arg(a.socket())
        .arg("reload")
        .output()
        .expect("vrrpctl reload");
    assert!(out.status.success(), "vrrpctl reload: {}\n{}", String::from_utf8_lossy(&out.stderr), a.log());
    std::thread::sleep(Duration::from_secs(3));
    assert!(settled_on_a(&lan, Some(&b)), "a reload must not move the group\n{}", a.log());
    assert_eq!(da.lines("group"), before, "no group notify for an unchanged group\n{}", a.log());
    assert_eq!(a.status_json()["sync_groups"][0]["state"], "MASTER");
    // b's group went MASTER while a was down, and BACKUP again when a preempted.
    let seen = db.lines("group");
    let master = seen.iter().position(|l| l == "GROUP G MASTER 0");
    assert!(
        master.is_some() && seen.iter().rposition(|l| l == "GROUP G BACKUP 0") > master,
        "b's group notify: {seen:?}"
    );
}

/// The same with keepalived 2.2.7 as b: the group rule is local to each host, so a mixed
/// pair behaves as two keepalived (or two vrrpd) do.
#[test]
fn keepalived_vrrp_sync_fault_mixed_pair_with_keepalived_as_backup() {
    if !require_root("keepalived_vrrp_sync_fault_mixed_pair_with_keepalived_as_backup") {
        return;
    }
    if !keepalived_available("keepalived_vrrp_sync_fault_mixed_pair_with_keepalived_as_backup") {
        return;
    }
    let lan = lab("sync_mixed");
    let (da, db) = (ScriptDir::new(), ScriptDir::new());
    let a = start_vrrpd(&lan, "a", &config("MASTER", 150, &da.notify_log("group")));
    let b = start_keepalived(&lan, "b", &config("BACKUP", 100, &db.notify_log("group")));
    cut_and_restore(&lan, &a, None, &|| b.log(), &da);
}

/// `config` with a `vrrp_script chk` (weight 0: a failure is FAULT) tracked by the group
/// itself, not by X or Y (vrrp.c 3991 `sync_group_tracking_init`).
fn group_tracking_config(state: &str, priority: u8, notify: &std::path::Path, check: &std::path::Path) -> String {
    let script = common::track::vrrp_script("chk", &check.display().to_string(), 1, 0, 1, 1, &[]);
    let text = config(state, priority, notify);
    let text = text.replacen("    notify ", "    track_script {\n        chk\n    }\n    notify ", 1);
    format!("{script}{text}")
}

/// A failing script tracked by the group puts both of a's members in FAULT, so both VIPs
/// move to b; the script passing again brings them back (preempting). `a_is_keepalived`
/// runs the same file under keepalived 2.2.7 on a, so both daemons are seen doing it.
fn group_track_script_moves_both(test: &str, a_is_keepalived: bool) {
    if !require_root(test) || (a_is_keepalived && !keepalived_available(test)) {
        return;
    }
    let lan = lab(test);
    let (da, db) = (ScriptDir::new(), ScriptDir::new());
    let check = da.flag_check("chk");
    da.set_ok("chk", true);
    let a_conf = group_tracking_config("MASTER", 150, &da.notify_log("group"), &check);
    let (a_vrrpd, a_keepalived) = if a_is_keepalived {
        (None, Some(start_keepalived(&lan, "a", &a_conf)))
    } else {
        (Some(start_vrrpd(&lan, "a", &a_conf)), None)
    };
    let b = start_vrrpd(&lan, "b", &config("BACKUP", 100, &db.notify_log("group")));
    let a_log = || a_vrrpd.as_ref().map(Vrrpd::log).or_else(|| a_keepalived.as_ref().map(Keepalived::log));
    let logs = || format!("a:\n{}\nb:\n{}", a_log().unwrap_or_default(), b.log());
    assert!(
        wait_for(Duration::from_secs(20), || settled_on_a(&lan, Some(&b))).is_some(),
        "never settled on a\n{}",
        logs()
    );

    da.set_ok("chk", false);
    let moved =
        wait_for(Duration::from_secs(15), || vips(&lan, "b") == (true, true) && vips(&lan, "a") == (false, false));
    assert!(moved.is_some(), "both VIPs must move to b: a {:?} b {:?}\n{}", vips(&lan, "a"), vips(&lan, "b"), logs());
    assert_eq!(states(&b), ("MASTER".into(), "MASTER".into()), "{}", logs());
    if let Some(a) = &a_vrrpd {
        assert_eq!(states(a), ("FAULT".into(), "FAULT".into()), "both by the group's script\n{}", logs());
    }
    assert!(
        wait_for(Duration::from_secs(5), || da.lines("group").iter().any(|l| l == "GROUP G FAULT 0")).is_some(),
        "a's group notify: {:?}\n{}",
        da.lines("group"),
        logs()
    );

    da.set_ok("chk", true);
    let back = wait_for(Duration::from_secs(25), || settled_on_a(&lan, Some(&b)));
    assert!(
        back.is_some(),
        "both VIPs must come back to a: a {:?} b {:?}\n{}",
        vips(&lan, "a"),
        vips(&lan, "b"),
        logs()
    );
}

#[test]
fn keepalived_sync_group_track_script_moves_both_vips() {
    group_track_script_moves_both("keepalived_sync_group_track_script_moves_both_vips", false);
}

#[test]
fn keepalived_sync_group_track_script_moves_both_vips_with_keepalived_as_master() {
    group_track_script_moves_both("keepalived_sync_group_track_script_moves_both_vips_with_keepalived_as_master", true);
}
