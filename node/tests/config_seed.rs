//! The users' real keepalived.conf must keep parsing to exactly this.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use vrrp_node::config::{
    load, parse_str, Auth, Config, Family, GlobalDefs, InitialState, SourceLocation, Version, Vip, VrrpInstance,
};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(rel)
}

fn loc(file: &Path, line: u32, column: u32) -> SourceLocation {
    SourceLocation { file: file.to_path_buf(), line, column }
}

fn expected(file: &Path) -> Config {
    Config {
        global: GlobalDefs::default(),
        instances: vec![VrrpInstance {
            name: "VI".into(),
            location: loc(file, 1, 15),
            state: Some(InitialState::Master),
            interface: "eth1".into(),
            vrid: 200,
            priority: 101,
            advert_int_cs: 100,
            version: Version::V2,
            family: Family::Ipv4,
            auth: Some(Auth::Pass("XXXXXX".into())),
            vips: vec![Vip {
                addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                prefix_len: 24,
                dev: Some("eth1".into()),
                brd: None,
                label: None,
                scope: None,
                no_track: false,
                use_vmac: false,
                vmac: None,
                location: loc(file, 13, 9),
            }],
            vips_excluded: vec![],
            routes: vec![],
            rules: vec![],
            nopreempt: false,
            preempt_delay_cs: 0,
            garp_master_delay_s: Some(5),
            garp_master_repeat: None,
            accept: None,
            mcast_src_ip: None,
            unicast_peers: Vec::new(),
            unicast_ttl: None,
            fault_no_peer: None,
            native_ipv6: false,
            vmac: None,
            use_vmac_addr: false,
            track_scripts: vec![],
            track_files: vec![],
            track_processes: vec![],
            track_interfaces: vec![],
            notify: Default::default(),
        }],
        scripts: vec![],
        track_files: vec![],
        track_processes: vec![],
        sync_groups: vec![],
        warnings: vec![],
    }
}

#[test]
fn seed_config_loads_exactly() {
    let path = fixture("seed.conf");
    let config = load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config, expected(&path));
}

#[test]
fn seed_config_from_string_matches_load() {
    let path = fixture("seed.conf");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let config = parse_str("keepalived.conf", &text).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config, expected(Path::new("keepalived.conf")));
}

#[test]
fn seed_second_server_variant() {
    let path = fixture("seed.conf");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("state MASTER", "state BACKUP")
        .replace("priority 101", "priority 100");
    let config = parse_str("backup.conf", &text).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config.instances[0].state, Some(InitialState::Backup));
    assert_eq!(config.instances[0].priority, 100);
}

#[test]
fn missing_file_is_an_error_at_its_start() {
    let path = fixture("does-not-exist.conf");
    let err = load(&path).err().unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].location, loc(&path, 1, 1));
    assert!(err.errors[0].message.contains("cannot read"), "{}", err.errors[0]);
}
