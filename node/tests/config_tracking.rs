//! The tracking and notify keywords. A typical deployment (haproxy check, notify scripts,
//! an uplink tracked) loads into exactly the expected model; on every tracking fixture,
//! vrrpd's verdict is compared with what keepalived 2.2.7's `keepalived -t` says, run in a
//! lab namespace that has the interfaces the fixtures name.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use vrrp_lab::{require_root, Lan};
use vrrp_node::config::ReadOptions;
use vrrp_node::config::{
    load, Config, Family, GlobalDefs, InitialState, Notify, RunAs, ScriptCmd, Severity, SourceLocation, Track, Version,
    Vip, VrrpInstance, VrrpScript,
};
use vrrp_node::daemon::config_test_with;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/tracking").join(rel)
}

fn loc(file: &Path, line: u32, column: u32) -> SourceLocation {
    SourceLocation { file: file.to_path_buf(), line, column }
}

fn notify_cmd(file: &Path, line: u32, column: u32, state: &str) -> ScriptCmd {
    ScriptCmd {
        text: format!("/etc/keepalived/notify.sh {state}"),
        argv: vec!["/etc/keepalived/notify.sh".into(), state.into()],
        shell: false,
        user: None,
        location: loc(file, line, column),
    }
}

fn expected(file: &Path) -> Config {
    Config {
        global: GlobalDefs {
            router_id: Some("LB_A".into()),
            enable_script_security: true,
            script_user: Some(RunAs { user: "root".into(), group: None, location: loc(file, 5, 17) }),
            ..GlobalDefs::default()
        },
        instances: vec![VrrpInstance {
            name: "VI_1".into(),
            location: loc(file, 17, 15),
            state: Some(InitialState::Master),
            interface: "eth1".into(),
            vrid: 51,
            priority: 101,
            advert_int_cs: 100,
            version: Version::V2,
            family: Family::Ipv4,
            auth: None,
            vips: vec![Vip {
                addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)),
                prefix_len: 24,
                dev: Some("eth1".into()),
                brd: None,
                label: None,
                scope: None,
                no_track: false,
                use_vmac: false,
                vmac: None,
                location: loc(file, 24, 9),
            }],
            vips_excluded: vec![],
            routes: vec![],
            rules: vec![],
            nopreempt: false,
            preempt_delay_cs: 0,
            garp_master_delay_s: None,
            garp_master_repeat: None,
            accept: None,
            mcast_src_ip: None,
            unicast_peers: Vec::new(),
            unicast_ttl: None,
            fault_no_peer: None,
            native_ipv6: false,
            vmac: None,
            use_vmac_addr: false,
            track_scripts: vec![Track {
                name: "chk_haproxy".into(),
                location: loc(file, 27, 9),
                weight: None,
                reverse: false,
            }],
            track_files: vec![],
            track_processes: vec![],
            track_interfaces: vec![Track {
                name: "eth2".into(),
                location: loc(file, 30, 9),
                weight: Some(-30),
                reverse: false,
            }],
            notify: Notify {
                master: Some(notify_cmd(file, 32, 19, "MASTER")),
                backup: Some(notify_cmd(file, 33, 19, "BACKUP")),
                fault: Some(notify_cmd(file, 34, 18, "FAULT")),
                ..Notify::default()
            },
        }],
        scripts: vec![VrrpScript {
            name: "chk_haproxy".into(),
            location: loc(file, 9, 13),
            cmd: ScriptCmd {
                text: "/usr/bin/killall -0 haproxy".into(),
                argv: vec!["/usr/bin/killall".into(), "-0".into(), "haproxy".into()],
                shell: false,
                user: None,
                location: loc(file, 10, 12),
            },
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            weight: -20,
            reverse: false,
            rise: 2,
            fall: 2,
            init_fail: false,
        }],
        track_files: vec![],
        track_processes: vec![],
        sync_groups: vec![],
        warnings: vec![],
    }
}

#[test]
fn a_typical_deployment_loads_into_exactly_the_expected_model() {
    let path = fixture("deployment.conf");
    let config = load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config, expected(&path));
}

