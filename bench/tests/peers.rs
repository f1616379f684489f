//! The peers on small generated streams: the naive evaluation must give exactly the
//! streaming engine's records (equivalent implementations checked against each other), and the
//! imperative correlator must find every injected chain.

use clickchain::{Config, Engine, Record};
use clickchain_bench::peers::imperative::Correlator;
use clickchain_bench::score::{score, Observed};
use clickchain_bench::synth::{generate, Params, Stream};

fn small(seed: u64, hosts: usize, events: usize) -> Stream {
    generate(&Params { hosts, events, seed, chains_per_million: 1_500.0, ..Params::default() })
}

/// Every record as a JSON line, sorted (the order across hosts may differ).
fn records(naive: bool, batch_ms: u64, stream: &Stream) -> Vec<String> {
    let mut config = Config::default();
    config.engine.batch = std::time::Duration::from_millis(batch_ms);
    let mut engine = Engine::new(config).unwrap();
    engine.set_naive_evaluation(naive);
    for e in &stream.events {
        engine.push(e.clone());
    }
    engine.finish();
    let mut out: Vec<String> = engine.drain().iter().map(Record::to_json).collect();
    out.sort();
    out
}

#[test]
fn naive_evaluation_equals_streaming_on_generated_streams() {
    for (seed, hosts, events, batch_ms) in [(1, 3, 9_000, 1_000), (2, 4, 12_000, 250), (7, 3, 15_000, 5_000)] {
        let stream = small(seed, hosts, events);
        let streaming = records(false, batch_ms, &stream);
        let naive = records(true, batch_ms, &stream);
        // Not vacuous: the stream has chains and the engine finds them.
        let alerts = streaming.iter().filter(|r| r.starts_with("{\"type\":\"alert\"")).count();
        assert!(!stream.chains.is_empty() && alerts >= stream.chains.len(), "seed {seed}: {alerts} alerts");
        assert_eq!(naive.len(), streaming.len(), "seed {seed}: record counts differ");
        for (n, s) in naive.iter().zip(&streaming) {
            assert_eq!(n, s, "seed {seed}");
        }
    }
}

#[test]
fn imperative_correlator_finds_every_injected_chain() {
    for (seed, hosts, events) in [(1, 3, 9_000), (3, 6, 30_000)] {
        let stream = small(seed, hosts, events);
        let mut c = Correlator::new(&Config::default()).unwrap();
        for e in &stream.events {
            c.push(e.clone());
        }
        let alerts: Vec<Observed> = c
            .take_alerts()
            .iter()
            .map(|a| Observed::from_record(&serde_json::from_str(&a.to_json()).unwrap()).expect("an alert record"))
            .collect();
        let s = score(&stream.chains, &stream.decoys, &alerts);
        assert!(s.injected > 0);
        assert_eq!(s.found, s.injected, "seed {seed}: missed {:?}", s.missed);
        assert_eq!(s.wrong_root, 0, "seed {seed}");
    }
}
