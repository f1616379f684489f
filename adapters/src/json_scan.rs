//! A strict, partial JSON scanner for the fast paths of one-line records (native, flattened
//! Sysmon, ECS).
//!
//! It reads the common shapes of a record (objects of strings, integers, booleans and nulls)
//! faster than a typed `serde_json` parse: there is no visitor dispatch, strings are searched
//! eight bytes at a time, and an escaped string is unescaped once, into the owned copy the
//! event keeps. It is partial by design: whatever it is not sure `serde_json` would read the
//! same way (a fraction or exponent where an integer is wanted, a minus sign, an escaped key, a
//! value of a kind the caller does not take) makes it give up with `None`, and the caller then
//! parses the text with `serde_json`, which decides and words any error. So a fast path never
//! accepts what `serde_json` rejects; each caller's property test checks that it also reads the
//! same values.

use std::borrow::Cow;

/// A cursor over one JSON text.
pub(crate) struct Scan<'a> {
    text: &'a str,
    at: usize,
}

/// JSON white space.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first byte of `b` at or after `i` that ends plain string content (`"`,
/// `\`, or below 0x20), or `b.len()`; eight bytes at a time.
pub(crate) fn special_at(b: &[u8], mut i: usize) -> usize {
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

/// The text of a JSON string's inside: its escapes resolved, `\\uXXXX` ones by `serde_json`;
/// `None` when they are not valid JSON.
pub(crate) fn unescape(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    unescape_into(inner, &mut out)?;
    Some(out)
}

/// [`unescape`], appended to `out` (part of it may be appended when it fails).
pub(crate) fn unescape_into(inner: &str, out: &mut String) -> Option<()> {
    let start = out.len();
    let mut rest = inner;
    loop {
        let next = memchr::memchr(b'\\', rest.as_bytes()).unwrap_or(rest.len());
        out.push_str(&rest[..next]);
        let Some(after) = rest[next..].strip_prefix('\\') else { return Some(()) };
        let c = match after.as_bytes().first()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            // Surrogate pairs and the like: the general parser, for the whole string.
            _ => {
                let whole = serde_json::from_str::<String>(&format!("\"{inner}\"")).ok()?;
                out.truncate(start);
                out.push_str(&whole);
                return Some(());
            }
        };
        out.push(c);
        rest = &after[1..];
    }
}

