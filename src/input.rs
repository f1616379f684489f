//! Opening inputs: files, folders (recursive, in name order) and `-` for stdin, with the
//! format detected per input.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clickchain_adapters::auditd::{self, AuditdReader};
use clickchain_adapters::ecs::EcsReader;
use clickchain_adapters::eslogger::EsloggerReader;
use clickchain_adapters::native::NativeReader;
use clickchain_adapters::zeek::ZeekDnsReader;
use clickchain_adapters::{Event, ReadError};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// Detect per input.
    Auto,
    /// clickchain's native NDJSON.
    Native,
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
#[derive(Debug, Clone)]
pub struct InputOptions {
    /// The format, or `Auto` to detect it per input.
    pub format: InputFormat,
    /// Host for records that name none.
    pub default_host: String,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions { format: InputFormat::Auto, default_host: String::new() }
    }
}

impl std::str::FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(InputFormat::Auto),
            "native" | "ndjson" => Ok(InputFormat::Native),
            "auditd" => Ok(InputFormat::Auditd),
            "zeek-dns" => Ok(InputFormat::ZeekDns),
            "eslogger" => Ok(InputFormat::Eslogger),
            "ecs" => Ok(InputFormat::Ecs),
            other => Err(format!(
                "unknown input format `{other}` (expected auto, native, auditd, zeek-dns, eslogger or ecs)"
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
    #[error("{path}: unrecognised input format (first bytes: {head:?})")]
    UnknownFormat {
        /// The path.
        path: String,
        /// The first bytes, for the message.
        head: String,
    },
}

/// Expands folders into the files below them (sorted by path); `-` stays as stdin.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            files.push(p.clone());
        } else {
            walk(p, &mut files, &mut errors);
        }
    }
    (files, errors)
}

fn walk(p: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let err = |error| InputError::Io { path: p.display().to_string(), error };
    match std::fs::metadata(p) {
        Err(e) => errors.push(err(e)),
        Ok(m) if m.is_dir() => match std::fs::read_dir(p) {
            Err(e) => errors.push(err(e)),
            Ok(entries) => {
                let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for c in children {
                    walk(&c, files, errors);
                }
            }
        },
        Ok(_) => files.push(p.to_path_buf()),
    }
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

/// Opens one input: detects its format and returns its records. `progress` counts bytes read.
pub fn open(path: &Path, options: &InputOptions, progress: Arc<AtomicU64>) -> Result<Records, InputError> {
    open_counted(path, options, progress).map(|(records, _)| records)
}

/// What an auditd reader left out or rejected, readable while and after its records are read.
pub type AdapterCounters = Arc<Mutex<auditd::Counters>>;

/// [`open`], with the reader's counters for formats that keep them (auditd).
pub fn open_counted(
    path: &Path,
    options: &InputOptions,
    progress: Arc<AtomicU64>,
) -> Result<(Records, Option<AdapterCounters>), InputError> {
    let default_host = options.default_host.as_str();
    let name = path.display().to_string();
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(|error| InputError::Io { path: name.clone(), error })?)
    };
    let mut reader = BufReader::with_capacity(256 * 1024, Counting { inner: raw, count: progress });
    let format = match options.format {
        InputFormat::Auto => detect(&mut reader, &name)?,
        f => f,
    };
    match format {
        InputFormat::Native | InputFormat::Auto => {
            Ok((Box::new(NativeReader::new(name.as_str(), reader).default_host(default_host)), None))
        }
        InputFormat::Auditd => {
            let r = AuditdReader::new(name.as_str(), reader).default_host(default_host);
            let counters = r.counters_handle();
            Ok((Box::new(r), Some(counters)))
        }
        InputFormat::ZeekDns => {
            Ok((Box::new(ZeekDnsReader::new(name.as_str(), reader).default_host(default_host)), None))
        }
        InputFormat::Eslogger => {
            Ok((Box::new(EsloggerReader::new(name.as_str(), reader).default_host(default_host)), None))
        }
        InputFormat::Ecs => Ok((Box::new(EcsReader::new(name.as_str(), reader).default_host(default_host)), None)),
    }
}

/// An Endpoint Security message: top-level `event_type` and `process`, with eslogger's
/// `schema_version` or `mach_time` (checked on the first line's keys, not its whole text).
fn looks_like_eslogger(text: &[u8]) -> bool {
    let line = text.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace)).unwrap_or_default();
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(line) else {
        return false;
    };
    map.contains_key("event_type")
        && map.contains_key("process")
        && (map.contains_key("schema_version") || map.contains_key("mach_time"))
}

/// ECS documents or search hits: `@timestamp` or `_source` near the start (native records have
/// `time`, never `@timestamp`).
fn looks_like_ecs(text: &[u8]) -> bool {
    let head = &text[..text.len().min(8192)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    has(b"\"@timestamp\"") || has(b"\"_source\"")
}

/// Sniffs the first non-blank bytes: a Zeek DNS log (a JSON line with `id.orig_h` and `query`,
/// or `#separator` and `#path\tdns`) is zeek-dns; a JSON line with eslogger's keys is eslogger;
/// JSON with `@timestamp` or `_source` is ECS; other JSON is native; `type=`/`node=` (after `#`
/// comment lines) is auditd. An empty input is native (it has no records either way).
fn detect<R: BufRead>(reader: &mut R, name: &str) -> Result<InputFormat, InputError> {
    let head = reader.fill_buf().map_err(|error| InputError::Io { path: name.to_owned(), error })?;
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        _ if clickchain_adapters::zeek::sniff(text) => Ok(InputFormat::ZeekDns),
        Some(b'{') if looks_like_eslogger(text) => Ok(InputFormat::Eslogger),
        Some(b'{' | b'[') if looks_like_ecs(text) => Ok(InputFormat::Ecs),
        None | Some(b'{') => Ok(InputFormat::Native),
        Some(_) if clickchain_adapters::auditd::sniff(text) => Ok(InputFormat::Auditd),
        Some(_) => Err(InputError::UnknownFormat {
            path: name.to_owned(),
            head: String::from_utf8_lossy(&text[..text.len().min(32)]).into_owned(),
        }),
    }
}
