//! AN0180 end to end from eslogger JSON joined with a second (network/DNS) source on
//! (host, pid, time): Endpoint Security has no network events, so a real macOS deployment
//! always joins two inputs.

use std::io::Write;

use assert_cmd::Command;

const CHROME: &str = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
const HELPER: &str = "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/124.0.6367.119/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper";

/// One eslogger line at second `s` after 09:00:00 (seq_num per event type kept in order).
struct Es {
    lines: Vec<String>,
    seq: std::collections::HashMap<u32, u64>,
}

impl Es {
    fn new() -> Self {
        Es { lines: Vec::new(), seq: Default::default() }
    }

    fn push(&mut self, s: f64, event_type: u32, pid: u32, image: &str, event: String) {
        let seq = self.seq.entry(event_type).or_insert(0);
        *seq += 1;
        let (sec, ms) = (s as u64, ((s.fract()) * 1000.0).round() as u64);
        self.lines.push(format!(
            r#"{{"schema_version":1,"version":7,"time":"2024-05-14T09:{:02}:{:02}.{ms:03}000000Z","mach_time":1,"event_type":{event_type},"action_type":1,"seq_num":{seq},"process":{{"audit_token":{{"pid":{pid},"pidversion":{}}},"ppid":1,"executable":{{"path":"{image}"}}}},"event":{event}}}"#,
            sec / 60,
            sec % 60,
            pid * 3,
        ));
    }

    fn exec(&mut self, s: f64, pid: u32, parent: u32, responsible: u32, image: &str, args: &[&str]) {
        let args: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
        let ev = format!(
            r#"{{"exec":{{"target":{{"audit_token":{{"pid":{pid},"pidversion":{}}},"ppid":{parent},"executable":{{"path":"{image}"}},"responsible_audit_token":{{"pid":{responsible},"pidversion":1}}}},"args":[{}]}}}}"#,
            pid * 3 + 1,
            args.join(",")
        );
        self.push(s, 9, pid, "/usr/libexec/xpcproxy", ev);
    }

    fn create(&mut self, s: f64, pid: u32, image: &str, dir: &str, name: &str) {
        self.create_mode(s, pid, image, dir, name, 0o644);
    }

    fn create_mode(&mut self, s: f64, pid: u32, image: &str, dir: &str, name: &str, mode: u32) {
        let ev = format!(
            r#"{{"create":{{"destination_type":1,"destination":{{"new_path":{{"dir":{{"path":"{dir}"}},"filename":"{name}","mode":{mode}}}}}}}}}"#
        );
        self.push(s, 13, pid, image, ev);
    }

    fn rename(&mut self, s: f64, pid: u32, image: &str, from: &str, to: &str) {
        let ev = format!(
            r#"{{"rename":{{"source":{{"path":"{from}"}},"destination_type":0,"destination":{{"existing_file":{{"path":"{to}"}}}}}}}}"#
        );
        self.push(s, 25, pid, image, ev);
    }

