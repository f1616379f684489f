//! Through real change notifications (inotify on Linux), with bounded waits.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use clickchain_follow::{FollowConfig, FollowEvent, Follower, WatchMode};
use common::append;

/// Long enough that a scan within the test's bound can only have been woken by a notification.
const NO_POLLING: Duration = Duration::from_secs(600);
const BOUND: Duration = Duration::from_secs(5);

/// Waits (at most [`BOUND`]) until `want` lines came, and returns their texts.
fn lines_within_bound(follower: &mut Follower, want: usize) -> Vec<String> {
    let start = Instant::now();
    let mut texts = Vec::new();
    while texts.len() < want && start.elapsed() < BOUND {
        follower.wait_and_poll(BOUND.saturating_sub(start.elapsed()), |event| {
            if let FollowEvent::Line(line) = event {
                texts.push(line.text_lossy().into_owned());
            }
        });
    }
    texts
}

fn notified_follower(path: &Path) -> Follower {
    let config = FollowConfig { poll_interval: NO_POLLING, release_after: Duration::ZERO, ..FollowConfig::default() };
    let mut follower = Follower::new(config).unwrap();
    follower.add(path);
    // The first call scans at once and sets up the watches.
    follower.wait_and_poll(Duration::ZERO, |_| {});
    follower
}

#[cfg(target_os = "linux")]
#[test]
fn appended_and_rotated_lines_arrive_by_notification_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"old\n");
    let mut follower = notified_follower(&log);
    assert!(follower.is_notified(), "inotify is available on Linux");
    append(&log, b"one\ntwo\n");
    assert_eq!(lines_within_bound(&mut follower, 2), ["one", "two"]);
    append(&log, b"three\n");
    fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&log, b"four\n");
    assert_eq!(lines_within_bound(&mut follower, 2), ["three", "four"]);
    assert_eq!(follower.stats().files_released, 1);
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_in_a_folder_created_after_the_start_arrives_by_notification() {
    let dir = tempfile::tempdir().unwrap();
    let mut follower = notified_follower(dir.path());
    append(&dir.path().join("new.log"), b"hello\n");
    assert_eq!(lines_within_bound(&mut follower, 1), ["hello"]);
}

#[test]
fn poll_mode_finds_changes_at_the_poll_interval() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let config = FollowConfig {
        mode: WatchMode::Poll,
        poll_interval: Duration::from_millis(50),
        from_start: true,
        ..FollowConfig::default()
    };
    let mut follower = Follower::new(config).unwrap();
    assert!(!follower.is_notified());
    follower.add(&log);
    append(&log, b"polled\n");
    assert_eq!(lines_within_bound(&mut follower, 1), ["polled"]);
}

#[test]
fn waiting_returns_without_a_scan_when_the_timeout_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut follower = notified_follower(&dir.path().join("quiet.log"));
    let scans = follower.stats().scans;
    follower.wait_and_poll(Duration::from_millis(20), |_| {});
    assert_eq!(follower.stats().scans, scans);
}
