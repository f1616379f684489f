//! One grouped audit event → at most one clickchain [`Event`] (the syscall table in
//! `docs/formats.md` "Linux: raw auditd").

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::argv::{argv, command_line, proctitle};
use super::group::{at, Fail, Group, Record, RecordKind};
use super::line::{field, fields};
use super::sockaddr::{self, SockAddr};
use super::syscalls::{self, Syscall, CLONE_THREAD};
use super::values;
use crate::error::RecordError;
use crate::event::{Event, EventKind, FileOp, Os, Position, ProcKey, SourceRef};

/// `exit=` of a non-blocking connect still in progress: the normal outcome for browser sockets.
const EINPROGRESS: i64 = -115;

/// What one audit event became.
#[derive(Debug)]
pub enum Mapped {
    /// An event.
    Event(Event),
    /// Nothing, for a counted reason (an unused syscall, a failed one, …).
    Skipped(&'static str),
    /// A bad event: the line to name and what is wrong.
    Rejected(u64, RecordError),
}

/// The SYSCALL record's fields the mapping reads, raw, taken in one pass over the record.
#[derive(Default)]
struct SysFields<'a> {
    arch: Option<&'a str>,
    syscall: Option<&'a str>,
    success: Option<&'a str>,
    exit: Option<&'a str>,
    args: [Option<&'a str>; 4],
    pid: Option<&'a str>,
    ppid: Option<&'a str>,
    uid: Option<&'a str>,
    ses: Option<&'a str>,
    comm: Option<&'a str>,
    exe: Option<&'a str>,
}

impl<'a> SysFields<'a> {
    fn of(body: &'a str) -> Self {
        let mut f = SysFields::default();
        for (k, v) in fields(body) {
            let slot = match k {
                "arch" => &mut f.arch,
                "syscall" => &mut f.syscall,
                "success" => &mut f.success,
                "exit" => &mut f.exit,
                "a0" => &mut f.args[0],
                "a1" => &mut f.args[1],
                "a2" => &mut f.args[2],
                "a3" => &mut f.args[3],
                "pid" => &mut f.pid,
                "ppid" => &mut f.ppid,
                "uid" => &mut f.uid,
                "ses" => &mut f.ses,
                "comm" => &mut f.comm,
                "exe" => &mut f.exe,
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        f
    }
}

/// The SYSCALL record, decoded as far as every mapping needs.
struct Call<'a> {
    syscall: Syscall,
    success: bool,
    exit: i64,
    args: [u64; 4],
    pid: u32,
    ppid: u32,
    record: &'a Record,
    fields: SysFields<'a>,
}

impl Call<'_> {
    /// The caller's login session (`ses=`; unset is no session).
    fn session(&self) -> Option<u64> {
        self.fields.ses.and_then(crate::parse_session)
    }
}

/// Maps one event. `default_host` names hosts of records without `node=`.
pub fn map(g: &Group, input: &Arc<str>, default_host: &str) -> Mapped {
    let Some(sys) = g.records.iter().find(|r| r.kind == RecordKind::Syscall) else {
        if g.has_other_types || g.records.is_empty() {
            return Mapped::Skipped("not_a_syscall_event");
        }
        let kinds: Vec<String> = g.records.iter().map(|r| format!("{:?}", r.kind).to_uppercase()).collect();
        let why = format!("{} record(s) of event {} without its SYSCALL", kinds.join(","), g.serial);
        return Mapped::Rejected(g.first_line, RecordError::Incomplete(why));
    };
    match map_call(g, sys, input, default_host) {
        Ok(m) => m,
        Err((line, e)) => Mapped::Rejected(line, e),
    }
}

fn need<'a>(r: &Record, raw: Option<&'a str>, key: &'static str) -> Result<&'a str, Fail> {
    raw.ok_or((r.line, RecordError::MissingField { kind: "SYSCALL", field: key }))
}

fn map_call(g: &Group, sys: &Record, input: &Arc<str>, default_host: &str) -> Result<Mapped, Fail> {
    let f = SysFields::of(&sys.body);
    let arch = values::hex_number("arch", need(sys, f.arch, "arch")?).map_err(at(sys))?;
    let nr = values::number("syscall", need(sys, f.syscall, "syscall")?).map_err(at(sys))?;
    let by_number = u64::try_from(nr).ok().and_then(|nr| syscalls::lookup(arch, nr));
    let syscall = match by_number.or_else(|| field(&sys.enriched, "SYSCALL").and_then(syscalls::by_name)) {
        Some(s) => s,
        None => return Ok(Mapped::Skipped("syscall_not_mapped")),
    };
    let mut args = [0u64; 4];
    for (i, raw) in f.args.iter().enumerate() {
        if let Some(raw) = raw {
            args[i] = values::hex_number("a0..a3", raw).map_err(at(sys))?;
        }
    }
    let pid = |raw: Option<&str>, key: &'static str| -> Result<u32, Fail> {
        let n = values::number(key, need(sys, raw, key)?).map_err(at(sys))?;
        u32::try_from(n)
            .map_err(|_| (sys.line, RecordError::BadValue { field: key, message: format!("{n} is not a pid") }))
    };
    let call = Call {
        syscall,
        success: f.success != Some("no"),
        exit: f.exit.map_or(Ok(0), |x| values::number("exit", x)).map_err(at(sys))?,
        args,
        pid: pid(f.pid, "pid")?,
        ppid: pid(f.ppid, "ppid")?,
        record: sys,
        fields: f,
    };
    let kind = match call.syscall {
        Syscall::Connect => connect(g, &call)?,
        _ if !call.success => return Ok(Mapped::Skipped("failed_syscall")),
        Syscall::Exec => Ok(exec(g, &call)?),
        Syscall::Fork => fork(&call)?,
        Syscall::Clone if call.args[0] & CLONE_THREAD != 0 => Err("thread_clone"),
        Syscall::Clone => fork(&call)?,
        // clone3's flags are in user memory: a thread cannot be told from a process. Children
        // that matter exec, and an exec names its parent, so skipping loses only fork-only children.
        Syscall::Clone3 => Err("clone3_flags_not_logged"),
        Syscall::Open => create(g, &call)?,
        Syscall::Rename => rename(g, &call)?,
        // The attribute's name and value stay in user memory: `user.xdg.origin.url` is invisible.
        Syscall::SetXattr => Err("xattr_value_not_logged"),
        Syscall::ExitGroup => Ok(EventKind::ProcessEnd { proc: ProcKey::Pid(call.pid) }),
    };
    let kind = match kind {
        Ok(k) => k,
        Err(reason) => return Ok(Mapped::Skipped(reason)),
    };
    let time = DateTime::<Utc>::from_timestamp_millis(g.time_ms)
        .ok_or_else(|| (sys.line, RecordError::BadTimestamp(g.time_ms.to_string())))?;
    Ok(Mapped::Event(Event {
        time,
        host: g.node.as_deref().unwrap_or(default_host).to_owned(),
        os: Some(Os::Linux),
        source: SourceRef { input: Arc::clone(input), pos: Position::Line(sys.line) },
        kind,
    }))
}

