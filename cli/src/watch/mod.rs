//! `clickchain watch`: follows files and folders live, writes alerts as their batches close,
//! checkpoints the engine and the file positions, and reloads its configuration file when it
//! changes. SIGINT or SIGTERM: a last checkpoint, exit 0.

mod lines;
mod signals;

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::Args;
use clickchain::checkpoint::{self, CheckpointError};
use clickchain::config::Config;
use clickchain::sink::Sink;

use clickchain::{live, AnyEngine, Event, ReadError};
use clickchain_follow::{Checkpoint as Positions, FileFilter, FollowConfig, FollowEvent, Follower};
use clickchain_output::OutputFormat;
use tokio::sync::mpsc;

#[derive(Args)]
pub struct WatchArgs {
    /// Files and folders to follow (new files in a folder are picked up).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Read the files that exist from their start (default: from their end).
    #[arg(long)]
    from_start: bool,
    /// Engine state and file positions: restored at start, saved every interval and at exit.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// How often the checkpoint is saved (default: the config's `checkpoint_interval`, 30 s).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    checkpoint_interval: Option<Duration>,
    /// Start with an empty state even if the checkpoint cannot be restored (it is replaced).
    #[arg(long)]
    fresh: bool,
    /// Configuration file (TOML); reloaded when it changes, kept when the new one is invalid.
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Input format of every line (`auto`: detected per file from its first line).
    #[arg(long, short = 'f', default_value = "auto")]
    format: String,
    /// Output format, as `scan --output` (`html` is written when the watch ends).
    #[arg(long, default_value = "ndjson")]
    output: OutputFormat,
    /// Public Suffix List file to use instead of the vendored one (as `scan --psl`).
    #[arg(long, value_name = "FILE")]
    psl: Option<PathBuf>,
    /// Host name for records that name none.
    #[arg(long, default_value = "")]
    host: String,
    /// Rules to run, by id, instead of `[rules] enabled` (kept across config reloads).
    #[arg(long, value_name = "ID,ID")]
    rules: Option<String>,
    /// Newly-observed-domain store (as `scan --nod-store`): loaded at start, saved at every
    /// checkpoint interval and at exit, so that a restart keeps the domains and each host's
    /// history.
    #[arg(long, value_name = "FILE")]
    nod_store: Option<PathBuf>,
    /// Each alert carries its `derivation` (as `scan --explain`; kept across config reloads).
    #[arg(long)]
    explain: bool,
}

