//! The native schema's wire form: one flat JSON object per event, tagged by `kind`.
//!
//! Parsing borrows from the line where it can, then checks per kind which fields are required,
//! so a missing field is reported by name rather than as a generic JSON error.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use chrono::{TimeZone, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::time::parse_time;
use crate::error::RecordError;
use crate::event::{AttrChange, Event, EventKind, FileOp, Origin, Os, ProcKey, SourceRef};

/// A JSON string, borrowed from the line unless it had escapes to undo (Windows paths do).
///
/// serde's own `Cow<str>` always allocates; this visitor takes the borrowed case.
#[derive(Default)]
pub(crate) struct Str<'a>(pub(super) Cow<'a, str>);

impl<'a> Str<'a> {
    fn into_owned(self) -> String {
        self.0.into_owned()
    }
    fn borrowed(s: &'a str) -> Str<'a> {
        Str(Cow::Borrowed(s))
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Deserialize, Serialize, Default)]
pub(crate) struct Wire<'a> {
    #[serde(borrow)]
    pub(super) time: Option<WireTime<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) host: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) os: Option<Os>,
    #[serde(borrow)]
    pub(super) kind: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) proc: Option<WireProc<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) parent: Option<WireProc<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) image: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) command_line: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) user: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) session: Option<u64>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) url: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) query: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) answers: Option<Vec<Str<'a>>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) dst_ip: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) dst_port: Option<u16>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) domain: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) path: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) op: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(super) from: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) attr: Option<AttrChange>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) fork: bool,
}

/// Event time: an RFC 3339 string, or integer milliseconds since the Unix epoch.
pub(crate) enum WireTime<'a> {
    Text(Str<'a>),
    Millis(i64),
}

impl Serialize for WireTime<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            WireTime::Text(t) => s.serialize_str(t),
            WireTime::Millis(m) => s.serialize_i64(*m),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireTime<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireTime<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp or epoch milliseconds")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(WireTime::Text(Str::borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(WireTime::Text(Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(WireTime::Millis(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v).map(WireTime::Millis).map_err(|_| E::custom("timestamp out of range"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A process reference: a unique id string, a bare pid number, or `{"id": ..., "pid": ...}`.
