//! Opening inputs: files, folders (recursive, in name order) and `-` for stdin, gzip or zstd
//! compressed or not, with the format detected per input; and reading many of them merged by
//! time with a bounded number of files open ([`Inputs`]).

mod compress;
mod detect;
mod folder;
mod lazy;

pub use compress::Compression;
pub use detect::detect;
pub use folder::{expand_filtered, Expanded, Filter};
pub use lazy::{InputItem, InputReport, Inputs, MAX_OPEN};

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use clickchain_adapters::auditd::{self, AuditdReader};
use clickchain_adapters::ecs::EcsReader;
use clickchain_adapters::eslogger::EsloggerReader;
use clickchain_adapters::native::NativeReader;
use clickchain_adapters::winevent::{self, Tally, WinEventReader};
use clickchain_adapters::zeek::ZeekDnsReader;
use clickchain_adapters::{Event, ReadError};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InputFormat {
    /// Detect per input.
    #[default]
    Auto,
    /// clickchain's native NDJSON.
    Native,
    /// A Windows binary event log (`.evtx`).
    Evtx,
    /// Rendered Windows event XML (`<Event>` per record; also syslog lines carrying one).
    Xml,
    /// Windows events as JSON, in any of the shapes the Windows reader knows, detected per record.
    WinJson,
    /// Raw auditd text (`audit.log`, `ausearch --raw`).
    Auditd,
    /// Zeek `dns.log` (JSON or tab-separated).
    ZeekDns,
    /// macOS Endpoint Security JSON lines from `eslogger`.
    Eslogger,
    /// Elastic Common Schema documents (NDJSON, pretty-printed, or search hits).
    Ecs,
}

/// How inputs are opened.
#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// The format, or `Auto` to detect it per input.
    pub format: InputFormat,
    /// Host for records that name none.
    pub default_host: String,
    /// Corrects the `TimeCreated` of Windows inputs (see `winevent::time`).
    pub time_offset: Option<Duration>,
    /// Threads that parse an input (NDJSON: native, ECS or Windows JSON; EVTX, a chunk each at
    /// a time; see `clickchain_adapters::parallel`), apart from the thread that takes its
    /// events; 0 parses on that thread. The events are the same either way.
    pub parse_threads: usize,
    /// EVTX files: threads that parse their chunks, when other than `parse_threads`. A chunk is
    /// far more work than a line: beside one engine on two cores, two threads read a large
    /// EVTX file faster than one, where NDJSON ran fastest with one (`docs/performance.md`).
    pub evtx_parse_threads: Option<usize>,
}

impl std::str::FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(InputFormat::Auto),
            "native" => Ok(InputFormat::Native),
            "evtx" => Ok(InputFormat::Evtx),
            "xml" => Ok(InputFormat::Xml),
            "sysmon-json" => Ok(InputFormat::WinJson),
            "auditd" => Ok(InputFormat::Auditd),
            "zeek-dns" => Ok(InputFormat::ZeekDns),
            "eslogger" => Ok(InputFormat::Eslogger),
            "ecs" => Ok(InputFormat::Ecs),
            other => Err(format!(
                "unknown input format `{other}` (expected auto, native, evtx, xml, sysmon-json, auditd, zeek-dns, \
                 eslogger or ecs)"
            )),
        }
    }
}

/// Why an input could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The path cannot be read.
    #[error("{path}: {error}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        error: io::Error,
    },
    /// No known format matches the input's first record.
    #[error("{path}: unrecognised input format (first bytes: {head}); skipped (name its format with --format)")]
    UnknownFormat {
        /// The path.
        path: String,
        /// The first bytes, for the message.
        head: String,
    },
    /// A folder met again below itself through a symbolic link.
    #[error("{path}: symlink loop (a folder inside itself); not followed")]
    SymlinkLoop {
        /// The path of the link.
        path: String,
    },
    /// A FIFO, socket or device inside a folder.
    #[error("{path}: {kind}, not a file; skipped")]
    NotAFile {
        /// The path.
        path: String,
        /// What it is.
        kind: &'static str,
    },
    /// A path that is not valid UTF-8 (it is read; records name it with those bytes replaced).
    #[error("{path}: path is not valid UTF-8; read, and named with the bad bytes replaced")]
    NonUtf8Path {
        /// The path, with the bytes that are not UTF-8 replaced.
        path: String,
    },
}

