use std::io::{self, Read};

use proptest::prelude::*;

use super::{Backlog, Ordered, ParallelLines, Piece, IN_FLIGHT};
use crate::lines::{Line, LineReader};

/// What a piece says, comparable across implementations.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Text(u64, Vec<u8>),
    TooLong(u64, u64),
    Io(String),
}

fn record(piece: Piece<'_>, out: &mut Vec<Seen>) {
    out.push(match piece {
        Piece::Text { line, text } => Seen::Text(line, text.to_vec()),
        Piece::TooLong { line, len } => Seen::TooLong(line, len),
        Piece::Io(e) => Seen::Io(e.to_string()),
    });
}

/// The sequential reader's view of the same input (BOM stripped on line 1, as `next_record`).
fn sequential(input: &[u8], max: usize) -> Vec<Seen> {
    let mut reader = LineReader::new(io::BufReader::with_capacity(7, input), max);
    let mut out = Vec::new();
    while let Some((n, line)) = reader.next_line().unwrap() {
        out.push(match line {
            Line::Text(t) if n == 1 => Seen::Text(n, t.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(t).to_vec()),
            Line::Text(t) => Seen::Text(n, t.to_vec()),
            Line::TooLong(len) => Seen::TooLong(n, len),
        });
    }
    out
}

fn parallel(input: &[u8], workers: usize, max: usize, block: usize) -> Vec<Seen> {
    ParallelLines::with_block(io::Cursor::new(input.to_vec()), workers, max, block, record).collect()
}

/// Inputs made of short and long lines, `\r\n` endings, blank lines and a BOM.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'{'), Just(b' ')], 0..12),
        1 => (20usize..200).prop_map(|n| vec![b'x'; n]),
        1 => Just(b"\xEF\xBB\xBF{}".to_vec()),
    ];
    let ending = prop_oneof![3 => Just(&b"\n"[..]), 1 => Just(&b"\r\n"[..])];
    (proptest::collection::vec((line, ending), 0..40), any::<bool>()).prop_map(|(lines, last_terminated)| {
        let mut out = Vec::new();
        for (l, e) in &lines {
            out.extend_from_slice(l);
            out.extend_from_slice(e);
        }
        if !last_terminated && out.last() == Some(&b'\n') {
            out.pop();
        }
        out
    })
}

proptest! {
    /// The same lines, numbers and over-long verdicts as the sequential reader, whatever the
    /// block size (seams inside lines, `\r\n` split across blocks) and the number of workers.
    #[test]
    fn same_lines_as_the_sequential_reader(
        input in input(), workers in 1usize..4, max in 1usize..64, block in 1usize..48,
    ) {
        prop_assert_eq!(parallel(&input, workers, max, block), sequential(&input, max));
    }
}

#[test]
fn empty_input_has_no_lines() {
    assert_eq!(parallel(b"", 2, 10, 4), []);
}

#[test]
fn a_line_far_over_the_cap_is_skipped_without_losing_what_follows() {
    let mut input = vec![b'x'; 300_000];
    input.extend_from_slice(b"\nok\nlast");
    let seen = parallel(&input, 2, 100, 64);
    assert_eq!(seen, [Seen::TooLong(1, 300_001), Seen::Text(2, b"ok".to_vec()), Seen::Text(3, b"last".to_vec())]);
}

/// Fails after yielding `good` bytes.
struct FailsAfter {
    good: io::Cursor<Vec<u8>>,
}

