//! `vrrpd --metrics-listen` on a real LAN: a real Prometheus (Debian's `prometheus`) scrapes
//! it and its query API returns the series; `promtool check metrics` accepts the text; an
//! address vrrpd cannot listen on stops it at start with the fix named.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use vrrp_lab::{poll_until, require_root, Lan};

/// a's address on the LAN.
const A_ADDR: &str = "192.0.2.11";

/// One HTTP/1.0 GET from inside `host`'s namespace: (status code, body).
fn http_get(lan: &Lan, host: &str, addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let (addr, path) = (addr.to_owned(), path.to_owned());
    lan.run_in(host, move || {
        let mut s = TcpStream::connect(&addr)?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
        let mut raw = String::new();
        s.read_to_string(&mut raw)?;
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        Ok((code, body.to_owned()))
    })?
}

fn tools_available(test: &str) -> bool {
    if !require_root(test) {
        return false;
    }
    let have = |p: &str| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success());
    if have("prometheus") && have("promtool") {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "prometheus/promtool missing under CI (.ci/run installs them)"
    );
    println!("SKIPPED {test}: no prometheus/promtool");
    false
}

/// Prometheus in `host`'s namespace scraping `target` every second; killed on drop.
struct Prometheus {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    web: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_prometheus(lan: &Lan, host: &str, target: &str) -> Prometheus {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("prometheus.yml");
    std::fs::write(
        &conf,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: vrrpd\n    \
             static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let web = "127.0.0.1:9090".to_owned();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let mut cmd = Command::new("prometheus");
    cmd.arg(format!("--config.file={}", conf.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address={web}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let child = lan.spawn(host, &mut cmd).expect("spawn prometheus");
    Prometheus { child, _dir: dir, web }
}

/// The issue's test: Prometheus scrapes vrrpd in the lab and its API returns the series:
/// the instance's state (MASTER at 1), its priorities, RFC 6527 counters; the exposition
/// passes `promtool check metrics`.
#[test]
fn prometheus_scrapes_vrrpd_and_its_api_returns_the_series() {
    if !tools_available("prometheus_scrapes_vrrpd_and_its_api_returns_the_series") {
        return;
    }
    let lan = lan("metrics");
    let listen = format!("{A_ADDR}:9650");
    let a = start_vrrpd_with(&lan, "a", &seed_config("MASTER", 101), tempfile::tempdir().unwrap(), "vrrpd.sock", |c| {
        c.args(["--metrics-listen", &listen]);
    });
    assert!(a.wait_state("MASTER", Duration::from_secs(10)), "{}", a.log());

    // The exposition itself, from the client's namespace, as a scraper on the LAN sees it.
    let (code, body) = http_get(&lan, "client", &listen, "/metrics").expect("scrape");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(r#"vrrp_instance_state{vrrp_instance="VI",interface="eth1",vrid="200",family="IPv4",version="2",state="MASTER"} 1"#), "{body}");
    let sent = body
        .lines()
        .find_map(|l| l.strip_prefix(r#"vrrp_instance_sent_advertisements_total{vrrp_instance="VI""#))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(sent.is_some_and(|n| n > 0), "no adverts counted: {body}");
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(http_get(&lan, "client", &listen, "/nothing").unwrap().0, 404);

    // A real Prometheus on the client scrapes it; its API returns the series.
    let prom = start_prometheus(&lan, "client", &listen);
    let query = |q: &str| {
        http_get(&lan, "client", &prom.web, &format!("/api/v1/query?query={q}")).map(|(_, b)| b).unwrap_or_default()
    };
    let mut answer = String::new();
    let found = poll_until(Duration::from_secs(30), || {
        answer = query("vrrp_instance_state%7Bstate%3D%22MASTER%22%7D");
        answer.contains(r#""vrrp_instance":"VI""#) && answer.contains(r#""1"]"#)
    });
    assert!(found, "Prometheus never returned the series: {answer}");
    assert!(answer.contains(r#""vrid":"200""#) && answer.contains(r#""family":"IPv4""#), "{answer}");
    assert!(!answer.contains("exported_instance"), "a label clashes with Prometheus' own: {answer}");
    let up = query("up%7Bjob%3D%22vrrpd%22%7D");
    assert!(up.contains(r#""1"]"#), "scrape not up: {up}");
    let prio = query("vrrp_instance_priority");
    assert!(prio.contains(r#""101"]"#), "{prio}");
    let adverts = query("vrrp_instance_rcvd_advertisements_total");
    assert!(adverts.contains(r#""__name__":"vrrp_instance_rcvd_advertisements_total""#), "{adverts}");
}

/// `--metrics-listen` on an address that is not the host's, or on a port in use: vrrpd
/// exits at start with the fix, holding no VIP and leaving no control socket.
#[test]
fn an_unreachable_metrics_address_stops_vrrpd_at_start_with_the_fix() {
    if !require_root("an_unreachable_metrics_address_stops_vrrpd_at_start_with_the_fix") {
        return;
    }
    let lan = lan("metricsbad");
    // TEST-NET-2: on no interface of a.
    let mut v =
        start_vrrpd_with(&lan, "a", &seed_config("MASTER", 101), tempfile::tempdir().unwrap(), "vrrpd.sock", |c| {
            c.args(["--metrics-listen", "198.51.100.7:9650"]);
        });
    assert!(!v.child.wait().unwrap().success());
    let log = v.log();
    assert!(log.contains("cannot listen on --metrics-listen 198.51.100.7:9650"), "{log}");
    assert!(log.contains("not one of this host's"), "{log}");
    assert!(!v.socket().exists(), "control socket left behind");
    assert!(!holds(&lan, "a", vip()));

    // The port taken by someone else.
    let taken = format!("{A_ADDR}:9651");
    let holder = {
        let t = taken.clone();
        lan.run_in("a", move || std::net::TcpListener::bind(t)).unwrap().unwrap()
    };
    let mut v =
        start_vrrpd_with(&lan, "a", &seed_config("MASTER", 101), tempfile::tempdir().unwrap(), "vrrpd.sock", |c| {
            c.args(["--metrics-listen", &taken]);
        });
    assert!(!v.child.wait().unwrap().success());
    assert!(v.log().contains("another program listens on that port"), "{}", v.log());
    drop(holder);
}
