//! Splitting a byte stream into top-level JSON values, one line at a time: NDJSON, pretty-printed
//! documents (several per file), and documents separated by commas, as exported search hits are.
//!
//! Only brackets outside strings are tracked, so a broken document is cut at its closing
//! bracket and reported by its parser while the next one is read normally. A document longer
//! than the cap is skipped as it streams past.

use std::io::{self, BufRead};

use crate::lines::{Line, LineReader};

/// One top-level value: its first line and its text (or its length when over the cap).
#[derive(Debug, PartialEq, Eq)]
pub enum Doc {
    /// A value's text.
    Text {
        /// 1-based line it starts on.
        line: u64,
        /// The value.
        text: Vec<u8>,
    },
    /// A value longer than the cap; its content was discarded.
    TooLong {
        /// 1-based line it starts on.
        line: u64,
        /// Its length in bytes, line breaks included (so far, when cut by the end of input).
        len: u64,
    },
    /// Bytes between values that are not whitespace or a comma (e.g. a stray word).
    Junk {
        /// The line they are on.
        line: u64,
        /// The first bytes, for the message.
        head: String,
    },
}

/// Reads top-level JSON values.
pub struct JsonDocs<R> {
    lines: LineReader<R>,
    max: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    current: Vec<u8>,
    start_line: u64,
    len: u64,
    over: bool,
    /// Per depth (bit `depth - 1`, up to 64): whether that open container is an object.
    objects: u64,
    ready: std::collections::VecDeque<Doc>,
}

impl<R: BufRead> JsonDocs<R> {
    /// A splitter accepting values of at most `max` bytes (lines up to `max` too).
    pub fn new(reader: R, max: usize) -> Self {
        JsonDocs {
            lines: LineReader::new(reader, max),
            max,
            depth: 0,
            in_string: false,
            escaped: false,
            current: Vec::new(),
            start_line: 0,
            len: 0,
            over: false,
            objects: 0,
            ready: Default::default(),
        }
    }

    /// The next value, or `None` at the end of input.
    pub fn next_doc(&mut self) -> io::Result<Option<Doc>> {
        Ok(self.next_doc_or_line(|_, _| false)?.map(|d| d.expect("no line is taken")))
    }

