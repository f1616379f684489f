//! Rotation by rename, copy-truncate, truncation, deletion, and files that come back.

mod common;

use std::fs;
use std::time::Duration;

use clickchain_follow::{FileFilter, FollowError, Follower};
use common::{append, following, poll};

#[test]
fn rename_and_create_drains_the_old_file_then_reads_the_new_one_from_its_start() {
    let (dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    append(&log, b"a\n");
    assert_eq!(poll(&mut follower).texts(), ["a"]);
    append(&log, b"b\nunterminated");
    fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&log, b"c\n");
    let polled = poll(&mut follower);
    let in_file = |name: &str| -> Vec<String> {
        polled.lines.iter().filter(|l| l.path.ends_with(name)).map(|l| l.text_lossy().into_owned()).collect()
    };
    assert_eq!(in_file("app.log.1"), ["b", "unterminated"]);
    assert_eq!(in_file("app.log"), ["c"]);
    assert_eq!(polled.lines.len(), 3);
    let stats = follower.stats();
    assert_eq!((stats.files_released, stats.unterminated_lines), (1, 1));
    assert!(poll(&mut follower).lines.is_empty(), "nothing read twice");
}

#[test]
fn a_renamed_file_is_followed_for_release_after_in_case_its_writer_finishes_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let (log, old) = (dir.path().join("app.log"), dir.path().join("app.log.1"));
    let mut follower = following(&[&log], |c| c.release_after = Duration::from_secs(3600));
    append(&log, b"a\n");
    poll(&mut follower);
    fs::rename(&log, &old).unwrap();
    append(&old, b"late\n");
    assert_eq!(poll(&mut follower).texts(), ["late"]);
    assert_eq!(follower.stats().files_released, 0);
    assert_eq!(follower.checkpoint().files.len(), 1, "still in the checkpoint, under its new name");
    assert!(follower.checkpoint().files[0].path.ends_with("app.log.1"));
}

#[test]
fn copy_truncate_reads_the_file_again_from_its_start() {
    let (dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    append(&log, b"a\nb\n");
    assert_eq!(poll(&mut follower).texts(), ["a", "b"]);
    fs::copy(&log, dir.path().join("app.log.1")).unwrap();
    common::truncate(&log);
    append(&log, b"c\n");
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["c"]);
    assert!(matches!(polled.errors[..], [FollowError::Truncated { offset: 4, size: 2, .. }]));
    assert_eq!(follower.stats().truncations, 1);
}

#[test]
fn a_partial_line_cut_by_truncation_is_counted_and_dropped() {
    let (_dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    append(&log, b"whole\nhalf");
    poll(&mut follower);
    common::truncate(&log);
    append(&log, b"z\n");
    assert_eq!(poll(&mut follower).texts(), ["z"]);
    assert_eq!(follower.stats().partial_lines_truncated, 1);
}

#[test]
fn a_deleted_file_is_drained_then_let_go_and_a_file_that_comes_back_is_read_whole() {
    let (_dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    append(&log, b"a\n");
    poll(&mut follower);
    append(&log, b"b\n");
    fs::remove_file(&log).unwrap();
    assert_eq!(poll(&mut follower).texts(), ["b"]);
    assert_eq!(follower.stats().files_released, 1);
    assert!(follower.checkpoint().files.is_empty());
    append(&log, b"back\n");
    assert_eq!(poll(&mut follower).texts(), ["back"]);
}

#[test]
fn new_files_in_a_watched_folder_are_read_from_their_start_if_the_filter_takes_them() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("old.log"), b"before\n");
    let mut follower = Follower::new(common::config()).unwrap();
    follower.add_folder(dir.path(), FileFilter::glob("*.log"));
    assert!(poll(&mut follower).lines.is_empty());
    append(&dir.path().join("new.log"), b"one\n");
    append(&dir.path().join("new.txt"), b"ignored\n");
    fs::create_dir(dir.path().join("sub.log")).unwrap();
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["one"]);
    assert!(polled.errors.is_empty(), "subfolders are passed over: {:?}", polled.errors);
}

#[test]
fn a_file_renamed_while_its_handle_was_closed_is_found_by_identity_in_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..3).map(|i| dir.path().join(format!("{i}.log"))).collect();
    for path in &paths {
        append(path, b"");
    }
    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let mut follower = following(&refs, |c| c.max_open_files = 1);
    for (i, path) in paths.iter().enumerate() {
        append(path, format!("line {i}\n").as_bytes());
    }
    let mut texts = poll(&mut follower).texts();
    texts.sort();
    assert_eq!(texts, ["line 0", "line 1", "line 2"]);
    assert!(follower.stats().handles_closed >= 2);
    // 0.log's handle was closed for the others': rotated now, it is found again as 0.log.1.
    append(&paths[0], b"after\n");
    fs::rename(&paths[0], dir.path().join("0.log.1")).unwrap();
    assert_eq!(poll(&mut follower).texts(), ["after"]);
    assert_eq!(follower.stats().files_lost, 0);
}
