//! `vrrpd -t` on unicast configurations (keepalived's `unicast_peer`, `unicast_src_ip`,
//! `unicast_ttl`, `check_unicast_src`, `unicast_fault_no_peer`): a good file passes, a peer
//! or source of the wrong family is an error at its file:line:column. No network needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/unicast").join(name)
}

fn config_test(path: &Path) -> (Option<i32>, String) {
    let out: Output =
        Command::new(env!("CARGO_BIN_EXE_vrrpd")).arg("-t").arg("-f").arg(path).output().expect("run vrrpd -t");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn a_unicast_file_with_every_keyword_is_ok() {
    let (code, text) = config_test(&fixture("good.conf"));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("configuration OK (1 instance(s))"), "{text}");
    assert!(!text.contains("not implemented"), "{text}");
}

/// keepalived 2.2.7 `-t` on these files: "MUST be of the same family !!! Skipping..."
/// (vrrp_data.c 992, vrrp_parser.c `vrrp_srcip_handler`).
#[test]
fn keepalived_wrong_family_peer_or_source_is_an_error_at_file_line_column() {
    let cases = [
        ("peer_family.conf", 13, 9, "unicast_peer fe80::12 is IPv6 but the instance is IPv4"),
        ("src_family.conf", 10, 20, "unicast_src_ip fe80::11 is IPv6 but the instance is IPv4"),
    ];
    for (name, line, column, words) in cases {
        let path = fixture(name);
        let (code, text) = config_test(&path);
        assert_eq!(code, Some(4), "{name}: {text}");
        let head = format!("{}:{line}:{column}: error: ", path.display());
        let hit = text.lines().find(|l| l.starts_with(&head));
        let hit = hit.unwrap_or_else(|| panic!("{name}: no line starting {head:?} in:\n{text}"));
        assert!(hit.contains(words), "{name}: {hit:?} lacks {words:?}");
        assert_eq!(text.lines().filter(|l| l.contains(": error: ")).count(), 1, "{name}: {text}");
    }
}

/// vrrp.c 2988 "Cannot use unicast without any peers - going to fault state": keepalived
/// runs it, FAULT for good, and so does vrrpd; `-t` exits 5 (keepalived reports an error
/// and runs the file) with the warning at the keyword.
#[test]
fn keepalived_unicast_fault_no_peer_without_peers_runs_fault() {
    let path = fixture("fault_no_peer.conf");
    let (code, text) = config_test(&path);
    assert_eq!(code, Some(5), "{text}");
    let head = format!("{}:11:5: warning: ", path.display());
    let hit = text.lines().find(|l| l.starts_with(&head)).unwrap_or_else(|| panic!("no {head:?} in:\n{text}"));
    assert!(hit.contains("it stays FAULT, as keepalived runs it"), "{hit}");
    assert!(!text.contains(": error: "), "{text}");
}