pub fn run(args: WatchArgs) -> ExitCode {
    match watch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn watch(args: WatchArgs) -> anyhow::Result<()> {
    let format = lines::parse_format(&args.format)?;
    let mut sink = clickchain_output::live_writer(args.output, Box::new(io::stdout()));
    let rules = args.rules.as_deref().map(crate::rules::parse_list).transpose()?;
    let mut config_file =
        args.config.as_deref().map(|p| ConfigFile::load(p, rules.clone(), args.explain)).transpose()?;
    let mut config = config_file.as_ref().map_or_else(Config::default, |c| c.config.clone());
    crate::rules::apply(&mut config, rules.as_deref());
    config.rules.explain |= args.explain;
    let default_interval = config.engine.checkpoint_interval;
    let (mut engine, positions) = restore(&args, config)?;
    let mut counts = WatchCounts::default();
    if let Some(path) = &args.nod_store {
        counts.nod_bad_lines = crate::nod_store::load(&mut engine, path, false)?;
    }
    let mut follower =
        Follower::new(FollowConfig { from_start: args.from_start, resume: positions, ..Default::default() })?;
    for path in &args.paths {
        match path.is_dir() {
            true => follower.add_folder(path, FileFilter::all()),
            false => follower.add(path),
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    signals::on_stop(Arc::clone(&stop))?;
    let mut live = live::spawn_thread(engine, live::Options::default())?;
    let mut reader = lines::LineReader::new(format, args.host.clone());
    let (mut saved, mut ready) = (Instant::now(), false);
    while !stop.load(Ordering::Relaxed) {
        follower.wait_and_poll(Duration::from_millis(200), |event| match event {
            FollowEvent::Line(line) => send(reader.read(&line), &live.events, &mut counts),
            FollowEvent::Error(e) => {
                counts.follow_errors += 1;
                eprintln!("warning: {e}");
            }
        });
        send(reader.idle(), &live.events, &mut counts);
        write_records(&mut live.records, sink.as_mut())?;
        if !ready {
            // Existing files have been looked at: what is written from now on is read.
            eprintln!("watching {} paths", args.paths.len());
            ready = true;
        }
        if let Some(file) = config_file.as_mut() {
            file.reload_if_changed(&live.handle, &mut counts);
        }
        let configured = config_file.as_ref().map_or(default_interval, |c| c.config.engine.checkpoint_interval);
        let interval = args.checkpoint_interval.unwrap_or(configured);
        if saved.elapsed() >= interval {
            // Auditd events still open are closed first: their lines are behind the saved
            // positions, so the state must hold them.
            send(reader.flush(), &live.events, &mut counts);
            save(&args, &live.handle, &follower, &mut counts)?;
            save_nod_store(&args, &live.handle, &mut counts);
            saved = Instant::now();
        }
        if live.thread.is_finished() {
            anyhow::bail!("the engine stopped");
        }
    }
    send(reader.flush(), &live.events, &mut counts);
    save(&args, &live.handle, &follower, &mut counts)?;
    save_nod_store(&args, &live.handle, &mut counts);
    write_records(&mut live.records, sink.as_mut())?;
    sink.finish()?;
    eprintln!("{counts}");
    if let Some(path) = &args.nod_store {
        eprintln!("{}", counts.nod_summary(path));
    }
    Ok(())
}

/// Sends events to the engine; rejected records are reported and counted.
fn send(events: Vec<Result<Event, ReadError>>, engine: &mpsc::Sender<Event>, counts: &mut WatchCounts) {
    for event in events {
        match event {
            // Fails only if the engine stopped; the loop then ends.
            Ok(event) => drop(engine.blocking_send(event)),
            Err(bad) => {
                counts.records_rejected += 1;
                eprintln!("skipped {bad}");
            }
        }
    }
}

/// What the watch counted besides the engine's own statistics, printed when it ends.
#[derive(Default)]
struct WatchCounts {
    records_rejected: u64,
    follow_errors: u64,
    reloads: u64,
    reloads_rejected: u64,
    checkpoints: u64,
    /// Newly-observed-domain store: bad lines skipped at load, saves, failed saves, and what
    /// the last save wrote and left out.
    nod_bad_lines: u64,
    nod_saves: u64,
    nod_saves_failed: u64,
    nod_saved: clickchain::domain::FirstSeenSaved,
}

impl WatchCounts {
    fn nod_summary(&self, path: &Path) -> String {
        let s = &self.nod_saved;
        format!(
            "nod store {}: {} saves ({} failed), {} domains and {} hosts in the last, {} domains and {} host \
             sightings not recorded (store full), {} bad lines skipped at load",
            path.display(),
            self.nod_saves,
            self.nod_saves_failed,
            s.domains,
            s.hosts,
            s.domains_not_recorded,
            s.hosts_not_recorded,
            self.nod_bad_lines
        )
    }
}

/// Saves the newly-observed-domain store (replacing the file whole); a failure is reported and
/// counted, and the watch goes on (the next interval tries again).
fn save_nod_store(args: &WatchArgs, handle: &live::LiveHandle, counts: &mut WatchCounts) {
    let Some(path) = args.nod_store.as_deref() else { return };
    match handle.blocking_save_first_seen(path) {
        Ok(saved) => {
            counts.nod_saves += 1;
            counts.nod_saved = saved;
        }
        Err(e) => {
            counts.nod_saves_failed += 1;
            eprintln!("warning: nod store not saved: {e}");
        }
    }
}

impl std::fmt::Display for WatchCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "watch: {} records rejected, {} follow errors, {} config reloads ({} rejected), {} checkpoints saved",
            self.records_rejected, self.follow_errors, self.reloads, self.reloads_rejected, self.checkpoints
        )
    }
}

