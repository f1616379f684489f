//! Processes first seen mid-life: a browser that ran before logging began has no EID 1, but
//! Sysmon names the acting image (`Image`) in every event. Such a process gets a start built
//! from its first event, so that it can be a link root (its egress and writes count). A parent
//! never seen starting gets one from its first child's EID 1 (`ParentImage`): a mail client
//! started at logon, before the log, is still the link source above the browser it opened.
//! Security 4688 names its creator by pid alone, and by image in `ParentProcessName` (Windows
//! 10 and later): a creator never named before its child's 4688 gets its start from that.
//!
//! The start is built when the event leaves the reorder buffer, and only if no EID 1 for that
//! GUID was read by then (Sysmon can write an EID 3 a few seconds before the EID 1 of its
//! process; the buffer holds thousands of records after it). A pid is reused, so a 4688's
//! creator gets a start only when no record read so far named its pid at or before the 4688's
//! time: a later holder of the pid is another process.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::event::{Event, EventKind, ProcKey};

/// GUIDs remembered at most; the sets are cleared when full (a process then may get a second
/// start, which the engine counts as a duplicate and ignores).
const MAX_REMEMBERED: usize = 1 << 16;

/// Which processes were seen starting, and which got a start built.
#[derive(Default)]
pub struct MidLife {
    started: FxHashSet<String>,
    built: FxHashSet<String>,
    /// Per host (by `host_index`), per pid: the earliest time (ms) a record named a process
    /// under it (a built start included). A 4688's creator reference is not a naming: it is
    /// what is asked.
    pids: Vec<(String, FxHashMap<u32, i64>)>,
    host_index: FxHashMap<String, usize>,
    /// The index of the last record's host (runs of records share a host).
    last_host: usize,
    /// Hosts and pids in `pids`.
    pid_entries: usize,
}

fn remember(set: &mut FxHashSet<String>, guid: &str) {
    if set.len() >= MAX_REMEMBERED {
        set.clear();
    }
    set.insert(guid.to_owned());
}

/// The process an event is about (its key and GUID), when it is named by a GUID and the event
/// is not its start.
fn actor(kind: &EventKind) -> Option<(&ProcKey, &str)> {
    let proc = match kind {
        EventKind::ProcessStart { .. } | EventKind::ProcessEnd { .. } | EventKind::DnsAnswer { proc: None, .. } => {
            return None
        }
        EventKind::UrlOpen { proc, .. }
        | EventKind::Connect { proc, .. }
        | EventKind::FileWrite { proc, .. }
        | EventKind::FileAttr { proc, .. }
        | EventKind::DnsAnswer { proc: Some(proc), .. } => proc,
    };
    guid_of(proc).map(|g| (proc, g))
}

fn guid_of(key: &ProcKey) -> Option<&str> {
    match key {
        ProcKey::Id(g) | ProcKey::IdAndPid(g, _) => Some(g),
        ProcKey::Pid(_) => None,
    }
}

/// The field naming the image of the process a start may be built for before an event of this
/// kind: the actor's `Image`, a Sysmon start's `ParentImage`, or a 4688's `ParentProcessName`
/// (else no image is kept).
pub fn image_field(kind: &EventKind) -> Option<&'static str> {
    if actor(kind).is_some() {
        return Some("Image");
    }
    if parent_of_start(kind).is_some() {
        return Some("ParentImage");
    }
    creator_pid(kind).map(|_| "ParentProcessName")
}

/// The creator a start names by pid alone (a 4688's), unless it names the start itself.
fn creator_pid(kind: &EventKind) -> Option<u32> {
    match kind {
        EventKind::ProcessStart { proc, parent: Some(ProcKey::Pid(p)), .. } if pid_of(proc) != Some(*p) => Some(*p),
        _ => None,
    }
}

fn pid_of(key: &ProcKey) -> Option<u32> {
    match key {
        ProcKey::Pid(p) | ProcKey::IdAndPid(_, p) => Some(*p),
        ProcKey::Id(_) => None,
    }
}

