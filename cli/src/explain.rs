//! `clickchain explain --path FILE INPUT...`: why a file did or did not alert. The inputs run
//! through one engine while the engine's own decision events (`clickchain::decision`: a write
//! ignored, no chain for a write, an egress trusted) are captured; those naming the file, and the
//! trusted egress of its host, are printed with the alerts that name it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::bail;
use clap::Args;
use clickchain::config::Config;
use clickchain::input::{self, Filter};
use clickchain::Record;
use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{EnvFilter, Layer};

#[derive(Args)]
pub struct ExplainArgs {
    /// The written file to explain (as the logs spell it; compared without case).
    #[arg(long, value_name = "FILE_PATH")]
    path: String,
    /// Only this host.
    #[arg(long)]
    host: Option<String>,
    /// Configuration file (TOML).
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Rules to run (ids, comma-separated; default: the configured set).
    #[arg(long, value_name = "ID,ID")]
    rules: Option<String>,
    /// Input format (`auto`: detected per file), as for `scan`.
    #[arg(long, short = 'f', default_value = "auto")]
    format: String,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Inputs (files, folders).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// One decision event, with its fields.
#[derive(Debug, Clone, Serialize)]
struct Decision {
    message: String,
    fields: Vec<(String, String)>,
}

impl Decision {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Keeps every event it is shown.
struct Capture(Arc<Mutex<Vec<Decision>>>);

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Fields(Decision);
        impl Visit for Fields {
            fn record_str(&mut self, field: &Field, value: &str) {
                self.push(field, value.to_owned());
            }
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                self.push(field, format!("{value:?}"));
            }
        }
        impl Fields {
            fn push(&mut self, field: &Field, value: String) {
                match field.name() {
                    "message" => self.0.message = value,
                    name => self.0.fields.push((name.to_owned(), value)),
                }
            }
        }
        let mut fields = Fields(Decision { message: String::new(), fields: Vec::new() });
        event.record(&mut fields);
        if let Ok(mut all) = self.0.lock() {
            all.push(fields.0);
        }
    }
}

#[derive(Serialize)]
struct Explained {
    path: String,
    alerts: Vec<serde_json::Value>,
    decisions: Vec<Decision>,
    trusted_egress: Vec<Decision>,
}

pub fn run(args: ExplainArgs) -> ExitCode {
    match explain(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::say!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn explain(args: &ExplainArgs) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let rules = args.rules.as_deref().map(crate::rules::parse_list).transpose()?;
    crate::rules::apply(&mut config, rules.as_deref());
    let format = crate::scan::input_format(&args.format)?;
    let files = input::expand_filtered(&args.inputs, &Filter::default()).files;
    if files.is_empty() {
        bail!("no input files");
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry()
        .with(Capture(Arc::clone(&seen)).with_filter(EnvFilter::new("clickchain::decision=debug")));
    let (records, _) =
        tracing::subscriber::with_default(subscriber, || crate::eval::run_engine(&config, &files, format))?;
    let decisions = std::mem::take(&mut *seen.lock().map_err(|_| anyhow::anyhow!("a poisoned lock"))?);
    let wanted = args.path.to_lowercase();
    let on_host = |d: &Decision| args.host.as_deref().is_none_or(|h| d.field("host") == Some(h));
    let names_file = |d: &Decision| d.field("path").is_some_and(|p| p.to_lowercase() == wanted);
    let alerts: Vec<serde_json::Value> = records
        .iter()
        .filter_map(|r| match r {
            Record::Alert(a) if a.write.path.to_lowercase() == wanted => Some(a),
            _ => None,
        })
        .filter(|a| args.host.as_deref().is_none_or(|h| a.host == h))
        .map(|a| serde_json::json!({"rule": a.rule, "id": a.id, "host": a.host, "strength": a.strength, "reasons": a.reasons}))
        .collect();
    let about_file: Vec<Decision> = decisions.iter().filter(|d| on_host(d) && names_file(d)).cloned().collect();
    let hosts: Vec<&str> = about_file.iter().filter_map(|d| d.field("host")).collect();
    let trusted_egress: Vec<Decision> = decisions
        .iter()
        .filter(|d| d.message.starts_with("egress trusted") && d.field("host").is_some_and(|h| hosts.contains(&h)))
        .cloned()
        .collect();
    let out = Explained { path: args.path.clone(), alerts, decisions: about_file, trusted_egress };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print!("{}", text(&out));
    Ok(())
}

/// Egress listed in the text; `--json` lists all.
const LISTED: usize = 10;

fn text(e: &Explained) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "{}", clickchain::alert::terminal_safe(&e.path));
    if e.alerts.is_empty() && e.decisions.is_empty() {
        let _ = writeln!(o, "  no download-like write of this file was seen (check the path, --host, the inputs)");
    }
    for a in &e.alerts {
        let f = |k: &str| a[k].as_str().unwrap_or("-").to_owned();
        let line = format!("  alerted: rule {} on {} (id {}, {})", f("rule"), f("host"), f("id"), f("strength"));
        let _ = writeln!(o, "{}", clickchain::alert::terminal_safe(&line));
    }
    for d in &e.decisions {
        let why = d.field("why").map(|w| format!(": {w}")).unwrap_or_default();
        let host = d.field("host").unwrap_or("-");
        let _ = writeln!(o, "  {host}: {}{}", d.message, clickchain::alert::terminal_safe(&why));
    }
    if !e.trusted_egress.is_empty() {
        let _ = writeln!(o, "  egress of those hosts judged trusted: {}", e.trusted_egress.len());
        for d in e.trusted_egress.iter().take(LISTED) {
            let f = |k: &str| d.field(k).unwrap_or("-").to_owned();
            let line =
                format!("{} {}:{} {} (risk {}; {})", f("host"), f("ip"), f("port"), f("domain"), f("risk"), d.message);
            let _ = writeln!(o, "    {}", clickchain::alert::terminal_safe(&line));
        }
    }
    o
}
