//! Merging several inputs by event time (k-way), so that a scan over many files replays one
//! stream in time order. Errors pass through at once; they carry their own input and position.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};
use clickchain_adapters::{Event, ReadError};

/// Yields the earliest head event among several record streams.
pub struct Merge<I: Iterator<Item = Result<Event, ReadError>>> {
    sources: Vec<I>,
    heads: Vec<Option<Event>>,
    /// The sources that have a head, earliest first (ties: the earlier source); a heap, as a
    /// scan may merge many thousand files.
    order: BinaryHeap<Reverse<(DateTime<Utc>, usize)>>,
    /// Sources whose head is to be read, the next one last.
    unfilled: Vec<usize>,
}

impl<I: Iterator<Item = Result<Event, ReadError>>> Merge<I> {
    /// Merges `sources`; ties go to the earlier source.
    pub fn new(sources: Vec<I>) -> Self {
        let heads = sources.iter().map(|_| None).collect();
        let unfilled = (0..sources.len()).rev().collect();
        Merge { sources, heads, order: BinaryHeap::new(), unfilled }
    }
}

impl<I: Iterator<Item = Result<Event, ReadError>>> Iterator for Merge<I> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Every source with no head (all of them at first, then the one whose head was taken)
        // reads its next record; an error comes out at once, and that source reads again next time.
        while let Some(&i) = self.unfilled.last() {
            match self.sources[i].next() {
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(e)) => {
                    self.order.push(Reverse((e.time, i)));
                    self.heads[i] = Some(e);
                }
                None => {}
            }
            self.unfilled.pop();
        }
        let Reverse((_, best)) = self.order.pop()?;
        self.unfilled.push(best);
        self.heads[best].take().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clickchain_adapters::native::NativeReader;

    fn reader(name: &'static str, text: &'static str) -> NativeReader<&'static [u8]> {
        NativeReader::new(name, text.as_bytes())
    }

    #[test]
    fn merges_by_time_and_passes_errors_through() {
        let a = reader(
            "a",
            "{\"time\":1000,\"kind\":\"process_end\",\"proc\":1}\n{\"time\":3000,\"kind\":\"process_end\",\"proc\":3}\n",
        );
        let b = reader("b", "{\"time\":2000,\"kind\":\"process_end\",\"proc\":2}\nbad\n");
        let got: Vec<String> = Merge::new(vec![a, b])
            .map(|r| match r {
                Ok(e) => format!("{}@{}", e.source, e.time.timestamp_millis()),
                Err(e) => format!("err {}", e.reason()),
            })
            .collect();
        assert_eq!(got, ["a:line 1@1000", "b:line 1@2000", "err malformed_json", "a:line 2@3000"]);
    }
}
