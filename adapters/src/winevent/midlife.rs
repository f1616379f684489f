//! Processes first seen mid-life: a browser that ran before logging began has no EID 1, but
//! Sysmon names the acting image (`Image`) in every event. Such a process gets a start built
//! from its first event, so that it can be a link root (its egress and writes count). A parent
//! never seen starting gets one from its first child's EID 1 (`ParentImage`): a mail client
//! started at logon, before the log, is still the link source above the browser it opened.
//!
//! The start is built when the event leaves the reorder buffer, and only if no EID 1 for that
//! GUID was read by then (Sysmon can write an EID 3 a few seconds before the EID 1 of its
//! process; the buffer holds thousands of records after it).

use std::collections::HashSet;

use crate::event::{Event, EventKind, ProcKey};

/// GUIDs remembered at most; the sets are cleared when full (a process then may get a second
/// start, which the engine counts as a duplicate and ignores).
const MAX_REMEMBERED: usize = 1 << 16;

/// Which processes were seen starting, and which got a start built.
#[derive(Default)]
pub struct MidLife {
    started: HashSet<String>,
    built: HashSet<String>,
}

fn remember(set: &mut HashSet<String>, guid: &str) {
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
/// kind: the actor's `Image`, or a start's `ParentImage` (else no image is kept).
pub fn image_field(kind: &EventKind) -> Option<&'static str> {
    if actor(kind).is_some() {
        return Some("Image");
    }
    parent_of_start(kind).map(|_| "ParentImage")
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
    pub fn read(&mut self, kind: &EventKind) {
        if let Some(g) = match kind {
            EventKind::ProcessStart { proc, .. } => guid_of(proc),
            _ => None,
        } {
            remember(&mut self.started, g);
        }
    }

    /// The start to put before `event` (as it leaves the buffer), from the image its record named
    /// (see [`image_field`]).
    pub fn start_for(&mut self, event: &Event, image: Option<&str>) -> Option<Event> {
        let image = known_image(image)?;
        let (key, guid) = actor(&event.kind).or_else(|| parent_of_start(&event.kind))?;
        if self.started.contains(guid) || self.built.contains(guid) {
            return None;
        }
        remember(&mut self.built, guid);
        let kind = EventKind::ProcessStart {
            // With its pid, when the record had one: the engine joins it to a process Security
            // 4688 started under that pid and image (no parent: it has no lineage of its own).
            proc: key.clone(),
            parent: None,
            image: image.to_owned(),
            command_line: None,
            user: None,
            forked: false,
        };
        Some(Event { kind, ..event.clone() })
    }
}
