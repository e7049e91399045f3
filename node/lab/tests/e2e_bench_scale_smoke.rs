//! `vrrp-lab bench --part scale --smoke`: one run of 20 instances × 100 ms, idle, over
//! 5 s, of keepalived's pair, vrrpd's pair and the floor; bench.md's Scale table has the
//! row with figures for both daemons and the floor, vrrpd made no spurious transition and
//! never had a VIP on b, and scale.png is a PNG.
//!
//! vrrp-lab runs the vrrpd and vrrpctl that sit beside it: `cargo test --workspace` builds
//! them into the same directory; to run this file alone, build vrrp-node first (same
//! profile), e.g. `cargo build -p vrrp-node && cargo test -p vrrp-lab --test e2e_bench_scale_smoke`.

mod common;

use std::time::Duration;

use common::vrrp_lab;

use vrrp_lab::require_root;

/// The leading number of a cell such as "0.400 % (0.2–0.6)", "13.0 MiB / 13.3 MiB" or "0".
fn number(cell: &str) -> Option<f64> {
    cell.split_whitespace().next()?.trim_end_matches('x').parse().ok()
}

#[test]
fn vrrp_lab_bench_scale_smoke_writes_the_table_and_the_plot() {
    if !require_root("vrrp_lab_bench_scale_smoke_writes_the_table_and_the_plot") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (out, _) = vrrp_lab(
        &["bench", "--part", "scale", "--smoke", "--out", out_dir.to_str().unwrap()],
        Duration::from_secs(100),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(out.status.success(), "vrrp-lab bench --part scale --smoke: {}\n{all}", out.status);

    let md = std::fs::read_to_string(out_dir.join("bench.md")).expect("bench.md");
    assert!(md.contains("- machine: ") && md.contains("- load average at the start: "), "{md}");
    assert!(md.contains("\n## Scale\n") && md.contains("- repetitions per row (N): 1; window per run: 5 s\n"), "{md}");
    assert!(!md.contains("| config | event |"), "the outage part did not run\n{md}");
    assert!(stdout.contains("| scenario | load |"), "the table is printed too\n{all}");
    let line = md
        .lines()
        .find(|l| l.starts_with("| 20 × 100 ms | idle |"))
        .unwrap_or_else(|| panic!("no 20 × 100 ms idle row\n{md}"));
    let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
    // scenario, load, keepalived master / backup, vrrpd master / backup, keepalived/vrrpd,
    // floor, vrrpd/floor, RSS keepalived, RSS vrrpd, transitions keepalived / vrrpd,
    // split-brain keepalived / vrrpd.
    assert_eq!(cells.len(), 15, "{cells:?}\n{md}");
    for (what, i) in [("keepalived master CPU", 2), ("keepalived backup CPU", 3), ("vrrpd master CPU", 4)] {
        let v = number(cells[i]).unwrap_or_else(|| panic!("{what}: no figure in {:?}\n{md}", cells[i]));
        assert!(v.is_finite() && (0.0..100.0).contains(&v) && cells[i].contains('%'), "{what}: {v}\n{md}");
    }
    let floor: Vec<&str> = cells[7].split(" / ").collect();
    assert_eq!(floor.len(), 2, "floor sender / receiver: {:?}\n{md}", cells[7]);
    assert!(floor.iter().all(|c| number(c).is_some_and(|v| (0.0..100.0).contains(&v))), "floor: {floor:?}\n{md}");
    for (what, i) in [("keepalived RSS", 9), ("vrrpd RSS", 10)] {
        let v = number(cells[i]).unwrap_or_else(|| panic!("{what}: no figure in {:?}\n{md}", cells[i]));
        // A daemon that runs at all has a resident set of a MiB or more.
        assert!(v >= 1.0 && cells[i].contains("MiB"), "{what}: {:?}\n{md}", cells[i]);
    }
    assert!(number(cells[11]).is_some(), "keepalived's transitions were not counted: {:?}\n{md}", cells[11]);
    assert_eq!(cells[12], "0", "vrrpd's spurious transitions\n{md}");
    assert!(cells[13].ends_with(" on b"), "keepalived split-brain: {:?}\n{md}", cells[13]);
    assert_eq!(cells[14], "0 on b", "vrrpd split-brain\n{md}");
    assert!(!md.contains("## Failures"), "{md}");

    let png = std::fs::read(out_dir.join("scale.png")).expect("scale.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5000, "scale.png is not a PNG ({} bytes)", png.len());
    assert!(!out_dir.join("outage.png").exists(), "the outage part did not run");
}
