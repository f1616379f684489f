//! Work on other threads with the results still in input order: [`Ordered`] maps the items
//! of an iterator (read on a thread of its own, or by the worker when there is one) on
//! `workers` threads and yields what each item gave, in the items' order; [`ParallelLines`]
//! does it for the lines of a one-record-per-line input, every line keeping its number. At most
//! [`IN_FLIGHT`] items are queued, worked on or waiting for an earlier one (besides the one
//! being read and the one being yielded), so memory stays bounded however far one worker falls
//! behind. A [`Backlog`] tells a work function how many results wait for the consumer, so that
//! it can leave part of its work to the consumer while the consumer would otherwise wait.
//!
//! ```
//! use clickchain_adapters::parallel::{ParallelLines, Piece};
//!
//! let input = b"1\n2\r\nthree\n\n40\n";
//! let numbers = ParallelLines::new(&input[..], 2, 1024, |piece: Piece<'_>, out: &mut Vec<String>| match piece {
//!     Piece::Text { line, text } if !text.is_empty() => out.push(format!("{line}:{}", String::from_utf8_lossy(text))),
//!     Piece::Text { .. } => {}
//!     Piece::TooLong { line, len } => out.push(format!("{line}: {len} bytes")),
//!     Piece::Io(e) => out.push(e.to_string()),
//! });
//! assert_eq!(numbers.collect::<Vec<_>>(), ["1:1", "2:2", "3:three", "5:40"]);
//! ```

mod lines;

use std::any::Any;
use std::collections::BTreeMap;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

pub use lines::{event_lines, ParallelLines, Piece, BLOCK};

/// Items that may be queued, worked on, or waiting for an earlier one at once.
///
/// With [`BLOCK`], as fast as more and larger blocks in flight, at a lower peak RSS
/// (`docs/performance.md`).
pub const IN_FLIGHT: usize = 6;

/// How many worked items wait for the consumer to take them. A work function that can leave
/// part of its work to the consumer reads it to share the work out: a backlog means the
/// consumer is the slower side, none that it waits for the workers.
#[derive(Debug, Clone, Default)]
pub struct Backlog(Arc<AtomicUsize>);

