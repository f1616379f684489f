//! Which hosts' browsing a newly-observed-domain store holds, and since when: the history a
//! destination's "newly observed" is judged by is that of the host asking (`docs/design.md`
//! "Domain risk").

use std::collections::HashMap;

/// The event time a store saw one host's egress: from its first to its latest, and the
/// history it held for that host from before the current run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSpan {
    /// The host's first egress the store saw (event time, ms).
    pub start_ms: i64,
    /// The host's latest egress the store saw.
    pub last_ms: i64,
    /// History from before this run: the time loaded store files covered for this host.
    pub history_ms: i64,
}

impl HostSpan {
    /// Its first to its latest time (never negative, saturating).
    pub fn covered_ms(&self) -> i64 {
        i64::try_from(i128::from(self.last_ms) - i128::from(self.start_ms)).unwrap_or(i64::MAX).max(0)
    }
}

/// The spans of at most `cap` hosts; a host beyond the cap is not recorded (it then has no
/// history of its own) and counted.
#[derive(Debug, Clone)]
pub(super) struct HostSpans {
    spans: HashMap<String, HostSpan>,
    cap: usize,
    dropped_full: u64,
}

impl HostSpans {
    pub fn new(cap: usize) -> HostSpans {
        HostSpans { spans: HashMap::new(), cap, dropped_full: 0 }
    }

    pub fn set_cap(&mut self, cap: usize) {
        self.cap = cap;
    }

    /// Notes an egress of `host` at `at_ms`.
    pub fn note(&mut self, host: &str, at_ms: i64) {
        if let Some(span) = self.spans.get_mut(host) {
            span.start_ms = span.start_ms.min(at_ms);
            span.last_ms = span.last_ms.max(at_ms);
        } else if self.spans.len() < self.cap {
            self.spans.insert(host.to_owned(), HostSpan { start_ms: at_ms, last_ms: at_ms, history_ms: 0 });
        } else {
            self.dropped_full += 1;
        }
    }

    /// Takes a host's span from a saved store: the earlier start, the later last time and the
    /// longer history win. `false` (and counted) when the host is new and the cap is reached.
    pub fn merge(&mut self, host: &str, saved: HostSpan) -> bool {
        if let Some(span) = self.spans.get_mut(host) {
            span.start_ms = span.start_ms.min(saved.start_ms);
            span.last_ms = span.last_ms.max(saved.last_ms);
            span.history_ms = span.history_ms.max(saved.history_ms);
            return true;
        }
        if self.spans.len() >= self.cap {
            self.dropped_full += 1;
            return false;
        }
        self.spans.insert(host.to_owned(), saved);
        true
    }

    pub fn get(&self, host: &str) -> Option<&HostSpan> {
        self.spans.get(host)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &HostSpan)> {
        self.spans.iter().map(|(h, s)| (h.as_str(), s))
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn dropped_full(&self) -> u64 {
        self.dropped_full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_widen_merge_and_stay_within_the_cap() {
        let mut h = HostSpans::new(2);
        h.note("a", 10);
        h.note("a", 5);
        h.note("a", 20);
        assert_eq!(h.get("a"), Some(&HostSpan { start_ms: 5, last_ms: 20, history_ms: 0 }));
        assert!(h.merge("a", HostSpan { start_ms: 0, last_ms: 7, history_ms: 7 }));
        assert_eq!(h.get("a"), Some(&HostSpan { start_ms: 0, last_ms: 20, history_ms: 7 }));
        h.note("b", 1);
        h.note("c", 1);
        assert!(!h.merge("d", HostSpan { start_ms: 0, last_ms: 1, history_ms: 1 }));
        assert_eq!((h.len(), h.dropped_full()), (2, 2));
        assert!(h.get("c").is_none());
        assert_eq!(HostSpan { start_ms: i64::MIN, last_ms: i64::MAX, history_ms: 0 }.covered_ms(), i64::MAX);
    }
}
