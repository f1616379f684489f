//! Binary event logs (`.evtx`), read with the `evtx` crate one chunk (64 KiB) at a time.
//! Records are read from their BinXML where `evtx_fast` can (Sysmon, Security), else
//! rendered to JSON by the crate and read back ([`super::json::parse_evtx_json`]).
//!
//! A chunk without the chunk magic was never written: the log service preallocates a file and
//! fills it a chunk at a time, so the space past the last chunk it used holds zeros or old
//! bytes. Such a chunk is counted as skipped (`unused_evtx_chunk`), not rejected. A chunk that
//! cannot be read otherwise (bad checksum, cut short) is one error naming its file offset; a
//! record that cannot be rendered is one error naming its record id. Both are counted and
//! reading goes on with the next record or chunk.

use std::collections::VecDeque;
use std::sync::Arc;

use ::evtx::{EvtxParser, IntoIterChunks, ParserSettings};

use super::json;
use super::premap::{MapWhere, Raw};
use crate::error::RecordError;
use crate::event::Position;

/// Bytes before the first chunk.
const FILE_HEADER: u64 = 4096;
/// Bytes per chunk.
const CHUNK: u64 = 65536;

use std::io::{Read, Seek};

/// Files smaller than this are read on one thread even when more are offered: starting threads
/// and handing work over cost about what parsing 1 MB of chunks does (`docs/performance.md`).
/// 4 MiB leaves a margin.
pub const PARALLEL_MIN_BYTES: u64 = 4 << 20;

/// The records of an EVTX file.
pub struct EvtxSource<T: Read + Seek> {
    /// The file's length in bytes.
    pub bytes: u64,
    chunks: Option<IntoIterChunks<T>>,
    settings: Arc<ParserSettings>,
    ready: VecDeque<Raw>,
    /// The error for a chunk the file ends inside of, reported after the last whole chunk.
    truncated: Option<Raw>,
    /// The current chunk's template definitions, for records read without rendering.
    templates: super::evtx_template::Templates,
}

/// A chunk's file offset, when its number is known (else the file's start).
fn chunk_position(number: Option<u64>) -> Position {
    Position::Offset(number.map_or(0, |n| FILE_HEADER + n * CHUNK))
}

/// The file header is unreadable: the input is not an EVTX file at all.
pub fn open<T: Read + Seek>(mut data: T) -> Result<EvtxSource<T>, String> {
    // The crate stops quietly before a chunk the file ends inside of: report that chunk.
    let len = data.seek(std::io::SeekFrom::End(0)).and_then(|l| data.seek(std::io::SeekFrom::Start(0)).map(|_| l));
    let len = len.map_err(|e| e.to_string())?;
    let tail = len.saturating_sub(FILE_HEADER) % CHUNK;
    let truncated = (len > FILE_HEADER && tail != 0).then(|| {
        Raw::Bad(
            Position::Offset(len - tail),
            RecordError::Evtx(format!("file ends {tail} bytes into a chunk (truncated)")),
        )
    });
    // Checksums are checked: a chunk that fails them is reported rather than half-trusted.
    let settings = || ParserSettings::new().validate_checksums(true).indent(false);
    let parser = EvtxParser::from_read_seek(data).map_err(|e| chain(&e))?.with_configuration(settings());
    Ok(EvtxSource {
        bytes: len,
        chunks: Some(parser.into_chunks()),
        settings: Arc::new(settings()),
        ready: VecDeque::new(),
        truncated,
        templates: Default::default(),
    })
}

/// An error with its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl<T: Read + Seek> Iterator for EvtxSource<T> {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(r);
            }
            match self.chunks.as_mut()?.next() {
                None => {
                    self.chunks = None;
                    return self.truncated.take();
                }
                Some(chunk) => chunk_records(chunk, &self.settings, &mut self.templates, &mut self.ready),
            }
        }
    }
}

