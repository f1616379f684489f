//! OCSF 1.8.0 Detection Findings (class `detection_finding`, `class_uid` 2004), one JSON object
//! per line.
//!
//! Each alert is a finding with activity Create; each follow-on is an Update of its alert's
//! finding (same `finding_info.uid`, the alert id) carrying the follow-on as its evidence. So the
//! output streams, needs no memory per alert, and a consumer that groups by `finding_info.uid`
//! sees an alert with all its follow-ons. The mapping, attribute by attribute, is in
//! `docs/alerts.md` ("OCSF mapping").

use std::io::{self, Write};

use clickchain::alert::Record;
use clickchain::sink::Sink;

use crate::FinishSink;

mod alert;
mod follow_on;
mod parts;

pub use alert::alert_finding;
pub use follow_on::follow_on_finding;

/// The OCSF schema version the findings follow.
pub const SCHEMA_VERSION: &str = "1.8.0";
/// The Detection Finding class.
pub const CLASS_UID: u32 = 2004;

/// The finding for one record: [`alert_finding`] or [`follow_on_finding`].
pub fn finding(record: &Record) -> serde_json::Value {
    match record {
        Record::Alert(a) => alert_finding(a),
        Record::FollowOn(f) => follow_on_finding(f),
    }
}

/// Writes one finding per record, one per line.
pub struct OcsfFindings<W: Write>(W);

impl<W: Write> OcsfFindings<W> {
    /// Findings written to `out`.
    pub fn new(out: W) -> Self {
        OcsfFindings(out)
    }
}

impl<W: Write> Sink for OcsfFindings<W> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        clickchain::alert::write_json(&mut self.0, &finding(&record))?;
        self.0.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write + Send> FinishSink for OcsfFindings<W> {
    fn finish(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
