//! What follow-on matching watches: alerted files until their window closes, the process starts
//! and protection removals that may be their follow-on activity, and an index of the file names
//! of interest. Each kept entry pins its processes.

use rustc_hash::FxHashMap;

use super::proctable::{ProcTable, Slot};
use super::{AlertedFile, ExecCandidate, RemovalCandidate};

#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct FollowOnWatch {
    alerted: Vec<AlertedFile>,
    execs: Vec<ExecCandidate>,
    removals: Vec<RemovalCandidate>,
    /// Basenames of pending and alerted files -> their normalised paths.
    interest: FxHashMap<String, Vec<String>>,
}

impl FollowOnWatch {
    pub fn alerted(&self) -> &[AlertedFile] {
        &self.alerted
    }

    pub fn execs(&self) -> &[ExecCandidate] {
        &self.execs
    }

    pub fn removals(&self) -> &[RemovalCandidate] {
        &self.removals
    }

    /// Whether candidates wait for an alerted file: follow-on matching has work.
    pub fn has_work(&self) -> bool {
        !self.alerted.is_empty() && (!self.execs.is_empty() || !self.removals.is_empty())
    }

    /// Keeps an alerted file (at most `cap`), pinning its link root; whether it was kept.
    pub fn add_alerted(&mut self, procs: &mut ProcTable, file: AlertedFile, cap: usize) -> bool {
        let proc = file.root;
        procs.keep_pinned(&mut self.alerted, file, proc, cap)
    }

    /// Notes a follow-on of the `alert`-th alerted file reported for process `slot` (with its
    /// serial); an execution of the file makes `slot` part of its payload (pinned).
    pub fn reported(&mut self, procs: &mut ProcTable, alert: usize, kind: u8, slot: Slot, payload: bool) {
        let a = &mut self.alerted[alert];
        a.reported.insert((kind, procs.get(slot).serial));
        if payload {
            a.payload.push(slot);
            procs.pin(slot);
        }
    }

    /// Whether any file of interest exists (a process start may be follow-on activity).
    pub fn interested(&self) -> bool {
        !self.interest.is_empty()
    }

    /// Normalised paths of files of interest named `base`.
    pub fn named(&self, base: &str) -> Option<&Vec<String>> {
        self.interest.get(base)
    }

    /// Whether `norm` is a file of interest.
    pub fn wants(&self, norm: &str) -> bool {
        self.interest.get(crate::paths::basename(norm)).is_some_and(|v| v.iter().any(|p| p == norm))
    }

    pub fn add_interest(&mut self, norm: &str) {
        let base = crate::paths::basename(norm).to_owned();
        let v = self.interest.entry(base).or_default();
        if !v.iter().any(|p| p == norm) {
            v.push(norm.to_owned());
        }
    }

    /// Rebuilds the interest index from `pending` paths and the alerted files.
    pub fn rebuild_interest<'a>(&mut self, pending: impl Iterator<Item = &'a str>) {
        let mut paths: Vec<String> = pending.map(str::to_owned).collect();
        paths.extend(self.alerted.iter().map(|a| a.norm.clone()));
        self.interest.clear();
        for p in paths {
            self.add_interest(&p);
        }
    }

    /// Keeps a process start that may be follow-on activity (at most `cap`), pinning it.
    pub fn add_exec(&mut self, procs: &mut ProcTable, exec: ExecCandidate, cap: usize) -> bool {
        let proc = exec.proc;
        procs.keep_pinned(&mut self.execs, exec, proc, cap)
    }

    /// Keeps a protection removal on a file of interest (at most `cap`), pinning its process.
    pub fn add_removal(&mut self, procs: &mut ProcTable, removal: RemovalCandidate, cap: usize) -> bool {
        let proc = removal.proc;
        procs.keep_pinned(&mut self.removals, removal, proc, cap)
    }

    /// Candidates older than `first` leave (releasing their processes): no write that may
    /// still alert is older than them.
    pub fn release_candidates_before(&mut self, procs: &mut ProcTable, first: i64) {
        let mut keep = |time: i64, proc: Slot| {
            let keep = time >= first;
            if !keep {
                procs.unpin(proc);
            }
            keep
        };
        self.execs.retain(|e| keep(e.time, e.proc));
        self.removals.retain(|r| keep(r.time, r.proc));
    }

    /// Alerted files whose window closed before `now` leave, releasing their processes;
    /// whether any left (the interest index is then stale).
    pub fn expire(&mut self, procs: &mut ProcTable, now: i64) -> bool {
        let before = self.alerted.len();
        self.alerted.retain(|a| {
            let keep = a.deadline >= now;
            if !keep {
                procs.unpin(a.root);
                for &p in &a.payload {
                    procs.unpin(p);
                }
            }
            keep
        });
        self.alerted.len() != before
    }
}
