//! One virtual router: the state machine of RFC 9568 §6.4 (RFC 3768 §6.4 for v2), sans-IO.
//!
//! Inputs are `handle_*(now, …)` calls; outputs are [`Action`]s drained with
//! [`Instance::poll_action`] and the single next deadline from [`Instance::poll_timeout`].
//! The caller sends adverts by asking [`Instance::write_advert`] to serialise one.
//!
//! Beyond the RFC, two keepalived behaviours users rely on: the FAULT state (the
//! interface is down, or a tracked item with weight 0 failed, so the router neither
//! advertises nor listens) and `preempt_delay` (a backup tolerates a lower-priority
//! master for a while before preempting it).
//!
//! And one of our own, the make-before-break handover: a master that leaves on purpose
//! (shutdown, [`Instance::handle_handover`], or preempted by a higher priority) keeps its
//! VIPs, answering for them, until it has heard its successor's advert and then
//! [`HANDOVER_LINGER`] more, or until Master_Down_Interval when no successor speaks. The
//! RFC has the leaving master remove them at once (§6.4.3), which leaves the VIPs with
//! nobody for Skew_Time; holding them a little longer costs two hosts answering for
//! them for a few milliseconds, while the successor's gratuitous ARP reaches the clients.

use core::net::IpAddr;

use heapless::Deque;

use crate::config::{ConfigError, InstanceConfig, PRIORITY_OWNER};
use crate::stats::{bump, NewMasterReason, ProtoErrReason, Stats};
use crate::time::{Duration, Instant};
use crate::timers;
use crate::wire::hmac::{self, HmacError, HmacState};
use crate::wire::{self, AdvertHeader, Auth, ChecksumContext, Family, Packet, Variant, Version};

/// Actions an instance can queue before the caller must drain them. One input produces at
/// most four; the slack covers callers that drain after a few inputs.
pub const ACTION_QUEUE: usize = 16;

/// How long a router that handed mastership over keeps its VIPs after it heard its
/// successor's first advert: the successor's gratuitous ARP / unsolicited NA goes out
/// right after that advert, and packets the clients sent before it arrived are still on
/// their way to the old master. Both hosts answer for the VIPs during this time.
pub const HANDOVER_LINGER: Duration = Duration::from_millis(100);

/// Protocol state. User-facing names follow keepalived: INIT, BACKUP, MASTER, FAULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Not running (RFC 9568 "Initialize").
    Initialize,
    /// Listening to a master (RFC 9568 "Backup").
    Backup,
    /// Forwarding for the VIPs and advertising (RFC 9568 "Active", formerly "Master").
    Master,
    /// keepalived's FAULT: the interface is down, or tracking says the router must not serve.
    Fault,
}

impl State {
    /// Every state.
    pub const ALL: [State; 4] = [State::Initialize, State::Backup, State::Master, State::Fault];

    /// The state [`as_str`](Self::as_str) names ("INIT", "BACKUP", "MASTER", "FAULT"), if
    /// `name` is one.
    pub fn from_name(name: &str) -> Option<State> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The name operators know from keepalived.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Initialize => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        }
    }

    /// Whether RFC 9568 §6.4 (plus FAULT) allows going from `self` to `to`.
    pub const fn can_become(self, to: State) -> bool {
        !matches!(
            (self, to),
            (State::Initialize, State::Initialize)
                | (State::Backup, State::Backup)
                | (State::Master, State::Master)
                | (State::Fault, State::Fault)
        )
    }
}

/// Why a state change happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Startup event, not the owner: Initialize → Backup (RFC 9568 §6.4.1).
    Startup,
    /// Startup (or link up) of the address owner, priority 255: straight to Master.
    AddressOwner,
    /// Shutdown event (RFC 9568 §6.4.2, §6.4.3).
    Shutdown,
    /// Master_Down_Timer fired: the master went silent (RFC 9568 §6.4.2).
    MasterNoResponse,
    /// Master_Down_Timer (set to Skew_Time) fired after the master sent priority 0.
    MasterLeft,
    /// Master_Down_Timer fired while we were ignoring a lower-priority master (preempt).
    Preempted,
    /// An advert with higher priority (or equal priority, higher address) arrived (RFC 9568 §6.4.3).
    HigherPriority,
    /// The interface went down: keepalived's FAULT.
    LinkDown,
    /// The interface came back up.
    LinkUp,
    /// A tracked item (keepalived: a script, interface or file with weight 0) failed.
    TrackingFault,
    /// Every tracked item is good again.
    TrackingRecovered,
    /// The operator handed mastership over ([`Instance::handle_handover`]).
    Handover,
    /// Someone else removed one of the VIPs while MASTER ([`Instance::handle_vip_removed`]).
    VipRemoved,
    /// Another member of the instance's sync group changed state and took this one with
    /// it (keepalived vrrp_sync.c `vrrp_sync_master`/`_backup`/`_fault`).
    SyncGroup,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 14] = [
        Reason::Startup,
        Reason::AddressOwner,
        Reason::Shutdown,
        Reason::MasterNoResponse,
        Reason::MasterLeft,
        Reason::Preempted,
        Reason::HigherPriority,
        Reason::LinkDown,
        Reason::LinkUp,
        Reason::TrackingFault,
        Reason::TrackingRecovered,
        Reason::Handover,
        Reason::VipRemoved,
        Reason::SyncGroup,
    ];

    /// A stable snake-case key for machines (metrics labels, JSON).
    pub const fn key(self) -> &'static str {
        match self {
            Reason::Startup => "startup",
            Reason::AddressOwner => "address_owner",
            Reason::Shutdown => "shutdown",
            Reason::MasterNoResponse => "master_no_response",
            Reason::MasterLeft => "master_left",
            Reason::Preempted => "preempted",
            Reason::HigherPriority => "higher_priority",
            Reason::LinkDown => "link_down",
            Reason::LinkUp => "link_up",
            Reason::TrackingFault => "tracking_fault",
            Reason::TrackingRecovered => "tracking_recovered",
            Reason::Handover => "handover",
            Reason::VipRemoved => "vip_removed",
            Reason::SyncGroup => "sync_group",
        }
    }

    /// The reason whose [`key`](Self::key) is `key`.
    pub fn from_key(key: &str) -> Option<Reason> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    /// Position in [`Reason::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    /// Short lower-case text for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Startup => "startup",
            Reason::AddressOwner => "address owner",
            Reason::Shutdown => "shutdown",
            Reason::MasterNoResponse => "master down timer expired",
            Reason::MasterLeft => "master sent priority 0",
            Reason::Preempted => "preempting lower-priority master",
            Reason::HigherPriority => "higher-priority advert received",
            Reason::LinkDown => "interface down",
            Reason::LinkUp => "interface up",
            Reason::TrackingFault => "tracked item failed",
            Reason::TrackingRecovered => "tracked items recovered",
            Reason::Handover => "handed over by the operator",
            Reason::VipRemoved => "a virtual address was removed by someone else",
            Reason::SyncGroup => "sync group",
        }
    }
}

