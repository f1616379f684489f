//! Reading ECS fields tolerantly: nested objects or dotted keys (`"process.pid": 1`), arrays
//! where a scalar is expected (the first element is taken) and the reverse, numbers as strings.

use serde_json::{Map, Value};

macro_rules! fields {
    ($($name:ident = $path:literal,)*) => {
        /// The fields the mapping reads, by dotted path.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub(super) enum Field {
            $($name,)*
        }

        impl Field {
            /// Every field, in declaration order (`ALL[f as usize] == f`).
            pub(super) const ALL: &'static [Field] = &[$(Field::$name,)*];

            /// The field's dotted path.
            pub(super) fn path(self) -> &'static str {
                match self {
                    $(Field::$name => $path,)*
                }
            }
        }
    };
}

fields! {
    Timestamp = "@timestamp",
    HostName = "host.name",
    HostHostname = "host.hostname",
    HostOsType = "host.os.type",
    HostOsPlatform = "host.os.platform",
    HostOsFamily = "host.os.family",
    EventCategory = "event.category",
    EventType = "event.type",
    EventAction = "event.action",
    ProcessEntityId = "process.entity_id",
    ProcessPid = "process.pid",
    ProcessExecutable = "process.executable",
    ProcessName = "process.name",
    ProcessArgs = "process.args",
    ProcessCommandLine = "process.command_line",
    ParentEntityId = "process.parent.entity_id",
    ParentPid = "process.parent.pid",
    UserName = "user.name",
    WinlogLogonId = "winlog.event_data.LogonId",
    WinlogLogon = "winlog.logon.id",
    ProcessAuthenticationId = "process.Ext.authentication_id",
    DnsQuestionName = "dns.question.name",
    DnsResolvedIp = "dns.resolved_ip",
    DnsAnswers = "dns.answers",
    NetworkDirection = "network.direction",
    DestinationIp = "destination.ip",
    DestinationPort = "destination.port",
    DestinationDomain = "destination.domain",
    FilePath = "file.path",
    FileOriginalPath = "file.Ext.original.path",
    FileZone = "file.Ext.windows.zone_identifier",
    FileOriginUrl = "file.origin_url",
    FileOriginReferrer = "file.origin_referrer_url",
    FileHash = "file.hash.sha256",
}

/// Read access to a document's fields, with the tolerances of this module: implemented by a
/// parsed `Map` (any document) and by the fast path's capture of the fields alone.
pub(super) trait Fields {
    /// A string field (numbers and booleans are written out); `None` when empty.
    fn string(&self, f: Field) -> Option<String>;
    /// [`Self::string`], lent to `g` (without a copy where the document's text can be lent).
    fn with_string<R>(&self, f: Field, g: impl FnOnce(&str) -> R) -> Option<R> {
        self.string(f).map(|s| g(&s))
    }
    /// An unsigned integer field (also from a numeric string).
    fn number(&self, f: Field) -> Option<u64>;
    /// A list of strings (a lone string counts as a list of one).
    fn strings(&self, f: Field) -> Vec<String>;
    /// Whether a keyword field (string or array of strings) holds `word` (ASCII case ignored).
    fn has(&self, f: Field, word: &str) -> bool;
    /// The string `data` of each object of an array field (`dns.answers`).
    fn answers(&self, f: Field) -> Vec<String>;
}

impl Fields for Map<String, Value> {
    fn string(&self, f: Field) -> Option<String> {
        string(self, f.path())
    }
    fn number(&self, f: Field) -> Option<u64> {
        number(self, f.path())
    }
    fn strings(&self, f: Field) -> Vec<String> {
        strings(self, f.path())
    }
    fn has(&self, f: Field, word: &str) -> bool {
        match get(self, f.path()) {
            Some(Value::Array(items)) => items.iter().any(|i| i.as_str().is_some_and(|s| s.eq_ignore_ascii_case(word))),
            Some(Value::String(s)) => s.eq_ignore_ascii_case(word),
            _ => false,
        }
    }
    fn answers(&self, f: Field) -> Vec<String> {
        match get(self, f.path()) {
            Some(Value::Array(list)) => {
                list.iter().filter_map(|a| a.get("data")?.as_str().map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The value at dotted `path`, looking up nested objects and dotted keys at every level.
pub(super) fn get<'a>(doc: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    let mut rest = path;
    while let Some(i) = rest.find('.') {
        let (head, tail) = (&path[..path.len() - rest.len() + i], &rest[i + 1..]);
        if let Some(Value::Object(inner)) = doc.get(head) {
            if let Some(v) = get(inner, tail) {
                return Some(v);
            }
        }
        rest = tail;
    }
    None
}

/// The first scalar of a value that may be an array.
fn scalar(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.iter().find(|i| !i.is_null()),
        Value::Null => None,
        other => Some(other),
    }
}

/// A string field (numbers and booleans are written out).
pub(super) fn string(doc: &Map<String, Value>, path: &str) -> Option<String> {
    match scalar(get(doc, path)?)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An unsigned integer field (also from a numeric string).
pub(super) fn number(doc: &Map<String, Value>, path: &str) -> Option<u64> {
    match scalar(get(doc, path)?)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A list of strings (a lone string counts as a list of one).
pub(super) fn strings(doc: &Map<String, Value>, path: &str) -> Vec<String> {
    match get(doc, path) {
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn nested_dotted_and_mixed() {
        let d = doc(
            json!({"process": {"pid": 7, "parent.pid": "8", "args": "ls"}, "host.name": ["a", "b"], "event": {"category": "process"}}),
        );
        assert_eq!(number(&d, "process.pid"), Some(7));
        assert_eq!(number(&d, "process.parent.pid"), Some(8));
        assert_eq!(string(&d, "host.name").as_deref(), Some("a"));
        assert_eq!(strings(&d, "process.args"), ["ls"]);
        assert!(Fields::has(&d, Field::EventCategory, "PROCESS"));
        assert_eq!(string(&d, "process.missing"), None);
    }
}
