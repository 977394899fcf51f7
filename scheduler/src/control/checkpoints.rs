//! Checkpoints in a run's wall time: after every `checkpoint_interval` of running, the job
//! writes a checkpoint for `checkpoint_cost`, making no progress meanwhile. No checkpoint is
//! written at the very end of a run (the job is done; nothing is left to save), so a run of
//! `w` ms of work writes `⌈w / interval⌉ − 1` checkpoints.
//!
//! A run is a sequence of cycles `interval` running + `cost` writing, from the run's (re)start:
//! a job resuming from a checkpoint starts a fresh cycle. Intervals are counted in wall time
//! of running, as they always were (a faster GPU does more work per interval).

use sim_core::Duration;
use sim_core::model::Job;

use super::job::Loss;

/// How a job checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Checkpointing {
    /// Running time between checkpoints, ms; 0 = the job never checkpoints on its own.
    interval_ms: u64,
    /// Time to write one checkpoint, ms.
    cost_ms: u64,
}

/// What the first `elapsed` ms of a run come to when it stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RunSplit {
    /// Running time kept (saved by a checkpoint, or run to the end), ms of wall time.
    pub(super) kept_ms: u64,
    /// Time spent writing the checkpoints that count, ms (held without progress: idle).
    pub(super) writing_ms: u64,
    /// Time whose work is thrown away, ms (running or writing since the last checkpoint).
    pub(super) lost_ms: u64,
}

impl RunSplit {
    /// The span from the run's start that the last checkpoint covers: kept and writing.
    pub(super) fn saved_span_ms(&self) -> u64 {
        self.kept_ms + self.writing_ms
    }
}

impl Checkpointing {
    /// The job's checkpoint interval and cost (namespace defaults already applied).
    pub(super) fn of(job: &Job) -> Checkpointing {
        Checkpointing {
            interval_ms: job.checkpoint_interval.map_or(0, Duration::as_millis),
            cost_ms: job.checkpoint_cost.map_or(0, Duration::as_millis),
        }
    }

    /// Checkpoints written in a run of `run_ms` ms of running to its end.
    pub(super) fn n_writes(&self, run_ms: u64) -> u64 {
        if self.interval_ms == 0 || run_ms == 0 {
            0
        } else {
            (run_ms - 1) / self.interval_ms
        }
    }

    /// Wall time of a run of `run_ms` ms of running to its end: the running plus the
    /// checkpoints written on the way.
    pub(super) fn wall_time(&self, run_ms: u64) -> Duration {
        Duration(run_ms + self.n_writes(run_ms) * self.cost_ms)
    }

    /// Running and writing time in the first `elapsed` ms of a run: (running, writing).
    pub(super) fn phases(&self, elapsed: u64) -> (u64, u64) {
        if self.interval_ms == 0 || self.cost_ms == 0 {
            return (elapsed, 0);
        }
        let cycle = self.interval_ms + self.cost_ms;
        let n_cycles = elapsed / cycle;
        let rest = elapsed - n_cycles * cycle;
        let running = n_cycles * self.interval_ms + rest.min(self.interval_ms);
        (running, elapsed - running)
    }

