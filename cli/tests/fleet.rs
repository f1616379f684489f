//! Fleet mode end to end: a real `nats-server -js` on loopback, `clickchain publish`, workers as
//! child processes (one killed mid-stream, or all restarted), and `clickchain alerts` compared
//! with `clickchain scan` of the same stream: no alert lost, none repeated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clickchain_fleet::testing::NatsServer;

const BIN: &str = env!("CARGO_BIN_EXE_clickchain");

/// Short leases and checkpoints every few hundred events: a failover within seconds, with work
/// done after the last checkpoint that the next owner must redo.
const FLEET_CONFIG: &str = "[fleet]\npartitions = 8\nlease_ttl = \"2s\"\ncheckpoint_events = 400\n\
checkpoint_interval = \"1h\"\nstats_interval = \"300ms\"\nfetch_batch = 64\n";

fn clickchain(args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN).args(args).output().expect("clickchain runs");
    assert!(out.status.success(), "clickchain {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A synthetic stream of many hosts, cut in two (the second part is published mid-run).
fn stream(dir: &Path, hosts: &str, events: &str) -> (PathBuf, PathBuf, PathBuf) {
    let out = dir.join("synth");
    clickchain(&[
        "synth",
        "--out",
        out.to_str().unwrap(),
        "--hosts",
        hosts,
        "--events",
        events,
        "--format",
        "native",
        "--seed",
        "11",
    ]);
    let whole = out.join("stream.ndjson");
    let text = std::fs::read_to_string(&whole).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines.len() * 3 / 5;
    let (first, second) = (dir.join("first.ndjson"), dir.join("second.ndjson"));
    std::fs::write(&first, lines[..cut].join("\n") + "\n").unwrap();
    std::fs::write(&second, lines[cut..].join("\n") + "\n").unwrap();
    (whole, first, second)
}

/// Alert ids of NDJSON records, with how often each came.
fn alert_ids(ndjson: &[u8]) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for line in String::from_utf8_lossy(ndjson).lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("an NDJSON record");
        if record["type"] == "alert" {
            *ids.entry(record["id"].as_str().unwrap().to_owned()).or_insert(0) += 1;
        }
    }
    ids
}

fn publish(url: &str, path: &Path, end: bool) {
    let mut args = vec!["publish", "--nats", url, "--partitions", "8", path.to_str().unwrap()];
    if end {
        args.push("--end-of-replay");
    }
    clickchain(&args);
}

struct Worker {
    child: Child,
    stats: PathBuf,
}

fn worker(url: &str, dir: &Path, id: &str) -> Worker {
    let config = dir.join("fleet.toml");
    std::fs::write(&config, FLEET_CONFIG).unwrap();
    let stats = dir.join(format!("{id}.stats.json"));
    let child = Command::new(BIN)
        .args([
            "fleet",
            "--nats",
            url,
            "--id",
            id,
            "--config",
            config.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("{id}.log"))).unwrap())
        .spawn()
        .expect("the worker starts");
    Worker { child, stats }
}

impl Worker {
    /// The worker's last stats, once it wrote some.
    fn stats(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(&self.stats).ok()?).ok()
    }

    /// Waits until the worker holds partitions and took events.
    fn wait_busy(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.stats() {
                if s["events"].as_u64().unwrap_or(0) > 0 && !s["partitions"].as_object().is_none_or(|p| p.is_empty()) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the worker took no events within {within:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn sigkill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn sigterm(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the worker did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `clickchain alerts` until it shows every expected alert (or the time is up), then
/// checks once more after a pause that nothing came twice.
fn assert_fleet_alerts_equal(url: &str, expected: &BTreeMap<String, usize>, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline && alert_ids(&clickchain(&["alerts", "--nats", url]).stdout).len() < expected.len()
    {
        std::thread::sleep(Duration::from_millis(300));
    }
    // Replays after a failover come late: wait for them before counting repeats.
    std::thread::sleep(Duration::from_millis(1500));
    let got = alert_ids(&clickchain(&["alerts", "--nats", url]).stdout);
    let lost: Vec<_> = expected.keys().filter(|id| !got.contains_key(*id)).collect();
    let extra: Vec<_> = got.keys().filter(|id| !expected.contains_key(*id)).collect();
    let repeated: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        lost.is_empty() && extra.is_empty() && repeated.is_empty(),
        "lost {lost:?}, extra {extra:?}, repeated {repeated:?}"
    );
}

#[test]
fn a_worker_killed_mid_stream_loses_and_repeats_no_alert() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let url = server.url();
    let (whole, first, second) = stream(dir.path(), "40", "16000");
    let expected = alert_ids(&clickchain(&["scan", whole.to_str().unwrap()]).stdout);
    assert!(expected.len() >= 3, "the stream has alerts to lose: {expected:?}");

    publish(&url, &first, false);
    let a = worker(&url, dir.path(), "a");
    let b = worker(&url, dir.path(), "b");
    a.wait_busy(Duration::from_secs(20));
    b.wait_busy(Duration::from_secs(20));
    a.sigkill();
    publish(&url, &second, true);
    assert_fleet_alerts_equal(&url, &expected, Duration::from_secs(40));
    let s = b.stats().unwrap();
    assert!(s["partitions"].as_object().unwrap().len() == 8, "b took every partition over: {s}");
}

#[test]
fn every_worker_restarted_loses_and_repeats_no_alert() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let url = server.url();
    let (whole, first, second) = stream(dir.path(), "30", "12000");
    let expected = alert_ids(&clickchain(&["scan", whole.to_str().unwrap()]).stdout);
    assert!(!expected.is_empty());

    publish(&url, &first, false);
    let a = worker(&url, dir.path(), "a");
    let b = worker(&url, dir.path(), "b");
    a.wait_busy(Duration::from_secs(20));
    b.wait_busy(Duration::from_secs(20));
    // One stops gracefully (checkpoints, releases), the other dies.
    a.sigterm();
    b.sigkill();
    let _a = worker(&url, dir.path(), "a2");
    let _b = worker(&url, dir.path(), "b2");
    publish(&url, &second, true);
    assert_fleet_alerts_equal(&url, &expected, Duration::from_secs(40));
}
