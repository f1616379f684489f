//! `clickchain fleet`: runs one worker of a fleet (`docs/fleet.md`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use clickchain::Config;
use clickchain_fleet::server;
use clickchain_fleet::stats::WorkerStats;
use clickchain_fleet::worker::Worker;
use clickchain_fleet::FleetSettings;

use crate::fleet_connect::{run_command, NatsArgs};
use crate::say;

#[derive(Args)]
pub struct FleetArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Configuration file: the engine's settings (`docs/config.md`) and a `[fleet]` table
    /// (partitions, lease_ttl, checkpoint_events, checkpoint_interval, …; `docs/fleet.md`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Writes the worker's stats as JSON to FILE every stats interval and at the end.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// The worker's id (letters, digits, `-`, `_`); default: the host name and process id.
    #[arg(long)]
    pub id: Option<String>,
    /// No stats line on stderr every stats interval (the `--stats` file is still written).
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: FleetArgs) -> ExitCode {
    run_command(fleet(args))
}

async fn fleet(args: FleetArgs) -> anyhow::Result<ExitCode> {
    let (settings, config) = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            FleetSettings::split(&text, &path.display().to_string())?
        }
        None => (FleetSettings::default(), Config::default()),
    };
    for w in config.warnings() {
        say!("warning: config: {w}");
    }
    let id = args.id.clone().unwrap_or_else(default_id);
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        anyhow::bail!("--id {id:?}: letters, digits, '-' and '_' only");
    }
    // SIGINT/SIGTERM stop the worker: it checkpoints and releases its leases; a second one
    // ends the process at once.
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let signals = tokio::spawn(async move {
        for _ in 0..2 {
            stop_signal().await;
            if stop_tx.send_replace(true) {
                std::process::exit(130);
            }
        }
    });
    let name = format!("clickchain-fleet-{id}");
    let client = tokio::select! {
        client = args.nats.connect(&name, None) => client?,
        _ = stop_rx.changed() => return Ok(ExitCode::SUCCESS),
    };
    let dep = server::deploy(client, &settings).await?;
    let worker = Worker::new(dep, settings, config, id.clone())?;
    say!("worker {id}: started");
    let progress = !args.quiet;
    let stats_path = args.stats.clone();
    let stats = worker
        .run(stop_rx, |stats| {
            if progress {
                say!("{}", stats.line());
            }
            if let Some(path) = &stats_path {
                write_stats(path, stats);
            }
        })
        .await;
    signals.abort();
    say!("worker {id}: stopped after {} events, {} alerts", stats.events, stats.alerts);
    Ok(ExitCode::SUCCESS)
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn default_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host: String =
        host.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("{}-{}", if host.is_empty() { "worker" } else { &host }, std::process::id())
}

/// Replaces the stats file whole (a reader never sees half of it).
fn write_stats(path: &std::path::Path, stats: &WorkerStats) {
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec_pretty(stats)
        .map_err(std::io::Error::other)
        .and_then(|json| std::fs::write(&tmp, json))
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        say!("warning: writing {}: {e}", path.display());
    }
}
