//! What one simulation run is: the routers, their configuration, and timed faults.
//!
//! A [`Schedule`] is plain data so that proptest can generate and shrink it, and so that
//! a failing one can be pasted into a `#[test]` as a literal. Router indexes in faults
//! are taken modulo the router count ([`Schedule::normalized`]): shrinking the router
//! count then never makes a fault refer to a router that does not exist.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::instance::HANDOVER_LINGER;
use vrrp_core::time::Duration;
use vrrp_core::timers;
use vrrp_core::wire::Version;

/// The most routers on one LAN. Eight is plenty to exercise ties, partitions with
/// several routers per side and simultaneous timeouts, and keeps runs fast.
pub const MAX_ROUTERS: usize = 8;
/// The most virtual routers per LAN: two are enough to see that instances of different
/// VRIDs do not disturb each other.
pub const MAX_VRIDS: usize = 2;
/// The VRID of virtual router index 0 (index 1 is `FIRST_VRID + 1`).
pub const FIRST_VRID: u8 = 51;
/// The largest link delay and the largest jitter, in microseconds: the brief's "up to
/// 1 ms", which is already 10 % of the shortest (10 ms) advert interval.
pub const MAX_DELAY_US: u32 = 1_000;

/// Quality of a directed link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Quality {
    /// Fixed one-way delay, µs (≤ [`MAX_DELAY_US`]).
    pub delay_us: u32,
    /// Extra delay drawn uniformly from `0..=jitter_us` per packet (≤ [`MAX_DELAY_US`]).
    /// Jitter alone reorders packets only when it exceeds the gap between them.
    pub jitter_us: u32,
    /// Probability in ‰ that a packet is lost.
    pub loss_permille: u16,
    /// Probability in ‰ that a packet is held back by up to two advert intervals, so it
    /// arrives after later ones: a stale advert, which is what reordering means to VRRP.
    pub reorder_permille: u16,
}

impl Quality {
    /// A link with only delay and jitter.
    pub const fn latency(delay_us: u32, jitter_us: u32) -> Quality {
        Quality { delay_us, jitter_us, loss_permille: 0, reorder_permille: 0 }
    }

    /// The same quality with values clamped to their documented ranges.
    pub fn clamped(self) -> Quality {
        Quality {
            delay_us: self.delay_us.min(MAX_DELAY_US),
            jitter_us: self.jitter_us.min(MAX_DELAY_US),
            loss_permille: self.loss_permille.min(1000),
            reorder_permille: self.reorder_permille.min(1000),
        }
    }

    /// True when the link loses or reorders nothing: delay and jitter are normal
    /// conditions, loss and stale packets are faults.
    pub fn is_clean(&self) -> bool {
        self.loss_permille == 0 && self.reorder_permille == 0
    }

    /// The longest a packet can take when it is not held back for reordering.
    pub fn max_latency_us(&self) -> u64 {
        u64::from(self.delay_us) + u64::from(self.jitter_us)
    }
}

/// A fault (or repair) injected at a point in virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Set the quality of the link between two routers (both directions), or of every
    /// link when `pair` is `None`.
    Link {
        /// The two routers, or every link.
        pair: Option<(u8, u8)>,
        /// The new quality.
        quality: Quality,
    },
    /// Split the LAN: `sides[i]` is router i's side; routers on different sides cannot
    /// hear each other. Routers past the router count are ignored.
    Partition {
        /// Side label per router.
        sides: Vec<u8>,
    },
    /// Undo every partition and put every link back to the schedule's base quality.
    Heal,
    /// The router dies: no goodbye advert, its instances are dropped.
    Crash(u8),
    /// A crashed router boots with fresh instances; a shut-down one starts its existing
    /// instances again (like a daemon reload). No effect on a running router.
    Restart(u8),
    /// Graceful stop (`handle_shutdown`): a master sends its priority-0 advert.
    Shutdown(u8),
    /// Priority change (tracking), `set_priority`. Kept across restarts, as a tracking
    /// script would re-apply it.
    SetPriority {
        /// Router.
        router: u8,
        /// Virtual router index (0 or 1).
        vrid: u8,
        /// New priority, 1..=254 (the owner's 255 cannot be changed).
        priority: u8,
    },
    /// The operator hands mastership over (`vrrpctl handover`, `handle_handover`): a
    /// master of that virtual router says priority 0, becomes backup, keeps its VIPs
    /// until its successor is heard, and does not preempt it until it is master again.
    /// Nothing on a router that is not master there, or owns the addresses.
    Handover {
        /// Router.
        router: u8,
        /// Virtual router index (0 or 1).
        vrid: u8,
    },
    /// The router's interface goes down (`handle_link(false)`): keepalived's FAULT.
    LinkDown(u8),
    /// The router's interface comes back up.
    LinkUp(u8),
}

