//! The resolved configuration handed to the daemon.
//!
//! Everything here is already checked and defaulted, so the daemon never has to
//! re-apply keepalived's defaulting rules or re-validate ranges.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use super::diagnostic::{Diagnostic, SourceLocation};
pub use super::route::{Route, RouteKind, Rule, RuleAction, RTPROT_KEEPALIVED};

/// A fully checked keepalived.conf (VRRP part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub global: GlobalDefs,
    pub instances: Vec<VrrpInstance>,
    /// `vrrp_script NAME { ... }` blocks, in file order (names are unique).
    pub scripts: Vec<VrrpScript>,
    /// `vrrp_track_file NAME { ... }` blocks, in file order (names are unique).
    pub track_files: Vec<TrackFile>,
    /// `vrrp_track_process NAME { ... }` blocks, in file order (names are unique).
    pub track_processes: Vec<TrackProcess>,
    /// `vrrp_sync_group NAME { ... }` blocks, in file order (names unique, every member a
    /// vrrp_instance of [`Config::instances`] in no other group).
    pub sync_groups: Vec<SyncGroup>,
    /// Kept on success so the daemon can log them: keepalived users expect to
    /// hear about every keyword vrrpd skipped.
    pub warnings: Vec<Diagnostic>,
}

/// `global_defs` keywords vrrpd acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalDefs {
    pub router_id: Option<String>,
    /// Already folded into every instance's `version`; kept for display.
    pub vrrp_version: Option<Version>,
    pub garp_master_delay_s: Option<u32>,
    pub garp_master_repeat: Option<u32>,
    pub garp_master_refresh_s: Option<u32>,
    pub enable_script_security: bool,
    /// `script_user USER [GROUP]`: who scripts run as unless their own `user` says otherwise.
    /// `None` is keepalived's default (`keepalived_script` if that user exists, else root).
    pub script_user: Option<RunAs>,
    /// `notify_fifo PATH [username [groupname]]` and `notify_fifo_script`: every notification, VRRP or not.
    pub notify_fifo: Option<NotifyFifo>,
    /// `vrrp_notify_fifo PATH` and `vrrp_notify_fifo_script`: VRRP notifications only.
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    /// `vrrp_no_swap`: lock vrrpd in memory (mlockall).
    pub no_swap: bool,
    /// `vrrp_rt_priority N` (1..=99): run SCHED_RR at N; wins over `process_priority`.
    pub rt_priority: Option<u8>,
    /// `vrrp_priority N` (-20..=19): the nice value; `None`: vrrpd's default (-10).
    pub process_priority: Option<i8>,
    /// `vrrp_strict`: the default of every instance's `strict_mode`. vrrpd follows it where
    /// it decides the version: `version 2` with IPv6 addresses runs VRRPv3 under it, as in
    /// keepalived (vrrp.c 2860-2868); keepalived's other strict checks are not implemented.
    pub vrrp_strict: bool,
}

/// A user and optional group to run a script as (`script_user`, `user` in `vrrp_script`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    pub user: String,
    /// `None`: the user's primary group.
    pub group: Option<String>,
    pub location: SourceLocation,
}

/// A command line from the file (`script`, `notify_*`), split the way keepalived splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptCmd {
    /// As written, for logs and `vrrpd -t`.
    pub text: String,
    /// The words after keepalived's quoting rules; `argv[0]` is the program. Never empty.
    pub argv: Vec<String>,
    /// The line needs a shell (a pipe, `&&`, a redirection, `$VAR`...): it runs as
    /// `/bin/sh -c TEXT`. Otherwise `argv` is executed directly, as keepalived does.
    pub shell: bool,
    /// Who it runs as: `user USER [GROUP]` in a `vrrp_script`, or the `username [groupname]`
    /// after a notify script; `None` means the global `script_user` rule.
    pub user: Option<RunAs>,
    pub location: SourceLocation,
}

/// `vrrp_script NAME { ... }` with keepalived's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScript {
    pub name: String,
    pub location: SourceLocation,
    pub cmd: ScriptCmd,
    /// `interval`, default 1 s.
    pub interval: Duration,
    /// `timeout`, default the interval.
    pub timeout: Duration,
    /// `weight N`, -253..=253, default 0 (a failure is a FAULT).
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
    /// `rise`, default 1.
    pub rise: u32,
    /// `fall`, default 1.
    pub fall: u32,
    /// `init_fail`: the script starts failed instead of good.
    pub init_fail: bool,
}