/// The records of an EVTX file read on `workers` threads, a chunk at a time ([`crate::parallel`]):
/// the same records and errors, in the same order, as [`EvtxSource`]; records are also mapped
/// there ([`super::premap()`]) as `MapWhere` shares that work out.
pub fn parallel<T: Read + Seek + Send + 'static>(
    source: EvtxSource<T>,
    workers: usize,
) -> crate::parallel::Ordered<Raw> {
    let EvtxSource { chunks, settings, truncated, .. } = source;
    // The reading thread only pulls each chunk's 64 KiB from the file; the workers parse it.
    let items = chunks
        .into_iter()
        .flatten()
        .map(|c| Item::Chunk(Box::new(c)))
        .chain(truncated.map(|t| Item::Tail(Box::new(t))));
    let backlog = crate::parallel::Backlog::default();
    let map_where = MapWhere::new(workers, backlog.clone());
    // Template definitions are kept across chunks, as the sequential reader keeps them: one
    // set per worker at a time, taken from this pool for a chunk and put back after it (a
    // fresh set per chunk parsed every definition again, and left one parsing thread no
    // faster than none).
    let pool: std::sync::Mutex<Vec<super::evtx_template::Templates>> = Default::default();
    let work = move |item: Item, out: &mut Vec<Raw>| match item {
        Item::Tail(raw) => out.push(*raw),
        Item::Chunk(chunk) => {
            let mut templates = pool.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default();
            let mut raws = Vec::new();
            chunk_records(*chunk, &settings, &mut templates, &mut raws);
            if let Ok(mut p) = pool.lock() {
                p.push(templates);
            }
            out.extend(raws.into_iter().map(|r| map_where.premapped(r)));
        }
    };
    crate::parallel::Ordered::with_backlog(items, workers, backlog, work)
        .unwrap_or_else(|e| crate::parallel::Ordered::ready(vec![Raw::Io(e)]))
}

/// What the reading thread hands a worker.
enum Item {
    /// A chunk as read (boxed: it is large, and one a 64 KiB chunk).
    Chunk(Box<Result<::evtx::EvtxChunkData, ::evtx::err::EvtxError>>),
    /// The error for a chunk the file ends inside of.
    Tail(Box<Raw>),
}

/// The skip reason of a chunk that was never written.
pub const UNUSED_CHUNK: &str = "unused_evtx_chunk";

/// Whether a chunk failed only for want of the chunk magic (zeros or old bytes: never written).
fn never_written(e: &::evtx::err::EvtxError) -> bool {
    use ::evtx::err::{ChunkError, DeserializationError, EvtxError};
    match e {
        EvtxError::FailedToParseChunk { source, .. } => {
            matches!(**source, ChunkError::FailedToParseChunkHeader(DeserializationError::InvalidEvtxChunkMagic { .. }))
        }
        _ => false,
    }
}

/// One chunk's records (or the error that loses the chunk) into `out`, in record order.
fn chunk_records(
    chunk: Result<::evtx::EvtxChunkData, ::evtx::err::EvtxError>,
    settings: &Arc<ParserSettings>,
    templates: &mut super::evtx_template::Templates,
    out: &mut impl Extend<Raw>,
) {
    let mut data = match chunk {
        Err(e) if never_written(&e) => return out.extend(Some(Raw::Skip(UNUSED_CHUNK))),
        Err(e) => {
            let number = match &e {
                ::evtx::err::EvtxError::FailedToParseChunk { chunk_id, .. } => Some(*chunk_id),
                _ => None,
            };
            return out.extend(Some(Raw::Bad(chunk_position(number), RecordError::Evtx(chain(&e)))));
        }
        Ok(d) => d,
    };
    let at_chunk = chunk_position(data.number);
    let mut parsed = match data.parse(Arc::clone(settings)) {
        Ok(p) => p,
        Err(e) => return out.extend(Some(Raw::Bad(at_chunk, RecordError::Evtx(chain(&e))))),
    };
    templates.clear();
    for record in parsed.iter() {
        // Most records are read from their BinXML; the rest are rendered to JSON.
        let fast = record.as_ref().ok().and_then(|r| {
            let (offset, size) = (r.binxml_offset as usize, r.binxml_size as usize);
            let rec = super::evtx_fast::read(r.chunk.data, offset, size, templates)?;
            Some(Raw::Record(Position::Record(r.event_record_id), rec))
        });
        if let Some(raw) = fast {
            out.extend(Some(raw));
            continue;
        }
        let raw = match record.and_then(|r| r.into_json()) {
            // A record that cannot be rendered is named by its id when the crate knows it.
            Err(e) => {
                let at = match &e {
                    ::evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => Position::Record(*record_id),
                    _ => at_chunk,
                };
                Raw::Bad(at, RecordError::Evtx(chain(&e)))
            }
            Ok(r) => {
                let at = Position::Record(r.event_record_id);
                match json::parse_evtx_json(&r.data) {
                    Ok(rec) => Raw::Record(at, rec),
                    Err(e) => Raw::Bad(at, e),
                }
            }
        };
        out.extend(Some(raw));
    }
}
