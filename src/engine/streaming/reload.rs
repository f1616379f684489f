//! Swapping an engine's configuration while it runs.

use super::{Engine, DEST_CACHE};
use crate::config::Config;
use crate::engine::checkpoint;
use crate::lower::DestCache;
use crate::profile::{EngineError, Limits};

impl Engine {
    /// Swaps in `config` without losing state: processes, carried summaries, pending writes,
    /// buffered events, newly-observed domains and dedup keys stay. An invalid `config` is
    /// refused and the engine keeps its own. What a change means mid-window is in
    /// `docs/config.md` ("Reloading"): new windows, allowlists and caps apply from the next
    /// event or sweep; the newly-observed-domain store keeps its settings.
    pub fn reload(&mut self, config: Config) -> Result<(), EngineError> {
        let profiles = crate::profile::compiled(&config)?;
        let e = &config.engine;
        self.config_text = checkpoint::canonical(&config);
        self.profiles = profiles;
        self.limits = Limits::new(&config);
        self.lateness = e.allowed_lateness_ms();
        let batch = e.batch_ms().max(1);
        if batch != self.batch {
            // The new current batch ends no earlier than the old one: no batch closes before
            // an event already processed.
            if let Some(cur) = self.bucket {
                let end = cur.saturating_add(1).saturating_mul(self.batch).saturating_sub(1);
                self.bucket = Some(end.div_euclid(batch));
            }
            self.batch = batch;
        }
        let skew = e.max_future_skew_ms();
        self.not_after = self.not_after.saturating_sub(self.max_future_skew).saturating_add(skew);
        self.max_future_skew = skew;
        self.default_os = e.default_os;
        self.late_dns.set_grace(e.dns_grace_ms());
        // Classifications depend on the profiles: cached ones are recomputed.
        self.dests = [DestCache::new(DEST_CACHE), DestCache::new(DEST_CACHE), DestCache::new(DEST_CACHE)];
        for host in &mut self.hosts {
            host.dir_flags = Default::default();
        }
        Ok(())
    }
}
