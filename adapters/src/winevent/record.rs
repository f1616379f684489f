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

/// A provider or channel name: the common ones are not copied per record (see [`log_name`]).
pub type LogName = std::borrow::Cow<'static, str>;

/// The names nearly every record carries.
pub(super) const COMMON_LOG_NAMES: [&str; 6] = [
    "Microsoft-Windows-Sysmon/Operational",
    "Microsoft-Windows-Sysmon",
    "Security",
    "Microsoft-Windows-Security-Auditing",
    "Linux-Sysmon/Operational",
    "Linux-Sysmon",
];

/// `text` as a [`LogName`]: a common name borrowed, any other copied.
pub fn log_name(text: &str) -> LogName {
    match COMMON_LOG_NAMES.iter().find(|n| **n == text) {
        Some(n) => LogName::Borrowed(n),
        None => LogName::Owned(text.to_owned()),
    }
}

/// A Windows event reduced to what the mapping needs.
#[derive(Debug, Clone, Default)]
pub struct WinRecord {
    /// Provider name (`System/Provider@Name`, `SourceName`, `winlog.provider_name`).
    pub provider: Option<LogName>,
    /// Channel (`System/Channel`, `Channel`, `winlog.channel`).
    pub channel: Option<LogName>,
    /// Event id.
    pub event_id: u32,
    /// The computer name (`System/Computer`, `Hostname`, `winlog.computer_name`).
    pub computer: Option<String>,
    /// When the record was written (`System/TimeCreated@SystemTime`, `TimeCreated`, `@timestamp`).
    pub time_created: Option<DateTime<Utc>>,
    /// nxlog's `EventTime`: when the event happened, in the host's local time without a zone
    /// (read as UTC; the reader corrects it by the zone it estimates).
    pub local_time: Option<DateTime<Utc>>,
    /// `EventRecordID` when the envelope has one.
    pub record_id: Option<u64>,
    /// Whether the record has an `EventData` with any field (mapped or not).
    pub has_data: bool,
    /// The `EventData` fields the mapping reads ([`MAPPED_FIELDS`]), in source order, values
    /// as strings. The rest (hashes, rendered `Message` texts of kilobytes) is not copied.
    pub data: Fields,
}

/// `EventData` fields (only those in [`MAPPED_FIELDS`]), their values in one buffer: two
/// allocations a record instead of two a field, and a lookup by name is one `match` and an
/// index, not a scan comparing names (allocation and lookups were a sixth of the readers).
#[derive(Clone, Default)]
pub struct Fields {
    text: String,
    /// Place in [`SORTED_FIELDS`], and where the value is in `text`, in the order added.
    spans: Vec<(u8, u32, u32)>,
    /// Per place in [`SORTED_FIELDS`]: 1 + the index in `spans` of its first field (0: none;
    /// [`FAR`]: past what fits, searched for).
    first: [u16; SORTED_FIELDS.len()],
}

/// A `first` entry for a field whose index does not fit (a record of 65,535 mapped fields).
const FAR: u16 = u16::MAX;

impl Fields {
    /// Room for `fields` fields of `bytes` bytes in all.
    pub fn with_capacity(fields: usize, bytes: usize) -> Self {
        Fields { text: String::with_capacity(bytes), spans: Vec::with_capacity(fields), ..Fields::default() }
    }

    /// Adds a field (after any of the same name, which [`get`](Self::get) finds first); a name
    /// the mapping does not read is not kept.
    pub fn push(&mut self, name: &str, value: &str) {
        if let Some(slot) = mapped_slot(name) {
            self.push_slot(slot, value);
        }
    }

    /// Adds the field at `slot` of [`SORTED_FIELDS`] (a slot past it is not kept).
    #[inline]
    pub(super) fn push_slot(&mut self, slot: usize, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.close(slot, start);
    }

    /// Adds the field at `slot` whose value is what `write` appends to the buffer; nothing when
    /// it fails.
    #[inline]
    pub(super) fn push_slot_with(&mut self, slot: usize, write: impl FnOnce(&mut String) -> Option<()>) -> Option<()> {
        let start = self.text.len();
        if write(&mut self.text).is_none() {
            self.text.truncate(start);
            return None;
        }
        self.close(slot, start);
        Some(())
    }

    fn close(&mut self, slot: usize, start: usize) {
        let (Some(first), Ok(tag)) = (self.first.get_mut(slot), u8::try_from(slot)) else {
            self.text.truncate(start);
            return;
        };
        if *first == 0 {
            *first = u16::try_from(self.spans.len() + 1).unwrap_or(FAR);
        }
        // A record is far below 4 GiB (a line or an EVTX record is capped well below that).
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.spans.push((tag, at(start), at(self.text.len())));
    }

