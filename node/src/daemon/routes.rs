//! The routes and policy rules on the host (`virtual_routes`, `virtual_rules`): each
//! instance's, and which of them vrrpd installed (and so must remove).
//!
//! They follow the VIPs: installed when the core says `AddVips` (after the addresses, which
//! a route may use as its source), removed when it says `RemoveVips` (before them), every
//! one we installed removed at exit, and the ones a vrrpd that died left behind removed at
//! start. Removal names the route's protocol (keepalived's 18), so the kernel never removes
//! one somebody else installed with the same destination.

use tracing::{error, info, warn};
use vrrp_core::router::InstanceId;

use crate::config::Rule;
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::rule::RuleMessage;

use crate::net::{route_matches, route_message, rule_matches, rule_message, Netlink, RoutePlace};

/// One instance's routes and rules.
#[derive(Debug, Default)]
struct InstanceRoutes {
    name: String,
    /// An address owner's are not removed at start: they may be its own.
    owner: bool,
    routes: Vec<RoutePlace>,
    rules: Vec<Rule>,
}

/// Every instance's routes and rules, by instance id, and the ones installed by us.
#[derive(Debug, Default)]
pub struct Routes {
    instances: Vec<InstanceRoutes>,
    added_routes: Vec<RoutePlace>,
    added_rules: Vec<Rule>,
}

impl Routes {
    /// No instance yet.
    pub fn new() -> Self {
        Routes::default()
    }

    /// Registers the next instance's routes and rules; call in instance-id order.
    pub fn push_instance(&mut self, name: &str, owner: bool, routes: Vec<RoutePlace>, rules: Vec<Rule>) {
        self.instances.push(InstanceRoutes { name: name.to_owned(), owner, routes, rules });
    }

    fn of(&self, id: InstanceId) -> Option<&InstanceRoutes> {
        self.instances.get(usize::from(id.0))
    }

    /// Instance `id`'s routes and rules (none for an unknown id).
    pub fn configured(&self, id: InstanceId) -> (Vec<RoutePlace>, Vec<Rule>) {
        self.of(id).map(|i| (i.routes.clone(), i.rules.clone())).unwrap_or_default()
    }

    /// Installs instance `id`'s routes, then its rules (it became MASTER).
    pub async fn add(&mut self, netlink: &Netlink, id: InstanceId) {
        let Routes { instances, added_routes, added_rules } = self;
        let Some(inst) = instances.get(usize::from(id.0)) else { return };
        for r in &inst.routes {
            match netlink.add_route(route_message(r)).await {
                Ok(true) if !added_routes.contains(r) => added_routes.push(r.clone()),
                Ok(true) => {}
                Ok(false) if added_routes.contains(r) => {}
                Ok(false) => warn!(
                    "({}) route {}/{} ({}) is on the host already, not installed by vrrpd: left as it is",
                    inst.name, r.route.dst.0, r.route.dst.1, r.route.location
                ),
                Err(e) => error!(
                    "({}) adding route {}/{} ({}): {e}",
                    inst.name, r.route.dst.0, r.route.dst.1, r.route.location
                ),
            }
        }
        for r in &inst.rules {
            match netlink.add_rule(rule_message(r)).await {
                Ok(true) if !added_rules.contains(r) => added_rules.push(r.clone()),
                Ok(true) => {}
                Ok(false) if added_rules.contains(r) => {}
                Ok(false) => warn!(
                    "({}) rule ({}) is on the host already, not installed by vrrpd: left as it is",
                    inst.name, r.location
                ),
                Err(e) => error!("({}) adding rule ({}): {e}", inst.name, r.location),
            }
        }
    }

    /// Removes instance `id`'s rules, then its routes (it left MASTER).
    pub async fn remove(&mut self, netlink: &Netlink, id: InstanceId) {
        let Some(inst) = self.instances.get(usize::from(id.0)) else { return };
        let name = inst.name.clone();
        let (routes, rules) = (inst.routes.clone(), inst.rules.clone());
        self.remove_these(netlink, &name, &routes, &rules).await;
    }

    /// Removes those of `routes` and `rules` we installed.
    async fn remove_these(&mut self, netlink: &Netlink, name: &str, routes: &[RoutePlace], rules: &[Rule]) {
        for r in rules {
            if !self.added_rules.contains(r) {
                continue;
            }
            match netlink.del_rule(rule_message(r)).await {
                Ok(_) => self.added_rules.retain(|a| a != r),
                Err(e) => error!("({name}) removing rule ({}): {e}", r.location),
            }
        }
        for r in routes {
            if !self.added_routes.contains(r) {
                continue;
            }
            match netlink.del_route(route_message(r)).await {
                Ok(_) => self.added_routes.retain(|a| a != r),
                Err(e) => {
                    error!("({name}) removing route {}/{} ({}): {e}", r.route.dst.0, r.route.dst.1, r.route.location)
                }
            }
        }
    }

