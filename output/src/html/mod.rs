//! One self-contained HTML report: a sortable alert table and, per alert, its details and its
//! lineage drawn as an SVG graph on a time axis.
//!
//! The page needs the whole run, so [`HtmlReport`] keeps the records it is given and writes the
//! page in [`finish`](crate::FinishSink::finish); [`Sink::flush`] writes nothing. Memory is
//! bounded by caps on alerts and follow-ons: what comes past a cap is counted and the page says
//! so. The page loads nothing from the network (inline CSS and script, and a content security
//! policy that forbids fetching), and every string from the logs is HTML-escaped.

use std::io::{self, Write};

use clickchain::alert::{Alert, FollowOn, Record};
use clickchain::sink::Sink;

use crate::FinishSink;

mod escape;
mod lineage;
mod page;

/// Alerts kept by [`HtmlReport::new`].
pub const DEFAULT_ALERT_CAP: usize = 5_000;
/// Follow-ons kept by [`HtmlReport::new`].
pub const DEFAULT_FOLLOW_ON_CAP: usize = 20_000;

/// The records a page shows, and what did not fit.
struct Report {
    alerts: Vec<Alert>,
    follow_ons: Vec<FollowOn>,
    dropped_alerts: u64,
    dropped_follow_ons: u64,
}

/// Collects records and writes the page at `finish`.
pub struct HtmlReport<W: Write> {
    out: W,
    report: Report,
    alert_cap: usize,
    follow_on_cap: usize,
    written: bool,
}

impl<W: Write> HtmlReport<W> {
    /// A report written to `out`, keeping up to [`DEFAULT_ALERT_CAP`] alerts and
    /// [`DEFAULT_FOLLOW_ON_CAP`] follow-ons.
    pub fn new(out: W) -> Self {
        Self::with_caps(out, DEFAULT_ALERT_CAP, DEFAULT_FOLLOW_ON_CAP)
    }

    /// A report keeping up to `alert_cap` alerts and `follow_on_cap` follow-ons.
    pub fn with_caps(out: W, alert_cap: usize, follow_on_cap: usize) -> Self {
        let report = Report { alerts: Vec::new(), follow_ons: Vec::new(), dropped_alerts: 0, dropped_follow_ons: 0 };
        HtmlReport { out, report, alert_cap, follow_on_cap, written: false }
    }
}

impl<W: Write> Sink for HtmlReport<W> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        let r = &mut self.report;
        match record {
            Record::Alert(a) if r.alerts.len() < self.alert_cap => r.alerts.push(*a),
            Record::Alert(_) => r.dropped_alerts += 1,
            Record::FollowOn(f) if r.follow_ons.len() < self.follow_on_cap => r.follow_ons.push(f),
            Record::FollowOn(_) => r.dropped_follow_ons += 1,
        }
        Ok(())
    }
}

impl<W: Write + Send> FinishSink for HtmlReport<W> {
    /// Writes the page (once; a second call only flushes).
    fn finish(&mut self) -> io::Result<()> {
        if !self.written {
            self.written = true;
            self.out.write_all(page::render(&self.report).as_bytes())?;
        }
        self.out.flush()
    }
}
