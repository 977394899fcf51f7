//! Karmada's scheduling queue (`pkg/scheduler/internal/queue/scheduling_queue.go`): an active
//! queue in its queue sort's order (Karmada's: priority then enqueue time, [`PrioritySort`]), a
//! backoff queue, and an unschedulable set flushed back after a maximum stay. None of them is
//! an ordered tree: each exploits how it is filled (`active`, `timed`, `parked`), and gives
//! entries back in the order a map keyed by due time, sort key and push order would.
//!
//! Periodic flushes are modelled as ticks on a fixed grid from time zero (every
//! `backoff_flush` and every `unschedulable_flush`), as a free-running ticker would fire;
//! the control plane only schedules a tick when something waits for it, so an idle queue
//! costs no events.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use sim_core::model::JobId;
use sim_core::{Duration, SimTime};

/// Queue timings; every default is Karmada's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    /// First backoff after a failed attempt (1 s).
    pub backoff_initial: Duration,
    /// Longest backoff (10 s).
    pub backoff_max: Duration,
    /// How often expired backoffs move to the active queue (1 s).
    pub backoff_flush: Duration,
    /// How long an unschedulable binding waits before it is retried anyway (5 min).
    pub unschedulable_max_stay: Duration,
    /// How often the unschedulable set is checked (30 s).
    pub unschedulable_flush: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(10),
            backoff_flush: Duration::from_secs(1),
            unschedulable_max_stay: Duration::from_mins(5),
            unschedulable_flush: Duration::from_secs(30),
        }
    }
}

/// A binding's place in the active queue: lower pops first. Bindings with equal keys pop in
/// the order they were queued.
pub type QueueKey = (i64, i64);

/// The order of the active queue (Karmada's `QueueSort` plugin): a key per queued binding,
/// computed whenever it is (re)queued.
pub trait QueueSort {
    /// The order's registered name.
    fn name(&self) -> &'static str;
    /// The binding's key; lower pops first, equal keys in queueing order.
    fn key(&self, entry: &QueuedBinding) -> QueueKey;
    /// True when the key does not read `attempts`: bindings retried together, which share
    /// their enqueue time, then keep their order from one retry to the next, and their
    /// retries can be counted instead of replayed (see `dormant`).
    fn key_ignores_attempts(&self) -> bool {
        false
    }
}

/// Karmada's order: higher `schedulePriority` first, then earlier enqueue time.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrioritySort;

impl PrioritySort {
    /// Registered name.
    pub const NAME: &'static str = "PrioritySort";
}

impl QueueSort for PrioritySort {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn key(&self, entry: &QueuedBinding) -> QueueKey {
        (-i64::from(entry.priority), entry.timestamp.0 as i64)
    }

    fn key_ignores_attempts(&self) -> bool {
        true
    }
}

/// Active-queue order: the sort's key, then push order.
type ActiveKey = (QueueKey, u64);

/// A binding waiting in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuedBinding {
    /// The binding's job.
    pub job: JobId,
    /// `spec.schedulePriority.priority`.
    pub priority: i32,
    /// When it was (re)queued; earlier pops first among equal priorities.
    pub timestamp: SimTime,
    /// Scheduling attempts so far.
    pub attempts: u32,
    /// Milli-GPU the job asks for over all its replicas.
    pub gpu_milli: u64,
}

/// The queue sort's key for `entry`, with its job named as the one decided.
fn sort_key(sort: &(dyn QueueSort + Send + Sync), entry: &QueuedBinding) -> QueueKey {
    let _deciding = crate::decision::for_job(entry.job);
    sort.key(entry)
}

mod active;
mod dormant;
mod parked;
mod timed;

use active::{Active, ActiveQueue};
use timed::{Timed, TimedKey};

/// Tells the backoff queue's live entries from its ghosts.
fn backs_off(slots: &FxHashMap<JobId, Slot>) -> impl Fn(&QueuedBinding, TimedKey) -> bool + '_ {
    move |entry, key| slots.get(&entry.job) == Some(&Slot::Backoff(key))
}

/// Tells the dormant entries from their ghosts.
fn dormant_in(slots: &FxHashMap<JobId, Slot>) -> impl Fn(&QueuedBinding, TimedKey) -> bool + '_ {
    move |entry, key| slots.get(&entry.job) == Some(&Slot::Dormant(key))
}

