//! Windows event logs: Sysmon (also Sysmon for Linux) and Security 4688/4689, from EVTX files,
//! rendered XML and several JSON shapes, mapped onto [`Event`] (`docs/formats.md`
//! "Windows: Sysmon and Security 4688").
//!
//! ```
//! use clickchain_adapters::winevent::WinEventReader;
//! let line = br#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"ws-1","UtcTime":"2024-05-14 09:13:02.118","ProcessGuid":"{3F1C2B7A-2E2E-6643-B101-000000001A00}","Image":"C:\\Windows\\System32\\mshta.exe"}
//! {"EventID":4689,"Channel":"System"}
//! "#;
//! let reader = WinEventReader::json("sysmon.jsonl", &line[..]);
//! let tally = reader.tally();
//! let events: Vec<_> = reader.collect();
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].as_ref().unwrap().kind.tag(), "process_start");
//! assert_eq!(tally.snapshot().skipped["other_provider"], 1);
//! ```
//!
//! Per record: a source ([`xml`], [`json`], [`evtx`]) yields a [`record::WinRecord`] or an
//! error; [`map`] turns it into an event kind or a counted skip; [`time`] picks its time;
//! [`partial`] turns a final-named write after a partial download into a rename. Per input: the
//! reader looks ahead up to [`LOOKAHEAD`] records before its first event to estimate the
//! `TimeCreated` offset, holds [`REORDER`] events to emit them in time order, and builds a start
//! for a process first seen mid-life ([`midlife`]). Every record is counted in the [`Tally`].

mod binxml_bytes;
pub mod evtx;
mod evtx_fast;
mod evtx_template;
pub mod json;
mod json_source;
pub mod map;
pub mod midlife;
pub mod partial;
mod premap;
pub mod record;
pub mod time;
pub mod xml;

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};

use chrono::Duration;

use crate::error::{ReadError, RecordError};
use crate::event::{Event, EventKind, Position, SourceRef};
pub use json_source::MAX_DOCUMENT;
use map::Mapped;
use premap::premapped;
pub use premap::{premap, Premapped, Raw};

/// Records read before the first event to estimate the input's clock offset.
pub const LOOKAHEAD: usize = 2048;
/// Events held to put an input in time order: exports interleave channels (all Security
/// records, then all Sysmon ones) and Sysmon writes some events late. An input whose disorder
/// spans fewer events than this comes out sorted; beyond it the engine's lateness rules apply.
pub const REORDER: usize = 8192;

/// What a reader counted, shared with whoever opened it (the reader itself is consumed).
#[derive(Debug, Clone, Default)]
pub struct Tally(Arc<Mutex<TallyData>>);

/// Counts of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TallyData {
    /// Records read (events, skips and rejections).
    pub records: u64,
    /// Records that are fine but say nothing the engine uses, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Processes first seen mid-life that got a start built from their first event's `Image`,
    /// or from their first child's `ParentImage` or `ParentProcessName` (see [`midlife`]);
    /// these starts are among the events, not among the records.
    pub starts_built: u64,
    /// Things about the input a person should know (a shifted clock).
    pub warnings: Vec<String>,
}

impl Tally {
    /// A copy of the counts so far.
    pub fn snapshot(&self) -> TallyData {
        self.0.lock().map(|d| d.clone()).unwrap_or_default()
    }

    fn with(&self, f: impl FnOnce(&mut TallyData)) {
        if let Ok(mut d) = self.0.lock() {
            f(&mut d);
        }
    }
}

/// Reads Windows events from any of the supported envelopes, one `Result` per record.
pub struct WinEventReader {
    input: Arc<str>,
    source: Box<dyn Iterator<Item = Raw> + Send>,
    default_host: String,
    clock: time::Clock,
    /// The zone of nxlog's `EventTime` (local time), estimated the same way: records without
    /// `UtcTime` take their time from it when it is settled, since `@timestamp` trails the event
    /// by the shipper's lag (minutes at times).
    local_clock: time::Clock,
    /// Records read ahead while the clock offset is estimated.
    ahead: VecDeque<Raw>,
    primed: bool,
    partials: partial::Partials,
    midlife: midlife::MidLife,
    /// An event held back while the start built for its process goes first.
    after_start: Option<Event>,
    /// Events waiting for their turn, earliest first (by time, then read order).
    held: crate::reorder::Reorder<(chrono::DateTime<chrono::Utc>, u64), WithImage>,
    seq: u64,
    tally: Tally,
    /// Records read and not yet added to the tally (added in batches: a lock per record was
    /// measurable; flushed at the end and on drop).
    unflushed: u64,
    failed: bool,
    exhausted: bool,
}

/// A mapped event and the acting image its record named (for a start built later).
type WithImage = (Event, Option<Box<str>>);

