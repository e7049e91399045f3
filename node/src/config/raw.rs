//! What the parser saw, before defaults and cross-checks.
//!
//! Kept separate from the public model because some checks need the whole
//! instance (e.g. `advert_int` validity depends on a `version` that may come
//! later, or from `global_defs`), and those checks need the source locations.

use std::net::IpAddr;
use std::path::PathBuf;

use super::diagnostic::SourceLocation;
use super::model::{Auth, GlobalDefs, InitFile, InitialState, Notify, ParamMatch, RunAs, ScriptCmd, Version, Vip};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub loc: SourceLocation,
}

#[derive(Debug, Default)]
pub(crate) struct RawDocument {
    pub global: GlobalDefs,
    pub instances: Vec<RawInstance>,
    pub scripts: Vec<RawScript>,
    pub track_files: Vec<RawTrackFile>,
    pub track_processes: Vec<RawTrackProcess>,
    pub sync_groups: Vec<RawSyncGroup>,
    pub notify_fifo: RawFifo,
    pub vrrp_notify_fifo: RawFifo,
}

/// `notify_fifo` (or `vrrp_notify_fifo`) and its `_script`, which may come in any order.
#[derive(Debug, Default)]
pub(crate) struct RawFifo {
    pub path: Option<Spanned<PathBuf>>,
    pub user: Option<RunAs>,
    pub script: Option<ScriptCmd>,
}

/// `vrrp_sync_group NAME { ... }` as read; `members` is `None` without a `group` block.
#[derive(Debug)]
pub(crate) struct RawSyncGroup {
    pub name: String,
    pub loc: SourceLocation,
    pub members: Option<Vec<Spanned<String>>>,
    pub notify: Notify,
    /// Which top-level statement of the file set it is (see [`RawInstance::seq`]).
    pub seq: usize,
    /// The group's own track blocks, which every member tracks (vrrp.c 3991
    /// `sync_group_tracking_init`).
    pub tracks: RawTracks,
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): the members
    /// keep the weights of their own tracking entries.
    pub tracking_weight: bool,
}

/// `vrrp_script NAME { ... }` as read; `cmd` is `None` when `script` was missing or
/// invalid (already reported).
#[derive(Debug)]
pub(crate) struct RawScript {
    /// Which top-level statement of the file set it is (see [`RawInstance::seq`]).
    pub seq: usize,
    pub name: String,
    pub loc: SourceLocation,
    pub cmd: Option<ScriptCmd>,
    pub interval_s: u64,
    pub timeout_s: Option<u64>,
    pub weight: i32,
    pub reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub user: Option<RunAs>,
    pub init_fail: bool,
}

/// `vrrp_track_file NAME { ... }` as read; `path` is `None` when `file` was missing.
#[derive(Debug)]
pub(crate) struct RawTrackFile {
    /// Which top-level statement of the file set it is (see [`RawInstance::seq`]).
    pub seq: usize,
    pub name: String,
    pub loc: SourceLocation,
    pub path: Option<PathBuf>,
    pub weight: i32,
    pub reverse: bool,
    pub init_file: Option<InitFile>,
}

/// `vrrp_track_process NAME { ... }` as read; `process` is `None` when missing.
#[derive(Debug)]
pub(crate) struct RawTrackProcess {
    /// Which top-level statement of the file set it is (see [`RawInstance::seq`]).
    pub seq: usize,
    pub name: String,
    pub loc: SourceLocation,
    pub process: Option<String>,
    pub params: Vec<String>,
    pub param_match: Option<ParamMatch>,
    pub full_command: bool,
    pub weight: i32,
    pub reverse: bool,
    pub quorum: u32,
    pub quorum_max: u32,
    pub fork_delay: std::time::Duration,
    pub terminate_delay: std::time::Duration,
}

/// The `track_script`, `track_file`, `track_process` and `track_interface` blocks of a
/// `vrrp_instance` or a `vrrp_sync_group`, as read.
#[derive(Debug, Default)]
pub(crate) struct RawTracks {
    pub scripts: Vec<RawTrack>,
    pub files: Vec<RawTrack>,
    pub processes: Vec<RawTrack>,
    pub interfaces: Vec<RawTrack>,
}

impl RawTracks {
    /// The list a block keyword fills, and what its entries name; `None` for another keyword.
    pub fn block(&mut self, keyword: &str) -> Option<(super::tracking::TrackKind, &mut Vec<RawTrack>)> {
        use super::tracking::TrackKind;
        match keyword {
            "track_script" => Some((TrackKind::Script, &mut self.scripts)),
            "track_interface" => Some((TrackKind::Interface, &mut self.interfaces)),
            "track_process" => Some((TrackKind::Process, &mut self.processes)),
            "track_file" => Some((TrackKind::File, &mut self.files)),
            _ => None,
        }
    }
}

