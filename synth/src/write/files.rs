//! A stream and its labels written into a folder (what `clickchain synth` and
//! `clickchain-bench gen` do).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::Written;
use crate::Stream;

/// An output format of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// clickchain's native NDJSON: `stream.ndjson`.
    Native,
    /// Flattened Sysmon JSON of the Windows events: `stream.sysmon.json`.
    Sysmon,
    /// ECS NDJSON of every host: `stream.ecs.ndjson`.
    Ecs,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Native, Format::Sysmon, Format::Ecs];

    /// The file name of the stream in this format.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Native => "stream.ndjson",
            Format::Sysmon => "stream.sysmon.json",
            Format::Ecs => "stream.ecs.ndjson",
        }
    }

    /// `native`, `sysmon` or `ecs` (the form names of [`crate::Chain::expected_in`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Sysmon => "sysmon",
            Format::Ecs => "ecs",
        }
    }

    /// Parses `native,sysmon,ecs` (any subset, any order) or `all`.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "all" {
                out.extend(Format::ALL);
            } else {
                out.push(part.parse()?);
            }
        }
        out.sort_unstable();
        out.dedup();
        if out.is_empty() {
            return Err("no format given".to_owned());
        }
        Ok(out)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown format `{s}` (expected native, sysmon, ecs or all)"))
    }
}

/// One file written by [`to_dir`] and its one-line summary.
#[derive(Debug, Clone)]
pub struct FileWritten {
    /// The file.
    pub path: PathBuf,
    /// What is in it (`6000 records`, `… events not written: …`, `9 chains …`).
    pub summary: String,
}

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", path.display())))
}

/// Writes `stream` into `dir` (created if needed) in each of `formats`, then `labels.json`.
pub fn to_dir(stream: &Stream, dir: &Path, formats: &[Format]) -> io::Result<Vec<FileWritten>> {
    fs::create_dir_all(dir).map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for &f in formats {
        let path = dir.join(f.file_name());
        let mut w = create(&path)?;
        let written = match f {
            Format::Native => {
                stream.write_ndjson(&mut w)?;
                Written { records: stream.events.len() as u64, ..Written::default() }
            }
            Format::Sysmon => super::sysmon(stream, &mut w)?,
            Format::Ecs => super::ecs(stream, &mut w)?,
        };
        w.flush()?;
        let expected = stream.chains.iter().filter(|c| c.expected_in(f.as_str())).count();
        let summary = format!("{}; {expected} chains expected to alert", written.summary());
        out.push(FileWritten { path, summary });
    }
    let path = dir.join("labels.json");
    let mut w = create(&path)?;
    serde_json::to_writer_pretty(&mut w, &stream.labels())?;
    w.write_all(b"\n")?;
    w.flush()?;
    let mut per: Vec<String> = Vec::new();
    for a in ["AN0178", "AN0179", "AN0180"] {
        per.push(format!("{a} {}", stream.chains.iter().filter(|c| c.analytic() == a).count()));
    }
    let evasive = stream.chains.iter().filter(|c| !c.evasions.is_empty()).count();
    let mut summary = format!(
        "{} chains ({}; {evasive} with evasions), {} decoys",
        stream.chains.len(),
        per.join(", "),
        stream.decoys.len()
    );
    let mut rules: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for r in stream.chains.iter().flat_map(|c| &c.rules) {
        *rules.entry(r).or_default() += 1;
    }
    let near_misses = stream.decoys.iter().filter(|d| matches!(d.kind, crate::DecoyKind::NearMiss(_))).count();
    if near_misses > 0 {
        let per_rule: Vec<String> = rules.iter().map(|(r, n)| format!("{r} {n}")).collect();
        summary.push_str(&format!("; chains per rule: {}; {near_misses} near misses", per_rule.join(", ")));
    }
    out.push(FileWritten { path, summary });
    Ok(out)
}
