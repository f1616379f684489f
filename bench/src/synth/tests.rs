use std::collections::HashMap;

use clickchain_adapters::native::NativeReader;
use clickchain_adapters::{Event, EventKind, FileOp, Position, ProcKey};

use super::*;

fn small(seed: u64) -> Params {
    Params { hosts: 4, events: 6_000, seed, chains_per_million: 1_500.0, ..Params::default() }
}

#[test]
fn same_seed_same_stream_other_seed_other_stream() {
    let a = generate(&small(7));
    let b = generate(&small(7));
    assert_eq!(a.events, b.events);
    assert_eq!(a.chains, b.chains);
    assert_eq!(a.decoys, b.decoys);
    let c = generate(&small(8));
    assert_ne!(a.events, c.events);
}

#[test]
fn exact_count_time_order_and_sources() {
    let s = generate(&small(1));
    assert_eq!(s.events.len(), 6_000);
    assert_eq!(s.chains.len(), 9);
    assert!(s.events.windows(2).all(|w| w[0].time <= w[1].time));
    for (i, e) in s.events.iter().enumerate() {
        assert_eq!(e.source.pos, Position::Record(i as u64 + 1));
    }
    let oses: Vec<Os> = s.hosts.iter().map(|h| h.1).collect();
    assert_eq!(&oses[..3], &[Os::Windows, Os::Linux, Os::Macos]);
    // 1,500 events per host at 20 events/s: ~75 s, plus process ends scheduled later.
    assert!((60_000..1_000_000).contains(&s.span_ms()), "span {}", s.span_ms());
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for e in &s.events {
        *kinds.entry(e.kind.tag()).or_default() += 1;
    }
    for tag in ["process_start", "process_end", "url_open", "dns_answer", "connect", "file_write", "file_attr"] {
        assert!(kinds.get(tag).copied().unwrap_or(0) > 0, "no {tag} in {kinds:?}");
    }
}

fn proc_of(e: &Event) -> Option<&ProcKey> {
    match &e.kind {
        EventKind::ProcessStart { proc, .. }
        | EventKind::ProcessEnd { proc }
        | EventKind::UrlOpen { proc, .. }
        | EventKind::Connect { proc, .. }
        | EventKind::FileWrite { proc, .. }
        | EventKind::FileAttr { proc, .. } => Some(proc),
        EventKind::DnsAnswer { proc, .. } => proc.as_ref(),
    }
}

#[test]
fn chain_labels_match_their_events_in_causal_order() {
    let s = generate(&small(3));
    assert!(s.chains.iter().any(|c| c.via == ChainVia::MailLink));
    assert!(s.chains.iter().any(|c| c.via == ChainVia::UrlOpen));
    for c in &s.chains {
        assert_eq!(c.events.len(), 5, "{c:?}");
        let ev: Vec<&Event> = c.events.iter().map(|&i| &s.events[i]).collect();
        assert!(ev.iter().all(|e| e.host == c.host));
        assert!(ev.windows(2).all(|w| w[0].time < w[1].time), "not time-ordered: {c:?}");
        let t = |e: &Event| e.time.timestamp_millis();
        assert_eq!((t(ev[0]), t(ev[2]), t(ev[4])), (c.click_ms, c.egress_ms, c.write_ms));
        match &ev[0].kind {
            EventKind::ProcessStart { command_line: Some(cmd), .. } => assert!(cmd.ends_with(&c.url)),
            EventKind::UrlOpen { url, proc } => assert_eq!((url, proc), (&c.url, &c.root)),
            other => panic!("click is {other:?}"),
        }
        assert!(matches!(&ev[1].kind, EventKind::DnsAnswer { query, .. } if *query == c.domain));
        assert!(matches!(&ev[2].kind, EventKind::Connect { .. }));
        let EventKind::FileWrite { path: partial, op: FileOp::Create, .. } = &ev[3].kind else { panic!("{:?}", ev[3]) };
        let EventKind::FileWrite { path, op: FileOp::Rename { from }, .. } = &ev[4].kind else { panic!("{:?}", ev[4]) };
        assert_eq!((path, from), (&c.final_path, partial));
        assert!(c.final_path.contains("Downloads"));
        // The link root started before the click, with the labelled image.
        let root_start = s.events[..c.events[0]]
            .iter()
            .find(|e| e.host == c.host && matches!(&e.kind, EventKind::ProcessStart { proc, .. } if *proc == c.root));
        let Some(Event { kind: EventKind::ProcessStart { image, .. }, .. }) = root_start else {
            panic!("no root start")
        };
        assert_eq!(image, &c.root_image);
    }
}