/// One simulation run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Schedule {
    /// Number of routers, 2..=8.
    pub routers: u8,
    /// Number of virtual routers (VRIDs 51, 52), 1..=2.
    pub vrids: u8,
    /// Priority of router i for VRID 51 is `priorities[i]`; for VRID 52 the list is read
    /// backwards so another router is master there. 255 marks the address owner.
    pub priorities: Vec<u8>,
    /// Preempt_Mode of every instance.
    pub preempt: bool,
    /// Protocol version.
    pub version: Version,
    /// IPv6 (v3 only): primary addresses fe80::(10+i), VIPs 2001:db8::(1+vrid index).
    pub ipv6: bool,
    /// Advert interval in centiseconds (v2: a multiple of 100).
    pub interval_cs: u16,
    /// Quality of every link at the start, and after [`Fault::Heal`].
    pub base: Quality,
    /// Turn on keepalived's delayed and periodic re-announcement, to exercise the
    /// instance's second timer.
    pub announce: bool,
    /// Faults, by time in µs; applied in time order, ties in list order.
    pub faults: Vec<(u64, Fault)>,
    /// How long to keep running after the last fault, in advert intervals.
    pub tail_intervals: u32,
    /// Seeds the PRNG that draws delays, jitter and losses.
    pub seed: u64,
}

impl Schedule {
    /// A quiet LAN: `priorities.len()` routers, v3, 1 s adverts, preempt on, 100 µs links,
    /// no faults. Tests and reports start from here.
    pub fn basic(priorities: &[u8]) -> Schedule {
        Schedule {
            routers: u8::try_from(priorities.len()).unwrap_or(u8::MAX),
            vrids: 1,
            priorities: priorities.to_vec(),
            preempt: true,
            version: Version::V3,
            ipv6: false,
            interval_cs: 100,
            base: Quality::latency(100, 0),
            announce: false,
            faults: Vec::new(),
            tail_intervals: 20,
            seed: 0,
        }
    }

    /// Number of routers as an index bound.
    pub fn router_count(&self) -> usize {
        usize::from(self.routers.clamp(2, MAX_ROUTERS as u8))
    }

    /// Number of VRIDs.
    pub fn vrid_count(&self) -> usize {
        usize::from(self.vrids.clamp(1, MAX_VRIDS as u8))
    }

    /// The advert interval.
    pub fn interval(&self) -> Duration {
        Duration::from_centis(u64::from(self.interval_cs))
    }

    /// Router `r`'s configured priority for virtual router `v`.
    pub fn priority(&self, r: usize, v: usize) -> u8 {
        let n = self.router_count();
        let i = if v == 0 { r } else { n - 1 - r };
        let p = self.priorities.get(i).copied().unwrap_or(100);
        p.max(1)
    }

