//! Floods: hostile volumes of one shape each, pushed through one engine, to show that memory
//! stays within the bound of `docs/performance.md` "Memory bound" and that what is dropped is
//! counted. `clickchain-bench flood` runs each shape in a child process of its own (its peak
//! RSS is its own) beside the normal synthetic mix; `bench/tests/flood_bound.rs` runs them
//! scaled down against small caps.

mod shapes;

use std::time::Instant;

use clickchain::{Config, Engine, Record, Stats};
use serde::{Deserialize, Serialize};

pub use shapes::{feed, full_size, CANARY, DEEP_FILE, DEEP_GENERATIONS, HOST, LONG_BYTES};

/// A hostile volume of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// 10^6 unique registrable domains reached from one lineage.
    Domains,
    /// 10^6 processes that never exit, on one host.
    Processes,
    /// 10^5 hosts with 100 processes each.
    Hosts,
    /// A 10,000-deep process tree whose last generation downloads (it must alert).
    Deep,
    /// 10 MB command lines and paths.
    Long,
    /// 10^6 DNS answers for one IP.
    Dns,
    /// A stream alternating between two times an hour apart.
    Reorder,
    /// 10^5 partial downloads never renamed.
    Partials,
}

impl Shape {
    /// Every shape, in report order.
    pub const ALL: [Shape; 8] = [
        Shape::Domains,
        Shape::Processes,
        Shape::Hosts,
        Shape::Deep,
        Shape::Long,
        Shape::Dns,
        Shape::Reorder,
        Shape::Partials,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Domains => "domains",
            Shape::Processes => "processes",
            Shape::Hosts => "hosts",
            Shape::Deep => "deep",
            Shape::Long => "long",
            Shape::Dns => "dns",
            Shape::Reorder => "reorder",
            Shape::Partials => "partials",
        }
    }
}

/// What one flood did to one engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    /// The shape's name.
    pub shape: String,
    /// Its size (domains, processes, hosts, ...), the full size times the scale.
    pub size: u64,
    /// Events pushed.
    pub events: u64,
    /// Wall-clock seconds from the first push to the end of `finish`.
    pub secs: f64,
    /// Processes the engine held at the end, all hosts.
    pub live_processes: u64,
    /// Most processes held at any sample (every 1,024 events).
    pub most_processes: u64,
    /// The engine's counters.
    pub stats: Stats,
    /// Paths of the files that alerted.
    pub alerted: Vec<String>,
    /// Peak RSS of the process (KiB), when measured (the bench's child process).
    pub peak_kib: Option<u64>,
}

impl Outcome {
    /// Events per second.
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.secs.max(1e-9)
    }

    /// Whether the canary (the chain after the flood) alerted.
    pub fn canary_alerted(&self) -> bool {
        self.alerted.iter().any(|p| p == CANARY)
    }
}

/// Runs `shape` at `scale` of its full size through a new engine with `config`, calling
/// `probe` every 1,024 events and at the end (a test checks the engine's state there).
pub fn run(shape: Shape, scale: f64, config: Config, probe: &mut dyn FnMut(&mut Engine)) -> anyhow::Result<Outcome> {
    let size = ((full_size(shape) as f64 * scale).round() as u64).max(1);
    let mut engine = Engine::new(config)?;
    let (mut events, mut most) = (0u64, 0usize);
    let started = Instant::now();
    feed(shape, size, &mut |e| {
        engine.push(e);
        events += 1;
        if events % 1_024 == 0 {
            most = most.max(engine.live_processes());
            probe(&mut engine);
        }
    });
    engine.finish();
    let secs = started.elapsed().as_secs_f64();
    probe(&mut engine);
    let alerted = engine
        .drain()
        .into_iter()
        .filter_map(|r| match r {
            Record::Alert(a) => Some(a.write.path.clone()),
            Record::FollowOn(_) => None,
        })
        .collect();
    let live = engine.live_processes();
    Ok(Outcome {
        shape: shape.name().to_owned(),
        size,
        events,
        secs,
        live_processes: live as u64,
        most_processes: most.max(live) as u64,
        stats: engine.stats().clone(),
        alerted,
        peak_kib: None,
    })
}
