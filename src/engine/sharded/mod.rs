//! Host-partitioned engines on threads (`docs/design.md`, "Streaming"): hosts are independent,
//! so each shard is a whole [`Engine`] that owns some hosts, and the caller's thread only routes
//! events.
//!
//! The router applies the same global watermark as one engine would (late and implausible
//! events are dropped before routing, with the watermark of the whole stream) and forwards it
//! with every batch, so each shard releases and evaluates as one engine would. What differs
//! from one engine: the order of records of different hosts; per-shard caps (`max_reorder`
//! holds per shard; `max_hosts` is enforced by the router for the whole engine); and the
//! newly-observed-domain store, shared by all shards, answers in the order the shards ask it.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use clickchain_adapters::Event;
use rustc_hash::FxHashMap;

use super::checkpoint;
use super::latency::BatchLatency;
use super::streaming::{Engine, PslHandle, NOT_BEFORE_MS};
use crate::alert::Record;
use crate::checkpoint::CheckpointError;
use crate::config::Config;
use crate::domain::{FirstSeen, Psl};
use crate::lower::nod;
use crate::profile::EngineError;
use crate::sink::Sink;
use crate::stats::Stats;

mod state;

/// Events handed to a shard at once.
const BATCH: usize = 1024;
/// Batches queued per shard before the router waits (bounds memory).
const QUEUE: usize = 4;

enum Msg {
    /// Events, then the router's watermark after them.
    Events(Vec<Event>, i64),
    SetNow(DateTime<Utc>),
    /// A configuration already validated by the router.
    Reload(Box<Config>),
    /// The shard's counters so far.
    Stats(Sender<Stats>),
    /// The shard's state (see `checkpoint.rs`).
    Checkpoint(Sender<Result<Vec<u8>, CheckpointError>>),
    /// The input ends; its last event (of any shard) was at this time.
    InputEnd(i64),
}

struct Shard {
    tx: Option<SyncSender<Msg>>,
    buf: Vec<Event>,
    /// The watermark last sent.
    sent: i64,
    thread: Option<JoinHandle<(Stats, BatchLatency)>>,
}

/// Several [`Engine`]s on threads of their own, each owning a share of the hosts. Same use
/// as an `Engine`: [`push`](Self::push), [`advance_to`](Self::advance_to),
/// [`finish`](Self::finish), [`drain`](Self::drain); [`stats`](Self::stats) and
/// [`batch_latency`](Self::batch_latency) cover all shards once finished.
///
/// ```
/// use clickchain::{Config, ShardedEngine};
/// use clickchain_adapters::native::NativeReader;
///
/// let sample = include_str!("../../../data/samples/sample.ndjson");
/// let mut engine = ShardedEngine::new(Config::default(), 2).unwrap();
/// for event in NativeReader::new("sample.ndjson", sample.as_bytes()) {
///     engine.push(event.unwrap());
/// }
/// engine.finish();
/// assert_eq!(engine.stats().alerts, 4);
/// let alerts = engine.drain().into_iter().filter(|r| matches!(r, clickchain::Record::Alert(_)));
/// assert_eq!(alerts.count(), 4);
/// ```
pub struct ShardedEngine {
    shards: Vec<Shard>,
    route: FxHashMap<Box<str>, usize>,
    max_hosts: usize,
    lateness: i64,
    max_future_skew: i64,
    not_after: i64,
    max_seen: i64,
    watermark: i64,
    pushed: usize,
    records: Receiver<Vec<Record>>,
    out: Vec<Record>,
    stats: Stats,
    latency: BatchLatency,
    /// The newly-observed-domain store the shards share.
    nod: Arc<Mutex<FirstSeen>>,
    /// Names the configuration in checkpoints.
    /// The configuration's canonical TOML, written into checkpoints.
    config_text: std::sync::Arc<str>,
    /// The enabled rules (for the missing-data count at the end).
    rules: Vec<&'static clickchain_logic::Rule>,
}

impl ShardedEngine {
    /// `shards` engines (at least one) with the vendored Public Suffix List.
    pub fn new(config: Config, shards: usize) -> Result<ShardedEngine, EngineError> {
        ShardedEngine::build(config, shards, PslHandle::Vendored(Psl::vendored()))
    }

    /// `shards` engines (at least one) sharing the given Public Suffix List.
    pub fn with_psl(config: Config, shards: usize, psl: Arc<Psl>) -> Result<ShardedEngine, EngineError> {
        ShardedEngine::build(config, shards, PslHandle::Shared(psl))
    }

