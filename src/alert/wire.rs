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

/// Evidence as `[{"input": "<name>", "line" | "record" | "offset": n}, ...]`.
pub(super) mod sources {
    use super::*;

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

    /// One evidence entry as read: exactly one of the positions must be present.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct SourceFields {
        input: String,
        line: Option<u64>,
        record: Option<u64>,
        offset: Option<u64>,
    }

    impl SourceFields {
        fn into_source(self) -> Result<SourceRef, String> {
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
