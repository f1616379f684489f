//! ECS NDJSON (Elastic Common Schema, nested objects, one document per line) of every host.
//!
//! Field names (shared with the Python peer; see `bench/peers/README.md`): `@timestamp`, `host.name`,
//! `host.os.type`, `event.category`, `event.type`, `event.action`, `process.entity_id`,
//! `process.pid`, `process.executable`, `process.command_line`, `process.parent.entity_id`,
//! `process.parent.pid`, `user.name`, `destination.ip`, `destination.port`,
//! `destination.domain`, `dns.question.name`, `dns.resolved_ip`, `file.path`,
//! `file.Ext.original.path`, `file.origin_url`, `file.origin_referrer_url`.

use std::io::{self, Write};

use chrono::SecondsFormat;
use clickchain_adapters::{Event, EventKind, FileOp, ProcKey};
use serde_json::{json, Map, Value};

use super::Written;
use crate::Stream;

/// `entity_id` for an id, `pid` for a pid, both for both (the keys clickchain's ECS reader
/// turns back into the same process identity).
fn identity(k: &ProcKey) -> Map<String, Value> {
    let mut m = Map::new();
    match k {
        ProcKey::Id(id) => {
            m.insert("entity_id".into(), json!(id));
        }
        ProcKey::Pid(pid) => {
            m.insert("pid".into(), json!(pid));
        }
        ProcKey::IdAndPid(id, pid) => {
            m.insert("entity_id".into(), json!(id));
            m.insert("pid".into(), json!(pid));
        }
    }
    m
}

/// The ECS document of `e`, or why there is none: `url_open` (ECS has no link-handling event
/// that clickchain reads) and `file_attr` (attribute changes: quarantine, MotW, mode bits).
///
/// Process starts are category `process`, type `start`, action `exec` (`fork` for a fork);
/// ends type `end`; DNS answers category `network`, type `protocol`, action `dns_query`;
/// connects category `network`, type `connection` and `start`, action `connect`; file writes
/// category `file`, type `creation` (action `creation`), or `change` with action `rename` (with
/// `file.Ext.original.path`) or `modification`.
pub fn to_ecs(e: &Event) -> Result<Value, &'static str> {
    let mut doc = Map::new();
    doc.insert("@timestamp".into(), json!(e.time.to_rfc3339_opts(SecondsFormat::Millis, true)));
    let mut host = json!({"name": e.host});
    if let Some(os) = e.os {
        host["os"] = json!({"type": os.as_str()});
    }
    doc.insert("host".into(), host);
    let proc_of = |k: &ProcKey| Value::Object(identity(k));
    let (category, types, action): (&str, &[&str], &str) = match &e.kind {
        EventKind::ProcessStart { proc, parent, image, command_line, user, forked, .. } => {
            let mut p = identity(proc);
            p.insert("executable".into(), json!(image));
            if let Some(cmd) = command_line {
                p.insert("command_line".into(), json!(cmd));
            }
            if let Some(parent) = parent {
                p.insert("parent".into(), proc_of(parent));
            }
            doc.insert("process".into(), Value::Object(p));
            if let Some(user) = user {
                doc.insert("user".into(), json!({"name": user}));
            }
            ("process", &["start"], if *forked { "fork" } else { "exec" })
        }
        EventKind::ProcessEnd { proc } => {
            doc.insert("process".into(), proc_of(proc));
            ("process", &["end"], "end")
        }
        EventKind::DnsAnswer { proc, query, answers } => {
            if let Some(proc) = proc {
                doc.insert("process".into(), proc_of(proc));
            }
            let ips: Vec<String> = answers.iter().map(|a| a.to_string()).collect();
            doc.insert("dns".into(), json!({"question": {"name": query}, "resolved_ip": ips}));
            ("network", &["protocol"], "dns_query")
        }
        EventKind::Connect { proc, dst_ip, dst_port, domain } => {
            doc.insert("process".into(), proc_of(proc));
            let mut d = json!({"ip": dst_ip.to_string(), "port": dst_port});
            if let Some(domain) = domain {
                d["domain"] = json!(domain);
            }
            doc.insert("destination".into(), d);
            ("network", &["connection", "start"], "connect")
        }
        EventKind::FileWrite { proc, path, op, origin } => {
            doc.insert("process".into(), proc_of(proc));
            let mut f = json!({"path": path});
            let (types, action): (&[&str], &str) = match op {
                FileOp::Create => (&["creation"], "creation"),
                FileOp::Rename { from } => {
                    f["Ext"] = json!({"original": {"path": from}});
                    (&["change"], "rename")
                }
                FileOp::Modify => (&["change"], "modification"),
            };
            if let Some(o) = origin {
                if let Some(url) = &o.url {
                    f["origin_url"] = json!(url);
                }
                if let Some(referrer) = &o.referrer {
                    f["origin_referrer_url"] = json!(referrer);
                }
            }
            doc.insert("file".into(), f);
            ("file", types, action)
        }
        EventKind::UrlOpen { .. } => return Err("url_open"),
        EventKind::FileAttr { .. } => return Err("file_attr"),
    };
    doc.insert("event".into(), json!({"category": [category], "type": types, "action": action}));
    Ok(Value::Object(doc))
}

/// Writes every event of `stream` as an ECS document, one per line, in the stream's order;
/// events ECS cannot carry are counted in [`Written::dropped`].
pub fn ecs(stream: &Stream, w: &mut dyn Write) -> io::Result<Written> {
    let mut w = io::BufWriter::with_capacity(1 << 20, w);
    let mut out = Written::default();
    for e in &stream.events {
        match to_ecs(e) {
            Ok(doc) => {
                serde_json::to_writer(&mut w, &doc)?;
                w.write_all(b"\n")?;
                out.records += 1;
            }
            Err(reason) => out.drop(reason),
        }
    }
    w.flush()?;
    Ok(out)
}