    fn build(config: Config, shards: usize, psl: PslHandle) -> Result<ShardedEngine, EngineError> {
        let nod = Arc::new(Mutex::new(nod::new_store(&config)));
        let mut built = Vec::new();
        for _ in 0..shards.max(1) {
            let engine = Engine::build(config.clone(), psl.clone(), Some(Arc::clone(&nod)))?;
            built.push(engine);
        }
        ShardedEngine::start(&config, built, nod)
    }

    /// Starts a thread for each of `built` (sharing `nod`).
    fn start(config: &Config, built: Vec<Engine>, nod: Arc<Mutex<FirstSeen>>) -> Result<ShardedEngine, EngineError> {
        let (record_tx, records) = mpsc::channel();
        let max_future_skew = config.engine.max_future_skew_ms();
        Ok(ShardedEngine {
            shards: built
                .into_iter()
                .enumerate()
                .map(|(i, e)| spawn(i, e, record_tx.clone()))
                .collect::<Result<_, _>>()
                .map_err(EngineError::Thread)?,
            route: FxHashMap::default(),
            max_hosts: config.engine.max_hosts,
            lateness: config.engine.allowed_lateness_ms(),
            max_future_skew,
            not_after: Utc::now().timestamp_millis().saturating_add(max_future_skew),
            max_seen: i64::MIN,
            watermark: i64::MIN,
            pushed: 0,
            records,
            out: Vec::new(),
            stats: Stats::default(),
            latency: BatchLatency::default(),
            nod,
            config_text: checkpoint::canonical(config),
            rules: enabled(config),
        })
    }

    pub(super) fn config_text(&self) -> &str {
        &self.config_text
    }

    /// As [`Engine::with_first_seen`]: the store all shards share.
    pub fn with_first_seen<R>(&mut self, f: impl FnOnce(&mut FirstSeen) -> R) -> R {
        f(&mut self.nod.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Number of shards (threads).
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// As [`Engine::set_now`], for every shard.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.not_after = now.timestamp_millis().saturating_add(self.max_future_skew);
        for s in &mut self.shards {
            flush(s, self.watermark);
            send(s, Msg::SetNow(now));
        }
    }

    /// As [`Engine::reload`], for every shard (the configuration is validated first; an
    /// invalid one changes nothing).
    pub fn reload(&mut self, config: Config) -> Result<(), EngineError> {
        crate::profile::compiled(&config)?;
        self.config_text = checkpoint::canonical(&config);
        self.rules = enabled(&config);
        let e = &config.engine;
        self.max_hosts = e.max_hosts;
        self.lateness = e.allowed_lateness_ms();
        let skew = e.max_future_skew_ms();
        self.not_after = self.not_after.saturating_sub(self.max_future_skew).saturating_add(skew);
        self.max_future_skew = skew;
        for s in &mut self.shards {
            flush(s, self.watermark);
            send(s, Msg::Reload(Box::new(config.clone())));
        }
        Ok(())
    }

    /// Counters of the router and every shard so far, asked of the running shards (after
    /// [`finish`](Self::finish), the same as [`stats`](Self::stats)).
    pub fn current_stats(&mut self) -> Stats {
        let mut total = self.stats.clone();
        let (reply, answers) = mpsc::channel();
        for s in &mut self.shards {
            flush(s, self.watermark);
            send(s, Msg::Stats(reply.clone()));
        }
        drop(reply);
        for stats in answers {
            total.merge(&stats);
        }
        total
    }

    /// As [`Engine::allowed_lateness`].
    pub fn allowed_lateness(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lateness.max(0) as u64)
    }

    /// Offers one event, as [`Engine::push`]: it goes to the shard that owns its host.
    pub fn push(&mut self, event: Event) {
        let t = event.time.timestamp_millis();
        if !(NOT_BEFORE_MS..=self.not_after).contains(&t) {
            self.stats.events_in += 1;
            self.stats.dropped.implausible_time += 1;
            return;
        }
        if t < self.watermark {
            self.stats.events_in += 1;
            self.stats.dropped.late += 1;
            return;
        }
        let shard = match self.route.get(event.host.as_str()) {
            Some(&i) => i,
            None if self.route.len() >= self.max_hosts => {
                self.stats.events_in += 1;
                self.stats.dropped.host_cap += 1;
                return;
            }
            None => {
                // Round robin in order of first sighting spreads hosts evenly.
                let i = self.route.len() % self.shards.len();
                self.route.insert(event.host.as_str().into(), i);
                i
            }
        };
        if t > self.max_seen {
            self.max_seen = t;
            self.watermark = self.watermark.max(t.saturating_sub(self.lateness));
        }
        let s = &mut self.shards[shard];
        s.buf.push(event);
        if s.buf.len() >= BATCH {
            flush(s, self.watermark);
        }
        self.pushed += 1;
        if self.pushed.is_multiple_of(BATCH * self.shards.len()) {
            // Quiet shards also learn that time passed, so their hosts get evaluated.
            for s in &mut self.shards {
                flush(s, self.watermark);
            }
            self.collect();
        }
    }

