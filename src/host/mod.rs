//! Per-host state carried between evaluations: compact summaries, never the raw window.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use clickchain_adapters::{Origin, Os, SourceRef};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::intern::Interner;
use crate::paths::DirFlags;
use dns::DnsCache;
use proctable::{ProcTable, Slot};

pub(crate) mod dns;
pub(crate) mod proctable;

/// Where an egress destination's name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum DomainSource {
    Event,
    Dns,
    ClickUrl,
    None,
}

impl DomainSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainSource::Event => "event",
            DomainSource::Dns => "dns",
            DomainSource::ClickUrl => "click_url",
            DomainSource::None => "none",
        }
    }
}

/// A classified destination, shared by the egress entries that reach it (and cached by name).
#[derive(Debug)]
pub(crate) struct Dest {
    pub domain: Option<String>,
    /// Registrable domain, else the name, else the IP: what origin URLs are compared with.
    pub key: Arc<str>,
    pub registrable: Option<String>,
    pub suffix: Option<String>,
    pub untrusted: bool,
    pub risk: u8,
    pub reasons: Vec<&'static str>,
}

#[derive(Debug)]
pub(crate) struct EgressEntry {
    pub time: i64,
    pub proc: Slot,
    pub ip: IpAddr,
    pub port: u16,
    pub dest: Arc<Dest>,
    /// Where the destination's name came from.
    pub source: DomainSource,
    pub evidence: Vec<SourceRef>,
}

#[derive(Debug)]
pub(crate) struct ClickEntry {
    pub time: i64,
    pub proc: Slot,
    pub url: Arc<str>,
    pub source: SourceRef,
}

/// Carried summaries of one link root.
#[derive(Debug, Default)]
pub(crate) struct RootState {
    pub clicks: VecDeque<ClickEntry>,
    pub egress: VecDeque<EgressEntry>,
}

/// A download-like write by a lineage, waiting for evaluation.
#[derive(Debug, Clone)]
pub(crate) struct PendingWrite {
    pub time: i64,
    /// Evaluate once the batch reaches this time (later than `time` for quarantine checks).
    pub ready: i64,
    pub proc: Slot,
    /// Link root when written: whose carried summaries the evaluation seeds.
    pub root: Slot,
    pub path: String,
    pub norm: String,
    pub extension: Option<String>,
    pub high_risk_ext: bool,
    pub renamed_from: Option<String>,
    pub origin: Option<Origin>,
    /// Registrable domain (or IP) of the origin URL.
    pub origin_key: Option<Arc<str>>,
    /// The origin is an allowlisted destination: the file came from there, not from the lineage's
    /// untrusted egress.
    pub origin_trusted: bool,
    /// In a QuarantinePolicy folder.
    pub quarantine_path: bool,
    pub quarantine_candidate: bool,
    pub evidence: Vec<SourceRef>,
}

/// A partial download (`.crdownload`, `.part`, ...) waiting to be renamed to its final name.
#[derive(Debug)]
pub(crate) struct Partial {
    pub time: i64,
    pub source: SourceRef,
    pub origin: Option<Origin>,
}

/// An alerted file, kept for follow-on matching until its window closes.
#[derive(Debug)]
pub(crate) struct AlertedFile {
    pub alert_id: Arc<str>,
    pub analytic: &'static str,
    pub root: Slot,
    pub path: String,
    pub norm: String,
    pub time: i64,
    pub deadline: i64,
    /// Processes that ran the file (pinned).
    pub payload: Vec<Slot>,
    /// (kind, process serial) already reported.
    pub reported: FxHashSet<(u8, u64)>,
}

/// A process start that may be follow-on activity (checked in the next evaluation).
#[derive(Debug)]
pub(crate) struct ExecCandidate {
    /// Pinned while the candidate is kept.
    pub proc: Slot,
    pub time: i64,
    pub image_norm: String,
    pub mentions: Vec<String>,
    pub lolbin: bool,
}

