//! The names of the output formats, as a command line or a config spells them.

use std::fmt;
use std::str::FromStr;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// One JSON record per line (`docs/alerts.md`), the default.
    Ndjson,
    /// Records for people to read.
    Text,
    /// A CSV timeline: one row per alert and follow-on.
    Csv,
    /// OCSF 1.8.0 Detection Findings, one JSON object per line.
    Ocsf,
    /// One self-contained HTML report, written when the run ends.
    Html,
}

impl OutputFormat {
    /// Every format, in the order of its documentation.
    pub const ALL: [OutputFormat; 5] =
        [OutputFormat::Ndjson, OutputFormat::Text, OutputFormat::Csv, OutputFormat::Ocsf, OutputFormat::Html];

    /// The format's name: `ndjson`, `text`, `csv`, `ocsf` or `html`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Ndjson => "ndjson",
            OutputFormat::Text => "text",
            OutputFormat::Csv => "csv",
            OutputFormat::Ocsf => "ocsf",
            OutputFormat::Html => "html",
        }
    }

    /// Whether the format writes nothing until the run ends (the HTML report).
    pub const fn needs_whole_run(self) -> bool {
        matches!(self, OutputFormat::Html)
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`OutputFormat::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format `{0}` (expected ndjson, text, csv, ocsf or html)")]
pub struct UnknownOutputFormat(pub String);

impl FromStr for OutputFormat {
    type Err = UnknownOutputFormat;

    /// Exact lowercase names only: no aliases, so each name means one thing.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        OutputFormat::ALL.into_iter().find(|f| f.as_str() == name).ok_or_else(|| UnknownOutputFormat(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_others_are_refused() {
        for f in OutputFormat::ALL {
            assert_eq!(f.to_string().parse::<OutputFormat>(), Ok(f));
        }
        for bad in ["json", "CSV", "", "html5"] {
            let err = bad.parse::<OutputFormat>().unwrap_err();
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }
}
