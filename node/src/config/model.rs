//! The resolved configuration handed to the daemon.
//!
//! Everything here is already checked and defaulted, so the daemon never has to
//! re-apply keepalived's defaulting rules or re-validate ranges.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::diagnostic::{Diagnostic, SourceLocation};

/// A fully checked keepalived.conf (VRRP part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    pub global: GlobalDefs,
    pub instances: Vec<VrrpInstance>,
    /// Kept on success so the daemon can log them: keepalived users expect to
    /// hear about every keyword vrrpd skipped.
    pub warnings: Vec<Diagnostic>,
}

/// `global_defs` keywords vrrpd acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GlobalDefs {
    pub router_id: Option<String>,
    /// Already folded into every instance's `version`; kept for display.
    pub vrrp_version: Option<u8>,
    pub garp_master_delay_s: Option<u32>,
    pub garp_master_repeat: Option<u32>,
    pub garp_master_refresh_s: Option<u32>,
    pub enable_script_security: bool,
    /// Only the user: vrrpd runs no scripts, so the optional group has no use.
    pub script_user: Option<String>,
}

/// `state` as written; `None` in [`VrrpInstance::state`] means keepalived's
/// default (start as backup, without the "configured master" hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum InitialState {
    Master,
    Backup,
}

/// One instance speaks one family: keepalived forbids mixing in `virtual_ipaddress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Family {
    Ipv4,
    Ipv6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        })
    }
}

/// VRRPv2 authentication. `Ah` is kept distinct (not mapped to `Pass`) so the
/// daemon can refuse it explicitly instead of silently speaking another scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Auth {
    /// At most 8 bytes, like the wire field (longer passwords are truncated).
    Pass(String),
    Ah,
}

/// A `virtual_ipaddress` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vip {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub dev: Option<String>,
    pub brd: Option<Ipv4Addr>,
    pub label: Option<String>,
    pub scope: Option<String>,
    /// Where the address was written, so runtime failures (e.g. netlink
    /// refusing the address) can point back into the file.
    pub location: SourceLocation,
}

/// A `vrrp_instance` with keepalived's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VrrpInstance {
    pub name: String,
    pub location: SourceLocation,
    pub state: Option<InitialState>,
    pub interface: String,
    pub vrid: u8,
    pub priority: u8,
    /// Centiseconds, the VRRPv3 unit; VRRPv2 values are whole seconds × 100.
    pub advert_int_cs: u16,
    pub version: u8,
    pub family: Family,
    /// Always `None` for version 3 (VRRPv3 has no authentication).
    pub auth: Option<Auth>,
    pub vips: Vec<Vip>,
    pub vips_excluded: Vec<Vip>,
    pub nopreempt: bool,
    pub preempt_delay_cs: u32,
    pub garp_master_delay_s: Option<u32>,
    pub garp_master_repeat: Option<u32>,
    /// `None` leaves the choice to the daemon (keepalived's default depends on strict mode).
    pub accept: Option<bool>,
    pub mcast_src_ip: Option<IpAddr>,
    pub native_ipv6: bool,
}
