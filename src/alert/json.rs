//! JSON that is safe to show: serde_json escapes quotes, backslashes and C0 controls; this also
//! writes DEL, the C1 controls (U+0080–U+009F, among them the 8-bit CSI a terminal may act on)
//! and the bidirectional overrides and isolates as `\uNNNN`. The text reads back the same.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, Serializer};

/// Compact JSON with the extra escapes of this module.
struct SafeFormatter;

fn needs_escape(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(i) = rest.find(needs_escape) {
            writer.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[i + c.len_utf8()..];
        }
        CompactFormatter.write_string_fragment(writer, rest)
    }
}

/// Writes `value` as one line of safe JSON (without the newline).
pub fn write_json<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> serde_json::Result<()> {
    value.serialize(&mut Serializer::with_formatter(writer, SafeFormatter))
}

/// `value` as a string of safe JSON.
pub fn to_json_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    write_json(&mut out, value)?;
    // The serializer writes valid UTF-8 (escapes are ASCII).
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_del_and_bidi_are_escaped_and_read_back() {
        let text = "a\u{1b}[1m\u{7f}\u{9b}31m\u{202e}exe.txt\u{2066}é";
        let json = to_json_string(text).unwrap();
        assert_eq!(json, r#""a\u001b[1m\u007f\u009b31m\u202eexe.txt\u2066é""#);
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
    }
}
