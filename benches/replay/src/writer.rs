//! The host side of the format: what [`crate::Reader`] reads, written.

use std::net::IpAddr;
use std::string::String;
use std::vec::Vec;

use vrrp_core::wire::{Auth, ChecksumForm, Version};
use vrrp_core::InstanceConfig;

use crate::{Event, Input, FORMAT, MAGIC};

/// One trace being recorded.
#[derive(Clone, Debug)]
pub struct TraceWriter {
    name: String,
    nodes: Vec<Vec<InstanceConfig>>,
    events: Vec<u8>,
    count: u32,
}

fn addr(out: &mut Vec<u8>, a: &IpAddr) {
    match a {
        IpAddr::V4(v4) => {
            out.push(4);
            out.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            out.push(6);
            out.extend_from_slice(&v6.octets());
        }
    }
}

fn opt_micros(out: &mut Vec<u8>, d: Option<vrrp_core::Duration>) {
    match d {
        Some(d) => {
            out.push(1);
            out.extend_from_slice(&d.as_micros().to_le_bytes());
        }
        None => out.push(0),
    }
}

fn config(out: &mut Vec<u8>, c: &InstanceConfig) {
    assert!(c.hmac.is_none(), "the trace format does not carry auth_hmac");
    out.extend_from_slice(&c.ifindex.to_le_bytes());
    out.push(c.vrid);
    out.push(match c.version {
        Version::V2 => 2,
        Version::V3 => 3,
    });
    addr(out, &c.primary_address);
    out.push(c.priority);
    out.extend_from_slice(&c.advert_interval_cs.to_le_bytes());
    out.push(u8::from(c.preempt));
    out.extend_from_slice(&c.preempt_delay.as_micros().to_le_bytes());
    out.push(u8::from(c.accept_mode));
    match c.auth {
        Auth::None => out.push(0),
        Auth::SimpleText(p) => {
            out.push(1);
            out.extend_from_slice(&p);
        }
        Auth::IpAh => out.push(2),
    }
    out.push(match c.checksum_form {
        ChecksumForm::PseudoHeader => 0,
        ChecksumForm::MessageOnly => 1,
    });
    opt_micros(out, c.announce_delay);
    opt_micros(out, c.announce_refresh);
    out.push(c.vips.len() as u8);
    for v in &c.vips {
        addr(out, v);
    }
}

impl TraceWriter {
    /// A trace named `name` over routers with these instances.
    pub fn new(name: &str, nodes: Vec<Vec<InstanceConfig>>) -> TraceWriter {
        assert!(name.len() <= crate::MAX_NAME && nodes.len() <= crate::MAX_NODES);
        assert!(nodes.iter().all(|n| n.len() <= crate::MAX_INSTANCES));
        TraceWriter { name: name.to_string(), nodes, events: Vec::new(), count: 0 }
    }

    /// The trace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of inputs recorded.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// True when no input is recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Records one input.
    pub fn push(&mut self, e: Event<'_>) {
        let out = &mut self.events;
        out.push(e.node);
        out.extend_from_slice(&e.at.to_le_bytes());
        match e.input {
            Input::Start => out.push(0),
            Input::Crash => out.push(1),
            Input::Shutdown => out.push(2),
            Input::Link { ifindex, up } => {
                out.push(3);
                out.extend_from_slice(&ifindex.to_le_bytes());
                out.push(u8::from(up));
            }
            Input::SetPriority { instance, priority } => {
                out.push(4);
                out.extend_from_slice(&instance.to_le_bytes());
                out.push(priority);
            }
            Input::TrackingFault { instance, fault } => {
                out.push(5);
                out.extend_from_slice(&instance.to_le_bytes());
                out.push(u8::from(fault));
            }
            Input::Packet { ifindex, src, dst, ttl, bytes } => {
                out.push(6);
                out.extend_from_slice(&ifindex.to_le_bytes());
                addr(out, &src);
                addr(out, &dst);
                out.push(ttl);
                let len = u16::try_from(bytes.len()).expect("a packet under 64 KiB");
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(bytes);
            }
            Input::Timer => out.push(7),
            Input::Handover { instance } => {
                out.push(8);
                out.extend_from_slice(&instance.to_le_bytes());
            }
        }
        self.count += 1;
    }
}

/// The file holding `traces`, in order.
pub fn write(traces: &[TraceWriter]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.extend_from_slice(&u16::try_from(traces.len()).expect("under 65536 traces").to_le_bytes());
    for t in traces {
        out.push(t.name.len() as u8);
        out.extend_from_slice(t.name.as_bytes());
        out.push(t.nodes.len() as u8);
        for n in &t.nodes {
            out.push(n.len() as u8);
            for c in n {
                config(&mut out, c);
            }
        }
        out.extend_from_slice(&t.count.to_le_bytes());
        out.extend_from_slice(&u32::try_from(t.events.len()).expect("under 4 GiB").to_le_bytes());
        out.extend_from_slice(&t.events);
    }
    out
}
