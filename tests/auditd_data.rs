//! The auditd adapter on real logs, with record and event counts pinned.
//!
//! Apache-2.0 / MIT logs are copied under `tests/data/auditd` (see PROVENANCE.md there); GPL
//! ones (laurel's test data) and the larger ones are read from `../shared/data/linux` (see
//! `tests/common/shared_data.rs` for when they are skipped).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clickchain_adapters::auditd::AuditdReader;
use clickchain_adapters::{Event, EventKind};
use shared_data::shared_data;

#[path = "common/shared_data.rs"]
mod shared_data;

/// What reading one log gave.
#[derive(Debug, Default)]
struct Summary {
    records: u64,
    groups: u64,
    /// Events by kind tag.
    events: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<&'static str, u64>,
    skipped: BTreeMap<&'static str, u64>,
    all: Vec<Event>,
}

fn read(path: &Path) -> Summary {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = AuditdReader::new(path.display().to_string(), &bytes[..]).default_host("h");
    let mut s = Summary::default();
    for r in reader.by_ref() {
        match r {
            Ok(e) => {
                *s.events.entry(e.kind.tag()).or_default() += 1;
                s.all.push(e);
            }
            Err(e) => println!("{e}"),
        }
    }
    let c = reader.counters();
    (s.records, s.groups, s.rejected, s.skipped) = (c.records, c.groups, c.rejected, c.skipped);
    s
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/auditd").join(name)
}

/// `../shared/data/linux/<rel>` (see `shared_data`).
fn shared(rel: &str) -> Option<PathBuf> {
    shared_data(&format!("linux/{rel}"))
}

