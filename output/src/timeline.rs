//! The CSV timeline: one row per alert and per follow-on, in the order the engine emits them.
//!
//! Columns are fixed ([`COLUMNS`]) and documented in `docs/alerts.md` ("CSV columns"). Quoting
//! follows RFC 4180; every text cell is made spreadsheet-safe (formula characters neutralised,
//! control characters escaped), since paths, URLs and names come from the logs an attacker
//! influenced.

use std::io::{self, Write};

use clickchain::alert::{fmt_time, Alert, FollowOn, Record};
use clickchain::sink::Sink;

use crate::cell::spreadsheet_safe;
use crate::FinishSink;

/// The header row, in order.
pub const COLUMNS: [&str; 36] = [
    "record_type",
    "time",
    "alert_id",
    "analytic",
    "host",
    "finding",
    "follow_on_kind",
    "score",
    "strength",
    "process",
    "path",
    "click_time",
    "click_url",
    "click_observed",
    "egress_time",
    "egress_process",
    "dst_ip",
    "dst_port",
    "domain",
    "domain_source",
    "registrable_domain",
    "risk",
    "reasons",
    "renamed_from",
    "origin_url",
    "lineage",
    "evidence",
    "rule",
    "process_pid",
    "process_command_line",
    "process_user",
    "lineage_pids",
    "file_hash",
    "why",
    "evidence_by_role",
    "replaced_invalid_utf8",
];

/// Index of the `evidence` column (the last of the first release's columns).
const EVIDENCE: usize = 26;

/// Writes the CSV timeline; the header goes out with the first record (or at `finish` when
/// there were none, so an empty run still yields a header).
pub struct CsvTimeline<W: Write> {
    out: csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> CsvTimeline<W> {
    /// A timeline written to `out`.
    pub fn new(out: W) -> Self {
        CsvTimeline { out: csv::WriterBuilder::new().has_headers(false).from_writer(out), header_written: false }
    }

    fn write_row(&mut self, row: &[String; COLUMNS.len()]) -> io::Result<()> {
        if !self.header_written {
            self.out.write_record(COLUMNS).map_err(io::Error::from)?;
            self.header_written = true;
        }
        self.out.write_record(row.iter().map(|c| spreadsheet_safe(c).into_owned())).map_err(io::Error::from)
    }
}

impl<W: Write> Sink for CsvTimeline<W> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        let row = match &record {
            Record::Alert(a) => alert_row(a),
            Record::FollowOn(f) => follow_on_row(f),
        };
        self.write_row(&row)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write + Send> FinishSink for CsvTimeline<W> {
    fn finish(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.out.write_record(COLUMNS).map_err(io::Error::from)?;
            self.header_written = true;
        }
        self.out.flush()
    }
}

fn opt(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn evidence_cell(evidence: &[clickchain::SourceRef]) -> String {
    evidence.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(";")
}

fn alert_row(a: &Alert) -> [String; COLUMNS.len()] {
    let click = a.click.as_ref();
    let egress = a.egress.as_ref();
    // The writing process: the last of the lineage.
    let writer = a.processes.last();
    [
        "alert".into(),
        fmt_time(&a.time),
        a.id.clone(),
        a.analytic.to_string(),
        a.host.clone(),
        a.finding.to_string(),
        String::new(),
        a.score.to_string(),
        opt(a.strength),
        a.write.process.clone(),
        a.write.path.clone(),
        opt(click.map(|c| fmt_time(&c.time))),
        opt(click.and_then(|c| c.url.as_deref())),
        opt(click.map(|c| c.observed)),
        opt(egress.map(|e| fmt_time(&e.time))),
        opt(egress.map(|e| &e.process)),
        opt(egress.map(|e| &e.ip)),
        opt(egress.map(|e| e.port)),
        opt(egress.and_then(|e| e.domain.as_deref())),
        opt(egress.map(|e| e.domain_source)),
        opt(egress.and_then(|e| e.registrable_domain.as_deref())),
        opt(egress.map(|e| e.risk)),
        opt(egress.map(|e| e.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(";"))),
        opt(a.write.renamed_from.as_deref()),
        opt(a.write.origin_url.as_deref()),
        a.lineage.join(" > "),
        evidence_cell(&a.evidence),
        a.rule.clone(),
        opt(writer.and_then(|p| p.pid)),
        opt(writer.and_then(|p| p.command_line.as_deref())),
        opt(writer.and_then(|p| p.user.as_deref())),
        lineage_pids(a),
        opt(a.file_hash.as_deref()),
        a.reasons.join(" | "),
        a.evidence_by_role.iter().map(|e| format!("{} {}", e.role.as_str(), e.source)).collect::<Vec<_>>().join(";"),
        a.replaced_invalid_utf8.to_string(),
    ]
}

/// The lineage's pids, root first (`?` for one not logged); empty when none was.
fn lineage_pids(a: &Alert) -> String {
    if a.processes.iter().all(|p| p.pid.is_none()) {
        return String::new();
    }
    a.processes.iter().map(|p| p.pid.map_or_else(|| "?".to_owned(), |n| n.to_string())).collect::<Vec<_>>().join(" > ")
}

fn follow_on_row(f: &FollowOn) -> [String; COLUMNS.len()] {
    let mut row: [String; COLUMNS.len()] = std::array::from_fn(|_| String::new());
    row[0] = "follow_on".into();
    row[1] = fmt_time(&f.time);
    row[2] = f.alert_id.clone();
    row[3] = f.analytic.to_string();
    row[4] = f.host.clone();
    row[6] = f.kind.to_string();
    row[9] = f.process.clone();
    row[10] = f.path.clone();
    row[EVIDENCE] = evidence_cell(&f.evidence);
    // `rule` (EVIDENCE + 1) belongs to alert rows.
    row[EVIDENCE + 2] = opt(f.process_info.pid);
    row[EVIDENCE + 3] = opt(f.process_info.command_line.as_deref());
    row[EVIDENCE + 4] = opt(f.process_info.user.as_deref());
    row[COLUMNS.len() - 1] = f.replaced_invalid_utf8.to_string();
    row
}