    /// As [`JsonDocs::next_doc`], but each line that starts outside any value is first offered
    /// to `take` (with its number; without a leading byte-order mark): when `take` returns
    /// true it has used the line (an NDJSON document, say), and `Some(None)` is returned.
    /// Otherwise the line is split as usual.
    pub fn next_doc_or_line(&mut self, mut take: impl FnMut(u64, &[u8]) -> bool) -> io::Result<Option<Option<Doc>>> {
        loop {
            if let Some(d) = self.ready.pop_front() {
                return Ok(Some(Some(d)));
            }
            let Some((line_no, line)) = self.lines.next_line()? else {
                if self.depth > 0 {
                    // Cut by the end of input: hand over what there is; its parser says why.
                    return Ok(Some(Some(self.cut())));
                }
                return Ok(None);
            };
            match line {
                Line::TooLong(len) => {
                    if self.depth == 0 {
                        return Ok(Some(Some(Doc::TooLong { line: line_no, len })));
                    }
                    // Inside a value: it is too long as well (its brackets in this line are lost).
                    self.over = true;
                    self.len += len;
                }
                Line::Text(text) => {
                    let text = if line_no == 1 { text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text) } else { text };
                    if self.depth == 0 && take(line_no, text) {
                        return Ok(Some(None));
                    }
                    let text = text.to_vec();
                    self.scan(line_no, &text);
                }
            }
        }
    }

    fn finish(&mut self) -> Doc {
        let doc = if self.over {
            Doc::TooLong { line: self.start_line, len: self.len }
        } else {
            Doc::Text { line: self.start_line, text: std::mem::take(&mut self.current) }
        };
        self.current.clear();
        self.over = false;
        self.len = 0;
        self.in_string = false;
        self.escaped = false;
        doc
    }

    fn scan(&mut self, line_no: u64, text: &[u8]) {
        if self.depth > 0 && text.first() == Some(&b'{') && (self.in_string || self.innermost_is_object()) {
            // No printer puts a value inside an object at column 0, and no string spans lines:
            // the open value is a truncated record (an NDJSON line cut short), and this line
            // starts the next one. Its parser reports it; it must not swallow what follows.
            let doc = self.cut();
            self.ready.push_back(doc);
        }
        let mut i = 0;
        while i < text.len() {
            let c = text[i];
            if self.depth == 0 {
                match c {
                    b'{' | b'[' => {
                        self.start_line = line_no;
                        self.depth = 1;
                        self.objects = u64::from(c == b'{');
                        self.push(&[c]);
                    }
                    b',' | b']' => {}
                    c if c.is_ascii_whitespace() => {}
                    _ => {
                        let end = text[i..].iter().position(|&b| b == b'{' || b == b'[').map_or(text.len(), |p| i + p);
                        let head = String::from_utf8_lossy(&text[i..end.min(i + 32)]).into_owned();
                        self.ready.push_back(Doc::Junk { line: line_no, head });
                        i = end;
                        continue;
                    }
                }
                i += 1;
                continue;
            }
            // Inside a value: copy bytes up to the bracket that closes it.
            let start = i;
            while i < text.len() && self.depth > 0 {
                let c = text[i];
                if self.in_string {
                    if self.escaped {
                        self.escaped = false;
                    } else if c == b'\\' {
                        self.escaped = true;
                    } else if c == b'"' {
                        self.in_string = false;
                    }
                } else {
                    match c {
                        b'"' => self.in_string = true,
                        b'{' | b'[' => {
                            if self.depth < 64 {
                                let bit = 1u64 << self.depth;
                                self.objects = if c == b'{' { self.objects | bit } else { self.objects & !bit };
                            }
                            self.depth += 1;
                        }
                        b'}' | b']' => self.depth -= 1,
                        _ => {}
                    }
                }
                i += 1;
            }
            self.push(&text[start..i]);
            if self.depth == 0 {
                let doc = self.finish();
                self.ready.push_back(doc);
            }
        }
        if self.depth > 0 {
            self.push(b"\n");
        }
    }

    /// Ends a value that did not close, without the line breaks after its last text (so that
    /// its parser names the line where it stops).
    fn cut(&mut self) -> Doc {
        self.depth = 0;
        while self.current.last().is_some_and(u8::is_ascii_whitespace) {
            self.current.pop();
        }
        self.finish()
    }

    fn innermost_is_object(&self) -> bool {
        self.depth <= 64 && self.objects & (1u64 << (self.depth - 1)) != 0
    }

    fn push(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.over {
            return;
        }
        if self.current.len() + bytes.len() > self.max {
            self.over = true;
            self.current = Vec::new();
        } else {
            self.current.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(input: &str, max: usize) -> Vec<String> {
        let mut d = JsonDocs::new(input.as_bytes(), max);
        let mut out = Vec::new();
        while let Some(doc) = d.next_doc().unwrap() {
            out.push(match doc {
                Doc::Text { line, text } => format!("{line}:{}", String::from_utf8(text).unwrap().replace('\n', " ")),
                Doc::TooLong { line, len } => format!("{line}:<{len}>"),
                Doc::Junk { line, head } => format!("{line}:junk {head}"),
            });
        }
        out
    }

    #[test]
    fn ndjson_pretty_and_comma_separated() {
        let input = "{\"a\":1}\n{\"b\":\"}\\\"{\"}\n{\n  \"c\": [1,\n 2]\n},\n{\"d\":{}}\n";
        assert_eq!(
            docs(input, 1024),
            ["1:{\"a\":1}", "2:{\"b\":\"}\\\"{\"}", "3:{   \"c\": [1,  2] }", "7:{\"d\":{}}"]
        );
    }

    #[test]
    fn broken_value_is_cut_and_the_next_one_is_read() {
        let input = "{\"a\": 1 \"b\": 2}\nnot json\n{\"c\":3}\n{\"d\": [";
        assert_eq!(docs(input, 1024), ["1:{\"a\": 1 \"b\": 2}", "2:junk not json", "3:{\"c\":3}", "4:{\"d\": ["]);
    }

    #[test]
    fn truncated_line_in_ndjson_does_not_swallow_the_rest() {
        // A line starting with `{` inside an open object, or after an unterminated string,
        // starts a new record: the open one was cut short.
        let input = "{\"a\":1}\n{\"broken\": \n{\"b\":{\"c\":2}}\n{\"s\":\"unterminated\n{\"e\":3}\n";
        assert_eq!(
            docs(input, 1024),
            ["1:{\"a\":1}", "2:{\"broken\":", "3:{\"b\":{\"c\":2}}", "4:{\"s\":\"unterminated", "5:{\"e\":3}"]
        );
        // An array of records, one per line, is still one value.
        let array = "[\n{\"a\":1},\n{\"b\":2}\n]\n";
        assert_eq!(docs(array, 1024), ["1:[ {\"a\":1}, {\"b\":2} ]"]);
    }

    #[test]
    fn too_long_values_are_skipped_without_buffering() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(100));
        let input = format!("{big}\n{{\"y\":1}}\n{{\n\"z\": \"{}\"\n}}\n{{\"w\":2}}", "b".repeat(100));
        assert_eq!(docs(&input, 64), ["1:<109>", "2:{\"y\":1}", "3:<111>", "6:{\"w\":2}"]);
    }
}