fn map<const N: usize>(pairs: [(&'static str, u64); N]) -> BTreeMap<&'static str, u64> {
    pairs.into_iter().collect()
}

fn starts(s: &Summary) -> Vec<String> {
    s.all
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ProcessStart { proc, parent, image, command_line, forked, .. } => Some(format!(
                "{proc}<{} {image} {}{}",
                parent.as_ref().map_or("-".to_owned(), |p| p.to_string()),
                command_line.as_deref().unwrap_or("-"),
                if *forked { " (fork)" } else { "" }
            )),
            _ => None,
        })
        .collect()
}

/// go-libaudit's three renderings of one stream: in order, out of order, with lost records.
#[test]
fn go_libaudit_out_of_order_and_lost_messages_give_the_stream_in_order() {
    let normal = read(&fixture("normal.log"));
    for name in ["normal.log", "out_of_order.log", "lost_messages.log"] {
        let s = read(&fixture(name));
        assert_eq!((s.records, s.groups), (17, 5), "{name}");
        assert_eq!(s.events, map([("connect", 1), ("process_start", 2)]), "{name}");
        assert!(s.rejected.is_empty(), "{name}: {:?}", s.rejected);
        assert_eq!(s.skipped, map([("connect_not_inet", 1), ("syscall_not_mapped", 1)]), "{name}");
        let mut got: Vec<String> =
            s.all.iter().map(|e| format!("{} {:?}", e.time.timestamp_millis(), e.kind)).collect();
        let mut want: Vec<String> =
            normal.all.iter().map(|e| format!("{} {:?}", e.time.timestamp_millis(), e.kind)).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(
        starts(&normal),
        [
            "pid:13393<pid:12041 /usr/bin/grep grep --color=auto mapping",
            "pid:13392<pid:12041 /usr/bin/cat cat securitybeat"
        ]
    );
    let EventKind::Connect { dst_ip, dst_port, .. } = &normal.all[0].kind else { panic!("{:?}", normal.all[0]) };
    assert_eq!((dst_ip.to_string(), *dst_port), ("169.254.169.254".to_owned(), 80));
}

#[test]
fn otrf_arp_cache_execs() {
    let s = read(&fixture("sh_arp_cache_2020-11-10074812.log"));
    assert_eq!((s.records, s.groups), (12, 2));
    assert_eq!(s.events, map([("process_start", 2)]));
    assert!(s.rejected.is_empty() && s.skipped.is_empty());
}

#[test]
fn splunk_dirtyfrag_enriched_log() {
    let Some(p) = shared("splunk-attack-data/T1068_linux_dirtyfrag_dirty_frag_lpe_attack_data.log") else { return };
    let s = read(&p);
    assert_eq!((s.records, s.groups), (447, 143));
    assert_eq!(s.events, map([("process_start", 20)]));
    // The excerpt starts inside an event: its PATH and PROCTITLE have no SYSCALL.
    assert_eq!(s.rejected, map([("incomplete_event", 1)]));
    assert_eq!(s.skipped, map([("not_a_syscall_event", 20), ("record_type_unused", 122), ("syscall_not_mapped", 102)]));
    assert!(s.all.iter().all(|e| e.host == "h"), "no node=: the default host");
}

#[test]
fn splunk_lone_execve_records_are_incomplete_events() {
    let Some(p) = shared("splunk-attack-data/T1555.005_linux_auditd_find_password_db.log") else { return };
    let s = read(&p);
    assert_eq!((s.records, s.groups, s.all.len()), (5, 5, 0));
    assert_eq!(s.rejected, map([("incomplete_event", 5)]));
}

/// laurel's traces (GPL-3.0): read from ../shared only.
#[test]
fn laurel_shell_trace_reordered_keeps_the_execs_and_their_parents() {
    let (Some(plain), Some(reordered)) =
        (shared("laurel/shell-proc-trace.txt"), shared("laurel/shell-proc-trace-reordered.txt"))
    else {
        return;
    };
    let (plain, reordered) = (read(&plain), read(&reordered));
    assert_eq!((plain.records, plain.groups, plain.all.len()), (39, 9, 9));
    assert_eq!((reordered.records, reordered.groups, reordered.all.len()), (39, 9, 5));
    // Reordered, each clone is logged after its child's exec, which names the same parent.
    assert_eq!(reordered.skipped, map([("fork_logged_after_child_exec", 4)]));
    let execs = |s: &Summary| -> Vec<String> {
        let mut v: Vec<String> = starts(s).into_iter().filter(|l| !l.ends_with("(fork)")).collect();
        v.sort();
        v
    };
    assert_eq!(execs(&plain), execs(&reordered));
    assert_eq!(starts(&plain).iter().filter(|l| l.ends_with("(fork)")).count(), 5);
    assert_eq!(starts(&reordered).iter().filter(|l| l.ends_with("(fork)")).count(), 1);
}

#[test]
fn laurel_records_connect_long_execve_aarch64_fork() {
    let Some(dir) = shared("laurel") else { return };
    let connect = read(&dir.join("record-connect.txt"));
    let dests: Vec<String> = connect
        .all
        .iter()
        .map(|e| match &e.kind {
            EventKind::Connect { dst_ip, dst_port, .. } => format!("{dst_ip}:{dst_port}"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(dests, ["127.0.0.1:11211", "::1:11211"]);

    let long = read(&dir.join("record-execve-long.txt"));
    assert_eq!((long.records, long.groups), (9, 1));
    let EventKind::ProcessStart { command_line: Some(cmd), .. } = &long.all[0].kind else { panic!() };
    // a1 is one hex-encoded argument (`a1_len=16384` counts hex digits) split over a1[0]..a1[2]
    // and two EXECVE records: 8192 bytes once decoded.
    let args: Vec<&str> = cmd.split(' ').collect();
    assert_eq!((args.len(), args[0], args[1].len()), (2, "/bin/echo", 8192));

    let fork = read(&dir.join("fork-sleep-exec.txt"));
    assert_eq!(fork.events, map([("process_start", 3)]));
    // aarch64 (clone 220, execve 221): the grandchild is forked, its parent execs /bin/true.
    assert_eq!(starts(&fork).iter().filter(|l| l.ends_with("(fork)")).count(), 1, "{:?}", starts(&fork));

    let nscd = read(&dir.join("record-nscd.txt"));
    assert_eq!((nscd.all.len(), nscd.skipped.clone()), (0, map([("failed_syscall", 1)])));
}

/// laurel's `apt-get update` trace (tree/*.txt, one exec per file) and `dpkg -l` process trace.
#[test]
fn laurel_tree_and_dpkg_traces() {
    let Some(dir) = shared("laurel") else { return };
    for n in 0..=16 {
        let s = read(&dir.join(format!("tree/{n:02}.txt")));
        assert_eq!((s.records, s.groups, s.all.len()), (7, 1, 1), "tree/{n:02}.txt");
        assert!(s.rejected.is_empty() && s.skipped.is_empty(), "tree/{n:02}.txt");
    }
    let dpkg = read(&dir.join("proc-trace-dpkg-l.txt"));
    assert_eq!((dpkg.records, dpkg.groups), (68, 23));
    assert_eq!(dpkg.events, map([("process_start", 23)]));
    assert!(dpkg.rejected.is_empty() && dpkg.skipped.is_empty());
}
