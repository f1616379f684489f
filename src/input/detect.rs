//! Telling an input's format from its first bytes.

use std::io::BufRead;

use clickchain_adapters::auditd;

use super::{InputError, InputFormat};

/// Sniffs the first bytes. An empty input is native (it has no records either way).
///
/// EVTX by its magic; a Zeek DNS log (a JSON line with `id.orig_h` and `query`, or `#separator`
/// and `#path\tdns`); JSON: eslogger by its keys, Windows shapes by their keys (`EventID`,
/// `Event`, `winlog`, an embedded `<Event>`), ECS by `@timestamp` or `_source`, native when the
/// first line is an object without those keys, else a Windows shape (decided per record); XML by
/// a leading `<` or an `<Event` on the first line (syslog); auditd by `type=`/`node=`.
pub fn detect<R: BufRead>(reader: &mut R, name: &str) -> Result<InputFormat, InputError> {
    let head = reader.fill_buf().map_err(|error| InputError::Io { path: name.to_owned(), error })?;
    if head.starts_with(b"ElfFile") {
        return Ok(InputFormat::Evtx);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let text = &text[start..];
    let first_line = &text[..memchr_newline(text)];
    let windows_keys = || {
        let head = &text[..text.len().min(8192)];
        [&b"\"EventID\""[..], b"\"EventId\"", b"\"winlog\"", b"\"EventData\"", b"<Event"]
            .iter()
            .any(|k| contains(head, k))
    };
    match text.first() {
        _ if clickchain_adapters::zeek::sniff(text) => Ok(InputFormat::ZeekDns),
        None => Ok(InputFormat::Native),
        Some(b'{') if looks_like_eslogger(first_line) => Ok(InputFormat::Eslogger),
        Some(b'{' | b'[') if !windows_keys() && looks_like_ecs(text) => Ok(InputFormat::Ecs),
        Some(b'{') if is_native_line(first_line) => Ok(InputFormat::Native),
        Some(b'{' | b'[') => Ok(InputFormat::WinJson),
        Some(b'<') => Ok(InputFormat::Xml),
        Some(_) if contains(first_line, b"<Event") => Ok(InputFormat::Xml),
        Some(_) if auditd::sniff(text) => Ok(InputFormat::Auditd),
        Some(_) => Err(InputError::UnknownFormat { path: name.to_owned(), head: describe_head(text) }),
    }
}

/// The first bytes for a message: as text when they are text, else in hex.
fn describe_head(text: &[u8]) -> String {
    let head = &text[..text.len().min(32)];
    match std::str::from_utf8(head) {
        Ok(t) if !t.chars().any(|c| c.is_control() && !c.is_whitespace()) => format!("{t:?}"),
        _ => {
            let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("binary: {} …", hex.join(" "))
        }
    }
}

/// An Endpoint Security message: top-level `event_type` and `process`, with eslogger's
/// `schema_version` or `mach_time`.
fn looks_like_eslogger(line: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(line) else {
        return false;
    };
    map.contains_key("event_type")
        && map.contains_key("process")
        && (map.contains_key("schema_version") || map.contains_key("mach_time"))
}

/// ECS documents or search hits: `@timestamp` or `_source` near the start (native records have
/// `time`, never `@timestamp`).
fn looks_like_ecs(text: &[u8]) -> bool {
    let head = &text[..text.len().min(8192)];
    contains(head, b"\"@timestamp\"") || contains(head, b"\"_source\"")
}

fn memchr_newline(text: &[u8]) -> usize {
    text.iter().position(|b| *b == b'\n').unwrap_or(text.len())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A whole JSON object with none of the Windows shapes' keys (`EventID`, `Event`, `winlog`, an
/// embedded `<Event>`).
fn is_native_line(line: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
        Ok(obj) => {
            !["EventID", "EventId", "Event", "winlog"].iter().any(|k| obj.contains_key(*k))
                && !obj.values().any(|v| v.as_str().is_some_and(|s| s.trim_start().starts_with("<Event")))
        }
        // A native file's first line that is not JSON is still native (and rejected as such).
        Err(e) => !e.is_eof() && !contains(line, b"\"EventID\"") && !contains(line, b"\"Event\""),
    }
}
