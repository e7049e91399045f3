//! The resolved configuration handed to the daemon.
//!
//! Everything here is already checked and defaulted, so the daemon never has to
//! re-apply keepalived's defaulting rules or re-validate ranges.

use std::net::{IpAddr, Ipv4Addr};

use super::diagnostic::{Diagnostic, SourceLocation};

/// A fully checked keepalived.conf (VRRP part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub global: GlobalDefs,
    pub instances: Vec<VrrpInstance>,
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
    /// Only the user: vrrpd runs no scripts, so the optional group has no use.
    pub script_user: Option<String>,
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

/// VRRPv2 authentication. `Ah` is kept distinct (not mapped to `Pass`) so the
/// daemon can refuse it explicitly instead of silently speaking another scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// At most 8 bytes, like the wire field (longer passwords are truncated).
    Pass(String),
    Ah,
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
    /// Where the address was written, so runtime failures (e.g. netlink
    /// refusing the address) can point back into the file.
    pub location: SourceLocation,
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
