//! The engine's reorder buffer: events wait here until the watermark passes them, then leave
//! in (time, kind rank, arrival) order. [`clickchain_adapters::reorder::Reorder`] does the work
//! (a FIFO run for in-order arrivals, a heap of small keys for the others).

use clickchain_adapters::reorder;
use clickchain_adapters::Event;

/// (time, kind rank, arrival sequence).
type Key = (i64, u8, u64);

#[derive(Default)]
pub(crate) struct Reorder(reorder::Reorder<Key, Event>);

impl Reorder {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    pub fn push(&mut self, time: i64, rank: u8, seq: u64, event: Event) {
        self.0.push((time, rank, seq), event);
    }

    /// Time of the earliest waiting event.
    pub fn peek_time(&self) -> Option<i64> {
        self.0.peek_key().map(|k| k.0)
    }

    /// Every waiting event with its (time, rank, arrival) key, in release order; they stay.
    pub fn entries(&mut self) -> Vec<(i64, u8, u64, Event)> {
        let all: Vec<_> = std::iter::from_fn(|| self.0.pop_keyed()).collect();
        for (key, event) in &all {
            self.0.push(*key, event.clone());
        }
        all.into_iter().map(|((t, rank, seq), e)| (t, rank, seq, e)).collect()
    }

    /// The earliest waiting event and its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(i64, Event)> {
        self.0.pop_keyed().map(|(k, e)| (k.0, e))
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
    fn releases_by_time_then_rank_then_arrival() {
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
