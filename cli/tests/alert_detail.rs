//! What an alert tells a person: the same chain gets the same id whichever format carried it,
//! its processes carry pid, id, command line and user, and `-v` says why chains did not form.

use assert_cmd::Command;
use serde_json::{json, Value};

const CHROME: &str = r"C:\Program Files\Google\Chrome\Application\chrome.exe";
const OUTLOOK: &str = r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE";
const FILE: &str = r"C:\Users\alice\Downloads\Invoice.iso";

fn clickchain() -> Command {
    Command::cargo_bin("clickchain").unwrap()
}

fn scan(args: &[&str], stdin: String) -> (Vec<Value>, String) {
    let out = clickchain().args(["scan"]).args(args).arg("-").write_stdin(stdin).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    let records = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (records, err)
}

/// A chain as Sysmon events in the flat JSON shape (a shipper's one object per record).
fn sysmon_chain() -> String {
    sysmon_chain_with(&format!("\"{CHROME}\" https://invoice-portal.top/inv"))
}

/// [`sysmon_chain`] with `click_cmd` as the clicked browser's command line.
fn sysmon_chain_with(click_cmd: &str) -> String {
    let ev = |t: &str, eid: u32, body: Value| {
        let mut v = json!({"EventID": eid, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WS-042",
                           "UtcTime": format!("2024-05-14 09:{t}")});
        v.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
        v.to_string()
    };
    let start = |t: &str, guid: &str, pid: u32, parent: &str, ppid: u32, image: &str, cmd: &str| {
        ev(
            t,
            1,
            json!({"ProcessGuid": guid, "ProcessId": pid, "ParentProcessGuid": parent, "ParentProcessId": ppid,
                        "Image": image, "CommandLine": cmd, "User": "CORP\\alice"}),
        )
    };
    [
        start(
            "00:05.000",
            "{00000000-0000-0000-0000-00000000000b}",
            200,
            "{00000000-0000-0000-0000-00000000000a}",
            100,
            OUTLOOK,
            "OUTLOOK.EXE",
        ),
        start(
            "10:00.000",
            "{00000000-0000-0000-0000-00000000000c}",
            300,
            "{00000000-0000-0000-0000-00000000000b}",
            200,
            CHROME,
            click_cmd,
        ),
        start(
            "10:00.400",
            "{00000000-0000-0000-0000-00000000000d}",
            301,
            "{00000000-0000-0000-0000-00000000000c}",
            300,
            CHROME,
            &format!("\"{CHROME}\" --type=utility"),
        ),
        ev(
            "10:01.000",
            22,
            json!({"ProcessGuid": "{00000000-0000-0000-0000-00000000000c}", "ProcessId": 300, "Image": CHROME,
                                    "QueryName": "invoice-portal.top", "QueryResults": "::ffff:203.0.113.77;"}),
        ),
        ev(
            "10:01.300",
            3,
            json!({"ProcessGuid": "{00000000-0000-0000-0000-00000000000d}", "ProcessId": 301, "Image": CHROME,
                                   "Initiated": "true", "DestinationIp": "203.0.113.77", "DestinationPort": 443}),
        ),
        ev(
            "10:09.000",
            11,
            json!({"ProcessGuid": "{00000000-0000-0000-0000-00000000000c}", "ProcessId": 300, "Image": CHROME,
                                    "TargetFilename": FILE}),
        ),
    ]
    .join("\n")
}

/// The same chain as ECS documents.
fn ecs_chain() -> String {
    let doc = |t: &str, category: &str, types: &[&str], body: Value| {
        let mut d = json!({"@timestamp": format!("2024-05-14T09:{t}Z"), "event": {"kind": "event", "category": [category], "type": types},
                           "host": {"name": "WS-042", "os": {"type": "windows"}}});
        d.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
        d.to_string()
    };
    let start = |t: &str, id: &str, pid: u32, parent: &str, exe: &str, args: &[&str]| {
        doc(
            t,
            "process",
            &["start"],
            json!({"process": {"entity_id": id, "pid": pid, "executable": exe, "args": args,
                                                         "parent": {"entity_id": parent}, "user": {"name": "alice"}}}),
        )
    };
    [
        start("00:05.000", "outlook", 200, "explorer", OUTLOOK, &[OUTLOOK]),
        start("10:00.000", "chrome", 300, "outlook", CHROME, &[CHROME, "https://invoice-portal.top/inv"]),
        start("10:00.400", "chrome-net", 301, "chrome", CHROME, &[CHROME, "--type=utility"]),
        doc("10:01.000", "network", &["protocol", "info"],
            json!({"process": {"entity_id": "chrome"}, "dns": {"question": {"name": "invoice-portal.top"}, "resolved_ip": ["203.0.113.77"]}})),
        doc("10:01.300", "network", &["connection", "start"],
            json!({"process": {"entity_id": "chrome-net"}, "destination": {"ip": "203.0.113.77", "port": 443}, "network": {"direction": "egress"}})),
        doc("10:09.000", "file", &["creation"], json!({"process": {"entity_id": "chrome"}, "file": {"path": FILE}})),
    ]
    .join("\n")
}

fn the_alert(records: &[Value]) -> &Value {
    let alerts: Vec<&Value> = records.iter().filter(|r| r["type"] == "alert").collect();
    assert_eq!(alerts.len(), 1, "{records:#?}");
    alerts[0]
}