/// The pids an event names a process by (a start's pid-only creator excepted).
fn named_pids(kind: &EventKind) -> [Option<u32>; 2] {
    match kind {
        EventKind::ProcessStart { proc, parent, .. } => {
            [pid_of(proc), parent.as_ref().filter(|p| matches!(p, ProcKey::IdAndPid(..))).and_then(pid_of)]
        }
        EventKind::ProcessEnd { proc }
        | EventKind::UrlOpen { proc, .. }
        | EventKind::Connect { proc, .. }
        | EventKind::FileWrite { proc, .. }
        | EventKind::FileAttr { proc, .. }
        | EventKind::DnsAnswer { proc: Some(proc), .. } => [pid_of(proc), None],
        EventKind::DnsAnswer { proc: None, .. } => [None, None],
    }
}

/// The parent a start names by GUID (and its GUID).
fn parent_of_start(kind: &EventKind) -> Option<(&ProcKey, &str)> {
    match kind {
        EventKind::ProcessStart { parent: Some(p), .. } => guid_of(p).map(|g| (p, g)),
        _ => None,
    }
}

/// An image a start can be built with: Sysmon writes `-` for one it does not know.
fn known_image(image: Option<&str>) -> Option<&str> {
    image.map(str::trim).filter(|i| !i.is_empty() && *i != "-")
}

impl MidLife {
    /// Notes an event as it is read (before reordering).
    pub fn read(&mut self, event: &Event) {
        if let Some(g) = match &event.kind {
            EventKind::ProcessStart { proc, .. } => guid_of(proc),
            _ => None,
        } {
            remember(&mut self.started, g);
        }
        for pid in named_pids(&event.kind).into_iter().flatten() {
            self.name_pid(&event.host, pid, event.time.timestamp_millis());
        }
    }

    /// The index of `host`'s pids.
    fn host(&mut self, host: &str) -> usize {
        if self.pids.get(self.last_host).is_some_and(|(name, _)| name == host) {
            return self.last_host;
        }
        self.last_host = match self.host_index.get(host) {
            Some(&i) => i,
            None => {
                self.make_room();
                self.pid_entries += 1;
                self.pids.push((host.to_owned(), FxHashMap::default()));
                self.host_index.insert(host.to_owned(), self.pids.len() - 1);
                self.pids.len() - 1
            }
        };
        self.last_host
    }

    /// Forgets every pid (and host) when full.
    fn make_room(&mut self) {
        if self.pid_entries >= MAX_REMEMBERED {
            self.pids.clear();
            self.host_index.clear();
            self.pid_entries = 0;
        }
    }

    fn name_pid(&mut self, host: &str, pid: u32, time: i64) {
        self.make_room();
        let i = self.host(host);
        let first = self.pids[i].1.entry(pid).or_insert_with(|| {
            self.pid_entries += 1;
            time
        });
        *first = (*first).min(time);
    }

    /// Whether a record read so far named a process under `pid` of `host` at or before `time`.
    fn pid_named_by(&mut self, host: &str, pid: u32, time: i64) -> bool {
        let i = self.host(host);
        self.pids[i].1.get(&pid).is_some_and(|&first| first <= time)
    }

    /// The start to put before `event` (as it leaves the buffer), from the image its record named
    /// (see [`image_field`]).
    pub fn start_for(&mut self, event: &Event, image: Option<&str>) -> Option<Event> {
        let image = known_image(image)?;
        let key = match actor(&event.kind).or_else(|| parent_of_start(&event.kind)) {
            Some((key, guid)) => {
                if self.started.contains(guid) || self.built.contains(guid) {
                    return None;
                }
                remember(&mut self.built, guid);
                key.clone()
            }
            None => {
                let pid = creator_pid(&event.kind)?;
                let time = event.time.timestamp_millis();
                if self.pid_named_by(&event.host, pid, time) {
                    return None;
                }
                self.name_pid(&event.host, pid, time);
                ProcKey::Pid(pid)
            }
        };
        let kind = EventKind::ProcessStart {
            // With its pid, when the record had one: the engine joins it to the process another
            // source started under that pid and image (no parent: it has no lineage of its own).
            proc: key,
            parent: None,
            image: image.to_owned(),
            command_line: None,
            user: None,
            forked: false,
        };
        Some(Event { kind, ..event.clone() })
    }
}
