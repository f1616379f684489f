//! The newly-observed-domain store on disk, so
//! that a restarted agent, or the next replay, does not call every domain new again.
//!
//! The file is NDJSON: a header, then one line per domain, sorted by name (the same store
//! always writes the same bytes):
//!
//! ```text
//! {"clickchain_first_seen":1,"start_ms":1717401600000,"last_ms":1717412400000}
//! {"domain":"example.org","first_ms":1717401601234}
//! ```
//!
//! `last_ms` (the latest event time the store saw) is optional: without it the latest first
//! sighting stands in. A store file gives the run that loads it its history (`last_ms` minus
//! `start_ms`, see [`FirstSeen::has_history`]); `history_ms` is what a checkpoint restores.
//!
//! A bad domain line is reported with its line number and skipped; a file whose header is not
//! this one is refused whole. Loading merges: the earlier of two first sightings wins.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use clickchain_adapters::lines::Line::{Text, TooLong};
use clickchain_adapters::lines::LineReader;

use super::FirstSeen;

/// The format version this build writes and reads.
pub const FIRST_SEEN_VERSION: u64 = 1;

/// Why a first-seen store file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FirstSeenFileError {
    /// The file could not be opened, read, written or renamed into place.
    #[error("{path}: {source}")]
    Io {
        /// The store file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Its first line is not the header of a store of this version.
    #[error("{path}: line 1: {message}")]
    Header {
        /// The store file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A domain line that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstSeenLineError {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for FirstSeenLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What a load read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstSeenLoad {
    /// Domain lines taken into the store (a domain it already held counts too).
    pub domains: u64,
    /// Domain lines left out because the store was full (counted in
    /// [`FirstSeen::dropped_full`] too).
    pub over_cap: u64,
    /// Domain lines skipped.
    pub bad_lines: u64,
    /// The first [`MAX_LINE_ERRORS`] of them, each with its line number and what is wrong.
    pub errors: Vec<FirstSeenLineError>,
}

/// Bad lines described in a [`FirstSeenLoad`] at most (the rest are counted).
pub const MAX_LINE_ERRORS: usize = 100;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    clickchain_first_seen: u64,
    start_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    history_ms: Option<i64>,
}

/// What a loaded store's history means to this run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HistoryFrom {
    /// A store file from earlier runs: all the time it covered is history.
    StoreFile,
    /// A checkpoint of this same run: the history it had, exactly.
    Checkpoint,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow)]
    domain: std::borrow::Cow<'a, str>,
    first_ms: i64,
}

/// Lines longer than this are not domain lines (a registrable domain has at most 253 bytes):
/// they are skipped as they stream past, never held whole.
const MAX_LINE: usize = 1024;

/// A domain line, checked: a lower-case ASCII name of at most 253 bytes.
fn domain_line(text: &[u8]) -> Result<Line<'_>, String> {
    let l: Line<'_> = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let valid = !l.domain.is_empty()
        && l.domain.len() <= 253
        && l.domain.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase());
    if valid {
        Ok(l)
    } else {
        Err(format!("`{}` is not a lower-case ASCII domain", l.domain))
    }
}

/// Creates `path` readable by its owner only (on Unix): the store is a list of the domains
/// the hosts visited.
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

