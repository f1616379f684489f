//! `clickchain scan`: read inputs, merge them by time, run the engine, print records.

mod args;
mod output;
mod report;

use std::collections::HashSet;
use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clickchain::config::Config;
use clickchain::input::{self, Filter, InputItem, InputOptions, Inputs};
use clickchain::AnyEngine;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use args::{input_format, ScanArgs};
use args::{offset_for, parse_offsets, Threads};
use output::{AlertFilter, Filtered, Output};
use report::Counts;

use super::nod_store;
use crate::say;

/// The most inputs of one scan that are each parsed on `--threads` threads.
const MAX_PARALLEL_INPUTS: usize = 8;

/// Rejected-record messages printed in full; the rest are only counted.
pub const MAX_ERROR_LINES: u64 = 20;

pub fn run(args: ScanArgs) -> ExitCode {
    match scan(args) {
        Ok(code) => code,
        // Printed even with --quiet: a run that could not do what was asked says why.
        Err(e) => {
            say!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let input_format = input_format(&args.format)?;
    let filter = AlertFilter {
        min_score: args.min_score,
        from: args.from.as_deref().map(output::parse_time).transpose().map_err(|e| anyhow::anyhow!("--from: {e}"))?,
        to: args.to.as_deref().map(output::parse_time).transpose().map_err(|e| anyhow::anyhow!("--to: {e}"))?,
    };
    let globs = Filter::new(&args.include, &args.exclude).context("--include/--exclude")?;
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if !args.quiet {
        for w in config.warnings() {
            say!("warning: config: {w}");
        }
    }
    if args.os.is_some() {
        config.engine.default_os = args.os;
    }
    let rules = args.rules.as_deref().map(crate::rules::parse_list).transpose()?;
    crate::rules::apply(&mut config, rules.as_deref());
    config.rules.explain |= args.explain;
    let psl = match &args.psl {
        Some(path) => Some(Arc::new(clickchain::domain::Psl::from_file(path)?)),
        None => None,
    };
    let offsets = parse_offsets(&args.time_offset)?;
    // Before any input is read: a format not available, or a folder not writable, stops here.
    let mut out = Output::open(args.output, args.output_file.as_deref())?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = Threads::new(args.threads, cores);
    let enabled = config.rules.enabled.clone();
    let mut engine = AnyEngine::new(config, psl, threads.engines)?;
    let mut counts = Counts::new(args.quiet, args.strict);
    if let Some(path) = &args.nod_store {
        let bad = nod_store::load(&mut engine, path, args.quiet)?;
        if bad > 0 {
            counts.rejected.insert("bad_nod_store_line", bad);
        }
    }

    let expanded = input::expand_filtered(&args.paths, &globs);
    for w in &expanded.warnings {
        counts.input_left_out(w);
    }
    let files = expanded.files;
    let total: u64 = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let progress = Arc::new(AtomicU64::new(0));
    let parallel_inputs = files.len() <= MAX_PARALLEL_INPUTS;
    let options = InputOptions {
        format: input_format,
        default_host: args.host.clone().unwrap_or_default(),
        time_offset: None,
        // Each input parsing on threads has its own threads and blocks in flight: past a few
        // inputs, they parse on the reading thread instead of starting threads by the hundred.
        parse_threads: if parallel_inputs { threads.parse } else { 0 },
        evtx_parse_threads: Some(if parallel_inputs { threads.evtx_parse } else { 0 }),
    };
    let with_offsets = files.iter().map(|f| (f.clone(), offset_for(&offsets, f))).collect();
    let mut inputs = Inputs::new(with_offsets, options, Arc::clone(&progress), input::MAX_OPEN);
    let bar = progress_bar(args.quiet, total);
    let mut kept = HashSet::new();
    let mut shown = 0u64;
    let mut events = 0u64;
    let mut closed = false;
    for item in inputs.by_ref() {
        match item {
            InputItem::Event(ev) => {
                events += 1;
                engine.push(ev);
            }
            InputItem::Rejected(e) => counts.rejected(&e),
            InputItem::Unopened(e) => counts.input_left_out(&e),
        }
        if events.is_multiple_of(4096) {
            bar.set_position(progress.load(Ordering::Relaxed));
            let mut sink = Filtered::new(out.sink(), &filter, &mut kept, &mut shown);
            if let Err(e) = engine.drain_into(&mut sink) {
                if !is_closed(&e) {
                    return Err(e).context("writing records");
                }
                closed = true;
                break;
            }
        }
    }
    let reports = inputs.reports();
    let opened = reports.iter().filter(|r| r.opened).count();
    if !closed {
        engine.finish();
        let mut sink = Filtered::new(out.sink(), &filter, &mut kept, &mut shown);
        // With no input read the run did not do what was asked: an `--output-file` keeps what
        // it held (the temporary file goes with `out`).
        let written = engine.drain_into(&mut sink).and_then(|_| if opened > 0 { out.finish() } else { Ok(()) });
        if let Err(e) = written {
            if !is_closed(&e) {
                return Err(e).context("writing records");
            }
        }
    }
    bar.finish_and_clear();
    if let Some(path) = &args.nod_store {
        if let Err(e) = nod_store::save(&mut engine, path) {
            counts.rejected.insert("nod_store_unwritable", 1);
            say!("error: {e:#}");
        }
    }
    counts.add_reports(&reports);
    let stats = engine.stats();
    if !args.quiet {
        for missing in clickchain::missing_data(&enabled, stats) {
            say!("warning: {missing}");
        }
        counts.print_summary(opened, events, stats, filter.filters().then_some(shown), started.elapsed());
    }
    if args.stats {
        report::print_stats(stats, &reports);
    }
    Ok(counts.exit_code(opened, files.len(), args.fail_on_alert && shown > 0))
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
