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
        exec_in_place: true,
        time,
        source,
        user: None,
        built: false,
        adopt: None,
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
fn a_root_carried_from_the_start_follows_a_parent_filled_in_late() {
    let mut t = ProcTable::default();
    let id = |s: &str| ProcKey::Id(s.into());
    // The child's parent is known only by reference at first (a placeholder, no link source).
    let (shell, _) = start_as(&mut t, id("shell"), Some(id("browser")), false, false, 1);
    let (leaf, _) = start_as(&mut t, id("leaf"), Some(id("shell")), false, false, 2);
    assert_eq!(t.root_of(leaf), None);
    // Then the placeholder's start (a browser, under a mail client) is seen.
    let (mail, _) = start_as(&mut t, id("mail"), None, true, false, 0);
    let (browser, _) = start_as(&mut t, id("browser"), Some(id("mail")), true, false, 0);
    assert_eq!(t.parent(shell), Some(browser));
    assert_eq!(t.root_of(leaf), Some(mail), "the roots below the filled-in process follow");
    assert_eq!(t.root_of(shell), Some(mail));
    let (late, _) = start_as(&mut t, id("late"), Some(id("leaf")), false, false, 3);
    assert_eq!(t.root_of(late), Some(mail));
}

#[test]
fn any_depth_keeps_its_root() {
    let mut t = ProcTable::default();
    let id = |n: u32| ProcKey::Id(format!("p{n}"));
    let (browser, _) = start_as(&mut t, id(0), None, true, false, 0);
    for n in 1..=10_000 {
        start(&mut t, id(n), Some(id(n - 1)), n.into());
    }
    let leaf = t.lookup(&id(10_000)).unwrap();
    assert_eq!(t.root_of(leaf), Some(browser));
    assert_eq!(t.ancestors(leaf).count(), 10_000);
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

/// Starts `key` with `image` at `time` (not a link source, an exec).
fn start_image(
    t: &mut ProcTable,
    key: ProcKey,
    parent: Option<ProcKey>,
    image: &str,
    time: i64,
) -> (Slot, StartOutcome) {
    let source = SourceRef { input: Arc::from("t"), pos: Position::Line(1) };
    let new = NewProc {
        key: &key,
        parent: parent.as_ref(),
        image: Arc::from(image),
        is_link_source: false,
        lolbin: false,
        forked: false,
        exec_in_place: true,
        time,
        source,
        user: None,
        built: false,
        adopt: None,
    };
    t.start(new)
}

fn guid(g: &str, pid: u32) -> ProcKey {
    ProcKey::IdAndPid(g.into(), pid)
}

#[test]
fn id_and_pid_lookup_never_joins_another_id() {
    // Sysmon process g1 held pid 40; an event of g2 (never seen starting) under the reused pid
    // is another process, not g1.
    let mut t = ProcTable::default();
    let (g1, _) = start_image(&mut t, guid("g1", 40), None, r"C:\a.exe", 0);
    assert_eq!(t.lookup(&guid("g2", 40)), None);
    let g2 = t.resolve(&guid("g2", 40), 5);
    assert_ne!(g2, g1);
    assert_eq!(t.lookup(&ProcKey::Pid(40)), Some(g1), "a placeholder only takes a free pid");
}

#[test]
fn sysmon_and_4688_records_of_one_start_join_in_either_order() {
    let edge = r"C:\Program Files\Edge\msedge.exe";
    for sysmon_first in [true, false] {
        let mut t = ProcTable::default();
        let (explorer, _) = start_image(&mut t, guid("ex", 100), None, r"C:\Windows\explorer.exe", 0);
        let sysmon = (guid("ed", 200), Some(guid("ex", 100)), edge, 1_000);
        // The Security log trails by 6 s and writes the image in another case.
        let security = (ProcKey::Pid(200), Some(ProcKey::Pid(100)), r"C:\PROGRAM FILES\EDGE\MSEDGE.EXE", 7_000);
        let (first, second) = if sysmon_first { (sysmon, security) } else { (security, sysmon) };
        let (a, o1) = start_image(&mut t, first.0, first.1, first.2, first.3);
        let (b, o2) = start_image(&mut t, second.0, second.1, second.2, second.3);
        assert_eq!(a, b, "sysmon first: {sysmon_first}");
        assert_eq!((o1.joined, o2.joined, o2.duplicate), (false, true, false));
        assert_eq!(t.len(), 2);
        assert_eq!(t.parent(a), Some(explorer));
        assert_eq!(t.lookup(&ProcKey::Id("ed".into())), Some(a));
        assert_eq!(t.lookup(&ProcKey::Pid(200)), Some(a));
        assert_eq!(t.get(a).start, Some(first.3), "the first record's start stands");
    }
}

#[test]
fn starts_of_another_image_later_or_under_another_parent_are_pid_reuse() {
    let img = r"C:\x\backgroundTaskHost.exe";
    let cases: [(&str, i64, Option<ProcKey>); 3] = [
        (r"C:\x\RuntimeBroker.exe", 1_000, None),
        (img, 1_000 + JOIN_START_MS + 1, Some(ProcKey::Pid(7))),
        (img, 1_000, Some(ProcKey::Pid(9))),
    ];
    for (image, time, parent) in cases {
        let mut t = ProcTable::default();
        start_image(&mut t, ProcKey::Pid(7), None, r"C:\svchost.exe", 0);
        start_image(&mut t, ProcKey::Pid(9), None, r"C:\other.exe", 0);
        let (sysmon, _) = start_image(&mut t, guid("b1", 300), Some(guid("svc", 7)), img, 1_000);
        let (security, o) = start_image(&mut t, ProcKey::Pid(300), parent.clone(), image, time);
        assert_ne!(sysmon, security, "{image} at {time} under {parent:?}");
        assert!(!o.joined);
        assert_eq!(t.get(sysmon).end, Some(time), "the pid's previous holder ended");
    }
}

#[test]
fn parentless_start_joins_a_running_pid_only_process_whenever_it_started() {
    // Security logged the start; Sysmon (without EID 1) first names the process an hour later,
    // and the reader builds a start without a parent from that event.
    let mut t = ProcTable::default();
    let (shell, _) = start_image(&mut t, ProcKey::Pid(1), None, r"C:\Windows\explorer.exe", 0);
    let (edge, _) = start_image(&mut t, ProcKey::Pid(2), Some(ProcKey::Pid(1)), r"C:\e\msedge.exe", 10);
    let (built, o) = start_image(&mut t, guid("g", 2), None, r"C:\e\msedge.exe", 3_600_000);
    assert_eq!((built, o.joined), (edge, true));
    assert_eq!(t.parent(edge), Some(shell));
    assert_eq!(t.lookup(&ProcKey::Id("g".into())), Some(edge));
    // Once the pid-only process ended, a parentless start an hour later is another process.
    t.end(&ProcKey::Pid(1), 20);
    let (late, o) = start_image(&mut t, guid("h", 1), None, r"C:\Windows\explorer.exe", 3_600_000);
    assert!(late != shell && !o.joined);
}

#[test]
fn parentless_pid_only_start_joins_a_running_process_with_an_id_whenever_it_started() {
    // Sysmon logged Outlook's start; Security's log begins an hour later, and the reader builds
    // a pid-only start for a 4688's creator from its `ParentProcessName`.
    let mut t = ProcTable::default();
    let (shell, _) = start_image(&mut t, guid("ex", 1), None, r"C:\Windows\explorer.exe", 0);
    let outlook = r"C:\o\OUTLOOK.EXE";
    let (mail, _) = start_image(&mut t, guid("ol", 2), Some(guid("ex", 1)), outlook, 10);
    let (built, o) = start_image(&mut t, ProcKey::Pid(2), None, r"c:\o\outlook.exe", 3_600_000);
    assert_eq!((built, o.joined), (mail, true));
    assert_eq!(t.parent(mail), Some(shell), "the lineage Sysmon logged stands");
    // Of another image, or once the holder ended, it is another process.
    let (other, o) = start_image(
        &mut t,
        ProcKey::Pid(1),
        None,
        r"C:\Windows
otepad.exe",
        3_600_000,
    );
    assert!(other != shell && !o.joined);
    t.end(&guid("ol", 2), 3_600_001);
    let (late, o) = start_image(&mut t, ProcKey::Pid(2), None, outlook, 3_600_002);
    assert!(late != mail && !o.joined);
}

#[test]
fn creator_start_built_again_joins_the_running_process() {
    // Regression (creator_built_again_after_the_reader_forgot_its_pid): a reader that forgot
    // which pids it saw builds a creator's start again, with no parent. It is the running
    // process of that pid and image, whether Security alone logged it or both sources did.
    let mut t = ProcTable::default();
    let (shell, _) = start_image(&mut t, ProcKey::Pid(1), None, r"C:\Windows\explorer.exe", 0);
    let outlook = r"C:\o\OUTLOOK.EXE";
    let (mail, _) = start_image(&mut t, ProcKey::Pid(2), Some(ProcKey::Pid(1)), outlook, 10);
    let (again, o) = start_image(&mut t, ProcKey::Pid(2), None, outlook, 3_600_000);
    assert_eq!((again, o.joined), (mail, true));
    assert_eq!(t.parent(mail), Some(shell));
    let (twin, o) = start_image(&mut t, guid("ex", 1), None, r"C:\Windows\explorer.exe", 5);
    assert!(o.joined && twin == shell);
    let (again, o) = start_image(&mut t, ProcKey::Pid(1), None, r"C:\Windows\explorer.exe", 3_600_000);
    assert_eq!((again, o.joined), (shell, true), "joined before, and joined again");
    // Processes with ids are told apart by them: a parentless start of another id under the
    // pid of a running one of the same image is another process.
    let (a, _) = start_image(&mut t, guid("a", 9), None, r"C:\x\svchost.exe", 0);
    let (b, o) = start_image(&mut t, guid("b", 9), None, r"C:\x\svchost.exe", 60_000);
    assert!(a != b && !o.joined);
}

#[test]
fn pid_only_process_found_by_id_and_pid_keeps_that_id_after_pid_reuse() {
    let mut t = ProcTable::default();
    let (old, _) = start_image(&mut t, ProcKey::Pid(5), None, r"C:\a.exe", 0);
    assert_eq!(t.find(&guid("g5", 5), 1), Some(old));
    start_image(&mut t, ProcKey::Pid(5), None, r"C:\b.exe", 100_000);
    assert_eq!(t.lookup(&guid("g5", 5)), Some(old), "the id still names the first holder");
}

#[test]
fn a_second_pid_only_start_after_a_join_is_pid_reuse() {
    // conhost.exe started twice by one parent within seconds, the pid reused: Sysmon and 4688
    // logged the first, 4688 the second (its EID 1 not yet read).
    let mut t = ProcTable::default();
    start_image(&mut t, guid("cmd", 10), None, r"C:\cmd.exe", 0);
    let conhost = r"C:\Windows\System32\conhost.exe";
    let (first, _) = start_image(&mut t, guid("c1", 20), Some(guid("cmd", 10)), conhost, 1_000);
    let (twin, o) = start_image(&mut t, ProcKey::Pid(20), Some(ProcKey::Pid(10)), conhost, 1_200);
    assert_eq!((twin, o.joined), (first, true));
    let (second, o) = start_image(&mut t, ProcKey::Pid(20), Some(ProcKey::Pid(10)), conhost, 3_000);
    assert!(second != first && !o.joined);
}

#[test]
fn windows_start_under_a_running_pid_is_never_an_exec() {
    // A 4689 was not logged; Windows then reused the pid for another child of the same parent.
    // Linux would call it an exec in place (the old image stays as the parent); Windows has none.
    let mut t = ProcTable::default();
    let source = SourceRef { input: Arc::from("t"), pos: Position::Line(1) };
    let start_windows = |t: &mut ProcTable, key: ProcKey, image: &str, time: i64| {
        let parent = ProcKey::Pid(1);
        let new = NewProc {
            key: &key,
            parent: Some(&parent),
            image: Arc::from(image),
            is_link_source: false,
            lolbin: false,
            forked: false,
            exec_in_place: false,
            time,
            source: source.clone(),
            user: None,
            built: false,
            adopt: None,
        };
        t.start(new).0
    };
    let explorer = start_windows(&mut t, ProcKey::Pid(1), r"C:\Windows\explorer.exe", 0);
    let chrome = start_windows(&mut t, ProcKey::Pid(300), r"C:\chrome.exe", 10);
    let payload = start_windows(&mut t, ProcKey::Pid(300), r"C:\Users\u\Downloads\x.exe", 60_000);
    assert_ne!(payload, chrome);
    assert_eq!(t.ancestors(payload).collect::<Vec<_>>(), vec![explorer], "not below chrome");
    assert_eq!(t.get(chrome).end, Some(60_000));
}

#[test]
fn parentless_start_with_an_id_fills_the_placeholder_a_creator_pid_made() {
    // A 4688's creator pid (Outlook, started before the log) is a pid-only placeholder; the start
    // built from a Sysmon child's ParentImage names it by GUID and that pid.
    let mut t = ProcTable::default();
    let (edge, _) = start_image(&mut t, ProcKey::Pid(20), Some(ProcKey::Pid(10)), r"C:\e\msedge.exe", 1_000);
    let outlook = t.parent(edge).expect("a placeholder for the creator");
    let (built, o) = start_image(&mut t, guid("ol", 10), None, r"C:\o\OUTLOOK.EXE", 1_000);
    assert_eq!(built, outlook);
    assert_eq!(o, StartOutcome::default(), "its first start: not a join, not a duplicate");
    assert_eq!(&*t.get(outlook).image, r"C:\o\OUTLOOK.EXE");
    assert_eq!(t.lookup(&ProcKey::Id("ol".into())), Some(outlook));
    // Nor is a placeholder last referred to long before the start: that was the pid's previous
    // holder.
    let mut t = ProcTable::default();
    let (child, _) = start_image(&mut t, ProcKey::Pid(22), Some(ProcKey::Pid(12)), r"C:\a.exe", 0);
    let old = t.parent(child).expect("placeholder");
    let (late, _) = start_image(&mut t, guid("z", 12), None, r"C:\c.exe", JOIN_START_MS + 1);
    assert_ne!(late, old);
    // A start with a parent is not filled in this way: a later start under a referenced pid is
    // another process.
    let mut t = ProcTable::default();
    let (child, _) = start_image(&mut t, ProcKey::Pid(21), Some(ProcKey::Pid(11)), r"C:\a.exe", 1_000);
    let referenced = t.parent(child).expect("placeholder");
    let (real, _) = start_image(&mut t, guid("x", 11), Some(guid("y", 3)), r"C:\b.exe", 2_000);
    assert_ne!(real, referenced);
}

/// What a scan of the whole table would remove at `horizon`: every removable process, then
/// parents freed by their last child, in the order the scan removes them.
fn removed_by_scan(t: &ProcTable, horizon: i64) -> Vec<Slot> {
    let mut children: std::collections::HashMap<Slot, u32> =
        t.slots.iter().map(|(s, p)| (s as Slot, p.children)).collect();
    let removable = |s: Slot, children: &std::collections::HashMap<Slot, u32>| {
        let p = t.get(s);
        p.pins == 0 && children[&s] == 0 && p.end.is_some_and(|e| e < horizon) && p.last_seen < horizon
    };
    let mut dead: Vec<Slot> = t.slots.iter().map(|(s, _)| s as Slot).filter(|&s| removable(s, &children)).collect();
    let mut order = Vec::new();
    while let Some(s) = dead.pop() {
        order.push(s);
        if let Some(ps) = t.parent(s) {
            let c = children.get_mut(&ps).expect("live parent");
            *c = c.saturating_sub(1);
            if removable(ps, &children) {
                dead.push(ps);
            }
        }
    }
    order
}

proptest::proptest! {
    /// The sweep from the expiry list removes what a scan of the whole table would, in the
    /// same order (so the same slots are reused next).
    #[test]
    fn sweep_from_the_expiry_list_equals_a_scan(ops in proptest::collection::vec((0u8..6, 0u32..24, 0u32..24), 0..300)) {
        let mut t = ProcTable::default();
        let mut now = 0i64;
        let mut pinned: Vec<Slot> = Vec::new();
        for (op, a, b) in ops {
            now += 7;
            match op {
                0 => {
                    let parent = (b % 3 != 0).then_some(ProcKey::Pid(b));
                    start_as(&mut t, ProcKey::Pid(a), parent, a % 5 == 0, false, now);
                }
                1 => t.end(&ProcKey::Pid(a), now - i64::from(b)),
                2 => {
                    if let Some(s) = t.find(&ProcKey::Pid(a), now) {
                        t.pin(s);
                        pinned.push(s);
                    }
                }
                3 => {
                    if !pinned.is_empty() {
                        let s = pinned.swap_remove(a as usize % pinned.len());
                        if t.slots.get(s as usize).is_some() {
                            t.unpin(s);
                        }
                    }
                }
                4 => {
                    let horizon = now - i64::from(b) * 10;
                    let expected = removed_by_scan(&t, horizon);
                    let before: Vec<Slot> = t.slots.iter().map(|(s, _)| s as Slot).collect();
                    let free_before = t.free.len();
                    proptest::prop_assert_eq!(t.sweep(horizon), expected.len());
                    proptest::prop_assert_eq!(&t.free[free_before..], &expected[..]);
                    let after: Vec<Slot> = t.slots.iter().map(|(s, _)| s as Slot).collect();
                    proptest::prop_assert_eq!(before.len() - after.len(), expected.len());
                }
                _ => {
                    t.resolve(&ProcKey::Pid(a), now);
                }
            }
        }
    }
}

/// A start of `C:\chrome.exe` (a link source) with no parent: logged (`built` false) or
/// built, with the root lowering chose for it (`adopt`).
fn chrome(
    t: &mut ProcTable,
    id: &str,
    user: Option<&str>,
    built: bool,
    adopt: Option<Slot>,
    time: i64,
) -> (Slot, StartOutcome) {
    let key = ProcKey::Id(id.into());
    let source = SourceRef { input: Arc::from("t"), pos: Position::Line(1) };
    t.start(NewProc {
        key: &key,
        parent: None,
        image: Arc::from("C:\\chrome.exe"),
        is_link_source: true,
        lolbin: false,
        forked: false,
        exec_in_place: false,
        time,
        source,
        user: user.map(Arc::from),
        built,
        adopt,
    })
}

/// A browser started by `user` (logged).
fn browser(t: &mut ProcTable, id: &str, user: Option<&str>, time: i64) -> Slot {
    chrome(t, id, user, false, None, time).0
}

#[test]
fn live_root_like_finds_the_only_running_browser_of_the_image_and_user() {
    let mut t = ProcTable::default();
    let alice = browser(&mut t, "a", Some("CORP\\alice"), 0);
    assert_eq!(t.live_root_like("c:\\CHROME.exe", Some("corp\\ALICE"), None, None, 10), Some(alice), "any case");
    assert_eq!(t.live_root_like("C:\\chrome.exe", None, None, None, 10), Some(alice), "a child naming no user");
    assert_eq!(t.live_root_like("C:\\chrome.exe", Some("CORP\\bob"), None, None, 10), None, "another user");
    assert_eq!(t.live_root_like("C:\\msedge.exe", Some("CORP\\alice"), None, None, 10), None, "another image");
    assert_eq!(t.live_root_like("C:\\chrome.exe", Some("CORP\\alice"), None, Some(alice), 10), None, "not itself");
    assert_eq!(t.live_root_like("C:\\chrome.exe", Some("CORP\\alice"), None, None, -1), None, "not before its start");
    browser(&mut t, "a2", Some("CORP\\alice"), 5);
    assert_eq!(
        t.live_root_like("C:\\chrome.exe", Some("CORP\\alice"), None, None, 10),
        None,
        "two fit: none is chosen"
    );
}

#[test]
fn live_root_like_skips_ended_browsers() {
    let mut t = ProcTable::default();
    browser(&mut t, "a", Some("CORP\\alice"), 0);
    t.end(&ProcKey::Id("a".into()), 5);
    assert_eq!(t.live_root_like("C:\\chrome.exe", Some("CORP\\alice"), None, None, 10), None);
}

#[test]
fn built_start_adopted_by_a_root_is_inferred_and_inherits_it() {
    let mut t = ProcTable::default();
    let root = browser(&mut t, "a", Some("CORP\\alice"), 0);
    let (child, outcome) = chrome(&mut t, "c", None, true, Some(root), 10);
    assert!(outcome.inferred && t.get(child).inferred);
    assert_eq!((t.parent(child), t.root_of(child)), (Some(root), Some(root)));
    assert!(t.inferred_below(root, child));
    assert!(!t.inferred_below(root, root));
    // A logged start is never inferred, even when lowering passed a root.
    let (d, outcome) = chrome(&mut t, "d", None, false, Some(root), 11);
    assert!(!outcome.inferred);
    assert_eq!(t.root_of(d), Some(root), "adopted all the same");
}

#[test]
fn live_root_like_compares_logon_sessions_when_both_are_known() {
    let mut t = ProcTable::default();
    let a = browser(&mut t, "a", Some("CORP\\alice"), 0);
    t.keep_session(a, Some(0x1a));
    let chrome = "C:\\chrome.exe";
    assert_eq!(t.live_root_like(chrome, Some("CORP\\alice"), Some(0x1a), None, 10), Some(a), "same session");
    assert_eq!(t.live_root_like(chrome, Some("CORP\\alice"), Some(0x2b), None, 10), None, "another session");
    assert_eq!(t.live_root_like(chrome, Some("CORP\\alice"), None, None, 10), Some(a), "a child naming none");
    // A second root of the same user in another session: the session tells them apart.
    let b = browser(&mut t, "b", Some("CORP\\alice"), 5);
    t.keep_session(b, Some(0x2b));
    assert_eq!(t.live_root_like(chrome, Some("CORP\\alice"), Some(0x2b), None, 10), Some(b));
    assert_eq!(t.live_root_like(chrome, Some("CORP\\alice"), None, None, 10), None, "two fit without one");
    // A root whose session is unknown fits any session.
    let c = browser(&mut t, "c", Some("CORP\\carol"), 5);
    assert_eq!(t.live_root_like(chrome, Some("CORP\\carol"), Some(0x3c), None, 10), Some(c));
    // What is kept first stays.
    t.keep_session(a, Some(0x99));
    assert_eq!(t.get(a).session.map(|s| s.get()), Some(0x1a));
}
