//! `clickchain domain`: the engine's view of destinations, in text and JSON, and its bad input.

use assert_cmd::Command;
use predicates::prelude::*;

fn clickchain() -> Command {
    let mut c = Command::cargo_bin("clickchain").unwrap();
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn json_lines(args: &[&str]) -> (Vec<serde_json::Value>, i32) {
    let out = clickchain().arg("domain").arg("--json").args(args).output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

#[test]
fn text_shows_the_split_signals_score_and_verdict() {
    clickchain()
        .args(["domain", "https://Login-Update-Secure.top/invoice?id=7"])
        .assert()
        .success()
        .stdout(predicate::str::contains("  registrable   login-update-secure.top"))
        .stdout(predicate::str::contains("  suffix        top (icann)"))
        .stdout(predicate::str::contains("suspicious_tld +30, many_hyphens +20"))
        .stdout(predicate::str::contains("  score         50 (threshold 60)"))
        .stdout(predicate::str::contains("  verdict       untrusted (by suspicious_tld)"));
}

#[test]
fn json_has_one_object_per_input() {
    let (v, code) = json_lines(&["www.example.org", "someone.github.io", "xn--80ak6aa92e.com", "10.1.2.3"]);
    assert_eq!(code, 0);
    assert_eq!(v.len(), 4);
    assert_eq!((v[0]["verdict"].as_str(), v[0]["score"].as_u64()), (Some("trusted"), Some(0)));
    assert_eq!(v[1]["suffix_section"], "private");
    assert_eq!(v[2]["unicode"], "аррӏе.com");
    assert_eq!(v[2]["verdict"], "untrusted");
    assert!(v[2]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["list"] == "lookalike_brands" && m["entry"] == "apple"));
    assert_eq!((v[3]["name"].is_null(), v[3]["verdict"].as_str()), (true, Some("allowlisted")));
}

#[test]
fn a_config_file_and_an_address_change_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lab.toml");
    std::fs::write(&config, "[linux]\nuntrusted_cidrs = [\"10.66.0.0/16\"]\ndomain_risk_score = 30\n").unwrap();
    let config = config.to_str().unwrap();
    let (v, _) = json_lines(&["--config", config, "--os", "linux", "--ip", "10.66.0.9", "wiki.corp.example"]);
    assert_eq!(v[0]["verdict"], "untrusted");
    assert_eq!(v[0]["signals"][0]["reason"], "untrusted_cidr");
    let (v, _) = json_lines(&["--config", config, "--os", "linux", "foo.duckdns.org"]);
    assert_eq!((v[0]["threshold"].as_u64(), v[0]["verdict"].as_str()), (Some(30), Some("untrusted")));
    // The windows profile of the same file keeps the defaults.
    let (v, _) = json_lines(&["--config", config, "foo.duckdns.org"]);
    assert_eq!(v[0]["verdict"], "trusted");
}

#[test]
fn bad_input_is_named_and_the_rest_still_judged() {
    let (v, code) = json_lines(&["", "https:///path", "bad name!.com", "example.top"]);
    assert_eq!(code, 2);
    assert_eq!(v.len(), 4);
    assert!(v[0]["error"].as_str().unwrap().contains("empty input"), "{}", v[0]);
    assert!(v[1]["error"].as_str().unwrap().contains("without a host"), "{}", v[1]);
    assert!(v[2]["error"].as_str().unwrap().contains("bad name!.com"), "{}", v[2]);
    assert_eq!(v[3]["verdict"], "untrusted");
    clickchain()
        .args(["domain", "https:///path", "example.org"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: \"https:///path\" is a URL without a host"))
        .stdout(predicate::str::contains("  verdict       trusted"));
}

#[test]
fn a_bad_config_is_exit_2_before_any_input() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[windows]\nuntrusted_cidrs = [\"10.0.0.0/33\"]\n").unwrap();
    clickchain()
        .args(["domain", "--config", config.to_str().unwrap(), "example.org"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("untrusted_cidrs"));
}
