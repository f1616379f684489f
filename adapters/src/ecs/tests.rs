use super::*;
use crate::event::{EventKind, FileOp, Os, ProcKey};
use proptest::strategy::Strategy as _;

/// Four example ECS documents: a process start, a connect, a DNS answer and a file rename.
const FORMATS_EXAMPLES: &str = r#"{"@timestamp":"2024-05-14T09:13:02.118Z","event":{"kind":"event","category":["process"],"type":["start"],"action":"exec","code":"1"},"host":{"name":"WS-042","os":{"type":"windows"}},"user":{"name":"alice","domain":"CORP"},"process":{"entity_id":"3f1c2b7a-2e2e-6643-b101-000000001a00","pid":5916,"executable":"C:\\Windows\\System32\\mshta.exe","name":"mshta.exe","command_line":"\"C:\\Windows\\System32\\mshta.exe\" \"E:\\Invoice_0514.hta\"","args":["C:\\Windows\\System32\\mshta.exe","E:\\Invoice_0514.hta"],"pe":{"original_file_name":"MSHTA.EXE"},"parent":{"entity_id":"3f1c2b7a-1f0a-6643-1c00-000000001a00","pid":4188,"executable":"C:\\Windows\\explorer.exe","name":"explorer.exe"}}}
{"@timestamp":"2024-05-14T09:12:38.902Z","event":{"kind":"event","category":["network"],"type":["connection","start"],"action":"connection_attempted"},"host":{"name":"WS-042","os":{"type":"windows"}},"process":{"entity_id":"3f1c2b7a-2e15-6643-a401-000000001a00","pid":8120,"executable":"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe","name":"chrome.exe","parent":{"entity_id":"3f1c2b7a-2e11-6643-9a01-000000001a00"}},"source":{"ip":"10.20.1.42","port":51544},"destination":{"ip":"203.0.113.77","port":443,"domain":"files.example.org"},"network":{"transport":"tcp","direction":"egress","type":"ipv4"}}
{"@timestamp":"2024-05-14T09:12:41.547Z","event":{"kind":"event","category":["file"],"type":["creation"],"action":"creation"},"host":{"name":"WS-042","os":{"type":"windows"}},"process":{"entity_id":"3f1c2b7a-2e11-6643-9a01-000000001a00","pid":7404,"executable":"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe","name":"chrome.exe"},"file":{"path":"C:\\Users\\alice\\Downloads\\Invoice_0514.iso","name":"Invoice_0514.iso","directory":"C:\\Users\\alice\\Downloads","extension":"iso","origin_url":"https://files.example.org/dl/Invoice_0514.iso","origin_referrer_url":"https://mail.example.net/","Ext":{"windows":{"zone_identifier":3}}}}
{"@timestamp":"2024-05-14T09:12:38.655Z","event":{"kind":"event","category":["network"],"type":["protocol","info"],"action":"lookup_result"},"host":{"name":"WS-042","os":{"type":"windows"}},"process":{"entity_id":"3f1c2b7a-2e11-6643-9a01-000000001a00","pid":7404,"name":"chrome.exe"},"dns":{"question":{"name":"files.example.org","registered_domain":"example.org","type":"A"},"answers":[{"type":"CNAME","data":"edge-7.cdn.example.net"},{"type":"A","data":"203.0.113.77"}],"resolved_ip":["203.0.113.77"]}}
"#;

fn read(text: &str) -> Vec<Result<Event, ReadError>> {
    EcsReader::new("ecs.ndjson", text.as_bytes()).collect()
}

