//! Parsing on threads of its own (`InputOptions::parse_threads`: one, as the CLI does by
//! default, or several, as with `-j N`) yields exactly what parsing on the reading thread does: the same events and errors, in the same order, with the same line
//! numbers and counts, for every line-per-record input and EVTX file in the repository (and in
//! ../shared/data when it is there) and for dirty ones.

use std::io::Write;
use std::path::{Path, PathBuf};

use clickchain::input::{self, InputFormat, InputOptions};
use shared_data::shared_data;

#[path = "common/shared_data.rs"]
mod shared_data;

/// Every result of `path`, as text (events by `Debug`, errors by message and reason), then
/// what a Windows reader counted (records, skips by reason, starts built, warnings).
fn results(path: &Path, format: InputFormat, parse_threads: usize) -> Vec<String> {
    let options = InputOptions { format, default_host: "fallback-host".into(), parse_threads, ..Default::default() };
    let opened = input::open(path, &options, Default::default()).unwrap();
    let mut out: Vec<String> = opened
        .records
        .map(|r| match r {
            Ok(event) => format!("{event:?}"),
            Err(e) => format!("error {}: {e}", e.reason()),
        })
        .collect();
    out.extend(opened.tally.map(|t| format!("tally {:?}", t.snapshot())));
    out
}

fn assert_same(path: &Path, format: InputFormat) -> usize {
    let one = results(path, format, 0);
    for threads in [1, 2, 3] {
        let many = results(path, format, threads);
        assert_eq!(many.len(), one.len(), "{}: {threads} threads", path.display());
        for (i, (a, b)) in one.iter().zip(&many).enumerate() {
            assert_eq!(a, b, "{}: result {i} with {threads} threads", path.display());
        }
    }
    one.len()
}

fn files_under(dir: &str, suffixes: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| suffixes.iter().any(|s| p.to_string_lossy().ends_with(s)))
        .collect();
    out.sort();
    out
}

#[test]
fn every_ndjson_file_in_the_repository_reads_the_same_on_several_threads() {
    let mut files = files_under("tests/scenarios", &[".ndjson", ".jsonl"]);
    files.extend(files_under("tests/data/windows", &[".jsonl"]));
    files.push(PathBuf::from("data/samples/sample.ndjson"));
    assert!(files.len() > 40, "the corpus is there: {}", files.len());
    // Real recordings (OTRF Sysmon JSON, up to 4 MB), when ../shared/data is there.
    for dir in ["windows/otrf-security-datasets", "linux/otrf-security-datasets"] {
        if let Some(dir) = shared_data(dir) {
            let found = files_under(dir.to_str().unwrap(), &[".jsonl", ".json"]);
            assert!(!found.is_empty(), "recordings in {}", dir.display());
            files.extend(found);
        }
    }
    let mut results = 0;
    for f in &files {
        results += assert_same(f, InputFormat::Auto);
    }
    assert!(results > 1000, "{results} results compared");
}

/// Through `input::open`, as the CLI reads them: these files are under `PARALLEL_MIN_BYTES`, so
/// they stay on one thread (the parallel chunk reader itself is checked on each of them in
/// `winevent::tests::parallel_chunks_read_every_evtx_file_as_the_sequential_reader`, and on a
/// large file below).
#[test]
fn every_evtx_file_reads_the_same_on_several_threads() {
    let mut files = files_under("tests/data/windows", &[".evtx"]);
    if let Some(dir) = shared_data("windows") {
        let found = evtx_under(&dir);
        assert!(!found.is_empty(), "EVTX files under {}", dir.display());
        files.extend(found);
    }
    let mut results = 0;
    for f in &files {
        results += assert_same(f, InputFormat::Evtx);
    }
    // The repository's sysmon.evtx alone: 268 events and the tally.
    assert!(results >= 277, "{results} results compared over {} files", files.len());
}

#[test]
fn a_large_evtx_file_reads_the_same_on_several_threads() {
    // Files under `PARALLEL_MIN_BYTES` are read on the reading thread: this one is over it, made of the
    // repository's sysmon.evtx chunks (unused ones included) five times over.
    let small = std::fs::read("tests/data/windows/sysmon.evtx").unwrap();
    let (header, chunks) = small.split_at(4096);
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(header).unwrap();
    for _ in 0..5 {
        f.write_all(chunks).unwrap();
    }
    f.flush().unwrap();
    let len = f.as_file().metadata().unwrap().len();
    assert!(len >= clickchain_adapters::winevent::evtx::PARALLEL_MIN_BYTES, "{len} bytes");
    let one = results(f.path(), InputFormat::Evtx, 0);
    assert!(!one.iter().any(|r| r.starts_with("error")), "unused chunks are skips: {:?}", &one[..3]);
    let tally = one.last().unwrap();
    assert!(tally.contains("\"unused_evtx_chunk\": 40"), "{tally}");
    assert!(one.len() > 5 * 266, "{}", one.len());
    assert_same(f.path(), InputFormat::Evtx);
}

