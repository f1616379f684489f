//! Timestamps: RFC 3339 (and `YYYY-MM-DD HH:MM:SS[.f]` taken as UTC), with a fast path for the
//! shape nearly every record has (`YYYY-MM-DDTHH:MM:SS[.f]Z`).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Parses a timestamp; `None` when it is not one.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Some(t) = parse_utc_z(text) {
        return Some(t);
    }
    // The other common shapes: Sysmon's `UtcTime` (`YYYY-MM-DD HH:MM:SS.fff`, no zone) and
    // RFC 3339 with a zero offset (`+00:00`).
    if let Some(t) = parse_utc_shapes(text) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok().map(|n| Utc.from_utc_datetime(&n))
}

/// `YYYY-MM-DD HH:MM:SS[.f{1,9}]` (taken as UTC) and `YYYY-MM-DDTHH:MM:SS[.f{1,9}]+00:00`
/// without chrono's general parsers; `None` for anything else (leap seconds included).
fn parse_utc_shapes(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let body = match b.get(10)? {
        b' ' => b,
        b'T' | b't' => b.strip_suffix(b"+00:00")?,
        _ => return None,
    };
    utc_fields(body)
}

/// `YYYY-MM-DD?HH:MM:SS[.f{1,9}]` with any separator at byte 10 (checked by the caller), as
/// UTC; seconds up to 59.
fn utc_fields(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let nanos = match b.get(19) {
        None => 0,
        Some(b'.') if (21..=29).contains(&b.len()) => num(20..b.len())? * 10u32.pow(9 - (b.len() - 20) as u32),
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(Utc.from_utc_datetime(&date.and_hms_nano_opt(hour, minute, second, nanos)?))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` without chrono's general parser; `None` for anything else
/// (including leap seconds), which then takes the general path.
fn parse_utc_z(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let nanos = match b[19] {
        b'Z' if b.len() == 20 => 0,
        b'.' if (22..=30).contains(&b.len()) => {
            let digits = b.len() - 21;
            num(20..b.len() - 1)? * 10u32.pow(9 - digits as u32)
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(Utc.from_utc_datetime(&date.and_hms_nano_opt(hour, minute, second, nanos)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn general(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
    }

    #[test]
    fn known_shapes() {
        let t = parse_time("2024-05-14T09:12:41.547392000Z").unwrap();
        assert_eq!(t.timestamp_nanos_opt(), Some(1_715_677_961_547_392_000));
        assert_eq!(parse_time("2024-05-14T09:12:41Z"), general("2024-05-14T09:12:41Z"));
        assert_eq!(parse_time("2024-05-14T11:12:41+02:00"), general("2024-05-14T09:12:41Z"));
        assert_eq!(parse_time("2024-05-14 09:12:41.5"), general("2024-05-14T09:12:41.5Z"));
        assert_eq!(parse_time("2016-12-31T23:59:60Z"), general("2016-12-31T23:59:60Z"), "leap second");
        for bad in ["", "yesterday", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-05-14T24:00:00Z"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    proptest! {
        /// The fast path agrees with chrono's RFC 3339 parser wherever it answers.
        #[test]
        fn fast_path_equals_chrono(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,10})?[Zz]?") {
            if let Some(fast) = parse_utc_z(&text) {
                prop_assert_eq!(Some(fast), general(&text), "{}", text);
            }
        }

        /// The fast path for Sysmon's `UtcTime` shape agrees with chrono's general parser.
        #[test]
        fn utc_time_shape_equals_chrono(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?") {
            let chrono = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f").ok().map(|n| Utc.from_utc_datetime(&n));
            if let Some(fast) = parse_utc_shapes(&text) {
                prop_assert_eq!(Some(fast), chrono, "{}", text);
            }
            prop_assert_eq!(parse_time(&text), chrono.or_else(|| general(&text)), "{}", text);
        }

        /// The fast path for a zero offset agrees with chrono's RFC 3339 parser.
        #[test]
        fn zero_offset_shape_equals_chrono(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?[+-]00:0[01]") {
            if let Some(fast) = parse_utc_shapes(&text) {
                prop_assert_eq!(Some(fast), general(&text), "{}", text);
            }
        }

        #[test]
        fn common_shapes_take_the_fast_path(ms in 0i64..4_102_444_800_000) {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            prop_assert_eq!(parse_utc_shapes(&t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()), Some(t));
            prop_assert_eq!(parse_utc_shapes(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)), Some(t));
        }

        #[test]
        fn valid_times_take_the_fast_path(ms in 0i64..4_102_444_800_000) {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            let text = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            prop_assert_eq!(parse_utc_z(&text), Some(t));
        }
    }
}
