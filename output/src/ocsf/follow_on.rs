//! A follow-on as an Update of its alert's Detection Finding.

use clickchain::alert::{fmt_time, FollowOn};
use serde_json::{json, Value};

use super::parts::{self, millis, observable, Activity};

/// The finding for `f`: severity High (the chain went on: the file ran, or its protection was
/// removed), the same `finding_info.uid` as its alert, the follow-on as its one evidence.
pub fn follow_on_finding(f: &FollowOn) -> Value {
    let mut finding = parts::classification(Activity::Update, 4);
    let title = format!("Follow-on {}: {} by {}", f.kind, parts::file_name(&f.path), parts::file_name(&f.process));
    let extra = json!({
        "time": millis(&f.time),
        "message": title,
        "status_id": 1,
        "status": "New",
        "finding_info": {
            "uid": f.alert_id,
            "title": title,
            "analytic": parts::analytic(f.analytic),
            "attacks": [parts::attack()],
            "types": ["follow_on", f.kind.as_str()],
            "modified_time": millis(&f.time),
            "last_seen_time": millis(&f.time),
        },
        "device": parts::device(&f.host, f.analytic),
        "evidences": [{
            "name": format!("follow_on:{}", f.kind),
            "file": parts::file(&f.path),
            "data": {
                "time": fmt_time(&f.time),
                "kind": f.kind.as_str(),
                "process": f.process,
                "process_pid": f.process_info.pid,
                "process_command_line": f.process_info.command_line,
                "process_user": f.process_info.user,
            },
        }],
        "observables": [
            observable("device.hostname", 1, "Hostname", &f.host),
            observable("evidences.file.path", 45, "File Path", &f.path),
            observable("evidences.data.process", 9, "Process Name", parts::file_name(&f.process)),
        ],
        "unmapped": { "clickchain": {
            "evidence": f.evidence.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "process": f.process_info,
            "replaced_invalid_utf8": f.replaced_invalid_utf8,
        }},
    });
    finding.extend(parts::object(extra));
    Value::Object(finding)
}
