use super::*;

fn read(log: &str) -> (Vec<Result<Event, String>>, BTreeMap<&'static str, u64>) {
    let mut r = ZeekDnsReader::new("dns.log", log.as_bytes());
    let out = r.by_ref().map(|x| x.map_err(|e| format!("{e} [{}]", e.reason()))).collect();
    (out, r.skipped().clone())
}

#[test]
fn json_answers_keep_addresses_and_drop_cnames() {
    let log = r#"{"ts":1719651901.25,"id.orig_h":"10.0.0.5","query":"a.top","answers":["b.top","203.0.113.77","2001:db8::1"]}
{"ts":"2024-06-29T09:05:02.000000Z","id.orig_h":"10.0.0.5","query":"c.top","rcode_name":"NXDOMAIN"}
{"ts":true,"query":"x"}
not json
"#;
    let (out, skipped) = read(log);
    let ev = out[0].as_ref().unwrap();
    assert_eq!((ev.host.as_str(), ev.time.timestamp_millis()), ("10.0.0.5", 1_719_651_901_250));
    let EventKind::DnsAnswer { query, answers, proc: None } = &ev.kind else { panic!() };
    assert_eq!((query.as_str(), answers.len()), ("a.top", 2));
    assert_eq!(out[1].as_ref().unwrap_err(), "dns.log:line 3: unparseable timestamp `true` [bad_timestamp]");
    assert!(out[2].as_ref().unwrap_err().ends_with("[malformed_json]"));
    assert_eq!(out.len(), 3);
    assert_eq!(skipped.get("no_address_answer"), Some(&1));
}

#[test]
fn tsv_with_fields_header() {
    let log = "#separator \\x09\n#set_separator\t,\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tquery\tanswers\n#types\ttime\tstring\taddr\tstring\tvector[string]\n1719651901.000000\tC1\t10.0.0.5\ta.top\tb.top,203.0.113.77\n1719651902.000000\tC2\t10.0.0.5\tc.top\t-\n1719651903.000000\tC3\t10.0.0.5\n#close\t2024-06-29-10-00-00\n";
    assert!(sniff(log.as_bytes()));
    let (out, skipped) = read(log);
    assert_eq!(out.len(), 2);
    let EventKind::DnsAnswer { answers, .. } = &out[0].as_ref().unwrap().kind else { panic!() };
    assert_eq!(answers, &["203.0.113.77".parse::<IpAddr>().unwrap()]);
    assert_eq!(
        out[1].as_ref().unwrap_err(),
        "dns.log:line 8: malformed record: 3 columns, #fields names 5 [malformed_record]"
    );
    assert_eq!(skipped.get("no_address_answer"), Some(&1));
}

#[test]
fn sniffs_zeek_dns_only() {
    assert!(sniff(br#"{"ts":1.0,"uid":"C","id.orig_h":"10.0.0.5","query":"a"}"#));
    assert!(!sniff(br#"{"time":1,"kind":"dns_answer","query":"a"}"#));
    assert!(!sniff(b"#separator \\x09\n#path\tconn\n"));
}
