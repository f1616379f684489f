//! The reorder buffer: events wait here until the watermark passes them, then leave in
//! (time, kind rank, arrival) order.
//!
//! The heap orders small keys; the events themselves stay put in a slab, so sifting moves
//! 24-byte keys rather than whole events.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use clickchain_adapters::Event;

/// (time, kind rank, arrival sequence, slab index).
type Key = (i64, u8, u64, u32);

#[derive(Default)]
pub(crate) struct Reorder {
    heap: BinaryHeap<Reverse<Key>>,
    slab: Vec<Option<Event>>,
    free: Vec<u32>,
}

impl Reorder {
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn push(&mut self, time: i64, rank: u8, seq: u64, event: Event) {
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
        self.heap.push(Reverse((time, rank, seq, idx)));
    }

    /// Time of the earliest waiting event.
    pub fn peek_time(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse(k)| k.0)
    }

    /// The earliest waiting event and its time.
    pub fn pop(&mut self) -> Option<(i64, Event)> {
        let Reverse((time, _, _, idx)) = self.heap.pop()?;
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
        r.push(5, 0, 5, ev(5));
        assert_eq!((r.len(), r.slab.len()), (1, 4), "slots are reused");
        assert_eq!(r.peek_time(), Some(5));
    }
}
