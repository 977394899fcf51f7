//! The unschedulable set, in the order bindings were parked. A binding is parked at the
//! current time, which never goes back, so parking appends and the flush takes from the
//! front; a binding that leaves early (an event moved it) leaves a hole, dropped once it
//! reaches the front. Every operation is O(1) but the flush's sort of what it moves.

use std::collections::VecDeque;

use sim_core::SimTime;

use super::{ActiveKey, QueuedBinding};

/// A parked binding: when it was parked, its key then, and the binding.
type Entry = (SimTime, ActiveKey, QueuedBinding);

#[derive(Debug, Default)]
pub(super) struct Parked {
    /// The position of `entries`' front: positions only grow, so a binding's position
    /// finds it for as long as it is parked.
    base: u64,
    /// Never starts with a hole.
    entries: VecDeque<Option<Entry>>,
}

impl Parked {
    /// Parks `entry` at `since` (no earlier than any parked binding) and returns its position.
    pub(super) fn push(&mut self, since: SimTime, key: ActiveKey, entry: QueuedBinding) -> u64 {
        debug_assert!(
            self.entries
                .back()
                .and_then(|last| last.as_ref())
                .is_none_or(|(last, _, _)| *last <= since),
            "parked before the last binding parked"
        );
        self.entries.push_back(Some((since, key, entry)));
        self.base + self.entries.len() as u64 - 1
    }

    /// Takes the binding at `position` out, if still there.
    pub(super) fn remove(&mut self, position: u64) -> Option<QueuedBinding> {
        let index = usize::try_from(position.checked_sub(self.base)?).ok()?;
        let (_, _, entry) = self.entries.get_mut(index)?.take()?;
        self.drop_holes();
        Some(entry)
    }

    fn drop_holes(&mut self) {
        while let Some(None) = self.entries.front() {
            self.entries.pop_front();
            self.base += 1;
        }
    }

    /// When the earliest binding still parked was parked.
    pub(super) fn first_since(&self) -> Option<SimTime> {
        self.entries
            .front()
            .map(|first| first.as_ref().expect("no hole at the front").0)
    }

    /// Takes out, in parking order, every binding for which `due` holds of its parking time,
    /// up to the first for which it does not.
    pub(super) fn take_due(
        &mut self,
        mut due: impl FnMut(SimTime) -> bool,
    ) -> Vec<(ActiveKey, QueuedBinding)> {
        let mut taken = Vec::new();
        // Holes behind a binding taken reach the front; they are dropped on the way.
        while let Some(first) = self.entries.front() {
            if first.as_ref().is_some_and(|(since, _, _)| !due(*since)) {
                break;
            }
            if let Some((_, key, entry)) = self.entries.pop_front().expect("peeked") {
                taken.push((key, entry));
            }
            self.base += 1;
        }
        taken
    }

    /// The parked bindings, in parking order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use sim_core::model::JobId;

    use super::*;
    use crate::queue::tests::binding;

    #[test]
    fn positions_find_bindings_after_others_left() {
        let mut parked = Parked::default();
        let at = |t: u64, seq: u64| (SimTime(t), ((0, t as i64), seq));
        let p: Vec<u64> = (0..4)
            .map(|i| {
                let (since, key) = at(i * 10, i);
                parked.push(since, key, binding(i))
            })
            .collect();
        assert_eq!(p, [0, 1, 2, 3]);
        // The front leaves: the next parked binding becomes the earliest.
        assert_eq!(parked.remove(0).map(|e| e.job), Some(JobId(0)));
        assert_eq!(parked.first_since(), Some(SimTime(10)));
        // A hole in the middle is skipped; gone bindings are not found twice.
        assert_eq!(parked.remove(2).map(|e| e.job), Some(JobId(2)));
        assert_eq!(parked.remove(2), None);
        assert_eq!(parked.remove(0), None);
        let due = parked.take_due(|since| since <= SimTime(25));
        assert_eq!(due.iter().map(|(_, e)| e.job.0).collect::<Vec<_>>(), [1]);
        // The hole at position 2 reached the front and was dropped.
        assert_eq!(parked.first_since(), Some(SimTime(30)));
        assert_eq!(parked.remove(3).map(|e| e.job), Some(JobId(3)));
        assert_eq!(parked.first_since(), None);
        assert_eq!(parked.push(SimTime(40), at(40, 9).1, binding(9)), 4);
        assert_eq!(parked.iter().count(), 1);
    }
}
