//! `clickchain explain --path` on a download cradle's image: a rule that reads `cradle` says why
//! it did not fire; rules anchored on writes say nothing of it.

use assert_cmd::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn explain(scenario: &str) -> String {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .current_dir(REPO)
        .args(["explain", "--path", "/usr/bin/bash", "--rules", "chain,terminal-cradle"])
        .arg(format!("tests/scenarios/{scenario}.ndjson"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_cradle_to_a_trusted_domain_is_explained_by_the_cradle_rule_only() {
    let out = explain("terminal-cradle-allowlisted-domain");
    assert!(
        out.contains("terminal-cradle: no alert\n    dev-laptop: egress: `/usr/bin/bash` and the processes it started made no untrusted egress"),
        "{out}"
    );
    assert!(out.contains("  chain: no alert\n  terminal-cradle"), "chain says nothing of the cradle: {out}");
}

#[test]
fn an_alerted_cradle_names_its_rule() {
    let out = explain("terminal-cradle-firefox-xterm-curl-sh");
    assert!(out.contains("terminal-cradle: alerted\n    alerted on dev-laptop"), "{out}");
}
