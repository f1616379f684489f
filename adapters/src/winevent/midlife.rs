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

use rustc_hash::FxHashMap;

use crate::event::{Event, EventKind, ProcKey};

/// Entries each generation of a [`Recent`] holds: a process used in neither of the last two
/// is forgotten (it then may get a second start, which the engine joins or counts as a
/// duplicate and ignores).
const GENERATION: usize = 1 << 15;

/// A bounded map that keeps what was inserted or found in its last two generations.
struct Recent<K, V> {
    now: FxHashMap<K, V>,
    before: FxHashMap<K, V>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent { now: FxHashMap::default(), before: FxHashMap::default() }
    }
}

impl<K: std::hash::Hash + Eq, V: Copy> Recent<K, V> {
    /// The value of `key`, moved into the current generation when found in the last.
    fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(&v) = self.now.get(key) {
            return Some(v);
        }
        let v = self.before.remove(key)?;
        self.insert(key.to_owned(), v);
        Some(v)
    }

    fn insert(&mut self, key: K, v: V) {
        if self.now.len() >= GENERATION {
            self.before = std::mem::take(&mut self.now);
        }
        self.now.insert(key, v);
    }
}

/// Which processes were seen starting, and which got a start built.
///
/// GUIDs, like hosts, are keyed by a 64-bit hash under this reader's random `seed` (owned GUID
/// strings cost an allocation per start and a string compare per lookup, on every event).
pub struct MidLife {
    started: Recent<u64, ()>,
    built: Recent<u64, ()>,
    /// Per (host, pid): the earliest time (ms) a record named a process under that pid (a
    /// built start included). A 4688's creator reference is not a naming: it is what is asked.
    /// Hosts are keyed by a 64-bit hash of their name under this reader's random `seed`: a
    /// table of names cost a second lookup per record, and names cannot be chosen to collide
    /// without the seed.
    pids: Recent<(u64, u32), i64>,
    seed: u64,
}

impl Default for MidLife {
    fn default() -> Self {
        use std::hash::BuildHasher;
        MidLife {
            started: Recent::default(),
            built: Recent::default(),
            pids: Recent::default(),
            seed: std::collections::hash_map::RandomState::new().hash_one(0u8),
        }
    }
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
    proc.id().map(|g| (proc, g))
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

/// The text kept for a start that may be built before `kind`: the image `image`, and for the
/// actor of a non-start event the `User` its record names, for a 4688's creator the
/// `SubjectLogonId` (the creator's logon session), each after a NUL (one allocation for all:
/// this runs for every record). A built start carries its user and session so that the engine
/// can attach a browser child whose start was not logged to the root of the same image, user
/// and session.
pub fn actor_text(kind: &EventKind, image: &str, r: &super::record::WinRecord) -> Box<str> {
    let user = actor(kind).and(r.value("User"));
    let session = creator_pid(kind).and(r.value("SubjectLogonId"));
    if user.is_none() && session.is_none() {
        return Box::from(image);
    }
    let (user, session) = (user.unwrap_or_default(), session.unwrap_or_default());
    let mut text = String::with_capacity(image.len() + 2 + user.len() + session.len());
    for (i, part) in [image, user, session].into_iter().enumerate() {
        if i > 0 {
            text.push('\0');
        }
        text.push_str(part);
    }
    text.into_boxed_str()
}

/// The image, user and session of an [`actor_text`].
fn split_actor_text(text: &str) -> (&str, Option<&str>, Option<u64>) {
    let mut parts = text.split('\0');
    let image = parts.next().unwrap_or_default();
    let user = parts.next().filter(|u| !u.is_empty());
    let session = parts.next().and_then(crate::parse_session);
    (image, user, session)
}

/// The creator a start names by pid alone (a 4688's), unless it names the start itself.
fn creator_pid(kind: &EventKind) -> Option<u32> {
    match kind {
        EventKind::ProcessStart { proc, parent: Some(ProcKey::Pid(p)), .. } if proc.pid() != Some(*p) => Some(*p),
        _ => None,
    }
}

/// The pids an event names a process by (a start's pid-only creator excepted).
fn named_pids(kind: &EventKind) -> [Option<u32>; 2] {
    match kind {
        EventKind::ProcessStart { proc, parent, .. } => {
            [proc.pid(), parent.as_ref().filter(|p| matches!(p, ProcKey::IdAndPid(..))).and_then(ProcKey::pid)]
        }
        EventKind::ProcessEnd { proc }
        | EventKind::UrlOpen { proc, .. }
        | EventKind::Connect { proc, .. }
        | EventKind::FileWrite { proc, .. }
        | EventKind::FileAttr { proc, .. }
        | EventKind::DnsAnswer { proc: Some(proc), .. } => [proc.pid(), None],
        EventKind::DnsAnswer { proc: None, .. } => [None, None],
    }
}

/// The parent a start names by GUID (and its GUID).
fn parent_of_start(kind: &EventKind) -> Option<(&ProcKey, &str)> {
    match kind {
        EventKind::ProcessStart { parent: Some(p), .. } => p.id().map(|g| (p, g)),
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
            EventKind::ProcessStart { proc, .. } => proc.id(),
            _ => None,
        } {
            let key = self.guid_key(g);
            self.started.insert(key, ());
        }
        for pid in named_pids(&event.kind).into_iter().flatten() {
            self.name_pid(&event.host, pid, event.time.timestamp_millis());
        }
    }

