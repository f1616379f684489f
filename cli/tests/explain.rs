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
    // With how the rule derived it.
    assert!(out.contains("\n      derivation (rule chain)\n"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&explain(&["--json", "--path", FILE])).unwrap();
    assert_eq!(json["alerts"][0]["derivation"]["window"]["holds"], true, "{json}");
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
    // The rule's own condition, not the base chain's (the link root is Outlook, a mail client).
    assert!(
        out.contains("WS-042: write_ext: the file's extension class is executable (`.exe`); the rule needs a file of class shortcut, disk_image or script"),
        "{out}"
    );
    let out = explain(&["--path", FILE, "--rules", "redirect-chain"]);
    assert!(out.contains("WS-042: egress: the lineage reached 1 distinct untrusted domain(s) within time_window before the write (`invoice-portal.top`); the rule needs two or more distinct untrusted registrable domains"), "{out}");
    assert!(out.contains("egress of those hosts judged trusted"), "{out}");
}

const EDGE: &str = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe";

/// A native event on host T-1 at 2024-06-03T`t`.
fn ev(t: &str, kind: &str, body: serde_json::Value) -> String {
    let mut v = serde_json::json!({"time": format!("2024-06-03T{t}Z"), "host": "T-1", "os": "windows", "kind": kind});
    v.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    v.to_string()
}

/// One browser root: a click, an untrusted egress, then downloads that break the base chain at
/// different steps (a weak link, outside the window); a second root whose file alerts and is
/// written again (deduplicated); a third that only reaches a trusted site; a PowerShell outside
/// any link lineage; a root whose egress belongs to a click that is beyond the window at the write.
fn scenario() -> tempfile::TempDir {
    use serde_json::json;
    // A download-like write of `file`, with the origin URL `origin` when one is given.
    let write_from = |t: &str, proc: &str, file: &str, origin: Option<&str>| {
        let mut body = json!({"proc": proc, "path": format!(r"C:\Users\dan\Downloads\{file}"), "op": "create"});
        if let Some(url) = origin {
            body["origin"] = json!({"zone": 3, "url": url});
        }
        ev(t, "file_write", body)
    };
    let write = |t: &str, proc: &str, file: &str| write_from(t, proc, file, None);
    let browser = |t: &str, proc: &str, url: &str| {
        ev(
            t,
            "process_start",
            json!({"proc": proc, "parent": "{x}", "image": EDGE, "command_line": format!("\"{EDGE}\" {url}")}),
        )
    };
    let connect = |t: &str, proc: &str, ip: &str, domain: &str| {
        ev(t, "connect", json!({"proc": proc, "dst_ip": ip, "dst_port": 443, "domain": domain}))
    };
    let setup = Some("https://dl.good-dl.top/setup.exe");
    let lines = [
        ev("09:00:00.000", "process_start", json!({"proc": "{x}", "image": r"C:\Windows\explorer.exe"})),
        browser("09:00:01.000", "{b}", "https://payload-drop.top/get"),
        connect("09:00:02.000", "{b}", "203.0.113.9", "cdn.payload-drop.top"),
        write("09:05:02.000", "{b}", "tool.exe"),
        write("09:15:05.000", "{b}", "late.exe"),
        browser("09:30:00.000", "{b2}", "https://good-dl.top/x"),
        connect("09:30:01.000", "{b2}", "203.0.113.20", "dl.good-dl.top"),
        write_from("09:30:05.000", "{b2}", "setup.exe", setup),
        write_from("09:30:40.000", "{b2}", "setup.exe", setup),
        browser("10:00:00.000", "{b3}", "https://www.wikipedia.org/"),
        connect("10:00:01.000", "{b3}", "198.51.100.10", "www.wikipedia.org"),
        write("10:00:05.000", "{b3}", "wiki.exe"),
        ev(
            "10:10:00.000",
            "process_start",
            json!({"proc": "{p}", "parent": "{x}", "image": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"}),
        ),
        write("10:10:05.000", "{p}", "ps.exe"),
        browser("11:00:00.000", "{b4}", "https://slow-dl.top/a"),
        connect("11:10:00.000", "{b4}", "203.0.113.30", "slow-dl.top"),
        write_from("11:15:03.000", "{b4}", "slow.exe", Some("https://slow-dl.top/f.exe")),
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t1.ndjson"), lines.join("\n") + "\n").unwrap();
    dir
}

/// A rule's id, whether it alerted, and its (step, why) list.
type Verdict = (String, bool, Vec<(String, String)>);

/// `explain --json` for `file` of the scenario with `rules`: each rule's verdict.
fn verdicts(dir: &tempfile::TempDir, file: &str, rules: &str) -> Vec<Verdict> {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .args(["explain", "--json", "--rules", rules, "--path", &format!(r"C:\Users\dan\Downloads\{file}")])
        .arg(dir.path().join("t1.ndjson"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let steps = r["why_not"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["step"].as_str().unwrap().to_owned(), s["why"].as_str().unwrap().to_owned()))
                .collect();
            (r["rule"].as_str().unwrap().to_owned(), r["alerted"].as_bool().unwrap(), steps)
        })
        .collect()
}

#[test]
fn two_rules_break_at_their_own_steps() {
    let dir = scenario();
    let v = verdicts(&dir, "tool.exe", "chain,mail-payload");
    assert_eq!(v.len(), 2, "{v:?}");
    let (rule, alerted, steps) = &v[0];
    assert_eq!((rule.as_str(), *alerted), ("chain", false));
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].0, "strength");
    assert_eq!(
        steps[0].1,
        "the strongest link is weak: the egress came 300 s before the write, beyond download_gap 120 s, below min_strength medium"
    );
    let (rule, alerted, steps) = &v[1];
    assert_eq!((rule.as_str(), *alerted), ("mail-payload", false));
    assert_eq!(steps[0].0, "link_class");
    assert_eq!(
        steps[0].1,
        format!("the link root `{EDGE}` is a browser link source; the rule needs a mail link source")
    );
}

