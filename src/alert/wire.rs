//! The JSON forms of times and evidence in records, written and read back.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use clickchain_adapters::{Position, SourceRef};
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Formats a time as RFC 3339 UTC with milliseconds.
pub fn fmt_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Times as RFC 3339 UTC with milliseconds (`2024-05-14T09:10:12.000Z`); any RFC 3339 offset
/// is read back. Finer precision is not written: engine times are whole milliseconds.
pub(super) mod time {
    use super::*;

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fmt_time(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| D::Error::custom(format!("time `{text}`: {e}")))
    }
}

/// Optional times: as [`time`], or `null`.
pub(super) mod opt_time {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&fmt_time(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let Some(text) = Option::<std::borrow::Cow<'de, str>>::deserialize(d)? else { return Ok(None) };
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| D::Error::custom(format!("time `{text}`: {e}")))
    }
}

/// A [`super::RoleEvidence`] on the wire: its role and the fields of one evidence entry.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleEvidenceWire {
    role: super::EvidenceRole,
    input: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
}

impl From<super::RoleEvidence> for RoleEvidenceWire {
    fn from(e: super::RoleEvidence) -> Self {
        let (mut line, mut record, mut offset) = (None, None, None);
        match e.source.pos {
            Position::Line(n) => line = Some(n),
            Position::Record(n) => record = Some(n),
            Position::Offset(n) => offset = Some(n),
        }
        RoleEvidenceWire { role: e.role, input: e.source.input.to_string(), line, record, offset }
    }
}

impl TryFrom<RoleEvidenceWire> for super::RoleEvidence {
    type Error = String;

    fn try_from(w: RoleEvidenceWire) -> Result<Self, String> {
        let source =
            sources::SourceFields { input: w.input, line: w.line, record: w.record, offset: w.offset }.into_source()?;
        Ok(super::RoleEvidence { role: w.role, source })
    }
}

/// Evidence as `[{"input": "<name>", "line" | "record" | "offset": n}, ...]`.
pub(super) mod sources {
    use super::*;

    pub(super) struct Source<'a>(pub(super) &'a SourceRef);

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

    /// One evidence entry as read: exactly one of the positions must be present.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(in super::super) struct SourceFields {
        pub input: String,
        pub line: Option<u64>,
        pub record: Option<u64>,
        pub offset: Option<u64>,
    }

    impl SourceFields {
        pub(in super::super) fn into_source(self) -> Result<SourceRef, String> {
            let pos = match (self.line, self.record, self.offset) {
                (Some(n), None, None) => Position::Line(n),
                (None, Some(n), None) => Position::Record(n),
                (None, None, Some(n)) => Position::Offset(n),
                _ => return Err(format!("evidence from `{}`: expected one of line, record, offset", self.input)),
            };
            Ok(SourceRef { input: Arc::from(self.input), pos })
        }
    }

    pub fn serialize<S: Serializer>(v: &[SourceRef], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(Source))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SourceRef>, D::Error> {
        Vec::<SourceFields>::deserialize(d)?.into_iter().map(|f| f.into_source().map_err(D::Error::custom)).collect()
    }
}

/// One optional evidence entry: `{"input": NAME, "line" | "record" | "offset": N}`, or `null`.
pub(super) mod opt_source {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<SourceRef>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(src) => s.serialize_some(&sources::Source(src)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SourceRef>, D::Error> {
        Option::<sources::SourceFields>::deserialize(d)?.map(|f| f.into_source().map_err(D::Error::custom)).transpose()
    }
}
