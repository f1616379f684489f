//! `clickchain-bench results`: every benchmark measurement in one run, written to
//! bench/RESULTS.md with its SVG plots.
//!
//! One synthetic stream is measured by every runner (the bare-parse floor, clickchain's `scan` on
//! one and on two threads, the engine alone, and the peers); then clickchain alone is swept over
//! the window, the event rate, the host count and the stream length. Every runner is a child
//! process, so each peak RSS is its own.

mod markdown;
mod plot;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use clickchain_bench::peers::external::{self, Outcome, Peer, Summary};
use clickchain_bench::score::{self, Score};
use clickchain_bench::synth::write::{to_dir, Format};
use clickchain_bench::synth::{generate, Chain, Decoy, Params};

use crate::phases::Measured;
pub use markdown::render;

/// What `results` measures and where it writes.
#[derive(clap::Args, Clone)]
pub struct ResultsArgs {
    /// Events of the main stream.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// Hosts of the main stream.
    #[arg(long, default_value_t = 50)]
    pub hosts: usize,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Events of the long stream (peak RSS as the stream grows); 0 skips it.
    #[arg(long, default_value_t = 10_000_000)]
    pub long_events: usize,
    /// The markdown file to write.
    #[arg(long, default_value = "bench/RESULTS.md")]
    pub out: PathBuf,
    /// Folder for the SVG plots (linked from the markdown by file name).
    #[arg(long, default_value = "bench")]
    pub svg_dir: PathBuf,
    /// Working folder for streams and alert files [default: a new folder in the temp dir].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Runs of each measurement, external peers included (the fastest is reported; the naive
    /// peer and the long stream run once).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Leave out the agent's live figures (latency, checkpoint, a simulated day; ~2 min).
    #[arg(long)]
    pub no_agent: bool,
}

/// One measured runner on one stream.
pub struct Row {
    pub label: String,
    pub what: String,
    /// The stream's form: `native`, `ecs` or `sysmon`.
    pub form: &'static str,
    /// The bare-parse floor of its form.
    pub floor: bool,
    pub m: Measured,
    /// Against the injected chains; `None` for the parse floor.
    pub score: Option<Score>,
    /// The chains missed, described.
    pub missed: Vec<String>,
}

/// A point of a sweep: the swept value and clickchain's `scan` there.
pub struct Point {
    pub x: f64,
    pub scan: Measured,
    pub parse: Option<Measured>,
    pub score: Score,
    /// The chains missed, described.
    pub missed: Vec<String>,
}

/// Everything `render` writes.
pub struct Results {
    pub args: ResultsArgs,
    pub stream_bytes: u64,
    pub span_min: f64,
    pub chains: usize,
    pub main: Vec<Row>,
    /// Peers that did not run, and why.
    pub skipped: Vec<String>,
    pub windows: Vec<Point>,
    pub rates: Vec<Point>,
    pub hosts: Vec<Point>,
    pub lengths: Vec<Point>,
    /// The cost of every registered rule against the default set (markdown).
    pub rules_cost: String,
    /// The agent's live figures (markdown), unless left out.
    pub agent: Option<String>,
    pub secs: f64,
}

/// A generated stream on disk, with its ground truth.
struct OnDisk {
    native: PathBuf,
    dir: PathBuf,
    chains: Vec<Chain>,
    decoys: Vec<Decoy>,
    span_ms: i64,
}

impl OnDisk {
    fn file(&self, f: Format) -> PathBuf {
        self.dir.join(f.file_name())
    }
}

fn write_stream(dir: &Path, name: &str, p: &Params, formats: &[Format]) -> anyhow::Result<OnDisk> {
    eprintln!("generating {name}: {} events on {} hosts at {} events/s per host ...", p.events, p.hosts, p.rate);
    let stream = generate(p);
    let dir = dir.join(name);
    for written in to_dir(&stream, &dir, formats)? {
        eprintln!("  {}: {}", written.path.display(), written.summary);
    }
    Ok(OnDisk {
        native: dir.join(Format::Native.file_name()),
        dir,
        span_ms: stream.span_ms(),
        chains: stream.chains,
        decoys: stream.decoys,
    })
}

