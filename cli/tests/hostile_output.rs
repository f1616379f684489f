//! Bytes that are not text, through `scan` and every output format: a bad record is named and
//! the rest kept; an input whose name is not UTF-8 is read, and the records that name it say
//! their text was replaced (`docs/alerts.md`, "Safe output").

use std::os::unix::ffi::OsStrExt;

use assert_cmd::Command;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/samples/sample.ndjson");

fn scan(output: &str, folder: &std::path::Path) -> (String, String, Option<i32>) {
    let out =
        Command::cargo_bin("clickchain").unwrap().args(["scan", "--output", output]).arg(folder).output().unwrap();
    let stdout = String::from_utf8(out.stdout).expect("every output is UTF-8");
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code())
}

/// A folder holding the sample under a name with a byte that is not UTF-8, with one line of
/// raw invalid bytes appended.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(SAMPLE).unwrap();
    bytes.extend_from_slice(b"{\"time\":\"2024-05-14T09:59:00Z\",\"host\":\"WS-\xff\xfe\x1b[2J\",\"kind\":\"process_end\",\"proc\":\"p\"}\n");
    let name = std::ffi::OsStr::from_bytes(b"s\xffample.ndjson");
    std::fs::write(dir.path().join(name), bytes).unwrap();
    dir
}

#[test]
fn invalid_utf8_in_a_record_and_a_file_name_through_every_output() {
    let dir = folder();
    let (ndjson, err, code) = scan("ndjson", dir.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("line 283") || err.contains(":283"), "the bad line is named: {err}");
    let records: Vec<serde_json::Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.iter().filter(|r| r["type"] == "alert").count(), 4, "the rest is kept");
    assert!(records.iter().all(|r| r["replaced_invalid_utf8"] == true), "the input's name was replaced");
    for output in ["text", "csv", "ocsf", "html"] {
        let (stdout, err, code) = scan(output, dir.path());
        assert_eq!(code, Some(0), "{output}: {err}");
        assert!(!stdout.is_empty(), "{output}");
        assert!(!stdout.contains('\u{1b}'), "{output}: a raw escape");
        assert!(stdout.contains('\u{fffd}'), "{output}: the replaced name is shown as such");
    }
}
