//! Download-like writes waiting for evaluation (the anchors of the chain rules), and what they
//! draw on: partial downloads waiting for their final name, quarantine flags seen on files,
//! and quarantine-folder writes watched for a later exec. A pending or watched write pins its
//! process for as long as it is kept, and so do the facts held on it (below).

use std::sync::Arc;

use clickchain_adapters::SourceRef;
use rustc_hash::FxHashMap;

use super::proctable::{ProcTable, Slot};
use super::{Partial, PendingWrite};

/// Most partial downloads remembered per host.
const MAX_PARTIALS: usize = 10_000;

/// Most facts held per pending write (`held_fact_cap` counts the rest).
pub(crate) const MAX_HELD_PER_WRITE: usize = 16;

/// What a pending write carries for rules that read its origin's referrer or what follows it
/// (`docs/rules.md`, "Hold"); empty unless an enabled rule names those facts.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Held {
    /// Registrable domain (or IP) of the origin's referrer URL.
    pub referrer_key: Option<Arc<str>>,
    /// What followed the write while it waited: at most [`MAX_HELD_PER_WRITE`], each
    /// process pinned until the write is settled.
    pub facts: Vec<HeldFact>,
}

/// Something that happened to a pending write's file after the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct HeldFact {
    pub kind: HeldKind,
    pub time: i64,
    /// The process (slot and serial: a settled write's copy may outlive the pin), if any.
    pub proc: Option<(Slot, u64)>,
}

/// What [`HeldFact`] says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum HeldKind {
    /// A process started whose image is the file (or inside it, an app bundle).
    Executed,
    /// A process started whose command line names the file.
    Opened,
    /// Its Mark-of-the-Web (`quarantine` false) or quarantine flag was removed.
    Removed { quarantine: bool },
    /// A process started from inside what the file (an archive or disk image) unpacked or mounted.
    ContainerExec(clickchain_logic::ContainerKind),
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Anchors {
    pending: Vec<PendingWrite>,
    partials: FxHashMap<String, Partial>,
    /// Normalised path -> when `com.apple.quarantine` was set.
    quarantined: FxHashMap<String, i64>,
    /// Writes into a quarantine folder that were not executables by name or mode, kept (with
    /// their process pinned) until the window closes: if one is executed, it is re-evaluated as
    /// a QuarantinePolicy candidate ("executable by a later exec").
    exec_watch: FxHashMap<String, PendingWrite>,
    /// The host's inputs can report the quarantine flag: one was set or removed, or a write
    /// said whether its file carries one. Only then is a missing flag a finding
    /// (`docs/design.md` "Detection semantics", QuarantinePolicy).
    reports_quarantine: bool,
    /// QuarantinePolicy candidates given up since last taken, because the host cannot report
    /// the flag (see [`Self::take_quarantine_unknown`]).
    quarantine_unknown: u64,
}

impl Anchors {
    pub fn pending(&self) -> &[PendingWrite] {
        &self.pending
    }

    /// Whether a write is ready for evaluation at a batch ending at `until` (or at the end).
    pub fn any_ready(&self, until: i64, at_end: bool) -> bool {
        self.pending.iter().any(|p| at_end || p.ready <= until)
    }

    /// Time of the oldest pending write.
    pub fn first_pending(&self) -> Option<i64> {
        self.pending.iter().map(|p| p.time).min()
    }

    /// Adds a write to evaluate (at most `cap` pending), pinning its process.
    pub fn push(&mut self, procs: &mut ProcTable, w: PendingWrite, cap: usize) -> bool {
        let proc = w.proc;
        procs.keep_pinned(&mut self.pending, w, proc, cap)
    }

    /// Takes the writes ready at `until` (all at the end of input). They stay pinned until
    /// handed back to [`Self::settle`].
    /// QuarantinePolicy candidates of a host that cannot report the flag are no candidates
    /// (counted, see [`Self::take_quarantine_unknown`]).
    pub fn take_ready(&mut self, until: i64, at_end: bool) -> Vec<PendingWrite> {
        let (mut ready, waiting): (Vec<PendingWrite>, Vec<PendingWrite>) =
            std::mem::take(&mut self.pending).into_iter().partition(|p| at_end || p.ready <= until);
        self.pending = waiting;
        if !self.reports_quarantine {
            for w in ready.iter_mut().filter(|w| w.quarantine_candidate) {
                w.quarantine_candidate = false;
                self.quarantine_unknown += 1;
            }
        }
        ready
    }

    /// How many QuarantinePolicy candidates were given up since the last call, because their
    /// host's inputs cannot report the quarantine flag (`classified.quarantine_unknown`).
    pub fn take_quarantine_unknown(&mut self) -> u64 {
        std::mem::take(&mut self.quarantine_unknown)
    }

    /// The host's inputs report the quarantine flag (see [`Anchors`]).
    pub fn quarantine_visible(&mut self) {
        self.reports_quarantine = true;
    }

    /// Holds `fact` on the `index`-th pending write (pinning its process); whether it was kept
    /// (at most [`MAX_HELD_PER_WRITE`] per write).
    pub fn hold_fact(&mut self, procs: &mut ProcTable, index: usize, fact: HeldFact) -> bool {
        let Some(w) = self.pending.get_mut(index) else { return false };
        if w.held.facts.len() >= MAX_HELD_PER_WRITE {
            return false;
        }
        if let Some((slot, _)) = fact.proc {
            procs.pin(slot);
        }
        w.held.facts.push(fact);
        true
    }

