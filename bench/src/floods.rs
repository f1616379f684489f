//! The `flood` subcommand: each flood shape, and the normal synthetic mix, in a child process
//! of its own (`flood-one`), so that each peak RSS is its own; a markdown table on stdout.

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use clickchain::{Config, Engine};
use clickchain_bench::flood::{self, Outcome, Shape};
use clickchain_bench::rss;
use clickchain_bench::synth::{generate, Params};

#[derive(Args)]
pub struct FloodArgs {
    /// Shapes to run [default: all].
    #[arg(value_enum)]
    shapes: Vec<Shape>,
    /// Fraction of each shape's full size (1.0: the sizes of `docs/performance.md`).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Events of the normal synthetic mix (10 hosts) measured beside the floods.
    #[arg(long, default_value_t = 1_000_000)]
    normal_events: usize,
}

#[derive(Args)]
pub struct FloodOneArgs {
    /// A shape's name, or `normal` for the synthetic mix.
    shape: String,
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    #[arg(long, default_value_t = 1_000_000)]
    normal_events: usize,
}

/// Runs one flood (or the normal mix) in this process; prints its [`Outcome`] as JSON.
pub fn one(a: &FloodOneArgs) -> anyhow::Result<()> {
    let mut outcome = if a.shape == "normal" {
        normal(a.normal_events)?
    } else {
        let shape = Shape::ALL.into_iter().find(|s| s.name() == a.shape).context("unknown shape")?;
        flood::run(shape, a.scale, Config::default(), &mut |_| {})?
    };
    outcome.peak_kib = rss::read().map(|r| r.peak_kib);
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

/// The synthetic mix (10 hosts, its events built before the clock starts).
fn normal(events: usize) -> anyhow::Result<Outcome> {
    let stream = generate(&Params { events, hosts: 10, ..Params::default() });
    let mut engine = Engine::new(Config::default())?;
    let n = stream.events.len() as u64;
    let started = Instant::now();
    for e in stream.events {
        engine.push(e);
    }
    engine.finish();
    let secs = started.elapsed().as_secs_f64();
    let alerts = engine.drain().len();
    Ok(Outcome {
        shape: "normal".into(),
        size: n,
        events: n,
        secs,
        live_processes: engine.live_processes() as u64,
        most_processes: 0,
        stats: engine.stats().clone(),
        alerted: vec![format!("{alerts} records")],
        peak_kib: None,
    })
}

fn child(shape: &str, a: &FloodArgs) -> anyhow::Result<Outcome> {
    let (scale, normal) = (a.scale.to_string(), a.normal_events.to_string());
    run_self(&["flood-one", shape, "--scale", &scale, "--normal-events", &normal], shape)
}

/// Runs this binary with `args` in a child process and reads the JSON of its last line.
pub fn run_self<T: serde::de::DeserializeOwned>(args: &[&str], what: &str) -> anyhow::Result<T> {
    let out = Command::new(std::env::current_exe()?)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("starting {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", out.status);
    }
    let text = String::from_utf8(out.stdout)?;
    Ok(serde_json::from_str(text.lines().last().with_context(|| format!("{what} printed nothing"))?)?)
}

/// Runs the normal mix, then each shape, each in its own process, and prints the table.
pub fn run(a: &FloodArgs) -> anyhow::Result<()> {
    let shapes = if a.shapes.is_empty() { Shape::ALL.to_vec() } else { a.shapes.clone() };
    eprintln!("normal mix ({} events) ...", a.normal_events);
    let normal = child("normal", a)?;
    let mut rows = Vec::new();
    for s in shapes {
        eprintln!("flood {} ...", s.name());
        rows.push(child(s.name(), a)?);
    }
    println!("{}", table(&normal, &rows));
    Ok(())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

/// The counters of `dropped` and `anomalies` that are not 0, as `name=value`.
pub fn counted(outcome: &Outcome) -> String {
    let v = serde_json::to_value(&outcome.stats).unwrap_or_default();
    let mut parts = Vec::new();
    for group in ["dropped", "anomalies"] {
        if let Some(map) = v.get(group).and_then(|g| g.as_object()) {
            for (k, n) in map {
                if n.as_u64().is_some_and(|n| n > 0) {
                    parts.push(format!("{group}.{k}={n}"));
                }
            }
        }
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn table(normal: &Outcome, rows: &[Outcome]) -> String {
    let mut s = String::from(
        "| shape | size | events | events/s | of the normal mix | peak RSS (MiB) | processes held (end / most) | dropped and counted | canary alerted |\n|---|---:|---:|---:|---:|---:|---:|---|---|\n",
    );
    s += &format!(
        "| normal mix (10 hosts) | | {} | {:.0} | 1.00 | {} | {} | {} | {} |\n",
        normal.events,
        normal.rate(),
        mib(normal.peak_kib),
        normal.live_processes,
        counted(normal),
        normal.alerted.join(" ")
    );
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {:.0} | {:.2} | {} | {} / {} | {} | {} |\n",
            r.shape,
            r.size,
            r.events,
            r.rate(),
            r.rate() / normal.rate().max(1e-9),
            mib(r.peak_kib),
            r.live_processes,
            r.most_processes,
            counted(r),
            if r.canary_alerted() { "yes" } else { "**no**" },
        );
        let others: Vec<&String> = r.alerted.iter().filter(|p| p.as_str() != flood::CANARY).collect();
        if !others.is_empty() {
            s += &format!("|  | other alerts: {} | | | | | | | |\n", others.len());
        }
    }
    s
}