/// Runs `clickchain-bench phase <phase> FILE ...` in a child process.
pub fn phase(name: &str, file: &Path, alerts: &Path, extra: &[&str]) -> anyhow::Result<Measured> {
    let out = Command::new(std::env::current_exe()?)
        .arg("phase")
        .arg(name)
        .arg(file)
        .arg("--alerts")
        .arg(alerts)
        .args(extra)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("starting the phase process")?;
    if !out.status.success() {
        bail!("phase {name} on {} failed: {}", file.display(), out.status);
    }
    let text = String::from_utf8(out.stdout)?;
    Ok(serde_json::from_str(text.lines().last().context("phase printed nothing")?)?)
}

/// The faster of the best run so far and another (this VM's timings vary from run to run).
pub(crate) fn faster(best: Option<Measured>, m: Measured) -> Option<Measured> {
    match best {
        Some(b) if b.rate() >= m.rate() => Some(b),
        _ => Some(m),
    }
}

/// Alerts against the chains expected to alert in that form of the stream, and a line for each
/// chain missed (host, domain, final path, evasions).
fn scored(s: &OnDisk, form: &str, alerts: &Path) -> anyhow::Result<(Score, Vec<String>)> {
    let chains: Vec<Chain> = s.chains.iter().filter(|c| c.expected_in(form)).cloned().collect();
    let score = score::score(&chains, &s.decoys, &crate::read_alerts(alerts)?);
    let missed = score
        .missed
        .iter()
        .map(|&i| {
            let c = &chains[i];
            format!("{} `{}` {} (evasions: {:?})", c.host, c.domain, c.final_path, c.evasions)
        })
        .collect();
    Ok((score, missed))
}

/// A configuration with the same window for every OS (DownloadGap kept within it).
fn window_config(dir: &Path, minutes: u32) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("window-{minutes}m.toml"));
    let gap = minutes.min(2);
    let mut text = String::new();
    for os in ["windows", "linux", "macos"] {
        text.push_str(&format!("[{os}]\ntime_window = \"{minutes}m\"\ndownload_gap = \"{gap}m\"\n\n"));
    }
    fs::write(&path, text)?;
    Ok(path)
}

/// An external peer's summary in the harness's terms.
fn summary_measured(s: &Summary) -> Measured {
    Measured {
        phase: s.peer.clone(),
        events: s.events,
        errors: 0,
        secs: s.secs,
        rss_before_kib: 0,
        peak_kib: s.peak_rss_kib,
        alerts: s.alerts,
        follow_ons: 0,
        live_processes: 0,
        stats: None,
        samples: Vec::new(),
        batches: None,
    }
}

/// clickchain's `scan` on a stream, one thread, with an optional configuration.
fn scan_point(
    s: &OnDisk,
    dir: &Path,
    x: f64,
    config: Option<&Path>,
    with_parse: bool,
    runs: usize,
) -> anyhow::Result<Point> {
    let alerts = dir.join("alerts-sweep.ndjson");
    let mut extra = Vec::new();
    if let Some(c) = config {
        extra = vec!["--config", c.to_str().context("config path")?];
    }
    // Scan and parse interleaved, as the main table's runners (their ratio is reported).
    let (mut scan, mut parse) = (None, None);
    for _ in 0..runs.max(1) {
        scan = faster(scan, phase("scan", &s.native, &alerts, &extra)?);
        if with_parse {
            parse = faster(parse, phase("parse", &s.native, &dir.join("alerts-parse.ndjson"), &[])?);
        }
    }
    let scan = scan.context("no run")?;
    let (score, missed) = scored(s, "native", &alerts)?;
    Ok(Point { x, scan, parse, score, missed })
}

