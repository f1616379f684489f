//! # clickchain-output
//!
//! Writers that turn clickchain's output records ([`clickchain::Record`]) into the formats
//! analysts load elsewhere: a CSV timeline, OCSF Detection Findings (one JSON object per line),
//! and one self-contained HTML report. NDJSON and text, the library's own sinks, are offered
//! through the same interface so a caller picks any of them by [`OutputFormat`].
//!
//! Every writer is a [`Sink`]; [`FinishSink::finish`] ends the run. Streaming formats (NDJSON,
//! text, CSV, OCSF) write each record as it arrives, and `finish` only flushes; the HTML report
//! needs the whole run, so it holds the records (up to a cap, counting what it drops) and writes
//! the page in `finish`. The columns and the OCSF mapping are described in `docs/alerts.md`.
//!
//! ```
//! use clickchain::adapters::native::NativeReader;
//! use clickchain::{Config, Engine};
//! use clickchain_output::{writer, OutputFormat};
//!
//! let sample = include_str!("../../data/samples/quickstart.ndjson");
//! let mut engine = Engine::new(Config::default()).unwrap();
//! for event in NativeReader::new("quickstart.ndjson", sample.as_bytes()) {
//!     engine.push(event.unwrap());
//! }
//! engine.finish();
//!
//! let out = tempfile::NamedTempFile::new().unwrap();
//! let format: OutputFormat = "csv".parse().unwrap();
//! let mut sink = writer(format, Box::new(out.reopen().unwrap()));
//! engine.drain_into(sink.as_mut()).unwrap();
//! sink.finish().unwrap();
//! let csv = std::fs::read_to_string(out.path()).unwrap();
//! assert!(csv.starts_with("record_type,time,alert_id,"));
//! assert_eq!(csv.lines().filter(|l| l.starts_with("alert,")).count(), 1);
//! ```
#![deny(missing_docs)]

use std::io::{self, BufWriter, Write};

use clickchain::sink::{JsonLines, Sink, Text};

mod cell;
mod format;
pub mod html;
pub mod ocsf;
pub mod timeline;

pub use format::{OutputFormat, UnknownOutputFormat};
pub use html::HtmlReport;
pub use ocsf::OcsfFindings;
pub use timeline::CsvTimeline;

/// A [`Sink`] with an end: call [`finish`](FinishSink::finish) once, after the last record.
///
/// `finish` writes whatever the format holds back until the end of the run (the HTML page) and
/// flushes the writer. Records emitted after `finish` are not written by formats that hold
/// records back; streaming formats write them and need another `finish` to flush them.
pub trait FinishSink: Sink + Send {
    /// Completes the output and flushes it.
    fn finish(&mut self) -> io::Result<()>;
}

impl<W: Write + Send> FinishSink for JsonLines<W> {
    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

impl<W: Write + Send> FinishSink for Text<W> {
    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// The writer for `format`, writing to `out` through a buffer.
pub fn writer(format: OutputFormat, out: Box<dyn Write + Send>) -> Box<dyn FinishSink> {
    let out = BufWriter::new(out);
    match format {
        OutputFormat::Ndjson => Box::new(JsonLines(out)),
        OutputFormat::Text => Box::new(Text(out)),
        OutputFormat::Csv => Box::new(CsvTimeline::new(out)),
        OutputFormat::Ocsf => Box::new(OcsfFindings::new(out)),
        OutputFormat::Html => Box::new(HtmlReport::new(out)),
    }
}
