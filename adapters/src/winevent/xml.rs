//! Rendered Windows event XML: one `<Event>` element per record.
//!
//! [`parse_event`] reads one record; [`XmlSource`] cuts a byte stream into records: a file of
//! events (pretty-printed or one per line, inside `<Events>` or not) or syslog lines that carry
//! an event after a prefix (Sysmon for Linux). Each record is at most [`MAX_RECORD`] bytes, so a
//! missing `</Event>` costs a bounded buffer and one error, not the rest of the input.

use std::io::BufRead;

use chrono::{DateTime, Utc};

use super::premap::Raw;
use super::record::{is_mapped_field, log_name, parse_event_id, LogName, WinRecord};
use crate::error::RecordError;
use crate::event::Position;
use crate::lines::{Line, LineReader};

/// The longest record accepted, in bytes.
pub const MAX_RECORD: usize = 1 << 20;

/// Parses one `<Event>` element (namespace and surrounding whitespace allowed).
pub fn parse_event(text: &str) -> Result<WinRecord, RecordError> {
    let text = repair_entities(text);
    let doc = roxmltree::Document::parse(&text).map_err(|e| RecordError::Xml(e.to_string()))?;
    let event = doc.root_element();
    if event.tag_name().name() != "Event" {
        return Err(RecordError::Xml(format!("root element is <{}>, not <Event>", event.tag_name().name())));
    }
    let system = child(event, "System").ok_or(RecordError::MissingField { kind: "event", field: "System" })?;
    let text_of = |name: &str| child(system, name).and_then(|n| n.text()).map(|t| t.trim().to_owned());
    let event_id = text_of("EventID")
        .ok_or(RecordError::MissingField { kind: "event", field: "EventID" })
        .and_then(|t| parse_event_id(&t).ok_or(RecordError::BadValue { field: "EventID", message: t }))?;
    let time_created = child(system, "TimeCreated").and_then(|n| n.attribute("SystemTime")).and_then(parse_system_time);
    let mut record = WinRecord {
        provider: child(system, "Provider").and_then(|n| n.attribute("Name")).map(log_name),
        channel: text_of("Channel").map(LogName::Owned),
        event_id,
        computer: text_of("Computer"),
        time_created,
        record_id: text_of("EventRecordID").and_then(|t| t.parse().ok()),
        ..WinRecord::default()
    };
    if let Some(data) = child(event, "EventData") {
        for d in data.children().filter(|n| n.is_element() && n.tag_name().name() == "Data") {
            if let Some(name) = d.attribute("Name") {
                // A field may be split in several text nodes (entities); join them.
                let value: String =
                    if is_mapped_field(name) { d.children().filter_map(|n| n.text()).collect() } else { String::new() };
                record.push_field(name, &value);
            }
        }
    }
    Ok(record)
}

/// Sysmon for Linux writes `&lt unknown process&gt ` (no `;`): the five XML entities without
/// their semicolon get one, so the record parses as Sysmon meant it.
fn repair_entities(text: &str) -> std::borrow::Cow<'_, str> {
    const NAMES: [&str; 5] = ["lt", "gt", "amp", "quot", "apos"];
    let broken = |rest: &str| NAMES.iter().find(|n| rest.starts_with(**n) && !rest[n.len()..].starts_with(';'));
    if !text.split('&').skip(1).any(|rest| broken(rest).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, part) in text.split('&').enumerate() {
        if i > 0 {
            out.push('&');
            if let Some(name) = broken(part) {
                out.push_str(name);
                out.push(';');
                out.push_str(&part[name.len()..]);
                continue;
            }
        }
        out.push_str(part);
    }
    std::borrow::Cow::Owned(out)
}

fn child<'a, 'i>(parent: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    parent.children().find(|n| n.is_element() && n.tag_name().name() == name)
}

/// `System/TimeCreated@SystemTime`: RFC 3339 with up to 7 fractional digits.
pub fn parse_system_time(text: &str) -> Option<DateTime<Utc>> {
    crate::native::parse_time(text.trim())
}

/// Where an `<Event` start tag begins in `hay` (not `<Events>`).
fn find_start(hay: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&hay[from..], b"<Event") {
        let at = from + i;
        match hay.get(at + 6) {
            Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/') => return Some(at),
            None => return Some(at),
            _ => from = at + 6,
        }
    }
    None
}

const END_TAG: &[u8] = b"</Event>";

/// Cuts a byte stream into `<Event>` records and parses each.
pub struct XmlSource<R> {
    lines: LineReader<R>,
    /// The record being gathered, with the line it started on.
    current: Option<(u64, Vec<u8>)>,
    /// Records found but not yet handed out (several may sit on one line).
    ready: std::collections::VecDeque<Raw>,
    done: bool,
}

impl<R: BufRead> XmlSource<R> {
    /// A source over `reader`.
    pub fn new(reader: R) -> Self {
        XmlSource { lines: LineReader::new(reader, MAX_RECORD), current: None, ready: Default::default(), done: false }
    }