impl<'a> Scan<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scan { text, at: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    /// The cursor's offset.
    pub(crate) fn at(&self) -> usize {
        self.at
    }

    /// The text from offset `start` to the cursor.
    pub(crate) fn since(&self, start: usize) -> Option<&'a str> {
        self.text.get(start..self.at)
    }

    /// Moves past the byte [`Self::peek`] returned.
    pub(crate) fn bump(&mut self) {
        self.at += 1;
    }

    pub(crate) fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.at += 1;
        }
    }

    /// Skips JSON whitespace and returns the next byte.
    pub(crate) fn ws_peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.peek()
    }

    /// Skips whitespace and consumes `want`.
    pub(crate) fn eat(&mut self, want: u8) -> Option<()> {
        (self.ws_peek()? == want).then(|| self.at += 1)
    }

    /// Only whitespace is left.
    pub(crate) fn end(&mut self) -> Option<()> {
        self.ws_peek().is_none().then_some(())
    }

    /// A string at the cursor as its raw text, quotes included, and whether it is plain (holds
    /// no escape), when its escapes are of the kinds `escapes` lets through. A control
    /// character, like anything serde would refuse or read differently, ends the fast path.
    // Inlined into each reader's loop: called out of line, the Sysmon JSON reader ran more
    // instructions (`docs/performance.md`).
    #[inline(always)]
    pub(crate) fn raw_string(&mut self, escapes: Escapes) -> Option<(&'a str, bool)> {
        let bytes = self.bytes();
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
                    if match bytes.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => escapes != Escapes::None,
                        // Checked when the string is unescaped (`unescape`).
                        b'u' => escapes == Escapes::Any,
                        _ => false,
                    } =>
                {
                    plain = false;
                    i += 2
                }
                _ => return None,
            }
        }
        self.at = i + 1;
        Some((self.text.get(start..=i)?, plain))
    }

    /// An array or object at the cursor, checked as JSON and skipped: its raw text. Its strings
    /// may hold one-letter escapes; a `\u` escape, anything off the grammar, or nesting deeper
    /// than [`MAX_NESTING`] gives up (`serde_json` then decides).
    pub(crate) fn raw_nested(&mut self) -> Option<&'a str> {
        let start = self.at;
        self.skip_nested(MAX_NESTING)?;
        self.text.get(start..self.at)
    }

    fn skip_nested(&mut self, depth: usize) -> Option<()> {
        let close = match self.peek()? {
            b'[' => b']',
            b'{' => b'}',
            _ => return None,
        };
        let depth = depth.checked_sub(1)?;
        self.bump();
        if self.ws_peek()? == close {
            self.bump();
            return Some(());
        }
        loop {
            if close == b'}' {
                self.skip_ws();
                self.raw_string(Escapes::OneLetter)?;
                self.eat(b':')?;
            }
            match self.ws_peek()? {
                b'"' => drop(self.raw_string(Escapes::OneLetter)?),
                b'[' | b'{' => self.skip_nested(depth)?,
                _ => drop(self.raw_scalar()?),
            }
            match self.ws_peek()? {
                b',' => self.bump(),
                c if c == close => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A number, `true`, `false` or `null` at the cursor, as its text.
    pub(crate) fn raw_scalar(&mut self) -> Option<&'a str> {
        let rest = &self.bytes()[self.at..];
        let len = match rest.first()? {
            b'-' | b'0'..=b'9' => number_len(rest)?,
            _ => ["true", "false", "null"].iter().find(|w| rest.starts_with(w.as_bytes()))?.len(),
        };
        // A scalar ends at a delimiter (`truex` or `1x` is not JSON).
        if rest.get(len).is_some_and(|&b| !is_ws(b) && b != b',' && b != b'}' && b != b']') {
            return None;
        }
        let text = self.text.get(self.at..self.at + len)?;
        self.at += len;
        Some(text)
    }

    /// A string (after whitespace): borrowed when it has no escapes, else unescaped into an
    /// owned copy. `None` on an invalid escape, a control character or a missing end quote.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        self.skip_ws();
        let (raw, plain) = self.raw_string(Escapes::Any)?;
        let inner = &raw[1..raw.len() - 1];
        Some(if plain { Cow::Borrowed(inner) } else { Cow::Owned(unescape(inner)?) })
    }

    /// Checks a string as `serde_json` would parse it, without keeping it.
    pub(crate) fn skip_string(&mut self) -> Option<()> {
        self.skip_ws();
        let (raw, plain) = self.raw_string(Escapes::Any)?;
        let inner = &raw[1..raw.len() - 1];
        // Only a `\u` escape can be invalid.
        (plain || !inner.contains("\\u") || unescape(inner).is_some()).then_some(())
    }

    /// A key: a string without escapes, then the `:`.
    pub(crate) fn key(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let bytes = self.bytes();
        if bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        // Keys are short and plain: their end is the first special byte, which must be a quote.
        let start = self.at + 1;
        let end = special_at(bytes, start);
        if bytes.get(end) != Some(&b'"') {
            return None;
        }
        let key = self.text.get(start..end)?;
        self.at = end + 1;
        self.eat(b':')?;
        Some(key)
    }

    /// A non-negative integer up to `u64::MAX`, without fraction or exponent.
    pub(crate) fn uint(&mut self) -> Option<u64> {
        let bytes = self.bytes();
        let start = self.at;
        let mut n: u64 = 0;
        let mut i = start;
        while let Some(&b) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            i += 1;
        }
        let digits = i - start;
        // `01` is not JSON; a fraction or exponent makes it a float.
        if digits == 0 || (digits > 1 && bytes[start] == b'0') || matches!(bytes.get(i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at = i;
        Some(n)
    }

    /// The literal `word` (`true`, `false`, `null`).
    fn literal(&mut self, word: &str) -> Option<()> {
        self.bytes()[self.at..].starts_with(word.as_bytes()).then(|| self.at += word.len())
    }

    /// A value of the kind `Value` reads, after whitespace.
    pub(crate) fn value(&mut self) -> Option<Value<'a>> {
        Some(match self.ws_peek()? {
            b'"' => Value::Str(self.string()?),
            b'0'..=b'9' => Value::Uint(self.uint()?),
            b't' => self.literal("true").map(|()| Value::Bool(true))?,
            b'f' => self.literal("false").map(|()| Value::Bool(false))?,
            b'n' => self.literal("null").map(|()| Value::Null)?,
            _ => return None,
        })
    }

    /// Walks the members of an object: `member` reads each value after its key.
    pub(crate) fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.ws_peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let key = self.key()?;
            member(self, key)?;
            match self.ws_peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Walks the items of an array: `item` reads each one.
    pub(crate) fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.ws_peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.ws_peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// The deepest nesting [`Scan::raw_nested`] checks itself (`serde_json` allows 128).
pub(crate) const MAX_NESTING: usize = 32;

/// The escapes a string may hold for [`Scan::raw_string`] to take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    None,
    /// `\n`, `\"` and the like, not `\uXXXX`.
    OneLetter,
    Any,
}

