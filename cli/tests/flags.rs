//! `scan`'s output flags: `--output-file`, the alert filters, and the log level.

use assert_cmd::Command;
use predicates::prelude::*;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SAMPLE: &str = "data/samples/sample.ndjson";

fn clickchain() -> Command {
    let mut c = Command::cargo_bin("clickchain").unwrap();
    c.current_dir(REPO);
    c
}

fn records(args: &[&str]) -> Vec<serde_json::Value> {
    let out = clickchain().args(["scan", "-q"]).args(args).arg(SAMPLE).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn alerts(records: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    records.iter().filter(|r| r["type"] == "alert").collect()
}

#[test]
fn output_file_holds_what_stdout_would_and_a_failed_run_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alerts.txt");
    let stdout = clickchain().args(["scan", "-q", "--output", "text", SAMPLE]).output().unwrap().stdout;
    clickchain().args(["scan", "-q", "--output", "text", "-o"]).arg(&file).arg(SAMPLE).assert().code(0).stdout("");
    assert_eq!(std::fs::read(&file).unwrap(), stdout);
    // A run that stops (no input readable) leaves the old file and no temporary one.
    std::fs::write(&file, "kept").unwrap();
    clickchain().args(["scan", "-q", "--output", "html", "-o"]).arg(&file).arg("no/such/input.ndjson").assert().code(2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["alerts.txt"]);
    // A folder that does not exist is said before any input is read.
    clickchain()
        .args(["scan", "-q", "-o", "no/such/folder/alerts.ndjson", SAMPLE])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--output-file no/such/folder/alerts.ndjson: cannot write in no/such/folder"));
}

#[test]
fn min_score_from_and_to_keep_alerts_and_their_follow_ons() {
    let all = records(&[]);
    let all_alerts = alerts(&all);
    assert_eq!(all_alerts.len(), 4);
    let mut scores: Vec<u64> = all_alerts.iter().map(|a| a["score"].as_u64().unwrap()).collect();
    scores.sort();
    // The highest score only.
    let top = records(&["--min-score", &scores[3].to_string()]);
    let top_alerts = alerts(&top);
    assert!(!top_alerts.is_empty() && top_alerts.len() < 4);
    let ids: Vec<&str> = top_alerts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    for r in top.iter().filter(|r| r["type"] == "follow_on") {
        assert!(ids.contains(&r["alert_id"].as_str().unwrap()), "a follow-on of a kept alert: {r}");
    }
    let expected_follow_ons =
        all.iter().filter(|r| r["type"] == "follow_on" && ids.contains(&r["alert_id"].as_str().unwrap())).count();
    assert_eq!(top.len() - top_alerts.len(), expected_follow_ons);

    // A window around the first alert's time only.
    let mut times: Vec<&str> = all_alerts.iter().map(|a| a["time"].as_str().unwrap()).collect();
    times.sort();
    let first = records(&["--from", times[0], "--to", times[0]]);
    assert!(alerts(&first).iter().all(|a| a["time"] == times[0]));
    assert!(!alerts(&first).is_empty());
    assert!(records(&["--from", "2030-01-01"]).is_empty());
    assert_eq!(alerts(&records(&["--to", "2030-01-01"])).len(), 4);
    // The summary says how many were written.
    clickchain()
        .args(["scan", "--from", "2030-01-01", SAMPLE])
        .assert()
        .stderr(predicate::str::contains("4 alerts (0 written)"));
}

#[test]
fn verbose_logs_decisions_and_without_a_terminal_has_no_colour() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("sample.ndjson.gz");
    let mut bytes = Vec::new();
    let sample = std::fs::read(std::path::Path::new(REPO).join(SAMPLE)).unwrap();
    std::io::Read::read_to_end(&mut flate2::read::GzEncoder::new(&sample[..], flate2::Compression::fast()), &mut bytes)
        .unwrap();
    std::fs::write(&gz, bytes).unwrap();
    let quiet_log = clickchain().args(["scan", "-q"]).arg(&gz).output().unwrap();
    assert!(quiet_log.stderr.is_empty(), "{}", String::from_utf8_lossy(&quiet_log.stderr));
    for (env, flag) in [(None, "-v"), (Some("debug"), "-q")] {
        let mut cmd = clickchain();
        if let Some(level) = env {
            cmd.env("CLICKCHAIN_LOG", level);
        }
        let out = cmd.args(["scan", flag]).arg(&gz).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("DEBUG") && err.contains("decompressing") && err.contains("compression=\"gzip\""),
            "{err}"
        );
        assert!(err.contains("format=Native"), "{err}");
        assert!(!err.contains('\u{1b}'), "no colour codes on a pipe: {err:?}");
    }
}

#[test]
fn config_settings_valid_but_almost_surely_wrong_are_warned_about() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(
        &mut f,
        b"[windows]\nbrowser_parents = [\"chrome\", \"msedge.exe\"]\n[linux]\nuser_paths = []\n",
    )
    .unwrap();
    let chrome = "windows.browser_parents: `chrome` has no `.exe`";
    let empty = "linux.user_paths is empty";
    clickchain()
        .args(["config", "--check"])
        .arg(f.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(chrome))
        .stderr(predicate::str::contains(empty))
        .stderr(predicate::str::contains(": ok (2 warnings)"));
    clickchain()
        .args(["scan", "--config"])
        .arg(f.path())
        .arg(SAMPLE)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!("warning: config: {chrome}")));
}

#[test]
fn csv_ocsf_and_html_outputs_carry_every_alert_of_the_sample() {
    let ids: Vec<String> = alerts(&records(&[])).iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 4);
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "ocsf", "html"] {
        let file = dir.path().join(format!("alerts.{format}"));
        clickchain().args(["scan", "-q", "--output", format, "-o"]).arg(&file).arg(SAMPLE).assert().code(0);
        let text = std::fs::read_to_string(&file).unwrap();
        for id in &ids {
            assert!(text.contains(id.as_str()), "--output {format} lacks alert {id}");
        }
    }
    let csv = std::fs::read_to_string(dir.path().join("alerts.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4 + 6, "a header, then one row per alert and follow-on");
    let ocsf = std::fs::read_to_string(dir.path().join("alerts.ocsf")).unwrap();
    for line in ocsf.lines() {
        let finding: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(finding["class_uid"], 2004);
    }
    let html = std::fs::read_to_string(dir.path().join("alerts.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"), "{}", &html[..40]);
}
