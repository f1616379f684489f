//! Checkpoints: an engine's state written to bytes and read back, so that an agent survives a
//! restart (`docs/design.md`, "Checkpoints").
//!
//! [`Engine::checkpoint`](crate::Engine::checkpoint) writes one and
//! [`Engine::restore`](crate::Engine::restore) reads it (also for
//! [`ShardedEngine`](crate::ShardedEngine) and [`AnyEngine`](crate::AnyEngine)); [`save_file`]
//! and [`load_file`] put one in a file atomically and name the file in errors.
//!
//! A checkpoint is a header, [`MAGIC`], the format [`VERSION`] (u32), the state's length
//! (u64) and its CRC-32 (u32), all little-endian, then the state (postcard). Anything else,
//! from another version, cut short, or whose checksum differs is refused with a
//! [`CheckpointError`] saying which. The configuration a checkpoint was taken with is in it: a
//! restore under another one is a reload.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::EngineError;

/// The first bytes of every checkpoint.
pub const MAGIC: &[u8; 8] = b"CLKCHKPT";
/// The format version this build writes and reads.
pub const VERSION: u32 = 3;

/// Why a checkpoint could not be written or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The bytes do not start with a checkpoint header.
    #[error("not a clickchain checkpoint")]
    NotACheckpoint,
    /// A checkpoint of another format version.
    #[error("checkpoint format version {found}, this build reads version {VERSION}")]
    Version {
        /// The version it was written with.
        found: u32,
    },
    /// The state is shorter than its header says (a write cut short).
    #[error("truncated: {found} of {expected} state bytes")]
    Truncated {
        /// Bytes the header announces.
        expected: u64,
        /// Bytes there are.
        found: u64,
    },
    /// The state's checksum differs from the header's.
    #[error("corrupt: the state's checksum does not match")]
    Checksum,
    /// The state could not be decoded (or encoded).
    #[error("undecodable state: {0}")]
    Decode(String),
    /// Taken with a configuration this build cannot read (the state was classified and
    /// windowed by settings it does not know).
    #[error("taken with a configuration this build cannot read: {0}")]
    OtherConfig(String),
    /// Taken from another kind of engine (one engine, or another number of shards).
    #[error("taken from {found}, restored into {expected}")]
    OtherEngine {
        /// What took it.
        found: String,
        /// What was to restore it.
        expected: String,
    },
    /// The configuration to restore with is invalid.
    #[error(transparent)]
    Engine(Box<EngineError>),
    /// A shard's thread stopped before answering.
    #[error("a shard stopped")]
    ShardStopped,
}

impl From<EngineError> for CheckpointError {
    fn from(e: EngineError) -> Self {
        CheckpointError::Engine(Box::new(e))
    }
}

impl From<postcard::Error> for CheckpointError {
    fn from(e: postcard::Error) -> Self {
        CheckpointError::Decode(e.to_string())
    }
}

/// A checkpoint file that could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("checkpoint {}: {source}", path.display())]
pub struct CheckpointFileError {
    /// The checkpoint file.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: CheckpointError,
}

/// Writes `state` framed: header, then the state.
pub(crate) fn write_framed(w: &mut (impl Write + ?Sized), state: &[u8]) -> Result<(), CheckpointError> {
    w.write_all(MAGIC)?;
    w.write_all(&VERSION.to_le_bytes())?;
    w.write_all(&(state.len() as u64).to_le_bytes())?;
    w.write_all(&crc32fast::hash(state).to_le_bytes())?;
    w.write_all(state)?;
    w.flush()?;
    Ok(())
}

