//! One Windows event record, out of whichever envelope it came in (XML, a JSON shape, EVTX).
//!
//! Every envelope is reduced to the same few `System` values and the `EventData` fields as
//! strings, so that the mapping to [`crate::Event`] is written once.

use chrono::{DateTime, Utc};

/// Which log a record belongs to, from its provider or channel name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Sysmon for Windows (`Microsoft-Windows-Sysmon`).
    Sysmon,
    /// Sysmon for Linux (`Linux-Sysmon`): same schema, POSIX paths.
    LinuxSysmon,
    /// The Security log (`Microsoft-Windows-Security-Auditing`).
    Security,
    /// Anything else (Application, System, PowerShell …): not mapped.
    Other,
}

impl Provider {
    /// Classifies by provider name, then channel; with neither, by event id (a bare flattened
    /// record: 4688/4689 are Security, the rest Sysmon).
    pub fn classify(provider: Option<&str>, channel: Option<&str>, event_id: u32) -> Provider {
        for name in [provider, channel].into_iter().flatten() {
            if name.starts_with("Linux-Sysmon") {
                return Provider::LinuxSysmon;
            }
            if name.contains("Sysmon") {
                return Provider::Sysmon;
            }
            if name == "Security" || name == "Microsoft-Windows-Security-Auditing" {
                return Provider::Security;
            }
        }
        if provider.is_some_and(|p| !p.is_empty()) || channel.is_some_and(|c| !c.is_empty()) {
            return Provider::Other;
        }
        match event_id {
            4688 | 4689 => Provider::Security,
            _ => Provider::Sysmon,
        }
    }
}

/// A Windows event reduced to what the mapping needs.
#[derive(Debug, Clone, Default)]
pub struct WinRecord {
    /// Provider name (`System/Provider@Name`, `SourceName`, `winlog.provider_name`).
    pub provider: Option<String>,
    /// Channel (`System/Channel`, `Channel`, `winlog.channel`).
    pub channel: Option<String>,
    /// Event id.
    pub event_id: u32,
    /// The computer name (`System/Computer`, `Hostname`, `winlog.computer_name`).
    pub computer: Option<String>,
    /// When the record was written (`System/TimeCreated@SystemTime`, `TimeCreated`, `@timestamp`).
    pub time_created: Option<DateTime<Utc>>,
    /// `EventRecordID` when the envelope has one.
    pub record_id: Option<u64>,
    /// Whether the record has an `EventData` with any field (mapped or not).
    pub has_data: bool,
    /// The `EventData` fields the mapping reads ([`MAPPED_FIELDS`]), in source order, values
    /// as strings, named by their entry in [`MAPPED_FIELDS`] (no copy of the name). The rest
    /// (hashes, rendered `Message` texts of kilobytes) is not copied.
    pub data: Vec<(&'static str, String)>,
}

/// The `EventData` fields [`crate::winevent::map`] reads.
pub const MAPPED_FIELDS: &[&str] = &[
    "UtcTime",
    "ProcessGuid",
    "ParentProcessGuid",
    "Image",
    "CommandLine",
    "User",
    "Initiated",
    "DestinationIp",
    "DestinationPort",
    "QueryName",
    "QueryResults",
    "TargetFilename",
    "Contents",
    "NewProcessId",
    "NewProcessName",
    "ProcessId",
    "TargetUserName",
    "SubjectUserName",
];

/// Whether the mapping reads `EventData` field `name` (one of [`MAPPED_FIELDS`]).
pub fn is_mapped_field(name: &str) -> bool {
    // A `match` compiles to a switch on the length and a comparison or two: this runs for
    // every field of every record.
    matches!(
        name,
        "UtcTime"
            | "ProcessGuid"
            | "ParentProcessGuid"
            | "Image"
            | "CommandLine"
            | "User"
            | "Initiated"
            | "DestinationIp"
            | "DestinationPort"
            | "QueryName"
            | "QueryResults"
            | "TargetFilename"
            | "Contents"
            | "NewProcessId"
            | "NewProcessName"
            | "ProcessId"
            | "TargetUserName"
            | "SubjectUserName"
    )
}

/// The [`MAPPED_FIELDS`] entry equal to `name`, if any.
pub fn mapped_name(name: &str) -> Option<&'static str> {
    super::json::mapped_slot(name).map(|i| super::json::SORTED_FIELDS[i])
}

impl WinRecord {
    /// The value of `EventData` field `name` (exact, case-sensitive as Windows writes it).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// Like [`get`](Self::get), but `-`, empty and whitespace-only values count as absent.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty() && *v != "-")
    }

    /// Adds one `EventData` field, keeping it only when the mapping reads it.
    pub fn push_field(&mut self, name: &str, value: impl Into<String>) {
        self.has_data = true;
        if let Some(name) = mapped_name(name) {
            self.data.push((name, value.into()));
        }
    }

    /// Which log the record belongs to.
    pub fn provider_kind(&self) -> Provider {
        Provider::classify(self.provider.as_deref(), self.channel.as_deref(), self.event_id)
    }
}

/// Parses an event id written as a number or a decimal string.
pub fn parse_event_id(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}
