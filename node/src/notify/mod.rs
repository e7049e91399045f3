//! Notifications as keepalived sends them (keepalived 2.2.7 `vrrp_notify.c`): on each state
//! change an instance's `notify_master|backup|fault|stop` script (its own arguments only),
//! then the generic `notify` script with `INSTANCE NAME STATE PRIORITY` appended, then a
//! line on the notify FIFOs (`INSTANCE "NAME" STATE PRIORITY`). A master that hears a
//! lower-priority advert runs `notify_master_rx_lower_pri` and writes
//! `MASTER_RX_LOWER_PRI` to the FIFOs.
//!
//! This module decides what to run and write; `fifo` owns the FIFOs; the daemon's
//! dispatcher runs the scripts, one instance's strictly in order.

pub mod fifo;

use vrrp_core::instance::Reason;
use vrrp_core::State;

use crate::config::{Notify, ScriptCmd};

/// A state (or event) as notify scripts and FIFO readers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyState {
    Master,
    Backup,
    Fault,
    /// vrrpd is stopping the instance.
    Stop,
    /// A master heard an advert with a lower priority than its own.
    MasterRxLowerPri,
}

impl NotifyState {
    /// keepalived's word for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
            NotifyState::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
        }
    }

    /// What a core state change is notified as: entering Initialize at shutdown is STOP;
    /// keepalived notifies nothing else for INIT.
    pub fn of_change(to: State, reason: Reason) -> Option<NotifyState> {
        match to {
            State::Master => Some(NotifyState::Master),
            State::Backup => Some(NotifyState::Backup),
            State::Fault => Some(NotifyState::Fault),
            State::Initialize if reason == Reason::Shutdown => Some(NotifyState::Stop),
            State::Initialize => None,
        }
    }
}

/// One notification of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The `vrrp_instance` (or `vrrp_sync_group`) name.
    pub name: String,
    /// A sync group's notification: `GROUP` rather than `INSTANCE`, priority 0
    /// (keepalived vrrp_notify.c 129, 168, 334).
    pub group: bool,
    pub state: NotifyState,
    /// The instance's effective priority.
    pub priority: u8,
}

impl Notification {
    /// The FIFO line: `INSTANCE "VI_1" MASTER 100\n`.
    pub fn fifo_line(&self) -> String {
        format!("{} \"{}\" {} {}\n", self.kind(), self.name, self.state.as_str(), self.priority)
    }

    /// The arguments keepalived appends for the generic `notify` script:
    /// `INSTANCE NAME STATE PRIORITY`.
    pub fn generic_args(&self) -> Vec<String> {
        vec![self.kind().to_string(), self.name.clone(), self.state.as_str().to_string(), self.priority.to_string()]
    }

    /// `GROUP` or `INSTANCE`.
    pub fn kind(&self) -> &'static str {
        if self.group {
            "GROUP"
        } else {
            "INSTANCE"
        }
    }
}

/// An instance's notify scripts in some form `T` (as written, or checked and ready to run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripts<T> {
    pub master: Option<T>,
    pub backup: Option<T>,
    pub fault: Option<T>,
    pub stop: Option<T>,
    /// The generic `notify`.
    pub any: Option<T>,
    pub master_rx_lower_pri: Option<T>,
}

impl<T> Scripts<T> {
    /// Each script of `notify` through `f` (`None` drops it, e.g. when it is refused).
    pub fn from_config(notify: &Notify, mut f: impl FnMut(&ScriptCmd) -> Option<T>) -> Scripts<T> {
        let mut g = |c: &Option<ScriptCmd>| c.as_ref().and_then(&mut f);
        Scripts {
            master: g(&notify.master),
            backup: g(&notify.backup),
            fault: g(&notify.fault),
            stop: g(&notify.stop),
            any: g(&notify.any),
            master_rx_lower_pri: g(&notify.master_rx_lower_pri),
        }
    }

    /// Whether there is any script at all.
    pub fn is_empty(&self) -> bool {
        [&self.master, &self.backup, &self.fault, &self.stop, &self.any, &self.master_rx_lower_pri]
            .iter()
            .all(|s| s.is_none())
    }

