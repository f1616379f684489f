//! The engine fed a structured event sequence: no panic on any arrival order, every event
//! accounted for, and the stream delivered out of order within `allowed_lateness` gives the
//! records the time-sorted stream gives.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use arbitrary::Arbitrary;
use chrono::{TimeZone, Utc};
use clickchain::adapters::{AttrChange, Event, EventKind, FileOp, Origin, Os, Position, ProcKey, SourceRef};
use clickchain::{Config, Engine, Record};
use libfuzzer_sys::fuzz_target;

const T0: i64 = 1_715_677_200_000; // 2024-05-14T09:00:00Z
const LATENESS_MS: i64 = 5_000;

/// A small vocabulary, so that the fuzzer builds chains: keys, names and paths collide often.
#[derive(Arbitrary, Debug)]
enum Key {
    Pid(u8),
    Id(u8),
    IdAndPid(u8, u8),
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Start { proc: Key, parent: Option<Key>, image: u8, url: Option<u8>, forked: bool },
    End { proc: Key },
    Url { proc: Key, name: u8 },
    Dns { proc: Option<Key>, name: u8, ip: u8 },
    Connect { proc: Key, ip: u8, port: u16, name: Option<u8> },
    Write { proc: Key, path: u8, renamed_from: Option<u8>, url: Option<u8> },
    Attr { proc: Key, path: u8, attr: u8 },
}

/// One event: the time since the previous one (in 10 ms steps, plus 1 ms so that no two events
/// share a time), its delivery delay, host and OS, and what happened.
#[derive(Arbitrary, Debug)]
struct Step {
    gap: u16,
    delay: u16,
    host: u8,
    os: u8,
    kind: Kind,
}

const IMAGES: &[&str] = &[
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Windows\System32\cmd.exe",
    r"C:\Windows\System32\mshta.exe",
    r"C:\Users\a\Downloads\invoice.exe",
    "/usr/lib/firefox/firefox",
    "/usr/bin/bash",
    "/home/a/Downloads/run.sh",
    "/Applications/Safari.app/Contents/MacOS/Safari",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Users/a/Downloads/x.app/Contents/MacOS/x",
    "/usr/bin/unzip",
    "",
];
const NAMES: &[&str] = &[
    "files.example.top",
    "invoice-share.top",
    "a.b.duckdns.org",
    "www.example.org",
    "WWW.Example.COM.",
    "xn--80ak6aa92e.com",
    "203.0.113.7",
    "trusted.com@evil.top",
    "",
    "..",
];
const PATHS: &[&str] = &[
    r"C:\Users\a\Downloads\invoice.exe",
    r"C:\Users\a\Downloads\invoice.exe.crdownload",
    r"C:\Users\a\Downloads\a.zip",
    r"c:/users/a/appdata/local/temp/y.zip",
    "/home/a/Downloads/run.sh",
    "/home/a/Downloads/run.sh.part",
    "/Users/a/Downloads/x.dmg",
    "/private/var/folders/ab/T/x.pkg",
    "/tmp/../etc/./passwd",
    "",
];
const ATTRS: [AttrChange; 4] =
    [AttrChange::QuarantineSet, AttrChange::QuarantineRemoved, AttrChange::MotwRemoved, AttrChange::Executable];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

fn ip(i: u8) -> IpAddr {
    match i % 4 {
        0 => IpAddr::V4(Ipv4Addr::new(203, 0, 113, i / 4 % 8)),
        1 => IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        2 => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(i / 4 % 8))),
        _ => IpAddr::V6(Ipv4Addr::new(203, 0, 113, 7).to_ipv6_mapped()),
    }
}

impl Key {
    fn key(&self) -> ProcKey {
        match *self {
            Key::Pid(p) => ProcKey::Pid(u32::from(p % 16)),
            Key::Id(i) => ProcKey::Id(format!("g{}", i % 16)),
            Key::IdAndPid(i, p) => ProcKey::IdAndPid(format!("g{}", i % 16), u32::from(p % 16)),
        }
    }
}

