//! The page: header, sortable alert table, one section per alert, inline style and script.

use std::collections::HashMap;
use std::fmt::Write as _;

use clickchain::alert::{fmt_time, Alert, FollowOn};

use super::escape::Escaped;
use super::{lineage, Report};

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");
/// Nothing may be fetched: the page is complete as written.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

/// The whole page for `report`.
pub(super) fn render(report: &Report) -> String {
    let mut by_alert: HashMap<&str, Vec<&FollowOn>> = HashMap::new();
    for f in &report.follow_ons {
        by_alert.entry(f.alert_id.as_str()).or_default().push(f);
    }
    let shown: usize = report.alerts.iter().map(|a| by_alert.get(a.id.as_str()).map_or(0, Vec::len)).sum();
    let unmatched = report.follow_ons.len() - shown.min(report.follow_ons.len());

    let mut p = String::with_capacity(16 * 1024 + report.alerts.len() * 4096);
    let _ = write!(
        p,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{POLICY}"><meta name="viewport" content="width=device-width, initial-scale=1"><title>clickchain report</title><style>{STYLE}</style></head><body>"#
    );
    let _ = write!(
        p,
        "<header><h1>clickchain report</h1><p class=\"summary\"><span id=\"alert-count\">{}</span> alerts, {} follow-ons. \
         Technique T1204.001 (User Execution: Malicious Link), detection strategy DET0066.</p>",
        report.alerts.len(),
        report.follow_ons.len()
    );
    if report.dropped_alerts > 0 || report.dropped_follow_ons > 0 {
        let _ = write!(
            p,
            "<p class=\"truncated\" id=\"truncated\">Truncated: {} more alerts and {} more follow-ons were found \
             but are not in this report (it keeps at most {} alerts and {} follow-ons); the NDJSON or CSV output has them all.</p>",
            report.dropped_alerts,
            report.dropped_follow_ons,
            report.alerts.len(),
            report.follow_ons.len()
        );
    }
    if unmatched > 0 {
        let _ = write!(p, "<p class=\"truncated\">{unmatched} follow-ons belong to alerts not in this report.</p>");
    }
    p.push_str("</header>");
    table(&mut p, &report.alerts, &by_alert);
    for a in &report.alerts {
        section(&mut p, a, by_alert.get(a.id.as_str()).map_or(&[][..], Vec::as_slice));
    }
    let _ = writeln!(p, "<script>{SCRIPT}</script></body></html>");
    p
}

fn table(p: &mut String, alerts: &[Alert], by_alert: &HashMap<&str, Vec<&FollowOn>>) {
    p.push_str(
        "<table id=\"alerts\"><thead><tr>\
         <th data-type=\"text\" aria-sort=\"ascending\">Time</th><th data-type=\"text\">Host</th>\
         <th data-type=\"text\">Analytic</th><th data-type=\"number\">Score</th>\
         <th data-type=\"text\">Strength</th><th data-type=\"text\">Domain</th>\
         <th data-type=\"text\">File</th><th data-type=\"number\">Follow-ons</th>\
         <th data-type=\"text\">Alert id</th></tr></thead><tbody>",
    );
    for a in alerts {
        let domain = a.egress.as_ref().map(|e| e.domain.as_deref().unwrap_or(&e.ip)).unwrap_or("");
        let follow_ons = by_alert.get(a.id.as_str()).map_or(0, Vec::len);
        let _ = write!(
            p,
            "<tr class=\"alert-row\" data-alert-id=\"{id}\"><td class=\"time\">{time}</td><td>{host}</td><td>{analytic}</td>\
             <td class=\"num\">{score}</td><td>{strength}</td><td class=\"domain\">{domain}</td><td class=\"path\">{path}</td>\
             <td class=\"num\">{follow_ons}</td><td><a href=\"#alert-{id}\">{id}</a></td></tr>",
            id = Escaped(&a.id),
            time = fmt_time(&a.time),
            host = Escaped(&a.host),
            analytic = a.analytic,
            score = a.score,
            strength = a.strength.map_or("-", |s| s.as_str()),
            domain = Escaped(domain),
            path = Escaped(&a.write.path),
        );
    }
    p.push_str("</tbody></table>");
}

fn row(p: &mut String, name: &str, value: &str) {
    let _ = write!(p, "<dt>{name}</dt><dd>{}</dd>", Escaped(value));
}

