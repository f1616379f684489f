//! Raw auditd logs (`/var/log/audit/audit.log`, `ausearch --raw`): records grouped into events,
//! events mapped onto clickchain's [`Event`]s (AN0179; `docs/formats.md` "Linux: raw auditd").
//!
//! ```
//! use clickchain_adapters::auditd::AuditdReader;
//! use clickchain_adapters::EventKind;
//!
//! let log = br#"type=SYSCALL msg=audit(1715678019.880:88175): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=8 items=2 ppid=3120 pid=3127 uid=1000 comm="bash" exe="/usr/bin/bash" key="exec"
//! type=EXECVE msg=audit(1715678019.880:88175): argc=2 a0="bash" a1=2F686F6D652F616C6963652F782E7368
//! type=EOE msg=audit(1715678019.880:88175):
//! "#;
//! let mut reader = AuditdReader::new("audit.log", &log[..]).default_host("dev-laptop");
//! let event = reader.next().unwrap().unwrap();
//! assert!(matches!(&event.kind, EventKind::ProcessStart { command_line: Some(c), .. } if c == "bash /home/alice/x.sh"));
//! assert_eq!(event.source.to_string(), "audit.log:line 1");
//! assert_eq!(reader.counters().events, 1);
//! ```
//!
//! What cannot be mapped is counted in [`Counters`], never fatal: record types and syscalls the
//! adapter does not use, failed syscalls, threads. Records that are broken (a truncated line, bad
//! hex, an event whose SYSCALL never came) are errors naming the input and line.

mod argv;
mod group;
pub mod line;
mod map;
mod push;
pub mod sockaddr;
pub mod syscalls;
pub mod values;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::BufRead;
use std::sync::{Arc, Mutex};

pub use argv::command_line;
pub use group::Limits;
pub use map::join;
pub use push::AuditdPush;

use crate::error::{ReadError, RecordError};
use crate::event::{Event, EventKind, Position, ProcKey, SourceRef};
use crate::lines::{Line, LineReader};
use group::{Group, Grouper, Incoming, RecordKind};
use map::Mapped;

/// Audit lines are at most a few KiB (the kernel splits argv at ~7.5 KiB per record).
pub const DEFAULT_MAX_LINE: usize = 64 << 10;

/// Most pids remembered to tell a late fork record from its child's exec.
const MAX_RECENT_EXECS: usize = 65_536;

/// What a reader did with its input, by reason. Shared (behind a lock) so that a caller that
/// boxed the reader can still read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Lines read (including blank and comment lines).
    pub lines: u64,
    /// Audit records parsed.
    pub records: u64,
    /// Events (record groups) completed.
    pub groups: u64,
    /// clickchain events produced.
    pub events: u64,
    /// Records, events and lines rejected as errors, by reason.
    pub rejected: BTreeMap<&'static str, u64>,
    /// Records and events left out on purpose, by reason (not errors).
    pub skipped: BTreeMap<&'static str, u64>,
}

impl Counters {
    fn skip(&mut self, reason: &'static str, n: u64) {
        if n > 0 {
            *self.skipped.entry(reason).or_default() += n;
        }
    }
}

/// Reads raw auditd text, yielding one `Result` per mapped event or bad record.
pub struct AuditdReader<R> {
    input: Arc<str>,
    /// `None` only while [`fill`](Self::fill) reads from it.
    lines: Option<LineReader<R>>,
    default_host: String,
    max_line: usize,
    grouper: Grouper,
    ready: VecDeque<Group>,
    errors: VecDeque<ReadError>,
    /// pid → time of its latest exec, per node: a fork record logged after its child's exec.
    recent_execs: HashMap<(Option<Box<str>>, u32), i64>,
    counters: Arc<Mutex<Counters>>,
    local: Counters,
    handed_out: u64,
    done: bool,
}

impl<R: BufRead> AuditdReader<R> {
    /// A reader over `reader`, naming it `input` in source references and errors.
    pub fn new(input: impl Into<Arc<str>>, reader: R) -> Self {
        AuditdReader {
            input: input.into(),
            lines: Some(LineReader::new(reader, DEFAULT_MAX_LINE)),
            default_host: String::new(),
            max_line: DEFAULT_MAX_LINE,
            grouper: Grouper::new(Limits::default()),
            ready: VecDeque::new(),
            errors: VecDeque::new(),
            recent_execs: HashMap::new(),
            counters: Arc::default(),
            local: Counters::default(),
            handed_out: 0,
            done: false,
        }
    }

    /// The host of records without `node=`.
    pub fn default_host(mut self, host: impl Into<String>) -> Self {
        self.default_host = host.into();
        self
    }

    /// The longest line accepted; longer ones are rejected as `too_long` without being buffered.
    pub fn max_line(mut self, max: usize) -> Self {
        if let Some(lines) = self.lines.as_mut() {
            lines.set_max(max);
        }
        self.max_line = max;
        self
    }

