//! Change notifications from the `notify` crate, used only to wake the follower early: what
//! changed is always found by a scan, so a lost or coalesced notification costs latency, not lines.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::FollowError;

/// The platform's watcher and the channel its events arrive on.
pub(crate) struct Notifier {
    watcher: RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
}

impl Notifier {
    pub(crate) fn new() -> Result<Notifier, FollowError> {
        let (sender, events) = channel();
        let watcher = RecommendedWatcher::new(sender, notify::Config::default())
            .map_err(|e| FollowError::Notify { path: None, message: e.to_string() })?;
        Ok(Notifier { watcher, events })
    }

    /// Watches the entries of `folder` (not its subfolders).
    pub(crate) fn watch(&mut self, folder: &Path) -> Result<(), FollowError> {
        // A folder replaced since it was watched leaves a stale watch behind: drop it first.
        let _ = self.watcher.unwatch(folder);
        self.watcher
            .watch(folder, RecursiveMode::NonRecursive)
            .map_err(|e| FollowError::Notify { path: Some(folder.to_path_buf()), message: e.to_string() })
    }

    /// Waits up to `timeout` for a notification that files may have new data or new names, then
    /// takes every queued one. Returns whether one came; backend errors are counted in `errors`
    /// and count as one (the scan that follows finds what was missed).
    pub(crate) fn wait(&mut self, timeout: Duration, errors: &mut u64) -> bool {
        let deadline = Instant::now() + timeout;
        let mut woken = false;
        loop {
            let event = if woken {
                match self.events.try_recv() {
                    Ok(event) => event,
                    Err(_) => return true,
                }
            } else {
                match self.events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout) => return false,
                    // The watcher lives as long as the receiver: this does not happen; if it did,
                    // waiting out the timeout keeps the follower polling.
                    Err(RecvTimeoutError::Disconnected) => {
                        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                        return false;
                    }
                }
            };
            match event {
                // Opens and closes, the follower's own among them, say nothing about new data.
                Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
                Ok(_) => woken = true,
                Err(_) => {
                    *errors += 1;
                    woken = true;
                }
            }
        }
    }
}

/// The folder to watch for a watched path: a folder itself, or a file's parent (a watch on the
/// file would follow its inode away on rotation).
pub(crate) fn folder_to_watch(path: &Path, is_folder: bool) -> PathBuf {
    if is_folder {
        return path.to_path_buf();
    }
    crate::tracked::folder_of(path).to_path_buf()
}