impl WinEventReader {
    fn with_source(input: impl Into<Arc<str>>, source: Box<dyn Iterator<Item = Raw> + Send>) -> Self {
        WinEventReader {
            input: input.into(),
            source,
            default_host: String::new(),
            clock: time::Clock::new(None),
            local_clock: time::Clock::new(None),
            ahead: VecDeque::new(),
            primed: false,
            partials: partial::Partials::default(),
            midlife: midlife::MidLife::default(),
            after_start: None,
            held: Default::default(),
            seq: 0,
            tally: Tally::default(),
            unflushed: 0,
            failed: false,
            exhausted: false,
        }
    }

    /// Rendered XML: `<Event>` elements, pretty-printed or one per line, bare or after a
    /// syslog prefix.
    pub fn xml<R: BufRead + Send + 'static>(input: impl Into<Arc<str>>, reader: R) -> Self {
        Self::with_source(input, Box::new(xml::XmlSource::new(reader)))
    }

    /// JSON: one record per line in any shape (mixed shapes allowed), or a JSON document (an
    /// object, concatenated objects, or an array of records) when the first line is not a
    /// whole record.
    pub fn json<R: BufRead + Send + 'static>(input: impl Into<Arc<str>>, reader: R) -> Self {
        Self::with_source(input, Box::new(json_source::JsonSource::new(reader)))
    }

    /// JSON with a whole record (or array of records) on every line, as [`json`](Self::json)
    /// reads it, parsed on `workers` threads ([`crate::parallel`]); a line that is not a whole
    /// value is an error here (use [`json`](Self::json) for pretty-printed documents).
    pub fn json_parallel<R: Read + Send + 'static>(input: impl Into<Arc<str>>, reader: R, workers: usize) -> Self {
        Self::with_source(input, Box::new(json_source::parallel(reader, workers)))
    }

    /// An EVTX file. Fails when the file header cannot be read.
    pub fn evtx<T: std::io::Read + std::io::Seek + Send + 'static>(
        input: impl Into<Arc<str>>,
        data: T,
    ) -> Result<Self, ReadError> {
        Self::evtx_parallel(input, data, 0)
    }

    /// An EVTX file read on `workers` threads (one or more, and a file of at least
    /// [`evtx::PARALLEL_MIN_BYTES`]; 0 reads on the calling thread), a chunk each at a time:
    /// the same records as [`evtx`](Self::evtx), in the same order. Fails when the file header
    /// cannot be read.
    pub fn evtx_parallel<T: std::io::Read + std::io::Seek + Send + 'static>(
        input: impl Into<Arc<str>>,
        data: T,
        workers: usize,
    ) -> Result<Self, ReadError> {
        let input = input.into();
        match evtx::open(data) {
            Ok(source) if workers >= 1 && source.bytes >= evtx::PARALLEL_MIN_BYTES => {
                Ok(Self::with_source(input, Box::new(evtx::parallel(source, workers))))
            }
            Ok(source) => Ok(Self::with_source(input, Box::new(source))),
            Err(message) => Err(ReadError::Record {
                at: SourceRef { input, pos: Position::Offset(0) },
                error: RecordError::Evtx(message),
            }),
        }
    }

    /// The host given to events whose record names none.
    pub fn default_host(mut self, host: impl Into<String>) -> Self {
        self.default_host = host.into();
        self
    }

    /// The offset added to this input's `TimeCreated` (local time written as UTC); when not
    /// given it is estimated from the input's process starts.
    pub fn time_offset(mut self, offset: Option<Duration>) -> Self {
        self.clock = time::Clock::new(offset);
        self
    }

    /// A handle on this reader's counts, valid after the reader is consumed.
    pub fn tally(&self) -> Tally {
        self.tally.clone()
    }

    /// Reads ahead until the clock offset is settled (or [`LOOKAHEAD`] records, or the end).
    fn prime(&mut self) {
        self.primed = true;
        while (!self.clock.settled() || self.local_clock.sampling()) && self.ahead.len() < LOOKAHEAD {
            let Some(raw) = self.source.next() else { break };
            // Mapped now, so that its clock sample is there (and it is mapped once).
            let raw = premapped(raw);
            self.observe(&raw);
            let stop = matches!(raw, Raw::Io(_));
            self.ahead.push_back(raw);
            if stop {
                break;
            }
        }
        self.clock.settle();
        self.local_clock.settle();
        if let Some((shift, samples)) = self.clock.estimated_shift() {
            let hours = shift as f64 / 3_600_000.0;
            let warning = format!(
                "{}: TimeCreated is {:+.2}h off UtcTime in {samples} process starts (local time written as UTC?); \
                 times taken from TimeCreated are corrected by that (set --time-offset to override)",
                self.input, hours
            );
            self.tally.with(|d| d.warnings.push(warning));
        }
    }

    fn observe(&mut self, raw: &Raw) {
        if let Raw::Mapped(_, p) = raw {
            if let Some((utc, created)) = p.start_utc.zip(p.time_created) {
                self.clock.observe(utc, created);
            }
            if let Some((utc, local)) = p.start_utc.zip(p.local_time) {
                self.local_clock.observe(utc, local);
            }
        }
    }

    fn next_raw(&mut self) -> Option<Raw> {
        if !self.primed {
            self.prime();
        }
        self.ahead.pop_front().or_else(|| self.source.next())
    }

    /// The sequential steps of reading one mapped record; `None` when it is skipped (and
    /// counted). With the event, the acting image its record named (for a start built later).
    fn finish_record(&mut self, at: SourceRef, p: Premapped) -> Option<Result<WithImage, ReadError>> {
        let (kind, os, utc_time) = match p.mapped {
            Err(error) => return Some(Err(ReadError::Record { at, error })),
            Ok(Mapped::Skip(reason)) => {
                self.tally.with(|d| *d.skipped.entry(reason).or_default() += 1);
                return None;
            }
            Ok(Mapped::Event { kind, os, utc_time }) => (kind, os, utc_time),
        };
        // Both come from ETW sessions whose timestamps go stale after a snapshot restore.
        let etw_time = matches!(kind, EventKind::Connect { .. } | EventKind::DnsAnswer { .. });
        let picked = self.clock.pick(utc_time, p.time_created, etw_time);
        // `EventTime` is whole seconds: it wins only where the shipper's time trails it by more
        // than the join window of two records of one start.
        let local = p
            .local_time
            .filter(|_| utc_time.is_none() && self.local_clock.settled())
            .map(|l| l + self.local_clock.offset())
            .filter(|l| picked.is_none_or(|c| (c - *l).num_milliseconds() > time::SHIPPER_LAG_MS));
        let Some(time) = local.or(picked) else {
            let text = p.utc_text.map_or_else(|| "(no UtcTime or TimeCreated)".to_owned(), String::from);
            return Some(Err(ReadError::Record { at, error: RecordError::BadTimestamp(text) }));
        };
        let mut kind = kind;
        self.partials.resolve(&mut kind, time);
        let host = p.computer.filter(|c| !c.is_empty()).unwrap_or_else(|| self.default_host.clone());
        let event = Event { time, host, os: Some(os), source: at, kind };
        self.midlife.read(&event);
        Some(Ok((event, p.image)))
    }
}

