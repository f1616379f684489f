//! Summaries carried per link root: the observed clicks and untrusted egress of its lineage.
//! Each entry pins its process for as long as it is kept.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::proctable::{ProcTable, Slot};
use super::{ClickEntry, EgressEntry};

/// Carried summaries of one link root, oldest first.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct RootState {
    clicks: VecDeque<ClickEntry>,
    egress: VecDeque<EgressEntry>,
}

impl RootState {
    pub fn clicks(&self) -> &VecDeque<ClickEntry> {
        &self.clicks
    }

    pub fn egress(&self) -> &VecDeque<EgressEntry> {
        &self.egress
    }
}

/// Why an entry was not carried.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotCarried {
    /// The root's or the host's cap was reached.
    Full,
    /// The same process reached the same destination a moment before (one burst).
    Coalesced,
}

/// Two connects of one process to one destination closer than this are one egress.
const EGRESS_COALESCE_MS: i64 = 1_000;

/// The carried summaries of every link root of a host.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Roots {
    by_root: FxHashMap<Slot, RootState>,
    /// Egress entries over all roots (capped per host).
    egress_len: usize,
}

impl Roots {
    pub fn get(&self, root: Slot) -> Option<&RootState> {
        self.by_root.get(&root)
    }

    /// Link roots with carried summaries, in slot order.
    #[cfg(feature = "naive")]
    pub fn sorted_roots(&self) -> Vec<Slot> {
        let mut roots: Vec<Slot> = self.by_root.keys().copied().collect();
        roots.sort_unstable();
        roots
    }

    /// The `j`-th egress carried for `root` (an index handed out while evaluating).
    pub fn egress_at(&self, root: Slot, j: usize) -> &EgressEntry {
        &self.by_root[&root].egress[j]
    }

    /// The `j`-th click carried for `root`.
    pub fn click_at(&self, root: Slot, j: usize) -> &ClickEntry {
        &self.by_root[&root].clicks[j]
    }

    /// Whether `slot` already clicked `url` (filed under `root`).
    pub fn has_click(&self, root: Slot, slot: Slot, url: &str) -> bool {
        self.get(root).is_some_and(|r| r.clicks.iter().any(|c| c.proc == slot && &*c.url == url))
    }

    /// The latest click of `root` at or before `t`.
    pub fn latest_click(&self, root: Slot, t: i64) -> Option<&ClickEntry> {
        self.get(root)?.clicks.iter().rev().find(|c| c.time <= t)
    }

    /// Carries a click of `root` (at most `cap` per root), pinning its process.
    pub fn add_click(
        &mut self,
        procs: &mut ProcTable,
        root: Slot,
        click: ClickEntry,
        cap: usize,
    ) -> Result<(), NotCarried> {
        let clicks = &mut self.by_root.entry(root).or_default().clicks;
        if clicks.len() >= cap {
            return Err(NotCarried::Full);
        }
        procs.pin(click.proc);
        clicks.push_back(click);
        Ok(())
    }

    /// Carries an untrusted egress of `root` (at most `cap` per host), pinning its process; the
    /// first of a burst of sockets to one destination stands for the burst. At the cap the
    /// host's oldest egress makes room (whether one did is returned): a flood of egress must
    /// not keep a later, real one out (regression: flood_bound's
    /// unique_domains_are_capped_by_the_egress_cap, whose canary was lost).
    pub fn add_egress(
        &mut self,
        procs: &mut ProcTable,
        root: Slot,
        egress: EgressEntry,
        cap: usize,
    ) -> Result<bool, NotCarried> {
        let state = self.by_root.entry(root).or_default();
        let burst = state.egress.iter().rev().take(8).any(|e| {
            e.proc == egress.proc && e.dest.key == egress.dest.key && egress.time - e.time < EGRESS_COALESCE_MS
        });
        if burst {
            return Err(NotCarried::Coalesced);
        }
        let evicted = self.egress_len >= cap;
        if evicted && !self.evict_oldest_egress(procs) {
            return Err(NotCarried::Full);
        }
        procs.pin(egress.proc);
        // In time order (an answer standing for an unlogged connection comes with the download).
        let state = self.by_root.entry(root).or_default();
        let at = state.egress.partition_point(|e| e.time <= egress.time);
        state.egress.insert(at, egress);
        self.egress_len += 1;
        Ok(evicted)
    }

    /// Drops the host's oldest egress (a scan of the roots: a host has few), releasing its
    /// process; false when there is none.
    fn evict_oldest_egress(&mut self, procs: &mut ProcTable) -> bool {
        let oldest = self.by_root.iter().filter_map(|(&r, s)| Some((s.egress.front()?.time, r))).min();
        let Some(e) = oldest.and_then(|(_, r)| self.by_root.get_mut(&r)?.egress.pop_front()) else {
            return false;
        };
        procs.unpin(e.proc);
        self.egress_len -= 1;
        true
    }

    /// Drops `root`'s address-only egress within `since..=until`, releasing their processes;
    /// how many.
    pub fn drop_nameless(&mut self, procs: &mut ProcTable, root: Slot, since: i64, until: i64) -> u64 {
        let Some(state) = self.by_root.get_mut(&root) else { return 0 };
        let before = state.egress.len();
        state.egress.retain(|e| {
            let nameless = e.dest.domain.is_none() && e.time >= since && e.time <= until;
            if nameless {
                procs.unpin(e.proc);
            }
            !nameless
        });
        let dropped = before - state.egress.len();
        self.egress_len -= dropped;
        dropped as u64
    }

    /// Drops entries older than `horizon`, releasing their processes.
    pub fn expire(&mut self, procs: &mut ProcTable, horizon: i64) {
        let mut removed = 0;
        self.by_root.retain(|_, r| {
            while r.egress.front().is_some_and(|e| e.time < horizon) {
                let e = r.egress.pop_front().expect("front exists");
                procs.unpin(e.proc);
                removed += 1;
            }
            while r.clicks.front().is_some_and(|c| c.time < horizon) {
                let c = r.clicks.pop_front().expect("front exists");
                procs.unpin(c.proc);
            }
            !(r.egress.is_empty() && r.clicks.is_empty())
        });
        self.egress_len -= removed;
    }
}
