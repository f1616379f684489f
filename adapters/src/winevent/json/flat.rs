//! The keys of a flattened line (shape A) that matter, as raw JSON texts borrowed from it.
//!
//! Two readers fill the same [`Flat`]: [`scan`], a hand-written pass over a line of plain JSON
//! (one object of strings, numbers, booleans and nulls, keys without escapes), and the serde
//! visitor for every other line. `scan` gives up (`None`) on anything it does not take for
//! certain — invalid UTF-8, a `\u` escape, a nested value, a number or token off the JSON
//! grammar, trailing text — and the serde path then reads the line (with its own errors). Where
//! `scan` answers, it answers as the serde path does (a property test compares them); it costs
//! a fraction of serde's walk, which was a third of the JSON reader.

use serde_json::value::RawValue;

use super::mapped_slot;
use crate::winevent::json::SORTED_FIELDS;

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

/// JSON white space.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// A cursor over a line known to be valid UTF-8.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// A string at the cursor (its quotes included); `escapes`: whether `\"`-style escapes
    /// (not `\u`) may appear. Control characters end the fast path, as anything serde would
    /// refuse or read differently does.
    #[inline]
    fn string(&mut self, escapes: bool) -> Option<Raw<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        if bytes.get(start) != Some(&b'"') {
            return None;
        }
        let mut i = start + 1;
        let mut plain = true;
        loop {
            i = special_at(bytes, i);
            match *bytes.get(i)? {
                b'"' => break,
                b'\\'
                    if escapes
                        && matches!(bytes.get(i + 1)?, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') =>
                {
                    plain = false;
                    i += 2
                }
                _ => return None,
            }
        }
        self.at = i + 1;
        Some(Raw { text: self.text.get(start..=i)?, plain })
    }

    /// A number, `true`, `false` or `null` at the cursor, as its text.
    fn scalar(&mut self) -> Option<Raw<'a>> {
        let rest = &self.text.as_bytes()[self.at..];
        let len = match rest.first()? {
            b'-' | b'0'..=b'9' => number_len(rest)?,
            _ => ["true", "false", "null"].iter().find(|w| rest.starts_with(w.as_bytes()))?.len(),
        };
        // A scalar ends at a delimiter (`truex` or `1x` is not JSON).
        if rest.get(len).is_some_and(|&b| !is_ws(b) && b != b',' && b != b'}') {
            return None;
        }
        let text = self.text.get(self.at..self.at + len)?;
        self.at += len;
        Some(Raw { text, plain: false })
    }
}

/// The index of the first byte of `b` at or after `i` that ends plain string content (`"`,
/// `\`, or below 0x20), or `b.len()`; eight bytes at a time.
fn special_at(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    while let Some(Ok(word)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) {
        let x = u64::from_le_bytes(word);
        // Bytes below 0x20 (bytes of 0x80 and up, UTF-8, are masked out by `!x`), quotes,
        // backslashes. A borrow can flag a byte above a flagged one, never below: the lowest
        // flag is a real one.
        let special = (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | has_zero(x ^ (ONES * u64::from(b'"')))
            | has_zero(x ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c < 0x20 || c == b'"' || c == b'\\' {
            break;
        }
        i += 1;
    }
    i
}

/// The length of the JSON number at the start of `b` (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn number_len(b: &[u8]) -> Option<usize> {
    let digits = |from: usize| b.get(from..).map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some(i)
}

/// The fast path: a line that is one object of plain members, or `None` (the serde path
/// reads it). Tests only: the reader scans into a `Flat` of its own ([`scan_into`]).
#[cfg(test)]
pub(super) fn scan(line: &[u8]) -> Option<Flat<'_>> {
    let mut flat = Flat::default();
    scan_into(line, &mut flat).map(|()| flat)
}

