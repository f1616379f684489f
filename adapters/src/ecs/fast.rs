//! The fast path: one pass of [`crate::json_scan`] over a document that keeps only the fields
//! the mapping reads ([`Field`]) as spans of its text, and skips the rest. A kept string is
//! unescaped once, when the mapping takes it, straight into the `String` the event keeps: an
//! ECS document's Windows paths and user names all hold escapes (`C:\\Windows`), and unescaping
//! them at capture, then copying, was two allocations each.
//!
//! It reads exactly what [`super::fields::get`] would find in the parsed `Map`: nested objects
//! and dotted keys are walked alike (`{"process":{"pid":1}}`, `{"process.pid":1}`,
//! `{"process":{"parent.pid":1}}`), and when a field is reachable by several routes the one
//! `get` tries first wins, wherever it stands in the document. Skipped values are still checked
//! in full, so it never accepts a document `serde_json::Value` rejects. Shapes it leaves to the
//! `Value` path, by returning `None`: anything but an object, top-level `_source` or `hits`
//! (search responses), an object holding the same key on the way to a field twice (the `Map`
//! keeps the last), a key with escapes, a fraction, exponent or `-0` in a captured field, and
//! an exponent anywhere (`Value` rejects one that overflows).

use std::sync::OnceLock;

use super::fields::{Field, Fields};
use crate::json_scan::{unescape, unescape_into, Escapes, Scan, Value};

/// A string's text as it stands between its quotes, checked: read (unescaped) only when the
/// mapping asks for it, straight into the string it keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Text<'a> {
    inner: &'a str,
    /// It holds no escape.
    plain: bool,
}

impl Text<'_> {
    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    fn to_owned_string(self) -> String {
        if self.plain {
            return self.inner.to_owned();
        }
        // The escapes were checked when the string was captured: this cannot fail.
        let mut out = String::with_capacity(self.inner.len());
        unescape_into(self.inner, &mut out).map_or_else(String::new, |()| out)
    }

    fn with<R>(self, f: impl FnOnce(&str) -> R) -> R {
        if self.plain {
            f(self.inner)
        } else {
            f(&self.to_owned_string())
        }
    }
}

/// A JSON integer as `serde_json` keeps it (a negative one as `i64`, else `u64`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Int {
    U(u64),
    I(i64),
}

/// A captured scalar or array item: what the mapping can see of a `serde_json::Value`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Item<'a> {
    Null,
    Bool(bool),
    Num(Int),
    Str(Text<'a>),
    /// An array inside an array (the mapping never looks into one).
    Arr,
    /// An object: only its `data` when that is a string (a DNS answer's).
    Obj(Option<Text<'a>>),
}

/// A captured value. Nothing is allocated or dropped per document: strings and arrays of
/// several items stay text of the document, read again when asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val<'a> {
    Item(Item<'a>),
    /// An array of one item (the common case).
    One(Item<'a>),
    /// An array of any other length, as its text (checked when captured).
    Arr(&'a str),
}

impl<'a> Val<'a> {
    /// Calls `f` with each item of an array value until it returns `true`.
    fn each(&self, mut f: impl FnMut(Item<'a>) -> bool) {
        match *self {
            Val::One(item) => {
                f(item);
            }
            Val::Arr(text) => {
                let mut done = false;
                // Read once already: only the stop below ends the walk early.
                let _ = Scan::new(text).array(|s| {
                    let it = item(s, 1)?;
                    done = done || f(it);
                    (!done).then_some(())
                });
            }
            Val::Item(_) => {}
        }
    }
}

/// A document's fields, each with the rank of the route it was found by (lower: `get` tries it
/// first).
pub(super) struct Capture<'a> {
    slots: [Option<(u16, Val<'a>)>; Field::ALL.len()],
}

/// Parses `text` (one JSON document) and captures its fields; `None` when the text is not a
/// plain ECS document that parses (the `Value` path then decides, and reports any error).
#[cfg(test)]
pub(super) fn capture(text: &str) -> Option<Capture<'_>> {
    let mut cap = Capture::new();
    capture_into(text, &mut cap).map(|()| cap)
}

/// `capture` into `cap` (a fresh one: 1,440 bytes, not worth moving per document).
pub(super) fn capture_into<'a>(text: &'a str, cap: &mut Capture<'a>) -> Option<()> {
    let mut s = Scan::new(text);
    walk(&mut s, cap, 0, 0, 0)?;
    s.end()
}

impl<'a> Capture<'a> {
    pub(super) fn new() -> Self {
        Capture { slots: [const { None }; Field::ALL.len()] }
    }

    fn get(&self, f: Field) -> Option<&Val<'a>> {
        self.slots[f as usize].as_ref().map(|(_, v)| v)
    }

    fn set(&mut self, slot: u8, rank: u16, v: Val<'a>) {
        let s = &mut self.slots[slot as usize];
        // Equal ranks are the same route (a repeated key): the last one wins, as in the `Map`.
        if s.as_ref().is_none_or(|(r, _)| rank <= *r) {
            *s = Some((rank, v));
        }
    }
}

/// The first scalar of a value that may be an array.
fn scalar<'a>(v: &Val<'a>) -> Option<Item<'a>> {
    match *v {
        Val::Item(Item::Null) => None,
        Val::Item(other) => Some(other),
        array => {
            let mut first = None;
            array.each(|i| {
                first = (i != Item::Null).then_some(i);
                first.is_some()
            });
            first
        }
    }
}