#[test]
fn alert_id_same_from_sysmon_and_ecs() {
    let (sysmon, _) = scan(&["-q"], sysmon_chain());
    let (ecs, _) = scan(&["-q"], ecs_chain());
    let (a, b) = (the_alert(&sysmon), the_alert(&ecs));
    assert_eq!(a["write"]["path"], b["write"]["path"]);
    assert_eq!(a["id"], b["id"], "one chain, one id:\n{a:#}\n{b:#}");
}

#[test]
fn lineage_processes_carry_pid_id_command_line_and_user() {
    let (sysmon, _) = scan(&["-q"], sysmon_chain());
    let a = the_alert(&sysmon);
    let procs = a["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 2, "{a:#}");
    assert_eq!(procs[0]["image"], OUTLOOK);
    assert_eq!(procs[1]["pid"], 300);
    assert!(procs[1]["process_id"].as_str().unwrap().contains("00000000-0000-0000-0000-00000000000c"), "{a:#}");
    assert_eq!(procs[1]["command_line"], format!("\"{CHROME}\" https://invoice-portal.top/inv"));
    assert_eq!(procs[1]["user"], "CORP\\alice");
    assert_eq!(procs[1]["start"], "2024-05-14T09:10:00.000Z");
    let roles: Vec<&str> =
        a["evidence_by_role"].as_array().unwrap().iter().map(|e| e["role"].as_str().unwrap()).collect();
    for role in ["process", "click", "dns", "egress", "write"] {
        assert!(roles.contains(&role), "{role} in {roles:?}");
    }
    let reasons: Vec<&str> = a["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("suffix `top`") && r.contains("threshold 60")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("medium: the egress came 7.7 s before the write")), "{reasons:?}");
}

#[test]
fn long_command_lines_are_kept_cut_and_counted() {
    let long = format!("\"{CHROME}\" https://invoice-portal.top/inv --x={}", "a".repeat(5000));
    let (records, err) = scan(&["--stats"], sysmon_chain_with(&long));
    let p = &the_alert(&records)["processes"][1];
    assert_eq!(p["command_line_truncated"], true);
    assert_eq!(p["command_line"].as_str().unwrap().len(), 1024);
    assert!(err.contains("command_line_truncated"), "{err}");
}

#[test]
fn verbose_says_why_egress_was_trusted_and_chains_did_not_form() {
    // A trusted destination: the download forms no chain; -v says why, without colour codes.
    let chain = ecs_chain().replace("invoice-portal.top", "www.microsoft.com");
    let (records, err) = scan(&["-v"], chain.clone());
    assert!(records.is_empty(), "{records:?}");
    assert!(err.contains("egress trusted"), "{err}");
    assert!(err.contains("no chain for write") && err.contains("no untrusted egress"), "{err}");
    assert!(!err.contains('\u{1b}'), "no colour when stderr is not a terminal: {err:?}");
    // CLICKCHAIN_LOG=debug says the same; without either, nothing of it.
    let out =
        clickchain().args(["scan", "-"]).env("CLICKCHAIN_LOG", "debug").write_stdin(chain.clone()).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("egress trusted"));
    let (_, quiet) = scan(&[], chain);
    assert!(!quiet.contains("egress trusted"), "{quiet}");
}

#[test]
fn verbose_says_why_a_write_was_ignored() {
    let chain = ecs_chain().replace(r"Downloads\\Invoice.iso", r"AppData\\Local\\Temp\\cache.dat");
    let (_, err) = scan(&["-v"], chain);
    assert!(err.contains("write ignored") && err.contains("cache.dat"), "{err}");
}

/// The hash a source logged for the downloaded file (Sysmon's EID 15 `Hash` with the MotW
/// stream, ECS `file.hash.sha256`) is the alert's `file_hash`; without one it is null.
#[test]
fn the_file_hash_a_source_logged_is_in_the_alert() {
    const SHA: &str = "6D1C8A0F3E2B9C47A5D8E1F0B3C6A9D2E5F8A1B4C7D0E3F6A9B2C5D8E1F4A7B0";
    let motw = json!({"EventID": 15, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WS-042",
        "UtcTime": "2024-05-14 09:10:09.200", "ProcessGuid": "{00000000-0000-0000-0000-00000000000c}",
        "ProcessId": 300, "Image": CHROME, "TargetFilename": format!("{FILE}:Zone.Identifier"),
        "Contents": "[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://invoice-portal.top/f/x\r\n",
        "Hash": format!("SHA256={SHA}")});
    let (sysmon, _) = scan(&["-q"], format!("{}\n{motw}", sysmon_chain()));
    assert_eq!(the_alert(&sysmon)["file_hash"], json!(format!("SHA256={SHA}")));

    let with_hash = ecs_chain().replace(
        &format!("\"file\":{{\"path\":{}}}", serde_json::to_string(FILE).unwrap()),
        &format!(
            "\"file\":{{\"path\":{},\"hash\":{{\"sha256\":\"{}\"}}}}",
            serde_json::to_string(FILE).unwrap(),
            SHA.to_lowercase()
        ),
    );
    assert_ne!(with_hash, ecs_chain(), "the ECS file document gained a hash");
    let (ecs, _) = scan(&["-q"], with_hash);
    assert_eq!(the_alert(&ecs)["file_hash"], json!(format!("SHA256={}", SHA.to_lowercase())));

    let (plain, _) = scan(&["-q"], sysmon_chain());
    assert_eq!(the_alert(&plain)["file_hash"], Value::Null);
}
