//! `clickchain eval`: a synth stream scored against its labels; a chain taken out of the stream
//! is listed as a miss; labels of another stream, a broken labels file and a bad `--compare`
//! are errors (exit 2).

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

fn clickchain(args: &[&str]) -> std::process::Output {
    Command::new(cargo_bin("clickchain")).args(args).output().unwrap()
}

fn synth(dir: &Path, seed: &str) {
    let out = clickchain(&[
        "synth",
        "--out",
        dir.to_str().unwrap(),
        "--events",
        "20000",
        "--hosts",
        "6",
        "--chains-per-million",
        "400",
        "--format",
        "native",
        "--seed",
        seed,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn eval_json(labels: &Path, stream: &Path) -> Value {
    let out = clickchain(&["eval", "--json", "--labels", labels.to_str().unwrap(), stream.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_chain_taken_out_of_the_stream_is_a_miss_and_costs_recall() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "7");
    let (labels, stream) = (dir.path().join("labels.json"), dir.path().join("stream.ndjson"));
    let whole = eval_json(&labels, &stream);
    let total = &whole["sets"][0]["total"];
    let chains = total["chains"].as_u64().unwrap();
    assert!(chains >= 3, "{total}");
    assert_eq!(total["chains_found"], chains, "every injected chain is found: {total}");

    // The first chain's final write (and rename) removed: its alert cannot fire.
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&labels).unwrap()).unwrap();
    let chain = &truth["chains"][0];
    let path = chain["final_path"].as_str().unwrap();
    let escaped = serde_json::to_string(path).unwrap();
    let kept: String = std::fs::read_to_string(&stream)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(escaped.trim_matches('"')))
        .map(|l| format!("{l}\n"))
        .collect();
    let cut = dir.path().join("cut.ndjson");
    std::fs::write(&cut, kept).unwrap();
    let less = eval_json(&labels, &cut);
    let set = &less["sets"][0];
    assert_eq!(set["total"]["chains_found"].as_u64().unwrap(), chains - 1, "{}", set["total"]);
    assert_eq!(set["misses"][0]["id"], chain["id"], "{}", set["misses"]);

    let text = clickchain(&["eval", "--labels", labels.to_str().unwrap(), cut.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("misses: 1"), "{text}");
    assert!(text.contains(chain["id"].as_str().unwrap()), "{text}");
    assert!(text.contains("| analytic AN0178 |"), "{text}");
}

#[test]
fn labels_of_another_stream_and_bad_arguments_are_errors() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    synth(a.path(), "1");
    let labels = a.path().join("labels.json");
    // Another stream: other host names.
    let other = b.path().join("other.ndjson");
    std::fs::write(
        &other,
        r#"{"time":"2024-05-14T09:00:00Z","host":"elsewhere","os":"windows","kind":"process_start","proc":"{p}","image":"C:\\x.exe"}"#,
    )
    .unwrap();
    let out = clickchain(&["eval", "--labels", labels.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the labels do not match the stream"), "{err}");

    let broken = b.path().join("labels.json");
    std::fs::write(&broken, "{\"chains\": 3}").unwrap();
    let out = clickchain(&["eval", "--labels", broken.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a labels file"));

    let stream = a.path().join("stream.ndjson");
    let out =
        clickchain(&["eval", "--compare", "chain", "--labels", labels.to_str().unwrap(), stream.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected two rule sets"));
}

#[test]
fn two_rule_sets_compared_and_an_unknown_rule_named() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "3");
    let (labels, stream) = (dir.path().join("labels.json"), dir.path().join("stream.ndjson"));
    let (l, s) = (labels.to_str().unwrap(), stream.to_str().unwrap());
    let out = clickchain(&["eval", "--json", "--compare", "chain:chain,redirect-chain", "--labels", l, s]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sets"][0]["rules"], serde_json::json!(["chain"]));
    assert_eq!(v["sets"][1]["rules"], serde_json::json!(["chain", "redirect-chain"]));
    // The second set holds the first: it finds every chain the first finds.
    assert_eq!(v["compare"]["only_first"], serde_json::json!([]), "{}", v["compare"]);
    assert!(v["sets"][1]["by_rule"]["chain"]["alerts"].as_u64().unwrap() > 0);

    let out = clickchain(&["eval", "--rules", "chian", "--labels", l, s]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chian") && err.contains("chain"), "{err}");
}
