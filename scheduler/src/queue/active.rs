//! The active queue. Bindings leave it only by being popped, in key order. In a saturated
//! fleet most of them arrive in batches (a flush moves hundreds at once) and leave in the
//! same cycle, so a batch is sorted once and popped from the end of a sorted run; single
//! pushes, and batches small against the run, go to a heap. Keys are unique, so the pops
//! are those of any priority queue.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{ActiveKey, QueuedBinding};

/// An entry of the active queue, ordered by its key alone (keys are unique).
#[derive(Clone, Copy, Debug)]
pub(super) struct Active {
    pub(super) key: ActiveKey,
    pub(super) entry: QueuedBinding,
}

impl PartialEq for Active {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Active {}

impl PartialOrd for Active {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Active {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// A batch is merged into the run when at least this fraction of the run's size (1/8), so
/// that merging costs no more than a constant per entry merged.
const MERGE_SHARE: usize = 8;

#[derive(Debug, Default)]
pub(super) struct ActiveQueue {
    /// Sorted by descending key: the least is last.
    run: Vec<Active>,
    heap: BinaryHeap<Reverse<Active>>,
}

impl ActiveQueue {
    pub(super) fn push(&mut self, active: Active) {
        self.heap.push(Reverse(active));
    }

    /// Adds a batch at once.
    pub(super) fn extend(&mut self, mut batch: Vec<Active>) {
        if batch.len() < 2 || batch.len() * MERGE_SHARE < self.run.len() {
            self.heap.extend(batch.into_iter().map(Reverse));
            return;
        }
        batch.sort_unstable_by(|a, b| b.cmp(a));
        if self.run.is_empty() {
            self.run = batch;
            return;
        }
        let run = std::mem::take(&mut self.run);
        let mut merged = Vec::with_capacity(run.len() + batch.len());
        let (mut a, mut b) = (run.into_iter().peekable(), batch.into_iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            merged.push(if x > y { a.next() } else { b.next() }.expect("peeked"));
        }
        merged.extend(a);
        merged.extend(b);
        self.run = merged;
    }

    /// The entry with the least key.
    pub(super) fn pop(&mut self) -> Option<Active> {
        let from_run = match (self.run.last(), self.heap.peek()) {
            (Some(r), Some(Reverse(h))) => r < h,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if from_run {
            self.run.pop()
        } else {
            self.heap.pop().map(|Reverse(active)| active)
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.run.is_empty() && self.heap.is_empty()
    }

    /// Every entry, in key order (for debugging output).
    pub(super) fn sorted(&self) -> Vec<Active> {
        let mut all = self.run.clone();
        all.extend(self.heap.iter().map(|Reverse(active)| *active));
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use sim_core::SimTime;
    use sim_core::model::JobId;

    use super::*;

    fn active(seq: u64, priority: i64) -> Active {
        Active {
            key: ((-priority, 0), seq),
            entry: QueuedBinding {
                job: JobId(seq),
                priority: priority as i32,
                timestamp: SimTime(0),
                attempts: 0,
                gpu_milli: 0,
            },
        }
    }

    #[test]
    fn batches_and_single_pushes_pop_in_key_order() {
        let mut q = ActiveQueue::default();
        // A batch (unsorted), singles, a second batch merged into the run, a small batch
        // against a large run (to the heap), interleaved pops.
        q.extend((0..20).map(|s| active(s, (s % 3) as i64)).collect());
        q.push(active(100, 5));
        q.push(active(101, 0));
        let mut popped = vec![q.pop().unwrap()];
        q.extend((20..30).map(|s| active(s, (s % 2) as i64)).collect());
        q.extend(vec![active(200, 1), active(201, 9)]);
        popped.extend(std::iter::from_fn(|| q.pop()));
        assert!(q.is_empty());
        assert_eq!(popped.len(), 34);
        // The first pop came before the later pushes, and 100 (priority 5) led then; the
        // others pop in key order, 201 (priority 9) first.
        assert_eq!(popped[0].key.1, 100);
        let mut expected = popped[1..].to_vec();
        expected.sort_unstable();
        assert_eq!(popped[1..], expected);
        assert_eq!(popped[1].key.1, 201);
        let seqs: std::collections::BTreeSet<u64> = popped.iter().map(|a| a.key.1).collect();
        assert_eq!(seqs.len(), 34, "each entry popped once");
    }
}
