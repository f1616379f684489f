//! # clickchain-synth
//!
//! Seeded, deterministic synthetic event streams with ground truth, for testing and
//! benchmarking clickchain (MITRE T1204.001, DET0066) and its input adapters.
//!
//! [`generate`] builds a stream of [`Event`]s for a fleet of hosts (Windows, Linux and macOS
//! mixed) and returns, beside it, the true chains it injected ([`Chain`]: one analytic each,
//! AN0178, AN0179 or AN0180, with their [`Evasion`]s) and the benign download-like writes
//! ([`Decoy`]) a detector might confuse with them. The same [`Params`] always give the same
//! stream, on every platform.
//!
//! * **Fleet**: each host has a service manager, a session shell, a terminal, a browser root with
//!   its network child, and a mail app, all running for the whole stream. Windows processes have
//!   GUID keys, Linux processes bare pids (reused in a small pid space), macOS `pid:version` keys.
//! * **Benign noise**: background episodes fill the event budget at the configured rate
//!   (browsing popular sites with DNS answers, connects and cache writes into the browser's
//!   excluded profile folders; short-lived system processes; mail polling and attachments), and
//!   rarer episodes arrive at per-hour rates ([`Mix`]): downloads from allowlisted CDNs, visits to
//!   risky domains without downloads, downloads long after a risky visit, benign links clicked in
//!   mail, Office sessions, updaters outside any lineage, LOLBIN admin activity nested up to
//!   [`Params::depth`] processes deep.
//! * **Chains**: click (a URL-open record, or a new browser process with the URL) → DNS and
//!   connect to an untrusted domain → partial file → rename into Downloads, sometimes executed
//!   afterwards; on macOS some never get the quarantine flag. Evasions ([`Evasions`]): deep
//!   lineage, renamed partials, late and out-of-order arrival (bounded by
//!   [`Evasions::max_lateness_ms`]), pid reuse, IP-only egress.
//! * **Variants** ([`Params::variants`], [`Variant`]): the shapes of the experimental rules
//!   (Office → LOLBIN, terminal download cradles, Mark-of-the-Web or quarantine removed then
//!   run, a process from inside a downloaded container, HTML smuggling), each with its near
//!   misses ([`DecoyKind::NearMiss`]). Every chain's label names the rules that must alert on
//!   it ([`Chain::rules`]).
//! * **Writers**: native NDJSON ([`Stream::write_ndjson`]), flattened Sysmon JSON of the Windows
//!   events ([`write::sysmon`]), ECS NDJSON of every host ([`write::ecs`]), and the labels
//!   ([`Stream::labels`], `labels.json`).
//!
//! Events are in arrival order: time order, except the events an evasion delays.
//!
//! ```
//! use clickchain_synth::{generate, write, Evasions, Params};
//!
//! let params = Params { hosts: 3, events: 5_000, chains_per_million: 1_000.0, evasions: Evasions::none(), ..Params::default() };
//! let stream = generate(&params);
//! assert_eq!(stream.events.len(), 5_000);
//! assert_eq!(stream.chains.len(), 5);
//! let analytics: Vec<&str> = stream.chains.iter().map(|c| c.analytic()).collect();
//! assert!(["AN0178", "AN0179", "AN0180"].iter().all(|a| analytics.contains(a)));
//! assert_eq!(generate(&params).events, stream.events); // deterministic
//!
//! let mut ndjson = Vec::new();
//! stream.write_ndjson(&mut ndjson).unwrap();
//! assert_eq!(ndjson.iter().filter(|&&b| b == b'\n').count(), 5_000);
//!
//! let mut sysmon = Vec::new();
//! let written = write::sysmon(&stream, &mut sysmon).unwrap();
//! assert!(written.dropped["not_windows"] > 0); // Linux and macOS events have no Sysmon form
//! assert_eq!(stream.labels()["chains"].as_array().unwrap().len(), 5);
//! ```
#![deny(missing_docs)]

mod catalog;
mod chain;
mod episodes;
mod expected;
mod host;
mod params;
pub mod rng;
mod shapes;
#[cfg(test)]
mod tests;
mod truth;
pub mod variant;
pub mod write;

use std::io::{self, Write};
use std::sync::Arc;

use clickchain_adapters::{native, Event, Os, Position};

pub use params::{Evasion, Evasions, Mix, Params};
pub use truth::{analytic, Chain, ChainVia, Decoy, DecoyKind};
pub use variant::{Anchor, Variant};

use host::HostSim;
use rng::Rng;

