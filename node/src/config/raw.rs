//! What the parser saw, before defaults and cross-checks.
//!
//! Kept separate from the public model because some checks need the whole
//! instance (e.g. `advert_int` validity depends on a `version` that may come
//! later, or from `global_defs`), and those checks need the source locations.

use std::net::IpAddr;

use super::diagnostic::SourceLocation;
use super::model::{Auth, GlobalDefs, InitialState, Version, Vip};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub loc: SourceLocation,
}

#[derive(Debug, Default)]
pub(crate) struct RawDocument {
    pub global: GlobalDefs,
    pub instances: Vec<RawInstance>,
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
    pub nopreempt: bool,
    pub preempt_delay_cs: Option<u32>,
    pub garp_master_delay_s: Option<u32>,
    pub garp_master_repeat: Option<u32>,
    pub accept: Option<bool>,
    pub mcast_src_ip: Option<Spanned<IpAddr>>,
    pub native_ipv6: Option<SourceLocation>,
    /// Set even when the value was invalid: that already got an error, so
    /// "missing virtual_router_id" would only repeat it.
    pub vrid_written: bool,
    /// Lines seen in (excluded) virtual_ipaddress blocks, valid or not.
    pub vip_lines: usize,
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
            nopreempt: false,
            preempt_delay_cs: None,
            garp_master_delay_s: None,
            garp_master_repeat: None,
            accept: None,
            mcast_src_ip: None,
            native_ipv6: None,
            vrid_written: false,
            vip_lines: 0,
        }
    }
}
