//! Reading records delimited by newlines, with a hard cap on a record's length.
//!
//! A line longer than the cap is skipped as it streams past (never buffered whole), so a 100 MB
//! line costs no more memory than a short one.

use std::io::{self, BufRead};
use std::sync::Arc;

use crate::error::{ReadError, RecordError};
use crate::event::{Position, SourceRef};

/// One line read by [`LineReader::next_line`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A line within the cap, without its `\n` / `\r\n`.
    Text(&'a [u8]),
    /// A line over the cap: its total length in bytes. Its content was discarded.
    TooLong(u64),
}

/// Splits a byte stream into lines, counting them from 1.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line_no: u64,
    max: usize,
    failed: bool,
}

impl<R: BufRead> LineReader<R> {
    /// A reader that accepts lines of at most `max` bytes.
    pub fn new(inner: R, max: usize) -> Self {
        LineReader { inner, buf: Vec::new(), line_no: 0, max, failed: false }
    }

    /// The 1-based number of the line last returned.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Changes the longest line accepted.
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// The longest line accepted, in bytes.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The next non-blank line of `input` as a record (its source, and its text without a leading
    /// byte-order mark); an over-long line and the first I/O failure come as errors, and after an
    /// I/O failure the input ends. What every line-based reader does before parsing.
    pub fn next_record(&mut self, input: &Arc<str>) -> Option<Result<(SourceRef, &[u8]), ReadError>> {
        if self.failed {
            return None;
        }
        loop {
            let line_no = match self.next_line() {
                Ok(Some((n, Line::TooLong(len)))) => {
                    let at = SourceRef { input: Arc::clone(input), pos: Position::Line(n) };
                    let error = RecordError::TooLong { len, max: self.max };
                    return Some(Err(ReadError::Record { at, error }));
                }
                Ok(Some((n, Line::Text(_)))) => n,
                Ok(None) => return None,
                Err(error) => {
                    self.failed = true;
                    return Some(Err(ReadError::Io { input: input.to_string(), error }));
                }
            };
            if self.current_trimmed(line_no).iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let at = SourceRef { input: Arc::clone(input), pos: Position::Line(line_no) };
            return Some(Ok((at, self.current_trimmed(line_no))));
        }
    }

    /// The text of the line last read (without its line break).
    fn current(&self) -> &[u8] {
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        &self.buf[..end]
    }

    fn current_trimmed(&self, line_no: u64) -> &[u8] {
        let text = self.current();
        if line_no == 1 {
            text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text)
        } else {
            text
        }
    }

    /// The next line with its 1-based number, or `None` at end of input.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let mut total: u64 = 0;
        let mut overflow = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                if total == 0 {
                    return Ok(None);
                }
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            total += take as u64;
            if !overflow {
                if self.buf.len() + take > self.max + 2 {
                    overflow = true;
                    self.buf = Vec::new();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.inner.consume(take);
            if done {
                break;
            }
        }
        self.line_no += 1;
        if overflow {
            return Ok(Some((self.line_no, Line::TooLong(total))));
        }
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        if end > self.max {
            return Ok(Some((self.line_no, Line::TooLong(total))));
        }
        Ok(Some((self.line_no, Line::Text(&self.buf[..end]))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<String> {
        let mut r = LineReader::new(io::BufReader::with_capacity(4, input), max);
        let mut out = Vec::new();
        while let Some((_, l)) = r.next_line().unwrap() {
            out.push(match l {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::TooLong(n) => format!("<{n}>"),
            });
        }
        out
    }

    #[test]
    fn splits_lines_and_strips_crlf() {
        assert_eq!(lines(b"ab\r\ncd\n\nef", 10), ["ab", "cd", "", "ef"]);
    }

    #[test]
    fn long_line_is_skipped_and_reading_goes_on() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nok\n");
        assert_eq!(lines(&input, 16), ["<1001>", "ok"]);
    }

    #[test]
    fn line_exactly_at_cap_is_accepted() {
        assert_eq!(lines(b"abcd\r\nabcde\n", 4), ["abcd", "<6>"]);
    }
}
