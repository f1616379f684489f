//! The reorder buffer: events wait here until the watermark passes them, then leave in
//! (time, kind rank, arrival) order.
//!
//! Most sources deliver in order, so events whose key is not below the newest in-order one
//! queue in a plain FIFO run (O(1) in and out); only the others go to a heap. The heap orders
//! small keys; those events stay put in a slab, so sifting moves 24-byte keys, not events.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use clickchain_adapters::Event;

/// (time, kind rank, arrival sequence).
type Key = (i64, u8, u64);

#[derive(Default)]
pub(crate) struct Reorder {
    /// Keys non-decreasing from front to back.
    run: VecDeque<(Key, Event)>,
    heap: BinaryHeap<Reverse<(Key, u32)>>,
    slab: Vec<Option<Event>>,
    free: Vec<u32>,
}

impl Reorder {
    pub fn len(&self) -> usize {
        self.run.len() + self.heap.len()
    }

    pub fn push(&mut self, time: i64, rank: u8, seq: u64, event: Event) {
        let key = (time, rank, seq);
        if self.run.back().is_none_or(|(last, _)| *last <= key) {
            self.run.push_back((key, event));
            return;
        }
        let idx = match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(event);
                i
            }
            None => {
                self.slab.push(Some(event));
                (self.slab.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((key, idx)));
    }

    /// Whether the earliest waiting event is the run's (else the heap's); `None` when empty.
    fn run_first(&self) -> Option<bool> {
        match (self.run.front(), self.heap.peek()) {
            (None, None) => None,
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (Some((a, _)), Some(Reverse((b, _)))) => Some(a < b),
        }
    }

    /// Time of the earliest waiting event.
    pub fn peek_time(&self) -> Option<i64> {
        match self.run_first()? {
            true => self.run.front().map(|(k, _)| k.0),
            false => self.heap.peek().map(|Reverse((k, _))| k.0),
        }
    }

    /// The earliest waiting event and its time.
    pub fn pop(&mut self) -> Option<(i64, Event)> {
        if self.run_first()? {
            return self.run.pop_front().map(|(k, e)| (k.0, e));
        }
        let Reverse(((time, _, _), idx)) = self.heap.pop()?;
        self.free.push(idx);
        let event = self.slab[idx as usize].take().expect("every key has its event");
        Some((time, event))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use clickchain_adapters::{EventKind, Position, ProcKey, SourceRef};

    use super::*;

    fn ev(line: u64) -> Event {
        Event {
            time: Utc.timestamp_millis_opt(0).unwrap(),
            host: String::new(),
            os: None,
            source: SourceRef { input: Arc::from("t"), pos: Position::Line(line) },
            kind: EventKind::ProcessEnd { proc: ProcKey::Pid(1) },
        }
    }

    #[test]
    fn releases_by_time_then_rank_then_arrival_and_reuses_slots() {
        let mut r = Reorder::default();
        r.push(20, 0, 1, ev(1));
        r.push(10, 6, 2, ev(2));
        r.push(10, 0, 3, ev(3));
        r.push(10, 0, 4, ev(4));
        let order: Vec<_> = std::iter::from_fn(|| r.pop()).map(|(t, e)| (t, e.source.pos)).collect();
        let lines = |n: &[u64]| n.iter().map(|&l| Position::Line(l)).collect::<Vec<_>>();
        assert_eq!(order.iter().map(|o| o.1).collect::<Vec<_>>(), lines(&[3, 4, 2, 1]));
        r.push(30, 0, 5, ev(5));
        r.push(5, 0, 6, ev(6));
        r.push(6, 0, 7, ev(7));
        assert_eq!(r.len(), 3);
        assert_eq!(r.peek_time(), Some(5));
        let order: Vec<_> = std::iter::from_fn(|| r.pop()).map(|(t, e)| (t, e.source.pos)).collect();
        assert_eq!(order, vec![(5, Position::Line(6)), (6, Position::Line(7)), (30, Position::Line(5))]);
        assert!(r.slab.len() <= 3, "slots are reused: {}", r.slab.len());
    }

    proptest::proptest! {
        #[test]
        fn pops_in_key_order_whatever_the_arrival_order(keys in proptest::collection::vec((0i64..50, 0u8..7), 0..200)) {
            let mut r = Reorder::default();
            let mut expected = Vec::new();
            for (seq, (t, rank)) in keys.into_iter().enumerate() {
                r.push(t, rank, seq as u64, ev(seq as u64));
                expected.push((t, rank, seq as u64));
            }
            expected.sort();
            let got: Vec<u64> = std::iter::from_fn(|| r.pop())
                .map(|(_, e)| match e.source.pos { Position::Line(l) => l, _ => unreachable!() })
                .collect();
            proptest::prop_assert_eq!(got, expected.into_iter().map(|k| k.2).collect::<Vec<_>>());
        }
    }
}
