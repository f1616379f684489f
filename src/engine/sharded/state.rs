//! A sharded engine's state as a checkpoint holds it, and back: the router's, and each
//! shard's as its thread writes it.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use super::{flush, send, Msg, ShardedEngine};
use crate::checkpoint::CheckpointError;
use crate::config::Config;
use crate::engine::checkpoint::{self, RouterState};
use crate::engine::streaming::{Engine, PslHandle};
use crate::lower::nod;

impl ShardedEngine {
    /// A sharded engine from a checkpointed router state, with as many shards as it had.
    pub(in crate::engine) fn from_state(
        config: Config,
        psl: PslHandle,
        state: RouterState,
    ) -> Result<ShardedEngine, CheckpointError> {
        let count = state.shards.len();
        if count == 0 || state.route.iter().any(|(_, shard)| *shard as usize >= count) {
            return Err(CheckpointError::Decode("a shard index out of range".into()));
        }
        let mut store = nod::new_store(&config);
        checkpoint::first_seen_in(&mut store, &state.first_seen)?;
        let nod = Arc::new(Mutex::new(store));
        let mut built = Vec::new();
        for shard in &state.shards {
            let mut engine = Engine::build(config.clone(), psl.clone(), Some(Arc::clone(&nod)))?;
            engine.apply_state(postcard::from_bytes(shard)?)?;
            built.push(engine);
        }
        let mut engine = ShardedEngine::start(&config, built, nod)?;
        engine.route = state.route.into_iter().map(|(host, shard)| (host.into_boxed_str(), shard as usize)).collect();
        (engine.max_seen, engine.watermark, engine.stats) = (state.max_seen, state.watermark, state.stats);
        engine.out = checkpoint::records_in(state.out)?;
        Ok(engine)
    }

    /// The router's state, and every shard's once it took the events routed to it so far.
    pub(in crate::engine) fn router_state(&mut self) -> Result<RouterState, CheckpointError> {
        let mut answers = Vec::new();
        for s in &mut self.shards {
            flush(s, self.watermark);
            let (reply, answer) = mpsc::channel();
            send(s, Msg::Checkpoint(reply));
            answers.push(answer);
        }
        let shards = answers
            .into_iter()
            .map(|a| a.recv().map_err(|_| CheckpointError::ShardStopped)?)
            .collect::<Result<Vec<_>, _>>()?;
        let first_seen = checkpoint::first_seen_out(&self.nod.lock().unwrap_or_else(PoisonError::into_inner))?;
        // Records the shards sent before their state are not in it: they are the router's.
        self.collect();
        Ok(RouterState {
            route: self.route.iter().map(|(h, &i)| (h.to_string(), i as u32)).collect(),
            max_seen: self.max_seen,
            watermark: self.watermark,
            stats: self.stats.clone(),
            first_seen,
            shards,
            out: checkpoint::records_out(&self.out),
        })
    }
}
