//! `clickchain domain`: how the engine sees a destination (for researchers tuning the domain
//! lists and weights). The verdict is the library's [`clickchain::domain::explain_with`], the
//! same decision the engine makes (newly observed aside).

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use clickchain::config::Config;
use clickchain::domain::{explain_with, DomainVerdict, Psl, RiskPolicy};
use clickchain::Os;

use crate::say;

#[derive(Args)]
pub struct DomainArgs {
    /// Host names, URLs or IP addresses.
    #[arg(required = true, value_name = "NAME|URL")]
    pub names: Vec<String>,
    /// One JSON object per input (NDJSON; the schema is in docs/cli.md).
    #[arg(long)]
    pub json: bool,
    /// Configuration file (TOML; see `clickchain config --print-default`).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// The OS profile whose lists are used.
    #[arg(long, default_value = "windows")]
    pub os: Os,
    /// The address the name was reached at (`allowed_cidrs` and `untrusted_cidrs` apply to it).
    #[arg(long, value_name = "ADDR")]
    pub ip: Option<IpAddr>,
    /// A newer Public Suffix List file instead of the vendored one.
    #[arg(long, value_name = "FILE")]
    pub psl: Option<PathBuf>,
}

/// Explains every input; exit 2 when the configuration is bad or any input could not be
/// explained (the others are still printed).
pub fn run(args: DomainArgs) -> ExitCode {
    match explain_all(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            say!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn explain_all(args: &DomainArgs) -> anyhow::Result<bool> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let policy = RiskPolicy::new(config.profile(args.os).risk_settings())
        .with_context(|| format!("{} profile of the configuration", args.os))?;
    let owned_psl = args.psl.as_ref().map(Psl::from_file).transpose()?;
    let psl: &Psl = match &owned_psl {
        Some(list) => list,
        None => Psl::vendored(),
    };
    let mut out = std::io::stdout().lock();
    let mut all_ok = true;
    for input in &args.names {
        let text = match explain_with(&policy, psl, args.os, input, args.ip) {
            Ok(v) if args.json => serde_json::to_string(&v)?,
            Ok(v) => text(&v),
            Err(e) => {
                all_ok = false;
                if args.json {
                    serde_json::json!({ "input": input, "error": e.to_string() }).to_string()
                } else {
                    say!("error: {e}");
                    continue;
                }
            }
        };
        // A closed stdout ends the output; it is no error.
        if writeln!(out, "{text}").is_err() {
            break;
        }
    }
    Ok(all_ok)
}

/// The text form: one block per input.
fn text(v: &DomainVerdict) -> String {
    let mut lines = vec![v.input.clone()];
    let mut field = |k: &str, value: String| lines.push(format!("  {k:<13} {value}"));
    match (&v.name, v.ip) {
        (Some(name), Some(ip)) => field("name", format!("{name} (at {ip})")),
        (Some(name), None) => field("name", name.clone()),
        (None, Some(ip)) => field("address", format!("{ip} (reached without a name)")),
        (None, None) => {}
    }
    if let Some(unicode) = &v.unicode {
        field("unicode", unicode.clone());
    }
    if let Some(reg) = &v.registrable {
        field("registrable", reg.clone());
    }
    if let (Some(suffix), Some(section)) = (&v.suffix, v.suffix_section) {
        let section =
            serde_json::to_value(section).ok().and_then(|s| s.as_str().map(str::to_owned)).unwrap_or_default();
        field("suffix", format!("{suffix} ({section})"));
    }
    let signals: Vec<String> = v.signals.iter().map(|s| format!("{} +{}", s.reason, s.weight)).collect();
    field("signals", if signals.is_empty() { "none".into() } else { signals.join(", ") });
    field("score", format!("{} (threshold {})", v.score, v.threshold));
    let matches: Vec<String> = v.matches.iter().map(|m| format!("{} {}", m.list, m.entry)).collect();
    field("matches", if matches.is_empty() { "none".into() } else { matches.join(", ") });
    let by: Vec<&str> = v.untrusted_by.iter().map(|r| r.as_str()).collect();
    field(
        "verdict",
        if by.is_empty() { v.verdict.to_owned() } else { format!("{} (by {})", v.verdict, by.join(", ")) },
    );
    field("note", v.note.to_owned());
    lines.join("\n")
}
