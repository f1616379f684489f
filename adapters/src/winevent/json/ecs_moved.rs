//! Winlogbeat and Elastic Agent records whose Sysmon fields an ingest pipeline moved from
//! `winlog.event_data` to ECS fields (`process.entity_id`, `destination.ip`, `file.path` …):
//! detected per record (no `ProcessGuid` left in `event_data`, an ECS `process` object) and
//! read back from ECS into the fields the Sysmon mapping reads, so that such a record is mapped
//! as the Sysmon record it was (built starts, partial-download pairing and all).
//!
//! Two ECS fields are not what their Sysmon field was, and are left out: `destination.domain`
//! is Sysmon's reverse lookup (`DestinationHostname`), which must not name a connection that a
//! DNS answer names; and a file event of type `access` or `change` is no rename, whatever its
//! `event.action` says: on a `:Zone.Identifier` stream it is the Mark of the Web (EID 15).

use serde_json::Value;

use super::{str_at, text};
use crate::winevent::record::Fields;

/// Sysmon fields and the ECS field each was moved to.
const MOVED: &[(&str, &[&str])] = &[
    ("ProcessGuid", &["process", "entity_id"]),
    ("ProcessId", &["process", "pid"]),
    ("Image", &["process", "executable"]),
    ("CommandLine", &["process", "command_line"]),
    ("ParentProcessGuid", &["process", "parent", "entity_id"]),
    ("ParentProcessId", &["process", "parent", "pid"]),
    ("ParentImage", &["process", "parent", "executable"]),
    ("DestinationIp", &["destination", "ip"]),
    ("DestinationPort", &["destination", "port"]),
    ("QueryName", &["dns", "question", "name"]),
    ("TargetFilename", &["file", "path"]),
    // Winlogbeat's processors move the logon session's id here.
    ("LogonId", &["winlog", "logon", "id"]),
];

/// Whether `root`'s Sysmon fields were moved to ECS: `event_data` (as read into `data`) has no
/// `ProcessGuid` and the document has an ECS `process` object.
pub(super) fn moved_to_ecs(root: &Value, data: &Fields) -> bool {
    data.get("ProcessGuid").is_none() && root.get("process").is_some_and(Value::is_object)
}

/// Adds to `data` the Sysmon fields `root` has only as ECS fields (a field still in
/// `event_data` is kept as it is).
pub(super) fn read_back(root: &Value, data: &mut Fields) {
    let at = |path: &[&str]| str_at(root, path).and_then(text).filter(|s| !s.is_empty());
    for (field, path) in MOVED {
        if data.get(field).is_none() {
            if let Some(v) = at(path) {
                data.push(field, &v);
            }
        }
    }
    if data.get("User").is_none() {
        // Sysmon writes `DOMAIN\name`; ECS splits it.
        match (at(&["user", "domain"]), at(&["user", "name"])) {
            (Some(d), Some(n)) => data.push("User", &format!("{d}\\{n}")),
            (None, Some(n)) => data.push("User", &n),
            _ => {}
        }
    }
    if data.get("Initiated").is_none() && data.get("DestinationIp").is_some() {
        let inbound = ["ingress", "inbound"].iter().any(|d| at(&["network", "direction"]).as_deref() == Some(*d));
        data.push("Initiated", if inbound { "false" } else { "true" });
    }
    if data.get("QueryResults").is_none() {
        let answers = ips(root);
        if !answers.is_empty() {
            data.push("QueryResults", &answers.join(";"));
        }
    }
    if data.get("Contents").is_none() {
        if let Some(contents) = zone_transfer(root) {
            data.push("Contents", &contents);
        }
    }
}

/// The addresses of a DNS answer: `dns.resolved_ip`, else the `data` of `dns.answers`.
fn ips(root: &Value) -> Vec<String> {
    let list = |path: &[&str]| -> Vec<String> {
        match str_at(root, path) {
            Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
            Some(v) => text(v).into_iter().collect(),
            None => Vec::new(),
        }
    };
    let resolved = list(&["dns", "resolved_ip"]);
    if !resolved.is_empty() {
        return resolved;
    }
    match str_at(root, &["dns", "answers"]) {
        Some(Value::Array(items)) => items.iter().filter_map(|a| a.get("data").and_then(text)).collect(),
        _ => Vec::new(),
    }
}

/// A `Zone.Identifier` stream's text from ECS's Mark-of-the-Web fields (`file.origin_url`,
/// `file.origin_referrer_url`, `file.Ext.windows.zone_identifier`), when there are any.
fn zone_transfer(root: &Value) -> Option<String> {
    let at = |path: &[&str]| str_at(root, path).and_then(text).filter(|s| !s.is_empty());
    let zone = at(&["file", "Ext", "windows", "zone_identifier"]);
    let host = at(&["file", "origin_url"]);
    let referrer = at(&["file", "origin_referrer_url"]);
    if zone.is_none() && host.is_none() && referrer.is_none() {
        return None;
    }
    let mut text = String::from("[ZoneTransfer]\r\n");
    for (key, value) in [("ZoneId", zone), ("ReferrerUrl", referrer), ("HostUrl", host)] {
        if let Some(v) = value {
            text.push_str(&format!("{key}={v}\r\n"));
        }
    }
    Some(text)
}
