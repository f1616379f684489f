//! The CSV timeline of the shipped sample, and hostile cells made safe.

#[path = "common/sample.rs"]
mod sample;

use clickchain::sink::Sink;
use clickchain::Record;
use clickchain_output::timeline::COLUMNS;
use clickchain_output::{CsvTimeline, FinishSink};

fn csv_of(records: Vec<Record>) -> String {
    let mut out = Vec::new();
    let mut sink = CsvTimeline::new(&mut out);
    for r in records {
        sink.emit(r).unwrap();
    }
    FinishSink::finish(&mut sink).unwrap_or_else(|e| panic!("finish: {e}"));
    drop(sink);
    String::from_utf8(out).unwrap()
}

#[test]
fn sample_timeline_has_one_row_per_record() {
    let records = sample::sample_records();
    let (alerts, follow_ons) =
        (sample::sample_alerts(&records).len(), records.len() - sample::sample_alerts(&records).len());
    let text = csv_of(records);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.iter().filter(|r| &r[0] == "alert").count(), alerts);
    assert_eq!(rows.iter().filter(|r| &r[0] == "follow_on").count(), follow_ons);
    assert!(rows.iter().all(|r| r.len() == COLUMNS.len()));
    insta::assert_snapshot!("sample_timeline", text);
}

#[test]
fn empty_run_still_has_a_header() {
    assert_eq!(csv_of(Vec::new()), format!("{}\n", COLUMNS.join(",")));
}

#[test]
fn hostile_cells_are_neutralised_and_quoted() {
    let records = sample::sample_records();
    let mut hostile = sample::hostile_alert(&records);
    hostile.host = "@SUM(1+1)\r\nsecond line".into();
    hostile.write.path = "-2+3,\"quoted\"\tcell".into();
    let text = csv_of(vec![Record::Alert(Box::new(hostile))]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    let col = |name: &str| row[COLUMNS.iter().position(|c| *c == name).unwrap()].to_owned();
    assert_eq!(col("host"), "'@SUM(1+1)\\x0d\\x0asecond line");
    assert_eq!(col("path"), "'-2+3,\"quoted\"\\x09cell");
    assert_eq!(col("click_url"), "'=HYPERLINK(\"http://evil.top\")");
    // One physical line per record: no raw line breaks survive.
    assert_eq!(text.lines().count(), 2);
}

#[test]
fn the_columns_are_documented_in_order() {
    let doc = include_str!("../../docs/alerts.md");
    let section = doc.split("### CSV columns").nth(1).expect("docs/alerts.md has a CSV columns section");
    let documented: Vec<&str> = section
        .lines()
        .skip_while(|l| !l.starts_with("| `record_type`"))
        .take_while(|l| l.starts_with("| `"))
        .filter_map(|l| l.split('`').nth(1))
        .collect();
    assert_eq!(documented, COLUMNS);
}
