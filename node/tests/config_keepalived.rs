//! A keepalived.conf that mixes VRRP with features vrrpd does not implement:
//! the VRRP part must load, and every skipped section must be reported once.

use std::path::PathBuf;

use std::time::Duration;

use vrrp_node::config::{load, render_warnings, InitialState, Severity};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(rel)
}

#[test]
fn vrrp_part_loads_and_each_skipped_section_warns_once() {
    let path = fixture("unimplemented/keepalived.conf");
    let config = load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config.global.router_id.as_deref(), Some("LVS_A"));
    assert_eq!(config.instances.len(), 1);
    let i = &config.instances[0];
    assert_eq!(i.name, "VI_1");
    assert_eq!(i.state, Some(InitialState::Backup));
    assert_eq!(i.priority, 90);
    assert!(i.nopreempt);
    assert_eq!(i.vips.len(), 1);
    // The tracking and notify keywords are read, not skipped.
    assert_eq!(config.scripts.len(), 1);
    let chk = &config.scripts[0];
    assert_eq!(chk.name, "chk_haproxy");
    assert_eq!(chk.cmd.argv, ["killall", "-0", "haproxy"]);
    assert!(!chk.cmd.shell);
    assert_eq!(chk.interval, Duration::from_secs(2));
    assert_eq!(i.track_scripts.len(), 1);
    assert_eq!(i.track_scripts[0].name, "chk_haproxy");
    assert_eq!((i.track_scripts[0].location.line, i.track_scripts[0].location.column), (29, 9));
    assert_eq!(i.notify.master.as_ref().map(|m| m.argv.clone()), Some(vec!["/usr/local/bin/promote.sh".to_string()]));

    // vrrp_sync_group is read now: its one member gets keepalived's warning (vrrp_sync.c 106).
    assert_eq!(config.sync_groups.len(), 1);
    assert_eq!(config.sync_groups[0].members, ["VI_1"]);
    let (sync, skipped): (Vec<_>, Vec<_>) =
        config.warnings.iter().partition(|w| w.message.contains("has only 1 virtual router"));
    assert_eq!(sync.iter().map(|w| (w.location.line, w.location.column)).collect::<Vec<_>>(), [(16, 17)]);
    let got: Vec<(u32, u32, &str)> = skipped
        .iter()
        .map(|w| {
            assert_eq!(w.severity, Severity::Warning);
            assert_eq!(w.location.file, path);
            assert!(w.message.contains("not implemented by vrrpd, ignored"), "{w}");
            let keyword = w.message.split('`').nth(1).unwrap_or("");
            (w.location.line, w.location.column, keyword)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (3, 5, "notification_email"),
            (6, 5, "notification_email_from"),
            (7, 5, "smtp_server"),
            (37, 1, "virtual_server"),
            (50, 1, "static_ipaddress"),
        ]
    );

    let text = render_warnings(&config.warnings);
    assert_eq!(text.lines().count(), 6);
    assert!(text.starts_with(&format!(
        "{}:3:5: warning: `notification_email` is not implemented by vrrpd, ignored\n",
        path.display()
    )));
}
