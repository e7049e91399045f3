//! Turns a parsed keepalived.conf instance plus what the kernel says about its interface
//! into the core's [`InstanceConfig`] and the daemon's own per-instance settings, and
//! checks a whole file the way `vrrpd -t` does ([`config_test`]).
//!
//! Pure: the interface facts come in as [`LinkFacts`], so this is unit-tested without a
//! network, and `vrrpd -t` runs exactly the checks the daemon runs at start. Every
//! refusal is a [`PlanError`] that carries the [`SourceLocation`] it concerns as data.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use vrrp_core::config::MAX_VIPS;
use vrrp_core::wire::hmac::{AntiReplay, HmacConfig};
use vrrp_core::wire::{Auth, ChecksumForm};
use vrrp_core::{ConfigError, Duration, InstanceConfig};

use crate::config::{self, ConfigErrors, Family, GlobalDefs, SourceLocation, VrrpInstance};

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

impl LinkFacts {
    /// Stand-in facts for `vrrpd -t`, which checks the file, not the host: an interface
    /// with both kinds of source address (TEST-NET and link-local).
    pub fn placeholder() -> LinkFacts {
        LinkFacts {
            ifindex: 1,
            primary_v4: Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 254))),
            link_local_v6: Some(IpAddr::V6(std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1))),
        }
    }
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

/// Why an instance cannot run, and where in the file that was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// The `vrrp_instance` (or the address) the error concerns.
    pub location: SourceLocation,
    /// What is wrong.
    pub kind: PlanErrorKind,
}

/// What [`plan_instance`] refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanErrorKind {
    /// An IPv4 instance without `mcast_src_ip` on an interface with no IPv4 address.
    NoIpv4Source {
        /// The interface.
        interface: String,
    },
    /// An IPv6 instance on an interface with no link-local address (RFC 9568 §5.1.2.1).
    NoLinkLocal {
        /// The interface.
        interface: String,
    },
    /// `auth_type AH`, which vrrpd does not speak.
    AuthAh,
    /// More `virtual_ipaddress` entries than an advert's Count field holds.
    TooManyVips {
        /// How many were configured.
        count: usize,
    },
    /// More `unicast_peer` addresses than an instance sends to.
    TooManyUnicastPeers {
        /// How many were configured.
        count: usize,
    },
    /// `use_vmac` on an interface that is itself a macvlan: the virtual MAC's macvlan must
    /// sit on the physical (or bridge, bond, VLAN) interface.
    VmacOnMacvlan {
        /// The interface.
        interface: String,
    },
    /// The core refused the settings.
    Core(ConfigError),
}

impl fmt::Display for PlanErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanErrorKind::NoIpv4Source { interface } => {
                write!(f, "interface {interface} has no IPv4 address to send adverts from")
            }
            PlanErrorKind::NoLinkLocal { interface } => write!(f, "interface {interface} has no IPv6 link-local address"),
            PlanErrorKind::AuthAh => f.write_str("auth_type AH is not supported by vrrpd; use PASS or none"),
            PlanErrorKind::TooManyVips { count } => write!(
                f,
                "{count} addresses in virtual_ipaddress, at most {MAX_VIPS} fit in an advert; move the rest to virtual_ipaddress_excluded"
            ),
            PlanErrorKind::TooManyUnicastPeers { count } => write!(
                f,
                "{count} unicast_peer addresses, at most {} per instance",
                vrrp_core::config::MAX_UNICAST_PEERS
            ),
            PlanErrorKind::VmacOnMacvlan { interface } => write!(
                f,
                "use_vmac on interface {interface}, which is itself a macvlan: expected the physical (or bridge, bond, VLAN) interface it sits on"
            ),
            PlanErrorKind::Core(e) => write!(f, "{e}"),
        }
    }
}

/// `FILE:LINE:COL: error: …`, the form of the parser's diagnostics, so one grep finds all.
impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.location, self.kind)
    }
}

impl std::error::Error for PlanError {}

