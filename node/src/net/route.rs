//! `virtual_routes` and `virtual_rules` as rtnetlink messages: one message per route or
//! rule, the same for adding and removing it, so what is removed is exactly what was added.
//!
//! Every route and rule carries its `protocol` (keepalived's 18 unless the file says
//! otherwise with `no_track`): the kernel removes a route or rule only if the protocol of
//! the request matches, so removing ours never takes away one somebody else installed with
//! the same destination.

use std::net::IpAddr;

use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{RuleAction as NlRuleAction, RuleAttribute, RuleFlags, RuleMessage};
use netlink_packet_route::AddressFamily;

use crate::config::{Route, RouteKind, Rule, RuleAction};

/// A route as the daemon installs it: the file's route and its `dev` resolved to an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePlace {
    pub route: Route,
    /// `dev`'s index when the instance was planned.
    pub oif: Option<u32>,
}

fn family(addr: &IpAddr) -> AddressFamily {
    match addr {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

fn address(addr: IpAddr) -> RouteAddress {
    match addr {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

/// The `RTM_NEWROUTE` / `RTM_DELROUTE` body for `place`.
pub fn route_message(place: &RoutePlace) -> RouteMessage {
    let r = &place.route;
    let (dst, len) = r.dst;
    let mut msg = RouteMessage::default();
    msg.header.address_family = family(&dst);
    msg.header.destination_prefix_length = len;
    msg.header.tos = r.tos;
    // The header's table is 8 bits; the attribute carries any table.
    msg.header.table = u8::try_from(r.table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
    msg.header.protocol = RouteProtocol::from(r.protocol);
    msg.header.kind = match r.kind {
        RouteKind::Unicast => RouteType::Unicast,
        RouteKind::Blackhole => RouteType::BlackHole,
        RouteKind::Unreachable => RouteType::Unreachable,
        RouteKind::Prohibit => RouteType::Prohibit,
        RouteKind::Throw => RouteType::Throw,
    };
    // keepalived's default is universe, gateway or not (vrrp_iproute.c 341), where `ip
    // route` would pick link scope for a route without one.
    msg.header.scope = r.scope.map_or(RouteScope::Universe, |s| RouteScope::from(s.number()));
    if r.onlink {
        msg.header.flags |= RouteFlags::Onlink;
    }
    if len > 0 {
        msg.attributes.push(RouteAttribute::Destination(address(dst)));
    }
    msg.attributes.push(RouteAttribute::Table(r.table));
    if let Some(src) = r.src {
        msg.attributes.push(RouteAttribute::PrefSource(address(src)));
    }
    if let Some(via) = r.via {
        msg.attributes.push(RouteAttribute::Gateway(address(via)));
    }
    if let Some(oif) = place.oif {
        msg.attributes.push(RouteAttribute::Oif(oif));
    }
    if let Some(metric) = r.metric {
        msg.attributes.push(RouteAttribute::Priority(metric));
    }
    msg
}

/// The `RTM_NEWRULE` / `RTM_DELRULE` body for `rule`.
pub fn rule_message(r: &Rule) -> RuleMessage {
    let mut msg = RuleMessage::default();
    msg.header.family = if r.ipv6 { AddressFamily::Inet6 } else { AddressFamily::Inet };
    msg.header.tos = r.tos;
    if r.invert {
        msg.header.flags |= RuleFlags::Invert;
    }
    msg.header.action = match r.action {
        RuleAction::Table(_) => NlRuleAction::ToTable,
        RuleAction::Goto(_) => NlRuleAction::Goto,
        RuleAction::Nop => NlRuleAction::Nop,
        RuleAction::Blackhole => NlRuleAction::Blackhole,
        RuleAction::Unreachable => NlRuleAction::Unreachable,
        RuleAction::Prohibit => NlRuleAction::Prohibit,
    };
    match r.action {
        RuleAction::Table(t) => {
            msg.header.table = u8::try_from(t).unwrap_or(0);
            msg.attributes.push(RuleAttribute::Table(t));
        }
        RuleAction::Goto(target) => msg.attributes.push(RuleAttribute::Goto(target)),
        _ => {}
    }
    if let Some((addr, len)) = r.from {
        msg.header.src_len = len;
        msg.attributes.push(RuleAttribute::Source(addr));
    }
    if let Some((addr, len)) = r.to {
        msg.header.dst_len = len;
        msg.attributes.push(RuleAttribute::Destination(addr));
    }
    msg.attributes.push(RuleAttribute::Priority(r.priority));
    if let Some((mark, mask)) = r.fwmark {
        msg.attributes.push(RuleAttribute::FwMark(mark));
        if let Some(mask) = mask {
            msg.attributes.push(RuleAttribute::FwMask(mask));
        }
    }
    if let Some(iif) = &r.iif {
        msg.attributes.push(RuleAttribute::Iifname(iif.clone()));
    }
    if let Some(oif) = &r.oif {
        msg.attributes.push(RuleAttribute::Oifname(oif.clone()));
    }
    msg.attributes.push(RuleAttribute::Protocol(RouteProtocol::from(r.protocol)));
    msg
}

/// Whether the kernel's `msg` (a notification) is the route `place` installs: the same
/// family, destination, table, protocol, type, TOS, interface and (where the file gives
/// one) metric.
pub fn route_matches(msg: &RouteMessage, place: &RoutePlace) -> bool {
    let ours = route_message(place);
    let attr = |m: &RouteMessage, f: fn(&RouteAttribute) -> bool| m.attributes.iter().find(|a| f(a)).cloned();
    let table = |m: &RouteMessage| match attr(m, |a| matches!(a, RouteAttribute::Table(_))) {
        Some(RouteAttribute::Table(t)) => t,
        _ => u32::from(m.header.table),
    };
    let (h, o) = (&msg.header, &ours.header);
    let same = |f: fn(&RouteAttribute) -> bool| attr(msg, f) == attr(&ours, f);
    h.address_family == o.address_family
        && h.destination_prefix_length == o.destination_prefix_length
        && h.protocol == o.protocol
        && h.kind == o.kind
        && h.tos == o.tos
        && table(msg) == table(&ours)
        && same(|a| matches!(a, RouteAttribute::Destination(_)))
        && (place.oif.is_none() || same(|a| matches!(a, RouteAttribute::Oif(_))))
        && (place.route.metric.is_none() || same(|a| matches!(a, RouteAttribute::Priority(_))))
}

/// Whether the kernel's `msg` (a notification) is the rule `r` installs: the same family,
/// selectors, preference, action and table.
pub fn rule_matches(msg: &RuleMessage, r: &Rule) -> bool {
    let ours = rule_message(r);
    let attr = |m: &RuleMessage, f: fn(&RuleAttribute) -> bool| m.attributes.iter().find(|a| f(a)).cloned();
    let same = |f: fn(&RuleAttribute) -> bool| attr(msg, f) == attr(&ours, f);
    let table = |m: &RuleMessage| match attr(m, |a| matches!(a, RuleAttribute::Table(_))) {
        Some(RuleAttribute::Table(t)) => t,
        _ => u32::from(m.header.table),
    };
    let (h, o) = (&msg.header, &ours.header);
    h.family == o.family
        && (h.src_len, h.dst_len, h.tos, &h.action) == (o.src_len, o.dst_len, o.tos, &o.action)
        && table(msg) == table(&ours)
        && same(|a| matches!(a, RuleAttribute::Source(_)))
        && same(|a| matches!(a, RuleAttribute::Destination(_)))
        && same(|a| matches!(a, RuleAttribute::Priority(_)))
        && same(|a| matches!(a, RuleAttribute::Protocol(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Scope, SourceLocation, RTPROT_KEEPALIVED};

    fn route(dst: &str, len: u8) -> Route {
        Route {
            dst: (dst.parse().unwrap(), len),
            kind: RouteKind::Unicast,
            src: None,
            via: None,
            dev: None,
            table: 254,
            metric: None,
            scope: None,
            protocol: RTPROT_KEEPALIVED,
            tos: 0,
            onlink: false,
            no_track: true,
            location: SourceLocation { file: "t.conf".into(), line: 1, column: 1 },
        }
    }

    #[test]
    fn a_route_message_carries_every_field_and_the_keepalived_protocol() {
        let mut r = route("198.51.100.0", 24);
        r.via = Some("192.0.2.254".parse().unwrap());
        r.src = Some("192.0.2.1".parse().unwrap());
        r.table = 1000;
        r.metric = Some(7);
        r.onlink = true;
        let msg = route_message(&RoutePlace { route: r, oif: Some(3) });
        assert_eq!(msg.header.address_family, AddressFamily::Inet);
        assert_eq!(msg.header.destination_prefix_length, 24);
        assert_eq!(msg.header.protocol, RouteProtocol::from(18));
        assert_eq!(msg.header.scope, RouteScope::Universe);
        assert_eq!(msg.header.kind, RouteType::Unicast);
        // Table 1000 does not fit the header: 0 there, the attribute says which.
        assert_eq!(msg.header.table, 0);
        assert!(msg.header.flags.contains(RouteFlags::Onlink));
        for a in [
            RouteAttribute::Destination(RouteAddress::Inet("198.51.100.0".parse().unwrap())),
            RouteAttribute::Table(1000),
            RouteAttribute::PrefSource(RouteAddress::Inet("192.0.2.1".parse().unwrap())),
            RouteAttribute::Gateway(RouteAddress::Inet("192.0.2.254".parse().unwrap())),
            RouteAttribute::Oif(3),
            RouteAttribute::Priority(7),
        ] {
            assert!(msg.attributes.contains(&a), "{a:?} missing from {:?}", msg.attributes);
        }
    }

    #[test]
    fn a_default_route_has_no_destination_and_keepalived_s_universe_scope() {
        let msg = route_message(&RoutePlace { route: route("::", 0), oif: Some(2) });
        assert_eq!(msg.header.address_family, AddressFamily::Inet6);
        assert!(!msg.attributes.iter().any(|a| matches!(a, RouteAttribute::Destination(_))));
        assert_eq!(msg.header.scope, RouteScope::Universe);
        let mut black = route("198.18.0.0", 15);
        black.kind = RouteKind::Blackhole;
        let msg = route_message(&RoutePlace { route: black, oif: None });
        assert_eq!((msg.header.kind, msg.header.scope), (RouteType::BlackHole, RouteScope::Universe));
        let mut scoped = route("198.18.0.0", 15);
        scoped.scope = Some(Scope::Host);
        assert_eq!(route_message(&RoutePlace { route: scoped, oif: None }).header.scope, RouteScope::Host);
    }

    #[test]
    fn a_rule_message_carries_every_selector_and_the_action() {
        let r = Rule {
            ipv6: false,
            from: Some(("192.0.2.0".parse().unwrap(), 24)),
            to: Some(("198.51.100.0".parse().unwrap(), 25)),
            action: RuleAction::Table(100),
            priority: 50,
            invert: true,
            fwmark: Some((16, Some(255))),
            tos: 8,
            iif: Some("eth1".into()),
            oif: None,
            protocol: RTPROT_KEEPALIVED,
            no_track: false,
            location: SourceLocation { file: "t.conf".into(), line: 1, column: 1 },
        };
        let msg = rule_message(&r);
        assert_eq!((msg.header.src_len, msg.header.dst_len, msg.header.tos, msg.header.table), (24, 25, 8, 100));
        assert_eq!(msg.header.action, NlRuleAction::ToTable);
        assert!(msg.header.flags.contains(RuleFlags::Invert));
        for a in [
            RuleAttribute::Source("192.0.2.0".parse().unwrap()),
            RuleAttribute::Destination("198.51.100.0".parse().unwrap()),
            RuleAttribute::Table(100),
            RuleAttribute::Priority(50),
            RuleAttribute::FwMark(16),
            RuleAttribute::FwMask(255),
            RuleAttribute::Iifname("eth1".into()),
            RuleAttribute::Protocol(RouteProtocol::from(18)),
        ] {
            assert!(msg.attributes.contains(&a), "{a:?} missing from {:?}", msg.attributes);
        }
        let goto = Rule { action: RuleAction::Goto(90), ..r };
        let msg = rule_message(&goto);
        assert_eq!(msg.header.action, NlRuleAction::Goto);
        assert!(msg.attributes.contains(&RuleAttribute::Goto(90)));
    }

    #[test]
    fn a_notification_matches_only_the_route_or_rule_it_is_about() {
        let mut r = route("198.51.100.0", 24);
        r.table = 1000;
        r.metric = Some(7);
        let place = RoutePlace { route: r.clone(), oif: Some(3) };
        // As the kernel reports it: the table in the header too small, the attribute there.
        let mut kernel = route_message(&place);
        kernel.attributes.push(RouteAttribute::Oif(3));
        kernel.attributes.dedup();
        assert!(route_matches(&kernel, &place));
        let other_table = RoutePlace { route: Route { table: 1001, ..r.clone() }, oif: Some(3) };
        assert!(!route_matches(&kernel, &other_table));
        let other_dst =
            RoutePlace { route: Route { dst: ("198.51.101.0".parse().unwrap(), 24), ..r.clone() }, oif: Some(3) };
        assert!(!route_matches(&kernel, &other_dst));
        let other_dev = RoutePlace { route: r, oif: Some(4) };
        assert!(!route_matches(&kernel, &other_dev));

        let rule = Rule {
            ipv6: false,
            from: Some(("192.0.2.1".parse().unwrap(), 32)),
            to: None,
            action: RuleAction::Table(100),
            priority: 100,
            invert: false,
            fwmark: None,
            tos: 0,
            iif: None,
            oif: None,
            protocol: RTPROT_KEEPALIVED,
            no_track: false,
            location: SourceLocation { file: "t.conf".into(), line: 1, column: 1 },
        };
        let kernel = rule_message(&rule);
        assert!(rule_matches(&kernel, &rule));
        assert!(!rule_matches(&kernel, &Rule { priority: 101, ..rule.clone() }));
        assert!(!rule_matches(&kernel, &Rule { action: RuleAction::Table(101), ..rule }));
    }
}
