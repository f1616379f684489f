use super::*;
use crate::event::FileOp;

fn read(reader: WinEventReader) -> (Vec<Result<Event, ReadError>>, TallyData) {
    let tally = reader.tally();
    let out: Vec<_> = reader.collect();
    (out, tally.snapshot())
}

fn summary(results: &[Result<Event, ReadError>]) -> Vec<String> {
    results
        .iter()
        .map(|r| match r {
            Ok(e) => format!("{} {} {}", e.source.pos, e.kind.tag(), e.time.format("%H:%M:%S%.3f")),
            Err(e) => format!("err {}", e),
        })
        .collect()
}

/// Security first, then Sysmon (as the OTRF exports are), with `TimeCreated` 7 h behind.
const SHIFTED: &str = r#"{"Channel":"Security","EventID":4688,"TimeCreated":"2022-08-18T06:56:26.334Z","Hostname":"h","NewProcessId":"0x1f4","ProcessId":"0x2d4","NewProcessName":"C:\\Users\\p\\Downloads\\payload.exe"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"TimeCreated":"2022-08-18T06:56:13.611Z","UtcTime":"2022-08-18 13:56:13.608","Hostname":"h","ProcessGuid":"{A}","Image":"C:\\a.exe"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"TimeCreated":"2022-08-18T06:56:26.369Z","UtcTime":"2022-08-18 13:56:26.334","Hostname":"h","ProcessGuid":"{B}","Image":"C:\\b.exe"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"TimeCreated":"2022-08-18T06:56:27.862Z","UtcTime":"2022-08-14 10:00:00.000","Hostname":"h","ProcessGuid":"{B}","Initiated":"true","DestinationIp":"192.168.56.40","DestinationPort":"443"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"TimeCreated":"2022-08-18T06:57:16.618Z","UtcTime":"2022-08-18 13:57:16.613","Hostname":"h","ProcessGuid":"{C}","Image":"C:\\c.exe"}
"#;

#[test]
fn local_time_created_is_estimated_corrected_and_warned_about() {
    let (results, tally) = read(WinEventReader::json("x.jsonl", SHIFTED.as_bytes()));
    assert_eq!(
        summary(&results),
        [
            "line 2 process_start 13:56:13.608",
            // 4688 at TimeCreated + the median offset (7 h less 5 ms, to the quarter hour):
            // now in time order, at the same time as Sysmon's record of that start.
            "line 1 process_start 13:56:26.334",
            "line 3 process_start 13:56:26.334",
            // The stale EID 3 UtcTime (4 days earlier) gives way to TimeCreated + offset.
            "line 4 connect 13:56:27.862",
            "line 5 process_start 13:57:16.613",
        ]
    );
    assert_eq!(tally.records, 5);
    assert_eq!(tally.warnings.len(), 1);
    assert!(
        tally.warnings[0].starts_with("x.jsonl: TimeCreated is +7.00h off UtcTime in 3 process starts"),
        "{}",
        tally.warnings[0]
    );
}

#[test]
fn given_offset_replaces_the_estimate_and_silences_the_warning() {
    let reader = WinEventReader::json("x.jsonl", SHIFTED.as_bytes()).time_offset(Some(Duration::hours(7)));
    let (results, tally) = read(reader);
    assert_eq!(summary(&results)[1], "line 1 process_start 13:56:26.334");
    assert!(tally.warnings.is_empty());
}

#[test]
fn bad_records_are_counted_with_their_line_and_reading_goes_on() {
    let input =
        "\n{not json}\n{\"foo\":1}\n{\"EventID\":1,\"ProcessGuid\":\"{A}\",\"UtcTime\":\"2024-01-01 00:00:00.000\"}\n\
{\"EventID\":1,\"ProcessGuid\":\"{A}\",\"Image\":\"a.exe\"}\n\
{\"EventID\":1,\"ProcessGuid\":\"{A}\",\"Image\":\"a.exe\",\"UtcTime\":\"2024-01-01 00:00:00.000\"}\n";
    let (results, tally) = read(WinEventReader::json("x.jsonl", input.as_bytes()));
    assert_eq!(
        summary(&results),
        [
            "err x.jsonl:line 2: malformed JSON: key must be a string at line 1 column 2",
            "err x.jsonl:line 3: unknown record shape: no Windows event in an object with keys [\"foo\"]",
            "err x.jsonl:line 4: sysmon 1 needs field `Image`",
            "err x.jsonl:line 5: unparseable timestamp `(no UtcTime or TimeCreated)`",
            "line 6 process_start 00:00:00.000",
        ]
    );
    assert_eq!(tally.records, 5);
}