/// The three queues.
pub struct SchedulingQueue {
    config: QueueConfig,
    sort: Arc<dyn QueueSort + Send + Sync>,
    seq: u64,
    active: ActiveQueue,
    backoff: Timed,
    /// Backoff entries whose retries can only repeat their refusal (see `dormant`), one by
    /// one, and in cohorts (by id) whose retries are counted.
    dormant: Timed,
    cohorts: BTreeMap<u64, dormant::Cohort>,
    next_cohort: u64,
    /// Retries replayed or counted and not yet added to their jobs' attempts.
    credits: Vec<(JobId, u32)>,
    /// The unschedulable set, in parking order.
    unschedulable: parked::Parked,
    /// Where each queued binding waits (looked up by job only, never iterated).
    slots: FxHashMap<JobId, Slot>,
}

/// Which of the three queues holds a binding, and under which key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Active(ActiveKey),
    Backoff(TimedKey),
    Dormant(TimedKey),
    /// In a cohort of dormant entries, under the key it had when the cohort formed.
    Cohort(u64, ActiveKey),
    /// In the unschedulable set, at this position.
    Unschedulable(u64),
}

impl std::fmt::Debug for SchedulingQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulingQueue")
            .field("sort", &self.sort.name())
            .field("active", &self.active.sorted())
            .field("backoff", &self.backoff.sorted(backs_off(&self.slots)))
            .field("dormant", &self.dormant.sorted(dormant_in(&self.slots)))
            .field("cohorts", &self.cohorts)
            .field(
                "unschedulable",
                &self.unschedulable.iter().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl SchedulingQueue {
    /// Empty queues with these timings, in Karmada's order ([`PrioritySort`]).
    pub fn new(config: QueueConfig) -> Self {
        SchedulingQueue::with_sort(config, Arc::new(PrioritySort))
    }

    /// Empty queues with these timings whose active queue pops in `sort`'s order.
    pub fn with_sort(config: QueueConfig, sort: Arc<dyn QueueSort + Send + Sync>) -> Self {
        SchedulingQueue {
            config,
            sort,
            seq: 0,
            active: ActiveQueue::default(),
            backoff: Timed::default(),
            dormant: Timed::default(),
            cohorts: BTreeMap::new(),
            next_cohort: 0,
            credits: Vec::new(),
            unschedulable: parked::Parked::default(),
            slots: FxHashMap::default(),
        }
    }

    /// The timings.
    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    fn key(&mut self, entry: &QueuedBinding) -> ActiveKey {
        self.seq += 1;
        (sort_key(self.sort.as_ref(), entry), self.seq)
    }

    /// An event for the binding (created, its spec changed, a cluster it may use changed):
    /// Karmada's `Push`, which queues a fresh entry (no attempts, enqueued now) in the active
    /// queue and takes the binding out of the backoff queue and the unschedulable set
    /// (`moveToActiveQ`). A binding already in the active queue keeps its place. `gpu_milli` is
    /// what the job asks for, for queue sorts that order by size.
    pub fn add(&mut self, job: JobId, priority: i32, gpu_milli: u64, now: SimTime) {
        match self.slots.get(&job) {
            Some(Slot::Active(_)) => return,
            Some(_) => self.remove(job),
            None => {}
        }
        let entry = QueuedBinding {
            job,
            priority,
            timestamp: now,
            attempts: 0,
            gpu_milli,
        };
        self.insert_active(entry);
    }

    /// `entry` keyed for the active queue, its slot pointing there.
    fn keyed_active(&mut self, entry: QueuedBinding) -> Active {
        let key = self.key(&entry);
        self.slots.insert(entry.job, Slot::Active(key));
        Active { key, entry }
    }

    fn insert_active(&mut self, entry: QueuedBinding) {
        let keyed = self.keyed_active(entry);
        self.active.push(keyed);
    }

    /// [`insert_active`](Self::insert_active) for each of `entries` in turn, merged into the
    /// active queue at once: a flush moves hundreds of bindings in a saturated fleet.
    fn insert_active_all(&mut self, entries: Vec<QueuedBinding>) {
        let keyed: Vec<Active> = entries
            .into_iter()
            .map(|entry| self.keyed_active(entry))
            .collect();
        self.active.extend(keyed);
    }

    /// Removes `job` from whichever queue holds it.
    fn remove(&mut self, job: JobId) {
        let Some(slot) = self.slots.remove(&job) else {
            return;
        };
        match slot {
            Slot::Active(_) => unreachable!("active entries leave by popping"),
            Slot::Backoff(key) => self.backoff.remove(key),
            Slot::Dormant(key) => self.dormant.remove(key),
            Slot::Cohort(id, key) => {
                self.take_member(id, key);
            }
            Slot::Unschedulable(position) => {
                self.unschedulable.remove(position);
            }
        }
    }

    /// Pops the next binding to schedule and counts the attempt.
    pub fn pop(&mut self) -> Option<QueuedBinding> {
        let Active { mut entry, .. } = self.active.pop()?;
        self.slots.remove(&entry.job);
        entry.attempts += 1;
        Some(entry)
    }

    /// Backoff after `attempts` failures: initial × 2^(attempts−1), capped.
    pub fn backoff_duration(&self, attempts: u32) -> Duration {
        if attempts == 0 {
            return Duration::ZERO;
        }
        let mut backoff = self.config.backoff_initial.as_millis();
        for _ in 1..attempts {
            backoff = backoff.saturating_mul(2);
            if backoff >= self.config.backoff_max.as_millis() {
                break;
            }
        }
        Duration(backoff.min(self.config.backoff_max.as_millis()))
    }

    /// After an error other than Unschedulable: wait out the backoff.
    pub fn add_backoff(&mut self, entry: QueuedBinding, now: SimTime) {
        self.insert_backoff(entry, now, false);
    }

    /// Backing off from `now`: the entry is enqueued then, and waits until its expiry.
    fn backoff_key(&mut self, entry: &mut QueuedBinding, now: SimTime) -> TimedKey {
        entry.timestamp = now;
        let expiry = now.after(self.backoff_duration(entry.attempts));
        (expiry, self.key(entry))
    }

    fn insert_backoff(&mut self, mut entry: QueuedBinding, now: SimTime, dormant: bool) {
        if self.slots.contains_key(&entry.job) {
            return;
        }
        let key = self.backoff_key(&mut entry, now);
        if dormant {
            self.slots.insert(entry.job, Slot::Dormant(key));
            self.dormant.push(key, entry);
        } else {
            self.slots.insert(entry.job, Slot::Backoff(key));
            self.backoff.push(key, entry);
        }
    }

    /// After an Unschedulable result: park until the maximum stay passes or an event moves it.
    pub fn add_unschedulable(&mut self, mut entry: QueuedBinding, now: SimTime) {
        if self.slots.contains_key(&entry.job) {
            return;
        }
        entry.timestamp = now;
        let key = self.key(&entry);
        let position = self.unschedulable.push(now, key, entry);
        self.slots.insert(entry.job, Slot::Unschedulable(position));
    }

    /// The backoff flush tick: expired backoffs move to the active queue.
    /// Dormant entries due are flushed with the others, in one key order.
    pub fn flush_backoff(&mut self, now: SimTime) {
        self.dissolve_cohorts(now);
        let mut due = Vec::new();
        self.backoff.take_due(now, backs_off(&self.slots), &mut due);
        self.dormant
            .take_due(now, dormant_in(&self.slots), &mut due);
        // Keys are unique (their push order ends them).
        due.sort_unstable_by_key(|(key, _)| *key);
        self.insert_active_all(due.into_iter().map(|(_, entry)| entry).collect());
    }

    /// The unschedulable flush tick (`flushUnschedulableBindingsLeftover`): bindings parked
    /// longer than the maximum stay move to the active queue, in its order, enqueued now and
    /// keeping their attempts.
    pub fn flush_unschedulable(&mut self, now: SimTime) {
        let max_stay = self.config.unschedulable_max_stay;
        let mut due = self
            .unschedulable
            .take_due(|since| now.since(since) > max_stay);
        // Keys are unique (their push order ends them).
        due.sort_unstable_by_key(|(key, _)| *key);
        // Their slots are overwritten.
        let due = due
            .into_iter()
            .map(|(_, entry)| QueuedBinding {
                timestamp: now,
                ..entry
            })
            .collect();
        self.insert_active_all(due);
    }

    /// Moves one parked binding on, to the active queue or, while still backing off, to the
    /// backoff queue (its room was just made, by preemption).
    pub fn wake(&mut self, job: JobId, now: SimTime) {
        if !matches!(self.slots.get(&job), Some(Slot::Unschedulable(_))) {
            return;
        }
        let Some(Slot::Unschedulable(position)) = self.slots.remove(&job) else {
            unreachable!("checked");
        };
        let entry = self.unschedulable.remove(position).expect("parked");
        let backoff_until = entry.timestamp.after(self.backoff_duration(entry.attempts));
        if backoff_until > now {
            let key = (backoff_until, self.key(&entry));
            self.slots.insert(entry.job, Slot::Backoff(key));
            self.backoff.push(key, entry);
        } else {
            self.insert_active(entry);
        }
    }

    /// True when something waits in the active queue.
    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// The earliest backoff expiry, if any binding backs off and is not dormant.
    pub fn next_backoff_expiry(&self) -> Option<SimTime> {
        self.backoff.first_expiry()
    }

    /// The earliest time an unschedulable binding becomes due (strictly after its max stay).
    pub fn next_unschedulable_due(&self) -> Option<SimTime> {
        self.unschedulable
            .first_since()
            .map(|since| SimTime(since.after(self.config.unschedulable_max_stay).0 + 1))
    }

    /// True when `job` waits in any of the queues.
    pub fn contains(&self, job: JobId) -> bool {
        self.slots.contains_key(&job)
    }

    /// Bindings waiting in all three queues.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when all three queues are empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// The first tick of a grid of `period` from time zero at or after `time`.
pub fn next_tick(time: SimTime, period: Duration) -> SimTime {
    let period = period.as_millis().max(1);
    SimTime(time.0.div_ceil(period) * period)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binding after one attempt.
    pub(super) fn binding(job: u64) -> QueuedBinding {
        QueuedBinding {
            job: JobId(job),
            priority: 0,
            timestamp: SimTime(0),
            attempts: 1,
            gpu_milli: 0,
        }
    }

    fn queue() -> SchedulingQueue {
        SchedulingQueue::new(QueueConfig::default())
    }

    #[test]
    fn pops_by_priority_then_enqueue_time() {
        // E7.1: A(p=0, t=1), B(p=10, t=2), C(p=10, t=3) → B, C, A.
        let mut q = queue();
        q.add(JobId(0), 0, 0, SimTime(1000));
        q.add(JobId(1), 10, 0, SimTime(2000));
        q.add(JobId(2), 10, 0, SimTime(3000));
        let order: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|e| e.job.0).collect();
        assert_eq!(order, vec![1, 2, 0]);
    }

    #[test]
    fn another_sort_orders_the_active_queue_and_dormant_replays() {
        // Fewest GPUs first, priority ignored: C (1 GPU), B (2), A (4); pushes tie-break.
        struct FewestGpus;
        impl QueueSort for FewestGpus {
            fn name(&self) -> &'static str {
                "FewestGpus"
            }
            fn key(&self, entry: &QueuedBinding) -> QueueKey {
                (entry.gpu_milli as i64, 0)
            }
        }
        let mut q = SchedulingQueue::with_sort(QueueConfig::default(), Arc::new(FewestGpus));
        q.add(JobId(0), 10, 4000, SimTime(1000));
        q.add(JobId(1), 0, 2000, SimTime(2000));
        q.add(JobId(2), 5, 1000, SimTime(3000));
        q.add(JobId(3), 5, 1000, SimTime(0));
        let order: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|e| e.job.0).collect();
        assert_eq!(order, vec![2, 3, 1, 0]);
        // Dormant retries due at one tick replay in the sort's order too: A (4 GPUs, backing
        // off until 1.2 s) and B (2 GPUs, until 1.8 s) are both retried at the 2-s tick, B
        // first (PrioritySort would take A, enqueued first).
        let mut q = SchedulingQueue::with_sort(QueueConfig::default(), Arc::new(FewestGpus));
        q.add(JobId(0), 0, 4000, SimTime(0));
        q.add(JobId(1), 0, 2000, SimTime(0));
        let b = q.pop().unwrap();
        let a = q.pop().unwrap();
        assert_eq!((a.job, b.job), (JobId(0), JobId(1)));
        q.add_dormant(a, SimTime(200));
        q.add_dormant(b, SimTime(800));
        assert_eq!(q.replay_dormant(SimTime(2001)), 2);
        let retried: Vec<(JobId, u32)> = q.drain_credits().collect();
        assert_eq!(retried, [(JobId(1), 1), (JobId(0), 1)]);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        // E7.2: attempts 1..5 → 1 s, 2 s, 4 s, 8 s, 10 s.
        let q = queue();
        let got: Vec<u64> = (1..=6).map(|a| q.backoff_duration(a).as_millis()).collect();
        assert_eq!(got, vec![1000, 2000, 4000, 8000, 10_000, 10_000]);
        assert_eq!(q.backoff_duration(0), Duration::ZERO);
    }

    #[test]
    fn backoff_entries_wait_for_expiry() {
        let mut q = queue();
        q.add(JobId(7), 0, 0, SimTime(0));
        let mut entry = q.pop().unwrap();
        entry.attempts = 3; // 4 s backoff
        q.add_backoff(entry, SimTime(500));
        assert_eq!(q.next_backoff_expiry(), Some(SimTime(4500)));
        q.flush_backoff(SimTime(4000));
        assert!(!q.has_active());
        q.flush_backoff(SimTime(5000));
        assert_eq!(q.pop().map(|e| e.job), Some(JobId(7)));
    }

    #[test]
    fn unschedulable_waits_longer_than_max_stay() {
        let mut q = queue();
        q.add(JobId(1), 0, 0, SimTime(0));
        let entry = q.pop().unwrap();
        q.add_unschedulable(entry, SimTime(10_000));
        // Due strictly after 10 s + 300 s; the 30-s grid then fires at 330 s.
        assert_eq!(q.next_unschedulable_due(), Some(SimTime(310_001)));
        assert_eq!(
            next_tick(SimTime(310_001), Duration::from_secs(30)),
            SimTime(330_000)
        );
        q.flush_unschedulable(SimTime(310_000));
        assert!(!q.has_active());
        q.flush_unschedulable(SimTime(330_000));
        assert_eq!(q.pop().map(|e| (e.job, e.attempts)), Some((JobId(1), 2)));
    }

    #[test]
    fn an_event_moves_a_parked_binding_to_the_active_queue_afresh() {
        // `Push` → `moveToActiveQ`: a new QueuedBindingInfo (Attempts 0, Timestamp now) goes
        // to activeQ and the binding leaves backoffQ and the unschedulable set.
        let mut q = queue();
        q.add(JobId(1), 0, 0, SimTime(0));
        let mut entry = q.pop().unwrap();
        entry.attempts = 4; // 8 s backoff
        q.add_backoff(entry, SimTime(1000));
        q.add(JobId(1), 0, 0, SimTime(2000));
        assert_eq!(q.next_backoff_expiry(), None);
        let popped = q.pop().unwrap();
        assert_eq!((popped.timestamp, popped.attempts), (SimTime(2000), 1));
        q.add_unschedulable(popped, SimTime(3000));
        q.add(JobId(1), 0, 0, SimTime(4000));
        assert_eq!(q.next_unschedulable_due(), None);
        assert_eq!(
            q.pop().map(|e| (e.timestamp, e.attempts)),
            Some((SimTime(4000), 1))
        );
        assert!(q.is_empty());
    }

    #[test]
    fn an_event_leaves_an_active_binding_where_it_is() {
        // activeQ.Push on a key already queued is a no-op: B keeps its enqueue time and
        // stays behind A.
        let mut q = queue();
        q.add(JobId(1), 0, 0, SimTime(1000));
        q.add(JobId(2), 0, 0, SimTime(2000));
        q.add(JobId(1), 0, 0, SimTime(3000));
        let order: Vec<(u64, u64)> = std::iter::from_fn(|| q.pop())
            .map(|e| (e.job.0, e.timestamp.as_millis()))
            .collect();
        assert_eq!(order, vec![(1, 1000), (2, 2000)]);
    }

    #[test]
    fn the_unschedulable_flush_enqueues_at_flush_time() {
        // `flushUnschedulableBindingsLeftover` → `moveToActiveQ` → activeQ.Push sets the
        // Timestamp to now: a binding parked at 0 and flushed at 330 s queues behind one
        // added at 320 s.
        let mut q = queue();
        q.add(JobId(1), 0, 0, SimTime(0));
        let entry = q.pop().unwrap();
        q.add_unschedulable(entry, SimTime(0));
        q.add(JobId(2), 0, 0, SimTime(320_000));
        q.flush_unschedulable(SimTime(330_000));
        let order: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|e| e.job.0).collect();
        assert_eq!(order, vec![2, 1]);
    }

    #[test]
    fn a_job_is_queued_once() {
        let mut q = queue();
        q.add(JobId(1), 0, 0, SimTime(0));
        q.add(JobId(1), 5, 0, SimTime(1));
        assert_eq!(q.len(), 1);
    }
}
