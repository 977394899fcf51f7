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

use super::{Attempt, ControlPlane};
use crate::binding::ResourceBinding;
use crate::divide::Mode;
use crate::estimator::ResourceList;
use crate::generic::Outcome;
use crate::queue::QueuedBinding;

/// Decisions since the last change (no change since, same published status) that identical
/// bindings (differing only in job and UID) share. The unschedulable flush moves every binding
/// parked five minutes to the active queue at once, and in a saturated fleet hundreds of them
/// ask for the same shape and fail for the same reason; under a FederatedResourceQuota, every
/// binding of a namespace at its limit wakes at each change and is refused again. A failure
/// does not depend on the UID, so it is shared as it is. A success's division may (Webster
/// ties follow the UID), but its total does not, so a single-template success is shared only
/// when quota admission refuses it, which depends on the total alone.
///
/// Decisions are shared only among the scheduler's own flushes and cycles: any other event
/// (an arrival, a pod's end, a fault, a health check, an eviction timeout, a timeline change)
/// forgets them, as does a change made by a decision (pods bound, quota counted) or a new
/// published status. What remains between two such moments is time alone, and nothing in a
/// decision reads the time (assumed workloads, which expire with it, turn sharing off).
#[derive(Debug, Default)]
pub(super) struct FailureMemo {
    at: Option<(u64, SimTime)>,
    entries: Vec<(ResourceBinding, Mode, Attempt)>,
}

impl FailureMemo {
    /// Something other than the scheduler happened: no decision is shared past it.
    pub(super) fn forget(&mut self) {
        self.at = None;
        self.entries.clear();
    }
}

/// A decision shared with an identical binding: its place in the memo, and for a success,
/// the quota refusing it and the usage it would have reached.
pub(super) struct Shared {
    idx: usize,
    refused: Option<(usize, ResourceList)>,
}

/// Writes `reason` as the job's last failure, reusing the previous message's allocation.
fn set_failure(slot: &mut Option<String>, reason: &str) {
    match slot {
        Some(message) => {
            message.clear();
            message.push_str(reason);
        }
        None => *slot = Some(reason.to_owned()),
    }
}

/// At most this many distinct failures are kept per moment (a linear scan finds them).
const MEMO_ENTRIES: usize = 32;

