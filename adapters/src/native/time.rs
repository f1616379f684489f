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
    let fields = date_time(b)?;
    let nanos = match b.get(19) {
        None => 0,
        Some(b'.') => fraction(&b[20..])?,
        _ => return None,
    };
    utc(fields, nanos)
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` without chrono's general parser; `None` for anything else
/// (including leap seconds), which then takes the general path.
fn parse_utc_z(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let (b'Z', body) = b.split_last()? else { return None };
    if !matches!(b.get(10)?, b'T' | b't') {
        return None;
    }
    utc_fields(body)
}

/// Year, month, day, hour, minute and second of `YYYY-MM-DD?HH:MM:SS` at the start of `b`
/// (the separator at byte 10 is the caller's to check). Each digit is checked and taken from
/// its place: a fold over each field's digits cost half of a timestamp's parse.
fn date_time(b: &[u8]) -> Option<[u32; 6]> {
    let b: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let digit = |i: usize| u32::from(b[i].wrapping_sub(b'0'));
    if DIGITS.iter().any(|&i| digit(i) > 9) {
        return None;
    }
    let two = |i: usize| digit(i) * 10 + digit(i + 1);
    Some([two(0) * 100 + two(2), two(5), two(8), two(11), two(14), two(17)])
}

/// Nanoseconds of 1 to 9 fraction digits.
fn fraction(digits: &[u8]) -> Option<u32> {
    const SCALE: [u32; 10] = [0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    let scale = *SCALE.get(digits.len()).filter(|&&s| s > 0)?;
    let value = digits.iter().try_fold(0u32, |n, &c| {
        let d = c.wrapping_sub(b'0');
        (d <= 9).then(|| n * 10 + u32::from(d))
    })?;
    Some(value * scale)
}

/// The UTC time of `[year, month, day, hour, minute, second]` and `nanos`; seconds up to 59.
fn utc([year, month, day, hour, minute, second]: [u32; 6], nanos: u32) -> Option<DateTime<Utc>> {
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
