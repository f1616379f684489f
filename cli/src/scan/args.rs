//! `scan`'s flags, and what they become.

use std::path::PathBuf;

use clap::Args;
use clickchain::input::InputFormat;
use clickchain::Os;

use clickchain_output::OutputFormat;

#[derive(Args)]
pub struct ScanArgs {
    /// Files, folders (recursive) or `-` for stdin; gzip and zstd are read as they are.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Input format (`auto`, `native`, `evtx`, `xml`, `sysmon-json`, `auditd`, `zeek-dns`,
    /// `eslogger`, `ecs`); the output format is `--output`.
    #[arg(long, short = 'f', default_value = "auto")]
    pub format: String,
    /// Output format: `ndjson`, `text`, `csv`, `ocsf` or `html`.
    #[arg(long, default_value = "ndjson", value_name = "FORMAT")]
    pub output: OutputFormat,
    /// Write the records to FILE (complete or not at all) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Inside folders, read only files whose path below the folder, or name, matches GLOB
    /// (repeatable; `*` also matches `/`).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Inside folders, leave out files whose path below the folder, or name, matches GLOB
    /// (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Only alerts of this score or more (and their follow-ons).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub min_score: u8,
    /// Only alerts at or after TIME (RFC 3339, or a day: 2024-05-14).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only alerts at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Configuration file (TOML; see `clickchain config --print-default`).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Rules to run, by id, instead of `[rules] enabled` (`clickchain rules` lists them).
    #[arg(long, value_name = "ID,ID")]
    pub rules: Option<String>,
    /// Each alert carries its `derivation`: every fact of its rule that held, with its record
    /// (as `[rules] explain = true`; `docs/alerts.md`).
    #[arg(long)]
    pub explain: bool,
    /// Host name for inputs whose records name none.
    #[arg(long)]
    pub host: Option<String>,
    /// OS of hosts whose OS cannot be told from their events.
    #[arg(long)]
    pub os: Option<Os>,
    /// A newer Public Suffix List file instead of the vendored one.
    #[arg(long, value_name = "FILE")]
    pub psl: Option<PathBuf>,
    /// Newly-observed-domain store: read before the run when FILE exists, written after it
    /// (replaced whole), so that the next run knows the domains this one saw and is not warmed
    /// up again.
    #[arg(long, value_name = "FILE")]
    pub nod_store: Option<PathBuf>,
    /// Exit with 1 when alerts were written.
    #[arg(long)]
    pub fail_on_alert: bool,
    /// Rejected records and inputs left out are errors: the run exits with 2.
    #[arg(long)]
    pub strict: bool,
    /// No progress bar, no summary and no per-record messages on stderr (why a run exits
    /// with 2 is still told).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print the engine's counters (drops, caps, classification) as JSON on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Offset added to the `TimeCreated` of Windows inputs that wrote local time as UTC:
    /// `-7h` for every input, or `PATH=-7h` for the inputs at or under PATH (repeatable). Without
    /// it, the offset is estimated per input from its process starts.
    #[arg(long, value_name = "[PATH=]OFFSET", allow_hyphen_values = true)]
    pub time_offset: Vec<String>,
    /// Threads. Unset: one engine, and NDJSON inputs (native, ECS, Windows JSON) and EVTX
    /// files of 4 MiB or more parsed on a thread of their own when the machine has two cores or
    /// more (the same output as with 1). 1: reading and the engine on one thread. N > 1: N
    /// engines on threads of their own, each owning a share of the hosts (records of different
    /// hosts may then come out in another order), and those inputs parsed on N threads. 0: N is
    /// the number of cores. Inputs are parsed apart only when there are at most 8.
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
}

/// `--format`: an input format. The output formats once accepted here are named with a pointer
/// to `--output`.
pub fn input_format(text: &str) -> anyhow::Result<InputFormat> {
    match text {
        "text" | "ndjson" | "json" | "csv" | "ocsf" | "html" => anyhow::bail!(
            "--format names the input format (auto, native, evtx, xml, sysmon-json, auditd, zeek-dns, eslogger, \
             ecs); for the output use --output {}",
            if text == "json" { "ndjson" } else { text }
        ),
        f => f.parse::<InputFormat>().map_err(anyhow::Error::msg),
    }
}

/// The `--time-offset` for one input: the last matching `PATH=` entry, else a bare offset.
pub fn offset_for(entries: &[(Option<PathBuf>, chrono::Duration)], file: &std::path::Path) -> Option<chrono::Duration> {
    entries.iter().rev().find(|(p, _)| p.as_ref().is_none_or(|p| file.starts_with(p))).map(|(_, d)| *d)
}

pub fn parse_offsets(args: &[String]) -> anyhow::Result<Vec<(Option<PathBuf>, chrono::Duration)>> {
    args.iter()
        .map(|a| {
            let (path, text) = match a.rsplit_once('=') {
                Some((p, t)) => (Some(PathBuf::from(p)), t),
                None => (None, a.as_str()),
            };
            let d = clickchain::adapters::winevent::time::parse_offset(text)
                .map_err(|e| anyhow::anyhow!("--time-offset: {e}"))?;
            Ok((path, d))
        })
        .collect()
}

/// What `--threads` asks for: engines, and threads that parse each input (0: on the thread
/// that runs the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threads {
    pub engines: usize,
    pub parse: usize,
    /// Threads parsing EVTX chunks (see `InputOptions::evtx_parse_threads`).
    pub evtx_parse: usize,
}

impl Threads {
    /// `--threads` on a machine of `cores` cores.
    pub fn new(arg: Option<usize>, cores: usize) -> Threads {
        let same = |engines, parse| Threads { engines, parse, evtx_parse: parse };
        match arg {
            // Parsing beside the engine needs no sharding: the events, and so the output, are
            // those of one thread.
            None if cores > 1 => Threads { engines: 1, parse: 1, evtx_parse: 2 },
            None => same(1, 0),
            Some(0) if cores <= 1 => same(1, 0),
            Some(0) => same(cores, cores),
            Some(1) => same(1, 0),
            Some(n) => same(n, n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_unset_parse_beside_one_engine_when_there_is_a_second_core() {
        let t = |engines, parse, evtx_parse| Threads { engines, parse, evtx_parse };
        assert_eq!(Threads::new(None, 2), t(1, 1, 2), "EVTX chunks on two threads");
        assert_eq!(Threads::new(None, 1), t(1, 0, 0));
        assert_eq!(Threads::new(Some(1), 8), t(1, 0, 0));
        assert_eq!(Threads::new(Some(3), 2), t(3, 3, 3));
        assert_eq!(Threads::new(Some(0), 4), t(4, 4, 4));
        assert_eq!(Threads::new(Some(0), 1), t(1, 0, 0));
    }

    #[test]
    fn output_formats_given_to_format_point_at_output() {
        for f in ["text", "ndjson", "json", "html"] {
            let e = input_format(f).unwrap_err().to_string();
            assert!(e.contains("for the output use --output"), "{f}: {e}");
        }
        assert_eq!(input_format("evtx").unwrap(), InputFormat::Evtx);
    }
}
