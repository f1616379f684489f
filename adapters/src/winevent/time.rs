//! Which timestamp a record's event gets.
//!
//! `UtcTime` (the activity) is preferred. `TimeCreated` (when the record was written) is used
//! where there is no `UtcTime` (Security events) and for a Sysmon 3 or 22 whose `UtcTime` is more
//! than a minute away from it: both take their time from ETW sessions whose clock goes stale
//! after a snapshot restore (in the OTRF wevtutil recording every EID 3 and EID 22 is 4 days
//! behind, the other events are not). Some exports write
//! local time into `TimeCreated` and mark it UTC: the per-input offset (given, or estimated from
//! the `UtcTime − TimeCreated` of process starts, to the nearest quarter hour) is added to every
//! `TimeCreated`.

use chrono::{DateTime, Duration, Utc};

/// Process starts needed before an offset estimate is trusted.
pub const MIN_SAMPLES: usize = 3;
/// Samples kept for the median.
const MAX_SAMPLES: usize = 31;
/// A record without `UtcTime` whose shipper time trails its nxlog `EventTime` by more than this
/// (the window in which the engine joins a 4688 to its EID 1) is dated by `EventTime`.
pub const SHIPPER_LAG_MS: i64 = 10_000;
/// A Sysmon 3 whose `UtcTime` is further than this from its corrected `TimeCreated` is stale.
pub const SKEW_TOLERANCE_MS: i64 = 60_000;
/// An offset this large is a wrong clock (local time), not write or ingest latency: warned about.
pub const SHIFT_WARNING_MS: i64 = 10 * 60_000;
/// Estimates are whole multiples of this: a clock written in local time is off by its time
/// zone, and every zone is a whole number of quarter hours from UTC.
const ZONE_STEP_MS: i64 = 15 * 60_000;

/// The per-input clock correction.
#[derive(Debug, Default)]
pub struct Clock {
    given: Option<Duration>,
    samples: Vec<i64>,
    estimate: Option<i64>,
}

impl Clock {
    /// A clock with the user's offset for `TimeCreated`, if any (then nothing is estimated).
    pub fn new(given: Option<Duration>) -> Self {
        Clock { given, ..Clock::default() }
    }

    /// Records one process start's `UtcTime − TimeCreated`.
    pub fn observe(&mut self, utc: DateTime<Utc>, created: DateTime<Utc>) {
        if self.given.is_some() || self.estimate.is_some() || self.samples.len() >= MAX_SAMPLES {
            return;
        }
        self.samples.push((utc - created).num_milliseconds());
        if self.samples.len() >= MIN_SAMPLES {
            self.settle();
        }
    }

    /// Whether samples came but the estimate is not settled yet.
    pub fn sampling(&self) -> bool {
        !self.settled() && !self.samples.is_empty()
    }

    /// Whether the estimate is settled (or an offset was given).
    pub fn settled(&self) -> bool {
        self.given.is_some() || self.estimate.is_some()
    }

    /// Fixes the estimate from the samples so far: their median, to the nearest quarter hour.
    /// Large samples are a local clock; small ones are write latency (or, for `@timestamp`,
    /// ingest latency), which differs per record and is not corrected: in the OTRF covenant
    /// recording it is 135 s for the first starts and 1-27 s later, so a constant taken from
    /// the first ones put every later record two minutes off (regression:
    /// ingest_backlog_at_start_is_not_a_clock_shift).
    pub fn settle(&mut self) {
        if self.settled() || self.samples.is_empty() {
            return;
        }
        let mut s = self.samples.clone();
        s.sort_unstable();
        let median = s[s.len() / 2];
        let quarters = (median + median.signum() * ZONE_STEP_MS / 2) / ZONE_STEP_MS;
        self.estimate = Some(quarters * ZONE_STEP_MS);
    }

    /// The estimated shift when it is a wrong clock (beyond [`SHIFT_WARNING_MS`]), with the
    /// number of samples behind it.
    pub fn estimated_shift(&self) -> Option<(i64, usize)> {
        self.estimate.filter(|e| e.abs() >= SHIFT_WARNING_MS).map(|e| (e, self.samples.len()))
    }

    /// The offset added to `TimeCreated`.
    pub fn offset(&self) -> Duration {
        self.given.unwrap_or_else(|| Duration::milliseconds(self.estimate.unwrap_or(0)))
    }

    /// The event time of a record with `utc` (`UtcTime`) and `created` (`TimeCreated`);
    /// `etw_time` for the events whose `UtcTime` can be stale (Sysmon 3, 22).
    pub fn pick(
        &self,
        utc: Option<DateTime<Utc>>,
        created: Option<DateTime<Utc>>,
        etw_time: bool,
    ) -> Option<DateTime<Utc>> {
        // `TimeCreated` is corrected only where it can be the answer (this runs per record).
        match (utc, created) {
            (Some(u), Some(c)) if etw_time => {
                let c = c + self.offset();
                Some(if (u - c).num_milliseconds().abs() > SKEW_TOLERANCE_MS { c } else { u })
            }
            (Some(u), _) => Some(u),
            (None, c) => c.map(|c| c + self.offset()),
        }
    }
}

