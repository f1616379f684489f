//! Output records: alerts and the follow-on records that reference them. Every field and
//! value is described in `docs/alerts.md`; records are written and read back with serde.

use chrono::{DateTime, Utc};
use clickchain_adapters::SourceRef;
use serde::{Deserialize, Serialize};

mod derivation;
mod detail;
mod json;
mod kinds;
#[cfg(test)]
mod tests;
mod text;
mod wire;

pub(crate) use derivation::secs;
pub use derivation::{
    ClickAtom, Derivation, EgressAtom, FactAtom, LinkSource, ParamsUsed, ProcessStep, StrengthAtom, StrengthBasis,
    WindowTest, WriteAtom,
};
pub use detail::{EvidenceRole, ProcessInfo, RoleEvidence};
pub use json::{to_json_string, write_json};
pub use kinds::{Analytic, Anchor, DomainSource, Finding, FollowOnKind, Reason, Strength};
pub use text::terminal_safe;
pub use wire::fmt_time;

/// MITRE ATT&CK technique every alert is about.
pub const TECHNIQUE: &str = "T1204.001";
/// MITRE detection strategy the analytics come from.
pub const STRATEGY: &str = "DET0066";

/// One output record; its JSON `type` is `alert` or `follow_on`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A detection.
    Alert(Box<Alert>),
    /// Later activity tied to an alert.
    FollowOn(FollowOn),
}

impl Record {
    /// The record as one NDJSON line (without the newline).
    pub fn to_json(&self) -> String {
        to_json_string(self).expect("records always serialise")
    }

    /// Reads back one line written by [`Record::to_json`] (or a JSON sink); a line that is not
    /// such a record is an error.
    ///
    /// ```
    /// use clickchain::alert::{Analytic, FollowOnKind};
    /// use clickchain::Record;
    ///
    /// let line = r#"{"type":"follow_on","alert_id":"9faab42e41c7a2cc","analytic":"AN0178","host":"WS-042","time":"2024-05-14T09:11:40.000Z","kind":"executed","process":"C:\\Users\\alice\\Downloads\\Invoice_0514.pdf.exe","path":"C:\\Users\\alice\\Downloads\\Invoice_0514.pdf.exe","evidence":[{"input":"data/samples/sample.ndjson","line":234}],"process_info":{"image":"C:\\Users\\alice\\Downloads\\Invoice_0514.pdf.exe","pid":null,"process_id":"{payload}","command_line":"\"C:\\Users\\alice\\Downloads\\Invoice_0514.pdf.exe\"","command_line_truncated":false,"user":"CORP\\alice","start":"2024-05-14T09:11:40.000Z"},"replaced_invalid_utf8":false}"#;
    /// let Ok(Record::FollowOn(f)) = Record::from_json(line) else { panic!("a follow-on record") };
    /// assert_eq!((f.analytic, f.kind), (Analytic::An0178, FollowOnKind::Executed));
    /// assert_eq!(Record::FollowOn(f).to_json(), line);
    /// assert!(Record::from_json(r#"{"type":"alarm"}"#).is_err());
    /// ```
    pub fn from_json(line: &str) -> Result<Record, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// The record for people: a few indented lines.
    pub fn to_text(&self) -> String {
        match self {
            Record::Alert(a) => a.to_text(),
            Record::FollowOn(f) => f.to_text(),
        }
    }
}