pub(crate) enum WireProc<'a> {
    Id(Str<'a>),
    Pid(u32),
    IdAndPid(Str<'a>, u32),
}

impl Serialize for WireProc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            WireProc::Id(t) => s.serialize_str(t),
            WireProc::Pid(p) => s.serialize_u32(*p),
            WireProc::IdAndPid(t, p) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("id", &**t)?;
                m.serialize_entry("pid", p)?;
                m.end()
            }
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireProc<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireProc<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a process id string, a pid number, or {\"id\", \"pid\"}")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(WireProc::Id(Str::borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(WireProc::Id(Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u32::try_from(v).map(WireProc::Pid).map_err(|_| E::custom("pid out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u32::try_from(v).map(WireProc::Pid).map_err(|_| E::custom("pid out of range"))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut id, mut pid): (Option<Str<'de>>, Option<u32>) = (None, None);
                while let Some(k) = map.next_key::<Str<'de>>()? {
                    match &*k {
                        "id" => id = Some(map.next_value()?),
                        "pid" => pid = Some(map.next_value()?),
                        other => return Err(de::Error::unknown_field(other, &["id", "pid"])),
                    }
                }
                match (id, pid) {
                    (Some(i), Some(p)) => Ok(WireProc::IdAndPid(i, p)),
                    (Some(i), None) => Ok(WireProc::Id(i)),
                    (None, Some(p)) => Ok(WireProc::Pid(p)),
                    (None, None) => Err(de::Error::custom("a process needs `id` or `pid`")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl WireProc<'_> {
    fn into_key(self) -> ProcKey {
        match self {
            WireProc::Id(s) => ProcKey::Id(s.into_owned()),
            WireProc::Pid(p) => ProcKey::Pid(p),
            WireProc::IdAndPid(s, p) => ProcKey::IdAndPid(s.into_owned(), p),
        }
    }
    fn from_key(k: &ProcKey) -> WireProc<'_> {
        match k {
            ProcKey::Id(s) => WireProc::Id(Str::borrowed(s)),
            ProcKey::Pid(p) => WireProc::Pid(*p),
            ProcKey::IdAndPid(s, p) => WireProc::IdAndPid(Str::borrowed(s), *p),
        }
    }
}

fn required<T>(v: Option<T>, kind: &'static str, field: &'static str) -> Result<T, RecordError> {
    v.ok_or(RecordError::MissingField { kind, field })
}

fn parse_ip(text: &str, field: &'static str) -> Result<IpAddr, RecordError> {
    text.trim().parse().map_err(|_| RecordError::BadValue { field, message: format!("`{text}` is not an IP address") })
}

fn b(s: &str) -> Option<Str<'_>> {
    Some(Str::borrowed(s))
}

fn owned(s: Option<Str<'_>>) -> Option<String> {
    s.map(Str::into_owned)
}

impl Wire<'_> {
    /// Checks the fields the `kind` needs and builds the event.
    pub(crate) fn into_event(self, default_host: &str, source: SourceRef) -> Result<Event, RecordError> {
        let time = match self.time.ok_or(RecordError::MissingField { kind: "event", field: "time" })? {
            WireTime::Text(t) => parse_time(&t).ok_or_else(|| RecordError::BadTimestamp(t.into_owned()))?,
            WireTime::Millis(m) => {
                Utc.timestamp_millis_opt(m).single().ok_or_else(|| RecordError::BadTimestamp(m.to_string()))?
            }
        };
        let kind_tag = self.kind.ok_or(RecordError::MissingField { kind: "event", field: "kind" })?;
        let kind = match kind_tag.as_ref() {
            "process_start" => EventKind::ProcessStart {
                proc: required(self.proc, "process_start", "proc")?.into_key(),
                parent: self.parent.map(WireProc::into_key),
                image: required(self.image, "process_start", "image")?.into_owned(),
                command_line: owned(self.command_line),
                user: owned(self.user),
                session: self.session.and_then(crate::known_session),
                forked: self.fork,
                built: false,
            },
            "process_end" => EventKind::ProcessEnd { proc: required(self.proc, "process_end", "proc")?.into_key() },
            "url_open" => EventKind::UrlOpen {
                proc: required(self.proc, "url_open", "proc")?.into_key(),
                url: required(self.url, "url_open", "url")?.into_owned(),
            },
            "dns_answer" => EventKind::DnsAnswer {
                proc: self.proc.map(WireProc::into_key),
                query: required(self.query, "dns_answer", "query")?.into_owned(),
                answers: required(self.answers, "dns_answer", "answers")?
                    .iter()
                    .map(|a| parse_ip(a, "answers"))
                    .collect::<Result<_, _>>()?,
            },
            "connect" => EventKind::Connect {
                proc: required(self.proc, "connect", "proc")?.into_key(),
                dst_ip: parse_ip(&required(self.dst_ip, "connect", "dst_ip")?, "dst_ip")?,
                dst_port: required(self.dst_port, "connect", "dst_port")?,
                domain: owned(self.domain).filter(|d| !d.is_empty()),
            },
            "file_write" => {
                let op = match self.op.as_deref() {
                    None | Some("create") => FileOp::Create,
                    Some("modify") => FileOp::Modify,
                    Some("rename") => FileOp::Rename { from: required(self.from, "file_write", "from")?.into_owned() },
                    Some(other) => {
                        return Err(RecordError::BadValue {
                            field: "op",
                            message: format!("`{other}` is not one of create, rename, modify"),
                        })
                    }
                };
                EventKind::FileWrite {
                    proc: required(self.proc, "file_write", "proc")?.into_key(),
                    path: required(self.path, "file_write", "path")?.into_owned(),
                    op,
                    origin: self.origin.map(Box::new),
                }
            }
            "file_attr" => EventKind::FileAttr {
                proc: required(self.proc, "file_attr", "proc")?.into_key(),
                path: required(self.path, "file_attr", "path")?.into_owned(),
                attr: required(self.attr, "file_attr", "attr")?,
            },
            other => return Err(RecordError::UnknownKind(truncate(other, 64))),
        };
        let host = match self.host {
            Some(h) if !h.is_empty() => h.into_owned(),
            _ => default_host.to_owned(),
        };
        Ok(Event { time, host, os: self.os, source, kind })
    }

    /// The wire form of an event (for serialisation).
    pub(crate) fn from_event(e: &Event) -> Wire<'_> {
        let mut w = Wire {
            time: Some(WireTime::Text(Str(Cow::Owned(e.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))))),
            host: (!e.host.is_empty()).then_some(Str::borrowed(e.host.as_str())),
            os: e.os,
            kind: Some(Str::borrowed(e.kind.tag())),
            ..Wire::default()
        };
        match &e.kind {
            EventKind::ProcessStart { proc, parent, image, command_line, user, session, forked, built: _ } => {
                w.session = *session;
                w.fork = *forked;
                w.proc = Some(WireProc::from_key(proc));
                w.parent = parent.as_ref().map(WireProc::from_key);
                w.image = b(image);
                w.command_line = command_line.as_deref().and_then(b);
                w.user = user.as_deref().and_then(b);
            }
            EventKind::ProcessEnd { proc } => w.proc = Some(WireProc::from_key(proc)),
            EventKind::UrlOpen { proc, url } => {
                w.proc = Some(WireProc::from_key(proc));
                w.url = b(url);
            }
            EventKind::DnsAnswer { proc, query, answers } => {
                w.proc = proc.as_ref().map(WireProc::from_key);
                w.query = b(query);
                w.answers = Some(answers.iter().map(|a| Str(Cow::Owned(a.to_string()))).collect());
            }
            EventKind::Connect { proc, dst_ip, dst_port, domain } => {
                w.proc = Some(WireProc::from_key(proc));
                w.dst_ip = Some(Str(Cow::Owned(dst_ip.to_string())));
                w.dst_port = Some(*dst_port);
                w.domain = domain.as_deref().and_then(b);
            }
            EventKind::FileWrite { proc, path, op, origin } => {
                w.proc = Some(WireProc::from_key(proc));
                w.path = b(path);
                w.op = Some(Str::borrowed(match op {
                    FileOp::Create => "create",
                    FileOp::Modify => "modify",
                    FileOp::Rename { .. } => "rename",
                }));
                if let FileOp::Rename { from } = op {
                    w.from = b(from);
                }
                w.origin = origin.as_deref().cloned();
            }
            EventKind::FileAttr { proc, path, attr } => {
                w.proc = Some(WireProc::from_key(proc));
                w.path = b(path);
                w.attr = Some(*attr);
            }
        }
        w
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let line = r#"{"time":"2024-05-14T09:00:00Z","kind":"file_write","proc":"p","path":"/home/u/Downloads/x.sh","host":"C:\\h"}"#;
        let w: Wire = serde_json::from_str(line).unwrap();
        assert!(matches!(w.kind.as_ref().map(|k| &k.0), Some(Cow::Borrowed("file_write"))));
        assert!(matches!(w.path.as_ref().map(|k| &k.0), Some(Cow::Borrowed(_))));
        assert!(matches!(w.time, Some(WireTime::Text(Str(Cow::Borrowed(_))))));
        // An escaped string has to be unescaped into an owned copy.
        assert!(matches!(w.host.as_ref().map(|k| &k.0), Some(Cow::Owned(h)) if h == "C:\\h"));
    }
}
