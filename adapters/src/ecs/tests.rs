use super::*;
use crate::event::{EventKind, FileOp, Os, ProcKey};

/// The four example documents of FORMATS.md §5.
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
    assert_eq!(
        events.iter().map(|e| e.kind.tag()).collect::<Vec<_>>(),
        ["process_start", "connect", "file_write", "dns_answer"]
    );
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
