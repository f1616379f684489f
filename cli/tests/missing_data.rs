//! A rule enabled whose data the input cannot provide: `scan` warns once per (rule, fact kind)
//! never fed, naming the kind, and counts the pairs in `--stats` (`rules_missing_data`).

use assert_cmd::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SCENARIO: &str = "tests/scenarios/office-lolbin-winword-certutil.ndjson";

/// Runs `scan --stats` over `input` with `args`: (stderr, the `--stats` JSON).
fn scan(input: &std::path::Path, args: &[&str]) -> (String, serde_json::Value) {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .current_dir(REPO)
        .args(["scan", "--stats"])
        .args(args)
        .arg(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json = &stderr[stderr.find("{\n").expect("the --stats JSON")..];
    let end = json.find("\n}").expect("the end of the --stats JSON") + 2;
    (stderr.clone(), serde_json::from_str(&json[..end]).unwrap())
}

/// The scenario's process starts only, without their command lines.
fn starts_without_command_lines(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(std::path::Path::new(REPO).join(SCENARIO)).unwrap();
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["kind"] == "process_start").then(|| {
                v.as_object_mut().unwrap().remove("command_line");
                v.to_string()
            })
        })
        .collect();
    let path = dir.join("starts.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn a_rule_whose_facts_never_came_is_named_once_per_kind_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = starts_without_command_lines(dir.path());
    for threads in ["1", "2"] {
        let (stderr, stats) = scan(&input, &["--rules", "chain,office-lolbin", "--threads", threads]);
        let said = |line: &str| stderr.lines().filter(|l| *l == line).count();
        assert_eq!(
            said(
                "warning: rule office-lolbin reads cmd_class, but no process start in the input carried a command line"
            ),
            1,
            "{stderr}"
        );
        assert_eq!(said("warning: rule office-lolbin reads egress, but the input held no connection or DNS answer"), 1);
        assert_eq!(said("warning: rule office-lolbin reads write, but the input held no file write"), 1);
        assert_eq!(said("warning: rule chain reads egress, but the input held no connection or DNS answer"), 1);
        assert!(!stderr.contains("reads lineage"), "process starts came: {stderr}");
        let warned = stderr.lines().filter(|l| l.starts_with("warning: rule ")).count() as u64;
        assert_eq!(stats["rules_missing_data"], warned, "threads {threads}: {stderr}");
        assert_eq!(stats["fed"]["command_lines"], 0);
    }
}

#[test]
fn an_input_that_feeds_every_kind_warns_of_nothing() {
    let (stderr, stats) = scan(std::path::Path::new(SCENARIO), &["--rules", "chain,office-lolbin"]);
    assert!(!stderr.contains("warning: rule"), "{stderr}");
    assert_eq!(stats["rules_missing_data"], 0);
    assert!(stats["fed"]["command_lines"].as_u64() > Some(0));
}

#[test]
fn quiet_scans_count_but_do_not_warn() {
    let dir = tempfile::tempdir().unwrap();
    let input = starts_without_command_lines(dir.path());
    let (stderr, stats) = scan(&input, &["--rules", "terminal-cradle", "--quiet"]);
    assert!(!stderr.contains("warning: rule"), "{stderr}");
    assert!(stats["rules_missing_data"].as_u64() > Some(0));
}

#[test]
fn docs_quote_the_warnings_and_list_every_fact_kind_rules_read() {
    let doc = std::fs::read_to_string(format!("{REPO}/docs/rules.md")).unwrap();
    for line in [
        "warning: rule office-lolbin reads cmd_class, but no process start in the input carried a command line",
        "warning: rule office-lolbin reads egress, but the input held no connection or DNS answer",
    ] {
        assert!(doc.contains(line), "docs/rules.md quotes {line}");
    }
    let facts = &doc[doc.find("## Facts").unwrap()..doc.find("## Writing a variant").unwrap()];
    for rule in clickchain::logic::RULES {
        for kind in rule.header.data {
            assert!(
                facts.contains(&format!("| `{kind}` |")),
                "{}: `{kind}` has no row in the facts table",
                rule.header.id
            );
        }
    }
}
