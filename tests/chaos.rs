//! Arbitrary input never panics: random bytes through the readers, random event sequences
//! (unknown processes, cycles, pid reuse, times far out of order) through the engine, with
//! every event accounted for.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use clickchain::{Config, Engine, ShardedEngine};
use clickchain_adapters::ecs::EcsReader;
use clickchain_adapters::eslogger::EsloggerReader;
use clickchain_adapters::native::NativeReader;
use clickchain_adapters::{AttrChange, Event, EventKind, FileOp, Origin, Os, Position, ProcKey, SourceRef};
use proptest::prelude::*;

const T0: i64 = 1_715_677_200_000;

fn key() -> impl Strategy<Value = ProcKey> {
    prop_oneof![
        (0u32..12).prop_map(ProcKey::Pid),
        (0u32..12).prop_map(|i| ProcKey::Id(format!("g{i}"))),
        (0u32..12, 0u32..12).prop_map(|(i, p)| ProcKey::IdAndPid(format!("g{i}"), p)),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        r"C:\Users\a\Downloads\x.exe",
        r"C:\Users\a\Downloads\x.exe.crdownload",
        r"c:/users/a/appdata/local/temp/y.zip",
        "/home/a/Downloads/x.sh",
        "/home/a/Downloads/x.sh.part",
        "/Users/a/Downloads/x.dmg",
        "/private/var/folders/ab/T/x.pkg",
        "/tmp/../etc/./passwd",
        "",
        "relative\\name",
    ])
    .prop_map(str::to_owned)
}

fn image() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        r"C:\Windows\System32\cmd.exe",
        "/usr/lib/firefox/firefox",
        "/usr/bin/bash",
        "/Applications/Safari.app/Contents/MacOS/Safari",
        r"C:\Users\a\Downloads\x.exe",
        "",
    ])
    .prop_map(str::to_owned)
}

fn kind() -> impl Strategy<Value = EventKind> {
    let ip = prop::sample::select(vec!["203.0.113.7", "10.0.0.1", "::1", "2001:db8::5"])
        .prop_map(|s| s.parse::<IpAddr>().unwrap());
    let name = prop::sample::select(vec![
        "x.example.top",
        "",
        "..",
        "xn--",
        "a.b.c.duckdns.org",
        "203.0.113.7",
        "WWW.Example.COM.",
    ]);
    prop_oneof![
        (
            key(),
            prop::option::of(key()),
            image(),
            prop::option::of(Just("chrome https://x.example.top/a".to_owned())),
            any::<bool>()
        )
            .prop_map(|(proc, parent, image, command_line, forked)| EventKind::ProcessStart {
                proc,
                parent,
                image,
                command_line,
                user: None,
                session: None,
                forked,
                built: false,
            }),
        key().prop_map(|proc| EventKind::ProcessEnd { proc }),
        (key(), name.clone()).prop_map(|(proc, u)| EventKind::UrlOpen { proc, url: format!("https://{u}/p") }),
        (prop::option::of(key()), name.clone(), ip.clone()).prop_map(|(proc, q, a)| EventKind::DnsAnswer {
            proc,
            query: q.to_owned(),
            answers: vec![a]
        }),
        (key(), ip, any::<u16>(), prop::option::of(name)).prop_map(|(proc, dst_ip, dst_port, d)| EventKind::Connect {
            proc,
            dst_ip,
            dst_port,
            domain: d.map(str::to_owned)
        }),
        (key(), path(), prop::option::of(path()), any::<bool>()).prop_map(|(proc, path, from, url)| {
            let op = from.map_or(FileOp::Create, |from| FileOp::Rename { from });
            let origin =
                url.then(|| Box::new(Origin { url: Some("https://x.example.top/f".into()), ..Origin::default() }));
            EventKind::FileWrite { proc, path, op, origin }
        }),
        (key(), path(), 0u8..4).prop_map(|(proc, path, a)| {
            let attr = [
                AttrChange::QuarantineSet,
                AttrChange::QuarantineRemoved,
                AttrChange::MotwRemoved,
                AttrChange::Executable,
            ][a as usize];
            EventKind::FileAttr { proc, path, attr }
        }),
    ]
}

fn event() -> impl Strategy<Value = (i64, u8, u8, EventKind)> {
    // Mostly forward in time, sometimes far back (late), a few hosts and OSes.
    (-20_000i64..120_000, 0u8..3, 0u8..3, kind())
}

/// Small caps, so that the chaos also reaches the eviction and cap paths; every registered rule
/// runs.
fn small_config() -> Config {
    let mut config = Config::default();
    config.rules.enabled = clickchain::logic::rules::RULES.iter().map(|r| r.header.id.to_owned()).collect();
    config.engine.max_processes_per_host = 16;
    config.engine.max_egress_per_host = 8;
    config.engine.max_pending_per_host = 8;
    config
}

