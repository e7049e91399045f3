//! [`Lan`]: a LAN of network namespaces, wired the way users' hosts sit.
//!
//! One "switch" namespace holds a Linux bridge (`br0`); every host gets its
//! own namespace with an interface named `eth1` (so a user's
//! keepalived.conf `interface eth1` works unchanged), connected by a veth
//! pair whose other end is a port of the bridge. Cutting a host's cable sets
//! its bridge port down: the host then sees carrier loss on `eth1`, as with
//! a pulled cable, while its own configuration stays untouched.
//!
//! Everything happens inside namespaces this module creates; the root
//! namespace's interfaces are never touched, and only TEST-NET addresses
//! (192.0.2.0/24, 198.18.0.0/15, 2001:db8::/32) are accepted. Dropping the
//! `Lan` (also while unwinding from a panic) ends the processes left in its
//! namespaces and deletes the namespaces, which destroys the veths and the
//! bridge with them.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::ns::{pids_in_netns, poll_until, run_in_netns};
use super::util::{first_object, invalid, ip, parse_cidr, parse_json, parse_mac, write_sysctl};

/// The interface name every lab host sees, as on the users' machines.
pub const HOST_IFNAME: &str = "eth1";

const BRIDGE: &str = "br0";

/// The interface name of a host's second segment ([`Lan::add_second_segment`]).
pub const SECOND_IFNAME: &str = "eth2";
/// The second segment's bridge, in the switch namespace.
const SECOND_BRIDGE: &str = "br1";
const SWITCH_SUFFIX: &str = "sw";
/// `to-<host>` must fit IFNAMSIZ (15 characters).
const MAX_HOST_NAME: usize = 12;

/// Every lab namespace name starts with this.
const NAME_PREFIX: &str = "vr-";

static NEXT_LAN: AtomicU32 = AtomicU32::new(0);
static STALE_SWEEP: std::sync::Once = std::sync::Once::new();

/// Builder for [`Lan`]; see [`Lan::builder`].
#[derive(Debug, Clone)]
pub struct LanBuilder {
    test: String,
    hosts: Vec<HostSpec>,
}

#[derive(Debug, Clone)]
struct HostSpec {
    name: String,
    v4: String,
    v6: Option<String>,
}

#[derive(Debug)]
struct Host {
    name: String,
    ns: String,
    /// The bridge-side veth end, in the switch namespace.
    port: String,
    v4: (Ipv4Addr, u8),
    v6: Option<(Ipv6Addr, u8)>,
}

/// A running lab LAN. See the module documentation.
#[derive(Debug)]
pub struct Lan {
    switch_ns: String,
    hosts: Vec<Host>,
    /// Every namespace created so far, in creation order (for teardown,
    /// including after a half-finished build).
    created: Vec<String>,
}

impl LanBuilder {
    /// Adds a host with an IPv4 and an IPv6 address in CIDR form, e.g.
    /// `host("a", "192.0.2.11/24", "2001:db8::11/64")`.
    pub fn host(mut self, name: &str, v4: &str, v6: &str) -> Self {
        self.hosts.push(HostSpec { name: name.to_owned(), v4: v4.to_owned(), v6: Some(v6.to_owned()) });
        self
    }

    /// Adds a host with an IPv4 address only (it still has its fe80::
    /// link-local address).
    pub fn host_v4(mut self, name: &str, v4: &str) -> Self {
        self.hosts.push(HostSpec { name: name.to_owned(), v4: v4.to_owned(), v6: None });
        self
    }

