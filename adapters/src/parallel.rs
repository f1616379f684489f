//! Parsing a one-record-per-line input on several threads, with the records still coming out
//! in input order and every line keeping its number.
//!
//! One thread reads the input in blocks of whole lines and counts their line breaks; `workers`
//! threads turn each block's lines into items with a pure function; the iterator puts the
//! blocks back in order. At most [`IN_FLIGHT`] blocks exist at once (read, parsed or waiting),
//! so memory stays bounded however far one worker falls behind, and a line longer than the cap
//! is skipped as it streams past, as [`LineReader`](crate::lines::LineReader) does.
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

use std::any::Any;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// Bytes read per block (a block ends at the last line break within it).
///
/// With [`IN_FLIGHT`], measured on 1M ECS events with `scan -j 2`: blocks of 64 KiB × 6 and
/// 128 KiB × 8 ran as fast as 256 KiB × 16, at a peak RSS of 52-54 MiB against 71-78 MiB.
pub const BLOCK: usize = 64 * 1024;
/// Blocks that may exist at once: being read, parsed, or waiting for an earlier block.
pub const IN_FLIGHT: usize = 6;

/// What the parse function is given.
#[derive(Debug)]
pub enum Piece<'a> {
    /// A line within the cap (1-based number), without its `\n` / `\r\n`, and without a
    /// byte-order mark on line 1.
    Text {
        /// Its number.
        line: u64,
        /// Its bytes.
        text: &'a [u8],
    },
    /// A line over the cap: its number and its length in bytes (with its line break).
    TooLong {
        /// Its number.
        line: u64,
        /// Its length.
        len: u64,
    },
    /// Reading failed; the input ends after this.
    Io(io::Error),
}

/// One block as read: its sequence number, the number of its first line, and what it holds.
struct Block {
    seq: u64,
    first_line: u64,
    /// Lines in `body` (room for the items, which are about one per line).
    lines: u64,
    body: Body,
}

enum Body {
    Lines(Vec<u8>),
    TooLong(u64),
    Io(io::Error),
}

enum Done<T> {
    Items(u64, Vec<T>),
    Panicked(Box<dyn Any + Send>),
    /// The reader's last block had this sequence number (none: the input was empty).
    End(Option<u64>),
}

/// The items of an input's lines, parsed on `workers` threads, in input order.
pub struct ParallelLines<T> {
    results: Receiver<Done<T>>,
    /// Returns a block's slot to the reader once its items are taken.
    slots: SyncSender<()>,
    waiting: BTreeMap<u64, Vec<T>>,
    current: std::vec::IntoIter<T>,
    next_seq: u64,
    last_seq: Option<Option<u64>>,
}