/// What the caller must do, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The state changed.
    StateChanged {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// Send an advert with this priority: serialise it with [`Instance::write_advert`].
    SendAdvert {
        /// Priority to advertise (0 when leaving).
        priority: u8,
    },
    /// Add the virtual addresses to the interface.
    AddVips,
    /// Remove the virtual addresses from the interface.
    RemoveVips,
    /// Announce the VIPs: gratuitous ARP for IPv4, unsolicited Neighbor Advertisement for IPv6.
    Announce,
}

/// Why a received packet was discarded. Each variant is one RFC 9568 §7.1 / RFC 3768 §7.1
/// check and bumps its own counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxError {
    /// TTL / Hop Limit is not 255 (`ip_ttl_errors`).
    Ttl(u8),
    /// Version field unknown or not the configured version (router `version_errors`).
    Version(u8),
    /// Packet length does not match its count (`packet_length_errors`).
    Length,
    /// Bad checksum (router `checksum_errors`).
    Checksum,
    /// VRID or family not configured here (router `vrid_errors`).
    UnknownVrid(u8),
    /// Type is not ADVERTISEMENT (`rcvd_invalid_type_packets`).
    InvalidType(u8),
    /// Count is zero (`address_list_errors`).
    NoAddresses,
    /// Interval is zero (`adv_interval_errors`).
    ZeroInterval,
    /// v2: interval differs from ours, RFC 3768 §7.1 (`adv_interval_errors`).
    IntervalMismatch {
        /// What the packet said, seconds.
        received_s: u8,
    },
    /// v2: auth type unknown (`invalid_auth_type`).
    InvalidAuthType(u8),
    /// v2: auth type differs from ours (`auth_type_mismatch`).
    AuthTypeMismatch {
        /// The packet's Auth Type.
        received: u8,
    },
    /// v2: AH authentication, recognised but unsupported (`auth_type_mismatch`).
    AuthAhUnsupported,
    /// v2: wrong password (`auth_failures`).
    AuthFailure,
    /// v2: address list differs and the sender is not the owner: RFC 3768 §7.1 says drop
    /// (`address_list_errors`).
    AddressListMismatch,
    /// VRRPv2 only: we are the address owner, and RFC 3768 §7.1 discards adverts for our
    /// own VRID. (VRRPv3 follows RFC 9568 erratum 8298 instead: the owner processes the
    /// advert and reports [`Accepted::local_owner`].)
    LocalOwner,
    /// IPv6 advert from a non-link-local source (RFC 9568 §5.1.2.1; `source_address_errors`).
    SourceNotLinkLocal,
    /// IPv6 advert whose first address is not link-local, received by a group whose own
    /// list starts with one (RFC 9568 §5.2.9, erratum 8300; `address_list_errors`).
    FirstAddressNotLinkLocal,
    /// keepalived 2.4 `auth_hmac` rejected the advert (`auth_ext_*`).
    Hmac(HmacError),
    /// A unicast instance heard an advert from an address that is not one of its
    /// `unicast_peer`s (`unicast_source_errors`).
    UnlistedSource,
    /// A unicast instance heard an advert sent to a multicast group (keepalived vrrp.c
    /// `vrrp_check_packet`: "Expected unicast packet but received multicast packet";
    /// `address_list_errors`, as keepalived counts it).
    MulticastToUnicast,
    /// A listed unicast peer's advert with a TTL / hop limit outside that peer's
    /// `min_ttl`..=`max_ttl` (`ip_ttl_errors`).
    TtlOutOfRange {
        /// The TTL / hop limit received.
        ttl: u8,
        /// The peer's `min_ttl`.
        min: u8,
        /// The peer's `max_ttl`.
        max: u8,
    },
}

impl core::fmt::Display for RxError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RxError::Ttl(t) => write!(f, "TTL/hop limit {t}, must be 255"),
            RxError::Version(v) => write!(f, "version {v} not configured"),
            RxError::Length => f.write_str("length does not match address count"),
            RxError::Checksum => f.write_str("bad checksum"),
            RxError::UnknownVrid(v) => write!(f, "VRID {v} not configured on this interface"),
            RxError::InvalidType(t) => write!(f, "invalid packet type {t}"),
            RxError::NoAddresses => f.write_str("address count is zero"),
            RxError::ZeroInterval => f.write_str("advert interval is zero"),
            RxError::IntervalMismatch { received_s } => {
                write!(f, "advert interval {received_s}s differs from ours")
            }
            RxError::InvalidAuthType(t) => write!(f, "invalid auth type {t}"),
            RxError::AuthTypeMismatch { received } => {
                write!(f, "auth type {received} differs from ours")
            }
            RxError::AuthAhUnsupported => f.write_str("AH authentication is not supported"),
            RxError::AuthFailure => f.write_str("authentication failure (wrong auth_pass)"),
            RxError::AddressListMismatch => f.write_str("virtual address list differs from ours"),
            RxError::LocalOwner => f.write_str("we are the address owner"),
            RxError::SourceNotLinkLocal => f.write_str("IPv6 source is not link-local"),
            RxError::FirstAddressNotLinkLocal => f.write_str("first IPv6 address is not link-local"),
            RxError::Hmac(e) => write!(f, "auth_hmac: {e}"),
            RxError::UnlistedSource => f.write_str("sender is not one of this instance's unicast peers"),
            RxError::MulticastToUnicast => f.write_str("multicast advert, but this instance is unicast"),
            RxError::TtlOutOfRange { ttl, min, max } => {
                write!(f, "TTL/hop limit {ttl} outside this unicast peer's range {min}..={max}")
            }
        }
    }
}

/// Why [`Instance::reconfigure`] refused a new configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconfigureError {
    /// The new settings are invalid (or the priority does not fit them).
    Config(ConfigError),
    /// The interface, VRID or family differ: that is another virtual router.
    Identity,
}

impl core::fmt::Display for ReconfigureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ReconfigureError::Config(e) => write!(f, "{e}"),
            ReconfigureError::Identity => f.write_str("the interface, VRID or family changed: another virtual router"),
        }
    }
}

/// A packet that passed every check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The sender's priority.
    pub priority: u8,
    /// v3 only: the address list differs from ours. RFC 9568 §7.1 says log, not drop.
    pub address_list_mismatch: bool,
    /// v3 only: we are the address owner (priority 255) and still heard an advert for our
    /// VRID: another router claims it, a duplicate owner or a misconfiguration. RFC 9568
    /// erratum 8298: log it, and let the election (priority, then address) settle it
    /// rather than have two owners ignore each other as masters.
    pub local_owner: bool,
}

