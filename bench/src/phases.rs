//! The measured phases. Each runs in its own process (`clickchain-bench phase ...`) so that its
//! peak RSS is its own, and prints one JSON line of [`Measured`] on stdout.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use clickchain::input::{self, InputOptions};
use clickchain::{AnyEngine, Config, Engine, Record};
use clickchain_adapters::lines::{Line, LineReader};
use clickchain_adapters::native::{NativeReader, DEFAULT_MAX_LINE};
use clickchain_adapters::Event;
use clickchain_bench::peers::imperative::Correlator;
use clickchain_bench::rss;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// Read buffer for the input file (the CLI's size).
const READ_BUF: usize = 256 * 1024;

/// How the engine phases run: engine threads (as `clickchain scan --threads`), threads that
/// parse the input (default: none for one engine, else one per engine) and a configuration
/// file (default: the built-in configuration).
#[derive(Debug, Clone, Default)]
pub struct EngineOpts {
    pub threads: usize,
    pub parse_threads: Option<usize>,
    pub config: Option<std::path::PathBuf>,
}

impl EngineOpts {
    fn config(&self) -> anyhow::Result<Config> {
        Ok(match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        })
    }

    /// `InputOptions::parse_threads` for these options.
    pub fn parse_threads(&self) -> usize {
        self.parse_threads.unwrap_or(if self.threads <= 1 { 0 } else { self.threads })
    }

    fn engine(&self) -> anyhow::Result<AnyEngine> {
        Ok(AnyEngine::new(self.config()?, None, self.threads.max(1))?)
    }
}

/// What a phase measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measured {
    pub phase: String,
    /// Events (lines) handled.
    pub events: u64,
    /// Lines that did not parse.
    pub errors: u64,
    /// Wall-clock seconds of the timed part.
    pub secs: f64,
    /// VmRSS (KiB) right before the timed part.
    pub rss_before_kib: u64,
    /// VmHWM (KiB) at the end: the process's peak resident set.
    pub peak_kib: u64,
    pub alerts: u64,
    pub follow_ons: u64,
    /// Processes held by the engine at the end (all hosts).
    pub live_processes: u64,
    /// The engine's counters, when the phase ran the engine.
    pub stats: Option<serde_json::Value>,
    /// Samples taken every `--sample-every` events while the engine ran.
    pub samples: Vec<Sample>,
    /// Micro-batch evaluation times (µs): batches, p50, p99 (upper bounds), max.
    #[serde(default)]
    pub batches: Option<[f64; 4]>,
}

/// The engine's state after some events.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Sample {
    pub events: u64,
    pub live_processes: u64,
    pub rss_kib: u64,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.secs
    }
}

/// A JSON string, borrowed from the line unless it had to be unescaped.
struct Text<'a>(#[allow(dead_code)] Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The parse floor: a small typed struct borrowing from the line. Fields it does not
/// name are skipped by the parser; nothing is converted (no time, IP or process-key parsing).
#[derive(Deserialize)]
#[allow(dead_code)]
struct Bare<'a> {
    #[serde(borrow)]
    time: Text<'a>,
    #[serde(borrow)]
    host: Text<'a>,
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow, default)]
    os: Option<Text<'a>>,
    #[serde(borrow, default)]
    image: Option<Text<'a>>,
    #[serde(borrow, default)]
    command_line: Option<Text<'a>>,
    #[serde(borrow, default)]
    path: Option<Text<'a>>,
    #[serde(borrow, default)]
    query: Option<Text<'a>>,
    #[serde(borrow, default)]
    dst_ip: Option<Text<'a>>,
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(BufReader::with_capacity(READ_BUF, f))
}

fn measured(phase: &str, events: u64, errors: u64, secs: f64, before: rss::Rss) -> Measured {
    Measured {
        phase: phase.to_owned(),
        events,
        errors,
        secs,
        rss_before_kib: before.now_kib,
        peak_kib: rss::read().unwrap_or_default().peak_kib,
        alerts: 0,
        follow_ons: 0,
        live_processes: 0,
        stats: None,
        samples: Vec::new(),
        batches: None,
    }
}

/// Bare `serde_json` parse of every line into [`Bare`] (same line splitting as the reader).
pub fn parse(path: &Path) -> anyhow::Result<Measured> {
    let before = rss::read().unwrap_or_default();
    let start = Instant::now();
    let mut lines = LineReader::new(open(path)?, DEFAULT_MAX_LINE);
    let (mut n, mut errors) = (0u64, 0u64);
    while let Some((_, line)) = lines.next_line()? {
        let Line::Text(bytes) = line else {
            errors += 1;
            continue;
        };
        let ok = std::str::from_utf8(bytes).ok().and_then(|s| serde_json::from_str::<Bare>(s).ok());
        match black_box(ok) {
            Some(_) => n += 1,
            None => errors += 1,
        }
    }
    Ok(measured("parse", n, errors, start.elapsed().as_secs_f64(), before))
}

/// Bare `serde_json` parse of every line into `IgnoredAny`: the floor of any NDJSON form (ECS,
/// flattened Sysmon), which validates all of each line's JSON and keeps nothing.
pub fn parse_any(path: &Path) -> anyhow::Result<Measured> {
    let before = rss::read().unwrap_or_default();
    let start = Instant::now();
    let mut lines = LineReader::new(open(path)?, DEFAULT_MAX_LINE);
    let (mut n, mut errors) = (0u64, 0u64);
    while let Some((_, line)) = lines.next_line()? {
        let ok = match line {
            Line::Text(bytes) => serde_json::from_slice::<de::IgnoredAny>(bytes).is_ok(),
            _ => false,
        };
        if black_box(ok) {
            n += 1;
        } else {
            errors += 1;
        }
    }
    Ok(measured("parse-any", n, errors, start.elapsed().as_secs_f64(), before))
}

