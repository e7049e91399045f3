//! What a run records: every fault, state change, advert and delivery, in order.
//!
//! The trace is the simulator's whole observable output. Checkers read it after the
//! run instead of peeking at live state, so a violation can always be explained from
//! the trace alone, and two runs can be compared for determinism by `==`.

use core::fmt;

use vrrp_core::{Reason, RxError, State};

use crate::schedule::Fault;

/// How much a run records. Long experiments (10 minutes of 10 ms adverts) only need
/// state changes; everything else records packets too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TraceLevel {
    /// Faults, state changes, VIP changes.
    States,
    /// Also every advert sent, delivered, lost or rejected.
    Full,
}

/// Why the LAN did not deliver a packet to a router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drop {
    /// Random loss on the link.
    Lost,
    /// Sender and receiver are on different sides of a partition.
    Partitioned,
    /// The receiver's interface is down.
    InterfaceDown,
    /// The receiver has crashed or is shut down.
    NotRunning,
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A fault from the schedule was applied (router indexes normalised).
    Fault(Fault),
    /// An instance changed state.
    State {
        /// Router.
        node: u8,
        /// Virtual router index.
        vrid: u8,
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why, as the core says.
        reason: Reason,
    },
    /// The router added (`true`) or removed the VIPs.
    Vips {
        /// Router.
        node: u8,
        /// Virtual router index.
        vrid: u8,
        /// Whether the router holds them now.
        held: bool,
    },
    /// The router announced the VIPs (gratuitous ARP / unsolicited NA).
    Announce {
        /// Router.
        node: u8,
        /// Virtual router index.
        vrid: u8,
    },
    /// An advert left a router.
    Sent {
        /// Router.
        node: u8,
        /// Virtual router index.
        vrid: u8,
        /// Advertised priority.
        priority: u8,
    },
    /// An advert reached a router and the instance took it (`Ok`) or discarded it.
    Delivered {
        /// Sender.
        from: u8,
        /// Receiver.
        to: u8,
        /// Virtual router index.
        vrid: u8,
        /// What `handle_packet` returned.
        result: Result<u8, RxError>,
    },
    /// The LAN did not deliver an advert.
    Dropped {
        /// Sender.
        from: u8,
        /// Receiver.
        to: u8,
        /// Virtual router index.
        vrid: u8,
        /// Why.
        why: Drop,
    },
}

impl Event {
    /// Events kept at [`TraceLevel::States`].
    pub fn level(&self) -> TraceLevel {
        match self {
            Event::Fault(_) | Event::State { .. } | Event::Vips { .. } => TraceLevel::States,
            Event::Announce { .. } | Event::Sent { .. } | Event::Delivered { .. } | Event::Dropped { .. } => {
                TraceLevel::Full
            }
        }
    }
}

/// An event and when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Virtual time, µs.
    pub at: u64,
    /// What happened.
    pub event: Event,
}

/// Formats a virtual time as seconds with microsecond precision, as violations print it.
#[derive(Clone, Copy, Debug)]
pub struct At(pub u64);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", At(self.at))?;
        match &self.event {
            Event::Fault(fault) => write!(f, "fault {fault:?}"),
            Event::State { node, vrid, from, to, reason } => {
                write!(f, "r{node} vrid#{vrid} {} -> {} ({})", from.as_str(), to.as_str(), reason.as_str())
            }
            Event::Vips { node, vrid, held } => {
                let verb = if *held { "adds" } else { "removes" };
                write!(f, "r{node} vrid#{vrid} {verb} VIPs")
            }
            Event::Announce { node, vrid } => write!(f, "r{node} vrid#{vrid} announces"),
            Event::Sent { node, vrid, priority } => write!(f, "r{node} vrid#{vrid} sends advert prio {priority}"),
            Event::Delivered { from, to, vrid, result } => {
                write!(f, "r{from} -> r{to} vrid#{vrid} delivered: {result:?}")
            }
            Event::Dropped { from, to, vrid, why } => write!(f, "r{from} -> r{to} vrid#{vrid} dropped: {why:?}"),
        }
    }
}
