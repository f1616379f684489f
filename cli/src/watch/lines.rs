//! Lines of followed files into events: each file's format is detected from its first line,
//! and each line is read as one record of it.

use std::collections::HashMap;
use std::sync::Arc;

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
        other => anyhow::bail!(
            "watch reads one record a line: `{other}` is not one of auto, native, sysmon-json, xml, ecs, eslogger, zeek-dns"
        ),
    })
}

/// Reads lines into events, remembering each file's format.
pub struct LineReader {
    format: InputFormat,
    default_host: String,
    formats: HashMap<FileId, InputFormat>,
}

impl LineReader {
    pub fn new(format: InputFormat, default_host: String) -> LineReader {
        LineReader { format, default_host, formats: HashMap::new() }
    }

    /// The events of `line` (none for a blank one), each sourced at the line's byte offset.
    pub fn read(&mut self, line: &Line) -> Vec<Result<Event, ReadError>> {
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
}
