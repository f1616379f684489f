//! Partition leases in a JetStream key-value bucket whose entries expire after `lease_ttl`
//! (the server's clock alone decides, so workers' clocks may disagree).
//!
//! Key `p.<n>` holds the id of the worker that owns partition n; `w.<id>` says a worker is alive.
//! A lease is taken with a create (fails when the key exists) and renewed with a compare-and-set
//! on its revision, so a worker that stalled past the TTL finds it lost instead of overwriting
//! the new owner's.

use std::collections::{BTreeMap, BTreeSet};

use async_nats::jetstream::kv;
use futures::TryStreamExt;

use crate::FleetError;

/// The leases one worker holds, and its presence.
pub struct Leases {
    store: kv::Store,
    worker: String,
    /// Partition → the revision of our lease entry.
    held: BTreeMap<u32, u64>,
}

/// What the bucket says now.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Census {
    /// Workers alive (ourselves included).
    pub workers: usize,
    /// Partitions leased by anyone.
    pub taken: BTreeSet<u32>,
}

/// Which leases to take and give up to move towards an even share.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Free partitions to try to claim.
    pub claim: Vec<u32>,
    /// Held partitions to hand back (after a checkpoint).
    pub release: Vec<u32>,
}

/// The even share: each of `workers` takes at most `ceil(partitions / workers)`; free ones are
/// tried from an offset that differs by worker so that two newcomers rarely race for the same.
pub fn plan(held: &BTreeSet<u32>, census: &Census, partitions: u32, offset: u32) -> Plan {
    let workers = census.workers.max(1) as u32;
    let share = partitions.div_ceil(workers) as usize;
    let mut plan = Plan::default();
    if held.len() > share {
        plan.release = held.iter().rev().take(held.len() - share).copied().collect();
        return plan;
    }
    let want = share - held.len();
    plan.claim = (0..partitions)
        .map(|i| (i + offset) % partitions.max(1))
        .filter(|p| !census.taken.contains(p) && !held.contains(p))
        .take(want)
        .collect();
    plan
}

impl Leases {
    /// A worker `worker` (an id made of `[A-Za-z0-9_-]`) on `store`.
    pub fn new(store: kv::Store, worker: String) -> Leases {
        Leases { store, worker, held: BTreeMap::new() }
    }

    /// The worker's id.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Partitions held now.
    pub fn held(&self) -> BTreeSet<u32> {
        self.held.keys().copied().collect()
    }

    /// Says this worker is alive (for another `lease_ttl`).
    pub async fn heartbeat(&self) -> Result<(), FleetError> {
        self.store
            .put(format!("w.{}", self.worker), self.worker.clone().into())
            .await
            .map_err(|e| FleetError::js("renewing the worker's presence", e))?;
        Ok(())
    }

    /// Who is alive and which partitions are leased.
    pub async fn census(&self) -> Result<Census, FleetError> {
        let keys: Vec<String> = self
            .store
            .keys()
            .await
            .map_err(|e| FleetError::js("listing leases", e))?
            .try_collect()
            .await
            .map_err(|e| FleetError::js("listing leases", e))?;
        let mut census = Census::default();
        for key in keys {
            if key.starts_with("w.") {
                census.workers += 1;
            } else if let Some(p) = key.strip_prefix("p.").and_then(|p| p.parse().ok()) {
                census.taken.insert(p);
            }
        }
        Ok(census)
    }

    /// Tries to take partition `p`; `false` when someone holds it.
    pub async fn claim(&mut self, p: u32) -> bool {
        match self.store.create(format!("p.{p}"), self.worker.clone().into()).await {
            Ok(revision) => {
                self.held.insert(p, revision);
                true
            }
            Err(_) => false,
        }
    }

    /// Renews every held lease; returns the partitions whose lease was lost (expired and taken,
    /// or the server unreachable long enough), which are no longer held.
    pub async fn renew(&mut self) -> Vec<u32> {
        let mut lost = Vec::new();
        for (&p, revision) in self.held.iter_mut() {
            match self.store.update(format!("p.{p}"), self.worker.clone().into(), *revision).await {
                Ok(r) => *revision = r,
                Err(e) => {
                    tracing::warn!("partition {p}: lease lost ({e})");
                    lost.push(p);
                }
            }
        }
        for p in &lost {
            self.held.remove(p);
        }
        lost
    }

    /// Hands partition `p` back (only if still ours).
    pub async fn release(&mut self, p: u32) {
        if let Some(revision) = self.held.remove(&p) {
            if let Err(e) = self.store.delete_expect_revision(format!("p.{p}"), Some(revision)).await {
                tracing::warn!("partition {p}: releasing the lease: {e}");
            }
        }
    }

    /// Hands every lease back and says this worker is gone.
    pub async fn release_all(&mut self) {
        for p in self.held() {
            self.release(p).await;
        }
        let _ = self.store.delete(format!("w.{}", self.worker)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census(workers: usize, taken: &[u32]) -> Census {
        Census { workers, taken: taken.iter().copied().collect() }
    }

    #[test]
    fn a_lone_worker_claims_every_free_partition() {
        let p = plan(&BTreeSet::new(), &census(1, &[2]), 4, 1);
        assert_eq!(p.claim, vec![1, 3, 0]);
        assert!(p.release.is_empty());
    }

    #[test]
    fn a_new_worker_makes_the_holder_release_down_to_its_share() {
        let held: BTreeSet<u32> = (0..8).collect();
        let p = plan(&held, &census(2, &[0, 1, 2, 3, 4, 5, 6, 7]), 8, 0);
        assert_eq!(p.release, vec![7, 6, 5, 4]);
        let p = plan(&BTreeSet::new(), &census(2, &[0, 1, 2, 3]), 8, 3);
        assert_eq!(p.claim, vec![4, 5, 6, 7]);
    }
}
