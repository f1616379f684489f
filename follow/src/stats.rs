//! Counters of everything the follower delivered, skipped or recovered from.

use serde::{Deserialize, Serialize};

/// Named counters, each of one kind of event since the follower started. Every line skipped or
/// lost and every error lands in exactly one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FollowStats {
    /// Complete lines delivered.
    pub lines: u64,
    /// Bytes of delivered lines (without their newlines).
    pub line_bytes: u64,
    /// Files the follower began to follow.
    pub files_followed: u64,
    /// Files that left their watched path (renamed away or deleted), drained and let go.
    pub files_released: u64,
    /// Files found shorter than the follower's offset and read again from the start.
    pub truncations: u64,
    /// Partial last lines discarded because their file was truncated before they ended.
    pub partial_lines_truncated: u64,
    /// Last lines without a newline, delivered when their file was let go (it will not grow).
    pub unterminated_lines: u64,
    /// Lines longer than `max_line_bytes`, skipped.
    pub overlong_lines: u64,
    /// Times reading began inside a line (at the end of a file being written, or a checkpoint
    /// taken inside an overlong line): the bytes up to the next newline were skipped.
    pub started_mid_line: u64,
    /// Files gone before they were read to the end ([`crate::FollowError::Lost`]).
    pub files_lost: u64,
    /// Watched paths found holding a directory, FIFO or other non-regular file.
    pub not_a_file: u64,
    /// Read, open and listing errors.
    pub io_errors: u64,
    /// Change-notification failures (the follower polled instead).
    pub notify_errors: u64,
    /// File handles closed to stay within `max_open_files` (reopened when needed).
    pub handles_closed: u64,
    /// Full scans of the watched paths.
    pub scans: u64,
}
