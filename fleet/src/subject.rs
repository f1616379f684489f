//! Subjects and partitions: where an event, an alert or a rejected message is published.
//!
//! An event of host `h` goes to `clickchain.events.<partition>.<token>`, where `partition` is a
//! stable hash of the host's bytes mod P (the same on every machine and every build, unlike
//! std's randomised hasher) and `token` is the host escaped into one subject token.

/// The prefix of every event subject.
pub const EVENTS: &str = "clickchain.events";
/// The prefix of alert subjects: `clickchain.alerts.<analytic>`.
pub const ALERTS: &str = "clickchain.alerts";
/// Where messages that are not events go, with the reason in a header.
pub const REJECTS: &str = "clickchain.rejects";
/// The token that marks the end of a replay in a partition (never an escaped host: `%` is
/// always followed by two hex digits there, or stands alone for the empty host).
pub const END_TOKEN: &str = "%end";

/// FNV-1a, 64 bits: tiny, stable and well spread over short strings like host names.
pub fn host_hash(host: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    host.bytes().fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The partition of `host` among `partitions` (at least 1).
pub fn partition_of(host: &str, partitions: u32) -> u32 {
    (host_hash(host) % u64::from(partitions.max(1))) as u32
}

/// Escapes `host` into one subject token: ASCII letters, digits, `-` and `_` stay; every other
/// byte (`.`, `*`, `>`, whitespace, `%`, non-ASCII UTF-8) becomes `%XX`. The empty host is `%`.
pub fn escape_host(host: &str) -> String {
    if host.is_empty() {
        return "%".to_owned();
    }
    let mut out = String::with_capacity(host.len());
    for b in host.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push_str(&format!("{b:02X}"));
        }
    }
    out
}

/// Reverses [`escape_host`]; `None` for a token it cannot have written.
pub fn unescape_host(token: &str) -> Option<String> {
    if token == "%" {
        return Some(String::new());
    }
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = token.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(hex, 16).ok()?;
            // Only what escape_host escapes, in its (upper-case) spelling.
            if v.is_ascii_alphanumeric() || v == b'-' || v == b'_' || hex != format!("{v:02X}") {
                return None;
            }
            out.push(v);
            i += 3;
        } else if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

/// The subject of an event of `host` in `partition`.
pub fn event_subject(partition: u32, host: &str) -> String {
    format!("{EVENTS}.{partition}.{}", escape_host(host))
}

/// The subject that ends a replay in `partition`.
pub fn end_subject(partition: u32) -> String {
    format!("{EVENTS}.{partition}.{END_TOKEN}")
}

/// Every subject of `partition` (a consumer's filter).
pub fn partition_filter(partition: u32) -> String {
    format!("{EVENTS}.{partition}.>")
}

/// What an event-stream subject names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSubject {
    /// An event of this host in this partition.
    Host {
        /// Its partition.
        partition: u32,
        /// The host, unescaped.
        host: String,
    },
    /// The end of a replay in this partition.
    End {
        /// Its partition.
        partition: u32,
    },
}

/// Reads an event-stream subject back; `None` when it is not one [`event_subject`] or
/// [`end_subject`] writes.
pub fn parse_event_subject(subject: &str) -> Option<EventSubject> {
    let rest = subject.strip_prefix(EVENTS)?.strip_prefix('.')?;
    let (partition, token) = rest.split_once('.')?;
    let partition: u32 = partition.parse().ok()?;
    if token == END_TOKEN {
        return Some(EventSubject::End { partition });
    }
    Some(EventSubject::Host { partition, host: unescape_host(token)? })
}

/// The subject of an alert (or its follow-on records) of `analytic`.
pub fn alert_subject(analytic: &str, follow_on: bool) -> String {
    if follow_on {
        format!("{ALERTS}.{analytic}.follow_on")
    } else {
        format!("{ALERTS}.{analytic}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_host_characters_are_escaped_reversibly() {
        for host in ["ws-01", "a.b.c", "x*y>z", "with space", "tab\there", "ünïcode-主机", "%41", "", "%", "a_b-C9"]
        {
            let token = escape_host(host);
            assert!(!token.is_empty());
            assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_%".contains(&b)), "{token}");
            assert_eq!(unescape_host(&token).as_deref(), Some(host), "{token}");
            let subject = event_subject(3, host);
            assert_eq!(subject.split('.').count(), 4, "{subject}");
            assert_eq!(parse_event_subject(&subject), Some(EventSubject::Host { partition: 3, host: host.to_owned() }));
        }
    }

    #[test]
    fn tokens_escape_host_cannot_write_are_refused() {
        for token in ["a.b", "%2", "%zz", "%41", "%2e", "a b", "%end"] {
            assert_eq!(unescape_host(token), None, "{token}");
        }
        assert_eq!(parse_event_subject("clickchain.events.7.%end"), Some(EventSubject::End { partition: 7 }));
        assert_eq!(parse_event_subject("clickchain.events.x.host"), None);
        assert_eq!(parse_event_subject("other.events.1.host"), None);
    }

    #[test]
    fn partitions_are_stable_and_spread() {
        // FNV-1a's published test vector: the hash never changes with the build.
        assert_eq!(host_hash("a"), 0xaf63_dc4c_8601_ec8c);
        let mut counts = [0u32; 8];
        for i in 0..8000 {
            counts[partition_of(&format!("host-{i}"), 8) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{counts:?}");
        assert_eq!(partition_of("anything", 0), 0);
    }
}
