//! Many inputs merged by time with a bounded number of files open: an input is opened when
//! the merge first needs its records, closed when they end, and, when too many are open, the
//! one used least recently is closed and later reopened and read again up to where it was.
//! Inputs that overlap in time beyond the bound are so read more than once; inputs one after
//! another in time (a folder of rotated logs) are read once each.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use clickchain_adapters::winevent::Tally;
use clickchain_adapters::{Event, ReadError};

use super::{AdapterCounters, InputError, InputOptions, Records};
use crate::merge::Merge;

/// The most files a scan keeps open at once (far below the usual limit of 1024 descriptors,
/// which parsing threads and the output share).
pub const MAX_OPEN: usize = 64;

/// What reading the inputs yields, in time order.
#[derive(Debug)]
pub enum InputItem {
    /// An event.
    Event(Event),
    /// A record rejected, or a read that broke off (named by its input and position).
    Rejected(ReadError),
    /// An input that could not be opened or is in no known format; it is left out.
    Unopened(InputError),
}

/// What one input gave, after the run.
#[derive(Debug, Clone)]
pub struct InputReport {
    /// The input's path.
    pub path: PathBuf,
    /// Whether it was opened (and its format known).
    pub opened: bool,
    /// Windows formats: the reader's counts.
    pub tally: Option<Tally>,
    /// auditd: the reader's counts.
    pub counters: Option<AdapterCounters>,
}

/// Inputs read merged by time, at most `max_open` of them open at once.
pub struct Inputs {
    merge: Merge<Lazy>,
    shared: Arc<Mutex<Pool>>,
    unopened_waiting: Arc<AtomicBool>,
    unopened: VecDeque<InputError>,
    /// The item read after an input was left out, told after it.
    held: Option<InputItem>,
}

impl Inputs {
    /// Reads `files` (each with its `TimeCreated` offset) with `options` (whose `time_offset`
    /// is replaced by each file's), counting bytes read into `progress`.
    pub fn new(
        files: Vec<(PathBuf, Option<Duration>)>,
        options: InputOptions,
        progress: Arc<AtomicU64>,
        max_open: usize,
    ) -> Inputs {
        let unopened_waiting = Arc::new(AtomicBool::new(false));
        let reports = files.iter().map(|(path, _)| InputReport {
            path: path.clone(),
            opened: false,
            tally: None,
            counters: None,
        });
        let pool = Pool {
            max_open: max_open.max(1),
            options,
            progress,
            open: Vec::new(),
            clock: 0,
            reports: reports.collect(),
            ended: vec![false; files.len()],
            unopened: Vec::new(),
            unopened_waiting: Arc::clone(&unopened_waiting),
        };
        let shared = Arc::new(Mutex::new(pool));
        let sources = files
            .into_iter()
            .enumerate()
            .map(|(id, (path, time_offset))| Lazy {
                id,
                path,
                time_offset,
                pool: Arc::clone(&shared),
                consumed: 0,
                done: false,
            })
            .collect();
        Inputs { merge: Merge::new(sources), shared, unopened_waiting, unopened: VecDeque::new(), held: None }
    }

    /// What each input gave so far (complete once the items are read).
    pub fn reports(&self) -> Vec<InputReport> {
        self.shared.lock().map(|p| p.reports.clone()).unwrap_or_default()
    }

    /// The inputs open now.
    pub fn files_open(&self) -> usize {
        self.shared.lock().map_or(0, |p| p.open.len())
    }

    fn take_unopened(&mut self) {
        if self.unopened_waiting.swap(false, Ordering::Relaxed) {
            if let Ok(mut p) = self.shared.lock() {
                self.unopened.extend(p.unopened.drain(..));
            }
        }
    }
}

impl Iterator for Inputs {
    type Item = InputItem;