/// Builds the plan for `inst`.
pub fn plan_instance(global: &GlobalDefs, inst: &VrrpInstance, link: &LinkFacts) -> Result<InstancePlan, PlanError> {
    let refuse = |kind| PlanError { location: inst.location.clone(), kind };
    let interface = || inst.interface.clone();
    let primary = match (inst.mcast_src_ip, inst.family) {
        (Some(ip), _) => ip,
        (None, Family::Ipv4) => {
            link.primary_v4.ok_or_else(|| refuse(PlanErrorKind::NoIpv4Source { interface: interface() }))?
        }
        (None, Family::Ipv6) => {
            link.link_local_v6.ok_or_else(|| refuse(PlanErrorKind::NoLinkLocal { interface: interface() }))?
        }
    };
    let mut core = InstanceConfig::new(link.ifindex, inst.vrid, inst.version, primary);
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
        Some(config::Auth::Ah) => return Err(refuse(PlanErrorKind::AuthAh)),
        Some(config::Auth::Hmac(_)) => Auth::None,
    };
    core.hmac = match &inst.auth {
        Some(config::Auth::Hmac(h)) => Some(hmac_config(h, inst.advert_int_cs)),
        _ => None,
    };
    // No VIP: a VRRPv2 election without addresses, as keepalived runs it (vrrp.c 2901);
    // the core refuses VRRPv3 without one (RFC 9568 §5.2.5), which the reader already has.
    if inst.vips.len() > MAX_VIPS {
        return Err(refuse(PlanErrorKind::TooManyVips { count: inst.vips.len() }));
    }
    for vip in &inst.vips {
        core.vips.push(vip.addr).map_err(|_| PlanError {
            location: vip.location.clone(),
            kind: PlanErrorKind::TooManyVips { count: inst.vips.len() },
        })?;
    }
    // The reader checked the peers (family, count); the core checks the family again.
    for peer in &inst.unicast_peers {
        let core_peer =
            vrrp_core::config::UnicastPeer { address: peer.address, min_ttl: peer.min_ttl, max_ttl: peer.max_ttl };
        core.unicast_peers.push(core_peer).map_err(|_| PlanError {
            location: peer.location.clone(),
            kind: PlanErrorKind::TooManyUnicastPeers { count: inst.unicast_peers.len() },
        })?;
    }
    core.unicast_ttl = inst.unicast_ttl.unwrap_or(vrrp_core::wire::TTL);
    let delay = inst.garp_master_delay_s.or(global.garp_master_delay_s).unwrap_or(DEFAULT_GARP_MASTER_DELAY_S);
    core.announce_delay = (delay > 0).then(|| Duration::from_secs(u64::from(delay)));
    let refresh = global.garp_master_refresh_s.unwrap_or(0);
    core.announce_refresh = (refresh > 0).then(|| Duration::from_secs(u64::from(refresh)));
    core.validate().map_err(|e| refuse(PlanErrorKind::Core(e)))?;
    Ok(InstancePlan {
        name: inst.name.clone(),
        interface: inst.interface.clone(),
        core,
        vips: inst.vips.iter().chain(&inst.vips_excluded).cloned().collect(),
        garp_repeat: inst.garp_master_repeat.or(global.garp_master_repeat).unwrap_or(DEFAULT_GARP_MASTER_REPEAT).max(1),
    })
}

/// The core's `auth_hmac` settings, with keepalived's derived window
/// (`vrrp.c: vrrp_complete_instance`) and the host's HMAC-SHA256.
fn hmac_config(h: &config::AuthHmac, advert_int_cs: u16) -> HmacConfig {
    HmacConfig {
        keys: h.keys.iter().copied().collect(),
        active_key: h.active_key,
        mode: h.mode,
        anti_replay: match h.anti_replay {
            config::HmacAntiReplay::Time(window) => {
                AntiReplay::Time { window_s: window.unwrap_or_else(|| AntiReplay::default_window_s(advert_int_cs)) }
            }
            config::HmacAntiReplay::Monotonic => AntiReplay::Monotonic,
        },
        authenticator: &crate::auth_hmac::SYSTEM,
    }
}

/// `vrrpd -t`'s exit status: 0, the file is clean (keepalived's `KEEPALIVED_CHK_EXIT_OK`).
pub const EXIT_CONFIG_OK: u8 = 0;
/// `vrrpd -t`'s exit status when vrrpd would not run the file (keepalived's
/// `KEEPALIVED_CHK_EXIT_CONFIG`, lib/scheduler.h, for a file it cannot run).
pub const EXIT_CONFIG_REFUSED: u8 = 4;
/// `vrrpd -t`'s exit status when the file runs but keepalived reports configuration errors
/// in it (`KEEPALIVED_CHK_EXIT_CONFIG_TEST`, keepalived/core/main.c `config_test_exit`).
pub const EXIT_CONFIG_ERRORS_BUT_RUNS: u8 = 5;

