//! What a scan counts on the way (records rejected, inputs left out, records skipped), its
//! summary line, and its exit code.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clickchain::input::{InputError, InputReport};
use clickchain::{ReadError, Stats};

use super::MAX_ERROR_LINES;
use crate::say;

/// The counts of one scan.
pub struct Counts {
    quiet: bool,
    strict: bool,
    /// Records rejected (and bad store lines), by reason.
    pub rejected: BTreeMap<&'static str, u64>,
    /// Inputs left out (unreadable, in no known format, a FIFO, …), by reason.
    left_out: BTreeMap<&'static str, u64>,
    /// Records fine but of no use to the engine, by reason (Windows inputs).
    skipped: BTreeMap<&'static str, u64>,
    /// Rejected-record messages so far.
    messages: u64,
}

impl Counts {
    pub fn new(quiet: bool, strict: bool) -> Counts {
        Counts {
            quiet,
            strict,
            rejected: BTreeMap::new(),
            left_out: BTreeMap::new(),
            skipped: BTreeMap::new(),
            messages: 0,
        }
    }

    /// Without --strict a rejected record or an input left out is a warning; with it, an error.
    fn level(&self) -> &'static str {
        if self.strict {
            "error"
        } else {
            "warning"
        }
    }

    /// A record rejected: counted, and told (the first [`MAX_ERROR_LINES`]).
    pub fn rejected(&mut self, e: &ReadError) {
        *self.rejected.entry(e.reason()).or_default() += 1;
        if !self.quiet && self.messages < MAX_ERROR_LINES {
            say!("{}: {e}", self.level());
        }
        self.messages += 1;
    }

    /// An input left out: counted, and told (each one).
    pub fn input_left_out(&mut self, e: &InputError) {
        // A path not valid UTF-8 is read all the same: a warning only.
        if !matches!(e, InputError::NonUtf8Path { .. }) {
            *self.left_out.entry(e.reason()).or_default() += 1;
        }
        if !self.quiet {
            say!("{}: {e}", self.level());
        }
    }

    /// The readers' counts: records skipped, and their warnings (told).
    pub fn add_reports(&mut self, reports: &[InputReport]) {
        for t in reports.iter().filter_map(|r| r.tally.as_ref()) {
            let t = t.snapshot();
            for (reason, n) in t.skipped {
                *self.skipped.entry(reason).or_default() += n;
            }
            if !self.quiet {
                for w in t.warnings {
                    say!("warning: {w}");
                }
            }
        }
    }

    /// The summary line: `inputs` is the inputs read, `shown` the alerts written when
    /// `--min-score`/`--from`/`--to` left some out.
    pub fn print_summary(&self, inputs: usize, events: u64, stats: &Stats, shown: Option<u64>, elapsed: Duration) {
        if self.messages > MAX_ERROR_LINES {
            say!("… {} more rejected records not shown", self.messages - MAX_ERROR_LINES);
        }
        let list = |m: &BTreeMap<&str, u64>| m.iter().map(|(r, n)| format!("{r}={n}")).collect::<Vec<_>>().join(", ");
        let left_out = match self.left_out.values().sum::<u64>() {
            0 => String::new(),
            n => format!(", {n} left out ({})", list(&self.left_out)),
        };
        // Records that are fine but not relevant (other channels, inbound flows …) are not errors.
        let skipped = match self.skipped.values().sum::<u64>() {
            0 => String::new(),
            n => format!(", {n} records skipped ({})", list(&self.skipped)),
        };
        let rejected = self.rejected.values().sum::<u64>();
        let reasons = if rejected == 0 { String::new() } else { format!(" ({})", list(&self.rejected)) };
        let shown = shown.map_or(String::new(), |n| format!(" ({n} written)"));
        // A reader builds the start of a process it first meets mid-life (or as a creator named
        // by its child), so events can outnumber records: say so.
        let built = match stats.classified.built_starts {
            0 => String::new(),
            n => format!(" ({n} process starts built from other records)"),
        };
        say!(
            "clickchain: {inputs} inputs{left_out}, {events} events read{built}{skipped}, {rejected} rejected{reasons}, {} late, \
             {} alerts{shown}, {} follow-ons, {elapsed:.2?}",
            stats.dropped.late,
            stats.alerts,
            stats.follow_ons,
        );
    }

    /// The exit code (`docs/cli.md`): 2 when no input could be read or `--strict` saw a
    /// rejected record or an input left out (the reason is told even with `--quiet`); else 1
    /// when `alert_signal` (alerts written and `--fail-on-alert`); else 0.
    pub fn exit_code(&self, opened: usize, inputs: usize, alert_signal: bool) -> ExitCode {
        let rejected: u64 = self.rejected.values().sum();
        let left_out: u64 = self.left_out.values().sum();
        if opened == 0 {
            let why = if inputs == 0 && left_out == 0 {
                "the paths given hold no input file"
            } else {
                "no input could be read"
            };
            say!("error: {why}");
            return ExitCode::from(2);
        }
        if self.strict && rejected + left_out > 0 {
            say!("error: --strict: {rejected} records rejected, {left_out} inputs left out");
            return ExitCode::from(2);
        }
        ExitCode::from(u8::from(alert_signal))
    }
}

/// `--stats`: the engine's counters, and what the auditd readers counted, as JSON.
pub fn print_stats(stats: &Stats, reports: &[InputReport]) {
    say!("{}", serde_json::to_string_pretty(stats).unwrap_or_default());
    // What the adapters read, left out (by reason) and rejected, per input that counts it.
    let inputs: BTreeMap<String, serde_json::Value> = reports
        .iter()
        .filter_map(|r| {
            let c = r.counters.as_ref()?;
            Some((r.path.display().to_string(), serde_json::to_value(&*c.lock().ok()?).ok()?))
        })
        .collect();
    if !inputs.is_empty() {
        let json = serde_json::json!({ "adapters": inputs });
        say!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: ExitCode) -> String {
        format!("{c:?}")
    }

    #[test]
    fn exit_codes_case_by_case() {
        let bad = InputError::UnknownFormat { path: "README.txt".into(), head: "\"hi\"".into() };
        let mut warned = Counts::new(true, false);
        warned.input_left_out(&bad);
        assert_eq!(code(warned.exit_code(1, 2, false)), code(ExitCode::from(0)), "warnings only");
        assert_eq!(code(warned.exit_code(1, 2, true)), code(ExitCode::from(1)), "alerts win over warnings");
        assert_eq!(code(warned.exit_code(0, 1, true)), code(ExitCode::from(2)), "nothing readable");
        assert_eq!(code(warned.exit_code(0, 0, false)), code(ExitCode::from(2)), "nothing found");
        let mut strict = Counts::new(true, true);
        assert_eq!(code(strict.exit_code(1, 1, false)), code(ExitCode::from(0)), "strict, nothing wrong");
        strict.input_left_out(&bad);
        assert_eq!(code(strict.exit_code(1, 2, true)), code(ExitCode::from(2)), "strict wins");
    }
}