    /// Bounds of the grouping buffer.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.grouper = Grouper::new(limits);
        self
    }

    /// A handle on the counters, readable after the reader was boxed or consumed (they are
    /// published every 4,096 results and at the end of the input).
    pub fn counters_handle(&self) -> Arc<Mutex<Counters>> {
        Arc::clone(&self.counters)
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.local.clone()
    }

    fn publish(&mut self) {
        self.handed_out += 1;
        if self.handed_out & 4095 != 0 && !self.done {
            return;
        }
        if let Ok(mut c) = self.counters.lock() {
            c.clone_from(&self.local);
        }
    }

    fn reject(&mut self, line: u64, error: RecordError) {
        *self.local.rejected.entry(error.reason()).or_default() += 1;
        let at = SourceRef { input: Arc::clone(&self.input), pos: Position::Line(line) };
        self.errors.push_back(ReadError::Record { at, error });
    }

    /// Reads lines until an event is complete, an error is due, or the input ends.
    fn fill(&mut self) {
        // The line borrows the line reader; taking it out lets `take_line` borrow the rest.
        let Some(mut lines) = self.lines.take() else { return };
        while self.ready.is_empty() && self.errors.is_empty() && !self.done {
            match lines.next_line() {
                Ok(Some((line_no, line))) => self.take_line(line_no, line),
                Ok(None) => {
                    self.done = true;
                    self.grouper.flush_all(&mut self.ready);
                }
                Err(error) => {
                    self.done = true;
                    self.errors.push_back(ReadError::Io { input: self.input.to_string(), error });
                    self.grouper.flush_all(&mut self.ready);
                }
            }
        }
        self.lines = Some(lines);
    }

    /// Reads one line into the grouping buffer (`line_no` names it in sources and errors).
    fn take_line(&mut self, line_no: u64, line: Line<'_>) {
        self.local.lines += 1;
        let text = match line {
            Line::TooLong(len) => {
                let max = self.max_line;
                self.reject(line_no, RecordError::TooLong { len, max });
                return;
            }
            Line::Text(t) => t,
        };
        let text = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(e) => {
                self.reject(line_no, RecordError::InvalidUtf8(e.valid_up_to()));
                return;
            }
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        let raw = match line::parse(text) {
            Ok(r) => r,
            Err(e) => {
                self.reject(line_no, e);
                return;
            }
        };
        self.local.records += 1;
        let kind = RecordKind::of(raw.record_type);
        let end_of_event = raw.record_type == "EOE";
        if kind.is_none() && !end_of_event {
            self.local.skip("record_type_unused", 1);
        }
        let before = self.grouper.forced;
        self.grouper.push(
            Incoming {
                node: raw.node,
                time_ms: raw.time_ms,
                serial: raw.serial,
                line: line_no,
                record: kind.map(|k| (k, raw.body, raw.enriched)),
                end_of_event,
            },
            &mut self.ready,
        );
        let forced = self.grouper.forced - before;
        self.local.skip("group_flushed_buffer_full", forced);
    }

    /// Maps one completed event; `Some` when it yields a result.
    fn map_group(&mut self, g: Group) -> Option<Result<Event, ReadError>> {
        self.local.groups += 1;
        self.local.skip("records_over_event_budget", g.overflow);
        match map::map(&g, &self.input, &self.default_host) {
            Mapped::Skipped(reason) => {
                self.local.skip(reason, 1);
                None
            }
            Mapped::Rejected(line, e) => {
                self.reject(line, e);
                self.errors.pop_front().map(Err)
            }
            Mapped::Event(ev) => {
                if self.late_fork(&g, &ev) {
                    self.local.skip("fork_logged_after_child_exec", 1);
                    return None;
                }
                self.local.events += 1;
                Some(Ok(ev))
            }
        }
    }

    /// Remembers execs; true for a fork whose child's exec was already emitted at or after it
    /// (the child's exec can exit before the parent's clone does, so its record comes first).
    /// The exec names the same parent, so the fork adds nothing and would start an incarnation
    /// that replaces the exec'd one.
    fn late_fork(&mut self, g: &Group, ev: &Event) -> bool {
        let EventKind::ProcessStart { proc: ProcKey::Pid(pid), forked, .. } = &ev.kind else { return false };
        let key = (g.node.clone(), *pid);
        if !forked {
            if self.recent_execs.len() >= MAX_RECENT_EXECS {
                self.recent_execs.clear();
            }
            self.recent_execs.insert(key, g.time_ms);
            false
        } else {
            self.recent_execs.get(&key).is_some_and(|&t| t >= g.time_ms)
        }
    }
}

impl<R: BufRead> Iterator for AuditdReader<R> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.errors.pop_front() {
                self.publish();
                return Some(Err(e));
            }
            if let Some(g) = self.ready.pop_front() {
                if let Some(r) = self.map_group(g) {
                    self.publish();
                    return Some(r);
                }
                continue;
            }
            if self.done {
                self.publish();
                return None;
            }
            self.fill();
        }
    }
}

/// Whether `head` (the first bytes of an input) looks like raw auditd text.
pub fn sniff(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.split(|&b| b == b'\n').map(|l| l.trim_ascii()).find(|l| !l.is_empty() && !l.starts_with(b"#"));
    first.is_some_and(|l| {
        l.starts_with(b"type=") || (l.starts_with(b"node=") && memchr::memmem::find(l, b" type=").is_some())
    })
}

#[cfg(test)]
mod tests;