/// A fired DET0066 chain (or macOS quarantine finding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id: a hash of host, link root, final path and write time.
    pub id: String,
    /// AN0178 (Windows), AN0179 (Linux), AN0180 (macOS).
    pub analytic: Analytic,
    /// The id of the rule that fired (`clickchain rules`); records written before rules had
    /// ids read back as the base rule, `chain`.
    #[serde(default = "base_rule")]
    pub rule: String,
    /// [`TECHNIQUE`] in alerts this engine writes.
    pub technique: String,
    /// [`STRATEGY`] in alerts this engine writes.
    pub strategy: String,
    /// `chain`, or `quarantine_missing` for AN0180's QuarantinePolicy.
    pub finding: Finding,
    /// The host.
    pub host: String,
    /// When the file landed (the alert's event time).
    #[serde(with = "wire::time")]
    pub time: DateTime<Utc>,
    /// 0–100; `docs/alerts.md` says how it is built.
    pub score: u8,
    /// `strong`, `medium` or `weak`; absent for a quarantine finding without a chain.
    pub strength: Option<Strength>,
    /// Step 1.
    pub click: Option<ClickInfo>,
    /// Step 2.
    pub egress: Option<EgressInfo>,
    /// Step 3.
    pub write: WriteInfo,
    /// Images from the link root down to the writing process.
    pub lineage: Vec<String>,
    /// A process of the lineage (to the writer or to the egress) was attached to its parent by
    /// inference: its start was never logged (`docs/alerts.md`). Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lineage_inferred: bool,
    /// The same processes with what their sources logged of them (pid, id, command line,
    /// user, start), root first.
    #[serde(default)]
    pub processes: Vec<ProcessInfo>,
    /// Every record a fact of this alert came from.
    #[serde(with = "wire::sources")]
    pub evidence: Vec<SourceRef>,
    /// The same records, each with the role it plays (a record may play two).
    #[serde(default)]
    pub evidence_by_role: Vec<RoleEvidence>,
    /// Why this is an alert, in words: what made the destination untrusted (which signal,
    /// which value, which threshold) and what set the strength.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The file's hash, when a source logged one.
    #[serde(default)]
    pub file_hash: Option<String>,
    /// A string of the record holds U+FFFD: a reader replaced bytes that were not valid
    /// UTF-8 (or UTF-16) there, so the text is not exactly what was on disk.
    #[serde(default)]
    pub replaced_invalid_utf8: bool,
    /// How the rule derived the alert, atom by atom (`docs/alerts.md`, "Derivation"): only
    /// with `[rules] explain` (`scan --explain`); absent otherwise. Boxed: records stay small
    /// while they queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivation: Option<Box<Derivation>>,
    /// `process` when a process start anchored the alert (a download cradle: `write` names
    /// its image, `processes` its command line); absent for a write.
    #[serde(default, skip_serializing_if = "Anchor::is_write")]
    pub anchor: Anchor,
}

fn base_rule() -> String {
    clickchain_logic::rules::BASE_RULE.to_owned()
}

/// Step 1 of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClickInfo {
    /// When the link was handled (or, inferred, the first untrusted egress).
    #[serde(with = "wire::time")]
    pub time: DateTime<Utc>,
    /// The link, when observed.
    pub url: Option<String>,
    /// Observed (URL on a command line, or a URL-open record) or inferred.
    pub observed: bool,
}

/// Step 2 of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EgressInfo {
    /// When.
    #[serde(with = "wire::time")]
    pub time: DateTime<Utc>,
    /// Image of the connecting process.
    pub process: String,
    /// Destination address.
    pub ip: String,
    /// Destination port.
    pub port: u16,
    /// The destination's name, when known.
    pub domain: Option<String>,
    /// Where the name came from: `event`, `dns`, `click_url` (inferred), or `none`.
    pub domain_source: DomainSource,
    /// eTLD+1 of the name.
    pub registrable_domain: Option<String>,
    /// Public suffix of the name.
    pub suffix: Option<String>,
    /// Domain risk score (0–100).
    pub risk: u8,
    /// Why the destination is untrusted.
    pub reasons: Vec<Reason>,
    /// `dns` when no connection was logged and the lineage's DNS answer on the download's
    /// origin domain stands for it; absent for a logged connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<EgressSource>,
}

/// What showed an egress that no connection record showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EgressSource {
    /// A DNS answer to the lineage for a name on the download's origin domain.
    Dns,
}

/// Step 3 of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteInfo {
    /// When the file got its final name.
    #[serde(with = "wire::time")]
    pub time: DateTime<Utc>,
    /// Image of the writing process.
    pub process: String,
    /// Final path.
    pub path: String,
    /// Lowercase extension.
    pub extension: Option<String>,
    /// The partial-download name it was renamed from, if any.
    pub renamed_from: Option<String>,
    /// Origin URL recorded with the file (MotW HostUrl, quarantine, xdg).
    pub origin_url: Option<String>,
    /// Whether the file carries a quarantine flag, when known.
    pub quarantine: Option<bool>,
}

/// Activity after an alert: the file ran, a LOLBIN used it, its protection was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowOn {
    /// The alert this belongs to.
    pub alert_id: String,
    /// The alert's analytic.
    pub analytic: Analytic,
    /// The host.
    pub host: String,
    /// When.
    #[serde(with = "wire::time")]
    pub time: DateTime<Utc>,
    /// `executed`, `lolbin_with_file`, `lolbin_child` or `protection_removed`.
    pub kind: FollowOnKind,
    /// Image of the process that did it.
    pub process: String,
    /// The alerted file.
    pub path: String,
    /// The records it came from.
    #[serde(with = "wire::sources")]
    pub evidence: Vec<SourceRef>,
    /// The process that did it, with what its source logged of it (boxed: records stay small
    /// while they queue).
    #[serde(default)]
    pub process_info: Box<ProcessInfo>,
    /// A string of the record holds U+FFFD (see [`Alert::replaced_invalid_utf8`]).
    #[serde(default)]
    pub replaced_invalid_utf8: bool,
}
