//! `clickchain-bench rules`: what running every registered rule costs against the default set,
//! on the same stream: `scan` (1 thread, a child process each) with each set in interleaved
//! rounds, the order alternating, and the ratio of their rates per round (`paired`).
//!
//! The stream carries the variants' shapes (`--variants`), so that every rule has matches to
//! derive, not only an empty join.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clickchain::config::Config;
use clickchain_bench::synth::write::{to_dir, Format};
use clickchain_bench::synth::{generate, Variant};
use clickchain_logic::rules::RULES;

use crate::paired::Paired;
use crate::phases::Measured;
use crate::windows::Rate;

/// `clickchain-bench rules` arguments.
#[derive(clap::Args)]
pub struct RulesCostArgs {
    #[command(flatten)]
    stream: crate::StreamArgs,
    /// Rule variants injected into the stream: `all`, `none` or ids.
    #[arg(long, default_value = "all", value_parser = Variant::parse_list)]
    variants: std::vec::Vec<Variant>,
    /// Interleaved rounds (each runs both sets once).
    #[arg(long, default_value_t = 6)]
    rounds: usize,
    /// Working folder [default: a new folder in the temp dir, removed afterwards].
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Both sets measured on one stream.
pub struct RulesCost {
    pub default_rules: Vec<String>,
    pub all_rules: Vec<String>,
    pub rounds: usize,
    /// The fastest run of each set.
    pub default: Measured,
    pub all: Measured,
    /// All-rules rate over default-set rate, per round.
    pub ratio: Paired,
    /// Alerts per rule of an all-rules run.
    pub alerts: BTreeMap<String, u64>,
}

/// A configuration enabling every registered rule.
fn all_rules_config(dir: &Path) -> anyhow::Result<(PathBuf, Vec<String>)> {
    let ids: Vec<String> = RULES.iter().map(|r| r.header.id.to_owned()).collect();
    let quoted: Vec<String> = ids.iter().map(|id| format!("{id:?}")).collect();
    let path = dir.join("all-rules.toml");
    fs::write(&path, format!("[rules]\nenabled = [{}]\n", quoted.join(", ")))?;
    Ok((path, ids))
}

/// Alerts per rule in an alerts file (records without a rule are not alerts).
fn alerts_per_rule(path: &Path) -> anyhow::Result<BTreeMap<String, u64>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{}: not JSON", path.display()))?;
        if let Some(rule) = v["rule"].as_str() {
            *out.entry(rule.to_owned()).or_default() += 1;
        }
    }
    Ok(out)
}

/// Measures the default set and every registered rule on `native` in `rounds` interleaved rounds.
pub fn measure(native: &Path, dir: &Path, rounds: usize) -> anyhow::Result<RulesCost> {
    let (config, all_rules) = all_rules_config(dir)?;
    let config = config.to_str().context("config path")?.to_owned();
    let (default_alerts, all_alerts) = (dir.join("alerts-default-rules.ndjson"), dir.join("alerts-all-rules.ndjson"));
    let (mut default, mut all): (Option<Measured>, Option<Measured>) = (None, None);
    let rate = |m: &Measured| Rate { what: "events", items: m.events, secs: m.secs };
    let ratio = Paired::measure(
        rounds,
        || {
            eprintln!("scan, default rules ...");
            let m = crate::results::phase("scan", native, &default_alerts, &[])?;
            let r = rate(&m);
            default = crate::results::faster(default.take(), m);
            anyhow::Ok(r)
        },
        || {
            eprintln!("scan, all registered rules ...");
            let m = crate::results::phase("scan", native, &all_alerts, &["--config", &config])?;
            let r = rate(&m);
            all = crate::results::faster(all.take(), m);
            anyhow::Ok(r)
        },
    )?;
    let (default, all) = (default.context("no run")?, all.context("no run")?);
    Ok(RulesCost {
        default_rules: Config::default().rules.enabled,
        all_rules,
        rounds: rounds.max(1),
        default,
        all,
        ratio,
        alerts: alerts_per_rule(&all_alerts)?,
    })
}

/// The markdown section of RESULTS.md.
pub fn render(c: &RulesCost, stream: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n## Cost of every registered rule (`clickchain-bench rules`)\n");
    let _ = writeln!(
        o,
        "{stream}: `clickchain scan -j 1` with the default rule set and with every registered \
         rule enabled, {} interleaved rounds (each set once per round, the order alternating); \
         the fastest run of each, and the ratio of their rates per round.\n",
        c.rounds
    );
    let _ = writeln!(o, "| rule set | events/s (fastest) | peak RSS (MiB) | alerts |");
    let _ = writeln!(o, "|---|---:|---:|---:|");
    for (name, rules, m) in [("default", &c.default_rules, &c.default), ("all registered", &c.all_rules, &c.all)] {
        let mib = m.peak_kib as f64 / 1024.0;
        let _ = writeln!(o, "| {name}: {} | {:.0} | {mib:.1} | {} |", rules.join(", "), m.rate(), m.alerts);
    }
    let (lo, hi) = c.ratio.range();
    let _ = writeln!(
        o,
        "\nAll registered rules / default set, events/s per round: median {:.3} (range {lo:.3}-{hi:.3}).",
        c.ratio.median()
    );
    let per_rule: Vec<String> = c.alerts.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let _ = writeln!(o, "Alerts per rule with every rule enabled: {}.", per_rule.join(", "));
    o
}

/// `clickchain-bench rules`: generates the stream, measures, prints the section.
pub fn run(a: RulesCostArgs) -> anyhow::Result<()> {
    let dir =
        a.dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("clickchain-rules-{}", std::process::id())));
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let params = clickchain_bench::synth::Params { variants: a.variants.clone(), ..a.stream.params() };
    eprintln!("generating {} events on {} hosts ...", params.events, params.hosts);
    let stream = generate(&params);
    to_dir(&stream, &dir, &[Format::Native])?;
    let cost = measure(&dir.join(Format::Native.file_name()), &dir, a.rounds)?;
    let ids: Vec<&str> = a.variants.iter().map(|v| v.as_str()).collect();
    let what = format!(
        "{} events on {} hosts (seed {}, variants: {})",
        params.events,
        params.hosts,
        params.seed,
        if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
    );
    print!("{}", render(&cost, &what));
    if a.dir.is_none() {
        fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_all_rules_config_enables_every_registered_rule_and_alerts_are_counted_by_rule() {
        let dir = tempfile::tempdir().unwrap();
        let (path, ids) = all_rules_config(dir.path()).unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.rules.enabled, ids);
        assert_eq!(ids.len(), RULES.len());
        assert!(ids.len() > Config::default().rules.enabled.len());

        let alerts = dir.path().join("alerts.ndjson");
        let lines = [
            "{\"rule\":\"chain\"}",
            "{\"rule\":\"mail-payload\"}",
            "{\"kind\":\"follow_on\"}",
            "",
            "{\"rule\":\"chain\"}",
        ];
        fs::write(&alerts, lines.join("\n")).unwrap();
        let counted = alerts_per_rule(&alerts).unwrap();
        assert_eq!(counted.into_iter().collect::<Vec<_>>(), [("chain".to_owned(), 2), ("mail-payload".to_owned(), 1)]);
        fs::write(&alerts, "not json\n").unwrap();
        assert!(alerts_per_rule(&alerts).unwrap_err().to_string().contains("alerts.ndjson"));
    }
}
