//! `auth_hmac { … }` as keepalived 2.4.3 reads it (`vrrp_parser.c: vrrp_auth_hmac_*`), with
//! every refusal at file:line:column.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use vrrp_core::wire::hmac::{HmacMode, KEY_MIN};

use crate::config::{load, Auth};
use crate::config::{parse_str, AuthHmac, Config, HmacAntiReplay};

const HEX32: &str = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// A v3 instance with `block` as its `auth_hmac` body; the body starts on line 7.
fn conf(block: &str) -> String {
    format!(
        "vrrp_instance A {{\n    version 3\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {{ 192.0.2.1 }}\n    auth_hmac {{\n{block}    }}\n}}\n"
    )
}

fn ok(text: &str) -> Config {
    parse_str("t.conf", text).unwrap_or_else(|e| panic!("unexpected errors:\n{}", e.render()))
}

fn hmac(c: &Config) -> &AuthHmac {
    match &c.instances[0].auth {
        Some(Auth::Hmac(h)) => h,
        other => panic!("no auth_hmac: {other:?}"),
    }
}

fn one_error(text: &str, line: u32, column: u32, needle: &str) {
    let errs = match parse_str("t.conf", text) {
        Ok(c) => panic!("expected an error, got {c:#?}"),
        Err(e) => e.errors,
    };
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!((errs[0].location.line, errs[0].location.column), (line, column), "{errs:#?}");
    assert!(errs[0].message.contains(needle), "{:?} lacks {needle:?}", errs[0].message);
}

#[test]
fn keepalived_defaults_mode_enforce_anti_replay_time_window_derived() {
    let c = ok(&conf(&format!("        key 1 {HEX32}\n        active_key 1\n")));
    let h = hmac(&c);
    assert_eq!(h.keys.len(), 1);
    assert_eq!(h.keys[0].bytes(), (0u8..32).collect::<Vec<_>>());
    assert_eq!((h.active_key, h.mode, h.anti_replay), (1, HmacMode::Enforce, HmacAntiReplay::Time(None)));
}

#[test]
fn every_setting_and_an_ascii_key() {
    let c = ok(&conf(
        "        key 2 an-ascii-key-of-thirty-two-bytes\n        key 3 \"hex:00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f\"\n        active_key 3\n        anti_replay monotonic\n        mode receive-only\n",
    ));
    let h = hmac(&c);
    assert_eq!(h.keys[0].bytes(), b"an-ascii-key-of-thirty-two-bytes");
    assert_eq!(h.keys[1].bytes(), (0u8..32).collect::<Vec<_>>(), "spaces between hex digits");
    assert_eq!((h.active_key, h.mode, h.anti_replay), (3, HmacMode::ReceiveOnly, HmacAntiReplay::Monotonic));
    let c = ok(&conf(&format!(
        "        key 1 {HEX32}\n        active_key 1\n        time_window 30\n        mode permissive\n"
    )));
    assert_eq!((hmac(&c).mode, hmac(&c).anti_replay), (HmacMode::Permissive, HmacAntiReplay::Time(Some(30))));
}

#[test]
fn key_length_is_32_to_64_bytes() {
    one_error(&conf("        key 1 hex:0001\n        active_key 1\n"), 7, 15, "length 2 not in range [32, 64]");
    let long = format!("hex:{}", "ab".repeat(65));
    one_error(&conf(&format!("        key 1 {long}\n        active_key 1\n")), 7, 15, "length 65");
    let short = "k".repeat(KEY_MIN - 1);
    one_error(&conf(&format!("        key 1 {short}\n        active_key 1\n")), 7, 15, "length 31");
}