fn text_field(r: &Record, key: &'static str) -> Result<Option<String>, Fail> {
    text_value(r, field(&r.body, key), key)
}

fn text_value(r: &Record, raw: Option<&str>, key: &'static str) -> Result<Option<String>, Fail> {
    match raw {
        Some(raw) => values::text(key, raw).map_err(at(r)),
        None => Ok(None),
    }
}

fn exec(g: &Group, call: &Call<'_>) -> Result<EventKind, Fail> {
    let cwd = cwd(g)?;
    let items = paths(g)?;
    let item0 = items.iter().find(|p| p.item == 0).map(|p| join(cwd.as_deref().unwrap_or("/"), &p.name));
    let image = match (text_value(call.record, call.fields.exe, "exe")?, item0) {
        // A `#!` script: `exe` is its interpreter; the file that ran is PATH item 0.
        (Some(_), Some(script)) if is_script_exec(&items) => script,
        (Some(exe), _) => exe,
        (None, Some(item0)) => item0,
        (None, None) => text_value(call.record, call.fields.comm, "comm")?.unwrap_or_default(),
    };
    let argv = match argv(g)? {
        Some(a) => Some(a),
        None => proctitle(g)?,
    };
    let user = field(&call.record.enriched, "UID")
        .and_then(|u| values::text("UID", u).ok().flatten())
        .or_else(|| call.fields.uid.map(str::to_owned));
    Ok(EventKind::ProcessStart {
        proc: ProcKey::Pid(call.pid),
        parent: Some(ProcKey::Pid(call.ppid)),
        image,
        command_line: argv.map(|a| command_line(&a)),
        user,
        session: call.session(),
        forked: false,
        built: false,
    })
}

/// Whether an exec ran a `#!` script: item 1 is then the interpreter, where an ELF exec has the
/// dynamic loader (`ld-linux-*.so*`, `ld-musl-*.so*`) or no item 1 at all (static binaries).
fn is_script_exec(items: &[PathItem]) -> bool {
    items.iter().find(|p| p.item == 1).is_some_and(|p| {
        let base = p.name.rsplit('/').next().unwrap_or(&p.name);
        !(base.starts_with("ld-") && base.contains(".so"))
    })
}

