//! The scenario corpus: one set of data files that every rule and variant
//! runs, in the spirit of the regex crate's `testdata`.
//!
//! # Layout
//!
//! Each scenario is a group of files in `tests/scenarios/` sharing a name:
//!
//! - `<name>.ndjson`: native events (the schema of `clickchain_adapters::native`), written by
//!   `make_scenarios.py` in the same folder; or instead `<name>.audit.log`: raw auditd text,
//!   written by hand;
//! - `<name>.sysmon.jsonl` (optional): the same situation as a Windows host would have logged it
//!   (flattened Sysmon and Security JSON), written by `make_sysmon_scenarios.py`, with
//!   `<name>.sysmon-and-4688.jsonl` (every start and end logged by Sysmon and by Security) and
//!   `<name>.4688-starts.jsonl` (starts and ends logged by Security only) beside it. Every events
//!   file of a scenario goes through `--format auto` detection and must give the same records;
//! - `<name>.expected`: the records the engine must emit, one summary line each, in emission
//!   order (format below). An empty file means "no records". Written by hand from the detection
//!   semantics (`docs/design.md` "Detection semantics"), never copied from engine output;
//! - `<name>.toml` (optional): a configuration file loaded with `Config::load` instead of the
//!   defaults. This is how variants run: the same events with e.g. `min_strength = "weak"`.
//! - `<name>.first-seen` (optional): a newly-observed-domain store (the file `scan --nod-store`
//!   writes) loaded before the run: the history a warmed deployment would have.
//!
//! `README.md` there has one table row per scenario: what it tests and why the expected result
//! follows from the semantics. [`scenario_files_are_complete`] keeps the three in step.
//!
//! # Summary lines
//!
//! ```text
//! alert <analytic> <finding> <strength|-> host=<host> click=<observed|inferred|-> domain=<name|ip|-> via=<source|-> reasons=<r1,r2|-> lineage=<a>b> path=<file>[ rule=<id>]
//! follow_on <kind> <alerted file> by <process image>
//! ```
//!
//! - `rule=<id>` ends the line of an alert from any rule but the base rule `chain`
//!   (`docs/rules.md`). The rules a scenario exercises are its configuration's
//!   `[rules] enabled` (the stable rules without a `.toml`); [`every_rule_has_scenarios`] fails
//!   when a registered rule has no positive scenario or no near-miss negative one.
//! - `finding` is `chain` or `quarantine_missing`; `strength` is `strong`, `medium`, `weak`, or
//!   `-` for a quarantine finding without a chain.
//! - `click` says whether step 1 was observed (a URL on a lineage command line, a `url_open`)
//!   or inferred at the first untrusted egress; `-` when the alert has no chain.
//! - `domain` is the egress destination's name, or its IP address when it has none; `via` is
//!   where the name came from (`event`, `dns`, `click_url`; `none` for an IP without a name);
//!   `reasons` are the domain-risk reasons in the engine's order. All three are `-` without an
//!   egress.
//! - `lineage` lists the image basenames from the link root down to the writing process.
//! - A follow-on names the file of its alert (the runner checks that its `alert_id` is an alert
//!   emitted before it, on the same host, for that file) and the image of the process that did it.
//!
//! Times, scores, ids and evidence are deliberately not part of the summary: they are covered by
//! unit tests and the CLI golden files, and keeping them out lets one scenario state one fact.
//!
//! # Known engine bugs
//!
//! A scenario whose expectation is right but which the engine gets wrong is listed in
//! [`KNOWN_BUGS`] with the reason. The test then asserts that it still fails, so a fix makes the
//! test fail until the entry is removed. Expectations are never bent to match the engine.
//!
//! Run one scenario (and see its records) with
//! `SCENARIO=<part of a name> cargo test --test scenarios -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clickchain::alert::{Alert, Strength};
use clickchain::input::{self, InputOptions};
use clickchain::logic::rules::{BASE_RULE, RULES};
use clickchain::{Config, Engine, Record, Stats};

/// Scenarios whose `.expected` is right and the engine wrong: (name, what goes wrong).
const KNOWN_BUGS: &[(&str, &str)] = &[];

