//! The HTML report: every alert in the table and in a section, hostile strings escaped, the
//! cap counted; rendered in headless Chromium, which must show every alert.

#[path = "common/sample.rs"]
mod sample;

use std::path::{Path, PathBuf};
use std::process::Command;

use clickchain::alert::fmt_time;
use clickchain::sink::Sink;
use clickchain::Record;
use clickchain_output::{FinishSink, HtmlReport};

const CHROMIUM: &str = "/usr/bin/chromium";

fn html_of(records: Vec<Record>, caps: Option<(usize, usize)>) -> String {
    let mut out = Vec::new();
    {
        let mut sink = match caps {
            Some((alerts, follow_ons)) => HtmlReport::with_caps(&mut out, alerts, follow_ons),
            None => HtmlReport::new(&mut out),
        };
        for r in records {
            sink.emit(r).unwrap();
        }
        sink.flush().unwrap();
        FinishSink::finish(&mut sink).unwrap();
    }
    String::from_utf8(out).unwrap()
}

/// The sample's records plus one alert full of hostile strings.
fn records_with_hostile() -> Vec<Record> {
    let mut records = sample::sample_records();
    let hostile = sample::hostile_alert(&records);
    records.push(Record::Alert(Box::new(hostile)));
    records
}

fn alert_ids(records: &[Record]) -> Vec<String> {
    sample::sample_alerts(records).iter().map(|a| a.id.clone()).collect()
}

#[test]
fn every_alert_has_a_row_and_a_section_and_nothing_is_fetched() {
    let records = records_with_hostile();
    let ids = alert_ids(&records);
    let html = html_of(records, None);
    for id in &ids {
        assert_eq!(html.matches(&format!("<tr class=\"alert-row\" data-alert-id=\"{id}\"")).count(), 1, "{id}");
        assert_eq!(html.matches(&format!("<section class=\"alert\" id=\"alert-{id}\"")).count(), 1, "{id}");
    }
    assert_eq!(html.matches("<svg class=\"lineage\"").count(), ids.len());
    // Each alert names the rule that fired.
    assert_eq!(html.matches("<dt>rule</dt><dd>chain</dd>").count(), ids.len());
    for fetch in ["src=\"http", "href=\"http", "url(", "@import", "<link"] {
        assert!(!html.contains(fetch), "the page fetches something: {fetch}");
    }
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn hostile_strings_are_escaped() {
    let html = html_of(records_with_hostile(), None);
    // Only the page's own script and svg elements exist.
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches("</svg>").count(), html.matches("<svg ").count());
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>bold"));
    assert!(html.contains("&lt;script&gt;document.body.id=&#39;pwned&#39;&lt;/script&gt;&quot;&#39;.exe"));
    assert!(html.contains("x&lt;/svg&gt;&lt;script&gt;"));
    assert!(html.contains("C:\\a &quot;quoted&quot; &#39;single&#39; &amp; &lt;tag&gt;.exe"));
}

#[test]
fn records_past_the_cap_are_counted() {
    let records = sample::sample_records();
    let alerts = sample::sample_alerts(&records).len();
    let follow_ons = records.len() - alerts;
    let html = html_of(records, Some((1, 2)));
    assert_eq!(html.matches("<tr class=\"alert-row\"").count(), 1);
    assert!(
        html.contains(&format!("Truncated: {} more alerts and {} more follow-ons", alerts - 1, follow_ons - 2)),
        "{html}"
    );
}

#[test]
fn an_empty_run_is_a_page_without_rows() {
    let html = html_of(Vec::new(), None);
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(html.contains("<span id=\"alert-count\">0</span> alerts"));
    assert_eq!(html.matches("<tr class=\"alert-row\"").count(), 0);
}

/// Chromium with no network, no first-run work and a fresh profile; `None` when it is not
/// installed (a failure instead with `CLICKCHAIN_REQUIRE_CHROMIUM=1`).
fn chromium(profile: &Path) -> Option<Command> {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CLICKCHAIN_REQUIRE_CHROMIUM").is_none_or(|v| v != "1"),
            "{CHROMIUM} not found but CLICKCHAIN_REQUIRE_CHROMIUM=1 (run .ci/install-test-deps.sh)"
        );
        eprintln!(
            "skipped: HTML browser test, chromium not found at {CHROMIUM} (.ci/install-test-deps.sh installs it)"
        );
        return None;
    }
    let mut c = Command::new(CHROMIUM);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    Some(c)
}

/// The page's file, and each alert's time and id in the order they were written.
fn write_report(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    let records = records_with_hostile();
    let alerts = sample::sample_alerts(&records).iter().map(|a| (fmt_time(&a.time), a.id.clone())).collect();
    let page = dir.join("report.html");
    std::fs::write(&page, html_of(records, None)).unwrap();
    (page, alerts)
}

#[test]
fn chromium_shows_every_alert() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut chromium) = chromium(&dir.path().join("profile")) else { return };
    let (page, times) = write_report(dir.path());
    let ids: Vec<&String> = times.iter().map(|(_, id)| id).collect();
    let out = chromium.arg("--dump-dom").arg(format!("file://{}", page.display())).output().unwrap();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8_lossy(&out.stdout);
    // The script ran (it marks the table sortable and sorts by time) ...
    assert!(dom.contains("data-sortable=\"ready\""), "the page's script did not run:\n{dom}");
    // ... every alert is a row and a drawn lineage ...
    for id in &ids {
        assert_eq!(dom.matches(&format!("data-alert-id=\"{id}\"")).count(), 1, "row for {id}");
        assert_eq!(dom.matches(&format!("id=\"alert-{id}\"")).count(), 1, "section for {id}");
    }
    assert_eq!(dom.matches("<svg class=\"lineage\"").count(), ids.len());
    // ... in time order (the hostile alert, written last, shares the first alert's time) ...
    let shown: Vec<&str> = dom.split("data-alert-id=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    let mut by_time = times;
    by_time.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(shown, by_time.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>());
    // ... and no hostile string became markup or ran.
    assert!(!dom.contains("pwned\""), "an injected script or handler ran");
    assert_eq!(dom.matches("<script").count(), 1);
    assert!(!dom.contains("<img"));
}

/// With `CLICKCHAIN_HTML_SCREENSHOT=FILE`, also saves a screenshot of the report there.
#[test]
fn chromium_screenshot_when_asked() {
    let Some(target) = std::env::var_os("CLICKCHAIN_HTML_SCREENSHOT") else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(mut chromium) = chromium(&dir.path().join("profile")) else { return };
    let (page, _) = write_report(dir.path());
    let shot = Path::new(&target);
    let out = chromium
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,2400")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success() && shot.exists(), "{}", String::from_utf8_lossy(&out.stderr));
}
