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
pub mod text;
pub mod timeline;

pub use format::{OutputFormat, UnknownOutputFormat};
pub use html::HtmlReport;
pub use ocsf::OcsfFindings;
pub use text::TextReport;
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

/// The last component of a Windows or Unix path (a process image's or a file's name).
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// The writer for a live run (`watch`): as [`writer`], but text is written record by record
/// (a follow-on line names its alert and host) rather than grouped at the end.
pub fn live_writer(format: OutputFormat, out: Box<dyn Write + Send>) -> Box<dyn FinishSink> {
    match format {
        OutputFormat::Text => Box::new(Text(BufWriter::new(out))),
        other => writer(other, out),
    }
}

/// The writer for `format`, writing to `out` through a buffer.
pub fn writer(format: OutputFormat, out: Box<dyn Write + Send>) -> Box<dyn FinishSink> {
    let out = BufWriter::new(out);
    match format {
        OutputFormat::Ndjson => Box::new(JsonLines(out)),
        OutputFormat::Text => Box::new(TextReport::new(out)),
        OutputFormat::Csv => Box::new(CsvTimeline::new(out)),
        OutputFormat::Ocsf => Box::new(OcsfFindings::new(out)),
        OutputFormat::Html => Box::new(HtmlReport::new(out)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer the test can read after the sink is done with it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().map_err(|_| io::Error::other("poisoned"))?.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn file_names_of_windows_and_unix_paths() {
        assert_eq!(file_name(r"C:\Users\a\Downloads\x.pdf.exe"), "x.pdf.exe");
        assert_eq!(file_name("/usr/lib/firefox/firefox"), "firefox");
        assert_eq!(file_name("plain"), "plain");
    }

    #[test]
    fn each_format_writes_its_own_shape_on_an_empty_run() {
        for (format, start) in [
            (OutputFormat::Ndjson, ""),
            (OutputFormat::Text, ""),
            (OutputFormat::Csv, "record_type,time,alert_id"),
            (OutputFormat::Ocsf, ""),
            (OutputFormat::Html, "<!DOCTYPE html>"),
        ] {
            let out = Shared::default();
            let mut sink = writer(format, Box::new(out.clone()));
            sink.finish().unwrap();
            drop(sink);
            let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
            assert!(text.starts_with(start) && (start.is_empty() == text.is_empty()), "{format}: {text:?}");
        }
    }
}
