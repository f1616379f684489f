//! The newly-observed-domain store.

use std::collections::HashMap;

use super::first_seen_hosts::{HostSpan, HostSpans};

/// How long a domain stays newly observed by default: 24 h.
pub const DEFAULT_WINDOW_MS: i64 = 86_400_000;

/// Hosts whose history a store keeps by default (the engine's `max_hosts`).
pub const DEFAULT_HOST_CAP: usize = 100_000;

/// In-memory, bounded store of registrable domains with the event time they were first seen.
///
/// Deterministic: it only uses the event times it is given, never the wall clock.
///
/// * The first call to [`FirstSeen::observe`] fixes the stream start. While
///   `at_ms < start + warmup_ms` domains are recorded but never reported new, so that a fresh
///   replay does not call everything new.
/// * After the warm-up, a domain is newly observed on every sighting less than `window_ms`
///   (default 24 h) after its first one, so that a host's second connection to a fresh domain,
///   or another host's first, is as suspicious as the first; the first sighting records it.
/// * At most `cap` domains are stored. When the store is full, a domain not yet stored is
///   neither recorded nor reported new, and [`FirstSeen::dropped_full`] counts it.
/// * [`FirstSeen::has_history_on`] says whether the store holds at least the warm-up of history
///   from before this run for the host asking (a store file that covered that long of its
///   egress, see [`FirstSeen::history_ms_on`]): only then is "newly observed" reason enough to
///   distrust a destination (`docs/design.md` "Domain risk"). A store warmed on one host gives
///   another none. A warm-up of 0 needs no history.
/// * At most `host_cap` hosts' spans are kept (default 100 000, as `max_hosts`); a host beyond it
///   has no history of its own ([`FirstSeen::hosts_dropped_full`] counts it).
///
/// ```
/// use clickchain::domain::FirstSeen;
/// let mut seen = FirstSeen::new(1_000, 10).window(5_000);
/// assert!(!seen.observe("example.org", 0)); // warm-up
/// assert!(seen.observe("example.net", 1_000)); // new after the warm-up
/// assert!(!seen.observe("example.org", 2_000)); // known since the warm-up
/// assert!(seen.observe("example.net", 6_000)); // still new 5 s after its first sighting
/// assert!(!seen.observe("example.net", 6_001)); // not any more
/// ```
#[derive(Debug, Clone)]
pub struct FirstSeen {
    warmup_ms: i64,
    window_ms: i64,
    cap: usize,
    start_ms: Option<i64>,
    /// The latest event time given to `observe` or read from a store.
    last_ms: Option<i64>,
    /// History for every host: the time an old store file (version 1, which did not say whose
    /// egress it held) covered.
    history_ms: i64,
    /// Per host: the egress time the store saw, and its history from before this run.
    hosts: HostSpans,
    seen: HashMap<String, i64>,
    dropped_full: u64,
}

impl FirstSeen {
    /// A store with a warm-up of `warmup_ms` (negative counts as 0) and room for `cap` domains.
    pub fn new(warmup_ms: i64, cap: usize) -> FirstSeen {
        FirstSeen {
            warmup_ms: warmup_ms.max(0),
            window_ms: DEFAULT_WINDOW_MS,
            cap,
            start_ms: None,
            last_ms: None,
            history_ms: 0,
            hosts: HostSpans::new(DEFAULT_HOST_CAP),
            seen: HashMap::new(),
            dropped_full: 0,
        }
    }

    /// How long after its first sighting a domain stays newly observed (negative counts as 0).
    pub fn window(mut self, window_ms: i64) -> FirstSeen {
        self.window_ms = window_ms.max(0);
        self
    }

    /// At most `host_cap` hosts' spans are kept.
    pub fn host_cap(mut self, host_cap: usize) -> FirstSeen {
        self.hosts.set_cap(host_cap);
        self
    }

    /// Records `registrable` at event time `at_ms` for records naming no host (host `""`);
    /// returns whether it is newly observed.
    pub fn observe(&mut self, registrable: &str, at_ms: i64) -> bool {
        self.observe_on("", registrable, at_ms)
    }