    fn xattr(&mut self, s: f64, pid: u32, image: &str, path: &str, set: bool) {
        let (ty, name) = if set { (27, "setextattr") } else { (70, "deleteextattr") };
        let ev = format!(r#"{{"{name}":{{"target":{{"path":"{path}"}},"extattr":"com.apple.quarantine"}}}}"#);
        self.push(s, ty, pid, image, ev);
    }
}

/// Network and DNS from a second source (native NDJSON without a host: `--host` names it).
fn net(domain: &str, ip: &str, at: u32) -> String {
    format!(
        "{{\"time\":\"2024-05-14T09:00:{:02}Z\",\"kind\":\"dns_answer\",\"proc\":1790,\"query\":\"{domain}\",\"answers\":[\"{ip}\"]}}\n\
         {{\"time\":\"2024-05-14T09:00:{:02}.300Z\",\"kind\":\"connect\",\"proc\":1834,\"dst_ip\":\"{ip}\",\"dst_port\":443}}\n",
        at, at
    )
}

/// Chrome (launched by launchd) and its network helper, then a download into ~/Downloads.
fn browser_download(es: &mut Es, file: &str, quarantine: bool) {
    es.exec(1.0, 1790, 1, 1790, CHROME, &[CHROME]);
    es.exec(2.0, 1834, 1, 1790, HELPER, &[HELPER, "--type=utility"]);
    es.create(21.0, 1834, HELPER, "/Users/alice/Downloads", &format!("{file}.crdownload"));
    if quarantine {
        es.xattr(21.5, 1834, HELPER, &format!("/Users/alice/Downloads/{file}.crdownload"), true);
    }
    es.rename(
        24.0,
        1834,
        HELPER,
        &format!("/Users/alice/Downloads/{file}.crdownload"),
        &format!("/Users/alice/Downloads/{file}"),
    );
}

fn scan(es: &Es, net: &str) -> (Vec<serde_json::Value>, i32) {
    scan_with(es, net, "net.ndjson", &[])
}

fn scan_with(es: &Es, net: &str, net_name: &str, flags: &[&str]) -> (Vec<serde_json::Value>, i32) {
    let dir = tempfile::tempdir().unwrap();
    let es_path = dir.path().join("es.jsonl");
    let mut f = std::fs::File::create(&es_path).unwrap();
    for l in &es.lines {
        writeln!(f, "{l}").unwrap();
    }
    let net_path = dir.path().join(net_name);
    std::fs::write(&net_path, net).unwrap();
    let out = Command::cargo_bin("clickchain")
        .unwrap()
        .args(["scan", "-q", "--host", "mbp-1"])
        .args(flags)
        .arg(&es_path)
        .arg(&net_path)
        .output()
        .unwrap();
    let records = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (records, out.status.code().unwrap())
}

#[test]
fn chrome_download_from_a_risky_domain_alerts_with_quarantine() {
    let mut es = Es::new();
    browser_download(&mut es, "Invoice_0514.dmg", true);
    let (records, code) = scan(&es, &net("files.invoice-portal.top", "203.0.113.77", 20));
    assert_eq!(code, 0);
    assert_eq!(records.len(), 1, "{records:#?}");
    let a = &records[0];
    assert_eq!(a["analytic"], "AN0180");
    assert_eq!(a["finding"], "chain");
    assert_eq!(a["host"], "mbp-1");
    assert_eq!(a["write"]["path"], "/Users/alice/Downloads/Invoice_0514.dmg");
    assert_eq!(a["write"]["quarantine"], true, "the flag set on the partial travels with the rename");
    assert_eq!(a["egress"]["domain"], "files.invoice-portal.top");
    assert_eq!(a["egress"]["domain_source"], "dns");
    assert_eq!(a["lineage"], serde_json::json!([CHROME, HELPER]), "the helper joins through its responsible app");
}

#[test]
fn the_same_download_from_an_allowlisted_domain_does_not() {
    let mut es = Es::new();
    browser_download(&mut es, "GoogleChrome.dmg", true);
    let (records, code) = scan(&es, &net("dl.google.com", "198.51.100.5", 20));
    assert_eq!((records.len(), code), (0, 0), "{records:#?}");
}

#[test]
fn an_unquarantined_package_from_the_lineage_is_quarantine_missing() {
    let mut es = Es::new();
    browser_download(&mut es, "PayrollHelper.pkg", false);
    // An earlier download got its flag: this host's log shows quarantine flags.
    es.xattr(30.0, 1834, HELPER, "/Users/alice/Downloads/earlier.dmg", true);
    // Events continue past the 30 s grace period.
    es.exec(90.0, 3000, 1, 3000, "/usr/bin/true", &["true"]);
    let (records, _) = scan(&es, &net("payroll-update.monster", "203.0.113.90", 20));
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["finding"], "quarantine_missing");
    assert_eq!(records[0]["write"]["quarantine"], false);
}

#[test]
fn quarantine_removed_then_executed_are_follow_ons() {
    let mut es = Es::new();
    browser_download(&mut es, "Invoice.dmg", true);
    es.exec(
        40.0,
        2500,
        1,
        2500,
        "/usr/bin/xattr",
        &["xattr", "-d", "com.apple.quarantine", "/Users/alice/Downloads/Invoice.dmg"],
    );
    es.xattr(40.1, 2500, "/usr/bin/xattr", "/Users/alice/Downloads/Invoice.dmg", false);
    es.exec(50.0, 2600, 1, 2600, "/usr/bin/hdiutil", &["hdiutil", "attach", "/Users/alice/Downloads/Invoice.dmg"]);
    let (records, _) = scan(&es, &net("invoice-portal.top", "203.0.113.77", 20));
    let kinds: Vec<&str> = records.iter().map(|r| r["kind"].as_str().unwrap_or("alert")).collect();
    assert_eq!(kinds, ["alert", "lolbin_with_file", "protection_removed", "lolbin_with_file"], "{records:#?}");
    assert!(records[1..].iter().all(|r| r["alert_id"] == records[0]["id"]));
}