#[test]
fn maps_the_formats_examples() {
    let events: Vec<Event> = read(FORMATS_EXAMPLES).into_iter().map(Result::unwrap).collect();
    // The connection names its process's parent: a start is built for it, before it.
    assert_eq!(
        events.iter().map(|e| e.kind.tag()).collect::<Vec<_>>(),
        ["process_start", "process_start", "connect", "file_write", "dns_answer"]
    );
    match &events[1].kind {
        EventKind::ProcessStart {
            proc: ProcKey::IdAndPid(_, 8120),
            parent: Some(ProcKey::Id(p)),
            built: true,
            image,
            ..
        } => {
            assert_eq!(p, "3f1c2b7a-2e11-6643-9a01-000000001a00");
            assert!(image.ends_with("chrome.exe"));
        }
        other => panic!("{other:?}"),
    }
    let events = [&events[..1], &events[2..]].concat();
    assert!(events.iter().all(|e| e.host == "WS-042" && e.os == Some(Os::Windows)));
    match &events[0].kind {
        EventKind::ProcessStart {
            proc: ProcKey::IdAndPid(id, 5916),
            parent: Some(ProcKey::IdAndPid(p, 4188)),
            command_line: Some(c),
            user,
            ..
        } => {
            assert_eq!(id, "3f1c2b7a-2e2e-6643-b101-000000001a00");
            assert_eq!(p, "3f1c2b7a-1f0a-6643-1c00-000000001a00");
            assert!(c.contains("Invoice_0514.hta"));
            assert_eq!(user.as_deref(), Some("alice"));
        }
        other => panic!("{other:?}"),
    }
    match &events[2].kind {
        EventKind::FileWrite { op: FileOp::Create, origin: Some(o), .. } => {
            assert_eq!((o.zone, o.url.as_deref()), (Some(3), Some("https://files.example.org/dl/Invoice_0514.iso")));
        }
        other => panic!("{other:?}"),
    }
    match &events[3].kind {
        EventKind::DnsAnswer { query, answers, .. } => {
            assert_eq!((query.as_str(), answers.len()), ("files.example.org", 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn entity_id_alone_and_pid_alone() {
    let docs = r#"{"@timestamp":"2024-05-14T09:00:00Z","event":{"category":"process","type":"end"},"process":{"entity_id":"e"}}
{"@timestamp":"2024-05-14T09:00:00Z","event":{"category":"process","type":"end"},"process":{"pid":9}}"#;
    let keys: Vec<ProcKey> = read(docs)
        .into_iter()
        .map(|r| match r.unwrap().kind {
            EventKind::ProcessEnd { proc } => proc,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(keys, [ProcKey::Id("e".into()), ProcKey::Pid(9)]);
}

#[test]
fn pretty_printed_hits_arrays_and_bad_documents() {
    let input = r#"{
  "_index": "x", "_source": { "@timestamp": "2024-05-14T09:00:00Z", "event": {"category": "process", "type": "end"},
    "process": {"pid": "42"}, "host": {"name": "mbp", "os": {"type": "macos"}} }
},
{ "hits": { "hits": [ {"_source": {"@timestamp": "2024-05-14T09:00:01Z", "event": {"category": ["file"], "type": ["creation"]},
   "process": {"entity_id": "e1"}, "file": {"path": "/tmp/x.sh"}}} ] } }
[ {"@timestamp": "2024-05-14T09:00:02Z", "event": {"category": "network"}, "process": {"pid": 1},
   "destination": {"ip": "not-an-ip"}} ]
{"@timestamp": "2024-05-14T09:00:03Z" "event": {}}
{"event": {"category": "process", "type": "start"}}
{"@timestamp": "2024-05-14T09:00:04Z", "event": {"category": "process", "type": "start"}, "process": {"pid": 5}}
{"@timestamp": "2024-05-14T09:00:05Z", "event": {"category": "authentication"}}
"#;
    let got: Vec<String> = read(input)
        .iter()
        .map(|r| match r {
            Ok(e) => format!("{} {}", e.kind.tag(), e.source.pos),
            Err(e) => format!("{} {}", e.reason(), e),
        })
        .map(|s| s.split(": ").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        got,
        [
            "process_end line 1",
            "file_write line 5",
            "bad_value ecs.ndjson:line 7",
            "malformed_json ecs.ndjson:line 9",
            "missing_field ecs.ndjson:line 10",
            "missing_field ecs.ndjson:line 11",
        ]
    );
}

// ---- The fast path against the `Value` path -------------------------------------------------

/// One document through both paths: the fast path's mapping (`None` when it declines) and the
/// `Value` path's (`None` when that does not parse it as a plain document).
fn both_paths(text: &str) -> (Option<String>, Option<String>) {
    let at = || SourceRef { input: Arc::from("t"), pos: Position::Line(1) };
    let slow = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) if !doc.contains_key("_source") && !doc.contains_key("hits") => {
            Some(format!("{:?}", map::to_event(&doc, "default", at())))
        }
        _ => None,
    };
    let fast = fast::capture(text).map(|doc| format!("{:?}", map::to_event(&doc, "default", at())));
    (fast, slow)
}

fn assert_same(text: &str) -> bool {
    let (fast, slow) = both_paths(text);
    if let Some(f) = &fast {
        assert_eq!(Some(f), slow.as_ref(), "{text}");
    }
    if serde_json::from_str::<Value>(text).is_err() {
        assert_eq!(fast, None, "{text}");
    }
    fast.is_some()
}

#[test]
fn fast_path_table() {
    let ts = r#""@timestamp":"2024-05-14T09:00:00Z""#;
    let taken = [
        // nested, dotted and mixed
        format!(r#"{{{ts},"event":{{"category":"process","type":"end"}},"process":{{"pid":7}}}}"#),
        format!(r#"{{{ts},"event.category":"process","event.type":["end"],"process.pid":7}}"#),
        format!(
            r#"{{{ts},"event":{{"category":"process","type":"start"}},"process":{{"pid":1,"parent.pid":2,"name":"a"}}}}"#
        ),
        format!(
            r#"{{{ts},"event":{{"category":"process","type":"start"}},"process":{{"pid":1,"parent":{{"pid":"2"}},"name":"a"}}}}"#
        ),
        format!(
            r#"{{{ts},"event":{{"category":"process","type":"start"}},"process.parent":{{"entity_id":"p"}},"process":{{"entity_id":"c","executable":"/bin/sh"}}}}"#
        ),
        // an exact dotted key wins over a nested one, wherever it stands
        format!(
            r#"{{{ts},"process":{{"pid":1}},"event.category":"process","event":{{"type":"end"}},"process.pid":2}}"#
        ),
        format!(r#"{{{ts},"process.pid":2,"process":{{"pid":1}},"event":{{"category":"process","type":"end"}}}}"#),
        format!(
            r#"{{{ts},"process":{{"parent.pid":3,"parent":{{"pid":4}},"pid":1}},"process.parent":{{"pid":5}},"event":{{"category":"process","type":"start"}},"process.name":"x"}}"#
        ),
        // a null or an object where a value is expected still hides other routes
        format!(r#"{{{ts},"process.pid":null,"process":{{"pid":1}},"event":{{"category":"process","type":"end"}}}}"#),
        format!(
            r#"{{{ts},"process.pid":{{"x":1}},"process":{{"pid":1}},"event":{{"category":"process","type":"end"}}}}"#
        ),
        // arrays vs scalars, numbers as strings, escapes, unknown fields
        format!(
            r#"{{{ts},"host":{{"name":["h1","h2"],"os":{{"type":"macos"}}}},"event":{{"category":["network"],"type":["connection","start"]}},"process":{{"pid":" 9 "}},"destination":{{"ip":["203.0.113.5"],"port":"443","domain":"a\"b.example"}},"x":{{"y":[1,{{"z":null}}]}}}}"#
        ),
        format!(
            r#"{{{ts},"host.name":null,"host.hostname":"hn","event":{{"category":"file","type":"creation"}},"process":{{"entity_id":"e\u0041"}},"file":{{"path":"C:\\Users\\a\\x.exe","Ext":{{"windows":{{"zone_identifier":"3"}}}},"origin_url":"u"}}}}"#
        ),
        format!(
            r#"{{{ts},"event":{{"category":"file","type":"change"}},"process":{{"pid":15,"entity_id":12}},"file.path":"/tmp/x","file.Ext":{{"original.path":"/tmp/y"}},"x":[-1.5,-0.0,12.25]}}"#
        ),
        format!(
            r#"{{{ts},"dns":{{"question.name":"a.example","answers":[{{"data":"1.2.3.4"}},{{"data":5}},"x",{{"data":"::1","data":"2.2.2.2"}}]}},"process":{{"pid":4}}}}"#
        ),
        format!(r#"{{{ts},"dns.question":{{"name":"a.example"}},"dns.resolved_ip":"10.0.0.1"}}"#),
        format!(
            r#"{{{ts},"event":{{"category":["process"],"type":"start","action":"fork"}},"process":{{"pid":-1,"entity_id":"","executable":"","name":true,"args":["a",null,"b",3]}}}}"#
        ),
        r#"{"@timestamp":1715677200,"event":{"category":"process","type":"end"},"process":{"pid":1}}"#.to_owned(),
        r#"{"@timestamp":"nope","event":{"category":"process","type":"end"},"process":{"pid":1}}"#.to_owned(),
        format!(
            r#"{{{ts},"event":{{"category":"network"}},"destination":{{"ip":"not-an-ip"}},"process":{{"pid":1}}}}"#
        ),
        format!(r#"{{"x":"\u00e9\ud83d\ude00",{ts},"event":{{"category":"process","type":"end"}},"events":[1]}}"#),
        "{}".to_owned(),
    ];
    for doc in &taken {
        assert!(assert_same(doc), "the fast path declined {doc}");
    }
    // Left to the `Value` path: other shapes, repeated keys on a field's way, bad JSON.
    let declined = [
        format!(r#"{{"_source":{{{ts}}}}}"#),
        format!(r#"{{"hits":{{"hits":[]}},{ts}}}"#),
        format!(r#"[{{{ts}}}]"#),
        "1".to_owned(),
        format!(r#"{{{ts},"process":{{"pid":1}},"process":{{"name":"x"}}}}"#),
        format!(r#"{{{ts},"process":{{"pid":1,"pid":2}}}}"#),
        format!(r#"{{{ts},"x":1e400}}"#),
        // Left to `Value` though it would read them: floats and `-0` in a captured field, an
        // escaped key, any exponent.
        float_pid(ts),
        format!(r#"{{"pr\u006fcess.pid":7,{ts},"event":{{"category":"process","type":"end"}}}}"#),
        format!(r#"{{{ts},"process":{{"pid":-0}}}}"#),
        format!(r#"{{{ts},"x":1e3}}"#),
        format!(r#"{{{ts},"x":"\ud800"}}"#),
        format!(r#"{{{ts},"\ud800":1}}"#),
        format!(r#"{{{ts},"x":[1,]}}"#),
        format!(r#"{{{ts}}} {{}}"#),
    ];
    for doc in &declined {
        assert!(!assert_same(doc), "the fast path took {doc}");
    }
}

fn float_pid(ts: &str) -> String {
    format!(r#"{{{ts},"event":{{"category":"file","type":"change"}},"process":{{"pid":1.5,"entity_id":12}}}}"#)
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const KEYS: &[&str] = &[
    "process",
    "pid",
    "parent",
    "parent.pid",
    "process.pid",
    "entity_id",
    "process.entity_id",
    "process.parent",
    "executable",
    "name",
    "args",
    "command_line",
    "host",
    "os",
    "type",
    "os.type",
    "host.os",
    "host.name",
    "platform",
    "event",
    "category",
    "action",
    "event.category",
    "event.type",
    "dns",
    "question",
    "question.name",
    "answers",
    "resolved_ip",
    "data",
    "network",
    "direction",
    "destination",
    "ip",
    "port",
    "domain",
    "file",
    "path",
    "Ext",
    "original",
    "original.path",
    "windows",
    "zone_identifier",
    "origin_url",
    "user",
    "x",
    "y.z",
];

const LEAVES: &[&str] = &[
    r#""process""#,
    r#""start""#,
    r#""end""#,
    r#""network""#,
    r#""file""#,
    r#""creation""#,
    r#""change""#,
    r#""exec""#,
    r#""fork""#,
    r#""egress""#,
    r#""inbound""#,
    r#""macos""#,
    r#""windows""#,
    r#""203.0.113.7""#,
    r#""::1""#,
    r#"" 42 ""#,
    r#""7""#,
    r#""""#,
    r#""a\"b\\c""#,
    r#""\u0041é""#,
    "null",
    "true",
    "false",
    "0",
    "3",
    "443",
    "70000",
    "-5",
    "2.5",
    "1e3",
    "18446744073709551615",
    "18446744073709551616",
    r#"["process","start"]"#,
    r#"[null,"end"]"#,
    "[]",
    r#"[{"data":"1.2.3.4"},{"data":null},"5.6.7.8"]"#,
    r#"[["x"],{"a":1}]"#,
    "{}",
    r#"{"data":"9.9.9.9"}"#,
    r#"["start"]"#,
    r#"["process"]"#,
    r#"[{"data":"1.2.3.4"}]"#,
    "[null]",
    r#"["7"]"#,
    "[5]",
];

fn gen_object(rng: &mut Rng, depth: u32, out: &mut String) {
    out.push('{');
    let n = rng.next() % if depth == 0 { 8 } else { 4 };
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let key = rng.pick(KEYS);
        out.push_str(&format!("{key:?}:"));
        if depth < 4 && rng.next() % 5 < 2 {
            gen_object(rng, depth + 1, out);
        } else {
            out.push_str(rng.pick(LEAVES));
        }
    }
    out.push('}');
}

#[test]
fn fast_path_matches_value_path_on_generated_documents() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut taken, mut events) = (0, 0);
    for _ in 0..20_000 {
        let mut doc = String::from(r#"{"@timestamp":"2024-05-14T09:00:00Z","#);
        doc.push_str(rng.pick(&[
            r#""event":{"category":"process","type":"start"},"#,
            r#""event.category":["process"],"event.type":"end","#,
            r#""event":{"category":["network"]},"destination.ip":"203.0.113.9","#,
            r#""event":{"category":"file","type":["creation"]},"file":{"path":"/tmp/f"},"#,
            r#""dns":{"question":{"name":"a.example"}},"#,
            r#""process":{"pid":7},"#,
            "",
        ]));
        let mut body = String::new();
        gen_object(&mut rng, 0, &mut body);
        doc.push_str(&body[1..]);
        let doc = if doc.ends_with(",}") { doc.replace(",}", "}") } else { doc };
        if assert_same(&doc) {
            taken += 1;
            events += both_paths(&doc).0.is_some_and(|e| e.starts_with("Ok(Some")) as u32;
        }
    }
    // Most documents go the fast way (the rest repeat a key); some make events, more errors.
    assert!(taken > 10_000 && events > 200, "taken {taken}, events {events}");
}

#[test]
fn ndjson_lines_and_split_documents_give_the_same_events() {
    // The same documents as NDJSON (fast path per line) and inside one array (`Value` path).
    let lines: Vec<&str> = FORMATS_EXAMPLES.lines().collect();
    let ndjson: Vec<String> = read(FORMATS_EXAMPLES).into_iter().map(|r| format!("{:?}", r.unwrap().kind)).collect();
    let array = format!("[{}]", lines.join(",\n"));
    let split: Vec<String> = read(&array).into_iter().map(|r| format!("{:?}", r.unwrap().kind)).collect();
    assert_eq!(ndjson, split);
    // A line with two documents, and one cut across lines, still go through the splitter.
    let input = format!("{} {}\n{{\"@timestamp\": \"2024-05-14T09:00:00Z\", \"process\": {{\"pid\": 3}}\n, \"event\": {{\"category\": \"process\", \"type\": \"end\"}}}}\n", lines[0], lines[1]);
    let got: Vec<String> = read(&input)
        .into_iter()
        .map(|r| format!("{} {}", r.as_ref().unwrap().kind.tag(), r.unwrap().source.pos))
        .collect();
    assert_eq!(got, ["process_start line 1", "process_start line 1", "connect line 1", "process_end line 2"]);
}

#[test]
fn truncated_ndjson_line_does_not_swallow_the_rest() {
    // A line cut short (a crash mid-write) once made every later line part of one document,
    // which then failed as too long: all events after it were lost.
    let good = r#"{"@timestamp":"2024-05-14T09:12:38Z","event":{"category":["process"],"type":["end"]},"host":{"name":"h","os":{"type":"linux"}},"process":{"entity_id":"e1","pid":7}}"#;
    let text = format!("{good}\n{{\"@timestamp\":\"2024-05-14T09:12:39Z\",\"event\":{{\n{good}\n{good}\n");
    let results = read(&text);
    assert_eq!(results.len(), 4, "{results:?}");
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.reason(), "malformed_json");
    assert!(err.to_string().contains(":line 2:"), "{err}");
    assert!(results.iter().enumerate().all(|(i, r)| r.is_ok() == (i != 1)));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    /// Any text of JSON's alphabet and ECS's keys: no panic, and where the fast path answers,
    /// the `Value` path answers the same.
    #[test]
    fn fast_path_on_arbitrary_text(
        parts in proptest::collection::vec(
            proptest::prop_oneof![
                r#"[{}\[\]:,"\\ut0-9a-f .eE+\-nlrs\x00-\x1f\u{e9}]{0,6}"#,
                proptest::sample::select(KEYS).prop_map(|k| format!("{k:?}:")),
                proptest::sample::select(LEAVES).prop_map(str::to_owned),
            ],
            0..16,
        ),
    ) {
        let text = format!("{{{}}}", parts.concat());
        assert_same(&text);
    }
}

#[test]
fn built_start_only_for_documents_naming_a_parent() {
    let docs = r#"{"@timestamp":"2024-05-14T09:00:00Z","event":{"category":"network"},"process":{"pid":9,"executable":"/a/chrome"},"destination":{"ip":"203.0.113.7"}}
{"@timestamp":"2024-05-14T09:00:01Z","event":{"category":"network"},"process":{"pid":9,"executable":"/a/chrome","parent":{"pid":4}},"destination":{"ip":"203.0.113.7"}}"#;
    let kinds: Vec<&str> = read(docs).into_iter().map(|r| r.unwrap().kind.tag()).collect();
    assert_eq!(kinds, ["connect", "process_start", "connect"]);
}