/// The master this router last heard, for status output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MasterInfo {
    /// Its primary address (the advert's source).
    pub address: IpAddr,
    /// Its advertised priority.
    pub priority: u8,
    /// Its advertised interval, centiseconds.
    pub adver_interval_cs: u16,
}

/// One virtual router.
#[derive(Clone, Debug)]
pub struct Instance {
    cfg: InstanceConfig,
    state: State,
    priority: u8,
    link_up: bool,
    /// Tracking holds the router in FAULT ([`Instance::set_tracking_fault`]).
    tracking_fault: bool,
    /// Active_Adver_Interval / Master_Adver_Interval, centiseconds.
    master_adver_interval_cs: u16,
    /// Adver_Timer in Master, Master_Down_Timer in Backup.
    timer: Option<Instant>,
    /// Next delayed or periodic announcement while Master.
    announce_at: Option<Instant>,
    /// Backup with `preempt_delay`: lower-priority adverts are honoured until then.
    preempt_until: Option<Instant>,
    /// Why the Master_Down_Timer will fire, if it does.
    down_reason: Reason,
    /// When a received advert last made us send one out of schedule (`reply_allowed`).
    last_reply: Option<Instant>,
    master: Option<MasterInfo>,
    /// The address of the last master this router knew, itself included; kept through
    /// INIT and FAULT (`master_changes` compares against it).
    last_master: Option<IpAddr>,
    stats: Stats,
    actions: Deque<Action, ACTION_QUEUE>,
    /// `auth_hmac` send sequence and replay marks.
    hmac: HmacState,
    /// The VIPs are on the interface: `AddVips` was asked for, `RemoveVips` not since.
    vips_held: bool,
    /// Make-before-break: no longer master, the VIPs are held until then (set to
    /// [`HANDOVER_LINGER`] after the successor's first advert once it is heard).
    release_at: Option<Instant>,
    /// The handover in progress has heard its successor.
    successor_heard: bool,
    /// After [`Instance::handle_handover`]: do not preempt the successor; cleared when
    /// this router is master again.
    handed_over: bool,
    /// Member of a sync group ([`Instance::set_sync_member`]): its Master_Down_Timer does
    /// not make it master by itself, the group decides.
    sync_member: bool,
    /// The Master_Down_Timer of a sync group member ran out (keepalived's `wantstate`
    /// MASTER): it waits for the group ([`Instance::sync_master`]).
    wants_master: bool,
    /// Another member of the sync group is in FAULT ([`Instance::set_sync_fault`]).
    sync_fault: bool,
}

