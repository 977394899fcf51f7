//! Dormant backoffs: bindings whose retries can only repeat their refusal until something
//! changes (see `control::refusals`). No flush tick is armed for them; their retries are
//! replayed when time moves past them, or they join the backoff queue when something changes.
//!
//! A binding retried at every tick of its backoff keeps its place among those retried with
//! it: at the longest backoff they are all due again together, one period later, and sort as
//! they did. Once a replayed tick leaves bindings at the longest backoff, they form a *cohort*
//! whose later ticks are counted, not replayed one by one: a tick costs the same whether one
//! binding or a thousand retry at it. A cohort turns back into single entries, with the keys
//! the replays would have given them, as soon as anything else meets it (another binding due
//! at its tick, a flush, a change, the end of the run). This holds for queue sorts whose key
//! does not read the attempts ([`QueueSort::key_ignores_attempts`]); with any other, every
//! tick is replayed.

use sim_core::SimTime;
use sim_core::model::JobId;

use super::{ActiveKey, QueuedBinding, SchedulingQueue, Slot, dormant_in, next_tick, sort_key};

/// Bindings at the longest backoff retried together at every tick of one period.
#[derive(Debug)]
pub(super) struct Cohort {
    /// The tick of their next retry.
    next: SimTime,
    count: Count,
    /// The members in retry order (by the keys they had when the cohort formed).
    members: Vec<(ActiveKey, QueuedBinding)>,
}

/// What a cohort's counted retries left each member.
#[derive(Clone, Copy, Debug)]
struct Count {
    /// Retries counted since the cohort formed, each member's.
    ticks: u32,
    /// The last counted retry's tick (when `ticks > 0`).
    last: SimTime,
    /// The first of the queue counters reserved at that retry, one per member in order.
    seq_base: u64,
    /// When the cohort formed, the expiry every member had.
    expiry: SimTime,
}

impl SchedulingQueue {
    /// Like [`add_backoff`](Self::add_backoff), for a binding whose retries can only repeat
    /// its refusal until something changes: no tick is armed for it
    /// ([`next_backoff_expiry`](Self::next_backoff_expiry) does not see it).
    pub fn add_dormant(&mut self, entry: QueuedBinding, now: SimTime) {
        self.insert_backoff(entry, now, true);
    }

    /// True when some binding backs off dormant.
    pub fn has_dormant(&self) -> bool {
        !self.dormant.is_empty() || !self.cohorts.is_empty()
    }

    /// Something changed: dormant bindings back off like any other, under the keys they had.
    pub fn wake_dormant(&mut self) {
        self.dissolve_cohorts(SimTime(u64::MAX));
        let mut woken = Vec::new();
        self.dormant
            .move_all(&mut self.backoff, dormant_in(&self.slots), |entry, key| {
                woken.push((entry.job, key));
            });
        for (job, key) in woken {
            self.slots.insert(job, Slot::Backoff(key));
        }
    }

    /// Every binding's counted retries are credited (see
    /// [`drain_credits`](Self::drain_credits)): the end of a run.
    pub fn settle_dormant(&mut self) {
        self.dissolve_cohorts(SimTime(u64::MAX));
    }