/// A scalar the scanner reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Str(Cow<'a, str>),
    Uint(u64),
    Bool(bool),
    Null,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(json: &str) -> Option<Cow<'_, str>> {
        let mut s = Scan::new(json);
        let v = s.string()?;
        s.end()?;
        Some(v)
    }

    #[test]
    fn strings_read_as_serde_json_reads_them() {
        for json in [
            r#""""#,
            r#""plain""#,
            r#""C:\\Windows\\System32\\cmd.exe""#,
            r#""a\"b\/c\bd\fe\nf\rg\th""#,
            r#""ünïcødé and more than eight bytes \\ then a tail""#,
            r#""12345678\\""#,
            r#""\u0041\u00e9 \ud83d\ude00""#,
        ] {
            let ours = string(json).unwrap_or_else(|| panic!("{json}"));
            assert_eq!(ours, serde_json::from_str::<String>(json).unwrap(), "{json}");
        }
    }

    #[test]
    fn strings_it_is_unsure_of_are_left_to_serde() {
        for json in [r#""\ud800""#, r#""\u00""#, "\"tab\there\"", r#""\x""#, r#""unterminated"#, r#""ends in \"#] {
            assert_eq!(string(json), None, "{json}");
        }
    }

    #[test]
    fn borrowed_unless_escaped() {
        assert!(matches!(string(r#""abc""#), Some(Cow::Borrowed("abc"))));
        assert!(matches!(string(r#""a\\c""#), Some(Cow::Owned(_))));
    }

    #[test]
    fn integers_follow_the_json_grammar() {
        let uint = |t: &str| {
            let mut s = Scan::new(t);
            let n = s.uint()?;
            s.end().map(|()| n)
        };
        assert_eq!(uint("0"), Some(0));
        assert_eq!(uint("18446744073709551615"), Some(u64::MAX));
        for bad in ["18446744073709551616", "01", "1.0", "1e3", "1E3", "-1", ""] {
            assert_eq!(uint(bad), None, "{bad}");
        }
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

        /// Strings of plain text and one-letter escapes unescape as serde_json unescapes them.
        #[test]
        fn strings_unescape_as_serde_json(json in r#""([ !#-\[\]-~é😀]|\\["\\/bfnrt])*""#) {
            let ours = string(&json).expect("plain and one-letter escapes");
            proptest::prop_assert_eq!(ours, serde_json::from_str::<String>(&json).unwrap());
        }
    }
}
