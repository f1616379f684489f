//! An engine's state as a checkpoint holds it, and back (the format is in
//! `src/engine/checkpoint.rs`).

use std::sync::Arc;

use clickchain_adapters::EventKind;

use super::Engine;
use crate::checkpoint::CheckpointError;
use crate::engine::checkpoint::{self, Progress, StateIn, StateOut};
use crate::engine::reorder::Reorder;

impl Engine {
    /// The engine's state (see `checkpoint.rs`), with the newly-observed-domain store unless
    /// it is shared with other shards.
    pub(in crate::engine) fn state_bytes(&mut self, with_first_seen: bool) -> Result<Vec<u8>, CheckpointError> {
        let first_seen = match with_first_seen {
            true => Some(self.first_seen.with(|s| checkpoint::first_seen_out(s))?),
            false => None,
        };
        let state = StateOut {
            hosts: &self.hosts,
            dirty: &self.dirty,
            reorder: self.reorder.entries().into_iter().map(checkpoint::waiting).collect(),
            progress: Progress {
                seq: self.seq,
                max_seen: self.max_seen,
                watermark: self.watermark,
                bucket: self.bucket,
                last_sweep: self.last_sweep,
            },
            out: checkpoint::records_out(&self.out),
            stats: &self.stats,
            first_seen,
        };
        Ok(postcard::to_stdvec(&state)?)
    }

    /// Takes over a checkpointed state (into a new engine).
    pub(in crate::engine) fn apply_state(&mut self, state: StateIn) -> Result<(), CheckpointError> {
        let mut reorder = Reorder::default();
        for waiting in state.reorder {
            let (time, rank, seq, event) = waiting.into_event()?;
            // The late-DNS notes are those of the answers still waiting: noted again, as at push.
            if let EventKind::DnsAnswer { proc, query, answers } = &event.kind {
                self.late_dns.note(&event.host, query, answers, time, proc.as_ref(), &event.source);
            }
            reorder.push(time, rank, seq, event);
        }
        let out = checkpoint::records_in(state.out)?;
        if let Some(bytes) = &state.first_seen {
            self.first_seen.with(|s| checkpoint::first_seen_in(s, bytes))?;
        }
        if state.dirty.iter().any(|&id| id as usize >= state.hosts.len()) {
            return Err(CheckpointError::Decode("a host index out of range".into()));
        }
        self.host_ids = state.hosts.iter().enumerate().map(|(i, h)| (Arc::clone(&h.name), i as u32)).collect();
        self.hosts = state.hosts;
        self.dirty = state.dirty;
        self.reorder = reorder;
        let p = state.progress;
        (self.seq, self.max_seen, self.watermark, self.bucket, self.last_sweep) =
            (p.seq, p.max_seen, p.watermark, p.bucket, p.last_sweep);
        self.out = out;
        self.stats = state.stats;
        Ok(())
    }
}
