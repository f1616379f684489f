//! Counters: every drop, cap and eviction is typed and counted here.

use serde::{Deserialize, Serialize};

/// Engine counters. Reported in the CLI summary and available to embedders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Events handed to [`crate::Engine::push`].
    pub events_in: u64,
    /// Events that went through lowering (accepted and released from the reorder buffer).
    pub events_processed: u64,
    /// Events dropped, by reason.
    pub dropped: Drops,
    /// Input anomalies that were handled (the event was kept).
    pub anomalies: Anomalies,
    /// Classification at ingest.
    pub classified: Classified,
    /// crepe evaluations of the chain program.
    pub chain_evaluations: u64,
    /// crepe evaluations of the follow-on program.
    pub follow_on_evaluations: u64,
    /// Alerts emitted.
    pub alerts: u64,
    /// Follow-on records emitted.
    pub follow_ons: u64,
    /// Alerts not emitted because the same (host, link root, file) already alerted.
    pub duplicates_suppressed: u64,
    /// What the input fed the rules' fact kinds (`crate::missing_data`).
    #[serde(default)]
    pub fed: Fed,
    /// (enabled rule, fact kind it reads) pairs the input never fed, set when the input ends
    /// (one warning each, `crate::missing_data`). Not summed across shards: recomputed from
    /// the merged `fed`.
    #[serde(default)]
    pub rules_missing_data: u64,
}

/// Records that feed the rules' fact kinds, counted at lowering: a kind whose records never
/// came cannot be fed (`crate::missing_data`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fed {
    /// Process starts.
    pub process_starts: u64,
    /// Process starts that carried a command line.
    pub command_lines: u64,
    /// Connection records.
    pub connects: u64,
    /// DNS answers.
    pub dns_answers: u64,
    /// File writes.
    pub file_writes: u64,
    /// Records that report a quarantine flag (set, removed, or a write saying whether it has
    /// one).
    pub quarantine_reports: u64,
}

impl Fed {
    fn merge(&mut self, other: &Fed) {
        let Fed { process_starts, command_lines, connects, dns_answers, file_writes, quarantine_reports } = other;
        self.process_starts += process_starts;
        self.command_lines += command_lines;
        self.connects += connects;
        self.dns_answers += dns_answers;
        self.file_writes += file_writes;
        self.quarantine_reports += quarantine_reports;
    }
}

/// Events or state dropped, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drops {
    /// Arrived further behind the watermark than AllowedLateness.
    pub late: u64,
    /// Time further in the future than `max_future_skew`, or before 1990.
    pub implausible_time: u64,
    /// A new host beyond `max_hosts`.
    pub host_cap: u64,
    /// A process start that found the process table full of referenced processes.
    pub process_cap: u64,
    /// Idle processes evicted to make room.
    pub process_evicted: u64,
    /// Untrusted egress evicted (the host's oldest) to keep `max_egress_per_host`.
    pub egress_cap: u64,
    /// Anchor writes beyond `max_pending_per_host`.
    pub pending_cap: u64,
    /// DNS answers evicted beyond the cache's cap.
    pub dns_evicted: u64,
    /// Partial downloads forgotten beyond their cap.
    pub partial_evicted: u64,
    /// Quarantine flags not remembered beyond `max_pending_per_host`.
    pub quarantine_cap: u64,
    /// Observed clicks beyond the per-root cap.
    pub click_cap: u64,
    /// Follow-on candidates (process starts, protection removals) beyond `max_pending_per_host`
    /// in one batch.
    pub follow_on_cap: u64,
    /// Alerts not kept for follow-on matching beyond `max_pending_per_host` (still emitted).
    pub alerted_cap: u64,
    /// What followed a held write (an exec, an opening, a protection removal) beyond the
    /// per-write cap (`docs/rules.md`, "Hold").
    pub held_fact_cap: u64,
    /// Command lines kept cut to 1,024 bytes for alerts (the event itself was used whole).
    #[serde(default)]
    pub command_line_truncated: u64,
}

