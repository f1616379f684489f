//! The native NDJSON format: one [`Event`] per line in its documented serde form.
//!
//! ```
//! use clickchain_adapters::native::NativeReader;
//! let input = br#"{"time":"2024-05-14T09:12:38Z","host":"ws-1","kind":"process_end","proc":"p-1"}
//! not json
//! "#;
//! let results: Vec<_> = NativeReader::new("sample.ndjson", &input[..]).collect();
//! assert!(results[0].is_ok());
//! assert_eq!(results[1].as_ref().unwrap_err().reason(), "malformed_json");
//! ```

mod fast;
mod time;
mod wire;

use std::io::BufRead;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use time::parse_time;

use crate::error::{ReadError, RecordError};
use crate::event::{Event, Position, SourceRef};
use crate::lines::LineReader;
use crate::parallel::{event_lines, ParallelLines};
use wire::Wire;

/// The default longest line accepted: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Reads native NDJSON, yielding one `Result` per non-blank line.
pub struct NativeReader<R> {
    input: Arc<str>,
    lines: LineReader<R>,
    default_host: String,
}

impl<R: BufRead> NativeReader<R> {
    /// A reader over `reader`, naming it `input` in source references and errors.
    pub fn new(input: impl Into<Arc<str>>, reader: R) -> Self {
        NativeReader {
            input: input.into(),
            lines: LineReader::new(reader, DEFAULT_MAX_LINE),
            default_host: String::new(),
        }
    }

    /// The host given to events whose record names none.
    pub fn default_host(mut self, host: impl Into<String>) -> Self {
        self.default_host = host.into();
        self
    }

    /// The longest line accepted; longer lines are rejected as `too_long` without being buffered.
    pub fn max_line(mut self, max: usize) -> Self {
        self.lines.set_max(max);
        self
    }
}

impl<R: BufRead> Iterator for NativeReader<R> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.lines.next_record(&self.input)? {
            Ok((at, text)) => parse_line(text, &self.default_host, at),
            Err(e) => Err(e),
        })
    }
}

/// Reads native NDJSON as [`NativeReader`] does, parsing on `workers` threads
/// ([`crate::parallel`]); the same results in the same order.
pub fn parallel(
    input: impl Into<Arc<str>>,
    reader: impl std::io::Read + Send + 'static,
    workers: usize,
    default_host: impl Into<String>,
    max_line: usize,
) -> ParallelLines<Result<Event, ReadError>> {
    let (input, default_host) = (input.into(), default_host.into());
    let name = Arc::clone(&input);
    event_lines(name, reader, workers, max_line, move |line, text, out| {
        out.push(parse_line(text, &default_host, SourceRef { input: Arc::clone(&input), pos: Position::Line(line) }))
    })
}

/// Parses one native line into an event with source `at`.
pub fn parse_line(text: &[u8], default_host: &str, at: SourceRef) -> Result<Event, ReadError> {
    let parsed = match std::str::from_utf8(text) {
        Err(e) => Err(RecordError::InvalidUtf8(e.valid_up_to())),
        // The scanner reads the common shapes; serde_json reads (and words the errors of) the rest.
        Ok(s) => fast::wire(s)
            .map_or_else(|| serde_json::from_str::<Wire>(s).map_err(|e| RecordError::Json(e.to_string())), Ok)
            .and_then(|w| w.into_event(default_host, at.clone())),
    };
    parsed.map_err(|error| ReadError::Record { at, error })
}

/// The native NDJSON line of an event (without the newline).
pub fn to_line(event: &Event) -> String {
    serde_json::to_string(&Wire::from_event(event)).expect("the wire form always serialises")
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire::from_event(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Event {
    /// Deserialises the native form; the source reference is `<serde>` since none is known.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(d)?;
        let source = SourceRef { input: Arc::from("<serde>"), pos: Position::Record(0) };
        wire.into_event("", source).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