    /// Records `registrable`, reached by `host` at event time `at_ms`, and the host's span;
    /// returns whether it is newly observed (to every host: the domains are shared).
    pub fn observe_on(&mut self, host: &str, registrable: &str, at_ms: i64) -> bool {
        self.hosts.note(host, at_ms);
        let start = *self.start_ms.get_or_insert(at_ms);
        self.last_ms = Some(self.last_ms.map_or(at_ms, |l| l.max(at_ms)));
        if let Some(&first) = self.seen.get(registrable) {
            return !self.warming_up(start, first)
                && i128::from(at_ms) - i128::from(first) <= i128::from(self.window_ms);
        }
        if self.seen.len() >= self.cap {
            self.dropped_full += 1;
            return false;
        }
        self.seen.insert(registrable.to_owned(), at_ms);
        !self.warming_up(start, at_ms)
    }

    /// Whether `registrable` is stored.
    pub fn contains(&self, registrable: &str) -> bool {
        self.seen.contains_key(registrable)
    }

    /// When `registrable` was first seen (the event time given to [`FirstSeen::observe`]).
    pub fn first_seen_ms(&self, registrable: &str) -> Option<i64> {
        self.seen.get(registrable).copied()
    }

    /// The stream start fixed by the first call, if any.
    pub fn start_ms(&self) -> Option<i64> {
        self.start_ms
    }

    /// The latest event time the store has seen (observed or read from a store file).
    pub fn last_ms(&self) -> Option<i64> {
        self.last_ms
    }

    /// [`FirstSeen::history_ms_on`] for records naming no host.
    pub fn history_ms(&self) -> i64 {
        self.history_ms_on("")
    }

    /// [`FirstSeen::has_history_on`] for records naming no host.
    pub fn has_history(&self) -> bool {
        self.has_history_on("")
    }

    /// Event time of `host`'s egress covered by stores loaded before this run (0 without
    /// one): from the host's first to its latest egress a store file saw, or the whole time an
    /// old store file that names no hosts covered. Time this run covers does not count, so a
    /// replay without a store never has history, however long it is.
    pub fn history_ms_on(&self, host: &str) -> i64 {
        self.hosts.get(host).map_or(0, |h| h.history_ms).max(self.history_ms)
    }

    /// Whether the store holds at least the warm-up of history from before this run for
    /// `host` (always true with a warm-up of 0): then a newly observed domain is untrusted by
    /// itself when that host reaches it.
    pub fn has_history_on(&self, host: &str) -> bool {
        self.history_ms_on(host) >= self.warmup_ms
    }

    /// History for every host, from an old store file that names no hosts.
    pub fn history_ms_all_hosts(&self) -> i64 {
        self.history_ms
    }

    /// Every host whose egress the store saw, with its span, in no particular order.
    pub fn hosts(&self) -> impl Iterator<Item = (&str, &HostSpan)> {
        self.hosts.iter()
    }

    /// Notes that `host` made an egress at `at_ms` (its span grows; nothing else changes): the
    /// engine notes every lineage egress, named or not, cached verdict or not.
    pub fn note_host(&mut self, host: &str, at_ms: i64) {
        self.hosts.note(host, at_ms);
    }

    /// How many sightings of hosts beyond the host cap were not recorded.
    pub fn hosts_dropped_full(&self) -> u64 {
        self.hosts.dropped_full()
    }

    /// Takes a host's span from a saved store (see [`HostSpans::merge`]).
    pub(super) fn merge_host(&mut self, host: &str, span: HostSpan) -> bool {
        self.hosts.merge(host, span)
    }

    /// Whether `at_ms` falls in the warm-up (always true before the first call).
    pub fn in_warmup(&self, at_ms: i64) -> bool {
        match self.start_ms {
            Some(start) => self.warming_up(start, at_ms),
            None => true,
        }
    }

    /// `at_ms < start + warmup_ms`, computed without overflow.
    fn warming_up(&self, start: i64, at_ms: i64) -> bool {
        i128::from(at_ms) < i128::from(start) + i128::from(self.warmup_ms)
    }

    /// Number of stored domains.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no domain is stored.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// The configured capacity.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// How many new domains were not recorded because the store was full.
    pub fn dropped_full(&self) -> u64 {
        self.dropped_full
    }

