//! Shared helpers for the end-to-end tests: a two-server-and-a-client LAN with vrrpd (or
//! keepalived) on the servers, exactly as the users' hosts sit.

#![allow(dead_code)]

pub mod capture;
pub mod punctuality;
pub mod track;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use vrrp_core::wire::GROUP_V4;
use vrrp_lab::{poll_until, Lan, HOST_IFNAME};
use vrrp_node::net::VrrpSocket;

/// The users' seed keepalived.conf, with the TEST-NET VIP instead of 10.0.0.1.
pub fn seed_config(state: &str, priority: u8) -> String {
    Conf::seed(state, priority).render()
}

/// One server's keepalived.conf: the seed config with the knobs the end-to-end tests turn.
#[derive(Debug, Clone)]
pub struct Conf {
    pub state: String,
    pub priority: u8,
    pub version: u8,
    pub advert_int: String,
    pub vrid: u8,
    pub garp_master_delay: u32,
    /// `auth_type PASS` password; VRRPv2 only (v3 has no authentication).
    pub auth_pass: Option<String>,
    pub vips: Vec<String>,
}

impl Conf {
    /// The seed config (v2, PASS XXXXXX, advert 1 s, garp_master_delay 5, VRID 200, 192.0.2.1/24).
    pub fn seed(state: &str, priority: u8) -> Conf {
        Conf {
            state: state.into(),
            priority,
            version: 2,
            advert_int: "1".into(),
            vrid: 200,
            garp_master_delay: 5,
            auth_pass: Some("XXXXXX".into()),
            vips: vec!["192.0.2.1/24".into()],
        }
    }

    /// VRRPv3 (`version 3`), which has no authentication block.
    pub fn v3(mut self) -> Conf {
        self.version = 3;
        self.auth_pass = None;
        self
    }

    pub fn advert_int(mut self, seconds: &str) -> Conf {
        self.advert_int = seconds.into();
        self
    }

    pub fn auth_pass(mut self, pass: &str) -> Conf {
        self.auth_pass = Some(pass.into());
        self
    }

    /// Replaces the virtual addresses with one.
    pub fn vip(mut self, cidr: &str) -> Conf {
        self.vips = vec![cidr.into()];
        self
    }

    pub fn render(&self) -> String {
        let mut out = String::from("vrrp_instance VI {\n");
        // keepalived makes an IPv6 instance without `version` VRRPv3 (vrrp.c 2867): VRRPv2
        // over IPv6 needs the line written.
        if self.version != 2 || self.vips.iter().any(|v| v.contains(':')) {
            out += &format!("    version {}\n", self.version);
        }
        out += &format!(
            "    state {}\n    interface eth1\n    garp_master_delay {}\n    virtual_router_id {}\n    priority {}\n    advert_int {}\n",
            self.state, self.garp_master_delay, self.vrid, self.priority, self.advert_int
        );
        if let Some(pass) = &self.auth_pass {
            out += &format!("    authentication {{\n        auth_type PASS\n        auth_pass {pass}\n    }}\n");
        }
        out += "    virtual_ipaddress {\n";
        for vip in &self.vips {
            out += &format!("        {vip} dev eth1\n");
        }
        out += "    }\n}\n";
        out
    }
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

/// What the mixed-pair tests need from either daemon.
pub trait Peer {
    /// Its log so far (for assertion messages).
    fn log(&self) -> String;
    fn child(&mut self) -> &mut Child;
    /// "vrrpd" or "keepalived".
    fn kind(&self) -> &'static str;

    /// Sends SIGTERM and returns at once.
    fn sigterm(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child().id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }

    /// Waits up to `limit` for the process to exit.
    fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut status = None;
        poll_until(limit, || {
            status = self.child().try_wait().ok().flatten();
            status.is_some()
        });
        status
    }

    /// Still running?
    fn running(&mut self) -> bool {
        matches!(self.child().try_wait(), Ok(None))
    }
}

/// A vrrpd process; killed (SIGKILL) on drop if still running.
pub struct Vrrpd {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub host: String,
    /// Its control socket.
    pub socket: PathBuf,
}

impl Vrrpd {
    pub fn socket(&self) -> PathBuf {
        self.socket.clone()
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

    /// The (only) instance's state as vrrpctl reports it ("" if vrrpd does not answer).
    pub fn state(&self) -> String {
        self.status_json()["instances"][0]["state"].as_str().unwrap_or_default().to_owned()
    }

    /// Waits up to `limit` until vrrpctl reports `state`.
    pub fn wait_state(&self, state: &str, limit: Duration) -> bool {
        poll_until(limit, || self.state() == state)
    }
}

impl Peer for Vrrpd {
    fn log(&self) -> String {
        Vrrpd::log(self)
    }

    fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    fn kind(&self) -> &'static str {
        "vrrpd"
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
    start_vrrpd_with(lan, host, config, tempfile::tempdir().expect("tempdir"), "vrrpd.sock", |_| {})
}

/// Starts vrrpd on `host` with `config` in `dir` (its config, log and pid file), its control
/// socket at `socket` under `dir`; `adjust` may add arguments or change how it is spawned.
pub fn start_vrrpd_with(
    lan: &Lan,
    host: &str,
    config: &str,
    dir: tempfile::TempDir,
    socket: &str,
    adjust: impl FnOnce(&mut Command),
) -> Vrrpd {
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, config).expect("write config");
    let log = std::fs::File::create(dir.path().join("vrrpd.log")).expect("log file");
    let socket = dir.path().join(socket);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vrrpd"));
    cmd.arg("-f")
        .arg(&conf)
        .arg("--control-socket")
        .arg(&socket)
        .arg("-p")
        .arg(dir.path().join("vrrpd.pid"))
        .env("VRRPD_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    adjust(&mut cmd);
    let child = lan.spawn(host, &mut cmd).expect("spawn vrrpd");
    Vrrpd { child, dir, host: host.into(), socket }
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

/// Whether keepalived can be run. If not: fails under CI=true (a silently skipped interop
/// test would hide a broken CI setup), prints SKIPPED otherwise.
pub fn keepalived_available(test: &str) -> bool {
    let ok = Command::new("keepalived")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: keepalived is not installed, and CI=true forbids skipping");
    }
    println!("SKIPPED: {test}: keepalived not installed");
    false
}

/// A keepalived (VRRP subsystem only) process: its parent; the VRRP child lives in the
/// same namespace. SIGTERM on drop (so it leaves no VIP behind), SIGKILL if that is not
/// enough; the `Lan` ends whatever is left.
pub struct Keepalived {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub host: String,
}

impl Keepalived {
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("keepalived.log")).unwrap_or_default()
    }
}