/// The lineage processes as a table: image, pid, id, user, start, command line.
fn processes(p: &mut String, a: &Alert) {
    if a.processes.is_empty() {
        return;
    }
    p.push_str(
        "<h3>Processes</h3><table class=\"processes\"><thead><tr><th>Image</th><th>pid</th><th>Process id</th>\
         <th>User</th><th>Started</th><th>Command line</th></tr></thead><tbody>",
    );
    for (depth, proc) in a.processes.iter().enumerate() {
        let cut = if proc.command_line_truncated { " [cut]" } else { "" };
        let _ = write!(
            p,
            "<tr><td class=\"path\">{indent}{image}</td><td class=\"num\">{pid}</td><td>{id}</td><td>{user}</td>\
             <td class=\"time\">{start}</td><td class=\"path\">{cmd}{cut}</td></tr>",
            indent = "&nbsp;&nbsp;".repeat(depth),
            image = Escaped(&proc.image),
            pid = proc.pid.map(|n| n.to_string()).unwrap_or_default(),
            id = Escaped(proc.process_id.as_deref().unwrap_or("")),
            user = Escaped(proc.user.as_deref().unwrap_or("")),
            start = proc.start.as_ref().map(fmt_time).unwrap_or_default(),
            cmd = Escaped(proc.command_line.as_deref().unwrap_or("")),
        );
    }
    p.push_str("</tbody></table>");
}

fn section(p: &mut String, a: &Alert, follow_ons: &[&FollowOn]) {
    let _ = write!(
        p,
        "<section class=\"alert\" id=\"alert-{id}\"><h2>{time} · {host} · {analytic} · score {score}</h2><dl>",
        id = Escaped(&a.id),
        time = fmt_time(&a.time),
        host = Escaped(&a.host),
        analytic = a.analytic,
        score = a.score,
    );
    row(p, "alert id", &a.id);
    row(p, "finding", a.finding.as_str());
    row(p, "rule", &a.rule);
    if let Some(c) = &a.click {
        let how = if c.observed { "observed" } else { "inferred" };
        row(p, "click", &format!("{} ({how}) {}", fmt_time(&c.time), c.url.as_deref().unwrap_or("")));
    }
    if let Some(e) = &a.egress {
        row(p, "egress", &format!("{} {} → {}:{}", fmt_time(&e.time), e.process, e.ip, e.port));
        let name = e.domain.as_deref().unwrap_or("(no name)");
        row(p, "destination", &format!("{name}, name from {}", e.domain_source));
        let reasons: Vec<&str> = e.reasons.iter().map(|r| r.as_str()).collect();
        row(p, "untrusted", &format!("risk {}: {}", e.risk, reasons.join(", ")));
    }
    let w = &a.write;
    row(p, "write", &format!("{} {} → {}", fmt_time(&w.time), w.process, w.path));
    if let Some(from) = &w.renamed_from {
        row(p, "renamed from", from);
    }
    if let Some(origin) = &w.origin_url {
        row(p, "origin", origin);
    }
    if let Some(hash) = &a.file_hash {
        row(p, "file hash", hash);
    }
    for why in &a.reasons {
        row(p, "why", why);
    }
    row(p, "lineage", &a.lineage.join(" > "));
    if a.replaced_invalid_utf8 {
        row(p, "note", "some text held bytes that were not valid UTF-8: replaced by U+FFFD");
    }
    p.push_str("</dl>");
    processes(p, a);
    if a.evidence_by_role.is_empty() {
        p.push_str("<dl>");
        row(p, "evidence", &a.evidence.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "));
        p.push_str("</dl>");
    } else {
        p.push_str("<h3>Evidence</h3><ul class=\"evidence\">");
        for e in &a.evidence_by_role {
            let _ = write!(p, "<li><b>{}</b> {}</li>", e.role.as_str(), Escaped(&e.source.to_string()));
        }
        p.push_str("</ul>");
    }
    p.push_str(&lineage::svg(a, follow_ons));
    if !follow_ons.is_empty() {
        p.push_str("<h3>Follow-ons</h3><ul class=\"follow-ons\">");
        for f in follow_ons {
            let evidence: Vec<String> = f.evidence.iter().map(|s| s.to_string()).collect();
            let _ = write!(
                p,
                "<li>{} <b>{}</b> {} by {} <span class=\"evidence\">({})</span></li>",
                fmt_time(&f.time),
                f.kind,
                Escaped(&f.path),
                Escaped(&f.process),
                Escaped(&evidence.join(", "))
            );
        }
        p.push_str("</ul>");
    }
    p.push_str("<p><a href=\"#alerts\">back to the table</a></p></section>");
}
