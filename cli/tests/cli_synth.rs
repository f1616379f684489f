//! `clickchain synth`: deterministic output, and `clickchain scan` of what it wrote finds the
//! labelled chains.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn clickchain() -> Command {
    Command::cargo_bin("clickchain").unwrap()
}

const ARGS: &[&str] = &[
    "synth",
    "--events",
    "9000",
    "--hosts",
    "3",
    "--seed",
    "7",
    "--chains-per-million",
    "1000",
    "--evasion-share",
    "0.5",
];

fn synth(dir: &Path) -> String {
    let out = clickchain().args(ARGS).arg("--out").arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// (host, path) of every alert of `clickchain scan` on `file`.
fn alerted(file: &Path) -> BTreeSet<(String, String)> {
    let out = clickchain().args(["scan", "-q"]).arg(file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "alert")
        .map(|r| (r["host"].as_str().unwrap().to_owned(), r["write"]["path"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn synth_is_deterministic_and_scan_finds_the_labelled_chains() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let summary = synth(a.path());
    synth(b.path());
    let files = ["stream.ndjson", "stream.sysmon.json", "stream.ecs.ndjson", "labels.json"];
    for f in files {
        let (x, y) = (std::fs::read(a.path().join(f)).unwrap(), std::fs::read(b.path().join(f)).unwrap());
        assert!(!x.is_empty() && x == y, "{f} differs between two runs");
    }
    assert_eq!(summary.lines().count(), 4, "{summary}");
    assert!(summary.contains("stream.ndjson: 9000 records"), "{summary}");
    assert!(summary.contains("not_windows"), "{summary}");

    let labels: Value = serde_json::from_slice(&std::fs::read(a.path().join("labels.json")).unwrap()).unwrap();
    let chains = labels["chains"].as_array().unwrap();
    assert!(chains.len() >= 9, "{} chains", chains.len());
    let expected = |form: &str| -> BTreeSet<(String, String)> {
        chains
            .iter()
            .filter(|c| c["expected_in"].as_array().unwrap().iter().any(|f| f == form))
            .map(|c| (c["host"].as_str().unwrap().to_owned(), c["final_path"].as_str().unwrap().to_owned()))
            .collect()
    };
    // Native: exactly the labelled chains (decoys included in the stream, none alerts).
    assert_eq!(alerted(&a.path().join("stream.ndjson")), expected("native"));
    // Sysmon JSON and ECS: every chain expected in that form alerts.
    for (file, form) in [("stream.sysmon.json", "sysmon"), ("stream.ecs.ndjson", "ecs")] {
        let got = alerted(&a.path().join(file));
        let want = expected(form);
        assert!(!want.is_empty());
        assert!(want.is_subset(&got), "{form}: missing {:?}", want.difference(&got).collect::<Vec<_>>());
    }
}

#[test]
fn synth_rejects_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| clickchain().args(["synth", "--out"]).arg(dir.path()).args(extra).assert();
    run(&["--evasions", "teleport"]).code(2);
    run(&["--events", "100", "--hosts", "3"]).code(2);
    run(&["--duration", "1m", "--events", "5000"]).failure();
    run(&["--format", "xml"]).failure();
    run(&["--mix", "browse=2,teleports_per_hour=1"]).code(2);
    run(&["--mix", "browse=-1"]).code(2);
    run(&[
        "--duration",
        "1m",
        "--hosts",
        "2",
        "--format",
        "native",
        "--evasions",
        "late,ip-only",
        "--mix",
        "browse=1,cdn_downloads_per_hour=30",
    ])
    .success();
    assert!(dir.path().join("stream.ndjson").exists() && !dir.path().join("stream.ecs.ndjson").exists());
}