impl WinEventReader {
    /// Adds the records counted since the last flush to the tally.
    fn flush(&mut self) {
        let n = std::mem::take(&mut self.unflushed);
        if n > 0 {
            self.tally.with(|d| d.records += n);
        }
    }

    /// The next event or error in read order (before reordering).
    fn next_unordered(&mut self) -> Option<Result<WithImage, ReadError>> {
        if self.failed {
            return None;
        }
        loop {
            let raw = self.next_raw()?;
            self.unflushed += u64::from(!matches!(raw, Raw::Io(_)));
            if self.unflushed >= 1024 {
                self.flush();
            }
            let at = |pos| SourceRef { input: Arc::clone(&self.input), pos };
            match raw {
                Raw::Io(error) => {
                    self.failed = true;
                    return Some(Err(ReadError::Io { input: self.input.to_string(), error }));
                }
                Raw::Bad(pos, error) => return Some(Err(ReadError::Record { at: at(pos), error })),
                Raw::Skip(reason) => self.tally.with(|d| *d.skipped.entry(reason).or_default() += 1),
                Raw::Record(pos, r) => {
                    if let Some(result) = self.finish_record(at(pos), premap(r)) {
                        return Some(result);
                    }
                }
                Raw::Mapped(pos, p) => {
                    if let Some(result) = self.finish_record(at(pos), *p) {
                        return Some(result);
                    }
                }
            }
        }
    }
}

impl Iterator for WinEventReader {
    type Item = Result<Event, ReadError>;

    /// Errors come out at once; events once [`REORDER`] later ones have been read (or at the end).
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.after_start.take() {
            return Some(Ok(e));
        }
        while !self.exhausted && self.held.len() < REORDER {
            match self.next_unordered() {
                None => self.exhausted = true,
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok((event, image))) => {
                    self.seq += 1;
                    self.held.push((event.time, self.seq), (event, image));
                }
            }
        }
        let Some((event, image)) = self.held.pop() else {
            self.flush();
            return None;
        };
        match self.midlife.start_for(&event, image.as_deref()) {
            Some(start) => {
                self.tally.with(|d| d.starts_built += 1);
                self.after_start = Some(event);
                Some(Ok(start))
            }
            None => Some(Ok(event)),
        }
    }
}

impl Drop for WinEventReader {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Reads all of `reader` (up to `max` bytes) for formats that need to seek (EVTX from stdin).
pub fn read_bounded(reader: impl Read, max: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader.take(max).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests;