#[test]
fn bad_ids_duplicates_and_hex_are_errors_where_written() {
    one_error(&conf(&format!("        key 0 {HEX32}\n        active_key 1\n")), 7, 13, "between 1 and 255");
    one_error(&conf(&format!("        key 256 {HEX32}\n        active_key 1\n")), 7, 13, "between 1 and 255");
    one_error(
        &conf(&format!("        key 1 {HEX32}\n        key 1 {HEX32}\n        active_key 1\n")),
        8,
        13,
        "duplicate",
    );
    one_error(&conf("        key 1 hex:zz\n        active_key 1\n"), 7, 15, "pairs of hex digits");
    one_error(&conf("        key 1 hex:abc\n        active_key 1\n"), 7, 15, "pairs of hex digits");
    one_error(&conf("        key 1\n        active_key 1\n"), 7, 9, "needs an id and a value");
}

#[test]
fn active_key_must_name_a_key() {
    // keepalived disables the extension here ("active_key 2 is not defined"); vrrpd refuses.
    one_error(&conf(&format!("        key 1 {HEX32}\n        active_key 2\n")), 6, 5, "active_key 2 is not defined");
    one_error(&conf(&format!("        key 1 {HEX32}\n")), 6, 5, "needs `active_key");
}

#[test]
fn mode_anti_replay_and_window_values_are_checked() {
    let base = format!("        key 1 {HEX32}\n        active_key 1\n");
    one_error(&conf(&format!("{base}        mode strict\n")), 9, 14, "must be enforce, permissive or receive-only");
    one_error(&conf(&format!("{base}        anti_replay counter\n")), 9, 21, "must be time or monotonic");
    one_error(&conf(&format!("{base}        time_window 301\n")), 9, 21, "1..=300");
    one_error(&conf(&format!("{base}        time_window 0\n")), 9, 21, "1..=300");
}

#[test]
fn auth_hmac_with_an_authentication_block_is_refused() {
    let text = format!(
        "vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {{ 192.0.2.1 }}\n    authentication {{\n        auth_type PASS\n        auth_pass x\n    }}\n    auth_hmac {{\n        key 1 {HEX32}\n        active_key 1\n    }}\n}}\n"
    );
    one_error(&text, 9, 5, "cannot be combined");
}

#[test]
fn vrrpv2_keeps_auth_hmac_too() {
    let text = format!(
        "vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {{ 192.0.2.1 }}\n    auth_hmac {{\n        key 1 {HEX32}\n        active_key 1\n    }}\n}}\n"
    );
    let c = ok(&text);
    assert_eq!(hmac(&c).active_key, 1);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn key_from_a_file_relative_to_the_config_and_with_its_newline_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("vrrp.key");
    let mut f = std::fs::File::create(&key).unwrap();
    f.write_all(b"vrrp-rs test key seven, not a secret!!!!\r\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = dir.path().join("k.conf");
    std::fs::write(&path, conf("        key 7 file:vrrp.key\n        active_key 7\n")).unwrap();
    let c = load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(hmac(&c).keys[0].bytes(), b"vrrp-rs test key seven, not a secret!!!!");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // A hex key in a file, by absolute path, readable by others: accepted with a warning.
    std::fs::write(&key, format!("{HEX32}\n")).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&path, conf(&format!("        key 7 file:{}\n        active_key 7\n", key.display()))).unwrap();
    let c = load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(hmac(&c).keys[0].bytes(), (0u8..32).collect::<Vec<_>>());
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].message.contains("accessible by group or others"), "{:?}", c.warnings);
    assert_eq!((c.warnings[0].location.line, c.warnings[0].location.column), (7, 15));
}

#[test]
fn key_file_errors_are_at_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.conf");
    std::fs::write(&path, conf("        key 7 file:missing.key\n        active_key 7\n")).unwrap();
    let e = load(&path).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{}", e.render());
    assert!(e.errors[0].message.contains("cannot be opened"), "{}", e.render());
    assert_eq!((e.errors[0].location.line, e.errors[0].location.column), (7, 15));
    let big = dir.path().join("big.key");
    std::fs::write(&big, "k".repeat(200)).unwrap();
    std::fs::write(&path, conf("        key 7 file:big.key\n        active_key 7\n")).unwrap();
    let e = load(&path).unwrap_err();
    assert!(e.errors[0].message.contains("too large"), "{}", e.render());
}
