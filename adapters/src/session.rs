//! Logon session ids as sources write them: Windows `LogonId`/`TargetLogonId` as hex LUIDs
//! (`0x3e7`), Sysmon for Linux and auditd `ses=` in decimal, eslogger's `asid` as a number.

/// The session a text names: `0x`-hex or decimal. `None` for what names no session: empty or
/// unparsable text, `0x0` (a 4688's `TargetLogonId` before Windows 10) and auditd's unset
/// session (`4294967295`, `(u32)-1`).
pub fn parse_session(text: &str) -> Option<u64> {
    let text = text.trim();
    let id = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => text.parse().ok()?,
    };
    known_session(id)
}

/// `id` unless it stands for no session (`0`, auditd's unset `u32::MAX`).
pub fn known_session(id: u64) -> Option<u64> {
    (id != 0 && id != u64::from(u32::MAX)).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_in_hex_and_decimal_and_the_unset_ones() {
        assert_eq!(parse_session("0x3e7"), Some(0x3e7));
        assert_eq!(parse_session(" 0X191EE68 "), Some(0x191ee68));
        assert_eq!(parse_session("1000"), Some(1000));
        assert_eq!(parse_session("0x0"), None);
        assert_eq!(parse_session("4294967295"), None);
        assert_eq!(parse_session("0xzz"), None);
        assert_eq!(parse_session(""), None);
        assert_eq!(parse_session("-1"), None);
    }

    /// The sessions of every start an input gives, in order.
    fn sessions(events: impl Iterator<Item = Result<crate::Event, crate::ReadError>>) -> Vec<Option<u64>> {
        events
            .filter_map(|e| match e.expect("read").kind {
                crate::EventKind::ProcessStart { session, .. } => Some(session),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_reader_that_logs_a_session_reads_it() {
        use crate::{auditd, ecs, eslogger, native, winevent};
        // Native: an optional unsigned integer, written back as it was read.
        let line = r#"{"time":1,"kind":"process_start","proc":"p","image":"/bin/sh","session":42}"#;
        let event = native::NativeReader::new("n", line.as_bytes()).next().unwrap().unwrap();
        assert_eq!(sessions(std::iter::once(Ok(event.clone()))), [Some(42)]);
        assert!(native::to_line(&event).contains(r#""session":42"#), "{}", native::to_line(&event));
        // Sysmon EID 1 `LogonId`; Security 4688 `TargetLogonId`, else (`0x0`, before Windows 10)
        // `SubjectLogonId`; the creator a 4688 names gets a built start in the creator's session.
        let win = r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"h","UtcTime":"2024-05-14 09:00:00.000","ProcessGuid":"{a}","ProcessId":"7","Image":"C:\\b.exe","LogonId":"0x1a2b"}
{"EventID":4688,"Channel":"Security","Hostname":"h","TimeCreated":"2024-05-14T09:00:01.000Z","NewProcessId":"0x10","NewProcessName":"C:\\c.exe","ProcessId":"0x20","ParentProcessName":"C:\\chrome.exe","SubjectLogonId":"0x3c4d","TargetLogonId":"0x5e6f"}
{"EventID":4688,"Channel":"Security","Hostname":"h","TimeCreated":"2024-05-14T09:00:02.000Z","NewProcessId":"0x11","NewProcessName":"C:\\d.exe","ProcessId":"0x10","SubjectLogonId":"0x3c4d","TargetLogonId":"0x0"}
"#;
        let read = winevent::WinEventReader::json("w.jsonl", win.as_bytes());
        assert_eq!(sessions(read), [Some(0x1a2b), Some(0x3c4d), Some(0x5e6f), Some(0x3c4d)]);
        // auditd `ses=` (unset: none).
        let audit = "type=SYSCALL msg=audit(10.000:5): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=10 pid=11 uid=1000 ses=3 comm=\"sh\" exe=\"/bin/sh\" key=(null)
type=EOE msg=audit(10.000:5):
type=SYSCALL msg=audit(11.000:6): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=10 pid=12 uid=0 ses=4294967295 comm=\"sh\" exe=\"/bin/sh\" key=(null)
type=EOE msg=audit(11.000:6):
";
        assert_eq!(sessions(auditd::AuditdReader::new("a.log", audit.as_bytes())), [Some(3), None]);
        // eslogger: the new image's `audit_token.asid`.
        let es = r#"{"time":"2024-05-14T09:00:00Z","event_type":9,"seq_num":1,"process":{"audit_token":{"pid":5,"pidversion":1,"asid":100017},"ppid":1,"executable":{"path":"/usr/libexec/xpcproxy"}},"event":{"exec":{"target":{"audit_token":{"pid":5,"pidversion":2,"asid":100017},"ppid":1,"executable":{"path":"/Applications/Safari.app/Contents/MacOS/Safari"}},"args":["Safari"]}}}"#;
        assert_eq!(sessions(eslogger::EsloggerReader::new("e.jsonl", es.as_bytes())), [Some(100_017)]);
        // ECS: Winlogbeat's `winlog.event_data.LogonId`, `winlog.logon.id`.
        let ecs = r#"{"@timestamp":"2024-05-14T09:00:00Z","host":{"name":"h"},"event":{"category":["process"],"type":["start"]},"process":{"pid":5,"executable":"C:\\a.exe"},"winlog":{"event_data":{"LogonId":"0x3e7"}}}
{"@timestamp":"2024-05-14T09:00:01Z","host":{"name":"h"},"event":{"category":["process"],"type":["start"]},"process":{"pid":6,"executable":"C:\\a.exe"},"winlog":{"logon":{"id":"0x1f"}}}
{"@timestamp":"2024-05-14T09:00:02Z","host":{"name":"h"},"event":{"category":["process"],"type":["start"]},"process":{"pid":7,"executable":"C:\\a.exe"}}
"#;
        assert_eq!(sessions(ecs::EcsReader::new("c.ndjson", ecs.as_bytes())), [Some(0x3e7), Some(0x1f), None]);
    }
}
