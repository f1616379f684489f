//! Elastic Common Schema documents (Elastic Defend, Auditbeat, Winlogbeat with ECS) from any OS:
//! NDJSON, pretty-printed documents, search responses (`_source`, `hits.hits`, EQL's
//! `hits.events` and `hits.sequences`) and arrays.
//!
//! Each document yields at most one event (process start/end, network connection, DNS answer,
//! file creation/rename/change); others are skipped. `host.os.type` chooses the analytic.
//! A process with both `entity_id` and `pid` is keyed by both ([`crate::ProcKey::IdAndPid`]),
//! so that ECS network data joins a pid-only source such as eslogger on (host, pid, time).
//!
//! ```
//! use clickchain_adapters::ecs::EcsReader;
//! use clickchain_adapters::EventKind;
//! let doc = r#"{"@timestamp":"2024-05-14T09:12:38.902Z","event":{"category":["network"],"type":["connection","start"]},
//!   "host":{"name":"WS-042","os":{"type":"windows"}},"process":{"entity_id":"3f1c","pid":8120},
//!   "destination":{"ip":"203.0.113.77","port":443,"domain":"files.example.org"}}"#;
//! let event = EcsReader::new("ecs.ndjson", doc.as_bytes()).next().unwrap().unwrap();
//! assert!(matches!(event.kind, EventKind::Connect { dst_port: 443, .. }));
//! assert_eq!(event.host, "WS-042");
//! ```

mod fast;
mod fields;
mod map;

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{ReadError, RecordError};
use crate::event::{Event, Position, SourceRef};
use crate::jsondocs::{Doc, JsonDocs};
use crate::native::DEFAULT_MAX_LINE;
use crate::parallel::{event_lines, ParallelLines};

/// Reads ECS documents, yielding a `Result` per document that matters.
pub struct EcsReader<R> {
    input: Arc<str>,
    docs: JsonDocs<R>,
    default_host: String,
    queue: VecDeque<Result<Event, ReadError>>,
    failed: bool,
}

impl<R: BufRead> EcsReader<R> {
    /// A reader over `reader`, naming it `input` in source references and errors.
    pub fn new(input: impl Into<Arc<str>>, reader: R) -> Self {
        EcsReader {
            input: input.into(),
            docs: JsonDocs::new(reader, DEFAULT_MAX_LINE),
            default_host: String::new(),
            queue: VecDeque::new(),
            failed: false,
        }
    }

    /// The host given to documents without `host.name`.
    pub fn default_host(mut self, host: impl Into<String>) -> Self {
        self.default_host = host.into();
        self
    }
}

/// Where mapped results go: the reader's queue, or a parallel block's items.
trait Out: Extend<Result<Event, ReadError>> {
    fn put(&mut self, r: Result<Event, ReadError>) {
        self.extend(Some(r));
    }
}

impl<T: Extend<Result<Event, ReadError>>> Out for T {}

/// Maps one parsed value: a document, a search hit, a search response, or an array of them.
fn value(input: &Arc<str>, default_host: &str, out: &mut impl Out, line: u64, value: Value, depth: u8) {
    match value {
        Value::Array(items) if depth < 4 => {
            items.into_iter().for_each(|v| self::value(input, default_host, out, line, v, depth + 1))
        }
        Value::Object(mut doc) => {
            if let Some(Value::Object(source)) = doc.remove("_source") {
                return emit(input, default_host, out, line, &source);
            }
            // Search responses: `hits.hits` (search API), `hits.events` and
            // `hits.sequences[].events` (EQL API).
            if let Some(Value::Object(mut hits)) = doc.remove("hits") {
                for list in ["hits", "events", "sequences"] {
                    if let Some(v @ Value::Array(_)) = hits.remove(list) {
                        self::value(input, default_host, out, line, v, depth + 1);
                    }
                }
                return;
            }
            if let Some(events @ Value::Array(_)) = doc.remove("events").filter(|_| depth > 0) {
                return self::value(input, default_host, out, line, events, depth + 1);
            }
            emit(input, default_host, out, line, &doc);
        }
        other => {
            let error =
                RecordError::BadValue { field: "document", message: format!("expected an object, got {other}") };
            let at = SourceRef { input: Arc::clone(input), pos: Position::Line(line) };
            out.put(Err(ReadError::Record { at, error }));
        }
    }
}

/// Maps one document's fields and queues the result.
fn emit(input: &Arc<str>, default_host: &str, out: &mut impl Out, line: u64, doc: &impl fields::Fields) {
    let at = SourceRef { input: Arc::clone(input), pos: Position::Line(line) };
    match map::to_event(doc, default_host, at.clone()) {
        Ok(Some(e)) => {
            if let Some(start) = map::built_start(doc, &e) {
                out.put(Ok(start));
            }
            out.put(Ok(e))
        }
        Ok(None) => {}
        Err(error) => out.put(Err(ReadError::Record { at, error })),
    }
}