    /// Creates the namespaces, bridge, veths and addresses, and waits until
    /// every host's `eth1` is up with a usable (non-tentative) link-local.
    pub fn build(self) -> io::Result<Lan> {
        STALE_SWEEP.call_once(|| {
            remove_stale_labs();
        });
        let tag = format!(
            "{NAME_PREFIX}{}-{}-{}",
            sanitize(&self.test),
            std::process::id(),
            NEXT_LAN.fetch_add(1, Ordering::Relaxed)
        );
        let mut hosts = Vec::new();
        for spec in &self.hosts {
            validate_host_name(&spec.name, &hosts)?;
            let v4 = match parse_cidr(&spec.v4)? {
                (IpAddr::V4(a), p) if p <= 32 => (a, p),
                _ => return Err(invalid(format!("{}: not an IPv4 CIDR", spec.v4))),
            };
            let v6 = match spec.v6.as_deref().map(parse_cidr).transpose()? {
                None => None,
                Some((IpAddr::V6(a), p)) if p <= 128 => Some((a, p)),
                Some(_) => return Err(invalid(format!("{:?}: not an IPv6 CIDR", spec.v6))),
            };
            hosts.push(Host {
                ns: format!("{tag}-{}", spec.name),
                port: format!("to-{}", spec.name),
                name: spec.name.clone(),
                v4,
                v6,
            });
        }
        // From here on every namespace is recorded in `lan.created` before
        // anything else happens in it, so an error drops `lan` and cleans up.
        let mut lan = Lan { switch_ns: format!("{tag}-{SWITCH_SUFFIX}"), hosts: Vec::new(), created: Vec::new() };
        lan.build_switch()?;
        for host in hosts {
            lan.build_host(host)?;
        }
        for host in &lan.hosts {
            lan.wait_ready(host)?;
        }
        Ok(lan)
    }
}

impl Lan {
    /// Starts describing a LAN. `test_name` becomes part of every namespace
    /// name (with the pid), so parallel tests never collide.
    pub fn builder(test_name: &str) -> LanBuilder {
        LanBuilder { test: test_name.to_owned(), hosts: Vec::new() }
    }

    /// The namespace name of a host, for `ip netns exec NAME ...`.
    ///
    /// # Panics
    /// If the lab has no such host (a bug in the calling test).
    pub fn ns_name(&self, host: &str) -> &str {
        match self.host(host) {
            Ok(h) => &h.ns,
            Err(e) => panic!("{e}"),
        }
    }

    /// The namespace holding the bridge.
    pub fn switch_ns(&self) -> &str {
        &self.switch_ns
    }

    /// Host names, in the order they were added.
    pub fn host_names(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(|h| h.name.as_str())
    }

    /// The host's configured IPv4 address on `eth1`.
    pub fn ipv4(&self, host: &str) -> io::Result<Ipv4Addr> {
        Ok(self.host(host)?.v4.0)
    }

    /// The host's configured global IPv6 address on `eth1`, if any.
    pub fn ipv6(&self, host: &str) -> io::Result<Option<Ipv6Addr>> {
        Ok(self.host(host)?.v6.map(|(a, _)| a))
    }

    /// Runs a command inside the host's namespace via `ip netns exec` and
    /// waits for it, e.g. `lan.exec("a", &["ip", "addr"])`.
    pub fn exec(&self, host: &str, args: &[&str]) -> io::Result<Output> {
        let (program, rest) = args.split_first().ok_or_else(|| invalid("exec: empty command".into()))?;
        self.command(host, program)?.args(rest).output()
    }

