//! The follower's errors. Each names the path it is about; none stops the follower.

use std::path::PathBuf;

/// A problem met while following. Problems with one file are reported through
/// [`crate::FollowEvent::Error`] and counted in [`crate::FollowStats`]; the follower goes on with
/// the other files and looks at the troubled one again at its next scan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// A watched path holds something that is not a regular file (a directory where a file was
    /// watched, a FIFO, a socket, a device). Reported once each time the path changes into one.
    #[error("{path}: not a regular file but a {kind}; waiting for a file to take its place")]
    NotAFile {
        /// The watched path.
        path: PathBuf,
        /// What is there instead: "directory", "FIFO", "socket", "device" or "special file".
        kind: &'static str,
    },
    /// A line longer than the configured limit; its bytes were skipped up to its newline.
    #[error("{path}: line at byte {offset} is longer than {limit} bytes; skipped")]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// Offset of the line's first byte.
        offset: u64,
        /// The configured `max_line_bytes`.
        limit: usize,
    },
    /// A file was found shorter than the follower's offset in it (truncated, or copied and
    /// truncated by a log rotation); it is read again from its start.
    #[error("{path}: truncated to {size} bytes below offset {offset}; reading from the start")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The follower's offset before the truncation.
        offset: u64,
        /// The size found.
        size: u64,
    },
    /// A file that left its watched path could not be read to its end: its handle had been
    /// closed (open-file limit) or it was gone before a restart, and it was not found again by
    /// its identity in its folder. Lines written after `offset` are lost.
    #[error("{path}: gone before it was read past byte {offset}; the rest is lost")]
    Lost {
        /// The file's last known name.
        path: PathBuf,
        /// How far it had been read.
        offset: u64,
    },
    /// Reading or listing a path failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The change-notification backend failed; the follower polls instead (every file or folder
    /// when `path` is `None`, else that path) until it can watch again.
    #[error("{}: change notification failed ({message}); polling instead", path.as_ref().map_or("watcher".into(), |p| p.display().to_string()))]
    Notify {
        /// The path that could not be watched, or `None` for the whole backend.
        path: Option<PathBuf>,
        /// The backend's message.
        message: String,
    },
    /// A checkpoint written by another layout version.
    #[error("follower checkpoint has version {found}; this build reads version {expected}")]
    CheckpointVersion {
        /// The checkpoint's version.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// A configuration value out of range.
    #[error("follower configuration: {0}")]
    Config(&'static str),
}
