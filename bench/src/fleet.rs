//! `clickchain-bench fleet`: events/s through a local nats-server with 1 and 2 workers, against
//! `clickchain scan` of the same stream, in one run (`docs/fleet.md`, "Scale").
//!
//! Each worker count gets a fresh server: the stream is published (timed apart), then the
//! workers start and the clock runs until their stats count every event of the stream (the
//! stream ends with an end-of-replay marker in every partition, so every alert is out too).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use clickchain_fleet::testing::NatsServer;

#[derive(Args)]
pub struct FleetArgs {
    /// Total events of the synthetic stream.
    #[arg(long, default_value_t = 400_000)]
    events: usize,
    /// Hosts.
    #[arg(long, default_value_t = 200)]
    hosts: usize,
    /// Partitions.
    #[arg(long, default_value_t = 8)]
    partitions: u32,
    /// Messages a worker fetches from a partition at a time.
    #[arg(long, default_value_t = 4096)]
    fetch_batch: usize,
    /// The `clickchain` binary (default: beside this one).
    #[arg(long)]
    clickchain: Option<PathBuf>,
    /// Working folder (default: a temporary one).
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub fn run(args: FleetArgs) -> anyhow::Result<()> {
    let bin = match &args.clickchain {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("clickchain"),
    };
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    let synth = dir.join("synth");
    let hosts = args.hosts.to_string();
    let events = args.events.to_string();
    let synth_args = ["synth", "--out", path(&synth)?, "--hosts", &hosts, "--events", &events, "--format", "native"];
    run_ok(&bin, &synth_args)?;
    let stream = synth.join("stream.ndjson");
    let n = std::fs::read_to_string(&stream)?.lines().count() as f64;

    let started = Instant::now();
    run_ok(&bin, &["scan", path(&stream)?])?;
    let scan = started.elapsed().as_secs_f64();
    println!("| run | events | seconds | events/s |\n|---|---:|---:|---:|");
    println!("| `clickchain scan` | {n} | {scan:.2} | {:.0} |", n / scan);
    for workers in [1usize, 2] {
        let store = dir.join(format!("nats-{workers}"));
        let Some(server) = NatsServer::start(&store) else { bail!("nats-server is needed") };
        let url = server.url();
        let parts = args.partitions.to_string();
        let started = Instant::now();
        run_ok(&bin, &["publish", "--nats", &url, "--partitions", &parts, "--end-of-replay", path(&stream)?])?;
        let publish = started.elapsed().as_secs_f64();
        let config = dir.join("fleet.toml");
        let toml = format!(
            "[fleet]\npartitions = {}\nlease_ttl = \"3s\"\ncheckpoint_events = 20000\ncheckpoint_interval = \"5s\"\nstats_interval = \"200ms\"\nfetch_batch = {}\n",
            args.partitions, args.fetch_batch
        );
        std::fs::write(&config, toml)?;
        let started = Instant::now();
        let mut children: Vec<(Child, PathBuf)> = Vec::new();
        for w in 0..workers {
            let stats = dir.join(format!("w{workers}-{w}.json"));
            let child = Command::new(&bin)
                .args([
                    "fleet",
                    "--nats",
                    &url,
                    "--id",
                    &format!("w{w}"),
                    "--config",
                    path(&config)?,
                    "--stats",
                    path(&stats)?,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            children.push((child, stats));
        }
        let done = wait_for_events(&children, n as u64, Duration::from_secs(600));
        let seconds = started.elapsed().as_secs_f64();
        // Give the end-of-replay checkpoints a moment, then read the sizes.
        std::thread::sleep(Duration::from_millis(500));
        let checkpoint_bytes: u64 = children.iter().map(|(_, stats)| checkpoint_bytes(stats)).sum();
        let server_rss = server.pid().and_then(rss_kib).unwrap_or(0);
        let store_bytes = dir_bytes(&store);
        for (child, _) in &mut children {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
        done?;
        println!(
            "| fleet, {workers} worker(s), {} partitions | {n} | {seconds:.2} | {:.0} |",
            args.partitions,
            n / seconds
        );
        println!("| (publish into the stream, before it) | {n} | {publish:.2} | {:.0} |", n / publish);
        eprintln!(
            "{workers} worker(s): server RSS {server_rss} KiB, store {store_bytes} bytes ({:.0} per event), \
             checkpoints {checkpoint_bytes} bytes for {} hosts",
            store_bytes as f64 / n,
            args.hosts
        );
        drop(server);
    }
    Ok(())
}

fn path(p: &Path) -> anyhow::Result<&str> {
    p.to_str().context("a UTF-8 path")
}

fn run_ok(bin: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(bin).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    if !out.status.success() {
        bail!("{} {args:?}: {}", bin.display(), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// The sizes of the last checkpoints in a worker's stats.
fn checkpoint_bytes(stats: &Path) -> u64 {
    let Some(s) = std::fs::read(stats).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()) else {
        return 0;
    };
    s["partitions"].as_object().map_or(0, |p| p.values().map(|v| v["checkpoint_bytes"].as_u64().unwrap_or(0)).sum())
}

/// A process's resident set (VmRSS), in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Bytes of the files below `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Waits until the workers' stats add up to `events` taken.
fn wait_for_events(children: &[(Child, PathBuf)], events: u64, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let taken: u64 = children
            .iter()
            .filter_map(|(_, stats)| std::fs::read(stats).ok())
            .filter_map(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .map(|s| s["events"].as_u64().unwrap_or(0))
            .sum();
        if taken >= events {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the workers took {taken} of {events} events within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
