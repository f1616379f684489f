//! What the follower hands out and saves: lines, file identities, positions and checkpoints.

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A file's identity: device and inode on Unix, so a file keeps it when renamed.
///
/// Elsewhere there is no inode in the standard library: the identity is derived from the path
/// and a renamed file counts as a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileId {
    /// The device the file lives on.
    pub dev: u64,
    /// The inode number on that device.
    pub ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes (`path` serves only where there are no inodes).
    #[cfg(unix)]
    pub fn of(meta: &Metadata, _path: &Path) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId { dev: meta.dev(), ino: meta.ino() }
    }

    /// The identity of the file `meta` describes (`path` serves only where there are no inodes).
    #[cfg(not(unix))]
    pub fn of(_meta: &Metadata, path: &Path) -> FileId {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        path.hash(&mut hasher);
        FileId { dev: 0, ino: hasher.finish() }
    }
}

/// One complete line of a followed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The name the file had when the line was read (a rotated file keeps its new name here).
    pub path: Arc<Path>,
    /// The file's identity.
    pub file: FileId,
    /// Byte offset of the line's first byte in the file.
    pub offset: u64,
    /// The line's bytes as written, without its `\n` (nor a `\r` before it). Not checked for
    /// UTF-8: invalid bytes pass through unchanged, and the reader that parses the line decides;
    /// [`Line::text_lossy`] gives a string with U+FFFD in their place.
    pub text: Vec<u8>,
}

impl Line {
    /// The line as text, invalid UTF-8 replaced by U+FFFD.
    pub fn text_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.text)
    }
}

/// Where the follower stands in one file: the offset of the first byte not yet delivered as part
/// of a complete line (a partial last line is read again after a restart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The name the file had when the position was taken.
    pub path: PathBuf,
    /// The file's identity, by which it is found again under another name.
    pub file: FileId,
    /// Byte offset to continue from.
    pub offset: u64,
}

/// The version of [`Checkpoint`]'s layout this crate writes and accepts.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Everything needed to continue following after a restart without losing or re-reading lines:
/// the watched paths and the position in every followed file. Serialize it with any serde format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Layout version; [`crate::Follower::new`] refuses any other than [`CHECKPOINT_VERSION`].
    pub version: u32,
    /// The paths that were watched (files and folders), as given to [`crate::Follower::add`].
    pub watched: Vec<PathBuf>,
    /// The position in each followed file, including rotated files still being drained.
    pub files: Vec<Position>,
}
