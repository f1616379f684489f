//! Process identities -> table slots.
//!
//! Most identities are GUIDs (Sysmon's ProcessGuid, written lowercase without braces by the
//! Windows adapter, or `{UPPERCASE}` in native and ECS streams). Those are kept as 128-bit
//! numbers with their spelling: no heap string per process, and a lookup compares integers
//! instead of following a pointer to a string. Any other identity is kept as text. Each
//! spelling maps to exactly one key, so the index answers as a map from strings would.

use std::cell::Cell;
use std::fmt;

use rustc_hash::FxHashMap;

use super::slab::Slot;

/// A GUID-shaped identity: its value and how it was spelled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
struct GuidKey {
    /// The 128 bits as two halves (8-byte alignment keeps index entries small).
    hi: u64,
    lo: u64,
    /// Bit 0: in braces; bit 1: hex letters in uppercase.
    form: u8,
}

/// A process identity as a table stores it: a GUID as numbers, anything else as text. The
/// GUID's fields sit in the variant itself so that the whole is 24 bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum StoredId {
    Guid { hi: u64, lo: u64, form: u8 },
    Text(Box<str>),
}

impl StoredId {
    pub fn new(id: &str) -> Self {
        match pack(id) {
            Some(GuidKey { hi, lo, form }) => StoredId::Guid { hi, lo, form },
            None => StoredId::Text(id.into()),
        }
    }
}

/// The identity exactly as it was written.
impl fmt::Display for StoredId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hi, lo, form) = match self {
            StoredId::Text(t) => return f.write_str(t),
            StoredId::Guid { hi, lo, form } => (*hi, *lo, *form),
        };
        let bits = (u128::from(hi) << 64) | u128::from(lo);
        let hex = if form & 2 != 0 { format!("{bits:032X}") } else { format!("{bits:032x}") };
        let (open, close) = if form & 1 != 0 { ("{", "}") } else { ("", "") };
        write!(f, "{open}{}-{}-{}-{}-{}{close}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
    }
}

/// `8-4-4-4-12` hex digits, optionally in braces, with all hex letters in one case (a spelling
/// with both cases stays text, so that the key gives back exactly one string). It runs for every
/// event's process, so eight digits are decoded at a time (checked against a plain decoder by
/// `pack_equals_the_plain_decoder`).
fn pack(id: &str) -> Option<GuidKey> {
    let b = id.as_bytes();
    let (inner, braces) = match b.len() {
        36 => (b, false),
        38 if b[0] == b'{' && b[37] == b'}' => (&b[1..37], true),
        _ => return None,
    };
    let inner: &[u8; 36] = inner.try_into().ok()?;
    if inner[8] != b'-' || inner[13] != b'-' || inner[18] != b'-' || inner[23] != b'-' {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(inner[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| u64::from(u32::from_le_bytes(inner[at..at + 4].try_into().expect("4 bytes")));
    let words = [word(0), half(9) | half(14) << 32, half(19) | half(24) << 32, word(28)];
    let (mut digits, mut lower, mut upper) = ([0u32; 4], 0u64, 0u64);
    for (d, w) in digits.iter_mut().zip(words) {
        let h = Hex8::of(w)?;
        (*d, lower, upper) = (h.value, lower | h.lower, upper | h.upper);
    }
    if lower != 0 && upper != 0 {
        return None;
    }
    Some(GuidKey {
        hi: u64::from(digits[0]) << 32 | u64::from(digits[1]),
        lo: u64::from(digits[2]) << 32 | u64::from(digits[3]),
        form: u8::from(braces) | u8::from(upper != 0) << 1,
    })
}

/// Eight ASCII hex digits decoded at once (the first byte of the word is the first digit).
struct Hex8 {
    value: u32,
    /// High bit set in each byte that is a lowercase / uppercase letter.
    lower: u64,
    upper: u64,
}

impl Hex8 {
    fn of(w: u64) -> Option<Hex8> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        if w & HIGH != 0 {
            return None;
        }
        // For 7-bit bytes, the high bit of `b + (0x80 - k)` says `b >= k`, with no carry out.
        let at_least = |k: u8| w.wrapping_add(ONES * u64::from(0x80 - k)) & HIGH;
        let within = |lo: u8, hi: u8| at_least(lo) & !at_least(hi + 1);
        let (digit, lower, upper) = (within(b'0', b'9'), within(b'a', b'f'), within(b'A', b'F'));
        if digit | lower | upper != HIGH {
            return None;
        }
        // A digit's value is its low nibble; a letter's is its low nibble plus 9.
        let mut v = (w & (ONES * 0x0f)) + ((lower | upper) >> 7) * 9;
        // Pairs of digits into bytes, bytes into 16-bit halves, halves into the value.
        v = (v & 0x000f_000f_000f_000f) << 4 | (v & 0x0f00_0f00_0f00_0f00) >> 8;
        v = (v & 0x0000_00ff_0000_00ff) << 8 | (v & 0x00ff_0000_00ff_0000) >> 16;
        let value = ((v & 0xffff) << 16 | (v >> 32) & 0xffff) as u32;
        Some(Hex8 { value, lower, upper })
    }
}

/// Identity -> slot.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct IdIndex {
    guids: FxHashMap<GuidKey, Slot>,
    text: FxHashMap<Box<str>, Slot>,
    #[serde(skip)]
    memo: PackMemo,
}

/// GUID texts packed lately, by a hash of their last digits. A process's events name it by
/// the same text again and again (on a synthetic stream 71 % of lookups repeat one of the host's
/// last 4), and comparing 38 bytes costs a fraction of decoding them: `pack` was a tenth of the
/// engine's instructions. It only remembers what `pack` said, so it cannot change an answer.
#[derive(Default)]
struct PackMemo([Cell<Packed>; PACK_MEMO]);

/// Entries of a [`PackMemo`] (a power of two; 16 saved 0.4 % more instructions than 8, at
/// 448 more bytes for each of up to `max_hosts` hosts).
const PACK_MEMO: usize = 8;

#[derive(Clone, Copy)]
struct Packed {
    text: [u8; 38],
    /// 0: empty.
    len: u8,
    key: GuidKey,
}

impl Default for Packed {
    fn default() -> Self {
        Packed { text: [0; 38], len: 0, key: GuidKey::default() }
    }
}

impl PackMemo {
    fn pack(&self, id: &str) -> Option<GuidKey> {
        let b = id.as_bytes();
        // `pack` takes only these lengths; the last 8 bytes are a GUID's least shared digits.
        let tail = match b.len() {
            36 | 38 => u64::from_le_bytes(b[b.len() - 8..].try_into().ok()?),
            _ => return None,
        };
        let cell = &self.0[(tail.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - PACK_MEMO.trailing_zeros())) as usize];
        let seen = cell.get();
        if usize::from(seen.len) == b.len() && seen.text[..b.len()] == *b {
            return Some(seen.key);
        }
        let key = pack(id)?;
        let mut text = [0u8; 38];
        text[..b.len()].copy_from_slice(b);
        cell.set(Packed { text, len: b.len() as u8, key });
        Some(key)
    }
}

