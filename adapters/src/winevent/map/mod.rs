//! Sysmon and Security records → [`EventKind`].
//!
//! What a record cannot contribute to DET0066 (another provider, an event id not listed below,
//! an inbound connection, a failed DNS query) is a [`Mapped::Skip`] with a reason, counted by
//! the reader; a record that should map but cannot (a required field missing or malformed) is
//! an error, except a process end that names no process: it only lets the engine forget one,
//! so it is skipped (`end_without_process`).
//!
//! | source | event |
//! |---|---|
//! | Sysmon 1 / Security 4688 | `process_start` (4688 by hex pid; the engine joins the two of one start) |
//! | Sysmon 5 / Security 4689 | `process_end` |
//! | Sysmon 3, `Initiated=true` | `connect` |
//! | Sysmon 22 | `dns_answer` (`QueryResults`, CNAME entries dropped, `::ffff:` stripped) |
//! | Sysmon 11, 29 | `file_write` (create) |
//! | Sysmon 15 | `file_write` of the file the stream belongs to, with the MotW as origin |
//! | Sysmon 23, 26 on `:Zone.Identifier` | `file_attr` `motw_removed` |

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::record::{Provider, WinRecord};
use crate::error::RecordError;
use crate::event::{AttrChange, EventKind, FileOp, Origin, Os, ProcKey};

/// What one record becomes.
#[derive(Debug)]
pub enum Mapped {
    /// An event, with the activity time the record states (`UtcTime`) when it has one.
    Event {
        /// The event.
        kind: EventKind,
        /// The OS the provider runs on.
        os: Os,
        /// `UtcTime`, when present and readable.
        utc_time: Option<DateTime<Utc>>,
    },
    /// Nothing for the engine; the reason is counted.
    Skip(&'static str),
}

/// The MotW stream's suffix, compared case-insensitively.
const ZONE_STREAM: &str = ":zone.identifier";

/// Maps one record.
pub fn map(r: &WinRecord) -> Result<Mapped, RecordError> {
    let (os, kind) = match r.provider_kind() {
        Provider::Other => return Ok(Mapped::Skip("other_provider")),
        Provider::Security => (Os::Windows, security(r)?),
        Provider::Sysmon => (Os::Windows, sysmon(r)?),
        Provider::LinuxSysmon => (Os::Linux, sysmon(r)?),
    };
    Ok(match kind {
        Ok(kind) => {
            let utc_time = r.value("UtcTime").and_then(crate::native::parse_time);
            Mapped::Event { kind, os, utc_time }
        }
        Err(reason) => Mapped::Skip(reason),
    })
}

type KindOrSkip = Result<EventKind, &'static str>;

/// The skip reason of a process end that names no process (Sysmon 5 without `ProcessGuid`,
/// Security 4689 without `ProcessId`, not even in its `Message`).
pub const END_WITHOUT_PROCESS: &str = "end_without_process";

fn need<'a>(r: &'a WinRecord, kind: &'static str, field: &'static str) -> Result<&'a str, RecordError> {
    r.value(field).ok_or(RecordError::MissingField { kind, field })
}

fn no_event_data(r: &WinRecord, kind: &'static str) -> Result<(), RecordError> {
    if !r.has_data {
        return Err(RecordError::MissingField { kind, field: "EventData" });
    }
    Ok(())
}

/// A ProcessGuid as an identity: braces stripped, lowercase. The all-zero GUID names no process.
pub fn guid(text: &str) -> Option<ProcKey> {
    let g = super::record::trim(text).trim_start_matches('{').trim_end_matches('}');
    // Lowercasing leaves `0` and `-` (and nothing else) as they are: checked before copying.
    if g.bytes().all(|b| b == b'0' || b == b'-') {
        return None;
    }
    Some(ProcKey::Id(g.to_ascii_lowercase()))
}

/// A GUID identity with the process's pid beside it, when the record has a readable one: Security
/// 4688/4689 name processes by pid alone, and the engine joins the two through it.
fn with_pid(key: ProcKey, pid: Option<&str>) -> ProcKey {
    match (key, pid.and_then(security_pid)) {
        (ProcKey::Id(g), Some(pid)) => ProcKey::IdAndPid(g, pid),
        (key, _) => key,
    }
}