    /// Retries replayed or counted since the last call, per binding (a binding may appear
    /// more than once): what each job's attempt count lacks.
    pub fn drain_credits(&mut self) -> std::vec::Drain<'_, (JobId, u32)> {
        self.credits.drain(..)
    }

    /// Replays the retries of dormant bindings at every backoff tick before `before`, as the
    /// full simulation would make them with nothing else happening: the tick flushes the due
    /// entries in key order, the cycle pops them in active order (the sort's key, then
    /// flush order), and each fails again and backs off from the tick. Returns the number of
    /// retries; each is credited to its binding, at once or when its cohort dissolves.
    pub fn replay_dormant(&mut self, before: SimTime) -> u64 {
        let period = self.config.backoff_flush;
        let mut n_retries = 0;
        loop {
            let single = self
                .dormant
                .first_expiry()
                .map(|expiry| next_tick(expiry, period));
            let cohort = self.cohorts.values().map(|c| c.next).min();
            let Some(tick) = single.into_iter().chain(cohort).min() else {
                break;
            };
            if tick >= before {
                break;
            }
            if single == Some(tick) {
                // Others retry at this tick too: the cohort's members sort with them.
                self.dissolve_cohorts(tick);
                n_retries += self.replay_tick(tick);
            } else {
                n_retries += self.count_tick(tick);
            }
        }
        n_retries
    }

    /// One tick's retries of single entries, replayed; those left at the longest backoff form
    /// a cohort.
    fn replay_tick(&mut self, tick: SimTime) -> u64 {
        let mut due = Vec::new();
        self.dormant
            .take_due(tick, dormant_in(&self.slots), &mut due);
        // Equal sort keys keep the flush order.
        due.sort_by_cached_key(|(key, entry)| (sort_key(self.sort.as_ref(), entry), *key));
        let n_retries = due.len() as u64;
        let grouped =
            self.sort.key_ignores_attempts() && self.config.backoff_max > sim_core::Duration::ZERO;
        let expiry = tick.after(self.config.backoff_max);
        let mut members = Vec::new();
        let id = self.next_cohort;
        for (_, mut entry) in due {
            self.slots.remove(&entry.job);
            entry.attempts += 1;
            self.credits.push((entry.job, 1));
            if grouped && self.backoff_duration(entry.attempts) == self.config.backoff_max {
                let (at, key) = self.backoff_key(&mut entry, tick);
                debug_assert_eq!(at, expiry);
                self.slots.insert(entry.job, Slot::Cohort(id, key));
                members.push((key, entry));
            } else {
                self.insert_backoff(entry, tick, true);
            }
        }
        if !members.is_empty() {
            // Already in order under Karmada's sort (the retries took their keys in it).
            members.sort_by_key(|(key, _)| *key);
            self.next_cohort += 1;
            let cohort = Cohort {
                next: next_tick(expiry, self.config.backoff_flush),
                count: Count {
                    ticks: 0,
                    last: tick,
                    seq_base: 0,
                    expiry,
                },
                members,
            };
            self.cohorts.insert(id, cohort);
        }
        n_retries
    }

    /// A tick at which only cohorts retry: each member's retry is counted, and the queue
    /// counters its new key would take are reserved, so that it sorts as replayed.
    fn count_tick(&mut self, tick: SimTime) -> u64 {
        let mut n_retries = 0;
        let step = self.config.backoff_max;
        for cohort in self.cohorts.values_mut().filter(|c| c.next == tick) {
            let n = cohort.members.len() as u64;
            cohort.count.ticks += 1;
            cohort.count.last = tick;
            cohort.count.seq_base = self.seq + 1;
            self.seq += n;
            cohort.next = next_tick(tick.after(step), self.config.backoff_flush);
            n_retries += n;
        }
        n_retries
    }

    /// Cohorts due at or before `until` become single dormant entries again, each with the
    /// attempts, enqueue time and key its counted retries would have left it.
    pub(super) fn dissolve_cohorts(&mut self, until: SimTime) {
        let due: Vec<u64> = self
            .cohorts
            .iter()
            .filter(|(_, c)| c.next <= until)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let cohort = self.cohorts.remove(&id).expect("listed");
            for (i, (key, entry)) in cohort.members.into_iter().enumerate() {
                let (key, entry) = self.counted(cohort.count, i as u64, key, entry);
                self.slots.insert(entry.job, Slot::Dormant(key));
                self.dormant.push(key, entry);
            }
        }
    }

    /// Takes one member out of its cohort, as its counted retries left it.
    pub(super) fn take_member(&mut self, id: u64, key: ActiveKey) -> Option<QueuedBinding> {
        let cohort = self.cohorts.get_mut(&id)?;
        let index = cohort
            .members
            .binary_search_by_key(&key, |(key, _)| *key)
            .ok()?;
        let (_, entry) = cohort.members.remove(index);
        let index = index as u64;
        let count = cohort.count;
        if cohort.members.is_empty() {
            self.cohorts.remove(&id);
        }
        Some(self.counted(count, index, key, entry).1)
    }

    /// A member's entry and dormant key after the cohort's counted retries, which are
    /// credited to its binding.
    fn counted(
        &mut self,
        cohort: Count,
        index: u64,
        key: ActiveKey,
        mut entry: QueuedBinding,
    ) -> ((SimTime, ActiveKey), QueuedBinding) {
        if cohort.ticks == 0 {
            return ((cohort.expiry, key), entry);
        }
        self.credits.push((entry.job, cohort.ticks));
        entry.attempts += cohort.ticks;
        entry.timestamp = cohort.last;
        let expiry = cohort.last.after(self.config.backoff_max);
        let sort = sort_key(self.sort.as_ref(), &entry);
        ((expiry, (sort, cohort.seq_base + index)), entry)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::queue::{PrioritySort, QueueConfig, QueueKey, QueueSort};

    /// Karmada's order, claiming to read the attempts: every tick is replayed one by one.
    struct OneByOne;

    impl QueueSort for OneByOne {
        fn name(&self) -> &'static str {
            "OneByOne"
        }
        fn key(&self, entry: &QueuedBinding) -> QueueKey {
            PrioritySort.key(entry)
        }
    }

    /// Credits per job, summed.
    fn credits(q: &mut SchedulingQueue) -> BTreeMap<JobId, u32> {
        let mut sums = BTreeMap::new();
        for (job, n) in q.drain_credits() {
            *sums.entry(job).or_insert(0) += n;
        }
        sums
    }

    #[test]
    fn counted_retries_equal_retries_replayed_one_by_one() {
        // Six bindings, priorities 0, 5, 5, 0, 10, 5, refused at 0 s, 0.5 s, … 2.5 s; the
        // even ones already at the longest backoff (attempts 5), the odd ones after their
        // first attempt. Job 0 (10-s backoff from 0 s) retries at 10, 20, … 190 s: 19 times
        // before 200 s. Job 1 (from 0.5 s) backs off 1, 2, 4, 8 s, retrying at 2, 4, 8 and
        // 16 s, then every 10 s from 26 s to 196 s: 4 + 18 = 22 times. Job 2 is queued afresh
        // at 100 s, after retries at 11, 21, … 91 s (its backoff ends at 11 s): 9.
        let queues = [
            SchedulingQueue::new(QueueConfig::default()),
            SchedulingQueue::with_sort(QueueConfig::default(), Arc::new(OneByOne)),
        ];
        let runs = queues.map(|mut q| {
            let priorities = [0, 5, 5, 0, 10, 5];
            for (i, p) in priorities.iter().enumerate() {
                q.add(JobId(i as u64), *p, 0, SimTime(0));
            }
            let mut popped: Vec<QueuedBinding> = std::iter::from_fn(|| q.pop()).collect();
            popped.sort_by_key(|e| e.job);
            for mut entry in popped {
                if entry.job.0 % 2 == 0 {
                    entry.attempts = 5;
                }
                q.add_dormant(entry, SimTime(500 * entry.job.0));
            }
            // Job 6 (priority 0, like job 0) is refused at 22 s with an 8-s backoff: its
            // retry at 30 s meets job 0's cohort, which goes first (enqueued at 20 s), and
            // the two retry together from then on: 30, 40, … 190 s, 17 retries.
            let mut n = q.replay_dormant(SimTime(22_000));
            q.add(JobId(6), 0, 0, SimTime(22_000));
            let mut late = q.pop().expect("job 6");
            late.attempts = 4;
            q.add_dormant(late, SimTime(22_000));
            n += q.replay_dormant(SimTime(100_000));
            q.add(JobId(2), 5, 0, SimTime(100_000));
            let fresh = q.pop().expect("job 2, queued afresh");
            n += q.replay_dormant(SimTime(200_000));
            let sums = credits(&mut q);
            // Then something changes: each binding backs off for real, where it was.
            q.wake_dormant();
            let woken = credits(&mut q);
            let mut order = Vec::new();
            for tick in 200..=215 {
                q.flush_backoff(SimTime(tick * 1000));
                order.extend(std::iter::from_fn(|| q.pop()).map(|e| (tick, e)));
            }
            (n, fresh, sums, woken, order)
        });
        let [counted, replayed] = runs;
        assert_eq!(counted.2[&JobId(0)] + counted.3[&JobId(0)], 19);
        assert_eq!(counted.2[&JobId(1)] + counted.3[&JobId(1)], 22);
        assert_eq!(counted.2[&JobId(2)], 9);
        assert_eq!(counted.2[&JobId(6)] + counted.3[&JobId(6)], 17);
        assert_eq!(counted.1.attempts, 1, "queued afresh");
        assert_eq!(counted.0, replayed.0);
        let total = |c: &(
            u64,
            QueuedBinding,
            BTreeMap<JobId, u32>,
            BTreeMap<JobId, u32>,
            _,
        )| {
            c.2.values()
                .chain(c.3.values())
                .map(|n| u64::from(*n))
                .sum::<u64>()
        };
        assert_eq!(total(&counted), counted.0);
        assert_eq!(total(&replayed), replayed.0);
        // Each job's attempts, and the order and keys in which the woken bindings come back.
        let merged = |c: &(
            u64,
            QueuedBinding,
            BTreeMap<JobId, u32>,
            BTreeMap<JobId, u32>,
            _,
        )| {
            let mut m = c.2.clone();
            for (job, n) in &c.3 {
                *m.entry(*job).or_insert(0) += n;
            }
            m
        };
        assert_eq!(merged(&counted), merged(&replayed));
        assert_eq!(counted.4, replayed.4);
        assert_eq!(counted.4.len(), 6, "every binding but job 2 comes back");
    }
}
