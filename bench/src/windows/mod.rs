//! `clickchain-bench windows`: the Windows adapter against its floors, in one process and run.
//!
//! * EVTX: `scan`'s path (`input::open` → `WinEventReader` → `Engine`) against the `evtx` crate
//!   rendering every record of the same file to JSON (`EvtxParser::records_json`), the work the
//!   adapter cannot avoid. A small file is read `--repeat` times, each pass with a fresh engine.
//! * A large EVTX file: the chunks of the small one repeated `--evtx-copies` times after its
//!   header, read once. The default pipeline and `-j 2` parse EVTX on other threads only from
//!   `PARALLEL_MIN_BYTES` (4 MiB) on, which the small file is not.
//! * Flattened Sysmon JSON: the synthetic stream's Windows events written as Sysmon/Security
//!   records (shape A, `clickchain_synth::write::sysmon`), `scan`'s path against a bare
//!   `serde_json` parse of each line into a borrowed struct of the fields the mapping reads.
//! * A real flattened Sysmon JSON recording, when at hand (OTRF's Logstash-shaped covenant
//!   recording in ../shared by default: 2,356 records of 1.7 KB on average, each with a rendered
//!   `Message` and Logstash's `tags` array), read `--real-repeat` times, each `scan` pass with a
//!   fresh engine, against the same bare parse.
//!
//! Each input is also read by the reader alone (records to events, no engine), to tell the
//! adapter's share from the engine's, and by `scan` as the CLI runs it: on one thread (`-j 1`),
//! by default (the input parsed on a thread of its own beside one engine) and with `-j 2`.
//!
//! Then each floor and the default `scan` (on JSON also `-j 1`) are timed in back-to-back pairs
//! (`crate::paired::Paired`), the figures the Windows targets are judged by.

use std::borrow::Cow;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clickchain::input::{self, InputOptions};
use clickchain::{AnyEngine, Config};
use clickchain_bench::synth::{generate, write, Params};

mod report;
pub use report::{report, Files};

/// One timed pass: records (or events) handled and seconds.
pub struct Rate {
    pub what: &'static str,
    pub items: u64,
    pub secs: f64,
}

impl Rate {
    pub fn per_sec(&self) -> f64 {
        self.items as f64 / self.secs.max(1e-9)
    }
}

/// The evtx crate's own rate: every record rendered to JSON, `repeat` times.
pub fn evtx_floor(path: &Path, repeat: usize) -> anyhow::Result<Rate> {
    let start = Instant::now();
    let mut n = 0u64;
    for _ in 0..repeat {
        let mut parser = evtx::EvtxParser::from_path(path)?;
        for r in parser.records_json() {
            if black_box(r).is_ok() {
                n += 1;
            }
        }
    }
    Ok(Rate { what: "evtx crate records_json", items: n, secs: start.elapsed().as_secs_f64() })
}

/// EVTX file header size; chunks follow, 64 KiB each.
const EVTX_HEADER: usize = 4096;
const EVTX_CHUNK: usize = 64 * 1024;

/// Writes `src`'s header and then its whole chunks `copies` times to `out`: an EVTX file as
/// large as wanted with the records (and the unused chunks) of a real one. Readers count
/// chunks by the file's size, not by the header. Returns the bytes written.
pub fn write_repeated_evtx(src: &Path, copies: usize, out: &Path) -> anyhow::Result<u64> {
    let data = std::fs::read(src).with_context(|| format!("reading {}", src.display()))?;
    anyhow::ensure!(data.len() > EVTX_HEADER + EVTX_CHUNK, "{}: no whole chunk after the header", src.display());
    let chunks = &data[EVTX_HEADER..EVTX_HEADER + (data.len() - EVTX_HEADER) / EVTX_CHUNK * EVTX_CHUNK];
    let mut w = BufWriter::new(File::create(out).with_context(|| format!("creating {}", out.display()))?);
    w.write_all(&data[..EVTX_HEADER])?;
    for _ in 0..copies {
        w.write_all(chunks)?;
    }
    w.flush()?;
    Ok((EVTX_HEADER + chunks.len() * copies) as u64)
}

