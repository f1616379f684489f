//! One ECS document -> at most one event (field mapping in the README).

use std::net::IpAddr;

use super::fields::{Field as F, Fields};
use crate::error::RecordError;
use crate::event::{Event, EventKind, FileOp, Origin, Os, ProcKey, SourceRef};
use crate::native::parse_time;

fn missing(field: &'static str) -> RecordError {
    RecordError::MissingField { kind: "ecs", field }
}

/// `entity_id` and `pid` when both are there (the engine then joins pid-only sources on the pid).
fn proc_key(doc: &impl Fields, (id, pid): (F, F)) -> Option<ProcKey> {
    let entity = doc.string(id);
    let pid = doc.number(pid).and_then(|p| u32::try_from(p).ok());
    match (entity, pid) {
        (Some(id), Some(pid)) => Some(ProcKey::IdAndPid(id, pid)),
        (Some(id), None) => Some(ProcKey::Id(id)),
        (None, pid) => pid.map(ProcKey::Pid),
    }
}

const PROCESS: (F, F) = (F::ProcessEntityId, F::ProcessPid);
const PARENT: (F, F) = (F::ParentEntityId, F::ParentPid);

/// The logon session of the process a document is about: Sysmon's `LogonId` as Winlogbeat
/// ships it, Winlogbeat's `winlog.logon.id`, or Elastic Defend's `process.Ext.authentication_id`.
fn session_of(doc: &impl Fields) -> Option<u64> {
    [F::WinlogLogonId, F::WinlogLogon, F::ProcessAuthenticationId]
        .iter()
        .find_map(|&f| doc.with_string(f, crate::parse_session).flatten())
}

fn os_of(doc: &impl Fields) -> Option<Os> {
    [F::HostOsType, F::HostOsPlatform, F::HostOsFamily].iter().find_map(|&f| doc.with_string(f, Os::from_name)?)
}

fn ip(text: &str, field: &'static str) -> Result<IpAddr, RecordError> {
    text.trim().parse().map_err(|_| RecordError::BadValue { field, message: format!("`{text}` is not an IP address") })
}

/// Maps a document; `Ok(None)` for documents clickchain does not use.
pub(super) fn to_event(doc: &impl Fields, host: &str, source: SourceRef) -> Result<Option<Event>, RecordError> {
    let time = match doc.with_string(F::Timestamp, parse_time).ok_or(missing("@timestamp"))? {
        Some(time) => time,
        None => return Err(RecordError::BadTimestamp(doc.string(F::Timestamp).unwrap_or_default())),
    };
    let host = doc.string(F::HostName).or_else(|| doc.string(F::HostHostname)).unwrap_or_else(|| host.to_owned());
    let Some(kind) = kind(doc)? else { return Ok(None) };
    Ok(Some(Event { time, host, os: os_of(doc), source, kind }))
}

/// For a document about a process (not its start) that names the process's parent: a start
/// built from it (`built`), put before its event. A second source may never have logged that
/// start (an ECS network file beside an eslogger file that did not see the process begin); the
/// engine attaches it to the parent named and ignores it when the process is known already.
/// Only documents naming a parent get one, so most records cost nothing more.
pub(super) fn built_start(doc: &impl Fields, event: &Event) -> Option<Event> {
    let proc = match &event.kind {
        EventKind::Connect { proc, .. } | EventKind::FileWrite { proc, .. } => proc,
        EventKind::DnsAnswer { proc: Some(proc), .. } => proc,
        _ => return None,
    };
    let parent = proc_key(doc, PARENT)?;
    let image = doc.string(F::ProcessExecutable).or_else(|| doc.string(F::ProcessName))?;
    let kind = EventKind::ProcessStart {
        proc: proc.clone(),
        parent: Some(parent),
        image,
        command_line: None,
        user: doc.string(F::UserName),
        session: session_of(doc),
        forked: false,
        built: true,
    };
    Some(Event { kind, ..event.clone() })
}

fn kind(doc: &impl Fields) -> Result<Option<EventKind>, RecordError> {
    let proc = || proc_key(doc, PROCESS).ok_or(missing("process.entity_id or process.pid"));
    if doc.has(F::EventCategory, "process") {
        if doc.has(F::EventType, "start") || doc.has(F::EventAction, "exec") || doc.has(F::EventAction, "fork") {
            let image = doc
                .string(F::ProcessExecutable)
                .or_else(|| doc.string(F::ProcessName))
                .ok_or(missing("process.executable"))?;
            let args = doc.strings(F::ProcessArgs);
            let command_line = doc.string(F::ProcessCommandLine).or_else(|| (!args.is_empty()).then(|| args.join(" ")));
            let parent = proc_key(doc, PARENT);
            return Ok(Some(EventKind::ProcessStart {
                proc: proc()?,
                parent,
                image,
                command_line,
                user: doc.string(F::UserName),
                session: session_of(doc),
                forked: doc.has(F::EventAction, "fork"),
                built: false,
            }));
        }
        if doc.has(F::EventType, "end") {
            return Ok(Some(EventKind::ProcessEnd { proc: proc()? }));
        }
        return Ok(None);
    }
    if let Some(query) = doc.string(F::DnsQuestionName) {
        let mut answers: Vec<String> = doc.strings(F::DnsResolvedIp);
        if answers.is_empty() {
            answers = doc.answers(F::DnsAnswers);
        }
        let answers: Vec<IpAddr> = answers.iter().filter_map(|a| a.trim().parse().ok()).collect();
        if answers.is_empty() {
            return Ok(None);
        }
        return Ok(Some(EventKind::DnsAnswer { proc: proc_key(doc, PROCESS), query, answers }));
    }
    if doc.has(F::EventCategory, "network") {
        let inbound = ["ingress", "inbound"].iter().any(|d| doc.has(F::NetworkDirection, d));
        let Some(dst) = doc.string(F::DestinationIp) else { return Ok(None) };
        if inbound || doc.has(F::EventType, "end") {
            return Ok(None);
        }
        let dst_ip = ip(&dst, "destination.ip")?;
        let dst_port = doc.number(F::DestinationPort).and_then(|p| u16::try_from(p).ok()).unwrap_or(0);
        let domain = doc.string(F::DestinationDomain);
        return Ok(Some(EventKind::Connect { proc: proc()?, dst_ip, dst_port, domain }));
    }
    if doc.has(F::EventCategory, "file") {
        let path = doc.string(F::FilePath).ok_or(missing("file.path"))?;
        let renamed_from = doc.string(F::FileOriginalPath);
        let op = if let Some(from) = renamed_from {
            FileOp::Rename { from }
        } else if doc.has(F::EventType, "creation") || doc.has(F::EventAction, "creation") {
            FileOp::Create
        } else if doc.has(F::EventType, "change") {
            FileOp::Modify
        } else {
            return Ok(None);
        };
        let origin = Origin {
            zone: doc.number(F::FileZone).and_then(|z| u8::try_from(z).ok()),
            url: doc.string(F::FileOriginUrl),
            referrer: doc.string(F::FileOriginReferrer),
            hash: doc.string(F::FileHash).map(|h| format!("SHA256={h}")),
            ..Origin::default()
        };
        let origin = (origin != Origin::default()).then(|| Box::new(origin));
        return Ok(Some(EventKind::FileWrite { proc: proc()?, path, op, origin }));
    }
    Ok(None)
}
