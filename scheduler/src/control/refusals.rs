//! Retries that can only repeat a refusal are not decided again. A binding that no cluster
//! fits (a FitError) or whose assignment a FederatedResourceQuota refused backs off and is
//! retried (1 s, 2 s, … then every 10 s) for as long as it fails. When nothing has changed
//! since the failure (no pod, quota or cluster change, on a current status, and no event for
//! the binding), the retry would decide exactly as before and fail again: it keeps Karmada's
//! timing and counts as an attempt, but reuses the failure instead of filtering, scoring,
//! estimating and dividing again.
//!
//! Nor is it simulated at all. Such a binding backs off *dormant*: no flush tick is armed for
//! it. When time moves on (any event), its retries up to then are replayed in bulk, each
//! counted as an attempt; when something changes, it backs off like any other binding under
//! the key it would have had. Because the scheduler's flushes and cycles run after every other
//! event of their millisecond (they are late events), a change and a retry in the same
//! millisecond meet in the same order whether the retry was simulated or replayed: results,
//! attempt counts and timings are those of the full simulation (a property test compares the
//! two), with none of its events.

use sim_core::SimTime;
use sim_core::model::JobId;

use super::ControlPlane;
use crate::queue::QueuedBinding;

impl ControlPlane {
    /// Remembers a failure (FitError or quota refusal) that a retry would repeat: the attempt
    /// saw the current status and every change so far.
    pub(super) fn remember_refusal(&mut self, job: JobId) {
        let n_changes = self.n_changes;
        let explained = self.explain.as_ref().is_some_and(|log| log.job == job);
        let active = self.jobs.get_mut(&job).expect("present");
        // Assumed workloads expire with time alone, so with overcommit protection a retry may
        // estimate differently although nothing changed.
        active.refused_at_change = (self.reuse_refusals
            && !explained
            && !self.status.overcommit_protection
            && active.attempted_at_change == Some(n_changes))
        .then_some(n_changes);
    }

    /// A retry that would repeat its failure: backs off again at once and returns true.
    pub(super) fn repeat_refusal(&mut self, entry: QueuedBinding, now: SimTime) -> bool {
        let active = &self.jobs[&entry.job];
        if active.refused_at_change != Some(self.n_changes) {
            return false;
        }
        self.stats.n_refusals_reused += 1;
        self.back_off(entry, now);
        true
    }

    /// After a failure that `handleErr` backs off: dormant when only the same refusal can
    /// follow, otherwise on the flush ticks.
    pub(super) fn back_off(&mut self, entry: QueuedBinding, now: SimTime) {
        if self.jobs[&entry.job].refused_at_change != Some(self.n_changes) {
            self.queue.add_backoff(entry, now);
            return;
        }
        if self.dormant_epoch != self.n_changes {
            self.queue.wake_dormant();
            self.dormant_epoch = self.n_changes;
        }
        self.queue.add_dormant(entry, now);
    }

    /// Something changed since the dormant bindings were refused: they back off for real.
    pub(super) fn wake_if_changed(&mut self) {
        if self.dormant_epoch != self.n_changes {
            self.queue.wake_dormant();
            self.dormant_epoch = self.n_changes;
        }
    }

    /// Before an event at `self.now`: replays the dormant retries of every earlier tick; before
    /// a late event (a flush or cycle, which runs after the other events of its millisecond),
    /// also moves the dormant bindings due at this tick to the active queue, as the tick's
    /// flush would have done first.
    pub(super) fn replay_dormant(&mut self, late: bool) {
        if !self.queue.has_dormant() {
            return;
        }
        debug_assert_eq!(
            self.dormant_epoch, self.n_changes,
            "a change left bindings dormant"
        );
        self.replay_before(self.now);
        if late {
            self.queue.flush_backoff(self.now);
        }
    }

    /// At the end of the run: the retries up to its horizon (and, when it stopped earlier,
    /// only those before its last event, all already replayed).
    pub(super) fn replay_dormant_to_end(&mut self, at_horizon: bool) {
        if at_horizon && self.queue.has_dormant() {
            self.replay_before(SimTime(self.now.0 + 1));
        }
    }

    fn replay_before(&mut self, before: SimTime) {
        let mut replayed = std::mem::take(&mut self.replayed);
        self.queue.replay_dormant(before, &mut replayed);
        // Nothing changed since the refusal, so the status the retries saw is current (a
        // change makes it stale and wakes the dormant bindings).
        let attempted = Some(self.n_changes);
        for job in replayed.drain(..) {
            let active = self.jobs.get_mut(&job).expect("queued bindings are active");
            active.n_attempts += 1;
            active.attempted_at_change = attempted;
            self.stats.n_attempts += 1;
            self.stats.n_refusals_reused += 1;
        }
        self.replayed = replayed;
    }

    /// Karmada's `Push` for an event about the binding (created, its spec or placement
    /// changed, a cluster it may use changed): it may decide differently now.
    pub(super) fn push(&mut self, job: JobId, priority: i32, now: SimTime) {
        if let Some(active) = self.jobs.get_mut(&job) {
            active.refused_at_change = None;
        }
        self.queue.add(job, priority, now);
    }

    /// Decides every retry again (to check that reusing refusals changes no result).
    #[cfg(test)]
    pub(super) fn decide_every_retry(&mut self) {
        self.reuse_refusals = false;
    }
}