/// Largest number of events one episode emits (a chain with every evasion and a follow-on is
/// the largest); below this remaining budget, fillers are used.
fn max_episode(p: &Params) -> usize {
    40 + 2 * (p.depth + 6)
}

/// A generated stream and its ground truth.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Events in arrival order (time order, ties by host then generation order, except the
    /// events delayed by [`Evasion::Late`] and [`Evasion::OutOfOrder`]). Sources are
    /// `synth:record N`, N the 1-based position, which is also the line number in
    /// [`Stream::write_ndjson`].
    pub events: Vec<Event>,
    /// Injected chains, in host then time order.
    pub chains: Vec<Chain>,
    /// Benign download-like writes.
    pub decoys: Vec<Decoy>,
    /// Host names and OSes.
    pub hosts: Vec<(String, Os)>,
}

impl Stream {
    /// Writes the events as native NDJSON, one line each.
    pub fn write_ndjson(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut w = io::BufWriter::with_capacity(1 << 20, w);
        for e in &self.events {
            w.write_all(native::to_line(e).as_bytes())?;
            w.write_all(b"\n")?;
        }
        w.flush()
    }

    /// Event time span (ms) from the earliest to the latest event.
    pub fn span_ms(&self) -> i64 {
        let times = self.events.iter().map(|e| e.time);
        match (times.clone().min(), times.max()) {
            (Some(a), Some(b)) => (b - a).num_milliseconds(),
            _ => 0,
        }
    }
}

/// `total` split into `parts` near-equal whole shares.
fn split(total: usize, parts: usize, i: usize) -> usize {
    total / parts + usize::from(i < total % parts)
}

/// `n` risky registrable domains as the generator draws them for malicious links (or for
/// benign risky visits), from `seed`: what a policy must find untrusted for the labels to hold.
pub fn risky_names(seed: u64, n: usize, malicious: bool) -> Vec<String> {
    let mut rng = rng::Rng::new(seed);
    (0..n).map(|_| chain::risky_name(&mut rng, malicious)).collect()
}

/// Generates the stream described by `p`.
///
/// # Panics
/// If `p.hosts` is 0, `p.rate` is not positive, `p.depth` is 0, or there are fewer than 64
/// events per host.
pub fn generate(p: &Params) -> Stream {
    assert!(p.hosts > 0 && p.rate > 0.0, "hosts must be >= 1 and rate > 0");
    assert!(p.depth > 0, "depth must be >= 1");
    let total = p.total_events();
    assert!(total >= 64 * p.hosts, "at least 64 events per host");
    let master = Rng::new(p.seed);
    let total_chains = (p.chains_per_million * total as f64 / 1e6).round() as usize;
    let mut timed = Vec::with_capacity(total);
    let mut chains = Vec::new();
    let mut decoys = Vec::new();
    let mut hosts = Vec::new();
    let mut per_host_seqs = Vec::new();
    let mut per_host_len = Vec::new();
    for i in 0..p.hosts {
        let mut rng = master.fork(i as u64 + 1);
        let os = match i {
            0 => Os::Windows,
            1 => Os::Linux,
            2 => Os::Macos,
            _ => Os::ALL[rng.weighted(&p.mix.os_shares)],
        };
        let budget = split(total, p.hosts, i);
        let mut n_chains = split(total_chains, p.hosts, i);
        if i < 3 {
            n_chains = n_chains.max(p.min_chains_per_analytic);
        }
        // Room for the chains and some background between them.
        let n_chains = n_chains.min(budget.saturating_sub(4 * max_episode(p)) / (2 * max_episode(p)));
        let mut h = HostSim::new(i as u32, os, rng, p);
        let mut injected = run_host(&mut h, p, budget, n_chains);
        expected::add_rules(&h, &mut injected);
        per_host_seqs.push(injected.iter().map(|c| c.seqs.clone()).collect::<Vec<_>>());
        chains.extend(injected.into_iter().map(|c| c.chain));
        hosts.push((h.name.clone(), os));
        per_host_len.push(h.out.len());
        decoys.append(&mut h.decoys);
        timed.append(&mut h.out);
    }
    timed.sort_unstable_by_key(|e| (e.arrive, e.host, e.seq));

    // Positions of every (host, seq) in the sorted stream, for the labels.
    let mut index: Vec<Vec<usize>> = per_host_len.iter().map(|&n| vec![0; n]).collect();
    let input: Arc<str> = Arc::from("synth");
    let mut events = Vec::with_capacity(timed.len());
    for (pos, t) in timed.into_iter().enumerate() {
        index[t.host as usize][t.seq as usize] = pos;
        let mut e = t.event;
        e.source.input = Arc::clone(&input);
        e.source.pos = Position::Record(pos as u64 + 1);
        events.push(e);
    }
    let mut k = 0;
    for (h, seqs) in per_host_seqs.iter().enumerate() {
        for s in seqs {
            chains[k].events = s.iter().map(|&q| index[h][q as usize]).collect();
            k += 1;
        }
    }
    Stream { events, chains, decoys, hosts }
}