impl Fields for Capture<'_> {
    fn string(&self, f: Field) -> Option<String> {
        match scalar(self.get(f)?)? {
            Item::Str(s) if !s.is_empty() => Some(s.to_owned_string()),
            Item::Num(Int::U(n)) => Some(n.to_string()),
            Item::Num(Int::I(n)) => Some(n.to_string()),
            Item::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn with_string<R>(&self, f: Field, g: impl FnOnce(&str) -> R) -> Option<R> {
        match scalar(self.get(f)?)? {
            Item::Str(s) if !s.is_empty() => Some(s.with(g)),
            _ => self.string(f).map(|s| g(&s)),
        }
    }

    fn number(&self, f: Field) -> Option<u64> {
        match scalar(self.get(f)?)? {
            Item::Num(Int::U(n)) => Some(n),
            Item::Str(s) => s.with(|s| s.trim().parse().ok()),
            _ => None,
        }
    }

    fn strings(&self, f: Field) -> Vec<String> {
        let mut out = Vec::new();
        match self.get(f) {
            Some(Val::Item(Item::Str(s))) => out.push(s.to_owned_string()),
            Some(v) => v.each(|i| {
                if let Item::Str(s) = i {
                    out.push(s.to_owned_string());
                }
                false
            }),
            None => {}
        }
        out
    }

    fn has(&self, f: Field, word: &str) -> bool {
        let is = |s: Text<'_>| s.with(|s| s.eq_ignore_ascii_case(word));
        match self.get(f) {
            Some(Val::Item(Item::Str(s))) => is(*s),
            Some(v) => {
                let mut found = false;
                v.each(|i| {
                    found = matches!(i, Item::Str(s) if is(s));
                    found
                });
                found
            }
            None => false,
        }
    }

    fn answers(&self, f: Field) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(v) = self.get(f) {
            v.each(|i| {
                if let Item::Obj(Some(data)) = i {
                    out.push(data.to_owned_string());
                }
                false
            });
        }
        out
    }
}

// ---- The key tables -------------------------------------------------------------------------

/// Where a key leads from an object: to a field, or into an object whose keys lead on.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: &'static str,
    /// `words(key)`: compared before the key itself.
    words: (u64, u64),
    /// The field the key completes.
    slot: Option<u8>,
    /// The node of the object under the key.
    child: Option<u16>,
    /// The route's element for this key: 0 when it completes the path, else its segment count
    /// (`get` tries the whole remaining path first, then heads of 1, 2, ... segments).
    elem: u16,
}

/// The keys that lead somewhere from one object (reached by a given dotted prefix).
#[derive(Debug, Default)]
struct Node {
    /// Sorted by key length.
    entries: Vec<Entry>,
    /// `entries[by_len[n]..by_len[n + 1]]` have length `n`.
    by_len: Vec<u16>,
}

/// A key's fingerprint: exact among keys of one length up to 16 bytes (the loads overlap to
/// cover every byte), so that such a key is found without `memcmp`.
fn words(key: &str) -> (u64, u64) {
    let b = key.as_bytes();
    let n = b.len();
    let load8 = |i: usize| b.get(i..i + 8).and_then(|w| w.try_into().ok()).map_or(0, u64::from_le_bytes);
    let load4 = |i: usize| b.get(i..i + 4).and_then(|w| w.try_into().ok()).map_or(0, u32::from_le_bytes);
    match n {
        0 => (0, 0),
        1..=3 => (u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16, 0),
        4..=7 => (u64::from(load4(0)) | u64::from(load4(n - 4)) << 32, 0),
        _ => (load8(0), load8(n - 8)),
    }
}

