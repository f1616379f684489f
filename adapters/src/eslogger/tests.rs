use super::*;
use crate::event::{AttrChange, EventKind, FileOp};

/// Three example eslogger lines (a Chrome helper creates a download, sets the
/// quarantine flag; xpcproxy execs the app from the mounted image), with seq_nums in order.
const FORMATS_EXAMPLES: &str = r#"{"schema_version":1,"version":7,"time":"2024-05-14T09:12:41.547392000Z","mach_time":98123455512,"event_type":13,"action_type":1,"seq_num":4411,"global_seq_num":90121,"thread":{"thread_id":1822213},"process":{"audit_token":{"pid":1834,"pidversion":5021,"ruid":501,"euid":501,"rgid":20,"egid":20,"auid":501,"asid":100017},"ppid":1790,"original_ppid":1790,"group_id":1790,"session_id":1,"executable":{"path":"/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/124.0.6367.119/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper","path_truncated":false},"signing_id":"com.google.Chrome.helper","team_id":"EQHXZ8M8AV","is_platform_binary":false,"is_es_client":false,"start_time":"2024-05-14T08:55:10.000000Z","responsible_audit_token":{"pid":1790,"pidversion":4988}},"event":{"create":{"destination_type":1,"destination":{"new_path":{"dir":{"path":"/Users/alice/Downloads","path_truncated":false},"filename":"Invoice_0514.dmg.crdownload","mode":420}}}}}
{"schema_version":1,"version":7,"time":"2024-05-14T09:12:43.002110000Z","mach_time":98158820044,"event_type":27,"action_type":1,"seq_num":77,"global_seq_num":90188,"thread":{"thread_id":1822213},"process":{"audit_token":{"pid":1834,"pidversion":5021,"ruid":501,"euid":501,"rgid":20,"egid":20,"auid":501,"asid":100017},"ppid":1790,"executable":{"path":"/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/124.0.6367.119/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper","path_truncated":false},"signing_id":"com.google.Chrome.helper","team_id":"EQHXZ8M8AV","is_platform_binary":false},"event":{"setextattr":{"target":{"path":"/Users/alice/Downloads/Invoice_0514.dmg","path_truncated":false},"extattr":"com.apple.quarantine"}}}
{"schema_version":1,"version":7,"time":"2024-05-14T09:13:05.771900000Z","mach_time":98690112733,"event_type":9,"action_type":1,"seq_num":2290,"global_seq_num":90644,"thread":{"thread_id":1823990},"process":{"audit_token":{"pid":2231,"pidversion":5140,"ruid":501,"euid":501,"rgid":20,"egid":20,"auid":501,"asid":100017},"ppid":1,"original_ppid":1,"executable":{"path":"/usr/libexec/xpcproxy","path_truncated":false},"signing_id":"com.apple.xpc.proxy","team_id":"","is_platform_binary":true},"event":{"exec":{"target":{"audit_token":{"pid":2231,"pidversion":5141,"ruid":501,"euid":501,"rgid":20,"egid":20,"auid":501,"asid":100017},"ppid":1,"original_ppid":1,"executable":{"path":"/Volumes/Invoice/Invoice.app/Contents/MacOS/Invoice","path_truncated":false},"signing_id":"a.out","team_id":"","is_platform_binary":false,"responsible_audit_token":{"pid":2231,"pidversion":5141}},"args":["/Volumes/Invoice/Invoice.app/Contents/MacOS/Invoice"],"cwd":{"path":"/","path_truncated":false}}}}
"#;

fn read(text: &str) -> Vec<Result<Event, ReadError>> {
    EsloggerReader::new("es.jsonl", text.as_bytes()).default_host("mbp-1").collect()
}

