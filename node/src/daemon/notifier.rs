//! The notifier thread: state changes in keepalived's words, off the protocol loop (a
//! blocked stderr must never delay an advert), and each one handed to the notify FIFOs
//! and scripts ([`Notifications`]).

use tracing::{info, warn};
use vrrp_core::instance::Reason;
use vrrp_core::State;

use super::engine::Notice;
use super::notifications::Notifications;
use crate::notify::NotifyState;
use crate::sync::NotifyQueue;

/// Pops notices until [`Notice::Stop`], logging each state change and notifying it; at
/// the stop, waits at most `finish` for the notify scripts still queued.
pub(super) fn run(
    notices: &NotifyQueue<Notice>,
    names: &std::sync::Mutex<Vec<String>>,
    mut notifications: Notifications,
    finish: std::time::Duration,
) {
    let mut dropped = 0;
    loop {
        let notice = notices.pop();
        match notice {
            Notice::Stop => {
                notifications.finish(finish);
                return;
            }
            Notice::Group { group, from, to } => {
                let name = notifications.group_name(usize::from(group.0)).unwrap_or("?").to_string();
                // keepalived vrrp_sync.c 149/184/220 logs "VRRP_Group(%s) Syncing instances to %s state".
                info!("VRRP_Group({name}) Syncing instances to {} state (from {})", to.as_str(), from.as_str());
                let state = match to {
                    State::Master => Some(NotifyState::Master),
                    State::Backup => Some(NotifyState::Backup),
                    State::Fault => Some(NotifyState::Fault),
                    State::Initialize => Some(NotifyState::Stop),
                };
                if let Some(state) = state {
                    notifications.notify_group(usize::from(group.0), state);
                }
            }
            Notice::LowerPriority { instance, priority } => {
                let name = name_of(names, instance);
                info!("({name}) MASTER heard an advert with a lower priority than its own ({priority})");
                notifications.notify(usize::from(instance.0), NotifyState::MasterRxLowerPri, priority);
            }
            Notice::State { instance, from, to, reason, priority, .. } => {
                let name = name_of(names, instance);
                let name = name.as_str();
                if let Some(line) = takeover(name, &notice) {
                    warn!("{line}");
                }
                info!("({name}) Entering {} STATE (from {}: {})", to.as_str(), from.as_str(), reason.as_str());
                if let Some(state) = NotifyState::of_change(to, reason) {
                    notifications.notify(usize::from(instance.0), state, priority);
                }
            }
        }
        if notices.dropped() != dropped {
            dropped = notices.dropped();
            warn!("{dropped} state-change notices dropped: the notifier could not keep up");
        }
    }
}

/// The name of `instance`, "?" for an id it does not know.
fn name_of(names: &std::sync::Mutex<Vec<String>>, instance: vrrp_core::router::InstanceId) -> String {
    let names = names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    names.get(usize::from(instance.0)).cloned().unwrap_or_else(|| "?".into())
}

/// Who took mastership from instance `name`, when `notice` is it leaving MASTER for a
/// received advert: a peer preempting, or anyone on the LAN who knows the password
/// spoofing one. Either way the operator should see the address.
fn takeover(name: &str, notice: &Notice) -> Option<String> {
    let Notice::State {
        from: State::Master, to: State::Backup, reason: Reason::HigherPriority, master, priority, ..
    } = notice
    else {
        return None;
    };
    let m = (*master)?;
    let why = if m.priority > *priority {
        format!("higher priority than ours ({priority})")
    } else {
        format!("our priority ({priority}) and a higher address")
    };
    Some(format!("({name}) {} (priority {}) took over as MASTER: its advert has {why}", m.address, m.priority))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrrp_core::instance::MasterInfo;
    use vrrp_core::router::InstanceId;

    fn notice(from: State, to: State, reason: Reason, master: Option<(&str, u8)>) -> Notice {
        Notice::State {
            instance: InstanceId(0),
            from,
            to,
            reason,
            master: master.map(|(a, p)| MasterInfo {
                address: a.parse().unwrap(),
                priority: p,
                adver_interval_cs: 100,
            }),
            priority: 101,
        }
    }

    #[test]
    fn losing_mastership_to_an_advert_names_the_new_master() {
        let n = notice(State::Master, State::Backup, Reason::HigherPriority, Some(("192.0.2.100", 255)));
        assert_eq!(
            takeover("VI", &n).as_deref(),
            Some("(VI) 192.0.2.100 (priority 255) took over as MASTER: its advert has higher priority than ours (101)")
        );
        let n = notice(State::Master, State::Backup, Reason::HigherPriority, Some(("192.0.2.12", 101)));
        assert_eq!(
            takeover("VI", &n).as_deref(),
            Some("(VI) 192.0.2.12 (priority 101) took over as MASTER: its advert has our priority (101) and a higher address")
        );
    }

    #[test]
    fn other_state_changes_name_no_one() {
        for n in [
            notice(State::Backup, State::Master, Reason::MasterNoResponse, Some(("192.0.2.11", 101))),
            notice(State::Master, State::Fault, Reason::LinkDown, None),
            notice(State::Master, State::Initialize, Reason::Shutdown, None),
            notice(State::Initialize, State::Backup, Reason::Startup, None),
            Notice::Stop,
        ] {
            assert_eq!(takeover("VI", &n), None, "{n:?}");
        }
    }
}
