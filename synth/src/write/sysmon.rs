//! Flattened Sysmon JSON (one record per line, the `EventData` fields beside `EventID`,
//! `Channel`, `Hostname`, `TimeCreated`: the OTRF/nxlog shape) of the Windows events.

use std::collections::HashMap;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use clickchain_adapters::{AttrChange, Event, EventKind, FileOp, Os, ProcKey};
use serde_json::{json, Value};

use super::Written;
use crate::Stream;

fn utc(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// The Sysmon (or Security) record a Windows host logs for `e`, or why there is none:
/// `not_windows` (events of other OSes), `url_open` (Sysmon logs no link handling),
/// `dns_without_process`, `file_attr` (attribute changes other than MotW removal).
///
/// Process starts and ends keyed by GUID are Sysmon 1 and 5, by pid Security 4688 and 4689; DNS
/// answers Sysmon 22, connects Sysmon 3, file creations Sysmon 11. A rename with an origin is
/// the Sysmon 15 of the final name's `:Zone.Identifier` stream (Sysmon logs no renames: the
/// adapter pairs a partial with the final write), and MotW removal Sysmon 23 of that stream.
pub fn to_sysmon(e: &Event) -> Result<Value, &'static str> {
    if e.os != Some(Os::Windows) {
        return Err("not_windows");
    }
    let created = e.time.to_rfc3339_opts(SecondsFormat::Millis, true);
    let sysmon = |eid: u32, proc: &ProcKey| {
        json!({"EventID": eid, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": e.host,
               "TimeCreated": created, "UtcTime": utc(&e.time), "ProcessGuid": proc.to_string()})
    };
    let security =
        |eid: u32| json!({"EventID": eid, "Channel": "Security", "Hostname": e.host, "TimeCreated": created});
    let hex = |k: &ProcKey| match k {
        ProcKey::Pid(p) | ProcKey::IdAndPid(_, p) => format!("{p:#x}"),
        ProcKey::Id(s) => s.clone(),
    };
    let mut r = match &e.kind {
        EventKind::ProcessStart { proc: p @ ProcKey::Pid(_), parent, image, command_line, .. } => {
            let mut r = security(4688);
            r["NewProcessId"] = json!(hex(p));
            r["ProcessId"] = json!(parent.as_ref().map(hex));
            r["NewProcessName"] = json!(image);
            r["CommandLine"] = json!(command_line);
            r
        }
        EventKind::ProcessStart { proc, parent, image, command_line, user, .. } => {
            let mut r = sysmon(1, proc);
            r["ParentProcessGuid"] = json!(parent.as_ref().map(|p| p.to_string()));
            r["Image"] = json!(image);
            r["CommandLine"] = json!(command_line);
            r["User"] = json!(user);
            r
        }
        EventKind::ProcessEnd { proc: p @ ProcKey::Pid(_) } => {
            let mut r = security(4689);
            r["ProcessId"] = json!(hex(p));
            r
        }
        EventKind::ProcessEnd { proc } => sysmon(5, proc),
        EventKind::DnsAnswer { proc: Some(proc), query, answers } => {
            let mut r = sysmon(22, proc);
            r["QueryName"] = json!(query);
            r["QueryStatus"] = json!("0");
            r["QueryResults"] = json!(answers.iter().map(|a| format!("::ffff:{a};")).collect::<String>());
            r
        }
        EventKind::DnsAnswer { proc: None, .. } => return Err("dns_without_process"),
        EventKind::Connect { proc, dst_ip, dst_port, .. } => {
            let mut r = sysmon(3, proc);
            r["Initiated"] = json!("true");
            r["DestinationIp"] = json!(dst_ip.to_string());
            r["DestinationPort"] = json!(dst_port.to_string());
            r
        }
        EventKind::FileWrite { proc, path, op: FileOp::Rename { .. }, origin: Some(o) } => {
            let mut r = sysmon(15, proc);
            r["TargetFilename"] = json!(format!("{path}:Zone.Identifier"));
            let mut contents = format!("[ZoneTransfer]\r\nZoneId={}\r\n", o.zone.unwrap_or(3));
            if let Some(referrer) = &o.referrer {
                contents.push_str(&format!("ReferrerUrl={referrer}\r\n"));
            }
            if let Some(url) = &o.url {
                contents.push_str(&format!("HostUrl={url}\r\n"));
            }
            r["Contents"] = json!(contents);
            r
        }
        EventKind::FileWrite { proc, path, .. } => {
            let mut r = sysmon(11, proc);
            r["TargetFilename"] = json!(path);
            r
        }
        EventKind::FileAttr { proc, path, attr: AttrChange::MotwRemoved } => {
            let mut r = sysmon(23, proc);
            r["TargetFilename"] = json!(format!("{path}:Zone.Identifier"));
            r
        }
        EventKind::FileAttr { .. } => return Err("file_attr"),
        EventKind::UrlOpen { .. } => return Err("url_open"),
    };
    if let Some(o) = r.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    Ok(r)
}