#[test]
fn maps_the_formats_examples() {
    let events: Vec<Event> = read(FORMATS_EXAMPLES).into_iter().map(Result::unwrap).collect();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.host == "mbp-1" && e.os == Some(crate::Os::Macos)));
    match &events[0].kind {
        EventKind::FileWrite { proc: ProcKey::Pid(1834), path, op: FileOp::Create, .. } => {
            assert_eq!(path, "/Users/alice/Downloads/Invoice_0514.dmg.crdownload")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&events[1].kind, EventKind::FileAttr { attr: AttrChange::QuarantineSet, path, .. } if path.ends_with("Invoice_0514.dmg"))
    );
    match &events[2].kind {
        // Responsible for itself and launched by launchd: its parent is pid 1.
        EventKind::ProcessStart {
            proc: ProcKey::Pid(2231),
            parent: Some(ProcKey::Pid(1)),
            image,
            command_line,
            ..
        } => {
            assert_eq!(image, "/Volumes/Invoice/Invoice.app/Contents/MacOS/Invoice");
            assert_eq!(command_line.as_deref(), Some("/Volumes/Invoice/Invoice.app/Contents/MacOS/Invoice"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events[0].time.timestamp_nanos_opt(), Some(1_715_677_961_547_392_000));
}

fn exec_line(seq: u64, pid: u32, ppid: u32, responsible: u32, path: &str, args: &str) -> String {
    format!(
        r#"{{"time":"2024-05-14T09:00:00Z","event_type":9,"seq_num":{seq},"process":{{"audit_token":{{"pid":{pid},"pidversion":1}},"ppid":{ppid},"executable":{{"path":"/usr/libexec/xpcproxy"}}}},"event":{{"exec":{{"target":{{"audit_token":{{"pid":{pid},"pidversion":2}},"ppid":{ppid},"executable":{{"path":"{path}"}},"responsible_audit_token":{{"pid":{responsible},"pidversion":9}}}},"args":{args}}}}}}}"#
    )
}

#[test]
fn helper_launched_by_xpcproxy_takes_its_responsible_app_as_parent() {
    let line = exec_line(
        1,
        1900,
        1,
        1790,
        "/Applications/Google Chrome.app/Contents/MacOS/Helper",
        r#"["Helper","--type=renderer x"]"#,
    );
    let e = read(&line).remove(0).unwrap();
    match e.kind {
        EventKind::ProcessStart { parent, command_line, .. } => {
            assert_eq!(parent, Some(ProcKey::Pid(1790)));
            assert_eq!(command_line.as_deref(), Some("Helper \"--type=renderer x\""));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fork_exit_rename_and_quarantine_removal() {
    let lines = [
        r#"{"time":"2024-05-14T09:00:01Z","event_type":11,"seq_num":1,"process":{"audit_token":{"pid":100,"pidversion":1},"ppid":1,"executable":{"path":"/bin/zsh"}},"event":{"fork":{"child":{"audit_token":{"pid":101,"pidversion":1},"ppid":100,"executable":{"path":"/bin/zsh"}}}}}"#,
        r#"{"time":"2024-05-14T09:00:02Z","event_type":25,"seq_num":1,"process":{"audit_token":{"pid":101,"pidversion":1},"ppid":100},"event":{"rename":{"source":{"path":"/Users/a/Downloads/x.dmg.download"},"destination_type":1,"destination":{"new_path":{"dir":{"path":"/Users/a/Downloads/"},"filename":"x.dmg"}}}}}"#,
        r#"{"time":"2024-05-14T09:00:03Z","event_type":70,"seq_num":1,"process":{"audit_token":{"pid":101,"pidversion":1},"ppid":100},"event":{"deleteextattr":{"target":{"path":"/Users/a/Downloads/x.dmg"},"extattr":"com.apple.quarantine"}}}"#,
        r#"{"time":"2024-05-14T09:00:04Z","event_type":15,"seq_num":1,"process":{"audit_token":{"pid":101,"pidversion":1},"ppid":100},"event":{"exit":{"stat":0}}}"#,
        r#"{"time":"2024-05-14T09:00:05Z","event_type":10,"seq_num":1,"process":{"audit_token":{"pid":101,"pidversion":1},"ppid":100},"event":{"open":{"fflag":1}}}"#,
        r#"{"time":"2024-05-14T09:00:06Z","event_type":33,"seq_num":1,"process":{"audit_token":{"pid":101,"pidversion":1},"ppid":100},"event":{"write":{"target":{"path":"/Users/a/notes.txt"}}}}"#,
    ]
    .join("\n");
    let tags: Vec<String> = read(&lines)
        .into_iter()
        .map(|r| {
            let e = r.unwrap();
            match e.kind {
                EventKind::FileWrite { op: FileOp::Rename { from }, path, .. } => format!("rename {from} -> {path}"),
                k => k.tag().to_owned(),
            }
        })
        .collect();
    assert_eq!(
        tags,
        [
            "process_start",
            "rename /Users/a/Downloads/x.dmg.download -> /Users/a/Downloads/x.dmg",
            "file_attr",
            "process_end",
            "file_write"
        ]
    );
}

#[test]
fn gaps_missing_fields_and_bad_lines_are_counted() {
    let ok = |seq| exec_line(seq, 5, 1, 5, "/bin/ls", "[]");
    let lines = [
        ok(10),
        ok(14),
        r#"{"time":"2024-05-14T09:00:00Z","event_type":9,"seq_num":15,"process":{"ppid":1},"event":{"exit":{}}}"#.to_owned(),
        "{truncated".to_owned(),
        r#"{"time":"later","event_type":15,"process":{"audit_token":{"pid":1}},"event":{"exit":{}}}"#.to_owned(),
        r#"{"time":"2024-05-14T09:00:00Z","event_type":15,"process":{"audit_token":{"pid":1}},"event":{"exit":{},"fork":{}}}"#
            .to_owned(),
        r#"{"time":"2024-05-14T09:00:00Z","event_type":999,"process":{"audit_token":{"pid":1}},"event":{"teleport":{}}}"#
            .to_owned(),
    ]
    .join("\n");
    let got: Vec<String> = read(&lines)
        .iter()
        .map(|r| match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.reason().to_owned(),
        })
        .collect();
    assert_eq!(
        got,
        ["ok", "seq_gap", "ok", "missing_field", "malformed_json", "bad_timestamp", "bad_value", "unknown_kind"]
    );
    let gap = read(&lines).into_iter().nth(1).unwrap().unwrap_err().to_string();
    assert_eq!(gap, "es.jsonl:line 2: 3 records of type 9 dropped by the source (sequence gap)");
}
