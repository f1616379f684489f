//! `clickchain scan --explain`: each alert carries its derivation (every atom of its rule with
//! the fact and record that satisfied it), in JSON and in text; without the flag it is absent.

use assert_cmd::Command;
use serde_json::{json, Value};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const EDGE: &str = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe";

fn clickchain() -> Command {
    let mut c = Command::cargo_bin("clickchain").unwrap();
    c.current_dir(REPO);
    c
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn alerts(out: &str) -> Vec<Value> {
    out.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).filter(|v| v["type"] == "alert").collect()
}

fn line(n: u64) -> Value {
    json!({"input": "data/samples/sample.ndjson", "line": n})
}

#[test]
fn scan_explain_json_names_every_atom_with_its_record() {
    let out = stdout(clickchain().args(["scan", "-q", "--explain", "data/samples/sample.ndjson"]));
    let first = &alerts(&out)[0];
    let d = &first["derivation"];
    assert_eq!(d["rule"], "chain");
    assert_eq!(d["link_source"]["link_class"], "mail");
    assert_eq!(d["link_source"]["process"]["record"], line(7));
    let writer: Vec<&Value> = d["writer_path"].as_array().unwrap().iter().map(|p| &p["record"]).collect();
    assert_eq!(writer, [&line(7), &line(193)], "root to writer, each with its start");
    assert_eq!(d["egress_path"].as_array().unwrap().len(), 3, "root, browser, its network child");
    assert_eq!(d["click"]["observed"], true);
    assert_eq!(d["click"]["record"], line(193));
    assert_eq!(d["click"]["url"], "https://invoice-portal.top/view?id=0514", "the alert's click, repeated");
    assert_eq!(d["egress"]["registrable_domain"], "invoice-portal.top");
    assert_eq!(d["egress"]["record"], line(202));
    assert_eq!(d["egress"]["dns_records"], json!([line(201)]), "the answer that named it");
    assert_eq!(d["egress"]["domain_source"], "dns");
    assert_eq!(d["egress"]["threshold"], 60);
    assert!(d["egress"]["why"][0].as_str().unwrap().starts_with("suspicious_tld: suffix `top`"));
    assert_eq!(d["write"]["record"], line(207), "the rename that gave the final name");
    assert_eq!(d["write"]["renamed_from"], r"C:\Users\alice\Downloads\Unconfirmed 481516.crdownload");
    assert_eq!(d["write"]["origin_domain"], "invoice-portal.top");
    assert_eq!(
        d["window"],
        json!({"from": "click", "click_before_egress": true, "egress_before_write": true,
               "egress_to_write_ms": 3700, "elapsed_ms": 12000, "time_window_ms": 900000, "holds": true})
    );
    assert_eq!(d["strength"]["strength"], "strong");
    assert_eq!(d["strength"]["basis"], "origin_on_egress_domain");
    assert_eq!(d["strength"]["min_strength"], "medium");
    assert_eq!(
        d["params"],
        json!({"time_window_ms": 900000, "download_gap_ms": 120000, "min_strength": "medium", "quarantine_grace_ms": 0})
    );
    let kinds: Vec<&str> = d["facts"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["lineage", "click", "egress", "write", "quarantine"], "the rule header's data, in order");
    assert!(d["facts"].as_array().unwrap().iter().all(|f| f["holds"] == true), "{d}");
}

#[test]
fn without_explain_no_alert_carries_a_derivation() {
    let plain = stdout(clickchain().args(["scan", "-q", "data/samples/sample.ndjson"]));
    assert!(!plain.contains("derivation"), "{plain}");
    // The derivation is added, nothing else changes.
    let explained = stdout(clickchain().args(["scan", "-q", "--explain", "data/samples/sample.ndjson"]));
    let stripped: Vec<Value> = explained
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("derivation");
            v
        })
        .collect();
    let plain: Vec<Value> = plain.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(stripped, plain);
}