/// Engine counters (`dropped.*`, `anomalies.*`) a scenario is about: (name, counter, value).
/// Every other drop and anomaly counter must stay 0 in every scenario.
/// auditd always names a parent (`ppid`): the first process of a log has one never seen starting.
const EXPECTED_COUNTERS: &[(&str, &str, u64)] = &[
    ("out-of-order-beyond-lateness", "dropped.late", 1),
    ("an0179-auditd-thunderbird-xdg-open-firefox-part", "anomalies.orphan_parent", 1),
    ("an0179-auditd-benign-domain-no-alert", "anomalies.orphan_parent", 1),
    ("an0179-auditd-chrome-temp-name", "anomalies.orphan_parent", 1),
    ("terminal-cradle-auditd-firefox-xterm-curl-sh", "anomalies.orphan_parent", 1),
];

/// Scenarios whose Windows form leaves starts out (`UNLOGGED_STARTS` in
/// `make_sysmon_scenarios.py`): (name, starts built for them from a 4688's creator, links
/// inferred). Where the inference must attach a process, the count says it did; where it must
/// not, that it did not.
const UNLOGGED_STARTS: &[(&str, u64, u64)] =
    &[("inferred-link-other-session-not-attached", 1, 0), ("inferred-link-same-session-attached", 1, 1)];

/// "Now" for every run: after all the data (2024), so that no event is rejected as future.
const NOW: &str = "2025-01-01T00:00:00Z";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("scenarios")
}

/// Extensions of events files, one scenario may have several (one per format). The first two
/// stand alone (native, or raw auditd for situations only auditd can express); the others
/// accompany a native file.
const EVENT_EXTENSIONS: &[&str] =
    &["ndjson", "audit.log", "sysmon.jsonl", "sysmon-and-4688.jsonl", "4688-starts.jsonl"];

struct Scenario {
    name: String,
    /// The events files, native (or auditd) first.
    events: Vec<PathBuf>,
    expected: PathBuf,
    config: Option<PathBuf>,
    /// A newly-observed-domain store loaded before the run (as `scan --nod-store`).
    first_seen: Option<PathBuf>,
}

/// The scenarios (sorted by name) and the problems found with the files (orphans, missing files).
fn discover() -> (Vec<Scenario>, Vec<String>) {
    let dir = corpus();
    let mut by_ext: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default().to_owned();
        if matches!(file.as_str(), "README.md" | "make_scenarios.py" | "make_sysmon_scenarios.py") {
            continue;
        }
        let split = EVENT_EXTENSIONS
            .iter()
            .chain(&["expected", "toml", "first-seen"])
            .find_map(|ext| file.strip_suffix(&format!(".{ext}")).map(|stem| (stem, *ext)));
        match split {
            Some((stem, ext)) => {
                by_ext.entry(ext.to_owned()).or_default().insert(stem.to_owned());
            }
            _ => problems.push(format!(
                "{file}: not part of a scenario (expected .{} or .expected or .toml or .first-seen)",
                EVENT_EXTENSIONS.join(", .")
            )),
        }
    }
    let native = by_ext.remove("ndjson").unwrap_or_default();
    let auditd = by_ext.remove("audit.log").unwrap_or_default();
    for name in native.intersection(&auditd) {
        problems.push(format!("{name}: has both .ndjson and .audit.log events"));
    }
    let events: BTreeSet<String> = native.union(&auditd).cloned().collect();
    let other_formats: Vec<(&str, BTreeSet<String>)> =
        EVENT_EXTENSIONS[2..].iter().map(|ext| (*ext, by_ext.remove(*ext).unwrap_or_default())).collect();
    for (ext, names) in &other_formats {
        for name in names.difference(&native) {
            problems.push(format!("{name}.{ext}: no {name}.ndjson beside it"));
        }
    }
    let expected = by_ext.remove("expected").unwrap_or_default();
    let configs = by_ext.remove("toml").unwrap_or_default();
    let stores = by_ext.remove("first-seen").unwrap_or_default();
    for name in stores.difference(&events) {
        problems.push(format!("{name}.first-seen: no events file to run"));
    }
    for name in &events {
        if !expected.contains(name) {
            problems.push(format!("{name}: has no {name}.expected (an empty file means \"no records\")"));
        }
    }
    for name in expected.difference(&events) {
        problems.push(format!("{name}.expected: no events file to run"));
    }
    for name in configs.difference(&events) {
        problems.push(format!("{name}.toml: no events file to run"));
    }
    let scenarios = events
        .iter()
        .filter(|n| expected.contains(*n))
        .map(|name| Scenario {
            name: name.clone(),
            events: std::iter::once(dir.join(if auditd.contains(name) {
                format!("{name}.audit.log")
            } else {
                format!("{name}.ndjson")
            }))
            .chain(
                other_formats
                    .iter()
                    .filter(|(_, names)| names.contains(name))
                    .map(|(ext, _)| dir.join(format!("{name}.{ext}"))),
            )
            .collect(),
            expected: dir.join(format!("{name}.expected")),
            config: configs.contains(name).then(|| dir.join(format!("{name}.toml"))),
            first_seen: stores.contains(name).then(|| dir.join(format!("{name}.first-seen"))),
        })
        .collect();
    (scenarios, problems)
}

