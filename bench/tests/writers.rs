//! Each writer of clickchain-synth, read back by clickchain's reader for its format and run
//! through the engine (default configuration): every chain the labels expect in that form alerts.

use std::io::Cursor;

use clickchain::{Config, Engine};
use clickchain_adapters::ecs::EcsReader;
use clickchain_adapters::native::NativeReader;
use clickchain_adapters::winevent::WinEventReader;
use clickchain_adapters::{Event, ReadError};
use clickchain_bench::score::{score, Observed, Score};
use clickchain_bench::synth::{generate, write, Chain, Evasion, Evasions, Params, Stream};

/// Three hosts (one per analytic), many chains, each evasion on half of them.
fn stream() -> Stream {
    generate(&Params {
        hosts: 3,
        events: 15_000,
        seed: 42,
        chains_per_million: 3_000.0,
        evasions: Evasions::all(0.5),
        ..Params::default()
    })
}

fn run(events: impl Iterator<Item = Result<Event, ReadError>>) -> Vec<Observed> {
    let mut engine = Engine::new(Config::default()).unwrap();
    for e in events {
        engine.push(e.unwrap());
    }
    engine.finish();
    assert_eq!(engine.stats().dropped.late, 0, "events dropped as late");
    let records = engine.drain();
    records.iter().filter_map(|r| Observed::from_record(&serde_json::from_str(&r.to_json()).unwrap())).collect()
}

/// Scores the alerts against the chains expected in `form`, and checks recall 1.0.
fn check(s: &Stream, form: &str, alerts: &[Observed]) -> Score {
    let expected: Vec<Chain> = s.chains.iter().filter(|c| c.expected_in(form)).cloned().collect();
    assert!(expected.len() >= 10, "{form}: only {} chains", expected.len());
    for e in Evasion::ALL.into_iter().filter(|&e| e != Evasion::PidReuse || form != "sysmon") {
        assert!(expected.iter().any(|c| c.evasions.contains(&e)), "{form}: no chain with {e}");
    }
    let sc = score(&expected, &s.decoys, alerts);
    let missed: Vec<&Chain> = sc.missed.iter().map(|&i| &expected[i]).collect();
    assert!(missed.is_empty(), "{form}: missed {missed:#?}");
    assert_eq!(sc.recall(), 1.0);
    assert_eq!(sc.wrong_root, 0, "{form}: {sc:?}");
    sc
}

#[test]
fn lateness_bound_is_within_the_engines_default() {
    assert!(Evasions::default().max_lateness_ms < Config::default().engine.allowed_lateness_ms());
}

#[test]
fn native_ndjson_finds_every_chain() {
    let s = stream();
    let mut buf = Vec::new();
    s.write_ndjson(&mut buf).unwrap();
    let alerts = run(NativeReader::new("stream.ndjson", &buf[..]));
    let sc = check(&s, "native", &alerts);
    // Nothing but the chains alerts in the native form (decoys included).
    assert_eq!(sc.unexpected.values().sum::<usize>(), 0, "{sc:?}");
}

#[test]
fn sysmon_json_finds_every_windows_chain() {
    let s = stream();
    let mut buf = Vec::new();
    let written = write::sysmon(&s, &mut buf).unwrap();
    assert!(written.dropped["not_windows"] > 0);
    let alerts = run(WinEventReader::json("stream.sysmon.json", Cursor::new(buf)));
    assert!(alerts.iter().all(|a| a.host.starts_with("WS-")));
    check(&s, "sysmon", &alerts);
}

#[test]
fn ecs_finds_every_chain() {
    let s = stream();
    let mut buf = Vec::new();
    let written = write::ecs(&s, &mut buf).unwrap();
    assert!(written.dropped["url_open"] > 0 && written.dropped["file_attr"] > 0);
    let alerts = run(EcsReader::new("stream.ecs.ndjson", &buf[..]));
    check(&s, "ecs", &alerts);
}