/// The fast path for one document's text: maps it and returns true when it is a plain document
/// that parses; false leaves it to the `Value` path (which reports any error).
fn fast_document(input: &Arc<str>, default_host: &str, out: &mut impl Out, line: u64, text: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(text) else { return false };
    let mut doc = fast::Capture::new();
    if fast::capture_into(text, &mut doc).is_none() {
        return false;
    }
    emit(input, default_host, out, line, &doc);
    true
}

/// An NDJSON line holding one whole object (the splitter would yield it alone as it is): mapped
/// by the fast path, without the splitter's copy.
fn fast_line(input: &Arc<str>, default_host: &str, out: &mut impl Out, line: u64, text: &[u8]) -> bool {
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let end = text.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |i| i + 1);
    let text = &text[start..end];
    // A line that parses as one object is exactly the value the splitter would cut from it.
    text.first() == Some(&b'{') && text.last() == Some(&b'}') && fast_document(input, default_host, out, line, text)
}

/// A document's text that the fast path did not take: parsed as a `Value` and mapped, or
/// reported with the file's line of the syntax error.
fn slow_document(input: &Arc<str>, default_host: &str, out: &mut impl Out, line: u64, text: &[u8]) {
    match serde_json::from_slice::<Value>(text) {
        Ok(v) => value(input, default_host, out, line, v, 0),
        Err(e) => {
            let error = match std::str::from_utf8(text) {
                Err(u) => RecordError::InvalidUtf8(u.valid_up_to()),
                // serde's line is relative to the document: make it the file's.
                Ok(_) => RecordError::Json(format!("{} (line {} of the file)", e, line + e.line() as u64 - 1)),
            };
            let at = SourceRef { input: Arc::clone(input), pos: Position::Line(line) };
            out.put(Err(ReadError::Record { at, error }));
        }
    }
}

/// Reads ECS with one whole document per line (NDJSON, as the first line shows) as
/// [`EcsReader`] does, parsing on `workers` threads ([`crate::parallel`]). A line that is not a
/// whole document is an error here, where [`EcsReader`] would join it with the next lines.
pub fn parallel(
    input: impl Into<Arc<str>>,
    reader: impl std::io::Read + Send + 'static,
    workers: usize,
    default_host: impl Into<String>,
) -> ParallelLines<Result<Event, ReadError>> {
    let (input, default_host) = (input.into(), default_host.into());
    let name = Arc::clone(&input);
    event_lines(name, reader, workers, DEFAULT_MAX_LINE, move |line, text, out| {
        if fast_line(&input, &default_host, out, line, text) {
            return;
        }
        // Anything else is split as the sequential reader splits it (junk before a value,
        // several values, a value cut short), with this line's number.
        let mut docs = JsonDocs::new(text, DEFAULT_MAX_LINE);
        while let Ok(Some(doc)) = docs.next_doc() {
            let doc = match doc {
                Doc::Text { text, .. } => Doc::Text { line, text },
                Doc::TooLong { len, .. } => Doc::TooLong { line, len },
                Doc::Junk { head, .. } => Doc::Junk { line, head },
            };
            if let Some(e) = document(&input, &default_host, out, doc) {
                out.push(Err(e));
            }
        }
    })
}

impl<R: BufRead> Iterator for EcsReader<R> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.queue.pop_front() {
                return Some(r);
            }
            if self.failed {
                return None;
            }
            let (input, default_host, queue) = (&self.input, self.default_host.as_str(), &mut self.queue);
            let next = self.docs.next_doc_or_line(|line, text| fast_line(input, default_host, queue, line, text));
            match next {
                Ok(Some(None)) => continue,
                Err(error) => {
                    self.failed = true;
                    return Some(Err(ReadError::Io { input: self.input.to_string(), error }));
                }
                Ok(None) => return None,
                Ok(Some(Some(doc))) => {
                    if let Some(error) = document(&self.input, &self.default_host, &mut self.queue, doc) {
                        return Some(Err(error));
                    }
                }
            }
        }
    }
}

/// One value cut by the splitter: mapped into `out`, or the error that rejects it.
fn document(input: &Arc<str>, default_host: &str, out: &mut impl Out, doc: Doc) -> Option<ReadError> {
    let error = |line, error| {
        Some(ReadError::Record { at: SourceRef { input: Arc::clone(input), pos: Position::Line(line) }, error })
    };
    match doc {
        Doc::TooLong { line, len } => error(line, RecordError::TooLong { len, max: DEFAULT_MAX_LINE }),
        Doc::Junk { line, head } => error(line, RecordError::Json(format!("not JSON: `{head}`"))),
        Doc::Text { line, text } => {
            if !fast_document(input, default_host, out, line, &text) {
                slow_document(input, default_host, out, line, &text);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests;