/// The variant episodes of a host and where they start (events emitted before), latest
/// first, as many as the budget leaves room for beside `n_chains` chains. No draw at all
/// without variants, so that the stream is the one generated before variants existed.
fn variant_positions(h: &mut HostSim, p: &Params, budget: usize, n_chains: usize) -> Vec<(usize, shapes::Planned)> {
    let mut planned = shapes::plan(p, h.os);
    if planned.is_empty() {
        return Vec::new();
    }
    let max_ep = max_episode(p);
    let room = (budget.saturating_sub(4 * max_ep) / (2 * max_ep)).saturating_sub(n_chains);
    planned.truncate(room);
    let mut out: Vec<(usize, shapes::Planned)> = planned
        .into_iter()
        .map(|v| {
            let pos = match v.first {
                true => h.rng.range(16, 48) as usize,
                false => h.rng.range(64, (budget - 2 * max_ep) as i64) as usize,
            };
            (pos, v)
        })
        .collect();
    out.sort_by_key(|&(pos, _)| std::cmp::Reverse(pos));
    out
}

/// Fills one host's budget: setup, then chains at their positions, rare episodes when due,
/// background episodes otherwise, fillers at the very end.
fn run_host(h: &mut HostSim, p: &Params, budget: usize, n_chains: usize) -> Vec<chain::Injected> {
    let m = &p.mix;
    let max_ep = max_episode(p);
    let mut clock = p.start.timestamp_millis() + h.rng.range(0, 5_000);
    h.setup(clock);
    clock += 5_000;
    let mut positions: Vec<usize> =
        (0..n_chains).map(|_| h.rng.range(64, (budget - 2 * max_ep) as i64) as usize).collect();
    positions.sort_unstable();
    positions.reverse();
    let rare = [
        m.cdn_downloads_per_hour,
        m.risky_visits_per_hour,
        m.benign_clicks_per_hour,
        m.office_per_hour,
        m.updaters_per_hour,
        m.admin_per_hour,
        m.late_downloads_per_hour,
    ];
    let gap = |rng: &mut Rng, per_hour: f64| {
        if per_hour > 0.0 {
            rng.exp(3_600_000.0 / per_hour) as i64
        } else {
            i64::MAX / 4
        }
    };
    let mut due: Vec<i64> = rare.iter().map(|&r| clock + gap(&mut h.rng, r)).collect();
    let weights = [m.browse, m.system, m.mail];
    let mut injected = Vec::new();
    let mut variants = variant_positions(h, p, budget, n_chains);
    while h.out.len() < budget {
        let before = h.out.len();
        let remaining = budget - before;
        if remaining < max_ep {
            let root = h.root.clone();
            h.dns(clock, Some(root), "www.wikipedia.org");
        } else if positions.last().is_some_and(|&pos| pos <= before) {
            positions.pop();
            injected.push(chain::inject(h, clock, p));
        } else if variants.last().is_some_and(|&(pos, _)| pos <= before) {
            let planned = variants.pop().expect("checked").1;
            injected.extend(shapes::inject(h, clock, p, planned));
        } else if let Some(k) = (0..due.len()).filter(|&k| due[k] <= clock).min_by_key(|&k| due[k]) {
            match k {
                0 => h.cdn_download(clock),
                1 => h.risky_visit(clock),
                2 => h.benign_click(clock),
                3 => h.office(clock),
                4 => h.updater(clock),
                5 => h.admin(clock),
                _ => h.late_download(clock),
            }
            due[k] = clock + gap(&mut h.rng, rare[k]);
        } else {
            match h.rng.weighted(&weights) {
                0 => h.browse(clock),
                1 => h.system(clock),
                _ => h.mail(clock),
            }
        }
        let emitted = (h.out.len() - before) as f64;
        debug_assert!(emitted as usize <= max_ep, "{emitted} events in one episode");
        clock += h.rng.exp(emitted * 1_000.0 / p.rate).max(1.0) as i64;
    }
    injected
}