/// [`scan`] into `flat` (a fresh one; filled in part when the scan gives up): a `Flat` is
/// some 700 bytes, not worth moving per line.
// Kept out of line: inlined into its caller it ran ~4 % slower (callgrind, `windows-part reader`).
#[inline(never)]
pub(super) fn scan_into<'a>(line: &'a [u8], flat: &mut Flat<'a>) -> Option<()> {
    let text = std::str::from_utf8(line).ok()?;
    let mut c = Cursor { text, at: 0 };
    c.eat(b'{')?;
    c.skip_ws();
    if c.peek()? != b'}' {
        loop {
            c.skip_ws();
            let name = c.string(false)?;
            c.eat(b':')?;
            c.skip_ws();
            let value = match c.peek()? {
                b'"' => c.string(true)?,
                _ => c.scalar()?,
            };
            let name = &name.text[1..name.text.len() - 1];
            if let Some(slot) = flat.slot(name) {
                *slot = Some(value);
            }
            c.skip_ws();
            match c.peek()? {
                b',' => c.at += 1,
                b'}' => break,
                _ => return None,
            }
        }
    }
    c.at += 1;
    c.skip_ws();
    (c.at == text.len()).then_some(())
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
        for other in [
            r#"{"EventID":1,"Image":"\u00e9"}"#,
            r#"{"EventID":1,"Event":{"System":{}}}"#,
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

    #[test]
    fn special_at_finds_quotes_backslashes_and_control_bytes() {
        for (text, n) in [
            (&b"abcdefghij\"k"[..], 10),
            (b"abcdefgh\\", 8),
            (b"abc\x1fdefghijk", 3),
            ("héllo wörld, ok\"".as_bytes(), 17),
            (b"\x7f\x80\xff abcdefgh", 12),
            (b"", 0),
        ] {
            assert_eq!(special_at(text, 0), n, "{text:?}");
            let mut padded = b"0123456789".to_vec();
            padded.extend_from_slice(text);
            assert_eq!(special_at(&padded, 10), 10 + n, "{text:?}");
        }
    }

    proptest::proptest! {
        /// The word-at-a-time search finds what a byte loop finds.
        #[test]
        fn special_at_equals_a_byte_loop(
            b in proptest::collection::vec(proptest::prop_oneof![4 => 0x20u8..0x7f, 1 => proptest::num::u8::ANY], 0..40),
            from in 0usize..40,
        ) {
            let from = from.min(b.len());
            let naive = b[from..].iter().position(|&c| c < 0x20 || c == b'"' || c == b'\\').map_or(b.len(), |p| from + p);
            proptest::prop_assert_eq!(special_at(&b, from), naive);
        }

        /// Wherever the scan answers, serde answers the same; on lines of plain members it
        /// always answers.
        #[test]
        fn scan_equals_serde(
            members in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        proptest::sample::select(vec!["EventID", "EventId", "Channel", "Hostname", "Image", "User", "UtcTime", "Hashes", "Event", "TimeCreated", "x"]).prop_map(str::to_owned),
                        "[ -~é]{0,6}",
                    ],
                    proptest::prop_oneof![
                        r#""([ !#-\[\]-~é😀]|\\["\\/bfnrt])*""#,
                        "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
                        proptest::sample::select(vec!["true", "false", "null", "{}", "[1]", "\"\\u00e9\"", "01", "tru"]).prop_map(str::to_owned),
                    ],
                ),
                0..8,
            ),
            spaces in proptest::collection::vec(proptest::sample::select(vec!["", " ", "\t", "\r\n"]), 4),
            tail in proptest::sample::select(vec!["", " ", "x", ",", "}"]),
        ) {
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}{}{}:{}{}", spaces[0], serde_json::to_string(k).unwrap(), spaces[1], spaces[2], v))
                .collect();
            let line = format!("{}{{{}{}}}{}", spaces[3], body.join(","), spaces[0], tail);
            let fast = scan(line.as_bytes());
            let slow = serde_flat(&line);
            if fast.is_some() {
                proptest::prop_assert_eq!(&fast, &slow, "{}", line);
            }
            let plain = |v: &str| !v.starts_with('{') && !v.starts_with('[') && !v.contains("\\u") && v != "01" && v != "tru";
            let keys_plain = members.iter().all(|(k, _)| !serde_json::to_string(k).unwrap().contains('\\'));
            if members.iter().all(|(_, v)| plain(v)) && keys_plain && tail.trim().is_empty() {
                proptest::prop_assert!(fast.is_some(), "{}", line);
            }
        }
    }
}
