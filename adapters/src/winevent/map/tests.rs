use super::*;

fn sysmon(eid: u32, fields: &[(&'static str, &str)]) -> WinRecord {
    WinRecord {
        provider: Some("Microsoft-Windows-Sysmon".into()),
        event_id: eid,
        has_data: !fields.is_empty(),
        data: fields.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        ..WinRecord::default()
    }
}

fn kind(r: &WinRecord) -> EventKind {
    match map(r).unwrap() {
        Mapped::Event { kind, .. } => kind,
        Mapped::Skip(reason) => panic!("skipped: {reason}"),
    }
}

fn skip(r: &WinRecord) -> &'static str {
    match map(r).unwrap() {
        Mapped::Skip(reason) => reason,
        Mapped::Event { kind, .. } => panic!("mapped: {kind:?}"),
    }
}

const G: &str = "{3F1C2B7A-2E11-6643-9A01-000000001A00}";

#[test]
fn process_create_normalises_guids() {
    let r = sysmon(
        1,
        &[
            ("UtcTime", "2024-05-14 09:13:02.118"),
            ("ProcessGuid", G),
            ("Image", r"C:\Windows\System32\mshta.exe"),
            ("CommandLine", "mshta.exe x.hta"),
            ("ParentProcessGuid", "94F748D5-1F0A-6643-1C00-000000001A00"),
            ("User", "CORP\\alice"),
        ],
    );
    let EventKind::ProcessStart { proc, parent, command_line, .. } = kind(&r) else { panic!() };
    assert_eq!(proc, ProcKey::Id("3f1c2b7a-2e11-6643-9a01-000000001a00".into()));
    assert_eq!(parent, Some(ProcKey::Id("94f748d5-1f0a-6643-1c00-000000001a00".into())));
    assert_eq!(command_line.as_deref(), Some("mshta.exe x.hta"));
    let Mapped::Event { utc_time, os, .. } = map(&r).unwrap() else { panic!() };
    assert_eq!(os, Os::Windows);
    assert_eq!(utc_time.unwrap().to_rfc3339(), "2024-05-14T09:13:02.118+00:00");
}

#[test]
fn sysmon_names_processes_by_guid_and_pid_when_it_has_the_pid() {
    let r = sysmon(
        1,
        &[
            ("ProcessGuid", G),
            ("ProcessId", "3432"),
            ("Image", "a.exe"),
            ("ParentProcessGuid", G),
            ("ParentProcessId", "x"),
        ],
    );
    let EventKind::ProcessStart { proc, parent, .. } = kind(&r) else { panic!() };
    assert_eq!(proc, ProcKey::IdAndPid("3f1c2b7a-2e11-6643-9a01-000000001a00".into(), 3432));
    // An unreadable pid leaves the GUID alone.
    assert_eq!(parent, Some(ProcKey::Id("3f1c2b7a-2e11-6643-9a01-000000001a00".into())));
    let r = sysmon(
        3,
        &[
            ("ProcessGuid", G),
            ("ProcessId", "8120"),
            ("Initiated", "true"),
            ("DestinationIp", "192.0.2.7"),
            ("DestinationPort", "443"),
        ],
    );
    assert!(matches!(kind(&r), EventKind::Connect { proc: ProcKey::IdAndPid(_, 8120), .. }));
}

#[test]
fn zero_parent_guid_is_no_parent_and_zero_process_guid_is_skipped() {
    let r = sysmon(
        1,
        &[("ProcessGuid", G), ("Image", "a.exe"), ("ParentProcessGuid", "{00000000-0000-0000-0000-000000000000}")],
    );
    assert!(matches!(kind(&r), EventKind::ProcessStart { parent: None, .. }));
    assert_eq!(skip(&sysmon(11, &[("ProcessGuid", "{00000000-0000-0000-0000-000000000000}")])), "no_process_guid");
}

#[test]
fn only_initiated_connections_are_egress() {
    let base = [
        ("ProcessGuid", G),
        ("DestinationIp", "::ffff:203.0.113.77"),
        ("DestinationPort", "443"),
        ("DestinationHostname", "a23-1.deploy.akamaitechnologies.com"),
    ];
    let mut out = base.to_vec();
    out.push(("Initiated", "true"));
    let EventKind::Connect { dst_ip, dst_port, domain, .. } = kind(&sysmon(3, &out)) else { panic!() };
    assert_eq!((dst_ip.to_string().as_str(), dst_port, domain), ("203.0.113.77", 443, None));
    let mut inbound = base.to_vec();
    inbound.push(("Initiated", "false"));
    assert_eq!(skip(&sysmon(3, &inbound)), "inbound_connection");
    assert_eq!(skip(&sysmon(3, &base)), "inbound_connection");
}

#[test]
fn dns_answers_drop_cnames_and_ipv4_mapped_prefixes() {
    assert_eq!(
        query_results("type:  5 edge-7.cdn.example.net;::ffff:203.0.113.77;2001:db8::1;;garbage;"),
        ["203.0.113.77".parse::<IpAddr>().unwrap(), "2001:db8::1".parse().unwrap()]
    );
    let r =
        sysmon(22, &[("ProcessGuid", G), ("QueryName", "files.example.org"), ("QueryResults", "::ffff:203.0.113.77;")]);
    assert!(matches!(kind(&r), EventKind::DnsAnswer { answers, .. } if answers.len() == 1));
    let nx =
        sysmon(22, &[("ProcessGuid", G), ("QueryName", "x.example"), ("QueryStatus", "9003"), ("QueryResults", "-")]);
    assert_eq!(skip(&nx), "dns_no_address");
}

#[test]
fn zone_identifier_contents_crlf_and_two_spaces() {
    let crlf = "[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=https://mail.example.net/\r\nHostUrl=https://files.example.org/dl/a.iso\r\n";
    let nxlog =
        "[ZoneTransfer]  ZoneId=3  ReferrerUrl=https://mail.example.net/  HostUrl=https://files.example.org/dl/a.iso  ";
    for c in [crlf, nxlog] {
        let o = zone_identifier(c).unwrap();
        assert_eq!(o.zone, Some(3));
        assert_eq!(o.url.as_deref(), Some("https://files.example.org/dl/a.iso"));
        assert_eq!(o.referrer.as_deref(), Some("https://mail.example.net/"));
    }
    assert_eq!(zone_identifier("-"), None);
}

#[test]
fn motw_stream_is_a_write_of_its_file_with_origin() {
    let r = sysmon(
        15,
        &[
            ("ProcessGuid", G),
            ("TargetFilename", r"C:\Users\alice\Downloads\Invoice.iso:Zone.Identifier"),
            ("Contents", "[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://files.example.org/a.iso\r\n"),
            ("Hash", "SHA256=6D1C8A0F3E2B9C47A5D8E1F0B3C6A9D2E5F8A1B4C7D0E3F6A9B2C5D8E1F4A7B0"),
        ],
    );
    let EventKind::FileWrite { path, op: FileOp::Create, origin: Some(o), .. } = kind(&r) else { panic!() };
    assert_eq!(path, r"C:\Users\alice\Downloads\Invoice.iso");
    assert_eq!(o.zone, Some(3));
    // The hash Sysmon logs with the stream is the file's (its unnamed stream's).
    assert_eq!(o.hash.as_deref(), Some("SHA256=6D1C8A0F3E2B9C47A5D8E1F0B3C6A9D2E5F8A1B4C7D0E3F6A9B2C5D8E1F4A7B0"));
    // Older Sysmon: no Contents, still the final write of the file.
    let old = sysmon(15, &[("ProcessGuid", G), ("TargetFilename", r"C:\D\x.zip:ZONE.IDENTIFIER"), ("Hash", "MD5=1")]);
    assert!(matches!(kind(&old), EventKind::FileWrite { origin: None, ref path, .. } if path == r"C:\D\x.zip"));
    let primary = sysmon(15, &[("ProcessGuid", G), ("TargetFilename", r"C:\D\x.zip")]);
    assert!(matches!(kind(&primary), EventKind::FileWrite { .. }));
    let other = sysmon(15, &[("ProcessGuid", G), ("TargetFilename", r"C:\D\x.zip:SmartScreen")]);
    assert_eq!(skip(&other), "other_stream");
}

#[test]
fn deleting_the_motw_stream_is_motw_removed() {
    for eid in [23, 26] {
        let r =
            sysmon(eid, &[("ProcessGuid", G), ("TargetFilename", r"C:\Users\p\Downloads\payload.exe:Zone.Identifier")]);
        assert!(matches!(kind(&r), EventKind::FileAttr { attr: AttrChange::MotwRemoved, .. }));
        let plain = sysmon(eid, &[("ProcessGuid", G), ("TargetFilename", r"C:\Users\p\AppData\Local\Temp\x.tmp")]);
        assert_eq!(skip(&plain), "file_delete");
    }
}

#[test]
fn file_create_and_executable_detected_are_writes() {
    for eid in [11, 29] {
        let r = sysmon(eid, &[("ProcessGuid", G), ("TargetFilename", r"C:\Users\a\Downloads\setup.exe")]);
        assert!(matches!(kind(&r), EventKind::FileWrite { op: FileOp::Create, .. }));
    }
}

#[test]
fn security_4688_uses_hex_pids() {
    let r = WinRecord {
        channel: Some("Security".into()),
        event_id: 4688,
        has_data: true,
        data: [
            ("NewProcessId", "0x23a8"),
            ("ProcessId", "0x2d4"),
            ("NewProcessName", r"C:\Users\pedro\Downloads\payload.exe"),
            ("CommandLine", ""),
            ("SubjectUserName", "pedro"),
            ("TargetUserName", "-"),
        ]
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect(),
        ..WinRecord::default()
    };
    let EventKind::ProcessStart { proc, parent, command_line, user, .. } = kind(&r) else { panic!() };
    assert_eq!((proc, parent), (ProcKey::Pid(0x23a8), Some(ProcKey::Pid(0x2d4))));
    assert_eq!((command_line, user.as_deref()), (None, Some("pedro")));
    let end = WinRecord { event_id: 4689, data: [("ProcessId", "0xddc")].into_iter().collect(), ..r.clone() };
    assert_eq!(kind(&end), EventKind::ProcessEnd { proc: ProcKey::Pid(0xddc) });
    let other = WinRecord { event_id: 4624, ..r };
    assert_eq!(skip(&other), "unmapped_event_id");
}

#[test]
fn missing_fields_and_event_data_are_errors_other_providers_are_skips() {
    assert_eq!(map(&sysmon(1, &[])).unwrap_err().to_string(), "sysmon 1 needs field `EventData`");
    assert_eq!(map(&sysmon(1, &[("ProcessGuid", G)])).unwrap_err().to_string(), "sysmon 1 needs field `Image`");
    assert_eq!(skip(&sysmon(10, &[("ProcessGuid", G)])), "unmapped_event_id");
    let app = WinRecord { channel: Some("Application".into()), event_id: 15, ..WinRecord::default() };
    assert_eq!(skip(&app), "other_provider");
}

#[test]
fn linux_sysmon_maps_with_os_linux() {
    let r = WinRecord {
        provider: Some("Linux-Sysmon".into()),
        ..sysmon(1, &[("ProcessGuid", G), ("Image", "/usr/bin/bash")])
    };
    assert!(matches!(map(&r).unwrap(), Mapped::Event { os: Os::Linux, .. }));
}

/// Regression: sysmon.evtx logs an EID 11 for `ProcessMonitor.zip:Zone.Identifier`; it became a
/// write of a file named with the stream, a download-like write in Downloads of its own.
#[test]
fn file_create_of_a_stream_is_not_a_write_of_a_file_named_with_the_stream() {
    let r = sysmon(
        11,
        &[("ProcessGuid", G), ("TargetFilename", r"C:\Users\tony\Downloads\ProcessMonitor.zip:Zone.Identifier")],
    );
    assert_eq!(skip(&r), "stream_create");
}

/// Shipper damage: OTRF recordings lose `ProcessId` on Security 4689 (a field collision). An end
/// is bookkeeping only: skipped with a reason, not an error.
#[test]
fn ends_without_a_process_are_skipped_not_rejected() {
    let r = WinRecord {
        channel: Some("Security".into()),
        event_id: 4689,
        has_data: true,
        data: [("SubjectUserName", "alice")].into_iter().collect(),
        ..WinRecord::default()
    };
    assert_eq!(skip(&r), END_WITHOUT_PROCESS);
    assert_eq!(skip(&sysmon(5, &[("Image", r"C:\x.exe")])), END_WITHOUT_PROCESS);
    let bad = WinRecord { data: [("ProcessId", "pid?")].into_iter().collect(), ..r };
    assert!(map(&bad).is_err(), "a malformed id is still an error");
}
