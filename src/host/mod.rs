//! Per-host state carried between evaluations: compact summaries, never the raw window
//! (`docs/design.md`, "State and memory bounds").
//!
//! It comes in parts that own their data: the process table ([`proctable`]: identities,
//! lineage, link roots, and when a process may leave), recent DNS answers ([`dns`]), the
//! summaries carried per link root ([`roots`]), the writes waiting for evaluation (`anchors`),
//! what follow-on matching watches (`follow_on`), and, here, alert dedup and a folder-flag
//! cache. Lowering reports what an event adds as a [`lowered::Lowered`] value, which
//! [`Host::apply`] hands to the part that keeps it.

use std::net::IpAddr;
use std::sync::Arc;

use clickchain_adapters::{Origin, Os, SourceRef};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::alert::{Analytic, Reason};
use crate::intern::Interner;
use crate::paths::DirFlags;
pub(crate) use anchors::{Anchors, Held, HeldFact, HeldKind};
use dns::DnsCache;
pub(crate) use follow_on::FollowOnWatch;
use proctable::{ProcTable, Slot};
use roots::Roots;

mod anchors;
pub(crate) mod dns;
mod follow_on;
pub(crate) mod lowered;
pub(crate) mod proctable;
pub(crate) mod roots;

pub(crate) use crate::alert::DomainSource;

/// A classified destination, shared by the egress entries that reach it (and cached by name).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Dest {
    pub domain: Option<String>,
    /// Registrable domain, else the name, else the IP: what origin URLs are compared with.
    pub key: Arc<str>,
    pub registrable: Option<String>,
    pub suffix: Option<String>,
    pub untrusted: bool,
    pub risk: u8,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct EgressEntry {
    pub time: i64,
    pub proc: Slot,
    pub ip: IpAddr,
    pub port: u16,
    pub dest: Arc<Dest>,
    /// Where the destination's name came from.
    pub source: DomainSource,
    pub evidence: Vec<SourceRef>,
    /// No connection was logged: a DNS answer and the download's origin stand for it.
    pub from_dns: bool,
    /// The name came from a DNS answer logged after the connection.
    pub dns_late: bool,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct ClickEntry {
    pub time: i64,
    pub proc: Slot,
    pub url: Arc<str>,
    pub source: SourceRef,
}

/// Carried summaries of one link root.
/// A download-like write by a lineage, waiting for evaluation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    #[serde(with = "origin_fields")]
    pub origin: Option<Origin>,
    /// Registrable domain (or IP) of the origin URL.
    pub origin_key: Option<Arc<str>>,
    /// The origin is a trusted destination (allowlisted, or without risk of its own): the file
    /// came from there, not from the lineage's untrusted egress.
    pub origin_trusted: bool,
    /// In a QuarantinePolicy folder.
    pub quarantine_path: bool,
    pub quarantine_candidate: bool,
    pub evidence: Vec<SourceRef>,
    /// The referrer's domain and what followed the write, for rules that read them.
    pub held: Held,
    /// A written file, or a process start (a download cradle: `path` is its image).
    pub anchor: crate::alert::Anchor,
}

/// A partial download (`.crdownload`, `.part`, ...) waiting to be renamed to its final name.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Partial {
    pub time: i64,
    pub source: SourceRef,
    #[serde(with = "origin_fields")]
    pub origin: Option<Origin>,
}

