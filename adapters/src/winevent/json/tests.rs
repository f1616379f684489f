use proptest::strategy::Strategy as _;

use super::*;

fn parse(text: &str) -> Result<WinRecord, RecordError> {
    parse_value(&serde_json::from_str(text).unwrap())
}

#[test]
fn shape_a_flattened() {
    let r = parse(r#"{"@timestamp":"2024-05-14T02:12:44.101Z","EventTime":"2024-05-14 11:12:44","Hostname":"WS-042","Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","EventID":3,"UtcTime":"2024-05-14 09:12:38.902","ProcessId":"8120","Initiated":"true"}"#).unwrap();
    assert_eq!(r.event_id, 3);
    assert_eq!(r.computer.as_deref(), Some("WS-042"));
    assert_eq!(r.get("Initiated"), Some("true"));
    assert_eq!(r.time_created.unwrap().to_rfc3339(), "2024-05-14T02:12:44.101+00:00");
}

#[test]
fn shape_b_winlogbeat() {
    let r = parse(r#"{"@timestamp":"2024-05-14T09:12:38.700Z","host":{"name":"ws-042"},"winlog":{"event_id":"22","channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","record_id":88190,"event_data":{"QueryName":"files.example.org","ProcessId":"7404"}}}"#).unwrap();
    assert_eq!((r.event_id, r.record_id), (22, Some(88190)));
    assert_eq!(r.computer.as_deref(), Some("ws-042"));
    assert_eq!(r.get("QueryName"), Some("files.example.org"));
}

#[test]
fn shape_c_evtx_crate_with_typed_values() {
    let r = parse(r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":22,"TimeCreated":{"#attributes":{"SystemTime":"2024-05-14T09:12:38.700412Z"}},"EventRecordID":88190,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS-042"},"EventData":{"ProcessId":7404,"QueryName":"files.example.org"}}}"##).unwrap();
    assert_eq!(r.provider.as_deref(), Some("Microsoft-Windows-Sysmon"));
    assert_eq!(r.get("ProcessId"), Some("7404"));
    assert_eq!(r.record_id, Some(88190));
}

#[test]
fn shape_c_event_id_with_qualifiers() {
    let r = parse(r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":0},"#text":4688},"Channel":"Security"},"EventData":{"NewProcessId":"0x1d2c"}}}"##).unwrap();
    assert_eq!(r.event_id, 4688);
}

#[test]
fn shape_d_data_list() {
    let r = parse(r##"{"Event":{"System":{"Provider":{"@Name":"Microsoft-Windows-Sysmon"},"EventID":"11","TimeCreated":{"@SystemTime":"2024-05-14T09:12:39.9Z"}},"EventData":{"Data":[{"@Name":"TargetFilename","#text":"C:\\Users\\a\\Downloads\\x.iso"},{"@Name":"CommandLine","#text":null},{"@Name":"Hashes","#text":"MD5=1"}]}}}"##).unwrap();
    assert_eq!(r.event_id, 11);
    assert_eq!(r.get("TargetFilename"), Some("C:\\Users\\a\\Downloads\\x.iso"));
    assert_eq!(r.get("CommandLine"), Some(""));
    // Fields the mapping does not read are not copied.
    assert_eq!(r.get("Hashes"), None);
    assert!(r.has_data);
    assert!(r.time_created.is_some());
}

#[test]
fn shape_e_xml_inside_json() {
    let r = parse(r#"{"TimeGenerated":"2022-05-11T18:10:20Z","SyslogMessage":"<Event><System><Provider Name=\"Linux-Sysmon\"/><EventID>3</EventID></System><EventData><Data Name=\"Image\">/usr/bin/bash</Data></EventData></Event>"}"#).unwrap();
    assert_eq!(r.provider.as_deref(), Some("Linux-Sysmon"));
    assert_eq!(r.get("Image"), Some("/usr/bin/bash"));
}

#[test]
fn unknown_shapes_are_named() {
    for text in [r#"{"foo":1,"bar":"x"}"#, "[1,2]", r#"{"EventID":"four"}"#] {
        let e = parse(text).unwrap_err();
        assert!(matches!(e.reason(), "unknown_shape" | "bad_value"), "{text}: {e}");
    }
    assert_eq!(parse(r#"{"foo":1}"#).unwrap_err().reason(), "unknown_shape");
}

/// The fast path for flattened lines reads every OTRF fixture line as the `Value` path does.
#[test]
fn flat_fast_path_equals_the_value_path_on_real_lines() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/windows");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            assert_flat_equals_value_path(line);
            checked += 1;
        }
    }
    assert_eq!(checked, 96 + 51 + 24 + 706);
}

/// `parse_flat_line` reads `line` as the `Value` path does (fields without text aside: the
/// `Value` path leaves them out, the flat one keeps them empty).
fn assert_flat_equals_value_path(line: &str) {
    let fast = parse_flat_line(line.as_bytes()).unwrap().expect("a flattened record");
    let slow = parse(line).unwrap();
    let fields = |r: &WinRecord| {
        let mut d: Vec<(&str, String)> =
            r.data.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k, v.to_owned())).collect();
        d.sort();
        d
    };
    assert_eq!(
        (&fast.provider, &fast.channel, fast.event_id, &fast.computer, fast.time_created, fast.record_id),
        (&slow.provider, &slow.channel, slow.event_id, &slow.computer, slow.time_created, slow.record_id),
        "{line}"
    );
    assert_eq!(fields(&fast), fields(&slow), "{line}");
}

proptest::proptest! {
    /// Lines of any text (escapes of every kind, `\u` ones and surrogate pairs included),
    /// numbers, booleans and nulls read the same through the flat paths (scan or serde) and
    /// the `Value` path.
    #[test]
    fn flat_line_equals_the_value_path(
        values in proptest::collection::vec(
            (
                proptest::sample::select(vec!["Image", "CommandLine", "User", "ProcessId", "Channel", "Hostname", "TimeCreated", "Hashes", "UtcTime"]),
                proptest::prop_oneof![
                    "(\\PC|[\\\\\"/\u{8}\u{c}\n\r\t\u{1}\u{1F600}])*".prop_map(serde_json::Value::from),
                    proptest::num::i64::ANY.prop_map(serde_json::Value::from),
                    proptest::bool::ANY.prop_map(serde_json::Value::from),
                    proptest::strategy::Just(serde_json::Value::Null),
                    proptest::strategy::Just(serde_json::Value::from("2024-05-14T09:13:02.118Z")),
                ],
            ),
            0..6,
        ),
        long_escapes in proptest::bool::ANY,
    ) {
        let mut line = String::from(r#"{"EventID":1"#);
        for (k, v) in &values {
            line.push_str(&format!(",{}:{}", serde_json::to_string(k).unwrap(), v));
        }
        line.push('}');
        if long_escapes {
            line = line.replace('A', "\\u0041").replace('/', "\\/");
        }
        assert_flat_equals_value_path(&line);
    }
}

#[test]
fn flat_fast_path_leaves_other_shapes_to_the_value_path() {
    for line in [
        r#"[1,2]"#,
        r#"{"winlog":{"event_id":1}}"#,
        r#"{"Event":{"System":{}},"EventID":1}"#,
        r#"{"EventID":"four"}"#,
        r#"{"foo":1}"#,
    ] {
        assert!(parse_flat_line(line.as_bytes()).unwrap().is_none(), "{line}");
    }
    assert!(parse_flat_line(b"{\"EventID\":1,").unwrap_err().is_eof());
}

#[test]
fn evtx_json_fast_path_equals_the_value_path() {
    let texts = [
        r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":3,"TimeCreated":{"#attributes":{"SystemTime":"2024-05-14T09:12:38.700412Z"}},"EventRecordID":7,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS-042"},"EventData":{"ProcessId":7404,"Initiated":true,"DestinationPort":443,"Image":"C:\\a \"b\".exe","Hashes":"x","RuleName":null}}}"##,
        r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":0},"#text":4688},"Channel":"Security"},"EventData":{"NewProcessId":"0x1d2c"}}}"##,
        r##"{"Event":{"System":{"EventID":1},"EventData":{"Data":[{"@Name":"Image","#text":"a.exe"}]}}}"##,
        r##"{"Event":{"System":{"EventID":1},"EventData":null}}"##,
    ];
    for t in texts {
        // Field order is not kept by the fast path (fields are looked up by name).
        let sorted = |mut r: WinRecord| {
            r.data.sort();
            format!("{r:?}")
        };
        assert_eq!(sorted(parse_evtx_json(t).unwrap()), sorted(parse(t).unwrap()), "{t}");
    }
    assert_eq!(parse_evtx_json("{not json").unwrap_err().reason(), "malformed_json");
}

proptest::proptest! {
    /// Strings unescape as `serde_json` does, whatever their escapes.
    #[test]
    fn unescape_equals_serde(s in "(\\PC|[\\\\\"/\u{8}\u{c}\n\r\t\u{1}\u{1F600}])*") {
        let json = serde_json::to_string(&s).unwrap();
        let raw: &serde_json::value::RawValue = serde_json::from_str(&json).unwrap();
        proptest::prop_assert_eq!(raw_text(raw.get()), Some(s.clone()));
        // Escapes written the long way (`\u0041`) too.
        let long: String = json.chars().map(|c| if c == 'A' { "\\u0041".to_owned() } else { c.to_string() }).collect();
        proptest::prop_assert_eq!(unescape(&long[1..long.len() - 1]), Some(s));
    }
}

/// The typed fast path for the evtx crate's JSON reads every record of the fixture EVTX as the
/// `Value` path does (field order aside).
#[test]
fn evtx_json_fast_path_equals_the_value_path_on_real_records() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/windows/sysmon.evtx");
    let settings = ::evtx::ParserSettings::new().indent(false);
    let mut parser = ::evtx::EvtxParser::from_path(path).unwrap().with_configuration(settings);
    let sorted = |mut r: WinRecord| {
        r.data.sort();
        format!("{r:?}")
    };
    let mut checked = 0;
    for record in parser.records_json().flatten() {
        assert_eq!(
            sorted(parse_evtx_json(&record.data).unwrap()),
            sorted(parse(&record.data).unwrap()),
            "{}",
            record.data
        );
        checked += 1;
    }
    assert_eq!(checked, 358);
}

#[test]
fn evtx_json_fast_path_keeps_null_and_odd_system_values() {
    for t in [
        r##"{"Event":{"System":{"EventID":null,"Channel":"Security"},"EventData":{"NewProcessId":"0x1"}}}"##,
        r##"{"Event":{"System":{"EventID":4688,"Channel":null,"Computer":7},"EventData":{"User":{"#text":"a\\b"},"Image":["x"],"Data":1}}}"##,
        r##"{"Event":{"System":{"EventID":4688,"EventID":4689},"EventData":{"Image":"a","Image":"b","Im\u0061ge":"c"}}}"##,
        r##"{"Event":{"System":null}}"##,
        r##"{"Event":{"System":{"EventID":"7"},"EventData":{}}}"##,
    ] {
        let show = |r: Result<WinRecord, RecordError>| match r {
            Ok(mut r) => {
                r.data.sort();
                format!("{r:?}")
            }
            Err(e) => e.reason().to_owned(),
        };
        assert_eq!(show(parse_evtx_json(t)), show(parse(t)), "{t}");
    }
}

/// Shipper damage (OTRF): a 4689 without `ProcessId` takes it from its rendered `Message`, on
/// both paths; one with neither stays without it (the mapping skips it).
#[test]
fn exit_pid_lost_by_the_shipper_comes_from_the_message() {
    let damaged = r#"{"Channel":"Security","EventID":4689,"Hostname":"h","@timestamp":"2020-10-09T22:30:27.156Z","Message":"A process has exited.\r\n\r\nProcess Information:\r\n\tProcess ID:\t0x4e0\r\n\tProcess Name:\tC:\\Windows\\System32\\svchost.exe","ProcessName":"C:\\Windows\\System32\\svchost.exe"}"#;
    let fast = parse_flat_line(damaged.as_bytes()).unwrap().unwrap();
    let value = parse_value(&serde_json::from_str(damaged).unwrap()).unwrap();
    assert_eq!((fast.get("ProcessId"), value.get("ProcessId")), (Some("0x4e0"), Some("0x4e0")));
    let intact = damaged.replace(r#""Hostname""#, r#""ProcessId":"0x10","Hostname""#);
    assert_eq!(parse_flat_line(intact.as_bytes()).unwrap().unwrap().get("ProcessId"), Some("0x10"));
    let bare = r#"{"Channel":"Security","EventID":4689,"Hostname":"h","@timestamp":"2020-10-09T22:30:27.156Z"}"#;
    assert_eq!(parse_flat_line(bare.as_bytes()).unwrap().unwrap().get("ProcessId"), None);
}