/// `vrrpd -t`'s exit status when the file runs scripts without `enable_script_security`
/// (keepalived's "SECURITY VIOLATION", `KEEPALIVED_CHK_EXIT_CONFIG_TEST_SECURITY`, which
/// keepalived reports over any other error its file may have).
pub const EXIT_CONFIG_SCRIPT_SECURITY: u8 = 6;

/// The start of keepalived's warning (vrrp.c 261 `check_vrrp_script_security`) that
/// [`crate::script::check_config`] repeats, at the first script, for a file whose scripts
/// run without `enable_script_security`.
const SECURITY_VIOLATION: &str = "SECURITY VIOLATION - scripts are being executed";

fn script_security_violation(warnings: &[config::Diagnostic]) -> bool {
    warnings.iter().any(|w| w.message.starts_with(SECURITY_VIOLATION))
}

/// A file `vrrpd -t` passes: the configuration, and the exit status it gets.
#[derive(Debug, Clone)]
pub struct ConfigTestOk {
    /// The configuration, with its warnings (the scripts' included).
    pub config: config::Config,
    /// How many warnings keepalived reports as configuration errors (it runs such a file,
    /// and its `-t` exits 5).
    pub keepalived_errors: usize,
}

impl ConfigTestOk {
    /// [`EXIT_CONFIG_OK`], [`EXIT_CONFIG_ERRORS_BUT_RUNS`] when keepalived would report
    /// configuration errors, [`EXIT_CONFIG_SCRIPT_SECURITY`] when it would report scripts
    /// running without `enable_script_security`.
    pub fn exit_code(&self) -> u8 {
        if script_security_violation(&self.config.warnings) {
            EXIT_CONFIG_SCRIPT_SECURITY
        } else if self.keepalived_errors == 0 {
            EXIT_CONFIG_OK
        } else {
            EXIT_CONFIG_ERRORS_BUT_RUNS
        }
    }
}

/// Why `vrrpd -t` refuses a file: it does not parse, or an instance cannot be planned.
#[derive(Debug, Clone)]
pub enum ConfigTestError {
    /// Lexing, parsing or the semantic checks failed (every error, with source lines).
    Parse(ConfigErrors),
    /// The file parses, but these instances cannot run.
    Plan(Vec<PlanError>),
    /// The file parses and plans, but these scripts cannot run (missing, not executable,
    /// unknown user, or refused by `enable_script_security`). vrrpd still starts with
    /// such a file, as keepalived does, without those scripts; `-t` fails as keepalived's.
    Scripts(Vec<config::Diagnostic>),
}

impl ConfigTestError {
    /// `vrrpd -t`'s exit status: [`EXIT_CONFIG_REFUSED`] for a file vrrpd will not run,
    /// [`EXIT_CONFIG_ERRORS_BUT_RUNS`] for script errors when nothing else is known
    /// ([`ConfigTestFailed::exit_code`] knows better: keepalived only logs most script
    /// refusals, and exits 0 for them).
    pub fn exit_code(&self) -> u8 {
        match self {
            ConfigTestError::Parse(_) | ConfigTestError::Plan(_) => EXIT_CONFIG_REFUSED,
            ConfigTestError::Scripts(_) => EXIT_CONFIG_ERRORS_BUT_RUNS,
        }
    }

    /// What `vrrpd -t` prints: every error as `FILE:LINE:COL: error: …`.
    pub fn render(&self) -> String {
        match self {
            ConfigTestError::Parse(e) => e.render(),
            ConfigTestError::Plan(errors) => errors.iter().map(|e| format!("{e}\n")).collect(),
            ConfigTestError::Scripts(errors) => errors.iter().map(|e| format!("{e}\n")).collect(),
        }
    }
}

/// Checks a configuration the way `vrrpd -t` does: parse, then every instance through
/// the same planning the daemon uses, with [`LinkFacts::placeholder`] interface facts,
/// then every script through the checks the daemon makes at start
/// ([`crate::script::check_config`]; its warnings join the returned warnings).
pub fn config_test(path: &Path) -> Result<config::Config, ConfigTestError> {
    config_test_with(path, config::ReadOptions::default()).map(|ok| ok.config).map_err(|f| f.error)
}

