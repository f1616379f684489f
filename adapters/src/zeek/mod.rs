//! Zeek `dns.log` (JSON lines, or Zeek's default tab-separated form) → `dns_answer` events.
//!
//! auditd never sees names, and browsers on Linux resolve them themselves; Zeek's DNS log is
//! what Linux sites commonly keep (a sensor on the network, or Zeek on the host). Every answered
//! query with at least one address becomes a host-wide [`EventKind::DnsAnswer`] (Zeek does not
//! know processes); CNAME targets are dropped from the answers, as the event wants addresses.
//!
//! The host of an answer is the reader's default host (`--host`) when given, else the client
//! address `id.orig_h`: a sensor log covers many clients, so name the one endpoint with
//! `--host` to join its answers with its auditd events.
//!
//! ```
//! use clickchain_adapters::zeek::ZeekDnsReader;
//! let log = br#"{"ts":1719651901.0,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5353,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"invoice-share.top","qtype_name":"A","rcode_name":"NOERROR","answers":["cdn.invoice-share.top","203.0.113.77"],"TTLs":[60.0,60.0]}"#;
//! let event = ZeekDnsReader::new("dns.log", &log[..]).default_host("dev-laptop").next().unwrap().unwrap();
//! assert_eq!(event.host, "dev-laptop");
//! assert_eq!(clickchain_adapters::native::to_line(&event), r#"{"time":"2024-06-29T09:05:01Z","host":"dev-laptop","kind":"dns_answer","query":"invoice-share.top","answers":["203.0.113.77"]}"#);
//! ```

mod json;
mod tsv;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::error::{ReadError, RecordError};
use crate::event::{Event, EventKind, SourceRef};
use crate::lines::LineReader;

/// The longest line accepted (a DNS log line is well under 4 KiB).
pub const DEFAULT_MAX_LINE: usize = 64 << 10;

/// One DNS log entry, whatever its rendering.
#[derive(Debug, Default)]
struct Entry {
    ts: Option<String>,
    client: Option<String>,
    query: Option<String>,
    answers: Vec<String>,
}

/// Reads a Zeek `dns.log`, one `Result` per answered query.
pub struct ZeekDnsReader<R> {
    input: Arc<str>,
    lines: LineReader<R>,
    default_host: String,
    tsv: Option<tsv::Header>,
    /// Entries left out, by reason (no address in the answers, …).
    skipped: BTreeMap<&'static str, u64>,
}

impl<R: BufRead> ZeekDnsReader<R> {
    /// A reader over `reader`, naming it `input` in source references and errors.
    pub fn new(input: impl Into<Arc<str>>, reader: R) -> Self {
        ZeekDnsReader {
            input: input.into(),
            lines: LineReader::new(reader, DEFAULT_MAX_LINE),
            default_host: String::new(),
            tsv: None,
            skipped: BTreeMap::new(),
        }
    }

    /// The host given to every answer (else the client address).
    pub fn default_host(mut self, host: impl Into<String>) -> Self {
        self.default_host = host.into();
        self
    }

    /// Entries left out so far, by reason.
    pub fn skipped(&self) -> &BTreeMap<&'static str, u64> {
        &self.skipped
    }

    fn entry(&mut self, text: &str) -> Result<Option<Entry>, RecordError> {
        if let Some(directive) = text.strip_prefix('#') {
            self.tsv = tsv::header(self.tsv.take(), directive)?;
            return Ok(None);
        }
        match &self.tsv {
            Some(h) => h.entry(text).map(Some),
            None => json::entry(text).map(Some),
        }
    }

    fn event(&mut self, e: Entry, at: SourceRef) -> Result<Option<Event>, RecordError> {
        let ts = e.ts.ok_or(RecordError::MissingField { kind: "dns", field: "ts" })?;
        let time = parse_ts(&ts).ok_or(RecordError::BadTimestamp(ts))?;
        let Some(query) = e.query.filter(|q| !q.is_empty()) else {
            *self.skipped.entry("no_query").or_default() += 1;
            return Ok(None);
        };
        let answers: Vec<IpAddr> = e.answers.iter().filter_map(|a| a.trim().parse().ok()).collect();
        if answers.is_empty() {
            *self.skipped.entry("no_address_answer").or_default() += 1;
            return Ok(None);
        }
        let host = if self.default_host.is_empty() { e.client.unwrap_or_default() } else { self.default_host.clone() };
        Ok(Some(Event { time, host, os: None, source: at, kind: EventKind::DnsAnswer { proc: None, query, answers } }))
    }
}

/// Zeek's `ts`: epoch seconds with a fraction, or ISO 8601 (`JSON::TS_ISO8601`).
fn parse_ts(ts: &str) -> Option<DateTime<Utc>> {
    if let Ok(secs) = ts.parse::<f64>() {
        if !secs.is_finite() || !(0.0..1e11).contains(&secs) {
            return None;
        }
        return DateTime::from_timestamp_millis((secs * 1000.0).round() as i64);
    }
    crate::native::parse_time(ts)
}

impl<R: BufRead> Iterator for ZeekDnsReader<R> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (at, text) = match self.lines.next_record(&self.input)? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            // Owned: the line borrows the reader, which parsing the entry needs too.
            let text = match std::str::from_utf8(text) {
                Ok(t) => t.trim_end().to_owned(),
                Err(e) => return Some(Err(ReadError::Record { at, error: RecordError::InvalidUtf8(e.valid_up_to()) })),
            };
            if text.is_empty() {
                continue;
            }
            let result = match self.entry(&text) {
                Ok(Some(e)) => self.event(e, at.clone()),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            match result {
                Ok(Some(ev)) => return Some(Ok(ev)),
                Ok(None) => continue,
                Err(error) => return Some(Err(ReadError::Record { at, error })),
            }
        }
    }
}

/// Whether `head` (the first bytes of an input) looks like a Zeek DNS log.
pub fn sniff(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.split(|&b| b == b'\n').map(|l| l.trim_ascii()).find(|l| !l.is_empty());
    let has = |l: &[u8], s: &[u8]| memchr::memmem::find(l, s).is_some();
    match first {
        Some(l) if l.starts_with(b"{") => has(l, b"\"id.orig_h\"") && has(l, b"\"query\""),
        Some(l) if l.starts_with(b"#separator") => has(text, b"#path\tdns"),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
