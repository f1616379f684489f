//! One engine on the caller's thread: events in, watermark, micro-batches, records out.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use clickchain_adapters::{Event, EventKind, Os};
use rustc_hash::FxHashMap;

use super::checkpoint;
use super::evaluate::evaluate_host;
use super::latency::BatchLatency;
use super::local::Emitted;
use super::naive;
use super::reorder::Reorder;
use crate::alert::Record;
use crate::config::Config;
use crate::domain::{FirstSeen, Psl};
use crate::host::proctable::ENDED_GRACE_MS;
use crate::host::Host;
use crate::lower::nod::{self, NodStore};
use crate::lower::{Ctx, DestCache, LateDns};
use crate::paths::os_hint;
use crate::profile::{EngineError, Limits, Profile};
use crate::sink::Sink;
use crate::stats::Stats;

mod reload;
mod state;

/// Carried state is swept at most this often (event time).
const SWEEP_EVERY_MS: i64 = 60_000;
/// Destinations whose classification is cached.
const DEST_CACHE: usize = 65_536;
/// Events before this are implausible (1990-01-01).
pub(super) const NOT_BEFORE_MS: i64 = 631_152_000_000;

/// Within one millisecond, starts come before what processes do, and ends last.
fn rank(kind: &EventKind) -> u8 {
    match kind {
        EventKind::ProcessStart { .. } => 0,
        EventKind::UrlOpen { .. } => 1,
        EventKind::DnsAnswer { .. } => 2,
        EventKind::Connect { .. } => 3,
        EventKind::FileWrite { .. } => 4,
        EventKind::FileAttr { .. } => 5,
        EventKind::ProcessEnd { .. } => 6,
    }
}

/// The detection engine. Feed it events with [`Engine::push`], let time pass with
/// [`Engine::advance_to`], end the input with [`Engine::finish`], and collect alerts and
/// follow-on records with [`Engine::drain`] (or [`Engine::drain_into`] a [`Sink`]).
///
/// ```
/// use clickchain::{Config, Engine};
/// use clickchain_adapters::native::NativeReader;
///
/// let sample = include_str!("../../../data/samples/quickstart.ndjson");
/// let mut engine = Engine::new(Config::default()).unwrap();
/// for event in NativeReader::new("quickstart.ndjson", sample.as_bytes()) {
///     engine.push(event.unwrap());
/// }
/// engine.finish();
/// let records = engine.drain();
/// assert_eq!(records.len(), 1);
/// assert_eq!(engine.stats().alerts, 1);
/// ```
pub struct Engine {
    profiles: Arc<[Profile; 3]>,
    limits: Limits,
    lateness: i64,
    batch: i64,
    max_future_skew: i64,
    not_after: i64,
    default_os: Option<Os>,
    psl: PslHandle,
    first_seen: NodStore,
    dests: [DestCache; 3],
    /// Hosts in order of first sighting; `host_ids` finds one by name.
    hosts: Vec<Host>,
    host_ids: FxHashMap<Arc<str>, u32>,
    /// Hosts touched since the last batch (indices into `hosts`).
    dirty: Vec<u32>,
    reorder: Reorder,
    /// DNS answers noted on arrival, for connections logged before them.
    late_dns: LateDns,
    seq: u64,
    max_seen: i64,
    watermark: i64,
    bucket: Option<i64>,
    last_sweep: i64,
    out: Vec<Record>,
    stats: Stats,
    latency: BatchLatency,
    /// Naive evaluation (bench peer, feature `naive`): see `Engine::set_naive_evaluation`.
    naive: Option<naive::NaiveWindows>,
    /// Names the configuration in checkpoints.
    /// The configuration's canonical TOML, written into checkpoints.
    config_text: std::sync::Arc<str>,
}