impl<T: Send + 'static> ParallelLines<T> {
    /// Reads `input` on a thread of its own and parses its lines with `parse` on `workers`
    /// threads (at least one). Lines longer than `max_line` bytes come as [`Piece::TooLong`].
    pub fn new<R, F>(input: R, workers: usize, max_line: usize, parse: F) -> Self
    where
        R: Read + Send + 'static,
        F: Fn(Piece<'_>, &mut Vec<T>) + Send + Sync + 'static,
    {
        Self::with_block(input, workers, max_line, BLOCK, parse)
    }

    /// As [`new`](Self::new) with blocks of `block` bytes (small ones test the seams).
    pub fn with_block<R, F>(input: R, workers: usize, max_line: usize, block: usize, parse: F) -> Self
    where
        R: Read + Send + 'static,
        F: Fn(Piece<'_>, &mut Vec<T>) + Send + Sync + 'static,
    {
        let (slots, slot_rx) = mpsc::sync_channel(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            let _ = slots.send(());
        }
        let (block_tx, block_rx) = mpsc::sync_channel::<Block>(IN_FLIGHT);
        let (result_tx, results) = mpsc::sync_channel(IN_FLIGHT + 1);
        let block_rx = Arc::new(Mutex::new(block_rx));
        let parse = Arc::new(parse);
        let mut started: io::Result<()> = Err(io::Error::other("no parsing thread could be started"));
        for i in 0..workers.max(1) {
            let (blocks, parse, results) = (Arc::clone(&block_rx), Arc::clone(&parse), result_tx.clone());
            let worker = std::thread::Builder::new().name(format!("clickchain-parse-{i}"));
            match worker.spawn(move || work(&blocks, max_line, &*parse, &results)) {
                Ok(_) => started = Ok(()),
                Err(e) if started.is_err() => started = Err(e),
                Err(_) => {}
            }
        }
        let end_tx = result_tx.clone();
        let started = started.and_then(|()| {
            let reader = std::thread::Builder::new().name("clickchain-read".into());
            reader
                .spawn(move || {
                    let last = read_blocks(input, max_line, block.max(1), &slot_rx, &block_tx);
                    let _ = end_tx.send(Done::End(last));
                })
                .map(drop)
        });
        if let Err(e) = started {
            // No thread to read or parse with: the input ends at once with that error.
            let mut out = Vec::new();
            parse(Piece::Io(e), &mut out);
            let _ = result_tx.send(Done::Items(0, out));
            let _ = result_tx.send(Done::End(Some(0)));
        }
        ParallelLines {
            results,
            slots,
            waiting: BTreeMap::new(),
            current: Vec::new().into_iter(),
            next_seq: 0,
            last_seq: None,
        }
    }
}

fn work<T, F: Fn(Piece<'_>, &mut Vec<T>)>(
    blocks: &Mutex<Receiver<Block>>,
    max_line: usize,
    parse: &F,
    results: &SyncSender<Done<T>>,
) {
    loop {
        // The lock is held only while waiting for the next block, not while parsing it.
        let next = match blocks.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(Block { seq, first_line, lines, body }) = next else { return };
        // Growing it item by item would copy every item again at each doubling.
        let mut out = Vec::with_capacity(usize::try_from(lines).unwrap_or(0));
        let parsed = panic::catch_unwind(AssertUnwindSafe(|| parse_block(first_line, body, max_line, parse, &mut out)));
        let done = match parsed {
            Ok(()) => Done::Items(seq, out),
            Err(payload) => Done::Panicked(payload),
        };
        if results.send(done).is_err() {
            return;
        }
    }
}

fn parse_block<T, F: Fn(Piece<'_>, &mut Vec<T>)>(
    first_line: u64,
    body: Body,
    max_line: usize,
    parse: &F,
    out: &mut Vec<T>,
) {
    match body {
        Body::TooLong(len) => parse(Piece::TooLong { line: first_line, len }, out),
        Body::Io(e) => parse(Piece::Io(e), out),
        Body::Lines(bytes) => {
            for (line, raw) in (first_line..).zip(bytes.split_inclusive(|&b| b == b'\n')) {
                let mut text = raw.strip_suffix(b"\n").unwrap_or(raw);
                text = text.strip_suffix(b"\r").unwrap_or(text);
                if text.len() > max_line {
                    parse(Piece::TooLong { line, len: raw.len() as u64 }, out);
                } else {
                    if line == 1 {
                        text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
                    }
                    parse(Piece::Text { line, text }, out);
                }
            }
        }
    }
}

/// Reads `input` into blocks of whole lines; returns the last block's sequence number.
fn read_blocks(
    mut input: impl Read,
    max_line: usize,
    block: usize,
    slots: &Receiver<()>,
    blocks: &SyncSender<Block>,
) -> Option<u64> {
    let mut seq = 0u64;
    let mut line = 1u64;
    // Sends a block starting at `line`; false when the consumer is gone.
    let mut send = |body: Body| -> bool {
        let lines = match &body {
            Body::Lines(bytes) => count_lines(bytes),
            Body::TooLong(_) | Body::Io(_) => 1,
        };
        // A slot frees up when the consumer has taken an earlier block's items.
        if slots.recv().is_err() || blocks.send(Block { seq, first_line: line, lines, body }).is_err() {
            return false;
        }
        seq += 1;
        line += lines;
        true
    };
    // Bytes read and not yet sent: whole lines, then the start of the next one.
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut eof = false;
    loop {
        if !eof && buf.len() < block {
            match fill(&mut input, &mut buf, block) {
                Ok(0) => eof = true,
                Ok(_) => continue,
                Err(e) => {
                    // Lines read before the failure still count; then the input ends.
                    if buf.is_empty() || send(Body::Lines(std::mem::take(&mut buf))) {
                        send(Body::Io(e));
                    }
                    break;
                }
            }
        }
        let cut = match memchr::memrchr(b'\n', &buf) {
            Some(i) => i + 1,
            None if eof => buf.len(),
            // One line fills the block: read on while it may still be within the cap.
            None if buf.len() <= max_line + 2 => {
                let want = buf.len() + block;
                match fill(&mut input, &mut buf, want) {
                    Ok(0) => eof = true,
                    Ok(_) => {}
                    Err(e) => {
                        send(Body::Io(e));
                        break;
                    }
                }
                continue;
            }
            None => match skip_line(&mut input, buf.len() as u64) {
                Ok((len, after, end)) => {
                    eof = end;
                    buf = after;
                    if !send(Body::TooLong(len)) {
                        break;
                    }
                    continue;
                }
                Err(e) => {
                    send(Body::Io(e));
                    break;
                }
            },
        };
        if cut == 0 {
            break;
        }
        let rest = buf[cut..].to_vec();
        buf.truncate(cut);
        if !send(Body::Lines(std::mem::replace(&mut buf, rest))) || (eof && buf.is_empty()) {
            break;
        }
    }
    seq.checked_sub(1)
}

/// Lines in a block: its line breaks, plus an unterminated last line.
fn count_lines(bytes: &[u8]) -> u64 {
    let breaks = memchr::memchr_iter(b'\n', bytes).count() as u64;
    breaks + u64::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

/// Reads into `buf` until it holds `want` bytes or a read returns; the bytes read (0 at the end).
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    let start = buf.len();
    buf.resize(want.max(start + 1), 0);
    loop {
        match input.read(&mut buf[start..]) {
            Ok(n) => {
                buf.truncate(start + n);
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
}

/// Discards the rest of an over-long line: its whole length (`seen` bytes already read, and
/// its line break), the bytes read after it, and whether the input ended.
fn skip_line(input: &mut impl Read, seen: u64) -> io::Result<(u64, Vec<u8>, bool)> {
    let mut total = seen;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => return Ok((total, Vec::new(), true)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match memchr::memchr(b'\n', &chunk[..n]) {
            Some(i) => return Ok((total + i as u64 + 1, chunk[i + 1..n].to_vec(), false)),
            None => total += n as u64,
        }
    }
}

impl<T> ParallelLines<T> {
    fn next_block(&mut self) -> Option<Vec<T>> {
        loop {
            if let Some(items) = self.waiting.remove(&self.next_seq) {
                self.next_seq += 1;
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

impl<T> Iterator for ParallelLines<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(item);
            }
            self.current = self.next_block()?.into_iter();
        }
    }
}

#[cfg(test)]
mod tests;