impl Peer for Keepalived {
    fn log(&self) -> String {
        Keepalived::log(self)
    }

    fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    fn kind(&self) -> &'static str {
        "keepalived"
    }
}

impl Drop for Keepalived {
    fn drop(&mut self) {
        if self.running() {
            self.sigterm();
            if self.wait_exit(Duration::from_secs(3)).is_none() {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

/// Starts keepalived on `host` with `config`, as scripts/capture-keepalived-vectors.sh
/// does: foreground, log to the console, VRRP only, its own pid files.
pub fn start_keepalived(lan: &Lan, host: &str, config: &str) -> Keepalived {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = write_file(dir.path(), "keepalived.conf", config);
    let log = std::fs::File::create(dir.path().join("keepalived.log")).expect("log file");
    let log2 = log.try_clone().expect("log file");
    let mut cmd = Command::new("keepalived");
    cmd.args(["-n", "-l", "-D", "--vrrp", "-f"])
        .arg(&conf)
        .arg("-p")
        .arg(dir.path().join("keepalived.pid"))
        .arg("-r")
        .arg(dir.path().join("vrrp.pid"))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    let child = lan.spawn(host, &mut cmd).expect("spawn keepalived");
    Keepalived { child, dir, host: host.into() }
}

/// Sends each (payload, TTL) as a raw IP protocol 112 datagram to 224.0.0.18 from `host`'s
/// eth1, inside its namespace.
pub fn inject(lan: &Lan, host: &str, packets: &[(Vec<u8>, u8)]) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let src = IpAddr::from(lan.ipv4(host).expect("host address"));
    rt.block_on(async {
        let sock = lan.run_in(host, || VrrpSocket::open(HOST_IFNAME, src)).expect("netns").expect("raw socket");
        for (bytes, ttl) in packets {
            sock.send_with_ttl(bytes, GROUP_V4.into(), *ttl).await.expect("inject");
        }
    });
}

/// A well-formed VRRPv2 advert (auth PASS `pass`, advert 1 s) as another router would send it.
pub fn v2_advert(vrid: u8, priority: u8, vips: &[IpAddr], pass: &[u8]) -> Vec<u8> {
    use vrrp_core::wire::{AddressList, AdvertRepr, Auth, ChecksumContext, ChecksumForm, Variant};
    let repr = AdvertRepr {
        vrid,
        priority,
        variant: Variant::V2 { adver_int_s: 1, auth: Auth::simple_text(pass) },
        addresses: AddressList::from_addrs(vips).expect("address list"),
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    // v2 checksums the message alone; the context is not used.
    let ctx = ChecksumContext { src: "192.0.2.100".parse().unwrap(), dst: GROUP_V4.into() };
    let n = repr.emit(&mut buf, &ctx, ChecksumForm::MessageOnly).expect("emit");
    buf.truncate(n);
    buf
}

/// Exactly which of `hosts` hold `addr`.
pub fn holders(lan: &Lan, hosts: &[&str], addr: IpAddr) -> Vec<String> {
    hosts.iter().filter(|h| holds(lan, h, addr)).map(|h| (*h).to_owned()).collect()
}

/// The client reaches `addr` within a few seconds: one lost ping on a loaded machine (or
/// an ARP entry being refreshed) is not a failure, a lasting outage is.
pub fn client_reaches(lan: &Lan, addr: IpAddr) -> bool {
    wait_for(Duration::from_secs(5), || lan.ping_once("client", addr)).is_some()
}

/// A TCP service on one server that answers every connection with the server's name and
/// closes, so the client can tell which server a new connection to the VIP reached.
/// Stopped (its accept thread joined, its listener closed) when dropped.
pub struct NameServer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The port [`NameServer`] listens on (any address of the server, the VIP included).
pub const NAME_PORT: u16 = 7007;

impl NameServer {
    pub fn start(lan: &Lan, host: &str) -> NameServer {
        use std::io::Write;
        use std::sync::atomic::Ordering;
        let listener = lan
            .run_in(host, || std::net::TcpListener::bind(("0.0.0.0", NAME_PORT)))
            .expect("enter namespace")
            .expect("bind the name service");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let name = host.to_owned();
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        let _ = conn.write_all(name.as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        NameServer { stop, thread: Some(thread) }
    }
}

impl Drop for NameServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens a new TCP connection from the client to `addr` on [`NAME_PORT`] and returns the
/// name of the server that answered, or the error.
pub fn tcp_reaches(lan: &Lan, addr: IpAddr) -> std::io::Result<String> {
    use std::io::Read;
    lan.run_in("client", || {
        let mut conn = std::net::TcpStream::connect_timeout(&(addr, NAME_PORT).into(), Duration::from_secs(2))?;
        conn.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut name = String::new();
        conn.read_to_string(&mut name)?;
        Ok(name)
    })?
}
