//! The newly-observed-domain store of an engine: its own, or one shared by the shards of a
//! [`crate::ShardedEngine`] (newly observed means new to the fleet, not to one shard).

use std::sync::{Arc, Mutex, PoisonError};

use crate::config::Config;
use crate::domain::FirstSeen;

pub(crate) fn new_store(config: &Config) -> FirstSeen {
    FirstSeen::new(config.engine.nod_warmup_ms(), config.engine.nod_capacity)
        .window(config.engine.nod_window_ms())
        // One span per host the engine can hold.
        .host_cap(config.engine.max_hosts)
}

pub(crate) enum NodStore {
    Own(FirstSeen),
    /// Locked for each lineage egress (to widen its host's span) and when a destination's
    /// verdict is not cached.
    Shared(Arc<Mutex<FirstSeen>>),
}

impl NodStore {
    pub fn with<R>(&mut self, f: impl FnOnce(&mut FirstSeen) -> R) -> R {
        match self {
            NodStore::Own(seen) => f(seen),
            // A panic elsewhere cannot leave the map half-updated in a way that matters.
            NodStore::Shared(shared) => f(&mut shared.lock().unwrap_or_else(PoisonError::into_inner)),
        }
    }
}
