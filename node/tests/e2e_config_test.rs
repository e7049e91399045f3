//! `vrrpd -t`: broken configurations exit non-zero and name every error as FILE:LINE:COLUMN;
//! good ones exit 0 and say "configuration OK". No network, no root needed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(rel)
}

fn config_test(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpd")).arg("-t").arg("-f").arg(path).output().expect("run vrrpd -t")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// An error a fixture must report: (line, column, words of the message).
type Expected = (u32, u32, &'static str);

/// Each broken fixture with every error it must report.
const BROKEN: &[(&str, &[Expected])] = &[
    ("broken/range.conf", &[(5, 23, "invalid `virtual_router_id` value `300`")]),
    ("broken/unclosed.conf", &[(2, 18, "block is never closed")]),
    ("broken/no_vrid.conf", &[(1, 15, "has no virtual_router_id")]),
    ("broken/duplicate_vrid.conf", &[(11, 23, "virtual_router_id 51 on eth1 (IPv4) is already used")]),
    ("broken/auth_ah.conf", &[(2, 15, "auth_type AH is not supported")]),
    ("broken/ifname.conf", &[(4, 15, "16 bytes, at most 15 fit a Linux interface name")]),
];

/// Files keepalived runs after reporting errors: vrrpd runs them too, warning what it did
/// instead, and `-t` exits 5 as keepalived's does (each with the warning it must give).
const RECOVERED: &[(&str, Expected)] = &[
    ("recovered/v2_fractional_advert.conf", (6, 16, "rounded to 1 s")),
    ("recovered/bad_vip.conf", (7, 9, "invalid virtual IP address `192.0.2.999/24`")),
    ("recovered/mixed_families.conf", (7, 9, "mixes address families")),
];

#[test]
fn files_keepalived_runs_with_errors_pass_with_warnings_and_exit_5() {
    for (rel, (line, col, words)) in RECOVERED {
        let path = fixture(rel);
        let out = config_test(&path);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(5), "{rel}: {all}");
        assert!(all.contains("configuration OK"), "{rel}: {all}");
        let head = format!("{}:{line}:{col}: warning: ", path.display());
        let hit = all.lines().find(|l| l.starts_with(&head));
        let hit = hit.unwrap_or_else(|| panic!("{rel}: no line starting {head:?} in:\n{all}"));
        assert!(hit.contains(words), "{rel}: {hit:?} lacks {words:?}");
    }
}

#[test]
fn broken_configs_exit_nonzero_and_report_every_error_with_file_line_column() {
    for (rel, errors) in BROKEN {
        let path = fixture(rel);
        let out = config_test(&path);
        let all = text(&out);
        assert!(!out.status.success(), "{rel}: exit {}, output:\n{all}", out.status);
        // keepalived's KEEPALIVED_CHK_EXIT_CONFIG: a file it cannot run.
        assert_eq!(out.status.code(), Some(4), "{rel}: {all}");
        assert!(!all.contains("configuration OK"), "{rel}: {all}");
        for (line, col, words) in *errors {
            let head = format!("{}:{line}:{col}: error: ", path.display());
            let hit = all.lines().find(|l| l.starts_with(&head));
            let hit = hit.unwrap_or_else(|| panic!("{rel}: no line starting {head:?} in:\n{all}"));
            assert!(hit.contains(words), "{rel}: {hit:?} lacks {words:?}");
        }
        let reported = all.lines().filter(|l| l.contains(": error: ")).count();
        assert_eq!(reported, errors.len(), "{rel}: expected exactly {} error(s):\n{all}", errors.len());
    }
}

#[test]
fn source_snippets_point_at_the_offending_token() {
    let out = config_test(&fixture("broken/range.conf"));
    let all = text(&out);
    assert!(all.contains("    virtual_router_id 300"), "{all}");
    assert!(all.contains("^^^"), "{all}");
}

#[test]
fn good_configs_exit_zero_with_configuration_ok() {
    let dir = tempfile::tempdir().unwrap();
    let seed = common::write_file(dir.path(), "seed.conf", &common::seed_config("MASTER", 101));
    let v3 = common::write_file(
        dir.path(),
        "v3.conf",
        &common::Conf::seed("BACKUP", 100).v3().advert_int("0.01").vip("2001:db8::1/64").render(),
    );
    for path in [fixture("seed.conf"), fixture("include/main.conf"), seed, v3] {
        let out = config_test(&path);
        let all = text(&out);
        assert!(out.status.success(), "{}: exit {}:\n{all}", path.display(), out.status);
        assert!(String::from_utf8_lossy(&out.stdout).contains("configuration OK"), "{}: {all}", path.display());
        assert!(!all.contains("error"), "{}: {all}", path.display());
    }
}

/// keepalived's -t exits 5 for an unknown keyword (lib/parser.c CONFIG_UNKNOWN_KEYWORD) and
/// runs the file: so does vrrpd.
#[test]
fn warnings_alone_do_not_fail_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::seed_config("MASTER", 101).replace("    advert_int 1\n", "    advert_int 1\n    prioritty 7\n");
    let path = common::write_file(dir.path(), "typo.conf", &conf);
    let out = config_test(&path);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(5), "exit {}:\n{all}", out.status);
    assert!(all.contains(&format!("{}:8:5: warning: unknown keyword `prioritty`", path.display())), "{all}");
    assert!(all.contains("configuration OK"), "{all}");
}
