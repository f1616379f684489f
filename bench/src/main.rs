//! `clickchain-bench`: synthetic streams and the release harness (see bench/README.md).
//!
//! `engine` generates a stream (not timed), writes it as native NDJSON into a working folder,
//! then measures each phase in a child process of its own (`phase ...`), so that each peak RSS
//! is that phase's alone, scores the alerts against the injected chains, and prints a markdown
//! report on stdout.

mod agent_cmd;
mod auditd;
mod fleet;
mod floods;
mod paired;
mod phases;
mod report;
mod results;
mod rules_cost;
mod windows;

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clickchain_bench::rss;
use clickchain_bench::score::{self, Observed};
use clickchain_bench::synth::{generate, write, Params};

use phases::Measured;

#[derive(Parser)]
#[command(version, about = "clickchain benchmarks on synthetic event streams")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a stream, measure parse, scan and engine on it (each in its own process), report.
    Engine(EngineArgs),
    /// Generate a stream and its labels into a folder (the code of `clickchain synth`).
    Gen(GenArgs),
    /// Write a synthetic raw auditd log, then measure a bare line split and `scan` on it.
    Auditd(AuditdArgs),
    /// The Windows adapter against its floors: EVTX vs the evtx crate, Sysmon JSON vs serde_json.
    Windows(WindowsArgs),
    /// Hostile volumes (floods) of each shape, each in its own process, beside the normal mix.
    Flood(floods::FloodArgs),
    /// One flood in this process; prints one JSON line (internal).
    #[command(hide = true)]
    FloodOne(floods::FloodOneArgs),
    /// The agent: live alert latency, checkpoint size and time, RSS over a simulated day.
    Agent(agent_cmd::AgentArgs),
    /// Events/s through a local nats-server with 1 and 2 fleet workers against `clickchain scan`.
    Fleet(fleet::FleetArgs),
    /// Every measurement in one run: the main table, the sweeps, bench/RESULTS.md and its plots.
    Results(results::ResultsArgs),
    /// The cost of every registered rule against the default set on one stream (interleaved).
    Rules(rules_cost::RulesCostArgs),
    /// One part of `windows` on a file (evtx-floor, json-floor, reader, scan, scan-default,
    /// scan-p1, scan-p2, scan-j2), for profilers.
    #[command(hide = true)]
    WindowsPart(WindowsPartArgs),
    /// Measure one phase on an NDJSON file in this process; prints one JSON line (internal).
    #[command(hide = true)]
    Phase(PhaseArgs),
    /// Run an external peer (eql, duckdb) on an ECS NDJSON file; prints its summary line.
    #[command(hide = true)]
    Peer(PeerArgs),
}

#[derive(Args)]
struct PeerArgs {
    /// `eql` or `duckdb`.
    name: String,
    /// ECS NDJSON input.
    ecs: PathBuf,
    /// Where the peer writes its alerts (NDJSON).
    alerts: PathBuf,
    /// Passed to the peer's script (e.g. `-- --threads 2`).
    #[arg(last = true)]
    args: Vec<String>,
}

