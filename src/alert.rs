//! Output records: alerts and the follow-on records that reference them (DESIGN §7).

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use clickchain_adapters::{Position, SourceRef};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// MITRE ATT&CK technique every alert is about.
pub const TECHNIQUE: &str = "T1204.001";
/// MITRE detection strategy the analytics come from.
pub const STRATEGY: &str = "DET0066";

/// One output record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    /// A detection.
    Alert(Box<Alert>),
    /// Later activity tied to an alert.
    FollowOn(FollowOn),
}

impl Record {
    /// The record as one NDJSON line (without the newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records always serialise")
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Always `"alert"`.
    #[serde(rename = "type")]
    pub record_type: &'static str,
    /// Stable id: a hash of host, link root, final path and write time.
    pub id: String,
    /// AN0178 (Windows), AN0179 (Linux), AN0180 (macOS).
    pub analytic: &'static str,
    /// Always [`TECHNIQUE`].
    pub technique: &'static str,
    /// Always [`STRATEGY`].
    pub strategy: &'static str,
    /// `chain`, or `quarantine_missing` for AN0180's QuarantinePolicy.
    pub finding: &'static str,
    /// The host.
    pub host: String,
    /// When the file landed (the alert's event time).
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// 0–100; see the README for how it is built.
    pub score: u8,
    /// `strong`, `medium` or `weak`; absent for a quarantine finding without a chain.
    pub strength: Option<&'static str>,
    /// Step 1.
    pub click: Option<ClickInfo>,
    /// Step 2.
    pub egress: Option<EgressInfo>,
    /// Step 3.
    pub write: WriteInfo,
    /// Images from the link root down to the writing process.
    pub lineage: Vec<String>,
    /// Every record a fact of this alert came from.
    #[serde(serialize_with = "ser_sources")]
    pub evidence: Vec<SourceRef>,
}

/// Step 1 of a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClickInfo {
    /// When the link was handled (or, inferred, the first untrusted egress).
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// The link, when observed.
    pub url: Option<String>,
    /// Observed (URL on a command line, or a URL-open record) or inferred.
    pub observed: bool,
}

/// Step 2 of a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EgressInfo {
    /// When.
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// Image of the connecting process.
    pub process: String,
    /// Destination address.
    pub ip: String,
    /// Destination port.
    pub port: u16,
    /// The destination's name, when known.
    pub domain: Option<String>,
    /// Where the name came from: `event`, `dns`, or `click_url` (inferred).
    pub domain_source: &'static str,
    /// eTLD+1 of the name.
    pub registrable_domain: Option<String>,
    /// Public suffix of the name.
    pub suffix: Option<String>,
    /// Domain risk score (0–100).
    pub risk: u8,
    /// Why the destination is untrusted.
    pub reasons: Vec<&'static str>,
}

/// Step 3 of a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteInfo {
    /// When the file got its final name.
    #[serde(serialize_with = "ser_time")]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowOn {
    /// Always `"follow_on"`.
    #[serde(rename = "type")]
    pub record_type: &'static str,
    /// The alert this belongs to.
    pub alert_id: String,
    /// The alert's analytic.
    pub analytic: &'static str,
    /// The host.
    pub host: String,
    /// When.
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// `executed`, `lolbin_with_file`, `lolbin_child` or `protection_removed`.
    pub kind: &'static str,
    /// Image of the process that did it.
    pub process: String,
    /// The alerted file.
    pub path: String,
    /// The records it came from.
    #[serde(serialize_with = "ser_sources")]
    pub evidence: Vec<SourceRef>,
}

/// Formats a time as RFC 3339 UTC with milliseconds.
pub fn fmt_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fmt_time(t))
}

struct Source<'a>(&'a SourceRef);

impl Serialize for Source<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("input", &*self.0.input)?;
        match self.0.pos {
            Position::Line(n) => m.serialize_entry("line", &n)?,
            Position::Record(n) => m.serialize_entry("record", &n)?,
            Position::Offset(n) => m.serialize_entry("offset", &n)?,
        }
        m.end()
    }
}

fn ser_sources<S: Serializer>(v: &[SourceRef], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(Source))
}

impl Alert {
    fn to_text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "ALERT {} {} {} host={} score={} strength={} id={}",
            fmt_time(&self.time),
            self.analytic,
            self.finding,
            self.host,
            self.score,
            self.strength.unwrap_or("-"),
            self.id
        );
        if let Some(c) = &self.click {
            let how = if c.observed { "observed" } else { "inferred" };
            let _ = writeln!(t, "  click   {} {how} {}", fmt_time(&c.time), c.url.as_deref().unwrap_or("-"));
        }
        if let Some(e) = &self.egress {
            let _ = writeln!(
                t,
                "  egress  {} {} -> {}:{} {} ({}; risk {}; {})",
                fmt_time(&e.time),
                e.process,
                e.ip,
                e.port,
                e.domain.as_deref().unwrap_or("-"),
                e.domain_source,
                e.risk,
                e.reasons.join(",")
            );
        }
        let w = &self.write;
        let _ = writeln!(t, "  write   {} {} -> {}", fmt_time(&w.time), w.process, w.path);
        let _ = writeln!(t, "  lineage {}", self.lineage.join(" > "));
        let ev: Vec<String> = self.evidence.iter().map(|s| s.to_string()).collect();
        let _ = writeln!(t, "  evidence {}", ev.join(", "));
        t
    }
}

impl FollowOn {
    fn to_text(&self) -> String {
        format!(
            "  FOLLOW-ON {} {} {} by {} (alert {})\n",
            fmt_time(&self.time),
            self.kind,
            self.path,
            self.process,
            self.alert_id
        )
    }
}