    fn value(&self, &(_, start, end): &(u8, u32, u32)) -> &str {
        self.text.get(start as usize..end as usize).unwrap_or_default()
    }

    /// The value of the first field named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let slot = mapped_slot(name)?;
        let span = match *self.first.get(slot)? {
            0 => return None,
            FAR => self.spans.iter().find(|s| usize::from(s.0) == slot)?,
            i => self.spans.get(usize::from(i) - 1)?,
        };
        Some(self.value(span))
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.spans.iter().map(|s| (SORTED_FIELDS[usize::from(s.0)], self.value(s)))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Puts the fields in (name, value) order (for comparisons).
    pub fn sort(&mut self) {
        let mut spans = std::mem::take(&mut self.spans);
        spans.sort_by(|a, b| {
            (SORTED_FIELDS[usize::from(a.0)], self.value(a)).cmp(&(SORTED_FIELDS[usize::from(b.0)], self.value(b)))
        });
        let text = std::mem::take(&mut self.text);
        let mut sorted = Fields { text: String::with_capacity(text.len()), ..Fields::default() };
        for (slot, start, end) in spans {
            sorted.push_slot(usize::from(slot), text.get(start as usize..end as usize).unwrap_or_default());
        }
        *self = sorted;
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a, S: AsRef<str>> FromIterator<(&'a str, S)> for Fields {
    fn from_iter<I: IntoIterator<Item = (&'a str, S)>>(items: I) -> Self {
        let mut fields = Fields::default();
        for (k, v) in items {
            fields.push(k, v.as_ref());
        }
        fields
    }
}

/// The `EventData` fields [`crate::winevent::map`] reads.
pub const MAPPED_FIELDS: &[&str] = &[
    "UtcTime",
    "ProcessGuid",
    "ParentProcessGuid",
    "ParentProcessId",
    "ParentImage",
    "ParentProcessName",
    "Image",
    "CommandLine",
    "User",
    "Initiated",
    "LogonId",
    "DestinationIp",
    "DestinationPort",
    "QueryName",
    "QueryResults",
    "TargetFilename",
    "Contents",
    "Hash",
    "NewProcessId",
    "NewProcessName",
    "ProcessId",
    "TargetUserName",
    "SubjectUserName",
    "TargetLogonId",
    "SubjectLogonId",
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
            | "ParentProcessId"
            | "ParentImage"
            | "ParentProcessName"
            | "Image"
            | "CommandLine"
            | "User"
            | "Initiated"
            | "LogonId"
            | "DestinationIp"
            | "DestinationPort"
            | "QueryName"
            | "QueryResults"
            | "TargetFilename"
            | "Contents"
            | "Hash"
            | "NewProcessId"
            | "NewProcessName"
            | "ProcessId"
            | "TargetUserName"
            | "SubjectUserName"
            | "TargetLogonId"
            | "SubjectLogonId"
    )
}

/// The [`MAPPED_FIELDS`] entry equal to `name`, if any.
pub fn mapped_name(name: &str) -> Option<&'static str> {
    mapped_slot(name).map(|i| SORTED_FIELDS[i])
}

impl WinRecord {
    /// The value of `EventData` field `name` (exact, case-sensitive as Windows writes it).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data.get(name)
    }

    /// Like [`get`](Self::get), but `-`, empty and whitespace-only values count as absent.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(trim).filter(|v| !v.is_empty() && *v != "-")
    }

    /// Adds one `EventData` field, keeping it only when the mapping reads it.
    pub fn push_field(&mut self, name: &str, value: &str) {
        self.has_data = true;
        self.data.push(name, value);
    }

    /// Which log the record belongs to.
    pub fn provider_kind(&self) -> Provider {
        Provider::classify(self.provider.as_deref(), self.channel.as_deref(), self.event_id)
    }
}