/// The synthetic stream.
#[derive(Args, Clone)]
struct StreamArgs {
    /// Total events.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Hosts (Windows, Linux and macOS mixed).
    #[arg(long, default_value_t = 10)]
    hosts: usize,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Events per second per host (sets the stream's time span).
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Injected true chains per million events.
    #[arg(long, default_value_t = 50.0)]
    chains_per_million: f64,
}

impl StreamArgs {
    fn params(&self) -> Params {
        Params {
            hosts: self.hosts,
            events: self.events,
            seed: self.seed,
            rate: self.rate,
            chains_per_million: self.chains_per_million,
            ..Params::default()
        }
    }
}

#[derive(Args)]
struct EngineArgs {
    #[command(flatten)]
    stream: StreamArgs,
    /// Working folder for the stream and alert files [default: a new folder in the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the working folder (stream.ndjson, alerts-*.ndjson) afterwards.
    #[arg(long)]
    keep: bool,
    /// Runs of each phase; the report shows the fastest and lists all.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Phases to measure.
    #[arg(long, value_delimiter = ',', default_value = "parse,scan,engine")]
    phases: Vec<Phase>,
}

#[derive(Args)]
struct AuditdArgs {
    /// Lines of auditd text to write (about).
    #[arg(long, default_value_t = 2_000_000)]
    lines: u64,
    /// Runs (each splits then scans the same file); the report lists all.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// The log file [default: a new file in the temp dir, removed afterwards].
    #[arg(long)]
    file: Option<PathBuf>,
}

#[derive(Args)]
struct WindowsArgs {
    /// The synthetic stream whose Windows events are written as flattened Sysmon JSON.
    #[command(flatten)]
    stream: StreamArgs,
    /// An EVTX file [default: tests/data/windows/sysmon.evtx].
    #[arg(long)]
    evtx: Option<PathBuf>,
    /// Passes over the EVTX file (it is small).
    #[arg(long, default_value_t = 20)]
    repeat: usize,
    /// Where to write the Sysmon JSON [default: a file in the temp dir, removed afterwards].
    #[arg(long)]
    json: Option<PathBuf>,
    /// Runs of every measurement, interleaved; the report keeps each one's fastest.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Back-to-back pairs of each floor and `scan` after the rounds (their median ratio is the
    /// figure the targets are judged by: steadier than the rounds' on a shared machine).
    #[arg(long, default_value_t = 15)]
    pairs: usize,
    /// A real flattened Sysmon JSON recording, read `--real-repeat` times [default: OTRF's
    /// Logstash-shaped `slim_covenant_dcom_iertutil_dll_hijack_2020-10-09183000.jsonl` in
    /// ../shared/data/windows, when there].
    #[arg(long)]
    real_json: Option<PathBuf>,
    /// Passes over the real Sysmon JSON (each `scan` pass with a fresh engine).
    #[arg(long, default_value_t = 20)]
    real_repeat: usize,
    /// Copies of the EVTX file's chunks in the large EVTX file (written to the temp dir and
    /// removed afterwards).
    #[arg(long, default_value_t = 100)]
    evtx_copies: usize,
}

#[derive(Args)]
struct WindowsPartArgs {
    /// evtx-floor, json-floor, reader, scan (`-j 1`), scan-default, scan-p1 / scan-p2 (one
    /// engine, one / two parsing threads for every format) or scan-j2.
    part: String,
    file: PathBuf,
    #[arg(long, default_value_t = 1)]
    repeat: usize,
}

#[derive(Args)]
struct GenArgs {
    #[command(flatten)]
    stream: StreamArgs,
    /// Output folder: stream.ndjson, stream.sysmon.json, stream.ecs.ndjson (as asked) and labels.json.
    #[arg(long)]
    out: PathBuf,
    /// Formats: native, sysmon, ecs (comma-separated) or all.
    #[arg(long, default_value = "native", value_parser = write::Format::parse_list)]
    format: std::vec::Vec<write::Format>,
}

#[derive(Args)]
struct PhaseArgs {
    phase: Phase,
    file: PathBuf,
    /// Write the engine's output records here (NDJSON).
    #[arg(long)]
    alerts: Option<PathBuf>,
    /// Sample the engine's live processes and RSS every this many events (0: never).
    #[arg(long, default_value_t = 0)]
    sample_every: u64,
    /// Engine threads (as `clickchain scan --threads`).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Threads that parse the input, apart from the engine's (default: none for one engine,
    /// else one per engine; `clickchain scan` without `--threads` parses on 1 beside 1 engine).
    #[arg(long)]
    parse_threads: Option<usize>,
    /// Configuration file for the engine.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Bare serde_json parse of each line into a small borrowed struct (the floor).
    Parse,
    /// File -> NativeReader -> Engine -> finish().
    Scan,
    /// Pre-built events in memory -> Engine -> finish().
    Engine,
    /// The same, with the engine re-running crepe over the whole window each batch (peer).
    Naive,
    /// Pre-built events in memory -> the hand-written imperative correlator (peer).
    Imperative,
    /// Bare serde_json parse of each line into `IgnoredAny` (the floor of any NDJSON form).
    ParseAny,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Scan => "scan",
            Phase::Engine => "engine",
            Phase::Naive => "naive",
            Phase::Imperative => "imperative",
            Phase::ParseAny => "parse-any",
        }
    }
}

/// The `clickchain` binary's allocator and its settings, so that the phases measure what it runs.
#[path = "../../cli/src/alloc.rs"]
mod alloc;