/// The Public Suffix List an engine uses: the vendored one (static) or one given to it.
#[derive(Clone)]
pub(super) enum PslHandle {
    Vendored(&'static Psl),
    Shared(Arc<Psl>),
}

impl std::ops::Deref for PslHandle {
    type Target = Psl;
    fn deref(&self) -> &Psl {
        match self {
            PslHandle::Vendored(p) => p,
            PslHandle::Shared(p) => p,
        }
    }
}

fn os_index(os: Os) -> usize {
    match os {
        Os::Windows => 0,
        Os::Linux => 1,
        Os::Macos => 2,
    }
}

impl Engine {
    /// An engine with the vendored Public Suffix List (parsed once per process, then shared).
    pub fn new(config: Config) -> Result<Engine, EngineError> {
        Engine::build(config, PslHandle::Vendored(Psl::vendored()), None)
    }

    /// An engine with the given Public Suffix List (e.g. a newer one loaded from a file).
    pub fn with_psl(config: Config, psl: Arc<Psl>) -> Result<Engine, EngineError> {
        Engine::build(config, PslHandle::Shared(psl), None)
    }

    pub(super) fn build(
        config: Config,
        psl: PslHandle,
        nod: Option<Arc<Mutex<FirstSeen>>>,
    ) -> Result<Engine, EngineError> {
        let profiles = crate::profile::compiled(&config)?;
        let max_future_skew = config.engine.max_future_skew_ms();
        Ok(Engine {
            profiles,
            limits: Limits::new(&config),
            lateness: config.engine.allowed_lateness_ms(),
            batch: config.engine.batch_ms().max(1),
            max_future_skew,
            not_after: Utc::now().timestamp_millis().saturating_add(max_future_skew),
            default_os: config.engine.default_os,
            psl,
            first_seen: match nod {
                Some(shared) => NodStore::Shared(shared),
                None => NodStore::Own(nod::new_store(&config)),
            },
            dests: [DestCache::new(DEST_CACHE), DestCache::new(DEST_CACHE), DestCache::new(DEST_CACHE)],
            hosts: Vec::new(),
            host_ids: FxHashMap::default(),
            dirty: Vec::new(),
            reorder: Reorder::default(),
            late_dns: LateDns::new(config.engine.dns_grace_ms()),
            seq: 0,
            max_seen: i64::MIN,
            watermark: i64::MIN,
            bucket: None,
            last_sweep: i64::MIN,
            out: Vec::new(),
            stats: Stats::default(),
            latency: BatchLatency::default(),
            naive: None,
            config_text: checkpoint::canonical(&config),
        })
    }

    /// Rejects events later than `now + max_future_skew` (default: the wall clock at
    /// construction). Replays of recorded data and tests set it explicitly.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.not_after = now.timestamp_millis().saturating_add(self.max_future_skew);
    }