#[derive(Debug)]
pub(crate) struct RemovalCandidate {
    /// Pinned while the candidate is kept.
    pub proc: Slot,
    pub time: i64,
    pub norm: String,
    pub source: SourceRef,
}

pub(crate) struct Host {
    pub name: Arc<str>,
    /// Listed in the engine's hosts to evaluate at the next batch boundary.
    pub dirty: bool,
    pub os: Option<Os>,
    pub procs: ProcTable,
    pub images: Interner,
    pub dns: DnsCache,
    pub roots: FxHashMap<Slot, RootState>,
    pub egress_len: usize,
    pub pending: Vec<PendingWrite>,
    pub partials: FxHashMap<String, Partial>,
    /// Normalised path -> when `com.apple.quarantine` was set.
    pub quarantined: FxHashMap<String, i64>,
    pub alerted: Vec<AlertedFile>,
    /// (link root key, normalised path) -> write time of the alert.
    pub emitted: FxHashMap<(String, String), i64>,
    pub execs: Vec<ExecCandidate>,
    pub removals: Vec<RemovalCandidate>,
    /// Writes into a quarantine folder that were not executables by name or mode, kept (with
    /// their process pinned) until the window closes: if one is executed, it is re-evaluated as
    /// a QuarantinePolicy candidate ("executable by a later exec").
    pub exec_watch: FxHashMap<String, PendingWrite>,
    /// Folder flags by folder as written in events (bounded: cleared when full).
    pub dir_flags: FxHashMap<Box<str>, DirFlags>,
    /// Basenames of pending and alerted files -> their normalised paths (follow-on matching).
    pub interest: FxHashMap<String, Vec<String>>,
}

impl Host {
    pub fn new(name: Arc<str>, os: Option<Os>) -> Self {
        Host {
            name,
            dirty: false,
            os,
            procs: ProcTable::default(),
            images: Interner::new(4096),
            dns: DnsCache::default(),
            roots: FxHashMap::default(),
            egress_len: 0,
            pending: Vec::new(),
            partials: FxHashMap::default(),
            quarantined: FxHashMap::default(),
            alerted: Vec::new(),
            emitted: FxHashMap::default(),
            execs: Vec::new(),
            removals: Vec::new(),
            interest: FxHashMap::default(),
            exec_watch: FxHashMap::default(),
            dir_flags: FxHashMap::default(),
        }
    }

    pub fn add_interest(&mut self, norm: &str) {
        let base = crate::paths::basename(norm).to_owned();
        let v = self.interest.entry(base).or_default();
        if !v.iter().any(|p| p == norm) {
            v.push(norm.to_owned());
        }
    }

    /// Rebuilds the follow-on interest index from pending and alerted files.
    pub fn rebuild_interest(&mut self) {
        let mut paths: Vec<String> = self.pending.iter().map(|p| p.norm.clone()).collect();
        paths.extend(self.alerted.iter().map(|a| a.norm.clone()));
        self.interest.clear();
        for p in paths {
            self.add_interest(&p);
        }
    }

    /// Whether anything needs evaluating at a batch ending at `until` (or at the end of input).
    pub fn has_work(&self, until: i64, at_end: bool) -> bool {
        (!self.alerted.is_empty() && (!self.execs.is_empty() || !self.removals.is_empty()))
            || self.pending.iter().any(|p| at_end || p.ready <= until)
    }

    /// Drops carried state older than `horizon` and releases the processes it pinned.
    pub fn expire(&mut self, horizon: i64, now: i64) {
        let procs = &mut self.procs;
        let mut removed = 0;
        self.roots.retain(|_, r| {
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
        if self.alerted.len() != before {
            self.rebuild_interest();
        }
        let procs = &mut self.procs;
        self.exec_watch.retain(|_, w| {
            let keep = w.time >= horizon;
            if !keep {
                procs.unpin(w.proc);
            }
            keep
        });
        self.emitted.retain(|_, t| *t >= horizon);
        self.partials.retain(|_, p| p.time >= horizon);
        self.quarantined.retain(|_, t| *t >= horizon);
    }
}
