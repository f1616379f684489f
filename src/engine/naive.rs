//! Naive evaluation (feature `naive`): a benchmark peer and a test oracle, never used by `scan`
//! or live.
//!
//! The streaming engine anchors each evaluation on the writes that became ready in the batch and
//! seeds the rules with only their processes, their link roots and the summaries carried for
//! those roots (`docs/design.md`, "Streaming"). This mode is the design rejected there: every
//! batch, every host that had events gets the same crepe chain program run over *all* facts of its last window
//! of event time, and the result is deduplicated against what earlier batches derived:
//!
//! - every process held in the host's table (each with an edge to its link root, and images),
//!   not only the processes of the new writes;
//! - every untrusted egress and observed click the host holds (those of all link roots, not
//!   only the roots of the new writes);
//! - every download-like write evaluated within the last `time_window` (kept here, with its
//!   process pinned), plus the writes that became ready in this batch.
//!
//! Lowering (classification at ingest, the process table, the lists of untrusted egress and
//! clicks that expire with the window), stage 2 (follow-ons) and the reduction to alerts are
//! shared with the streaming engine, so the alerts are the same.
//!
//! Dedup: a write's matches depend only on facts at or before its time (click <= egress <=
//! write; a quarantine flag within the grace, which has passed when the write becomes ready),
//! and events are lowered in time order, so everything a write can match is known in the batch
//! where it becomes ready. Matches of writes from earlier batches are therefore re-derivations
//! of results already reported (or suppressed) then, and are dropped; the matches of the new
//! writes go through the same reduction as in the streaming engine. The property test
//! `naive_evaluation_equals_streaming` (tests/properties.rs) checks the equality.
//!
//! One difference is possible by construction: egress and clicks are filed under the link root
//! a process had when they happened; if a link-source ancestor's start is seen only later (a
//! placeholder filled in), the streaming engine does not seed later writes of the new root with
//! them, while this mode, feeding every root's and deriving roots from the current table, can.

use clickchain_logic::{ChainFacts, Id};

use super::chain::{choose_and_emit, run_chain, write_facts};
use super::evaluate::{after_chains, take_ready};
use super::local::{Emitted, Local};
use crate::host::{Host, PendingWrite};
use crate::profile::Profile;

/// The writes of each host's window (by host index), kept for naive evaluation.
#[derive(Default)]
pub(super) struct NaiveWindows(Vec<Vec<PendingWrite>>);

impl NaiveWindows {
    /// One naive evaluation of host `id` at a batch ending at `until`, then the follow-ons as
    /// in the streaming engine.
    pub(super) fn evaluate_host(
        &mut self,
        id: u32,
        host: &mut Host,
        profile: &Profile,
        until: i64,
        at_end: bool,
        emit: &mut Emitted<'_>,
    ) {
        let id = id as usize;
        if self.0.len() <= id {
            self.0.resize_with(id + 1, Vec::new);
        }
        let ready = take_ready(host, until, at_end);
        emit.stats.classified.quarantine_unknown += host.anchors.take_quarantine_unknown();
        evaluate_window(host, &mut self.0[id], profile, &ready, until, emit);
        after_chains(host, profile, ready, emit);
    }
}

/// One naive evaluation of `host` at a batch ending at `until`; `ready` are the writes that
/// became ready in this batch (possibly none); `window` every write evaluated within the last
/// `time_window` (their processes pinned).
fn evaluate_window(
    host: &mut Host,
    window: &mut Vec<PendingWrite>,
    profile: &Profile,
    ready: &[PendingWrite],
    until: i64,
    emit: &mut Emitted<'_>,
) {
    // Writes older than the window leave, and release their processes. The window is also
    // bounded by the engine's per-host cap (dropping a past write changes no alert: its matches
    // would be dropped as already derived).
    let from = until.saturating_sub(profile.params.window);
    let excess = (window.len() + ready.len()).saturating_sub(emit.max_alerted);
    let mut n = 0;
    let procs = &mut host.procs;
    window.retain(|w| {
        n += 1;
        let keep = w.time >= from && n > excess;
        if !keep {
            procs.unpin(w.proc);
        }
        keep
    });

    let mut local = Local { full_lineage: profile.wants("ancestor"), ..Local::default() };
    let mut facts = ChainFacts { params: profile.params, ..ChainFacts::default() };
    // New writes first: their ids index `ready`, as the reduction expects.
    for (i, w) in ready.iter().chain(window.iter()).enumerate() {
        write_facts(host, profile, &mut local, &mut facts, i as Id, w);
    }
    // The whole process table.
    for slot in host.procs.live_slots() {
        local.rooted(host, slot);
    }
    // Every link root's egress and clicks (in root order, each root's in time order).
    let roots = host.roots.sorted_roots();
    let (mut results, refs) = run_chain(host, profile, &mut local, facts, &roots, emit);

    // Dedup against earlier batches: only the new writes' matches are new.
    let new = ready.len() as Id;
    for (rule, result) in &mut results {
        result.matches.retain(|m| m.write < new);
        result.quarantine_missing.retain(|&(w, _)| w < new);
        if !ready.is_empty() {
            choose_and_emit(host, profile, ready, rule, result, &local.slots, &refs, emit);
        }
    }
    for w in ready {
        host.procs.pin(w.proc);
        window.push(w.clone());
    }
}