/// `vrrp_track_file NAME { ... }` with keepalived's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub location: SourceLocation,
    /// `file PATH`.
    pub path: PathBuf,
    /// `weight N [reverse]`, default 1: the file's number times the weight is added.
    pub weight: i32,
    pub reverse: bool,
    /// `init_file [VALUE] [overwrite]`: create the file (or, with overwrite, rewrite it) at start.
    pub init_file: Option<InitFile>,
}

/// `vrrp_track_process NAME { ... }` with keepalived's defaults applied
/// (keepalived.conf(5) "VRRP track processes").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: String,
    pub location: SourceLocation,
    /// `process NAME ...`: matched exactly against `/proc/PID/comm`, or with
    /// [`TrackProcess::full_command`] against the first word of `/proc/PID/cmdline`.
    pub process: String,
    /// The parameters after the name on the `process` line.
    pub params: Vec<String>,
    /// `param_match`; `Some(Exact)` when parameters are given without it. `None`: the
    /// parameters of a running process are not looked at.
    pub param_match: Option<ParamMatch>,
    /// `full_command`, or implied by parameters or `param_match`.
    pub full_command: bool,
    /// `weight N [reverse]`, -254..=254, default 0 (keepalived's code; its manual says 1).
    pub weight: i32,
    pub reverse: bool,
    /// `quorum`, default 1 (0 after `quorum_max 0`).
    pub quorum: u32,
    /// `quorum_max`, default unlimited (`u32::MAX`).
    pub quorum_max: u32,
    /// `fork_delay` (or `delay`): a quorum gained by a fork counts after this long.
    pub fork_delay: Duration,
    /// `terminate_delay` (or `delay`): a quorum lost by an exit counts after this long.
    pub terminate_delay: Duration,
}

/// `param_match` of a `vrrp_track_process` (keepalived `check_params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    /// The parameters are exactly those configured (none, if none are).
    Exact,
    /// The first configured parameters match; the process may have more.
    Partial,
    /// As partial, but the last configured parameter may be a prefix of the process's.
    Initial,
}

/// `init_file [VALUE] [overwrite]` of a `vrrp_track_file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitFile {
    /// Default 0.
    pub value: i64,
    pub overwrite: bool,
}

/// One entry of a `track_script`, `track_file` or `track_interface` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// The script's, file's or interface's name; scripts and files are known to exist.
    pub name: String,
    pub location: SourceLocation,
    /// `weight N` on the entry; `None` takes the script's or file's own (0 for an interface).
    pub weight: Option<i32>,
    /// Whether the weight is reversed: `reverse` / `noreverse` on the entry, else (as in
    /// keepalived's `alloc_track_script` / `vrrp_alloc_track_file`) the script's or file's
    /// own `weight N reverse`; `false` for an interface without `reverse`.
    pub reverse: bool,
}

/// A `vrrp_sync_group`: instances that change state together (keepalived vrrp_sync.c).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    pub name: String,
    pub location: SourceLocation,
    /// Instance names, in the order of the `group` block.
    pub members: Vec<String>,
    /// `notify_master` & co, called with `GROUP NAME STATE`; never `master_rx_lower_pri`.
    pub notify: Notify,
    /// `sync_group_tracking_weight`: members keep their own tracking weights (without it
    /// keepalived drops them, vrrp.c 3830). The group's own `track_*` entries are merged
    /// into each member's lists, weights included (vrrp.c 3991 `sync_group_tracking_init`).
    pub tracking_weight: bool,
}

/// An instance's notify scripts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notify {
    pub master: Option<ScriptCmd>,
    pub backup: Option<ScriptCmd>,
    pub fault: Option<ScriptCmd>,
    pub stop: Option<ScriptCmd>,
    /// `notify`: called on every transition with `INSTANCE NAME STATE PRIORITY`.
    pub any: Option<ScriptCmd>,
    pub master_rx_lower_pri: Option<ScriptCmd>,
}

/// `notify_fifo` / `vrrp_notify_fifo` with its script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyFifo {
    pub path: PathBuf,
    /// `username [groupname]` after the path: who owns the FIFO (keepalived creates it
    /// with that owner); `None` means the global `script_user` rule.
    pub user: Option<RunAs>,
    /// `notify_fifo_script`: started with the FIFO's path as its last argument, reads the lines.
    pub script: Option<ScriptCmd>,
    pub location: SourceLocation,
}

