//! Reader-level tests on small synthetic logs (real logs are in tests/auditd_data.rs).

use super::*;
use crate::event::FileOp;

fn read(log: &str) -> (Vec<Result<Event, String>>, Counters) {
    let mut r = AuditdReader::new("t.log", log.as_bytes()).default_host("h");
    let out: Vec<_> = r.by_ref().map(|x| x.map_err(|e| format!("{e} [{}]", e.reason()))).collect();
    (out, r.counters())
}

fn events(log: &str) -> Vec<EventKind> {
    read(log).0.into_iter().map(|r| r.unwrap().kind).collect()
}

const EXEC_SPLIT: &str = "\
type=EXECVE msg=audit(10.000:5): argc=3 a0=\"firefox\" a1_len=20 a1[0]=\"https://ex\" a1[1]=\"ample.top/\"
type=SYSCALL msg=audit(10.000:5): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=2 ppid=10 pid=11 uid=1000 comm=\"firefox\" exe=\"/usr/lib/firefox/firefox\" key=(null)
type=EXECVE msg=audit(10.000:5): a2=\"-new-tab\"
type=EOE msg=audit(10.000:5):
";

#[test]
fn exec_with_split_and_continued_argv_out_of_order() {
    let ev = events(EXEC_SPLIT);
    let [EventKind::ProcessStart { proc, parent, image, command_line, user, forked: false, .. }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!((proc, parent.as_ref()), (&ProcKey::Pid(11), Some(&ProcKey::Pid(10))));
    assert_eq!(image, "/usr/lib/firefox/firefox");
    assert_eq!(command_line.as_deref(), Some("firefox https://example.top/ -new-tab"));
    assert_eq!(user.as_deref(), Some("1000"));
}

#[test]
fn connect_einprogress_ipv4_and_unix_ignored() {
    let log = "\
node=ws type=SYSCALL msg=audit(1.5:1): arch=c000003e syscall=42 success=no exit=-115 a0=5c a1=0 a2=10 a3=0 items=0 ppid=1 pid=2398 uid=1000 comm=\"Socket Thread\" exe=\"/usr/lib/firefox/firefox\" key=\"net\"
node=ws type=SOCKADDR msg=audit(1.5:1): saddr=020001BBCB00714D0000000000000000
node=ws type=SYSCALL msg=audit(1.5:2): arch=c000003e syscall=42 success=yes exit=0 a0=5 a1=0 a2=6e a3=0 items=0 ppid=1 pid=2398 uid=1000 exe=\"/usr/lib/firefox/firefox\"
node=ws type=SOCKADDR msg=audit(1.5:2): saddr=01002F72756E00
node=ws type=SYSCALL msg=audit(1.5:3): arch=c000003e syscall=42 success=no exit=-111 a0=5 a1=0 a2=10 a3=0 items=0 ppid=1 pid=2398 uid=1000 exe=\"/x\"
node=ws type=SOCKADDR msg=audit(1.5:3): saddr=020001BBCB00714D0000000000000000
";
    let (out, counters) = read(log);
    assert_eq!(out.len(), 1);
    let ev = out[0].as_ref().unwrap();
    assert_eq!(ev.host, "ws");
    assert_eq!(ev.time.timestamp_millis(), 1500);
    assert!(
        matches!(&ev.kind, EventKind::Connect { dst_port: 443, proc: ProcKey::Pid(2398), dst_ip, .. } if dst_ip.to_string() == "203.0.113.77")
    );
    assert_eq!(counters.skipped.get("connect_not_inet"), Some(&1));
    assert_eq!(counters.skipped.get("failed_syscall"), Some(&1));
}

#[test]
fn openat_create_relative_to_cwd_and_renameat2_part() {
    let log = "\
type=SYSCALL msg=audit(2.000:7): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=0 a2=241 a3=1b6 items=2 ppid=1 pid=20 uid=1000 exe=\"/usr/lib/firefox/firefox\"
type=CWD msg=audit(2.000:7): cwd=\"/home/alice\"
type=PATH msg=audit(2.000:7): item=0 name=\"Downloads/\" nametype=PARENT
type=PATH msg=audit(2.000:7): item=1 name=\"Downloads/x.sh.part\" nametype=CREATE
type=EOE msg=audit(2.000:7):
type=SYSCALL msg=audit(3.000:8): arch=c000003e syscall=316 success=yes exit=0 a0=ffffff9c a1=0 a2=ffffff9c a3=0 items=4 ppid=1 pid=20 uid=1000 exe=\"/usr/lib/firefox/firefox\"
type=CWD msg=audit(3.000:8): cwd=\"/home/alice\"
type=PATH msg=audit(3.000:8): item=0 name=\"/home/alice/Downloads/\" nametype=PARENT
type=PATH msg=audit(3.000:8): item=1 name=\"/home/alice/Downloads/\" nametype=PARENT
type=PATH msg=audit(3.000:8): item=2 name=\"/home/alice/Downloads/x.sh.part\" nametype=DELETE
type=PATH msg=audit(3.000:8): item=3 name=\"/home/alice/Downloads/x.sh\" nametype=CREATE
type=EOE msg=audit(3.000:8):
";
    let ev = events(log);
    assert_eq!(
        ev[0],
        EventKind::FileWrite {
            proc: ProcKey::Pid(20),
            path: "/home/alice/Downloads/x.sh.part".into(),
            op: FileOp::Create,
            origin: None
        }
    );
    assert_eq!(
        ev[1],
        EventKind::FileWrite {
            proc: ProcKey::Pid(20),
            path: "/home/alice/Downloads/x.sh".into(),
            op: FileOp::Rename { from: "/home/alice/Downloads/x.sh.part".into() },
            origin: None
        }
    );
}

#[test]
fn fork_gives_child_the_parent_image_threads_do_not() {
    let log = "\
type=SYSCALL msg=audit(4.000:1): arch=c000003e syscall=56 success=yes exit=31 a0=1200011 a1=0 a2=0 a3=0 items=0 ppid=1 pid=30 uid=1000 exe=\"/usr/bin/bash\"
type=SYSCALL msg=audit(4.000:2): arch=c000003e syscall=56 success=yes exit=32 a0=3d0f00 a1=0 a2=0 a3=0 items=0 ppid=1 pid=30 uid=1000 exe=\"/usr/bin/bash\"
type=SYSCALL msg=audit(4.000:3): arch=c00000b7 syscall=94 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=31 uid=1000 exe=\"/usr/bin/bash\"
";
    let (out, counters) = read(log);
    let ev: Vec<_> = out.into_iter().map(|r| r.unwrap().kind).collect();
    assert_eq!(ev.len(), 2);
    assert!(
        matches!(&ev[0], EventKind::ProcessStart { proc: ProcKey::Pid(31), parent: Some(ProcKey::Pid(30)), image, command_line: None, .. } if image == "/usr/bin/bash")
    );
    assert_eq!(ev[1], EventKind::ProcessEnd { proc: ProcKey::Pid(31) });
    assert_eq!(counters.skipped.get("thread_clone"), Some(&1));
}

/// The child's exec record can be written before the parent's clone record (same ms).
#[test]
fn fork_logged_after_child_exec_is_dropped() {
    let log = "\
type=SYSCALL msg=audit(5.000:2): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=1 ppid=30 pid=31 uid=1000 exe=\"/usr/bin/curl\"
type=EXECVE msg=audit(5.000:2): argc=1 a0=\"curl\"
type=EOE msg=audit(5.000:2):
type=SYSCALL msg=audit(5.000:1): arch=c000003e syscall=57 success=yes exit=31 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=30 uid=1000 exe=\"/usr/bin/bash\"
type=EOE msg=audit(5.000:1):
";
    let (out, counters) = read(log);
    assert_eq!(out.len(), 1);
    assert_eq!(counters.skipped.get("fork_logged_after_child_exec"), Some(&1));
}

#[test]
fn enriched_hex_exe_and_proctitle_fallback() {
    let log = "type=SYSCALL msg=audit(6.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=1 ppid=1 pid=9 uid=0 exe=2F62696E2F7368 key=(null)\x1dARCH=x86_64 SYSCALL=execve UID=\"root\"
type=PROCTITLE msg=audit(6.000:1): proctitle=7368002D630069640000
type=EOE msg=audit(6.000:1):
";
    let ev = events(log);
    let [EventKind::ProcessStart { image, command_line, user, .. }] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!((image.as_str(), command_line.as_deref(), user.as_deref()), ("/bin/sh", Some("sh -c id"), Some("root")));
}

#[test]
fn bad_input_is_counted_and_named_never_fatal() {
    let log = "\
type=SYSCALL msg=audit(7.00
garbage line
type=EXECVE msg=audit(7.000:2): argc=1 a0=\"orphan\"
type=EOE msg=audit(7.000:2):
type=SYSCALL msg=audit(7.000:3): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=9 exe=2F6
type=EOE msg=audit(7.000:3):
type=FOO_BAR msg=audit(7.000:4): x=1
type=UNKNOWN[1334] msg=audit(7.000:5): x=1
type=SYSCALL msg=audit(7.000:6): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=9 exe=\"/bin/true\"
type=EOE msg=audit(7.000:6):
type=SYSCALL msg=audit(7.000:9): arch=c000003e syscall=59 succ
";
    let (out, counters) = read(log);
    let errors: Vec<&String> = out.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(
        errors,
        [
            "t.log:line 1: malformed record: unterminated `msg=audit(` [malformed_record]",
            "t.log:line 2: malformed record: no `type=` at the start [malformed_record]",
            "t.log:line 3: incomplete event: EXECVE record(s) of event 2 without its SYSCALL [incomplete_event]",
            "t.log:line 5: bad value in `exe`: `2F6` is neither quoted nor hex [bad_value]",
            "t.log:line 11: SYSCALL needs field `pid` [missing_field]",
        ]
    );
    assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(counters.skipped.get("record_type_unused"), Some(&2));
    assert_eq!(counters.rejected.values().sum::<u64>(), 5);
}

#[test]
fn huge_line_is_skipped_and_grouping_buffer_stays_bounded() {
    let mut log = format!("type=EXECVE msg=audit(1.000:1): a0=\"{}\"\n", "x".repeat(DEFAULT_MAX_LINE + 10));
    for s in 0..20_000u64 {
        log.push_str(&format!("type=PATH msg=audit(1.000:{}): item=0 name=\"/x\" nametype=NORMAL\n", s + 10));
    }
    let mut r = AuditdReader::new("t.log", log.as_bytes()).limits(Limits { max_open: 64, ..Limits::default() });
    let mut errors = 0;
    let mut max_open = 0;
    while let Some(x) = r.next() {
        errors += usize::from(x.is_err());
        max_open = max_open.max(r.grouper.open_events());
    }
    assert!(max_open <= 64, "{max_open}");
    assert_eq!(r.counters().rejected.get("too_long"), Some(&1));
    assert_eq!(r.counters().rejected.get("incomplete_event"), Some(&20_000));
    assert_eq!(errors, 20_001);
}

#[test]
fn sniffs_raw_audit_text() {
    assert!(sniff(b"type=DAEMON_START msg=audit(1.000:1): op=start"));
    assert!(sniff(b"# comment\n\nnode=h type=SYSCALL msg=audit(1.000:1):"));
    assert!(!sniff(b"{\"time\":1}"));
    assert!(!sniff(b"node=x"));
}

#[test]
fn script_exec_image_is_the_script_elf_exec_image_is_exe() {
    let log = "\
type=SYSCALL msg=audit(8.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=2 ppid=1 pid=9 exe=\"/usr/bin/dash\"
type=CWD msg=audit(8.000:1): cwd=\"/home/a\"
type=PATH msg=audit(8.000:1): item=0 name=\"./x.sh\" nametype=NORMAL
type=PATH msg=audit(8.000:1): item=1 name=\"/bin/sh\" nametype=NORMAL
type=SYSCALL msg=audit(8.000:2): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=2 ppid=1 pid=10 exe=\"/usr/bin/python3.12\"
type=PATH msg=audit(8.000:2): item=0 name=\"/usr/bin/python3\" nametype=NORMAL
type=PATH msg=audit(8.000:2): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" nametype=NORMAL
";
    let images: Vec<String> = events(log)
        .into_iter()
        .map(|e| match e {
            EventKind::ProcessStart { image, .. } => image,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(images, ["/home/a/x.sh", "/usr/bin/python3.12"]);
}

#[test]
fn nodes_interleaved_with_the_same_serial_stay_apart() {
    let log = "\
node=a type=SYSCALL msg=audit(9.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=5 exe=\"/usr/bin/curl\"
node=b type=SYSCALL msg=audit(9.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=6 exe=\"/usr/bin/wget\"
node=b type=EXECVE msg=audit(9.000:1): argc=1 a0=\"wget\"
node=a type=EXECVE msg=audit(9.000:1): argc=1 a0=\"curl\"
node=a type=EOE msg=audit(9.000:1):
type=SYSCALL msg=audit(9.000:1): arch=c000003e syscall=231 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=7 exe=\"/x\"
node=b type=EOE msg=audit(9.000:1):
";
    let got: Vec<String> = read(log)
        .0
        .into_iter()
        .map(|r| {
            let e = r.unwrap();
            match e.kind {
                EventKind::ProcessStart { command_line, .. } => format!("{} {}", e.host, command_line.unwrap()),
                other => format!("{} {}", e.host, other.tag()),
            }
        })
        .collect();
    assert_eq!(got, ["a curl", "b wget", "h process_end"]);
}
