//! `clickchain explain --path`: an alerted file names its rule; a file kept out by the
//! configuration says why, from the engine's own decision; a rule that does not fire says so.

use assert_cmd::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const FILE: &str = r"C:\Users\alice\Downloads\Invoice_0514.pdf.exe";

fn explain(args: &[&str]) -> String {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .current_dir(REPO)
        .arg("explain")
        .args(args)
        .arg("data/samples/sample.ndjson")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_alerted_file_names_its_rule() {
    let out = explain(&["--path", FILE]);
    assert!(out.contains("chain: alerted\n    alerted on WS-042"), "{out}");
}

#[test]
fn an_excluded_file_says_why_it_did_not_alert() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[windows]\nexcluded_paths = ['C:\\Users\\alice\\Downloads']\n").unwrap();
    let out = explain(&["--path", FILE, "--config", config.to_str().unwrap()]);
    assert!(!out.contains("alerted"), "{out}");
    assert!(out.contains("WS-042: write ignored"), "{out}");
    let json = explain(&["--json", "--path", FILE, "--config", config.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["alerts"], serde_json::json!([]));
    assert!(v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["message"].as_str().unwrap().starts_with("write ignored")));
}

#[test]
fn a_rule_that_does_not_fire_says_no_chain_formed() {
    let out = explain(&["--path", FILE, "--rules", "mail-payload"]);
    assert!(!out.contains("alerted"), "{out}");
    assert!(out.contains("mail-payload: no alert"), "{out}");
    assert!(out.contains("egress of those hosts judged trusted"), "{out}");
}