/// What one run of a scenario produced.
struct Run {
    /// Summary lines of the records, in emission order.
    lines: Vec<String>,
    /// Records the reader rejected.
    rejected: Vec<String>,
    stats: Stats,
}

/// Runs the events file `events` of scenario `s` (through the same detection as `scan`).
fn run(s: &Scenario, events: &Path) -> Result<Run, String> {
    let config = match &s.config {
        Some(path) => Config::load(path).map_err(|e| format!("config: {e}"))?,
        None => Config::default(),
    };
    let mut engine = Engine::new(config).map_err(|e| format!("engine: {e}"))?;
    engine.set_now(NOW.parse::<DateTime<Utc>>().expect("valid time"));
    if let Some(store) = &s.first_seen {
        engine.with_first_seen(|seen| seen.load(store)).map_err(|e| format!("first-seen store: {e}"))?;
    }
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let opened = input::open(events, &InputOptions::default(), progress).map_err(|e| e.to_string())?;
    let mut rejected = Vec::new();
    for result in opened.records {
        match result {
            Ok(event) => engine.push(event),
            Err(e) => rejected.push(e.to_string()),
        }
    }
    engine.finish();
    let lines = summarize(&engine.drain());
    Ok(Run { lines, rejected, stats: engine.stats().clone() })
}

fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn or_dash(s: Option<&str>) -> &str {
    s.filter(|s| !s.is_empty()).unwrap_or("-")
}

fn alert_line(a: &Alert) -> String {
    let click = a.click.as_ref().map(|c| if c.observed { "observed" } else { "inferred" });
    let egress = a.egress.as_ref();
    let domain = egress.map(|e| e.domain.clone().unwrap_or_else(|| e.ip.clone()));
    let reasons = egress.map(|e| e.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","));
    let lineage: Vec<&str> = a.lineage.iter().map(|i| basename(i)).collect();
    let rule = if a.rule == BASE_RULE { String::new() } else { format!(" rule={}", a.rule) };
    format!(
        "alert {} {} {} host={} click={} domain={} via={} reasons={} lineage={} path={}{rule}",
        a.analytic,
        a.finding,
        or_dash(a.strength.map(Strength::as_str)),
        a.host,
        or_dash(click),
        or_dash(domain.as_deref()),
        or_dash(egress.map(|e| e.domain_source.as_str())),
        or_dash(reasons.as_deref()),
        lineage.join(">"),
        a.write.path
    )
}

/// The summary lines of `records` (see the module documentation).
fn summarize(records: &[Record]) -> Vec<String> {
    // alert id -> (host, path) of the alerts emitted so far
    let mut alerts: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    records
        .iter()
        .map(|r| match r {
            Record::Alert(a) => {
                alerts.insert(&a.id, (&a.host, &a.write.path));
                alert_line(a)
            }
            Record::FollowOn(f) => {
                let tie = match alerts.get(f.alert_id.as_str()) {
                    Some(&(host, path)) if host == f.host && path == f.path => "",
                    Some(_) => " (ALERT ID NAMES ANOTHER HOST OR FILE)",
                    None => " (ALERT ID NOT EMITTED BEFORE)",
                };
                format!("follow_on {} {} by {}{tie}", f.kind, f.path, f.process)
            }
        })
        .collect()
}

fn expected_lines(s: &Scenario) -> Vec<String> {
    let text = std::fs::read_to_string(&s.expected).unwrap_or_else(|e| panic!("{}: {e}", s.expected.display()));
    text.lines().map(|l| l.trim_end().to_owned()).filter(|l| !l.is_empty()).collect()
}

/// A line diff (longest common subsequence): `-` expected but missing, `+` emitted unexpectedly.
fn diff(expected: &[String], actual: &[String]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            let _ = writeln!(out, "      {}", expected[i]);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "    + {}", actual[j]);
            j += 1;
        } else {
            let _ = writeln!(out, "    - {}", expected[i]);
            i += 1;
        }
    }
    if n == 0 && m == 0 {
        out.push_str("      (no records)\n");
    }
    out
}

