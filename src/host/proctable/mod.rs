//! The per-host process table: stable identities, parent links, pid reuse, bounded size.
//!
//! Processes are kept while alive or referenced (by children or carried facts), and leave once
//! they ended [`ENDED_GRACE_MS`] ago: the table holds what is running plus the lineage of the
//! facts in the window, not every process of the window. `Pid` keys resolve to the incarnation
//! alive at that time: a new start under a pid ends the previous incarnation, so pid reuse never
//! joins strangers.

use std::cell::Cell;
use std::sync::Arc;

use clickchain_adapters::{ProcKey, SourceRef};
use rustc_hash::FxHashMap;

use ids::{IdIndex, StoredId};
use slab::Slab;

mod details;
mod ids;
mod lifetime;
mod slab;

/// Index of a process in its host's table.
pub(crate) use slab::Slot;

/// A slot with the serial of the process in it (see [`Proc::serial`]).
pub(crate) type Tagged = (Slot, u64);

/// An ended process that nothing refers to (no pins, no children) is kept this long after its
/// end and its last mention, for records its source logs a little late; then it leaves, whatever
/// the correlation window. What the rules need from it is held by pins: carried facts pin their
/// process, and a pinned process's parents are held by their children.
pub(crate) const ENDED_GRACE_MS: i64 = 120_000;

/// Lineage walks that hand a process's ancestors to the follow-on rules stop here (a cut walk
/// is counted); link roots are carried, so no depth limits the chain rules.
pub(crate) const MAX_DEPTH: usize = 64;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Proc {
    /// The identity it is known by (its [`ProcKey`]: an id, a pid, or both).
    pub id: Option<StoredId>,
    pub pid: Option<u32>,
    /// Full image path; empty when the start was never seen.
    pub image: Arc<str>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub lolbin: bool,
    /// A fork without exec (a copy of its parent's image).
    pub forked: bool,
    /// The start record, for evidence.
    pub source: Option<SourceRef>,
    pub last_seen: i64,
    /// Unique among all processes this table ever held: a slot is reused, a serial never is,
    /// so state that names a process without pinning it stores the pair.
    pub serial: u64,
    children: u32,
    /// Carried facts that refer to this process.
    pins: u32,
    /// Command line and user, when its start logged them (shown in alerts).
    #[serde(default)]
    pub details: Option<Box<details::Details>>,
    /// Its start was logged by both kinds of source (an id and a pid-only one): a third start
    /// under its pid is another process.
    joined: bool,
    /// The user it runs as, when a record said (interned).
    pub user: Option<Arc<str>>,
    /// The logon session it runs in, when a record said (see [`ProcTable::live_root_like`]);
    /// never 0 (a reader's "no session"), so it costs 8 bytes.
    pub session: Option<std::num::NonZeroU64>,
    /// Its link to its parent was inferred, not logged: its start was built by a reader and its
    /// parent is the one a record named or the live link root of its image and user
    /// (`docs/design.md` "Detection semantics").
    pub inferred: bool,
}

/// Two starts of one process logged by two sources (Sysmon EID 1 with a GUID and pid, Security
/// 4688 with the pid alone) are joined when they are this close in time. Security's
/// `TimeCreated` trails Sysmon's `UtcTime` by up to 6.2 s in the OTRF covenant recording.
pub(crate) const JOIN_START_MS: i64 = 10_000;

/// What inserting a process start found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct StartOutcome {
    pub orphan: bool,
    pub cycle: bool,
    pub duplicate: bool,
    /// The start was another source's record of a process already started (see
    /// [`JOIN_START_MS`]); nothing changed but, for a pid-only process, its id.
    pub joined: bool,
    /// A built start attached to a parent it did not log (see [`Proc::inferred`]).
    pub inferred: bool,
}

/// A process's place in its lineage, kept apart from the rest of its [`Proc`] (walks up a
/// lineage read these few bytes a process, not the ~150 of a `Proc`).
///
/// Its link root (the top-most link source among it and its ancestors) is carried from its
/// start: its parent's root, else itself if it is a link source. A start that gives a process
/// with children a parent or a link-source image (a placeholder filled in late) may change the
/// roots below it: it moves the table to a new epoch, and a root carried from an older epoch is
/// worked out again (from the nearest ancestor with a current one) when next asked for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Link {
    /// The parent's slot, or [`NO_SLOT`].
    parent: Slot,
    /// Its image is a link source (BrowserParents).
    link_source: bool,
    /// The link root, or [`NO_SLOT`]; valid while `epoch` is the table's.
    root: Cell<Slot>,
    epoch: Cell<u64>,
}

