//! `vrrp-lab bench --part outage --smoke`: both daemons, VRRPv3 at 100 ms, cable cut and SIGTERM once
//! each; bench.md has both rows with figures for both daemons, vrrpd's SIGTERM outage is
//! below its cut outage, and outage.png is a PNG.
//!
//! vrrp-lab runs the vrrpd and vrrpctl that sit beside it: `cargo test --workspace` builds
//! them into the same directory; to run this file alone, build vrrp-node first (same
//! profile), e.g. `cargo build -p vrrp-node && cargo test -p vrrp-lab --test e2e_bench_smoke`.

mod common;

use std::time::Duration;

use common::vrrp_lab;

use vrrp_lab::require_root;

/// The milliseconds of a cell such as "360 ms, 359 lost".
fn cell_ms(cell: &str) -> Option<f64> {
    cell.trim().split(" ms").next()?.trim().parse().ok()
}

/// The cells of the table row for `config` and `event`.
fn row<'a>(md: &'a str, config: &str, event: &str) -> Option<Vec<&'a str>> {
    md.lines()
        .find(|l| l.starts_with(&format!("| {config} | {event} |")))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
}

#[test]
fn vrrp_lab_bench_smoke_writes_the_table_and_the_plot() {
    if !require_root("vrrp_lab_bench_smoke_writes_the_table_and_the_plot") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (out, _) = vrrp_lab(
        &["bench", "--part", "outage", "--smoke", "--out", out_dir.to_str().unwrap()],
        Duration::from_secs(150),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(out.status.success(), "vrrp-lab bench --smoke: {}\n{all}", out.status);

    let md = std::fs::read_to_string(out_dir.join("bench.md")).expect("bench.md");
    assert!(stdout.contains("| config | event |"), "the table is printed too\n{all}");
    assert!(md.contains("- machine: ") && md.contains("- load average at the start: "), "{md}");
    assert!(md.contains("- repetitions per cell (N): 1\n"), "{md}");
    let mut figures = Vec::new();
    for event in ["cable cut", "SIGTERM"] {
        let cells = row(&md, "VRRPv3, 100 ms", event).unwrap_or_else(|| panic!("no {event} row\n{md}"));
        // config, event, keepalived median / worst, vrrpd median / worst, floor.
        assert_eq!(cells.len(), 7, "{cells:?}");
        let ms: Vec<f64> = cells[2..]
            .iter()
            .map(|c| cell_ms(c).unwrap_or_else(|| panic!("{event}: no figure in {c:?}\n{md}")))
            .collect();
        assert!(ms.iter().all(|v| v.is_finite() && *v >= 0.0), "{event}: {ms:?}");
        figures.push(ms);
    }
    let (cut, term) = (&figures[0], &figures[1]);
    // The floors: Master_Down_Interval 360.9 ms, Skew_Time 60.9 ms at priority 100 and 100 ms.
    assert_eq!((cut[4], term[4]), (361.0, 60.9), "{md}");
    // A cut costs about Master_Down_Interval for both daemons.
    for (who, v) in [("keepalived", cut[0]), ("vrrpd", cut[2])] {
        assert!((250.0..1500.0).contains(&v), "{who} cut outage {v} ms\n{md}");
    }
    // vrrpd hands over with SIGTERM without dropping the VIP first: well below its cut.
    assert!(term[2] < cut[2], "vrrpd SIGTERM {} ms is not below its cut {} ms\n{md}", term[2], cut[2]);
    // ... and keeps answering throughout (make-before-break): no ping lost.
    let term_row = row(&md, "VRRPv3, 100 ms", "SIGTERM").unwrap_or_default();
    assert!(term_row[4].ends_with(", 0 lost"), "vrrpd lost pings on SIGTERM: {:?}\n{md}", term_row[4]);

    let png = std::fs::read(out_dir.join("outage.png")).expect("outage.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "outage.png is not a PNG ({} bytes)", png.len());
}
