//! `clickchain`: scan event files for DET0066 malicious-link chains (a thin shell over the library).

mod alerts;
mod alloc;
mod domain;
mod eval;
mod explain;
mod fleet;
mod fleet_connect;
mod log;
mod nod_store;
mod publish;
mod rules;
mod scan;
mod synth;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use clickchain::config::Config;
use clickchain::Os;

#[derive(Parser)]
#[command(name = "clickchain", version, about = "Detect MITRE T1204.001 malicious-link chains (DET0066)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log on stderr: -v debug (why a decision went as it did), -vv trace. Without it,
    /// CLICKCHAIN_LOG (an env-filter: `debug`, `clickchain=trace`, …) sets the level.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Subcommand)]
enum Command {
    /// Replay event files (or folders, or `-` for stdin) and print alerts as NDJSON.
    Scan(scan::ScanArgs),
    /// Write a seeded synthetic stream (native, Sysmon JSON, ECS) and its labels into a folder.
    Synth(synth::SynthArgs),
    /// Follow files and folders live, print alerts as they fire, checkpoint across restarts.
    Watch(watch::WatchArgs),
    /// Score rule sets against a labelled stream: precision, recall and F1, misses, false alerts.
    Eval(eval::EvalArgs),
    /// Why a file did or did not alert: the engine's decisions about it, and its host's trusted egress.
    Explain(explain::ExplainArgs),
    /// Show how the engine judges destinations: PSL split, risk signals, score, verdict.
    Domain(domain::DomainArgs),
    /// List the detection rules with their headers (`--rules` and `[rules] enabled` pick them).
    Rules(rules::RulesArgs),
    /// Publish events to a fleet's NATS JetStream stream, partitioned by host.
    Publish(publish::PublishArgs),
    /// Run a fleet worker: lease partitions, detect, checkpoint, publish alerts.
    Fleet(fleet::FleetArgs),
    /// Print a fleet's alerts (NDJSON) from its NATS JetStream stream.
    Alerts(alerts::AlertsArgs),
    /// Print or check configuration.
    Config {
        /// Print the default configuration as TOML.
        #[arg(long)]
        print_default: bool,
        /// The OS whose defaults to print (all when omitted).
        #[arg(long)]
        os: Option<Os>,
        /// Check a configuration file and report the first error.
        #[arg(long, value_name = "FILE", conflicts_with = "print_default")]
        check: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    alloc::configure();
    let cli = Cli::parse();
    log::init(cli.verbose);
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Domain(args) => domain::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Publish(args) => publish::run(args),
        Command::Fleet(args) => fleet::run(args),
        Command::Alerts(args) => alerts::run(args),
        Command::Config { print_default, os, check } => config(print_default, os, check),
    }
}

fn config(print_default: bool, os: Option<Os>, check: Option<PathBuf>) -> ExitCode {
    if let Some(path) = check {
        return match Config::load(&path) {
            Ok(config) => {
                let warnings = config.warnings();
                for w in &warnings {
                    say!("warning: {w}");
                }
                let note = if warnings.is_empty() { String::new() } else { format!(" ({} warnings)", warnings.len()) };
                say!("{}: ok{note}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                say!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    if !print_default {
        say!("error: nothing to do: use --print-default [--os windows|linux|macos] or --check FILE");
        return ExitCode::from(2);
    }
    // A closed stdout ends the output; it is no error.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), Config::default().to_toml(os).as_bytes());
    ExitCode::SUCCESS
}