fn sysmon(r: &WinRecord) -> Result<KindOrSkip, RecordError> {
    let kind = match r.event_id {
        1 => "sysmon 1",
        3 => "sysmon 3",
        5 => "sysmon 5",
        11 => "sysmon 11",
        15 => "sysmon 15",
        22 => "sysmon 22",
        23 => "sysmon 23",
        26 => "sysmon 26",
        29 => "sysmon 29",
        _ => return Ok(Err("unmapped_event_id")),
    };
    no_event_data(r, kind)?;
    if r.event_id == 5 && r.value("ProcessGuid").is_none() {
        // An end only lets the engine forget the process: without its identity it is skipped.
        return Ok(Err(END_WITHOUT_PROCESS));
    }
    let Some(proc) = guid(need(r, kind, "ProcessGuid")?) else {
        // Sysmon writes the all-zero GUID when it could not tell the process (it had ended).
        return Ok(Err("no_process_guid"));
    };
    let proc = with_pid(proc, r.value("ProcessId"));
    Ok(match r.event_id {
        1 => Ok(EventKind::ProcessStart {
            proc,
            parent: r.value("ParentProcessGuid").and_then(guid).map(|p| with_pid(p, r.value("ParentProcessId"))),
            image: need(r, kind, "Image")?.to_owned(),
            command_line: r.value("CommandLine").map(str::to_owned),
            user: r.value("User").map(str::to_owned),
            session: r.value("LogonId").and_then(crate::parse_session),
            forked: false,
            built: false,
        }),
        5 => Ok(EventKind::ProcessEnd { proc }),
        3 => return connect(r, proc),
        22 => return dns(r, proc),
        11 | 29 => {
            let path = need(r, kind, "TargetFilename")?;
            // Creating `x:Zone.Identifier` (or any stream) is not a file named so; the MotW
            // arrives as EID 15 and the file itself has its own EID 11.
            if names_stream(path) {
                return Ok(Err("stream_create"));
            }
            Ok(EventKind::FileWrite { proc, path: path.to_owned(), op: FileOp::Create, origin: None })
        }
        15 => return stream(r, proc, need(r, kind, "TargetFilename")?),
        _ => {
            let path = need(r, kind, "TargetFilename")?;
            if !ends_with_ignore_case(path, ZONE_STREAM) {
                return Ok(Err("file_delete"));
            }
            Ok(EventKind::FileAttr { proc, path: path.to_owned(), attr: AttrChange::MotwRemoved })
        }
    })
}

/// Whether a Windows path (`C:\…`, `\\server\…`) names an alternate data stream: a colon past
/// the drive letter's. POSIX paths (Sysmon for Linux) may hold colons in names.
fn names_stream(path: &str) -> bool {
    let windows = path.as_bytes().get(1) == Some(&b':') || path.starts_with(r"\\");
    windows && path.get(2..).is_some_and(|rest| rest.contains(':'))
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.is_char_boundary(text.len() - suffix.len())
        && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn connect(r: &WinRecord, proc: ProcKey) -> Result<KindOrSkip, RecordError> {
    // Only an outbound flow is egress; `Initiated` is the string "true"/"false".
    if !r.value("Initiated").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(Err("inbound_connection"));
    }
    let ip_text = need(r, "sysmon 3", "DestinationIp")?;
    let dst_ip = parse_ip(ip_text).ok_or_else(|| RecordError::BadValue {
        field: "DestinationIp",
        message: format!("`{ip_text}` is not an IP"),
    })?;
    let port_text = need(r, "sysmon 3", "DestinationPort")?;
    let dst_port = port_text.parse().map_err(|_| RecordError::BadValue {
        field: "DestinationPort",
        message: format!("`{port_text}` is not a port"),
    })?;
    // `DestinationHostname` is a reverse-DNS name (often a CDN's), not what the browser asked
    // for: using it would hide the real domain. The engine names the IP from EID 22 answers.
    Ok(Ok(EventKind::Connect { proc, dst_ip, dst_port, domain: None }))
}

/// An address, with an IPv4-mapped IPv6 prefix (`::ffff:203.0.113.7`) stripped.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = t.strip_prefix("::ffff:").or_else(|| t.strip_prefix("::FFFF:")).unwrap_or(t);
    t.parse().ok()
}

/// The addresses of a `QueryResults` value: `type:  5 cname.example.net;::ffff:203.0.113.7;`.
pub fn query_results(text: &str) -> Vec<IpAddr> {
    text.split(';').map(str::trim).filter(|e| !e.is_empty() && !e.starts_with("type:")).filter_map(parse_ip).collect()
}

