//! Rules with a hold (`docs/rules.md`, "Hold"): a write waits for `write time + hold` before it
//! is evaluated, and what followed it meanwhile is held on it, bounded and counted.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use clickchain::{Config, Engine, Record};
use clickchain_adapters::{AttrChange, Event, EventKind, FileOp, Origin, Os, Position, ProcKey, SourceRef};

const T0: i64 = 1_715_677_200_000; // 2024-05-14T09:00:00Z
const CHROME: &str = r"C:\Program Files\Google\Chrome\Application\chrome.exe";
const FILE: &str = r"C:\Users\u\Downloads\setup.exe";
const HOLD_MS: i64 = 600_000;

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(T0 + ms).unwrap()
}

fn event(n: &mut u64, ms: i64, kind: EventKind) -> Event {
    *n += 1;
    let source = SourceRef { input: Arc::from("hold.ndjson"), pos: Position::Line(*n) };
    Event { time: at(ms), host: "ws-1".into(), os: Some(Os::Windows), source, kind }
}

fn start(id: &str, parent: Option<&str>, image: &str, cmd: &str) -> EventKind {
    EventKind::ProcessStart {
        proc: ProcKey::Id(id.into()),
        parent: parent.map(|p| ProcKey::Id(p.into())),
        image: image.into(),
        command_line: Some(cmd.into()),
        user: None,
        session: None,
        forked: false,
        built: false,
    }
}

/// A chained download of `FILE` at 30 s; its MotW removed at 40 s; then `runs` starts of it
/// from 50 s on, one a second (command lines that do not name it).
fn chained_download_then_runs(runs: usize) -> Vec<Event> {
    let mut n = 0;
    let mut ev = vec![
        event(&mut n, 0, start("b", None, CHROME, &format!("{CHROME} https://files.example.top/get"))),
        event(
            &mut n,
            1_000,
            EventKind::Connect {
                proc: ProcKey::Id("b".into()),
                dst_ip: "203.0.113.5".parse().unwrap(),
                dst_port: 443,
                domain: Some("files.example.top".into()),
            },
        ),
        event(
            &mut n,
            30_000,
            EventKind::FileWrite {
                proc: ProcKey::Id("b".into()),
                path: FILE.into(),
                op: FileOp::Create,
                origin: Some(Box::new(Origin {
                    url: Some("https://files.example.top/setup.exe".into()),
                    ..Origin::default()
                })),
            },
        ),
        event(
            &mut n,
            40_000,
            EventKind::FileAttr {
                proc: ProcKey::Id("b".into()),
                path: format!("{FILE}:Zone.Identifier"),
                attr: AttrChange::MotwRemoved,
            },
        ),
    ];
    for i in 0..runs {
        let id = format!("run-{i}");
        ev.push(event(&mut n, 50_000 + i as i64 * 1_000, start(&id, None, FILE, "setup")));
    }
    ev
}

fn engine(rules: &[&str]) -> Engine {
    let mut c = Config::default();
    c.rules.enabled = rules.iter().map(|r| (*r).to_owned()).collect();
    let mut e = Engine::new(c).unwrap();
    e.set_now(at(86_400_000));
    e
}

fn rules_of(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Alert(a) => Some(a.rule.clone()),
            Record::FollowOn(_) => None,
        })
        .collect()
}

#[test]
fn held_write_is_evaluated_once_its_hold_has_passed() {
    let mut e = engine(&["chain", "motw-removed-run"]);
    for ev in chained_download_then_runs(1) {
        e.push(ev);
    }
    // Well past the base rule's readiness, within the hold: nothing yet (the base rule's alert
    // waits with the write, which is evaluated once for all enabled rules).
    e.advance_to(at(30_000 + HOLD_MS - 60_000));
    assert_eq!(rules_of(&e.drain()), Vec::<String>::new());
    // Past the hold (and the allowed lateness): both rules' alerts.
    e.advance_to(at(30_000 + HOLD_MS + 120_000));
    assert_eq!(rules_of(&e.drain()), vec!["chain", "motw-removed-run"]);
}

#[test]
fn default_rules_hold_nothing() {
    let mut e = engine(&["chain"]);
    for ev in chained_download_then_runs(1) {
        e.push(ev);
    }
    e.advance_to(at(120_000));
    assert_eq!(rules_of(&e.drain()), vec!["chain"]);
}

#[test]
fn facts_after_the_hold_do_not_count() {
    let mut e = engine(&["motw-removed-run"]);
    let mut events = chained_download_then_runs(0);
    let mut n = 100;
    events.push(event(&mut n, 30_000 + HOLD_MS + 1, start("late", None, FILE, "setup")));
    for ev in events {
        e.push(ev);
    }
    e.finish();
    assert_eq!(rules_of(&e.drain()), Vec::<String>::new());
}

#[test]
fn held_facts_are_capped_per_write_and_counted() {
    let mut e = engine(&["motw-removed-run"]);
    for ev in chained_download_then_runs(20) {
        e.push(ev);
    }
    e.finish();
    assert_eq!(rules_of(&e.drain()), vec!["motw-removed-run"]);
    // The removal and 15 runs are held (16 per write); the other 5 runs are counted.
    assert_eq!(e.stats().dropped.held_fact_cap, 5);
}

#[test]
fn protection_removal_is_held_when_follow_on_candidates_are_full() {
    // Regression: a removal arriving when the host's follow-on candidates are at their cap was
    // lost to the held rule too.
    let mut c = Config::default();
    c.rules.enabled = vec!["motw-removed-run".to_owned()];
    c.engine.max_pending_per_host = 2;
    let mut e = Engine::new(c).unwrap();
    e.set_now(at(86_400_000));
    let other = r"C:\Users\u\Downloads\other.exe";
    let mut n = 100;
    let mut events = chained_download_then_runs(0);
    let write = |n: &mut u64, ms: i64| {
        let op = FileOp::Create;
        event(n, ms, EventKind::FileWrite { proc: ProcKey::Id("b".into()), path: other.into(), op, origin: None })
    };
    let removed = |n: &mut u64, ms: i64, path: &str| {
        let (proc, path, attr) = (ProcKey::Id("b".into()), format!("{path}:Zone.Identifier"), AttrChange::MotwRemoved);
        event(n, ms, EventKind::FileAttr { proc, path, attr })
    };
    // `other.exe` is written and loses its MotW twice (two candidates: the cap), before the
    // removal on FILE at 40 s.
    events.insert(3, write(&mut n, 31_000));
    events.insert(4, removed(&mut n, 33_000, other));
    events.insert(5, removed(&mut n, 34_000, other));
    events.push(event(&mut n, 50_000, start("run", None, FILE, "setup")));
    for ev in events {
        e.push(ev);
    }
    e.finish();
    assert!(e.stats().dropped.follow_on_cap >= 1, "{:?}", e.stats().dropped);
    assert_eq!(rules_of(&e.drain()), vec!["motw-removed-run"]);
}