#[test]
fn rules_explain_in_the_config_file_is_the_same_as_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[rules]\nexplain = true\n").unwrap();
    let out = stdout(clickchain().args(["scan", "-q", "--config"]).arg(&config).arg("data/samples/sample.ndjson"));
    assert!(alerts(&out).iter().all(|a| a["derivation"].is_object()), "{out}");
    std::fs::write(&config, "[rules]\nexplain = 'yes'\n").unwrap();
    let out =
        clickchain().args(["scan", "-q", "--config"]).arg(&config).arg("data/samples/sample.ndjson").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rules.explain"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn scan_explain_text_shows_the_derivation_readably() {
    let out = stdout(clickchain().args(["scan", "-q", "--explain", "--output", "text", "data/samples/sample.ndjson"]));
    let want = [
        "  derivation (rule chain)",
        r"    link source  C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE (mail) [data/samples/sample.ndjson:line 7]",
        "    click        observed 2024-05-14T09:10:00.000Z https://invoice-portal.top/view?id=0514 [data/samples/sample.ndjson:line 193]",
        "                 dns answer [data/samples/sample.ndjson:line 201]",
        "    window       click ≤ egress ≤ write; write − click = 12 s ≤ time_window 900 s: holds",
        "    params       time_window 900 s, download_gap 120 s, min_strength medium, quarantine_grace 0 s",
        "    fact quarantine   not a QuarantinePolicy candidate: holds",
    ];
    for w in want {
        assert!(out.lines().any(|l| l == w), "missing {w:?} in\n{out}");
    }
    let plain = stdout(clickchain().args(["scan", "-q", "--output", "text", "data/samples/sample.ndjson"]));
    assert!(!plain.contains("derivation"), "{plain}");
}

/// A native event on host T-2 at 2024-06-03T`t`.
fn ev(t: &str, kind: &str, body: Value) -> String {
    let mut v = json!({"time": format!("2024-06-03T{t}Z"), "host": "T-2", "os": "windows", "kind": kind});
    v.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    v.to_string()
}

/// Browser `{b}` (under Explorer, started with `cmd`) connects to `domain` at each `(time, domain)`
/// then writes `Downloads\tool.exe` at `write_at`.
fn one_browser(cmd: Option<String>, egress: &[(&str, &str)], write_at: &str) -> Vec<String> {
    let mut start = json!({"proc": "{b}", "parent": "{x}", "image": EDGE});
    if let Some(cmd) = cmd {
        start["command_line"] = json!(cmd);
    }
    let mut lines = vec![
        ev("09:00:00.000", "process_start", json!({"proc": "{x}", "image": r"C:\Windows\explorer.exe"})),
        ev("09:00:01.000", "process_start", start),
    ];
    for (i, (t, domain)) in egress.iter().enumerate() {
        let ip = format!("203.0.113.{}", 9 + i);
        lines.push(ev(t, "connect", json!({"proc": "{b}", "dst_ip": ip, "dst_port": 443, "domain": domain})));
    }
    let path = r"C:\Users\dan\Downloads\tool.exe";
    lines.push(ev(write_at, "file_write", json!({"proc": "{b}", "path": path, "op": "create"})));
    lines
}

fn scan_stdin(args: &[&str], lines: &[String]) -> Vec<Value> {
    let out = stdout(clickchain().arg("scan").args(args).arg("-").write_stdin(lines.join("\n") + "\n"));
    alerts(&out)
}

#[test]
fn an_inferred_click_is_measured_from_the_egress_and_a_close_egress_is_medium() {
    // No URL on the browser's command line: the click is inferred at the first egress.
    let lines =
        one_browser(None, &[("09:00:02.000", "a.drop-x.top"), ("09:00:40.000", "b.drop-x.top")], "09:01:02.000");
    let alerts = scan_stdin(&["-q", "--explain"], &lines);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let d = &alerts[0]["derivation"];
    assert_eq!(d["click"]["observed"], false);
    assert_eq!(d["click"]["time"], "2024-06-03T09:00:02.000Z", "the first untrusted egress of the window");
    assert_eq!(d["click"]["record"], Value::Null);
    assert_eq!(d["window"]["from"], "egress");
    assert_eq!(d["window"]["click_before_egress"], Value::Null);
    assert_eq!(d["window"]["egress_to_write_ms"], d["window"]["elapsed_ms"]);
    assert_eq!(d["strength"]["basis"], "within_download_gap");
    assert_eq!(d["strength"]["strength"], "medium");
    let gap = d["window"]["egress_to_write_ms"].as_i64().unwrap();
    assert!(gap <= 120_000, "{d}");
    assert!(d["strength"]["why"].as_str().unwrap().contains("within download_gap 120 s"), "{d}");
    assert_eq!(d["link_source"]["link_class"], "browser");
    assert_eq!(d["write"]["record"], json!({"input": "-", "line": 5}));
}