/// True when `a` and `b` give the same decision whatever their job and UID.
fn same_inputs(a: &ResourceBinding, b: &ResourceBinding) -> bool {
    let ResourceBinding {
        job: _,
        uid: _,
        replicas,
        request,
        namespace,
        priority_class,
        priority,
        clusters,
        placement,
        api_resource,
        observed_affinity,
        evicting_from,
        components,
    } = a;
    *replicas == b.replicas
        && *request == b.request
        && *namespace == b.namespace
        && *priority_class == b.priority_class
        && *priority == b.priority
        && *clusters == b.clusters
        && *placement == b.placement
        && *api_resource == b.api_resource
        && *observed_affinity == b.observed_affinity
        && *evicting_from == b.evicting_from
        && *components == b.components
}

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
        self.wake_if_changed();
        self.queue.add_dormant(entry, now);
    }

    /// Something changed since the dormant bindings were refused: they back off for real.
    pub(super) fn wake_if_changed(&mut self) {
        if self.dormant_epoch != self.n_changes {
            self.queue.wake_dormant();
            self.credit_retries();
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
            self.credit_retries();
        }
    }

    /// At the end of the run: the retries up to its horizon (and, when it stopped earlier,
    /// only those before its last event, all already replayed).
    pub(super) fn replay_dormant_to_end(&mut self, at_horizon: bool) {
        if at_horizon && self.queue.has_dormant() {
            self.replay_before(SimTime(self.now.0 + 1));
        }
        self.queue.settle_dormant();
        self.credit_retries();
    }

    fn replay_before(&mut self, before: SimTime) {
        let n_retries = self.queue.replay_dormant(before);
        self.stats.n_attempts += n_retries;
        self.stats.n_refusals_reused += n_retries;
        self.credit_retries();
    }

    /// Adds the retries the queue replayed or counted to their jobs' attempts. Nothing changed
    /// since their refusals, so the status those retries saw was current: each job's
    /// `attempted_at_change` already says so.
    pub(super) fn credit_retries(&mut self) {
        for (job, n) in self.queue.drain_credits() {
            let active = self.jobs.get_mut(&job).expect("queued bindings are active");
            active.n_attempts += n;
        }
    }

    /// Whether identical bindings share decisions: not when deciding every retry, nor for
    /// `explain` (which wants every plugin's answer), nor under overcommit protection
    /// (assumptions are per job).
    fn shares_decisions(&self) -> bool {
        self.reuse_refusals && self.explain.is_none() && !self.status.overcommit_protection
    }

    /// The decision of an identical binding made since the last change that `job`'s binding
    /// may share: a failure, or a success that quota admission refuses (with the refusal).
    pub(super) fn shared_decision(&mut self, job: JobId, mode: Mode) -> Option<Shared> {
        if !self.shares_decisions() {
            return None;
        }
        let at = (self.n_changes, self.status.next);
        if self.memo.at != Some(at) {
            self.memo.at = Some(at);
            self.memo.entries.clear();
        }
        let binding = &self.jobs[&job].binding;
        let idx = self
            .memo
            .entries
            .iter()
            .position(|(b, m, _)| *m == mode && same_inputs(b, binding))?;
        let refused = match &self.memo.entries[idx].2.outcome {
            Outcome::Scheduled(assignment) => Some(self.quota_refusal(binding, assignment)?),
            _ => None,
        };
        self.stats.n_failures_shared += 1;
        Some(Shared { idx, refused })
    }

    /// The attempt of a shared decision, for the general path.
    pub(super) fn shared_attempt(&self, shared: &Shared) -> Attempt {
        self.memo.entries[shared.idx].2.clone()
    }

    /// Repeats a shared failure for `entry` without copying it, when it neither clears the
    /// previous result nor is a FitError (which would): a shortage parks the binding, a quota
    /// refusal backs it off. Returns false, changing nothing, for the other outcomes.
    pub(super) fn repeat_shared(
        &mut self,
        entry: QueuedBinding,
        now: SimTime,
        shared: &Shared,
    ) -> bool {
        let (_, _, attempt) = &self.memo.entries[shared.idx];
        if attempt.clear {
            return false;
        }
        let active = self.jobs.get_mut(&entry.job).expect("present");
        match (&attempt.outcome, shared.refused) {
            (Outcome::Unschedulable(reason), _) => {
                active
                    .binding
                    .observed_affinity
                    .clone_from(&attempt.observed_affinity);
                set_failure(&mut active.last_failure, reason);
                active.unschedulable = true;
                if self.preemption.config.control_plane {
                    self.preemption.maybe.push(entry.job);
                }
                self.queue.add_unschedulable(entry, now);
            }
            // The assignment is refused before it is written: only the failure is left.
            (Outcome::Scheduled(_), Some(refused)) => {
                active
                    .binding
                    .observed_affinity
                    .clone_from(&attempt.observed_affinity);
                let reason = self.quota.refusal(refused.0, refused.1, &self.world);
                let active = self.jobs.get_mut(&entry.job).expect("present");
                set_failure(&mut active.last_failure, reason);
                active.unschedulable = true;
                self.remember_refusal(entry.job);
                self.back_off(entry, now);
            }
            _ => return false,
        }
        true
    }

    /// Makes a decision, kept for identical bindings to share until the next change when it
    /// is a failure, or a success that quota admission may refuse.
    pub(super) fn decide_remembered(&mut self, binding: &ResourceBinding, mode: Mode) -> Attempt {
        let attempt = self.decide(binding, mode);
        let at = (self.n_changes, self.status.next);
        if !self.shares_decisions() || self.memo.at != Some(at) {
            return attempt;
        }
        let keep = match &attempt.outcome {
            Outcome::NoClusterFit(_) | Outcome::Unschedulable(_) => true,
            Outcome::Scheduled(_) => {
                !binding.is_multi_component() && self.quota.enforces_federated()
            }
            Outcome::Error(_) => false,
        };
        if keep
            && self.memo.entries.len() < MEMO_ENTRIES
            && !self
                .memo
                .entries
                .iter()
                .any(|(b, m, _)| *m == mode && same_inputs(b, binding))
        {
            // The per-term decisions are for `explain`, which shares nothing.
            let shared = Attempt {
                decisions: Vec::new(),
                outcome: attempt.outcome.clone(),
                observed_affinity: attempt.observed_affinity.clone(),
                clear: attempt.clear,
            };
            self.memo.entries.push((binding.clone(), mode, shared));
        }
        attempt
    }

    /// Karmada's `Push` for an event about the binding (created, its spec or placement
    /// changed, a cluster it may use changed): it may decide differently now. A job Karmada
    /// does not manage has no binding to queue.
    pub(super) fn push(&mut self, job: JobId, priority: i32, now: SimTime) {
        let mut gpu_milli = 0;
        if let Some(active) = self.jobs.get_mut(&job) {
            if !active.managed(self.unmanaged_placement) {
                return;
            }
            active.refused_at_change = None;
            gpu_milli = active.job.gpu_milli();
        }
        self.queue.add(job, priority, gpu_milli, now);
        self.credit_retries();
    }

    /// Simulates and decides every retry again, as Karmada makes them: no dormant backoff,
    /// no shared decision. Much slower; for checking that skipping them changes no result.
    pub fn decide_every_retry(&mut self) {
        self.reuse_refusals = false;
    }
}
