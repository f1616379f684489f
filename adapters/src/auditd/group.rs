//! Grouping records into events by `(node, time, serial)`.
//!
//! Records of one event usually come together and end with `EOE`, but single-record events have
//! no `EOE`, concurrent events interleave, and order within an event is not guaranteed. So every
//! event stays open until its `EOE`, or until its node's clock has moved `max_delay_ms` past it,
//! or until the buffer is full (then the oldest event of the node goes first). Everything is
//! bounded: events held, records per event, bytes held.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::error::RecordError;

/// The record types the mapping reads; any other type only marks its event as "not a syscall".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// `SYSCALL`: which syscall, by whom, with what result.
    Syscall,
    /// `EXECVE`: argv (maybe over several records).
    Execve,
    /// `CWD`: the working directory relative names are resolved against.
    Cwd,
    /// `PATH`: one file the syscall touched.
    Path,
    /// `SOCKADDR`: the address given to connect.
    Sockaddr,
    /// `PROCTITLE`: argv as `/proc/pid/cmdline` (NUL-separated, 128 bytes at most).
    Proctitle,
}

impl RecordKind {
    /// The kind of a record type, `None` for types the mapping does not read.
    pub fn of(record_type: &str) -> Option<RecordKind> {
        Some(match record_type {
            "SYSCALL" => RecordKind::Syscall,
            "EXECVE" => RecordKind::Execve,
            "CWD" => RecordKind::Cwd,
            "PATH" => RecordKind::Path,
            "SOCKADDR" => RecordKind::Sockaddr,
            "PROCTITLE" => RecordKind::Proctitle,
            _ => return None,
        })
    }
}

/// One record kept for mapping.
#[derive(Debug, Clone)]
pub struct Record {
    /// Its kind.
    pub kind: RecordKind,
    /// Its 1-based line in the input.
    pub line: u64,
    /// The raw fields.
    pub body: Box<str>,
    /// The ENRICHED fields (empty in RAW logs).
    pub enriched: Box<str>,
}

/// A mapping failure and the line of the record it is about.
pub(super) type Fail = (u64, RecordError);

/// Turns an error about record `r` into a [`Fail`] at its line.
pub(super) fn at(r: &Record) -> impl Fn(RecordError) -> Fail + '_ {
    move |e| (r.line, e)
}

/// The records of one audit event.
#[derive(Debug, Clone)]
pub struct Group {
    /// `node=`, when given.
    pub node: Option<Box<str>>,
    /// Event time in epoch milliseconds.
    pub time_ms: i64,
    /// The serial.
    pub serial: u64,
    /// The kept records, in input order.
    pub records: Vec<Record>,
    /// The first line of the event in the input.
    pub first_line: u64,
    /// A record of a type the mapping does not read belongs to this event (`URINGOP`, `AVC`, …).
    pub has_other_types: bool,
    /// Records dropped because the event exceeded its record or byte budget.
    pub overflow: u64,
    bytes: usize,
    /// The buffer's record count when this event last got a record.
    last_seq: u64,
}

/// Bounds of the grouping buffer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// An event is flushed once its node logged a record this much later (ms) and
    /// `min_records_after` records came since the event's last one.
    pub max_delay_ms: i64,
    /// See `max_delay_ms`: a sparse log's next event may be seconds later while the records of
    /// the current one are still coming (go-libaudit's `out_of_order.log`).
    pub min_records_after: u64,
    /// Most events held open at once (over all nodes).
    pub max_open: usize,
    /// Most records kept per event.
    pub max_records: usize,
    /// Most bytes of record text held at once (over all events).
    pub max_bytes: usize,
    /// Most bytes of record text kept per event.
    pub max_event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // laurel and go-libaudit flush after ~2 s; the engine tolerates 5 s of reordering.
        Limits {
            max_delay_ms: 2_000,
            min_records_after: 16,
            max_open: 4_096,
            max_records: 1_024,
            max_bytes: 32 << 20,
            max_event_bytes: 1 << 20,
        }
    }
}

type Node = Option<Box<str>>;

/// Open events, per node, oldest first.
#[derive(Debug, Default)]
pub struct Grouper {
    limits: Limits,
    nodes: HashMap<Node, NodeEvents>,
    open: usize,
    bytes: usize,
    seq: u64,
    /// Events flushed early because the buffer was full.
    pub forced: u64,
}

#[derive(Debug, Default)]
struct NodeEvents {
    newest_ms: i64,
    events: BTreeMap<(i64, u64), Group>,
}

/// A record handed to [`Grouper::push`].
pub struct Incoming<'a> {
    /// `node=`.
    pub node: Option<&'a str>,
    /// Epoch ms.
    pub time_ms: i64,
    /// Serial.
    pub serial: u64,
    /// Line number.
    pub line: u64,
    /// The record, or `None` for a type the mapping does not read.
    pub record: Option<(RecordKind, &'a str, &'a str)>,
    /// It is the `EOE` that closes its event.
    pub end_of_event: bool,
}

impl Grouper {
    /// An empty buffer with `limits`.
    pub fn new(limits: Limits) -> Self {
        Grouper { limits, ..Default::default() }
    }

    /// Events held open.
    pub fn open_events(&self) -> usize {
        self.open
    }