/// Every (scenario, events file, label) to run; the label names the format past the first.
fn runs(scenarios: &[Scenario]) -> Vec<(&Scenario, &Path, String)> {
    let mut out = Vec::new();
    for s in scenarios {
        for (i, events) in s.events.iter().enumerate() {
            let label = if i == 0 {
                s.name.clone()
            } else {
                let file = events.file_name().and_then(|f| f.to_str()).unwrap_or_default();
                format!("{} [{}]", s.name, file.strip_prefix(s.name.as_str()).unwrap_or(file).trim_start_matches('.'))
            };
            out.push((s, events.as_path(), label));
        }
    }
    out
}

fn selected(name: &str) -> bool {
    std::env::var("SCENARIO").map_or(true, |f| name.contains(f.as_str()))
}

fn known_bug(name: &str) -> Option<&'static str> {
    KNOWN_BUGS.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}

#[test]
fn scenarios_match_expected() {
    let (scenarios, _) = discover();
    assert!(!scenarios.is_empty(), "no scenarios found in {}", corpus().display());
    let mut failures = String::new();
    let (mut passed, mut known) = (0, 0);
    for (s, events, label) in runs(&scenarios) {
        if !selected(&label) {
            continue;
        }
        let expected = expected_lines(s);
        let run = match run(s, events) {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(failures, "\n[{label}] cannot run: {e}");
                continue;
            }
        };
        if std::env::var("SCENARIO").is_ok() {
            println!("[{label}]\n{}", diff(&expected, &run.lines));
        }
        let matches = run.lines == expected;
        match (matches, known_bug(&label)) {
            (true, None) => passed += 1,
            (false, Some(_)) => known += 1,
            (true, Some(why)) => {
                let _ = writeln!(
                    failures,
                    "\n[{label}] listed in KNOWN_BUGS ({why}) but now matches its .expected: \
                     the bug is fixed, remove the entry"
                );
            }
            (false, None) => {
                let _ = writeln!(
                    failures,
                    "\n[{label}] records differ from {}.expected (- expected, + emitted):\n{}",
                    s.name,
                    diff(&expected, &run.lines)
                );
            }
        }
    }
    println!("scenarios: {passed} passed, {known} known engine bugs still failing");
    assert!(failures.is_empty(), "scenario failures:{failures}");
}

/// The named counters of `stats.dropped` and `stats.anomalies` ("dropped.late", ...).
fn drop_and_anomaly_counters(stats: &Stats) -> BTreeMap<String, u64> {
    let json = serde_json::to_value(stats).expect("stats serialise");
    let mut out = BTreeMap::new();
    for group in ["dropped", "anomalies"] {
        let fields = json[group].as_object().unwrap_or_else(|| panic!("stats.{group} is an object"));
        for (name, value) in fields {
            out.insert(format!("{group}.{name}"), value.as_u64().expect("counters are integers"));
        }
    }
    out
}

/// The processes that Sysmon records of `path` name (the generator's inbound-flow noise aside).
fn sysmon_processes(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let guids: BTreeSet<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["Initiated"] != "false")
        .filter_map(|r| r["ProcessGuid"].as_str().map(str::to_owned))
        .collect();
    guids.len() as u64
}

/// Lines of `path` holding `needle`.
fn count_lines(path: &Path, needle: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter(|l| l.contains(needle)).count() as u64
}