impl InputError {
    /// The count this belongs to in a scan's summary.
    pub fn reason(&self) -> &'static str {
        match self {
            InputError::Io { .. } => "unreadable_input",
            InputError::UnknownFormat { .. } => "unknown_format",
            InputError::SymlinkLoop { .. } => "symlink_loop",
            InputError::NotAFile { .. } => "not_a_file",
            InputError::NonUtf8Path { .. } => "non_utf8_path",
        }
    }
}

/// Expands folders into the files below them (sorted by path); `-` stays as stdin.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputError>) {
    let e = expand_filtered(paths, &Filter::default());
    (e.files, e.warnings)
}

/// Counts bytes read through it (for a progress bar).
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The records of one opened input.
pub type Records = Box<dyn Iterator<Item = Result<Event, ReadError>> + Send>;

/// What an auditd reader left out or rejected, readable while and after its records are read.
pub type AdapterCounters = Arc<Mutex<auditd::Counters>>;

/// An opened input: its records, and the reader's counts for formats that keep them.
pub struct Opened {
    /// The records.
    pub records: Records,
    /// Windows formats: records read and skipped (not relevant) by reason, and warnings.
    pub tally: Option<Tally>,
    /// auditd: what the reader left out or rejected.
    pub counters: Option<AdapterCounters>,
}

impl Opened {
    fn plain(records: Records) -> Opened {
        Opened { records, tally: None, counters: None }
    }
}

/// The longest EVTX read from stdin (a file is read in place).
const MAX_EVTX_STDIN: u64 = 4 << 30;

/// Opens one input: detects its compression (gzip, zstd) and format and returns its records.
/// `progress` counts bytes read (compressed bytes, for a compressed input).
pub fn open(path: &Path, options: &InputOptions, progress: Arc<AtomicU64>) -> Result<Opened, InputError> {
    let name = path.display().to_string();
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(|error| InputError::Io { path: name.clone(), error })?)
    };
    let mut reader = BufReader::with_capacity(BUFFER, Counting { inner: raw, count: progress });
    let head = reader.fill_buf().map_err(|error| InputError::Io { path: name.clone(), error })?;
    let Some(compression) = Compression::sniff(head) else {
        return open_plain(path, reader, options, None);
    };
    let (decoded, failure) = compress::decoder(reader, compression);
    let mut decoded = BufReader::with_capacity(BUFFER, decoded);
    // A stream that breaks off before its first byte (a gzip header before garbage) gives
    // nothing to read: the input cannot be opened.
    if decoded.fill_buf().is_ok_and(|b| b.is_empty()) {
        if let Some(error) = failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(InputError::Io { path: name, error });
        }
    }
    tracing::debug!(input = %name, compression = compression.name(), "decompressing");
    let mut opened = open_plain(path, decoded, options, Some(compression))?;
    let records = std::mem::replace(&mut opened.records, Box::new(std::iter::empty()));
    opened.records = Box::new(compress::ThenFailure { records, failure, input: name });
    Ok(opened)
}

/// Bytes buffered per open input.
const BUFFER: usize = 256 * 1024;

