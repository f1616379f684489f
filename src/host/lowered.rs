//! What lowering found in one event, and how a host keeps it. Lowering classifies (it decides
//! which process an event is about and what of it may matter); the host applies the result to
//! the part that owns it, within that part's cap, and counts what a cap turned away.

use std::net::IpAddr;
use std::sync::Arc;

use clickchain_adapters::SourceRef;

use super::dns::DnsEntry;
use super::proctable::Slot;
use super::{ClickEntry, EgressEntry, ExecCandidate, HeldFact, Host, Partial, PendingWrite, RemovalCandidate};
use crate::profile::Limits;
use crate::stats::Stats;

/// Most observed clicks carried per link root.
const MAX_CLICKS_PER_ROOT: usize = 256;

/// A click (a URL opened) by a process of a link lineage.
#[derive(Debug)]
pub(crate) struct Click {
    pub root: Slot,
    pub proc: Slot,
    pub time: i64,
    pub url: String,
    pub source: SourceRef,
}

/// A process start ran a download watched for a later exec (by its normalised path): the
/// download goes back for evaluation, ready after its quarantine grace.
#[derive(Debug)]
pub(crate) struct RanWatched {
    pub norm: String,
    pub time: i64,
    pub grace: i64,
    pub source: SourceRef,
}

/// A change to a link root's carried egress that a download's origin implies
/// (`docs/design.md` "Detection semantics").
#[derive(Debug)]
pub(crate) enum EgressFix {
    /// No connection was logged, but the lineage resolved a name on the origin's registrable
    /// domain: that answer is the egress.
    FromDns { root: Slot, egress: EgressEntry },
    /// Address-only egress of `root` within `since..=until` reached the trusted host the file
    /// came from: named after it, it is no untrusted egress.
    NamedByOrigin { root: Slot, since: i64, until: i64 },
}

/// What one event adds to its host's carried state (the rare large findings boxed, so that
/// what most events return stays small) (beyond the process table, which lowering
/// updates itself: which process an event is about is part of classifying it).
#[derive(Debug)]
pub(crate) enum Lowered {
    /// Nothing to carry.
    Nothing,
    /// A process started.
    Start {
        /// A URL on its command line.
        click: Option<Click>,
        /// It ran a download watched for a later exec.
        ran_watched: Option<Box<RanWatched>>,
        /// It may be follow-on activity of an alerted file.
        exec: Option<Box<ExecCandidate>>,
        /// What it did to pending writes, by their index (`anchors::HeldFact`).
        held: Vec<(usize, HeldFact)>,
        /// Its command line is a download cradle: a process-start anchor.
        cradle: Option<Box<PendingWrite>>,
    },
    Click(Click),
    /// Answers of a DNS query.
    Dns {
        answers: Vec<IpAddr>,
        entry: DnsEntry,
    },
    /// An untrusted egress of a link lineage.
    Egress {
        root: Slot,
        egress: EgressEntry,
    },
    /// A partial download (by its normalised path), waiting for its final name.
    Partial {
        norm: String,
        partial: Box<Partial>,
    },
    /// A download-like write to evaluate; `renamed_from`, the normalised path it was renamed
    /// from (a partial download it finishes).
    Anchor {
        write: Box<PendingWrite>,
        renamed_from: Option<String>,
        egress_fix: Option<Box<EgressFix>>,
    },
    /// The quarantine flag was set on a file.
    Quarantined {
        norm: String,
        time: i64,
    },
    /// A file was made executable: its pending writes in a quarantine folder become
    /// candidates, ready after `grace`.
    MadeExecutable {
        norm: String,
        grace: i64,
    },
    /// The host's inputs report the quarantine flag (it was removed from a file of no interest).
    QuarantineVisible,
    /// A protection removal on a file of interest; held on its pending writes for `hold` after
    /// them when an enabled rule reads it.
    Removal(RemovalCandidate, Option<i64>),
}

