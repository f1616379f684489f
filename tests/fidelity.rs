//! Telemetry as it really arrives: browser processes whose start was never logged (Sysmon
//! configurations that leave out Chromium children, a second source naming a pid the first never
//! saw start). Fixtures in `tests/data/fidelity/`, written by `make_fixtures.py` there; every
//! input goes through `--format auto` detection.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use clickchain::alert::Alert;
use clickchain::input::{self, InputOptions};
use clickchain::{Config, Engine, Record, Stats};
use clickchain_adapters::Event;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fidelity").join(name)
}

/// The alerts and counters of a run over `files` (merged by time), at default settings.
fn run(files: &[&str]) -> (Vec<Alert>, Stats) {
    let options = InputOptions { default_host: "mbp-7".into(), ..InputOptions::default() };
    let mut events: Vec<Event> = Vec::new();
    for f in files {
        let opened = input::open(&fixture(f), &options, Arc::new(AtomicU64::new(0))).unwrap();
        for r in opened.records {
            events.push(r.unwrap_or_else(|e| panic!("{f}: {e}")));
        }
    }
    events.sort_by_key(|e| e.time);
    let mut engine = Engine::new(Config::default()).unwrap();
    engine.set_now("2025-01-01T00:00:00Z".parse().unwrap());
    for e in events {
        engine.push(e);
    }
    engine.finish();
    let alerts = engine
        .drain()
        .into_iter()
        .filter_map(|r| match r {
            Record::Alert(a) => Some(*a),
            _ => None,
        })
        .collect();
    (alerts, engine.stats().clone())
}

#[test]
fn sysmon_child_without_start_joins_the_root_of_its_image_and_user() {
    let (alerts, stats) = run(&["child-no-start.sysmon.jsonl"]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert!(a.lineage_inferred, "the child's link to the browser was inferred");
    assert_eq!(a.egress.as_ref().and_then(|e| e.domain.as_deref()), Some("dl.invoice-portal.top"));
    assert_eq!(a.strength, Some(clickchain::alert::Strength::Strong));
    assert_eq!(stats.classified.inferred_links, 1);
    let json = Record::Alert(Box::new(a.clone())).to_json();
    assert!(json.contains(r#""lineage_inferred":true"#), "{json}");
}

#[test]
fn sysmon_child_of_another_user_is_not_attached() {
    let (alerts, stats) = run(&["child-no-start-other-user.sysmon.jsonl"]);
    assert!(alerts.is_empty(), "{alerts:?}");
    assert_eq!(stats.classified.inferred_links, 0);
}

#[test]
fn sysmon_child_with_two_candidate_roots_is_not_attached() {
    let (alerts, stats) = run(&["child-no-start-two-sessions.sysmon.jsonl"]);
    assert!(alerts.is_empty(), "two live browsers of the user: {alerts:?}");
    assert_eq!(stats.classified.inferred_links, 0);
}

#[test]
fn sysmon_browser_and_child_both_without_start_are_one_lineage() {
    let (alerts, stats) = run(&["main-and-child-no-start.sysmon.jsonl"]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].lineage_inferred);
    assert_eq!(alerts[0].lineage.len(), 2, "{:?}", alerts[0].lineage);
    assert_eq!(stats.classified.inferred_links, 1);
}

#[test]
fn ecs_connection_of_a_helper_eslogger_never_started_joins_its_parent() {
    let (alerts, stats) = run(&["mac-browser.eslogger.jsonl", "mac-helper-of-chrome.ecs.ndjson"]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert!(a.lineage_inferred);
    assert_eq!(a.write.path, "/Users/carol/Downloads/PayrollUpdate.dmg");
    assert_eq!(a.egress.as_ref().and_then(|e| e.domain.as_deref()), Some("payroll-update.monster"));
    assert_eq!(stats.classified.inferred_links, 1, "one built start per helper, not per record");
    assert_eq!(stats.classified.built_starts, 1);
}

#[test]
fn ecs_connection_of_a_helper_under_another_parent_is_no_egress_of_the_browser() {
    let (alerts, _) = run(&["mac-browser.eslogger.jsonl", "mac-helper-of-terminal.ecs.ndjson"]);
    assert!(alerts.is_empty(), "{alerts:?}");
}

#[test]
fn winlogbeat_sysmon_moved_to_ecs_is_read_as_sysmon() {
    let (alerts, stats) = run(&["winlog-ecs-chain.jsonl"]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    let egress = a.egress.as_ref().unwrap();
    assert_eq!(
        egress.domain.as_deref(),
        Some("dl.invoice-portal.top"),
        "the DNS answer names it, not the reverse lookup"
    );
    assert_eq!(a.strength, Some(clickchain::alert::Strength::Strong));
    assert_eq!(a.write.path, r"C:\Users\alice\Downloads\Invoice_0612.exe");
    assert_eq!(a.write.renamed_from.as_deref(), Some(r"C:\Users\alice\Downloads\Unconfirmed 55120.crdownload"));
    assert_eq!(a.lineage.len(), 1, "{:?}", a.lineage);
    assert_eq!(stats.classified.inferred_links, 0);
}

#[test]
fn winlogbeat_reverse_lookup_does_not_name_a_connection_a_dns_answer_names() {
    let (alerts, stats) = run(&["winlog-ecs-reverse-lookup-risky.jsonl"]);
    assert!(alerts.is_empty(), "{alerts:?}");
    assert_eq!(stats.classified.egress_trusted, 1, "named officecdn.microsoft.com by its DNS answer");
}

#[test]
fn ecs_without_connections_dns_on_the_origin_domain_stands_for_the_egress() {
    let (alerts, stats) = run(&["ecs-dns-only-origin-domain.ndjson"]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let egress = alerts[0].egress.as_ref().unwrap();
    assert_eq!(egress.source, Some(clickchain::alert::EgressSource::Dns));
    assert_eq!(egress.domain.as_deref(), Some("cdn.invoice-portal.top"));
    assert_eq!(alerts[0].strength, Some(clickchain::alert::Strength::Strong));
    assert_eq!(stats.classified.egress_from_dns, 1);
    let json = Record::Alert(Box::new(alerts[0].clone())).to_json();
    assert!(json.contains(r#""source":"dns""#), "{json}");
}

#[test]
fn ecs_without_connections_dns_on_another_domain_is_no_egress() {
    let (alerts, stats) = run(&["ecs-dns-only-other-domain.ndjson"]);
    assert!(alerts.is_empty(), "{alerts:?}");
    assert_eq!(stats.classified.egress_from_dns, 0);
}
