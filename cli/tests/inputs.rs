//! Inputs as an analyst collects them: compressed files, folders with stray files, symlink
//! loops, FIFOs, odd names, and more files than may be open at once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use predicates::prelude::*;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SAMPLE: &str = "data/samples/sample.ndjson";
const EVTX: &str = "tests/data/windows/sysmon.evtx";
const SYSMON_JSON: &str = "tests/scenarios/an0178-archive-member-7zip.sysmon.jsonl";

fn clickchain() -> Command {
    let mut c = Command::cargo_bin("clickchain").unwrap();
    c.current_dir(REPO);
    c
}

fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(REPO).join(path)).unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzEncoder::new(data, flate2::Compression::fast()).read_to_end(&mut out).unwrap();
    out
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// The records of a run, without what names the input (evidence, and the ids derived from it),
/// sorted: what must be the same whichever files carried the events.
fn alerts_without_inputs(stdout: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            for k in ["evidence", "evidence_by_role", "id", "alert_id"] {
                o.remove(k);
            }
            v.to_string()
        })
        .collect();
    out.sort();
    out
}

fn run(args: &[&str]) -> std::process::Output {
    clickchain().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_mixed_folder_of_evtx_gzip_zstd_and_a_readme_reads_like_its_files_unpacked() {
    let packed = tempfile::tempdir().unwrap();
    let plain = tempfile::tempdir().unwrap();
    for (name, bytes) in
        [("sysmon.evtx", repo_file(EVTX)), ("a.ndjson", repo_file(SAMPLE)), ("s.jsonl", repo_file(SYSMON_JSON))]
    {
        std::fs::write(plain.path().join(name), &bytes).unwrap();
    }
    std::fs::create_dir(packed.path().join("host")).unwrap();
    std::fs::write(packed.path().join("host/sysmon.evtx.gz"), gzip(&repo_file(EVTX))).unwrap();
    std::fs::write(packed.path().join("a.ndjson.gz"), gzip(&repo_file(SAMPLE))).unwrap();
    std::fs::write(packed.path().join("s.jsonl.zst"), zstd(&repo_file(SYSMON_JSON))).unwrap();
    std::fs::write(packed.path().join("README.txt"), "Collected from WS-042 on 14 May.\n").unwrap();

    let from_packed = clickchain().arg("scan").arg(packed.path()).output().unwrap();
    let from_plain = clickchain().arg("scan").arg(plain.path()).output().unwrap();
    assert_eq!(from_packed.status.code(), Some(0), "{}", text(&from_packed.stderr));
    let err = text(&from_packed.stderr);
    assert!(err.contains("README.txt: unrecognised input format"), "{err}");
    assert!(err.contains("3 inputs, 1 left out (unknown_format=1)"), "{err}");
    assert!(err.contains("unused_evtx_chunk=8"), "the EVTX inside the gzip: {err}");
    assert!(!from_plain.stdout.is_empty());
    assert_eq!(alerts_without_inputs(&from_packed.stdout), alerts_without_inputs(&from_plain.stdout));

    // --strict makes the stray file an error.
    clickchain()
        .args(["scan", "-q", "--strict"])
        .arg(packed.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: --strict: 0 records rejected, 1 inputs left out"));
}

#[test]
fn compressed_stdin_reads_like_the_file() {
    let from_file = run(&["scan", "-q", SAMPLE]);
    for bytes in [gzip(&repo_file(SAMPLE)), zstd(&repo_file(SAMPLE))] {
        let out = clickchain().args(["scan", "-q", "-"]).write_stdin(bytes).output().unwrap();
        assert_eq!(alerts_without_inputs(&out.stdout), alerts_without_inputs(&from_file.stdout));
    }
}

#[test]
fn a_truncated_stream_keeps_what_was_read_and_names_the_file() {
    // Eight copies of the sample, so that the zstd stream has several blocks (up to 128 KiB each)
    // before the cut.
    let data = repo_file(SAMPLE).repeat(8);
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("cut.ndjson.gz", gzip(&data)), ("cut.ndjson.zst", zstd(&data))] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes[..bytes.len() * 9 / 10]).unwrap();
        let out = clickchain().arg("scan").arg(&path).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains(&format!("{}: read failed: ", path.display())), "{name}: {err}");
        assert!(err.contains("stream broken off (truncated or corrupt; what came before it is read)"), "{name}: {err}");
        let events: u64 = err.split(" events read").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
        assert!(events > 282 && events < 8 * 282, "{name}: what came before the cut is kept: {err}");
        clickchain().args(["scan", "-q", "--strict"]).arg(&path).assert().code(2);
    }
}

#[test]
fn a_gzip_of_garbage_is_a_named_input_that_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.gz");
    let mut bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    bytes.extend((0..5000u32).map(|i| (i * 7919 % 251) as u8));
    std::fs::write(&path, bytes).unwrap();
    clickchain()
        .arg("scan")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}: gzip stream broken off", path.display())))
        .stderr(predicate::str::contains("error: no input could be read"));
    // Beside a readable input it is a warning.
    clickchain()
        .arg("scan")
        .arg(&path)
        .arg(SAMPLE)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("unreadable_input=1"));
}