    /// What to run for `n`, in order, each with the arguments to append: the state's own
    /// script as written, then the generic one with [`Notification::generic_args`] (not
    /// for `MASTER_RX_LOWER_PRI`, as keepalived's `send_event_notify`).
    pub fn for_notification(&self, n: &Notification) -> Vec<(&T, Vec<String>)> {
        let specific = match n.state {
            NotifyState::Master => &self.master,
            NotifyState::Backup => &self.backup,
            NotifyState::Fault => &self.fault,
            NotifyState::Stop => &self.stop,
            NotifyState::MasterRxLowerPri => &self.master_rx_lower_pri,
        };
        let mut out: Vec<(&T, Vec<String>)> = specific.iter().map(|s| (s, Vec::new())).collect();
        if n.state != NotifyState::MasterRxLowerPri {
            if let Some(generic) = &self.any {
                out.push((generic, n.generic_args()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceLocation;

    fn cmd(text: &str) -> ScriptCmd {
        ScriptCmd {
            text: text.into(),
            argv: text.split(' ').map(str::to_string).collect(),
            shell: false,
            user: None,
            location: SourceLocation { file: "k.conf".into(), line: 1, column: 1 },
        }
    }

    fn n(state: NotifyState) -> Notification {
        Notification { name: "VI_1".into(), group: false, state, priority: 100 }
    }

    /// keepalived `notify_fifo`: `"%s \"%s\" %s %d\n"`.
    #[test]
    fn keepalived_fifo_line_format() {
        assert_eq!(n(NotifyState::Master).fifo_line(), "INSTANCE \"VI_1\" MASTER 100\n");
        assert_eq!(n(NotifyState::Stop).fifo_line(), "INSTANCE \"VI_1\" STOP 100\n");
        assert_eq!(n(NotifyState::MasterRxLowerPri).fifo_line(), "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100\n");
    }

    /// keepalived vrrp_notify.c 129/168/334 (`send_group_notifies`): a sync group is
    /// `GROUP`, with priority 0, on the FIFO and for the generic script.
    #[test]
    fn keepalived_group_notifications_say_group_and_priority_zero() {
        let g = Notification { name: "G".into(), group: true, state: NotifyState::Fault, priority: 0 };
        assert_eq!(g.fifo_line(), "GROUP \"G\" FAULT 0\n");
        assert_eq!(g.generic_args(), ["GROUP", "G", "FAULT", "0"]);
    }

    /// keepalived `send_instance_notifies`: the state's own script as written, then the
    /// generic one with `INSTANCE NAME STATE PRIORITY`.
    #[test]
    fn keepalived_specific_script_then_generic_with_four_arguments() {
        let notify = Notify {
            master: Some(cmd("/etc/k/master.sh a")),
            fault: Some(cmd("/etc/k/fault.sh")),
            any: Some(cmd("/etc/k/any.sh x")),
            master_rx_lower_pri: Some(cmd("/etc/k/lower.sh")),
            ..Notify::default()
        };
        let scripts = Scripts::from_config(&notify, |c| Some(c.clone()));
        let got: Vec<(String, Vec<String>)> =
            scripts.for_notification(&n(NotifyState::Master)).into_iter().map(|(c, a)| (c.text.clone(), a)).collect();
        assert_eq!(
            got,
            vec![
                ("/etc/k/master.sh a".to_string(), vec![]),
                ("/etc/k/any.sh x".to_string(), vec!["INSTANCE".into(), "VI_1".into(), "MASTER".into(), "100".into()]),
            ]
        );
        let backup = scripts.for_notification(&n(NotifyState::Backup));
        assert_eq!(backup.len(), 1, "no notify_backup: only the generic script");
        assert_eq!(backup[0].1[2], "BACKUP");
        let lower = scripts.for_notification(&n(NotifyState::MasterRxLowerPri));
        assert_eq!(lower.len(), 1);
        assert_eq!(lower[0].0.text, "/etc/k/lower.sh", "the generic script is not told of this event");
        let none = Scripts::from_config(&Notify::default(), |c| Some(c.clone()));
        assert!(none.is_empty());
        assert!(!scripts.is_empty());
        assert!(none.for_notification(&n(NotifyState::Stop)).is_empty());
        let refused = Scripts::from_config(&notify, |c| (c.text != "/etc/k/master.sh a").then(|| c.clone()));
        assert_eq!(refused.for_notification(&n(NotifyState::Master)).len(), 1, "a refused script is not run");
    }

    #[test]
    fn keepalived_shutdown_is_stop_and_other_init_is_silent() {
        assert_eq!(NotifyState::of_change(State::Initialize, Reason::Shutdown), Some(NotifyState::Stop));
        assert_eq!(NotifyState::of_change(State::Master, Reason::MasterNoResponse), Some(NotifyState::Master));
        assert_eq!(NotifyState::of_change(State::Fault, Reason::TrackingFault), Some(NotifyState::Fault));
        assert_eq!(NotifyState::of_change(State::Initialize, Reason::Startup), None);
    }
}
