//! How the follower behaves: where it starts, what it resumes, its limits and its clock.

use std::time::Duration;

use crate::{Checkpoint, FollowError};

/// How the follower learns that files changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchMode {
    /// Change notifications (inotify, kqueue, ReadDirectoryChanges) wake the follower, with a
    /// full scan every `poll_interval` as a safety net. Paths that cannot be watched, or a
    /// backend that fails, fall back to polling.
    #[default]
    Notify,
    /// Scan every `poll_interval` only (network file systems, where notifications do not come).
    Poll,
}

/// The follower's settings. [`FollowConfig::default`] gives the documented defaults.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// Read files that exist when they are added from their start; otherwise from their end
    /// (lines written after the follower starts). Files that appear later are always read from
    /// their start. Default `false`.
    pub from_start: bool,
    /// Continue from a checkpoint of an earlier run (see [`crate::Follower::new`] for the rules).
    pub resume: Option<Checkpoint>,
    /// The longest line delivered, in bytes without its newline; a longer one is skipped and
    /// counted, and no more than this is ever buffered for one file. Default 1 MiB.
    pub max_line_bytes: usize,
    /// How often every watched path is scanned (the only way of seeing changes in poll mode).
    /// Default 1 s.
    pub poll_interval: Duration,
    /// Notifications or polling. Default [`WatchMode::Notify`].
    pub mode: WatchMode,
    /// The most file handles held open at once; the least recently read file still at its
    /// watched path is closed first and reopened when it grows. Files being drained after a
    /// rotation are never closed, so they may exceed it briefly. Default 256.
    pub max_open_files: usize,
    /// How long a file that left its watched path (renamed away or deleted) is still followed
    /// after it stopped growing, for writers that finish a line in it before reopening.
    /// Default 5 s; zero lets it go as soon as it has been read to its end.
    pub release_after: Duration,
    /// The most bytes read from one file in one scan, so one busy file does not starve the
    /// others; the rest is read at the next poll, which then comes without waiting. Default 8 MiB.
    pub max_read_per_scan: u64,
}

impl Default for FollowConfig {
    fn default() -> Self {
        FollowConfig {
            from_start: false,
            resume: None,
            max_line_bytes: 1 << 20,
            poll_interval: Duration::from_secs(1),
            mode: WatchMode::Notify,
            max_open_files: 256,
            release_after: Duration::from_secs(5),
            max_read_per_scan: 8 << 20,
        }
    }
}

impl FollowConfig {
    /// Checks the values that have no meaning at zero.
    pub(crate) fn validate(&self) -> Result<(), FollowError> {
        if self.max_line_bytes == 0 {
            return Err(FollowError::Config("max_line_bytes must be at least 1"));
        }
        if self.max_open_files == 0 {
            return Err(FollowError::Config("max_open_files must be at least 1"));
        }
        if self.poll_interval.is_zero() {
            return Err(FollowError::Config("poll_interval must be longer than zero"));
        }
        if self.max_read_per_scan == 0 {
            return Err(FollowError::Config("max_read_per_scan must be at least 1"));
        }
        Ok(())
    }
}
