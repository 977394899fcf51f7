//! Bindings waiting until a time (their backoff's expiry), grouped by that time. The bindings
//! one cycle backs off share their expiry, so a binding joins its group by appending, and a
//! group is sorted only when it falls due. A binding that leaves early (an event moved it)
//! stays behind as a ghost, recognised by the queue's slots when its group falls due: its
//! group only counts it out.

use std::collections::BTreeMap;

use sim_core::SimTime;

use super::{ActiveKey, QueuedBinding};

/// A waiting binding's key: its expiry, then its key in the active queue.
pub(super) type TimedKey = (SimTime, ActiveKey);

#[derive(Debug, Default)]
struct Group {
    /// Entries not yet taken out; the others in `entries` are ghosts.
    live: usize,
    entries: Vec<(ActiveKey, QueuedBinding)>,
}

#[derive(Debug, Default)]
pub(super) struct Timed {
    /// Only groups with a live entry.
    groups: BTreeMap<SimTime, Group>,
    /// Emptied groups' memory, for the next groups (a saturated fleet makes one per cycle).
    spare: Vec<Vec<(ActiveKey, QueuedBinding)>>,
}

/// At most this many emptied groups' memory is kept.
const SPARE: usize = 64;

impl Timed {
    /// Adds `entry` under `key` (unique).
    pub(super) fn push(&mut self, (expiry, key): TimedKey, entry: QueuedBinding) {
        let group = self.groups.entry(expiry).or_insert_with(|| Group {
            live: 0,
            entries: self.spare.pop().unwrap_or_default(),
        });
        group.live += 1;
        group.entries.push((key, entry));
    }

    /// Counts out the live entry under `key`, which stays behind as a ghost.
    pub(super) fn remove(&mut self, (expiry, _): TimedKey) {
        let std::collections::btree_map::Entry::Occupied(mut group) = self.groups.entry(expiry)
        else {
            unreachable!("a live entry's group is kept");
        };
        group.get_mut().live -= 1;
        if group.get().live == 0 {
            let emptied = group.remove().entries;
            self.recycle(emptied);
        }
    }

    /// True when no entry is live.
    pub(super) fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The earliest expiry of a live entry.
    pub(super) fn first_expiry(&self) -> Option<SimTime> {
        self.groups.keys().next().copied()
    }

    /// Takes out the live entries expiring at or before `until`, unordered; `live` tells a
    /// live entry from a ghost, when a group has ghosts.
    pub(super) fn take_due(
        &mut self,
        until: SimTime,
        live: impl Fn(&QueuedBinding, TimedKey) -> bool,
        into: &mut Vec<(TimedKey, QueuedBinding)>,
    ) {
        while let Some(first) = self.groups.first_entry() {
            if *first.key() > until {
                break;
            }
            let (expiry, group) = first.remove_entry();
            let emptied = take_live(expiry, group, &live, into);
            self.recycle(emptied);
        }
    }

    fn recycle(&mut self, mut entries: Vec<(ActiveKey, QueuedBinding)>) {
        if self.spare.len() < SPARE {
            entries.clear();
            self.spare.push(entries);
        }
    }

    /// Moves every live entry into `other`, telling `moved` of each; a group `other` does
    /// not have moves whole.
    pub(super) fn move_all(
        &mut self,
        other: &mut Timed,
        live: impl Fn(&QueuedBinding, TimedKey) -> bool,
        mut moved: impl FnMut(&QueuedBinding, TimedKey),
    ) {
        for (expiry, mut group) in std::mem::take(&mut self.groups) {
            if group.live != group.entries.len() {
                group
                    .entries
                    .retain(|(key, entry)| live(entry, (expiry, *key)));
            }
            for (key, entry) in &group.entries {
                moved(entry, (expiry, *key));
            }
            match other.groups.entry(expiry) {
                std::collections::btree_map::Entry::Vacant(vacant) => {
                    vacant.insert(group);
                }
                std::collections::btree_map::Entry::Occupied(mut occupied) => {
                    let into = occupied.get_mut();
                    into.live += group.live;
                    into.entries.append(&mut group.entries);
                    self.recycle(group.entries);
                }
            }
        }
    }

    /// The live entries in key order (for debugging output).
    pub(super) fn sorted(
        &self,
        live: impl Fn(&QueuedBinding, TimedKey) -> bool,
    ) -> Vec<(TimedKey, QueuedBinding)> {
        let mut all: Vec<_> = self
            .groups
            .iter()
            .flat_map(|(expiry, group)| {
                group
                    .entries
                    .iter()
                    .map(|(key, entry)| ((*expiry, *key), *entry))
            })
            .filter(|(key, entry)| live(entry, *key))
            .collect();
        all.sort_unstable_by_key(|(key, _)| *key);
        all
    }
}

/// Moves the group's live entries into `into`, and returns its emptied memory.
fn take_live(
    expiry: SimTime,
    mut group: Group,
    live: &impl Fn(&QueuedBinding, TimedKey) -> bool,
    into: &mut Vec<(TimedKey, QueuedBinding)>,
) -> Vec<(ActiveKey, QueuedBinding)> {
    let all = group.live == group.entries.len();
    let keyed = group.entries.drain(..).map(|(key, e)| ((expiry, key), e));
    if all {
        into.extend(keyed);
    } else {
        into.extend(keyed.filter(|(key, entry)| live(entry, *key)));
    }
    group.entries
}

#[cfg(test)]
mod tests {
    use sim_core::model::JobId;

    use super::*;
    use crate::queue::tests::binding;

    #[test]
    fn ghosts_are_counted_out_and_never_returned() {
        let mut timed = Timed::default();
        let key = |t: u64, seq: u64| (SimTime(t), ((0, 0), seq));
        for (job, (t, seq)) in [(10, 1), (10, 2), (20, 3), (5, 4)].into_iter().enumerate() {
            timed.push(key(t, seq), binding(job as u64));
        }
        assert_eq!(timed.first_expiry(), Some(SimTime(5)));
        // Job 3 leaves: its group has nothing live left and goes.
        timed.remove(key(5, 4));
        assert_eq!(timed.first_expiry(), Some(SimTime(10)));
        // Job 0 leaves; job 1 shares its group.
        timed.remove(key(10, 1));
        assert_eq!(timed.first_expiry(), Some(SimTime(10)));
        let mut due = Vec::new();
        timed.take_due(SimTime(15), |entry, _| entry.job != JobId(0), &mut due);
        assert_eq!(due, [(key(10, 2), binding(1))]);
        assert!(!timed.is_empty());
        // Moving: job 4 joins job 2's group in the other queue, job 5 (a ghost) stays out.
        let mut other = Timed::default();
        other.push(key(20, 6), binding(6));
        timed.push(key(20, 7), binding(4));
        timed.push(key(30, 8), binding(5));
        timed.remove(key(30, 8));
        let mut moved = Vec::new();
        timed.move_all(
            &mut other,
            |e, _| e.job != JobId(5),
            |e, _| moved.push(e.job.0),
        );
        assert_eq!(moved, [2, 4]);
        assert!(timed.is_empty());
        assert_eq!(timed.first_expiry(), None);
        due.clear();
        other.take_due(SimTime(30), |_, _| true, &mut due);
        due.sort_unstable_by_key(|(key, _)| *key);
        let jobs: Vec<u64> = due.iter().map(|(_, e)| e.job.0).collect();
        assert_eq!(jobs, [2, 6, 4]);
        assert!(other.is_empty());
    }
}