    /// As [`Engine::advance_to`], for every shard.
    pub fn advance_to(&mut self, time: DateTime<Utc>) {
        self.watermark = self.watermark.max(time.timestamp_millis());
        for s in &mut self.shards {
            flush(s, self.watermark);
        }
    }

    /// As [`Engine::finish`]: every shard finishes, and its counters are added to
    /// [`stats`](Self::stats). Events pushed afterwards are dropped as late.
    pub fn finish(&mut self) {
        for s in &mut self.shards {
            flush(s, self.watermark);
            // Each shard ends where the whole input ends, not at its own hosts' last event, as
            // one engine does (the quarantine grace at the end is judged against it).
            send(s, Msg::InputEnd(self.max_seen));
            s.tx = None; // the shard finishes when its queue closes
        }
        for s in &mut self.shards {
            if let Some(thread) = s.thread.take() {
                match thread.join() {
                    Ok((stats, latency)) => {
                        self.stats.merge(&stats);
                        self.latency.merge(&latency);
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        }
        self.watermark = i64::MAX;
        self.collect();
        // Per shard it was counted on part of the input: again on the whole.
        self.stats.rules_missing_data = crate::missing_data::of_rules(&self.rules, &self.stats).len() as u64;
    }

    /// Takes the records produced so far (per host in order; hosts of different shards
    /// interleave in the order the shards produced them).
    pub fn drain(&mut self) -> Vec<Record> {
        self.collect();
        std::mem::take(&mut self.out)
    }

    /// Hands the records produced so far to `sink`.
    pub fn drain_into(&mut self, sink: &mut dyn Sink) -> std::io::Result<()> {
        for r in self.drain() {
            sink.emit(r)?;
        }
        Ok(())
    }

    /// Counters: the router's drops until [`finish`](Self::finish), all shards' after it.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Batch evaluation times of all shards, once finished.
    pub fn batch_latency(&self) -> &BatchLatency {
        &self.latency
    }

    fn collect(&mut self) {
        for batch in self.records.try_iter() {
            self.out.extend(batch);
        }
    }
}

fn flush(s: &mut Shard, watermark: i64) {
    if s.buf.is_empty() && s.sent == watermark {
        return;
    }
    s.sent = watermark;
    let events = std::mem::replace(&mut s.buf, Vec::with_capacity(BATCH));
    send(s, Msg::Events(events, watermark));
}

fn send(s: &mut Shard, msg: Msg) {
    if let Some(tx) = &s.tx {
        // Fails only if the shard's thread died; `finish` reports its panic.
        if tx.send(msg).is_err() {
            s.tx = None;
        }
    }
}

fn spawn(index: usize, mut engine: Engine, records: Sender<Vec<Record>>) -> std::io::Result<Shard> {
    let (tx, rx) = mpsc::sync_channel::<Msg>(QUEUE);
    let thread = std::thread::Builder::new().name(format!("clickchain-shard-{index}")).spawn(move || {
        for msg in rx {
            match msg {
                Msg::Events(events, watermark) => {
                    for ev in events {
                        engine.push(ev);
                    }
                    if watermark > i64::MIN {
                        engine.advance_to_ms(watermark);
                    }
                }
                Msg::SetNow(now) => engine.set_now(now),
                Msg::Reload(config) => {
                    // Validated (and compiled) by the router: this cannot fail differently.
                    if let Err(e) = engine.reload(*config) {
                        tracing::error!(shard = index, error = %e, "reload refused");
                    }
                }
                Msg::Stats(reply) => {
                    let _ = reply.send(engine.stats().clone());
                }
                Msg::Checkpoint(reply) => {
                    let _ = reply.send(engine.state_bytes(false));
                }
                Msg::InputEnd(last) => engine.input_ends_at(last),
            }
            let out = engine.drain();
            if !out.is_empty() {
                let _ = records.send(out);
            }
        }
        engine.finish();
        let _ = records.send(engine.drain());
        engine.into_totals()
    })?;
    Ok(Shard { tx: Some(tx), buf: Vec::with_capacity(BATCH), sent: i64::MIN, thread: Some(thread) })
}

/// The registered rules `config` enables (validated before: unknown ids cannot occur).
fn enabled(config: &Config) -> Vec<&'static clickchain_logic::Rule> {
    config.rules.enabled.iter().filter_map(|id| clickchain_logic::rules::rule(id)).collect()
}