impl Node {
    fn find(&self, key: &str) -> Option<usize> {
        let n = key.len();
        if n + 1 >= self.by_len.len() {
            return None;
        }
        let (start, end) = (self.by_len[n] as usize, self.by_len[n + 1] as usize);
        if start == end {
            return None;
        }
        let w = words(key);
        (start..end).find(|&i| self.entries[i].words == w && (n <= 16 || self.entries[i].key == key))
    }
}

/// Bits per route element in a rank (elements are at most 4: paths have at most 4 segments).
const ELEM_BITS: u32 = 3;
/// Route elements a rank holds.
const MAX_DEPTH: u32 = 5;

fn nodes() -> &'static [Node] {
    static NODES: OnceLock<Vec<Node>> = OnceLock::new();
    NODES.get_or_init(|| {
        let mut prefixes: Vec<String> = vec![String::new()];
        let mut nodes: Vec<Vec<Entry>> = vec![Vec::new()];
        fn node_of(prefix: &str, prefixes: &mut Vec<String>, nodes: &mut Vec<Vec<Entry>>) -> u16 {
            match prefixes.iter().position(|p| p == prefix) {
                Some(i) => i as u16,
                None => {
                    prefixes.push(prefix.to_owned());
                    nodes.push(Vec::new());
                    (prefixes.len() - 1) as u16
                }
            }
        }
        for &f in Field::ALL {
            let path = f.path();
            let segments: Vec<&str> = path.split('.').collect();
            assert!(segments.len() < MAX_DEPTH as usize && segments.len() < 1 << ELEM_BITS);
            for start in 0..segments.len() {
                let from = node_of(&segments[..start].join("."), &mut prefixes, &mut nodes);
                for end in start + 1..=segments.len() {
                    let key: &'static str = {
                        let offset: usize = segments[..start].iter().map(|s| s.len() + 1).sum();
                        let len = segments[start..end].iter().map(|s| s.len() + 1).sum::<usize>() - 1;
                        &path[offset..offset + len]
                    };
                    let entry = if end == segments.len() {
                        Entry { key, words: words(key), slot: Some(f as u8), child: None, elem: 0 }
                    } else {
                        let child = node_of(&segments[..end].join("."), &mut prefixes, &mut nodes);
                        Entry { key, words: words(key), slot: None, child: Some(child), elem: (end - start) as u16 }
                    };
                    let list = &mut nodes[from as usize];
                    match list.iter_mut().find(|e| e.key == key) {
                        Some(e) => {
                            // No field's path is a prefix of another's.
                            assert!(e.slot.is_none() && entry.slot.is_none() && e.child == entry.child);
                        }
                        None => list.push(entry),
                    }
                }
            }
        }
        nodes
            .into_iter()
            .map(|mut entries| {
                assert!(entries.len() <= 128);
                entries.sort_by_key(|e| e.key.len());
                let max = entries.last().map_or(0, |e| e.key.len());
                let by_len = (0..=max + 1).map(|n| entries.iter().take_while(|e| e.key.len() < n).count() as u16);
                Node { by_len: by_len.collect(), entries }
            })
            .collect()
    })
}

// ---- The walk ------------------------------------------------------------------------------

/// Deepest nesting the walk follows (`serde_json` stops at 128).
const MAX_NESTING: u32 = 100;

/// Walks an object reached by a node's prefix; values there that are not objects are checked
/// and skipped.
fn walk<'a>(s: &mut Scan<'a>, cap: &mut Capture<'a>, node: u16, rank: u16, depth: u32) -> Option<()> {
    let table = &nodes()[node as usize];
    let mut seen: u128 = 0;
    s.object(|s, key| {
        if depth == 0 && (key == "_source" || key == "hits") {
            return None;
        }
        let Some(i) = table.find(key) else { return skip(s, depth) };
        if seen & (1 << i) != 0 || depth >= MAX_DEPTH {
            return None;
        }
        seen |= 1 << i;
        let e = table.entries[i];
        let rank = rank | e.elem << (ELEM_BITS * (MAX_DEPTH - 1 - depth));
        match (e.slot, e.child) {
            (Some(slot), _) => cap.set(slot, rank, val(s)?),
            (None, Some(child)) if s.ws_peek()? == b'{' => walk(s, cap, child, rank, depth + 1)?,
            _ => skip(s, depth)?,
        }
        Some(())
    })
}