/// The generated (time step, host, OS, kind) tuples as events, times accumulated from T0.
fn events_of(raw: Vec<(i64, u8, u8, EventKind)>) -> Vec<Event> {
    let input: Arc<str> = Arc::from("chaos");
    let mut t = T0;
    raw.into_iter()
        .enumerate()
        .map(|(i, (dt, host, os, kind))| {
            t += dt;
            let os = [Os::Windows, Os::Linux, Os::Macos][os as usize];
            let source = SourceRef { input: Arc::clone(&input), pos: Position::Line(i as u64 + 1) };
            let time = Utc.timestamp_millis_opt(t).unwrap();
            Event { time, host: format!("h{host}"), os: Some(os), source, kind }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn sharded_engine_equals_one_engine_on_any_event_sequence(events in prop::collection::vec(event(), 1..300), shards in 2usize..4) {
        let now = Utc.timestamp_millis_opt(T0 + 86_400_000).unwrap();
        let mut one = Engine::new(small_config()).unwrap();
        one.set_now(now);
        let mut sharded = ShardedEngine::new(small_config(), shards).unwrap();
        sharded.set_now(now);
        for event in events_of(events) {
            one.push(event.clone());
            sharded.push(event);
        }
        one.finish();
        sharded.finish();
        let sorted = |records: Vec<clickchain::Record>| {
            let mut v: Vec<String> = records.iter().map(clickchain::Record::to_json).collect();
            v.sort();
            v
        };
        prop_assert_eq!(sorted(sharded.drain()), sorted(one.drain()));
        let (a, b) = (one.stats(), sharded.stats());
        prop_assert_eq!(
            (a.events_in, a.events_processed, a.dropped.late, a.dropped.implausible_time, a.alerts, a.follow_ons),
            (b.events_in, b.events_processed, b.dropped.late, b.dropped.implausible_time, b.alerts, b.follow_ons)
        );
    }

    #[test]
    fn engine_survives_any_event_sequence(events in prop::collection::vec(event(), 1..300)) {
        let mut engine = Engine::new(small_config()).unwrap();
        engine.set_now(Utc.timestamp_millis_opt(T0 + 86_400_000).unwrap());
        for event in events_of(events) {
            engine.push(event);
            prop_assert!(engine.live_processes() <= 3 * 17);
        }
        engine.finish();
        let s = engine.stats();
        prop_assert_eq!(s.events_in, s.events_processed + s.dropped.late + s.dropped.implausible_time + s.dropped.host_cap);
        for r in engine.drain() {
            let json = r.to_json();
            prop_assert!(json.contains("\"strategy\":\"DET0066\"") || json.contains("\"type\":\"follow_on\""));
        }
    }

    #[test]
    fn readers_survive_any_bytes(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20)) {
        let mut bytes = Vec::new();
        for l in lines {
            bytes.extend(l);
            bytes.push(b'\n');
        }
        // At most one result per line (eslogger: a gap, a write and an executable flag): no
        // reader loops or repeats a record.
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        prop_assert!(NativeReader::new("n", &bytes[..]).count() <= lines);
        prop_assert!(EsloggerReader::new("e", &bytes[..]).count() <= 3 * lines);
        EcsReader::new("c", &bytes[..]).for_each(drop);
    }

    #[test]
    fn readers_survive_json_like_text(text in "[{}\\[\\]\",:a-z0-9 \\n\\\\.@_-]{0,400}") {
        for _ in NativeReader::new("n", text.as_bytes()) {}
        for _ in EsloggerReader::new("e", text.as_bytes()) {}
        for _ in EcsReader::new("c", text.as_bytes()) {}
    }
}

/// Regression: each shard judged the quarantine grace at the end of input against the last event
/// of its own hosts, so a download whose grace had passed by the whole input's last event (on
/// another shard's host) lost its `quarantine_missing` finding when sharded.
#[test]
fn sharded_end_of_input_judges_the_quarantine_grace_at_the_whole_inputs_last_event() {
    let start = |proc, image: &str| EventKind::ProcessStart {
        proc,
        parent: None,
        image: image.into(),
        command_line: Some("safari https://x.example.top/a".into()),
        user: None,
        session: None,
        forked: false,
        built: false,
    };
    let write = EventKind::FileWrite {
        proc: ProcKey::Pid(3),
        path: "/Users/a/Downloads/x.dmg".into(),
        op: FileOp::Create,
        origin: Some(Box::new(Origin { url: Some("https://x.example.top/f".into()), ..Origin::default() })),
    };
    let flag = EventKind::FileAttr {
        proc: ProcKey::Pid(3),
        path: "/Users/a/Downloads/other.dmg".into(),
        attr: AttrChange::QuarantineSet,
    };
    // Host 0 (macOS) downloads at 10 s and logs nothing after 11 s; host 1's log goes on to 120 s.
    let raw = vec![
        (0, 0, 2, start(ProcKey::Pid(3), "/Applications/Safari.app/Contents/MacOS/Safari")),
        (10_000, 0, 2, write),
        (1_000, 0, 2, flag),
        (109_000, 1, 1, start(ProcKey::Pid(9), "/usr/bin/ls")),
    ];
    let now = Utc.timestamp_millis_opt(T0 + 86_400_000).unwrap();
    let mut one = Engine::new(small_config()).unwrap();
    one.set_now(now);
    let mut sharded = ShardedEngine::new(small_config(), 2).unwrap();
    sharded.set_now(now);
    for event in events_of(raw) {
        one.push(event.clone());
        sharded.push(event);
    }
    one.finish();
    sharded.finish();
    let findings = |records: Vec<clickchain::Record>| {
        records.iter().map(clickchain::Record::to_json).filter(|j| j.contains("quarantine_missing")).count()
    };
    assert_eq!(findings(one.drain()), 1);
    assert_eq!(findings(sharded.drain()), 1);
}
