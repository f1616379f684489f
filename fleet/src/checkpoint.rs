//! A partition's checkpoint: the engine's state (`Engine::checkpoint`, `docs/design.md`,
//! "Checkpoints") and the last stream sequence it covers, as one key-value entry.
//!
//! Layout: [`MAGIC`], the fleet format [`VERSION`] (u32), the partition (u32), the covered
//! stream sequence (u64), the wall-clock time it was taken (ms, i64), all little-endian, then the
//! engine's own checkpoint (which carries its own version and checksum).

use clickchain::checkpoint::CheckpointError;
use clickchain::{Config, Engine};

/// The first bytes of a partition checkpoint.
pub const MAGIC: &[u8; 8] = b"CLKFLEET";
/// The layout version this build writes and reads.
pub const VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 4 + 8 + 8;

/// Why a stored checkpoint is not used (the partition then replays from the stream's start).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefusedCheckpoint {
    /// Not a partition checkpoint at all.
    #[error("not a clickchain fleet checkpoint")]
    NotACheckpoint,
    /// Written by another fleet layout version.
    #[error("fleet checkpoint version {found}, this build reads version {VERSION}")]
    Version {
        /// The version it was written with.
        found: u32,
    },
    /// Stored under another partition's key.
    #[error("taken for partition {found}, stored as partition {expected}")]
    OtherPartition {
        /// The partition in the header.
        found: u32,
        /// The key's partition.
        expected: u32,
    },
    /// The engine refused its state (another engine version, another configuration, corrupt).
    #[error("engine state: {0}")]
    Engine(#[from] CheckpointError),
}

/// A partition's engine and where in the stream it stands.
pub struct Restored {
    /// The engine.
    pub engine: Engine,
    /// The last stream sequence it has taken (0: none).
    pub seq: u64,
    /// When it was written (ms since the epoch, the writer's clock: only reported).
    pub taken_at_ms: i64,
}

/// Writes `engine`'s state covering stream sequence `seq` of `partition`.
pub fn encode(engine: &mut Engine, partition: u32, seq: u64, now_ms: i64) -> Result<Vec<u8>, CheckpointError> {
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&partition.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&now_ms.to_le_bytes());
    engine.checkpoint(&mut out)?;
    Ok(out)
}

/// Reads a checkpoint of `partition` back into an engine with `config`.
pub fn decode(bytes: &[u8], partition: u32, config: Config) -> Result<Restored, RefusedCheckpoint> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(RefusedCheckpoint::NotACheckpoint);
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    let version = u32_at(8);
    if version != VERSION {
        return Err(RefusedCheckpoint::Version { found: version });
    }
    let found = u32_at(12);
    if found != partition {
        return Err(RefusedCheckpoint::OtherPartition { found, expected: partition });
    }
    let seq = u64_at(16);
    let taken_at_ms = u64_at(24) as i64;
    let engine = Engine::restore(config, &bytes[HEADER..])?;
    Ok(Restored { engine, seq, taken_at_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips_with_its_sequence() {
        let mut engine = Engine::new(Config::default()).unwrap();
        let bytes = encode(&mut engine, 5, 1234, 99).unwrap();
        let back = decode(&bytes, 5, Config::default()).unwrap();
        assert_eq!((back.seq, back.taken_at_ms), (1234, 99));
    }

    #[test]
    fn a_checkpoint_of_another_version_or_partition_is_refused() {
        let mut engine = Engine::new(Config::default()).unwrap();
        let mut bytes = encode(&mut engine, 5, 1, 0).unwrap();
        assert!(matches!(decode(&bytes, 6, Config::default()), Err(RefusedCheckpoint::OtherPartition { .. })));
        bytes[8] = 9;
        assert!(matches!(decode(&bytes, 5, Config::default()), Err(RefusedCheckpoint::Version { found: 9 })));
        assert!(matches!(decode(b"garbage", 5, Config::default()), Err(RefusedCheckpoint::NotACheckpoint)));
        // The engine's own header, from another engine version.
        let mut engine_bytes = encode(&mut engine, 5, 1, 0).unwrap();
        let at = HEADER + clickchain::checkpoint::MAGIC.len();
        engine_bytes[at] = engine_bytes[at].wrapping_add(1);
        assert!(matches!(decode(&engine_bytes, 5, Config::default()), Err(RefusedCheckpoint::Engine(_))));
    }
}