#[test]
fn a_variant_rule_explains_its_own_fact_kinds() {
    // mail-payload fires on the sample's Thunderbird → xdg-open → Firefox download of a script.
    let out =
        stdout(clickchain().args(["scan", "-q", "--explain", "--rules", "mail-payload", "data/samples/sample.ndjson"]));
    let all = alerts(&out);
    let a = all.iter().find(|a| a["write"]["path"] == "/home/bob/Downloads/q3-report.sh").expect("the script alerts");
    let facts = a["derivation"]["facts"].as_array().unwrap();
    let fact = |kind: &str| facts.iter().find(|f| f["kind"] == kind).unwrap_or_else(|| panic!("{kind}: {facts:?}"));
    assert_eq!(fact("link_class")["needs"], "a mail link source");
    assert!(fact("link_class")["fact"].as_str().unwrap().ends_with("is a mail link source"), "{facts:?}");
    assert_eq!(fact("link_class")["holds"], true);
    assert_eq!(fact("write_ext")["fact"], "the file's extension class is script (`.sh`)");
    assert_eq!(fact("write_ext")["needs"], "a file of class shortcut, disk_image or script");
    assert_eq!(fact("write_ext")["holds"], true);
    assert_eq!(a["derivation"]["rule"], "mail-payload");
}

#[test]
fn redirect_chain_says_which_domains_it_reached() {
    let cmd = format!("\"{EDGE}\" https://short-link.top/a");
    let lines = one_browser(
        Some(cmd),
        &[("09:00:02.000", "short-link.top"), ("09:00:03.000", "files.payload-host.xyz")],
        "09:00:09.000",
    );
    let alerts = scan_stdin(&["-q", "--explain", "--rules", "redirect-chain"], &lines);
    assert!(!alerts.is_empty());
    let facts = alerts[0]["derivation"]["facts"].as_array().unwrap().clone();
    let egress = facts.iter().find(|f| f["kind"] == "egress").unwrap();
    assert_eq!(egress["holds"], true);
    let fact = egress["fact"].as_str().unwrap();
    assert!(fact.contains("reached 2 distinct untrusted domain(s)") && fact.contains("`short-link.top`"), "{fact}");
    assert_eq!(egress["needs"], "two or more distinct untrusted registrable domains");
}

#[test]
fn the_documented_derivation_is_the_sample_s() {
    let doc = include_str!("../../docs/alerts.md");
    let section = doc.split("### Derivation").nth(1).expect("docs/alerts.md has a Derivation section");
    let json = section.split("```json\n").nth(1).and_then(|s| s.split("\n```").next()).unwrap();
    let documented: Value = serde_json::from_str(json).unwrap();
    let out = stdout(clickchain().args(["scan", "-q", "--explain", "data/samples/sample.ndjson"]));
    assert_eq!(documented, alerts(&out)[0]["derivation"]);
}

#[test]
fn ocsf_findings_carry_the_derivation_only_when_asked() {
    let findings = |extra: &[&str]| -> Vec<Value> {
        let out =
            stdout(clickchain().args(["scan", "-q", "--output", "ocsf"]).args(extra).arg("data/samples/sample.ndjson"));
        out.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).filter(|f| f["activity_id"] == 1).collect()
    };
    let explained = findings(&["--explain"]);
    assert!(!explained.is_empty());
    for f in &explained {
        assert_eq!(f["unmapped"]["clickchain"]["derivation"]["rule"], f["unmapped"]["clickchain"]["rule"], "{f}");
    }
    assert!(findings(&[]).iter().all(|f| f["unmapped"]["clickchain"].get("derivation").is_none()));
}