#[test]
fn empty_inputs_have_no_records() {
    for reader in [
        WinEventReader::json("e", &b""[..]),
        WinEventReader::xml("e", &b"\n\n"[..]),
        WinEventReader::json("e", &b"[]"[..]),
    ] {
        let (results, tally) = read(reader);
        assert!(results.is_empty());
        assert_eq!(tally.records, 0);
    }
}

#[test]
fn pretty_printed_documents_and_arrays_are_read_whole() {
    let one = r#"{"EventID":5,"ProcessGuid":"{A}","UtcTime":"2024-01-01 00:00:01.000"}"#;
    let pretty = format!("[\n  {one},\n  {one}\n]\n");
    let (results, _) = read(WinEventReader::json("p.json", std::io::Cursor::new(pretty.into_bytes())));
    assert_eq!(summary(&results), ["record 1 process_end 00:00:01.000", "record 2 process_end 00:00:01.000"]);
    let broken = format!("{{\n \"EventID\": 5,\n{one}");
    let (results, _) = read(WinEventReader::json("b.json", std::io::Cursor::new(broken.into_bytes())));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap_err().reason(), "malformed_json");
}

#[test]
fn linux_sysmon_in_syslog_lines_is_os_linux() {
    let line = "Oct 12 10:00:00 web sysmon: <Event><System><Provider Name=\"Linux-Sysmon\"/><EventID>1</EventID><Computer>web</Computer></System><EventData><Data Name=\"UtcTime\">2022-05-11 18:10:20.123</Data><Data Name=\"ProcessGuid\">{8a1c-1}</Data><Data Name=\"Image\">/usr/bin/bash</Data></EventData></Event>\n";
    let (results, _) = read(WinEventReader::xml("syslog", line.as_bytes()));
    let e = results[0].as_ref().unwrap();
    assert_eq!((e.os, e.host.as_str()), (Some(crate::Os::Linux), "web"));
}

#[test]
fn final_name_after_crdownload_becomes_a_rename_carrying_the_motw() {
    let input = r#"{"EventID":11,"UtcTime":"2024-05-14 09:12:39.880","ProcessGuid":"{C}","TargetFilename":"C:\\Users\\a\\Downloads\\Unconfirmed 481516.crdownload"}
{"EventID":15,"UtcTime":"2024-05-14 09:12:41.547","ProcessGuid":"{C}","TargetFilename":"C:\\Users\\a\\Downloads\\Invoice.iso:Zone.Identifier","Contents":"[ZoneTransfer]  ZoneId=3  HostUrl=https://files.example.org/Invoice.iso  "}
"#;
    let (results, _) = read(WinEventReader::json("x", input.as_bytes()));
    let EventKind::FileWrite { path, op: FileOp::Rename { from }, origin: Some(o), .. } =
        &results[1].as_ref().unwrap().kind
    else {
        panic!("{results:?}")
    };
    assert_eq!(path, r"C:\Users\a\Downloads\Invoice.iso");
    assert!(from.ends_with("Unconfirmed 481516.crdownload"));
    assert_eq!(o.url.as_deref(), Some("https://files.example.org/Invoice.iso"));
}

