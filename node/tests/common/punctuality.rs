//! vrrpd's timer punctuality held against what this machine can do, for tests that load it
//! in other ways (e2e_track_hang: scripts hanging and being killed). The reference and the
//! bound are e2e_timer's, which explains them: a bare timer thread at vrrpd's priority
//! (nice -10) waking every period at absolute deadlines through the same window measures the
//! kernel's wake-up latency, and vrrpd may be late more than 1 ms at most 10 % of its
//! expiries plus twice the reference's share.

use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::time::{clock_gettime, clock_nanosleep, ClockId, ClockNanosleepFlags};

/// `(expiries, more than 1 ms late, worst lateness)` of a bare timer at nice -10 waking
/// every `period` at absolute deadlines (CLOCK_MONOTONIC, TIMER_ABSTIME) over `window`.
pub fn reference_timer(period: Duration, window: Duration) -> (u64, u64, Duration) {
    let tid = nix::unistd::gettid().as_raw();
    // SAFETY: setpriority only changes this thread's nice value (Linux applies PRIO_PROCESS
    // with a thread id to that thread); no memory is involved.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, -10) };
    assert_eq!(rc, 0, "nice -10 for the reference timer: {}", std::io::Error::last_os_error());
    let now = || Duration::from(clock_gettime(ClockId::CLOCK_MONOTONIC).expect("clock_gettime"));
    let end = now() + window;
    let mut deadline = now() + period;
    let (mut fired, mut late, mut worst) = (0, 0, Duration::ZERO);
    while deadline < end {
        let _ =
            clock_nanosleep(ClockId::CLOCK_MONOTONIC, ClockNanosleepFlags::TIMER_ABSTIME, &TimeSpec::from(deadline));
        let lateness = now().saturating_sub(deadline);
        fired += 1;
        late += u64::from(lateness > Duration::from_millis(1));
        worst = worst.max(lateness);
        deadline += period;
    }
    (fired, late, worst)
}

/// vrrpd's timer counters over a window (`vrrpctl status` "timer": fired, late_over_1ms)
/// beside the reference timer's.
#[derive(Debug, Clone, Copy)]
pub struct Punctuality {
    pub fired: u64,
    pub late: u64,
    pub ref_fired: u64,
    pub ref_late: u64,
    pub ref_worst: Duration,
}

impl Punctuality {
    /// e2e_timer's bound: at most 10 % of vrrpd's expiries more than 1 ms late, plus twice
    /// the reference's share in the same window.
    pub fn holds(&self) -> bool {
        self.late * 10 * self.ref_fired <= self.fired * (self.ref_fired + 20 * self.ref_late)
    }
}