/// Checks any value as `serde_json::Value` would parse it, and keeps nothing.
fn skip(s: &mut Scan<'_>, depth: u32) -> Option<()> {
    if depth > MAX_NESTING {
        return None;
    }
    match s.ws_peek()? {
        b'{' => s.object(|s, _| skip(s, depth + 1)),
        b'[' => s.array(|s| skip(s, depth + 1)),
        b'"' => s.skip_string(),
        b'-' | b'0'..=b'9' => {
            // `Value` turns an exponent's overflow into an error; without one, a float needs
            // over 300 digits to overflow.
            let number = s.raw_scalar()?;
            (number.len() <= 300 && !number.contains(['e', 'E'])).then_some(())
        }
        _ => s.raw_scalar().map(drop),
    }
}

/// Captures a field's value: an item, or an array of them.
fn val<'a>(s: &mut Scan<'a>) -> Option<Val<'a>> {
    if s.ws_peek()? != b'[' {
        return item(s, 0).map(Val::Item);
    }
    let start = s.at();
    let (mut first, mut count) = (None, 0u32);
    s.array(|s| {
        let it = item(s, 1)?;
        first = Some(it);
        count += 1;
        Some(())
    })?;
    Some(match (count, first) {
        (1, Some(one)) => Val::One(one),
        _ => Val::Arr(s.since(start)?),
    })
}

/// A string at the cursor, after whitespace, checked as `serde_json` reads it.
fn text<'a>(s: &mut Scan<'a>) -> Option<Text<'a>> {
    s.skip_ws();
    let (raw, plain) = s.raw_string(Escapes::Any)?;
    let inner = &raw[1..raw.len() - 1];
    // Only a `\u` escape can be invalid (a lone surrogate).
    (plain || !inner.contains("\\u") || unescape(inner).is_some()).then_some(Text { inner, plain })
}

/// Captures a value, or an array item.
fn item<'a>(s: &mut Scan<'a>, depth: u32) -> Option<Item<'a>> {
    Some(match s.ws_peek()? {
        b'{' => {
            let mut data = None;
            s.object(|s, key| {
                if key != "data" {
                    return skip(s, depth + 1);
                }
                data = match item(s, depth + 1)? {
                    Item::Str(t) => Some(t),
                    _ => None,
                };
                Some(())
            })?;
            Item::Obj(data)
        }
        b'[' => skip(s, depth).map(|()| Item::Arr)?,
        b'"' => Item::Str(text(s)?),
        b'-' => Item::Num(Int::I(negative(s)?)),
        _ => match s.value()? {
            Value::Uint(n) => Item::Num(Int::U(n)),
            Value::Bool(b) => Item::Bool(b),
            Value::Null => Item::Null,
            Value::Str(_) => return None,
        },
    })
}

/// A negative integer that `serde_json` reads as an `i64` (not `-0`, which it reads as a float).
fn negative(s: &mut Scan<'_>) -> Option<i64> {
    let text = s.raw_scalar()?;
    let n: i64 = text.parse().ok().filter(|&n| n < 0)?;
    // A fraction or exponent does not parse as an `i64`; leading zeros are not JSON.
    (!text.starts_with("-0")).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Keys of one length up to 16 bytes have the same fingerprint only when equal.
        #[test]
        fn key_fingerprints_are_exact_up_to_16_bytes(
            a in proptest::collection::vec(proptest::prop_oneof![0x61u8..0x64, 0x20u8..0x7f], 0..=16),
            flips in proptest::collection::vec(0usize..16, 0..3),
        ) {
            let mut b = a.clone();
            for i in flips {
                if let Some(byte) = b.get_mut(i) {
                    *byte ^= 1;
                }
            }
            let (a, b) = (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
            proptest::prop_assert_eq!(words(&a) == words(&b), a == b, "{:?} {:?}", a, b);
        }
    }

    #[test]
    fn every_field_key_is_found_where_it_leads_from() {
        for node in nodes() {
            for (i, e) in node.entries.iter().enumerate() {
                assert_eq!(node.find(e.key), Some(i), "{}", e.key);
                assert_eq!(node.find(&format!("{}x", e.key)), None);
            }
        }
    }
}
