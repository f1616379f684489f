//! One host's micro-batch: carried state -> crepe facts -> matches -> alerts and follow-ons.
//!
//! Anchored on deltas (`docs/design.md`, "Streaming"): only the writes that became ready in this
//! batch are evaluated, with their link roots and the summaries carried for those roots.
//! Identifiers handed to crepe are local to the evaluation.

use super::chain::evaluate_chains;
use super::follow_on::evaluate_follow_ons;
use super::local::Emitted;
use crate::host::{Host, PendingWrite};
use crate::profile::Profile;

/// One streaming evaluation of `host` at a batch ending at `until`: the writes that became ready
/// are evaluated with the lineage and carried summaries they reach, then follow-ons.
pub(crate) fn evaluate_host(host: &mut Host, profile: &Profile, until: i64, at_end: bool, emit: &mut Emitted<'_>) {
    let ready = take_ready(host, until, at_end);
    emit.stats.classified.quarantine_unknown += host.anchors.take_quarantine_unknown();
    if !ready.is_empty() {
        evaluate_chains(host, profile, &ready, emit);
    }
    after_chains(host, profile, ready, emit);
}

/// The pending writes ready at `until` (all of them at the end of input), taken from `host`.
pub(super) fn take_ready(host: &mut Host, until: i64, at_end: bool) -> Vec<PendingWrite> {
    host.anchors.take_ready(until, at_end)
}

/// What follows the chain rules in every mode: evaluated writes leave (or are watched for a
/// later exec), then follow-on activity of alerted files is matched.
pub(super) fn after_chains(host: &mut Host, profile: &Profile, ready: Vec<PendingWrite>, emit: &mut Emitted<'_>) {
    if !ready.is_empty() {
        host.anchors.settle(&mut host.procs, ready, profile.quarantine_enabled, emit.max_alerted);
        host.rebuild_interest();
    }
    if host.follow.has_work() {
        evaluate_follow_ons(host, emit);
    }
    // Candidates stay while a write that may still alert (waiting out its quarantine grace)
    // is older than them: its alert can claim them later (regression:
    // follow_on_kept_during_quarantine_grace).
    let first = host.anchors.first_pending().unwrap_or(i64::MAX);
    host.follow.release_candidates_before(&mut host.procs, first);
}
