//! The parts of an alert that let a person act on it: each lineage process as its source logged
//! it, and each evidence record with the role it plays (`docs/alerts.md`).

use chrono::{DateTime, Utc};
use clickchain_adapters::SourceRef;
use serde::{Deserialize, Serialize};

use super::wire;

/// One process of an alert's lineage (or the process behind a follow-on).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// Full image path (`<unknown KEY>` when its start was never seen).
    pub image: String,
    /// The process id, when the source logged one.
    pub pid: Option<u32>,
    /// The source's unique process id (Sysmon ProcessGuid, ECS `process.entity_id`), if any.
    pub process_id: Option<String>,
    /// The command line, when logged; cut to 1,024 bytes (see `command_line_truncated`).
    pub command_line: Option<String>,
    /// The command line was longer than what is kept.
    #[serde(default)]
    pub command_line_truncated: bool,
    /// The user it ran as, when logged.
    pub user: Option<String>,
    /// When it started, when its start was seen.
    #[serde(with = "wire::opt_time")]
    pub start: Option<DateTime<Utc>>,
}

/// What an evidence record shows in a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EvidenceRole {
    /// The start of a lineage process.
    Process,
    /// The click: a URL on a command line or a URL-open record.
    Click,
    /// The DNS answer that named the egress destination.
    Dns,
    /// The untrusted connection.
    Egress,
    /// The file written (for a renamed download, its partial file).
    Write,
    /// The rename of a partial download to its final name.
    Rename,
    /// A record of where the file came from, apart from its write.
    Origin,
    /// Activity after the write that the alert was raised with (the file ran).
    FollowOn,
}

impl EvidenceRole {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EvidenceRole::Process => "process",
            EvidenceRole::Click => "click",
            EvidenceRole::Dns => "dns",
            EvidenceRole::Egress => "egress",
            EvidenceRole::Write => "write",
            EvidenceRole::Rename => "rename",
            EvidenceRole::Origin => "origin",
            EvidenceRole::FollowOn => "follow_on",
        }
    }
}

/// One evidence record and its role: `{"role": ROLE, "input": NAME, "line": N}` on the wire
/// (`record` or `offset` instead of `line`, as in `evidence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "wire::RoleEvidenceWire", try_from = "wire::RoleEvidenceWire")]
pub struct RoleEvidence {
    /// What the record shows.
    pub role: EvidenceRole,
    /// Where it is.
    pub source: SourceRef,
}
