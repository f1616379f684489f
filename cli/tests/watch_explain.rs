//! `clickchain watch --explain`: a followed log's alerts carry their derivation, also after the
//! configuration file is reloaded.
#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const QUICKSTART: &str = include_str!("../../data/samples/quickstart.ndjson");

/// Waits up to a minute for `path` to hold `n` lines.
fn lines(path: &std::path::Path, n: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let got: Vec<String> = text.lines().map(str::to_owned).collect();
        if got.len() >= n || started.elapsed() > Duration::from_secs(60) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watch_explain_adds_the_derivation_and_keeps_it_across_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (log, config, out) = (dir.path().join("events.ndjson"), dir.path().join("site.toml"), dir.path().join("out"));
    let (first, rest) = QUICKSTART.split_at(QUICKSTART.len() / 2);
    std::fs::write(&log, first).unwrap();
    std::fs::write(&config, "[rules]\nenabled = ['chain']\n").unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("clickchain"))
        .args(["watch", "--from-start", "--explain", "--config"])
        .arg(&config)
        .arg(&log)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // A reload (the file changes) before the chain completes: `--explain` stays on.
    std::fs::write(&config, "[rules]\nenabled = ['chain']\n# edited\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .and_then(|mut f| std::io::Write::write_all(&mut f, rest.as_bytes()))
        .unwrap();
    let got = lines(&out, 1);
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
    assert_eq!(got.len(), 1, "{got:?}");
    let alert: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(alert["derivation"]["rule"], "chain", "{alert}");
    assert_eq!(alert["derivation"]["window"]["holds"], true, "{alert}");
}