impl Host {
    /// Keeps what lowering found, within the caps of `limits`; what a cap turns away is
    /// counted in `stats`.
    pub(crate) fn apply(&mut self, found: Lowered, limits: &Limits, stats: &mut Stats) {
        match found {
            Lowered::Nothing => {}
            Lowered::Start { click, ran_watched, exec, held, cradle } => {
                for (i, fact) in held {
                    stats.dropped.held_fact_cap += u64::from(!self.anchors.hold_fact(&mut self.procs, i, fact));
                }
                if let Some(click) = click {
                    self.keep_click(click, stats);
                }
                // Not of interest to follow-on matching: its image is no download.
                if let Some(cradle) = cradle {
                    if self.anchors.push(&mut self.procs, *cradle, limits.max_pending_per_host) {
                        stats.classified.anchor_processes += 1;
                    } else {
                        stats.dropped.pending_cap += 1;
                    }
                }
                if let Some(r) = ran_watched.map(|r| *r) {
                    if let Some(norm) = self.anchors.executed(&r.norm, r.time, r.grace, r.source) {
                        self.follow.add_interest(norm);
                    }
                }
                if let Some(exec) = exec {
                    if !self.follow.add_exec(&mut self.procs, *exec, limits.max_pending_per_host) {
                        stats.dropped.follow_on_cap += 1;
                    }
                }
            }
            Lowered::Click(click) => self.keep_click(click, stats),
            Lowered::Dns { answers, entry } => {
                for ip in answers {
                    stats.dropped.dns_evicted += self.dns.insert(ip, entry.clone(), limits.max_dns_per_host);
                }
            }
            Lowered::Egress { root, egress } => {
                match self.roots.add_egress(&mut self.procs, root, egress, limits.max_egress_per_host) {
                    Ok(evicted) => {
                        stats.classified.egress_untrusted += 1;
                        stats.dropped.egress_cap += u64::from(evicted);
                    }
                    Err(super::roots::NotCarried::Full) => stats.dropped.egress_cap += 1,
                    Err(super::roots::NotCarried::Coalesced) => {}
                }
            }
            Lowered::Partial { norm, partial } => {
                stats.dropped.partial_evicted += self.anchors.add_partial(norm, *partial) as u64;
                stats.classified.partial_writes += 1;
            }
            Lowered::Anchor { write, renamed_from, egress_fix } => {
                if let Some(fix) = egress_fix {
                    self.fix_egress(*fix, limits, stats);
                }
                if write.origin.as_ref().is_some_and(|o| o.quarantine.is_some()) {
                    self.anchors.quarantine_visible();
                }
                if let Some(from) = renamed_from {
                    self.anchors.renamed(&from, &write.norm);
                }
                let norm = write.norm.clone();
                if self.anchors.push(&mut self.procs, *write, limits.max_pending_per_host) {
                    stats.classified.anchor_writes += 1;
                    self.follow.add_interest(&norm);
                } else {
                    stats.dropped.pending_cap += 1;
                }
            }
            Lowered::Quarantined { norm, time } => {
                if !self.anchors.set_quarantined(norm, time, limits.max_pending_per_host) {
                    stats.dropped.quarantine_cap += 1;
                }
            }
            Lowered::MadeExecutable { norm, grace } => self.anchors.made_executable(&norm, grace),
            Lowered::QuarantineVisible => self.anchors.quarantine_visible(),
            Lowered::Removal(removal, hold) => {
                if let Some(hold) = hold {
                    stats.dropped.held_fact_cap +=
                        self.anchors.protection_removed(&removal.norm, removal.time, removal.quarantine, hold);
                }
                if !self.follow.add_removal(&mut self.procs, removal, limits.max_pending_per_host) {
                    stats.dropped.follow_on_cap += 1;
                }
            }
        }
    }

    fn fix_egress(&mut self, fix: EgressFix, limits: &Limits, stats: &mut Stats) {
        match fix {
            EgressFix::FromDns { root, egress } => {
                match self.roots.add_egress(&mut self.procs, root, egress, limits.max_egress_per_host) {
                    Ok(evicted) => {
                        stats.classified.egress_from_dns += 1;
                        stats.dropped.egress_cap += u64::from(evicted);
                    }
                    Err(super::roots::NotCarried::Full) => stats.dropped.egress_cap += 1,
                    Err(super::roots::NotCarried::Coalesced) => {}
                }
            }
            EgressFix::NamedByOrigin { root, since, until } => {
                stats.classified.egress_named_by_origin +=
                    self.roots.drop_nameless(&mut self.procs, root, since, until);
            }
        }
    }

    fn keep_click(&mut self, c: Click, stats: &mut Stats) {
        let url: Arc<str> = self.images.intern(&c.url);
        let click = ClickEntry { time: c.time, proc: c.proc, url, source: c.source };
        match self.roots.add_click(&mut self.procs, c.root, click, MAX_CLICKS_PER_ROOT) {
            Ok(()) => stats.classified.clicks += 1,
            Err(_) => stats.dropped.click_cap += 1,
        }
    }
}
