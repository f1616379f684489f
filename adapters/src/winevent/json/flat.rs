//! The keys of a flattened line (shape A) that matter, as raw JSON texts borrowed from it.
//!
//! Two readers fill the same [`Flat`]: [`scan_into`], a hand-written pass over a line of plain JSON
//! (one object of strings, numbers, booleans, nulls and nested arrays or objects, keys without
//! escapes), and the serde visitor for every other line. `scan_into` gives up (`None`) on
//! anything it does not take for certain — invalid UTF-8, a `\u` escape, nesting deeper than
//! 32 levels, a number or token off the JSON grammar, trailing text, another shape's nested
//! `Event` or `winlog` — and the serde path then reads the line (with its own errors). Where
//! `scan` answers, it answers as the serde path does (a property test compares them); it costs
//! a fraction of serde's walk, which was a third of the JSON reader.

use serde_json::value::RawValue;

#[cfg(test)]
use crate::json_scan::MAX_NESTING;
use crate::json_scan::{Escapes, Scan};
use crate::winevent::record::{mapped_slot, SORTED_FIELDS};

/// A value as raw JSON text; `plain`: a string known to hold no escape (the scan saw none),
/// so its text is what is between the quotes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Raw<'a> {
    pub text: &'a str,
    pub plain: bool,
}

/// Raw values are the same when their texts are (`plain` only saves a search).
impl PartialEq for Raw<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// The keys of a flattened line that matter, as raw JSON texts (a repeated key: the last one,
/// as a map would keep).
#[derive(Default, Debug, PartialEq)]
pub(super) struct Flat<'a> {
    pub event_id: Option<Raw<'a>>,
    pub event_id_alt: Option<Raw<'a>>,
    /// An `Event` or `winlog` key: another shape.
    pub other_shape: bool,
    pub source_name: Option<Raw<'a>>,
    pub provider_name: Option<Raw<'a>>,
    pub channel: Option<Raw<'a>>,
    pub hostname: Option<Raw<'a>>,
    pub computer: Option<Raw<'a>>,
    pub time_created: Option<Raw<'a>>,
    pub timestamp: Option<Raw<'a>>,
    pub record_id: Option<Raw<'a>>,
    pub record_number: Option<Raw<'a>>,
    /// The rendered text: read only to mend a Security 4689 whose `ProcessId` a shipper lost.
    pub message: Option<Raw<'a>>,
    /// nxlog's `EventTime` (local time, no zone).
    pub event_time: Option<Raw<'a>>,
    /// The mapped `EventData` fields, by their place in [`SORTED_FIELDS`].
    pub data: [Option<Raw<'a>>; SORTED_FIELDS.len()],
}

impl<'a> Flat<'a> {
    /// Where the value of `name` goes (`None`: skipped).
    fn slot(&mut self, name: &str) -> Option<&mut Option<Raw<'a>>> {
        Some(match name {
            "EventID" => &mut self.event_id,
            "EventId" => &mut self.event_id_alt,
            "SourceName" => &mut self.source_name,
            "ProviderName" => &mut self.provider_name,
            "Channel" => &mut self.channel,
            "Hostname" => &mut self.hostname,
            "Computer" => &mut self.computer,
            "TimeCreated" => &mut self.time_created,
            "@timestamp" => &mut self.timestamp,
            "EventRecordID" => &mut self.record_id,
            "RecordNumber" => &mut self.record_number,
            "Message" => &mut self.message,
            "EventTime" => &mut self.event_time,
            "Event" | "winlog" => {
                self.other_shape = true;
                return None;
            }
            k => &mut self.data[mapped_slot(k)?],
        })
    }
}

/// The serde path: any JSON a `Deserializer` reads (keys are borrowed: a key with escapes is a
/// data error, and the caller then parses the line as a `Value`).
pub(super) struct FlatVisitor;