#[test]
fn a_gzip_of_text_in_no_known_format_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.gz");
    std::fs::write(&path, gzip(b"just some notes\n")).unwrap();
    clickchain().arg("scan").arg(&path).assert().code(2).stderr(predicate::str::contains(
        "unrecognised input format (first bytes: \"just some notes\\n\", once gzip decompressed)",
    ));
}

#[cfg(unix)]
#[test]
fn symlink_loops_fifos_dangling_links_and_odd_names_are_named_counted_and_the_rest_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("logs")).unwrap();
    std::fs::write(root.join("logs/a.ndjson"), repo_file(SAMPLE)).unwrap();
    std::os::unix::fs::symlink(root, root.join("logs/again")).unwrap();
    std::os::unix::fs::symlink(root.join("gone"), root.join("dangling.ndjson")).unwrap();
    let odd = root.join(std::ffi::OsStr::from_bytes(b"odd-\xff.ndjson"));
    std::fs::write(&odd, "").unwrap();
    let fifo = StdCommand::new("mkfifo").arg(root.join("pipe")).status().is_ok_and(|s| s.success());
    let out = clickchain().arg("scan").arg(root).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("logs/again: symlink loop"), "{err}");
    assert!(err.contains("dangling.ndjson: No such file"), "{err}");
    assert!(err.contains("odd-\u{fffd}.ndjson: path is not valid UTF-8; read"), "{err}");
    assert!(err.contains("282 events read"), "{err}");
    if fifo {
        assert!(err.contains("pipe: a FIFO, not a file; skipped"), "{err}");
        assert!(err.contains("2 inputs, 3 left out (not_a_file=1, symlink_loop=1, unreadable_input=1)"), "{err}");
    }
    assert!(!out.stdout.is_empty());
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_named_and_left_out() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked.ndjson");
    std::fs::write(&locked, repo_file(SAMPLE)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&locked).is_ok() {
        eprintln!("skipped: permissions do not bind this user (root)");
        return;
    }
    clickchain()
        .arg("scan")
        .arg(dir.path())
        .arg(SAMPLE)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("locked.ndjson: Permission denied"))
        .stderr(predicate::str::contains("unreadable_input=1"));
}

#[test]
fn include_and_exclude_filter_files_inside_folders() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("old")).unwrap();
    std::fs::write(dir.path().join("a.ndjson"), repo_file(SAMPLE)).unwrap();
    std::fs::write(dir.path().join("old/a.ndjson"), repo_file(SAMPLE)).unwrap();
    std::fs::write(dir.path().join("README.txt"), "notes\n").unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = run(&["scan", "--include", "*.ndjson", "--exclude", "old/*", folder]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("clickchain: 1 inputs, 282 events read"), "{err}");
    assert!(!err.contains("README"), "{err}");
    let bad = run(&["scan", "--include", "[", folder]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("--include/--exclude"), "{}", text(&bad.stderr));
}

/// The sample's lines, each in a file of its own, over `copies` copies of its hosts: file `i`
/// holds line `i % 282` of copy `i / 282`; and the same lines in one file, in the order the
/// merge takes them (by time, ties to the earlier file).
fn split_sample(dir: &Path, files: usize) -> PathBuf {
    let sample = String::from_utf8(repo_file(SAMPLE)).unwrap();
    let lines: Vec<&str> = sample.lines().collect();
    let folder = dir.join("split");
    std::fs::create_dir(&folder).unwrap();
    let mut all = Vec::new();
    for i in 0..files {
        let line = lines[i % lines.len()];
        let copy = i / lines.len();
        let host = line.split("\"host\":\"").nth(1).unwrap().split('"').next().unwrap();
        let line = line.replacen(&format!("\"host\":\"{host}\""), &format!("\"host\":\"{host}-{copy}\""), 1);
        std::fs::write(folder.join(format!("f{i:05}.ndjson")), format!("{line}\n")).unwrap();
        let time = line.split("\"time\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        all.push((time, i, line));
    }
    all.sort();
    let merged: String = all.into_iter().map(|(_, _, l)| l + "\n").collect();
    std::fs::write(dir.join("merged.ndjson"), merged).unwrap();
    folder
}

#[cfg(unix)]
#[test]
fn ten_thousand_files_under_ulimit_256_and_1_gib_give_the_alerts_of_the_files_merged() {
    let dir = tempfile::tempdir().unwrap();
    let folder = split_sample(dir.path(), 10_000);
    let bin = assert_cmd::cargo::cargo_bin("clickchain");
    let out = StdCommand::new("sh")
        .arg("-c")
        // 1 GiB of address space too: a buffer per file (256 KiB) would need 2.5 GiB.
        .arg("ulimit -n 256 && ulimit -v 1048576 && exec \"$0\" scan -j 1 \"$1\"")
        .arg(&bin)
        .arg(&folder)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("10000 inputs, 10000 events read, 0 rejected"), "{err}");
    let merged = clickchain().args(["scan", "-q", "-j", "1"]).arg(dir.path().join("merged.ndjson")).output().unwrap();
    let (a, b) = (alerts_without_inputs(&out.stdout), alerts_without_inputs(&merged.stdout));
    assert!(
        a.iter().filter(|r| r.contains("\"type\":\"alert\"")).count() >= 35 * 4,
        "the sample's 4 alerts per whole copy"
    );
    assert_eq!(a, b);
}
