use proptest::prelude::*;

use super::wire;
use crate::native::wire::Wire;

/// What `serde_json` reads from `line`, as JSON (`Wire` serialises every field it holds).
fn by_serde(line: &str) -> Option<serde_json::Value> {
    serde_json::from_str::<Wire>(line).ok().map(|w| serde_json::to_value(w).unwrap())
}

/// The fast path either leaves `line` to serde or reads exactly what serde reads.
fn check(line: &str) -> Result<bool, TestCaseError> {
    let Some(fast) = wire(line) else { return Ok(false) };
    let fast = serde_json::to_value(fast).unwrap();
    prop_assert_eq!(Some(fast), by_serde(line), "{}", line);
    Ok(true)
}

const KEYS: &[&str] = &[
    "time",
    "host",
    "os",
    "kind",
    "proc",
    "parent",
    "image",
    "command_line",
    "user",
    "url",
    "query",
    "answers",
    "dst_ip",
    "dst_port",
    "domain",
    "path",
    "op",
    "from",
    "origin",
    "attr",
    "fork",
    "session",
    "extra",
    "ti\\u006de",
    "",
];

const VALUES: &[&str] = &[
    r#""2024-05-14T09:00:00Z""#,
    r#""""#,
    r#""plain text""#,
    r#""C:\\Users\\u\\Downloads\\a.exe""#,
    r#""quote \" slash \/ controls \b\f\n\r\t""#,
    r#""\u0041""#,
    "\"raw\ttab\"",
    r#""ünïcødé""#,
    r#""windows""#,
    r#""linux""#,
    r#""macos""#,
    r#""Windows""#,
    r#""motw_removed""#,
    r#""executable""#,
    r#""quarantine_set""#,
    r#""quarantine_removed""#,
    r#""file_write""#,
    "0",
    "443",
    "65536",
    "4294967296",
    "9223372036854775808",
    "18446744073709551616",
    "-1",
    "-0",
    "01",
    "1.0",
    "1e3",
    "true",
    "false",
    "null",
    "nul",
    r#"{"id":"g-1","pid":7}"#,
    r#"{"id":"g-1"}"#,
    r#"{"pid":7}"#,
    r#"{"id":"a","id":"b"}"#,
    r#"{"pid":"7"}"#,
    r#"{"other":1}"#,
    "{}",
    r#"{"zone":3,"url":"https://x.test/a"}"#,
    r#"["203.0.113.7","::1"]"#,
    "[]",
    "[1]",
    r#"["a",null]"#,
    "[[]]",
];

fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\t", "\r\n", "  "])
}

fn member() -> impl Strategy<Value = String> {
    (prop::sample::select(KEYS), prop::sample::select(VALUES), ws(), ws())
        .prop_map(|(k, v, a, b)| format!("\"{k}\"{a}:{b}{v}"))
}

fn line() -> impl Strategy<Value = String> {
    (prop::collection::vec((member(), ws()), 0..8), ws(), ws()).prop_map(|(members, lead, tail)| {
        let body: Vec<String> = members.into_iter().map(|(m, w)| format!("{m}{w}")).collect();
        format!("{lead}{{{}}}{tail}", body.join(","))
    })
}

/// A line with one edit: cut short, a byte put in, or a byte taken out.
fn damaged() -> impl Strategy<Value = String> {
    (line(), any::<prop::sample::Index>(), prop::sample::select(b"{}[],:\"\\ 0a-".to_vec()), 0..3u8).prop_map(
        |(line, at, byte, how)| {
            let mut bytes = line.into_bytes();
            let i = at.index(bytes.len() + 1);
            match how {
                0 => bytes.truncate(i),
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => drop(bytes.remove(i)),
                _ => {}
            }
            String::from_utf8_lossy(&bytes).into_owned()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn fast_path_reads_what_serde_reads(line in line()) {
        check(&line)?;
    }

    #[test]
    fn fast_path_never_accepts_a_damaged_line_serde_rejects(line in damaged()) {
        check(&line)?;
    }
}

#[test]
fn common_lines_take_the_fast_path() {
    for line in [
        r#"{"time":"2024-06-03T08:00:00.020Z","host":"WS-1","os":"windows","kind":"process_start","proc":"{5EED0031-66A1-11EF-0000-000000000001}","image":"C:\\Windows\\System32\\services.exe","user":"NT AUTHORITY\\SYSTEM"}"#,
        r#"{"time":"2024-06-03T08:00:00.335Z","host":"lnx-1","os":"linux","kind":"process_start","proc":1,"parent":{"id":"p","pid":0},"image":"/usr/lib/systemd/systemd","user":"root","fork":false}"#,
        r#"{"time":1717401600000,"host":"h","kind":"dns_answer","query":"example.org","answers":["93.184.215.14","2606:2800:21f:cb07:6820:80da:af6b:8b2c"]}"#,
        r#" { "time" : "2024-06-03T08:00:01Z" , "kind" : "connect", "proc":"g", "dst_ip":"203.0.113.7", "dst_port":443, "domain":null, "note":"skipped" } "#,
    ] {
        assert!(check(line).unwrap(), "left to serde: {line}");
    }
}

#[test]
fn repeated_fields_are_left_to_serde_which_rejects_them() {
    let line = r#"{"time":"2024-06-03T08:00:00Z","kind":"process_end","proc":"a","proc":"b"}"#;
    assert!(wire(line).is_none());
    assert!(by_serde(line).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Any text of JSON's alphabet: no panic, and never a line serde rejects.
    #[test]
    fn fast_path_on_arbitrary_text(line in r#"[{}\[\]:,"\\ut0-9a-f .eE+\-nlrs\x00-\x1f\u{e9}]{0,60}"#) {
        check(&line)?;
    }
}