/// No process: a parent or link root that is not there.
const NO_SLOT: Slot = Slot::MAX;

impl Link {
    fn new(parent: Slot, link_source: bool, root: Slot, epoch: u64) -> Link {
        Link { parent, link_source, root: Cell::new(root), epoch: Cell::new(epoch) }
    }
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ProcTable {
    slots: Slab<Proc>,
    /// By slot; a free slot's entry is stale until the slot is reused.
    links: Vec<Link>,
    free: Vec<Slot>,
    by_id: IdIndex,
    by_pid: FxHashMap<u32, Slot>,
    len: usize,
    pub evicted: u64,
    next_serial: u64,
    /// The image of a process never seen starting (shared, not allocated per placeholder).
    no_image: Arc<str>,
    /// Carried link roots are current when of this epoch (see [`Link`]).
    epoch: u64,
    /// Ended processes that may become removable, with when (their end or last mention,
    /// whichever is later): see [`Self::sweep`].
    expiry: Vec<Expiry>,
}

/// An entry of the expiry list: a process (its slot and serial, so that an entry for a slot
/// reused since is ignored) that may leave once the sweep horizon passes `at`.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Expiry {
    at: i64,
    slot: Slot,
    serial: u64,
}

pub(crate) struct NewProc<'a> {
    pub key: &'a ProcKey,
    pub parent: Option<&'a ProcKey>,
    pub image: Arc<str>,
    pub is_link_source: bool,
    pub lolbin: bool,
    pub forked: bool,
    /// A start under a running process's pid may be that process exec'ing (see
    /// [`crate::profile::Profile::exec_in_place`]).
    pub exec_in_place: bool,
    pub time: i64,
    pub source: SourceRef,
    /// The user it runs as, when the start says.
    pub user: Option<Arc<str>>,
    /// Built by a reader (a process first seen mid-life), not logged.
    pub built: bool,
    /// For a built start without a parent: the live link root lowering chose to attach it to
    /// (see [`ProcTable::live_root_like`]).
    pub adopt: Option<Slot>,
}

impl Proc {
    /// The key as written in events (`pid:N` for a pid alone), for evidence.
    pub fn key_label(&self) -> String {
        match (&self.id, self.pid) {
            (Some(id), _) => id.to_string(),
            (None, Some(pid)) => format!("pid:{pid}"),
            (None, None) => String::new(),
        }
    }
}

fn split_key(key: &ProcKey) -> (Option<StoredId>, Option<u32>) {
    match key {
        ProcKey::Id(id) => (Some(StoredId::new(id)), None),
        ProcKey::Pid(pid) => (None, Some(*pid)),
        ProcKey::IdAndPid(id, pid) => (Some(StoredId::new(id)), Some(*pid)),
    }
}

