//! One eslogger message -> at most one event.

use serde::de::DeserializeOwned;

use super::key;
use super::message::{Close, Create, EsProcess, Exec, ExtAttr, Fork, Message, Rename};
use crate::error::RecordError;
use crate::event::{AttrChange, Event, EventKind, FileOp, Os, SourceRef};
use crate::native::parse_time;

const QUARANTINE: &str = "com.apple.quarantine";

/// Endpoint Security NOTIFY event names (`es_event_type_t`, macOS 13-15) that clickchain reads
/// past; a name outside this list and the mapped ones is reported as an unknown kind.
const OTHER_ES_EVENTS: &[&str] = &[
    "open",
    "write",
    "unlink",
    "mmap",
    "mprotect",
    "signal",
    "kextload",
    "kextunload",
    "mount",
    "unmount",
    "link",
    "truncate",
    "lookup",
    "chdir",
    "chroot",
    "readdir",
    "readlink",
    "stat",
    "access",
    "utimes",
    "clone",
    "copyfile",
    "exchangedata",
    "fcntl",
    "file_provider_materialize",
    "file_provider_update",
    "fsgetpath",
    "get_task",
    "get_task_read",
    "get_task_inspect",
    "get_task_name",
    "getattrlist",
    "getextattr",
    "listextattr",
    "iokit_open",
    "proc_check",
    "proc_suspend_resume",
    "ptrace",
    "remount",
    "searchfs",
    "setacl",
    "setattrlist",
    "setflags",
    "setmode",
    "setowner",
    "settime",
    "setuid",
    "setgid",
    "seteuid",
    "setegid",
    "setreuid",
    "setregid",
    "pty_grant",
    "pty_close",
    "cs_invalidated",
    "trace",
    "remote_thread_create",
    "uipc_bind",
    "uipc_connect",
    "dup",
    "authentication",
    "xp_malware_detected",
    "xp_malware_remediated",
    "lw_session_login",
    "lw_session_logout",
    "lw_session_lock",
    "lw_session_unlock",
    "screensharing_attach",
    "screensharing_detach",
    "openssh_login",
    "openssh_logout",
    "login_login",
    "login_logout",
    "btm_launch_item_add",
    "btm_launch_item_remove",
    "profile_add",
    "profile_remove",
    "su",
    "sudo",
    "authorization_petition",
    "authorization_judgement",
    "od_group_add",
    "od_group_remove",
    "od_group_set",
    "od_modify_password",
    "od_disable_user",
    "od_enable_user",
    "od_attribute_value_add",
    "od_attribute_value_remove",
    "od_attribute_set",
    "od_create_user",
    "od_create_group",
    "od_delete_user",
    "od_delete_group",
    "xpc_connect",
    "gatekeeper_user_override",
    "tcc_modify",
    "proc_resume",
];

fn missing(field: &'static str) -> RecordError {
    RecordError::MissingField { kind: "eslogger", field }
}

fn payload<T: DeserializeOwned>(value: serde_json::Value, name: &'static str) -> Result<T, RecordError> {
    serde_json::from_value(value).map_err(|e| RecordError::BadValue { field: name, message: e.to_string() })
}

fn pid_of(p: &EsProcess) -> Option<u32> {
    p.audit_token.and_then(|t| t.pid)
}

/// The process's audit session (`audit_token.asid`), when it names one.
fn session_of(p: &EsProcess) -> Option<u64> {
    p.audit_token.and_then(|t| t.asid).and_then(|a| u64::try_from(a).ok()).and_then(crate::known_session)
}

fn image_of(p: &EsProcess) -> Option<String> {
    p.executable.as_ref().and_then(|e| e.path.clone())
}

/// An argv as one command line, quoting arguments that contain spaces.
fn command_line(args: &[String]) -> String {
    let quoted: Vec<String> =
        args.iter().map(|a| if a.contains(' ') { format!("\"{a}\"") } else { a.clone() }).collect();
    quoted.join(" ")
}

/// The parent for lineage: the responsible process when it is another one (apps and their
/// helpers start through launchd and xpcproxy), else the parent pid.
fn parent_of(p: &EsProcess, pid: u32) -> Option<u32> {
    let responsible = p.responsible_audit_token.and_then(|t| t.pid).filter(|&r| r != pid && r != 0);
    responsible.or(p.ppid.filter(|&pp| pp != 0 && pp != pid))
}