impl<'de> serde::de::Visitor<'de> for FlatVisitor {
    type Value = Flat<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Flat<'de>, A::Error> {
        let mut flat = Flat::default();
        while let Some(name) = map.next_key::<&'de str>()? {
            match flat.slot(name) {
                Some(slot) => *slot = Some(Raw { text: map.next_value::<&'de RawValue>()?.get(), plain: false }),
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(flat)
    }
}

/// The fast path: a line that is one object of plain members, or `None` (the serde path
/// reads it). Tests only: the reader scans into a `Flat` of its own ([`scan_into`]).
#[cfg(test)]
pub(super) fn scan(line: &[u8]) -> Option<Flat<'_>> {
    let mut flat = Flat::default();
    scan_into(line, &mut flat).map(|()| flat)
}

/// `scan` into `flat` (a fresh one; filled in part when the scan gives up): a `Flat` is
/// some 700 bytes, not worth moving per line.
// Kept out of line: inlined into its caller it ran slower (`docs/performance.md`).
#[inline(never)]
pub(super) fn scan_into<'a>(line: &'a [u8], flat: &mut Flat<'a>) -> Option<()> {
    let mut c = Scan::new(std::str::from_utf8(line).ok()?);
    c.eat(b'{')?;
    if c.ws_peek()? != b'}' {
        loop {
            c.skip_ws();
            let (name, _) = c.raw_string(Escapes::None)?;
            let name = &name[1..name.len() - 1];
            c.eat(b':')?;
            let value = match c.ws_peek()? {
                b'"' => c.raw_string(Escapes::OneLetter).map(|(text, plain)| Raw { text, plain })?,
                // Another shape's record (`Event`, `winlog`): left to serde at once, as before
                // nested values were taken, rather than scanned to the end for nothing.
                b'[' | b'{' if matches!(name, "Event" | "winlog") => return None,
                // Logstash's `tags` array, a shipper's nested `host` object: checked and skipped
                // (or, under a mapped name, kept as raw text, as the serde path does).
                b'[' | b'{' => Raw { text: c.raw_nested()?, plain: false },
                _ => Raw { text: c.raw_scalar()?, plain: false },
            };
            if let Some(slot) = flat.slot(name) {
                *slot = Some(value);
            }
            match c.ws_peek()? {
                b',' => c.bump(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    c.bump();
    c.end()
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy as _;

    use super::*;

    /// What the serde path makes of a line (`None`: not a flat object, or an error).
    fn serde_flat(line: &str) -> Option<Flat<'_>> {
        use serde::de::Deserializer as _;
        let mut de = serde_json::Deserializer::from_str(line);
        de.deserialize_map(FlatVisitor).and_then(|f| de.end().map(|()| f)).ok()
    }

    #[test]
    fn plain_lines_are_scanned_others_left_to_serde() {
        let line = r#" {"EventID":1, "Image":"C:\\a \"b\".exe","Initiated":true,"DestinationPort":443,"User":null,"Hashes":"x","EventID":-1.5e+3} "#;
        let flat = scan(line.as_bytes()).expect("plain");
        assert_eq!(flat.event_id.map(|r| r.text), Some("-1.5e+3"));
        let image = flat.data[mapped_slot("Image").unwrap()].unwrap();
        assert_eq!((image.text, image.plain), (r#""C:\\a \"b\".exe""#, false));
        let channel = scan(br#"{"Channel":"Security"}"#).unwrap().channel.unwrap();
        assert_eq!((channel.text, channel.plain), (r#""Security""#, true));
        assert_eq!(Some(flat), serde_flat(line));
        assert_eq!(scan(b"{}"), Some(Flat::default()));
        // Nested values: skipped, or kept as raw text under a mapped name.
        let nested =
            r#"{"EventID":1,"tags":["a",{"b":[1,-2.5e3,true,null,"c\"d"]}],"Image":{"x":[]},"host":{ "name" : "h" } }"#;
        let flat = scan(nested.as_bytes()).expect("nested values are taken");
        assert_eq!(flat.data[mapped_slot("Image").unwrap()].map(|r| r.text), Some(r#"{"x":[]}"#));
        assert_eq!(Some(flat), serde_flat(nested));
        let deep = format!("{{\"EventID\":1,\"x\":{}{}}}", "[".repeat(MAX_NESTING + 1), "]".repeat(MAX_NESTING + 1));
        let shallow = format!("{{\"EventID\":1,\"x\":{}{}}}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert_eq!((scan(deep.as_bytes()).is_some(), scan(shallow.as_bytes()).is_some()), (false, true));
        for other in [
            r#"{"EventID":1,"Image":"\u00e9"}"#,
            r#"{"EventID":1,"tags":["\u00e9"]}"#,
            r#"{"EventID":1,"tags":[1,]}"#,
            r#"{"EventID":1,"tags":{"a"}}"#,
            r#"{"EventID":1,"tags":{1:2}}"#,
            r#"{"EventID":1,"tags":[01]}"#,
            r#"{"EventID":1,"tags":[1 2]}"#,
            r#"{"EventID":1,"tags":[1}"#,
            r#"{"EventID":1,"Event":{"System":{}}}"#,
            r#"{"winlog":{"event_id":1}}"#,
            r#"{"Event\u0049D":1}"#,
            r#"{"EventID":01}"#,
            r#"{"EventID":1.}"#,
            r#"{"EventID":tru}"#,
            r#"{"EventID":1} x"#,
            r#"{"EventID":1,}"#,
            "{\"Image\":\"a\tb\"}",
            r#"[{"EventID":1}]"#,
            r#"{"EventID":1"#,
        ] {
            assert_eq!(scan(other.as_bytes()), None, "{other}");
        }
        assert_eq!(scan(b"{\"Image\":\"\xff\"}"), None);
    }

    /// A JSON value and whether the scan takes it (valid, no `\u` escape): strings with
    /// one-letter escapes, numbers, literals, arrays and objects of them nested three deep, and
    /// values it leaves to serde (valid or not).
    fn value() -> impl proptest::strategy::Strategy<Value = (String, bool)> {
        use proptest::prelude::*;
        let owned = |v: Vec<&'static str>| proptest::sample::select(v).prop_map(str::to_owned);
        let leaf = prop_oneof![
            r#""([ !#-\[\]-~é😀]|\\["\\/bfnrt])*""#.prop_map(|s| (s, true)),
            "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?".prop_map(|s| (s, true)),
            owned(vec!["true", "false", "null"]).prop_map(|s| (s, true)),
            owned(vec!["\"\\u00e9\"", "01", "tru", "[1,]", "{\"a\"}", "{1:2}", "[1 2]", "[1}"])
                .prop_map(|s| (s, false)),
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            let space = proptest::sample::select(vec!["", " ", "\r\n"]);
            prop_oneof![
                (proptest::collection::vec(inner.clone(), 0..4), space.clone()).prop_map(|(items, sp)| {
                    let texts: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
                    (format!("[{sp}{}{sp}]", texts.join(&format!("{sp},{sp}"))), items.iter().all(|i| i.1))
                }),
                (proptest::collection::vec(("[ -~é]{0,4}", inner), 0..4), space).prop_map(|(members, sp)| {
                    let texts: Vec<String> = members
                        .iter()
                        .map(|(k, v)| format!("{sp}{}{sp}:{sp}{}", serde_json::to_string(k).unwrap(), v.0))
                        .collect();
                    (format!("{{{}{sp}}}", texts.join(",")), members.iter().all(|(_, v)| v.1))
                }),
            ]
        })
    }

    proptest::proptest! {
        /// Wherever the scan answers, serde answers the same; on lines of members it takes it
        /// always answers.
        #[test]
        fn scan_equals_serde(
            members in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        proptest::sample::select(vec!["EventID", "EventId", "Channel", "Hostname", "Image", "User", "UtcTime", "Hashes", "Event", "TimeCreated", "tags", "winlog", "x"]).prop_map(str::to_owned),
                        "[ -~é]{0,6}",
                    ],
                    value(),
                ),
                0..8,
            ),
            spaces in proptest::collection::vec(proptest::sample::select(vec!["", " ", "\t", "\r\n"]), 4),
            tail in proptest::sample::select(vec!["", " ", "x", ",", "}"]),
        ) {
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}{}{}:{}{}", spaces[0], serde_json::to_string(k).unwrap(), spaces[1], spaces[2], v.0))
                .collect();
            let line = format!("{}{{{}{}}}{}", spaces[3], body.join(","), spaces[0], tail);
            let fast = scan(line.as_bytes());
            let slow = serde_flat(&line);
            if fast.is_some() {
                proptest::prop_assert_eq!(&fast, &slow, "{}", line);
            }
            let keys_plain = members.iter().all(|(k, _)| !serde_json::to_string(k).unwrap().contains('\\'));
            // Another shape's nested record is left to serde.
            let other_shape = |k: &str, v: &str| matches!(k, "Event" | "winlog") && (v.starts_with('[') || v.starts_with('{'));
            let taken = members.iter().all(|(k, v)| v.1 && !other_shape(k, &v.0));
            if taken && keys_plain && tail.trim().is_empty() {
                proptest::prop_assert!(fast.is_some(), "{}", line);
            }
        }
    }
}
