//! Wall-clock time of each micro-batch evaluation, as a log-scale histogram (for the per-batch
//! latency p99 of `docs/performance.md`). Kept apart from [`crate::Stats`], which stays deterministic.

use std::time::Duration;

/// Evaluation times of micro-batches that evaluated at least one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchLatency {
    /// Batches measured.
    pub count: u64,
    /// Longest batch.
    pub max: Duration,
    /// `buckets[i]` counts batches that took less than 2^i ns (and at least 2^(i-1)); the last
    /// also counts everything longer (about 2 s and up).
    buckets: [u64; 32],
}

impl BatchLatency {
    pub(crate) fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
        let i = (64 - ns.leading_zeros()) as usize;
        self.buckets[i.min(self.buckets.len() - 1)] += 1;
        self.count += 1;
        self.max = self.max.max(d);
    }

    /// Adds another histogram's batches (e.g. those of another shard).
    pub(crate) fn merge(&mut self, other: &BatchLatency) {
        self.count += other.count;
        self.max = self.max.max(other.max);
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
    }

    /// An upper bound of the `q` quantile (0..=1): the top of the bucket it falls in, at most
    /// twice the true value; `None` before any batch.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Duration::from_nanos(1u64 << i.min(63)).min(self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_bound_the_recorded_times() {
        let mut l = BatchLatency::default();
        assert_eq!(l.quantile(0.5), None);
        for us in [10u64, 12, 15, 20, 900] {
            l.record(Duration::from_micros(us));
        }
        assert_eq!(l.count, 5);
        assert_eq!(l.max, Duration::from_micros(900));
        let p50 = l.quantile(0.5).unwrap();
        assert!(p50 >= Duration::from_micros(15) && p50 <= Duration::from_micros(30), "{p50:?}");
        assert_eq!(l.quantile(1.0), Some(Duration::from_micros(900)));
    }
}
