//! `clickchain`: scan event files for DET0066 malicious-link chains (a thin shell over the library).

mod alloc;
mod nod_store;
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
}

#[derive(Subcommand)]
enum Command {
    /// Replay event files (or folders, or `-` for stdin) and print alerts as NDJSON.
    Scan(scan::ScanArgs),
    /// Write a seeded synthetic stream (native, Sysmon JSON, ECS) and its labels into a folder.
    Synth(synth::SynthArgs),
    /// Follow files and folders live, print alerts as they fire, checkpoint across restarts.
    Watch(watch::WatchArgs),
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CLICKCHAIN_LOG"))
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Config { print_default, os, check } => config(print_default, os, check),
    }
}

fn config(print_default: bool, os: Option<Os>, check: Option<PathBuf>) -> ExitCode {
    if let Some(path) = check {
        return match Config::load(&path) {
            Ok(_) => {
                eprintln!("{}: ok", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    if !print_default {
        eprintln!("error: nothing to do: use --print-default [--os windows|linux|macos] or --check FILE");
        return ExitCode::from(2);
    }
    print!("{}", Config::default().to_toml(os));
    ExitCode::SUCCESS
}