fn evtx_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(evtx_under(&p));
        } else if p.extension().is_some_and(|e| e == "evtx") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A file of `lines` joined by `\n`.
fn file(lines: &[&[u8]]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    for l in lines {
        f.write_all(l).unwrap();
        f.write_all(b"\n").unwrap();
    }
    f.flush().unwrap();
    f
}

/// Bad lines common to every format: broken JSON, invalid UTF-8, blank lines, a CRLF ending,
/// a non-object value and junk before a value.
fn dirty(good: &[u8]) -> Vec<Vec<u8>> {
    vec![
        good.to_vec(),
        b"{\"broken\": ".to_vec(),
        b"".to_vec(),
        b"  \t".to_vec(),
        b"{\"x\":\"\xff\xfe\"}".to_vec(),
        [good, b"\r"].concat(),
        b"42".to_vec(),
        [&b"junk "[..], good].concat(),
        good.to_vec(),
    ]
}

fn check_dirty(format: InputFormat, good: &[u8]) {
    let lines = dirty(good);
    let mut long = b"{\"pad\":\"".to_vec();
    long.resize(1_100_000, b'x');
    long.extend_from_slice(b"\"}");
    // Many copies so that the input spans several blocks and every worker gets some, with a
    // line over the 1 MiB cap at the start, in the middle and at the end.
    let mut repeated: Vec<&[u8]> = vec![&long];
    for i in 0..600 {
        repeated.extend(lines.iter().map(Vec::as_slice));
        if i == 300 {
            repeated.push(&long);
        }
    }
    repeated.push(&long);
    let f = file(&repeated);
    let one = results(f.path(), format, 0);
    assert_eq!(one.iter().filter(|r| r.starts_with("error too_long")).count(), 3, "{format:?}: {:?}", &one[..9]);
    assert!(one.iter().any(|r| !r.starts_with("error")), "{format:?}: {:?}", &one[..9]);
    assert_same(f.path(), format);
}

#[test]
fn dirty_native_reads_the_same_on_several_threads() {
    let good = br#"{"time":"2024-05-14T09:12:38Z","host":"ws-1","kind":"process_end","proc":"p-1"}"#;
    check_dirty(InputFormat::Native, good);
}

#[test]
fn dirty_ecs_reads_the_same_on_several_threads() {
    let good = br#"{"@timestamp":"2024-05-14T09:12:38.902Z","event":{"category":["network"],"type":["connection","start"]},"host":{"name":"WS-042","os":{"type":"windows"}},"process":{"entity_id":"3f1c","pid":8120},"destination":{"ip":"203.0.113.77","port":443,"domain":"files.example.org"}}"#;
    check_dirty(InputFormat::Ecs, good);
}

#[test]
fn dirty_sysmon_json_reads_the_same_on_several_threads() {
    let good = br#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"ws-1","UtcTime":"2024-05-14 09:13:02.118","ProcessGuid":"{3F1C2B7A-2E2E-6643-B101-000000001A00}","Image":"C:\\Windows\\System32\\mshta.exe"}"#;
    check_dirty(InputFormat::WinJson, good);
    // A line holding an array holds several records.
    let array = [&b"["[..], good, b",", good, b"]"].concat();
    let f = file(&[good, &array, good]);
    assert_eq!(assert_same(f.path(), InputFormat::WinJson), 4 + 1, "4 records and the tally");
}

#[test]
fn pretty_printed_documents_are_still_read_whole() {
    // The first line is not a whole value, so the input is read on the reading thread as a document.
    let ecs = b"{\n  \"@timestamp\": \"2024-05-14T09:12:38.902Z\",\n  \"event\": {\"category\": [\"process\"], \"type\": [\"end\"]},\n  \"host\": {\"name\": \"h\", \"os\": {\"type\": \"linux\"}},\n  \"process\": {\"entity_id\": \"e1\", \"pid\": 7}\n}\n";
    let f = file(&[ecs]);
    let many = results(f.path(), InputFormat::Ecs, 2);
    assert_eq!(many, results(f.path(), InputFormat::Ecs, 0));
    assert_eq!(many.len(), 1);
    assert!(many[0].contains("ProcessEnd"), "{many:?}");
    let sysmon = b"[\n {\"EventID\":5,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Hostname\":\"h\",\"UtcTime\":\"2024-05-14 09:13:02.118\",\"ProcessGuid\":\"{3F1C2B7A-2E2E-6643-B101-000000001A00}\"}\n]\n";
    let f = file(&[sysmon]);
    let many = results(f.path(), InputFormat::WinJson, 2);
    assert_eq!(many, results(f.path(), InputFormat::WinJson, 0));
    assert_eq!(many.len(), 1 + 1, "one record and the tally: {many:?}");
}