/// Every process is referred to only while it runs, starts once per incarnation, and has a
/// running parent when it starts; with a tiny pid space, pids are reused.
#[test]
fn processes_are_coherent_and_pids_are_reused() {
    let mut p = small(5);
    p.mix.pid_max = 420;
    let s = generate(&p);
    let mut alive: HashMap<(&str, &ProcKey), bool> = HashMap::new();
    let mut starts: HashMap<(&str, &ProcKey), usize> = HashMap::new();
    for e in &s.events {
        let host = e.host.as_str();
        match &e.kind {
            EventKind::ProcessStart { proc, parent, .. } => {
                assert!(!alive.get(&(host, proc)).copied().unwrap_or(false), "{proc} started twice: {e:?}");
                if let Some(pp) = parent {
                    assert!(alive.get(&(host, pp)).copied().unwrap_or(false), "parent not running: {e:?}");
                }
                alive.insert((host, proc), true);
                *starts.entry((host, proc)).or_default() += 1;
            }
            EventKind::ProcessEnd { proc } => {
                assert_eq!(alive.insert((host, proc), false), Some(true), "{e:?}");
            }
            _ => {
                if let Some(proc) = proc_of(e) {
                    assert!(alive.get(&(host, proc)).copied().unwrap_or(false), "not running: {e:?}");
                }
            }
        }
    }
    let reused = starts.iter().filter(|((_, k), &n)| matches!(k, ProcKey::Pid(_)) && n > 1).count();
    assert!(reused > 10, "only {reused} pids reused");
    assert!(starts.iter().all(|((_, k), &n)| matches!(k, ProcKey::Pid(_)) || n == 1));
}

#[test]
fn decoys_are_renames_into_downloads() {
    let mut p = small(9);
    p.mix.cdn_downloads_per_hour = 200.0;
    let s = generate(&p);
    assert!(s.decoys.len() >= 5, "{} decoys", s.decoys.len());
    for d in &s.decoys {
        let found = s.events.iter().any(|e| {
            e.host == d.host
                && e.time.timestamp_millis() == d.time_ms
                && matches!(&e.kind, EventKind::FileWrite { path, op: FileOp::Rename { .. }, .. } if *path == d.path)
        });
        assert!(found, "{d:?}");
    }
}

#[test]
fn ndjson_round_trips() {
    let s = generate(&Params { hosts: 3, events: 2_000, ..small(2) });
    let mut buf = Vec::new();
    s.write_ndjson(&mut buf).unwrap();
    let back: Vec<Event> = NativeReader::new("synth", &buf[..]).map(|r| r.unwrap()).collect();
    assert_eq!(back.len(), s.events.len());
    for (a, b) in s.events.iter().zip(&back) {
        assert_eq!((&a.time, &a.host, a.os, &a.kind), (&b.time, &b.host, b.os, &b.kind));
    }
}

/// The engine (default configuration) alerts on every injected chain.
#[test]
fn engine_finds_every_injected_chain() {
    let s = generate(&small(11));
    let mut engine = clickchain::Engine::new(clickchain::Config::default()).unwrap();
    for e in s.events.iter().cloned() {
        engine.push(e);
    }
    engine.finish();
    let alerts: Vec<crate::score::Observed> = engine
        .drain()
        .iter()
        .filter_map(|r| crate::score::Observed::from_record(&serde_json::from_str(&r.to_json()).unwrap()))
        .collect();
    let score = crate::score::score(&s.chains, &s.decoys, &alerts);
    assert_eq!(score.missed, Vec::<usize>::new(), "{score:?}");
    assert_eq!(score.wrong_root, 0, "{score:?}");
}
