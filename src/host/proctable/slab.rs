//! Slot storage that grows by fixed chunks.
//!
//! A process table holds every process of its window (often thousands per host). A `Vec`
//! doubles when full, so up to half of its capacity sits unused and each doubling copies the
//! whole table; chunks bound the slack to one chunk and never move what is stored. The first
//! chunk grows like a `Vec` up to its size: a fleet of hosts with few processes each would
//! otherwise hold a whole chunk (~75 KiB) per host (regression:
//! a_small_table_holds_few_slots, from the hosts flood of `clickchain-bench flood`).

/// Index of a value in a [`Slab`].
pub(crate) type Slot = u32;

/// Slots per chunk.
const CHUNK: usize = 512;

/// Indexed slots, each empty or holding a `T`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Slab<T> {
    /// Full chunks hold `CHUNK` slots; the last may hold fewer (as may one read from an older
    /// checkpoint, which held whole chunks).
    chunks: Vec<Vec<Option<T>>>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Slab<T> {
    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)?.as_ref()
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)?.as_mut()
    }

    /// Stores `value` at `i` (an index below `len`).
    pub fn put(&mut self, i: usize, value: T) {
        self.chunks[i / CHUNK][i % CHUNK] = Some(value);
    }

    pub fn take(&mut self, i: usize) -> Option<T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)?.take()
    }

    /// Stores `value` at a new index, returned.
    pub fn push(&mut self, value: T) -> usize {
        let i = self.len;
        if self.chunks.len() <= i / CHUNK {
            // The first chunk grows as it fills; later ones are allocated whole.
            let cap = if self.chunks.is_empty() { 0 } else { CHUNK };
            self.chunks.push(Vec::with_capacity(cap));
        }
        let chunk = &mut self.chunks[i / CHUNK];
        if chunk.len() > i % CHUNK {
            chunk[i % CHUNK] = Some(value);
        } else {
            chunk.push(Some(value));
        }
        self.len += 1;
        i
    }

    /// Every stored value with its index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> + '_ {
        self.chunks.iter().flat_map(|c| c.iter()).enumerate().filter_map(|(i, v)| v.as_ref().map(|v| (i, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_across_chunks() {
        let mut s = Slab::default();
        for i in 0..(2 * CHUNK + 3) {
            assert_eq!(s.push(i), i);
        }
        assert_eq!(s.take(CHUNK + 1), Some(CHUNK + 1));
        assert_eq!(s.get(CHUNK + 1), None);
        s.put(CHUNK + 1, 7);
        *s.get_mut(2 * CHUNK).unwrap() += 1;
        assert_eq!(
            (s.get(CHUNK + 1), s.get(2 * CHUNK), s.get(2 * CHUNK + 3)),
            (Some(&7), Some(&(2 * CHUNK + 1)), None)
        );
        assert_eq!(s.iter().count(), 2 * CHUNK + 3);
        assert_eq!(s.iter().nth(CHUNK + 1), Some((CHUNK + 1, &7)));
    }

    #[test]
    fn a_small_table_holds_few_slots() {
        let mut s = Slab::default();
        for i in 0..100 {
            s.push(i);
        }
        assert!(s.chunks[0].capacity() <= 128, "{} slots for 100 values", s.chunks[0].capacity());
        for i in 100..CHUNK + 1 {
            s.push(i);
        }
        assert_eq!((s.chunks.len(), s.chunks[1].capacity()), (2, CHUNK), "later chunks are whole");
    }

    #[test]
    fn a_whole_chunk_from_an_older_checkpoint_takes_new_values_in_place() {
        let mut s: Slab<usize> = Slab { chunks: vec![std::iter::repeat_with(|| None).take(CHUNK).collect()], len: 0 };
        s.chunks[0][0] = Some(5);
        s.len = 1;
        assert_eq!(s.push(6), 1);
        assert_eq!((s.get(1), s.chunks[0].len()), (Some(&6), CHUNK));
    }
}
