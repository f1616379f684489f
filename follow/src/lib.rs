//! # clickchain-follow
//!
//! Follows log files and folders live, as `tail -F` does, and hands out complete lines with the
//! identity of their file and their byte offset, so a consumer can checkpoint exactly where it
//! stands and continue after a restart without losing or re-reading a line.
//!
//! ```
//! use clickchain_follow::{FollowConfig, FollowEvent, Follower};
//! use std::io::Write;
//!
//! let dir = tempfile::tempdir()?;
//! let log = dir.path().join("app.log");
//! std::fs::write(&log, "before the follower started\n")?;
//!
//! let mut follower = Follower::new(FollowConfig::default())?;
//! follower.add(&log);
//! follower.poll_once(|_| {}); // existing content is skipped: following starts at the end
//!
//! let mut file = std::fs::OpenOptions::new().append(true).open(&log)?;
//! file.write_all(b"first\nsecond, still being writ")?;
//! let mut lines = Vec::new();
//! follower.poll_once(|event| {
//!     if let FollowEvent::Line(line) = event {
//!         lines.push(line.text_lossy().into_owned());
//!     }
//! });
//! assert_eq!(lines, ["first"]); // the partial line waits for its newline
//!
//! let checkpoint = follower.checkpoint(); // serde: save it with the consumer's own state
//! assert_eq!(checkpoint.files[0].offset, "before the follower started\nfirst\n".len() as u64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Follower::poll_once`] scans synchronously; [`Follower::wait_and_poll`] first waits for a
//! change notification (the `notify` crate) or the poll interval. Lines are bytes: invalid UTF-8
//! passes through unchanged, for the format reader to judge.
//!
//! ## Rules
//! - **Start.** A file that exists when first scanned is read from its end, or from its start
//!   with [`FollowConfig::from_start`]; a file that appears later (created, rotated in, or moved
//!   into a watched folder) is read from its start. Reading never begins inside a line: if the
//!   byte before the start is not a newline, the bytes up to the next one are skipped (counted in
//!   [`FollowStats::started_mid_line`]).
//! - **Partial lines.** A last line without its newline is held until the newline comes, and
//!   delivered once. Only when its file is let go (below) is it delivered without one
//!   ([`FollowStats::unterminated_lines`]).
//! - **Identity.** A file is known by device and inode ([`FileId`]), not by name.
//! - **Rotation by rename.** A file that leaves its watched path (renamed away, or deleted) is
//!   read to its end through the handle the follower holds, followed for
//!   [`FollowConfig::release_after`] more in case its writer finishes a line in it, then let go.
//!   The new file at the path is read from its start. Renamed within a watched folder, a file is
//!   simply followed under its new name.
//! - **Copy-truncate and truncation.** A file found shorter than the follower's offset is read
//!   again from its start ([`FollowError::Truncated`]); a partial line it held is discarded.
//!   A file truncated and refilled past the old offset between two scans cannot be told from one
//!   that grew: notifications keep that window short.
//! - **Deletion; a file that comes back.** A deleted file is drained and let go as when renamed;
//!   a file created again at the path is a new file, read from its start.
//! - **Not a file.** A watched path holding a directory, FIFO or other special file is reported
//!   once ([`FollowError::NotAFile`]) and looked at again at every scan. FIFOs are never opened
//!   blocking. In a watched folder such entries and subfolders are passed over.
//! - **Long lines.** A line longer than [`FollowConfig::max_line_bytes`] is skipped to its newline
//!   ([`FollowError::LineTooLong`]); no more than that many bytes are buffered per file.
//! - **Open files.** At most [`FollowConfig::max_open_files`] handles are held; a file still at
//!   its path is closed first and reopened by its path when it grows. A file that is renamed away
//!   while closed is looked for by identity in its folder; if it is not there, what it held past
//!   the offset is lost ([`FollowError::Lost`]); and a closed file deleted and its inode reused by
//!   a new file before the next scan passes for the old one.
//! - **Resume.** [`Follower::checkpoint`] gives every file's position (the offset of its first
//!   byte not delivered in a complete line). Given back as [`FollowConfig::resume`], a saved file
//!   is recognised by its identity under whatever name a watched path shows it now, or by its
//!   saved path and inode if its device number changed (reboots can renumber devices); if it is
//!   now shorter than its offset it is read from the start (copy-truncate while stopped). A file
//!   at a path that was watched when the checkpoint was taken but is not in it is new and read
//!   from its start. A saved file no watched path shows (rotated away while stopped) is looked
//!   for by identity in its saved folder and drained; if it is gone, [`FollowError::Lost`].
//!   Add every path before the first scan: positions are matched at that scan.
//!   Known limit: an inode freed and reused by a new file while the follower was stopped passes
//!   for the saved file if it is at least as long as the saved offset.
#![deny(missing_docs)]

mod config;
mod error;
mod filter;
mod follower;
mod lines;
mod notifier;
mod resume;
mod scan;
mod stats;
mod tracked;
mod types;

pub use config::{FollowConfig, WatchMode};
pub use error::FollowError;
pub use filter::FileFilter;
pub use follower::{FollowEvent, Follower};
pub use stats::FollowStats;
pub use types::{Checkpoint, FileId, Line, Position, CHECKPOINT_VERSION};
