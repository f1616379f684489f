//! Checkpoints larger than one message: a partition's state is stored as chunks under
//! `p.<n>.<generation>.<i>`, then its head `p.<n>` (compare-and-set) names the generation and
//! the chunk count; the previous generation's chunks are purged after. A reader follows the head,
//! so a write cut short leaves the previous checkpoint whole.

use async_nats::jetstream::kv;

/// The first bytes of a head.
pub const HEAD_MAGIC: &[u8; 8] = b"CLKCHUNK";
/// Bytes per chunk: well under nats-server's default max_payload (1 MiB).
pub const CHUNK: usize = 256 * 1024;

/// A stored checkpoint's generation and chunk count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Unique per write.
    pub generation: u64,
    /// How many chunks.
    pub count: u32,
}

impl Head {
    /// The head's bytes.
    pub fn encode(self) -> Vec<u8> {
        let mut out = HEAD_MAGIC.to_vec();
        out.extend_from_slice(&self.generation.to_le_bytes());
        out.extend_from_slice(&self.count.to_le_bytes());
        out
    }

    /// A head read back; `None` for bytes that are not one.
    pub fn decode(bytes: &[u8]) -> Option<Head> {
        if bytes.len() != 20 || &bytes[..8] != HEAD_MAGIC {
            return None;
        }
        let generation = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
        let count = u32::from_le_bytes(bytes[16..20].try_into().ok()?);
        Some(Head { generation, count })
    }
}

fn chunk_key(key: &str, generation: u64, i: u32) -> String {
    format!("{key}.{generation}.{i}")
}

/// Stores `bytes` as the chunks of generation `generation`; returns their head.
pub async fn write(store: &kv::Store, key: &str, generation: u64, bytes: &[u8]) -> Result<Head, String> {
    let mut count = 0u32;
    for chunk in bytes.chunks(CHUNK) {
        store.put(chunk_key(key, generation, count), chunk.to_vec().into()).await.map_err(|e| e.to_string())?;
        count += 1;
    }
    Ok(Head { generation, count })
}

/// The bytes a head names; an error names the chunk that is missing.
pub async fn read(store: &kv::Store, key: &str, head: Head) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for i in 0..head.count {
        let k = chunk_key(key, head.generation, i);
        match store.get(k.as_str()).await.map_err(|e| e.to_string())? {
            Some(chunk) => out.extend_from_slice(&chunk),
            None => return Err(format!("chunk {k} is missing")),
        }
    }
    Ok(out)
}

/// Purges a generation's chunks (after a newer head is stored); failures only leave garbage.
pub async fn purge(store: &kv::Store, key: &str, head: Head) {
    for i in 0..head.count {
        let _ = store.purge(chunk_key(key, head.generation, i)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_round_trips_and_other_bytes_are_not_one() {
        let head = Head { generation: 7, count: 3 };
        assert_eq!(Head::decode(&head.encode()), Some(head));
        assert_eq!(Head::decode(b"CLKFLEET...................."), None);
    }
}
