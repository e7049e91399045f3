//! `vrrpd -t` and `vrrpd -t --strict` on a file keepalived runs without the authentication
//! it asks for (vrrp_parser.c `vrrp_auth_type_handler`: "unknown authentication type"):
//! by default it passes with an INSECURE warning and keepalived's exit status 5; with
//! `--strict` it is refused (exit 4) at the offending value. No network, no root.

use std::path::Path;
use std::process::{Command, Output};

fn vrrpd_t(path: &Path, strict: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vrrpd"));
    cmd.arg("-t").arg("-f").arg(path);
    if strict {
        cmd.arg("--strict");
    }
    cmd.output().expect("run vrrpd -t")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

const INSECURE: &str = "vrrp_instance VI_1 {
    state BACKUP
    interface eth1
    virtual_router_id 51
    priority 100
    authentication {
        auth_type PASS;
        auth_pass 1111
    }
    virtual_ipaddress {
        192.0.2.1/24
    }
}
";

#[test]
fn an_unknown_auth_type_passes_with_an_insecure_warning_and_strict_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keepalived.conf");
    std::fs::write(&path, INSECURE).unwrap();

    let out = vrrpd_t(&path, false);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(5), "{all}");
    assert!(all.contains("configuration OK (1 instance(s))"), "{all}");
    let head = format!("{}:7:19: warning: INSECURE: unknown auth_type `PASS;`", path.display());
    assert!(all.lines().any(|l| l.starts_with(&head)), "{all}");

    let out = vrrpd_t(&path, true);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(!all.contains("configuration OK"), "{all}");
    let head = format!("{}:7:19: error: unknown auth_type `PASS;`", path.display());
    let hit = all.lines().find(|l| l.starts_with(&head)).unwrap_or_else(|| panic!("{all}"));
    assert!(hit.ends_with("(refused by --strict)"), "{hit}");

    // A file with working authentication is clean either way.
    let good = INSECURE.replace("PASS;", "PASS");
    std::fs::write(&path, good).unwrap();
    for strict in [false, true] {
        let out = vrrpd_t(&path, strict);
        assert_eq!(out.status.code(), Some(0), "strict={strict}: {}", text(&out));
    }
}

/// keepalived's -t exits 6 (KEEPALIVED_CHK_EXIT_CONFIG_TEST_SECURITY) when scripts run
/// without `enable_script_security` ("SECURITY VIOLATION", vrrp.c 261); so does vrrpd's,
/// and 0 once script security is on.
#[test]
fn scripts_without_script_security_exit_6_as_keepalived_s() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keepalived.conf");
    let tracked = "vrrp_script chk {\n    script \"/bin/true\"\n    interval 2\n}\n".to_string()
        + &INSECURE
            .replace("PASS;", "PASS")
            .replace("    priority 100\n", "    priority 100\n    track_script {\n        chk\n    }\n");
    std::fs::write(&path, &tracked).unwrap();
    let out = vrrpd_t(&path, false);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(6), "{all}");
    assert!(all.contains("SECURITY VIOLATION"), "{all}");
    assert!(all.contains("configuration OK"), "{all}");

    let secured = format!("global_defs {{\n    enable_script_security\n    script_user root\n}}\n{tracked}");
    std::fs::write(&path, secured).unwrap();
    let out = vrrpd_t(&path, false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// `version 2` before IPv6 addresses: keepalived 2.2.7 runs VRRPv2 over IPv6 and its -t
/// exits 0 (vrrp.c 2863); so does vrrpd, without a warning, `--strict` included.
#[test]
fn keepalived_vrrp_c_2863_version_2_with_ipv6_passes_as_keepalived_t_strict_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keepalived.conf");
    let conf = "vrrp_instance VI_6 {\n    version 2\n    interface eth1\n    virtual_router_id 61\n    virtual_ipaddress {\n        2001:db8::61/64\n    }\n}\n";
    std::fs::write(&path, conf).unwrap();
    for strict in [false, true] {
        let out = vrrpd_t(&path, strict);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(!all.contains("INCOMPATIBLE") && !all.contains("warning:"), "{all}");
    }
}

/// A notify script that does not exist: keepalived only logs it ("Cannot find script ... -
/// disabling", lib/notify.c 725) and its -t exits 0; vrrpd -t prints the refusal at the
/// script and exits 0 too (it runs without the script, as keepalived does).
#[test]
fn a_missing_notify_script_is_printed_and_exits_0_as_keepalived_t() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keepalived.conf");
    let conf = format!(
        "global_defs {{\n    script_user root\n    enable_script_security\n}}\n{}",
        INSECURE
            .replace("PASS;", "PASS")
            .replace("    priority 100\n", "    priority 100\n    notify_master /nonexistent/vrrp-rs/notify.sh\n")
    );
    std::fs::write(&path, conf).unwrap();
    let out = vrrpd_t(&path, false);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let head = format!("{}:10:19: error: notify_master script of VI_1 will not be called", path.display());
    assert!(all.lines().any(|l| l.starts_with(&head)), "{all}");
}