    /// How far behind the newest event an event may come and still be processed.
    pub fn allowed_lateness(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lateness.max(0) as u64)
    }

    /// Benchmark peer only (feature `naive`): re-runs the chain rules over the whole window of
    /// each host every batch instead of anchoring on new writes (see `src/engine/naive.rs`).
    /// The alerts are the same; it is far slower. Set it before the first event.
    #[cfg(feature = "naive")]
    #[doc(hidden)]
    pub fn set_naive_evaluation(&mut self, naive: bool) {
        self.naive = naive.then(naive::NaiveWindows::default);
    }

    /// The newly-observed-domain store: to load a saved one ([`FirstSeen::load`]) before the
    /// first event, or to save it ([`FirstSeen::save`]) after [`Engine::finish`].
    pub fn with_first_seen<R>(&mut self, f: impl FnOnce(&mut FirstSeen) -> R) -> R {
        self.first_seen.with(f)
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Wall-clock evaluation time per micro-batch so far (batches that evaluated a host).
    pub fn batch_latency(&self) -> &BatchLatency {
        &self.latency
    }

    /// Offers one event. It is buffered until the watermark passes it, then lowered in time
    /// order; events further behind the watermark than AllowedLateness are dropped as late.
    pub fn push(&mut self, event: Event) {
        self.stats.events_in += 1;
        let t = event.time.timestamp_millis();
        if !(NOT_BEFORE_MS..=self.not_after).contains(&t) {
            self.stats.dropped.implausible_time += 1;
            return;
        }
        if t < self.watermark {
            self.stats.dropped.late += 1;
            return;
        }
        if let EventKind::DnsAnswer { proc, query, answers } = &event.kind {
            self.late_dns.note(&event.host, query, answers, t, proc.as_ref(), &event.source);
        }
        self.seq += 1;
        self.reorder.push(t, rank(&event.kind), self.seq, event);
        if t > self.max_seen {
            self.max_seen = t;
            self.watermark = self.watermark.max(t.saturating_sub(self.lateness));
        }
        if self.reorder.len() > self.limits.max_reorder {
            // Forced out: everything older than it is now late.
            let (time, event) = self.reorder.pop().expect("non-empty");
            self.stats.anomalies.reorder_overflow += 1;
            self.watermark = self.watermark.max(time);
            self.process(event, time);
        }
        self.release();
    }

    /// Declares that no event before `time` will come: releases and evaluates up to it.
    /// A live agent calls this on a timer so that quiet hosts still get evaluated.
    pub fn advance_to(&mut self, time: DateTime<Utc>) {
        self.advance_to_ms(time.timestamp_millis());
    }

    /// `advance_to` in milliseconds.
    pub(super) fn advance_to_ms(&mut self, t: i64) {
        self.watermark = self.watermark.max(t);
        self.release();
        let b = t.div_euclid(self.batch);
        if let Some(cur) = self.bucket {
            if b > cur {
                self.close_batch(b * self.batch - 1, false);
                self.bucket = Some(b);
            }
        }
    }

    /// The whole input's last event was at `t` (a shard's own hosts may have ended earlier):
    /// [`Self::finish`] judges the end against it.
    pub(super) fn input_ends_at(&mut self, t: i64) {
        self.max_seen = self.max_seen.max(t);
    }

    /// Ends the input: releases every buffered event and evaluates everything pending.
    /// A file still inside its quarantine grace when the input ends is not reported as
    /// `quarantine_missing`: its flag may simply not have been logged yet.
    pub fn finish(&mut self) {
        self.watermark = i64::MAX;
        self.release();
        let until = self.bucket.map_or(i64::MAX, |b| (b + 1) * self.batch - 1);
        self.dirty = (0..self.hosts.len() as u32).collect();
        for h in &mut self.hosts {
            h.dirty = true;
            let grace = self.profiles[os_index(h.os.unwrap_or(Os::Linux))].params.quarantine_grace;
            h.anchors.end_of_input(self.max_seen, grace);
        }
        self.close_batch(until, true);
        self.stats.rules_missing_data =
            crate::missing_data::of_rules(&self.profiles[0].rules, &self.stats).len() as u64;
    }

    /// Its counters and batch latencies, when a shard's engine is done.
    pub(super) fn into_totals(self) -> (Stats, BatchLatency) {
        (self.stats, self.latency)
    }

    /// Takes the records produced so far.
    pub fn drain(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.out)
    }

    /// Hands the records produced so far to `sink`, in order.
    pub fn drain_into(&mut self, sink: &mut dyn Sink) -> std::io::Result<()> {
        for r in self.out.drain(..) {
            sink.emit(r)?;
        }
        Ok(())
    }

    /// Processes currently held for all hosts (a gauge for memory use).
    pub fn live_processes(&self) -> usize {
        self.hosts.iter().map(|h| h.procs.len()).sum()
    }

    pub(super) fn config_text(&self) -> &str {
        &self.config_text
    }

    fn release(&mut self) {
        while self.reorder.peek_time().is_some_and(|t| t < self.watermark) {
            let (time, event) = self.reorder.pop().expect("peeked");
            self.process(event, time);
            self.late_dns.expire(time);
        }
    }

    #[inline]
    fn process(&mut self, ev: Event, t: i64) {
        // Most events fall in the current batch: no division (a 64-bit one is slow) for them.
        if self.bucket.is_none_or(|cur| t >= cur.saturating_add(1).saturating_mul(self.batch)) {
            let b = t.div_euclid(self.batch);
            match self.bucket {
                Some(cur) if b > cur => {
                    self.close_batch(b * self.batch - 1, false);
                    self.bucket = Some(b);
                }
                None => self.bucket = Some(b),
                _ => {}
            }
        }
        let id = match self.host_ids.get(ev.host.as_str()) {
            Some(&id) => id,
            None => {
                if self.hosts.len() >= self.limits.max_hosts {
                    self.stats.dropped.host_cap += 1;
                    return;
                }
                let name: Arc<str> = Arc::from(ev.host.as_str());
                let id = self.hosts.len() as u32;
                self.host_ids.insert(Arc::clone(&name), id);
                self.hosts.push(Host::new(name, None));
                id
            }
        };
        let h = &mut self.hosts[id as usize];
        let os = *h.os.get_or_insert_with(|| ev.os.or_else(|| os_hint(&ev)).or(self.default_os).unwrap_or(Os::Linux));
        let profile = &self.profiles[os_index(os)];
        let mut ctx = Ctx {
            profile,
            psl: &self.psl,
            first_seen: &mut self.first_seen,
            dests: &mut self.dests[os_index(os)],
            late_dns: &self.late_dns,
            stats: &mut self.stats,
            limits: &self.limits,
            ended_before: t - ENDED_GRACE_MS,
        };
        crate::lower::ingest(h, &mut ctx, ev, t);
        self.stats.events_processed += 1;
        if !h.dirty {
            h.dirty = true;
            self.dirty.push(id);
        }
    }

    /// Evaluates every host touched since the last batch, up to event time `until`.
    fn close_batch(&mut self, until: i64, at_end: bool) {
        let _span = tracing::debug_span!("batch", until, hosts = self.dirty.len()).entered();
        let mut dirty = std::mem::take(&mut self.dirty);
        // By name, so that output order does not depend on which host came first.
        dirty.sort_unstable_by(|&a, &b| self.hosts[a as usize].name.cmp(&self.hosts[b as usize].name));
        let started = std::time::Instant::now();
        let mut evaluated = false;
        let mut still: Vec<u32> = Vec::new();
        for id in dirty {
            let host = &mut self.hosts[id as usize];
            host.dirty = false;
            let profile = &self.profiles[os_index(host.os.unwrap_or(Os::Linux))];
            let mut emit =
                Emitted { out: &mut self.out, stats: &mut self.stats, max_alerted: self.limits.max_pending_per_host };
            if let Some(windows) = self.naive.as_mut() {
                windows.evaluate_host(id, host, profile, until, at_end, &mut emit);
                evaluated = true;
            } else if host.has_work(until, at_end) {
                evaluate_host(host, profile, until, at_end, &mut emit);
                evaluated = true;
            }
            if !host.anchors.pending().is_empty() {
                host.dirty = true;
                still.push(id);
            }
        }
        self.dirty = still;
        if evaluated {
            self.latency.record(started.elapsed());
        }
        // On a fixed grid of event time, not at whichever batch end comes first: so that state
        // expires at the same points of a host's events however batches fall (one engine or
        // shards, whose batches close at different times).
        let grid = until.div_euclid(SWEEP_EVERY_MS) * SWEEP_EVERY_MS;
        if grid > self.last_sweep {
            self.sweep(grid);
        } else if at_end {
            self.sweep(until);
        }
    }

    /// Expires carried state and processes that nothing can refer to any more.
    fn sweep(&mut self, until: i64) {
        self.last_sweep = until;
        for host in &mut self.hosts {
            let profile = &self.profiles[os_index(host.os.unwrap_or(Os::Linux))];
            let horizon = until.saturating_sub(profile.retention_ms() + self.lateness);
            host.expire(horizon, until);
            host.dns.expire(until.saturating_sub(profile.dns_ttl_ms));
            host.procs.sweep(until.saturating_sub(self.lateness + ENDED_GRACE_MS));
        }
        tracing::trace!(hosts = self.hosts.len(), "swept");
    }
}