#[test]
fn mixed_shapes_in_one_stream_are_detected_per_record() {
    let input = r##"{"EventID":5,"ProcessGuid":"{A}","UtcTime":"2024-01-01 00:00:01.000"}
{"winlog":{"event_id":"5","channel":"Microsoft-Windows-Sysmon/Operational","event_data":{"ProcessGuid":"{B}","UtcTime":"2024-01-01 00:00:02.000"}}}
{"Event":{"System":{"EventID":5,"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}}},"EventData":{"ProcessGuid":"{C}","UtcTime":"2024-01-01 00:00:03.000"}}}
{"Event":{"System":{"EventID":"5","Provider":{"@Name":"Microsoft-Windows-Sysmon"}},"EventData":{"Data":[{"@Name":"ProcessGuid","#text":"{D}"},{"@Name":"UtcTime","#text":"2024-01-01 00:00:04.000"}]}}}
{"raw":"<Event><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>5</EventID></System><EventData><Data Name=\"ProcessGuid\">{E}</Data><Data Name=\"UtcTime\">2024-01-01 00:00:05.000</Data></EventData></Event>"}
{"Channel":"Security","EventID":4624,"TimeCreated":"2024-01-01T00:00:06Z"}
"##;
    let (results, tally) = read(WinEventReader::json("m", input.as_bytes()));
    let procs: Vec<String> = results
        .iter()
        .map(|r| match &r.as_ref().unwrap().kind {
            EventKind::ProcessEnd { proc } => proc.to_string(),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(procs, ["a", "b", "c", "d", "e"]);
    assert_eq!((tally.records, tally.skipped.get("unmapped_event_id")), (6, Some(&1)));
}

#[test]
fn not_an_evtx_file_is_one_error_at_offset_0() {
    let err = WinEventReader::evtx("x.evtx", std::io::Cursor::new(b"ElfFile\0short".to_vec())).err().unwrap();
    assert_eq!(err.reason(), "corrupt_evtx");
    assert!(err.to_string().starts_with("x.evtx:offset 0: corrupt EVTX"), "{err}");
}

/// Every prefix of a record stream (cut anywhere, as a crash or a full disk leaves it) reads
/// without a panic, and whatever is read is counted.
#[test]
fn cut_inputs_never_panic() {
    let xml = "<Events><Event><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>11</EventID></System><EventData><Data Name=\"UtcTime\">2024-01-01 00:00:00.000</Data><Data Name=\"ProcessGuid\">{A}</Data><Data Name=\"TargetFilename\">C:\\x&amp;y.exe</Data></EventData></Event>\n</Events>\n";
    for cut in 0..xml.len() {
        let (results, tally) = read(WinEventReader::xml("x", std::io::Cursor::new(xml.as_bytes()[..cut].to_vec())));
        assert_eq!(results.len() as u64, tally.records - tally.skipped.values().sum::<u64>());
    }
    for cut in 0..SHIFTED.len() {
        let (results, tally) =
            read(WinEventReader::json("j", std::io::Cursor::new(SHIFTED.as_bytes()[..cut].to_vec())));
        assert_eq!(results.len() as u64, tally.records - tally.skipped.values().sum::<u64>());
    }
}

#[test]
fn process_first_seen_mid_life_gets_a_start_unless_its_eid_1_follows() {
    // {E}: Edge running before logging began. {N}: its EID 3 is written 4 s before its own
    // EID 1 (UtcTime order), as Sysmon does: it must keep its real start (parent, command line).
    let input = r#"{"EventID":3,"UtcTime":"2024-01-01 00:00:01.000","ProcessGuid":"{E}","Image":"C:\\msedge.exe","Initiated":"true","DestinationIp":"203.0.113.7","DestinationPort":"443"}
{"EventID":11,"UtcTime":"2024-01-01 00:00:02.000","ProcessGuid":"{E}","Image":"C:\\msedge.exe","TargetFilename":"C:\\Users\\a\\Downloads\\x.exe"}
{"EventID":3,"UtcTime":"2024-01-01 00:00:03.000","ProcessGuid":"{N}","Image":"C:\\net.exe","Initiated":"true","DestinationIp":"203.0.113.7","DestinationPort":"443"}
{"EventID":1,"UtcTime":"2024-01-01 00:00:07.000","ProcessGuid":"{N}","ParentProcessGuid":"{E}","Image":"C:\\net.exe","CommandLine":"net.exe --type=utility"}
"#;
    let (results, tally) = read(WinEventReader::json("m", input.as_bytes()));
    let got: Vec<String> = results
        .iter()
        .map(|r| {
            let e = r.as_ref().unwrap();
            match &e.kind {
                EventKind::ProcessStart { proc, parent, image, .. } => {
                    format!("start {proc} parent={} {image}", parent.as_ref().map_or("-".into(), |p| p.to_string()))
                }
                k => format!("{} {}", k.tag(), e.source.pos),
            }
        })
        .collect();
    assert_eq!(
        got,
        [
            r"start e parent=- C:\msedge.exe",
            "connect line 1",
            "file_write line 2",
            "connect line 3",
            r"start n parent=e C:\net.exe",
        ]
    );
    assert_eq!((tally.records, tally.starts_built), (4, 1));
}

/// Regression: in the OTRF wevtutil recording EID 22 carries the same stale (4 days early)
/// UtcTime as EID 3, so DNS answers landed days before the connects they name.
#[test]
fn stale_dns_query_time_gives_way_to_time_created() {
    let stale = r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":22,"TimeCreated":"2022-08-18T06:56:27.000Z","UtcTime":"2022-08-14 10:00:00.000","Hostname":"h","ProcessGuid":"{B}","QueryName":"arc.msn.com","QueryResults":"::ffff:52.184.215.140;"}
"#;
    let (results, _) =
        read(WinEventReader::json("x.jsonl", std::io::Cursor::new(format!("{SHIFTED}{stale}").into_bytes())));
    let dns = results.iter().map(|r| r.as_ref().unwrap()).find(|e| e.kind.tag() == "dns_answer").unwrap();
    assert_eq!(dns.time.format("%Y-%m-%d %H:%M:%S%.3f").to_string(), "2022-08-18 13:56:27.000");
}

/// Records are counted in batches: all of them are in the tally once the reader is done or
/// dropped, whichever comes first.
#[test]
fn tally_counts_every_record_read_when_the_reader_ends_or_is_dropped() {
    let line = r#"{"EventID":5,"Channel":"Microsoft-Windows-Sysmon/Operational","UtcTime":"2024-01-01 00:00:00.000","ProcessGuid":"{A}"}"#;
    let input = format!("{line}\n").repeat(3000);
    let mut reader = WinEventReader::json("x.jsonl", std::io::Cursor::new(input.clone().into_bytes()));
    let tally = reader.tally();
    assert!(reader.next().is_some());
    drop(reader);
    assert_eq!(tally.snapshot().records, 3000);
    let (results, tally) = read(WinEventReader::json("x.jsonl", std::io::Cursor::new(input.into_bytes())));
    assert_eq!((results.len(), tally.records), (3000, 3000));
}

/// Every EVTX file at hand read through the parallel chunk reader (whatever its size, which
/// `evtx_parallel` would keep on one thread below `PARALLEL_MIN_BYTES`) gives the sequential
/// reader's events, errors and tally, in the same order.
#[test]
fn parallel_chunks_read_every_evtx_file_as_the_sequential_reader() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|e| e == "evtx") {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("../tests/data/windows"), &mut paths);
    assert!(!paths.is_empty(), "the repository's sysmon.evtx");
    if let Some(shared) = crate::shared_data::shared_data("windows") {
        let fixtures = paths.len();
        files(&shared, &mut paths);
        assert!(paths.len() > fixtures, "EVTX files under {}", shared.display());
    }
    let seen = |reader: WinEventReader| {
        let (results, tally) = read(reader);
        let mut lines: Vec<String> = results.iter().map(|r| format!("{r:?}")).collect();
        lines.push(format!("{tally:?}"));
        lines
    };
    for path in &paths {
        let open = || std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let one = seen(WinEventReader::evtx("f.evtx", open()).unwrap());
        for workers in [1, 2, 3] {
            let source = evtx::parallel(evtx::open(open()).unwrap(), workers);
            let many = seen(WinEventReader::with_source("f.evtx", Box::new(source)));
            assert_eq!(many, one, "{} on {workers} threads", path.display());
        }
    }
}

/// A 4688 line on host `host` at second `s`: pid `new` of `image` created by `creator`.
fn security_start(host: &str, s: u32, new: u32, creator: u32, image: &str, parent_image: &str) -> String {
    format!(
        r#"{{"Channel":"Security","EventID":4688,"TimeCreated":"2024-01-01T10:00:{s:02}.000Z","Hostname":"{host}","NewProcessId":"{new:#x}","ProcessId":"{creator:#x}","NewProcessName":"{image}","ParentProcessName":"{parent_image}"}}"#
    )
}

#[test]
fn creator_named_by_no_earlier_record_gets_a_start_from_parent_process_name() {
    let lines = [
        // Outlook (pid 8) started before the log: built from Edge's `ParentProcessName`.
        security_start("a", 1, 20, 8, r"C:\\e\\msedge.exe", r"C:\\o\\OUTLOOK.EXE"),
        // Edge (20) was logged starting: nothing built for its child.
        security_start("a", 2, 21, 20, r"C:\\e\\msedge.exe", r"C:\\e\\msedge.exe"),
        // Pid 8 on another host is another process.
        security_start("b", 3, 30, 8, r"C:\\x\\cmd.exe", r"C:\\x\\explorer.exe"),
        // Outlook's second child: built once.
        security_start("a", 4, 22, 8, r"C:\\x\\winword.exe", r"C:\\o\\OUTLOOK.EXE"),
        // Pid 40 is named only later (by a 4689, then reused): the creator at 5 s is another,
        // earlier holder, and gets its start.
        security_start("a", 5, 41, 40, r"C:\\x\\conhost.exe", r"C:\\x\\svchost.exe"),
        r#"{"Channel":"Security","EventID":4689,"TimeCreated":"2024-01-01T10:00:06.000Z","Hostname":"a","ProcessId":"0x28"}"#.to_owned(),
        security_start("a", 7, 40, 20, r"C:\\x\\notepad.exe", r"C:\\e\\msedge.exe"),
        // No `ParentProcessName` (before Windows 10), or `-`: nothing to build from.
        security_start("a", 8, 51, 50, r"C:\\x\\a.exe", "-"),
        r#"{"Channel":"Security","EventID":4688,"TimeCreated":"2024-01-01T10:00:09.000Z","Hostname":"a","NewProcessId":"0x3d","ProcessId":"0x3c","NewProcessName":"C:\\x\\b.exe"}"#.to_owned(),
    ];
    let text = lines.join("\n") + "\n";
    let (results, tally) = read(WinEventReader::json("x.jsonl", std::io::Cursor::new(text)));
    let built: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.as_ref().unwrap().kind {
            EventKind::ProcessStart { proc, parent: None, image, .. } => {
                Some(format!("{} {proc} {image}", r.as_ref().unwrap().host))
            }
            _ => None,
        })
        .collect();
    assert_eq!(built, [r"a pid:8 C:\o\OUTLOOK.EXE", r"b pid:8 C:\x\explorer.exe", r"a pid:40 C:\x\svchost.exe"]);
    assert_eq!((tally.records, tally.starts_built), (9, 3));
}

/// Regression (long_running_process_built_again_once_the_guid_set_was_full): the reader
/// cleared its set of started GUIDs at 65,536, and every long-running process then got a
/// second start built from its next event (233 duplicate starts on a 1M-event synthetic
/// stream). Processes it keeps seeing are remembered now.
#[test]
fn long_running_process_is_not_built_again_after_many_starts() {
    let line = |s: u64, eid: u32, guid: &str, extra: &str| {
        format!(
            r#"{{"EventID":{eid},"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"h","UtcTime":"2024-01-01 10:{:02}:{:02}.{:03}","ProcessGuid":"{{{guid}}}","Image":"C:\\x\\{guid}.exe"{extra}}}"#,
            s / 60_000 % 60,
            s / 1000 % 60,
            s % 1000
        )
    };
    let connect = r#","Initiated":"true","DestinationIp":"192.0.2.1","DestinationPort":"443""#;
    let mut text = line(0, 1, "explorer", "") + "\n";
    for i in 1..=80_000u64 {
        text += &line(i * 10, 1, &format!("p{i}"), "");
        text.push('\n');
        if i % 5_000 == 0 {
            text += &line(i * 10, 3, "explorer", connect);
            text.push('\n');
        }
    }
    let (results, tally) = read(WinEventReader::json("x.jsonl", std::io::Cursor::new(text)));
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 0);
    assert_eq!((tally.records, tally.starts_built), (80_017, 0));
}

#[test]
fn records_mapped_on_the_parsing_thread_or_the_reading_one_read_the_same() {
    // A single parsing thread maps some records and leaves the others to the reader, as its
    // backlog goes (`MapWhere`): any split must give the same events, errors and counts.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = ["../tests/scenarios", "../tests/data/windows"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root.join(dir)).into_iter().flatten().flatten())
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    assert!(paths.len() > 10, "the scenario corpus's Windows JSON files: {}", paths.len());
    let seen = |path: &std::path::Path, map_here: &dyn Fn(usize) -> bool| {
        let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let raws: Vec<Raw> = json_source::JsonSource::new(file)
            .enumerate()
            .map(|(i, raw)| if map_here(i) { premapped(raw) } else { raw })
            .collect();
        let (results, tally) = read(WinEventReader::with_source("f.jsonl", Box::new(raws.into_iter())));
        let mut lines: Vec<String> = results.iter().map(|r| format!("{r:?}")).collect();
        lines.push(format!("{tally:?}"));
        lines
    };
    for path in &paths {
        let on_reader = seen(path, &|_| false);
        assert!(on_reader.len() > 1, "{} has records", path.display());
        let splits: [&dyn Fn(usize) -> bool; 3] = [&|_| true, &|i| i % 2 == 0, &|i| i % 3 == 1];
        for (n, map_here) in splits.iter().enumerate() {
            assert_eq!(seen(path, map_here), on_reader, "{} split {n}", path.display());
        }
    }
}

/// nxlog as OTRF ships it: no `TimeCreated`, `@timestamp` when the shipper took the record (here
/// 95 s late for the 4688) and `EventTime` in the host's local time (4 h behind UTC, whole
/// seconds). The 4688 takes `EventTime` corrected by the zone the EID 1s give, so it lands within
/// a second of its EID 1 instead of the shipper's lag after it.
#[test]
fn nxlog_event_time_dates_records_without_utc_time() {
    let line = |t: &str, local: &str, rest: &str| {
        format!(r#"{{"Hostname":"h","@timestamp":"{t}","EventTime":"{local}",{rest}}}"#)
    };
    let sysmon = |utc: &str, guid: &str| {
        format!(
            r#""Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"UtcTime":"{utc}","ProcessGuid":"{{{guid}}}","Image":"C:\\a.exe""#
        )
    };
    let text = [
        line("2020-10-09T22:30:20.100Z", "2020-10-09 18:30:10", &sysmon("2020-10-09 22:30:10.400", "A")),
        line("2020-10-09T22:31:45.000Z", "2020-10-09 18:30:10", r#""Channel":"Security","EventID":4688,"NewProcessId":"0x1f4","ProcessId":"0x2d4","NewProcessName":"C:\\a.exe""#),
        line("2020-10-09T22:30:21.000Z", "2020-10-09 18:30:11", &sysmon("2020-10-09 22:30:11.900", "B")),
        line("2020-10-09T22:30:22.000Z", "2020-10-09 18:30:12", &sysmon("2020-10-09 22:30:12.050", "C")),
    ]
    .join("\n");
    let (results, _) = read(WinEventReader::json("x.jsonl", std::io::Cursor::new(text.into_bytes())));
    let s = summary(&results);
    assert!(s.contains(&"line 2 process_start 22:30:10.000".to_owned()), "{s:?}");
}
