//! One raw auditd line: `[node=<host> ]type=<TYPE> msg=audit(<sec>.<ms>:<serial>): <k>=<v> …`.
//!
//! Only the header is parsed eagerly; the fields are tokenised on demand by [`fields`], because
//! most lines of a real log are record types the adapter does not use.

use crate::error::RecordError;

/// The ENRICHED log format appends translated fields after this byte (`log_format = ENRICHED`).
pub const ENRICHED_SEPARATOR: u8 = 0x1D;

/// The header of one record and the raw text of its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// `node=` (the host name when auditd's `name_format` is set).
    pub node: Option<&'a str>,
    /// The record type (`SYSCALL`, `EXECVE`, …, or `UNKNOWN[1334]`).
    pub record_type: &'a str,
    /// Event time in epoch milliseconds.
    pub time_ms: i64,
    /// The event serial: with the time (and node), the key of the event the record belongs to.
    pub serial: u64,
    /// The raw fields (before the ENRICHED separator).
    pub body: &'a str,
    /// The translated fields after the ENRICHED separator (`ARCH=x86_64 SYSCALL=execve …`).
    pub enriched: &'a str,
}

/// Parses one line. `text` has no line terminator.
pub fn parse(text: &str) -> Result<RawRecord<'_>, RecordError> {
    let malformed = |why: &str| RecordError::Malformed(why.to_owned());
    let mut rest = text.trim_start();
    let mut node = None;
    if let Some(after) = rest.strip_prefix("node=") {
        let end = after.find(' ').ok_or_else(|| malformed("`node=` without a record after it"))?;
        node = Some(&after[..end]);
        rest = after[end..].trim_start();
    }
    let after = rest.strip_prefix("type=").ok_or_else(|| malformed("no `type=` at the start"))?;
    let end = after.find(' ').ok_or_else(|| malformed("no `msg=audit(…)` after the type"))?;
    let record_type = &after[..end];
    rest = after[end..].trim_start();
    let after = rest.strip_prefix("msg=audit(").ok_or_else(|| malformed("no `msg=audit(…)` after the type"))?;
    let close = after.find(')').ok_or_else(|| malformed("unterminated `msg=audit(`"))?;
    let stamp = &after[..close];
    let (time_ms, serial) = parse_stamp(stamp).ok_or_else(|| RecordError::BadTimestamp(stamp.to_owned()))?;
    let body = after[close + 1..].strip_prefix(':').unwrap_or(&after[close + 1..]);
    let (body, enriched) = match body.as_bytes().iter().position(|&b| b == ENRICHED_SEPARATOR) {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, ""),
    };
    Ok(RawRecord { node, record_type, time_ms, serial, body, enriched })
}

/// `1715678001.204:88120` → (epoch ms, serial).
fn parse_stamp(stamp: &str) -> Option<(i64, u64)> {
    let (time, serial) = stamp.split_once(':')?;
    let (sec, frac) = time.split_once('.')?;
    if sec.is_empty()
        || frac.is_empty()
        || frac.len() > 9
        || !sec.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let sec: i64 = sec.parse().ok()?;
    // The kernel prints three digits; read more or fewer as a decimal fraction all the same.
    let mut ms: i64 = 0;
    for (i, d) in frac.bytes().take(3).enumerate() {
        ms += i64::from(d - b'0') * [100, 10, 1][i];
    }
    let serial = serial.parse().ok()?;
    Some((sec.checked_mul(1000)?.checked_add(ms)?, serial))
}

/// The `key=value` pairs of a record body. Values keep their quotes (see [`crate::auditd::values`]);
/// a value quoted right after its `=` may hold spaces. Tokens without `=` are skipped.
pub fn fields(body: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = body;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches(' ');
        let b = rest.as_bytes();
        if b.is_empty() {
            return None;
        }
        let key_end = memchr::memchr2(b'=', b' ', b).unwrap_or(b.len());
        if key_end == b.len() || b[key_end] == b' ' {
            rest = &rest[key_end..];
            continue;
        }
        let start = key_end + 1;
        let search_from = match b.get(start) {
            // The closing quote, then the value runs to the next space.
            Some(&q @ (b'"' | b'\'')) => memchr::memchr(q, &b[start + 1..]).map_or(b.len(), |i| start + 1 + i),
            _ => start,
        };
        let end = memchr::memchr(b' ', &b[search_from.min(b.len())..]).map_or(b.len(), |i| search_from + i);
        let (key, value) = (&rest[..key_end], &rest[start..end]);
        rest = &rest[end..];
        return Some((key, value));
    })
}

/// The value of field `key` in `body`, raw (still quoted or hex).
pub fn field<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    fields(body).find(|(k, _)| *k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_node_and_fields() {
        let r = parse(
            r#"node=web-1 type=SYSCALL msg=audit(1715678001.204:88120): arch=c000003e comm="Socket Thread" key=(null)"#,
        )
        .unwrap();
        assert_eq!(r.node, Some("web-1"));
        assert_eq!(r.record_type, "SYSCALL");
        assert_eq!(r.time_ms, 1_715_678_001_204);
        assert_eq!(r.serial, 88120);
        let f: Vec<_> = fields(r.body).collect();
        assert_eq!(f, [("arch", "c000003e"), ("comm", "\"Socket Thread\""), ("key", "(null)")]);
    }

    #[test]
    fn splits_enriched_fields_off() {
        let r = parse("type=SYSCALL msg=audit(1.5:2): key=(null)\x1dARCH=x86_64 SYSCALL=execve").unwrap();
        assert_eq!(field(r.body, "key"), Some("(null)"));
        assert_eq!(field(r.enriched, "SYSCALL"), Some("execve"));
        assert_eq!(r.time_ms, 1500);
    }

    #[test]
    fn tokens_quotes_and_stray_words() {
        let f: Vec<_> = fields("a=1 stray msg='op=PAM x=y' b=\"q r\"s c= d").collect();
        assert_eq!(f, [("a", "1"), ("msg", "'op=PAM x=y'"), ("b", "\"q r\"s"), ("c", "")]);
        let f: Vec<_> = fields("e=\"unterminated value").collect();
        assert_eq!(f, [("e", "\"unterminated value")]);
    }

    #[test]
    fn empty_body_and_double_space() {
        let r = parse("type=EOE msg=audit(1.000:7): ").unwrap();
        assert_eq!(fields(r.body).count(), 0);
        let r = parse("type=CWD msg=audit(1.000:7):  cwd=\"/home/a b\"").unwrap();
        assert_eq!(field(r.body, "cwd"), Some("\"/home/a b\""));
    }

    #[test]
    fn truncated_lines_are_errors() {
        assert_eq!(parse("type=SYSCALL msg=audit(1715678001.2").unwrap_err().reason(), "malformed_record");
        assert_eq!(parse("arch=c000003e syscall=59").unwrap_err().reason(), "malformed_record");
        assert_eq!(parse("type=SYSCALL msg=audit(17x.204:1): a=1").unwrap_err().reason(), "bad_timestamp");
        assert_eq!(parse("type=SYSCALL msg=audit(1.204): a=1").unwrap_err().reason(), "bad_timestamp");
    }
}
