//! macOS Endpoint Security as printed by `eslogger ... --format json` (one message per line).
//!
//! Processes are keyed by pid ([`ProcKey::Pid`]): the engine resolves a pid to the incarnation
//! alive at that time, and an exec (same pid, new pidversion) starts a new one. Pid keys are also
//! what lets a second source (network or DNS events with only a pid) join on (host, pid, time),
//! since Endpoint Security has no network events. A helper launched by launchd/xpcproxy takes
//! its responsible process (the browser) as parent, so the link lineage survives.
//!
//! eslogger names no host: the reader's default host (`--host`) is used. Gaps in a message
//! type's `seq_num` (events the system dropped) are reported as `seq_gap` errors.
//!
//! ```
//! use clickchain_adapters::eslogger::EsloggerReader;
//! use clickchain_adapters::EventKind;
//! let line = r#"{"time":"2024-05-14T09:12:43.002110000Z","event_type":27,"seq_num":1,"process":{"audit_token":{"pid":1834,"pidversion":5021},"ppid":1790,"executable":{"path":"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"}},"event":{"setextattr":{"target":{"path":"/Users/alice/Downloads/x.dmg"},"extattr":"com.apple.quarantine"}}}"#;
//! let event = EsloggerReader::new("es.jsonl", line.as_bytes()).default_host("mbp-1").next().unwrap().unwrap();
//! assert_eq!(event.host, "mbp-1");
//! assert!(matches!(event.kind, EventKind::FileAttr { .. }));
//! ```

mod map;
mod message;

use std::collections::{HashMap, VecDeque};
use std::io::BufRead;
use std::sync::Arc;

use crate::error::{ReadError, RecordError};
use crate::event::{Event, ProcKey};
use crate::lines::LineReader;
use crate::native::DEFAULT_MAX_LINE;
use message::Message;

/// Most message types whose sequence numbers are tracked (ES has about 150).
const MAX_TRACKED_TYPES: usize = 1024;

/// Reads eslogger JSON lines, yielding a `Result` per record that matters.
pub struct EsloggerReader<R> {
    input: Arc<str>,
    lines: LineReader<R>,
    default_host: String,
    last_seq: HashMap<u32, u64>,
    queue: VecDeque<Result<Event, ReadError>>,
}

impl<R: BufRead> EsloggerReader<R> {
    /// A reader over `reader`, naming it `input` in source references and errors.
    pub fn new(input: impl Into<Arc<str>>, reader: R) -> Self {
        EsloggerReader {
            input: input.into(),
            lines: LineReader::new(reader, DEFAULT_MAX_LINE),
            default_host: String::new(),
            last_seq: HashMap::new(),
            queue: VecDeque::new(),
        }
    }

    /// The host given to every event (eslogger names none).
    pub fn default_host(mut self, host: impl Into<String>) -> Self {
        self.default_host = host.into();
        self
    }

    /// Tracks `seq_num` per message type; a jump is a gap of dropped messages.
    fn check_sequence(&mut self, event_type: Option<u32>, seq: Option<u64>) -> Option<RecordError> {
        let (ty, seq) = (event_type?, seq?);
        if !self.last_seq.contains_key(&ty) && self.last_seq.len() >= MAX_TRACKED_TYPES {
            return None;
        }
        let last = self.last_seq.insert(ty, seq)?;
        (seq > last + 1).then(|| RecordError::SequenceGap { event_type: ty, missing: seq - last - 1 })
    }
}

impl<R: BufRead> Iterator for EsloggerReader<R> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.queue.pop_front() {
                return Some(r);
            }
            let (at, text) = match self.lines.next_record(&self.input)? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let msg: Message = match serde_json::from_slice(text) {
                Ok(m) => m,
                Err(e) => {
                    let error = match std::str::from_utf8(text) {
                        Err(u) => RecordError::InvalidUtf8(u.valid_up_to()),
                        Ok(_) => RecordError::Json(e.to_string()),
                    };
                    return Some(Err(ReadError::Record { at, error }));
                }
            };
            if let Some(error) = self.check_sequence(msg.event_type, msg.seq_num) {
                self.queue.push_back(Err(ReadError::Record { at: at.clone(), error }));
            }
            match map::to_events(msg, &self.default_host, at.clone()) {
                Ok(events) => self.queue.extend(events.into_iter().map(Ok)),
                Err(error) => self.queue.push_back(Err(ReadError::Record { at, error })),
            }
        }
    }
}

/// The key of a process in eslogger events (see the module documentation).
fn key(pid: u32) -> ProcKey {
    ProcKey::Pid(pid)
}

#[cfg(test)]
mod tests;
