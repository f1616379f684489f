//! Errors of the adapters layer: a bad record is a value with its input and position, never a panic.

use crate::event::SourceRef;

/// Why one record could not become an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The record is not valid JSON (or not the expected JSON shape).
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The record is not valid UTF-8.
    #[error("invalid UTF-8 at byte {0} of the record")]
    InvalidUtf8(usize),
    /// The record is longer than the reader accepts; it was skipped without being buffered.
    #[error("record of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Bytes in the record.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The `kind` tag names no known event kind.
    #[error("unknown event kind `{0}`")]
    UnknownKind(String),
    /// A field the event kind needs is absent.
    #[error("{kind} needs field `{field}`")]
    MissingField {
        /// The event kind.
        kind: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// The timestamp cannot be parsed.
    #[error("unparseable timestamp `{0}`")]
    BadTimestamp(String),
    /// The source's sequence numbers jumped: it dropped `missing` records of this type.
    #[error("{missing} records of type {event_type} dropped by the source (sequence gap)")]
    SequenceGap {
        /// The record type whose sequence jumped.
        event_type: u32,
        /// How many records are missing.
        missing: u64,
    },
    /// The record is not of the form its format requires (a truncated auditd line, for example).
    #[error("malformed record: {0}")]
    Malformed(String),
    /// An event is missing the record that gives it meaning (auditd records whose SYSCALL never came).
    #[error("incomplete event: {0}")]
    Incomplete(String),
    /// The record is not well-formed XML (or not an `<Event>` element).
    #[error("malformed XML: {0}")]
    Xml(String),
    /// A JSON record in none of the known shapes.
    #[error("unknown record shape: {0}")]
    UnknownShape(String),
    /// Part of a binary event log (a chunk or a record) cannot be read.
    #[error("corrupt EVTX: {0}")]
    Evtx(String),
    /// A field holds a value of the wrong form.
    #[error("bad value in `{field}`: {message}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

impl RecordError {
    /// A short stable name for counting records rejected by reason.
    pub fn reason(&self) -> &'static str {
        match self {
            RecordError::Json(_) => "malformed_json",
            RecordError::InvalidUtf8(_) => "invalid_utf8",
            RecordError::TooLong { .. } => "too_long",
            RecordError::UnknownKind(_) => "unknown_kind",
            RecordError::MissingField { .. } => "missing_field",
            RecordError::BadTimestamp(_) => "bad_timestamp",
            RecordError::BadValue { .. } => "bad_value",
            RecordError::SequenceGap { .. } => "seq_gap",
            RecordError::Malformed(_) => "malformed_record",
            RecordError::Incomplete(_) => "incomplete_event",
            RecordError::Xml(_) => "malformed_xml",
            RecordError::UnknownShape(_) => "unknown_shape",
            RecordError::Evtx(_) => "corrupt_evtx",
        }
    }
}

/// An error while reading an input: either one bad record (the read goes on) or an I/O failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// One record was rejected; reading continues with the next.
    #[error("{at}: {error}")]
    Record {
        /// The input and position of the record.
        at: SourceRef,
        /// What is wrong with it.
        error: RecordError,
    },
    /// The input could not be read further.
    #[error("{input}: read failed: {error}")]
    Io {
        /// The input's name.
        input: String,
        /// The I/O error.
        error: std::io::Error,
    },
}

impl ReadError {
    /// A short stable name for counting errors by reason.
    pub fn reason(&self) -> &'static str {
        match self {
            ReadError::Record { error, .. } => error.reason(),
            ReadError::Io { .. } => "io",
        }
    }
}