/// Engines, and threads that parse the input apart from the engine's (0: on its thread);
/// EVTX chunks on `evtx_parse` threads when given, else on `parse`.
#[derive(Clone, Copy)]
pub struct Threads {
    pub engines: usize,
    pub parse: usize,
    pub evtx_parse: Option<usize>,
}

/// `clickchain scan --threads 1`: everything on one thread.
pub const ONE: Threads = Threads { engines: 1, parse: 0, evtx_parse: None };
/// `clickchain scan` without `--threads` on a machine of two cores or more.
pub const DEFAULT: Threads = Threads { engines: 1, parse: 1, evtx_parse: Some(2) };
/// `clickchain scan --threads 2`.
pub const TWO: Threads = Threads { engines: 2, parse: 2, evtx_parse: None };

/// `scan`'s path over a file on one thread, `repeat` times: records read (events + skips +
/// rejections).
pub fn scan(path: &Path, repeat: usize, what: &'static str) -> anyhow::Result<(Rate, u64)> {
    scan_with(path, repeat, what, ONE)
}

/// As [`scan`] on `threads`.
pub fn scan_with(path: &Path, repeat: usize, what: &'static str, threads: Threads) -> anyhow::Result<(Rate, u64)> {
    let start = Instant::now();
    let (mut records, mut events) = (0u64, 0u64);
    let options = InputOptions {
        parse_threads: threads.parse,
        evtx_parse_threads: threads.evtx_parse,
        ..InputOptions::default()
    };
    for _ in 0..repeat {
        let mut engine = AnyEngine::new(Config::default(), None, threads.engines)?;
        let opened = input::open(path, &options, Arc::new(AtomicU64::new(0)))?;
        for e in opened.records.flatten() {
            events += 1;
            engine.push(e);
        }
        engine.finish();
        black_box(engine.drain());
        records += opened.tally.map_or(0, |t| t.snapshot().records);
    }
    Ok((Rate { what, items: records, secs: start.elapsed().as_secs_f64() }, events))
}

/// The reader alone over a file, `repeat` times: records read, events out; no engine.
pub fn reader(path: &Path, repeat: usize, what: &'static str) -> anyhow::Result<(Rate, u64)> {
    let start = Instant::now();
    let (mut records, mut events) = (0u64, 0u64);
    for _ in 0..repeat {
        let opened = input::open(path, &InputOptions::default(), Arc::new(AtomicU64::new(0)))?;
        for e in opened.records.flatten() {
            events += 1;
            black_box(e);
        }
        records += opened.tally.map_or(0, |t| t.snapshot().records);
    }
    Ok((Rate { what, items: records, secs: start.elapsed().as_secs_f64() }, events))
}

/// One part of the report on its own (for `perf stat` or callgrind): prints its rate.
pub fn part(which: &str, path: &Path, repeat: usize) -> anyhow::Result<()> {
    let rate = match which {
        "evtx-floor" => evtx_floor(path, repeat)?,
        "json-floor" => json_floor(path, repeat)?,
        "reader" => reader(path, repeat, "reader only")?.0,
        "scan" => scan(path, repeat, "scan")?.0,
        "scan-default" => scan_with(path, repeat, "scan, parsing beside the engine", DEFAULT)?.0,
        "scan-j2" => scan_with(path, repeat, "scan --threads 2", TWO)?.0,
        "scan-p1" => {
            scan_with(
                path,
                repeat,
                "scan, 1 engine, 1 parse thread",
                Threads { engines: 1, parse: 1, evtx_parse: None },
            )?
            .0
        }
        "scan-p2" => {
            scan_with(
                path,
                repeat,
                "scan, 1 engine, 2 parse threads",
                Threads { engines: 1, parse: 2, evtx_parse: None },
            )?
            .0
        }
        other => anyhow::bail!(
            "unknown part `{other}` (evtx-floor, json-floor, reader, scan, scan-default, scan-p1, scan-p2, scan-j2)"
        ),
    };
    println!("{}: {} records in {:.3} s = {:.0} records/s", rate.what, rate.items, rate.secs, rate.per_sec());
    Ok(())
}

