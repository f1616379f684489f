use super::*;
use crate::event::{AttrChange, EventKind, FileOp, ProcKey};

fn read(input: &[u8]) -> Vec<Result<Event, ReadError>> {
    NativeReader::new("t.ndjson", input).default_host("fallback").collect()
}

fn reason(r: &Result<Event, ReadError>) -> &'static str {
    r.as_ref().map(|_| "ok").unwrap_or_else(|e| e.reason())
}

const ALL_KINDS: &str = r#"{"time":"2024-05-14T09:12:38.100Z","host":"ws-1","os":"windows","kind":"process_start","proc":"g-1","parent":"g-0","image":"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe","command_line":"chrome.exe https://x.example.top/a","user":"alice"}
{"time":"2024-05-14T09:12:38.200Z","host":"ws-1","kind":"url_open","proc":"g-1","url":"https://x.example.top/a"}
{"time":"2024-05-14T09:12:38.300Z","host":"ws-1","kind":"dns_answer","proc":"g-1","query":"x.example.top","answers":["203.0.113.7","2001:db8::1"]}
{"time":"2024-05-14T09:12:38.400Z","host":"ws-1","kind":"connect","proc":"g-2","dst_ip":"203.0.113.7","dst_port":443,"domain":"x.example.top"}
{"time":"2024-05-14T09:12:39Z","host":"ws-1","kind":"file_write","proc":"g-1","path":"C:\\Users\\alice\\Downloads\\a.iso","op":"rename","from":"C:\\Users\\alice\\Downloads\\a.iso.crdownload","origin":{"zone":3,"url":"https://x.example.top/a.iso"}}
{"time":"2024-05-14T09:12:40Z","host":"ws-1","kind":"file_attr","proc":1234,"path":"C:\\Users\\alice\\Downloads\\a.iso","attr":"motw_removed"}
{"time":1715678000000,"kind":"process_end","proc":1234}
{"time":1715678000001,"kind":"connect","proc":{"id":"e-7","pid":1834},"dst_ip":"203.0.113.7","dst_port":443}
"#;

#[test]
fn reads_every_kind() {
    let events: Vec<Event> = read(ALL_KINDS.as_bytes()).into_iter().map(Result::unwrap).collect();
    let tags: Vec<_> = events.iter().map(|e| e.kind.tag()).collect();
    assert_eq!(
        tags,
        ["process_start", "url_open", "dns_answer", "connect", "file_write", "file_attr", "process_end", "connect"]
    );
    assert!(matches!(&events[7].kind, EventKind::Connect { proc: ProcKey::IdAndPid(id, 1834), .. } if id == "e-7"));
    assert_eq!(events[6].host, "fallback");
    assert_eq!(events[6].source.to_string(), "t.ndjson:line 7");
    match &events[4].kind {
        EventKind::FileWrite { op: FileOp::Rename { from }, origin: Some(o), .. } => {
            assert!(from.ends_with(".crdownload"));
            assert_eq!(o.zone, Some(3));
        }
        other => panic!("unexpected {other:?}"),
    }
    match &events[5].kind {
        EventKind::FileAttr { proc: ProcKey::Pid(1234), attr: AttrChange::MotwRemoved, .. } => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn serde_form_round_trips() {
    for r in read(ALL_KINDS.as_bytes()) {
        let e = r.unwrap();
        let line = to_line(&e);
        let back = parse_line(line.as_bytes(), "fallback", e.source.clone()).unwrap();
        assert_eq!(back, e, "{line}");
    }
}

#[test]
fn bad_records_are_counted_and_reading_goes_on() {
    let input = b"{\"time\":\"2024-05-14T09:12:38Z\",\"kind\":\"process_end\",\"proc\":\"a\"}\n\
{not json}\n\
{\"time\":\"2024-05-14T09:12:38Z\",\"kind\":\"teleport\",\"proc\":\"a\"}\n\
{\"time\":\"2024-05-14T09:12:38Z\",\"kind\":\"connect\",\"proc\":\"a\",\"dst_port\":1}\n\
{\"time\":\"yesterday\",\"kind\":\"process_end\",\"proc\":\"a\"}\n\
{\"time\":\"2024-05-14T09:12:38Z\",\"kind\":\"connect\",\"proc\":\"a\",\"dst_ip\":\"1.2.3\",\"dst_port\":1}\n\
{\"time\":\"2024-05-14T09:12:38Z\",\"kind\":\"process_end\",\"proc\":\"\xff\xfe\"}\n\
\n\
   \n\
{\"time\":\"2024-05-14T09:12:39Z\",\"kind\":\"process_end\",\"proc\":\"b\"}\n";
    let got: Vec<_> = read(input).iter().map(reason).collect();
    assert_eq!(
        got,
        ["ok", "malformed_json", "unknown_kind", "missing_field", "bad_timestamp", "bad_value", "invalid_utf8", "ok"]
    );
}

#[test]
fn errors_name_the_input_and_line() {
    let results = read(b"\n{\"kind\":\"process_end\",\"proc\":\"a\"}\n");
    let msg = results[0].as_ref().unwrap_err().to_string();
    assert_eq!(msg, "t.ndjson:line 2: event needs field `time`");
}

#[test]
fn huge_line_is_rejected_without_stopping() {
    let mut input = b"{\"time\":\"2024-05-14T09:12:38Z\",\"kind\":\"process_end\",\"proc\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'a', 3000));
    input.extend_from_slice(b"\"}\n{\"time\":\"2024-05-14T09:12:38Z\",\"kind\":\"process_end\",\"proc\":\"b\"}\n");
    let got: Vec<_> = NativeReader::new("t", &input[..]).max_line(1024).collect();
    assert_eq!(got.iter().map(reason).collect::<Vec<_>>(), ["too_long", "ok"]);
}

#[test]
fn bom_and_crlf_are_tolerated() {
    let input = b"\xEF\xBB\xBF{\"time\":\"2024-05-14 09:12:38.5\",\"kind\":\"process_end\",\"proc\":7}\r\n";
    let got = read(input);
    assert_eq!(got.iter().map(reason).collect::<Vec<_>>(), ["ok"]);
}