/// One line of a `track_script`, `track_file` or `track_interface` block.
#[derive(Debug, Clone)]
pub(crate) struct RawTrack {
    pub name: String,
    pub loc: SourceLocation,
    pub weight: Option<i32>,
    /// `reverse` / `noreverse` on the line; `None` inherits the script's or file's.
    pub reverse: Option<bool>,
}

#[derive(Debug)]
pub(crate) struct RawInstance {
    pub name: String,
    pub loc: SourceLocation,
    pub state: Option<InitialState>,
    pub interface: Option<String>,
    pub vrid: Option<Spanned<u8>>,
    pub priority: Option<u8>,
    pub advert_int_cs: Option<Spanned<u64>>,
    pub version: Option<Spanned<Version>>,
    /// Located at the `authentication` keyword, for the VRRPv3 warning.
    pub auth: Option<Spanned<Auth>>,
    pub vips: Vec<Vip>,
    pub vips_excluded: Vec<Vip>,
    /// `virtual_routes { … }`.
    pub routes: Vec<super::route::Route>,
    /// `virtual_rules { … }`, before automatic preferences are given.
    pub rules: Vec<super::route::ParsedRule>,
    pub nopreempt: bool,
    /// keepalived 2.4's `no_virtual_ipaddress`: no addresses, on purpose.
    pub no_vips_allowed: bool,
    pub preempt_delay_cs: Option<u32>,
    pub garp_master_delay_s: Option<u32>,
    pub garp_master_repeat: Option<u32>,
    pub accept: Option<bool>,
    /// `mcast_src_ip` or `unicast_src_ip`: one setting in keepalived (vrrp_parser.c
    /// `vrrp_unicast_srcip_handler` calls `vrrp_srcip_handler`).
    pub mcast_src_ip: Option<Spanned<IpAddr>>,
    /// Which of the two set it last ("mcast_src_ip" or "unicast_src_ip"), for messages.
    pub src_ip_keyword: &'static str,
    /// `unicast_peer { ... }` lines, in file order (blocks add up, as in keepalived).
    pub unicast_peers: Vec<super::model::UnicastPeer>,
    /// `unicast_ttl N`.
    pub unicast_ttl: Option<Spanned<u8>>,
    /// Where the first unicast keyword was (keepalived's VRRP_FLAG_UNICAST_CONFIGURED).
    pub unicast_configured: Option<SourceLocation>,
    /// `unicast_fault_no_peer`.
    pub unicast_fault_no_peer: Option<SourceLocation>,
    pub native_ipv6: Option<SourceLocation>,
    /// `strict_mode [true|false]`: overrides global `vrrp_strict` (vrrp.c 2860).
    pub strict_mode: Option<bool>,
    /// `use_vmac [NAME]`: the name if one was given, located at the keyword.
    pub use_vmac: Option<Spanned<Option<String>>>,
    /// `vmac_xmit_base`.
    pub vmac_xmit_base: Option<SourceLocation>,
    /// `use_vmac_addr`.
    pub use_vmac_addr: Option<SourceLocation>,
    /// Set even when the value was invalid: that already got an error, so
    /// "missing virtual_router_id" would only repeat it.
    pub vrid_written: bool,
    /// Lines seen in (excluded) virtual_ipaddress blocks, valid or not.
    pub vip_lines: usize,
    pub tracks: RawTracks,
    pub notify: Notify,
    /// Which top-level statement of the file set (includes expanded) it is: keepalived
    /// looks tracked scripts and files up while reading, so only earlier ones exist.
    pub seq: usize,
}

impl RawInstance {
    pub fn new(name: String, loc: SourceLocation) -> Self {
        RawInstance {
            name,
            loc,
            state: None,
            interface: None,
            vrid: None,
            priority: None,
            advert_int_cs: None,
            version: None,
            auth: None,
            vips: Vec::new(),
            vips_excluded: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            nopreempt: false,
            no_vips_allowed: false,
            preempt_delay_cs: None,
            garp_master_delay_s: None,
            garp_master_repeat: None,
            accept: None,
            mcast_src_ip: None,
            src_ip_keyword: "mcast_src_ip",
            unicast_peers: Vec::new(),
            unicast_ttl: None,
            unicast_configured: None,
            unicast_fault_no_peer: None,
            native_ipv6: None,
            strict_mode: None,
            use_vmac: None,
            vmac_xmit_base: None,
            use_vmac_addr: None,
            vrid_written: false,
            vip_lines: 0,
            tracks: RawTracks::default(),
            notify: Notify::default(),
            seq: 0,
        }
    }
}