/// The rules whose scenarios in tests/scenarios start with their id.
const VARIANTS: &[&str] = &[
    "office-lolbin",
    "terminal-cradle",
    "motw-removed-run",
    "container-run",
    "html-smuggling",
    "macos-quarantine-stripped",
];

/// `scan --explain --rules rule` on the scenario input file `name` (with its configuration, when
/// it has one).
fn scan_scenario(rule: &str, name: &str) -> Vec<Value> {
    let input = format!("tests/scenarios/{name}");
    let config = format!("tests/scenarios/{}.toml", name.split('.').next().unwrap());
    let mut cmd = clickchain();
    cmd.args(["scan", "-q", "--explain"]);
    if std::path::Path::new(REPO).join(&config).exists() {
        cmd.args(["--config", &config]);
    }
    alerts(&stdout(cmd.args(["--rules", rule]).arg(input)))
}

#[test]
fn each_variant_rule_explains_every_atom_of_its_scenarios() {
    let dir = std::path::Path::new(REPO).join("tests/scenarios");
    let mut inputs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| [".ndjson", ".jsonl", ".audit.log"].iter().any(|x| name.ends_with(x)))
        .collect();
    inputs.sort();
    for rule in VARIANTS {
        let mut explained = 0;
        for input in inputs.iter().filter(|name| name.starts_with(rule)) {
            for a in scan_scenario(rule, input).iter().filter(|a| a["rule"] == *rule) {
                let d = &a["derivation"];
                let at = format!("{rule} on {input}: {d}");
                assert!(!d.to_string().contains("no explanation yet"), "{at}");
                let facts = d["facts"].as_array().unwrap();
                let kinds: Vec<&str> = facts.iter().map(|f| f["kind"].as_str().unwrap()).collect();
                let data = clickchain::logic::rules::rule(rule).unwrap().header.data;
                assert_eq!(kinds, data, "the rule header's data, in order: {at}");
                assert!(facts.iter().all(|f| f["holds"] == true), "{at}");
                assert_eq!(d["window"]["holds"], true, "{at}");
                explained += 1;
            }
        }
        assert!(explained > 0, "{rule}: no scenario alerted");
    }
}

#[test]
fn a_download_cradle_is_measured_from_its_start_within_download_gap() {
    let input = "tests/scenarios/terminal-cradle-firefox-xterm-curl-sh.ndjson";
    let all = scan_scenario("terminal-cradle", "terminal-cradle-firefox-xterm-curl-sh.ndjson");
    let d = &all.iter().find(|a| a["rule"] == "terminal-cradle").expect("the cradle alerts")["derivation"];
    let line = |n: u64| json!({"input": input, "line": n});
    assert_eq!(
        d["window"],
        json!({"from": "cradle", "click_before_egress": null, "egress_before_write": false,
               "egress_to_write_ms": -400, "elapsed_ms": 400, "time_window_ms": 120000, "holds": true})
    );
    assert_eq!(d["strength"]["basis"], "within_download_gap");
    assert_eq!(
        d["strength"]["why"],
        "medium: the egress came 0.4 s after the download cradle started, within download_gap 120 s"
    );
    let fact = |kind: &str| d["facts"].as_array().unwrap().iter().find(|f| f["kind"] == kind).unwrap().clone();
    assert_eq!(fact("cradle")["record"], line(9), "the shell's start");
    assert_eq!(fact("terminal")["record"], line(8), "the terminal's start");
    assert_eq!(fact("egress")["record"], line(13), "the connection");
    let text = stdout(
        clickchain().args(["scan", "-q", "--explain", "--output", "text", "--rules", "terminal-cradle"]).arg(input),
    );
    let want = "    window       cradle start ≤ egress; egress − start = 0.4 s ≤ download_gap 120 s: holds";
    assert!(text.lines().any(|l| l == want), "missing {want:?} in\n{text}");
}