/// [`config_test`] with the reading options (`--strict`), telling which exit status
/// `vrrpd -t` gives a file that passes.
pub fn config_test_with(path: &Path, options: config::ReadOptions) -> Result<ConfigTestOk, ConfigTestFailed> {
    let loaded = config::load_with(path, options).map_err(|e| ConfigTestFailed {
        error: ConfigTestError::Parse(e),
        warnings: Vec::new(),
        keepalived_errors: 0,
    })?;
    let keepalived_errors = loaded.keepalived_errors;
    let mut cfg = loaded.config;
    let facts = LinkFacts::placeholder();
    let mut errors: Vec<PlanError> =
        cfg.instances.iter().filter_map(|inst| plan_instance(&cfg.global, inst, &facts).err()).collect();
    errors.extend(vmac_conflicts(&cfg));
    if !errors.is_empty() {
        return Err(ConfigTestFailed {
            error: ConfigTestError::Plan(errors),
            warnings: cfg.warnings,
            keepalived_errors,
        });
    }
    let (script_errors, script_warnings): (Vec<_>, Vec<_>) =
        crate::script::check_config(&cfg).into_iter().partition(|d| d.severity == config::Severity::Error);
    cfg.warnings.extend(script_warnings);
    let keepalived_errors = keepalived_errors + user_config_errors(&cfg);
    if !script_errors.is_empty() {
        return Err(ConfigTestFailed {
            error: ConfigTestError::Scripts(script_errors),
            warnings: cfg.warnings,
            keepalived_errors,
        });
    }
    Ok(ConfigTestOk { config: cfg, keepalived_errors })
}

/// `use_vmac` on interfaces that exist now and are macvlans, at the `use_vmac` keyword: `-t`
/// looks interfaces up, as `keepalived -t` does. An interface that does not exist yet is
/// no error (the instance waits for it); if the interfaces cannot be listed (no netlink),
/// the daemon's own check at start still refuses such an instance.
fn vmac_conflicts(cfg: &config::Config) -> Vec<PlanError> {
    let names: Vec<&str> = cfg.instances.iter().filter(|i| i.vmac.is_some()).map(|i| i.interface.as_str()).collect();
    if names.is_empty() {
        return Vec::new();
    }
    let Ok(macvlans) = crate::net::vmac::macvlans_now() else { return Vec::new() };
    cfg.instances
        .iter()
        .filter_map(|i| {
            let vmac = i.vmac.as_ref()?;
            macvlans.contains(&i.interface).then(|| PlanError {
                location: vmac.location.clone(),
                kind: PlanErrorKind::VmacOnMacvlan { interface: i.interface.clone() },
            })
        })
        .collect()
}

/// The script refusals keepalived 2.2.7 counts as configuration errors (`keepalived -t`
/// exits 5 for them): users that do not resolve, reported while the file is read —
/// `script_user` (global_parser.c 1680 "Error setting global script uid/gid"), a
/// vrrp_script's `user` (vrrp_parser.c 1600 "Unable to set uid/gid for script"), and the
/// default `keepalived_script` under `enable_script_security` (lib/notify.c 990 "Unable
/// to set default user"). Every other check of a script — missing, not executable, unsafe
/// path, a notify script's own user (lib/notify.c 1088) — keepalived only logs
/// (`log_message`, lib/notify.c 660-834): its `-t` exits 0 for those, and vrrpd's too,
/// though both run without the script.
fn user_config_errors(cfg: &config::Config) -> usize {
    use crate::script::user::{resolve, UserRules};
    let rules = UserRules::new(&cfg.global);
    let global = usize::from(cfg.global.script_user.is_some() && rules.default_user().is_err());
    let own_users = cfg
        .scripts
        .iter()
        .filter_map(|s| s.cmd.user.as_ref())
        .filter(|u| resolve(&u.user, u.group.as_deref()).is_err())
        .count();
    let uses_default =
        cfg.scripts.iter().map(|s| &s.cmd).chain(cfg.instances.iter().flat_map(notify_cmds)).any(|c| c.user.is_none());
    let default = usize::from(
        cfg.global.script_user.is_none()
            && cfg.global.enable_script_security
            && uses_default
            && rules.default_user().is_err(),
    );
    global + own_users + default
}

fn notify_cmds(inst: &VrrpInstance) -> impl Iterator<Item = &config::ScriptCmd> {
    let n = &inst.notify;
    [&n.master, &n.backup, &n.fault, &n.stop, &n.any, &n.master_rx_lower_pri].into_iter().flatten()
}