/// `state` as written; `None` in [`VrrpInstance::state`] means keepalived's
/// default (start as backup, without the "configured master" hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InitialState {
    Master,
    Backup,
}

/// One instance speaks one family (keepalived forbids mixing in `virtual_ipaddress`)
/// and one protocol version: the core's types, so the daemon maps nothing.
pub use vrrp_core::wire::{Family, Version};

/// An address scope as `ip address add … scope S` and keepalived take it: a name from
/// iproute2's `rt_scopes` or a number 0..=255. Numbers that have a name become that
/// name (`scope 253` is `link`), so the kernel gets exactly what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// `global` (0), the default.
    #[default]
    Global,
    /// `site` (200).
    Site,
    /// `link` (253).
    Link,
    /// `host` (254).
    Host,
    /// `nowhere` (255).
    Nowhere,
    /// Any other number.
    Other(u8),
}

impl Scope {
    /// The scope called `name` (`global`, `site`, `link`, `host`, `nowhere`).
    pub fn from_name(name: &str) -> Option<Scope> {
        Some(match name {
            "global" => Scope::Global,
            "site" => Scope::Site,
            "link" => Scope::Link,
            "host" => Scope::Host,
            "nowhere" => Scope::Nowhere,
            _ => return None,
        })
    }

    /// The scope with number `n` (`rt_scopes`: 0, 200, 253, 254, 255 have names).
    pub fn from_number(n: u8) -> Scope {
        match n {
            0 => Scope::Global,
            200 => Scope::Site,
            253 => Scope::Link,
            254 => Scope::Host,
            255 => Scope::Nowhere,
            n => Scope::Other(n),
        }
    }

    /// The number the kernel stores (`ifa_scope`).
    pub fn number(self) -> u8 {
        match self {
            Scope::Global => 0,
            Scope::Site => 200,
            Scope::Link => 253,
            Scope::Host => 254,
            Scope::Nowhere => 255,
            Scope::Other(n) => n,
        }
    }
}

/// Authentication: VRRPv2's `authentication { auth_type … }`, or keepalived 2.4's
/// `auth_hmac { … }` (VRRPv2 and v3). `Ah` is kept distinct (not mapped to `Pass`) so the
/// daemon can refuse it explicitly instead of silently speaking another scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// At most 8 bytes, like the wire field (longer passwords are truncated).
    Pass(String),
    Ah,
    /// `auth_hmac { … }`: an HMAC-SHA256 trailer on every advert.
    Hmac(AuthHmac),
}

/// keepalived 2.4's `auth_hmac` block, checked: ids 1..=255 and unique, keys 32..=64
/// octets, `active_key` among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHmac {
    /// `key ID VALUE` lines (`hex:…`, `file:PATH` or ASCII), in file order.
    pub keys: Vec<vrrp_core::wire::hmac::HmacKey>,
    /// `active_key ID`: the key adverts are signed with.
    pub active_key: u8,
    /// `mode enforce|permissive|receive-only` (default enforce).
    pub mode: vrrp_core::wire::hmac::HmacMode,
    /// `anti_replay time|monotonic` (default time) and `time_window`.
    pub anti_replay: HmacAntiReplay,
}

/// `anti_replay` with its `time_window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacAntiReplay {
    /// Freshness window in seconds; `None` derives it from the advert interval
    /// (keepalived: max(3 × advert_int, 5) s).
    Time(Option<u16>),
    /// Only strictly growing sequence numbers.
    Monotonic,
}

/// A `virtual_ipaddress` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub dev: Option<String>,
    pub brd: Option<Ipv4Addr>,
    pub label: Option<String>,
    pub scope: Option<Scope>,
    /// `no_track`: someone else removing this address does not make a master step down
    /// (keepalived_netlink.c `address_is_ours`).
    pub no_track: bool,
    /// The `use_vmac` option on the line (keepalived 2.2.7 vrrp_ipaddress.c 637), as read.
    pub use_vmac: bool,
    /// The macvlan the address goes on instead of its interface, for `use_vmac_addr` or
    /// the line's `use_vmac` (vrrp.c 3691-3760): on the address's `dev` (else the
    /// instance's interface), with the virtual MAC of the address's family and the
    /// instance's VRID, named as keepalived's `create_vmac_name` names it.
    pub vmac: Option<String>,
    /// Where the address was written, so runtime failures (e.g. netlink
    /// refusing the address) can point back into the file.
    pub location: SourceLocation,
}

