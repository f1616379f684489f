//! Merging several inputs by event time (k-way), so that a scan over many files replays one
//! stream in time order. Errors pass through at once; they carry their own input and position.

use clickchain_adapters::{Event, ReadError};

/// Yields the earliest head event among several record streams.
pub struct Merge<I: Iterator<Item = Result<Event, ReadError>>> {
    sources: Vec<I>,
    heads: Vec<Option<Event>>,
}

impl<I: Iterator<Item = Result<Event, ReadError>>> Merge<I> {
    /// Merges `sources`; ties go to the earlier source.
    pub fn new(sources: Vec<I>) -> Self {
        let heads = sources.iter().map(|_| None).collect();
        Merge { sources, heads }
    }

    /// Fills the head of source `i`; returns an error met on the way.
    fn fill(&mut self, i: usize) -> Option<ReadError> {
        if self.heads[i].is_some() {
            return None;
        }
        match self.sources[i].next() {
            Some(Ok(e)) => {
                self.heads[i] = Some(e);
                None
            }
            Some(Err(e)) => Some(e),
            None => None,
        }
    }
}

impl<I: Iterator<Item = Result<Event, ReadError>>> Iterator for Merge<I> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        for i in 0..self.sources.len() {
            if let Some(err) = self.fill(i) {
                return Some(Err(err));
            }
        }
        let best = self.heads.iter().enumerate().filter_map(|(i, h)| h.as_ref().map(|e| (e.time, i))).min()?.1;
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
