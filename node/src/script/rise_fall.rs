//! keepalived's rise/fall counting for a `vrrp_script`, as a pure type.
//!
//! keepalived 2.2.7 keeps one counter, `vscript->result`, in `0..rise+fall`: the script
//! is good when `result >= rise` (`vrrp_data.c`: `Status = GOOD/BAD`). What each run does
//! to it is `vrrp_scheduler.c: vrrp_script_child_thread`; where it starts is
//! `vrrp_scheduler.c: vrrp_init_script` (`rise - 1` for a normal script, "one success is
//! enough"; `0` with `init_fail`, `vrrp_parser.c: vrrp_vscript_init_fail_handler`).
//! A normal script also starts in keepalived's `SCRIPT_INIT_STATE_INIT`: its first result,
//! whichever it is, is reported (`update_script_priorities`) even when it does not move
//! the counter across `rise`. After the first result the state is only reported when it
//! changes.

/// What the protocol side knows about a tracked script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptState {
    /// No result yet (keepalived's `SCRIPT_INIT_STATE_INIT`): a `weight 0` script holds
    /// its instances out of MASTER/BACKUP until it reports, a weighted one changes no
    /// priority until then (`vrrp_track.c: initialise_track_script_state`).
    Unknown,
    Good,
    Bad,
}

/// The rise/fall counter of one `vrrp_script`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    /// keepalived's `vscript->result`, in `0..rise + fall`.
    result: u32,
    /// keepalived's `init_state == SCRIPT_INIT_STATE_INIT`: nothing reported yet.
    init: bool,
}

impl RiseFall {
    /// A counter for `rise`/`fall` (values below 1 are taken as 1, keepalived's minimum).
    /// With `init_fail` the script starts [`ScriptState::Bad`] and needs `rise` successes
    /// (`SCRIPT_INIT_STATE_FAILED`, `result = 0`); otherwise it starts
    /// [`ScriptState::Unknown`] one success short of `rise` (`result = rise - 1`).
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> RiseFall {
        let rise = rise.max(1);
        let fall = fall.max(1);
        if init_fail {
            RiseFall { rise, fall, result: 0, init: false }
        } else {
            RiseFall { rise, fall, result: rise - 1, init: true }
        }
    }

    pub fn state(&self) -> ScriptState {
        if self.init {
            ScriptState::Unknown
        } else if self.result >= self.rise {
            ScriptState::Good
        } else {
            ScriptState::Bad
        }
    }

    /// Counts one run (`success`: exited 0). Returns `Some(good)` when keepalived calls
    /// `update_script_priorities(vscript, good)`: the tracked state changed, or this is the
    /// first result of a script that started [`ScriptState::Unknown`].
    pub fn record(&mut self, success: bool) -> Option<bool> {
        let top = self.rise + self.fall - 1;
        let mut report = None;
        if success {
            if self.result < self.rise - 1 {
                self.result += 1;
            } else if self.result != top {
                if self.result < self.rise {
                    report = Some(true);
                }
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            if self.result == self.rise || self.init {
                report = Some(false);
            }
            self.result = 0;
        }
        self.init = false;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `runs` (`true` = exit 0) and returns what each run reported.
    fn feed(rf: &mut RiseFall, runs: &[bool]) -> Vec<Option<bool>> {
        runs.iter().map(|&ok| rf.record(ok)).collect()
    }

    #[test]
    fn keepalived_init_first_success_reports_good_even_with_rise_3() {
        // vrrp_init_script: result = rise - 1, "one success is enough".
        let mut rf = RiseFall::new(3, 2, false);
        assert_eq!(rf.state(), ScriptState::Unknown);
        assert_eq!(rf.record(true), Some(true));
        assert_eq!(rf.state(), ScriptState::Good);
    }

    #[test]
    fn keepalived_init_first_failure_reports_bad_even_with_fall_3() {
        // vrrp_script_child_thread: result <= rise and init_state == INIT -> report bad.
        let mut rf = RiseFall::new(2, 3, false);
        assert_eq!(rf.record(false), Some(false));
        assert_eq!(rf.state(), ScriptState::Bad);
    }

    #[test]
    fn keepalived_fall_needs_fall_consecutive_failures() {
        let mut rf = RiseFall::new(1, 3, false);
        assert_eq!(rf.record(true), Some(true));
        assert_eq!(feed(&mut rf, &[false, false]), [None, None]);
        assert_eq!(rf.state(), ScriptState::Good);
        // A success in between starts the count again (result = rise + fall - 1).
        assert_eq!(feed(&mut rf, &[true, false, false]), [None, None, None]);
        assert_eq!(rf.record(false), Some(false));
        assert_eq!(rf.state(), ScriptState::Bad);
        // Further failures say nothing more.
        assert_eq!(feed(&mut rf, &[false, false]), [None, None]);
    }

    #[test]
    fn keepalived_rise_needs_rise_consecutive_successes() {
        let mut rf = RiseFall::new(3, 1, false);
        assert_eq!(rf.record(false), Some(false));
        assert_eq!(feed(&mut rf, &[true, true]), [None, None]);
        // A failure in between resets to 0.
        assert_eq!(feed(&mut rf, &[false, true, true]), [None, None, None]);
        assert_eq!(rf.state(), ScriptState::Bad);
        assert_eq!(rf.record(true), Some(true));
        assert_eq!(rf.state(), ScriptState::Good);
        assert_eq!(feed(&mut rf, &[true, true]), [None, None]);
    }

    #[test]
    fn keepalived_init_fail_starts_bad_and_needs_rise_successes() {
        // vrrp_vscript_init_fail_handler: SCRIPT_INIT_STATE_FAILED, result = 0.
        let mut rf = RiseFall::new(2, 1, true);
        assert_eq!(rf.state(), ScriptState::Bad);
        // Already bad and known: a failure reports nothing.
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(true), None);
        assert_eq!(rf.record(true), Some(true));
        assert_eq!(rf.record(false), Some(false));
    }

    #[test]
    fn keepalived_init_fail_with_rise_1_one_success_is_good() {
        let mut rf = RiseFall::new(1, 1, true);
        assert_eq!(rf.record(true), Some(true));
        assert_eq!(rf.record(true), None);
    }

    #[test]
    fn keepalived_counter_matches_the_manual_on_every_short_sequence() {
        // Exhaustive over every 8-run sequence, against the rules as the manual states them:
        // the first result decides, then `rise` consecutive successes make a bad script
        // good and `fall` consecutive failures make a good one bad; only changes report.
        for rise in 1..=3u32 {
            for fall in 1..=3u32 {
                for bits in 0u32..(1 << 8) {
                    let mut rf = RiseFall::new(rise, fall, false);
                    let mut model: Option<bool> = None;
                    let (mut oks, mut kos) = (0u32, 0u32);
                    for i in 0..8 {
                        let ok = bits & (1 << i) != 0;
                        if ok {
                            oks += 1;
                            kos = 0;
                        } else {
                            kos += 1;
                            oks = 0;
                        }
                        let before = model;
                        model = match model {
                            None => Some(ok),
                            Some(true) if kos >= fall => Some(false),
                            Some(false) if oks >= rise => Some(true),
                            m => m,
                        };
                        let reported = rf.record(ok);
                        assert_eq!(
                            reported,
                            (before != model).then_some(ok),
                            "rise {rise} fall {fall} bits {bits:08b} run {i}"
                        );
                        let want = if model == Some(true) { ScriptState::Good } else { ScriptState::Bad };
                        assert_eq!(rf.state(), want);
                        assert!(rf.result < rise + fall);
                    }
                }
            }
        }
    }
}