impl Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.good.read(buf)? {
            0 => Err(io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[test]
fn lines_read_before_a_failure_are_kept_and_the_failure_ends_the_input() {
    for workers in [1, 2] {
        let reader = FailsAfter { good: io::Cursor::new(b"a\nb\nc".to_vec()) };
        let seen: Vec<Seen> = ParallelLines::with_block(reader, workers, 10, 3, record).collect();
        assert_eq!(
            seen,
            [
                Seen::Text(1, b"a".to_vec()),
                Seen::Text(2, b"b".to_vec()),
                Seen::Text(3, b"c".to_vec()),
                Seen::Io("disk on fire".into())
            ],
            "{workers} workers"
        );
    }
}

#[test]
fn a_panicking_parser_panics_the_consumer_instead_of_hanging_it() {
    for workers in [1, 2] {
        a_panicking_parser_panics_the_consumer(workers);
    }
}

fn a_panicking_parser_panics_the_consumer(workers: usize) {
    let lines = ParallelLines::with_block(io::Cursor::new(b"1\n2\nboom\n4\n".to_vec()), workers, 10, 2, |p, out| {
        if let Piece::Text { text: b"boom", .. } = p {
            panic!("parser bug");
        }
        out.push(());
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lines.count()));
    assert!(result.is_err());
}

#[test]
fn dropping_the_iterator_early_stops_its_threads() {
    for workers in [1, 2] {
        let input: Vec<u8> = (0..200_000).flat_map(|i| format!("{i}\n").into_bytes()).collect();
        let mut lines = ParallelLines::with_block(io::Cursor::new(input), workers, 100, 512, record);
        assert_eq!(lines.next(), Some(Seen::Text(1, b"0".to_vec())));
        drop(lines); // must return: the reader and workers see their channels close
    }
}

#[test]
fn ordered_keeps_the_items_order_whatever_each_costs() {
    // Uneven work: later items often finish first on another worker.
    let work = |i: u64, out: &mut Vec<u64>| {
        let spin = (i * 7919) % 50_000;
        let mut x = i;
        for _ in 0..spin {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
        }
        let _ = x;
        out.extend(std::iter::repeat_n(i, (i % 3) as usize));
    };
    let want: Vec<u64> = (0..2_000u64).flat_map(|i| std::iter::repeat_n(i, (i % 3) as usize)).collect();
    for workers in [1, 3] {
        let got: Vec<u64> = Ordered::new(0..2_000u64, workers, work).unwrap().collect();
        assert_eq!(got, want, "{workers} workers");
    }
}

/// Bytes as they are sent, blocking in between (a pipe with a slow writer).
struct Pipe(std::sync::mpsc::Receiver<Vec<u8>>, Vec<u8>);

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1.is_empty() {
            match self.0.recv() {
                Ok(bytes) => self.1 = bytes,
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.1.len());
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

#[test]
fn lines_of_a_slow_pipe_come_out_before_the_block_fills() {
    for workers in [1, 2] {
        lines_of_a_slow_pipe_come_out_with(workers);
    }
}

fn lines_of_a_slow_pipe_come_out_with(workers: usize) {
    let (write, read) = std::sync::mpsc::channel();
    let (got, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for item in ParallelLines::new(Pipe(read, Vec::new()), workers, 100, record) {
            if got.send(item).is_err() {
                return;
            }
        }
    });
    write.send(b"first\nsec".to_vec()).unwrap();
    let wait = std::time::Duration::from_secs(20);
    // The writer has not closed the pipe: the complete line must still come out.
    assert_eq!(seen.recv_timeout(wait).unwrap(), Seen::Text(1, b"first".to_vec()));
    write.send(b"ond\n".to_vec()).unwrap();
    assert_eq!(seen.recv_timeout(wait).unwrap(), Seen::Text(2, b"second".to_vec()));
    drop(write);
    assert!(seen.recv_timeout(wait).is_err(), "the input ended");
}

#[test]
fn backlog_counts_the_results_waiting_for_the_consumer() {
    for workers in [1, 2] {
        let backlog = Backlog::default();
        let mut items = Ordered::with_backlog(0..10u64, workers, backlog.clone(), |i, out: &mut Vec<u64>| out.push(i))
            .expect("threads start");
        // Nothing is taken yet: the workers stop once every slot holds a result.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while backlog.waiting() < IN_FLIGHT && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(backlog.waiting(), IN_FLIGHT, "{workers} workers");
        assert_eq!(items.next(), Some(0));
        assert_eq!(items.collect::<Vec<_>>(), (1..10).collect::<Vec<_>>());
        assert_eq!(backlog.waiting(), 0, "{workers} workers");
    }
}