/// Input anomalies that were handled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomalies {
    /// A process start whose parent was never seen.
    pub orphan_parent: u64,
    /// A process start that would make a process its own ancestor (the parent link is dropped).
    pub parent_cycle: u64,
    /// A second start for the same process id (the first is kept).
    pub duplicate_start: u64,
    /// Events about a process that was never seen starting.
    pub unknown_process: u64,
    /// Released events forced out of a full reorder buffer.
    pub reorder_overflow: u64,
    /// Lineages handed to the follow-on rules (and to the chain rules, when one reads
    /// `ancestor`) cut 64 generations up (an ancestor further up is not matched as the alert's
    /// root or payload).
    pub lineage_truncated: u64,
}

/// What ingest made of the events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classified {
    /// Observed clicks in a link lineage.
    pub clicks: u64,
    /// Egress from a link lineage to an untrusted destination (carried).
    pub egress_untrusted: u64,
    /// Egress from a link lineage to an allowlisted or low-risk destination.
    pub egress_trusted: u64,
    /// Of `egress_trusted`: destinations allowlisted (`allowed_cdns`, `allowed_cidrs`).
    pub egress_allowlisted: u64,
    /// Of `egress_trusted`: destinations scored below `domain_risk_score` with no hard signal.
    pub egress_trusted_by_score: u64,
    /// Lineage egress to an address in `untrusted_cidrs` (untrusted before any allowlist).
    pub egress_untrusted_cidr: u64,
    /// Lineage egress to a punycode lookalike name (mixed scripts or a brand's skeleton).
    pub egress_lookalike: u64,
    /// Lineage egress to a newly observed domain that stayed a score signal because the
    /// newly-observed store held less than `nod_warmup` of history.
    pub nod_without_history: u64,
    /// Egress from processes outside any link lineage.
    pub egress_outside_lineage: u64,
    /// Download-like writes by a link lineage (anchors).
    pub anchor_writes: u64,
    /// Download-cradle process starts in a link lineage (process anchors, when an enabled
    /// rule reads `cradle`).
    #[serde(default)]
    pub anchor_processes: u64,
    /// Partial downloads awaiting their final name.
    pub partial_writes: u64,
    /// Writes that can never matter (not user paths, not download-like, not the lineage).
    pub writes_ignored: u64,
    /// Process starts that a second source logged again (Sysmon EID 1 and Security 4688 of
    /// one process), joined to the first.
    pub joined_starts: u64,
    /// Connections named by a DNS answer logged after them (within `dns_grace`).
    pub dns_after_connect: u64,
    /// Anchors whose origin names a trusted destination (a link to untrusted egress on another
    /// domain is weak).
    pub origin_trusted: u64,
    /// Anchors whose origin is the MotW ReferrerUrl (HostUrl `about:internet`, `blob:`, `data:`).
    pub origin_from_referrer: u64,
    /// Process starts a reader built rather than read (a process first seen mid-life, or a
    /// creator first seen through its child's `ParentImage` / `ParentProcessName`).
    pub built_starts: u64,
    /// Built starts attached to a parent their source never logged starting them under: the
    /// parent a record named, or the live link root of the same image, user and logon session (alerts through
    /// them say `lineage_inferred`).
    pub inferred_links: u64,
    /// QuarantinePolicy candidates on hosts whose inputs cannot report the quarantine flag
    /// (no flag set or removed, no write saying whether it has one): not findings.
    pub quarantine_unknown: u64,
    /// Egress no connection record showed: the lineage's DNS answer for a name on a
    /// download's origin domain (a Sysmon configuration without browser connections).
    pub egress_from_dns: u64,
    /// Address-only egress named after the trusted host a download just after it came from
    /// (so no untrusted egress any more).
    pub egress_named_by_origin: u64,
}