/// A file [`config_test_with`] does not pass: why, and the file's warnings, which explain
/// what keepalived's recovery rules did before planning or the script checks refused it
/// (a refused [`ConfigTestError::Parse`] carries its own).
#[derive(Debug, Clone)]
pub struct ConfigTestFailed {
    /// Why.
    pub error: ConfigTestError,
    /// The file's warnings (empty for [`ConfigTestError::Parse`], which holds them).
    pub warnings: Vec<config::Diagnostic>,
    /// For [`ConfigTestError::Scripts`]: how many of the file's problems keepalived reports
    /// as configuration errors ([`ConfigTestOk::keepalived_errors`], and the script users
    /// it cannot resolve).
    pub keepalived_errors: usize,
}

impl ConfigTestFailed {
    /// What `vrrpd -t` prints: every error, then every warning.
    pub fn render(&self) -> String {
        let mut out = self.error.render();
        out.push_str(&config::render_warnings(&self.warnings));
        out
    }

    /// `vrrpd -t`'s exit status: [`ConfigTestError::exit_code`] for a file vrrpd refuses.
    /// Script errors leave a file vrrpd runs (without those scripts, as keepalived does),
    /// so its status is keepalived's for it: [`EXIT_CONFIG_SCRIPT_SECURITY`] when the
    /// scripts run without `enable_script_security` (keepalived reports that over the
    /// rest), [`EXIT_CONFIG_ERRORS_BUT_RUNS`] when keepalived reports configuration
    /// errors, else [`EXIT_CONFIG_OK`]: keepalived only logs a missing or unsafe script
    /// (see `user_config_errors`).
    pub fn exit_code(&self) -> u8 {
        match self.error {
            ConfigTestError::Scripts(_) if script_security_violation(&self.warnings) => EXIT_CONFIG_SCRIPT_SECURITY,
            ConfigTestError::Scripts(_) if self.keepalived_errors > 0 => EXIT_CONFIG_ERRORS_BUT_RUNS,
            ConfigTestError::Scripts(_) => EXIT_CONFIG_OK,
            _ => self.error.exit_code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use vrrp_core::wire::Version;

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

    /// keepalived 2.4 `auth_hmac`: the captured vectors' configs reach the core as written,
    /// the window derived as `vrrp.c: vrrp_complete_instance` does.
    #[test]
    fn auth_hmac_blocks_reach_the_core_with_keepalived_s_derived_window() {
        use vrrp_core::wire::hmac::{AntiReplay, HmacMode};
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hmac");
        let plan = |name: &str| {
            let cfg = config::load(&dir.join(name)).unwrap_or_else(|e| panic!("{}", e.render()));
            plan_instance(&cfg.global, &cfg.instances[0], &LinkFacts::placeholder()).unwrap().core
        };
        let v2 = plan("hmac-v2-ipv4.conf");
        let h = v2.hmac.as_ref().unwrap();
        assert_eq!(v2.auth, Auth::None);
        assert_eq!((h.active_key, h.mode, h.anti_replay), (1, HmacMode::Enforce, AntiReplay::Time { window_s: 5 }));
        let v3 = plan("hmac-v3-ipv4.conf");
        let h = v3.hmac.as_ref().unwrap();
        assert_eq!((h.keys.len(), h.active_key, h.anti_replay), (2, 2, AntiReplay::Monotonic));
        let v6 = plan("hmac-v3-ipv6.conf");
        let h = v6.hmac.as_ref().unwrap();
        assert_eq!((h.mode, h.anti_replay), (HmacMode::Permissive, AntiReplay::Time { window_s: 10 }));
        assert_eq!(h.keys[0].bytes(), b"vrrp-rs test key seven, not a secret!!!!");
    }

    /// keepalived `unicast_peer` / `unicast_ttl` reach the core as written; `unicast_src_ip`
    /// is the advert source, as `mcast_src_ip` is.
    #[test]
    fn unicast_peers_and_ttl_reach_the_core() {
        let text = SEED.replace(
            "advert_int 1",
            "advert_int 1\n    unicast_src_ip 192.0.2.50\n    unicast_ttl 64\n    unicast_peer {\n        192.0.2.51 min_ttl 60 max_ttl 64\n        192.0.2.52\n    }",
        );
        let cfg = config::parse_str("u.conf", &text).unwrap_or_else(|e| panic!("{}", e.render()));
        let core = plan_instance(&cfg.global, &cfg.instances[0], &facts()).unwrap().core;
        use vrrp_core::config::UnicastPeer;
        let a = |last| IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, last));
        assert_eq!(
            core.unicast_peers.as_slice(),
            [UnicastPeer { address: a(51), min_ttl: 60, max_ttl: 64 }, UnicastPeer::new(a(52))]
        );
        assert_eq!((core.unicast_ttl, core.primary_address), (64, a(50)));
        let multicast = plan_instance(&cfg.global, &config::parse_str("s.conf", SEED).unwrap().instances[0], &facts());
        let multicast = multicast.unwrap().core;
        assert!(!multicast.is_unicast());
        assert_eq!(multicast.unicast_ttl, 255);
    }

