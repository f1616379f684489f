//! Waiting for changes: notifications when there are, the poll interval otherwise.

use std::time::{Duration, Instant};

use super::{FollowEvent, Follower};
use crate::notifier::folder_to_watch;
use crate::FileId;

impl Follower {
    /// Waits until files may have changed (a notification, or `poll_interval` since the last
    /// scan), but no longer than `timeout`, then scans as [`Follower::poll_once`]. Returns the
    /// number of lines delivered; 0 without a scan when `timeout` ran out first.
    pub fn wait_and_poll(&mut self, timeout: Duration, emit: impl FnMut(FollowEvent)) -> usize {
        let give_up = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            let next_scan = self.last_scan.map_or(now, |last| last + self.config.poll_interval);
            if self.more || now >= next_scan {
                break;
            }
            if now >= give_up {
                return 0;
            }
            let wait = next_scan.min(give_up) - now;
            match self.notifier.as_mut() {
                Some(notifier) => {
                    if notifier.wait(wait, &mut self.stats.notify_errors) {
                        break;
                    }
                }
                None => std::thread::sleep(wait),
            }
        }
        self.poll_once(emit)
    }

    /// Watches the folders of watched paths that are not watched yet, or were replaced.
    pub(super) fn refresh_notifications(&mut self, emit: &mut dyn FnMut(FollowEvent)) {
        let Some(notifier) = self.notifier.as_mut() else { return };
        for watch in &mut self.watches {
            let folder = folder_to_watch(&watch.path, watch.folder.is_some());
            let current = std::fs::metadata(&folder).ok().map(|meta| FileId::of(&meta, &folder));
            if current.is_none() || current == watch.notified_folder {
                continue;
            }
            match notifier.watch(&folder) {
                Ok(()) => {
                    watch.notified_folder = current;
                    watch.notify_failed = false;
                }
                Err(error) => {
                    // Polled meanwhile; tried again at the next scan, reported once.
                    if !watch.notify_failed {
                        watch.notify_failed = true;
                        self.stats.notify_errors += 1;
                        emit(FollowEvent::Error(error));
                    }
                }
            }
        }
    }
}