impl Backlog {
    /// Items worked on and not yet taken by the consumer.
    pub fn waiting(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn take(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

enum Done<T> {
    Items(u64, Vec<T>),
    Panicked(Box<dyn Any + Send>),
    /// The last item had this sequence number (none: there was no item).
    End(Option<u64>),
}

/// What the items of an iterator gave, worked on `workers` threads, in the items' order.
pub struct Ordered<T> {
    results: Receiver<Done<T>>,
    /// Returns an item's slot to the reading thread once its results are taken.
    slots: SyncSender<()>,
    waiting: BTreeMap<u64, Vec<T>>,
    backlog: Backlog,
    current: std::vec::IntoIter<T>,
    next_seq: u64,
    last_seq: Option<Option<u64>>,
}

impl<T: Send + 'static> Ordered<T> {
    /// Pulls `items` on a thread of its own and hands each to `work` on one of `workers`
    /// threads (one worker pulls them itself); `work` pushes the item's results. A panic in
    /// `work` is raised again by the iterator. Fails when no thread can be started.
    pub fn new<W, I, F>(items: I, workers: usize, work: F) -> io::Result<Self>
    where
        W: Send + 'static,
        I: Iterator<Item = W> + Send + 'static,
        F: Fn(W, &mut Vec<T>) + Send + Sync + 'static,
    {
        Self::with_backlog(items, workers, Backlog::default(), work)
    }

    /// As [`new`](Self::new), keeping `backlog` up to date (`work` may hold a clone of it).
    pub fn with_backlog<W, I, F>(items: I, workers: usize, backlog: Backlog, work: F) -> io::Result<Self>
    where
        W: Send + 'static,
        I: Iterator<Item = W> + Send + 'static,
        F: Fn(W, &mut Vec<T>) + Send + Sync + 'static,
    {
        let (slots, slot_rx) = mpsc::sync_channel(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            let _ = slots.send(());
        }
        let (result_tx, results) = mpsc::sync_channel(IN_FLIGHT + 1);
        if workers <= 1 {
            // One worker reads its items itself: a reading thread besides it would only take
            // turns with it and the consumer for the cores.
            let worker = std::thread::Builder::new().name("clickchain-parse-0".into());
            let done = backlog.clone();
            worker.spawn(move || read_and_work(items, &work, &done, &slot_rx, &result_tx))?;
            return Ok(Ordered::with(results, slots, backlog));
        }
        let (item_tx, item_rx) = mpsc::sync_channel::<(u64, W)>(IN_FLIGHT);
        let item_rx = Arc::new(Mutex::new(item_rx));
        let work = Arc::new(work);
        let mut started: io::Result<()> = Err(io::Error::other("no worker thread could be started"));
        for i in 0..workers.max(1) {
            let (items, work, results) = (Arc::clone(&item_rx), Arc::clone(&work), result_tx.clone());
            let done = backlog.clone();
            let worker = std::thread::Builder::new().name(format!("clickchain-parse-{i}"));
            match worker.spawn(move || run_worker(&items, &*work, &done, &results)) {
                Ok(_) => started = Ok(()),
                Err(e) if started.is_err() => started = Err(e),
                Err(_) => {}
            }
        }
        started?;
        let reader = std::thread::Builder::new().name("clickchain-read".into());
        reader.spawn(move || {
            let last = feed(items, &slot_rx, &item_tx);
            let _ = result_tx.send(Done::End(last));
        })?;
        Ok(Ordered::with(results, slots, backlog))
    }

    /// An iterator over `items` alone, with no thread (what a failed start falls back to).
    pub fn ready(items: Vec<T>) -> Self {
        let (slots, _) = mpsc::sync_channel(1);
        let (result_tx, results) = mpsc::sync_channel(2);
        let _ = result_tx.send(Done::Items(0, items));
        let _ = result_tx.send(Done::End(Some(0)));
        let backlog = Backlog::default();
        backlog.add();
        Ordered::with(results, slots, backlog)
    }

    fn with(results: Receiver<Done<T>>, slots: SyncSender<()>, backlog: Backlog) -> Self {
        Ordered {
            results,
            slots,
            waiting: BTreeMap::new(),
            backlog,
            current: Vec::new().into_iter(),
            next_seq: 0,
            last_seq: None,
        }
    }
}

/// Sends `items` with their sequence numbers, each once a slot is free; the last one's number.
fn feed<W>(items: impl Iterator<Item = W>, slots: &Receiver<()>, out: &SyncSender<(u64, W)>) -> Option<u64> {
    let mut seq = 0u64;
    for item in items {
        // A slot frees up when the consumer has taken an earlier item's results.
        if slots.recv().is_err() || out.send((seq, item)).is_err() {
            break;
        }
        seq += 1;
    }
    seq.checked_sub(1)
}

/// What `work` gave for item `seq` (counted in `done`), or its panic.
fn work_on<W, T, F: Fn(W, &mut Vec<T>)>(seq: u64, item: W, work: &F, done: &Backlog) -> Done<T> {
    let mut out = Vec::new();
    match panic::catch_unwind(AssertUnwindSafe(|| work(item, &mut out))) {
        Ok(()) => {
            done.add();
            Done::Items(seq, out)
        }
        Err(payload) => Done::Panicked(payload),
    }
}

/// Works on `items` in order on this thread, each once a slot is free; then the end.
fn read_and_work<W, T, F: Fn(W, &mut Vec<T>)>(
    items: impl Iterator<Item = W>,
    work: &F,
    done: &Backlog,
    slots: &Receiver<()>,
    results: &SyncSender<Done<T>>,
) {
    let mut seq = 0u64;
    for item in items {
        if slots.recv().is_err() {
            return;
        }
        if results.send(work_on(seq, item, work, done)).is_err() {
            return;
        }
        seq += 1;
    }
    let _ = results.send(Done::End(seq.checked_sub(1)));
}

fn run_worker<W, T, F: Fn(W, &mut Vec<T>)>(
    items: &Mutex<Receiver<(u64, W)>>,
    work: &F,
    done: &Backlog,
    results: &SyncSender<Done<T>>,
) {
    loop {
        // The lock is held only while waiting for the next item, not while working on it.
        let next = match items.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, item)) = next else { return };
        if results.send(work_on(seq, item, work, done)).is_err() {
            return;
        }
    }
}

impl<T> Ordered<T> {
    fn next_batch(&mut self) -> Option<Vec<T>> {
        loop {
            if let Some(items) = self.waiting.remove(&self.next_seq) {
                self.next_seq += 1;
                self.backlog.take();
                let _ = self.slots.send(());
                return Some(items);
            }
            if self.last_seq.is_some_and(|last| last.is_none_or(|l| self.next_seq > l)) {
                return None;
            }
            match self.results.recv() {
                Ok(Done::Items(seq, items)) => {
                    self.waiting.insert(seq, items);
                }
                Ok(Done::End(last)) => self.last_seq = Some(last),
                Ok(Done::Panicked(payload)) => panic::resume_unwind(payload),
                // Every sender is gone: nothing more will come.
                Err(_) => return None,
            }
        }
    }
}

impl<T> Iterator for Ordered<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(item);
            }
            self.current = self.next_batch()?.into_iter();
        }
    }
}

#[cfg(test)]
mod tests;