    fn take_line(&mut self, line_no: u64, mut rest: &[u8]) {
        loop {
            if self.current.is_none() {
                let Some(start) = find_start(rest) else { return };
                rest = &rest[start..];
                self.current = Some((line_no, Vec::new()));
            }
            let Some((start_line, buf)) = self.current.as_mut() else { return };
            let scan_from = buf.len().saturating_sub(END_TAG.len());
            buf.extend_from_slice(rest);
            buf.push(b'\n');
            let Some(end) = memchr::memmem::find(&buf[scan_from..], END_TAG).map(|i| scan_from + i + END_TAG.len())
            else {
                if buf.len() > MAX_RECORD {
                    let error = RecordError::TooLong { len: buf.len() as u64, max: MAX_RECORD };
                    self.ready.push_back(Raw::Bad(Position::Line(*start_line), error));
                    self.current = None;
                }
                return;
            };
            let (start_line, buf) = self.current.take().unwrap_or_default();
            let consumed_of_line = end.saturating_sub(buf.len() - rest.len() - 1);
            self.ready.push_back(parse_bytes(&buf[..end], Position::Line(start_line)));
            rest = rest.get(consumed_of_line..).unwrap_or_default();
        }
    }
}

/// Parses one record's bytes into a [`Raw`] with position `at`.
fn parse_bytes(bytes: &[u8], at: Position) -> Raw {
    match std::str::from_utf8(bytes) {
        Err(e) => Raw::Bad(at, RecordError::InvalidUtf8(e.valid_up_to())),
        Ok(text) => match parse_event(text) {
            Ok(r) => Raw::Record(at, r),
            Err(e) => Raw::Bad(at, e),
        },
    }
}

impl<R: BufRead> Iterator for XmlSource<R> {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(r);
            }
            if self.done {
                return None;
            }
            match self.lines.next_line() {
                Err(e) => {
                    self.done = true;
                    return Some(Raw::Io(e));
                }
                Ok(None) => {
                    self.done = true;
                    if let Some((line, _)) = self.current.take() {
                        let error = RecordError::Xml("input ends inside an <Event> (no </Event>)".into());
                        return Some(Raw::Bad(Position::Line(line), error));
                    }
                }
                Ok(Some((line_no, Line::TooLong(len)))) => {
                    let at = self.current.take().map_or(line_no, |(l, _)| l);
                    self.ready.push_back(Raw::Bad(Position::Line(at), RecordError::TooLong { len, max: MAX_RECORD }));
                }
                Ok(Some((line_no, Line::Text(t)))) => {
                    let owned = t.to_vec();
                    self.take_line(line_no, &owned);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EID15: &str = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
 <System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"/>
  <EventID>15</EventID><TimeCreated SystemTime="2024-05-14T09:12:41.5531203Z"/>
  <EventRecordID>88213</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS-042</Computer></System>
 <EventData>
  <Data Name="UtcTime">2024-05-14 09:12:41.547</Data>
  <Data Name="Contents">[ZoneTransfer]&#xD;&#xA;ZoneId=3&#xD;&#xA;HostUrl=https://files.example.org/a?b=1&amp;c=2&#xD;&#xA;</Data>
 </EventData>
</Event>"#;

    fn raws(input: &str) -> Vec<Raw> {
        XmlSource::new(input.as_bytes()).collect()
    }

    #[test]
    fn parses_system_and_event_data() {
        let r = parse_event(EID15).unwrap();
        assert_eq!(r.event_id, 15);
        assert_eq!(r.record_id, Some(88213));
        assert_eq!(r.computer.as_deref(), Some("WS-042"));
        assert_eq!(r.time_created.unwrap().to_rfc3339(), "2024-05-14T09:12:41.553120300+00:00");
        assert_eq!(
            r.get("Contents"),
            Some("[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://files.example.org/a?b=1&c=2\r\n")
        );
    }

    #[test]
    fn splits_pretty_and_one_line_records_and_skips_wrappers() {
        let one_line = EID15.replace('\n', "");
        let input =
            format!("<!-- c -->\n<Events>\n{EID15}\nOct 12 host sysmon: {one_line}\n{one_line}{one_line}\n</Events>\n");
        let got: Vec<String> = raws(&input)
            .into_iter()
            .map(|r| match r {
                Raw::Record(Position::Line(l), rec) => format!("{l}:{}", rec.event_id),
                _ => "bad".into(),
            })
            .collect();
        assert_eq!(got, ["3:15", "12:15", "13:15", "13:15"]);
    }

    #[test]
    fn unterminated_and_malformed_records_are_errors_and_reading_goes_on() {
        let bad = "<Event><System><EventID>1</EventID></System><Oops></Event>\n";
        let input = format!("{bad}{EID15}\n<Event><System>");
        let got: Vec<&str> = raws(&input)
            .iter()
            .map(|r| match r {
                Raw::Record(..) | Raw::Mapped(..) => "ok",
                Raw::Bad(_, e) => e.reason(),
                Raw::Io(_) => "io",
                Raw::Skip(reason) => reason,
            })
            .collect();
        assert_eq!(got, ["malformed_xml", "ok", "malformed_xml"]);
    }

    /// Regression: the Log4Shell Sysmon-for-Linux sample has `Image` = `&lt unknown process&gt `.
    #[test]
    fn linux_sysmon_entities_without_semicolon() {
        let r = parse_event(
            "<Event><System><EventID>3</EventID></System><EventData><Data Name=\"Image\">&lt unknown process&gt </Data>\
             <Data Name=\"CommandLine\">a &amp;&amp; b &ampx</Data></EventData></Event>",
        )
        .unwrap();
        assert_eq!(r.get("Image"), Some("< unknown process> "));
        assert_eq!(r.get("CommandLine"), Some("a && b &x"));
    }

    #[test]
    fn event_without_event_data_parses_with_no_fields() {
        let r = parse_event("<Event><System><EventID>4104</EventID></System></Event>").unwrap();
        assert!(r.data.is_empty());
    }
}