#[test]
fn scenario_events_are_valid() {
    let (scenarios, _) = discover();
    let mut failures = String::new();
    for (s, events, label) in runs(&scenarios) {
        let run = match run(s, events) {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(failures, "[{label}] cannot run: {e}");
                continue;
            }
        };
        for r in &run.rejected {
            let _ = writeln!(failures, "[{label}] rejected record: {r}");
        }
        if run.stats.events_in == 0 {
            let _ = writeln!(failures, "[{label}] has no events");
        }
        for (counter, value) in drop_and_anomaly_counters(&run.stats) {
            let allowed =
                EXPECTED_COUNTERS.iter().find(|(n, c, _)| *n == s.name && *c == counter).map_or(0, |&(_, _, v)| v);
            if value != allowed {
                let _ = writeln!(failures, "[{label}] {counter} = {value}, expected {allowed}");
            }
        }
        // Each Sysmon start of a dual-logged file has its 4688 twin, which must join it. Where
        // only 4688 logs starts, each Sysmon process gets a start built from its first event,
        // which must join the 4688 process. No other file has two records of one start.
        let file = events.to_string_lossy();
        let twins = if file.ends_with(".sysmon-and-4688.jsonl") {
            count_lines(events, "\"EventID\":1,")
        } else if file.ends_with(".4688-starts.jsonl") {
            sysmon_processes(events)
        } else {
            0
        };
        if run.stats.classified.joined_starts != twins {
            let _ =
                writeln!(failures, "[{label}] {} starts joined, expected {twins}", run.stats.classified.joined_starts);
        }
        // The starts built for those Sysmon processes are counted, and those of the starts a
        // Windows form leaves out; no other file needs any.
        let unlogged = UNLOGGED_STARTS.iter().find(|(n, ..)| *n == s.name).filter(|_| !file.ends_with(".ndjson"));
        let built = if file.ends_with(".4688-starts.jsonl") { twins } else { 0 } + unlogged.map_or(0, |u| u.1);
        if run.stats.classified.inferred_links != unlogged.map_or(0, |u| u.2) {
            let _ = writeln!(failures, "[{label}] {} links inferred", run.stats.classified.inferred_links);
        }
        if run.stats.classified.built_starts != built {
            let _ =
                writeln!(failures, "[{label}] {} starts built, expected {built}", run.stats.classified.built_starts);
        }
        let all_counted = run.stats.events_processed + run.stats.dropped.late + run.stats.dropped.implausible_time;
        if all_counted != run.stats.events_in {
            let _ = writeln!(
                failures,
                "[{label}] {} events in, {} processed (+ drops): some events were lost",
                run.stats.events_in, all_counted
            );
        }
    }
    assert!(failures.is_empty(), "invalid scenario events:\n{failures}");
}

#[test]
fn scenario_files_are_complete() {
    let (scenarios, mut problems) = discover();
    let names: BTreeSet<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let readme_path = corpus().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_else(|e| panic!("{}: {e}", readme_path.display()));
    let documented: BTreeSet<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name)
        .collect();
    for name in names.difference(&documented) {
        problems.push(format!("{name}: no row in README.md"));
    }
    for name in documented.difference(&names) {
        problems.push(format!("README.md documents `{name}`, which is not a scenario"));
    }
    for (name, _) in KNOWN_BUGS {
        // `name [sysmon.jsonl]` names one format of a scenario.
        if !names.contains(name.split(" [").next().unwrap_or(name)) {
            problems.push(format!("KNOWN_BUGS names `{name}`, which is not a scenario"));
        }
    }
    for (name, _, _) in EXPECTED_COUNTERS {
        if !names.contains(name) {
            problems.push(format!("EXPECTED_COUNTERS names `{name}`, which is not a scenario"));
        }
    }
    assert!(problems.is_empty(), "scenario corpus problems:\n  {}", problems.join("\n  "));
}

/// The rules `s` runs: its configuration's `[rules] enabled`.
fn enabled_rules(s: &Scenario) -> Vec<String> {
    match &s.config {
        Some(path) => Config::load(path).unwrap_or_else(|e| panic!("{e}")).rules.enabled,
        None => Config::default().rules.enabled,
    }
}

/// Whether an expected summary line is an alert of rule `id`.
fn alert_of(line: &str, id: &str) -> bool {
    let rule = line.rsplit_once(" rule=").map_or(BASE_RULE, |(_, r)| r);
    line.starts_with("alert ") && rule == id
}

#[test]
fn every_rule_has_scenarios() {
    let (scenarios, _) = discover();
    let mut problems = Vec::new();
    for rule in RULES {
        let id = rule.header.id;
        let (mut positive, mut negative) = (0, 0);
        for s in scenarios.iter().filter(|s| enabled_rules(s).iter().any(|r| r == id)) {
            if expected_lines(s).iter().any(|l| alert_of(l, id)) {
                positive += 1;
            } else {
                negative += 1;
            }
        }
        if positive == 0 || negative == 0 {
            problems.push(format!(
                "rule `{id}`: {positive} positive and {negative} near-miss negative scenarios \
                 (each rule needs both: a scenario whose .toml enables it, with and without its alert)"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn alert_lines_name_their_rule() {
    let base = "alert AN0178 chain strong host=h click=- domain=- via=- reasons=- lineage=a path=p";
    assert!(alert_of(base, "chain") && !alert_of(base, "redirect-chain"));
    assert!(alert_of(&format!("{base} rule=redirect-chain"), "redirect-chain"));
    assert!(!alert_of("follow_on executed p by x", "chain"));
}

#[test]
fn diff_marks_missing_and_unexpected_lines() {
    let e: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let a: Vec<String> = ["a", "x", "c"].map(String::from).to_vec();
    assert_eq!(diff(&e, &a), "      a\n    + x\n    - b\n      c\n");
    assert_eq!(diff(&[], &[]), "      (no records)\n");
}