    /// Router `r`'s primary address: 192.0.2.(10+r) or fe80::(10+r).
    pub fn address(&self, r: usize) -> IpAddr {
        let last = 10 + r as u8;
        if self.ipv6 {
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(last)))
        } else {
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
        }
    }

    /// The VIP of virtual router `v`: 192.0.2.(1+v) or 2001:db8::(1+v).
    pub fn vip(&self, v: usize) -> IpAddr {
        let last = 1 + v as u8;
        if self.ipv6 {
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(last)))
        } else {
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
        }
    }

    /// The VRID of virtual router `v`.
    pub fn vrid(&self, v: usize) -> u8 {
        FIRST_VRID + v as u8
    }

    /// The schedule with every value forced into its valid range: router indexes modulo
    /// the router count, priorities legal for their router (255 only for an owner, never
    /// set or cleared), faults sorted by time (stably), qualities clamped, v2 intervals
    /// in whole seconds, IPv6 only with v3.
    pub fn normalized(&self) -> Schedule {
        let n = self.router_count();
        let mut s = self.clone();
        s.routers = n as u8;
        s.vrids = self.vrid_count() as u8;
        s.priorities = (0..n).map(|i| self.priorities.get(i).copied().unwrap_or(100).max(1)).collect();
        // A second owner (255) is a misconfiguration. With VRRPv3 the owners elect one
        // master (RFC 9568 erratum 8298), so it is simulated; a VRRPv2 owner discards
        // every advert for its VRID (RFC 3768 §7.1), so two would both stay master for
        // good: keep one.
        if self.version == Version::V2 {
            let mut seen_owner = false;
            for p in &mut s.priorities {
                if *p == 255 {
                    if seen_owner {
                        *p = 254;
                    }
                    seen_owner = true;
                }
            }
        }
        if s.version == Version::V2 {
            s.ipv6 = false;
            s.interval_cs = (s.interval_cs / 100).clamp(1, 255) * 100;
        } else {
            s.interval_cs = s.interval_cs.clamp(1, 4095);
        }
        s.base = s.base.clamped();
        s.tail_intervals = s.tail_intervals.max(1);
        let r = |x: u8| x % n as u8;
        s.faults = self
            .faults
            .iter()
            .map(|(t, f)| {
                let f = match f {
                    Fault::Link { pair, quality } => {
                        Fault::Link { pair: pair.map(|(a, b)| (r(a), r(b))), quality: quality.clamped() }
                    }
                    Fault::Partition { sides } => {
                        Fault::Partition { sides: (0..n).map(|i| sides.get(i).copied().unwrap_or(0)).collect() }
                    }
                    Fault::Heal => Fault::Heal,
                    Fault::Crash(x) => Fault::Crash(r(*x)),
                    Fault::Restart(x) => Fault::Restart(r(*x)),
                    Fault::Shutdown(x) => Fault::Shutdown(r(*x)),
                    Fault::SetPriority { router, vrid, priority } => Fault::SetPriority {
                        router: r(*router),
                        vrid: vrid % s.vrids,
                        priority: (*priority).clamp(1, 254),
                    },
                    Fault::Handover { router, vrid } => Fault::Handover { router: r(*router), vrid: vrid % s.vrids },
                    Fault::LinkDown(x) => Fault::LinkDown(r(*x)),
                    Fault::LinkUp(x) => Fault::LinkUp(r(*x)),
                };
                (*t, f)
            })
            .collect();
        s.faults.sort_by_key(|(t, _)| *t);
        s
    }

    /// Time of the last fault (0 without faults: startup is the first disturbance).
    pub fn last_fault_at(&self) -> u64 {
        self.faults.iter().map(|(t, _)| *t).max().unwrap_or(0)
    }

    /// When the run stops.
    pub fn end_at(&self) -> u64 {
        self.last_fault_at() + self.interval().as_micros().saturating_mul(u64::from(self.tail_intervals))
    }

    /// The lowest priority any router has at any time in the run, configured or set.
    pub fn lowest_priority(&self) -> u8 {
        let n = self.router_count();
        let configured =
            (0..n).flat_map(|r| (0..self.vrid_count()).map(move |v| (r, v))).map(|(r, v)| self.priority(r, v));
        let set = self.faults.iter().filter_map(|(_, f)| match f {
            Fault::SetPriority { priority, .. } => Some(*priority),
            _ => None,
        });
        configured.chain(set).min().unwrap_or(1).max(1)
    }

    /// The longest a packet can take when not held back for reordering.
    pub fn max_latency(&self) -> Duration {
        let faults = self.faults.iter().filter_map(|(_, f)| match f {
            Fault::Link { quality, .. } => Some(quality.max_latency_us()),
            _ => None,
        });
        Duration::from_micros(faults.chain(core::iter::once(self.base.max_latency_us())).max().unwrap_or(0))
    }

    /// How long after the network last changed the routers must have settled: the
    /// slowest backup's Master_Down_Interval (lowest priority), plus one advert interval
    /// (a master's next advert, which is what ends a dual-master), plus twice the worst
    /// latency (the advert that ends it, and the reply that follows it, both travel).
    /// It is never shorter than a leaving master's release hold
    /// ([`vrrp_core::instance::HANDOVER_LINGER`], which is longer than
    /// Master_Down_Interval at fast adverts) plus one interval: a router still holding
    /// the VIPs it is giving up has not settled.
    pub fn settle_time(&self) -> Duration {
        let election = timers::master_down_interval(self.lowest_priority(), self.interval_cs) + self.interval();
        election.max(HANDOVER_LINGER + self.interval()) + self.max_latency().saturating_mul(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_maps_router_indexes_into_range_and_sorts_faults() {
        let mut s = Schedule::basic(&[100, 200, 150]);
        s.faults = vec![(5, Fault::Crash(7)), (1, Fault::LinkDown(4)), (3, Fault::Handover { router: 5, vrid: 1 })];
        let n = s.normalized();
        assert_eq!(
            n.faults,
            vec![(1, Fault::LinkDown(1)), (3, Fault::Handover { router: 2, vrid: 0 }), (5, Fault::Crash(1))]
        );
    }

    #[test]
    fn normalized_keeps_a_single_owner_with_v2_only() {
        let mut s = Schedule::basic(&[255, 255, 10]);
        assert_eq!(s.normalized().priorities, vec![255, 255, 10]);
        s.version = Version::V2;
        assert_eq!(s.normalized().priorities, vec![255, 254, 10]);
    }

    #[test]
    fn second_vrid_reverses_priorities() {
        let mut s = Schedule::basic(&[1, 2, 3]);
        s.vrids = 2;
        assert_eq!(s.priority(0, 1), 3);
        assert_eq!(s.priority(2, 1), 1);
    }

    #[test]
    fn settle_time_is_lowest_master_down_plus_interval_plus_latency() {
        let mut s = Schedule::basic(&[200, 100]);
        s.faults = vec![(0, Fault::SetPriority { router: 0, vrid: 0, priority: 50 })];
        let want = timers::master_down_interval(50, 100).as_micros() + 1_000_000 + 200;
        assert_eq!(s.settle_time().as_micros(), want);
    }

    /// At 10 ms adverts Master_Down_Interval (~40 ms) is shorter than the release hold
    /// (100 ms): a restart 60 ms after a lone master's graceful stop found it still
    /// holding the VIPs it was giving up, and the checker took that for a settled state.
    #[test]
    fn settle_time_covers_a_leaving_masters_release_hold() {
        let s = Schedule { interval_cs: 1, base: Quality::latency(0, 0), ..Schedule::basic(&[1, 1]) };
        assert_eq!(s.settle_time(), HANDOVER_LINGER + s.interval());
    }
}