/// A signed offset such as `-7h`, `+19h`, `90m`, `-1h 30m` (humantime units, optional sign).
pub fn parse_offset(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let d = humantime_like(rest.trim()).ok_or_else(|| format!("`{text}` is not an offset like -7h, +19h or 90m"))?;
    Ok(d * sign)
}

/// `1h`, `30m`, `45s`, `1h30m`, `2h 15m`: hours, minutes, seconds only.
fn humantime_like(text: &str) -> Option<Duration> {
    let mut total = Duration::zero();
    let mut number = String::new();
    let mut any = false;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        total += match c {
            'h' => Duration::hours(n),
            'm' => Duration::minutes(n),
            's' => Duration::seconds(n),
            _ => return None,
        };
        any = true;
    }
    (number.is_empty() && any).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        crate::native::parse_time(s).unwrap()
    }

    #[test]
    fn estimate_is_the_median() {
        let mut c = Clock::new(None);
        for (u, cr) in [
            ("2022-08-18 20:56:26.100", "2022-08-18T13:56:26.900Z"),
            ("2022-08-18 20:57:00.000", "2022-08-18T13:57:01.000Z"),
            ("2022-08-18 20:58:00.000", "2022-08-18T13:58:00.300Z"),
        ] {
            c.observe(t(u), t(cr));
        }
        // The median sample, 7 h less 0.8 s, to the quarter hour.
        assert_eq!(c.estimated_shift(), Some((7 * 3_600_000, 3)));
        assert_eq!(c.pick(None, Some(t("2022-08-18T13:56:13.800Z")), false), Some(t("2022-08-18T20:56:13.800Z")));
    }

    #[test]
    fn zones_off_by_quarter_hours_and_negative_shifts_round_to_their_zone() {
        for (utc, created, shift) in [
            ("2024-05-14 09:00:00.000", "2024-05-14T03:15:00.400Z", (5 * 60 + 45) * 60_000),
            ("2024-05-14 09:00:00.000", "2024-05-14T12:30:02.000Z", -(3 * 60 + 30) * 60_000),
        ] {
            let mut c = Clock::new(None);
            for _ in 0..3 {
                c.observe(t(utc), t(created));
            }
            assert_eq!(c.estimated_shift(), Some((shift, 3)), "{created}");
        }
    }

    #[test]
    fn latency_is_not_a_shift() {
        let mut c = Clock::new(None);
        for _ in 0..3 {
            c.observe(t("2024-05-14 09:00:00.000"), t("2024-05-14T09:00:01.500Z"));
        }
        assert_eq!(c.estimated_shift(), None);
        assert_eq!(c.offset(), Duration::zero());
    }

    #[test]
    fn ingest_backlog_at_start_is_not_a_clock_shift() {
        // The OTRF covenant recording's first process starts reached `@timestamp` 133-136 s
        // after their `UtcTime`; later records 1-27 s after it. A connect 3 s behind must keep
        // its `UtcTime` (it was re-timed 135 s early when the first samples set the offset).
        let mut c = Clock::new(None);
        for (u, ts) in [
            ("2020-10-09 22:28:04.800", "2020-10-09T22:30:17.640Z"),
            ("2020-10-09 22:28:05.100", "2020-10-09T22:30:19.962Z"),
            ("2020-10-09 22:28:06.000", "2020-10-09T22:30:21.690Z"),
        ] {
            c.observe(t(u), t(ts));
        }
        assert_eq!(c.offset(), Duration::zero());
        let connect = t("2020-10-09 22:31:00.000");
        assert_eq!(c.pick(Some(connect), Some(t("2020-10-09T22:31:03.000Z")), true), Some(connect));
    }

    #[test]
    fn stale_connect_time_gives_way_to_time_created() {
        let c = Clock::new(Some(Duration::hours(19)));
        let utc = t("2022-07-01 10:00:00.000");
        let created = t("2022-07-04T14:00:05Z");
        assert_eq!(c.pick(Some(utc), Some(created), true), Some(t("2022-07-05T09:00:05Z")));
        assert_eq!(c.pick(Some(utc), Some(created), false), Some(utc));
        let fresh = t("2022-07-05 09:00:04.000");
        assert_eq!(c.pick(Some(fresh), Some(created), true), Some(fresh));
    }

    #[test]
    fn offsets_parse_with_sign() {
        assert_eq!(parse_offset("-7h"), Ok(Duration::hours(-7)));
        assert_eq!(parse_offset("+19h"), Ok(Duration::hours(19)));
        assert_eq!(parse_offset("1h 30m"), Ok(Duration::minutes(90)));
        assert!(parse_offset("7").is_err());
        assert!(parse_offset("soon").is_err());
    }
}