    /// A protection flag was removed from `norm` at `t`: held on its pending writes written at
    /// or before `t` and at most `hold` earlier; how many facts were turned away by the cap.
    pub fn protection_removed(&mut self, norm: &str, t: i64, quarantine: bool, hold: i64) -> u64 {
        let mut refused = 0;
        let fact = HeldFact { kind: HeldKind::Removed { quarantine }, time: t, proc: None };
        for w in self.pending.iter_mut().filter(|w| w.norm == norm && w.time <= t && t - w.time <= hold) {
            if w.held.facts.len() < MAX_HELD_PER_WRITE {
                w.held.facts.push(fact);
            } else {
                refused += 1;
            }
        }
        refused
    }

    /// Evaluated writes leave, releasing their processes; a quarantine-folder write that was no
    /// QuarantinePolicy candidate and has no flag is watched instead (at most `cap`), in case
    /// it is executed later.
    pub fn settle(&mut self, procs: &mut ProcTable, ready: Vec<PendingWrite>, quarantine_enabled: bool, cap: usize) {
        for mut w in ready {
            // What followed the write was evaluated: its processes go (a re-evaluation after a
            // watched exec is for the quarantine finding only).
            for (slot, _) in std::mem::take(&mut w.held.facts).into_iter().filter_map(|f| f.proc) {
                procs.unpin(slot);
            }
            let watch = quarantine_enabled
                && w.quarantine_path
                && !w.quarantine_candidate
                && !self.quarantined.contains_key(&w.norm)
                && self.exec_watch.len() < cap;
            if watch {
                // Keeps its pin: the process stays while the file is watched.
                if let Some(old) = self.exec_watch.insert(w.norm.clone(), w) {
                    procs.unpin(old.proc);
                }
            } else {
                procs.unpin(w.proc);
            }
        }
    }

    /// At the end of input: a write still inside its quarantine `grace` at `last` (the latest
    /// event) is not reported as `quarantine_missing`, its flag may not be logged yet. (Its
    /// readiness may be later still, for a rule's hold: that says nothing about the flag.)
    pub fn end_of_input(&mut self, last: i64, grace: i64) {
        for p in self.pending.iter_mut().filter(|p| p.time + grace > last) {
            p.quarantine_candidate = false;
        }
    }

    pub fn watching(&self) -> bool {
        !self.exec_watch.is_empty()
    }

    /// Whether a write of `norm` is watched for a later exec.
    pub fn is_watched(&self, norm: &str) -> bool {
        self.exec_watch.contains_key(norm)
    }

    /// A watched download runs: it goes back for evaluation as a QuarantinePolicy candidate,
    /// ready after its grace. Its pin passes to the pending write. Returns its path.
    pub fn executed(&mut self, norm: &str, t: i64, grace: i64, source: SourceRef) -> Option<&str> {
        let mut w = self.exec_watch.remove(norm)?;
        w.quarantine_candidate = true;
        w.ready = t.max(w.time + grace);
        w.evidence.push(source);
        self.pending.push(w);
        self.pending.last().map(|w| w.norm.as_str())
    }

    /// A file was made executable (mode bits): its pending writes in a quarantine folder become
    /// QuarantinePolicy candidates.
    pub fn made_executable(&mut self, norm: &str, grace: i64) {
        for w in self.pending.iter_mut().filter(|w| w.norm == norm && w.quarantine_path) {
            w.quarantine_candidate = true;
            // Not earlier than a rule's hold asked for.
            w.ready = w.ready.max(w.time + grace);
        }
    }

    /// Remembers a partial download; how many were forgotten to make room (the store starts
    /// over when full).
    pub fn add_partial(&mut self, norm: String, partial: Partial) -> usize {
        let forgotten = if self.partials.len() >= MAX_PARTIALS { self.partials.len() } else { 0 };
        if forgotten > 0 {
            self.partials.clear();
        }
        self.partials.insert(norm, partial);
        forgotten
    }

    /// The partial download a rename finishes, if remembered.
    pub fn partial(&self, norm: &str) -> Option<&Partial> {
        self.partials.get(norm)
    }

    /// A rename of `from` to `to` finishes a download: the partial leaves, and a quarantine
    /// flag set on it travels with the file.
    pub fn renamed(&mut self, from: &str, to: &str) {
        self.partials.remove(from);
        if let Some(q) = self.quarantined.remove(from) {
            self.quarantined.insert(to.to_owned(), q);
        }
    }

    /// When the quarantine flag was set on `norm`.
    pub fn quarantined(&self, norm: &str) -> Option<i64> {
        self.quarantined.get(norm).copied()
    }

    /// Records a quarantine flag (at most `cap` files); whether it was kept.
    pub fn set_quarantined(&mut self, norm: String, t: i64, cap: usize) -> bool {
        self.reports_quarantine = true;
        if self.quarantined.len() >= cap {
            return false;
        }
        self.quarantined.insert(norm, t);
        true
    }

    /// Drops what is older than `horizon`, releasing watched writes' processes.
    pub fn expire(&mut self, procs: &mut ProcTable, horizon: i64) {
        self.exec_watch.retain(|_, w| {
            let keep = w.time >= horizon;
            if !keep {
                procs.unpin(w.proc);
            }
            keep
        });
        self.partials.retain(|_, p| p.time >= horizon);
        self.quarantined.retain(|_, t| *t >= horizon);
    }
}
