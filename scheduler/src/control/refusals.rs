//! Retries that can only repeat a refusal are not decided again. A binding that no cluster
//! fits (a FitError) or whose assignment a FederatedResourceQuota refused backs off and is
//! retried (1 s, 2 s, … then every 10 s) for as long as it fails. When nothing has changed
//! since the failure (no pod, quota or cluster change, on a current status, and no event for
//! the binding), the retry would decide exactly as before and fail again: it keeps Karmada's
//! timing and counts as an attempt, but reuses the failure instead of filtering, scoring,
//! estimating and dividing again.

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
        self.queue.add_backoff(entry, now);
        true
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
