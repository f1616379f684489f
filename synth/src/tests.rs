use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use clickchain_adapters::native::NativeReader;
use clickchain_adapters::{Event, EventKind, FileOp, Position, ProcKey};

use super::*;

fn small(seed: u64) -> Params {
    Params { hosts: 4, events: 6_000, seed, chains_per_million: 1_500.0, ..Params::default() }
}

/// Many chains, each evasion on half of them.
fn evasive(seed: u64) -> Params {
    Params {
        hosts: 3,
        events: 12_000,
        seed,
        chains_per_million: 3_000.0,
        evasions: Evasions::all(0.5),
        ..Params::default()
    }
}

#[test]
fn same_seed_same_stream_other_seed_other_stream() {
    for p in [small(7), evasive(7)] {
        let (a, b) = (generate(&p), generate(&p));
        assert_eq!(a.events, b.events);
        assert_eq!(a.chains, b.chains);
        assert_eq!(a.decoys, b.decoys);
        let c = generate(&Params { seed: 8, ..p });
        assert_ne!(a.events, c.events);
    }
}

#[test]
fn exact_count_time_order_and_sources() {
    let s = generate(&Params { evasions: Evasions::none(), ..small(1) });
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

/// Late and out-of-order events arrive behind newer ones, never by more than the bound.
#[test]
fn arrival_is_late_only_within_the_bound() {
    let p = evasive(4);
    let s = generate(&p);
    let mut newest = s.events[0].time.timestamp_millis();
    let mut late = 0;
    for e in &s.events {
        let t = e.time.timestamp_millis();
        assert!(newest - t <= p.evasions.max_lateness_ms, "{e:?} is {} ms late", newest - t);
        late += usize::from(t < newest);
        newest = newest.max(t);
    }
    assert!(late > 0);
}

#[test]
fn duration_sets_the_count_and_every_analytic_gets_a_chain() {
    let p = Params {
        hosts: 5,
        duration: Some(Duration::from_secs(120)),
        rate: 10.0,
        chains_per_million: 0.0,
        ..Params::default()
    };
    let s = generate(&p);
    assert_eq!(s.events.len(), 6_000);
    let mut analytics: Vec<&str> = s.chains.iter().map(|c| c.analytic()).collect();
    analytics.sort_unstable();
    assert_eq!(analytics, ["AN0178", "AN0179", "AN0180"]);
    let none = generate(&Params { min_chains_per_analytic: 0, ..p });
    assert!(none.chains.is_empty());
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

/// The parent of the incarnation of `proc` running at stream position `at`.
fn parent_at<'a>(s: &'a Stream, host: &str, proc: &ProcKey, at: usize) -> Option<&'a ProcKey> {
    s.events[..at].iter().rev().find_map(|e| match &e.kind {
        EventKind::ProcessStart { proc: p, parent, .. } if e.host == host && p == proc => Some(parent.as_ref()),
        _ => None,
    })?
}

