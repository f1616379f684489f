//! A worker: claims its share of partitions, consumes them, checkpoints them, and gives them
//! back on shutdown (`docs/fleet.md`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clickchain::Config;
use tokio::sync::watch;

use crate::lease::{plan, Leases};
use crate::partition::Partition;
use crate::server::Deployment;
use crate::stats::WorkerStats;
use crate::subject::host_hash;
use crate::{FleetError, FleetSettings};

/// How long a worker with nothing to read waits before asking again.
const IDLE: Duration = Duration::from_millis(100);
/// The longest a round of requests to the server may take: a request sent while the connection
/// was down gets no answer, and the partition is then reopened from its checkpoint.
const ROUND: Duration = Duration::from_secs(10);

/// A running worker's parts.
pub struct Worker {
    dep: Deployment,
    settings: FleetSettings,
    config: Config,
    leases: Leases,
    parts: BTreeMap<u32, Partition>,
    offset: u32,
    started: Instant,
    stats: WorkerStats,
    /// Events and alerts of partitions no longer held (totals never go back).
    closed: (u64, u64),
}

impl Worker {
    /// A worker named `id` (letters, digits, `-`, `_`) on a deployment.
    pub fn new(dep: Deployment, settings: FleetSettings, config: Config, id: String) -> Result<Worker, FleetError> {
        // The configuration must build an engine before any lease is taken.
        clickchain::Engine::new(config.clone())?;
        let leases = Leases::new(dep.leases.clone(), id.clone());
        let offset = (host_hash(&id) % u64::from(settings.partitions)) as u32;
        let stats = WorkerStats { worker: id, ..Default::default() };
        Ok(Worker {
            dep,
            settings,
            config,
            leases,
            parts: BTreeMap::new(),
            offset,
            started: Instant::now(),
            stats,
            closed: (0, 0),
        })
    }

    /// Runs until `stop` turns true, then checkpoints and releases every partition.
    /// `on_stats` is called every stats interval and once at the end.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>, mut on_stats: impl FnMut(&WorkerStats)) -> WorkerStats {
        let tick = self.settings.lease_ttl / 3;
        let mut next_tick = Instant::now();
        let mut next_stats = Instant::now() + self.settings.stats_interval;
        let mut events_at_stats = BTreeMap::<u32, (u64, Instant)>::new();
        while !*stop.borrow() {
            self.tick_when_due(tick, &mut next_tick).await;
            let took = self.pump_all(tick, &mut next_tick).await;
            if Instant::now() >= next_stats {
                self.refresh(&mut events_at_stats).await;
                on_stats(&self.stats);
                next_stats = Instant::now() + self.settings.stats_interval;
            }
            if took == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        self.shutdown().await;
        self.refresh(&mut events_at_stats).await;
        on_stats(&self.stats);
        self.stats
    }

    /// Renews the leases when it is time (also between partitions: a long round must not let
    /// them expire).
    async fn tick_when_due(&mut self, tick: Duration, next_tick: &mut Instant) {
        if Instant::now() >= *next_tick {
            if tokio::time::timeout(ROUND, self.tick()).await.is_err() {
                tracing::warn!("no answer from the server within {ROUND:?} renewing leases");
            }
            *next_tick = Instant::now() + tick;
        }
    }