    /// Adds one record; events that are complete or too old are appended to `out`.
    pub fn push(&mut self, rec: Incoming<'_>, out: &mut VecDeque<Group>) {
        let node_key: Node = rec.node.map(Box::from);
        let limits = self.limits;
        self.seq += 1;
        let seq = self.seq;
        if self.nodes.len() >= 1_024 && !self.nodes.contains_key(&node_key) {
            // Thousands of node names: flush everything rather than hold an unbounded map.
            self.flush_all(out);
        }
        let node = self.nodes.entry(node_key).or_default();
        node.newest_ms = node.newest_ms.max(rec.time_ms);
        let key = (rec.time_ms, rec.serial);
        if rec.end_of_event {
            if let Some(g) = node.events.remove(&key) {
                self.open -= 1;
                self.bytes -= g.bytes;
                out.push_back(g);
            }
        } else {
            let group = node.events.entry(key).or_insert_with(|| {
                self.open += 1;
                Group {
                    node: rec.node.map(Box::from),
                    time_ms: rec.time_ms,
                    serial: rec.serial,
                    records: Vec::new(),
                    first_line: rec.line,
                    has_other_types: false,
                    overflow: 0,
                    bytes: 0,
                    last_seq: seq,
                }
            });
            group.last_seq = seq;
            match rec.record {
                None => group.has_other_types = true,
                Some((kind, body, enriched)) => {
                    let size = body.len() + enriched.len();
                    if group.records.len() >= limits.max_records || group.bytes + size > limits.max_event_bytes {
                        group.overflow += 1;
                    } else {
                        group.bytes += size;
                        self.bytes += size;
                        group.records.push(Record {
                            kind,
                            line: rec.line,
                            body: body.into(),
                            enriched: enriched.into(),
                        });
                    }
                }
            }
        }
        // Events this node's clock has left behind.
        let horizon = node.newest_ms.saturating_sub(limits.max_delay_ms);
        while let Some(entry) = node.events.first_entry() {
            if entry.key().0 >= horizon || seq - entry.get().last_seq < limits.min_records_after {
                break;
            }
            let g = entry.remove();
            self.open -= 1;
            self.bytes -= g.bytes;
            out.push_back(g);
        }
        while self.open > limits.max_open || self.bytes > limits.max_bytes {
            self.forced += 1;
            self.flush_oldest(out);
        }
    }

    /// Flushes the oldest open event of the node holding the most.
    fn flush_oldest(&mut self, out: &mut VecDeque<Group>) {
        let Some(node) = self.nodes.values_mut().max_by_key(|n| n.events.len()) else { return };
        if let Some((_, g)) = node.events.pop_first() {
            self.open -= 1;
            self.bytes -= g.bytes;
            out.push_back(g);
        }
    }

    /// Flushes every open event (end of input), oldest first per node.
    pub fn flush_all(&mut self, out: &mut VecDeque<Group>) {
        for (_, node) in self.nodes.drain() {
            out.extend(node.events.into_values());
        }
        self.open = 0;
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(node: Option<&'static str>, t: i64, serial: u64, line: u64, eoe: bool) -> Incoming<'static> {
        Incoming {
            node,
            time_ms: t,
            serial,
            line,
            record: (!eoe).then_some((RecordKind::Path, "item=0", "")),
            end_of_event: eoe,
        }
    }

    #[test]
    fn interleaved_events_flush_on_eoe() {
        let mut g = Grouper::new(Limits::default());
        let mut out = VecDeque::new();
        g.push(rec(None, 1000, 1, 1, false), &mut out);
        g.push(rec(None, 1000, 2, 2, false), &mut out);
        g.push(rec(None, 1000, 1, 3, false), &mut out);
        g.push(rec(None, 1000, 2, 4, true), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].serial, out[0].records.len()), (2, 1));
        g.push(rec(None, 1000, 1, 5, true), &mut out);
        assert_eq!((out[1].serial, out[1].records.len()), (1, 2));
        assert_eq!(g.open_events(), 0);
    }

    #[test]
    fn serial_without_eoe_flushes_after_delay_of_its_own_node() {
        let mut g = Grouper::new(Limits::default());
        let mut out = VecDeque::new();
        g.push(rec(Some("a"), 1000, 1, 1, false), &mut out);
        // Another node far behind in time does not flush node a's event, nor is flushed itself.
        g.push(rec(Some("b"), 10, 9, 2, false), &mut out);
        g.push(rec(Some("a"), 2999, 2, 3, false), &mut out);
        assert!(out.is_empty());
        g.push(rec(Some("a"), 3001, 3, 4, false), &mut out);
        assert!(out.is_empty(), "too few records since");
        for l in 0..16 {
            g.push(rec(Some("a"), 3001, 3, 5 + l, false), &mut out);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].serial, 1);
        g.flush_all(&mut out);
        assert_eq!(out.len(), 4);
    }

    /// go-libaudit's out_of_order.log: the last PATH of an event comes after the SYSCALL of an
    /// event logged 7.8 s later. Flushing on event time alone split the event.
    #[test]
    fn event_records_after_a_later_event_are_still_grouped() {
        let mut g = Grouper::new(Limits::default());
        let mut out = VecDeque::new();
        g.push(rec(None, 1_000, 60, 1, false), &mut out);
        g.push(rec(None, 8_800, 61, 2, false), &mut out);
        g.push(rec(None, 1_000, 60, 3, false), &mut out);
        g.flush_all(&mut out);
        assert_eq!(out.iter().map(|e| e.records.len()).collect::<Vec<_>>(), [2, 1]);
    }

    #[test]
    fn buffer_is_bounded() {
        let limits = Limits { max_open: 8, max_records: 2, ..Limits::default() };
        let mut g = Grouper::new(limits);
        let mut out = VecDeque::new();
        for s in 0..100 {
            g.push(rec(None, 1000, s, s, false), &mut out);
        }
        assert_eq!(g.open_events(), 8);
        assert_eq!(g.forced, 92);
        for l in 0..5 {
            g.push(rec(None, 1000, 1000, 200 + l, false), &mut out);
        }
        g.flush_all(&mut out);
        let big = out.iter().find(|e| e.serial == 1000).unwrap();
        assert_eq!((big.records.len(), big.overflow), (2, 3));
    }
}