    /// A `Command` that runs `program` inside the host's namespace via
    /// `ip netns exec` (which also remounts /sys for that namespace). Add
    /// arguments, environment and stdio as usual.
    pub fn command(&self, host: &str, program: &str) -> io::Result<Command> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.host(host)?.ns, program]);
        Ok(cmd)
    }

    /// Spawns `cmd` inside the host's namespace, keeping everything
    /// configured on it (arguments, environment, stdio). The child is
    /// started from a thread that entered the namespace, so unlike
    /// [`Lan::command`] /sys is not remounted: programs that read
    /// /sys/class/net should use [`Lan::command`]. Children still running
    /// when the `Lan` is dropped are killed.
    pub fn spawn(&self, host: &str, cmd: &mut Command) -> io::Result<Child> {
        self.run_in(host, || cmd.spawn())?
    }

    /// Runs `f` on a fresh thread inside the host's namespace; see
    /// [`crate::run_in_netns`]. Sockets and netlink handles created in
    /// `f` operate on the host's interfaces wherever they are used later.
    pub fn run_in<T, F>(&self, host: &str, f: F) -> io::Result<T>
    where
        T: Send,
        F: FnOnce() -> T + Send,
    {
        run_in_netns(&self.host(host)?.ns, f)
    }

    /// Writes a sysctl inside the host's namespace, e.g.
    /// `lan.sysctl("client", "net.ipv4.conf.all.arp_accept", "1")`.
    pub fn sysctl(&self, host: &str, key: &str, value: &str) -> io::Result<()> {
        write_sysctl(&self.host(host)?.ns, key, value)
    }

    /// An rtnetlink event storm on the host: adds `count` /32 addresses from TEST-NET
    /// 198.18.0.0/15 (at most 131 070) to its `eth1` in one `ip -batch` run, each one a
    /// notification to every rtnetlink listener in the namespace.
    pub fn address_storm(&self, host: &str, count: u32) -> io::Result<()> {
        use std::io::Write;
        let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
        let mut batch = String::new();
        for i in 1..=count.min(131_070) {
            batch += &format!("address add {}/32 dev {HOST_IFNAME}\n", Ipv4Addr::from(base + i));
        }
        let mut child = self.command(host, "ip")?.args(["-batch", "-"]).stdin(Stdio::piped()).spawn()?;
        child.stdin.take().ok_or_else(|| invalid("ip -batch: no stdin".into()))?.write_all(batch.as_bytes())?;
        let status = child.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(invalid(format!("{host}: ip -batch exited with {status}")))
        }
    }

    /// Pulls the host's cable: sets its bridge port down. The host's `eth1`
    /// stays administratively up but loses carrier.
    pub fn cut_cable(&self, host: &str) -> io::Result<()> {
        let port = &self.host(host)?.port;
        ip(&["-n", &self.switch_ns, "link", "set", port, "down"]).map(drop)
    }

    /// Adds a second segment (another VLAN, as it were): a bridge `br1` in the switch
    /// namespace and, for each `(host, IPv4 CIDR)`, an interface `eth2` on it, up with that
    /// address. The first segment (`eth1` on `br0`) is left as it is.
    pub fn add_second_segment(&self, hosts: &[(&str, &str)]) -> io::Result<()> {
        self.add_segment(2, hosts)
    }

    /// Adds segment `n` (2 or more): a bridge `br{n-1}` in the switch namespace and, for
    /// each `(host, IPv4 CIDR)`, an interface [`segment_ifname`]`(n)` on it, up with that
    /// address. One segment holds 255 VRIDs per family: `vrrp-lab cpu` runs 1020 instances
    /// on four.
    pub fn add_segment(&self, n: u8, hosts: &[(&str, &str)]) -> io::Result<()> {
        if n < 2 {
            return Err(invalid(format!("segment {n}: the first segment is the LAN's own")));
        }
        let sw = &self.switch_ns;
        let bridge = if n == 2 { SECOND_BRIDGE.to_string() } else { format!("br{}", n - 1) };
        let ifname = segment_ifname(n);
        add_bridge(sw, &bridge)?;
        for (name, v4) in hosts {
            match parse_cidr(v4)? {
                (IpAddr::V4(_), p) if p <= 32 => {}
                _ => return Err(invalid(format!("{v4}: not an IPv4 CIDR"))),
            }
            let h = self.host(name)?;
            let port = segment_port(n, &h.name);
            ip(&["-n", sw, "link", "add", &port, "type", "veth", "peer", "name", &ifname, "netns", &h.ns])?;
            ip(&["-n", sw, "link", "set", &port, "master", &bridge])?;
            ip(&["-n", sw, "link", "set", &port, "up"])?;
            ip(&["-n", &h.ns, "link", "set", &ifname, "up"])?;
            ip(&["-n", &h.ns, "addr", "add", v4, "dev", &ifname])?;
        }
        let up = |name: &str| {
            let Ok(h) = self.host(name) else { return false };
            ip(&["-j", "-n", &h.ns, "link", "show", "dev", &ifname])
                .ok()
                .and_then(|out| first_object(parse_json(&out).ok()?).ok())
                .and_then(|l| l.get("operstate")?.as_str().map(|s| s == "UP"))
                .unwrap_or(false)
        };
        if poll_until(Duration::from_secs(5), || hosts.iter().all(|(n, _)| up(n))) {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::TimedOut, format!("segment {n}: {ifname} not up")))
        }
    }

    /// Pulls the host's second-segment cable ([`Lan::add_second_segment`]): its `eth2`
    /// loses carrier.
    pub fn cut_second_cable(&self, host: &str) -> io::Result<()> {
        let h = self.host(host)?;
        ip(&["-n", &self.switch_ns, "link", "set", &second_port(&h.name), "down"]).map(drop)
    }

    /// Plugs the host's second-segment cable back in.
    pub fn restore_second_cable(&self, host: &str) -> io::Result<()> {
        let h = self.host(host)?;
        ip(&["-n", &self.switch_ns, "link", "set", &second_port(&h.name), "up"]).map(drop)
    }

    /// Plugs the host's cable back in (bridge port up).
    pub fn restore_cable(&self, host: &str) -> io::Result<()> {
        let port = &self.host(host)?.port;
        ip(&["-n", &self.switch_ns, "link", "set", port, "up"]).map(drop)
    }

    /// Deletes the host's `eth1` if it still exists (its veth pair goes with it) and
    /// creates it again with the same name and addresses: to the host, another interface
    /// (a new ifindex, a new MAC), as when a driver is reloaded or a NIC is hot-plugged.
    pub fn replug(&self, host: &str) -> io::Result<()> {
        let h = self.host(host)?;
        if self.link_json(host).is_ok() {
            ip(&["-n", &h.ns, "link", "del", HOST_IFNAME])?;
        }
        let v4 = format!("{}/{}", h.v4.0, h.v4.1);
        let v6 = h.v6.map(|(a, p)| format!("{a}/{p}"));
        plug(&self.switch_ns, &h.ns, &h.port, &v4, v6.as_deref())
    }

    /// The MAC address of the host's `eth1`.
    pub fn mac(&self, host: &str) -> io::Result<[u8; 6]> {
        let link = self.link_json(host)?;
        link.get("address")
            .and_then(|v| v.as_str())
            .and_then(parse_mac)
            .ok_or_else(|| invalid(format!("{host}: no MAC in `ip link` output")))
    }

    /// The ifindex of the host's `eth1` (inside its namespace).
    pub fn ifindex(&self, host: &str) -> io::Result<u32> {
        let link = self.link_json(host)?;
        link.get("ifindex")
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| invalid(format!("{host}: no ifindex in `ip link` output")))
    }

    /// The addresses on an interface of the host, as (address, prefix).
    pub fn addrs(&self, host: &str, ifname: &str) -> io::Result<Vec<(IpAddr, u8)>> {
        Ok(self
            .addr_info(host, ifname)?
            .iter()
            .filter_map(|a| {
                let ip = a.get("local")?.as_str()?.parse().ok()?;
                let prefix = u8::try_from(a.get("prefixlen")?.as_u64()?).ok()?;
                Some((ip, prefix))
            })
            .collect())
    }

    /// The host's fe80:: address on `eth1`, once it is no longer tentative.
    pub fn link_local(&self, host: &str) -> io::Result<Option<Ipv6Addr>> {
        Ok(self
            .addr_info(host, HOST_IFNAME)?
            .iter()
            .filter(|a| a.get("tentative").is_none())
            .filter_map(|a| a.get("local")?.as_str()?.parse::<Ipv6Addr>().ok())
            .find(|a| a.segments()[0] & 0xffc0 == 0xfe80))
    }

    /// The MAC that the host's neighbour table (ARP or NDP) has for `ip` on
    /// `eth1`, if it has a usable entry.
    pub fn neigh(&self, host: &str, ip_addr: IpAddr) -> io::Result<Option<[u8; 6]>> {
        let ns = &self.host(host)?.ns;
        let target = ip_addr.to_string();
        let out = ip(&["-j", "-n", ns, "neigh", "show", "to", &target, "dev", HOST_IFNAME])?;
        let entries = parse_json(&out)?;
        Ok(entries.as_array().into_iter().flatten().find_map(|e| {
            let dst: IpAddr = e.get("dst")?.as_str()?.parse().ok()?;
            (dst == ip_addr).then_some(())?;
            parse_mac(e.get("lladdr")?.as_str()?)
        }))
    }

    /// Sends one ping from the host to `target` (1 s timeout); true if it
    /// was answered. Also makes the host learn `target`'s MAC.
    pub fn ping_once(&self, host: &str, target: IpAddr) -> bool {
        let target = target.to_string();
        self.command(host, "ping")
            .and_then(|mut c| {
                c.args(["-n", "-c", "1", "-W", "1", &target]).stdout(Stdio::null()).stderr(Stdio::null()).status()
            })
            .is_ok_and(|s| s.success())
    }

    fn host(&self, name: &str) -> io::Result<&Host> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("lab has no host {name:?}")))
    }

    fn link_json(&self, host: &str) -> io::Result<serde_json::Value> {
        let ns = &self.host(host)?.ns;
        let out = ip(&["-j", "-n", ns, "link", "show", "dev", HOST_IFNAME])?;
        first_object(parse_json(&out)?)
    }

    fn addr_info(&self, host: &str, ifname: &str) -> io::Result<Vec<serde_json::Value>> {
        let ns = &self.host(host)?.ns;
        let out = ip(&["-j", "-n", ns, "addr", "show", "dev", ifname])?;
        let link = first_object(parse_json(&out)?)?;
        Ok(link.get("addr_info").and_then(|a| a.as_array()).cloned().unwrap_or_default())
    }

    fn add_netns(&mut self, name: &str) -> io::Result<()> {
        // A namespace of the same name can only be a leftover of a killed
        // run of a process that had our pid: remove it.
        let _ = ip(&["netns", "del", name]);
        ip(&["netns", "add", name])?;
        self.created.push(name.to_owned());
        Ok(())
    }

    fn build_switch(&mut self) -> io::Result<()> {
        let sw = self.switch_ns.clone();
        self.add_netns(&sw)?;
        // The switch is a pure layer-2 device: no IPv6 chatter of its own.
        write_sysctl(&sw, "net.ipv6.conf.all.disable_ipv6", "1")?;
        write_sysctl(&sw, "net.ipv6.conf.default.disable_ipv6", "1")?;
        // A switch does not run the host's firewall on the frames it
        // forwards: where the kernel has br_netfilter (the keys exist), a new
        // namespace starts with bridge-nf-call-{iptables,ip6tables,arptables}
        // = 1, which sends every frame crossing br0 through
        // br_nf_pre_routing and the IP netfilter hooks. Off, as on a plain
        // switch; without br_netfilter there is nothing to turn off.
        for key in [
            "net.bridge.bridge-nf-call-iptables",
            "net.bridge.bridge-nf-call-ip6tables",
            "net.bridge.bridge-nf-call-arptables",
        ] {
            match write_sysctl(&sw, key, "0") {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                r => r?,
            }
        }
        // No STP delay, and no multicast snooping: VRRP's 224.0.0.18 and
        // ff02::12 must reach every port like on a plain switch.
        add_bridge(&sw, BRIDGE)
    }

    fn build_host(&mut self, host: Host) -> io::Result<()> {
        self.add_netns(&host.ns)?;
        let ns = host.ns.clone();
        let sw = self.switch_ns.clone();
        let port = host.port.clone();
        let v4 = format!("{}/{}", host.v4.0, host.v4.1);
        let v6 = host.v6.map(|(a, p)| format!("{a}/{p}"));
        self.hosts.push(host);
        // No duplicate address detection: addresses (and the fe80::
        // link-local) are usable at once instead of ~1 s later. Set before
        // eth1 exists so that it inherits the default.
        for key in ["net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"] {
            write_sysctl(&ns, key, "0")?;
        }
        plug(&sw, &ns, &port, &v4, v6.as_deref())
    }

    fn wait_ready(&self, host: &Host) -> io::Result<()> {
        let ready = poll_until(Duration::from_secs(5), || {
            let up = self
                .link_json(&host.name)
                .ok()
                .and_then(|l| l.get("operstate")?.as_str().map(|s| s == "UP"))
                .unwrap_or(false);
            up && matches!(self.link_local(&host.name), Ok(Some(_)))
        });
        if ready {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{}: eth1 not up with a link-local address", host.name),
            ))
        }
    }

    fn teardown(&mut self) {
        // End what runs inside our namespaces first (spawned daemons and
        // their children), so that deleting the names frees the namespaces.
        for ns in &self.created {
            for pid in pids_in_netns(ns).unwrap_or_default() {
                kill(pid);
            }
        }
        poll_until(Duration::from_secs(2), || {
            self.created.iter().all(|ns| pids_in_netns(ns).map(|p| p.is_empty()).unwrap_or(true))
        });
        for ns in self.created.iter().rev() {
            if let Err(e) = ip(&["netns", "del", ns]) {
                tracing::warn!("lab teardown: deleting netns {ns}: {e}");
            }
        }
        self.created.clear();
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// The second segment's bridge port of `host` (fits IFNAMSIZ as `to-<host>` does).
fn second_port(host: &str) -> String {
    segment_port(2, host)
}

/// Segment `n`'s bridge port of `host` (`s{n}-<host>` fits IFNAMSIZ for n < 10).
fn segment_port(n: u8, host: &str) -> String {
    format!("s{n}-{host}")
}

/// The interface name of segment `n` in a host: `eth1` for the LAN's own, `eth{n}`.
pub fn segment_ifname(n: u8) -> String {
    format!("eth{n}")
}

/// Creates bridge `name` in namespace `sw`, up, with no STP delay and no multicast snooping.
fn add_bridge(sw: &str, name: &str) -> io::Result<()> {
    ip(&[
        "-n",
        sw,
        "link",
        "add",
        name,
        "type",
        "bridge",
        "stp_state",
        "0",
        "forward_delay",
        "0",
        "mcast_snooping",
        "0",
    ])?;
    ip(&["-n", sw, "link", "set", name, "up"]).map(drop)
}

/// Creates the veth pair of a host (`port` on the bridge, `eth1` in `ns`), up, with its
/// addresses (IPv6 without duplicate address detection).
fn plug(sw: &str, ns: &str, port: &str, v4: &str, v6: Option<&str>) -> io::Result<()> {
    ip(&["-n", sw, "link", "add", port, "type", "veth", "peer", "name", HOST_IFNAME, "netns", ns])?;
    ip(&["-n", sw, "link", "set", port, "master", BRIDGE])?;
    ip(&["-n", sw, "link", "set", port, "up"])?;
    ip(&["-n", ns, "link", "set", "lo", "up"])?;
    ip(&["-n", ns, "link", "set", HOST_IFNAME, "up"])?;
    ip(&["-n", ns, "addr", "add", v4, "dev", HOST_IFNAME])?;
    if let Some(v6) = v6 {
        ip(&["-n", ns, "addr", "add", v6, "dev", HOST_IFNAME, "nodad"])?;
    }
    Ok(())
}

/// Deletes lab namespaces left behind by processes that no longer exist
/// (a test run killed with SIGKILL cannot run `Drop`), after ending the
/// processes still inside them. Namespaces of live processes are left
/// alone, so parallel test binaries are safe. Returns the names removed.
/// [`LanBuilder::build`] calls this once per process.
pub fn remove_stale_labs() -> Vec<String> {
    let Ok(list) = ip(&["netns", "list"]) else {
        return Vec::new();
    };
    let stale: Vec<String> = list
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| owner_pid(name).is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()))
        .map(str::to_owned)
        .collect();
    for name in &stale {
        for pid in pids_in_netns(name).unwrap_or_default() {
            kill(pid);
        }
        let _ = ip(&["netns", "del", name]);
    }
    stale
}