impl FirstSeen {
    /// Writes the store (start and domains, sorted by name) to `w`.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        let history_ms = Some(self.history_ms()).filter(|&h| h > 0);
        let header = Header {
            clickchain_first_seen: FIRST_SEEN_VERSION,
            start_ms: self.start_ms(),
            last_ms: self.last_ms(),
            history_ms,
        };
        serde_json::to_writer(&mut *w, &header)?;
        w.write_all(b"\n")?;
        let sorted: BTreeMap<&str, i64> = self.entries().collect();
        for (domain, first_ms) in sorted {
            serde_json::to_writer(&mut *w, &Line { domain: domain.into(), first_ms })?;
            w.write_all(b"\n")?;
        }
        w.flush()
    }

    /// Reads a store written by [`FirstSeen::write_to`] into this one (`origin` names it in
    /// errors). The earlier start and the earlier first sighting of each domain win; the warm-up,
    /// window and capacity stay this store's.
    pub fn read_from(&mut self, r: impl BufRead, origin: &Path) -> Result<FirstSeenLoad, FirstSeenFileError> {
        self.read_history_from(r, origin, HistoryFrom::StoreFile)
    }

    /// As [`FirstSeen::read_from`], with the history taken as `from` says.
    pub(crate) fn read_history_from(
        &mut self,
        r: impl BufRead,
        origin: &Path,
        from: HistoryFrom,
    ) -> Result<FirstSeenLoad, FirstSeenFileError> {
        let io_error = |source| FirstSeenFileError::Io { path: origin.to_owned(), source };
        let header_error = |message: String| FirstSeenFileError::Header { path: origin.to_owned(), message };
        let mut lines = LineReader::new(r, MAX_LINE);
        let header = match lines.next_line().map_err(io_error)? {
            Some((_, Text(first))) => serde_json::from_slice::<Header>(first).map_err(|e| e.to_string()),
            Some((_, TooLong(len))) => Err(format!("a line of {len} bytes")),
            None => Err("an empty file".to_owned()),
        }
        .map_err(|e| {
            header_error(format!(
                "not a clickchain first-seen store (expected {{\"clickchain_first_seen\":1,...}}): {e}"
            ))
        })?;
        if header.clickchain_first_seen != FIRST_SEEN_VERSION {
            return Err(header_error(format!(
                "first-seen store version {}, this build reads version {FIRST_SEEN_VERSION}",
                header.clickchain_first_seen
            )));
        }
        if let Some(start) = header.start_ms {
            self.merge_start(start);
        }
        let mut load = FirstSeenLoad::default();
        let mut latest_first: Option<i64> = None;
        while let Some((n, line)) = lines.next_line().map_err(io_error)? {
            let parsed = match line {
                TooLong(len) => Err(format!("{len} bytes, longer than {MAX_LINE}")),
                Text(text) if text.iter().all(u8::is_ascii_whitespace) => continue,
                Text(text) => domain_line(text),
            };
            match parsed {
                Ok(l) => {
                    latest_first = Some(latest_first.map_or(l.first_ms, |t| t.max(l.first_ms)));
                    if self.merge(&l.domain, l.first_ms) {
                        load.domains += 1;
                    } else {
                        load.over_cap += 1;
                    }
                }
                Err(message) => {
                    load.bad_lines += 1;
                    if load.errors.len() < MAX_LINE_ERRORS {
                        load.errors.push(FirstSeenLineError { line: n, message });
                    }
                }
            }
        }
        if let Some(last) = header.last_ms.or(latest_first) {
            self.merge_last(last);
        }
        match from {
            HistoryFrom::StoreFile => self.merge_history(self.covered_ms().max(header.history_ms.unwrap_or(0))),
            HistoryFrom::Checkpoint => self.merge_history(header.history_ms.unwrap_or(0)),
        }
        Ok(load)
    }

    /// Loads the store file at `path` into this one (see [`FirstSeen::read_from`]).
    pub fn load(&mut self, path: &Path) -> Result<FirstSeenLoad, FirstSeenFileError> {
        let file =
            std::fs::File::open(path).map_err(|source| FirstSeenFileError::Io { path: path.to_owned(), source })?;
        self.read_from(io::BufReader::new(file), path)
    }

    /// Saves the store to `path`: written to a temporary file beside it, then renamed over it,
    /// so that a crash leaves the old file or the new one, never half of one.
    ///
    /// ```
    /// use clickchain::domain::FirstSeen;
    ///
    /// let dir = std::env::temp_dir().join(format!("clickchain-nod-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("nod.ndjson");
    /// let mut seen = FirstSeen::new(3_600_000, 100_000);
    /// seen.observe("example.org", 0); // during the warm-up: recorded, not new
    /// seen.save(&path)?;
    ///
    /// // The next run knows example.org, and its warm-up is over.
    /// let mut next = FirstSeen::new(3_600_000, 100_000);
    /// assert_eq!(next.load(&path)?.domains, 1);
    /// assert!(!next.observe("example.org", 7_200_000));
    /// assert!(next.observe("example.net", 7_200_000));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: &Path) -> Result<(), FirstSeenFileError> {
        let io_error = |source| FirstSeenFileError::Io { path: path.to_owned(), source };
        let name = path.file_name().ok_or_else(|| io_error(io::Error::other("not a file name")))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let written = create_private(&tmp).and_then(|f| {
            let mut w = io::BufWriter::new(f);
            self.write_to(&mut w)?;
            w.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_error(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> FirstSeen {
        FirstSeen::new(1_000, 10).window(5_000)
    }

    fn read(text: &str, into: &mut FirstSeen) -> Result<FirstSeenLoad, FirstSeenFileError> {
        into.read_from(text.as_bytes(), Path::new("nod.ndjson"))
    }

    #[test]
    fn a_saved_store_reads_back_the_same_and_keeps_the_warm_up_done() {
        let mut s = store();
        s.observe("b.example", 0);
        s.observe("a.example", 500);
        assert!(s.observe("c.example", 2_000));
        let mut bytes = Vec::new();
        s.write_to(&mut bytes).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\"clickchain_first_seen\":1,\"start_ms\":0,\"last_ms\":2000}\n{\"domain\":\"a.example\",\"first_ms\":500}\n\
             {\"domain\":\"b.example\",\"first_ms\":0}\n{\"domain\":\"c.example\",\"first_ms\":2000}\n"
        );
        let mut again = store();
        let load = again.read_from(&bytes[..], Path::new("x")).unwrap();
        assert_eq!(load, FirstSeenLoad { domains: 3, ..FirstSeenLoad::default() });
        // The restarted store knows the warm-up's domains, and is past its warm-up.
        assert!(!again.observe("a.example", 3_000));
        assert!(again.observe("c.example", 3_000), "still within its window");
        assert!(again.observe("d.example", 3_000), "new: the warm-up ended before the restart");
        let mut twice = Vec::new();
        again.write_to(&mut twice).unwrap();
        let mut third = store();
        third.read_from(&twice[..], Path::new("x")).unwrap();
        assert_eq!(third.entries().count(), 4);
    }

    #[test]
    fn a_store_file_gives_the_next_run_the_time_it_covered_as_history() {
        // The warm-up is 1 000 ms; a store that covered 2 000 ms is enough history.
        let mut first = store();
        first.observe("a.example", 0);
        first.observe("a.example", 2_000);
        assert!(!first.has_history());
        let mut bytes = Vec::new();
        first.write_to(&mut bytes).unwrap();
        let mut next = store();
        next.read_from(&bytes[..], Path::new("x")).unwrap();
        assert_eq!(next.history_ms(), 2_000);
        assert!(next.has_history());

        // A store that covered less than the warm-up is not.
        let mut short = store();
        read("{\"clickchain_first_seen\":1,\"start_ms\":0,\"last_ms\":999}\n", &mut short).unwrap();
        assert!(!short.has_history());
        // Without `last_ms` (older files) the latest first sighting stands in.
        let mut old = store();
        read("{\"clickchain_first_seen\":1,\"start_ms\":0}\n{\"domain\":\"b.example\",\"first_ms\":1500}\n", &mut old)
            .unwrap();
        assert_eq!(old.history_ms(), 1_500);
    }

    #[test]
    fn a_checkpoint_restores_the_history_it_had_not_the_time_it_covered() {
        let mut running = store();
        running.observe("a.example", 0);
        running.observe("b.example", 5_000);
        let mut bytes = Vec::new();
        running.write_to(&mut bytes).unwrap();
        let mut restored = store();
        restored.read_history_from(&bytes[..], Path::new("<checkpoint>"), HistoryFrom::Checkpoint).unwrap();
        assert_eq!((restored.history_ms(), restored.has_history()), (0, false));
        assert_eq!(restored.last_ms(), Some(5_000));
    }

    #[test]
    fn bad_lines_are_skipped_with_their_numbers_and_the_rest_is_read() {
        let text = "{\"clickchain_first_seen\":1,\"start_ms\":10}\n\
                    {\"domain\":\"ok.example\",\"first_ms\":20}\n\
                    not json\n\
                    \n\
                    {\"domain\":\"UPPER.example\",\"first_ms\":1}\n\
                    {\"domain\":\"x.example\"}\n\
                    {\"domain\":\"late.example\",\"first_ms\":30}";
        let mut s = store();
        let load = read(text, &mut s).unwrap();
        assert_eq!((load.domains, load.bad_lines), (2, 3));
        let lines: Vec<u64> = load.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 5, 6]);
        assert!(load.errors[1].to_string().starts_with("line 5: `UPPER.example`"), "{}", load.errors[1]);
        assert_eq!((s.start_ms(), s.first_seen_ms("late.example")), (Some(10), Some(30)));
    }

    #[test]
    fn a_file_of_garbage_costs_bounded_memory() {
        let mut text = String::from("{\"clickchain_first_seen\":1,\"start_ms\":null}\n");
        for _ in 0..1000 {
            text.push_str("junk\n");
        }
        text.push_str(&"x".repeat(1 << 20));
        let load = read(&text, &mut store()).unwrap();
        assert_eq!((load.bad_lines, load.errors.len()), (1001, MAX_LINE_ERRORS));
    }

    #[test]
    fn another_header_is_refused_whole() {
        for (text, want) in [
            ("", "line 1: not a clickchain first-seen store"),
            ("{\"domain\":\"a.example\",\"first_ms\":1}\n", "line 1: not a clickchain first-seen store"),
            ("{\"clickchain_first_seen\":2,\"start_ms\":null}\n", "version 2, this build reads version 1"),
        ] {
            let err = read(text, &mut store()).unwrap_err().to_string();
            assert!(err.starts_with("nod.ndjson: line 1:") && err.contains(want), "{err}");
        }
    }

    #[test]
    fn loading_merges_keeping_earlier_sightings_within_the_cap() {
        let mut s = FirstSeen::new(0, 2);
        s.observe("a.example", 100);
        let text = "{\"clickchain_first_seen\":1,\"start_ms\":50}\n\
                    {\"domain\":\"a.example\",\"first_ms\":60}\n\
                    {\"domain\":\"b.example\",\"first_ms\":200}\n\
                    {\"domain\":\"c.example\",\"first_ms\":300}\n";
        let load = read(text, &mut s).unwrap();
        assert_eq!((load.domains, load.over_cap), (2, 1));
        assert_eq!((s.start_ms(), s.first_seen_ms("a.example")), (Some(50), Some(60)));
        assert_eq!((s.len(), s.dropped_full()), (2, 1));
    }

    #[test]
    fn save_replaces_the_file_whole_and_load_reports_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nod.ndjson");
        let mut s = store();
        s.observe("a.example", 0);
        s.save(&path).unwrap();
        s.observe("b.example", 1);
        s.save(&path).unwrap();
        let mut back = store();
        assert_eq!(back.load(&path).unwrap().domains, 2);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["nod.ndjson"], "no temporary file left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the owner's only: {mode:o}");
        }
        let missing = back.load(&dir.path().join("none.ndjson")).unwrap_err();
        assert!(matches!(&missing, FirstSeenFileError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound));
        assert!(s.save(&dir.path().join("no-such-dir").join("nod.ndjson")).is_err());
    }
}