/// Maps a message to its events: none for message types clickchain does not use (open,
/// write, ...), two for a file created with execute bits (the write, then `executable`).
pub(super) fn to_events(msg: Message, host: &str, source: SourceRef) -> Result<Vec<Event>, RecordError> {
    let text = msg.time.ok_or(missing("time"))?;
    let time = parse_time(&text).ok_or(RecordError::BadTimestamp(text))?;
    let process = msg.process.ok_or(missing("process"))?;
    let pid = pid_of(&process).ok_or(missing("process.audit_token.pid"))?;
    let mut event = msg.event.ok_or(missing("event"))?;
    if event.len() != 1 {
        return Err(RecordError::BadValue { field: "event", message: format!("{} keys, expected 1", event.len()) });
    }
    let (name, value) = event.iter_mut().next().map(|(k, v)| (k.clone(), v.take())).expect("one key");
    let kind = match name.as_str() {
        "exec" => {
            let exec: Exec = payload(value, "event.exec")?;
            let target = exec.target.ok_or(missing("event.exec.target"))?;
            let image = image_of(&target).ok_or(missing("event.exec.target.executable.path"))?;
            EventKind::ProcessStart {
                proc: key(pid),
                parent: parent_of(&target, pid).map(key),
                image,
                command_line: (!exec.args.is_empty()).then(|| command_line(&exec.args)),
                user: None,
                session: session_of(&target),
                forked: false,
                built: false,
            }
        }
        "fork" => {
            let fork: Fork = payload(value, "event.fork")?;
            let child = fork.child.ok_or(missing("event.fork.child"))?;
            let child_pid = pid_of(&child).ok_or(missing("event.fork.child.audit_token.pid"))?;
            let image =
                image_of(&child).or_else(|| image_of(&process)).ok_or(missing("event.fork.child.executable"))?;
            EventKind::ProcessStart {
                proc: key(child_pid),
                parent: Some(key(pid)),
                image,
                command_line: None,
                user: None,
                session: session_of(&child).or_else(|| session_of(&process)),
                forked: true,
                built: false,
            }
        }
        "exit" => EventKind::ProcessEnd { proc: key(pid) },
        "create" => {
            let create: Create = payload(value, "event.create")?;
            let destination = create.destination.ok_or(missing("event.create.destination"))?;
            let path = destination.path().ok_or(missing("event.create.destination"))?;
            if destination.executable() {
                let attr = EventKind::FileAttr { proc: key(pid), path: path.clone(), attr: AttrChange::Executable };
                let write = EventKind::FileWrite { proc: key(pid), path, op: FileOp::Create, origin: None };
                let event =
                    |kind| Event { time, host: host.to_owned(), os: Some(Os::Macos), source: source.clone(), kind };
                return Ok(vec![event(write), event(attr)]);
            }
            EventKind::FileWrite { proc: key(pid), path, op: FileOp::Create, origin: None }
        }
        "rename" => {
            let rename: Rename = payload(value, "event.rename")?;
            let from = rename.source.and_then(|s| s.path).ok_or(missing("event.rename.source.path"))?;
            let path = rename.destination.and_then(|d| d.path()).ok_or(missing("event.rename.destination"))?;
            EventKind::FileWrite { proc: key(pid), path, op: FileOp::Rename { from }, origin: None }
        }
        "close" => {
            let close: Close = payload(value, "event.close")?;
            match close.target.and_then(|t| t.path) {
                Some(path) if close.modified => {
                    EventKind::FileWrite { proc: key(pid), path, op: FileOp::Modify, origin: None }
                }
                _ => return Ok(Vec::new()),
            }
        }
        "write" => {
            // Very chatty; kept as a modification (which the engine only counts).
            let write: Close = payload(value, "event.write")?;
            let path = write.target.and_then(|t| t.path).ok_or(missing("event.write.target.path"))?;
            EventKind::FileWrite { proc: key(pid), path, op: FileOp::Modify, origin: None }
        }
        "setextattr" | "deleteextattr" => {
            let attr: ExtAttr = payload(value, "event.extattr")?;
            if attr.extattr.as_deref() != Some(QUARANTINE) {
                return Ok(Vec::new());
            }
            let path = attr.target.and_then(|t| t.path).ok_or(missing("event.extattr.target.path"))?;
            let attr = if name == "setextattr" { AttrChange::QuarantineSet } else { AttrChange::QuarantineRemoved };
            EventKind::FileAttr { proc: key(pid), path, attr }
        }
        other if OTHER_ES_EVENTS.contains(&other) => return Ok(Vec::new()),
        other => return Err(RecordError::UnknownKind(other.chars().take(64).collect())),
    };
    Ok(vec![Event { time, host: host.to_owned(), os: Some(Os::Macos), source, kind }])
}
