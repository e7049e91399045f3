//! `include` handling against real files.

use std::path::{Path, PathBuf};

use vrrp_node::config::{load, Family, Version};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(rel)
}

#[test]
fn glob_include_across_two_files_relative_to_including_file() {
    let main = fixture("include/main.conf");
    let config = load(&main).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config.global.router_id.as_deref(), Some("lb-include"));
    let names: Vec<&str> = config.instances.iter().map(|i| i.name.as_str()).collect();
    // Sorted glob order, and README.txt is not matched.
    assert_eq!(names, ["V4", "V6"]);

    let v4 = &config.instances[0];
    assert_eq!(v4.location.file, fixture("include/conf.d/10-v4.conf"));
    assert_eq!((v4.location.line, v4.location.column), (1, 15));
    assert_eq!(v4.family, Family::Ipv4);
    assert_eq!(v4.version, Version::V2);

    // Same VRID and interface is fine across families.
    let v6 = &config.instances[1];
    assert_eq!(v6.location.file, fixture("include/conf.d/20-v6.conf"));
    assert_eq!(v6.family, Family::Ipv6);
    assert_eq!(v6.version, Version::V3);
    assert_eq!(v6.advert_int_cs, 50);
    assert_eq!(v6.vips[0].location.file, fixture("include/conf.d/20-v6.conf"));
    assert_eq!(v6.vips[0].location.line, 6);

    // `include missing/*.conf` matches nothing: a warning, like keepalived.
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    let w = &config.warnings[0];
    assert_eq!(w.location.file, main);
    assert_eq!((w.location.line, w.location.column), (6, 9));
    assert!(w.message.contains("matched no file"));
}

#[test]
fn include_cycle_is_an_error_at_the_closing_include() {
    let err = load(&fixture("cycle/a.conf")).err().unwrap_or_else(|| panic!("expected a cycle error"));
    assert_eq!(err.errors.len(), 1, "{}", err.render());
    let e = &err.errors[0];
    assert_eq!(e.location.file, fixture("cycle/b.conf"));
    assert_eq!((e.location.line, e.location.column), (4, 9));
    assert!(e.message.contains("include cycle"), "{e}");
}

#[test]
fn self_include_is_a_cycle() {
    let err = load(&fixture("cycle/self.conf")).err().unwrap_or_else(|| panic!("expected a cycle error"));
    assert_eq!(err.errors.len(), 1);
    assert_eq!((err.errors[0].location.line, err.errors[0].location.column), (1, 9));
    assert!(err.render().contains("include self.conf"), "{}", err.render());
}

#[test]
fn include_inside_blocks_splices_statements_and_addresses() {
    let config = load(&fixture("inblock/main.conf")).unwrap_or_else(|e| panic!("{}", e.render()));
    let i = &config.instances[0];
    assert_eq!(i.interface, "bond0");
    assert_eq!(i.priority, 150);
    assert_eq!(i.vrid, 7);
    assert_eq!(i.vips.len(), 2);
    assert_eq!(i.vips[1].label.as_deref(), Some("bond0:1"));
    assert_eq!(i.vips[1].location.file, fixture("inblock/vips.inc"));
    assert_eq!(i.vips[1].location.line, 2);
}

#[test]
fn same_file_twice_without_recursion_is_fine() {
    let config = load(&fixture("inblock/twice.conf")).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config.global.garp_master_repeat, Some(2));
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
}

#[test]
fn nesting_deeper_than_16_is_an_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // f0 includes f1 ... f16 includes f17: 17 levels below the root.
    for n in 0..17 {
        write(dir.path(), &format!("f{n}.conf"), &format!("include f{}.conf\n", n + 1));
    }
    write(dir.path(), "f17.conf", "global_defs {\n router_id deep\n}\n");
    let err = load(&dir.path().join("f0.conf")).err().unwrap_or_else(|| panic!("expected a depth error"));
    assert_eq!(err.errors.len(), 1, "{}", err.render());
    assert_eq!(err.errors[0].location.file, dir.path().join("f16.conf"));
    assert!(err.errors[0].message.contains("16 levels"), "{}", err.errors[0]);

    // 16 levels are allowed.
    let config = load(&dir.path().join("f1.conf")).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(config.global.router_id.as_deref(), Some("deep"));
}

