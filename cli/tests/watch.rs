//! `clickchain watch` end to end: lines appended in pieces, a restart in the middle of a chain
//! with a rotation while stopped, a checkpoint that is not one, a bad configuration reload.
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const QUICKSTART: &str = include_str!("../../data/samples/quickstart.ndjson");

struct Watch {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

fn watch(dir: &Path, run: &str, args: &[&str]) -> Watch {
    let (out, err) = (dir.join(format!("{run}.out")), dir.join(format!("{run}.err")));
    let child = Command::new(assert_cmd::cargo::cargo_bin("clickchain"))
        .arg("watch")
        .args(args)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .stdin(Stdio::null())
        .current_dir(dir)
        .spawn()
        .unwrap();
    // Following starts at the end of existing files: what is written before it looked at them
    // would be skipped.
    let started = Instant::now();
    while !std::fs::read_to_string(&err).unwrap().contains("watching") {
        assert!(started.elapsed() < Duration::from_secs(60), "watch did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Watch { child, out, err }
}

impl Watch {
    fn stop(mut self, signal: &str) -> (ExitStatus, String, String) {
        let kill = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(kill.success());
        let status = self.child.wait().unwrap();
        (status, std::fs::read_to_string(&self.out).unwrap(), std::fs::read_to_string(&self.err).unwrap())
    }

    /// Waits up to `within` for `n` lines of output.
    fn lines_within(&self, n: usize, within: Duration) -> usize {
        let started = Instant::now();
        loop {
            let lines = std::fs::read_to_string(&self.out).unwrap().lines().count();
            if lines >= n || started.elapsed() > within {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

#[test]
fn a_chain_cut_by_a_restart_and_a_rotation_alerts_once() {
    let dir = tempfile::tempdir().unwrap();
    let (log, ck) = (dir.path().join("events.ndjson"), dir.path().join("state.ckpt"));
    std::fs::write(&log, "").unwrap();
    let lines: Vec<&str> = QUICKSTART.lines().collect();
    let (log_s, ck_s) = (log.to_str().unwrap(), ck.to_str().unwrap());

    let first = watch(dir.path(), "first", &["--checkpoint", ck_s, log_s]);
    for line in &lines[..8] {
        // In pieces: a line's end comes in a later write.
        let (head, tail) = line.split_at(line.len() / 2);
        append(&log, head);
        std::thread::sleep(Duration::from_millis(20));
        append(&log, &format!("{tail}\n"));
    }
    std::thread::sleep(Duration::from_millis(800));
    let (status, out, err) = first.stop("TERM");
    assert!(status.success(), "{status}: {err}");
    assert_eq!(out, "", "no alert before the writes");
    assert!(ck.exists());

    // Rotated while stopped: the old file is renamed, a new one takes its name.
    std::fs::rename(&log, dir.path().join("events.ndjson.1")).unwrap();
    std::fs::write(&log, "").unwrap();
    let second = watch(dir.path(), "second", &["--checkpoint", ck_s, log_s]);
    append(&log, &format!("{}\n{}\n", lines[8], lines[9]));
    // The batch closes once the source has been quiet for AllowedLateness (5 s).
    assert_eq!(second.lines_within(1, Duration::from_secs(30)), 1);
    let (status, out, err) = second.stop("INT");
    assert!(status.success(), "{status}: {err}");
    assert_eq!(out.lines().filter(|l| l.contains(r#""type":"alert""#)).count(), 1, "{out}");
}

#[test]
fn a_checkpoint_that_is_not_one_is_refused_unless_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let (log, ck) = (dir.path().join("events.ndjson"), dir.path().join("state.ckpt"));
    std::fs::write(&log, "").unwrap();
    std::fs::write(&ck, "not a checkpoint").unwrap();
    let output = Command::new(assert_cmd::cargo::cargo_bin("clickchain"))
        .args(["watch", "--checkpoint", ck.to_str().unwrap(), log.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains(&format!("checkpoint {}: not a clickchain checkpoint", ck.display())), "{err}");
    assert!(err.contains("--fresh"), "{err}");

    let fresh = watch(dir.path(), "fresh", &["--fresh", "--checkpoint", ck.to_str().unwrap(), log.to_str().unwrap()]);
    let (status, _, err) = fresh.stop("TERM");
    assert!(status.success(), "{status}: {err}");
    assert_eq!(&std::fs::read(&ck).unwrap()[..8], b"CLKCHKPT", "replaced by a checkpoint");
}

#[test]
fn a_bad_configuration_is_reported_and_the_old_one_stays() {
    let dir = tempfile::tempdir().unwrap();
    let (log, config) = (dir.path().join("events.ndjson"), dir.path().join("site.toml"));
    std::fs::write(&log, "").unwrap();
    std::fs::write(&config, "[linux]\ntime_window = \"20m\"\n").unwrap();
    let running = watch(dir.path(), "reload", &["--config", config.to_str().unwrap(), log.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(1100)); // a modification time that differs
    std::fs::write(&config, "[linux]\ntime_windw = \"20m\"\n").unwrap();
    std::thread::sleep(Duration::from_millis(800));
    append(&log, QUICKSTART);
    assert_eq!(running.lines_within(1, Duration::from_secs(30)), 1, "the run goes on and alerts");
    let (status, _, err) = running.stop("TERM");
    assert!(status.success(), "{status}: {err}");
    assert!(err.contains("site.toml:2:1: unknown key `linux.time_windw`"), "{err}");
    assert!(err.contains("the previous configuration stays"), "{err}");
    assert!(err.contains("config reloads (1 rejected)"), "the rejected reload is counted: {err}");
}

/// A raw auditd log followed live: its multi-line records are grouped per file, the file's
/// format is detected from its first line, and the last event, with no later record to close
/// it, is closed when the file goes quiet.
#[test]
fn a_followed_raw_auditd_log_alerts_as_the_scan_of_the_same_file() {
    let audit = include_str!("../../tests/scenarios/an0179-auditd-thunderbird-xdg-open-firefox-part.audit.log");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::write(&log, "").unwrap();
    let running = watch(dir.path(), "auditd", &[log.to_str().unwrap()]);
    let lines: Vec<&str> = audit.lines().collect();
    for chunk in lines.chunks(7) {
        append(&log, &format!("{}\n", chunk.join("\n")));
        std::thread::sleep(Duration::from_millis(30));
    }
    // An alert and its two follow-ons, as `scan` gives (tests/scenarios' .expected file).
    assert_eq!(running.lines_within(3, Duration::from_secs(40)), 3);
    let (status, out, err) = running.stop("TERM");
    assert!(status.success(), "{status}: {err}");
    assert_eq!(out.lines().filter(|l| l.contains(r#""type":"alert""#)).count(), 1, "{out}");
    assert!(out.contains("/home/alice/Downloads/x.sh"), "{out}");
    assert!(err.contains("watch: 0 records rejected"), "{err}");
}

/// Regression: a file named relative to the working folder (`events.ndjson`, whose parent is
/// the empty path) and rotated while the watch was stopped was reported lost instead of being
/// found under its new name.
#[test]
fn a_relative_path_rotated_while_stopped_is_found_under_its_new_name() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.ndjson");
    std::fs::write(&log, "").unwrap();
    let lines: Vec<&str> = QUICKSTART.lines().collect();
    let first = watch(dir.path(), "first", &["--checkpoint", "state.ckpt", "events.ndjson"]);
    append(&log, &(lines[..7].join("\n") + "\n"));
    std::thread::sleep(Duration::from_millis(800));
    let (status, _, err) = first.stop("TERM");
    assert!(status.success(), "{status}: {err}");
    // Rotated while stopped, with a line the first run did not read.
    append(&log, &format!("{}\n", lines[7]));
    std::fs::rename(&log, dir.path().join("events.ndjson.1")).unwrap();
    std::fs::write(&log, "").unwrap();
    let second = watch(dir.path(), "second", &["--checkpoint", "state.ckpt", "events.ndjson"]);
    append(&log, &format!("{}\n{}\n", lines[8], lines[9]));
    assert_eq!(second.lines_within(1, Duration::from_secs(30)), 1);
    let (status, out, err) = second.stop("INT");
    assert!(status.success(), "{status}: {err}");
    assert!(!err.contains("gone before it was read"), "{err}");
    assert_eq!(out.lines().filter(|l| l.contains(r#""type":"alert""#)).count(), 1, "{out}");
}

/// The newly-observed-domain scenario in two parts: the first hour's browsing, and the download
/// 90 minutes later (with the shell and mail client started again just before it).
fn browsing_then_download() -> (String, String) {
    let text = include_str!("../../tests/scenarios/newly-observed-domain.ndjson");
    let (mut browsing, mut download) = (String::new(), String::new());
    for line in text.lines() {
        if &line[9..33] < "2024-06-27T09:00:00.000Z" {
            browsing += &format!("{line}\n");
            if line.contains("explorer.exe") || line.contains("OUTLOOK.EXE") {
                download += &format!("{}\n", line.replace("2024-06-27T08:00:0", "2024-06-27T09:29:0"));
            }
        } else {
            download += &format!("{line}\n");
        }
    }
    (browsing, download)
}

/// `watch --nod-store`: the store is saved at every checkpoint interval and at exit, and loaded
/// at the next start, so that a restarted agent keeps the domains it saw and each host's history:
/// a domain first seen after the restart is newly observed with history, as in one long run.
#[test]
fn a_restart_keeps_the_newly_observed_history() {
    let (browsing, download) = browsing_then_download();
    let dir = tempfile::tempdir().unwrap();
    // A warm-up of 2 min: the first run's 4 min of egress is history enough.
    std::fs::write(dir.path().join("warmup.toml"), "[engine]\nnod_warmup = \"2m\"\n").unwrap();
    let args = |log: &'static str| {
        ["--config", "warmup.toml", "--nod-store", "nod.ndjson", "--checkpoint-interval", "1s", log]
    };
    let (log, store) = (dir.path().join("browsing.ndjson"), dir.path().join("nod.ndjson"));
    std::fs::write(&log, "").unwrap();

    let first = watch(dir.path(), "first", &args("browsing.ndjson"));
    append(&log, &browsing);
    // Saved at the checkpoint interval, while it runs.
    let started = Instant::now();
    while !std::fs::read_to_string(&store).is_ok_and(|s| s.contains("\"domain\":\"wikipedia.org\"")) {
        assert!(started.elapsed() < Duration::from_secs(30), "the store was not saved while running");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, out, err) = first.stop("TERM");
    assert!(status.success(), "{status}: {err}");
    assert_eq!(out, "", "browsing alone does not alert");
    assert!(err.contains("nod store nod.ndjson: not there yet, starting empty"), "{err}");
    assert!(err.contains("(0 failed)") && err.contains("2 domains and 1 hosts in the last"), "{err}");
    let saved = std::fs::read_to_string(&store).unwrap();
    assert!(saved.contains("{\"host\":\"WS-042\",\"start_ms\":1719475260200,\"last_ms\":1719475500200}"), "{saved}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().ends_with(".tmp")), "no temporary file left: {names:?}");

    // Restarted (no checkpoint: the store alone carries the history), the download alerts.
    let log = dir.path().join("download.ndjson");
    std::fs::write(&log, "").unwrap();
    let second = watch(dir.path(), "second", &args("download.ndjson"));
    append(&log, &download);
    assert_eq!(second.lines_within(1, Duration::from_secs(30)), 1);
    let (status, out, err) = second.stop("TERM");
    assert!(status.success(), "{status}: {err}");
    assert!(err.contains("nod store nod.ndjson: 2 domains read, the history of 1 hosts"), "{err}");
    let alert = out.lines().find(|l| l.contains(r#""type":"alert""#)).unwrap_or_else(|| panic!("{out}"));
    assert!(alert.contains("newly_observed") && !alert.contains("newly_observed_no_history"), "{alert}");
    assert!(std::fs::read_to_string(&store).unwrap().contains("\"domain\":\"toolkit-portal.com\""));

    // Without the store, the same download run is still warming up: no alert.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("warmup.toml"), "[engine]\nnod_warmup = \"2m\"\n").unwrap();
    std::fs::write(other.path().join("download.ndjson"), "").unwrap();
    let alone = watch(other.path(), "alone", &args("download.ndjson"));
    append(&other.path().join("download.ndjson"), &download);
    assert_eq!(alone.lines_within(1, Duration::from_secs(12)), 0);
    let (status, _, err) = alone.stop("TERM");
    assert!(status.success(), "{status}: {err}");
}
