//! Fleet mode end to end: a real `nats-server -js` on loopback, `clickchain publish`, workers as
//! child processes (one killed mid-stream, or all restarted), and `clickchain alerts` compared
//! with `clickchain scan` of the same stream: no alert lost, none repeated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clickchain_fleet::testing::NatsServer;

const BIN: &str = env!("CARGO_BIN_EXE_clickchain");

/// Short leases (a failover within seconds), a checkpoint every `checkpoint_events` events.
fn fleet_config(checkpoint_events: u64) -> String {
    format!(
        "[fleet]\npartitions = 8\nlease_ttl = \"2s\"\ncheckpoint_events = {checkpoint_events}\n\
         checkpoint_interval = \"1h\"\nstats_interval = \"300ms\"\nfetch_batch = 64\n"
    )
}

fn clickchain(args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN).args(args).output().expect("clickchain runs");
    assert!(out.status.success(), "clickchain {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A synthetic stream of 40 hosts over 20 minutes with chains all along (so that alerts come out
/// before the stream ends), cut in two: the second part is published mid-run.
fn stream(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let out = dir.join("synth");
    let out_arg = out.to_str().unwrap();
    clickchain(&[
        "synth",
        "--out",
        out_arg,
        "--seed",
        "11",
        "--hosts",
        "40",
        "--duration",
        "20m",
        "--rate",
        "0.5",
        "--chains-per-million",
        "1500",
        "--format",
        "native",
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

fn worker(url: &str, dir: &Path, id: &str, checkpoint_events: u64) -> Worker {
    let config = dir.join(format!("{id}.toml"));
    std::fs::write(&config, fleet_config(checkpoint_events)).unwrap();
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

    /// The worker's `key` counter in its last stats.
    fn count(&self, key: &str) -> u64 {
        self.stats().map_or(0, |s| s[key].as_u64().unwrap_or(0))
    }

    /// Waits until the worker holds partitions and published alerts.
    fn wait_alerting(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.stats() {
                if s["alerts"].as_u64().unwrap_or(0) > 0 && !s["partitions"].as_object().is_none_or(|p| p.is_empty()) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the worker published no alert within {within:?}");
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
    let (whole, first, second) = stream(dir.path());
    let expected = alert_ids(&clickchain(&["scan", whole.to_str().unwrap()]).stdout);
    assert!(expected.len() >= 20, "the stream has alerts to lose: {expected:?}");

    publish(&url, &first, false);
    // No checkpoint before the kill: b replays a's partitions from the stream's start, and
    // publishes a's alerts again.
    let a = worker(&url, dir.path(), "a", 1_000_000);
    let b = worker(&url, dir.path(), "b", 1_000_000);
    a.wait_alerting(Duration::from_secs(20));
    b.wait_alerting(Duration::from_secs(20));
    let published_by_a = a.count("alerts");
    a.sigkill();
    publish(&url, &second, true);
    assert_fleet_alerts_equal(&url, &expected, Duration::from_secs(40));
    let s = b.stats().unwrap();
    assert_eq!(s["partitions"].as_object().unwrap().len(), 8, "b took every partition over: {s}");
    assert!(published_by_a + b.count("alerts") > expected.len() as u64, "a's alerts were published again: {s}");
}

#[test]
fn every_worker_restarted_loses_and_repeats_no_alert() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let url = server.url();
    let (whole, first, second) = stream(dir.path());
    let expected = alert_ids(&clickchain(&["scan", whole.to_str().unwrap()]).stdout);

    publish(&url, &first, false);
    // Checkpoints every few hundred events: the next owners restore them and redo the rest.
    let a = worker(&url, dir.path(), "a", 250);
    let b = worker(&url, dir.path(), "b", 250);
    a.wait_alerting(Duration::from_secs(20));
    b.wait_alerting(Duration::from_secs(20));
    // One stops gracefully (checkpoints, releases), the other dies.
    a.sigterm();
    b.sigkill();
    let a2 = worker(&url, dir.path(), "a2", 250);
    let b2 = worker(&url, dir.path(), "b2", 250);
    publish(&url, &second, true);
    assert_fleet_alerts_equal(&url, &expected, Duration::from_secs(40));
    let restored: u64 = [&a2, &b2]
        .iter()
        .filter_map(|w| w.stats())
        .flat_map(|s| {
            s["partitions"]
                .as_object()
                .unwrap()
                .values()
                .map(|p| p["restored_at"].as_u64().unwrap())
                .collect::<Vec<_>>()
        })
        .filter(|&seq| seq > 0)
        .count() as u64;
    assert!(restored > 0, "the new workers restored checkpoints");
}

#[test]
fn workers_reconnect_and_resume_after_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut server) = NatsServer::start(&dir.path().join("nats")) else { return };
    let url = server.url();
    let (whole, first, second) = stream(dir.path());
    let expected = alert_ids(&clickchain(&["scan", whole.to_str().unwrap()]).stdout);

    publish(&url, &first, false);
    let a = worker(&url, dir.path(), "a", 250);
    a.wait_alerting(Duration::from_secs(20));
    server.restart();
    publish(&url, &second, true);
    assert_fleet_alerts_equal(&url, &expected, Duration::from_secs(40));
    drop(a);
}

#[test]
fn an_unreachable_server_is_retried_with_backoff_then_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("one.ndjson");
    std::fs::write(&input, "").unwrap();
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("nats://127.0.0.1:{port}");
    let started = Instant::now();
    let out = Command::new(BIN).args(["publish", "--nats", &url, input.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot reach the NATS server at {url}")), "{stderr}");
    assert_eq!(stderr.matches("retrying in").count(), 4, "{stderr}");
    // 250 + 500 + 1000 + 2000 ms between the five attempts: no busy loop.
    assert!(started.elapsed() >= Duration::from_millis(3700), "{:?}", started.elapsed());
}