impl Instance {
    /// A new instance in Initialize. Call [`Instance::handle_startup`] to run it.
    pub fn new(cfg: InstanceConfig) -> Result<Instance, ConfigError> {
        cfg.validate()?;
        Ok(Instance {
            priority: cfg.priority,
            master_adver_interval_cs: cfg.advert_interval_cs,
            cfg,
            state: State::Initialize,
            link_up: true,
            tracking_fault: false,
            timer: None,
            announce_at: None,
            preempt_until: None,
            down_reason: Reason::MasterNoResponse,
            last_reply: None,
            master: None,
            last_master: None,
            stats: Stats::default(),
            actions: Deque::new(),
            hmac: HmacState::default(),
            vips_held: false,
            release_at: None,
            successor_heard: false,
            handed_over: false,
            sync_member: false,
            wants_master: false,
            sync_fault: false,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Effective priority (configured, or as last set by [`Instance::set_priority`]).
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// Master_Adver_Interval in centiseconds (learned from the master in v3 Backup).
    pub fn master_adver_interval_cs(&self) -> u16 {
        self.master_adver_interval_cs
    }

    /// The current master: ourselves when Master, the last one heard when Backup. Right
    /// after `StateChanged { from: Master, to: Backup, reason: HigherPriority }` it is the
    /// router whose advert took mastership from us.
    pub fn master(&self) -> Option<MasterInfo> {
        match self.state {
            State::Master => Some(MasterInfo {
                address: self.cfg.primary_address,
                priority: self.priority,
                adver_interval_cs: self.cfg.advert_interval_cs,
            }),
            State::Backup => self.master,
            State::Initialize | State::Fault => None,
        }
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Sets every counter back to zero (keepalived's STATS_CLEAR); the state is untouched.
    pub fn clear_stats(&mut self) {
        self.stats = Stats::default();
    }

    /// Skew_Time for the current priority and Master_Adver_Interval.
    pub fn skew_time(&self) -> Duration {
        timers::skew_time(self.priority, self.master_adver_interval_cs)
    }

    /// Master_Down_Interval for the current priority and Master_Adver_Interval.
    pub fn master_down_interval(&self) -> Duration {
        timers::master_down_interval(self.priority, self.master_adver_interval_cs)
    }

    /// Whether packets to the VIPs should be accepted now: only as Master, and only when
    /// we own the addresses or Accept_Mode is on (RFC 9568 §6.4.3).
    pub fn accepts_vip_traffic(&self) -> bool {
        self.state == State::Master && (self.cfg.is_owner() || self.cfg.accept_mode)
    }

    /// Updates the primary address (the interface's address changed).
    pub fn set_primary_address(&mut self, addr: IpAddr) -> Result<(), ConfigError> {
        if Family::of(&addr) != self.cfg.family() {
            return Err(ConfigError::PrimaryFamilyMismatch);
        }
        self.cfg.primary_address = addr;
        Ok(())
    }

    /// Whether the VIPs are on the interface by this router's decisions: while Master,
    /// and after leaving MASTER on purpose until the handover is complete (see
    /// [`Instance::releasing`]). A caller stopping the daemon keeps running the protocol
    /// until no instance holds its VIPs.
    pub fn holds_vips(&self) -> bool {
        self.vips_held
    }

    /// When a router that left MASTER on purpose will remove its VIPs, unless it becomes
    /// master again first: [`HANDOVER_LINGER`] after it first heard its successor, or, if
    /// none speaks, Master_Down_Interval after it left. `None` when no handover runs.
    pub fn releasing(&self) -> Option<Instant> {
        self.release_at
    }

    /// The longest a handover may still hold the VIPs from now: a bound on
    /// [`Instance::releasing`]` - now` for a router that left MASTER on purpose. It is the
    /// longer of [`HANDOVER_LINGER`] (after the successor was heard) and
    /// Master_Down_Interval (RFC 9568 §6.1, `3 × Master_Adver_Interval + Skew_Time`, the
    /// hold when no successor speaks) taken at the lowest priority (1, the longest
    /// Skew_Time: the priority may have changed since it left) and the longer of the
    /// configured and the learned advert interval (it may have learned another since).
    pub fn longest_release_hold(&self) -> Duration {
        let interval = self.cfg.advert_interval_cs.max(self.master_adver_interval_cs);
        timers::master_down_interval(1, interval).max(HANDOVER_LINGER)
    }

    /// The one pending deadline: when [`Instance::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let earlier = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        earlier(earlier(self.timer, self.announce_at), self.release_at)
    }

    /// The next action to carry out, oldest first.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// True when [`Instance::poll_action`] has something.
    pub fn has_actions(&self) -> bool {
        !self.actions.is_empty()
    }

    fn push(&mut self, action: Action) {
        if let Action::SendAdvert { priority } = action {
            bump(&mut self.stats.sent_advertisements);
            if priority == 0 {
                bump(&mut self.stats.sent_pri_zero_packets);
            }
        }
        if self.actions.push_back(action).is_err() {
            bump(&mut self.stats.actions_dropped);
        }
    }

    fn change_state(&mut self, to: State, reason: Reason) {
        let from = self.state;
        self.state = to;
        self.wants_master = false;
        self.push(Action::StateChanged { from, to, reason });
    }

    /// Puts the VIPs on the interface, unless they still are (a handover that had not
    /// finished is called off).
    fn hold_vips(&mut self) {
        self.release_at = None;
        self.successor_heard = false;
        if !self.vips_held {
            self.vips_held = true;
            self.push(Action::AddVips);
        }
    }

    /// Removes the VIPs now, if held.
    fn release_vips_now(&mut self) {
        self.release_at = None;
        self.successor_heard = false;
        if self.vips_held {
            self.vips_held = false;
            self.push(Action::RemoveVips);
        }
    }

    /// Leaving MASTER on purpose: keep the VIPs until the successor is heard, or, if no one
    /// speaks, for Master_Down_Interval, the longest a backup that heard our priority-0
    /// advert (or missed it) takes to become master.
    fn release_vips_later(&mut self, now: Instant) {
        if self.vips_held && self.release_at.is_none() {
            // Not our own Master_Down_Interval: a backup of lower priority waits longer (its
            // Skew_Time is longer), and one that heard a stale advert of ours after the
            // goodbye waits all of its own. Holding for the longest any backup may wait
            // (priority 1, the longer interval) keeps the VIPs held by someone throughout.
            self.release_at = Some(now + self.longest_release_hold());
            self.successor_heard = false;
        }
    }

    /// A valid advert from another router with a non-zero priority: it is master, so a
    /// handover in progress ends [`HANDOVER_LINGER`] after the first such advert, even past
    /// the Master_Down_Interval bound (the successor's announcements follow its advert).
    fn hear_successor(&mut self, now: Instant, src: IpAddr, priority: u8) {
        if priority != 0 && src != self.cfg.primary_address && !self.successor_heard {
            self.successor_is_master(now);
        }
    }

    /// The successor is master (heard now): a handover in progress ends after the linger.
    fn successor_is_master(&mut self, now: Instant) {
        if self.release_at.is_some() {
            self.successor_heard = true;
            self.release_at = Some(now + HANDOVER_LINGER);
        }
    }

    /// Startup event (RFC 9568 §6.4.1).
    pub fn handle_startup(&mut self, now: Instant) {
        if self.state != State::Initialize {
            return;
        }
        if !self.link_up {
            self.change_state(State::Fault, Reason::LinkDown);
        } else if self.tracking_fault {
            self.change_state(State::Fault, Reason::TrackingFault);
        } else if self.sync_fault {
            self.change_state(State::Fault, Reason::SyncGroup);
        } else {
            self.enter_running(now, Reason::Startup);
        }
    }

    /// From Initialize or Fault: the owner becomes Master at once, anyone else Backup.
    fn enter_running(&mut self, now: Instant, reason: Reason) {
        if self.cfg.is_owner() {
            let reason = if reason == Reason::Startup { Reason::AddressOwner } else { reason };
            self.become_master(now, reason);
        } else {
            self.become_backup(now, reason);
        }
    }

    /// Shutdown event (RFC 9568 §6.4.2, §6.4.3): a master says goodbye with priority 0.
    /// Make-before-break: it keeps its VIPs until its successor is heard (see
    /// [`Instance::releasing`]); keep calling [`Instance::handle_packet`] and
    /// [`Instance::handle_timeout`] until [`Instance::holds_vips`] is false.
    pub fn handle_shutdown(&mut self, now: Instant) {
        match self.state {
            State::Initialize => return,
            State::Master => {
                self.push(Action::SendAdvert { priority: 0 });
                self.release_vips_later(now);
            }
            State::Backup | State::Fault => {}
        }
        self.handed_over = false;
        self.clear_timers();
        self.change_state(State::Initialize, Reason::Shutdown);
    }

    /// The operator hands mastership over (`vrrpctl handover`): a master says priority 0,
    /// becomes Backup and keeps its VIPs until its successor is heard, as at shutdown.
    /// Until it is master again, it does not preempt the successor, whatever its
    /// priority; if no one takes over, it becomes master again after
    /// Master_Down_Interval like any backup. Anything but a master ignores it, and so does
    /// the address owner (priority 255): the addresses are its own, they cannot move.
    pub fn handle_handover(&mut self, now: Instant) {
        if self.state != State::Master || self.cfg.is_owner() {
            return;
        }
        self.push(Action::SendAdvert { priority: 0 });
        self.release_vips_later(now);
        self.handed_over = true;
        self.become_backup(now, Reason::Handover);
    }

    /// Someone else removed one of this router's VIPs from the host while it is MASTER
    /// (another agent: `ip addr flush`, systemd-networkd reconfiguring the interface).
    /// A master must not go on advertising addresses it no longer answers for, so, as
    /// keepalived does by default (keepalived_netlink.c `set_vrrp_backup`), it leaves
    /// MASTER at once: it says priority 0, removes its other VIPs, becomes BACKUP and sets
    /// its Master_Down_Timer to Skew_Time. A backup that heard the priority 0 waits its own
    /// Skew_Time (RFC 9568 §6.4.2), longer for a lower priority, so unless a better router
    /// takes over this one becomes MASTER again after Skew_Time and puts every VIP back.
    ///
    /// The address owner (priority 255) does not step down: the addresses are its own and
    /// it is master whenever it can be (RFC 9568 §6.4.1); it puts them back at once
    /// ([`Action::AddVips`] again) and announces them.
    ///
    /// Counted in `vips_removed`. Anything but a MASTER ignores it: a backup holds no VIP,
    /// and one still holding them for a handover has a successor already.
    pub fn handle_vip_removed(&mut self, now: Instant) {
        if self.state != State::Master {
            return;
        }
        bump(&mut self.stats.vips_removed);
        if self.cfg.is_owner() {
            self.push(Action::AddVips);
            self.push(Action::Announce);
            return;
        }
        self.push(Action::SendAdvert { priority: 0 });
        self.release_vips_now();
        self.handed_over = false;
        self.change_state(State::Backup, Reason::VipRemoved);
        self.announce_at = None;
        self.preempt_until = None;
        self.down_reason = Reason::MasterLeft;
        self.timer = Some(now + self.skew_time());
    }

    /// The interface went up or down.
    pub fn handle_link(&mut self, now: Instant, up: bool) {
        if self.link_up == up {
            return;
        }
        self.link_up = up;
        // Nothing can be answered on a dead link, nor said on it.
        self.fault_changed(now, !up, false, Reason::LinkDown, Reason::LinkUp);
    }

    /// One of the reasons for FAULT (the link, tracking, the sync group) came (`fault`) or
    /// went, its flag already updated. Coming, the VIPs go at once and a running router
    /// enters FAULT, a master saying priority 0 first if `goodbye`; going, a router in
    /// FAULT runs again once no reason is left.
    fn fault_changed(&mut self, now: Instant, fault: bool, goodbye: bool, entered: Reason, recovered: Reason) {
        if fault && goodbye && self.state == State::Master {
            self.push(Action::SendAdvert { priority: 0 });
        }
        if fault {
            self.release_vips_now();
        }
        match (self.state, fault) {
            (State::Master | State::Backup, true) => {
                self.clear_timers();
                self.change_state(State::Fault, entered);
            }
            (State::Fault, false) if !self.own_fault() && !self.sync_fault => self.enter_running(now, recovered),
            _ => {}
        }
    }

    /// Tracking (keepalived's `track_script`, `track_interface`, `track_file` with weight 0)
    /// says the router must not serve (`true`) or may again (`false`). A master leaving for
    /// FAULT says goodbye with priority 0 first, as keepalived does, so a backup takes over
    /// after Skew_Time instead of Master_Down_Interval. Recovery leaves FAULT only if the
    /// interface is up too; in Initialize the fault is kept for [`Instance::handle_startup`].
    pub fn set_tracking_fault(&mut self, now: Instant, fault: bool) {
        if self.tracking_fault == fault {
            return;
        }
        self.tracking_fault = fault;
        // What the VIPs front is failing: no reason to keep answering for them.
        self.fault_changed(now, fault, true, Reason::TrackingFault, Reason::TrackingRecovered);
    }

    /// Makes this instance a member of a sync group (`true`) or not. A member whose
    /// Master_Down_Timer runs out stays BACKUP and [`wants_master`](Self::wants_master)
    /// until the group lets it go ([`Instance::sync_master`]), restarting the timer as
    /// keepalived does (vrrp_sync.c:131 `vrrp_sync_can_goto_master`).
    pub fn set_sync_member(&mut self, member: bool) {
        self.sync_member = member;
        if !member {
            self.wants_master = false;
        }
    }

    /// Whether this instance is a sync group member.
    pub fn sync_member(&self) -> bool {
        self.sync_member
    }

    /// A sync group member in BACKUP whose Master_Down_Timer ran out: it would be master
    /// but waits for the rest of its group. Cleared by an advert it follows (keepalived
    /// vrrp.c:1978 sets `wantstate` back to BACKUP) and by any state change.
    pub fn wants_master(&self) -> bool {
        self.wants_master
    }

    /// The instance's own reasons for FAULT: its interface is down or tracking says so
    /// (keepalived's `num_script_if_fault`), not its group's.
    pub fn own_fault(&self) -> bool {
        !self.link_up || self.tracking_fault
    }

    /// Another member of the sync group is in FAULT (`true`) or none is any longer
    /// (`false`): keepalived vrrp_sync.c:212 `vrrp_sync_fault` takes every member to FAULT,
    /// a master saying priority 0 first (vrrp.c:1800 `vrrp_state_leave_master` with
    /// wantstate FAULT); when the last member recovers they all go BACKUP together
    /// (vrrp_scheduler.c:715 `try_up_instance`, then `vrrp_sync_backup`).
    pub fn set_sync_fault(&mut self, now: Instant, fault: bool) {
        if self.sync_fault == fault {
            return;
        }
        self.sync_fault = fault;
        self.fault_changed(now, fault, true, Reason::SyncGroup, Reason::SyncGroup);
    }

    /// The sync group goes MASTER (keepalived vrrp_sync.c:174 `vrrp_sync_master`): a BACKUP
    /// member becomes master now, with its own timer's reason if it was waiting for the
    /// group, [`Reason::SyncGroup`] otherwise.
    pub fn sync_master(&mut self, now: Instant) {
        if self.state == State::Backup {
            let reason = if self.wants_master { self.down_reason } else { Reason::SyncGroup };
            self.become_master(now, reason);
        }
    }

    /// The sync group leaves MASTER because another member did (keepalived vrrp_sync.c:141
    /// `vrrp_sync_backup`, `vrrp_state_leave_master` without a priority-0 advert): a master
    /// becomes BACKUP, keeping its VIPs until its successor is heard as any preempted
    /// master does. The address owner stays: the addresses are its own.
    pub fn sync_backup(&mut self, now: Instant) {
        if self.state == State::Master && !self.cfg.is_owner() {
            self.become_backup(now, Reason::SyncGroup);
        }
    }

    /// Whether tracking holds the router in FAULT.
    pub fn tracking_fault(&self) -> bool {
        self.tracking_fault
    }

    /// Changes the effective priority (tracking). The owner's priority is fixed at 255;
    /// no one else may take 255, and 0 is reserved.
    pub fn set_priority(&mut self, now: Instant, priority: u8) -> Result<(), ConfigError> {
        if priority == 0 {
            return Err(ConfigError::PriorityZero);
        }
        if (priority == PRIORITY_OWNER) != self.cfg.is_owner() {
            return Err(ConfigError::PriorityOwnerOnly);
        }
        if priority == self.priority {
            return Ok(());
        }
        self.priority = priority;
        if self.state == State::Master {
            // Tell the backups now, so a higher one can preempt without waiting an interval.
            self.send_advert_now(now);
        }
        Ok(())
    }

    /// Applies a new configuration to a running instance (a configuration reload), keeping
    /// its state, timers, counters and VIPs: an unchanged router goes on as if nothing
    /// happened, and a changed one goes on from where it is with the new settings.
    ///
    /// `priority` is the effective priority to serve with (the configured one, or what
    /// tracking makes of it), checked as [`Instance::set_priority`] checks it. The
    /// instance's identity (interface, VRID, family) cannot change: that is another
    /// virtual router ([`ReconfigureError::Identity`]). A master advertises the new
    /// settings at once (RFC 9568 §6.4.3: backups learn the priority and interval from
    /// adverts), and announces its addresses again when their list changed; a backup that
    /// is now the address owner takes over as the owner does at startup (§6.4.2).
    pub fn reconfigure(&mut self, now: Instant, cfg: InstanceConfig, priority: u8) -> Result<(), ReconfigureError> {
        cfg.validate().map_err(ReconfigureError::Config)?;
        if cfg.identity() != self.cfg.identity() {
            return Err(ReconfigureError::Identity);
        }
        if priority == 0 {
            return Err(ReconfigureError::Config(ConfigError::PriorityZero));
        }
        if (priority == PRIORITY_OWNER) != cfg.is_owner() {
            return Err(ReconfigureError::Config(ConfigError::PriorityOwnerOnly));
        }
        let vips_changed = cfg.vips != self.cfg.vips;
        if cfg.hmac != self.cfg.hmac {
            self.hmac = HmacState::default();
        }
        let changed = cfg != self.cfg || priority != self.priority;
        self.cfg = cfg;
        self.priority = priority;
        if !changed {
            return Ok(());
        }
        match self.state {
            State::Master => {
                self.send_advert_now(now);
                if vips_changed {
                    self.push(Action::Announce);
                }
            }
            State::Backup if self.cfg.is_owner() => self.become_master(now, Reason::AddressOwner),
            State::Backup => {
                if self.cfg.version == Version::V2 || self.master.is_none() {
                    self.master_adver_interval_cs = self.cfg.advert_interval_cs;
                }
            }
            State::Initialize | State::Fault => {}
        }
        Ok(())
    }

    fn clear_timers(&mut self) {
        self.timer = None;
        self.announce_at = None;
        self.preempt_until = None;
    }

    fn become_master(&mut self, now: Instant, reason: Reason) {
        self.handed_over = false;
        self.change_state(State::Master, reason);
        bump(&mut self.stats.master_transitions);
        self.stats.new_master_reason = match reason {
            Reason::AddressOwner | Reason::LinkUp | Reason::TrackingRecovered => NewMasterReason::Priority,
            Reason::Preempted => NewMasterReason::Preempted,
            _ => NewMasterReason::MasterNoResponse,
        };
        self.preempt_until = None;
        self.master = None;
        self.note_master(self.cfg.primary_address);
        self.hold_vips();
        self.push(Action::SendAdvert { priority: self.priority });
        self.push(Action::Announce);
        self.timer = Some(now + self.advert_interval());
        self.announce_at = self.cfg.announce_delay.filter(|d| *d > Duration::ZERO).map(|d| now + d);
    }

    fn become_backup(&mut self, now: Instant, reason: Reason) {
        let was_master = self.state == State::Master;
        self.change_state(State::Backup, reason);
        if was_master {
            // Preempted by a higher priority (its advert is what we just heard) or handed
            // over: make before break.
            self.release_vips_later(now);
            if reason == Reason::HigherPriority {
                self.successor_is_master(now);
            }
        }
        self.announce_at = None;
        self.preempt_until = None;
        if !was_master {
            self.master_adver_interval_cs = self.cfg.advert_interval_cs;
        }
        self.down_reason = Reason::MasterNoResponse;
        self.timer = Some(now + self.master_down_interval());
    }

    fn advert_interval(&self) -> Duration {
        Duration::from_centis(u64::from(self.cfg.advert_interval_cs))
    }

    fn send_advert_now(&mut self, now: Instant) {
        self.push(Action::SendAdvert { priority: self.priority });
        self.timer = Some(now + self.advert_interval());
    }

    /// Timer expiry. Fires whichever of this instance's timers are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        // The protocol timer first: a backup that becomes master now keeps the VIPs it
        // was about to release instead of removing and adding them.
        if due(self.timer) {
            match self.state {
                State::Backup if self.sync_member => {
                    // keepalived vrrp_sync.c:131: wait for the group, timer restarted.
                    self.wants_master = true;
                    self.timer = Some(now + self.master_down_interval());
                }
                State::Backup => {
                    let reason = self.down_reason;
                    self.become_master(now, reason);
                }
                State::Master => {
                    // Anchor to the previous deadline so adverts do not drift by the
                    // caller's wake-up latency; never schedule in the past.
                    let interval = self.advert_interval();
                    let next = self.timer.map_or(now, |t| t + interval);
                    self.push(Action::SendAdvert { priority: self.priority });
                    self.timer = Some(if next > now { next } else { now + interval });
                }
                State::Initialize | State::Fault => self.timer = None,
            }
        }
        if self.state == State::Master && due(self.announce_at) {
            self.push(Action::Announce);
            self.announce_at = self.cfg.announce_refresh.filter(|d| *d > Duration::ZERO).map(|d| now + d);
        }
        if due(self.release_at) {
            self.release_vips_now();
        }
    }

    /// A packet arrived for this virtual router: runs every receive check of RFC 9568
    /// §7.1 (RFC 3768 §7.1 for v2), counts failures, and on success feeds the state machine.
    ///
    /// `src` and `dst` are the IP addresses of the packet, `ttl` its TTL / Hop Limit.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        src: IpAddr,
        dst: IpAddr,
        ttl: u8,
        bytes: &[u8],
    ) -> Result<Accepted, RxError> {
        let header = self.validate(src, dst, ttl, bytes)?;
        let mismatch = !self.same_addresses(&Packet::new_unchecked(bytes));
        if mismatch {
            bump(&mut self.stats.address_list_errors);
            if self.cfg.version == Version::V2 && header.priority != PRIORITY_OWNER {
                return Err(RxError::AddressListMismatch);
            }
        }
        // Whatever the state, once every check passed (authentication included): a router
        // handing over listens for its successor. (A VRRPv2 owner discards every advert,
        // RFC 3768 §7.1, so it releases after Master_Down_Interval.)
        if self.release_at.is_some() {
            self.hear_successor(now, src, header.priority);
        }
        bump(&mut self.stats.rcvd_advertisements);
        self.handle_advert(now, src, &header);
        Ok(Accepted { priority: header.priority, address_list_mismatch: mismatch, local_owner: self.cfg.is_owner() })
    }

    /// The packet lists exactly our virtual addresses, in any order (RFC 9568 §7.1).
    fn same_addresses<T: AsRef<[u8]>>(&self, packet: &Packet<T>) -> bool {
        wire::same_address_set(packet.addresses(self.cfg.family()), usize::from(packet.count()), &self.cfg.vips)
    }

    fn validate(&mut self, src: IpAddr, dst: IpAddr, ttl: u8, bytes: &[u8]) -> Result<AdvertHeader, RxError> {
        if self.cfg.is_unicast() {
            self.check_unicast(src, dst, ttl)?;
        } else if ttl != wire::TTL {
            bump(&mut self.stats.ip_ttl_errors);
            self.stats.proto_err_reason = ProtoErrReason::IpTtlError;
            return Err(RxError::Ttl(ttl));
        }
        let packet = Packet::new_unchecked(bytes);
        let version = packet.version_field();
        if version != self.cfg.version.number() {
            self.stats.proto_err_reason = ProtoErrReason::VersionError;
            return Err(RxError::Version(version));
        }
        if Family::of(&src) != self.cfg.family() || (bytes.len() >= 2 && packet.vrid() != self.cfg.vrid) {
            self.stats.proto_err_reason = ProtoErrReason::VrIdError;
            return Err(RxError::UnknownVrid(packet.vrid()));
        }
        let (message, trailer) = match self.cfg.hmac {
            Some(_) => hmac::split_trailer(bytes, self.cfg.family()),
            None => (bytes, None),
        };
        // IPv6 sums the trailer into the checksum too (see `wire::hmac`).
        let checksummed = if trailer.is_some() && self.cfg.family() == Family::Ipv6 { bytes } else { message };
        let header =
            AdvertHeader::parse_covering(&Packet::new_unchecked(message), &ChecksumContext { src, dst }, checksummed)
                .map_err(|e| self.count_parse_error(e))?;
        self.verify_hmac(src, message, trailer)?;
        if self.cfg.is_owner() && self.cfg.version == Version::V2 {
            return Err(RxError::LocalOwner);
        }
        if let IpAddr::V6(v6) = src {
            // §5.1.2.1 for the group; a unicast instance takes any listed peer address, as
            // keepalived does (its peers may be global addresses, vrrp.c 2972).
            if !v6.is_unicast_link_local() && !self.cfg.is_unicast() {
                bump(&mut self.stats.source_address_errors);
                return Err(RxError::SourceNotLinkLocal);
            }
            if self.cfg.requires_link_local_first() && !first_is_link_local(&packet) {
                bump(&mut self.stats.address_list_errors);
                return Err(RxError::FirstAddressNotLinkLocal);
            }
        }
        if let Variant::V2 { adver_int_s, auth } = header.variant {
            self.check_v2_auth(&auth)?;
            if u16::from(adver_int_s) * 100 != self.cfg.advert_interval_cs {
                bump(&mut self.stats.adv_interval_errors);
                return Err(RxError::IntervalMismatch { received_s: adver_int_s });
            }
        }
        Ok(header)
    }

    /// keepalived's unicast rules (vrrp.c `vrrp_check_packet`, 2.2.7 lines 848-1150): no
    /// TTL 255 check; an advert to a multicast group is refused ("Expected unicast packet
    /// but received multicast packet", counted as an address list error); the sender must
    /// be a listed peer, and its TTL within that peer's `min_ttl`..=`max_ttl`. keepalived
    /// checks the sender only with `check_unicast_src` (or a peer's min/max_ttl); vrrpd
    /// always does: an unlisted sender is dropped and counted (`unicast_source_errors`).
    fn check_unicast(&mut self, src: IpAddr, dst: IpAddr, ttl: u8) -> Result<(), RxError> {
        if dst.is_multicast() {
            bump(&mut self.stats.address_list_errors);
            return Err(RxError::MulticastToUnicast);
        }
        let Some(peer) = self.cfg.unicast_peers.iter().find(|p| p.address == src) else {
            bump(&mut self.stats.unicast_source_errors);
            return Err(RxError::UnlistedSource);
        };
        if ttl < peer.min_ttl || ttl > peer.max_ttl {
            let (min, max) = (peer.min_ttl, peer.max_ttl);
            bump(&mut self.stats.ip_ttl_errors);
            self.stats.proto_err_reason = ProtoErrReason::IpTtlError;
            return Err(RxError::TtlOutOfRange { ttl, min, max });
        }
        Ok(())
    }

    fn count_parse_error(&mut self, e: wire::Error) -> RxError {
        match e {
            wire::Error::Truncated | wire::Error::TrailingBytes | wire::Error::BufferTooSmall => {
                bump(&mut self.stats.packet_length_errors);
                RxError::Length
            }
            wire::Error::UnknownVersion(v) => {
                self.stats.proto_err_reason = ProtoErrReason::VersionError;
                RxError::Version(v)
            }
            wire::Error::Unrepresentable => {
                self.stats.proto_err_reason = ProtoErrReason::VersionError;
                RxError::Version(2)
            }
            wire::Error::Checksum => {
                self.stats.proto_err_reason = ProtoErrReason::ChecksumError;
                RxError::Checksum
            }
            wire::Error::UnknownType(t) => {
                bump(&mut self.stats.rcvd_invalid_type_packets);
                RxError::InvalidType(t)
            }
            wire::Error::NoAddresses => {
                bump(&mut self.stats.address_list_errors);
                RxError::NoAddresses
            }
            wire::Error::ZeroInterval => {
                bump(&mut self.stats.adv_interval_errors);
                RxError::ZeroInterval
            }
            wire::Error::UnknownAuthType(t) => {
                bump(&mut self.stats.invalid_auth_type);
                RxError::InvalidAuthType(t)
            }
        }
    }

    /// keepalived 2.4 `auth_hmac` (`vrrp.c: vrrp_auth_ext_verify`): before any field of the
    /// advert reaches the state machine. Multicast: replay marks per source address.
    fn verify_hmac(&mut self, src: IpAddr, message: &[u8], trailer: Option<&[u8]>) -> Result<(), RxError> {
        let Some(cfg) = &self.cfg.hmac else {
            return Ok(());
        };
        let result = self.hmac.verify(cfg, self.cfg.version, self.cfg.vrid, src, message, trailer, None);
        result.map_err(|e| {
            bump(match e {
                HmacError::Missing => &mut self.stats.auth_ext_missing,
                HmacError::Malformed => &mut self.stats.auth_ext_malformed,
                HmacError::UnknownKey(_) => &mut self.stats.auth_ext_unknown_key,
                HmacError::BadTag => &mut self.stats.auth_ext_invalid_hmac,
                HmacError::Stale { .. } => &mut self.stats.auth_ext_stale,
                HmacError::Replay => &mut self.stats.auth_ext_replay,
            });
            RxError::Hmac(e)
        })
    }

    /// RFC 3768 §7.1: the auth type must match ours, then the authentication must pass.
    fn check_v2_auth(&mut self, got: &Auth) -> Result<(), RxError> {
        match (got, &self.cfg.auth) {
            (Auth::IpAh, _) => {
                bump(&mut self.stats.auth_type_mismatch);
                Err(RxError::AuthAhUnsupported)
            }
            (Auth::None, Auth::None) => Ok(()),
            (Auth::SimpleText(a), Auth::SimpleText(b)) if a == b => Ok(()),
            (Auth::SimpleText(_), Auth::SimpleText(_)) => {
                bump(&mut self.stats.auth_failures);
                Err(RxError::AuthFailure)
            }
            (got, _) => {
                bump(&mut self.stats.auth_type_mismatch);
                Err(RxError::AuthTypeMismatch { received: got.type_number() })
            }
        }
    }

    /// The state machine's reaction to a valid advert (RFC 9568 §6.4.2, §6.4.3).
    fn handle_advert(&mut self, now: Instant, src: IpAddr, adv: &AdvertHeader) {
        if adv.priority == 0 {
            bump(&mut self.stats.rcvd_pri_zero_packets);
        }
        match self.state {
            State::Backup => self.backup_receives(now, src, adv),
            State::Master => self.master_receives(now, src, adv),
            State::Initialize | State::Fault => {}
        }
    }

    /// Follows the sender of `adv` as the master: its interval (v3), address and priority.
    fn learn_master(&mut self, src: IpAddr, adv: &AdvertHeader) {
        if self.cfg.version == Version::V3 {
            self.master_adver_interval_cs = adv.interval_cs();
        }
        self.master = Some(MasterInfo { address: src, priority: adv.priority, adver_interval_cs: adv.interval_cs() });
        self.note_master(src);
    }

    /// `addr` is now the master (ours when we became it): counts `master_changes` if it
    /// is not the one known before. The first master known is not a change.
    fn note_master(&mut self, addr: IpAddr) {
        if self.last_master.is_some_and(|last| last != addr) {
            bump(&mut self.stats.master_changes);
        }
        self.last_master = Some(addr);
    }

    fn backup_receives(&mut self, now: Instant, src: IpAddr, adv: &AdvertHeader) {
        if adv.priority == 0 {
            // The master is leaving: take over after Skew_Time only.
            self.down_reason = Reason::MasterLeft;
            self.timer = Some(now + self.skew_time());
            return;
        }
        let lower = adv.priority < self.priority;
        // The owner preempts whatever Preempt_Mode says (RFC 9568 §6.1). It is only ever
        // Backup after losing an election to another owner (erratum 8298).
        // After a handover, the successor is not preempted (the operator moved the VIPs).
        let preempt = (self.cfg.preempt || self.cfg.is_owner()) && !self.handed_over;
        let tolerate = lower && preempt && self.tolerate_lower_master(now);
        if !preempt || !lower || tolerate {
            if !lower {
                self.preempt_until = None;
            }
            self.learn_master(src, adv);
            self.down_reason = Reason::MasterNoResponse;
            self.timer = Some(now + self.master_down_interval());
            // keepalived vrrp.c:1978: following a master again, no longer wanting MASTER.
            self.wants_master = false;
        } else {
            // Preempt: discard, let Master_Down_Timer run out.
            self.down_reason = Reason::Preempted;
        }
    }

    /// keepalived's `preempt_delay`: the first lower-priority advert starts the delay;
    /// until it ends such a master is honoured like a higher one.
    fn tolerate_lower_master(&mut self, now: Instant) -> bool {
        if self.cfg.preempt_delay == Duration::ZERO {
            return false;
        }
        let until = *self.preempt_until.get_or_insert(now + self.cfg.preempt_delay);
        now < until
    }

    fn master_receives(&mut self, now: Instant, src: IpAddr, adv: &AdvertHeader) {
        if adv.priority == 0 {
            // Another router left: re-assert at once (RFC 9568 §6.4.3), within the budget.
            if self.reply_allowed(now) {
                self.send_advert_now(now);
            }
            return;
        }
        let higher = adv.priority > self.priority
            || (adv.priority == self.priority && address_rank(&src) > address_rank(&self.cfg.primary_address));
        if higher {
            // Learned before the state change, so the caller draining that
            // `StateChanged` finds who took over in `master()`.
            self.learn_master(src, adv);
            self.become_backup(now, Reason::HigherPriority);
        } else if src != self.cfg.primary_address {
            // A lower-priority router thinks it is master: tell it otherwise now rather
            // than after up to one interval (RFC 9568 §6.4.3). It has probably announced
            // the VIPs too (a spurious takeover after lost adverts), pointing the clients'
            // ARP / neighbour caches at itself; announce them again so the clients come
            // back at once instead of after their cache entries go stale.
            if self.reply_allowed(now) {
                self.send_advert_now(now);
                self.push(Action::Announce);
            }
        }
    }

    /// The budget for sending out of schedule because of a received advert (the replies
    /// of RFC 9568 §6.4.3 to a lower priority, with its re-announcement, and to priority
    /// 0): one per advert interval, shared by both. Anyone on the LAN can send adverts
    /// (the v2 password is plain text), and unbounded each would be an amplifier: one
    /// spoofed packet, one advert and `garp_master_repeat` broadcasts. The first reply
    /// goes out at once and resets the Adver_Timer as the RFC says; what arrives in the
    /// interval after it is only counted (`suppressed_replies`), and leaves the timer
    /// alone, so the regular adverts keep going out on their schedule whatever the rate.
    fn reply_allowed(&mut self, now: Instant) -> bool {
        if self.last_reply.is_some_and(|at| now < at + self.advert_interval()) {
            bump(&mut self.stats.suppressed_replies);
            return false;
        }
        self.last_reply = Some(now);
        true
    }

    /// Serialises an advert with `priority` into `buf`, returning its length. The source
    /// is the configured primary address, the destination the VRRP group. With `auth_hmac`
    /// in a signing mode the trailer follows ([`wire::hmac::TRAILER_LEN`] more octets).
    pub fn write_advert(&self, priority: u8, buf: &mut [u8]) -> Result<usize, wire::Error> {
        let variant = match self.cfg.version {
            Version::V2 => Variant::V2 {
                adver_int_s: u8::try_from(self.cfg.advert_interval_cs / 100)
                    .map_err(|_| wire::Error::Unrepresentable)?,
                auth: self.cfg.auth,
            },
            Version::V3 => Variant::V3 { max_adver_int_cs: self.cfg.advert_interval_cs },
        };
        let header = AdvertHeader { vrid: self.cfg.vrid, priority, variant };
        let ctx = ChecksumContext { src: self.cfg.primary_address, dst: self.cfg.family().group() };
        let len = header.emit(self.cfg.vips.iter().copied(), buf, &ctx, self.cfg.checksum_form)?;
        match &self.cfg.hmac {
            // keepalived 2.4 `auth_hmac`: one sequence per advert (`vrrp_auth_hmac_sign`).
            Some(h) if h.mode.signs() => {
                let seq = self.hmac.next_sequence(h.anti_replay, h.authenticator.wall_clock());
                hmac::sign(h, self.cfg.version, &ctx, buf, len, seq)
            }
            _ => Ok(len),
        }
    }
}

/// The advert's first address is an IPv6 link-local one (RFC 9568 §5.2.9).
fn first_is_link_local<T: AsRef<[u8]>>(packet: &Packet<T>) -> bool {
    matches!(packet.addresses(Family::Ipv6).next(), Some(IpAddr::V6(a)) if a.is_unicast_link_local())
}

/// Addresses compared "as unsigned integers" (RFC 9568 §6.4.3).
fn address_rank(addr: &IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(*a)),
        IpAddr::V6(a) => u128::from(*a),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unicast_tests;
