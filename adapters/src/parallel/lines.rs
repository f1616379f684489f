//! [`ParallelLines`]: the lines of an input, read in blocks of whole lines on one thread and
//! parsed on several ([`super::Ordered`]). A line longer than the cap is skipped as it streams
//! past, as [`LineReader`](crate::lines::LineReader) does.

use std::io::{self, Read};
use std::sync::Arc;

use super::{Backlog, Ordered};
use crate::error::{ReadError, RecordError};
use crate::event::{Event, Position, SourceRef};

/// Bytes read per block (a block ends at the last line break within it; see [`super::IN_FLIGHT`]).
pub const BLOCK: usize = 64 * 1024;

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

/// One block as read: the number of its first line, and what it holds.
struct Block {
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

/// The items of an input's lines, parsed on several threads, in input order.
pub struct ParallelLines<T>(Ordered<T>);

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

    /// As [`new`](Self::new), keeping `backlog` (blocks parsed and not yet taken) up to date:
    /// `parse` may hold a clone of it to leave work to the consumer while the consumer waits.
    pub fn with_backlog<R, F>(input: R, workers: usize, max_line: usize, backlog: Backlog, parse: F) -> Self
    where
        R: Read + Send + 'static,
        F: Fn(Piece<'_>, &mut Vec<T>) + Send + Sync + 'static,
    {
        Self::build(input, workers, max_line, BLOCK, backlog, parse)
    }

    /// As [`new`](Self::new) with blocks of `block` bytes (small ones test the seams).
    pub fn with_block<R, F>(input: R, workers: usize, max_line: usize, block: usize, parse: F) -> Self
    where
        R: Read + Send + 'static,
        F: Fn(Piece<'_>, &mut Vec<T>) + Send + Sync + 'static,
    {
        Self::build(input, workers, max_line, block, Backlog::default(), parse)
    }

    fn build<R, F>(input: R, workers: usize, max_line: usize, block: usize, backlog: Backlog, parse: F) -> Self
    where
        R: Read + Send + 'static,
        F: Fn(Piece<'_>, &mut Vec<T>) + Send + Sync + 'static,
    {
        let blocks = Blocks {
            input,
            max_line,
            block: block.max(1),
            buf: Vec::new(),
            line: 1,
            eof: false,
            done: false,
            pending_error: None,
        };
        let parse = std::sync::Arc::new(parse);
        let work = {
            let parse = std::sync::Arc::clone(&parse);
            move |b: Block, out: &mut Vec<T>| {
                // Growing `out` item by item would copy every item again at each doubling.
                out.reserve(usize::try_from(b.lines).unwrap_or(0));
                parse_block(b.first_line, b.body, max_line, &*parse, out)
            }
        };
        ParallelLines(Ordered::with_backlog(blocks, workers, backlog, work).unwrap_or_else(|e| {
            // No thread to read or parse with: the input ends at once with that error.
            let mut out = Vec::new();
            parse(Piece::Io(e), &mut out);
            Ordered::ready(out)
        }))
    }
}

/// The events of an input with one record per line, parsed on `workers` threads: each non-blank
/// line goes to `parse` (its number and text), which pushes what it maps; an over-long line
/// and a read failure become errors naming `input`, as the sequential readers report them.
pub fn event_lines<R, F>(
    input: Arc<str>,
    reader: R,
    workers: usize,
    max_line: usize,
    parse: F,
) -> ParallelLines<Result<Event, ReadError>>
where
    R: Read + Send + 'static,
    F: Fn(u64, &[u8], &mut Vec<Result<Event, ReadError>>) + Send + Sync + 'static,
{
    ParallelLines::new(reader, workers, max_line, move |piece, out| match piece {
        Piece::Text { text, .. } if text.iter().all(u8::is_ascii_whitespace) => {}
        Piece::Text { line, text } => parse(line, text, out),
        Piece::TooLong { line, len } => out.push(Err(ReadError::Record {
            at: SourceRef { input: Arc::clone(&input), pos: Position::Line(line) },
            error: RecordError::TooLong { len, max: max_line },
        })),
        Piece::Io(error) => out.push(Err(ReadError::Io { input: input.to_string(), error })),
    })
}

impl<T> Iterator for ParallelLines<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.0.next()
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
            for (line, raw) in (first_line..).zip(split_lines(&bytes)) {
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

/// The lines of `bytes`, each with its `\n` (the last one may have none), as
/// `split_inclusive` gives them but found with `memchr` (a byte at a time, splitting showed in
/// a Sysmon JSON scan's profile: `docs/performance.md`).
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).map(|i| i + 1).chain(Some(bytes.len()));
    ends.filter_map(move |end| {
        let line = bytes.get(start..end).filter(|l| !l.is_empty());
        start = end;
        line
    })
}

/// An input as blocks of whole lines.
struct Blocks<R> {
    input: R,
    max_line: usize,
    block: usize,
    /// Bytes read and not yet sent: whole lines, then the start of the next one.
    buf: Vec<u8>,
    /// The number of the next block's first line.
    line: u64,
    eof: bool,
    done: bool,
    /// A read error to report after the lines read before it.
    pending_error: Option<io::Error>,
}

impl<R: Read> Blocks<R> {
    fn emit(&mut self, body: Body) -> Option<Block> {
        let lines = match &body {
            Body::Lines(bytes) => count_lines(bytes),
            Body::TooLong(_) | Body::Io(_) => 1,
        };
        let first_line = self.line;
        self.line += lines;
        Some(Block { first_line, lines, body })
    }

    /// Ends the input with a read error (after the whole lines before it).
    fn fail(&mut self, e: io::Error) -> Option<Block> {
        self.done = true;
        self.emit(Body::Io(e))
    }
}

impl<R: Read> Iterator for Blocks<R> {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        if let Some(e) = self.pending_error.take() {
            return self.fail(e);
        }
        if self.done {
            return None;
        }
        loop {
            if !self.eof && self.buf.len() < self.block {
                let before = self.buf.len();
                match fill(&mut self.input, &mut self.buf, self.block) {
                    Ok(0) => self.eof = true,
                    // A short read (a pipe with nothing more yet) that completed a line: those
                    // lines go now rather than when the block fills, so a live stream is not held.
                    Ok(n) if n < self.block - before && self.buf[before..].contains(&b'\n') => {}
                    Ok(_) => continue,
                    // Lines read before the failure still count; then the input ends.
                    Err(e) if self.buf.is_empty() => return self.fail(e),
                    Err(e) => {
                        let lines = std::mem::take(&mut self.buf);
                        let block = self.emit(Body::Lines(lines));
                        self.pending_error = Some(e);
                        return block;
                    }
                }
            }
            let cut = match memchr::memrchr(b'\n', &self.buf) {
                Some(i) => i + 1,
                None if self.eof => self.buf.len(),
                // One line fills the block: read on while it may still be within the cap.
                None if self.buf.len() <= self.max_line + 2 => {
                    let want = self.buf.len() + self.block;
                    match fill(&mut self.input, &mut self.buf, want) {
                        Ok(0) => self.eof = true,
                        Ok(_) => {}
                        Err(e) => return self.fail(e),
                    }
                    continue;
                }
                None => match skip_line(&mut self.input, self.buf.len() as u64) {
                    Ok((len, after, end)) => {
                        self.eof = end;
                        self.buf = after;
                        return self.emit(Body::TooLong(len));
                    }
                    Err(e) => return self.fail(e),
                },
            };
            if cut == 0 {
                self.done = true;
                return None;
            }
            let rest = self.buf[cut..].to_vec();
            self.buf.truncate(cut);
            let lines = std::mem::replace(&mut self.buf, rest);
            self.done = self.eof && self.buf.is_empty();
            return self.emit(Body::Lines(lines));
        }
    }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn split_lines_cuts_as_split_inclusive(bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a')], 0..40)) {
            let ours: Vec<&[u8]> = super::split_lines(&bytes).collect();
            let std: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
            prop_assert_eq!(ours, std);
        }
    }
}
