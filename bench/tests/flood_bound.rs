//! The memory bound of `docs/performance.md` "Memory bound", held on scaled-down floods with
//! small caps: the processes held never exceed the caps, the engine's whole state (its
//! checkpoint) stops growing once the caps are reached, what is dropped is counted, and a
//! chain after the flood still alerts.

use clickchain::{Config, Engine};
use clickchain_bench::flood::{self, Outcome, Shape, DEEP_FILE};

const MAX_HOSTS: usize = 40;
const MAX_PROCESSES: usize = 600;

/// Small caps, so that a flood of a few thousand events reaches each.
fn config() -> Config {
    let text = format!(
        "[engine]\nmax_hosts = {MAX_HOSTS}\nmax_processes_per_host = {MAX_PROCESSES}\nmax_egress_per_host = 300\n\
         max_pending_per_host = 200\nnod_capacity = 2000\nmax_dns_per_host = 300\nmax_reorder = 3000\n"
    );
    Config::from_toml_str(&text, "flood caps").expect("valid configuration")
}

/// Runs `shape` at `scale` and returns its outcome and the largest checkpoint seen.
fn flood(shape: Shape, scale: f64) -> (Outcome, usize) {
    flood_with(shape, scale, config())
}

fn flood_with(shape: Shape, scale: f64, config: Config) -> (Outcome, usize) {
    let mut largest = 0;
    let mut probe = |e: &mut Engine| {
        assert!(e.live_processes() <= MAX_HOSTS * MAX_PROCESSES, "{} processes held", e.live_processes());
        let mut bytes = Vec::new();
        e.checkpoint(&mut bytes).expect("checkpoint");
        largest = largest.max(bytes.len());
    };
    let outcome = flood::run(shape, scale, config, &mut probe).expect("flood ran");
    assert!(outcome.canary_alerted(), "{}: the chain after the flood did not alert: {outcome:?}", outcome.shape);
    (outcome, largest)
}

/// Twice the flood holds little more state than the flood (within 25 %: which hosts and names
/// fill the capped tables differs): the caps bind.
fn plateau(shape: Shape, scale: f64) -> Outcome {
    let (once, small) = flood(shape, scale);
    let (twice, large) = flood(shape, 2.0 * scale);
    assert!(
        large as f64 <= small as f64 * 1.25 + 4_096.0,
        "{}: state grew from {small} to {large} bytes when the flood doubled",
        once.shape
    );
    assert!(twice.events > once.events);
    twice
}

#[test]
fn unique_domains_are_capped_by_the_egress_cap() {
    // The canary's egress comes after the host's cap is reached: the oldest makes room for it.
    let o = plateau(Shape::Domains, 0.01);
    assert!(o.stats.dropped.egress_cap > 0, "{:?}", o.stats.dropped);
}

#[test]
fn processes_that_never_exit_are_evicted_at_the_cap() {
    let o = plateau(Shape::Processes, 0.01);
    assert!(o.most_processes <= MAX_PROCESSES as u64 + 1, "{} held", o.most_processes);
    assert!(o.stats.dropped.process_evicted > 0);
}

#[test]
fn hosts_beyond_the_cap_are_dropped_and_counted() {
    let o = plateau(Shape::Hosts, 0.0006);
    assert!(o.stats.dropped.host_cap > 0);
    assert!(o.most_processes <= (MAX_HOSTS * 100) as u64);
}

#[test]
fn dns_answers_for_one_address_are_capped() {
    let o = plateau(Shape::Dns, 0.01);
    assert_eq!(o.stats.dropped.late, 0);
}

#[test]
fn a_stream_alternating_an_hour_apart_is_dropped_as_late() {
    let o = plateau(Shape::Reorder, 0.01);
    // Every event of the earlier hour after the first of the later one is late.
    assert!(o.stats.dropped.late as f64 >= o.events as f64 * 0.49, "{:?}", o.stats.dropped);
}

#[test]
fn partial_downloads_are_forgotten_beyond_their_cap() {
    let o = plateau(Shape::Partials, 0.12);
    assert!(o.stats.dropped.partial_evicted > 0, "{:?}", o.stats.dropped);
}

#[test]
fn a_ten_thousand_deep_lineage_alerts() {
    // The default caps: a 10,000-deep lineage needs room for 10,000 processes.
    let (o, _) = flood_with(Shape::Deep, 1.0, Config::default());
    assert!(o.alerted.iter().any(|p| p == DEEP_FILE), "{:?}", o.alerted);
}

#[test]
fn ten_megabyte_command_lines_and_paths_pass() {
    let (o, _) = flood(Shape::Long, 0.1);
    assert_eq!(o.stats.events_processed, o.events);
}