    fn next(&mut self) -> Option<InputItem> {
        if let Some(e) = self.unopened.pop_front() {
            return Some(InputItem::Unopened(e));
        }
        if let Some(item) = self.held.take() {
            return Some(item);
        }
        let item = match self.merge.next() {
            Some(Ok(ev)) => Some(InputItem::Event(ev)),
            Some(Err(e)) => Some(InputItem::Rejected(e)),
            None => None,
        };
        self.take_unopened();
        // An input left out is told before the item read after it was met.
        match self.unopened.pop_front() {
            None => item,
            Some(e) => {
                self.held = item;
                Some(InputItem::Unopened(e))
            }
        }
    }
}

/// The open inputs, shared by all [`Lazy`] ones.
struct Pool {
    max_open: usize,
    options: InputOptions,
    progress: Arc<AtomicU64>,
    open: Vec<OpenInput>,
    /// Counts uses, to find the input used least recently.
    clock: u64,
    reports: Vec<InputReport>,
    /// Inputs read to their end.
    ended: Vec<bool>,
    unopened: Vec<InputError>,
    unopened_waiting: Arc<AtomicBool>,
}

struct OpenInput {
    id: usize,
    records: Records,
    /// The item after the one given last (dropped when the input is closed: it is read again).
    ahead: Option<Result<Event, ReadError>>,
    last_used: u64,
    /// stdin or a FIFO cannot be read again: it stays open.
    keep: bool,
}

/// One input, opened when its next record is asked for.
struct Lazy {
    id: usize,
    path: PathBuf,
    time_offset: Option<Duration>,
    pool: Arc<Mutex<Pool>>,
    /// Items (records and errors) this input gave so far: where a reopened input goes on.
    consumed: u64,
    done: bool,
}

impl Iterator for Lazy {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.pool.lock().ok().and_then(|mut p| p.next_of(self));
        match item {
            Some(_) => self.consumed += 1,
            None => self.done = true,
        }
        item
    }
}

impl Pool {
    /// The next item of `input`, opening (or reopening) it if it is not open.
    fn next_of(&mut self, input: &Lazy) -> Option<Result<Event, ReadError>> {
        if self.ended[input.id] {
            return None;
        }
        self.clock += 1;
        let at = match self.open.iter().position(|o| o.id == input.id) {
            Some(at) => at,
            None => self.open_input(input)?,
        };
        let open = &mut self.open[at];
        open.last_used = self.clock;
        let item = open.ahead.take().or_else(|| open.records.next());
        // One item read ahead tells the end at once: a file of one record is closed after it,
        // not kept open (or reopened) only to find that nothing follows.
        open.ahead = item.as_ref().and_then(|_| open.records.next());
        if open.ahead.is_none() {
            self.open.swap_remove(at);
            self.ended[input.id] = true;
        }
        item
    }

