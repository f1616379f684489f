//! `clickchain synth --variants` and `clickchain eval` on its labels: the rules each chain
//! names are those that alert, per-rule recall is measured over them, rules the build does not
//! have are reported unmeasured, and labels without rules are still scored over every chain.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

fn clickchain(args: &[&str]) -> Output {
    Command::new(cargo_bin("clickchain")).args(args).output().unwrap()
}

fn synth(dir: &Path, extra: &[&str]) {
    let mut args = vec!["synth", "--out", dir.to_str().unwrap(), "--events", "30000", "--hosts", "4"];
    args.extend(["--chains-per-million", "300", "--format", "native,ecs", "--seed", "4"]);
    args.extend(extra);
    let out = clickchain(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn eval(labels: &Path, stream: &Path, rules: &str) -> (Value, String) {
    let (l, s) = (labels.to_str().unwrap(), stream.to_str().unwrap());
    let out = clickchain(&["eval", "--json", "--rules", rules, "--labels", l, s]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (serde_json::from_slice(&out.stdout).unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn variants_change_the_stream_only_when_asked_and_the_same_seed_gives_the_same_bytes() {
    let (plain, none, a, b) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    synth(plain.path(), &[]);
    synth(none.path(), &["--variants", "none"]);
    synth(a.path(), &["--variants", "all"]);
    synth(b.path(), &["--variants", "all"]);
    for f in ["stream.ndjson", "stream.ecs.ndjson", "labels.json"] {
        assert_eq!(read(&plain.path().join(f)), read(&none.path().join(f)), "{f}");
        assert_eq!(read(&a.path().join(f)), read(&b.path().join(f)), "{f}");
    }
    assert_ne!(read(&plain.path().join("stream.ndjson")), read(&a.path().join("stream.ndjson")));

    let bad = clickchain(&["synth", "--out", a.path().to_str().unwrap(), "--variants", "office-lolbins"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("office-lolbins") && err.contains("office-lolbin,"), "{err}");
}

#[test]
fn labelled_rules_are_what_alerts_and_unknown_rules_are_unmeasured() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), &["--variants", "all"]);
    let labels = dir.path().join("labels.json");
    let truth: Value = serde_json::from_slice(&read(&labels)).unwrap();
    let chains = truth["chains"].as_array().unwrap();
    let listing =
        |rule: &str| chains.iter().filter(|c| c["rules"].as_array().unwrap().iter().any(|r| r == rule)).count();
    assert!(listing("office-lolbin") > 0 && listing("terminal-cradle") > 0 && listing("container-run") > 0);
    let cradle = chains.iter().find(|c| c["variant"] == "terminal-cradle").unwrap();
    assert_eq!((&cradle["anchor"], &cradle["final_path"]), (&Value::from("process"), &Value::from("/usr/bin/bash")));

    for stream in ["stream.ndjson", "stream.ecs.ndjson"] {
        let (v, stderr) = eval(&labels, &dir.path().join(stream), "chain,redirect-chain,mail-payload");
        let set = &v["sets"][0];
        assert_eq!(set["recall_over"], "labelled");
        for rule in ["chain", "redirect-chain", "mail-payload"] {
            let row = &set["by_rule"][rule];
            assert_eq!(row["chains"].as_u64().unwrap() as usize, listing(rule), "{stream} {rule}: {row}");
            assert_eq!(row["chains_found"], row["chains"], "{stream} {rule}: {row}");
            assert_eq!(
                (&row["false_alerts"], &row["other_chains"]),
                (&Value::from(0), &Value::from(0)),
                "{stream} {rule}: {row}"
            );
        }
        assert_eq!(set["misses"], Value::Array(vec![]), "{stream}");
        // Rules labelled but not in the set run are not measured, and not unknown.
        assert!(set["unmeasured"].get("terminal-cradle").is_none(), "{}", set["unmeasured"]);
        assert!(!stderr.contains("warning: labels name rule"), "{stderr}");
    }
}

#[test]
fn labels_without_rules_measure_every_rule_over_every_chain() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), &[]);
    let labels = dir.path().join("labels.json");
    let mut truth: Value = serde_json::from_slice(&read(&labels)).unwrap();
    for c in truth["chains"].as_array_mut().unwrap() {
        let c = c.as_object_mut().unwrap();
        c.remove("rules");
        c.remove("rules_in");
    }
    let old = dir.path().join("old-labels.json");
    std::fs::write(&old, serde_json::to_vec(&truth).unwrap()).unwrap();
    let all = truth["chains"].as_array().unwrap().len() as u64;
    let (v, _) = eval(&old, &dir.path().join("stream.ndjson"), "chain,redirect-chain");
    let set = &v["sets"][0];
    assert_eq!(set["recall_over"], "all");
    assert_eq!(set["by_rule"]["redirect-chain"]["chains"], all);
    assert_eq!(set["by_rule"]["chain"]["chains_found"], all);
    let (v, _) = eval(&labels, &dir.path().join("stream.ndjson"), "chain,redirect-chain");
    let redirect = &v["sets"][0]["by_rule"]["redirect-chain"];
    assert!(redirect["chains"].as_u64().unwrap() < all, "only its labelled chains: {redirect}");
    assert_eq!(redirect["recall"], 1.0, "{redirect}");
}

#[test]
fn every_shipped_rule_finds_its_own_labelled_chains() {
    let dir = tempfile::tempdir().unwrap();
    // Two events a second per host: episodes tens of minutes apart, as on a real desktop. (At
    // the default rate every host's episodes fall within one hold, and an exec from a drive
    // letter, which names no disk image, goes to the latest image downloaded before it.)
    synth(dir.path(), &["--variants", "all", "--rate", "2"]);
    let ids: Vec<&str> = clickchain::logic::RULES.iter().map(|r| r.header.id).collect();
    let (v, _) = eval(&dir.path().join("labels.json"), &dir.path().join("stream.ndjson"), &ids.join(","));
    let set = &v["sets"][0];
    for id in ids {
        let row = &set["by_rule"][id];
        assert!(row["chains"].as_u64().unwrap() > 0, "{id}: no chain of its own in the stream: {row}");
        assert_eq!(row["chains_found"], row["chains"], "{id}: {row}");
        assert_eq!(row["false_alerts"], 0, "{id}: {row}");
    }
    assert_eq!(set["misses"], Value::Array(vec![]));
}