fn write_records(records: &mut tokio::sync::mpsc::Receiver<clickchain::Record>, sink: &mut dyn Sink) -> io::Result<()> {
    while let Ok(record) = records.try_recv() {
        sink.emit(record)?;
    }
    sink.flush()
}

/// The engine and file positions of the checkpoint, or fresh ones (none to restore, or
/// `--fresh`).
fn restore(args: &WatchArgs, config: Config) -> anyhow::Result<(AnyEngine, Option<Positions>)> {
    let psl = match &args.psl {
        Some(path) => Some(Arc::new(clickchain::domain::Psl::from_file(path)?)),
        None => None,
    };
    let fresh = || -> anyhow::Result<(AnyEngine, Option<Positions>)> {
        Ok((AnyEngine::new(config.clone(), psl.clone(), 1)?, None))
    };
    let Some(path) = args.checkpoint.as_deref().filter(|p| p.exists()) else { return fresh() };
    if args.fresh {
        eprintln!("checkpoint {}: not restored (--fresh)", path.display());
        return fresh();
    }
    let restored = checkpoint::load_file(path, |r| {
        let engine = AnyEngine::restore_with_psl(config.clone(), psl.clone(), &mut *r)?;
        let positions =
            serde_json::from_reader(r).map_err(|e| CheckpointError::Decode(format!("file positions: {e}")))?;
        Ok((engine, Some(positions)))
    });
    restored.with_context(|| "start with --fresh to discard it")
}

/// Saves the engine's state and the file positions, in one file.
fn save(
    args: &WatchArgs,
    handle: &live::LiveHandle,
    follower: &Follower,
    counts: &mut WatchCounts,
) -> anyhow::Result<()> {
    let Some(path) = args.checkpoint.as_deref() else { return Ok(()) };
    // The positions first: every line before them was sent, so the engine's state has it.
    let positions = follower.checkpoint();
    let engine = handle.blocking_checkpoint()?;
    checkpoint::save_file(path, |w| {
        w.write_all(&engine)?;
        serde_json::to_writer(w, &positions).map_err(|e| CheckpointError::Decode(e.to_string()))
    })?;
    counts.checkpoints += 1;
    Ok(())
}

/// The configuration file, reloaded when its modification time changes.
struct ConfigFile {
    path: PathBuf,
    modified: Option<SystemTime>,
    config: Config,
    /// `--rules`, applied over every load.
    rules: Option<Vec<String>>,
    /// `--explain`, applied over every load.
    explain: bool,
}

impl ConfigFile {
    fn load(path: &Path, rules: Option<Vec<String>>, explain: bool) -> anyhow::Result<ConfigFile> {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let mut config = Config::load(path)?;
        crate::rules::apply(&mut config, rules.as_deref());
        config.rules.explain |= explain;
        Ok(ConfigFile { path: path.to_owned(), modified, config, rules, explain })
    }

    /// A valid new file is swapped in; an invalid one is reported and the old one stays.
    fn reload_if_changed(&mut self, handle: &live::LiveHandle, counts: &mut WatchCounts) {
        let modified = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        if modified == self.modified {
            return;
        }
        self.modified = modified;
        let loaded = Config::load(&self.path).map_err(anyhow::Error::from).map(|mut c| {
            crate::rules::apply(&mut c, self.rules.as_deref());
            c.rules.explain |= self.explain;
            c
        });
        match loaded.and_then(|c| Ok(handle.blocking_reload(c.clone()).map(|()| c)?)) {
            Ok(config) => {
                self.config = config;
                counts.reloads += 1;
                eprintln!("config {}: reloaded", self.path.display());
            }
            Err(e) => {
                counts.reloads_rejected += 1;
                eprintln!("error: {e} (the previous configuration stays)");
            }
        }
    }
}