    /// Opens `input` and skips what it gave before; its index among the open ones.
    fn open_input(&mut self, input: &Lazy) -> Option<usize> {
        if self.open.len() >= self.max_open {
            let lru = self.open.iter().enumerate().filter(|(_, o)| !o.keep).min_by_key(|(_, o)| o.last_used);
            if let Some((at, _)) = lru {
                let closed = self.open.swap_remove(at);
                tracing::debug!(input = %self.reports[closed.id].path.display(), "closed for now: {} inputs open", self.max_open);
            }
        }
        let options = InputOptions { time_offset: input.time_offset, ..self.options.clone() };
        let opened = match super::open(&input.path, &options, Arc::clone(&self.progress)) {
            Ok(o) => o,
            // Only the first opening can fail for the format; a file that is gone or
            // unreadable on reopening is reported the same way.
            Err(e) => {
                self.unopened.push(e);
                self.unopened_waiting.store(true, Ordering::Relaxed);
                return None;
            }
        };
        if input.consumed > 0 {
            tracing::debug!(input = %input.path.display(), skip = input.consumed, "reopened");
        }
        let mut records = opened.records;
        // Read again up to where it was: the same bytes give the same items (a file that
        // grew gives more after them).
        for _ in 0..input.consumed {
            let _ = records.next()?;
        }
        let report = &mut self.reports[input.id];
        report.opened = true;
        // The counts of the reader that read from the start again cover everything.
        report.tally = opened.tally;
        report.counters = opened.counters;
        let keep = input.path.as_os_str() == "-" || !std::fs::metadata(&input.path).is_ok_and(|m| m.is_file());
        self.open.push(OpenInput { id: input.id, records, ahead: None, last_used: self.clock, keep });
        Some(self.open.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Files of `lines` each, one event per line, times interleaved across files.
    fn files(dir: &std::path::Path, n: usize, lines: usize) -> Vec<(PathBuf, Option<Duration>)> {
        (0..n)
            .map(|f| {
                let path = dir.join(format!("f{f:03}.ndjson"));
                let text: String = (0..lines)
                    .map(|l| {
                        let t = 1000 + (l * n + f) as i64;
                        format!("{{\"time\":{t},\"kind\":\"process_end\",\"proc\":{f}}}\n")
                    })
                    .collect();
                std::fs::write(&path, text).unwrap();
                (path, None)
            })
            .collect()
    }

    fn times(inputs: Inputs) -> Vec<i64> {
        inputs
            .map(|i| match i {
                InputItem::Event(e) => e.time.timestamp_millis(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn interleaved_inputs_beyond_the_bound_come_out_as_with_all_open() {
        let dir = tempfile::tempdir().unwrap();
        let list = files(dir.path(), 20, 5);
        let all_open = times(Inputs::new(list.clone(), InputOptions::default(), Arc::default(), 100));
        let expected: Vec<i64> = (1000..1100).collect();
        assert_eq!(all_open, expected);
        let mut bounded = Inputs::new(list, InputOptions::default(), Arc::default(), 3);
        let mut got = Vec::new();
        while let Some(i) = bounded.next() {
            assert!(bounded.files_open() <= 3);
            if let InputItem::Event(e) = i {
                got.push(e.time.timestamp_millis());
            }
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn an_input_in_no_known_format_is_reported_once_and_the_rest_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut list = files(dir.path(), 2, 2);
        let readme = dir.path().join("README.txt");
        std::fs::write(&readme, "These are the logs of host 7.\n").unwrap();
        list.insert(1, (readme, None));
        list.push((dir.path().join("gone.ndjson"), None));
        let items: Vec<String> = Inputs::new(list, InputOptions::default(), Arc::default(), 2)
            .map(|i| match i {
                InputItem::Event(e) => e.time.timestamp_millis().to_string(),
                InputItem::Unopened(e) => e.reason().to_owned(),
                InputItem::Rejected(e) => e.to_string(),
            })
            .collect();
        assert_eq!(items, ["unknown_format", "unreadable_input", "1000", "1001", "1002", "1003"]);
    }

    #[test]
    fn an_input_that_grew_while_closed_is_read_to_its_new_end() {
        let dir = tempfile::tempdir().unwrap();
        let line = |t: i64| format!("{{\"time\":{t},\"kind\":\"process_end\",\"proc\":1}}\n");
        let (a, b) = (dir.path().join("a.ndjson"), dir.path().join("b.ndjson"));
        std::fs::write(&a, line(1000) + &line(3000)).unwrap();
        std::fs::write(&b, line(2000)).unwrap();
        let mut inputs = Inputs::new(vec![(a.clone(), None), (b, None)], InputOptions::default(), Arc::default(), 1);
        let first = inputs.next();
        assert!(matches!(&first, Some(InputItem::Event(e)) if e.time.timestamp_millis() == 1000), "{first:?}");
        // `a` was closed to open `b`: what is appended to it now is read when it is reopened.
        std::fs::OpenOptions::new().append(true).open(&a).unwrap().write_all(line(4000).as_bytes()).unwrap();
        assert_eq!(times(inputs), [2000, 3000, 4000]);
    }
}
