//! Seeded, deterministic synthetic event streams with ground truth.
//!
//! [`generate`] builds a time-ordered stream of [`Event`]s for a fleet of hosts (Windows, Linux
//! and macOS mixed) and returns, beside it, the true chains it injected ([`Chain`]) and the
//! benign download-like writes ([`Decoy`]) a detector might confuse with them. The same
//! [`Params`] always give the same stream, on every platform.
//!
//! Each host has a service manager, a session shell, a terminal, a browser root with its
//! network child, and a mail app, all running for the whole stream. Background episodes fill
//! the event budget at the configured rate (browsing popular sites with DNS answers, connects
//! and cache writes into the browser's excluded profile folders; short-lived system processes,
//! with pid reuse on Linux-style pid keys; mail polling and attachments), and rarer episodes
//! arrive at per-hour rates (downloads from allowlisted CDNs into Downloads, visits to risky
//! domains without downloads, benign links clicked in mail, Office sessions, updaters outside
//! any lineage, LOLBIN admin activity). True chains are injected at event positions chosen
//! at random, so their count is fixed by the stream length.
//!
//! ```
//! use clickchain_bench::synth::{generate, Params};
//!
//! let stream = generate(&Params { hosts: 3, events: 5_000, chains_per_million: 1_000.0, ..Params::default() });
//! assert_eq!(stream.events.len(), 5_000);
//! assert_eq!(stream.chains.len(), 5);
//! let mut ndjson = Vec::new();
//! stream.write_ndjson(&mut ndjson).unwrap();
//! assert_eq!(ndjson.iter().filter(|&&b| b == b'\n').count(), 5_000);
//! ```

mod catalog;
mod chain;
mod episodes;
mod host;
#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clickchain_adapters::{native, Event, Os, Position, ProcKey};

use crate::rng::Rng;
use host::HostSim;

/// Largest number of events one episode emits; below this remaining budget, fillers are used.
const MAX_EPISODE: usize = 32;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Params {
    /// Number of hosts (at least 1).
    pub hosts: usize,
    /// Total number of events (split evenly across hosts).
    pub events: usize,
    /// Events per second per host: with `events / hosts` this sets the time span.
    pub rate: f64,
    /// PRNG seed.
    pub seed: u64,
    /// Injected true chains per million events (rounded to a whole number for the stream).
    pub chains_per_million: f64,
    /// Event time of the start of the stream.
    pub start: DateTime<Utc>,
    /// The activity mix.
    pub mix: Mix,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            hosts: 10,
            events: 1_000_000,
            rate: 20.0,
            seed: 1,
            chains_per_million: 50.0,
            start: DateTime::from_timestamp(1_717_401_600, 0).expect("valid"), // 2024-06-03T08:00:00Z
            mix: Mix::default(),
        }
    }
}

/// The activity mix: relative weights of the background episodes, per-hour rates of the
/// rarer ones, and the fleet's OS shares.
#[derive(Debug, Clone)]
pub struct Mix {
    /// Weight of browsing a popular site (DNS, connects, cache writes, sometimes a new tab).
    pub browse: f64,
    /// Weight of a short-lived system process.
    pub system: f64,
    /// Weight of mail polling (and occasional attachment writes).
    pub mail: f64,
    /// Downloads from allowlisted CDNs into Downloads, per host per hour.
    pub cdn_downloads_per_hour: f64,
    /// Visits to risky domains without any download, per host per hour.
    pub risky_visits_per_hour: f64,
    /// Links to popular sites clicked in the mail app, per host per hour.
    pub benign_clicks_per_hour: f64,
    /// Office document sessions, per host per hour.
    pub office_per_hour: f64,
    /// Updater runs (outside any lineage), per host per hour.
    pub updaters_per_hour: f64,
    /// LOLBIN admin commands (outside any lineage), per host per hour.
    pub admin_per_hour: f64,
    /// Probability that an injected chain's payload is executed afterwards (follow-on).
    pub follow_on: f64,
    /// Shares of Windows, Linux and macOS among hosts after the first three (which are one each).
    pub os_shares: [f64; 3],
    /// Pid space of pid-keyed hosts (Linux, and the pid part of macOS keys). Smaller than a
    /// real system's so that pids are reused within bench-length streams.
    pub pid_max: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            browse: 6.0,
            system: 3.0,
            mail: 1.0,
            cdn_downloads_per_hour: 6.0,
            risky_visits_per_hour: 3.0,
            benign_clicks_per_hour: 6.0,
            office_per_hour: 4.0,
            updaters_per_hour: 2.0,
            admin_per_hour: 6.0,
            follow_on: 0.3,
            os_shares: [0.5, 0.25, 0.25],
            pid_max: 4_096,
        }
    }
}

/// How an injected chain's link was clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainVia {
    /// In the mail app: a new browser process starts with the URL (via xdg-open on Linux).
    /// The link root is the mail app.
    MailLink,
    /// A URL-open record on the running browser. The link root is the browser.
    UrlOpen,
}