/// Runs everything, writes RESULTS.md and the plots.
pub fn run(args: ResultsArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("clickchain-results-{}", std::process::id())));
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let base = Params { events: args.events, hosts: args.hosts, seed: args.seed, ..Params::default() };

    let main = write_stream(&dir, "main", &base, &Format::ALL)?;
    let stream_bytes = fs::metadata(&main.native)?.len();
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    // `-j 1` runs one thread; the CLI's default (2+ cores) parses beside one engine.
    let default: &[&str] = &["--parse-threads", "1"];
    let runners: [(&str, Format, &str, &str, &[&str]); 15] = [
        ("parse floor", Format::Native, "parse", "bare `serde_json` parse of each line into a borrowed struct", &[]),
        ("clickchain scan", Format::Native, "scan", "file -> reader -> engine, 1 thread (`-j 1`)", &[]),
        (
            "clickchain scan (default)",
            Format::Native,
            "scan",
            "file -> reader parsing on a thread of its own -> engine (the CLI's default)",
            default,
        ),
        (
            "clickchain scan -j 2",
            Format::Native,
            "scan",
            "file -> reader parsing on 2 threads -> 2 engine threads by host",
            &["--threads", "2"],
        ),
        ("clickchain engine only", Format::Native, "engine", "events already in memory -> engine, 1 thread", &[]),
        (
            "peer: naive crepe re-run",
            Format::Native,
            "naive",
            "events in memory -> crepe over the whole window each batch",
            &[],
        ),
        (
            "peer: imperative correlator",
            Format::Native,
            "imperative",
            "events in memory -> hand-written Rust correlator",
            &[],
        ),
        ("parse floor (ECS)", Format::Ecs, "parse-any", "bare `serde_json` parse of each line (`IgnoredAny`)", &[]),
        ("clickchain scan (ECS)", Format::Ecs, "scan", "file -> ECS reader -> engine, 1 thread (`-j 1`)", &[]),
        (
            "clickchain scan (ECS, default)",
            Format::Ecs,
            "scan",
            "file -> ECS reader parsing on a thread of its own -> engine (the CLI's default)",
            default,
        ),
        (
            "clickchain scan (ECS) -j 2",
            Format::Ecs,
            "scan",
            "file -> ECS reader parsing on 2 threads -> 2 engine threads by host",
            &["--threads", "2"],
        ),
        (
            "parse floor (Sysmon JSON)",
            Format::Sysmon,
            "parse-any",
            "bare `serde_json` parse of each line (`IgnoredAny`)",
            &[],
        ),
        (
            "clickchain scan (Sysmon JSON)",
            Format::Sysmon,
            "scan",
            "file -> Windows reader -> engine, 1 thread (`-j 1`)",
            &[],
        ),
        (
            "clickchain scan (Sysmon JSON, default)",
            Format::Sysmon,
            "scan",
            "file -> Windows reader parsing on a thread of its own -> engine (the CLI's default)",
            default,
        ),
        (
            "clickchain scan (Sysmon JSON) -j 2",
            Format::Sysmon,
            "scan",
            "file -> Windows reader parsing on 2 threads -> 2 engine threads by host",
            &["--threads", "2"],
        ),
    ];
    // Runs are interleaved (every runner once, then again) so that a slow spell of a shared
    // machine falls on all runners alike instead of on one runner's every run.
    let mut fastest: Vec<Option<Measured>> = runners.iter().map(|_| None).collect();
    // The external peers run as often as clickchain's runners, in the same rounds: the ratios
    // against them compare fastest with fastest.
    let mut peer_fastest: Vec<Option<Summary>> = Peer::ALL.iter().map(|_| None).collect();
    let mut peer_skipped = [false; Peer::ALL.len()];
    for run in 0..args.runs.max(1) {
        for (i, (label, form, name, _, extra)) in runners.iter().enumerate() {
            if run > 0 && *name == "naive" {
                continue;
            }
            eprintln!("{label} (run {}) ...", run + 1);
            let alerts = dir.join(format!("alerts-{i}.ndjson"));
            let m = phase(name, &main.file(*form), &alerts, extra)?;
            fastest[i] = faster(fastest[i].take(), m);
        }
        for (k, peer) in Peer::ALL.into_iter().enumerate() {
            if peer_skipped[k] {
                continue;
            }
            eprintln!("peer: {} (run {}) ...", peer.name(), run + 1);
            let alerts = dir.join(format!("alerts-{}.ndjson", peer.name()));
            match external::run(peer, &main.file(Format::Ecs), &alerts, &[])? {
                Outcome::Ran(sum) => {
                    if peer_fastest[k].as_ref().is_none_or(|best| sum.secs < best.secs) {
                        peer_fastest[k] = Some(sum);
                    }
                }
                Outcome::Skipped { reason } => {
                    eprintln!("skipped: {reason}");
                    skipped.push(reason);
                    peer_skipped[k] = true;
                }
            }
        }
    }
    for ((label, form, name, what, _), m) in runners.into_iter().zip(fastest) {
        let alerts = dir.join(format!("alerts-{}.ndjson", rows.len()));
        let m = m.context("no run")?;
        let floor = name.starts_with("parse");
        let (score, missed) = match floor {
            true => (None, Vec::new()),
            false => scored(&main, form.as_str(), &alerts).map(|(s, m)| (Some(s), m))?,
        };
        rows.push(Row { label: label.to_owned(), what: what.to_owned(), form: form.as_str(), floor, m, score, missed });
    }

    for (peer, sum) in Peer::ALL.into_iter().zip(peer_fastest) {
        let Some(sum) = sum else { continue };
        let what = match peer {
            Peer::Eql => "ECS file -> Python `eql` engine, `sequence by host.name with maxspan`",
            Peer::Duckdb => "ECS file -> DuckDB load + recursive CTE + join (batch, 2 threads)",
        };
        // Every run of a peer writes the same alerts; the last run's file is scored.
        let (score, missed) = scored(&main, "ecs", &dir.join(format!("alerts-{}.ndjson", peer.name())))?;
        rows.push(Row {
            label: format!("peer: {}", peer.name()),
            what: what.to_owned(),
            form: "ecs",
            floor: false,
            m: summary_measured(&sum),
            score: Some(score),
            missed,
        });
    }

    eprintln!("every registered rule against the default set ...");
    let cost = crate::rules_cost::measure(&main.native, &dir, 2 * args.runs.max(1))?;
    let stream = format!("The main stream ({} events on {} hosts, seed {})", args.events, args.hosts, args.seed);
    let rules_cost = crate::rules_cost::render(&cost, &stream);

    let mut windows = Vec::new();
    for minutes in [1u32, 15, 60] {
        eprintln!("window {minutes} min ...");
        let config = window_config(&dir, minutes)?;
        windows.push(scan_point(&main, &dir, f64::from(minutes), Some(&config), false, args.runs)?);
    }
    let mut rates = Vec::new();
    for rate in [5.0, 20.0, 100.0] {
        let s = write_stream(&dir, "rate", &Params { rate, ..base.clone() }, &[Format::Native])?;
        rates.push(scan_point(&s, &dir, rate, None, true, args.runs)?);
    }
    let mut hosts = Vec::new();
    for n in [10usize, 50, 250] {
        let s = write_stream(&dir, "hosts", &Params { hosts: n, ..base.clone() }, &[Format::Native])?;
        hosts.push(scan_point(&s, &dir, n as f64, None, false, args.runs)?);
    }
    let mut lengths = vec![Point { x: args.events as f64, ..scan_point(&main, &dir, 0.0, None, false, args.runs)? }];
    if args.long_events > 0 {
        let s = write_stream(&dir, "long", &Params { events: args.long_events, ..base.clone() }, &[Format::Native])?;
        lengths.push(scan_point(&s, &dir, args.long_events as f64, None, false, 1)?);
    }

    let agent = match args.no_agent {
        true => None,
        false => Some(crate::agent_cmd::render(&crate::agent_cmd::AgentArgs::defaults())?),
    };
    let results = Results {
        stream_bytes,
        span_min: main.span_ms as f64 / 60_000.0,
        chains: main.chains.len(),
        main: rows,
        skipped,
        windows,
        rates,
        hosts,
        lengths,
        rules_cost,
        agent,
        secs: started.elapsed().as_secs_f64(),
        args: args.clone(),
    };
    fs::create_dir_all(&args.svg_dir)?;
    let series = |name: &str, pts: &[Point]| plot::Series {
        name: name.to_owned(),
        points: pts.iter().map(|p| (p.x, p.scan.rate())).collect(),
    };
    plot::line_chart(
        &args.svg_dir.join("results-window.svg"),
        "events/s against the window",
        "time window (min)",
        "events/s",
        false,
        &[series("clickchain scan", &results.windows)],
    )?;
    let floor = plot::Series {
        name: "parse floor".to_owned(),
        points: results.rates.iter().filter_map(|p| Some((p.x, p.parse.as_ref()?.rate()))).collect(),
    };
    plot::line_chart(
        &args.svg_dir.join("results-rate.svg"),
        "events/s against the event rate",
        "event rate (events/s per host, log scale)",
        "events/s",
        true,
        &[series("clickchain scan", &results.rates), floor],
    )?;
    fs::write(&args.out, render(&results)).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {} in {:.0} s", args.out.display(), results.secs);
    if args.dir.is_none() {
        fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
