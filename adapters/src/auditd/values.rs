//! Field values of raw auditd records: quoted strings, `(null)`/`(none)`, and hex.
//!
//! The kernel hex-encodes a string field (without quotes) when it holds a space, a quote, a
//! control or a non-ASCII byte (`audit_log_n_untrustedstring`). So on string fields an unquoted
//! value other than `(null)`/`(none)` is hex; numeric fields (`a0`..`a3` of SYSCALL, `exit`) are
//! never quoted and are read with [`number`] / [`hex_number`] instead.

use crate::error::RecordError;

/// A string field's bytes: `None` for `(null)`/`(none)` or an empty value.
pub fn string(field: &'static str, raw: &str) -> Result<Option<Vec<u8>>, RecordError> {
    if let Some(inner) = raw.strip_prefix('"') {
        return Ok(Some(inner.strip_suffix('"').unwrap_or(inner).as_bytes().to_vec()));
    }
    if raw.is_empty() || raw == "(null)" || raw == "(none)" {
        return Ok(None);
    }
    hex(raw).map(Some).ok_or_else(|| RecordError::BadValue {
        field,
        message: format!("`{}` is neither quoted nor hex", truncate(raw)),
    })
}

/// A string field as text (invalid UTF-8 replaced: paths and argv are shown, not executed).
pub fn text(field: &'static str, raw: &str) -> Result<Option<String>, RecordError> {
    Ok(string(field, raw)?
        .map(|b| String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())))
}

/// Decodes even-length hex (either case); `None` on anything else.
pub fn hex(raw: &str) -> Option<Vec<u8>> {
    let b = raw.as_bytes();
    if b.len() & 1 == 1 {
        return None;
    }
    b.chunks_exact(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A decimal field (`pid`, `exit`, `argc`, …).
pub fn number(field: &'static str, raw: &str) -> Result<i64, RecordError> {
    raw.parse().map_err(|_| RecordError::BadValue { field, message: format!("`{}` is not a number", truncate(raw)) })
}

/// A hexadecimal field without prefix (`arch`, `a0`..`a3` of SYSCALL).
pub fn hex_number(field: &'static str, raw: &str) -> Result<u64, RecordError> {
    u64::from_str_radix(raw, 16)
        .map_err(|_| RecordError::BadValue { field, message: format!("`{}` is not hexadecimal", truncate(raw)) })
}

fn truncate(s: &str) -> &str {
    let mut end = s.len().min(40);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_null_and_hex() {
        assert_eq!(string("exe", "\"/usr/bin/bash\"").unwrap().unwrap(), b"/usr/bin/bash");
        assert_eq!(string("key", "(null)").unwrap(), None);
        assert_eq!(string("tty", "(none)").unwrap(), None);
        assert_eq!(text("exe", "2F7573722F62696E2F707974686F6E").unwrap().unwrap(), "/usr/bin/python");
    }

    #[test]
    fn garbage_hex_is_a_bad_value() {
        assert_eq!(string("exe", "2F7").unwrap_err().reason(), "bad_value");
        assert_eq!(string("a1", "ZZ").unwrap_err().reason(), "bad_value");
        assert_eq!(hex_number("a0", "xyz").unwrap_err().reason(), "bad_value");
        assert_eq!(number("pid", "12a").unwrap_err().reason(), "bad_value");
    }

    #[test]
    fn non_utf8_is_replaced_not_rejected() {
        assert_eq!(text("name", "2FFF").unwrap().unwrap(), "/\u{FFFD}");
    }
}
