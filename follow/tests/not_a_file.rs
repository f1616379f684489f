//! Watched paths that stop being regular files: named, counted once, and the follower goes on.

mod common;

use std::ffi::CString;
use std::fs;
use std::path::Path;

use clickchain_follow::{FileFilter, FollowError, Follower};
use common::{append, following, poll};

fn make_fifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a directory entry.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn a_file_replaced_by_a_directory_is_reported_once_and_the_file_that_returns_is_read() {
    let (dir, log) = common::temp_log();
    let other = dir.path().join("other.log");
    append(&log, b"");
    let mut follower = following(&[&log, &other], |_| {});
    fs::remove_file(&log).unwrap();
    fs::create_dir(&log).unwrap();
    append(&other, b"other goes on\n");
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["other goes on"]);
    assert!(matches!(&polled.errors[..], [FollowError::NotAFile { kind: "directory", path }] if *path == log));
    assert!(poll(&mut follower).errors.is_empty(), "reported once, not at every scan");
    assert_eq!(follower.stats().not_a_file, 1);
    fs::remove_dir(&log).unwrap();
    append(&log, b"back\n");
    assert_eq!(poll(&mut follower).texts(), ["back"]);
}

#[test]
fn a_fifo_at_a_watched_path_is_reported_and_never_blocks() {
    let (_dir, log) = common::temp_log();
    append(&log, b"a\n");
    let mut follower = following(&[&log], |_| {});
    fs::remove_file(&log).unwrap();
    make_fifo(&log);
    let polled = poll(&mut follower);
    assert!(matches!(&polled.errors[..], [FollowError::NotAFile { kind: "FIFO", .. }]), "{:?}", polled.errors);
    assert_eq!(follower.stats().not_a_file, 1);
}

#[test]
fn a_fifo_in_a_watched_folder_is_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(common::config()).unwrap();
    follower.add_folder(dir.path(), FileFilter::all());
    poll(&mut follower);
    make_fifo(&dir.path().join("pipe.log"));
    append(&dir.path().join("real.log"), b"line\n");
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["line"]);
    assert!(polled.errors.is_empty());
}
