//! `clickchain eval`: runs rule sets over labelled streams (the `clickchain synth` label format)
//! and prints precision, recall and F1 per rule and per analytic, the misses and the false
//! alerts, and for `--compare` what one set catches that the other misses.

mod labels;
mod report;
mod rules;
mod score;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use clickchain::config::Config;
use clickchain::input::{self, Filter, InputFormat, InputItem, InputOptions, Inputs};
use clickchain::{AnyEngine, Record};

use labels::Labels;
use rules::{rule_names, rule_of, with_rules};
use score::Fired;

#[derive(Args)]
pub struct EvalArgs {
    /// Ground truth: a `labels.json` as `clickchain synth` writes it.
    #[arg(long, value_name = "FILE")]
    labels: PathBuf,
    /// The rule set to score (ids, comma-separated; default: the configured set).
    #[arg(long, value_delimiter = ',', value_name = "ID,ID")]
    rules: Vec<String>,
    /// Two rule sets to compare, `A,B:C,D`: each is scored, then what one catches that the
    /// other misses is listed.
    #[arg(long, value_name = "A,B:C,D", conflicts_with = "rules")]
    compare: Option<String>,
    /// Configuration file (TOML).
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Input format (`auto`: detected per file), as for `scan`.
    #[arg(long, short = 'f', default_value = "auto")]
    format: String,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// The labelled stream's files (e.g. the folder `clickchain synth` wrote, or one of its files).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: EvalArgs) -> ExitCode {
    match eval(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let labels = Labels::load(&args.labels)?;
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let format = crate::scan::input_format(&args.format)?;
    let files = input::expand_filtered(&args.paths, &Filter::default()).files;
    let files: Vec<PathBuf> = files.into_iter().filter(|f| !is_labels(f, &args.labels)).collect();
    if files.is_empty() {
        bail!(
            "no input files under {}",
            args.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let forms = forms_of(&files, format);
    let expected = labels.expected(&forms);
    let sets: Vec<Vec<String>> = match &args.compare {
        Some(spec) => parse_compare(spec)?,
        None => vec![args.rules.clone()],
    };
    let known = |id: &str| clickchain::logic::rules::rule(id).is_some();
    for (rule, chains) in labels.rule_counts().into_iter().filter(|(r, _)| !known(r)) {
        eprintln!("warning: labels name rule `{rule}` ({chains} chains), which this build does not have: not measured");
    }
    let truth = score::Truth::new(&labels, &expected, &forms);
    let mut scores = Vec::new();
    for rules in sets {
        let config = with_rules(&config, &rules)?;
        let (fired, hosts) = run_set(&config, &files, format)?;
        check_hosts(&labels, &hosts)?;
        scores.push(score::score(rule_names(&config), &truth, &fired, known));
    }
    let comparison = (scores.len() == 2).then(|| score::compare(&scores[0], &scores[1]));
    if args.json {
        let value = serde_json::json!({ "sets": scores, "compare": comparison });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", report::render(&scores, comparison.as_ref()));
    }
    Ok(())
}

/// `A,B:C,D` into two rule sets.
fn parse_compare(spec: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let Some((a, b)) = spec.split_once(':') else { bail!("--compare {spec}: expected two rule sets, `A,B:C,D`") };
    let set =
        |s: &str| -> Vec<String> { s.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect() };
    let (a, b) = (set(a), set(b));
    if a.is_empty() || b.is_empty() {
        bail!("--compare {spec}: each side names at least one rule");
    }
    Ok(vec![a, b])
}

/// The labels file itself, when its folder is the input.
fn is_labels(file: &Path, labels: &Path) -> bool {
    file == labels || file.file_name().is_some_and(|n| n == "labels.json")
}

/// The label forms (`native`, `sysmon`, `ecs`) of the inputs' formats.
fn forms_of(files: &[PathBuf], format: InputFormat) -> Vec<&'static str> {
    let mut forms: Vec<&'static str> = files
        .iter()
        .filter_map(|f| match format {
            InputFormat::Auto => detect(f),
            known => Some(known),
        })
        .filter_map(|format| match format {
            InputFormat::Native => Some("native"),
            InputFormat::WinJson | InputFormat::Xml | InputFormat::Evtx => Some("sysmon"),
            InputFormat::Ecs => Some("ecs"),
            _ => None,
        })
        .collect();
    forms.sort_unstable();
    forms.dedup();
    forms
}

fn detect(file: &Path) -> Option<InputFormat> {
    let mut reader = BufReader::with_capacity(64 << 10, std::fs::File::open(file).ok()?);
    reader.fill_buf().ok()?;
    input::detect(&mut reader, &file.display().to_string()).ok()
}

/// Runs one configuration over the files: the alerts, as scoring needs them, and the hosts
/// of the events.
fn run_set(config: &Config, files: &[PathBuf], format: InputFormat) -> anyhow::Result<(Vec<Fired>, HashSet<String>)> {
    let (records, hosts) = run_engine(config, files, format)?;
    Ok((records.into_iter().filter_map(fired_of).collect(), hosts))
}

/// Runs one engine (on this thread) with `config` over the files: its records and the hosts of
/// the events.
pub fn run_engine(
    config: &Config,
    files: &[PathBuf],
    format: InputFormat,
) -> anyhow::Result<(Vec<Record>, HashSet<String>)> {
    let mut engine = AnyEngine::new(config.clone(), None, 1)?;
    let options = InputOptions { format, ..InputOptions::default() };
    let with_offsets = files.iter().map(|f| (f.clone(), None)).collect();
    let inputs = Inputs::new(with_offsets, options, Arc::default(), input::MAX_OPEN);
    let mut hosts = HashSet::new();
    for item in inputs {
        match item {
            InputItem::Event(event) => {
                if !hosts.contains(&event.host) {
                    hosts.insert(event.host.clone());
                }
                engine.push(event);
            }
            InputItem::Rejected(e) => eprintln!("warning: {e}"),
            InputItem::Unopened(e) => return Err(e).context("an input could not be read"),
        }
    }
    engine.finish();
    Ok((engine.drain(), hosts))
}

fn fired_of(record: Record) -> Option<Fired> {
    let Record::Alert(alert) = record else { return None };
    Some(Fired {
        rule: rule_of(&alert),
        analytic: alert.analytic.as_str().to_owned(),
        host: alert.host.clone(),
        path: alert.write.path.clone(),
        time: alert.write.time,
        domain: alert.egress.as_ref().and_then(|e| e.registrable_domain.clone().or_else(|| e.domain.clone())),
    })
}

/// Labels name hosts; a stream that has none of them is not the labelled one.
fn check_hosts(labels: &Labels, seen: &HashSet<String>) -> anyhow::Result<()> {
    if labels.hosts.iter().any(|h| seen.contains(&h.name)) {
        return Ok(());
    }
    let example = seen.iter().min().map_or("none".to_owned(), |h| format!("e.g. {h:?}"));
    bail!(
        "the labels do not match the stream: none of their {} hosts is in the input ({} hosts, {example})",
        labels.hosts.len(),
        seen.len()
    )
}
