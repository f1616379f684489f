//! The `agent` subcommand: alert latency at steady live rates, checkpoint size and time, and
//! RSS over a simulated day, each part in a child process of its own; markdown on stdout.

use std::time::Duration;

use clap::{Args, ValueEnum};
use clickchain::Config;
use clickchain_bench::agent;

#[derive(Args)]
pub struct AgentArgs {
    /// Live rates (events/s) for the latency part.
    #[arg(long, value_delimiter = ',', default_value = "1000,50000")]
    rates: Vec<u64>,
    /// Seconds of sending at each rate (then AllowedLateness + 3 s more so the last batches close).
    #[arg(long, default_value_t = 30.0)]
    secs: f64,
    /// A chain every this many milliseconds while sending.
    #[arg(long, default_value_t = 250)]
    chain_every_ms: u64,
    /// Live processes in the checkpoint part.
    #[arg(long, default_value_t = 100_000)]
    processes: u32,
    /// Hosts they run on.
    #[arg(long, default_value_t = 10)]
    hosts: u32,
    /// Events per second of event time in the simulated day.
    #[arg(long, default_value_t = 200)]
    day_rate: u64,
    /// Hours of event time in the simulated day.
    #[arg(long, default_value_t = 24)]
    hours: u32,
    /// Run only this part in this process and print it as JSON (what the children do).
    #[arg(long, value_enum)]
    part: Option<Part>,
    /// AllowedLateness of the latency part's engine, in ms [default: the configuration's, 5 s].
    #[arg(long)]
    lateness_ms: Option<u64>,
    /// With `--part latency`: the rate.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Part {
    Latency,
    Checkpoint,
    Day,
}

fn part(a: &AgentArgs, p: Part) -> anyhow::Result<serde_json::Value> {
    Ok(match p {
        Part::Latency => {
            let config = match a.lateness_ms {
                Some(ms) => {
                    Config::from_toml_str(&format!("[engine]\nallowed_lateness = \"{ms}ms\"\n"), "--lateness-ms")?
                }
                None => Config::default(),
            };
            let every = Duration::from_millis(a.chain_every_ms.max(1));
            serde_json::to_value(agent::latency(a.rate, a.secs, every, config)?)?
        }
        Part::Checkpoint => serde_json::to_value(agent::checkpoint(a.processes, a.hosts)?)?,
        Part::Day => serde_json::to_value(agent::day(a.day_rate, a.hours)?)?,
    })
}

fn child(a: &AgentArgs, p: &str, rate: u64) -> anyhow::Result<serde_json::Value> {
    let args = [
        ("--rate", rate.to_string()),
        ("--secs", a.secs.to_string()),
        ("--chain-every-ms", a.chain_every_ms.to_string()),
        ("--processes", a.processes.to_string()),
        ("--hosts", a.hosts.to_string()),
        ("--day-rate", a.day_rate.to_string()),
        ("--hours", a.hours.to_string()),
    ];
    let lateness = a.lateness_ms.map(|ms| format!("--lateness-ms={ms}"));
    let mut argv = vec!["agent", "--part", p];
    argv.extend(args.iter().flat_map(|(k, v)| [*k, v.as_str()]));
    argv.extend(lateness.as_deref());
    crate::floods::run_self(&argv, &format!("agent part {p}"))
}

impl AgentArgs {
    /// The defaults of `clickchain-bench agent`.
    pub fn defaults() -> AgentArgs {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            agent: AgentArgs,
        }
        <Defaults as clap::Parser>::parse_from(["agent"]).agent
    }
}

/// Runs the parts and prints their tables.
pub fn run(a: &AgentArgs) -> anyhow::Result<()> {
    match a.part {
        Some(p) => println!("{}", part(a, p)?),
        None => print!("{}", render(a)?),
    }
    Ok(())
}

/// Every part, each in a child process, as markdown tables.
pub fn render(a: &AgentArgs) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let mut o = String::new();
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let lateness = a.lateness_ms.map_or("5000 (default)".into(), |ms| ms.to_string());
    writeln!(o, "AllowedLateness {lateness} ms; a chain every {} ms.\n", a.chain_every_ms)?;
    writeln!(o, "| live rate (events/s) | reached | chains | alerts | latency p50 (ms) | p99 (ms) | max (ms) |")?;
    writeln!(o, "|---:|---:|---:|---:|---:|---:|---:|")?;
    for &rate in &a.rates {
        eprintln!("latency at {rate} events/s ...");
        let v = child(a, "latency", rate)?;
        writeln!(
            o,
            "| {rate} | {:.0} | {} | {} | {:.0} | {:.0} | {:.0} |",
            f(&v, "achieved"),
            v["chains"],
            v["alerts"],
            f(&v, "p50_ms"),
            f(&v, "p99_ms"),
            f(&v, "max_ms")
        )?;
    }
    eprintln!("checkpoint with {} processes ...", a.processes);
    let c = child(a, "checkpoint", 0)?;
    writeln!(
        o,
        "\n| live processes | hosts | checkpoint (bytes) | save to memory (ms) | save to file (ms) | restore (ms) |"
    )?;
    writeln!(o, "|---:|---:|---:|---:|---:|---:|")?;
    writeln!(
        o,
        "| {} | {} | {} | {:.1} | {:.1} | {:.1} |",
        c["processes"],
        c["hosts"],
        c["bytes"],
        f(&c, "save_ms"),
        f(&c, "save_file_ms"),
        f(&c, "restore_ms")
    )?;
    eprintln!("a simulated day ...");
    let d = child(a, "day", 0)?;
    let samples: Vec<(u64, u64)> = serde_json::from_value(d["samples"].clone())?;
    writeln!(
        o,
        "\n{} hours of event time at {} events/s: {} events, {} alerts, {:.1} s.\n",
        d["hours"],
        d["rate"],
        d["events"],
        d["alerts"],
        f(&d, "secs")
    )?;
    writeln!(o, "| simulated hour | RSS (MiB) | processes held |\n|---:|---:|---:|")?;
    for (h, (kib, procs)) in samples.iter().enumerate() {
        writeln!(o, "| {} | {:.1} | {procs} |", h + 1, *kib as f64 / 1024.0)?;
    }
    Ok(o)
}
