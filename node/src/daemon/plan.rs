//! Turns a parsed keepalived.conf instance plus what the kernel says about its interface
//! into the core's [`InstanceConfig`] and the daemon's own per-instance settings.
//!
//! Pure: the interface facts come in as [`LinkFacts`], so this is unit-tested without a
//! network, and `vrrpd -t` can run the same checks.

use std::net::IpAddr;

use anyhow::{bail, Context, Result};
use vrrp_core::config::MAX_VIPS;
use vrrp_core::wire::{Auth, ChecksumForm, Version};
use vrrp_core::{Duration, InstanceConfig};

use crate::config::{self, GlobalDefs, VrrpInstance};

/// keepalived's defaults for gratuitous ARP after becoming master.
pub const DEFAULT_GARP_MASTER_DELAY_S: u32 = 5;
/// keepalived's default number of gratuitous ARPs per burst.
pub const DEFAULT_GARP_MASTER_REPEAT: u32 = 5;

/// What the daemon learned about an instance's interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFacts {
    /// Kernel interface index.
    pub ifindex: u32,
    /// The interface's primary IPv4 address, if any.
    pub primary_v4: Option<IpAddr>,
    /// The interface's IPv6 link-local address, if any.
    pub link_local_v6: Option<IpAddr>,
}

/// One instance, ready to run.
#[derive(Debug, Clone)]
pub struct InstancePlan {
    /// `vrrp_instance` name.
    pub name: String,
    /// Interface adverts go out on.
    pub interface: String,
    /// The core's configuration.
    pub core: InstanceConfig,
    /// Every address to add when MASTER: advertised ones, then `virtual_ipaddress_excluded`.
    pub vips: Vec<config::Vip>,
    /// Gratuitous ARPs / NAs per announcement burst.
    pub garp_repeat: u32,
}

/// Builds the plan for `inst`.
pub fn plan_instance(global: &GlobalDefs, inst: &VrrpInstance, link: &LinkFacts) -> Result<InstancePlan> {
    let version = match inst.version {
        2 => Version::V2,
        3 => Version::V3,
        v => bail!("{}: version {v} is not 2 or 3", inst.location),
    };
    let primary = match (inst.mcast_src_ip, inst.family) {
        (Some(ip), _) => ip,
        (None, config::Family::Ipv4) => link.primary_v4.with_context(|| {
            format!("{}: interface {} has no IPv4 address to send adverts from", inst.location, inst.interface)
        })?,
        (None, config::Family::Ipv6) => link.link_local_v6.with_context(|| {
            format!("{}: interface {} has no IPv6 link-local address", inst.location, inst.interface)
        })?,
    };
    let mut core = InstanceConfig::new(link.ifindex, inst.vrid, version, primary);
    core.priority = inst.priority;
    core.advert_interval_cs = inst.advert_int_cs;
    core.preempt = !inst.nopreempt;
    core.preempt_delay = Duration::from_centis(u64::from(inst.preempt_delay_cs));
    // keepalived accepts traffic to the VIPs unless told otherwise (it only filters in strict mode).
    core.accept_mode = inst.accept.unwrap_or(true);
    core.checksum_form = ChecksumForm::PseudoHeader;
    core.auth = match &inst.auth {
        None => Auth::None,
        Some(config::Auth::Pass(p)) => Auth::simple_text(p.as_bytes()),
        Some(config::Auth::Ah) => bail!("{}: auth_type AH is not supported by vrrpd; use PASS or none", inst.location),
    };
    if inst.vips.len() > MAX_VIPS {
        bail!(
            "{}: {} addresses in virtual_ipaddress, at most {MAX_VIPS} fit in an advert; move the rest to virtual_ipaddress_excluded",
            inst.location,
            inst.vips.len()
        );
    }
    for vip in &inst.vips {
        core.vips.push(vip.addr).map_err(|_| anyhow::anyhow!("{}: too many virtual addresses", vip.location))?;
    }
    let delay = inst.garp_master_delay_s.or(global.garp_master_delay_s).unwrap_or(DEFAULT_GARP_MASTER_DELAY_S);
    core.announce_delay = (delay > 0).then(|| Duration::from_secs(u64::from(delay)));
    let refresh = global.garp_master_refresh_s.unwrap_or(0);
    core.announce_refresh = (refresh > 0).then(|| Duration::from_secs(u64::from(refresh)));
    core.validate().map_err(|e| anyhow::anyhow!("{}: {e}", inst.location))?;
    Ok(InstancePlan {
        name: inst.name.clone(),
        interface: inst.interface.clone(),
        core,
        vips: inst.vips.iter().chain(&inst.vips_excluded).cloned().collect(),
        garp_repeat: inst.garp_master_repeat.or(global.garp_master_repeat).unwrap_or(DEFAULT_GARP_MASTER_REPEAT).max(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const SEED: &str = include_str!("../../tests/fixtures/config/seed.conf");

    fn facts() -> LinkFacts {
        LinkFacts { ifindex: 3, primary_v4: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11))), link_local_v6: None }
    }

    #[test]
    fn seed_config_maps_to_keepalived_semantics() {
        let cfg = config::parse_str("seed.conf", SEED).unwrap();
        let plan = plan_instance(&cfg.global, &cfg.instances[0], &facts()).unwrap();
        let c = &plan.core;
        assert_eq!((c.ifindex, c.vrid, c.priority, c.advert_interval_cs), (3, 200, 101, 100));
        assert_eq!(c.version, Version::V2);
        assert_eq!(c.auth, Auth::simple_text(b"XXXXXX"));
        assert!(c.preempt);
        assert_eq!(c.announce_delay, Some(Duration::from_secs(5)));
        assert_eq!(c.primary_address, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)));
        assert_eq!(plan.garp_repeat, DEFAULT_GARP_MASTER_REPEAT);
        assert_eq!(plan.vips.len(), 1);
    }

    #[test]
    fn missing_source_address_is_an_error_naming_the_interface() {
        let cfg = config::parse_str("seed.conf", SEED).unwrap();
        let err =
            plan_instance(&cfg.global, &cfg.instances[0], &LinkFacts { primary_v4: None, ..facts() }).unwrap_err();
        assert!(err.to_string().contains("eth1 has no IPv4 address"), "{err}");
    }

    #[test]
    fn mcast_src_ip_overrides_the_interface_address() {
        let text = SEED.replace("advert_int 1", "advert_int 1\n    mcast_src_ip 192.0.2.50\n    nopreempt");
        let cfg = config::parse_str("x.conf", &text).unwrap();
        let plan = plan_instance(&cfg.global, &cfg.instances[0], &facts()).unwrap();
        assert_eq!(plan.core.primary_address, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 50)));
        assert!(!plan.core.preempt);
    }
}