/// The network source as ECS (e.g. from a network extension shipping to Elastic), whose
/// processes carry entity ids that eslogger does not know: they join on the pid.
fn ecs_net(domain: &str, ip: &str, at: u32) -> String {
    format!(
        "{{\"@timestamp\":\"2024-05-14T09:00:{at:02}Z\",\"event\":{{\"category\":[\"network\"],\"type\":[\"protocol\",\"info\"]}},\"host\":{{\"name\":\"mbp-1\",\"os\":{{\"type\":\"macos\"}}}},\"process\":{{\"entity_id\":\"ZWxhc3RpYy0xNzkw\",\"pid\":1790}},\"dns\":{{\"question\":{{\"name\":\"{domain}\"}},\"resolved_ip\":[\"{ip}\"]}}}}\n\
         {{\"@timestamp\":\"2024-05-14T09:00:{at:02}.300Z\",\"event\":{{\"category\":[\"network\"],\"type\":[\"connection\",\"start\"]}},\"host\":{{\"name\":\"mbp-1\",\"os\":{{\"type\":\"macos\"}}}},\"process\":{{\"entity_id\":\"ZWxhc3RpYy0xODM0\",\"pid\":1834}},\"destination\":{{\"ip\":\"{ip}\",\"port\":443}},\"network\":{{\"direction\":\"egress\"}}}}\n"
    )
}

#[test]
fn eslogger_joins_an_ecs_network_source_on_host_and_pid() {
    let mut es = Es::new();
    browser_download(&mut es, "Invoice_0514.dmg", true);
    let net = ecs_net("files.invoice-portal.top", "203.0.113.77", 20);
    let (records, code) = scan_with(&es, &net, "net.ecs.json", &[]);
    assert_eq!(code, 0);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["egress"]["domain"], "files.invoice-portal.top");
    assert_eq!(records[0]["lineage"], serde_json::json!([CHROME, HELPER]));
    // Another host's network data does not join.
    let other = net.replace("mbp-1", "mbp-2");
    let (records, _) = scan_with(&es, &other, "net.ecs.json", &[]);
    assert!(records.is_empty(), "{records:#?}");
}

#[test]
fn an_unquarantined_mach_o_is_recognised_by_its_mode_bits() {
    // No extension: only the execute bits of the created file make it an executable.
    for (mode, expected) in [(0o755, "quarantine_missing"), (0o644, "chain")] {
        let mut es = Es::new();
        es.exec(1.0, 1790, 1, 1790, CHROME, &[CHROME]);
        es.exec(2.0, 1834, 1, 1790, HELPER, &[HELPER, "--type=utility"]);
        es.xattr(3.0, 1834, HELPER, "/Users/alice/Downloads/earlier.dmg", true);
        es.create_mode(25.0, 1834, HELPER, "/Users/alice/Downloads", "PayrollUpdate", mode);
        es.exec(90.0, 3000, 1, 3000, "/usr/bin/true", &["true"]);
        let (records, _) = scan(&es, &net("payroll-update.monster", "203.0.113.90", 20));
        assert_eq!(records.len(), 1, "{records:#?}");
        assert_eq!(records[0]["finding"], expected, "mode {mode:o}");
    }
}

#[test]
fn quarantine_missing_only_where_the_log_shows_quarantine_flags() {
    // The same unquarantined package, on a host whose log never shows a flag: no finding.
    let mut es = Es::new();
    browser_download(&mut es, "PayrollHelper.pkg", false);
    es.exec(90.0, 3000, 1, 3000, "/usr/bin/true", &["true"]);
    let (records, _) = scan(&es, &net("payroll-update.monster", "203.0.113.90", 20));
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["finding"], "chain");
}

#[test]
fn a_download_without_quarantine_that_later_runs_is_quarantine_missing() {
    // From a trusted site (no chain), no extension, no execute bits: only running it shows it
    // was an executable.
    for (quarantined, expected) in [(false, 2), (true, 0)] {
        let mut es = Es::new();
        es.exec(1.0, 1790, 1, 1790, CHROME, &[CHROME]);
        es.exec(2.0, 1834, 1, 1790, HELPER, &[HELPER, "--type=utility"]);
        es.xattr(3.0, 1834, HELPER, "/Users/alice/Downloads/earlier.dmg", true);
        es.create(25.0, 1834, HELPER, "/Users/alice/Downloads", "SetupTool");
        if quarantined {
            es.xattr(25.5, 1834, HELPER, "/Users/alice/Downloads/SetupTool", true);
        }
        es.exec(120.0, 4000, 1, 4000, "/Users/alice/Downloads/SetupTool", &["/Users/alice/Downloads/SetupTool"]);
        let (records, _) = scan(&es, &net("www.apple.com", "198.51.100.81", 20));
        assert_eq!(records.len(), expected, "quarantined: {quarantined}: {records:#?}");
        if expected > 0 {
            let a = &records[0];
            assert_eq!((a["finding"].as_str(), a["strength"].as_str()), (Some("quarantine_missing"), None));
            assert_eq!(a["write"]["path"], "/Users/alice/Downloads/SetupTool");
            // The run that revealed it is its first follow-on.
            assert_eq!(
                (records[1]["kind"].as_str(), records[1]["alert_id"].as_str()),
                (Some("executed"), a["id"].as_str())
            );
        }
    }
}
