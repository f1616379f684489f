//! The agent's figures (`clickchain-bench agent`): alert latency through the live engine at a
//! steady rate, checkpoint size and save/restore time with many live processes, and resident
//! memory over a simulated day. See `docs/performance.md` "Agent".

mod day;
mod latency;
mod state;
mod traffic;

pub use day::{day, Day};
pub use latency::{latency, Latency};
pub use state::{checkpoint, Checkpoint};
pub use traffic::{Chain, Traffic};

/// The `q` quantile (0..=1) of sorted `values` (nearest rank), or 0 when there are none.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantile_is_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(super::quantile(&v, 0.5), 50.0);
        assert_eq!(super::quantile(&v, 0.99), 99.0);
        assert_eq!(super::quantile(&v, 1.0), 100.0);
        assert_eq!(super::quantile(&[], 0.5), 0.0);
    }
}
