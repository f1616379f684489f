//! Objects every finding carries: classification, metadata, device, the ATT&CK mapping.

use chrono::{DateTime, Utc};
use clickchain::alert::{Analytic, TECHNIQUE};
use clickchain::Os;
use serde_json::{json, Map, Value};

use super::{CLASS_UID, SCHEMA_VERSION};

/// A finding activity: Create for an alert, Update for a follow-on.
#[derive(Clone, Copy)]
pub(super) enum Activity {
    Create = 1,
    Update = 2,
}

/// OCSF timestamps are milliseconds since the Unix epoch.
pub(super) fn millis(t: &DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// `severity_id` and its caption.
pub(super) fn severity(id: u8) -> (u8, &'static str) {
    let caption = match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        _ => "Unknown",
    };
    (id, caption)
}

/// The attributes that classify a finding and say who wrote it.
pub(super) fn classification(activity: Activity, severity_id: u8) -> Map<String, Value> {
    let (activity_id, activity_name) = match activity {
        Activity::Create => (1, "Create"),
        Activity::Update => (2, "Update"),
    };
    let (severity_id, severity) = severity(severity_id);
    object(json!({
        "activity_id": activity_id,
        "activity_name": activity_name,
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": u64::from(CLASS_UID) * 100 + activity_id,
        "type_name": format!("Detection Finding: {activity_name}"),
        "severity_id": severity_id,
        "severity": severity,
        "timezone_offset": 0,
        "is_alert": true,
        "metadata": {
            "version": SCHEMA_VERSION,
            "product": {
                "name": "clickchain",
                "vendor_name": "clickchain",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "log_name": "clickchain",
        },
    }))
}

/// The host the finding is about.
pub(super) fn device(host: &str, analytic: Analytic) -> Value {
    let (os_name, os_type_id) = match analytic.os() {
        Os::Windows => ("Windows", 100),
        Os::Linux => ("Linux", 200),
        Os::Macos => ("macOS", 300),
    };
    json!({
        "hostname": host,
        "name": host,
        "type_id": 0,
        "type": "Unknown",
        "os": { "name": os_name, "type_id": os_type_id, "type": os_name },
    })
}

/// T1204.001 User Execution: Malicious Link, tactic Execution.
pub(super) fn attack() -> Value {
    let technique = TECHNIQUE.split('.').next().unwrap_or(TECHNIQUE);
    json!({
        "tactic": { "uid": "TA0002", "name": "Execution" },
        "technique": { "uid": technique, "name": "User Execution" },
        "sub_technique": { "uid": TECHNIQUE, "name": "Malicious Link" },
    })
}

/// The DET0066 analytic that fired.
pub(super) fn analytic(analytic: Analytic) -> Value {
    let os = match analytic.os() {
        Os::Windows => "Windows",
        Os::Linux => "Linux",
        Os::Macos => "macOS",
    };
    json!({
        "uid": analytic.as_str(),
        "name": format!("DET0066 {analytic} ({os})"),
        "type_id": 1,
        "type": "Rule",
    })
}

pub(super) use crate::file_name;

/// An observable: `name` is where the value sits in the finding, `type_id` the OCSF type.
pub(super) fn observable(name: &str, type_id: u8, type_name: &str, value: &str) -> Value {
    json!({ "name": name, "type_id": type_id, "type": type_name, "value": value })
}

/// A file object for `path`.
pub(super) fn file(path: &str) -> Map<String, Value> {
    let mut map = object(json!({
        "name": file_name(path),
        "path": path,
        "type_id": 1,
        "type": "Regular File",
    }));
    if let Some((_, ext)) = file_name(path).rsplit_once('.') {
        map.insert("ext".into(), ext.to_lowercase().into());
    }
    map
}

/// The map of a `json!` object literal.
pub(super) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
