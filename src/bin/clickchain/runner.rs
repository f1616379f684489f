//! One engine on the reading thread, or host-partitioned shards on threads of their own.

use std::sync::Arc;

use clickchain::config::Config;
use clickchain::domain::Psl;
use clickchain::sink::Sink;
use clickchain::{Engine, EngineError, ShardedEngine, Stats};
use clickchain_adapters::Event;

pub enum Runner {
    One(Box<Engine>),
    Sharded(Box<ShardedEngine>),
}

impl Runner {
    /// `threads` 1: one engine; more: that many shards; 0: one shard per core.
    pub fn new(config: Config, psl: Option<Arc<Psl>>, threads: usize) -> Result<Runner, EngineError> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Ok(match (threads, psl) {
            (1, None) => Runner::One(Box::new(Engine::new(config)?)),
            (1, Some(psl)) => Runner::One(Box::new(Engine::with_psl(config, psl)?)),
            (n, None) => Runner::Sharded(Box::new(ShardedEngine::new(config, n)?)),
            (n, Some(psl)) => Runner::Sharded(Box::new(ShardedEngine::with_psl(config, n, psl)?)),
        })
    }

    pub fn push(&mut self, event: Event) {
        match self {
            Runner::One(e) => e.push(event),
            Runner::Sharded(e) => e.push(event),
        }
    }

    pub fn finish(&mut self) {
        match self {
            Runner::One(e) => e.finish(),
            Runner::Sharded(e) => e.finish(),
        }
    }

    pub fn drain_into(&mut self, sink: &mut dyn Sink) -> std::io::Result<()> {
        match self {
            Runner::One(e) => e.drain_into(sink),
            Runner::Sharded(e) => e.drain_into(sink),
        }
    }

    pub fn stats(&self) -> &Stats {
        match self {
            Runner::One(e) => e.stats(),
            Runner::Sharded(e) => e.stats(),
        }
    }
}