    /// Takes what waits in every partition; a partition that fails is closed (and reopened from
    /// its checkpoint at the next tick while its lease holds).
    async fn pump_all(&mut self, tick: Duration, next_tick: &mut Instant) -> usize {
        let mut took = 0;
        let ids: Vec<u32> = self.parts.keys().copied().collect();
        // A fetch answers at once (it does not wait for messages): one that takes longer than
        // this lost its request or reply.
        let wait = (self.settings.lease_ttl / 4).clamp(Duration::from_millis(250), Duration::from_secs(5));
        for id in ids {
            self.tick_when_due(tick, next_tick).await;
            let Some(part) = self.parts.get_mut(&id) else { continue };
            let round = async {
                let n = part.pump(&self.dep, &self.settings, wait).await?;
                if part.checkpoint_due(&self.settings) {
                    part.checkpoint(&self.dep).await?;
                }
                Ok::<usize, FleetError>(n)
            };
            let result = match tokio::time::timeout(ROUND, round).await {
                Ok(Ok(n)) => {
                    took += n;
                    Ok(())
                }
                Ok(Err(e)) => Err(e),
                Err(_) => Err(FleetError::js(
                    format!("partition {id}"),
                    format!("no answer from the server within {ROUND:?}"),
                )),
            };
            if let Err(e) = result {
                tracing::warn!("partition {id}: {e}; closing it, to reopen from its checkpoint");
                self.close(id);
                self.stats.partition_errors += 1;
            }
        }
        took
    }

    /// Renews presence and leases, then moves towards an even share.
    async fn tick(&mut self) {
        if let Err(e) = self.leases.heartbeat().await {
            tracing::warn!("{e}");
            return;
        }
        for p in self.leases.renew().await {
            self.close(p);
            self.stats.leases_lost += 1;
        }
        let census = match self.leases.census().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("{e}");
                return;
            }
        };
        let plan = plan(&self.leases.held(), &census, self.settings.partitions, self.offset);
        for p in plan.release {
            if let Some(mut part) = self.parts.remove(&p) {
                if let Err(e) = part.checkpoint(&self.dep).await {
                    tracing::warn!("partition {p}: checkpoint before release: {e}");
                }
                self.closed.0 += part.stats.events;
                self.closed.1 += part.stats.alerts;
            }
            self.leases.release(p).await;
            self.stats.partitions_released += 1;
            tracing::info!("partition {p}: released to rebalance ({} workers)", census.workers);
        }
        for p in plan.claim {
            if self.leases.claim(p).await {
                tracing::info!("partition {p}: claimed");
            }
        }
        // Held but not open: just claimed, or closed after an error.
        for p in self.leases.held() {
            if self.parts.contains_key(&p) {
                continue;
            }
            match Partition::open(&self.dep, p, &self.config, &self.settings).await {
                Ok(part) => {
                    self.parts.insert(p, part);
                }
                Err(e) => tracing::warn!("partition {p}: opening: {e}"),
            }
        }
    }

    fn close(&mut self, p: u32) {
        if let Some(part) = self.parts.remove(&p) {
            self.closed.0 += part.stats.events;
            self.closed.1 += part.stats.alerts;
        }
    }

    /// Checkpoints every partition and hands every lease back.
    async fn shutdown(&mut self) {
        for (p, part) in self.parts.iter_mut() {
            if let Err(e) = part.checkpoint(&self.dep).await {
                tracing::warn!("partition {p}: checkpoint at shutdown: {e}");
            }
        }
        self.leases.release_all().await;
        tracing::info!("worker {}: leases released", self.leases.worker());
    }

    async fn refresh(&mut self, last: &mut BTreeMap<u32, (u64, Instant)>) {
        self.stats.partitions.clear();
        let (mut events, mut alerts) = self.closed;
        for (p, part) in self.parts.iter_mut() {
            part.refresh_stats().await;
            part.set_now();
            let now = Instant::now();
            let (before, at) = last.get(p).copied().unwrap_or((0, self.started));
            let secs = now.duration_since(at).as_secs_f64();
            part.stats.events_per_s =
                if secs > 0.0 { part.stats.events.saturating_sub(before) as f64 / secs } else { 0.0 };
            last.insert(*p, (part.stats.events, now));
            events += part.stats.events;
            alerts += part.stats.alerts;
            self.stats.partitions.insert(*p, part.stats.clone());
        }
        self.stats.events = events;
        self.stats.alerts = alerts;
        self.stats.uptime_s = self.started.elapsed().as_secs_f64();
    }
}