/// A fork, vfork or clone: `exit` is the child's pid; the child runs the parent's image.
fn fork(call: &Call<'_>) -> Result<Result<EventKind, &'static str>, Fail> {
    let Ok(child) = u32::try_from(call.exit) else { return Ok(Err("failed_syscall")) };
    if child == 0 {
        return Ok(Err("failed_syscall"));
    }
    let image = text_value(call.record, call.fields.exe, "exe")?.unwrap_or_default();
    Ok(Ok(EventKind::ProcessStart {
        proc: ProcKey::Pid(child),
        parent: Some(ProcKey::Pid(call.pid)),
        image,
        command_line: None,
        user: call.fields.uid.map(str::to_owned),
        // The child is in its parent's session (the caller's `ses`).
        session: call.session(),
        forked: true,
        built: false,
    }))
}

fn connect(g: &Group, call: &Call<'_>) -> Result<Result<EventKind, &'static str>, Fail> {
    if !call.success && call.exit != EINPROGRESS {
        return Ok(Err("failed_syscall"));
    }
    let Some(rec) = g.records.iter().find(|r| r.kind == RecordKind::Sockaddr) else {
        return Ok(Err("connect_without_sockaddr"));
    };
    let raw = field(&rec.body, "saddr").unwrap_or("");
    let bytes = values::hex(raw)
        .ok_or_else(|| (rec.line, RecordError::BadValue { field: "saddr", message: "not hex".to_owned() }))?;
    match sockaddr::decode(&bytes) {
        Some(SockAddr::Inet { ip, port }) => {
            Ok(Ok(EventKind::Connect { proc: ProcKey::Pid(call.pid), dst_ip: ip, dst_port: port, domain: None }))
        }
        Some(SockAddr::Other(_)) => Ok(Err("connect_not_inet")),
        None => Err((rec.line, RecordError::BadValue { field: "saddr", message: "truncated sockaddr".to_owned() })),
    }
}

/// One PATH record.
struct PathItem {
    item: i64,
    name: String,
    nametype: String,
}

fn paths(g: &Group) -> Result<Vec<PathItem>, Fail> {
    let mut out = Vec::new();
    for r in g.records.iter().filter(|r| r.kind == RecordKind::Path) {
        let (mut name, mut item, mut nametype) = (None, None, None);
        for (k, v) in fields(&r.body) {
            match k {
                "name" => name = name.or(Some(v)),
                "item" => item = item.or(Some(v)),
                "nametype" => nametype = nametype.or(Some(v)),
                _ => {}
            }
        }
        let Some(name) = text_value(r, name, "name")? else { continue };
        let item = item.and_then(|i| i.parse().ok()).unwrap_or(-1);
        out.push(PathItem { item, name, nametype: nametype.unwrap_or("").to_owned() });
    }
    out.sort_by_key(|p| p.item);
    Ok(out)
}

fn cwd(g: &Group) -> Result<Option<String>, Fail> {
    match g.records.iter().find(|r| r.kind == RecordKind::Cwd) {
        Some(r) => text_field(r, "cwd"),
        None => Ok(None),
    }
}

/// The absolute form of `name` given relative to directory fd `dirfd` (`None`: the CWD).
fn resolve(name: &str, dirfd: Option<u64>, cwd: Option<&str>) -> Result<String, &'static str> {
    if name.starts_with('/') {
        return Ok(join("/", name));
    }
    match (dirfd, cwd) {
        (Some(fd), _) if !syscalls::is_at_fdcwd(fd) => Err("path_relative_to_dirfd"),
        (_, Some(cwd)) => Ok(join(cwd, name)),
        (_, None) => Err("relative_path_without_cwd"),
    }
}

/// open/openat/openat2/creat that created a file (a PATH record with `nametype=CREATE`).
fn create(g: &Group, call: &Call<'_>) -> Result<Result<EventKind, &'static str>, Fail> {
    let items = paths(g)?;
    let Some(created) = items.iter().find(|p| p.nametype == "CREATE") else { return Ok(Err("open_without_create")) };
    let nr_is_openat = !matches!(call.fields.syscall, Some("2" | "85"));
    let dirfd = nr_is_openat.then_some(call.args[0]);
    let cwd = cwd(g)?;
    Ok(resolve(&created.name, dirfd, cwd.as_deref()).map(|path| EventKind::FileWrite {
        proc: ProcKey::Pid(call.pid),
        path,
        op: FileOp::Create,
        origin: None,
    }))
}

/// rename/renameat/renameat2: the DELETE item is the old name, the CREATE item the new one.
fn rename(g: &Group, call: &Call<'_>) -> Result<Result<EventKind, &'static str>, Fail> {
    let items = paths(g)?;
    let (Some(old), Some(new)) =
        (items.iter().find(|p| p.nametype == "DELETE"), items.iter().find(|p| p.nametype == "CREATE"))
    else {
        return Ok(Err("rename_without_names"));
    };
    let plain_rename = matches!(call.fields.syscall, Some("82"));
    let (old_fd, new_fd) = if plain_rename { (None, None) } else { (Some(call.args[0]), Some(call.args[2])) };
    let cwd = cwd(g)?;
    let from = match resolve(&old.name, old_fd, cwd.as_deref()) {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    Ok(resolve(&new.name, new_fd, cwd.as_deref()).map(|path| EventKind::FileWrite {
        proc: ProcKey::Pid(call.pid),
        path,
        op: FileOp::Rename { from },
        origin: None,
    }))
}

/// `dir` joined with `name`, with `.`, `..` and repeated slashes resolved lexically.
pub fn join(dir: &str, name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let full = if name.starts_with('/') { name.to_owned() } else { format!("{dir}/{name}") };
    for seg in full.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests;