/// How `vrrpd -t` and `keepalived -t` judge a fixture.
struct Case {
    file: &'static str,
    /// vrrpd accepts it (possibly with warnings).
    vrrpd_ok: bool,
    /// Words of each vrrpd diagnostic on the tracking part (errors, or warnings when
    /// vrrpd accepts the file), in file order.
    vrrpd_says: &'static [&'static str],
    /// `keepalived -t`'s exit code: 0 accepted, 5 a configuration error (main.c
    /// `config_test_exit`, KEEPALIVED_CHK_EXIT_CONFIG_TEST).
    keepalived_rc: i32,
}

/// Where keepalived -t exits 5 and vrrpd accepts the file, keepalived too goes on with
/// exactly what vrrpd does, and vrrpd warns (and its -t exits 5 as well): `interval 0`
/// runs every second; tracking the instance's own interface adds nothing (it is always
/// tracked); an address owner drops weighted scripts; a second notify script or a tracked
/// name written twice is ignored; a weight, quorum or delay out of range is ignored or
/// defaulted as keepalived's handlers do. A `track_interface` no interface can be named
/// passes `keepalived -t` (5), but keepalived's start refuses it, and so does vrrpd.
const CASES: &[Case] = &[
    Case { file: "deployment.conf", vrrpd_ok: true, vrrpd_says: &[], keepalived_rc: 0 },
    Case {
        file: "duplicate_script_name.conf",
        vrrpd_ok: true,
        vrrpd_says: &["duplicate vrrp_script name `chk`"],
        keepalived_rc: 0,
    },
    Case { file: "interval_zero.conf", vrrpd_ok: true, vrrpd_says: &["using 1 second"], keepalived_rc: 5 },
    Case { file: "own_interface.conf", vrrpd_ok: true, vrrpd_says: &["own interface"], keepalived_rc: 5 },
    Case { file: "owner_weighted.conf", vrrpd_ok: true, vrrpd_says: &["due to address_owner"], keepalived_rc: 5 },
    Case { file: "notify_twice.conf", vrrpd_ok: true, vrrpd_says: &["already set"], keepalived_rc: 5 },
    Case { file: "notify_unterminated.conf", vrrpd_ok: true, vrrpd_says: &["unterminated `'`"], keepalived_rc: 5 },
    Case { file: "script_weight_range.conf", vrrpd_ok: true, vrrpd_says: &["-253..=253"], keepalived_rc: 5 },
    Case {
        file: "track_interface_bad_name.conf",
        vrrpd_ok: false,
        vrrpd_says: &["cannot contain `:`"],
        keepalived_rc: 5,
    },
    Case { file: "tracked_twice.conf", vrrpd_ok: true, vrrpd_says: &["duplicate track_script"], keepalived_rc: 5 },
    // vrrp_track.c "track script %s not found, ignoring...": ignored by both, with a warning.
    Case { file: "undefined_file.conf", vrrpd_ok: true, vrrpd_says: &["no vrrp_track_file"], keepalived_rc: 5 },
    Case { file: "undefined_script.conf", vrrpd_ok: true, vrrpd_says: &["no vrrp_script"], keepalived_rc: 5 },
    Case {
        file: "script_after_instance.conf",
        vrrpd_ok: true,
        vrrpd_says: &["defined after this vrrp_instance"],
        keepalived_rc: 5,
    },
    // vrrp_track_process / track_process (vrrp_parser.c `vrrp_tprocess_*_handler`,
    // vrrp_track.c `alloc_track_process`).
    Case { file: "process_deployment.conf", vrrpd_ok: true, vrrpd_says: &[], keepalived_rc: 0 },
    Case {
        file: "process_owner_weighted.conf",
        vrrpd_ok: true,
        vrrpd_says: &["does nothing on an address owner"],
        keepalived_rc: 0,
    },
    Case { file: "process_weight_range.conf", vrrpd_ok: true, vrrpd_says: &["-254..=254"], keepalived_rc: 5 },
    Case { file: "process_undefined.conf", vrrpd_ok: true, vrrpd_says: &["no vrrp_track_process"], keepalived_rc: 5 },
    Case {
        file: "process_no_process.conf",
        vrrpd_ok: true,
        vrrpd_says: &["has no process", "was dropped"],
        keepalived_rc: 5,
    },
    Case { file: "process_quorum_order.conf", vrrpd_ok: true, vrrpd_says: &["less than `quorum`"], keepalived_rc: 5 },
    Case { file: "process_delay_zero.conf", vrrpd_ok: true, vrrpd_says: &["0.000001..=3600"], keepalived_rc: 5 },
    Case {
        file: "process_tracked_twice.conf",
        vrrpd_ok: true,
        vrrpd_says: &["duplicate track_process"],
        keepalived_rc: 5,
    },
    Case {
        file: "process_after_instance.conf",
        vrrpd_ok: true,
        vrrpd_says: &["defined after this vrrp_instance"],
        keepalived_rc: 5,
    },
];

