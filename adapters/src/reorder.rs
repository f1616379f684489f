//! A reorder buffer: items leave in key order (a key is unique: readers and the engine end it
//! with an arrival sequence). The Windows reader sorts records by time with it, and the engine
//! holds events in it until its watermark passes them.
//!
//! Most records arrive in order, so an item whose key is not below the last one queued in
//! order joins a FIFO run (O(1) in and out, no allocation per item); only the others go to a
//! heap of small keys, their items parked in a slab. A heap of whole events moved ~200 bytes
//! per sift step and boxed every event (`docs/performance.md`).
//!
//! ```
//! use clickchain_adapters::reorder::Reorder;
//!
//! let mut r = Reorder::default();
//! for (seq, time) in [30, 10, 20].into_iter().enumerate() {
//!     r.push((time, seq), "event");
//! }
//! assert_eq!(r.peek_key(), Some(&(10, 1)));
//! assert_eq!(r.pop_keyed(), Some(((10, 1), "event")));
//! assert_eq!(r.len(), 2);
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Items waiting for their turn, earliest key first.
pub struct Reorder<K, T> {
    /// Keys non-decreasing from front to back.
    run: VecDeque<(K, T)>,
    /// The items that arrived below the run's last key, by key, with their slab slot.
    heap: BinaryHeap<Reverse<(K, u32)>>,
    slab: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<K, T> Default for Reorder<K, T> {
    fn default() -> Self {
        Reorder { run: VecDeque::new(), heap: BinaryHeap::new(), slab: Vec::new(), free: Vec::new() }
    }
}

impl<K: Ord + Copy, T> Reorder<K, T> {
    /// Items waiting.
    pub fn len(&self) -> usize {
        self.run.len() + self.heap.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.run.is_empty() && self.heap.is_empty()
    }

    /// Queues `item` under `key` (keys must be unique).
    #[inline]
    pub fn push(&mut self, key: K, item: T) {
        if self.run.back().is_none_or(|(last, _)| *last <= key) {
            self.run.push_back((key, item));
            return;
        }
        let slot = match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(item);
                i
            }
            None => {
                // Users bound what they hold (the reader's `REORDER`, the engine's `max_reorder`).
                self.slab.push(Some(item));
                (self.slab.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((key, slot)));
    }

    /// The item with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.pop_keyed().map(|(_, item)| item)
    }

    /// Whether the smallest key is the heap's (else the run's); `None` when empty.
    fn heap_first(&self) -> Option<bool> {
        Some(match (self.run.front(), self.heap.peek()) {
            (None, None) => return None,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some((a, _)), Some(Reverse((b, _)))) => b < a,
        })
    }

    /// The smallest key waiting.
    pub fn peek_key(&self) -> Option<&K> {
        match self.heap_first()? {
            false => self.run.front().map(|(k, _)| k),
            true => self.heap.peek().map(|Reverse((k, _))| k),
        }
    }

    /// The item with the smallest key, and its key.
    #[inline]
    pub fn pop_keyed(&mut self) -> Option<(K, T)> {
        if !self.heap_first()? {
            return self.run.pop_front();
        }
        let Reverse((key, slot)) = self.heap.pop()?;
        self.free.push(slot);
        self.slab.get_mut(slot as usize).and_then(Option::take).map(|item| (key, item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader's old buffer: one heap of (key, item).
    fn heap_order(keys: &[(u8, u64)]) -> Vec<u64> {
        let mut heap: BinaryHeap<Reverse<((u8, u64), u64)>> = BinaryHeap::new();
        let mut out = Vec::new();
        for &k in keys {
            heap.push(Reverse((k, k.1)));
            if heap.len() > 16 {
                out.extend(heap.pop().map(|Reverse((_, v))| v));
            }
        }
        out.extend(std::iter::from_fn(|| heap.pop().map(|Reverse((_, v))| v)));
        out
    }

    fn reorder_order(keys: &[(u8, u64)]) -> (Vec<u64>, usize) {
        let mut r = Reorder::default();
        let mut out = Vec::new();
        for &k in keys {
            r.push(k, k.1);
            if r.len() > 16 {
                out.extend(r.pop());
            }
        }
        out.extend(std::iter::from_fn(|| r.pop()));
        (out, r.slab.len())
    }

    proptest::proptest! {
        /// Pushes and pops interleaved as the reader does them (a bounded buffer) come out as
        /// the single heap gave them, whatever the arrival order; slots are reused.
        #[test]
        fn equals_the_heap_it_replaced(times in proptest::collection::vec(0u8..40, 0..300)) {
            let keys: Vec<(u8, u64)> = times.into_iter().zip(0u64..).collect();
            let (got, slots) = reorder_order(&keys);
            proptest::prop_assert_eq!(got, heap_order(&keys));
            proptest::prop_assert!(slots <= 17, "{} slots", slots);
        }
    }

    #[test]
    fn in_order_items_never_touch_the_heap() {
        let mut r = Reorder::default();
        for i in 0..100u64 {
            r.push((i / 3, i), i);
        }
        assert!(r.heap.is_empty() && r.slab.is_empty());
        assert_eq!(std::iter::from_fn(|| r.pop()).collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());
    }
}