#[test]
fn absolute_include_and_errors_inside_included_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "bad.conf", "\n\nvrrp_instance X {\n    virtual_router_id 0\n}\n");
    let main = format!("include {}\n", dir.path().join("*.conf").display());
    write(dir.path(), "main.cfg", &main);
    let err = load(&dir.path().join("main.cfg")).err().unwrap_or_else(|| panic!("expected errors"));
    let first = &err.errors[0];
    assert_eq!(first.location.file, dir.path().join("bad.conf"));
    assert_eq!((first.location.line, first.location.column), (3, 15));
    let rendered = err.render();
    assert!(rendered.contains("bad.conf:4:23: error: invalid `virtual_router_id` value `0`"), "{rendered}");
    assert!(rendered.contains("    virtual_router_id 0"), "{rendered}");
}

#[test]
fn non_utf8_file_is_an_error_with_position() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("x.conf"), b"global_defs {\n  router_id a\xffb\n}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = load(&dir.path().join("x.conf")).err().unwrap_or_else(|| panic!("expected error"));
    assert_eq!(err.errors.len(), 1);
    assert_eq!((err.errors[0].location.line, err.errors[0].location.column), (2, 14));
}

/// The seed instance, with `extra` (raw bytes) inserted as its first lines.
fn seed_with(extra: &[u8]) -> Vec<u8> {
    let mut text = b"vrrp_instance VI {\n".to_vec();
    text.extend_from_slice(extra);
    text.extend_from_slice(
        b"    interface eth1\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n}\n",
    );
    text
}

#[test]
fn latin1_and_gbk_bytes_in_comments_and_quoted_strings_are_accepted_as_keepalived_does() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = b"# r\xe9seau de l'\xe9tage\n    ! caf\xe9\n";
    // "主备切换" (failover) in GBK.
    let gbk = b"    # \xd6\xf7\xb1\xb8\xc7\xd0\xbb\xbb\n";
    for (name, extra) in [("latin1.conf", &latin1[..]), ("gbk.conf", &gbk[..])] {
        std::fs::write(dir.path().join(name), seed_with(extra)).unwrap();
        let cfg = load(&dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {}", e.render()));
        assert_eq!(cfg.instances[0].vrid, 51, "{name}");
    }
    // Kept lossily where a quoted value is kept.
    let quoted = b"global_defs {\n    router_id \"caf\xe9\"\n}\n";
    std::fs::write(dir.path().join("quoted.conf"), quoted).unwrap();
    let cfg = load(&dir.path().join("quoted.conf")).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(cfg.global.router_id.as_deref(), Some("caf\u{fffd}"));
}

#[test]
fn non_utf8_bytes_where_text_is_needed_are_errors_at_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    // A keyword is no keyword keepalived knows ("Unknown keyword", a warning, and the line
    // is skipped); a quoted number is still no number.
    let text = seed_with(b"    # fine: \xe9\n    pr\xe9empt\n    garp_master_delay \"\xe9\"\n");
    std::fs::write(dir.path().join("k.conf"), text).unwrap();
    let err = load(&dir.path().join("k.conf")).expect_err("expected errors");
    let found: Vec<(u32, u32)> = err.errors.iter().map(|d| (d.location.line, d.location.column)).collect();
    assert_eq!(found, vec![(4, 23)], "{}", err.render());
    let warned: Vec<(u32, u32)> = err.warnings.iter().map(|d| (d.location.line, d.location.column)).collect();
    assert_eq!(warned, vec![(3, 7)], "{:?}", err.warnings);
    assert!(err.warnings[0].message.contains("not UTF-8"), "{:?}", err.warnings);

    // An interface name even when quoted: the kernel would get other bytes.
    let text = b"vrrp_instance VI {\n    interface \"eth\xe9\"\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n}\n";
    std::fs::write(dir.path().join("i.conf"), text).unwrap();
    let err = load(&dir.path().join("i.conf")).expect_err("expected errors");
    assert_eq!(err.errors.len(), 1, "{}", err.render());
    assert_eq!((err.errors[0].location.line, err.errors[0].location.column), (2, 15));
    assert!(err.errors[0].message.contains("not UTF-8"), "{}", err.render());
}
