//! One engine on the caller's thread, or host-partitioned shards on threads of their own,
//! chosen by a thread count (the CLI's `--threads`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use clickchain_adapters::Event;

use super::latency::BatchLatency;
use super::sharded::ShardedEngine;
use super::streaming::Engine;
use crate::alert::Record;
use crate::config::Config;
use crate::domain::{FirstSeen, Psl};
use crate::profile::EngineError;
use crate::sink::Sink;
use crate::stats::Stats;

/// An [`Engine`] or a [`ShardedEngine`], used the same way.
///
/// ```
/// use clickchain::{AnyEngine, Config};
///
/// let mut engine = AnyEngine::new(Config::default(), None, 2).unwrap();
/// assert!(matches!(engine, AnyEngine::Sharded(_)));
/// engine.finish();
/// assert_eq!(engine.stats().alerts, 0);
/// ```
pub enum AnyEngine {
    /// One engine on the caller's thread.
    One(Box<Engine>),
    /// Shards on threads of their own.
    Sharded(Box<ShardedEngine>),
}

impl AnyEngine {
    /// `threads` 1: one engine; more: that many shards; 0: one shard per core. `psl`: a Public
    /// Suffix List to use instead of the vendored one.
    pub fn new(config: Config, psl: Option<Arc<Psl>>, threads: usize) -> Result<AnyEngine, EngineError> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Ok(match (threads, psl) {
            (1, None) => AnyEngine::One(Box::new(Engine::new(config)?)),
            (1, Some(psl)) => AnyEngine::One(Box::new(Engine::with_psl(config, psl)?)),
            (n, None) => AnyEngine::Sharded(Box::new(ShardedEngine::new(config, n)?)),
            (n, Some(psl)) => AnyEngine::Sharded(Box::new(ShardedEngine::with_psl(config, n, psl)?)),
        })
    }

    /// As [`Engine::set_now`].
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        match self {
            AnyEngine::One(e) => e.set_now(now),
            AnyEngine::Sharded(e) => e.set_now(now),
        }
    }

    /// As [`Engine::advance_to`].
    pub fn advance_to(&mut self, time: DateTime<Utc>) {
        match self {
            AnyEngine::One(e) => e.advance_to(time),
            AnyEngine::Sharded(e) => e.advance_to(time),
        }
    }

    /// As [`Engine::reload`].
    pub fn reload(&mut self, config: Config) -> Result<(), EngineError> {
        match self {
            AnyEngine::One(e) => e.reload(config),
            AnyEngine::Sharded(e) => e.reload(config),
        }
    }

    /// As [`Engine::allowed_lateness`].
    pub fn allowed_lateness(&self) -> std::time::Duration {
        match self {
            AnyEngine::One(e) => e.allowed_lateness(),
            AnyEngine::Sharded(e) => e.allowed_lateness(),
        }
    }

    /// Counters so far, of every shard while they run ([`ShardedEngine::current_stats`]).
    pub fn current_stats(&mut self) -> Stats {
        match self {
            AnyEngine::One(e) => e.stats().clone(),
            AnyEngine::Sharded(e) => e.current_stats(),
        }
    }

    /// As [`Engine::with_first_seen`].
    pub fn with_first_seen<R>(&mut self, f: impl FnOnce(&mut FirstSeen) -> R) -> R {
        match self {
            AnyEngine::One(e) => e.with_first_seen(f),
            AnyEngine::Sharded(e) => e.with_first_seen(f),
        }
    }

    /// As [`Engine::push`].
    pub fn push(&mut self, event: Event) {
        match self {
            AnyEngine::One(e) => e.push(event),
            AnyEngine::Sharded(e) => e.push(event),
        }
    }

    /// As [`Engine::finish`].
    pub fn finish(&mut self) {
        match self {
            AnyEngine::One(e) => e.finish(),
            AnyEngine::Sharded(e) => e.finish(),
        }
    }

    /// As [`Engine::drain`].
    pub fn drain(&mut self) -> Vec<Record> {
        match self {
            AnyEngine::One(e) => e.drain(),
            AnyEngine::Sharded(e) => e.drain(),
        }
    }

    /// As [`Engine::drain_into`].
    pub fn drain_into(&mut self, sink: &mut dyn Sink) -> std::io::Result<()> {
        match self {
            AnyEngine::One(e) => e.drain_into(sink),
            AnyEngine::Sharded(e) => e.drain_into(sink),
        }
    }

    /// As [`Engine::stats`] (a sharded engine's are complete once finished).
    pub fn stats(&self) -> &Stats {
        match self {
            AnyEngine::One(e) => e.stats(),
            AnyEngine::Sharded(e) => e.stats(),
        }
    }

    /// As [`Engine::batch_latency`] (a sharded engine's are complete once finished).
    pub fn batch_latency(&self) -> &BatchLatency {
        match self {
            AnyEngine::One(e) => e.batch_latency(),
            AnyEngine::Sharded(e) => e.batch_latency(),
        }
    }

    /// Processes held for all hosts; 0 for a sharded engine (its threads own them).
    pub fn live_processes(&self) -> usize {
        match self {
            AnyEngine::One(e) => e.live_processes(),
            AnyEngine::Sharded(_) => 0,
        }
    }
}

impl From<Engine> for AnyEngine {
    fn from(engine: Engine) -> AnyEngine {
        AnyEngine::One(Box::new(engine))
    }
}

impl From<ShardedEngine> for AnyEngine {
    fn from(engine: ShardedEngine) -> AnyEngine {
        AnyEngine::Sharded(Box::new(engine))
    }
}
