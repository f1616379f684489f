//! Process identities -> table slots.
//!
//! Most identities are GUIDs (Sysmon's ProcessGuid, written lowercase without braces by the
//! Windows adapter, or `{UPPERCASE}` in native and ECS streams). Those are kept as 128-bit
//! numbers with their spelling: no heap string per process, and a lookup compares integers
//! instead of following a pointer to a string. Any other identity is kept as text. Each
//! spelling maps to exactly one key, so the index answers as a map from strings would.

use std::fmt;

use rustc_hash::FxHashMap;

use super::proctable::Slot;

/// A GUID-shaped identity: its value and how it was spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GuidKey {
    /// The 128 bits as two halves (8-byte alignment keeps index entries small).
    hi: u64,
    lo: u64,
    /// Bit 0: in braces; bit 1: hex letters in uppercase.
    form: u8,
}

/// A process identity as a table stores it: a GUID as numbers, anything else as text. The
/// GUID's fields sit in the variant itself so that the whole is 24 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Per byte: its hex value, plus [`LOWER`] or [`UPPER`] for a letter; [`NOT_HEX`] otherwise.
const HEX: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut c = 0;
    while c < 10 {
        t[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        t[b'a' as usize + c] = (10 + c as u8) | LOWER;
        t[b'A' as usize + c] = (10 + c as u8) | UPPER;
        c += 1;
    }
    t
};
const LOWER: u8 = 0x10;
const UPPER: u8 = 0x20;
const NOT_HEX: u8 = 0x80;

/// `8-4-4-4-12` hex digits, optionally in braces, with all hex letters in one case (a spelling
/// with both cases stays text, so that the key gives back exactly one string).
fn pack(id: &str) -> Option<GuidKey> {
    let b = id.as_bytes();
    let (inner, braces) = match b.len() {
        36 => (b, false),
        38 if b[0] == b'{' && b[37] == b'}' => (&b[1..37], true),
        _ => return None,
    };
    if inner[8] != b'-' || inner[13] != b'-' || inner[18] != b'-' || inner[23] != b'-' {
        return None;
    }
    let (mut bits, mut seen) = (0u128, 0u8);
    for group in [&inner[0..8], &inner[9..13], &inner[14..18], &inner[19..23], &inner[24..36]] {
        for &c in group {
            let v = HEX[c as usize];
            seen |= v;
            bits = (bits << 4) | u128::from(v & 0x0f);
        }
    }
    if seen & NOT_HEX != 0 || seen & (LOWER | UPPER) == LOWER | UPPER {
        return None;
    }
    Some(GuidKey {
        hi: (bits >> 64) as u64,
        lo: bits as u64,
        form: u8::from(braces) | u8::from(seen & UPPER != 0) << 1,
    })
}

/// Identity -> slot.
#[derive(Default)]
pub(crate) struct IdIndex {
    guids: FxHashMap<GuidKey, Slot>,
    text: FxHashMap<Box<str>, Slot>,
}

impl IdIndex {
    pub fn get(&self, id: &str) -> Option<Slot> {
        match pack(id) {
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
