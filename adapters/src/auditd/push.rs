//! Raw auditd lines pushed one at a time, for a log that is followed as it grows: events come
//! out as their records complete, and [`AuditdPush::flush`] closes the open ones when the log
//! goes quiet (the last event of a burst has no later record to push it out).

use std::io;
use std::sync::Arc;

use super::{AuditdReader, Counters};
use crate::error::ReadError;
use crate::event::Event;
use crate::lines::Line;

/// A raw auditd reader fed line by line.
///
/// ```
/// use clickchain_adapters::auditd::AuditdPush;
///
/// let mut audit = AuditdPush::new("audit.log", "dev-laptop");
/// let syscall = br#"type=SYSCALL msg=audit(1715678019.880:88175): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=8 items=2 ppid=3120 pid=3127 uid=1000 comm="bash" exe="/usr/bin/bash" key="exec""#;
/// assert!(audit.push(1, syscall).is_empty(), "the event is still open");
/// assert!(audit.push(2, b"type=EOE msg=audit(1715678019.880:88175):").len() == 1);
/// ```
pub struct AuditdPush {
    reader: AuditdReader<io::Empty>,
}

impl AuditdPush {
    /// A reader naming `input` in sources and errors, with `default_host` for records
    /// without `node=`.
    pub fn new(input: impl Into<Arc<str>>, default_host: impl Into<String>) -> Self {
        AuditdPush { reader: AuditdReader::new(input, io::empty()).default_host(default_host) }
    }

    /// Reads one line (without its end); `line_no` names it in sources and errors. Returns the
    /// events it completed and the records it rejected.
    pub fn push(&mut self, line_no: u64, text: &[u8]) -> Vec<Result<Event, ReadError>> {
        let line = match text.len() > self.reader.max_line {
            true => Line::TooLong(text.len() as u64),
            false => Line::Text(text),
        };
        self.reader.take_line(line_no, line);
        self.drain()
    }

    /// Closes every open event: the log went quiet, so no more of their records will come.
    pub fn flush(&mut self) -> Vec<Result<Event, ReadError>> {
        self.reader.grouper.flush_all(&mut self.reader.ready);
        self.drain()
    }

    /// Whether events are open (waiting for more records or a [`flush`](Self::flush)).
    pub fn has_open(&self) -> bool {
        self.reader.grouper.open_events() > 0
    }

    /// What was read so far, by reason.
    pub fn counters(&self) -> Counters {
        self.reader.counters()
    }

    fn drain(&mut self) -> Vec<Result<Event, ReadError>> {
        let mut out = Vec::new();
        loop {
            if let Some(e) = self.reader.errors.pop_front() {
                out.push(Err(e));
            } else if let Some(group) = self.reader.ready.pop_front() {
                out.extend(self.reader.map_group(group));
            } else {
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auditd::AuditdReader;

    const OUT_OF_ORDER: &str = include_str!("../../../tests/data/auditd/out_of_order.log");
    const LOG: &str =
        include_str!("../../../tests/scenarios/an0179-auditd-thunderbird-xdg-open-firefox-part.audit.log");

    /// Pushed line by line with a flush at the end, a log gives the events the file reader
    /// gives, in the same order.
    #[test]
    fn pushed_lines_give_the_events_the_file_reader_gives() {
        for log in [LOG, OUT_OF_ORDER] {
            pushed_equals_read(log);
        }
    }

    fn pushed_equals_read(log: &str) {
        let whole: Vec<String> = AuditdReader::new("a.log", log.as_bytes())
            .map(|r| format!("{:?}", r.map(|e| e.kind).map_err(|e| e.to_string())))
            .collect();
        let mut push = AuditdPush::new("a.log", "");
        let mut pushed = Vec::new();
        for (i, line) in log.lines().enumerate() {
            pushed.extend(push.push(i as u64 + 1, line.as_bytes()));
        }
        pushed.extend(push.flush());
        assert!(!push.has_open());
        let pushed: Vec<String> =
            pushed.into_iter().map(|r| format!("{:?}", r.map(|e| e.kind).map_err(|e| e.to_string()))).collect();
        assert!(!whole.is_empty());
        assert_eq!(pushed, whole);
    }

    #[test]
    fn a_line_over_the_cap_is_rejected_without_being_kept() {
        let mut push = AuditdPush::new("a.log", "");
        let long = vec![b'x'; super::super::DEFAULT_MAX_LINE + 1];
        let out = push.push(7, &long);
        assert_eq!(out.len(), 1);
        assert!(out[0].as_ref().unwrap_err().to_string().contains("a.log:line 7"), "{:?}", out[0]);
    }
}
