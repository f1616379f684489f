//! `clickchain scan`: read inputs, merge them by time, run the engine, print records.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use clickchain::config::Config;
use clickchain::input::{self, InputFormat, InputOptions};
use clickchain::merge::Merge;
use clickchain::sink::{JsonLines, Sink, Text};
use clickchain::AnyEngine;
use clickchain::{Os, ReadError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::nod_store;

#[derive(Args)]
pub struct ScanArgs {
    /// Files, folders (recursive) or `-` for stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Input format (`auto`, `native`, `evtx`, `xml`, `sysmon-json`, `auditd`, `zeek-dns`,
    /// `eslogger`, `ecs`); `ndjson` or `text` here choose the output instead.
    #[arg(long, short = 'f', default_value = "auto")]
    format: String,
    /// Output format: `ndjson` (default) or `text`.
    #[arg(long, short = 'o')]
    output: Option<String>,
    /// Configuration file (TOML; see `clickchain config --print-default`).
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Host name for inputs whose records name none.
    #[arg(long)]
    host: Option<String>,
    /// OS of hosts whose OS cannot be told from their events.
    #[arg(long)]
    os: Option<Os>,
    /// A newer Public Suffix List file instead of the vendored one.
    #[arg(long, value_name = "FILE")]
    psl: Option<PathBuf>,
    /// Newly-observed-domain store: read before the run when FILE exists, written after it
    /// (replaced whole), so that the next run knows the domains this one saw and is not warmed
    /// up again.
    #[arg(long, value_name = "FILE")]
    nod_store: Option<PathBuf>,
    /// Exit with 1 when alerts fired.
    #[arg(long)]
    fail_on_alert: bool,
    /// No progress bar and no summary on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Print the engine's counters (drops, caps, classification) as JSON on stderr.
    #[arg(long)]
    stats: bool,
    /// Offset added to the `TimeCreated` of Windows inputs that wrote local time as UTC:
    /// `-7h` for every input, or `PATH=-7h` for the inputs at or under PATH (repeatable). Without
    /// it, the offset is estimated per input from its process starts.
    #[arg(long, value_name = "[PATH=]OFFSET", allow_hyphen_values = true)]
    time_offset: Vec<String>,
    /// Threads. Unset: one engine, and NDJSON inputs (native, ECS, Windows JSON) and EVTX
    /// files of 4 MiB or more parsed on a thread of their own when the machine has two cores or
    /// more (the same output as with 1). 1: reading and the engine on one thread. N > 1: N
    /// engines on threads of their own, each owning a share of the hosts (records of different
    /// hosts may then come out in another order), and those inputs parsed on N threads. 0: N is
    /// the number of cores. Inputs are parsed apart only when there are at most 8.
    #[arg(long, short = 'j')]
    threads: Option<usize>,
}

/// The `--time-offset` for one input: the last matching `PATH=` entry, else a bare offset.
fn offset_for(entries: &[(Option<PathBuf>, chrono::Duration)], file: &std::path::Path) -> Option<chrono::Duration> {
    entries.iter().rev().find(|(p, _)| p.as_ref().is_none_or(|p| file.starts_with(p))).map(|(_, d)| *d)
}

fn parse_offsets(args: &[String]) -> anyhow::Result<Vec<(Option<PathBuf>, chrono::Duration)>> {
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
struct Threads {
    engines: usize,
    parse: usize,
    /// Threads parsing EVTX chunks (see `InputOptions::evtx_parse_threads`).
    evtx_parse: usize,
}

impl Threads {
    /// `--threads` on a machine of `cores` cores.
    fn new(arg: Option<usize>, cores: usize) -> Threads {
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

/// The most inputs of one scan that are each parsed on `--threads` threads.
const MAX_PARALLEL_INPUTS: usize = 8;

/// Rejected-record messages printed in full; the rest are only counted.
pub const MAX_ERROR_LINES: u64 = 20;

pub fn run(args: ScanArgs) -> ExitCode {
    match scan(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let (input_format, text) = match args.format.as_str() {
        "text" => (InputFormat::Auto, true),
        "ndjson" if args.output.is_none() => (InputFormat::Auto, false),
        f => (f.parse::<InputFormat>().map_err(anyhow::Error::msg)?, false),
    };
    let text = match args.output.as_deref() {
        None => text,
        Some("text") => true,
        Some("ndjson" | "json") => false,
        Some(other) => anyhow::bail!("unknown output format `{other}` (expected ndjson or text)"),
    };
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if args.os.is_some() {
        config.engine.default_os = args.os;
    }
    let psl = match &args.psl {
        Some(path) => Some(Arc::new(clickchain::domain::Psl::from_file(path)?)),
        None => None,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = Threads::new(args.threads, cores);
    let mut engine = AnyEngine::new(config, psl, threads.engines)?;
    let mut errors: BTreeMap<&'static str, u64> = BTreeMap::new();
    if let Some(path) = &args.nod_store {
        let bad = nod_store::load(&mut engine, path, args.quiet)?;
        if bad > 0 {
            errors.insert("bad_nod_store_line", bad);
        }
    }

    let offsets = parse_offsets(&args.time_offset)?;
    let (files, open_errors) = input::expand(&args.paths);
    let mut printed = 0u64;
    let mut report = |e: &dyn std::fmt::Display, reason: &'static str, quiet: bool| {
        *errors.entry(reason).or_default() += 1;
        if !quiet && printed < MAX_ERROR_LINES {
            eprintln!("error: {e}");
        }
        printed += 1;
    };
    for e in &open_errors {
        report(e, "unreadable_input", false);
    }
    let total: u64 = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let progress = Arc::new(AtomicU64::new(0));
    let parallel_inputs = files.len() <= MAX_PARALLEL_INPUTS;
    let options = InputOptions {
        format: input_format,
        default_host: args.host.clone().unwrap_or_default(),
        time_offset: None,
        // Every input is open at once (they are merged by time), and each parsing on threads
        // has its own threads and blocks in flight: past a few inputs, they parse on the
        // reading thread instead of starting threads by the hundred.
        parse_threads: if parallel_inputs { threads.parse } else { 0 },
        evtx_parse_threads: Some(if parallel_inputs { threads.evtx_parse } else { 0 }),
    };
    let mut sources = Vec::new();
    let mut adapter_counters = Vec::new();
    let mut tallies = Vec::new();
    for f in &files {
        let options = InputOptions { time_offset: offset_for(&offsets, f), ..options.clone() };
        match input::open(f, &options, Arc::clone(&progress)) {
            Ok(opened) => {
                sources.push(opened.records);
                tallies.extend(opened.tally);
                if let Some(c) = opened.counters {
                    adapter_counters.push((f.display().to_string(), c));
                }
            }
            Err(e) => report(&e, "unreadable_input", false),
        }
    }
    let bar = progress_bar(args.quiet, total);
    let stdout = io::stdout().lock();
    let mut sink: Box<dyn Sink> =
        if text { Box::new(Text(io::BufWriter::new(stdout))) } else { Box::new(JsonLines(io::BufWriter::new(stdout))) };
    let mut events = 0u64;
    let mut closed = false;
    for record in Merge::new(sources) {
        match record {
            Ok(ev) => {
                events += 1;
                engine.push(ev);
            }
            Err(e) => report(&e, reason(&e), args.quiet),
        }
        if events.is_multiple_of(4096) {
            bar.set_position(progress.load(Ordering::Relaxed));
            if let Err(e) = engine.drain_into(sink.as_mut()) {
                if !is_closed(&e) {
                    return Err(e).context("writing records");
                }
                closed = true;
                break;
            }
        }
    }
    if !closed {
        engine.finish();
        if let Err(e) = engine.drain_into(sink.as_mut()).and_then(|_| sink.flush()) {
            if !is_closed(&e) {
                return Err(e).context("writing records");
            }
        }
    }
    bar.finish_and_clear();
    if let Some(path) = &args.nod_store {
        if let Err(e) = nod_store::save(&mut engine, path) {
            report(&format!("{e:#}"), "nod_store_unwritable", false);
        }
    }
    let stats = engine.stats();
    let rejected: u64 = errors.values().sum();
    let mut skipped: BTreeMap<&'static str, u64> = BTreeMap::new();
    for t in &tallies {
        let t = t.snapshot();
        for (reason, n) in t.skipped {
            *skipped.entry(reason).or_default() += n;
        }
        if !args.quiet {
            for w in t.warnings {
                eprintln!("warning: {w}");
            }
        }
    }
    if !args.quiet {
        if printed > MAX_ERROR_LINES {
            eprintln!("… {} more errors not shown", printed - MAX_ERROR_LINES);
        }
        let reasons: Vec<String> = errors.iter().map(|(r, n)| format!("{r}={n}")).collect();
        // Records that are fine but not relevant (other channels, inbound flows …) are not errors.
        let skips: Vec<String> = skipped.iter().map(|(r, n)| format!("{r}={n}")).collect();
        eprintln!(
            "clickchain: {} inputs, {} events read{}, {} rejected{}, {} late, {} alerts, {} follow-ons, {:.2?}",
            files.len(),
            events,
            if skips.is_empty() {
                String::new()
            } else {
                format!(", {} records skipped ({})", skipped.values().sum::<u64>(), skips.join(", "))
            },
            rejected,
            if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) },
            stats.dropped.late,
            stats.alerts,
            stats.follow_ons,
            started.elapsed()
        );
    }
    if args.stats {
        let _ = writeln!(io::stderr(), "{}", serde_json::to_string_pretty(stats).unwrap_or_default());
        // What the adapters read, left out (by reason) and rejected, per input that counts it.
        let inputs: std::collections::BTreeMap<String, serde_json::Value> = adapter_counters
            .iter()
            .filter_map(|(name, c)| Some((name.clone(), serde_json::to_value(&*c.lock().ok()?).ok()?)))
            .collect();
        if !inputs.is_empty() {
            let json = serde_json::json!({ "adapters": inputs });
            let _ = writeln!(io::stderr(), "{}", serde_json::to_string_pretty(&json).unwrap_or_default());
        }
    }
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else if args.fail_on_alert && stats.alerts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn reason(e: &ReadError) -> &'static str {
    e.reason()
}

fn is_closed(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

fn progress_bar(quiet: bool, total: u64) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::Threads;

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
}
