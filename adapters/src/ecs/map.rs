//! One ECS document -> at most one event (field mapping in the README).

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::fields::{get, has, number, string, strings};
use crate::error::RecordError;
use crate::event::{Event, EventKind, FileOp, Origin, Os, ProcKey, SourceRef};
use crate::native::parse_time;

fn missing(field: &'static str) -> RecordError {
    RecordError::MissingField { kind: "ecs", field }
}

/// `entity_id` and `pid` when both are there (the engine then joins pid-only sources on the pid).
fn proc_key(doc: &Map<String, Value>, prefix: &str) -> Option<ProcKey> {
    let entity = string(doc, &format!("{prefix}.entity_id"));
    let pid = number(doc, &format!("{prefix}.pid")).and_then(|p| u32::try_from(p).ok());
    match (entity, pid) {
        (Some(id), Some(pid)) => Some(ProcKey::IdAndPid(id, pid)),
        (Some(id), None) => Some(ProcKey::Id(id)),
        (None, pid) => pid.map(ProcKey::Pid),
    }
}

fn os_of(doc: &Map<String, Value>) -> Option<Os> {
    ["host.os.type", "host.os.platform", "host.os.family"].iter().find_map(|f| string(doc, f)?.parse().ok())
}

fn ip(text: &str, field: &'static str) -> Result<IpAddr, RecordError> {
    text.trim().parse().map_err(|_| RecordError::BadValue { field, message: format!("`{text}` is not an IP address") })
}

/// Maps a document; `Ok(None)` for documents clickchain does not use.
pub(super) fn to_event(doc: &Map<String, Value>, host: &str, source: SourceRef) -> Result<Option<Event>, RecordError> {
    let text = string(doc, "@timestamp").ok_or(missing("@timestamp"))?;
    let time = parse_time(&text).ok_or(RecordError::BadTimestamp(text))?;
    let host = string(doc, "host.name").or_else(|| string(doc, "host.hostname")).unwrap_or_else(|| host.to_owned());
    let Some(kind) = kind(doc)? else { return Ok(None) };
    Ok(Some(Event { time, host, os: os_of(doc), source, kind }))
}

fn kind(doc: &Map<String, Value>) -> Result<Option<EventKind>, RecordError> {
    let proc = || proc_key(doc, "process").ok_or(missing("process.entity_id or process.pid"));
    if has(doc, "event.category", "process") {
        if has(doc, "event.type", "start") || has(doc, "event.action", "exec") || has(doc, "event.action", "fork") {
            let image = string(doc, "process.executable")
                .or_else(|| string(doc, "process.name"))
                .ok_or(missing("process.executable"))?;
            let args = strings(doc, "process.args");
            let command_line =
                string(doc, "process.command_line").or_else(|| (!args.is_empty()).then(|| args.join(" ")));
            let parent = proc_key(doc, "process.parent");
            return Ok(Some(EventKind::ProcessStart {
                proc: proc()?,
                parent,
                image,
                command_line,
                user: string(doc, "user.name"),
                forked: has(doc, "event.action", "fork"),
            }));
        }
        if has(doc, "event.type", "end") {
            return Ok(Some(EventKind::ProcessEnd { proc: proc()? }));
        }
        return Ok(None);
    }
    if let Some(query) = string(doc, "dns.question.name") {
        let mut answers: Vec<String> = strings(doc, "dns.resolved_ip");
        if answers.is_empty() {
            if let Some(Value::Array(list)) = get(doc, "dns.answers") {
                answers = list.iter().filter_map(|a| a.get("data")?.as_str().map(str::to_owned)).collect();
            }
        }
        let answers: Vec<IpAddr> = answers.iter().filter_map(|a| a.trim().parse().ok()).collect();
        if answers.is_empty() {
            return Ok(None);
        }
        return Ok(Some(EventKind::DnsAnswer { proc: proc_key(doc, "process"), query, answers }));
    }
    if has(doc, "event.category", "network") {
        let inbound = ["ingress", "inbound"].iter().any(|d| has(doc, "network.direction", d));
        let Some(dst) = string(doc, "destination.ip") else { return Ok(None) };
        if inbound || has(doc, "event.type", "end") {
            return Ok(None);
        }
        let dst_ip = ip(&dst, "destination.ip")?;
        let dst_port = number(doc, "destination.port").and_then(|p| u16::try_from(p).ok()).unwrap_or(0);
        let domain = string(doc, "destination.domain");
        return Ok(Some(EventKind::Connect { proc: proc()?, dst_ip, dst_port, domain }));
    }
    if has(doc, "event.category", "file") {
        let path = string(doc, "file.path").ok_or(missing("file.path"))?;
        let renamed_from = string(doc, "file.Ext.original.path");
        let op = if let Some(from) = renamed_from {
            FileOp::Rename { from }
        } else if has(doc, "event.type", "creation") || has(doc, "event.action", "creation") {
            FileOp::Create
        } else if has(doc, "event.type", "change") {
            FileOp::Modify
        } else {
            return Ok(None);
        };
        let origin = Origin {
            zone: number(doc, "file.Ext.windows.zone_identifier").and_then(|z| u8::try_from(z).ok()),
            url: string(doc, "file.origin_url"),
            referrer: string(doc, "file.origin_referrer_url"),
            ..Origin::default()
        };
        let origin = (origin != Origin::default()).then_some(origin);
        return Ok(Some(EventKind::FileWrite { proc: proc()?, path, op, origin }));
    }
    Ok(None)
}