    /// Every stored domain with its first sighting, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, i64)> {
        self.seen.iter().map(|(d, &t)| (d.as_str(), t))
    }

    /// Takes a stream start from a saved store: the earlier one wins.
    pub(super) fn merge_start(&mut self, start_ms: i64) {
        self.start_ms = Some(self.start_ms.map_or(start_ms, |s| s.min(start_ms)));
    }

    /// Takes the latest time of a saved store: the later one wins.
    pub(super) fn merge_last(&mut self, last_ms: i64) {
        self.last_ms = Some(self.last_ms.map_or(last_ms, |l| l.max(last_ms)));
    }

    /// Takes history for every host from a saved store: the longer wins.
    pub(super) fn merge_history(&mut self, history_ms: i64) {
        self.history_ms = self.history_ms.max(history_ms.max(0));
    }

    /// History a saved store file covered: its start to its latest time.
    pub(super) fn covered_ms(&self) -> i64 {
        match (self.start_ms, self.last_ms) {
            (Some(start), Some(last)) => i64::try_from(i128::from(last) - i128::from(start)).unwrap_or(i64::MAX).max(0),
            _ => 0,
        }
    }

    /// Takes a domain from a saved store: the earlier first sighting wins. `false` (and
    /// counted as dropped) when it is new and the store is full.
    pub(super) fn merge(&mut self, registrable: &str, first_ms: i64) -> bool {
        if let Some(first) = self.seen.get_mut(registrable) {
            *first = (*first).min(first_ms);
            return true;
        }
        if self.seen.len() >= self.cap {
            self.dropped_full += 1;
            return false;
        }
        self.seen.insert(registrable.to_owned(), first_ms);
        true
    }
}

#[cfg(test)]
mod history_tests {
    use super::*;

    #[test]
    fn a_run_without_a_store_never_has_history() {
        let mut s = FirstSeen::new(3_600_000, 100);
        assert!(!s.has_history());
        for hour in 0..5 {
            s.observe(&format!("site{hour}.example"), hour * 3_600_000);
        }
        assert_eq!(s.last_ms(), Some(4 * 3_600_000));
        assert_eq!(s.history_ms(), 0);
        assert!(!s.has_history(), "time covered by this run is not history");
    }

    #[test]
    fn zero_warmup_needs_no_history() {
        assert!(FirstSeen::new(0, 10).has_history());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_new_within_the_window() {
        let mut s = FirstSeen::new(60_000, 100).window(10_000);
        assert!(s.in_warmup(0));
        assert!(!s.observe("a.com", 1_000), "first call starts the warm-up");
        assert_eq!(s.start_ms(), Some(1_000));
        assert!(!s.observe("b.com", 60_999), "still warming up");
        assert!(s.in_warmup(60_999) && !s.in_warmup(61_000));
        assert!(s.observe("c.com", 61_000), "new right at the end of the warm-up");
        assert!(s.observe("c.com", 71_000), "still new at the end of its window");
        assert!(!s.observe("c.com", 71_001), "not new after its window");
        assert!(!s.observe("a.com", 90_000), "seen during warm-up: known");
        assert!(!s.observe("b.com", 90_000));
        assert_eq!(s.first_seen_ms("c.com"), Some(61_000));
        assert_eq!(s.first_seen_ms("z.com"), None);
        // Out-of-order times before the start are in the warm-up.
        assert!(!s.observe("d.com", 0));
        assert!(s.contains("d.com"));
        assert_eq!(s.len(), 4);
        assert_eq!(s.dropped_full(), 0);
    }

    #[test]
    fn zero_warmup_reports_the_first_domain() {
        let mut s = FirstSeen::new(0, 10);
        assert!(s.observe("a.com", 5));
        let mut neg = FirstSeen::new(-5, 10);
        assert!(neg.observe("a.com", i64::MIN));
        let mut huge = FirstSeen::new(i64::MAX, 10);
        assert!(!huge.observe("a.com", i64::MAX));
        assert!(!huge.observe("b.com", i64::MAX));
    }

    #[test]
    fn cap_bounds_the_store_and_counts_drops() {
        let mut s = FirstSeen::new(0, 2).window(0);
        assert!(s.observe("a.com", 0));
        assert!(s.observe("b.com", 0));
        assert!(!s.observe("c.com", 0), "full: not reported");
        assert!(!s.observe("c.com", 1), "still not recorded");
        assert!(!s.contains("c.com"));
        assert!(!s.observe("a.com", 1), "known domains are unaffected");
        assert_eq!((s.len(), s.cap(), s.dropped_full()), (2, 2, 2));

        let mut none = FirstSeen::new(0, 0);
        assert!(!none.observe("a.com", 0));
        assert!(none.is_empty());
        assert_eq!(none.dropped_full(), 1);
    }
}
