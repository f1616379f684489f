//! The fast path: one pass of the parser over a document that keeps only the fields the mapping
//! reads ([`Field`]), borrowed from the text where it has no escapes, and skips the rest.
//!
//! It reads exactly what [`super::fields::get`] would find in the parsed `Map`: nested objects
//! and dotted keys are walked alike (`{"process":{"pid":1}}`, `{"process.pid":1}`,
//! `{"process":{"parent.pid":1}}`), and when a field is reachable by several routes the one
//! `get` tries first wins, wherever it stands in the document. Skipped values are still parsed
//! in full (`deserialize_any`, not the lenient `IgnoredAny` skip), so a document is accepted
//! exactly when `serde_json::Value` accepts it. Shapes it leaves to the `Value` path, by
//! returning `None`: anything but an object, top-level `_source` or `hits` (search responses),
//! and an object holding the same key on the way to a field twice (the `Map` keeps the last).

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::fields::{Field, Fields};

/// A captured scalar or array item: what the mapping can see of a `serde_json::Value`.
#[derive(Debug, Clone, PartialEq)]
enum Item<'a> {
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'a, str>),
    /// An array inside an array (the mapping never looks into one).
    Arr,
    /// An object: only its `data` when that is a string (a DNS answer's).
    Obj(Option<Cow<'a, str>>),
}