/// Each Sysmon process's pid and image, per host and GUID: Sysmon names them in every record
/// (`ProcessId`, `Image`) and a start's parent too (`ParentProcessId`, `ParentImage`). Pids
/// are given in start order, 4 apart as Windows gives them, from 1000 on each host.
fn pids_and_images(stream: &Stream) -> HashMap<(&str, &str), (u32, &str)> {
    let mut known = HashMap::new();
    let mut next: HashMap<&str, u32> = HashMap::new();
    for e in &stream.events {
        if let (Some(Os::Windows), EventKind::ProcessStart { proc: ProcKey::Id(guid), image, .. }) = (e.os, &e.kind) {
            let n = next.entry(e.host.as_str()).or_insert(1000);
            known.insert((e.host.as_str(), guid.as_str()), (*n, image.as_str()));
            // Wraps below 2^22, as Windows pids stay small (a wrapped pid is a reused one).
            *n = if *n >= (1 << 22) { 1000 } else { *n + 4 };
        }
    }
    known
}

/// Adds the pid and image Sysmon names a record's process (and a start's parent) by.
fn name_processes(r: &mut Value, e: &Event, known: &HashMap<(&str, &str), (u32, &str)>) {
    let of = |k: &ProcKey| match k {
        ProcKey::Id(guid) => known.get(&(e.host.as_str(), guid.as_str())).copied(),
        _ => None,
    };
    let (proc, parent) = match &e.kind {
        EventKind::ProcessStart { proc, parent, .. } => (Some(proc), parent.as_ref()),
        EventKind::ProcessEnd { proc }
        | EventKind::Connect { proc, .. }
        | EventKind::FileWrite { proc, .. }
        | EventKind::FileAttr { proc, .. }
        | EventKind::DnsAnswer { proc: Some(proc), .. } => (Some(proc), None),
        _ => (None, None),
    };
    if r.get("ProcessGuid").is_none() {
        return;
    }
    if let Some((pid, image)) = proc.and_then(of) {
        r["ProcessId"] = json!(pid.to_string());
        r["Image"] = json!(image);
    }
    if let Some((pid, image)) = parent.and_then(of) {
        r["ParentProcessId"] = json!(pid.to_string());
        r["ParentImage"] = json!(image);
    }
}

/// Writes the Windows events of `stream` as flattened Sysmon JSON, one record per line, in the
/// stream's order; events it cannot carry are counted in [`Written::dropped`]. Unlike
/// [`to_sysmon`] of one event, every record names its process's pid and image, as Sysmon's do.
pub fn sysmon(stream: &Stream, w: &mut dyn Write) -> io::Result<Written> {
    let mut w = io::BufWriter::with_capacity(1 << 20, w);
    let mut out = Written::default();
    let known = pids_and_images(stream);
    for e in &stream.events {
        match to_sysmon(e) {
            Ok(mut r) => {
                name_processes(&mut r, e, &known);
                serde_json::to_writer(&mut w, &r)?;
                w.write_all(b"\n")?;
                out.records += 1;
            }
            Err(reason) => out.drop(reason),
        }
    }
    w.flush()?;
    Ok(out)
}