/// The pid embedded in a lab namespace name `vr-<test>-<pid>-<n>-<host>`.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let mut parts = rest.rsplitn(4, '-');
    let (_host, n, pid, _test) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

fn kill(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
}

fn validate_host_name(name: &str, earlier: &[Host]) -> io::Result<()> {
    // No '-': names must split back unambiguously (see `owner_pid`).
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() || name.len() > MAX_HOST_NAME || !ok_chars || name == SWITCH_SUFFIX {
        return Err(invalid(format!(
            "bad lab host name {name:?}: 1-{MAX_HOST_NAME} of [A-Za-z0-9_], not {SWITCH_SUFFIX:?}"
        )));
    }
    if earlier.iter().any(|h| h.name == name) {
        return Err(invalid(format!("duplicate lab host {name:?}")));
    }
    Ok(())
}

fn sanitize(test: &str) -> String {
    test.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_checked() {
        assert!(validate_host_name("client", &[]).is_ok());
        assert!(validate_host_name("", &[]).is_err());
        assert!(validate_host_name("sw", &[]).is_err());
        assert!(validate_host_name("a b", &[]).is_err());
        assert!(validate_host_name("thirteenchars", &[]).is_err());
        assert!(validate_host_name("has-dash", &[]).is_err());
    }

    #[test]
    fn owner_pid_parsing() {
        assert_eq!(owner_pid("vr-raw-v4-1234-0-a"), Some(1234));
        assert_eq!(owner_pid("vr-lab-cable-77-3-sw"), Some(77));
        assert_eq!(owner_pid("vr-x-y-z"), None);
        assert_eq!(owner_pid("other-1234-0-a"), None);
        assert_eq!(owner_pid("vr-1234-0"), None);
    }
}