/// A captured value.
#[derive(Debug, Clone, PartialEq)]
enum Val<'a> {
    Item(Item<'a>),
    /// An array of one item (the common case, kept without allocating).
    One(Item<'a>),
    Arr(Vec<Item<'a>>),
}

impl<'a> Val<'a> {
    /// The items of an array value.
    fn items(&self) -> Option<&[Item<'a>]> {
        match self {
            Val::One(item) => Some(std::slice::from_ref(item)),
            Val::Arr(items) => Some(items),
            Val::Item(_) => None,
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
pub(super) fn capture(text: &str) -> Option<Capture<'_>> {
    let mut cap = Capture { slots: [const { None }; Field::ALL.len()] };
    let mut de = serde_json::Deserializer::from_str(text);
    MapSeed { cap: &mut cap, node: 0, rank: 0, depth: 0 }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(cap)
}

impl<'a> Capture<'a> {
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
fn scalar<'v, 'a>(v: &'v Val<'a>) -> Option<&'v Item<'a>> {
    match v {
        Val::Item(Item::Null) => None,
        Val::Item(other) => Some(other),
        array => array.items()?.iter().find(|i| **i != Item::Null),
    }
}

impl Fields for Capture<'_> {
    fn string(&self, f: Field) -> Option<String> {
        match scalar(self.get(f)?)? {
            Item::Str(s) if !s.is_empty() => Some(s.to_string()),
            Item::Num(n) => Some(n.to_string()),
            Item::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn number(&self, f: Field) -> Option<u64> {
        match scalar(self.get(f)?)? {
            Item::Num(n) => n.as_u64(),
            Item::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn strings(&self, f: Field) -> Vec<String> {
        match self.get(f) {
            Some(Val::Item(Item::Str(s))) => vec![s.to_string()],
            Some(v) => v
                .items()
                .unwrap_or_default()
                .iter()
                .filter_map(|i| match i {
                    Item::Str(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        }
    }

    fn has(&self, f: Field, word: &str) -> bool {
        match self.get(f) {
            Some(Val::Item(Item::Str(s))) => s.eq_ignore_ascii_case(word),
            Some(v) => {
                v.items().unwrap_or_default().iter().any(|i| matches!(i, Item::Str(s) if s.eq_ignore_ascii_case(word)))
            }
            None => false,
        }
    }

    fn answers(&self, f: Field) -> Vec<String> {
        let items = self.get(f).and_then(Val::items).unwrap_or_default();
        items
            .iter()
            .filter_map(|i| match i {
                Item::Obj(Some(data)) => Some(data.to_string()),
                _ => None,
            })
            .collect()
    }
}

// ---- The key tables -------------------------------------------------------------------------

/// Where a key leads from an object: to a field, or into an object whose keys lead on.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: &'static str,
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

impl Node {
    fn find(&self, key: &str) -> Option<usize> {
        let n = key.len();
        if n + 1 >= self.by_len.len() {
            return None;
        }
        let (start, end) = (self.by_len[n] as usize, self.by_len[n + 1] as usize);
        (start..end).find(|&i| self.entries[i].key == key)
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
                        Entry { key, slot: Some(f as u8), child: None, elem: 0 }
                    } else {
                        let child = node_of(&segments[..end].join("."), &mut prefixes, &mut nodes);
                        Entry { key, slot: None, child: Some(child), elem: (end - start) as u16 }
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

// ---- The visitors ---------------------------------------------------------------------------

/// An error that only says "leave this document to the `Value` path".
fn decline<E: de::Error>() -> E {
    E::custom("not for the fast path")
}

/// Walks an object reached by a node's prefix (non-objects there are parsed and skipped; at the
/// top level they are declined).
struct MapSeed<'c, 'a> {
    cap: &'c mut Capture<'a>,
    node: u16,
    rank: u16,
    /// Keys on the way here.
    depth: u32,
}

impl<'de> DeserializeSeed<'de> for MapSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MapSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an ECS document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let node = &nodes()[self.node as usize];
        let mut seen: u128 = 0;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if self.depth == 0 && (key == "_source" || key == "hits") {
                return Err(decline());
            }
            let Some(i) = node.find(&key) else {
                map.next_value::<Skip>()?;
                continue;
            };
            if seen & (1 << i) != 0 || self.depth >= MAX_DEPTH {
                return Err(decline());
            }
            seen |= 1 << i;
            let e = node.entries[i];
            let rank = self.rank | e.elem << (ELEM_BITS * (MAX_DEPTH - 1 - self.depth));
            match (e.slot, e.child) {
                (Some(slot), _) => {
                    let v = map.next_value_seed(ValSeed)?;
                    self.cap.set(slot, rank, v);
                }
                (None, Some(child)) => {
                    map.next_value_seed(MapSeed { cap: &mut *self.cap, node: child, rank, depth: self.depth + 1 })?
                }
                (None, None) => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        if self.depth == 0 {
            return Err(decline());
        }
        Skip.visit_seq(seq).map(drop)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.other()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.other()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.other()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.other()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.other()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.other()
    }
}

impl MapSeed<'_, '_> {
    fn other<E: de::Error>(&self) -> Result<(), E> {
        if self.depth == 0 {
            Err(decline())
        } else {
            Ok(())
        }
    }
}

/// A key, borrowed unless it has escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// Parses any value in full (numbers, escapes and keys checked as `Value` checks them) and
/// keeps nothing.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Skip>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// Captures a field's value.
struct ValSeed;

impl<'de> DeserializeSeed<'de> for ValSeed {
    type Value = Val<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValSeed {
    type Value = Val<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        ItemSeed.visit_bool(v).map(Val::Item)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        ItemSeed.visit_i64(v).map(Val::Item)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        ItemSeed.visit_u64(v).map(Val::Item)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        ItemSeed.visit_f64(v).map(Val::Item)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        ItemSeed.visit_borrowed_str(v).map(Val::Item)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        ItemSeed.visit_str(v).map(Val::Item)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        ItemSeed.visit_unit().map(Val::Item)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Some(first) = seq.next_element_seed(ItemSeed)? else { return Ok(Val::Arr(Vec::new())) };
        let Some(second) = seq.next_element_seed(ItemSeed)? else { return Ok(Val::One(first)) };
        let mut items = vec![first, second];
        while let Some(v) = seq.next_element_seed(ItemSeed)? {
            items.push(v);
        }
        Ok(Val::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ItemSeed.visit_map(map).map(Val::Item)
    }
}

/// Captures a value, or an array item.
struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Item<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Item::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Item::Num(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Item::Num(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(v).map_or(Item::Null, Item::Num))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Item::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Item::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Item::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|_| Item::Arr)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut data = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if key == "data" {
                data = match map.next_value_seed(ItemSeed)? {
                    Item::Str(s) => Some(s),
                    _ => None,
                };
            } else {
                map.next_value::<Skip>()?;
            }
        }
        Ok(Item::Obj(data))
    }
}