    /// Whether any instance has a route or rule whose removal by someone else matters (not
    /// `no_track`): only then is it worth watching route and rule notifications.
    pub fn tracks_any(&self) -> bool {
        self.instances.iter().any(|i| i.routes.iter().any(|r| !r.route.no_track) || i.rules.iter().any(|r| !r.no_track))
    }

    /// The kernel says a route of protocol keepalived was removed. If it is one we
    /// installed, it is no longer ours to remove; returns the instances for which it is a
    /// tracked route (they must step down, as for a VIP), with the route as text.
    pub fn route_gone(&mut self, msg: &RouteMessage) -> Vec<(InstanceId, String)> {
        let Some(at) = self.added_routes.iter().position(|r| route_matches(msg, r)) else { return Vec::new() };
        let gone = self.added_routes.remove(at);
        let what = format!("route {}/{} ({})", gone.route.dst.0, gone.route.dst.1, gone.route.location);
        (0u16..)
            .zip(&self.instances)
            .filter(|(_, i)| i.routes.iter().any(|r| *r == gone && !r.route.no_track))
            .map(|(n, _)| (InstanceId(n), what.clone()))
            .collect()
    }

    /// As [`Routes::route_gone`], for a policy rule.
    pub fn rule_gone(&mut self, msg: &RuleMessage) -> Vec<(InstanceId, String)> {
        let Some(at) = self.added_rules.iter().position(|r| rule_matches(msg, r)) else { return Vec::new() };
        let gone = self.added_rules.remove(at);
        let what = format!("rule preference {} ({})", gone.priority, gone.location);
        (0u16..)
            .zip(&self.instances)
            .filter(|(_, i)| i.rules.iter().any(|r| *r == gone && !r.no_track))
            .map(|(n, _)| (InstanceId(n), what.clone()))
            .collect()
    }

    /// A vrrpd that died (SIGKILL, crash) may have left routes and rules behind; a backup
    /// must not keep them. Each one found and removed is logged. The owner's stay.
    pub async fn remove_stale(&self, netlink: &Netlink) {
        for inst in self.instances.iter().filter(|i| !i.owner) {
            for r in &inst.rules {
                if let Ok(true) = netlink.del_rule(rule_message(r)).await {
                    info!("({}) removed stale rule ({}) left by a previous run", inst.name, r.location);
                }
            }
            for r in &inst.routes {
                if let Ok(true) = netlink.del_route(route_message(r)).await {
                    info!(
                        "({}) removed stale route {}/{} ({}) left by a previous run",
                        inst.name, r.route.dst.0, r.route.dst.1, r.route.location
                    );
                }
            }
        }
    }

    /// After a reload: the routes and rules `old` installed are ours here too.
    pub fn carry_added(&mut self, old: &Routes) {
        self.added_routes.extend(old.added_routes.iter().cloned());
        self.added_rules.extend(old.added_rules.iter().cloned());
    }

    /// A reload changed the routes or rules of instance `id` while it holds them: the ones
    /// no longer configured that we installed are removed, the new ones installed.
    pub async fn replace(&mut self, netlink: &Netlink, id: InstanceId, old: &Routes, old_id: InstanceId) {
        let (Some(now), Some(before)) = (self.of(id), old.of(old_id)) else { return };
        let name = now.name.clone();
        let gone_routes: Vec<RoutePlace> = before.routes.iter().filter(|r| !now.routes.contains(r)).cloned().collect();
        let gone_rules: Vec<Rule> = before.rules.iter().filter(|r| !now.rules.contains(r)).cloned().collect();
        self.remove_these(netlink, &name, &gone_routes, &gone_rules).await;
        self.add(netlink, id).await;
    }

    /// Removes every route and rule we installed, whatever happened (exit).
    pub async fn remove_all(&mut self, netlink: &Netlink) {
        for r in std::mem::take(&mut self.added_rules) {
            if let Err(e) = netlink.del_rule(rule_message(&r)).await {
                error!("removing rule ({}): {e}", r.location);
            }
        }
        for r in std::mem::take(&mut self.added_routes) {
            if let Err(e) = netlink.del_route(route_message(&r)).await {
                error!("removing route {}/{} ({}): {e}", r.route.dst.0, r.route.dst.1, r.route.location);
            }
        }
    }
}
