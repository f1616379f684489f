//! Cutting a file's bytes into complete lines, with a bounded buffer for the partial last one.

/// What [`LineCutter::feed`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cut<'a> {
    /// A complete line at `offset`, without its newline (nor a `\r` before it).
    Line(u64, &'a [u8]),
    /// A line at `offset` longer than the limit: it is skipped up to its newline.
    Overlong(u64),
}

/// The per-file state between reads: the partial last line and where it starts.
#[derive(Debug)]
pub(crate) struct LineCutter {
    /// Bytes of the line being read, never more than `max` of them.
    pending: Vec<u8>,
    /// File offset of the first byte not yet delivered in a complete line (the checkpoint
    /// offset): the start of `pending`, or the read position while skipping.
    line_start: u64,
    /// The next byte fed sits at this offset.
    read_pos: u64,
    /// Discarding bytes up to the next newline (an overlong line, or a start inside a line).
    skipping: bool,
    max: usize,
}

/// Memory kept for a partial line after a long one was delivered or skipped.
const KEPT_CAPACITY: usize = 64 * 1024;

impl LineCutter {
    /// A cutter reading from `offset`; `skip_first` discards up to the first newline.
    pub(crate) fn new(offset: u64, skip_first: bool, max: usize) -> LineCutter {
        LineCutter { pending: Vec::new(), line_start: offset, read_pos: offset, skipping: skip_first, max }
    }

    /// The checkpoint offset (see `line_start`).
    pub(crate) fn offset(&self) -> u64 {
        self.line_start
    }

    /// Where the next byte fed belongs.
    pub(crate) fn read_pos(&self) -> u64 {
        self.read_pos
    }

    /// Whether a partial line is buffered.
    pub(crate) fn has_partial(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Cuts `chunk` (the bytes at `read_pos`) into lines; `emit` sees each.
    pub(crate) fn feed(&mut self, chunk: &[u8], mut emit: impl FnMut(Cut<'_>)) {
        let mut rest = chunk;
        while let Some(newline) = memchr::memchr(b'\n', rest) {
            let segment = &rest[..newline];
            if self.skipping {
                self.skipping = false;
            } else if self.pending.len() + segment.len() > self.max {
                emit(Cut::Overlong(self.line_start));
                self.clear_pending();
            } else if self.pending.is_empty() {
                emit(Cut::Line(self.line_start, trim_cr(segment)));
            } else {
                self.pending.extend_from_slice(segment);
                emit(Cut::Line(self.line_start, trim_cr(&self.pending)));
                self.clear_pending();
            }
            self.read_pos += newline as u64 + 1;
            self.line_start = self.read_pos;
            rest = &rest[newline + 1..];
        }
        self.read_pos += rest.len() as u64;
        if !self.skipping && self.pending.len() + rest.len() > self.max {
            emit(Cut::Overlong(self.line_start));
            self.clear_pending();
            self.skipping = true;
        }
        if self.skipping {
            // Resuming from here lands inside the line and skips its rest again, uncounted twice.
            self.line_start = self.read_pos;
        } else {
            self.pending.extend_from_slice(rest);
        }
    }

    /// The partial last line, taken out (when its file will not grow again).
    pub(crate) fn take_partial(&mut self) -> Option<(u64, Vec<u8>)> {
        if self.pending.is_empty() {
            return None;
        }
        let line = std::mem::take(&mut self.pending);
        let offset = self.line_start;
        self.line_start = self.read_pos;
        Some((offset, line))
    }

    /// The line length limit.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    fn clear_pending(&mut self) {
        self.pending.clear();
        self.pending.shrink_to(KEPT_CAPACITY);
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut_all(cutter: &mut LineCutter, chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for chunk in chunks {
            cutter.feed(chunk, |cut| match cut {
                Cut::Line(at, text) => out.push(format!("{at}:{}", String::from_utf8_lossy(text))),
                Cut::Overlong(at) => out.push(format!("{at}:overlong")),
            });
        }
        out
    }

    #[test]
    fn lines_split_across_chunks_come_out_once_complete() {
        let mut cutter = LineCutter::new(0, false, 100);
        assert_eq!(cut_all(&mut cutter, &[b"ab", b"c\nde\r\nf"]), ["0:abc", "4:de"]);
        assert_eq!(cutter.offset(), 8);
        assert!(cutter.has_partial());
        assert_eq!(cut_all(&mut cutter, &[b"\n"]), ["8:f"]);
        assert_eq!((cutter.offset(), cutter.read_pos()), (10, 10));
    }

    #[test]
    fn an_overlong_line_is_skipped_and_never_buffered_past_the_limit() {
        let mut cutter = LineCutter::new(0, false, 4);
        let mut out = cut_all(&mut cutter, &[b"ok\n123"]);
        out.extend(cut_all(&mut cutter, &[b"45"]));
        assert!(cutter.pending.capacity() <= KEPT_CAPACITY);
        assert_eq!(cutter.offset(), 8, "a checkpoint inside the skipped line resumes after what was read");
        out.extend(cut_all(&mut cutter, &[&[b'x'; 1000][..], b"\nnext\n12345\n1234\n"]));
        assert_eq!(out, ["0:ok", "3:overlong", "1009:next", "1014:overlong", "1020:1234"]);
    }

    #[test]
    fn skip_first_drops_the_line_begun_before_the_start() {
        let mut cutter = LineCutter::new(10, true, 100);
        assert_eq!(cut_all(&mut cutter, &[b"tail\nnew\n"]), ["15:new"]);
    }

    #[test]
    fn the_partial_line_is_taken_out_once() {
        let mut cutter = LineCutter::new(0, false, 100);
        assert_eq!(cut_all(&mut cutter, &[b"a\nbc"]), ["0:a"]);
        assert_eq!(cutter.take_partial(), Some((2, b"bc".to_vec())));
        assert_eq!(cutter.take_partial(), None);
        assert_eq!(cutter.offset(), 4);
    }
}
