//! The newly-observed-domain store on disk, so
//! that a restarted agent, or the next replay, does not call every domain new again.
//!
//! The file is NDJSON: a header, one line per host whose egress the store saw, then one line
//! per domain, each kind sorted by name (the same store always writes the same bytes):
//!
//! ```text
//! {"clickchain_first_seen":2,"start_ms":1717401600000,"last_ms":1717412400000}
//! {"host":"ws-17","start_ms":1717401600000,"last_ms":1717412400000}
//! {"domain":"example.org","first_ms":1717401601234}
//! ```
//!
//! A host line gives the run that loads the file that host's history: its `last_ms` minus its
//! `start_ms` (see [`FirstSeen::history_ms_on`]); a host with no line has none. `history_ms`
//! (on a host line, or on the header for every host) is the history the store had from files
//! before it: what a checkpoint restores.
//!
//! A version 1 file (no host lines) is read as history for every host: the time it covered,
//! `last_ms` (or, without it, the latest first sighting) minus `start_ms`. It was written
//! before stores said whose egress they held.
//!
//! A bad domain or host line is reported with its line number and skipped; a file whose
//! header is not one of these is refused whole. Loading merges: the earlier of two first
//! sightings wins, and per host the wider span and the longer history.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use clickchain_adapters::lines::Line::{Text, TooLong};
use clickchain_adapters::lines::LineReader;

use super::{FirstSeen, HostSpan};

/// The format version this build writes (it reads this one and version 1).
pub const FIRST_SEEN_VERSION: u64 = 2;

/// The version before stores said whose egress they held: its history is every host's.
const VERSION_WITHOUT_HOSTS: u64 = 1;

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
    /// Host lines taken into the store (each gives that host its history).
    pub hosts: u64,
    /// Host lines left out because the store held its most hosts already.
    pub hosts_over_cap: u64,
    /// Domain and host lines skipped.
    pub bad_lines: u64,
    /// The first [`MAX_LINE_ERRORS`] of them, each with its line number and what is wrong.
    pub errors: Vec<FirstSeenLineError>,
}

/// What a save wrote, and what the store had to leave out because it was full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirstSeenSaved {
    /// Domain lines written (at most the store's capacity, `nod_capacity`).
    pub domains: u64,
    /// Host lines written (at most its host cap, `max_hosts`).
    pub hosts: u64,
    /// New domains the store did not record because it was full, since it was made
    /// ([`FirstSeen::dropped_full`]): they were never reported new.
    pub domains_not_recorded: u64,
    /// Sightings of hosts beyond the host cap, not recorded ([`FirstSeen::hosts_dropped_full`]).
    pub hosts_not_recorded: u64,
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
struct HostLine {
    host: String,
    start_ms: i64,
    last_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    history_ms: Option<i64>,
}

/// A host line, checked: a name of at most 255 bytes and a span that does not end before it
/// starts.
fn host_line(text: &[u8]) -> Result<HostLine, String> {
    let h: HostLine = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    if h.host.len() > 255 {
        return Err(format!("a host name of {} bytes", h.host.len()));
    }
    if h.last_ms < h.start_ms {
        return Err(format!("host `{}` ends ({}) before it starts ({})", h.host, h.last_ms, h.start_ms));
    }
    Ok(h)
}

/// One line after the header.
enum StoreLine<'a> {
    Domain(Line<'a>),
    Host(HostLine),
}

