//! JSON inputs as records: one per line (any shape, mixed), or one document read whole (a
//! pretty-printed object, concatenated objects, an array) when the first line is not a record.

use std::io::BufRead;

use super::json;
use super::premap::{MapWhere, Raw};
use crate::error::RecordError;
use crate::event::Position;
use crate::lines::{Line, LineReader};
use crate::parallel::{ParallelLines, Piece};

/// The largest JSON document read whole (a pretty-printed file or an array of records).
pub const MAX_DOCUMENT: u64 = 256 << 20;

/// JSON records: per line, or one document read whole when the first line is not a record.
pub(super) struct JsonSource<R> {
    lines: LineReader<R>,
    /// A document's records, when the input is one document.
    document: Option<std::vec::IntoIter<Raw>>,
    started: bool,
    done: bool,
}

impl<R: BufRead> JsonSource<R> {
    pub(super) fn new(reader: R) -> Self {
        JsonSource {
            lines: LineReader::new(reader, crate::native::DEFAULT_MAX_LINE),
            document: None,
            started: false,
            done: false,
        }
    }

    /// Reads the rest of the input after `first` as one document of records.
    fn read_document(&mut self, first: Vec<u8>) -> Vec<Raw> {
        let mut bytes = first;
        bytes.push(b'\n');
        loop {
            match self.lines.next_line() {
                Ok(None) => break,
                Ok(Some((_, Line::Text(t)))) => {
                    bytes.extend_from_slice(t);
                    bytes.push(b'\n');
                }
                Ok(Some((line, Line::TooLong(len)))) => {
                    return vec![Raw::Bad(Position::Line(line), RecordError::TooLong { len, max: self.lines.max() })]
                }
                Err(e) => return vec![Raw::Io(e)],
            }
            if bytes.len() as u64 > MAX_DOCUMENT {
                let error = RecordError::TooLong { len: bytes.len() as u64, max: MAX_DOCUMENT as usize };
                return vec![Raw::Bad(Position::Record(1), error)];
            }
        }
        let mut out = Vec::new();
        let mut index = 0u64;
        for value in serde_json::Deserializer::from_slice(&bytes).into_iter::<serde_json::Value>() {
            match value {
                Err(e) => {
                    // A JSON document cannot be resynchronised after a syntax error.
                    out.push(Raw::Bad(Position::Record(index + 1), RecordError::Json(e.to_string())));
                    break;
                }
                Ok(serde_json::Value::Array(items)) => {
                    for item in items {
                        index += 1;
                        out.push(from_value(Position::Record(index), &item));
                    }
                }
                Ok(item) => {
                    index += 1;
                    out.push(from_value(Position::Record(index), &item));
                }
            }
        }
        out
    }
}

fn from_value(at: Position, v: &serde_json::Value) -> Raw {
    match json::parse_value(v) {
        Ok(r) => Raw::Record(at, r),
        Err(e) => Raw::Bad(at, e),
    }
}

impl<R: BufRead> Iterator for JsonSource<R> {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        if let Some(doc) = self.document.as_mut() {
            match doc.next() {
                Some(r) => return Some(r),
                None => self.document = None,
            }
        }
        if self.done {
            return None;
        }
        loop {
            let (line_no, line) = match self.lines.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Raw::Io(e));
                }
            };
            let at = Position::Line(line_no);
            let text = match line {
                Line::TooLong(len) => return Some(Raw::Bad(at, RecordError::TooLong { len, max: self.lines.max() })),
                Line::Text(t) => t.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(t),
            };
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let first = !self.started;
            self.started = true;
            match line_records(at, text, first) {
                LineRecords::One(raw) => return Some(raw),
                LineRecords::Many(records) => {
                    self.document = Some(records.into_iter());
                    match self.document.as_mut().and_then(Iterator::next) {
                        Some(r) => return Some(r),
                        None => {
                            self.document = None;
                            continue;
                        }
                    }
                }
                LineRecords::StartsDocument => {
                    let owned = text.to_vec();
                    let doc = self.read_document(owned);
                    self.document = Some(doc.into_iter());
                    return self.document.as_mut().and_then(Iterator::next);
                }
            }
        }
    }
}

/// What one non-blank line holds.
// Nearly every line is `One`: boxing it would allocate once per record to shrink the rare others.
#[allow(clippy::large_enum_variant)]
pub(super) enum LineRecords {
    /// A record, or an error.
    One(Raw),
    /// An array's records.
    Many(Vec<Raw>),
    /// Not a whole value, on the input's first line: the start of a pretty-printed document.
    StartsDocument,
}

/// The records of one non-blank line (`first`: the input's first).
pub(super) fn line_records(at: Position, text: &[u8], first: bool) -> LineRecords {
    // Most lines of a Sysmon export are flattened records: read those without a `Value`.
    match json::parse_flat_line(text) {
        Ok(Some(record)) => return LineRecords::One(Raw::Record(at, record)),
        Ok(None) => {}
        Err(e) if first && e.is_eof() => {}
        Err(e) => return LineRecords::One(Raw::Bad(at, json_error(text, &e))),
    }
    match serde_json::from_slice::<serde_json::Value>(text) {
        // A line holding an array holds several records.
        Ok(serde_json::Value::Array(items)) => LineRecords::Many(items.iter().map(|v| from_value(at, v)).collect()),
        Ok(v) => LineRecords::One(from_value(at, &v)),
        Err(e) if first && e.is_eof() => LineRecords::StartsDocument,
        Err(e) => LineRecords::One(Raw::Bad(at, json_error(text, &e))),
    }
}

/// JSON records one per line (or an array per line) as [`JsonSource`] reads them, parsed on
/// `workers` threads; for inputs whose first line is a whole value (no pretty-printed document).
pub(super) fn parallel(reader: impl std::io::Read + Send + 'static, workers: usize) -> ParallelLines<Raw> {
    let max = crate::native::DEFAULT_MAX_LINE;
    let backlog = crate::parallel::Backlog::default();
    let map_where = MapWhere::new(workers, backlog.clone());
    ParallelLines::with_backlog(reader, workers, max, backlog, move |piece, out: &mut Vec<Raw>| match piece {
        Piece::Text { text, .. } if text.iter().all(u8::is_ascii_whitespace) => {}
        Piece::Text { line, text } => {
            let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
            match line_records(Position::Line(line), text, false) {
                LineRecords::One(raw) => out.push(map_where.premapped(raw)),
                LineRecords::Many(records) => out.extend(records.into_iter().map(|r| map_where.premapped(r))),
                // Not returned for a line that is not the first; an error if it were.
                LineRecords::StartsDocument => {
                    out.push(Raw::Bad(Position::Line(line), RecordError::Json("not a whole JSON value".into())))
                }
            }
        }
        Piece::TooLong { line, len } => out.push(Raw::Bad(Position::Line(line), RecordError::TooLong { len, max })),
        Piece::Io(e) => out.push(Raw::Io(e)),
    })
}

/// A line that is not JSON: invalid UTF-8 named as such, else the parser's message.
fn json_error(text: &[u8], e: &serde_json::Error) -> RecordError {
    match std::str::from_utf8(text) {
        Err(u) => RecordError::InvalidUtf8(u.valid_up_to()),
        Ok(_) => RecordError::Json(e.to_string()),
    }
}
