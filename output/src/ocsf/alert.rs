//! An alert as a Detection Finding with activity Create.

use clickchain::alert::{fmt_time, Alert, Strength};
use serde_json::{json, Value};

use super::parts::{self, millis, observable, Activity};

/// `severity_id` from the alert's score: 90 and up High, 70 Medium, 50 Low, below Informational.
fn severity_id(score: u8) -> u8 {
    match score {
        90.. => 4,
        70..=89 => 3,
        50..=69 => 2,
        _ => 1,
    }
}

/// `confidence_id` and caption from the link strength.
fn confidence(strength: Option<Strength>) -> (u8, &'static str) {
    match strength {
        Some(Strength::Strong) => (3, "High"),
        Some(Strength::Medium) => (2, "Medium"),
        Some(Strength::Weak) => (1, "Low"),
        None => (0, "Unknown"),
    }
}

/// The Detection Finding for `a` (`docs/alerts.md`, "OCSF mapping").
pub fn alert_finding(a: &Alert) -> Value {
    let start = a.click.as_ref().map_or(a.time, |c| c.time.min(a.time));
    let (confidence_id, confidence) = confidence(a.strength);
    let mut inputs: Vec<&str> = a.evidence.iter().map(|s| &*s.input).collect();
    inputs.sort_unstable();
    inputs.dedup();

    let mut finding = parts::classification(Activity::Create, severity_id(a.score));
    let title = format!("Malicious link: {} on {}", parts::file_name(&a.write.path), a.host);
    let extra = json!({
        "time": millis(&a.time),
        "start_time": millis(&start),
        "end_time": millis(&a.time),
        "message": title,
        "status_id": 1,
        "status": "New",
        "confidence_id": confidence_id,
        "confidence": confidence,
        "risk_score": a.score,
        "finding_info": {
            "uid": a.id,
            "title": title,
            "desc": description(a),
            "analytic": parts::analytic(a.analytic),
            "attacks": [parts::attack()],
            "types": [a.finding.as_str()],
            "created_time": millis(&a.time),
            "first_seen_time": millis(&start),
            "last_seen_time": millis(&a.time),
            "data_sources": inputs,
            "src_url": "https://attack.mitre.org/techniques/T1204/001/",
        },
        "device": parts::device(&a.host, a.analytic),
        "evidences": evidences(a),
        "observables": observables(a),
        "unmapped": { "clickchain": {
            "rule": a.rule,
            "finding": a.finding.as_str(),
            "strength": a.strength.map(|s| s.as_str()),
            "lineage": a.lineage,
            "processes": a.processes,
            "evidence": a.evidence.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "evidence_by_role": a.evidence_by_role,
            "reasons": a.reasons,
            "file_hash": a.file_hash,
            "replaced_invalid_utf8": a.replaced_invalid_utf8,
        }},
    });
    finding.extend(parts::object(extra));
    // Only when asked (`scan --explain`): a normal run's findings stay as they were.
    if let Some(d) = &a.derivation {
        let ours = finding.get_mut("unmapped").and_then(|u| u.get_mut("clickchain")).and_then(Value::as_object_mut);
        if let Some(ours) = ours {
            ours.insert("derivation".to_owned(), serde_json::json!(d));
        }
    }
    Value::Object(finding)
}

fn description(a: &Alert) -> String {
    let mut d = String::new();
    if let Some(c) = &a.click {
        let how = if c.observed { "A link was opened" } else { "A link was inferred" };
        d.push_str(&format!("{how} at {}", fmt_time(&c.time)));
        if let Some(url) = &c.url {
            d.push_str(&format!(" ({url})"));
        }
        d.push_str("; ");
    }
    if let Some(e) = &a.egress {
        let to = e.domain.as_deref().unwrap_or(&e.ip);
        d.push_str(&format!("{} connected to untrusted {to} (risk {}); ", parts::file_name(&e.process), e.risk));
    }
    d.push_str(&format!("{} wrote {}.", parts::file_name(&a.write.process), a.write.path));
    d
}

/// One evidence per step of the chain, named by its role.
fn evidences(a: &Alert) -> Vec<Value> {
    let mut out = Vec::with_capacity(3);
    if let Some(c) = &a.click {
        let mut click = json!({
            "name": "click",
            "data": { "time": fmt_time(&c.time), "observed": c.observed, "link_root": a.lineage.first() },
        });
        if let Some(url) = &c.url {
            click["url"] = json!({ "url_string": url });
        }
        out.push(click);
    }
    if let Some(e) = &a.egress {
        let mut endpoint = json!({ "ip": e.ip, "port": e.port });
        if let Some(domain) = &e.domain {
            endpoint["hostname"] = domain.as_str().into();
        }
        out.push(json!({
            "name": "egress",
            "dst_endpoint": endpoint,
            "data": {
                "time": fmt_time(&e.time),
                "process": e.process,
                "process_pid": a.processes.iter().find(|p| p.image == e.process).and_then(|p| p.pid),
                "domain_source": e.domain_source.as_str(),
                "registrable_domain": e.registrable_domain,
                "risk": e.risk,
                "reasons": e.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            },
        }));
    }
    let w = &a.write;
    let mut file = parts::file(&w.path);
    if let Some(origin) = &w.origin_url {
        file.insert("url".into(), json!({ "url_string": origin }));
    }
    out.push(json!({
        "name": "write",
        "file": file,
        "data": {
            "time": fmt_time(&w.time),
            "process": w.process,
            "process_pid": a.processes.last().and_then(|p| p.pid),
            "process_command_line": a.processes.last().and_then(|p| p.command_line.as_deref()),
            "process_user": a.processes.last().and_then(|p| p.user.as_deref()),
            "renamed_from": w.renamed_from,
            "quarantine": w.quarantine,
        },
    }));
    out
}

/// Domain, address, URL, file and process values, each with where it sits in the finding.
fn observables(a: &Alert) -> Vec<Value> {
    let mut out = vec![observable("device.hostname", 1, "Hostname", &a.host)];
    if let Some(url) = a.click.as_ref().and_then(|c| c.url.as_deref()) {
        out.push(observable("evidences.url.url_string", 6, "URL String", url));
    }
    if let Some(e) = &a.egress {
        if let Some(domain) = &e.domain {
            out.push(observable("evidences.dst_endpoint.hostname", 1, "Hostname", domain));
        }
        out.push(observable("evidences.dst_endpoint.ip", 2, "IP Address", &e.ip));
    }
    out.push(observable("evidences.file.path", 45, "File Path", &a.write.path));
    out.push(observable("evidences.file.name", 7, "File Name", parts::file_name(&a.write.path)));
    let mut lineage: Vec<&str> = a.lineage.iter().map(|p| parts::file_name(p)).collect();
    lineage.sort_unstable();
    lineage.dedup();
    for name in &lineage {
        out.push(observable("unmapped.clickchain.lineage", 9, "Process Name", name));
    }
    let mut actors: Vec<&str> = a.egress.iter().map(|e| parts::file_name(&e.process)).collect();
    actors.push(parts::file_name(&a.write.process));
    actors.dedup();
    for name in actors.into_iter().filter(|n| !lineage.contains(n)) {
        out.push(observable("evidences.data.process", 9, "Process Name", name));
    }
    out
}
