use std::io::Cursor;

use clickchain_adapters::ecs::EcsReader;
use clickchain_adapters::winevent::WinEventReader;
use clickchain_adapters::{Event, EventKind, Origin, Os};
use serde_json::Value;

use super::*;
use crate::{generate, Evasions, Params};

fn stream() -> crate::Stream {
    generate(&Params {
        hosts: 4,
        events: 8_000,
        seed: 21,
        chains_per_million: 2_000.0,
        evasions: Evasions::all(0.4),
        ..Params::default()
    })
}

/// What ECS carries of a native event: origins lose zone, agent and quarantine.
fn ecs_form(e: &Event) -> (String, String, Option<Os>, EventKind) {
    let mut kind = e.kind.clone();
    if let EventKind::FileWrite { origin, .. } = &mut kind {
        *origin = origin
            .take()
            .map(|o| Box::new(Origin { url: o.url, referrer: o.referrer, ..Origin::default() }))
            .filter(|o| **o != Origin::default());
    }
    (e.time.to_rfc3339(), e.host.clone(), e.os, kind)
}

#[test]
fn ecs_reads_back_as_the_same_events() {
    let s = stream();
    let mut buf = Vec::new();
    let written = ecs(&s, &mut buf).unwrap();
    let kept: Vec<&Event> = s.events.iter().filter(|e| to_ecs(e).is_ok()).collect();
    assert_eq!(written.records as usize, kept.len());
    assert_eq!(written.records + written.dropped_total(), s.events.len() as u64);
    let url_opens = s.events.iter().filter(|e| matches!(e.kind, EventKind::UrlOpen { .. })).count();
    let attrs = s.events.iter().filter(|e| matches!(e.kind, EventKind::FileAttr { .. })).count();
    assert_eq!(
        (written.dropped.get("url_open"), written.dropped.get("file_attr")),
        (Some(&(url_opens as u64)), Some(&(attrs as u64)))
    );
    let back: Vec<Event> = EcsReader::new("ecs", &buf[..]).map(|r| r.unwrap()).collect();
    assert_eq!(back.len(), kept.len());
    for (a, b) in kept.iter().zip(&back) {
        assert_eq!(ecs_form(a), ecs_form(b));
    }
}

/// The agreed field names, nested, and the agreed value shapes.
#[test]
fn ecs_documents_use_the_agreed_fields() {
    let s = stream();
    let mut buf = Vec::new();
    ecs(&s, &mut buf).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    fn walk(prefix: &str, v: &Value, seen: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| walk(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, seen)),
            _ => {
                seen.insert(prefix.to_owned());
            }
        }
    }
    for line in buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let doc: Value = serde_json::from_slice(line).unwrap();
        let ts = doc["@timestamp"].as_str().unwrap();
        assert!(ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
        assert!(["windows", "linux", "macos"].contains(&doc["host"]["os"]["type"].as_str().unwrap()));
        assert!(doc["event"]["category"].is_array() && doc["event"]["type"].is_array());
        walk("", &doc, &mut seen);
    }
    let agreed = [
        "@timestamp",
        "host.name",
        "host.os.type",
        "event.category",
        "event.type",
        "event.action",
        "process.entity_id",
        "process.pid",
        "process.executable",
        "process.command_line",
        "process.parent.entity_id",
        "process.parent.pid",
        "user.name",
        "destination.ip",
        "destination.port",
        "destination.domain",
        "dns.question.name",
        "dns.resolved_ip",
        "file.path",
        "file.Ext.original.path",
        "file.origin_url",
        "file.origin_referrer_url",
    ];
    let seen: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(seen, {
        let mut a = agreed.to_vec();
        a.sort_unstable();
        a
    });
}

#[test]
fn sysmon_writes_the_windows_events_and_counts_the_rest() {
    let s = stream();
    let mut buf = Vec::new();
    let written = sysmon(&s, &mut buf).unwrap();
    let windows = s.events.iter().filter(|e| e.os == Some(Os::Windows)).count() as u64;
    let url_opens =
        s.events.iter().filter(|e| e.os == Some(Os::Windows) && matches!(e.kind, EventKind::UrlOpen { .. })).count()
            as u64;
    assert_eq!(written.dropped["not_windows"], s.events.len() as u64 - windows);
    assert_eq!(written.dropped.get("url_open").copied().unwrap_or(0), url_opens);
    assert_eq!(written.records + written.dropped_total(), s.events.len() as u64);
    assert!(written.summary().contains("not_windows"));
    // As Sysmon's, every record names its process's pid and image, and a start its parent's.
    let lines: Vec<Value> =
        buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
    let sysmon_records = lines.iter().filter(|r| r.get("ProcessGuid").is_some());
    for r in sysmon_records {
        assert!(r["ProcessId"].as_str().is_some_and(|p| p.parse::<u32>().is_ok()) && r["Image"].is_string(), "{r}");
        if r["EventID"] == 1 && r.get("ParentProcessGuid").is_some() {
            assert!(r["ParentProcessId"].is_string() && r["ParentImage"].is_string(), "{r}");
        }
    }
    let reader = WinEventReader::json("sysmon", Cursor::new(buf));
    let tally = reader.tally();
    let mut n = 0;
    for r in reader {
        let e = r.unwrap();
        assert!(e.host.starts_with("WS-"), "{e:?}");
        n += 1;
    }
    assert!(n > 0);
    // Every process is logged starting: the reader builds no start.
    assert_eq!(tally.snapshot().starts_built, 0);
}

#[test]
fn files_and_labels() {
    let s = stream();
    let dir = std::env::temp_dir().join(format!("clickchain-synth-test-{}", std::process::id()));
    let written = to_dir(&s, &dir, &Format::parse_list("ecs,native").unwrap()).unwrap();
    let names: Vec<String> =
        written.iter().map(|w| w.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["stream.ndjson", "stream.ecs.ndjson", "labels.json"]);
    let labels: Value = serde_json::from_slice(&std::fs::read(dir.join("labels.json")).unwrap()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(labels, s.labels());
    let chains = labels["chains"].as_array().unwrap();
    assert_eq!(chains.len(), s.chains.len());
    for (l, c) in chains.iter().zip(&s.chains) {
        assert_eq!(l["final_path"], c.final_path.as_str());
        assert_eq!(l["analytic"], c.analytic());
        assert_eq!(l["expected_in"].as_array().unwrap().iter().any(|f| f == "sysmon"), c.os == Os::Windows);
        assert_eq!(l["evasions"].as_array().unwrap().len(), c.evasions.len());
        assert_eq!(l["records"][0].as_u64().unwrap() as usize, c.events[0] + 1);
    }
    assert_eq!(labels["decoys"].as_array().unwrap().len(), s.decoys.len());
    assert!(Format::parse_list("all").unwrap() == Format::ALL);
    assert!(Format::parse_list("native,xml").is_err());
}