    /// The seeded hash of a text (a host name or a GUID).
    fn key_of(&self, text: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        h.write_u64(self.seed);
        text.hash(&mut h);
        h.finish()
    }

    /// The key of a process GUID in `started` and `built`.
    fn guid_key(&self, guid: &str) -> u64 {
        self.key_of(guid)
    }

    /// The key of `pid` on `host` in `pids`.
    fn pid_key(&self, host: &str, pid: u32) -> (u64, u32) {
        (self.key_of(host), pid)
    }

    fn name_pid(&mut self, host: &str, pid: u32, time: i64) {
        let key = self.pid_key(host, pid);
        match self.pids.get(&key) {
            Some(first) if first <= time => {}
            first => self.pids.insert(key, first.map_or(time, |f| f.min(time))),
        }
    }

    /// Whether a record read so far named a process under `pid` of `host` at or before `time`.
    fn pid_named_by(&mut self, host: &str, pid: u32, time: i64) -> bool {
        let key = self.pid_key(host, pid);
        self.pids.get(&key).is_some_and(|first| first <= time)
    }

    /// The start to put before `event` (as it leaves the buffer), from the image (and user) its
    /// record named (see [`image_field`] and [`actor_text`]).
    pub fn start_for(&mut self, event: &Event, actor_text: Option<&str>) -> Option<Event> {
        let (image, user, session) = split_actor_text(actor_text?);
        let image = known_image(Some(image))?;
        let key = match actor(&event.kind).or_else(|| parent_of_start(&event.kind)) {
            Some((key, guid)) => {
                let guid = self.guid_key(guid);
                if self.started.get(&guid).is_some() || self.built.get(&guid).is_some() {
                    return None;
                }
                self.built.insert(guid, ());
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
            user: user.map(str::to_owned),
            session,
            forked: false,
            built: true,
        };
        Some(Event { kind, ..event.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_keeps_what_is_used_and_forgets_the_rest_after_two_generations() {
        let mut r: Recent<String, ()> = Recent::default();
        r.insert("explorer".to_owned(), ());
        r.insert("once".to_owned(), ());
        for i in 0..5 * GENERATION {
            r.insert(i.to_string(), ());
            if i % (GENERATION / 2) == 0 {
                assert!(r.get("explorer").is_some(), "used every half generation: kept ({i})");
            }
        }
        assert!(r.get("once").is_none(), "unused for five generations: forgotten");
        assert!(r.now.len() + r.before.len() <= 2 * GENERATION);
    }
}