    #[test]
    fn missing_source_address_is_an_error_naming_the_interface() {
        let cfg = config::parse_str("seed.conf", SEED).unwrap();
        let err =
            plan_instance(&cfg.global, &cfg.instances[0], &LinkFacts { primary_v4: None, ..facts() }).unwrap_err();
        assert!(err.to_string().contains("eth1 has no IPv4 address"), "{err}");
        // The location is data, not text to cut out of the message.
        assert_eq!(err.location, cfg.instances[0].location);
        assert_eq!(err.kind, PlanErrorKind::NoIpv4Source { interface: "eth1".into() });
        assert!(err.to_string().starts_with(&format!("{}: error: ", err.location)), "{err}");
    }

    /// keepalived runs a VRRPv2 instance without VIPs (vrrp.c 2901), and so does vrrpd:
    /// the plan has no address to advertise or add, with a warning at the instance.
    #[test]
    fn an_instance_without_vips_runs_the_election_without_addresses() {
        let text = SEED.replace("    virtual_ipaddress {\n        10.0.0.1/24 dev eth1\n    }\n", "");
        let cfg = config::parse_str("x.conf", &text).unwrap();
        assert!(cfg.instances[0].vips.is_empty());
        let w = cfg.warnings.iter().find(|w| w.message.contains("no virtual IP address")).expect("a warning");
        assert_eq!(w.location, cfg.instances[0].location);
        assert!(w.message.contains("and so does vrrpd"), "{w}");
        let plan = plan_instance(&cfg.global, &cfg.instances[0], &facts()).unwrap();
        assert!(plan.core.vips.is_empty() && plan.vips.is_empty());
        assert_eq!(plan.core.version, Version::V2);
        assert_eq!(plan.core.validate(), Ok(()));
    }

    /// keepalived only logs a script it cannot run (lib/notify.c 660-834) and its `-t`
    /// exits 0 for it; a `vrrp_script` `user` that does not resolve is a configuration error
    /// to it (vrrp_parser.c 1600), 5. `vrrpd -t` prints the refusals and exits as keepalived.
    #[test]
    fn script_refusals_exit_as_keepalived_t_does() {
        let dir = tempfile::tempdir().unwrap();
        let run = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            match config_test_with(&path, config::ReadOptions::default()) {
                Ok(ok) => (ok.exit_code(), false),
                Err(f) => (f.exit_code(), matches!(f.error, ConfigTestError::Scripts(_))),
            }
        };
        let secure = "global_defs {\n    script_user root\n    enable_script_security\n}\n";
        let notify =
            SEED.replace("    advert_int 1\n", "    advert_int 1\n    notify_master /nonexistent/vrrp-rs-notify.sh\n");
        assert_eq!(run("notify.conf", &format!("{secure}{notify}")), (EXIT_CONFIG_OK, true));
        let user = format!(
            "{secure}vrrp_script chk {{\n    script /bin/true\n    user vrrp-rs-no-such-user\n}}\n{}",
            SEED.replace("    advert_int 1\n", "    advert_int 1\n    track_script {\n        chk\n    }\n")
        );
        assert_eq!(run("user.conf", &user), (EXIT_CONFIG_ERRORS_BUT_RUNS, true));
        // Without enable_script_security, keepalived's SECURITY VIOLATION (6) wins.
        assert_eq!(run("insecure.conf", &notify), (EXIT_CONFIG_SCRIPT_SECURITY, true));
    }

    #[test]
    fn mcast_src_ip_overrides_the_interface_address() {
        // BACKUP: keepalived clears nopreempt on a MASTER (vrrp.c 3110), and so does vrrpd.
        let text = SEED
            .replace("state MASTER", "state BACKUP")
            .replace("advert_int 1", "advert_int 1\n    mcast_src_ip 192.0.2.50\n    nopreempt");
        let cfg = config::parse_str("x.conf", &text).unwrap();
        let plan = plan_instance(&cfg.global, &cfg.instances[0], &facts()).unwrap();
        assert_eq!(plan.core.primary_address, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 50)));
        assert!(!plan.core.preempt);
    }
}