/// An alerted file, kept for follow-on matching until its window closes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct AlertedFile {
    pub alert_id: Arc<str>,
    pub analytic: Analytic,
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
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct ExecCandidate {
    /// Pinned while the candidate is kept.
    pub proc: Slot,
    pub time: i64,
    pub image_norm: String,
    pub mentions: Vec<String>,
    pub lolbin: bool,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct RemovalCandidate {
    /// Pinned while the candidate is kept.
    pub proc: Slot,
    pub time: i64,
    pub norm: String,
    pub source: SourceRef,
    /// The flag removed was macOS quarantine (else a Mark-of-the-Web).
    pub quarantine: bool,
}

/// Alerts already raised, by (link root incarnation, normalised path), with their write time.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct AlertDedup(FxHashMap<(String, String), i64>);

impl AlertDedup {
    pub fn contains(&self, key: &(String, String)) -> bool {
        self.0.contains_key(key)
    }

    pub fn insert(&mut self, key: (String, String), time: i64) {
        self.0.insert(key, time);
    }

    /// Forgets alerts written before `horizon`.
    pub fn expire(&mut self, horizon: i64) {
        self.0.retain(|_, t| *t >= horizon);
    }
}

/// [`Origin`] by position (its own serde form leaves out empty fields, which a positional
/// format such as a checkpoint's cannot tell).
mod origin_fields {
    use clickchain_adapters::Origin;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Fields = (Option<u8>, Option<String>, Option<String>, Option<String>, Option<bool>, Option<String>);

    pub fn serialize<S: Serializer>(origin: &Option<Origin>, s: S) -> Result<S::Ok, S::Error> {
        let fields: Option<Fields> = origin
            .as_ref()
            .map(|o| (o.zone, o.url.clone(), o.referrer.clone(), o.agent.clone(), o.quarantine, o.hash.clone()));
        fields.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Origin>, D::Error> {
        let fields = Option::<Fields>::deserialize(d)?;
        Ok(fields.map(|(zone, url, referrer, agent, quarantine, hash)| Origin {
            zone,
            url,
            referrer,
            agent,
            quarantine,
            hash,
        }))
    }
}

/// Folders whose flags are cached per host.
const DIR_FLAGS_CACHE: usize = 4096;

/// Folder flags by folder as written in events (bounded: cleared when full).
#[derive(Default)]
pub(crate) struct DirFlagsCache(FxHashMap<Box<str>, DirFlags>);

impl DirFlagsCache {
    /// The flags of `dir`, computed by `flags` on first sight.
    pub fn get(&mut self, dir: &str, flags: impl FnOnce(&str) -> DirFlags) -> DirFlags {
        if let Some(f) = self.0.get(dir) {
            return *f;
        }
        if self.0.len() >= DIR_FLAGS_CACHE {
            self.0.clear();
        }
        let f = flags(dir);
        self.0.insert(dir.into(), f);
        f
    }
}

/// One host's state, in parts that own their data. Every part that keeps a process (by its
/// slot) pins it in the process table while kept and releases it when dropped; the table
/// removes a process only when it ended, has no children and no pins: that is where a
/// process's lifetime is decided.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Host {
    pub name: Arc<str>,
    /// Listed in the engine's hosts to evaluate at the next batch boundary.
    pub dirty: bool,
    pub os: Option<Os>,
    pub procs: ProcTable,
    /// A cache of image names: a restored host starts it again.
    #[serde(skip, default = "image_interner")]
    pub images: Interner,
    pub dns: DnsCache,
    pub roots: Roots,
    pub anchors: Anchors,
    pub follow: FollowOnWatch,
    pub emitted: AlertDedup,
    /// A cache: a restored host starts it again.
    #[serde(skip)]
    pub dir_flags: DirFlagsCache,
}

fn image_interner() -> Interner {
    Interner::new(4096)
}

impl Host {
    pub fn new(name: Arc<str>, os: Option<Os>) -> Self {
        Host {
            name,
            dirty: false,
            os,
            procs: ProcTable::default(),
            images: image_interner(),
            dns: DnsCache::default(),
            roots: Roots::default(),
            anchors: Anchors::default(),
            follow: FollowOnWatch::default(),
            emitted: AlertDedup::default(),
            dir_flags: DirFlagsCache::default(),
        }
    }

    /// Rebuilds the follow-on interest index from pending and alerted files.
    pub fn rebuild_interest(&mut self) {
        let writes = self.anchors.pending().iter().filter(|p| p.anchor == crate::alert::Anchor::Write);
        self.follow.rebuild_interest(writes.map(|p| p.norm.as_str()));
    }

    /// Whether anything needs evaluating at a batch ending at `until` (or at the end of input).
    pub fn has_work(&self, until: i64, at_end: bool) -> bool {
        self.follow.has_work() || self.anchors.any_ready(until, at_end)
    }

    /// Drops carried state older than `horizon` and releases the processes it pinned.
    pub fn expire(&mut self, horizon: i64, now: i64) {
        self.roots.expire(&mut self.procs, horizon);
        if self.follow.expire(&mut self.procs, now) {
            self.rebuild_interest();
        }
        self.anchors.expire(&mut self.procs, horizon);
        self.emitted.expire(horizon);
    }
}
