//! Checks that need a whole instance or the whole file, and keepalived's
//! defaulting rules (version, family, advert interval).

use std::collections::HashMap;

use super::diagnostic::{Reporter, SourceLocation};
use super::model::{Auth, Family, GlobalDefs, Version, VrrpInstance};
use super::raw::{RawDocument, RawInstance};

const DEFAULT_PRIORITY: u8 = 100;
const DEFAULT_ADVERT_CS: u64 = 100;

pub(crate) fn resolve(doc: RawDocument, rep: &mut Reporter) -> (GlobalDefs, Vec<VrrpInstance>) {
    let mut instances = Vec::new();
    let mut names: HashMap<String, SourceLocation> = HashMap::new();
    let mut routers: HashMap<(String, u8, Family), (String, SourceLocation)> = HashMap::new();
    for raw in doc.instances {
        if let Some(first) = names.get(&raw.name) {
            rep.error_at(
                raw.loc.clone(),
                format!("duplicate vrrp_instance name `{}`: first defined at {first}; expected unique names", raw.name),
            );
        } else {
            names.insert(raw.name.clone(), raw.loc.clone());
        }
        let Some((inst, vrid_loc)) = resolve_instance(raw, &doc.global, rep) else {
            continue;
        };
        // Two instances with one VRID on one link would answer each other's adverts.
        let key = (inst.interface.clone(), inst.vrid, inst.family);
        if let Some((other, other_loc)) = routers.get(&key) {
            rep.error_at(
                vrid_loc,
                format!(
                    "virtual_router_id {} on {} ({}) is already used by vrrp_instance `{other}` at {other_loc}; expected a distinct virtual_router_id per interface and family",
                    inst.vrid, inst.interface, inst.family
                ),
            );
        } else {
            routers.insert(key, (inst.name.clone(), inst.location.clone()));
        }
        instances.push(inst);
    }
    (doc.global, instances)
}

/// The instance, plus where its VRID was written (for duplicate reports);
/// `None` after reporting when a required part is missing or invalid.
fn resolve_instance(
    raw: RawInstance,
    global: &GlobalDefs,
    rep: &mut Reporter,
) -> Option<(VrrpInstance, SourceLocation)> {
    let mut ok = true;
    let name = &raw.name;

    if raw.interface.is_none() {
        rep.error_at(
            raw.loc.clone(),
            format!("vrrp_instance `{name}` has no interface: expected `interface <ifname>`"),
        );
        ok = false;
    }
    if raw.vrid.is_none() && !raw.vrid_written {
        rep.error_at(
            raw.loc.clone(),
            format!("vrrp_instance `{name}` has no virtual_router_id: expected `virtual_router_id <1..=255>`"),
        );
        ok = false;
    }
    if raw.vips.is_empty() && raw.vips_excluded.is_empty() {
        ok = false;
    }
    if raw.vip_lines == 0 {
        rep.error_at(
            raw.loc.clone(),
            format!("vrrp_instance `{name}` has no virtual IP address: expected a `virtual_ipaddress {{ ... }}` block with at least one address"),
        );
    }

    let first = raw.vips.first().or(raw.vips_excluded.first());
    let family =
        if raw.native_ipv6.is_some() { Family::Ipv6 } else { first.map_or(Family::Ipv4, |v| Family::of(&v.addr)) };
    for vip in &raw.vips {
        let vip_family = Family::of(&vip.addr);
        if vip_family == family {
            continue;
        }
        let msg = if raw.native_ipv6.is_some() {
            format!("{} is IPv4 but the instance is `native_ipv6`: expected IPv6 addresses in virtual_ipaddress (IPv4 may go in virtual_ipaddress_excluded)", vip.addr)
        } else {
            format!("virtual_ipaddress mixes address families: {} is {vip_family} but the first address is {family}; expected one family per instance (put the others in virtual_ipaddress_excluded or another instance)", vip.addr)
        };
        rep.error_at(vip.location.clone(), msg);
        ok = false;
    }

    let version = match &raw.version {
        Some(v) => {
            let version = v.value;
            if version == Version::V2 && family == Family::Ipv6 {
                rep.error_at(
                    v.loc.clone(),
                    "VRRPv2 cannot carry IPv6 addresses: expected `version 3` for an IPv6 instance",
                );
                ok = false;
            }
            version
        }
        None => match global.vrrp_version {
            Some(Version::V2) if family == Family::Ipv6 => {
                rep.warn_at(
                    raw.loc.clone(),
                    format!("vrrp_instance `{name}` is IPv6, which VRRPv2 cannot carry: using version 3 despite global vrrp_version 2"),
                );
                Version::V3
            }
            Some(v) => v,
            None if family == Family::Ipv6 => Version::V3,
            None => Version::V2,
        },
    };

    let advert_cs = match &raw.advert_int_cs {
        None => DEFAULT_ADVERT_CS,
        Some(a) => {
            let cs = a.value;
            let valid = if version == Version::V2 {
                cs % 100 == 0 && (100..=25_500).contains(&cs)
            } else {
                (1..=4095).contains(&cs)
            };
            if !valid {
                let expected = if version == Version::V2 {
                    "VRRPv2 needs a whole number of seconds in 1..=255 (fractional intervals need `version 3`)"
                } else {
                    "VRRPv3 needs 0.01..=40.95 seconds"
                };
                rep.error_at(a.loc.clone(), format!("invalid advert_int {}.{:02} s: {expected}", cs / 100, cs % 100));
                ok = false;
            }
            cs
        }
    };

    let auth = match raw.auth {
        Some(a) if version == Version::V3 && !matches!(a.value, Auth::Hmac(_)) => {
            rep.warn_at(a.loc, "VRRPv3 has no authentication: `authentication` ignored");
            None
        }
        other => other.map(|a| a.value),
    };

    if let Some(src) = &raw.mcast_src_ip {
        let src_family = Family::of(&src.value);
        if src_family != family {
            rep.error_at(
                src.loc.clone(),
                format!(
                    "mcast_src_ip {} is {src_family} but the instance is {family}: expected an {family} address",
                    src.value
                ),
            );
            ok = false;
        }
    }

    let (Some(interface), Some(vrid), true) = (raw.interface, raw.vrid, ok) else {
        return None;
    };
    let inst = VrrpInstance {
        name: raw.name,
        location: raw.loc,
        state: raw.state,
        interface,
        vrid: vrid.value,
        priority: raw.priority.unwrap_or(DEFAULT_PRIORITY),
        advert_int_cs: u16::try_from(advert_cs).ok()?,
        version,
        family,
        auth,
        vips: raw.vips,
        vips_excluded: raw.vips_excluded,
        nopreempt: raw.nopreempt,
        preempt_delay_cs: raw.preempt_delay_cs.unwrap_or(0),
        garp_master_delay_s: raw.garp_master_delay_s,
        garp_master_repeat: raw.garp_master_repeat,
        accept: raw.accept,
        mcast_src_ip: raw.mcast_src_ip.map(|s| s.value),
        native_ipv6: raw.native_ipv6.is_some(),
        track_scripts: Vec::new(),
        track_files: Vec::new(),
        track_interfaces: Vec::new(),
        notify: Default::default(),
    };
    Some((inst, vrid.loc))
}
