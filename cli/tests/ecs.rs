//! AN0178 and AN0179 from ECS documents alone (Elastic Defend style: entity ids, parents,
//! DNS and network events from the endpoint, origin URLs on files).

use assert_cmd::Command;
use serde_json::{json, Value};

fn doc(t: &str, host: &str, os: &str, category: &str, types: &[&str], body: Value) -> String {
    let mut d = json!({
        "@timestamp": format!("2024-05-14T09:{t}Z"),
        "event": {"kind": "event", "category": [category], "type": types},
        "host": {"name": host, "os": {"type": os}},
    });
    d.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    d.to_string()
}

fn proc_start(t: &str, host: &str, os: &str, id: &str, parent: &str, exe: &str, args: &[&str]) -> String {
    let body = json!({"process": {"entity_id": id, "executable": exe, "args": args, "parent": {"entity_id": parent}}});
    doc(t, host, os, "process", &["start"], body)
}

fn scan(lines: &[String]) -> Vec<Value> {
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .args(["scan", "-q", "-"])
        .write_stdin(lines.join("\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn windows_chain(domain: &str) -> Vec<String> {
    let (h, os) = ("WS-042", "windows");
    let chrome = r"C:\Program Files\Google\Chrome\Application\chrome.exe";
    vec![
        proc_start("00:00.000", h, os, "explorer", "", r"C:\Windows\explorer.exe", &[]),
        proc_start(
            "00:05.000",
            h,
            os,
            "outlook",
            "explorer",
            r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
            &[],
        ),
        proc_start("10:00.000", h, os, "chrome", "outlook", chrome, &[chrome, &format!("https://{domain}/inv")]),
        proc_start("10:00.400", h, os, "chrome-net", "chrome", chrome, &[chrome, "--type=utility"]),
        doc(
            "10:01.000",
            h,
            os,
            "network",
            &["protocol", "info"],
            json!({"process": {"entity_id": "chrome"}, "dns": {"question": {"name": domain}, "resolved_ip": ["203.0.113.77"]}}),
        ),
        doc(
            "10:01.300",
            h,
            os,
            "network",
            &["connection", "start"],
            json!({"process": {"entity_id": "chrome-net"}, "destination": {"ip": "203.0.113.77", "port": 443}, "network": {"direction": "egress"}}),
        ),
        doc(
            "10:09.000",
            h,
            os,
            "file",
            &["creation"],
            json!({"process": {"entity_id": "chrome"}, "file": {"path": r"C:\Users\alice\Downloads\Invoice.iso", "origin_url": format!("https://{domain}/dl/Invoice.iso"), "Ext": {"windows": {"zone_identifier": 3}}}}),
        ),
    ]
}

#[test]
fn an0178_from_ecs() {
    let records = scan(&windows_chain("invoice-portal.top"));
    assert_eq!(records.len(), 1, "{records:#?}");
    let a = &records[0];
    assert_eq!((a["analytic"].as_str(), a["strength"].as_str()), (Some("AN0178"), Some("strong")));
    assert_eq!(a["click"]["observed"], true);
    assert_eq!(a["egress"]["domain_source"], "dns");
    assert_eq!(a["write"]["origin_url"], "https://invoice-portal.top/dl/Invoice.iso");
}

#[test]
fn an0178_from_ecs_benign_domain_is_quiet() {
    assert!(scan(&windows_chain("www.python.org")).is_empty());
}

#[test]
fn an0179_from_ecs_with_rename_and_follow_on() {
    let (h, os) = ("dev-laptop", "linux");
    let lines = vec![
        proc_start("00:00.000", h, os, "tb", "", "/usr/lib/thunderbird/thunderbird", &["thunderbird"]),
        proc_start("20:00.000", h, os, "xdg", "tb", "/usr/bin/xdg-open", &["xdg-open", "https://docs-share.xyz/d/q3"]),
        proc_start(
            "20:00.200",
            h,
            os,
            "ff",
            "xdg",
            "/usr/lib/firefox/firefox",
            &["firefox", "https://docs-share.xyz/d/q3"],
        ),
        doc(
            "20:01.300",
            h,
            os,
            "network",
            &["connection", "start"],
            json!({"process": {"entity_id": "ff"}, "destination": {"ip": "198.51.100.66", "port": 443, "domain": "docs-share.xyz"}}),
        ),
        doc(
            "20:05.000",
            h,
            os,
            "file",
            &["creation"],
            json!({"process": {"entity_id": "ff"}, "file": {"path": "/home/bob/Downloads/q3.sh.part"}}),
        ),
        doc(
            "20:07.000",
            h,
            os,
            "file",
            &["change"],
            json!({"process": {"entity_id": "ff"}, "file": {"path": "/home/bob/Downloads/q3.sh", "Ext": {"original": {"path": "/home/bob/Downloads/q3.sh.part"}}}}),
        ),
        proc_start("21:00.000", h, os, "sh", "", "/usr/bin/bash", &["bash", "/home/bob/Downloads/q3.sh"]),
    ];
    let records = scan(&lines);
    let kinds: Vec<&str> = records.iter().map(|r| r["kind"].as_str().unwrap_or("alert")).collect();
    assert_eq!(kinds, ["alert", "lolbin_with_file"], "{records:#?}");
    assert_eq!(records[0]["analytic"], "AN0179");
    assert_eq!(records[0]["write"]["renamed_from"], "/home/bob/Downloads/q3.sh.part");
    assert_eq!(
        records[0]["lineage"],
        json!(["/usr/lib/thunderbird/thunderbird", "/usr/bin/xdg-open", "/usr/lib/firefox/firefox"])
    );
}
