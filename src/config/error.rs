//! The error type of configuration loading and validation.

use std::fmt;

/// A position in a configuration file (1-based line and column, columns counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number, starting at 1.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the text; never panics).
    pub fn from_offset(text: &str, offset: usize) -> Location {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a configuration could not be loaded. Every variant names the file (`origin`); all but
/// [`ConfigError::Io`] also name the key path (`linux.time_window`) or say where the text broke.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{origin}: cannot read the configuration: {source}")]
    Io {
        /// The file that was being read.
        origin: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid TOML, or holds a kind of value clickchain never takes (a date).
    #[error("{origin}{}: invalid TOML: {message}", at(.location))]
    Syntax {
        /// The file (or other origin) of the text.
        origin: String,
        /// Where the parser stopped, when it said.
        location: Option<Location>,
        /// The parser's message.
        message: String,
    },
    /// A key clickchain does not know (typos must not silently fall back to a default).
    #[error("{origin}{}: unknown key `{key}`{}", at(.location), hint(.suggestion, .expected))]
    UnknownKey {
        /// The file (or other origin) of the text.
        origin: String,
        /// The full dotted key path, such as `linux.time_windw`.
        key: String,
        /// Where the key is written.
        location: Option<Location>,
        /// The closest known key, when one is close.
        suggestion: Option<&'static str>,
        /// The keys allowed in that table.
        expected: &'static [&'static str],
    },
    /// A known key with a value that is out of range, of the wrong type, or unusable.
    #[error("{origin}{}: invalid value for `{key}`: {value}: {reason}", at(.location))]
    InvalidValue {
        /// The file (or other origin) of the text.
        origin: String,
        /// The full dotted key path, with an index for list members (`windows.user_paths[2]`).
        key: String,
        /// The offending value as written (TOML-ish).
        value: String,
        /// What is wrong with it and what is expected.
        reason: String,
        /// Where the key is written, when known.
        location: Option<Location>,
    },
}

impl ConfigError {
    /// The dotted key path the error is about, if it is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. } | ConfigError::InvalidValue { key, .. } => Some(key),
            _ => None,
        }
    }

    /// Where in the text the error is, when known.
    pub fn location(&self) -> Option<Location> {
        match self {
            ConfigError::Syntax { location, .. }
            | ConfigError::UnknownKey { location, .. }
            | ConfigError::InvalidValue { location, .. } => *location,
            _ => None,
        }
    }
}

fn at(location: &Option<Location>) -> String {
    location.map(|l| format!(":{l}")).unwrap_or_default()
}

fn hint(suggestion: &Option<&'static str>, expected: &&'static [&'static str]) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None if expected.is_empty() => String::new(),
        None => format!(" (expected one of: {})", expected.join(", ")),
    }
}

/// The known key closest to `key` by edit distance, if it is plausibly a typo of it.
pub(crate) fn closest(key: &str, known: &'static [&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(cur).min(row[j]) };
            prev = cur;
        }
    }
    row[b.len()]
}
