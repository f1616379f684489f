//! The text report: each alert with its own follow-ons, whatever order they arrive in, and a
//! summary per host and per analytic.

#[path = "common/sample.rs"]
mod sample;

use clickchain::sink::Sink;
use clickchain::Record;
use clickchain_output::{FinishSink, TextReport};
use sample::sample_records;

fn render(records: Vec<Record>, cap: usize) -> String {
    let mut out = Vec::new();
    let mut report = TextReport::with_cap(&mut out, cap);
    for r in records {
        report.emit(r).unwrap();
    }
    report.finish().unwrap();
    drop(report);
    String::from_utf8(out).unwrap()
}

/// The sample's records with every follow-on moved to the end (after other hosts' alerts).
fn follow_ons_last() -> Vec<Record> {
    let (mut alerts, follow_ons): (Vec<Record>, Vec<Record>) =
        sample_records().into_iter().partition(|r| matches!(r, Record::Alert(_)));
    alerts.extend(follow_ons);
    alerts
}

#[test]
fn follow_ons_are_printed_under_their_own_alert() {
    let text = render(follow_ons_last(), 100);
    let mut current = String::new();
    let mut checked = 0;
    for line in text.lines() {
        if let Some(id) = line.split(" id=").nth(1).filter(|_| line.starts_with("ALERT ")) {
            current = id.to_owned();
        }
        if line.trim_start().starts_with("FOLLOW-ON") {
            assert!(line.contains(&format!("(alert {current} ")), "under another alert: {line}\n{text}");
            checked += 1;
        }
    }
    assert!(checked > 0, "{text}");
}

#[test]
fn a_summary_per_host_and_analytic_closes_the_run() {
    let text = render(sample_records(), 100);
    let summary = text.split("SUMMARY\n").nth(1).expect("a summary");
    assert!(summary.contains("4 alerts, 6 follow-ons on 3 hosts"), "{summary}");
    assert!(summary.contains("host WS-042") && summary.contains("1 alerts, 3 follow-ons, top score 93"), "{summary}");
    assert!(summary.contains("analytic AN0180 (macos) 2 alerts"), "{summary}");
}

#[test]
fn past_the_cap_groups_go_out_and_late_follow_ons_name_their_alert() {
    let text = render(follow_ons_last(), 1);
    assert_eq!(text.matches("ALERT ").count(), 4);
    assert_eq!(text.matches("FOLLOW-ON ").count(), 6, "nothing lost: {text}");
    assert!(text.lines().filter(|l| l.contains("FOLLOW-ON")).all(|l| l.contains("host=")), "{text}");
}

#[test]
fn an_empty_run_writes_nothing() {
    assert_eq!(render(Vec::new(), 10), "");
}
