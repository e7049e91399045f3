//! The notifier thread: state changes in keepalived's words, off the protocol loop (a
//! blocked stderr must never delay an advert). Notify scripts will hang off here.

use tracing::{info, warn};

use super::engine::Notice;
use crate::sync::NotifyQueue;

/// Pops notices until [`Notice::Stop`], logging each state change.
pub(super) fn run(notices: &NotifyQueue<Notice>, names: &[String]) {
    let mut dropped = 0;
    loop {
        match notices.pop() {
            Notice::Stop => return,
            Notice::State { instance, from, to, reason } => {
                let name = names.get(usize::from(instance.0)).map_or("?", String::as_str);
                info!("({name}) Entering {} STATE (from {}: {})", to.as_str(), from.as_str(), reason.as_str());
            }
        }
        if notices.dropped() != dropped {
            dropped = notices.dropped();
            warn!("{dropped} state-change notices dropped: the notifier could not keep up");
        }
    }
}