/// A domain line, or in a file that has them a host line; the domain line's error otherwise.
fn store_line(text: &[u8], version: u64) -> Result<StoreLine<'_>, String> {
    match domain_line(text) {
        Ok(l) => Ok(StoreLine::Domain(l)),
        Err(e) if version == VERSION_WITHOUT_HOSTS || !text.windows(6).any(|w| w == b"\"host\"") => Err(e),
        Err(_) => host_line(text).map(StoreLine::Host),
    }
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
        let history_ms = Some(self.history_ms_all_hosts()).filter(|&h| h > 0);
        let header = Header {
            clickchain_first_seen: FIRST_SEEN_VERSION,
            start_ms: self.start_ms(),
            last_ms: self.last_ms(),
            history_ms,
        };
        serde_json::to_writer(&mut *w, &header)?;
        w.write_all(b"\n")?;
        let hosts: BTreeMap<&str, &HostSpan> = self.hosts().collect();
        for (host, span) in hosts {
            let history_ms = Some(span.history_ms).filter(|&h| h > 0);
            let line = HostLine { host: host.to_owned(), start_ms: span.start_ms, last_ms: span.last_ms, history_ms };
            serde_json::to_writer(&mut *w, &line)?;
            w.write_all(b"\n")?;
        }
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
                "not a clickchain first-seen store (expected {{\"clickchain_first_seen\":{FIRST_SEEN_VERSION},...}}): {e}"
            ))
        })?;
        let version = header.clickchain_first_seen;
        if version != FIRST_SEEN_VERSION && version != VERSION_WITHOUT_HOSTS {
            return Err(header_error(format!(
                "first-seen store version {version}, this build reads versions {VERSION_WITHOUT_HOSTS} and {FIRST_SEEN_VERSION}"
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
                Text(text) => store_line(text, version),
            };
            match parsed {
                Ok(StoreLine::Host(h)) => {
                    let span = HostSpan { start_ms: h.start_ms, last_ms: h.last_ms, history_ms: 0 };
                    let history_ms = match from {
                        // Its egress that the file saw is history to the run that loads it.
                        HistoryFrom::StoreFile => span.covered_ms().max(h.history_ms.unwrap_or(0)),
                        HistoryFrom::Checkpoint => h.history_ms.unwrap_or(0),
                    };
                    if self.merge_host(&h.host, HostSpan { history_ms: history_ms.max(0), ..span }) {
                        load.hosts += 1;
                    } else {
                        load.hosts_over_cap += 1;
                    }
                }
                Ok(StoreLine::Domain(l)) => {
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
        let all_hosts = header.history_ms.unwrap_or(0);
        match from {
            // An old file does not say whose egress it held: the time it covered is every host's.
            HistoryFrom::StoreFile if version == VERSION_WITHOUT_HOSTS => {
                self.merge_history(self.covered_ms().max(all_hosts))
            }
            HistoryFrom::StoreFile | HistoryFrom::Checkpoint => self.merge_history(all_hosts),
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
    /// so that a crash leaves the old file or the new one, never half of one. Says what it
    /// wrote and what the store left out for want of room.
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
    pub fn save(&self, path: &Path) -> Result<FirstSeenSaved, FirstSeenFileError> {
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
        Ok(FirstSeenSaved {
            domains: self.len() as u64,
            hosts: self.hosts().count() as u64,
            domains_not_recorded: self.dropped_full(),
            hosts_not_recorded: self.hosts_dropped_full(),
        })
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
            "{\"clickchain_first_seen\":2,\"start_ms\":0,\"last_ms\":2000}\n\
             {\"host\":\"\",\"start_ms\":0,\"last_ms\":2000}\n{\"domain\":\"a.example\",\"first_ms\":500}\n\
             {\"domain\":\"b.example\",\"first_ms\":0}\n{\"domain\":\"c.example\",\"first_ms\":2000}\n"
        );
        let mut again = store();
        let load = again.read_from(&bytes[..], Path::new("x")).unwrap();
        assert_eq!(load, FirstSeenLoad { domains: 3, hosts: 1, ..FirstSeenLoad::default() });
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
    fn a_store_gives_history_only_to_the_hosts_whose_egress_it_saw() {
        // Host A browsed for 2 000 ms (the warm-up is 1 000); host B only at the very end.
        let mut first = store();
        first.observe_on("host-a", "a.example", 0);
        first.observe_on("host-a", "b.example", 2_000);
        first.note_host("host-b", 2_000);
        let mut bytes = Vec::new();
        first.write_to(&mut bytes).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("{\"host\":\"host-a\",\"start_ms\":0,\"last_ms\":2000}\n"), "{text}");
        let mut next = store();
        let load = next.read_from(&bytes[..], Path::new("x")).unwrap();
        assert_eq!((load.hosts, load.domains), (2, 2));
        assert_eq!((next.history_ms_on("host-a"), next.has_history_on("host-a")), (2_000, true));
        assert_eq!((next.history_ms_on("host-b"), next.has_history_on("host-b")), (0, false));
        assert!(!next.has_history_on("host-c"), "a host the store never saw has none");
        // The domains are shared: one host's sighting is known to every host.
        assert!(!next.observe_on("host-c", "a.example", 3_000));

        // Saved again, the history stays (the span is what it covered, the history what it had).
        let mut again = Vec::new();
        next.write_to(&mut again).unwrap();
        let mut third = store();
        third.read_from(&again[..], Path::new("x")).unwrap();
        assert_eq!(third.history_ms_on("host-a"), 2_000);
        // A checkpoint of the second run restores the history it had, host by host.
        let mut restored = store();
        restored.read_history_from(&again[..], Path::new("<checkpoint>"), HistoryFrom::Checkpoint).unwrap();
        assert_eq!((restored.history_ms_on("host-a"), restored.history_ms_on("host-b")), (2_000, 0));
    }

    #[test]
    fn a_version_1_store_is_history_for_every_host() {
        let mut old = store();
        read("{\"clickchain_first_seen\":1,\"start_ms\":0,\"last_ms\":5000}\n{\"domain\":\"a.example\",\"first_ms\":1}\n", &mut old)
            .unwrap();
        assert!(old.has_history_on("any-host") && old.has_history());
        assert_eq!(old.history_ms_all_hosts(), 5_000);
        // Written again (version 2), it keeps that history for every host.
        let mut bytes = Vec::new();
        old.write_to(&mut bytes).unwrap();
        let mut next = store();
        next.read_from(&bytes[..], Path::new("x")).unwrap();
        assert_eq!(next.history_ms_on("another-host"), 5_000);
        // A host line in a version 1 file is a bad line.
        let mut s = store();
        let load = read(
            "{\"clickchain_first_seen\":1,\"start_ms\":0}\n{\"host\":\"h\",\"start_ms\":0,\"last_ms\":1}\n",
            &mut s,
        )
        .unwrap();
        assert_eq!((load.hosts, load.bad_lines), (0, 1));
    }

    #[test]
    fn bad_host_lines_are_skipped_with_their_numbers() {
        let text = "{\"clickchain_first_seen\":2,\"start_ms\":0}\n\
                    {\"host\":\"ok\",\"start_ms\":0,\"last_ms\":5000}\n\
                    {\"host\":\"back\",\"start_ms\":10,\"last_ms\":5}\n\
                    {\"host\":\"x\"}\n";
        let mut s = store();
        let load = read(text, &mut s).unwrap();
        assert_eq!((load.hosts, load.bad_lines), (1, 2));
        assert!(load.errors[0].to_string().starts_with("line 3: host `back` ends"), "{}", load.errors[0]);
        assert_eq!(load.errors[1].line, 4);
        assert!(s.has_history_on("ok") && !s.has_history_on("back"));
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
            ("{\"clickchain_first_seen\":3,\"start_ms\":null}\n", "version 3, this build reads versions 1 and 2"),
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
