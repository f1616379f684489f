//! A worker's counters and gauges, per partition: logged as lines and written as `--stats` JSON.

use std::collections::BTreeMap;

use serde::Serialize;

/// One partition's counters (since the worker claimed it) and gauges.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartitionStats {
    /// The partition.
    pub partition: u32,
    /// Events taken into the engine.
    pub events: u64,
    /// Messages dead-lettered to `clickchain.rejects` (not an event, or under another host).
    pub rejects: u64,
    /// Redeliveries of messages already taken, skipped.
    pub redeliveries_skipped: u64,
    /// Alerts published.
    pub alerts: u64,
    /// Follow-on records published.
    pub follow_ons: u64,
    /// Publishes (dead letters) the server did not take.
    pub publish_errors: u64,
    /// Fetches that got no answer, after which the consumer was recreated at the next sequence.
    pub fetches_resumed: u64,
    /// Checkpoints stored.
    pub checkpoints: u64,
    /// Checkpoints found but refused (another version or configuration): replayed from the start.
    pub checkpoints_refused: u64,
    /// End-of-replay markers taken.
    pub replays_ended: u64,
    /// The sequence the partition was restored at (0: started from the stream's start).
    pub restored_at: u64,
    /// The last stream sequence taken.
    pub last_seq: u64,
    /// The last stream sequence a stored checkpoint covers.
    pub checkpointed_seq: u64,
    /// The last checkpoint's size.
    pub checkpoint_bytes: u64,
    /// Milliseconds since the last checkpoint (or since the claim).
    pub checkpoint_age_ms: u64,
    /// Messages of the partition not yet delivered to this worker.
    pub lag: u64,
    /// Events per second over the last stats interval.
    pub events_per_s: f64,
    /// The engine's own counters (drops by reason, alerts, …).
    pub engine: clickchain::Stats,
}

/// A worker's stats at one moment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkerStats {
    /// The worker's id.
    pub worker: String,
    /// Seconds since it started.
    pub uptime_s: f64,
    /// Partitions held now.
    pub partitions: BTreeMap<u32, PartitionStats>,
    /// Events taken, all partitions, since the start.
    pub events: u64,
    /// Alerts published, all partitions, since the start.
    pub alerts: u64,
    /// Leases lost to expiry (the worker stalled or the server was away).
    pub leases_lost: u64,
    /// Partitions handed to another worker by rebalancing.
    pub partitions_released: u64,
    /// Partitions closed after an error (reopened from their checkpoint).
    pub partition_errors: u64,
}

impl WorkerStats {
    /// One log line: events, alerts, and per partition its lag and checkpoint age.
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .partitions
            .values()
            .map(|p| {
                format!("p{}: lag={} ev/s={:.0} ckpt_age={}ms", p.partition, p.lag, p.events_per_s, p.checkpoint_age_ms)
            })
            .collect();
        format!(
            "worker {}: events={} alerts={} partitions=[{}]",
            self.worker,
            self.events,
            self.alerts,
            parts.join(", ")
        )
    }
}
