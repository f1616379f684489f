//! The worked example of `docs/rules.md` runs: each documented `clickchain scan` command, on the
//! documented scenario, prints the documented alert lines (and nothing else that is an alert),
//! and the documented `clickchain eval` prints the documented table rows.

use assert_cmd::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// `(command, expected lines)`: each `sh` block holding `clickchain scan` and the `text` block
/// after it.
fn documented_runs(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in doc.lines().map(str::trim) {
        match (&mut current, line) {
            (None, l) if l.starts_with("```") && l.len() > 3 => current = Some((l[3..].to_owned(), Vec::new())),
            (Some(_), "```") => blocks.push(current.take().expect("open block")),
            (Some((_, lines)), l) => lines.push(l.to_owned()),
            (None, "```") => current = Some((String::new(), Vec::new())),
            _ => {}
        }
    }
    let mut runs = Vec::new();
    for pair in blocks.windows(2) {
        let [(lang, cmd), (next, expected)] = pair else { continue };
        if lang == "sh" && next == "text" && cmd.len() == 1 && cmd[0].starts_with("clickchain scan ") {
            runs.push((cmd[0].clone(), expected.clone()));
        }
    }
    runs
}

#[test]
fn writing_a_variant_example_runs_as_documented() {
    let doc = std::fs::read_to_string(format!("{REPO}/docs/rules.md")).expect("docs/rules.md");
    let runs = documented_runs(&doc);
    assert_eq!(runs.len(), 2, "the example's two scan commands: {runs:?}");
    for (cmd, expected) in runs {
        // `scan -q`: no progress or summary on stderr; stdout is unchanged.
        let args: Vec<&str> = cmd.split_whitespace().skip(2).collect();
        let out = Command::cargo_bin("clickchain")
            .unwrap()
            .current_dir(REPO)
            .args(["scan", "-q"])
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let alerts: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ALERT ")).collect();
        assert_eq!(alerts, expected, "{cmd}");
    }
}

/// Each `sh` block holding `clickchain eval` with the `text` block after it.
fn documented_evals(doc: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in doc.lines().map(str::trim) {
        match (&mut current, line) {
            (None, l) if l.starts_with("```") => current = Some((l[3..].to_owned(), Vec::new())),
            (Some(_), "```") => blocks.push(current.take().expect("open block")),
            (Some((_, lines)), l) => lines.push(l.to_owned()),
            _ => {}
        }
    }
    blocks
        .windows(2)
        .filter_map(|pair| {
            let [(lang, cmds), (next, rows)] = pair else { return None };
            let eval = cmds.iter().any(|c| c.starts_with("clickchain eval "));
            (lang == "sh" && next == "text" && eval).then(|| (cmds.clone(), rows.clone()))
        })
        .collect()
}

#[test]
fn the_documented_eval_table_is_what_eval_prints() {
    let doc = std::fs::read_to_string(format!("{REPO}/docs/rules.md")).expect("docs/rules.md");
    let examples = documented_evals(&doc);
    assert!(!examples.is_empty(), "an eval example");
    for (cmds, rows) in examples {
        assert!(!rows.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let mut printed = String::new();
        for cmd in &cmds {
            let cmd = cmd.replace("/tmp/variant", dir.path().to_str().unwrap());
            let out = Command::cargo_bin("clickchain").unwrap().args(cmd.split_whitespace().skip(1)).output().unwrap();
            assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
            printed = String::from_utf8_lossy(&out.stdout).into_owned();
        }
        // The rows shown are the second set's.
        let second = printed.split("rule set 2:").nth(1).expect("two rule sets");
        for row in &rows {
            assert!(second.lines().any(|l| l == row), "{row:?} not printed:\n{second}");
        }
    }
}

#[test]
fn unknown_rule_exits_2_naming_the_closest() {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .current_dir(REPO)
        .args(["scan", "--rules", "chain,redirct-chain", "data/samples/sample.ndjson"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("redirct-chain") && err.contains("did you mean `redirect-chain`"), "{err}");
}

#[test]
fn unknown_rule_in_config_exits_2_naming_file_key_and_closest() {
    let path = std::env::temp_dir().join(format!("clickchain-rules-{}.toml", std::process::id()));
    std::fs::write(&path, "[rules]\nenabled = [\"chain\", \"redirect_chain\"]\n").unwrap();
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .current_dir(REPO)
        .args(["scan", "--config"])
        .arg(&path)
        .arg("data/samples/sample.ndjson")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules.enabled[1]") && err.contains("did you mean `redirect-chain`"), "{err}");
}

#[test]
fn watch_rejects_an_unknown_rule_too() {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .current_dir(REPO)
        .args(["watch", "--rules", "mail-paylod", "data/samples/sample.ndjson"])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `mail-payload`"));
}

#[test]
fn rules_lists_the_registry() {
    let out = Command::cargo_bin("clickchain").unwrap().args(["rules", "--json"]).output().unwrap();
    assert!(out.status.success());
    let rules: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: Vec<&str> = rules.iter().filter(|r| r["always"] == false).filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, clickchain::logic::RULES.iter().map(|r| r.header.id).collect::<Vec<_>>());
    let always: Vec<&str> = rules.iter().filter(|r| r["always"] == true).filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(always, ["follow-on"]);
    assert_eq!(ids[..3], ["chain", "redirect-chain", "mail-payload"]);
    assert_eq!(rules[0]["default"], true);
    assert_eq!(rules[1]["status"], "experimental");
    assert_eq!((rules[0]["hold_ms"].as_i64(), rules[3]["hold_ms"].as_i64()), (Some(0), Some(600_000)));
    let text = Command::cargo_bin("clickchain").unwrap().arg("rules").output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("mail-payload (experimental)"));
}