impl ProcTable {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Every process held, by slot (the naive evaluation feeds them all to the rules).
    #[cfg(feature = "naive")]
    pub fn live_slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.slots.iter().map(|(s, _)| s as Slot)
    }

    /// `slot` and its serial: names this process even after the slot is reused.
    pub fn tagged(&self, slot: Slot) -> Tagged {
        (slot, self.get(slot).serial)
    }

    /// Whether `slot` still holds the process with `serial`.
    pub fn holds(&self, slot: Slot, serial: u64) -> bool {
        self.slots.get(slot as usize).is_some_and(|p| p.serial == serial)
    }

    pub fn get(&self, slot: Slot) -> &Proc {
        self.slots.get(slot as usize).expect("live slot")
    }

    fn get_mut(&mut self, slot: Slot) -> &mut Proc {
        self.slots.get_mut(slot as usize).expect("live slot")
    }

    /// The process a key names: by id; by the pid's current incarnation; or, for a key with
    /// both, by id and else by pid, when the pid's holder is known by its pid alone (joining a
    /// source with ids to one with only pids). A holder with another id is another process:
    /// the pid was reused (regression: id_and_pid_lookup_never_joins_another_id).
    pub fn lookup(&self, key: &ProcKey) -> Option<Slot> {
        match key {
            ProcKey::Id(id) => self.by_id.get(id),
            ProcKey::Pid(pid) => self.by_pid.get(pid).copied(),
            ProcKey::IdAndPid(id, pid) => self.by_id.get(id).or_else(|| self.pid_only(*pid)),
        }
    }

    /// The holder of `pid` when it has no id.
    fn pid_only(&self, pid: u32) -> Option<Slot> {
        self.by_pid.get(&pid).copied().filter(|&s| self.get(s).id.is_none())
    }

    /// [`Self::lookup`], noting the reference at `time`. A pid-only process found by a key
    /// with an id takes that id, so that the id keeps naming it after its pid is reused.
    pub fn find(&mut self, key: &ProcKey, time: i64) -> Option<Slot> {
        let slot = self.lookup(key)?;
        if let ProcKey::IdAndPid(id, _) = key {
            self.adopt_id(slot, id);
        }
        self.touch(slot, time);
        Some(slot)
    }

    /// Gives a pid-only process the id another source knows it by.
    fn adopt_id(&mut self, slot: Slot, id: &str) {
        if self.get(slot).id.is_none() {
            let id = StoredId::new(id);
            self.by_id.insert(&id, slot);
            self.get_mut(slot).id = Some(id);
        }
    }

    /// The process with exactly this identity (no pid fallback for keys with an id).
    fn lookup_exact(&self, key: &ProcKey) -> Option<Slot> {
        match key {
            ProcKey::Id(id) | ProcKey::IdAndPid(id, _) => self.by_id.get(id),
            ProcKey::Pid(pid) => self.by_pid.get(pid).copied(),
        }
    }

    /// Makes `slot` the current holder of `pid`; a different previous holder ended by `time`.
    fn take_pid(&mut self, pid: u32, slot: Slot, time: i64) {
        if let Some(old) = self.by_pid.insert(pid, slot).filter(|&o| o != slot) {
            let p = self.get_mut(old);
            if p.end.is_none() {
                p.end = Some(time);
                self.may_expire(old);
            }
        }
    }

    fn alloc(&mut self, mut p: Proc) -> Slot {
        self.len += 1;
        self.next_serial += 1;
        p.serial = self.next_serial;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots.put(s as usize, p);
                s
            }
            None => self.slots.push(p) as Slot,
        };
        let link = Link::new(NO_SLOT, false, NO_SLOT, self.epoch);
        match self.links.get_mut(slot as usize) {
            Some(l) => *l = link,
            None => self.links.push(link),
        }
        slot
    }

    /// The parent of a live process.
    pub fn parent(&self, slot: Slot) -> Option<Slot> {
        let parent = self.links[slot as usize].parent;
        (parent != NO_SLOT).then_some(parent)
    }

    fn placeholder(&mut self, key: &ProcKey, time: i64) -> Slot {
        let (id, pid) = split_key(key);
        let slot = self.alloc(Proc {
            id,
            pid,
            image: Arc::clone(&self.no_image),
            start: None,
            end: None,
            lolbin: false,
            forked: false,
            source: None,
            last_seen: time,
            serial: 0,
            children: 0,
            pins: 0,
            joined: false,
            user: None,
            session: None,
            inferred: false,
            details: None,
        });
        // Fields, not `self.get`: the indices are written while the process is read.
        let p = self.slots.get(slot as usize).expect("just stored");
        if let Some(id) = &p.id {
            self.by_id.insert(id, slot);
        }
        if let Some(pid) = p.pid {
            // A key with an id only takes a free pid (the id decides who it is).
            if p.id.is_some() {
                self.by_pid.entry(pid).or_insert(slot);
            } else {
                self.by_pid.insert(pid, slot);
            }
        }
        slot
    }

    /// The process a record refers to, creating a placeholder for one never seen starting.
    pub fn resolve(&mut self, key: &ProcKey, time: i64) -> Slot {
        match self.find(key, time) {
            Some(s) => s,
            None => self.placeholder(key, time),
        }
    }

    /// The process that a start of `new` from a second source records again, if any: Sysmon
    /// logs a start with its GUID and pid, Security 4688 with the pid alone. They are one
    /// process when the pid's holder is known to one source only (an id against none, or none
    /// against an id) and was not joined already, with the same image (in any case), no parent
    /// that says otherwise, and started within [`JOIN_START_MS`]. A start with no parent (the
    /// Windows reader builds one for a process first seen mid-life, with an id from Sysmon or
    /// a pid alone from a 4688's creator) joins a holder still running whenever it started: it
    /// has no lineage that could be wrong. A reused pid fails the image, time or parent test,
    /// or its holder has ended.
    fn second_record_of(&self, new: &NewProc<'_>) -> Option<Slot> {
        let (new_has_id, pid) = match new.key {
            ProcKey::Pid(pid) => (false, *pid),
            ProcKey::IdAndPid(_, pid) => (true, *pid),
            ProcKey::Id(_) => return None,
        };
        let slot = *self.by_pid.get(&pid)?;
        let p = self.get(slot);
        // A built start (parentless, or with the parent a record named) says nothing new of a
        // running process of its image: it joins one joined already, and a pid-only one too
        // when it has no id either (a 4688's creator built again after the reader forgot it;
        // two live processes never share a pid).
        let parentless = new.parent.is_none() || new.built;
        let close = p
            .start
            .is_some_and(|s| (s - new.time).abs() <= JOIN_START_MS || (parentless && s <= new.time && p.end.is_none()));
        let sources_differ = p.id.is_some() != new_has_id || (parentless && !new_has_id);
        let same = (!p.joined || parentless) && sources_differ && close && p.image.eq_ignore_ascii_case(&new.image);
        let parent_agrees = match (self.parent(slot), new.parent.and_then(|k| self.lookup(k))) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        (same && parent_agrees).then_some(slot)
    }

    /// For a start with an id and no parent (built by the Windows reader for a process first
    /// seen mid-life, or for a parent from its child's `ParentImage`): the process a pid-only
    /// source referred to under its pid without seeing it start (a 4688's creator), still
    /// running and referred to within [`JOIN_START_MS`]. It takes the id, and the start fills it
    /// in. (A reference long before a start names the pid's previous holder.)
    fn referenced_by_pid(&mut self, new: &NewProc<'_>) -> Option<Slot> {
        let (ProcKey::IdAndPid(id, pid), None) = (new.key, new.parent) else { return None };
        let slot = self.pid_only(*pid)?;
        let p = self.get(slot);
        if p.start.is_some() || p.end.is_some() || p.last_seen < new.time - JOIN_START_MS {
            return None;
        }
        self.adopt_id(slot, id);
        Some(slot)
    }

    /// A placeholder never seen starting or ending, made for children that named it as their
    /// parent, and referred to within [`JOIN_START_MS`] before `time`.
    fn is_unstarted_parent(&self, slot: Slot, time: i64) -> bool {
        let p = self.get(slot);
        p.start.is_none() && p.end.is_none() && p.children > 0 && p.last_seen >= time - JOIN_START_MS
    }

    /// Notes that a record referred to `slot` at `time`.
    pub fn touch(&mut self, slot: Slot, time: i64) {
        let p = self.get_mut(slot);
        p.last_seen = p.last_seen.max(time);
    }

    /// Records a process start.
    pub fn start(&mut self, new: NewProc<'_>) -> (Slot, StartOutcome) {
        let mut outcome = StartOutcome::default();
        let mut exec_of = None;
        let existing = self.lookup_exact(new.key).or_else(|| self.referenced_by_pid(&new));
        // A pid key finds the pid's holder, which may be this very process as another source
        // logged it; a key with an id is only looked for when its id is new.
        let may_be_second = matches!(new.key, ProcKey::Pid(_)) || existing.is_none();
        if may_be_second {
            if let Some(s) = self.second_record_of(&new) {
                if let ProcKey::IdAndPid(id, _) = new.key {
                    self.adopt_id(s, id);
                }
                self.touch(s, new.time);
                self.get_mut(s).joined = true;
                outcome.joined = true;
                return (s, outcome);
            }
        }
        let slot = match (new.key, existing) {
            // A source-unique id seen before: fill in a placeholder, or a duplicate start.
            (ProcKey::Id(_) | ProcKey::IdAndPid(..), Some(s)) => {
                if self.get(s).start.is_some() {
                    outcome.duplicate = true;
                    return (s, outcome);
                }
                s
            }
            // A parent whose start is stamped after its children's: the placeholder they made
            // for it, referenced within JOIN_START_MS, is this process; the start fills it in
            // (regression: a_parent_started_after_its_children_still_roots_the_lineage).
            (ProcKey::Pid(_), Some(old)) if self.is_unstarted_parent(old, new.time) => old,
            // A pid starts a new incarnation; the previous one (if any) ended by now.
            (ProcKey::Pid(_), Some(old)) => {
                let p = self.get_mut(old);
                if p.end.is_none() {
                    p.end = Some(new.time);
                    exec_of = Some(old);
                    self.may_expire(old);
                }
                self.placeholder(new.key, new.time)
            }
            (_, None) => self.placeholder(new.key, new.time),
        };
        let parent = match new.parent {
            Some(pk) if pk == new.key => {
                outcome.cycle = true;
                None
            }
            Some(pk) => {
                let ps = match self.find(pk, new.time) {
                    Some(ps) => ps,
                    None => {
                        outcome.orphan = true;
                        self.placeholder(pk, new.time)
                    }
                };
                // Only a process with children can be an ancestor (a new one never is).
                if ps == slot || (self.get(slot).children > 0 && self.is_ancestor(slot, ps)) {
                    outcome.cycle = true;
                    None
                } else {
                    Some(ps)
                }
            }
            None => None,
        };
        // A built start's parent is inferred: the one its record named, or the live link root
        // lowering found for it (never itself or one of its descendants).
        let adopted = match (parent, new.adopt) {
            (None, Some(a)) if !outcome.cycle && a != slot && !self.is_ancestor(slot, a) => Some(a),
            _ => None,
        };
        let inferred = new.built && (parent.is_some() || adopted.is_some());
        let parent = parent.or(adopted);
        // An exec: the pid's previous incarnation was still running under the same (known) parent, so
        // the new image replaced it in place. It stays in the lineage as the parent, so that a
        // wrapper's click (a `firefox` script exec'ing the binary) keeps its root. A fork's copy
        // is not kept: fork-then-exec is how every child starts, and the copy adds nothing.
        let parent = match exec_of {
            Some(old)
                if new.exec_in_place
                    && old != slot
                    && parent.is_some()
                    && !self.get(old).forked
                    && self.parent(old) == parent =>
            {
                Some(old)
            }
            _ => parent,
        };
        if let Some(ps) = parent {
            self.get_mut(ps).children += 1;
        }
        if let ProcKey::IdAndPid(_, pid) = new.key {
            // A placeholder made from a reference may have recorded another pid: the start's
            // is the real one (regression: placeholder_pid_replaced_by_start).
            let p = self.get(slot);
            if let (Some(_), Some(old)) = (&p.id, p.pid) {
                if old != *pid && self.by_pid.get(&old) == Some(&slot) {
                    self.by_pid.remove(&old);
                }
            }
            // Its id is the key's already (the slot was found by it, or made from it).
            self.get_mut(slot).pid = Some(*pid);
            // Starting makes it the pid's current holder, for sources that only know pids.
            self.take_pid(*pid, slot, new.time);
        }
        let root = parent.and_then(|ps| self.root_of(ps)).or(new.is_link_source.then_some(slot));
        self.links[slot as usize] =
            Link::new(parent.unwrap_or(NO_SLOT), new.is_link_source, root.unwrap_or(NO_SLOT), self.epoch);
        if self.get(slot).children > 0 {
            // Its descendants' carried roots may have changed.
            self.epoch += 1;
        }
        let p = self.get_mut(slot);
        p.image = new.image;
        p.start = Some(new.time);
        p.lolbin = new.lolbin;
        p.forked = new.forked;
        p.source = Some(new.source);
        p.last_seen = new.time;
        p.user = new.user;
        p.inferred = inferred;
        outcome.inferred = inferred;
        (slot, outcome)
    }

    pub fn end(&mut self, key: &ProcKey, time: i64) {
        if let Some(s) = self.lookup(key) {
            let p = self.get_mut(s);
            p.end = Some(p.end.map_or(time, |e| e.min(time)));
            p.last_seen = p.last_seen.max(time);
            self.may_expire(s);
        }
    }

    /// Parents of `slot`, nearest first, up to the top of its lineage. (Starts never make a
    /// process its own ancestor; were the input to manage it, the walk still ends: no lineage
    /// is longer than the table.)
    pub fn ancestors(&self, slot: Slot) -> impl Iterator<Item = Slot> + '_ {
        let mut cur = self.parent(slot);
        std::iter::from_fn(move || {
            let s = cur?;
            cur = self.parent(s);
            Some(s)
        })
        .take(self.len)
    }

    /// Whether `a` is `slot` or one of its ancestors.
    fn is_ancestor(&self, a: Slot, slot: Slot) -> bool {
        slot == a || self.ancestors(slot).any(|s| s == a)
    }

    /// The top-most link-source process among `slot` and its ancestors: which carried summaries
    /// an event is filed under, and the root the chain rules derive from the lineage. Carried
    /// from the start, so that no walk is needed and no depth is too deep; a parent filled in
    /// late still counts (see [`Link`]).
    #[inline]
    pub fn root_of(&self, slot: Slot) -> Option<Slot> {
        let link = &self.links[slot as usize];
        if link.epoch.get() != self.epoch {
            self.refresh_roots(slot);
        }
        let root = link.root.get();
        (root != NO_SLOT).then_some(root)
    }

    /// The live link root of image `image` (any case) whose user agrees with `user` (equal in
    /// any case when both are known) and whose logon session agrees with `session` (equal when
    /// both are known), other than `except`, when exactly one fits at `time`: where a browser
    /// child whose start was not logged belongs. Two that fit (the user's two logon sessions
    /// when the child names none, or two users when it names no user) leave it on its own. A
    /// scan of the table: it runs only for built starts of link-source images.
    pub fn live_root_like(
        &self,
        image: &str,
        user: Option<&str>,
        session: Option<u64>,
        except: Option<Slot>,
        time: i64,
    ) -> Option<Slot> {
        // A side that names no user or session does not tell them apart.
        let users_agree = |u: Option<&Arc<str>>| match (u, user) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => true,
        };
        let sessions_agree = |s: Option<std::num::NonZeroU64>| match (s, session) {
            (Some(a), Some(b)) => a.get() == b,
            _ => true,
        };
        let mut found = None;
        for (s, p) in self.slots.iter() {
            let s = s as Slot;
            let live = p.start.is_some_and(|t| t <= time) && p.end.is_none();
            if Some(s) == except || !live || !self.links[s as usize].link_source || self.root_of(s) != Some(s) {
                continue;
            }
            if p.image.eq_ignore_ascii_case(image) && users_agree(p.user.as_ref()) && sessions_agree(p.session) {
                if found.is_some() {
                    return None;
                }
                found = Some(s);
            }
        }
        found
    }

    /// Whether `slot` or one of its ancestors up to `root` was attached to its parent by
    /// inference (the alert says so).
    pub fn inferred_below(&self, root: Slot, slot: Slot) -> bool {
        let mut cur = Some(slot);
        for _ in 0..MAX_DEPTH {
            let Some(s) = cur else { break };
            if s == root {
                break;
            }
            if self.get(s).inferred {
                return true;
            }
            cur = self.parent(s);
        }
        false
    }

    /// Works out again the roots of `slot` and of its ancestors up to the nearest one whose
    /// root is current.
    #[cold]
    fn refresh_roots(&self, slot: Slot) {
        let mut stale = vec![slot];
        let mut above = NO_SLOT;
        let mut cur = slot;
        while let Some(p) = self.parent(cur) {
            let link = &self.links[p as usize];
            if link.epoch.get() == self.epoch {
                above = link.root.get();
                break;
            }
            if stale.len() > self.len {
                break;
            }
            stale.push(p);
            cur = p;
        }
        for &s in stale.iter().rev() {
            let link = &self.links[s as usize];
            if above == NO_SLOT && link.link_source {
                above = s;
            }
            link.root.set(above);
            link.epoch.set(self.epoch);
        }
    }
}

#[cfg(test)]
mod tests;
