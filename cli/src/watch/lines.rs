//! Lines of followed files into events: each file's format is detected from its first line,
//! and each line is read as one record of it, except raw auditd, whose records are grouped into
//! events per file (an event still open when its file goes quiet is closed by [`LineReader::idle`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clickchain::adapters::auditd::AuditdPush;
use clickchain::adapters::ecs::EcsReader;
use clickchain::adapters::eslogger::EsloggerReader;
use clickchain::adapters::native;
use clickchain::adapters::winevent::WinEventReader;
use clickchain::adapters::zeek::ZeekDnsReader;
use clickchain::adapters::{Position, SourceRef};
use clickchain::input::{detect, InputFormat};
use clickchain::{Event, ReadError};
use clickchain_follow::{FileId, Line};

/// The formats `watch` reads, one record a line.
pub fn parse_format(name: &str) -> anyhow::Result<InputFormat> {
    Ok(match name {
        "auto" => InputFormat::Auto,
        "native" => InputFormat::Native,
        "sysmon-json" => InputFormat::WinJson,
        "xml" => InputFormat::Xml,
        "ecs" => InputFormat::Ecs,
        "eslogger" => InputFormat::Eslogger,
        "zeek-dns" => InputFormat::ZeekDns,
        "auditd" => InputFormat::Auditd,
        other => anyhow::bail!(
            "watch reads line-oriented logs: `{other}` is not one of auto, native, sysmon-json, xml, ecs, eslogger, zeek-dns, auditd"
        ),
    })
}

/// How long a raw auditd file stays quiet before its open events are closed: the grouping
/// delay the file reader allows between an event's records.
const AUDITD_QUIET: Duration = Duration::from_secs(2);

/// Reads lines into events, remembering each file's format.
pub struct LineReader {
    format: InputFormat,
    default_host: String,
    formats: HashMap<FileId, InputFormat>,
    /// Raw auditd files: their open events, and when each last had a line.
    auditd: HashMap<FileId, (AuditdPush, Instant)>,
}

type Read = Vec<Result<Event, ReadError>>;

impl LineReader {
    pub fn new(format: InputFormat, default_host: String) -> LineReader {
        LineReader { format, default_host, formats: HashMap::new(), auditd: HashMap::new() }
    }

    /// Closes every open auditd event (before a checkpoint, whose file positions are past
    /// their lines, and at exit).
    pub fn flush(&mut self) -> Read {
        let mut out = Vec::new();
        for (push, _) in self.auditd.values_mut() {
            out.extend(push.flush());
        }
        self.auditd.clear();
        out
    }

    /// Closes the open auditd events of files quiet for a while, and forgets files with none.
    pub fn idle(&mut self) -> Read {
        let mut out = Vec::new();
        self.auditd.retain(|_, (push, last)| {
            if last.elapsed() >= AUDITD_QUIET {
                out.extend(push.flush());
            }
            push.has_open()
        });
        out
    }

    /// The events of `line` (none for a blank one), each sourced at the line's byte offset.
    pub fn read(&mut self, line: &Line) -> Read {
        if line.text.iter().all(u8::is_ascii_whitespace) {
            return Vec::new();
        }
        let name: Arc<str> = line.path.to_string_lossy().into();
        let format = match self.format {
            InputFormat::Auto => *self
                .formats
                .entry(line.file)
                .or_insert_with(|| detect(&mut &line.text[..], &name).unwrap_or(InputFormat::Native)),
            f => f,
        };
        let at = SourceRef { input: Arc::clone(&name), pos: Position::Offset(line.offset) };
        if format == InputFormat::Auditd {
            return self.read_auditd(line, name);
        }
        let text = line.text.clone();
        let host = self.default_host.as_str();
        let mut events: Vec<Result<Event, ReadError>> = match format {
            InputFormat::Ecs => EcsReader::new(name, &text[..]).default_host(host).collect(),
            InputFormat::Eslogger => EsloggerReader::new(name, &text[..]).default_host(host).collect(),
            InputFormat::ZeekDns => ZeekDnsReader::new(name, &text[..]).default_host(host).collect(),
            InputFormat::WinJson => WinEventReader::json(name, std::io::Cursor::new(text)).default_host(host).collect(),
            InputFormat::Xml => WinEventReader::xml(name, std::io::Cursor::new(text)).default_host(host).collect(),
            _ => vec![native::parse_line(&line.text, host, at.clone())],
        };
        for event in events.iter_mut().flatten() {
            event.source = at.clone();
        }
        events
    }

    /// A raw auditd line, numbered by its byte offset: events are sourced at the offset of
    /// their first record.
    fn read_auditd(&mut self, line: &Line, name: Arc<str>) -> Read {
        let host = &self.default_host;
        let (push, last) =
            self.auditd.entry(line.file).or_insert_with(|| (AuditdPush::new(name, host.as_str()), Instant::now()));
        *last = Instant::now();
        let mut events = push.push(line.offset, &line.text);
        for result in &mut events {
            let at = match result {
                Ok(event) => &mut event.source,
                Err(ReadError::Record { at, .. }) => at,
                Err(_) => continue,
            };
            if let Position::Line(offset) = at.pos {
                at.pos = Position::Offset(offset);
            }
        }
        events
    }
}
