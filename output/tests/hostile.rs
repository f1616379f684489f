//! A chain whose image, command line, user, path, URL and host carry escape sequences, markup,
//! formulas, line breaks, bidirectional overrides and replaced invalid UTF-8, through every
//! output: nothing of it may act on a terminal, a page or a spreadsheet (`docs/alerts.md`,
//! "Safe output").

use clickchain::adapters::native::NativeReader;
use clickchain::{Config, Engine, Record};
use clickchain_output::{writer, OutputFormat};
use serde_json::json;

const ESC: &str = "\u{1b}[2J\u{1b}]8;;http://evil.top\u{7}";
const SCRIPT: &str = "<script>document.body.id='pwned'</script>";
const FORMULA: &str = "=HYPERLINK(\"http://evil.top\",\"x\")";

/// The hostile chain as native NDJSON (U+FFFD stands where a reader replaced invalid bytes).
fn hostile_events() -> String {
    let host = format!("WS-{ESC}<b>");
    let ev = |t: &str, body: serde_json::Value| {
        let mut v = json!({"time": format!("2024-05-14T09:{t}Z"), "host": host, "os": "windows"});
        v.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
        v.to_string()
    };
    let edge = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe";
    let file = format!("C:\\Users\\alice\\Downloads\\{FORMULA}{ESC}{SCRIPT}\nFAKE\u{202e}txt.exe");
    let payload_cmd = format!("\"{file}\" {ESC} {SCRIPT}");
    [
        ev("00:00.000", json!({"kind": "process_start", "proc": "{outlook}", "image": r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", "user": "CORP\\alice\u{202e}"})),
        ev(
            "10:00.000",
            json!({"kind": "process_start", "proc": "{e1}", "parent": "{outlook}", "image": edge,
                   "command_line": format!("\"{edge}\" https://evil.top/{SCRIPT}{FORMULA} {ESC}\r\n-cmd|' /C calc'!A0"),
                   "user": format!("{FORMULA}\u{fffd}")}),
        ),
        ev("10:01.000", json!({"kind": "dns_answer", "proc": "{e1}", "query": "dl.evil.top", "answers": ["203.0.113.78"]})),
        ev("10:01.300", json!({"kind": "connect", "proc": "{e1}", "dst_ip": "203.0.113.78", "dst_port": 443})),
        ev(
            "10:05.000",
            json!({"kind": "file_write", "proc": "{e1}", "path": file, "op": "create",
                   "origin": {"zone": 3, "url": format!("https://dl.evil.top/{SCRIPT}{ESC}")}}),
        ),
        ev("11:00.000", json!({"kind": "process_start", "proc": "{p1}", "parent": "{outlook}", "image": file, "command_line": payload_cmd})),
    ]
    .join("\n")
}

fn records() -> Vec<Record> {
    let mut engine = Engine::new(Config::default()).unwrap();
    let events = hostile_events();
    for event in NativeReader::new("hostile\u{1b}[31m.ndjson", events.as_bytes()) {
        engine.push(event.expect("the hostile records are valid native records"));
    }
    engine.finish();
    let records = engine.drain();
    assert!(records.iter().any(|r| matches!(r, Record::Alert(_))), "the hostile chain alerts: {records:?}");
    assert!(records.iter().any(|r| matches!(r, Record::FollowOn(_))), "and its payload ran");
    records
}

fn render(format: OutputFormat, records: &[Record]) -> String {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut sink = writer(format, Box::new(out.reopen().unwrap()));
    for r in records {
        sink.emit(r.clone()).unwrap();
    }
    sink.finish().unwrap();
    drop(sink);
    std::fs::read_to_string(out.path()).unwrap()
}

/// No raw control character but the line breaks the format itself writes, and no bidi override.
fn assert_inert(format: OutputFormat, text: &str) {
    let bad = text.chars().find(|&c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c));
    assert_eq!(bad, None, "{format}: a raw control or bidi character survived:\n{text}");
}

#[test]
fn ndjson_is_valid_json_line_by_line_and_flags_replaced_text() {
    let records = records();
    let text = render(OutputFormat::Ndjson, &records);
    assert_inert(OutputFormat::Ndjson, &text);
    assert_eq!(text.lines().count(), records.len(), "one line per record");
    assert!(text.contains(r"\u001b[2J") && text.contains(r"\u202e"), "escaped, not dropped: {text}");
    for line in text.lines() {
        let back = Record::from_json(line).expect("each line reads back");
        if let Record::Alert(a) = back {
            assert!(a.replaced_invalid_utf8, "U+FFFD in the user is flagged");
            assert!(a.write.path.contains(ESC), "the JSON keeps the exact text, escaped");
        }
    }
}

#[test]
fn text_writes_escapes_out_and_keeps_one_line_per_field() {
    let text = render(OutputFormat::Text, &records());
    assert_inert(OutputFormat::Text, &text);
    assert!(text.contains("\\x1b[2J"), "{text}");
    assert!(text.contains("\\u{202e}"), "{text}");
    // The path's line break is written out, so no line starts with the text after it.
    assert!(!text.lines().any(|l| l.starts_with("FAKE")), "{text}");
}

#[test]
fn csv_cells_are_never_formulas() {
    let text = render(OutputFormat::Csv, &records());
    assert_inert(OutputFormat::Csv, &text);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let mut cells = Vec::new();
    for row in rows.records() {
        for cell in row.unwrap().iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "formula cell {cell:?}");
            cells.push(cell.to_owned());
        }
    }
    assert!(cells.iter().any(|c| c.starts_with("'=HYPERLINK")), "the writer's user keeps its text: {cells:?}");
}

#[test]
fn html_shows_markup_as_text() {
    let text = render(OutputFormat::Html, &records());
    assert_inert(OutputFormat::Html, &text);
    assert!(!text.contains(SCRIPT), "raw markup from the logs");
    assert!(text.contains("&lt;script&gt;document.body.id=&#39;pwned&#39;&lt;/script&gt;"));
    assert_eq!(text.matches("<script>").count(), 1, "only the page's own script");
}

#[test]
fn ocsf_is_valid_json_line_by_line() {
    let text = render(OutputFormat::Ocsf, &records());
    assert_inert(OutputFormat::Ocsf, &text);
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each finding is JSON");
    }
}