/// The fields of a flattened Sysmon record the mapping reads.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Bare<'a> {
    #[serde(rename = "EventID")]
    event_id: u32,
    #[serde(borrow, rename = "Channel")]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "Hostname")]
    hostname: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "UtcTime")]
    utc_time: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "TimeCreated")]
    time_created: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "ProcessGuid")]
    process_guid: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "ParentProcessGuid")]
    parent_guid: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "Image")]
    image: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "CommandLine")]
    command_line: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "TargetFilename")]
    target: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "DestinationIp")]
    dst_ip: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "QueryResults")]
    query_results: Option<Cow<'a, str>>,
    // The rest of what the mapping reads: without them the floor would do less than the work
    // the mapping cannot skip.
    #[serde(borrow, rename = "SourceName")]
    source_name: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "User")]
    user: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "Initiated")]
    initiated: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "DestinationPort")]
    dst_port: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "QueryName")]
    query_name: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "Contents")]
    contents: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "NewProcessId")]
    new_process_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "NewProcessName")]
    new_process_name: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "ProcessId")]
    process_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "TargetUserName")]
    target_user: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "SubjectUserName")]
    subject_user: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "ParentProcessId")]
    parent_process_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "ParentImage")]
    parent_image: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "ParentProcessName")]
    parent_process_name: Option<Cow<'a, str>>,
}

/// Bare parse of every line of a JSON-lines file, `passes` times.
pub fn json_floor(path: &Path, passes: usize) -> anyhow::Result<Rate> {
    let start = Instant::now();
    let mut n = 0u64;
    let mut line = Vec::new();
    for _ in 0..passes {
        let mut reader = BufReader::with_capacity(256 * 1024, File::open(path)?);
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            if black_box(serde_json::from_slice::<Bare>(&line)).is_ok() {
                n += 1;
            }
        }
    }
    Ok(Rate { what: "serde_json into a borrowed struct", items: n, secs: start.elapsed().as_secs_f64() })
}

/// Writes the Windows events of a synthetic stream as flattened Sysmon JSON
/// (`clickchain_synth::write::sysmon`); returns the count.
pub fn write_sysmon_json(params: &Params, out: &Path) -> anyhow::Result<u64> {
    let stream = generate(params);
    let mut w = BufWriter::new(File::create(out).with_context(|| format!("creating {}", out.display()))?);
    let written = write::sysmon(&stream, &mut w)?;
    w.flush()?;
    Ok(written.records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records read, unused chunks skipped, and every event and error of `path` as text in
    /// order, parsed as `threads` say.
    fn read(path: &Path, threads: Threads) -> (u64, u64, Vec<String>) {
        let options = InputOptions {
            parse_threads: threads.parse,
            evtx_parse_threads: threads.evtx_parse,
            ..InputOptions::default()
        };
        let opened = input::open(path, &options, Arc::new(AtomicU64::new(0))).unwrap();
        let seen = opened.records.map(|r| format!("{r:?}")).collect();
        let tally = opened.tally.unwrap().snapshot();
        let unused = tally.skipped.get("unused_evtx_chunk").copied().unwrap_or(0);
        (tally.records, unused, seen)
    }

    #[test]
    fn repeated_evtx_holds_the_records_and_unused_chunks_of_each_copy() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/windows/sysmon.evtx");
        let out = std::env::temp_dir().join(format!("clickchain-test-repeated-{}.evtx", std::process::id()));
        let bytes = write_repeated_evtx(&src, 5, &out).unwrap();
        assert!(bytes >= clickchain_adapters::winevent::evtx::PARALLEL_MIN_BYTES, "{bytes} bytes");
        let (records, unused, seen) = read(&src, ONE);
        let events = seen.len();
        let big = read(&out, ONE);
        let one_parsing = read(&out, Threads { engines: 1, parse: 1, evtx_parse: None });
        let default = read(&out, DEFAULT);
        std::fs::remove_file(&out).unwrap();
        assert_eq!(big.0, 5 * records);
        assert_eq!(big.1, 5 * unused);
        assert!(unused > 0, "sysmon.evtx ends in chunks never written");
        // Fewer than five times: starts built for processes first seen mid-life are built once.
        assert!(big.2.len() > 4 * events && big.2.len() <= 5 * events, "{} events", big.2.len());
        // A file this large is parsed on other threads (one, or two by default): same output.
        assert_eq!(one_parsing, big);
        assert_eq!(default, big);
    }
}