/// Opens one input whose bytes `reader` gives uncompressed (`compressed` says whether they
/// were decompressed, so that the file itself cannot be read again as they are).
fn open_plain<R: Read + Send + 'static>(
    path: &Path,
    mut reader: BufReader<R>,
    options: &InputOptions,
    compressed: Option<Compression>,
) -> Result<Opened, InputError> {
    let default_host = options.default_host.as_str();
    let name = path.display().to_string();
    let format = match options.format {
        InputFormat::Auto => detect(&mut reader, &name).map_err(|e| match (e, compressed) {
            (InputError::UnknownFormat { path, head }, Some(c)) => {
                InputError::UnknownFormat { path, head: format!("{head}, once {} decompressed", c.name()) }
            }
            (e, _) => e,
        })?,
        f => f,
    };
    tracing::debug!(input = %name, ?format, "opened");
    let threads = options.parse_threads;
    // Pretty-printed JSON documents span lines: only NDJSON can be cut into blocks of lines.
    let parallel = threads >= 1
        && match format {
            InputFormat::Native | InputFormat::Auto => true,
            InputFormat::Ecs | InputFormat::WinJson => first_line_whole(&mut reader),
            _ => false,
        };
    let windows = match format {
        InputFormat::Native | InputFormat::Auto if parallel => {
            let max = clickchain_adapters::native::DEFAULT_MAX_LINE;
            let records = clickchain_adapters::native::parallel(name.as_str(), reader, threads, default_host, max);
            return Ok(Opened::plain(Box::new(records)));
        }
        InputFormat::Native | InputFormat::Auto => {
            return Ok(Opened::plain(Box::new(NativeReader::new(name.as_str(), reader).default_host(default_host))));
        }
        InputFormat::Ecs if parallel => {
            let records = clickchain_adapters::ecs::parallel(name.as_str(), reader, threads, default_host);
            return Ok(Opened::plain(Box::new(records)));
        }
        InputFormat::Auditd => {
            let r = AuditdReader::new(name.as_str(), reader).default_host(default_host);
            let counters = Some(r.counters_handle());
            return Ok(Opened { records: Box::new(r), tally: None, counters });
        }
        InputFormat::ZeekDns => {
            return Ok(Opened::plain(Box::new(ZeekDnsReader::new(name.as_str(), reader).default_host(default_host))));
        }
        InputFormat::Eslogger => {
            return Ok(Opened::plain(Box::new(EsloggerReader::new(name.as_str(), reader).default_host(default_host))));
        }
        InputFormat::Ecs => {
            return Ok(Opened::plain(Box::new(EcsReader::new(name.as_str(), reader).default_host(default_host))));
        }
        InputFormat::Xml => WinEventReader::xml(name.as_str(), reader),
        InputFormat::WinJson if parallel => WinEventReader::json_parallel(name.as_str(), reader, threads),
        InputFormat::WinJson => WinEventReader::json(name.as_str(), reader),
        InputFormat::Evtx => {
            let threads = options.evtx_parse_threads.unwrap_or(threads);
            let opened = if path.as_os_str() == "-" || compressed.is_some() {
                winevent::read_bounded(reader, MAX_EVTX_STDIN)
                    .map(|b| WinEventReader::evtx_parallel(name.as_str(), io::Cursor::new(b), threads))
            } else {
                File::open(path).map(|f| WinEventReader::evtx_parallel(name.as_str(), BufReader::new(f), threads))
            };
            match opened.map_err(|error| InputError::Io { path: name.clone(), error })? {
                Ok(r) => r,
                // An unreadable header is one counted error, like any other bad record.
                Err(e) => return Ok(Opened::plain(Box::new(std::iter::once(Err(e))))),
            }
        }
    };
    let reader = windows.default_host(default_host).time_offset(options.time_offset);
    let tally = Some(reader.tally());
    Ok(Opened { records: Box::new(reader), tally, counters: None })
}

/// Whether the first non-blank line of what `reader` has buffered is a whole JSON value (an
/// NDJSON input, not the start of a pretty-printed document).
fn first_line_whole<R: BufRead>(reader: &mut R) -> bool {
    let Ok(head) = reader.fill_buf() else { return false };
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let text = &text[start..];
    let Some(end) = text.iter().position(|&b| b == b'\n') else { return false };
    serde_json::from_slice::<serde::de::IgnoredAny>(&text[..end]).is_ok()
}