/// Pushes `events` into `engine` and finishes; samples its size every `every` events.
fn run_engine<I: Iterator<Item = Event>>(
    events: I,
    engine: &mut AnyEngine,
    every: u64,
    samples: &mut Vec<Sample>,
) -> u64 {
    let mut n = 0;
    for e in events {
        engine.push(e);
        n += 1;
        if every > 0 && n % every == 0 {
            let rss_kib = rss::read().unwrap_or_default().now_kib;
            samples.push(Sample { events: n, live_processes: engine.live_processes() as u64, rss_kib });
        }
    }
    engine.finish();
    n
}

fn finish(mut m: Measured, engine: &mut AnyEngine, alerts: Option<&Path>) -> anyhow::Result<Measured> {
    let records = engine.drain();
    m.alerts = records.iter().filter(|r| matches!(r, Record::Alert(_))).count() as u64;
    m.follow_ons = records.len() as u64 - m.alerts;
    m.live_processes = engine.live_processes() as u64;
    m.stats = Some(serde_json::to_value(engine.stats())?);
    let l = engine.batch_latency();
    let us = |d: Option<std::time::Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e6);
    m.batches = Some([l.count as f64, us(l.quantile(0.5)), us(l.quantile(0.99)), us(Some(l.max))]);
    if let Some(path) = alerts {
        let mut w = BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?);
        for r in &records {
            writeln!(w, "{}", r.to_json())?;
        }
        w.flush()?;
    }
    Ok(m)
}

/// End to end, as `clickchain scan`: file -> reader of its detected format -> engine -> `finish()`.
pub fn scan(path: &Path, alerts: Option<&Path>, every: u64, opts: &EngineOpts) -> anyhow::Result<Measured> {
    let mut engine = opts.engine()?;
    let before = rss::read().unwrap_or_default();
    let start = Instant::now();
    let mut errors = 0u64;
    let options = InputOptions { parse_threads: opts.parse_threads(), ..InputOptions::default() };
    let opened = input::open(path, &options, Default::default())?;
    let events = opened.records.filter_map(|r| r.map_err(|_| errors += 1).ok());
    let mut samples = Vec::new();
    let n = run_engine(events, &mut engine, every, &mut samples);
    let mut m = measured("scan", n, errors, start.elapsed().as_secs_f64(), before);
    m.samples = samples;
    finish(m, &mut engine, alerts)
}

/// Reads every event of the file into memory (not timed); counts the lines that did not parse.
fn load(path: &Path) -> anyhow::Result<(Vec<Event>, u64)> {
    let mut errors = 0u64;
    let events: Vec<Event> = NativeReader::new(path.display().to_string(), open(path)?)
        .filter_map(|r| r.map_err(|_| errors += 1).ok())
        .collect();
    Ok((events, errors))
}

/// Pushes pre-loaded `events` into `engine` (timed) and finishes.
fn timed_engine(
    name: &str,
    events: Vec<Event>,
    errors: u64,
    mut engine: AnyEngine,
    alerts: Option<&Path>,
    every: u64,
) -> anyhow::Result<Measured> {
    let before = rss::read().unwrap_or_default();
    let start = Instant::now();
    let mut samples = Vec::new();
    let n = run_engine(events.into_iter(), &mut engine, every, &mut samples);
    let mut m = measured(name, n, errors, start.elapsed().as_secs_f64(), before);
    m.samples = samples;
    finish(m, &mut engine, alerts)
}

/// Engine only: the events are read into memory first (not timed), then pushed by value.
pub fn engine(path: &Path, alerts: Option<&Path>, every: u64, opts: &EngineOpts) -> anyhow::Result<Measured> {
    let (events, errors) = load(path)?;
    let engine = opts.engine()?;
    timed_engine("engine", events, errors, engine, alerts, every)
}

/// As [`engine`], with one engine (no shards) in its naive evaluation mode: crepe over the
/// whole window of each host every batch (a peer).
pub fn naive(path: &Path, alerts: Option<&Path>, every: u64, opts: &EngineOpts) -> anyhow::Result<Measured> {
    let (events, errors) = load(path)?;
    let mut one = Engine::new(opts.config()?)?;
    one.set_naive_evaluation(true);
    timed_engine("naive", events, errors, AnyEngine::One(Box::new(one)), alerts, every)
}

/// The hand-written imperative correlator on the same pre-built events (loaded untimed).
pub fn imperative(path: &Path, alerts: Option<&Path>, every: u64, opts: &EngineOpts) -> anyhow::Result<Measured> {
    let (events, errors) = load(path)?;
    let mut c = Correlator::new(&opts.config()?)?;
    let before = rss::read().unwrap_or_default();
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut n = 0u64;
    for e in events {
        c.push(e);
        n += 1;
        if every > 0 && n.is_multiple_of(every) {
            let rss_kib = rss::read().unwrap_or_default().now_kib;
            samples.push(Sample { events: n, live_processes: c.live_processes() as u64, rss_kib });
        }
    }
    let mut m = measured("imperative", n, errors, start.elapsed().as_secs_f64(), before);
    m.samples = samples;
    m.live_processes = c.live_processes() as u64;
    let found = c.take_alerts();
    m.alerts = found.len() as u64;
    if let Some(path) = alerts {
        let mut w = BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?);
        for a in &found {
            writeln!(w, "{}", a.to_json())?;
        }
        w.flush()?;
    }
    Ok(m)
}