/// `str::trim`, with the common case (no white space at either end: ASCII that is not) first:
/// it runs for every field the mapping reads.
pub fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Parses an event id written as a number or a decimal string.
pub fn parse_event_id(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

/// [`MAPPED_FIELDS`] in byte order (a unit test checks that).
pub(crate) const SORTED_FIELDS: [&str; 25] = [
    "CommandLine",
    "Contents",
    "DestinationIp",
    "DestinationPort",
    "Hash",
    "Image",
    "Initiated",
    "LogonId",
    "NewProcessId",
    "NewProcessName",
    "ParentImage",
    "ParentProcessGuid",
    "ParentProcessId",
    "ParentProcessName",
    "ProcessGuid",
    "ProcessId",
    "QueryName",
    "QueryResults",
    "SubjectLogonId",
    "SubjectUserName",
    "TargetFilename",
    "TargetLogonId",
    "TargetUserName",
    "User",
    "UtcTime",
];

/// The place of a mapped field in [`SORTED_FIELDS`].
pub(crate) fn mapped_slot(name: &str) -> Option<usize> {
    Some(match name {
        "CommandLine" => 0,
        "Contents" => 1,
        "DestinationIp" => 2,
        "DestinationPort" => 3,
        "Hash" => 4,
        "Image" => 5,
        "Initiated" => 6,
        "LogonId" => 7,
        "NewProcessId" => 8,
        "NewProcessName" => 9,
        "ParentImage" => 10,
        "ParentProcessGuid" => 11,
        "ParentProcessId" => 12,
        "ParentProcessName" => 13,
        "ProcessGuid" => 14,
        "ProcessId" => 15,
        "QueryName" => 16,
        "QueryResults" => 17,
        "SubjectLogonId" => 18,
        "SubjectUserName" => 19,
        "TargetFilename" => 20,
        "TargetLogonId" => 21,
        "TargetUserName" => 22,
        "User" => 23,
        "UtcTime" => 24,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_log_names_are_borrowed_others_copied() {
        assert!(matches!(log_name("Security"), LogName::Borrowed("Security")));
        assert!(matches!(log_name("Microsoft-Windows-Sysmon/Operational"), LogName::Borrowed(_)));
        assert!(matches!(log_name("security"), LogName::Owned(s) if s == "security"));
    }

    #[test]
    fn trim_equals_str_trim() {
        for text in ["", " ", "a", " a", "a ", "\u{a0}a", "a\u{3000}", "ab", "\tab\n", "é", "-", "a b"] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    /// The first of a repeated name is found, a failed write leaves nothing behind, and
    /// sorting and comparing go by (name, value) whatever the buffer's layout.
    #[test]
    fn fields_keep_order_first_match_and_roll_back_failed_writes() {
        let mut f = Fields::default();
        f.push("Image", "b.exe");
        f.push("User", "u");
        f.push("Image", "a.exe");
        let slot = |name| mapped_slot(name).unwrap();
        f.push("Hashes", "not kept");
        assert_eq!(
            f.push_slot_with(slot("CommandLine"), |out| {
                out.push_str("half");
                None
            }),
            None
        );
        f.push_slot_with(slot("ProcessId"), |out| {
            out.push_str("42");
            Some(())
        });
        assert_eq!(f.get("Image"), Some("b.exe"));
        assert_eq!(f.get("CommandLine"), None);
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            [("Image", "b.exe"), ("User", "u"), ("Image", "a.exe"), ("ProcessId", "42")]
        );
        let mut other: Fields =
            [("ProcessId", "42"), ("User", "u"), ("Image", "a.exe"), ("Image", "b.exe")].into_iter().collect();
        assert_ne!(f, other);
        f.sort();
        other.sort();
        assert_eq!(f, other);
        assert_eq!(format!("{f:?}"), r#"[("Image", "a.exe"), ("Image", "b.exe"), ("ProcessId", "42"), ("User", "u")]"#);
        assert_eq!((f.len(), Fields::default().is_empty()), (4, true));
    }

    /// A first field past what the index holds is still found (by a search).
    #[test]
    fn fields_find_a_first_field_past_the_index() {
        let mut f = Fields::default();
        for _ in 0..70_000 {
            f.push("User", "u");
        }
        f.push("Image", "x.exe");
        assert_eq!((f.get("Image"), f.get("User"), f.get("CommandLine")), (Some("x.exe"), Some("u"), None));
    }

    #[test]
    fn sorted_fields_are_the_mapped_fields_in_order() {
        let mut mapped = MAPPED_FIELDS.to_vec();
        mapped.sort_unstable();
        assert_eq!(SORTED_FIELDS.to_vec(), mapped);
        for (i, f) in SORTED_FIELDS.iter().enumerate() {
            assert_eq!(mapped_slot(f), Some(i));
            assert!(is_mapped_field(f));
        }
        assert_eq!(mapped_slot("Hashes"), None);
        assert!(!is_mapped_field("Hashes"));
    }
}
