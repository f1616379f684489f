//! `scan --nod-store FILE`: the newly-observed-domain store kept across runs.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// The repository root: the samples and test data live there, and the commands run in it.
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SCENARIO: &str = "tests/scenarios/newly-observed-domain.ndjson";

fn clickchain() -> Command {
    let mut c = Command::cargo_bin("clickchain").unwrap();
    c.current_dir(REPO);
    c
}

/// The scenario split in two runs: the first hour's browsing (the warm-up), and the download
/// 90 minutes later, with the shell and mail client started again a minute before it, so that
/// a store that starts with that run is still warming up at the download.
fn split(dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(Path::new(REPO).join(SCENARIO)).unwrap();
    let (mut browsing, mut download) = (String::new(), String::new());
    for line in text.lines() {
        let time = &line[9..33];
        if time < "2024-06-27T09:00:00.000Z" {
            browsing += line;
            browsing.push('\n');
            if line.contains("explorer.exe") || line.contains("OUTLOOK.EXE") {
                download += &line.replace("2024-06-27T08:00:0", "2024-06-27T09:29:0");
                download.push('\n');
            }
        } else {
            download += line;
            download.push('\n');
        }
    }
    let (a, b) = (dir.join("browsing.ndjson"), dir.join("download.ndjson"));
    std::fs::write(&a, browsing).unwrap();
    std::fs::write(&b, download).unwrap();
    (a.display().to_string(), b.display().to_string())
}

fn alerts(args: &[impl AsRef<std::ffi::OsStr>]) -> (usize, String) {
    let out = clickchain().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    (stdout.lines().filter(|l| l.contains("\"type\":\"alert\"")).count(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn a_store_saved_by_one_run_makes_the_next_run_know_its_domains() {
    let dir = tempfile::tempdir().unwrap();
    let (browsing, download) = split(dir.path());
    let store = dir.path().join("nod.ndjson");
    let store_arg = store.display().to_string();
    // A warm-up of 2 min: the browsing run's store (4 min of egress) is history enough for it.
    let config = dir.path().join("warmup.toml");
    std::fs::write(&config, "[engine]\nnod_warmup = \"2m\"\n").unwrap();
    let config = config.display().to_string();
    let scan = |args: &[&str]| -> Vec<String> {
        ["scan", "--config", &config].iter().chain(args).map(|s| s.to_string()).collect()
    };
    // Alone, the download run is still in its warm-up: nothing is newly observed, no alert.
    assert_eq!(alerts(&scan(&[&download])).0, 0);
    let (n, stderr) = alerts(&scan(&[&browsing, "--nod-store", &store_arg]));
    assert_eq!(n, 0);
    assert!(stderr.contains("not there yet, starting empty"), "{stderr}");
    let saved = std::fs::read_to_string(&store).unwrap();
    // The store starts at its first sighting (08:01:00.200) and saw its last at 08:05:00.200,
    // all of it WS-042's egress: that host's history for the next run.
    assert!(
        saved.starts_with(
            "{\"clickchain_first_seen\":2,\"start_ms\":1719475260200,\"last_ms\":1719475500200}\n\
             {\"host\":\"WS-042\",\"start_ms\":1719475260200,\"last_ms\":1719475500200}\n"
        ),
        "{saved}"
    );
    assert!(saved.contains("\"domain\":\"wikipedia.org\"") && saved.contains("\"domain\":\"bbc.co.uk\""), "{saved}");
    // With the store, the warm-up is over: the new domain is newly observed, as in one run.
    // Shards share one store: the same with two engine threads.
    let sharded = dir.path().join("sharded.ndjson");
    std::fs::copy(&store, &sharded).unwrap();
    assert_eq!(alerts(&scan(&[&download, "-j", "2", "--nod-store", &sharded.display().to_string()])).0, 1);
    assert!(std::fs::read_to_string(&sharded).unwrap().contains("\"domain\":\"toolkit-portal.com\""));
    let (n, stderr) = alerts(&scan(&[&download, "--nod-store", &store_arg]));
    assert_eq!(n, 1);
    assert!(stderr.contains("2 domains read, the history of 1 hosts"), "{stderr}");
    assert!(std::fs::read_to_string(&store).unwrap().contains("\"domain\":\"toolkit-portal.com\""));
}

#[test]
fn a_file_that_is_not_a_store_stops_the_run_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("nod.ndjson");
    std::fs::write(&store, "not a store\n").unwrap();
    clickchain()
        .args(["scan", SCENARIO, "--nod-store"])
        .arg(&store)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nod.ndjson: line 1: not a clickchain first-seen store"));
    assert_eq!(std::fs::read_to_string(&store).unwrap(), "not a store\n");
}

#[test]
fn bad_store_lines_are_reported_counted_and_dropped_from_the_saved_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("nod.ndjson");
    std::fs::write(
        &store,
        // An hour of history (08:00 to 09:00): a newly observed domain is untrusted.
        "{\"clickchain_first_seen\":1,\"start_ms\":1719475200000,\"last_ms\":1719478800000}\n\
         {\"domain\":\"kept.example\",\"first_ms\":1}\n{oops\n",
    )
    .unwrap();
    clickchain()
        .args(["scan", SCENARIO, "--nod-store"])
        .arg(&store)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"type\":\"alert\""))
        .stderr(predicate::str::contains("nod.ndjson: line 3:"))
        .stderr(predicate::str::contains("1 rejected (bad_nod_store_line=1)"));
    let saved = std::fs::read_to_string(&store).unwrap();
    assert!(saved.contains("kept.example") && !saved.contains("oops"), "{saved}");
}