impl IdIndex {
    pub fn get(&self, id: &str) -> Option<Slot> {
        match self.memo.pack(id) {
            Some(k) => self.guids.get(&k).copied(),
            None => self.text.get(id).copied(),
        }
    }

    pub fn insert(&mut self, id: &StoredId, slot: Slot) {
        match *id {
            StoredId::Guid { hi, lo, form } => self.guids.insert(GuidKey { hi, lo, form }, slot),
            StoredId::Text(ref t) => self.text.insert(t.clone(), slot),
        };
    }

    /// Removes `id` if it still names `slot`.
    pub fn remove_if(&mut self, id: &StoredId, slot: Slot) {
        match *id {
            StoredId::Guid { hi, lo, form } => {
                let k = GuidKey { hi, lo, form };
                if self.guids.get(&k) == Some(&slot) {
                    self.guids.remove(&k);
                }
            }
            StoredId::Text(ref t) => {
                if self.text.get(t) == Some(&slot) {
                    self.text.remove(t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// The plain decoder `pack` must equal: digit by digit.
    fn pack_reference(id: &str) -> Option<GuidKey> {
        let b = id.as_bytes();
        let (inner, braces) = match b.len() {
            36 => (b, false),
            38 if b[0] == b'{' && b[37] == b'}' => (&b[1..37], true),
            _ => return None,
        };
        let (mut bits, mut lower, mut upper) = (0u128, false, false);
        for (i, &c) in inner.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return None;
                }
                continue;
            }
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => {
                    lower = true;
                    c - b'a' + 10
                }
                b'A'..=b'F' => {
                    upper = true;
                    c - b'A' + 10
                }
                _ => return None,
            };
            bits = bits << 4 | u128::from(v);
        }
        if lower && upper {
            return None;
        }
        Some(GuidKey { hi: (bits >> 64) as u64, lo: bits as u64, form: u8::from(braces) | u8::from(upper) << 1 })
    }

    proptest! {
        #[test]
        fn pack_equals_the_plain_decoder(
            guid in any::<u128>(),
            upper in any::<bool>(),
            braces in any::<bool>(),
            edits in proptest::collection::vec((0usize..38, any::<u8>()), 0..3),
        ) {
            let hex = format!("{guid:032x}");
            let hex = if upper { hex.to_ascii_uppercase() } else { hex };
            let dashed = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
            let mut bytes = if braces { format!("{{{dashed}}}") } else { dashed }.into_bytes();
            for (at, byte) in edits {
                if at < bytes.len() {
                    bytes[at] = byte;
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            prop_assert_eq!(pack(&text), pack_reference(&text), "{}", text);
        }

        /// The memo answers as `pack` does, over ids that repeat, collide in its slots and
        /// differ in one digit, case or brace.
        #[test]
        fn pack_memo_answers_as_pack(picks in proptest::collection::vec((0usize..24, any::<bool>(), any::<bool>()), 0..200)) {
            let memo = PackMemo::default();
            for (n, upper, braces) in picks {
                let hex = format!("{:032x}", 0xa5a5_0000_0000_0000u128 + n as u128 * 0x1_0000_0001);
                let hex = if upper { hex.to_ascii_uppercase() } else { hex };
                let dashed = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
                let id = if braces { format!("{{{dashed}}}") } else { dashed };
                for text in [id.clone(), id.replacen('5', "g", 1), format!("{id}x")] {
                    prop_assert_eq!(memo.pack(&text), pack(&text), "{}", text);
                }
            }
        }
    }

    #[test]
    fn every_byte_in_every_digit_place_decodes_as_the_plain_decoder() {
        let base = "{0123abcd-4567-89ef-0a1b-2c3d4e5f6789}";
        for at in 0..base.len() {
            for byte in 0..=127u8 {
                let mut b = base.as_bytes().to_vec();
                b[at] = byte;
                let text = String::from_utf8(b).unwrap();
                assert_eq!(pack(&text), pack_reference(&text), "{text}");
            }
        }
    }

    #[test]
    fn a_stored_id_is_no_larger_than_a_string() {
        assert_eq!(std::mem::size_of::<Option<StoredId>>(), 24);
    }

    #[test]
    fn guid_spellings_pack_and_others_stay_text() {
        let lower = pack("5eed0031-66a1-11ef-0000-000000000001").unwrap();
        let braced = pack("{5EED0031-66A1-11EF-0000-000000000001}").unwrap();
        assert_eq!((lower.hi, lower.lo), (braced.hi, braced.lo));
        assert_eq!((lower.hi, lower.lo), (0x5eed_0031_66a1_11ef, 1));
        let mixed = pack("{ABCDEF01-2345-6789-ABCD-EF0123456789}").unwrap();
        assert_eq!((mixed.hi, mixed.lo, mixed.form), (0xabcd_ef01_2345_6789, 0xabcd_ef01_2345_6789, 3));
        assert_ne!(lower, braced, "different spellings are different identities");
        assert!(pack("{5EED0031-66a1-11EF-0000-000000000001}").is_none(), "mixed case");
        assert!(pack("5eed0031-66a1-11ef-0000-00000000000g").is_none());
        assert!(pack("5eed0031x66a1-11ef-0000-000000000001").is_none());
        assert!(pack("{5eed0031-66a1-11ef-0000-000000000001").is_none());
        assert!(pack("1234").is_none());
        assert!(pack("é5eed0031-66a1-11ef-0000-0000000001").is_none(), "not ASCII");
    }

    /// GUID-like strings in every spelling, and near misses.
    fn ids() -> impl Strategy<Value = String> {
        let guid = (0u8..4, 0u8..3, any::<bool>()).prop_map(|(v, case, braces)| {
            let hex = format!("{:08x}-00a1-11ef-0000-0000000000{:02x}", 0x5eed_0000u32 + u32::from(v), v);
            let hex = match case {
                0 => hex,
                1 => hex.to_ascii_uppercase(),
                _ => hex.replacen('a', "A", 1),
            };
            if braces {
                format!("{{{hex}}}")
            } else {
                hex
            }
        });
        prop_oneof![guid, "[0-9a-fA-F{}-]{0,4}", "[0-9]{36}"]
    }

    proptest! {
        /// The index answers exactly as a map from strings.
        #[test]
        fn index_equals_a_string_map(ops in proptest::collection::vec((0u8..3, ids(), 0u32..4), 0..64)) {
            let mut index = IdIndex::default();
            let mut model: HashMap<String, Slot> = HashMap::new();
            for (op, id, slot) in ops {
                let stored = StoredId::new(&id);
                prop_assert_eq!(stored.to_string(), id.clone(), "stored ids read back exactly");
                match op {
                    0 => {
                        index.insert(&stored, slot);
                        model.insert(id.clone(), slot);
                    }
                    1 => {
                        index.remove_if(&stored, slot);
                        if model.get(&id) == Some(&slot) {
                            model.remove(&id);
                        }
                    }
                    _ => {}
                }
                prop_assert_eq!(index.get(&id), model.get(&id).copied());
            }
            for (id, slot) in &model {
                prop_assert_eq!(index.get(id), Some(*slot));
            }
        }
    }
}