/// Ground truth of one injected chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// Host name.
    pub host: String,
    /// Host OS.
    pub os: Os,
    /// How the link was clicked.
    pub via: ChainVia,
    /// The link root (top-most link-source ancestor) of the chain.
    pub root: ProcKey,
    /// Image of the link root.
    pub root_image: String,
    /// The clicked URL.
    pub url: String,
    /// The untrusted registrable domain.
    pub domain: String,
    /// Final path of the downloaded file.
    pub final_path: String,
    /// Event time (ms) of the click.
    pub click_ms: i64,
    /// Event time (ms) of the first untrusted connect.
    pub egress_ms: i64,
    /// Event time (ms) of the rename into Downloads.
    pub write_ms: i64,
    /// The payload was executed afterwards.
    pub executed: bool,
    /// The file carries a quarantine flag (always true off macOS).
    pub quarantined: bool,
    /// Indices into [`Stream::events`] of the click, DNS answer, first connect, partial write
    /// and rename, in causal order.
    pub events: Vec<usize>,
}

/// Kinds of benign download-like writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecoyKind {
    /// A download from an allowlisted CDN into Downloads by the browser root.
    CdnDownload,
}

impl DecoyKind {
    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DecoyKind::CdnDownload => "cdn_download",
        }
    }
}

/// A benign download-like write by a link lineage (not a chain).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoy {
    /// Host name.
    pub host: String,
    /// Final path.
    pub path: String,
    /// What it is.
    pub kind: DecoyKind,
    /// Event time (ms) of the final write.
    pub time_ms: i64,
}

/// A generated stream and its ground truth.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Events in time order (ties: host, then generation order). Sources are `synth:record N`,
    /// N the 1-based position, which is also the line number in [`Stream::write_ndjson`].
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

    /// Event time span (ms) from the first to the last event.
    pub fn span_ms(&self) -> i64 {
        match (self.events.first(), self.events.last()) {
            (Some(a), Some(b)) => (b.time - a.time).num_milliseconds(),
            _ => 0,
        }
    }
}

/// `total` split into `parts` near-equal whole shares.
fn split(total: usize, parts: usize, i: usize) -> usize {
    total / parts + usize::from(i < total % parts)
}

/// Generates the stream described by `p`.
///
/// # Panics
/// If `p.hosts` is 0, `p.rate` is not positive, or there are fewer than 64 events per host.
pub fn generate(p: &Params) -> Stream {
    assert!(p.hosts > 0 && p.rate > 0.0, "hosts must be >= 1 and rate > 0");
    assert!(p.events >= 64 * p.hosts, "at least 64 events per host");
    let master = Rng::new(p.seed);
    let total_chains = (p.chains_per_million * p.events as f64 / 1e6).round() as usize;
    let mut timed = Vec::with_capacity(p.events);
    let mut chains = Vec::new();
    let mut decoys = Vec::new();
    let mut hosts = Vec::new();
    let mut per_host_seqs = Vec::new();
    for i in 0..p.hosts {
        let mut rng = master.fork(i as u64 + 1);
        let os = match i {
            0 => Os::Windows,
            1 => Os::Linux,
            2 => Os::Macos,
            _ => Os::ALL[rng.weighted(&p.mix.os_shares)],
        };
        let budget = split(p.events, p.hosts, i);
        let n_chains = if budget >= 4 * MAX_EPISODE { split(total_chains, p.hosts, i) } else { 0 };
        let mut h = HostSim::new(i as u32, os, rng, p.mix.pid_max);
        let injected = run_host(&mut h, p, budget, n_chains);
        per_host_seqs.push(injected.iter().map(|c| c.seqs.clone()).collect::<Vec<_>>());
        chains.extend(injected.into_iter().map(|c| c.chain));
        hosts.push((h.name.clone(), os));
        decoys.append(&mut h.decoys);
        timed.append(&mut h.out);
    }
    timed.sort_unstable_by_key(|e| (e.time, e.host, e.seq));

    // Positions of every (host, seq) in the sorted stream, for the labels.
    let mut index: Vec<Vec<usize>> =
        hosts.iter().enumerate().map(|(i, _)| vec![0; split(p.events, p.hosts, i)]).collect();
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

/// Fills one host's budget: setup, then chains at their positions, rare episodes when due,
/// background episodes otherwise, fillers at the very end.
fn run_host(h: &mut HostSim, p: &Params, budget: usize, n_chains: usize) -> Vec<chain::Injected> {
    let m = &p.mix;
    let mut clock = p.start.timestamp_millis() + h.rng.range(0, 5_000);
    h.setup(clock);
    clock += 5_000;
    let mut positions: Vec<usize> =
        (0..n_chains).map(|_| h.rng.range(64, (budget - 2 * MAX_EPISODE) as i64) as usize).collect();
    positions.sort_unstable();
    positions.reverse();
    let rare = [
        m.cdn_downloads_per_hour,
        m.risky_visits_per_hour,
        m.benign_clicks_per_hour,
        m.office_per_hour,
        m.updaters_per_hour,
        m.admin_per_hour,
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
    while h.out.len() < budget {
        let before = h.out.len();
        let remaining = budget - before;
        if remaining < MAX_EPISODE {
            h.dns(clock, None, "www.wikipedia.org");
        } else if positions.last().is_some_and(|&pos| pos <= before) {
            positions.pop();
            injected.push(chain::inject(h, clock, m.follow_on));
        } else if let Some(k) = (0..due.len()).filter(|&k| due[k] <= clock).min_by_key(|&k| due[k]) {
            match k {
                0 => h.cdn_download(clock),
                1 => h.risky_visit(clock),
                2 => h.benign_click(clock),
                3 => h.office(clock),
                4 => h.updater(clock),
                _ => h.admin(clock),
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
        debug_assert!(emitted as usize <= MAX_EPISODE);
        clock += h.rng.exp(emitted * 1_000.0 / p.rate).max(1.0) as i64;
    }
    injected
}