fn main() -> anyhow::Result<()> {
    alloc::configure();
    match Cli::parse().cmd {
        Cmd::Engine(a) => bench(a),
        Cmd::Results(a) => results::run(a),
        Cmd::Rules(a) => rules_cost::run(a),
        Cmd::Flood(a) => floods::run(&a),
        Cmd::FloodOne(a) => floods::one(&a),
        Cmd::Agent(a) => agent_cmd::run(&a),
        Cmd::Fleet(a) => fleet::run(a),
        Cmd::Auditd(a) => {
            let keep = a.file.is_some();
            let file = a.file.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("clickchain-bench-auditd-{}.log", std::process::id()))
            });
            let lines = auditd::write_log(&file, a.lines)?;
            eprintln!("{lines} lines -> {}", file.display());
            for run in 1..=a.runs.max(1) {
                let r = auditd::measure(&file)?;
                println!("run {run}:\n{}", auditd::report(&r));
            }
            if !keep {
                fs::remove_file(&file)?;
            }
            Ok(())
        }
        Cmd::Windows(a) => {
            let evtx = a
                .evtx
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/windows/sysmon.evtx"));
            let keep = a.json.is_some();
            let json = a.json.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("clickchain-sysmon-{}.jsonl", std::process::id()))
            });
            let big_evtx = std::env::temp_dir().join(format!("clickchain-large-{}.evtx", std::process::id()));
            let real_json = a.real_json.unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../shared/data/windows/otrf-security-datasets")
                    .join("slim_covenant_dcom_iertutil_dll_hijack_2020-10-09183000.jsonl")
            });
            let files =
                windows::Files { json, big_evtx, evtx_copies: a.evtx_copies, real_json, real_repeat: a.real_repeat };
            let result = windows::report(&evtx, a.repeat, a.runs, a.pairs, &files, &a.stream.params());
            if !keep {
                let _ = fs::remove_file(&files.json);
            }
            let _ = fs::remove_file(&files.big_evtx);
            result
        }
        Cmd::WindowsPart(a) => windows::part(&a.part, &a.file, a.repeat),
        Cmd::Gen(a) => {
            let stream = generate(&a.stream.params());
            for f in write::to_dir(&stream, &a.out, &a.format)? {
                eprintln!("{}: {}", f.path.display(), f.summary);
            }
            Ok(())
        }
        Cmd::Phase(a) => {
            let opts =
                phases::EngineOpts { threads: a.threads, parse_threads: a.parse_threads, config: a.config.clone() };
            let m = match a.phase {
                Phase::Parse => phases::parse(&a.file)?,
                Phase::ParseAny => phases::parse_any(&a.file)?,
                Phase::Scan => phases::scan(&a.file, a.alerts.as_deref(), a.sample_every, &opts)?,
                Phase::Engine => phases::engine(&a.file, a.alerts.as_deref(), a.sample_every, &opts)?,
                Phase::Naive => phases::naive(&a.file, a.alerts.as_deref(), a.sample_every, &opts)?,
                Phase::Imperative => phases::imperative(&a.file, a.alerts.as_deref(), a.sample_every, &opts)?,
            };
            println!("{}", serde_json::to_string(&m)?);
            Ok(())
        }
        Cmd::Peer(a) => {
            let peer =
                clickchain_bench::peers::external::Peer::from_name(&a.name).context("unknown peer (eql, duckdb)")?;
            match clickchain_bench::peers::external::run(peer, &a.ecs, &a.alerts, &a.args)? {
                clickchain_bench::peers::external::Outcome::Ran(s) => {
                    eprintln!("peer {}: {} events, {:.0} events/s", s.peer, s.events, s.events_per_sec());
                    println!("{}", serde_json::to_string(&s)?)
                }
                clickchain_bench::peers::external::Outcome::Skipped { reason } => eprintln!("skipped: {reason}"),
            }
            Ok(())
        }
    }
}

/// Runs one phase in a child process.
fn run_child(phase: Phase, file: &Path, alerts: &Path, sample_every: u64) -> anyhow::Result<Measured> {
    results::phase(phase.name(), file, alerts, &["--sample-every", &sample_every.to_string()])
}

fn read_alerts(path: &Path) -> anyhow::Result<Vec<Observed>> {
    let mut out = Vec::new();
    for line in BufReader::new(File::open(path)?).lines() {
        if let Some(a) = Observed::from_record(&serde_json::from_str(&line?)?) {
            out.push(a);
        }
    }
    Ok(out)
}

fn bench(a: EngineArgs) -> anyhow::Result<()> {
    let p = a.stream.params();
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "clickchain-bench-{}-{}-{}-{}",
            p.events,
            p.hosts,
            p.seed,
            std::process::id()
        ))
    });
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join("stream.ndjson");

    eprintln!("generating {} events on {} hosts (seed {}) ...", p.events, p.hosts, p.seed);
    let t = Instant::now();
    let stream = generate(&p);
    let gen_secs = t.elapsed().as_secs_f64();
    let gen_rss = rss::read().unwrap_or_default();
    let t = Instant::now();
    stream.write_ndjson(&mut File::create(&file)?)?;
    let write_secs = t.elapsed().as_secs_f64();
    let bytes = fs::metadata(&file)?.len();
    let info = report::StreamInfo {
        events: stream.events.len(),
        hosts: stream.hosts.iter().map(|h| h.1).collect(),
        span_ms: stream.span_ms(),
        rate: p.rate,
        bytes,
        gen_secs,
        write_secs,
        gen_rss,
        seed: p.seed,
    };
    let (chains, decoys) = (stream.chains, stream.decoys);
    drop(stream.events);

    let mut results: Vec<(Phase, Vec<Measured>)> = Vec::new();
    for &phase in &a.phases {
        let mut runs = Vec::new();
        for run in 0..a.runs.max(1) {
            eprintln!("phase {} (run {}) ...", phase.name(), run + 1);
            let alerts = dir.join(format!("alerts-{}.ndjson", phase.name()));
            runs.push(run_child(phase, &file, &alerts, (p.events as u64 / 10).max(1))?);
        }
        results.push((phase, runs));
    }
    let mut scores = Vec::new();
    for &phase in &a.phases {
        if !matches!(phase, Phase::Parse | Phase::ParseAny) {
            let alerts = read_alerts(&dir.join(format!("alerts-{}.ndjson", phase.name())))?;
            scores.push((phase.name(), score::score(&chains, &decoys, &alerts)));
        }
    }
    let named: Vec<(&str, Vec<Measured>)> = results.into_iter().map(|(ph, r)| (ph.name(), r)).collect();
    print!("{}", report::render(&info, &named, &scores, &chains));
    if a.keep {
        eprintln!("kept {}", dir.display());
    } else {
        fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