impl Stats {
    /// Adds the counters of `other` (e.g. another shard's) to these.
    pub fn merge(&mut self, other: &Stats) {
        // Destructured so that a new counter cannot be forgotten here.
        let Stats {
            events_in,
            events_processed,
            dropped,
            anomalies,
            classified,
            chain_evaluations,
            follow_on_evaluations,
            alerts,
            follow_ons,
            duplicates_suppressed,
            fed,
            rules_missing_data: _,
        } = other;
        self.events_in += events_in;
        self.events_processed += events_processed;
        self.dropped.merge(dropped);
        self.anomalies.merge(anomalies);
        self.classified.merge(classified);
        self.chain_evaluations += chain_evaluations;
        self.follow_on_evaluations += follow_on_evaluations;
        self.alerts += alerts;
        self.follow_ons += follow_ons;
        self.duplicates_suppressed += duplicates_suppressed;
        self.fed.merge(fed);
    }
}

impl Drops {
    fn merge(&mut self, other: &Drops) {
        let Drops {
            late,
            implausible_time,
            host_cap,
            process_cap,
            process_evicted,
            egress_cap,
            pending_cap,
            dns_evicted,
            partial_evicted,
            quarantine_cap,
            click_cap,
            follow_on_cap,
            alerted_cap,
            held_fact_cap,
            command_line_truncated,
        } = other;
        self.late += late;
        self.implausible_time += implausible_time;
        self.host_cap += host_cap;
        self.process_cap += process_cap;
        self.process_evicted += process_evicted;
        self.egress_cap += egress_cap;
        self.pending_cap += pending_cap;
        self.dns_evicted += dns_evicted;
        self.partial_evicted += partial_evicted;
        self.quarantine_cap += quarantine_cap;
        self.click_cap += click_cap;
        self.follow_on_cap += follow_on_cap;
        self.alerted_cap += alerted_cap;
        self.held_fact_cap += held_fact_cap;
        self.command_line_truncated += command_line_truncated;
    }
}

impl Anomalies {
    fn merge(&mut self, other: &Anomalies) {
        let Anomalies {
            orphan_parent,
            parent_cycle,
            duplicate_start,
            unknown_process,
            reorder_overflow,
            lineage_truncated,
        } = other;
        self.orphan_parent += orphan_parent;
        self.parent_cycle += parent_cycle;
        self.duplicate_start += duplicate_start;
        self.unknown_process += unknown_process;
        self.reorder_overflow += reorder_overflow;
        self.lineage_truncated += lineage_truncated;
    }
}

impl Classified {
    fn merge(&mut self, other: &Classified) {
        let Classified {
            clicks,
            egress_untrusted,
            egress_trusted,
            egress_allowlisted,
            egress_trusted_by_score,
            egress_untrusted_cidr,
            egress_lookalike,
            nod_without_history,
            egress_outside_lineage,
            anchor_writes,
            anchor_processes,
            partial_writes,
            writes_ignored,
            joined_starts,
            dns_after_connect,
            origin_trusted,
            origin_from_referrer,
            built_starts,
            inferred_links,
            quarantine_unknown,
            egress_from_dns,
            egress_named_by_origin,
        } = other;
        self.clicks += clicks;
        self.egress_untrusted += egress_untrusted;
        self.egress_trusted += egress_trusted;
        self.egress_allowlisted += egress_allowlisted;
        self.egress_trusted_by_score += egress_trusted_by_score;
        self.egress_untrusted_cidr += egress_untrusted_cidr;
        self.egress_lookalike += egress_lookalike;
        self.nod_without_history += nod_without_history;
        self.egress_outside_lineage += egress_outside_lineage;
        self.anchor_writes += anchor_writes;
        self.anchor_processes += anchor_processes;
        self.partial_writes += partial_writes;
        self.writes_ignored += writes_ignored;
        self.joined_starts += joined_starts;
        self.dns_after_connect += dns_after_connect;
        self.origin_trusted += origin_trusted;
        self.origin_from_referrer += origin_from_referrer;
        self.built_starts += built_starts;
        self.inferred_links += inferred_links;
        self.quarantine_unknown += quarantine_unknown;
        self.egress_from_dns += egress_from_dns;
        self.egress_named_by_origin += egress_named_by_origin;
    }
}