/// Reads a framed state, checking the header, its length and checksum.
pub(crate) fn read_framed(mut r: impl Read) -> Result<Vec<u8>, CheckpointError> {
    let mut header = [0u8; 24];
    let got = read_up_to(&mut r, &mut header)?;
    if got < MAGIC.len() || &header[..8] != MAGIC {
        return Err(CheckpointError::NotACheckpoint);
    }
    if got < header.len() {
        return Err(CheckpointError::Truncated { expected: header.len() as u64, found: got as u64 });
    }
    let word = |at: usize| u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    let found = word(8);
    if found != VERSION {
        return Err(CheckpointError::Version { found });
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&header[12..20]);
    let expected = u64::from_le_bytes(len);
    // Read what is there, never more than announced: a corrupt length allocates nothing.
    let mut state = Vec::new();
    r.take(expected).read_to_end(&mut state)?;
    if (state.len() as u64) < expected {
        return Err(CheckpointError::Truncated { expected, found: state.len() as u64 });
    }
    if crc32fast::hash(&state) != word(20) {
        return Err(CheckpointError::Checksum);
    }
    Ok(state)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Writes a checkpoint to `path` atomically: `write` fills a temporary file beside it, which
/// is flushed to disk and renamed over `path`. A crash leaves the old checkpoint or the new
/// one, never half of one. The file is readable by its owner only (on Unix): it holds the
/// hosts' process lines and visited domains.
///
/// ```
/// use clickchain::{checkpoint, Config, Engine};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("engine.ckpt");
/// let mut engine = Engine::new(Config::default()).unwrap();
/// checkpoint::save_file(&path, |w| engine.checkpoint(w)).unwrap();
/// let restored = checkpoint::load_file(&path, |r| Engine::restore(Config::default(), r)).unwrap();
/// assert_eq!(restored.stats(), engine.stats());
/// ```
pub fn save_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), CheckpointError>,
) -> Result<(), CheckpointFileError> {
    let fail = |source| CheckpointFileError { path: path.to_owned(), source };
    let name = path.file_name().map_or_else(|| "checkpoint".into(), |n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = BufWriter::new(options.open(&temp)?);
        write(&mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // The rename itself is durable once the folder is synced (best effort: not every
        // platform opens folders).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(fail)
}

/// Reads the checkpoint at `path` with `read` (e.g. `|r| Engine::restore(config, r)`), naming
/// the file in errors.
pub fn load_file<T>(
    path: &Path,
    read: impl FnOnce(&mut dyn Read) -> Result<T, CheckpointError>,
) -> Result<T, CheckpointFileError> {
    let fail = |source| CheckpointFileError { path: path.to_owned(), source };
    let file = File::open(path).map_err(|e| fail(e.into()))?;
    read(&mut BufReader::new(file)).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(state: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_framed(&mut out, state).unwrap();
        out
    }

    #[test]
    fn a_framed_state_reads_back() {
        assert_eq!(read_framed(&framed(b"state")[..]).unwrap(), b"state");
    }

    #[test]
    fn what_is_not_a_whole_checkpoint_of_this_version_is_refused_by_name() {
        let good = framed(b"some engine state");
        assert!(matches!(read_framed(&b"{\"json\": true}"[..]), Err(CheckpointError::NotACheckpoint)));
        assert!(matches!(read_framed(&[][..]), Err(CheckpointError::NotACheckpoint)));
        for cut in [10, 24, good.len() - 1] {
            let err = read_framed(&good[..cut]).unwrap_err();
            assert!(matches!(err, CheckpointError::Truncated { .. }), "cut at {cut}: {err}");
        }
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(read_framed(&flipped[..]), Err(CheckpointError::Checksum)));
        let mut other = good.clone();
        other[8] = 9;
        assert!(matches!(read_framed(&other[..]), Err(CheckpointError::Version { found: 9 })));
        let mut huge = good;
        huge[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(read_framed(&huge[..]), Err(CheckpointError::Truncated { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn a_saved_file_is_owner_only_and_replaces_the_old_one_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        save_file(&path, |w| write_framed(w, b"one")).unwrap();
        save_file(&path, |w| write_framed(w, b"two")).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load_file(&path, |r| read_framed(r)).unwrap(), b"two");
        let failed = save_file(&path, |_| Err(CheckpointError::ShardStopped)).unwrap_err();
        assert!(failed.to_string().starts_with(&format!("checkpoint {}", path.display())), "{failed}");
        assert_eq!(load_file(&path, |r| read_framed(r)).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
    }
}