#[test]
fn outside_the_window_says_by_how_much() {
    let v = verdicts(&scenario(), "late.exe", "chain");
    assert_eq!(
        v[0].2,
        [(
            "window".to_owned(),
            "the nearest untrusted egress came 903 s before the write, 3 s beyond time_window 900 s".to_owned()
        )]
    );
}

#[test]
fn no_untrusted_egress_lists_why_each_egress_was_trusted() {
    let dir = scenario();
    let v = verdicts(&dir, "wiki.exe", "chain");
    assert_eq!(
        v[0].2,
        [("egress".to_owned(), "the link lineage made no untrusted egress before the write".to_owned())]
    );
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .args(["explain", "--path", r"C:\Users\dan\Downloads\wiki.exe"])
        .arg(dir.path().join("t1.ndjson"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  chain: no alert\n    T-1: egress: the link lineage made no untrusted egress"), "{text}");
    assert!(
        text.contains("T-1 198.51.100.10:443 www.wikipedia.org (risk 0): egress trusted: no signal makes it untrusted"),
        "{text}"
    );
}

#[test]
fn a_second_write_of_an_alerted_file_is_deduplicated() {
    let v = verdicts(&scenario(), "setup.exe", "chain");
    let (_, alerted, steps) = &v[0];
    assert!(alerted);
    assert_eq!(steps, &[("dedup".to_owned(), "an alert for this link root and file was already emitted".to_owned())]);
}

#[test]
fn an_excluded_write_breaks_every_rule_at_the_write() {
    let dir = scenario();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[windows]\nexcluded_paths = ['C:\\Users\\dan\\Downloads']\n").unwrap();
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .args(["explain", "--json", "--rules", "chain,redirect-chain", "--config"])
        .arg(&config)
        .args(["--path", r"C:\Users\dan\Downloads\tool.exe"])
        .arg(dir.path().join("t1.ndjson"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in v["rules"].as_array().unwrap() {
        assert_eq!(r["why_not"][0]["step"], "write", "{r}");
        assert!(r["why_not"][0]["why"].as_str().unwrap().starts_with("write ignored: "), "{r}");
    }
}

#[test]
fn a_writer_outside_any_link_lineage_breaks_every_rule_at_the_lineage() {
    let v = verdicts(&scenario(), "ps.exe", "chain,mail-payload");
    for (rule, alerted, steps) in &v {
        assert!(!alerted, "{rule}");
        assert_eq!(steps.len(), 1, "{rule}: {steps:?}");
        assert_eq!(steps[0].0, "lineage", "{rule}");
        assert_eq!(steps[0].1, "write ignored: the writer has no link source (browser, mail client) above it");
    }
}

#[test]
fn an_egress_that_belongs_to_a_click_beyond_the_window_breaks_the_order() {
    let v = verdicts(&scenario(), "slow.exe", "chain");
    assert_eq!(v[0].2.len(), 1, "{v:?}");
    assert_eq!(v[0].2[0].0, "order");
    assert_eq!(
        v[0].2[0].1,
        "the observed click came 903 s before the write, beyond time_window 900 s, and the egress after it belongs to \
         that click (no click is inferred there)"
    );
}

/// Each variant rule's near-miss scenario, the file (or, a download cradle, the shell) asked
/// about, and the rule-specific step its why-not names, with words it must say.
const NEAR_MISSES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "office-lolbin",
        "office-lolbin-browser-root",
        r"C:\Users\alice\AppData\Local\Temp\svc.exe",
        "link_class",
        "the rule needs a office or mail link source",
    ),
    (
        "office-lolbin",
        "office-lolbin-trusted-destination",
        r"C:\Users\alice\AppData\Local\Temp\svc.exe",
        "egress",
        "neither the LOLBIN `C:\\Windows\\System32\\certutil.exe` nor a process it started",
    ),
    (
        "terminal-cradle",
        "terminal-cradle-allowlisted-domain",
        "/usr/bin/bash",
        "egress",
        "made no untrusted egress within download_gap 120 s after the cradle started",
    ),
    (
        "motw-removed-run",
        "motw-removed-run-removed-never-run",
        r"C:\Users\alice\Downloads\Invoice_0514.pdf.exe",
        "executed",
        "the file did not run within the hold 600 s",
    ),
    (
        "motw-removed-run",
        "motw-removed-run-run-with-motw",
        r"C:\Users\alice\Downloads\Invoice_0514.pdf.exe",
        "protection_removed",
        "no Mark-of-the-Web or quarantine removal",
    ),
    (
        "container-run",
        "container-run-iso-never-opened",
        r"C:\Users\alice\Downloads\Remittance_0612.iso",
        "container_exec",
        "no program started from inside the file within the hold 600 s",
    ),
    (
        "html-smuggling",
        "html-smuggling-blob-pdf",
        r"C:\Users\alice\Downloads\Statement_0612.pdf",
        "write_ext",
        "extension class is none (`.pdf`)",
    ),
    (
        "html-smuggling",
        "html-smuggling-page-from-reached-domain",
        r"C:\Users\alice\Downloads\Remittance_0612.html",
        "write_origin",
        "which the lineage connected to at",
    ),
    (
        "macos-quarantine-stripped",
        "macos-quarantine-stripped-never-run",
        "/Users/carol/Downloads/PayrollUpdate.dmg",
        "executed",
        "the file did not run within the hold 600 s",
    ),
    (
        "macos-quarantine-stripped",
        "macos-quarantine-stripped-run-with-quarantine",
        "/Users/carol/Downloads/PayrollUpdate.dmg",
        "protection_removed",
        "no com.apple.quarantine removal",
    ),
];

/// `explain --json --rules rule --path path` on `input` (plus `extra`): the rule's why-not steps.
fn why_not(rule: &str, input: &str, path: &str, extra: &[&str]) -> Vec<(String, String)> {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .current_dir(REPO)
        .args(["explain", "--json", "--rules", rule, "--path", path])
        .args(extra)
        .arg(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = v["rules"].as_array().unwrap().iter().find(|r| r["rule"] == rule).expect("the rule's verdict");
    assert_eq!(r["alerted"], false, "{r}");
    r["why_not"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap().to_owned(), s["why"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_variant_near_miss_names_the_rule_s_own_step() {
    for (rule, scenario, path, step, says) in NEAR_MISSES {
        let steps = why_not(rule, &format!("tests/scenarios/{scenario}.ndjson"), path, &[]);
        assert!(!steps.is_empty(), "{scenario}");
        for (s, why) in &steps {
            assert_eq!(s, step, "{scenario}: {why}");
            assert!(why.contains(says), "{scenario}: {why}");
            assert!(why.contains("the rule needs"), "{scenario}: {why}");
        }
    }
}

#[test]
fn a_download_cradle_below_min_strength_says_its_link_is_medium() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[linux]\nmin_strength = 'strong'\n").unwrap();
    let input = "tests/scenarios/terminal-cradle-firefox-xterm-curl-sh.ndjson";
    let steps = why_not("terminal-cradle", input, "/usr/bin/bash", &["--config", config.to_str().unwrap()]);
    assert_eq!(
        steps,
        [(
            "strength".to_owned(),
            "a download cradle's link is medium (no file names an origin), below min_strength strong".to_owned()
        )]
    );
}

#[test]
fn a_file_write_breaks_a_cradle_rule_at_the_cradle() {
    let steps = why_not("terminal-cradle", "data/samples/sample.ndjson", FILE, &[]);
    assert!(!steps.is_empty());
    for (step, why) in &steps {
        assert_eq!(step, "cradle", "{why}");
        assert!(why.starts_with("the anchor is a file write, not a download cradle's start"), "{why}");
    }
}