    /// A run stops after `elapsed` ms for `loss`:
    /// - a failure or a preemption keeps the checkpoints completed (whole cycles) and loses
    ///   the rest; without a checkpoint interval everything is lost;
    /// - a drain checkpoints on the spot, as it always did: nothing is lost, and the time to
    ///   write that last checkpoint is not modelled;
    /// - a revocation whose notice leaves room for a checkpoint (`cost ≤ notice`) writes one
    ///   that ends as the node goes: the last `cost` ms are writing, nothing is lost. A job
    ///   whose checkpoint takes longer than the notice is lost as in a failure.
    pub(super) fn stop(&self, elapsed: u64, loss: Loss) -> RunSplit {
        match loss {
            Loss::Drain => {
                let (kept_ms, writing_ms) = self.phases(elapsed);
                RunSplit {
                    kept_ms,
                    writing_ms,
                    lost_ms: 0,
                }
            }
            Loss::Revoked { notice } if self.cost_ms <= notice.as_millis() => {
                let last = self.cost_ms.min(elapsed);
                let (kept_ms, writing_ms) = self.phases(elapsed - last);
                RunSplit {
                    kept_ms,
                    writing_ms: writing_ms + last,
                    lost_ms: 0,
                }
            }
            Loss::Failure | Loss::Preempted | Loss::Revoked { .. } => {
                if self.interval_ms == 0 {
                    return RunSplit {
                        kept_ms: 0,
                        writing_ms: 0,
                        lost_ms: elapsed,
                    };
                }
                let cycle = self.interval_ms + self.cost_ms;
                let n_cycles = elapsed / cycle;
                RunSplit {
                    kept_ms: n_cycles * self.interval_ms,
                    writing_ms: n_cycles * self.cost_ms,
                    lost_ms: elapsed - n_cycles * cycle,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;
    const H: u64 = 60 * MIN;

    fn every(interval_ms: u64, cost_ms: u64) -> Checkpointing {
        Checkpointing {
            interval_ms,
            cost_ms,
        }
    }

    #[test]
    fn three_hours_hourly_at_six_minutes_take_three_hours_twelve() {
        // Checkpoints after the first and second hour of work, none at the end: 2 × 6 min.
        let ck = every(H, 6 * MIN);
        assert_eq!(ck.n_writes(3 * H), 2);
        assert_eq!(ck.wall_time(3 * H), Duration(3 * H + 12 * MIN));
        // The whole run: 3 h running, 12 min writing.
        assert_eq!(ck.phases(3 * H + 12 * MIN), (3 * H, 12 * MIN));
    }

    #[test]
    fn a_run_just_past_an_interval_writes_one_checkpoint() {
        let ck = every(H, 6 * MIN);
        assert_eq!(ck.n_writes(H), 0);
        assert_eq!(ck.n_writes(H + 1), 1);
        assert_eq!(ck.wall_time(H + 1), Duration(H + 1 + 6 * MIN));
    }

    #[test]
    fn a_failure_loses_the_work_since_the_last_checkpoint() {
        // Fails at 2 h 30 min of wall time: cycles of 66 min, two complete (132 min), 18 min
        // of running since the second checkpoint are lost.
        let ck = every(H, 6 * MIN);
        let split = ck.stop(150 * MIN, Loss::Failure);
        assert_eq!(
            split,
            RunSplit {
                kept_ms: 2 * H,
                writing_ms: 12 * MIN,
                lost_ms: 18 * MIN,
            }
        );
    }

    #[test]
    fn a_failure_while_writing_loses_the_unfinished_checkpoint() {
        // At 63 min the first checkpoint is half written: nothing saved, 63 min lost.
        let ck = every(H, 6 * MIN);
        assert_eq!(
            ck.stop(63 * MIN, Loss::Failure),
            RunSplit {
                kept_ms: 0,
                writing_ms: 0,
                lost_ms: 63 * MIN,
            }
        );
    }

    #[test]
    fn without_cost_the_split_is_the_old_one() {
        // Interval 10 min, failure at 25 min: 20 min kept, 5 lost; a drain keeps all 25.
        let ck = every(10 * MIN, 0);
        assert_eq!(ck.stop(25 * MIN, Loss::Failure).kept_ms, 20 * MIN);
        assert_eq!(ck.stop(25 * MIN, Loss::Failure).lost_ms, 5 * MIN);
        assert_eq!(ck.stop(25 * MIN, Loss::Drain).kept_ms, 25 * MIN);
        assert_eq!(every(0, 0).stop(25 * MIN, Loss::Failure).lost_ms, 25 * MIN);
    }

    #[test]
    fn a_notice_long_enough_saves_everything_but_the_write() {
        // Revoked after 40 min, notice 30 s, checkpoint 10 s: the last 10 s write it.
        let s = 1000;
        let ck = every(H, 10 * s);
        let notice = Duration(30 * s);
        assert_eq!(
            ck.stop(40 * MIN, Loss::Revoked { notice }),
            RunSplit {
                kept_ms: 40 * MIN - 10 * s,
                writing_ms: 10 * s,
                lost_ms: 0,
            }
        );
        // A 60 s checkpoint does not fit in the notice: the 40 min since the start are lost.
        let slow = every(H, 60 * s);
        assert_eq!(
            slow.stop(40 * MIN, Loss::Revoked { notice }),
            RunSplit {
                kept_ms: 0,
                writing_ms: 0,
                lost_ms: 40 * MIN,
            }
        );
    }
}
