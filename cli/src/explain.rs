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
    /// Per enabled rule: its alerts for the file and where its chain broke.
    rules: Vec<RuleVerdict>,
    decisions: Vec<Decision>,
    trusted_egress: Vec<Decision>,
}

/// One enabled rule's verdict on the file.
#[derive(Serialize)]
struct RuleVerdict {
    rule: String,
    alerted: bool,
    /// The steps where its chain broke, one per write of the file evaluated without an alert
    /// of this rule (and every write kept out before any rule ran).
    why_not: Vec<Step>,
}

/// Where a rule's chain broke on one write.
#[derive(Serialize)]
struct Step {
    host: String,
    /// A fact kind of the rule, `window`, `strength`, `order`, `dedup`, or (the write was
    /// ignored before any rule ran) `lineage` or `write`.
    step: String,
    why: String,
}

/// Each rule's verdict: its alerts, its own `no chain for write` decisions, and the writes
/// ignored before any rule ran (which break every rule at the write).
fn verdicts(rules: &[String], alerts: &[serde_json::Value], about_file: &[Decision]) -> Vec<RuleVerdict> {
    rules
        .iter()
        .map(|rule| {
            let why_not = about_file
                .iter()
                .filter_map(|d| {
                    let host = d.field("host").unwrap_or("-").to_owned();
                    if d.message.starts_with("write ignored") {
                        let step = d.field("step").unwrap_or("write").to_owned();
                        return Some(Step { host, step, why: d.message.clone() });
                    }
                    (d.field("rule") == Some(rule)).then(|| Step {
                        host,
                        step: d.field("step").unwrap_or("-").to_owned(),
                        why: d.field("why").unwrap_or("-").to_owned(),
                    })
                })
                .collect();
            RuleVerdict { rule: rule.clone(), alerted: alerts.iter().any(|a| a["rule"] == rule.as_str()), why_not }
        })
        .collect()
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
    // Each alert of the file says how its rule derived it.
    config.rules.explain = true;
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
        .map(|a| {
            serde_json::json!({"rule": a.rule, "id": a.id, "host": a.host, "strength": a.strength,
                               "reasons": a.reasons, "derivation": a.derivation})
        })
        .collect();
    let about_file: Vec<Decision> = decisions.iter().filter(|d| on_host(d) && names_file(d)).cloned().collect();
    let hosts: Vec<&str> = about_file.iter().filter_map(|d| d.field("host")).collect();
    let trusted_egress: Vec<Decision> = decisions
        .iter()
        .filter(|d| d.message.starts_with("egress trusted") && d.field("host").is_some_and(|h| hosts.contains(&h)))
        .cloned()
        .collect();
    let rules = verdicts(&config.rules.enabled, &alerts, &about_file);
    let out = Explained { path: args.path.clone(), alerts, rules, decisions: about_file, trusted_egress };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print!("{}", text(&out));
    Ok(())
}

/// Each trusted destination once, in first-seen order, with how often it was reached.
fn trusted_lines(trusted: &[Decision]) -> Vec<(String, usize)> {
    let mut lines: Vec<(String, usize)> = Vec::new();
    for d in trusted {
        let f = |k: &str| d.field(k).unwrap_or("-").to_owned();
        let reasons = d.field("reasons").filter(|r| !r.is_empty()).map(|r| format!(", {r}")).unwrap_or_default();
        let line = format!(
            "{} {}:{} {} (risk {}{reasons}): {}",
            f("host"),
            f("ip"),
            f("port"),
            f("domain"),
            f("risk"),
            d.message
        );
        match lines.iter_mut().find(|(l, _)| *l == line) {
            Some((_, n)) => *n += 1,
            None => lines.push((line, 1)),
        }
    }
    lines
}

/// Destinations listed in the text; `--json` lists every event.
const LISTED: usize = 10;

fn text(e: &Explained) -> String {
    use clickchain::alert::terminal_safe as safe;
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "{}", safe(&e.path));
    if e.alerts.is_empty() && e.decisions.is_empty() {
        let _ = writeln!(o, "  no download-like write of this file was seen (check the path, --host, the inputs)");
    }
    for r in &e.rules {
        let _ = writeln!(o, "  {}: {}", safe(&r.rule), if r.alerted { "alerted" } else { "no alert" });
        for a in e.alerts.iter().filter(|a| a["rule"] == r.rule.as_str()) {
            let f = |k: &str| a[k].as_str().unwrap_or("-").to_owned();
            let line = format!("alerted on {} (id {}, {})", f("host"), f("id"), f("strength"));
            let _ = writeln!(o, "    {}", safe(&line));
            // Already made terminal-safe, indented under its alert.
            if let Ok(d) = serde_json::from_value::<clickchain::alert::Derivation>(a["derivation"].clone()) {
                for l in d.to_text().lines() {
                    let _ = writeln!(o, "    {l}");
                }
            }
        }
        for s in &r.why_not {
            let why = if s.why.starts_with("write ignored") { s.why.clone() } else { format!("{}: {}", s.step, s.why) };
            let _ = writeln!(o, "    {}: {}", safe(&s.host), safe(&why));
            if s.step == "egress" && !e.trusted_egress.is_empty() {
                let _ = writeln!(o, "      (each egress of the host judged trusted is listed below, with why)");
            }
        }
    }
    if !e.trusted_egress.is_empty() {
        let _ = writeln!(o, "  egress of those hosts judged trusted: {}", e.trusted_egress.len());
        let lines = trusted_lines(&e.trusted_egress);
        for (line, n) in lines.iter().take(LISTED) {
            let times = if *n > 1 { format!(" ({n} times)") } else { String::new() };
            let _ = writeln!(o, "    {}{times}", safe(line));
        }
        if lines.len() > LISTED {
            let _ = writeln!(o, "    … {} more destinations (--json lists all)", lines.len() - LISTED);
        }
    }
    o
}
