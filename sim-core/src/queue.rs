//! The event queue: pops events by (time, lateness, insertion sequence).
//!
//! Equal times pop in the order they were pushed (FIFO), so the outcome never depends on heap
//! layout, and a run is reproducible event by event. The one exception is documented and
//! deliberate: an event pushed as *late* pops after every event of its millisecond that is
//! not late. The scheduler's periodic work (queue flushes, scheduling cycles) is late, so it
//! always sees every change of its millisecond, whenever that change was queued; that makes
//! the order of a tick against a change independent of when the tick was armed, which lets
//! the control plane skip ticks that can only repeat a refusal without changing any outcome.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

struct Entry<E> {
    time: SimTime,
    late: bool,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.late, self.seq) == (other.time, other.late, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap`, a max-heap, pops the earliest (time, late, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.late, other.seq).cmp(&(self.time, self.late, self.seq))
    }
}

/// A priority queue of future events, earliest first, late ones after the others of their
/// time, FIFO otherwise.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`; it pops after every event already queued for the same time.
    pub fn push(&mut self, time: SimTime, event: E) {
        self.push_entry(time, false, event);
    }

    /// Schedules `event` at `time`, after every event of that time that is not late (queued
    /// before or after it), and after the late ones already queued.
    pub fn push_late(&mut self, time: SimTime, event: E) {
        self.push_entry(time, true, event);
    }

    fn push_entry(&mut self, time: SimTime, late: bool, event: E) {
        self.heap.push(Entry {
            time,
            late,
            seq: self.next_seq,
            event,
        });
        self.next_seq += 1;
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|entry| (entry.time, entry.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|entry| entry.time)
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Number of events pushed so far, popped or not.
    pub fn n_pushed(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_time_pops_first() {
        let mut queue = EventQueue::new();
        queue.push(SimTime(30), "c");
        queue.push(SimTime(10), "a");
        queue.push(SimTime(20), "b");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(
            order,
            vec![(SimTime(10), "a"), (SimTime(20), "b"), (SimTime(30), "c")]
        );
    }

    #[test]
    fn equal_times_pop_in_push_order() {
        let mut queue = EventQueue::new();
        for label in ["first", "second", "third", "fourth"] {
            queue.push(SimTime(5), label);
        }
        queue.push(SimTime(1), "early");
        queue.push(SimTime(5), "fifth");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(
            order,
            vec!["early", "first", "second", "third", "fourth", "fifth"]
        );
    }

    #[test]
    fn late_events_pop_after_the_others_of_their_time() {
        let mut queue = EventQueue::new();
        queue.push_late(SimTime(5), "tick");
        queue.push(SimTime(5), "change");
        queue.push_late(SimTime(5), "cycle");
        queue.push(SimTime(4), "before");
        queue.push(SimTime(6), "after");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["before", "change", "tick", "cycle", "after"]);
    }

    #[test]
    fn events_pushed_while_draining_keep_fifo() {
        let mut queue = EventQueue::new();
        queue.push(SimTime(5), 1);
        queue.push(SimTime(5), 2);
        let (_, first) = queue.pop().unwrap();
        assert_eq!(first, 1);
        queue.push(SimTime(5), 3);
        assert_eq!(queue.pop(), Some((SimTime(5), 2)));
        assert_eq!(queue.pop(), Some((SimTime(5), 3)));
        assert!(queue.is_empty());
    }
}