#[test]
fn vrrpd_verdicts_on_the_tracking_fixtures() {
    let mut statuses = Vec::new();
    for case in CASES {
        // `vrrpd -t`'s status follows keepalived's: 0, or 5 for what keepalived reports and
        // runs anyway, 4 for what vrrpd refuses (keepalived's 5 there: it would run it).
        let code = match config_test_with(&fixture(case.file), ReadOptions::default()) {
            Ok(ok) => ok.exit_code(),
            Err(f) => f.exit_code(),
        };
        let want = if case.vrrpd_ok { case.keepalived_rc } else { 4 };
        if i32::from(code) != want {
            statuses.push(format!("{}: vrrpd -t exits {code}, expected {want}", case.file));
        }
        let path = fixture(case.file);
        let diagnostics = match load(&path) {
            Ok(c) => {
                assert!(case.vrrpd_ok, "{}: accepted, expected an error", case.file);
                c.warnings
            }
            Err(e) => {
                assert!(!case.vrrpd_ok, "{}: refused:\n{}", case.file, e.render());
                e.errors.iter().chain(&e.warnings).cloned().collect()
            }
        };
        assert_eq!(diagnostics.len(), case.vrrpd_says.len(), "{}: {diagnostics:?}", case.file);
        for (d, words) in diagnostics.iter().zip(case.vrrpd_says) {
            assert!(d.message.contains(words), "{}: {d}", case.file);
            let severity = if case.vrrpd_ok { Severity::Warning } else { Severity::Error };
            assert_eq!(d.severity, severity, "{}: {d}", case.file);
            assert_eq!(d.location.file, path, "{}: {d}", case.file);
        }
    }
    assert!(statuses.is_empty(), "{}", statuses.join("\n"));
}

/// keepalived 2.2.7 on the same fixtures, inside a lab namespace with `eth1` (the lab's)
/// and `eth2` (a veth added for the test) so interface checks pass.
#[test]
fn keepalived_t_verdicts_on_the_tracking_fixtures() {
    let test = "keepalived_t_verdicts_on_the_tracking_fixtures";
    if !require_root(test) {
        return;
    }
    let keepalived = Path::new("/usr/sbin/keepalived");
    assert!(keepalived.exists(), "keepalived 2.2.7 is a test dependency (the Debian package)");
    let lan = Lan::builder(test).host_v4("a", "192.0.2.11/24").build().expect("build lab LAN");
    let out = lan.exec("a", &["ip", "link", "add", "eth2", "type", "veth", "peer", "name", "eth3"]).expect("ip link");
    assert!(out.status.success(), "ip link add: {}", String::from_utf8_lossy(&out.stderr));
    for dev in ["eth2", "eth3"] {
        let out = lan.exec("a", &["ip", "link", "set", dev, "up"]).expect("ip link set");
        assert!(out.status.success(), "ip link set {dev} up: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut mismatches = Vec::new();
    for case in CASES {
        let path = fixture(case.file);
        let path = path.to_str().expect("UTF-8 fixture path");
        let out =
            lan.exec("a", &[keepalived.to_str().unwrap_or_default(), "-t", "-f", path]).expect("run keepalived -t");
        if out.status.code() != Some(case.keepalived_rc) {
            mismatches.push(format!(
                "{}: keepalived -t exited {:?}, expected {}:\n{}",
                case.file,
                out.status.code(),
                case.keepalived_rc,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