#[test]
fn chain_labels_match_their_events_in_causal_order() {
    let p = evasive(3);
    let s = generate(&p);
    assert!(s.chains.iter().any(|c| c.via == ChainVia::MailLink));
    assert!(s.chains.iter().any(|c| c.via == ChainVia::UrlOpen));
    for e in Evasion::ALL {
        assert!(s.chains.iter().any(|c| c.evasions.contains(&e)), "no chain with {e}");
    }
    for c in &s.chains {
        let ip_only = c.evasions.contains(&Evasion::IpOnly);
        assert_eq!(c.events.len(), if ip_only { 4 } else { 5 }, "{c:?}");
        let ev: Vec<&Event> = c.events.iter().map(|&i| &s.events[i]).collect();
        assert!(ev.iter().all(|e| e.host == c.host));
        assert!(ev.windows(2).all(|w| w[0].time < w[1].time), "not time-ordered: {c:?}");
        let t = |e: &Event| e.time.timestamp_millis();
        let n = ev.len();
        assert_eq!((t(ev[0]), t(ev[n - 3]), t(ev[n - 1])), (c.click_ms, c.egress_ms, c.write_ms));
        match &ev[0].kind {
            EventKind::ProcessStart { command_line: Some(cmd), .. } => assert!(cmd.ends_with(&c.url)),
            EventKind::UrlOpen { url, proc } => assert_eq!((url, proc), (&c.url, &c.root)),
            other => panic!("click is {other:?}"),
        }
        let EventKind::Connect { dst_ip, .. } = &ev[n - 3].kind else { panic!("{:?}", ev[n - 3]) };
        if ip_only {
            assert_eq!(dst_ip, &c.domain.parse::<IpAddr>().unwrap());
            assert!(!s
                .events
                .iter()
                .any(|e| matches!(&e.kind, EventKind::DnsAnswer { answers, .. } if answers.contains(dst_ip))));
        } else {
            assert!(matches!(&ev[1].kind, EventKind::DnsAnswer { query, .. } if *query == c.domain));
        }
        let EventKind::FileWrite { path: partial, op: FileOp::Create, .. } = &ev[n - 2].kind else { panic!() };
        let EventKind::FileWrite { path, op: FileOp::Rename { from }, proc: writer, .. } = &ev[n - 1].kind else {
            panic!("{:?}", ev[n - 1])
        };
        assert_eq!((path, from, partial), (&c.final_path, &c.partial_path, &c.partial_path));
        assert!(c.final_path.contains("Downloads"));
        let file = c.final_path.rsplit(['/', '\\']).next().unwrap();
        assert_eq!(partial.contains(file), !c.evasions.contains(&Evasion::RenamedPartial), "{c:?}");
        // The writer is `lineage_depth` levels below the link root.
        let mut at = (c.events[n - 1], writer.clone());
        for _ in 0..c.lineage_depth {
            at.1 = parent_at(&s, &c.host, &at.1, at.0).expect("a parent").clone();
        }
        assert_eq!(at.1, c.root, "{c:?}");
        if c.evasions.contains(&Evasion::DeepLineage) {
            assert!(c.lineage_depth >= p.depth + 6, "{c:?}");
        }
        // Arrival: the rename before the partial when out of order; the egress behind a newer
        // event when late.
        let (partial_pos, rename_pos) = (c.events[n - 2], c.events[n - 1]);
        assert_eq!(rename_pos < partial_pos, c.evasions.contains(&Evasion::OutOfOrder), "{c:?}");
        let egress_pos = c.events[n - 3];
        let behind = s.events[..egress_pos].iter().any(|e| e.time > ev[n - 3].time);
        if c.evasions.contains(&Evasion::Late) {
            assert!(behind, "{c:?}");
        }
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

/// Every process is referred to only while it runs (in time order), starts once per
/// incarnation, and has a running parent when it starts; with a tiny pid space, pids are reused.
#[test]
fn processes_are_coherent_and_pids_are_reused() {
    let mut p = evasive(5);
    p.mix.pid_max = 700;
    let s = generate(&p);
    let mut sorted: Vec<&Event> = s.events.iter().collect();
    sorted.sort_by_key(|e| e.time);
    let mut alive: HashMap<(&str, &ProcKey), bool> = HashMap::new();
    let mut starts: HashMap<(&str, &ProcKey), usize> = HashMap::new();
    for e in sorted {
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

/// A pid-reuse chain's browser took the pid of a process that had just ended, and once it
/// ended, an unrelated process took it and wrote into Downloads (the decoy).
#[test]
fn pid_reuse_chains_and_their_decoys() {
    let s = generate(&evasive(6));
    let chains: Vec<&Chain> = s.chains.iter().filter(|c| c.evasions.contains(&Evasion::PidReuse)).collect();
    assert!(!chains.is_empty());
    let decoys: Vec<&Decoy> = s.decoys.iter().filter(|d| d.kind == DecoyKind::PidReuse).collect();
    assert_eq!(decoys.len(), chains.len());
    for c in chains {
        assert_eq!(c.os, Os::Linux);
        let EventKind::ProcessStart { proc: browser @ ProcKey::Pid(_), .. } = &s.events[c.events[0]].kind else {
            panic!("{c:?}")
        };
        let holders = s
            .events
            .iter()
            .filter(|e| e.host == c.host && matches!(&e.kind, EventKind::ProcessStart { proc, .. } if proc == browser));
        let times: Vec<i64> = holders.map(|e| e.time.timestamp_millis()).collect();
        assert!(times.iter().any(|&t| t < c.click_ms && t > c.click_ms - 1_000), "no holder just before: {c:?}");
        let after = s.events.iter().find(|e| {
            e.host == c.host
                && e.time.timestamp_millis() > c.write_ms
                && matches!(&e.kind, EventKind::FileWrite { proc, path, .. } if proc == browser && decoys.iter().any(|d| d.path == *path))
        });
        assert!(after.is_some(), "no decoy write by the reused pid: {c:?}");
    }
}

#[test]
fn decoys_are_writes_into_downloads() {
    let mut p = small(9);
    p.mix.cdn_downloads_per_hour = 200.0;
    p.mix.set("late_downloads_per_hour", 100.0).unwrap();
    assert!(p.mix.clone().set("teleports_per_hour", 1.0).is_err() && p.mix.clone().set("browse", -1.0).is_err());
    let s = generate(&p);
    for kind in [DecoyKind::CdnDownload, DecoyKind::DownloadAfterRiskyVisit] {
        assert!(s.decoys.iter().filter(|d| d.kind == kind).count() >= 3, "{kind:?}");
    }
    for d in &s.decoys {
        let found = s.events.iter().any(|e| {
            e.host == d.host
                && e.time.timestamp_millis() == d.time_ms
                && matches!(&e.kind, EventKind::FileWrite { path, op, .. }
                    if *path == d.path && (d.kind == DecoyKind::PidReuse) == matches!(op, FileOp::Create))
        });
        assert!(found, "{d:?}");
    }
}

/// With a process-tree depth of 7, some admin sessions nest that deep below the terminal.
#[test]
fn depth_nests_admin_trees() {
    let mut p = Params { depth: 7, evasions: Evasions::none(), ..small(12) };
    p.mix.admin_per_hour = 2_000.0;
    let s = generate(&p);
    let mut parent: HashMap<(&str, &ProcKey), &ProcKey> = HashMap::new();
    let mut deepest = 0;
    for e in &s.events {
        if let EventKind::ProcessStart { proc, parent: Some(pp), .. } = &e.kind {
            parent.insert((e.host.as_str(), proc), pp);
            let (mut k, mut d) = (pp, 1);
            while let Some(&up) = parent.get(&(e.host.as_str(), k)) {
                (k, d) = (up, d + 1);
            }
            deepest = deepest.max(d);
        }
    }
    // services -> shell -> (terminal ->) tool + 6 nested tools
    assert!(deepest >= 8, "deepest {deepest}");
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

/// FNV-1a of bytes, for golden digests of whole streams.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The native, Sysmon and ECS bytes of a stream without variants are those of the generator
/// before variants existed (digests taken then).
#[test]
fn no_variants_stream_bytes_unchanged() {
    let mut digests = Vec::new();
    for p in [small(3), evasive(11)] {
        let s = generate(&p);
        let (mut n, mut y, mut e) = (Vec::new(), Vec::new(), Vec::new());
        s.write_ndjson(&mut n).unwrap();
        write::sysmon(&s, &mut y).unwrap();
        write::ecs(&s, &mut e).unwrap();
        digests.push([fnv(&n), fnv(&y), fnv(&e)]);
    }
    assert_eq!(digests, GOLDEN);
}

const GOLDEN: [[u64; 3]; 2] = [
    [0x85a6_5945_4924_d1f0, 0x2d07_5ffc_fb1e_6c73, 0xe0c1_ac4d_7239_4f04],
    [0xba39_b4f4_4acf_4c93, 0x3b0c_800f_2779_5112, 0xdbf0_eb9e_e1aa_7edb],
];
