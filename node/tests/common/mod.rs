//! Shared helpers for the end-to-end tests: a two-server-and-a-client LAN with vrrpd (or
//! keepalived) on the servers, exactly as the users' hosts sit.

#![allow(dead_code)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vrrp_node::lab::{poll_until, Lan};

/// The users' seed keepalived.conf, with the TEST-NET VIP instead of 10.0.0.1.
pub fn seed_config(state: &str, priority: u8) -> String {
    format!(
        r#"vrrp_instance VI {{
    state {state}
    interface eth1
    garp_master_delay 5
    virtual_router_id 200
    priority {priority}
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass XXXXXX
    }}
    virtual_ipaddress {{
        192.0.2.1/24 dev eth1
    }}
}}
"#
    )
}

/// Two servers `a` (192.0.2.11) and `b` (192.0.2.12) and a `client` (192.0.2.100).
pub fn lan(test: &str) -> Lan {
    let lan = Lan::builder(test)
        .host("a", "192.0.2.11/24", "2001:db8::11/64")
        .host("b", "192.0.2.12/24", "2001:db8::12/64")
        .host("client", "192.0.2.100/24", "2001:db8::100/64")
        .build()
        .expect("build lab LAN");
    // A client that has talked to the VIP before updates its entry from gratuitous ARP;
    // arp_accept lets it also create one, like most real LANs' routers.
    lan.sysctl("client", "net.ipv4.conf.all.arp_accept", "1").expect("sysctl");
    lan
}

/// A vrrpd process; killed (SIGKILL) on drop if still running.
pub struct Vrrpd {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub host: String,
}

impl Vrrpd {
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("vrrpd.sock")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("vrrpd.log")).unwrap_or_default()
    }

    /// SIGTERM and wait for exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        self.child.wait().expect("wait vrrpd")
    }

    /// `vrrpctl status --json` against this daemon.
    pub fn status_json(&self) -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_vrrpctl"))
            .args(["--socket", self.socket().to_str().unwrap(), "status", "--json"])
            .output()
            .expect("run vrrpctl");
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }
}

impl Drop for Vrrpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts vrrpd on `host` with `config`.
pub fn start_vrrpd(lan: &Lan, host: &str, config: &str) -> Vrrpd {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, config).expect("write config");
    let log = std::fs::File::create(dir.path().join("vrrpd.log")).expect("log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vrrpd"));
    cmd.arg("-f")
        .arg(&conf)
        .arg("--control-socket")
        .arg(dir.path().join("vrrpd.sock"))
        .arg("-p")
        .arg(dir.path().join("vrrpd.pid"))
        .env("VRRPD_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let child = lan.spawn(host, &mut cmd).expect("spawn vrrpd");
    Vrrpd { child, dir, host: host.into() }
}

/// Does `host` hold `addr` on eth1?
pub fn holds(lan: &Lan, host: &str, addr: IpAddr) -> bool {
    lan.addrs(host, "eth1").map(|a| a.iter().any(|(ip, _)| *ip == addr)).unwrap_or(false)
}

/// Waits up to `limit` for `f`; returns the time it took.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    poll_until(limit, &mut f).then(|| start.elapsed())
}

pub fn vip() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}
