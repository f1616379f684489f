//! One host's micro-batch: carried state -> crepe facts -> matches -> alerts and follow-ons.
//!
//! Anchored on deltas (`docs/design.md`, "Streaming"): only the writes that became ready in this
//! batch are evaluated, with the lineage walked up from them and the summaries carried for their
//! link roots. Identifiers handed to crepe are local to the evaluation.

use super::chain::evaluate_chains;
use super::follow_on::evaluate_follow_ons;
use super::local::Emitted;
use crate::host::proctable::Slot;
use crate::host::{Host, PendingWrite};
use crate::profile::Profile;

/// One streaming evaluation of `host` at a batch ending at `until`: the writes that became ready
/// are evaluated with the lineage and carried summaries they reach, then follow-ons.
pub(crate) fn evaluate_host(host: &mut Host, profile: &Profile, until: i64, at_end: bool, emit: &mut Emitted<'_>) {
    let ready = take_ready(host, until, at_end);
    if !ready.is_empty() {
        evaluate_chains(host, profile, &ready, emit);
    }
    after_chains(host, profile, ready, emit);
}

/// The pending writes ready at `until` (all of them at the end of input), taken from `host`.
pub(super) fn take_ready(host: &mut Host, until: i64, at_end: bool) -> Vec<PendingWrite> {
    let (ready, waiting): (Vec<PendingWrite>, Vec<PendingWrite>) =
        std::mem::take(&mut host.pending).into_iter().partition(|p| at_end || p.ready <= until);
    host.pending = waiting;
    ready
}

/// What follows the chain rules in every mode: evaluated writes leave (or are watched for a
/// later exec), then follow-on activity of alerted files is matched.
pub(super) fn after_chains(host: &mut Host, profile: &Profile, ready: Vec<PendingWrite>, emit: &mut Emitted<'_>) {
    if !ready.is_empty() {
        for w in ready {
            let watch = profile.quarantine_enabled
                && w.quarantine_path
                && !w.quarantine_candidate
                && !host.quarantined.contains_key(&w.norm)
                && host.exec_watch.len() < emit.max_alerted;
            if watch {
                // Keeps its pin: the process stays while the file is watched.
                if let Some(old) = host.exec_watch.insert(w.norm.clone(), w) {
                    host.procs.unpin(old.proc);
                }
            } else {
                host.procs.unpin(w.proc);
            }
        }
        host.rebuild_interest();
    }
    if !host.alerted.is_empty() && (!host.execs.is_empty() || !host.removals.is_empty()) {
        evaluate_follow_ons(host, emit);
    }
    // Candidates stay while a write that may still alert (waiting out its quarantine grace)
    // is older than them: its alert can claim them later (regression:
    // follow_on_kept_during_quarantine_grace).
    let first = host.pending.iter().map(|p| p.time).min().unwrap_or(i64::MAX);
    let procs = &mut host.procs;
    let mut keep = |time: i64, proc: Slot| {
        let keep = time >= first;
        if !keep {
            procs.unpin(proc);
        }
        keep
    };
    host.execs.retain(|e| keep(e.time, e.proc));
    host.removals.retain(|r| keep(r.time, r.proc));
}