impl Kind {
    fn kind(&self) -> EventKind {
        let url = |n: u8| format!("https://{}/get", pick(NAMES, n));
        match self {
            Kind::Start { proc, parent, image, url: u, forked } => {
                let image = pick(IMAGES, *image).to_owned();
                let command_line = Some(u.map_or_else(|| image.clone(), |u| format!("{image} {}", url(u))));
                let (proc, parent) = (proc.key(), parent.as_ref().map(Key::key));
                EventKind::ProcessStart { proc, parent, image, command_line, user: None, session: None, forked: *forked, built: false }
            }
            Kind::End { proc } => EventKind::ProcessEnd { proc: proc.key() },
            Kind::Url { proc, name } => EventKind::UrlOpen { proc: proc.key(), url: url(*name) },
            Kind::Dns { proc, name, ip: a } => EventKind::DnsAnswer {
                proc: proc.as_ref().map(Key::key),
                query: pick(NAMES, *name).to_owned(),
                answers: vec![ip(*a)],
            },
            Kind::Connect { proc, ip: a, port, name } => EventKind::Connect {
                proc: proc.key(),
                dst_ip: ip(*a),
                dst_port: *port,
                domain: name.map(|n| pick(NAMES, n).to_owned()),
            },
            Kind::Write { proc, path, renamed_from, url: u } => EventKind::FileWrite {
                proc: proc.key(),
                path: pick(PATHS, *path).to_owned(),
                op: renamed_from.map_or(FileOp::Create, |f| FileOp::Rename { from: pick(PATHS, f).to_owned() }),
                origin: u.map(|u| Box::new(Origin { url: Some(url(u)), ..Origin::default() })),
            },
            Kind::Attr { proc, path, attr } => EventKind::FileAttr {
                proc: proc.key(),
                path: pick(PATHS, *path).to_owned(),
                attr: ATTRS[usize::from(*attr) % ATTRS.len()],
            },
        }
    }
}

/// The events in time order, each with its delay: below the lateness when `within`, else up to
/// eleven minutes (late events then).
fn events(steps: &[Step], within: bool) -> Vec<(i64, Event)> {
    let input: Arc<str> = Arc::from("fuzz");
    let mut t = T0;
    let mut out = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        t += i64::from(step.gap) * 10 + 1;
        let os = [Os::Windows, Os::Linux, Os::Macos][usize::from(step.os % 3)];
        let source = SourceRef { input: Arc::clone(&input), pos: Position::Line(i as u64 + 1) };
        let Some(time) = Utc.timestamp_millis_opt(t).single() else { break };
        let event = Event { time, host: format!("h{}", step.host % 3), os: Some(os), source, kind: step.kind.kind() };
        let delay = if within { i64::from(step.delay) % LATENESS_MS } else { i64::from(step.delay) * 10 };
        out.push((t + delay, event));
    }
    out
}

/// Small caps, so that the sequences also reach eviction and the caps.
fn engine() -> Engine {
    let mut config = Config::default();
    config.engine.allowed_lateness = Duration::from_millis(LATENESS_MS as u64);
    config.engine.batch = Duration::from_millis(1_000);
    config.engine.max_processes_per_host = 16;
    config.engine.max_egress_per_host = 8;
    config.engine.max_pending_per_host = 8;
    let mut engine = Engine::new(config).expect("the fuzz config is valid");
    engine.set_now(Utc.timestamp_millis_opt(T0 + 400 * 86_400_000).single().expect("a valid time"));
    engine
}

/// Runs the events through a fresh engine; its records as sorted JSON lines. `on_time`: no
/// event may be late.
fn records(events: impl IntoIterator<Item = Event>, on_time: bool) -> Vec<String> {
    let mut engine = engine();
    for event in events {
        engine.push(event);
    }
    engine.finish();
    let s = engine.stats();
    let dropped = s.dropped.late + s.dropped.implausible_time + s.dropped.host_cap;
    assert_eq!(s.events_in, s.events_processed + dropped, "an event is unaccounted for");
    assert!(!on_time || s.dropped.late == 0, "an event within the lateness was dropped as late");
    let mut out: Vec<String> = engine.drain().iter().map(Record::to_json).collect();
    out.sort();
    out
}

/// The events in order of arrival (time plus delay; ties in input order).
fn arrival_order(timed: Vec<(i64, Event)>) -> impl Iterator<Item = Event> {
    let mut arrival: Vec<(i64, usize, Event)> = timed.into_iter().enumerate().map(|(i, (a, e))| (a, i, e)).collect();
    arrival.sort_by_key(|(a, i, _)| (*a, *i));
    arrival.into_iter().map(|(_, _, e)| e)
}

fuzz_target!(|steps: Vec<Step>| {
    let timed = events(&steps, true);
    let expected = records(timed.iter().map(|(_, e)| e.clone()), true);
    let got = records(arrival_order(timed), true);
    assert_eq!(got, expected, "the stream out of order within the lateness gives other records");
    // Any order at all: some events late, none lost track of, no panic.
    records(arrival_order(events(&steps, false)), false);
});
