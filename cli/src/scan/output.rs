//! Where `scan` writes its records: the format (`--output`), stdout or a file written
//! atomically (`--output-file`), and the alerts kept (`--min-score`, `--from`, `--to`).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clickchain::sink::Sink;
use clickchain::Record;
use clickchain_output::{FinishSink, OutputFormat};

/// The sink writing `format` to `out`.
fn sink_for(format: OutputFormat, out: Box<dyn Write + Send>) -> Box<dyn FinishSink> {
    clickchain_output::writer(format, out)
}

/// Records going out: the sink, and the file it writes, if not stdout.
pub struct Output {
    sink: Box<dyn FinishSink>,
    file: Option<AtomicFile>,
}

/// A file written under a temporary name in its folder, and renamed over its own name once
/// complete and on disk: a run that fails or is killed leaves no half file.
struct AtomicFile {
    path: PathBuf,
    temp: tempfile::TempPath,
    handle: File,
}

impl Output {
    /// The output in `format` to `file`, or to stdout.
    pub fn open(format: OutputFormat, file: Option<&Path>) -> anyhow::Result<Output> {
        let Some(path) = file else {
            return Ok(Output { sink: sink_for(format, Box::new(io::stdout())), file: None });
        };
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".clickchain-")
            .tempfile_in(folder)
            .with_context(|| format!("--output-file {}: cannot write in {}", path.display(), folder.display()))?;
        let (file, temp) = temp.into_parts();
        let handle = file.try_clone().context("--output-file")?;
        let sink = sink_for(format, Box::new(file));
        Ok(Output { sink, file: Some(AtomicFile { path: path.to_path_buf(), temp, handle }) })
    }

    /// The sink.
    pub fn sink(&mut self) -> &mut dyn Sink {
        &mut *self.sink
    }

    /// Flushes, and puts the file in its place.
    pub fn finish(mut self) -> io::Result<()> {
        self.sink.finish()?;
        let Some(f) = self.file else { return Ok(()) };
        f.handle.sync_all()?;
        f.temp.persist(&f.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Which alerts are written; their follow-ons go with them.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// The lowest score kept.
    pub min_score: u8,
    /// Alerts before this are left out.
    pub from: Option<DateTime<Utc>>,
    /// Alerts after this are left out.
    pub to: Option<DateTime<Utc>>,
}

impl AlertFilter {
    /// Whether any alert may be left out.
    pub fn filters(&self) -> bool {
        self.min_score > 0 || self.from.is_some() || self.to.is_some()
    }

    fn admits(&self, time: DateTime<Utc>, score: u8) -> bool {
        score >= self.min_score && self.from.is_none_or(|f| time >= f) && self.to.is_none_or(|t| time <= t)
    }
}

/// A time for `--from`/`--to`: RFC 3339 (`2024-05-14T09:00:00Z`) or a day (`2024-05-14`,
/// its midnight UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}` is not a time (2024-05-14T09:00:00Z or 2024-05-14)"))
}

/// Passes on the alerts `filter` admits and their follow-ons, counting what it passes.
pub struct Filtered<'a> {
    inner: &'a mut dyn Sink,
    filter: &'a AlertFilter,
    /// The ids of the alerts passed on (only kept while filtering).
    kept: &'a mut HashSet<String>,
    /// Alerts passed on.
    pub alerts: &'a mut u64,
}

impl<'a> Filtered<'a> {
    /// `inner` behind `filter`; `kept` and `alerts` carry over between drains.
    pub fn new(
        inner: &'a mut dyn Sink,
        filter: &'a AlertFilter,
        kept: &'a mut HashSet<String>,
        alerts: &'a mut u64,
    ) -> Self {
        Filtered { inner, filter, kept, alerts }
    }
}

impl Sink for Filtered<'_> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        let pass = match &record {
            Record::Alert(a) => {
                let pass = self.filter.admits(a.time, a.score);
                if pass {
                    *self.alerts += 1;
                    if self.filter.filters() {
                        self.kept.insert(a.id.clone());
                    }
                }
                pass
            }
            Record::FollowOn(f) => !self.filter.filters() || self.kept.contains(&f.alert_id),
        };
        if pass {
            self.inner.emit(record)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_a_day() {
        assert_eq!(parse_time("2024-05-14").unwrap().to_rfc3339(), "2024-05-14T00:00:00+00:00");
        assert_eq!(parse_time("2024-05-14T11:00:00+02:00").unwrap().to_rfc3339(), "2024-05-14T09:00:00+00:00");
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn the_filter_bounds_are_inclusive() {
        let t = parse_time("2024-05-14T09:00:00Z").unwrap();
        let f = AlertFilter { min_score: 60, from: Some(t), to: Some(t) };
        assert!(f.admits(t, 60));
        assert!(!f.admits(t, 59));
        assert!(!f.admits(t + chrono::Duration::milliseconds(1), 90));
    }
}