impl Vip {
    /// The `dev` the address is written for when that is neither the instance's own
    /// interface (`interface`) nor its `use_vmac` macvlan; `None` for an address that goes
    /// on the instance's own.
    pub fn other_interface(&self, interface: &str, vmac: Option<&Vmac>) -> Option<&str> {
        self.dev.as_deref().filter(|dev| *dev != interface && vmac.is_none_or(|v| v.name != *dev))
    }
}

/// One line of a `unicast_peer { ADDRESS [min_ttl N] [max_ttl N] }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnicastPeer {
    pub address: IpAddr,
    /// Lowest TTL / hop limit accepted from the peer (default 0).
    pub min_ttl: u8,
    /// Highest TTL / hop limit accepted from the peer (default 255).
    pub max_ttl: u8,
    /// Where the address was written.
    pub location: SourceLocation,
}

/// `use_vmac` of an instance: the macvlan vrrpd creates for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vmac {
    /// The macvlan's name: as written, else keepalived's `vrrp.<VRID>` (vrrp.c 2784
    /// `create_vmac_name`).
    pub name: String,
    /// `vmac_xmit_base`: adverts go out on (and are read from) the base interface; the
    /// VIPs, GARPs and NAs stay on the macvlan.
    pub xmit_base: bool,
    /// Where `use_vmac` is written.
    pub location: SourceLocation,
}

impl Vmac {
    /// RFC 9568 §7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6
    /// (keepalived's `ll_addr`, vrrp_vmac.c 47 and 272-278).
    pub fn mac(family: Family, vrid: u8) -> [u8; 6] {
        let kind = if family == Family::Ipv6 { 0x02 } else { 0x01 };
        [0x00, 0x00, 0x5e, 0x00, kind, vrid]
    }
}

/// A `vrrp_instance` with keepalived's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpInstance {
    pub name: String,
    pub location: SourceLocation,
    pub state: Option<InitialState>,
    pub interface: String,
    pub vrid: u8,
    pub priority: u8,
    /// Centiseconds, the VRRPv3 unit; VRRPv2 values are whole seconds × 100.
    pub advert_int_cs: u16,
    pub version: Version,
    pub family: Family,
    /// For version 3 only `Auth::Hmac` (VRRPv3 has no authentication of its own).
    pub auth: Option<Auth>,
    pub vips: Vec<Vip>,
    pub vips_excluded: Vec<Vip>,
    /// `virtual_routes`: installed while MASTER, like the VIPs.
    pub routes: Vec<Route>,
    /// `virtual_rules`: installed while MASTER, like the VIPs.
    pub rules: Vec<Rule>,
    pub nopreempt: bool,
    pub preempt_delay_cs: u32,
    pub garp_master_delay_s: Option<u32>,
    pub garp_master_repeat: Option<u32>,
    /// `None` leaves the choice to the daemon (keepalived's default depends on strict mode).
    pub accept: Option<bool>,
    /// `mcast_src_ip` or `unicast_src_ip` (one setting in keepalived): the advert source.
    pub mcast_src_ip: Option<IpAddr>,
    /// `unicast_peer { ... }`: adverts go to each, and only theirs are accepted; empty
    /// for multicast. Of the instance's family; IPv6 ones link-local or global.
    pub unicast_peers: Vec<UnicastPeer>,
    /// `unicast_ttl`: TTL / hop limit of unicast adverts; `None` is 255.
    pub unicast_ttl: Option<u8>,
    /// `unicast_fault_no_peer` without any `unicast_peer`, where written: the instance
    /// stays FAULT, as keepalived runs it (vrrp.c 2988).
    pub fault_no_peer: Option<SourceLocation>,
    pub native_ipv6: bool,
    /// `use_vmac`: the virtual MAC interface vrrpd creates for this instance.
    pub vmac: Option<Vmac>,
    /// `use_vmac_addr`: addresses on other interfaces, or of the other family, go on
    /// macvlans of their own ([`Vip::vmac`]).
    pub use_vmac_addr: bool,
    /// `track_script { ... }`; every name is a `vrrp_script` in [`Config::scripts`].
    pub track_scripts: Vec<Track>,
    /// `track_file { ... }`; every name is a `vrrp_track_file` in [`Config::track_files`].
    pub track_files: Vec<Track>,
    /// `track_process { ... }`; every name is a `vrrp_track_process` in
    /// [`Config::track_processes`].
    pub track_processes: Vec<Track>,
    /// `track_interface { ... }`.
    pub track_interfaces: Vec<Track>,
    pub notify: Notify,
}
