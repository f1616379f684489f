//! External peers: Endgame EQL's Python engine and DuckDB SQL, run
//! as child processes of the virtual environment that `bench/peers/install.sh` creates.
//!
//! Each peer is a script in `bench/peers/` (`eql_peer.py`, `duckdb_peer.py`) that reads an ECS
//! NDJSON file, writes its alerts as NDJSON (in the shape [`crate::score`]'s `Observed` reads)
//! and prints one JSON summary line on stdout, which [`run`] parses into a [`Summary`]. A peer
//! that is not installed is [`Outcome::Skipped`], not an error: the harness says so and goes on.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// An external peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// Endgame EQL (`pip install eql`): `sequence by host.name ... with maxspan=...`.
    Eql,
    /// DuckDB: load + recursive CTE for lineage + join, batch.
    Duckdb,
}

impl Peer {
    /// Both peers.
    pub const ALL: [Peer; 2] = [Peer::Eql, Peer::Duckdb];

    /// The peer's name, as in its summary line (`eql`, `duckdb`).
    pub fn name(self) -> &'static str {
        match self {
            Peer::Eql => "eql",
            Peer::Duckdb => "duckdb",
        }
    }

    /// The Python module the peer needs.
    fn module(self) -> &'static str {
        self.name()
    }

    /// The script in `bench/peers/`.
    pub fn script(self) -> &'static str {
        match self {
            Peer::Eql => "eql_peer.py",
            Peer::Duckdb => "duckdb_peer.py",
        }
    }

    /// The peer named `name`.
    pub fn from_name(name: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A peer's summary line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// `eql` or `duckdb`.
    pub peer: String,
    /// Documents read.
    pub events: u64,
    /// Seconds of the timed part (see each script's doc: parse + query, or load + query).
    pub secs: f64,
    /// `ru_maxrss` of the peer's process, in KiB.
    pub peak_rss_kib: u64,
    /// Alerts written (deduplicated: per host and path for EQL, per host, root and path for DuckDB).
    pub alerts: u64,
    /// The query (EQL with long lists shortened; the SQL of every stage after the load).
    pub query: String,
    /// What else the peer reported (versions, threads, stage times, raw matches).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Summary {
    /// Events per second of the timed part.
    pub fn events_per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.events as f64 / self.secs
        } else {
            0.0
        }
    }
}

/// What running a peer gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The peer ran; its alerts are in the alerts file.
    Ran(Summary),
    /// The peer is not installed; nothing ran.
    Skipped {
        /// Why, with what to do about it.
        reason: String,
    },
}

/// `bench/peers/` of this source tree.
pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// Runs `peer` on the ECS NDJSON file `ecs`, its alerts going to `alerts`, with the scripts and
/// the virtual environment of [`peers_dir`]. `args` go to the script (e.g. `--threads 2`).
pub fn run(peer: Peer, ecs: &Path, alerts: &Path, args: &[String]) -> anyhow::Result<Outcome> {
    run_in(&peers_dir(), peer, ecs, alerts, args)
}

/// [`run`] with the peers' folder `dir` (its `.venv/bin/python` and scripts).
pub fn run_in(dir: &Path, peer: Peer, ecs: &Path, alerts: &Path, args: &[String]) -> anyhow::Result<Outcome> {
    let skipped = |why: &str| Outcome::Skipped {
        reason: format!("peer {peer} not installed: run bench/peers/install.sh ({why})"),
    };
    let python = dir.join(".venv/bin/python");
    if !python.exists() {
        return Ok(skipped(&format!("no {}", python.display())));
    }
    let probe = Command::new(&python)
        .args(["-c", &format!("import {}", peer.module())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        return Ok(skipped(&format!("{} cannot import {}", python.display(), peer.module())));
    }
    let script = dir.join(peer.script());
    let out = Command::new(&python)
        .arg(&script)
        .arg(ecs)
        .arg(alerts)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("starting {} {}", python.display(), script.display()))?;
    if !out.status.success() {
        bail!("peer {peer} failed: {}", out.status);
    }
    let text = String::from_utf8(out.stdout).context("peer output is not UTF-8")?;
    Ok(Outcome::Ran(parse_summary(peer, &text)?))
}

/// The summary: the last non-blank line of the peer's stdout, as JSON, naming `peer`.
pub fn parse_summary(peer: Peer, stdout: &str) -> anyhow::Result<Summary> {
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).context("the peer printed no summary")?;
    let summary: Summary =
        serde_json::from_str(line).with_context(|| format!("reading the summary line of peer {peer}: {line}"))?;
    if summary.peer != peer.name() {
        bail!("expected a summary of peer {peer}, got one of {}", summary.peer);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::{BufRead, BufReader};

    use super::*;
    use crate::score::Observed;

    #[test]
    fn parses_a_summary_line() {
        let out = "noise\n{\"peer\":\"eql\",\"events\":16,\"secs\":0.5,\"peak_rss_kib\":2048,\"alerts\":1,\
                   \"query\":\"sequence by host.name ...\",\"matches\":2}\n\n";
        let s = parse_summary(Peer::Eql, out).unwrap();
        assert_eq!((s.events, s.alerts, s.peak_rss_kib), (16, 1, 2048));
        assert_eq!(s.events_per_sec(), 32.0);
        assert_eq!(s.extra["matches"], 2);
        assert!(parse_summary(Peer::Duckdb, out).is_err());
        assert!(parse_summary(Peer::Eql, "").is_err());
        assert_eq!(Peer::from_name("duckdb"), Some(Peer::Duckdb));
    }

    #[test]
    fn a_missing_peer_is_skipped() {
        let dir = std::env::temp_dir().join(format!("clickchain-no-peers-{}", std::process::id()));
        let out = run_in(&dir, Peer::Eql, Path::new("x.ndjson"), Path::new("y.ndjson"), &[]).unwrap();
        match out {
            Outcome::Skipped { reason } => {
                assert!(reason.starts_with("peer eql not installed: run bench/peers/install.sh"))
            }
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    /// Both peers on the twin fixture (one true chain, one benign twin): one alert each, the true
    /// chain's. Skipped, with a message, where bench/peers/install.sh has not run.
    #[test]
    fn peers_find_the_true_chain_only() {
        let dir = peers_dir();
        let ecs = dir.join("testdata/twin.ecs.ndjson");
        let labels: serde_json::Value =
            serde_json::from_reader(File::open(dir.join("testdata/twin.labels.json")).unwrap()).unwrap();
        let chain = &labels["chains"][0];
        for peer in Peer::ALL {
            let alerts = std::env::temp_dir().join(format!("clickchain-peer-{peer}-{}.ndjson", std::process::id()));
            let summary = match run(peer, &ecs, &alerts, &[]).unwrap() {
                Outcome::Skipped { reason } => {
                    eprintln!("skipped: {reason}");
                    continue;
                }
                Outcome::Ran(s) => s,
            };
            let observed: Vec<Observed> = BufReader::new(File::open(&alerts).unwrap())
                .lines()
                .filter_map(|l| Observed::from_record(&serde_json::from_str(&l.unwrap()).unwrap()))
                .collect();
            std::fs::remove_file(&alerts).unwrap();
            assert_eq!((summary.events, summary.alerts), (16, 1), "{peer}");
            assert_eq!(observed.len(), 1, "{peer}: {observed:?}");
            assert_eq!(observed[0].host, chain["host"].as_str().unwrap(), "{peer}");
            assert_eq!(observed[0].path, chain["final_path"].as_str().unwrap(), "{peer}");
        }
    }
}