fn dns(r: &WinRecord, proc: ProcKey) -> Result<KindOrSkip, RecordError> {
    let query = need(r, "sysmon 22", "QueryName")?;
    let answers = r.value("QueryResults").map(query_results).unwrap_or_default();
    if answers.is_empty() {
        // NXDOMAIN, timeouts, CNAME-only or cached-elsewhere answers name no address.
        return Ok(Err("dns_no_address"));
    }
    Ok(Ok(EventKind::DnsAnswer { proc: Some(proc), query: query.to_owned(), answers }))
}

/// EID 15: a stream was written. The MotW stream is the final write of the file it belongs to
/// (Sysmon logs no renames), carrying the origin; the primary stream is a plain write; other
/// streams say nothing about downloads.
fn stream(r: &WinRecord, proc: ProcKey, target: &str) -> Result<KindOrSkip, RecordError> {
    if ends_with_ignore_case(target, ZONE_STREAM) {
        let path = target[..target.len() - ZONE_STREAM.len()].to_owned();
        let mut origin = r.value("Contents").and_then(zone_identifier);
        if let Some(o) = origin.as_mut() {
            o.hash = r.value("Hash").map(str::to_owned);
        }
        return Ok(Ok(EventKind::FileWrite { proc, path, op: FileOp::Create, origin: origin.map(Box::new) }));
    }
    if names_stream(target) {
        return Ok(Err("other_stream"));
    }
    Ok(Ok(EventKind::FileWrite { proc, path: target.to_owned(), op: FileOp::Create, origin: None }))
}

/// The `[ZoneTransfer]` section of a `Zone.Identifier` stream. Lines are CRLF-separated, or
/// two-space-separated once nxlog has flattened them.
pub fn zone_identifier(contents: &str) -> Option<Origin> {
    let mut origin = Origin::default();
    let mut any = false;
    for entry in contents.split(['\r', '\n']).flat_map(|l| l.split("  ")) {
        let Some((key, value)) = entry.trim().split_once('=') else { continue };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "zoneid" => origin.zone = value.parse().ok(),
            "hosturl" if !value.is_empty() => origin.url = Some(value.to_owned()),
            "referrerurl" if !value.is_empty() => origin.referrer = Some(value.to_owned()),
            _ => continue,
        }
        any = true;
    }
    any.then_some(origin)
}

/// A Security-log process id: hex with `0x` (`0x23a8`), or decimal.
pub fn security_pid(text: &str) -> Option<u32> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn pid_field(r: &WinRecord, kind: &'static str, field: &'static str) -> Result<ProcKey, RecordError> {
    let text = need(r, kind, field)?;
    security_pid(text)
        .map(ProcKey::Pid)
        .ok_or_else(|| RecordError::BadValue { field, message: format!("`{text}` is not a process id") })
}

fn security(r: &WinRecord) -> Result<KindOrSkip, RecordError> {
    match r.event_id {
        4688 => {
            no_event_data(r, "security 4688")?;
            let proc = pid_field(r, "security 4688", "NewProcessId")?;
            // The creator pid; on a 4688 it is always the parent.
            let parent = r.value("ProcessId").and_then(security_pid).map(ProcKey::Pid);
            let user = match (r.value("TargetUserName"), r.value("SubjectUserName")) {
                (Some(u), _) => Some(u),
                (None, u) => u,
            };
            Ok(Ok(EventKind::ProcessStart {
                proc,
                parent,
                image: need(r, "security 4688", "NewProcessName")?.to_owned(),
                command_line: r.value("CommandLine").map(str::to_owned),
                user: user.map(str::to_owned),
                // The new process's session; before Windows 10 (no `TargetLogonId`, or
                // `0x0`) its creator's, which it inherits unless started as another logon.
                session: r
                    .value("TargetLogonId")
                    .and_then(crate::parse_session)
                    .or_else(|| r.value("SubjectLogonId").and_then(crate::parse_session)),
                forked: false,
                built: false,
            }))
        }
        4689 => {
            no_event_data(r, "security 4689")?;
            // Shippers lose this field (a collision with their own `ProcessID`): an end only
            // lets the engine forget the process, so the record is skipped, not rejected.
            if r.value("ProcessId").is_none() {
                return Ok(Err(END_WITHOUT_PROCESS));
            }
            Ok(Ok(EventKind::ProcessEnd { proc: pid_field(r, "security 4689", "ProcessId")? }))
        }
        _ => Ok(Err("unmapped_event_id")),
    }
}

#[cfg(test)]
mod tests;
