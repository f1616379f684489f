//! Unit tests of the process table.

use std::sync::Arc;

use clickchain_adapters::{Position, ProcKey, SourceRef};

use super::*;

/// Starts `key` (under `parent`) at `time`: a link source or not, a fork or an exec.
fn start_as(
    t: &mut ProcTable,
    key: ProcKey,
    parent: Option<ProcKey>,
    link: bool,
    forked: bool,
    time: i64,
) -> (Slot, StartOutcome) {
    let source = SourceRef { input: Arc::from("t"), pos: Position::Line(1) };
    let image: Arc<str> = Arc::from(if link { "firefox" } else { "sh" });
    t.start(NewProc {
        key: &key,
        parent: parent.as_ref(),
        image,
        is_link_source: link,
        lolbin: false,
        forked,
        time,
        source,
    })
}

/// An exec'd process that is no link source.
fn start(t: &mut ProcTable, key: ProcKey, parent: Option<ProcKey>, time: i64) -> Slot {
    start_as(t, key, parent, false, false, time).0
}

#[test]
fn pid_reuse_starts_a_new_incarnation() {
    let mut t = ProcTable::default();
    let (old, _) = start_as(&mut t, ProcKey::Pid(500), None, true, false, 0);
    let (new, _) = start_as(&mut t, ProcKey::Pid(500), None, false, false, 10);
    assert_ne!(old, new);
    assert_eq!(t.get(old).end, Some(10), "the old incarnation ended when the pid was reused");
    assert_eq!(t.lookup(&ProcKey::Pid(500)), Some(new));
    assert_eq!(t.root_of(new), None);
    assert_eq!(t.root_of(old), Some(old));
}

#[test]
fn root_is_the_top_most_link_source() {
    let mut t = ProcTable::default();
    let id = |s: &str| ProcKey::Id(s.into());
    let (mail, _) = start_as(&mut t, id("mail"), None, true, false, 0);
    let (browser, _) = start_as(&mut t, id("browser"), Some(id("mail")), true, false, 1);
    let (child, _) = start_as(&mut t, id("child"), Some(id("browser")), false, false, 2);
    assert_eq!(t.root_of(child), Some(mail));
    assert_eq!(t.root_of(browser), Some(mail));
    assert_eq!(t.ancestors(child).collect::<Vec<_>>(), vec![browser, mail]);
}

#[test]
fn sweep_removes_ended_leaves_then_their_parents_but_not_pinned_ones() {
    let mut t = ProcTable::default();
    let id = |s: &str| ProcKey::Id(s.into());
    let (a, _) = start_as(&mut t, id("a"), None, false, false, 0);
    let (b, _) = start_as(&mut t, id("b"), Some(id("a")), false, false, 1);
    let (c, _) = start_as(&mut t, id("c"), None, false, false, 1);
    for k in ["a", "b", "c"] {
        t.end(&id(k), 5);
    }
    t.pin(c);
    assert_eq!(t.sweep(100), 2, "b, then its parent a");
    assert_eq!(t.len(), 1);
    assert!(t.lookup(&id("a")).is_none() && t.lookup(&id("b")).is_none());
    let _ = (a, b);
    t.unpin(c);
    assert_eq!(t.sweep(100), 1);
}

#[test]
fn make_room_evicts_idle_processes_and_counts_them() {
    let mut t = ProcTable::default();
    for i in 0..10 {
        assert!(t.make_room(10, 0));
        start_as(&mut t, ProcKey::Pid(i), None, false, false, i64::from(i));
    }
    assert!(t.make_room(10, 0));
    assert_eq!((t.len(), t.evicted), (9, 1), "a tenth of the table, the least recently seen");
    assert!(t.lookup(&ProcKey::Pid(0)).is_none());
}

#[test]
fn id_and_pid_keys_join_pid_only_sources_both_ways() {
    let mut t = ProcTable::default();
    // A pid-only source started 1834; an id source refers to it with an unknown id.
    let helper = start(&mut t, ProcKey::Pid(1834), None, 0);
    assert_eq!(t.lookup(&ProcKey::IdAndPid("ecs-1".into(), 1834)), Some(helper));
    // An id source starts a process; a pid-only source finds it by its pid.
    let ecs = start(&mut t, ProcKey::IdAndPid("ecs-2".into(), 77), None, 5);
    assert_eq!(t.lookup(&ProcKey::Pid(77)), Some(ecs));
    assert_eq!(t.lookup(&ProcKey::Id("ecs-2".into())), Some(ecs));
    // A new id starting under a reused pid is a new process; the old holder ended.
    let next = start(&mut t, ProcKey::IdAndPid("ecs-3".into(), 77), None, 9);
    assert_ne!(next, ecs);
    assert_eq!(t.get(ecs).end, Some(9));
    assert_eq!(t.lookup(&ProcKey::IdAndPid("ecs-2".into(), 77)), Some(ecs), "the id still names the old one");
}

#[test]
fn placeholder_pid_replaced_by_start() {
    // A reference creates a placeholder under pid 11; its start says pid 3. After it is
    // removed, neither pid may still point at the freed slot.
    let mut t = ProcTable::default();
    let slot = t.resolve(&ProcKey::IdAndPid("g4".into(), 11), 0);
    let key = ProcKey::IdAndPid("g4".into(), 3);
    let started = start(&mut t, key.clone(), None, 1);
    assert_eq!(started, slot);
    assert_eq!(t.lookup(&ProcKey::Pid(3)), Some(slot));
    assert_eq!(t.lookup(&ProcKey::Pid(11)), None);
    t.end(&key, 2);
    assert_eq!(t.sweep(100), 1);
    assert_eq!(t.lookup(&ProcKey::Pid(3)), None);
    assert_eq!(t.lookup(&ProcKey::Id("g4".into())), None);
}

#[test]
fn exec_in_place_keeps_the_replaced_image_as_parent() {
    let mut t = ProcTable::default();
    let shell = start(&mut t, ProcKey::Pid(1), None, 0);
    let wrapper = start(&mut t, ProcKey::Pid(100), Some(ProcKey::Pid(1)), 1);
    let binary = start(&mut t, ProcKey::Pid(100), Some(ProcKey::Pid(1)), 2);
    assert_eq!(t.ancestors(binary).collect::<Vec<_>>(), vec![wrapper, shell]);
    // After the first ended, the same pid under the same parent is reuse, not exec.
    t.end(&ProcKey::Pid(100), 3);
    let reused = start(&mut t, ProcKey::Pid(100), Some(ProcKey::Pid(1)), 4);
    assert_eq!(t.ancestors(reused).collect::<Vec<_>>(), vec![shell]);
    // A different parent is reuse too.
    let other = start(&mut t, ProcKey::Pid(100), Some(ProcKey::Pid(7)), 5);
    assert!(!t.ancestors(other).any(|a| a == reused));
}

#[test]
fn fork_then_exec_does_not_keep_the_copy() {
    let mut t = ProcTable::default();
    let shell = start(&mut t, ProcKey::Pid(1), None, 0);
    start_as(&mut t, ProcKey::Pid(200), Some(ProcKey::Pid(1)), false, true, 1);
    let child = start(&mut t, ProcKey::Pid(200), Some(ProcKey::Pid(1)), 2);
    assert_eq!(t.ancestors(child).collect::<Vec<_>>(), vec![shell]);
}
