//! The exit-code table of `docs/cli.md`, case by case.

use std::io::Write;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SAMPLE: &str = "data/samples/sample.ndjson";

fn clickchain() -> Command {
    let mut c = Command::cargo_bin("clickchain").unwrap();
    c.current_dir(REPO);
    c
}

/// The sample with one malformed line: alerts and a rejected record.
fn sample_with_a_bad_record() -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".ndjson").tempfile().unwrap();
    f.write_all(&std::fs::read(std::path::Path::new(REPO).join(SAMPLE)).unwrap()).unwrap();
    writeln!(f, "{{broken").unwrap();
    f
}

#[test]
fn zero_the_run_completed_warnings_counted() {
    let bad = sample_with_a_bad_record();
    clickchain()
        .arg("scan")
        .arg(bad.path())
        .arg("no/such/input.ndjson")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 inputs, 1 left out (unreadable_input=1)"))
        .stderr(predicate::str::contains("1 rejected (malformed_json=1)"));
}

#[test]
fn one_alerts_with_fail_on_alert_win_over_record_warnings() {
    let bad = sample_with_a_bad_record();
    clickchain().args(["scan", "-q", "--fail-on-alert"]).arg(bad.path()).assert().code(1);
    // Alerts all filtered out: none written, so none signalled.
    clickchain().args(["scan", "-q", "--fail-on-alert", "--min-score", "100", SAMPLE]).assert().code(0).stdout("");
}

#[test]
fn two_bad_flags_config_or_output_say_why_even_when_quiet() {
    let cases: &[(&[&str], &str)] = &[
        (&["--format", "ndjson"], "for the output use --output ndjson"),
        (&["--format", "csvish"], "unknown input format `csvish`"),
        (&["--output", "pdf"], "invalid value 'pdf'"),
        (&["--from", "last tuesday"], "--from: `last tuesday` is not a time"),
        (&["--exclude", "a[b"], "--include/--exclude"),
        (&["--config", "no/such/config.toml"], "no/such/config.toml"),
    ];
    for (args, why) in cases {
        clickchain()
            .args(["scan", "-q"])
            .args(*args)
            .arg(SAMPLE)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(*why));
    }
}

#[test]
fn two_no_input_readable() {
    let empty = tempfile::tempdir().unwrap();
    clickchain()
        .args(["scan", "-q"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: the paths given hold no input file"));
    clickchain()
        .args(["scan", "-q", "README.md"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: no input could be read"));
}

#[test]
fn two_strict_saw_rejected_records_and_wins_over_alerts() {
    let bad = sample_with_a_bad_record();
    clickchain()
        .args(["scan", "-q", "--strict", "--fail-on-alert"])
        .arg(bad.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\"type\":\"alert\""))
        .stderr(predicate::str::contains("error: --strict: 1 records rejected"));
    clickchain().args(["scan", "-q", "--strict", SAMPLE]).assert().code(0);
}

#[test]
fn closed_stdout_and_stderr_end_the_run_without_a_panic() {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("clickchain"))
        .current_dir(REPO)
        .args(["scan", "--output", "text", "no/such/input.ndjson", SAMPLE, SAMPLE])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "no panic (101)");
}
