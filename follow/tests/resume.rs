//! Checkpoints and resuming after a restart: no line lost, none read twice.

mod common;

use std::fs;

use clickchain_follow::{Checkpoint, FollowConfig, FollowError, Follower, CHECKPOINT_VERSION};
use common::{append, config, poll};

/// A follower of `paths` resuming from `checkpoint`, not yet scanned.
fn resumed(checkpoint: Checkpoint, paths: &[&std::path::Path]) -> Follower {
    let mut follower = Follower::new(FollowConfig { resume: Some(checkpoint), ..config() }).unwrap();
    for path in paths {
        follower.add(*path);
    }
    follower
}

/// A follower of `log` that has read `content` from its start, and its checkpoint.
fn read_then_checkpoint(log: &std::path::Path, content: &[u8]) -> Checkpoint {
    append(log, content);
    let mut follower = Follower::new(FollowConfig { from_start: true, ..config() }).unwrap();
    follower.add(log);
    poll(&mut follower);
    follower.checkpoint()
}

#[test]
fn a_restart_continues_where_the_last_complete_line_ended() {
    let (_dir, log) = common::temp_log();
    let checkpoint = read_then_checkpoint(&log, b"a\nhal");
    assert_eq!(checkpoint.files[0].offset, 2);
    append(&log, b"f\nb\n");
    let mut follower = resumed(checkpoint, &[&log]);
    assert_eq!(poll(&mut follower).texts(), ["half", "b"]);
}

#[test]
fn a_file_rotated_while_stopped_is_drained_under_its_new_name_and_the_new_file_read_whole() {
    let (dir, log) = common::temp_log();
    let checkpoint = read_then_checkpoint(&log, b"a\n");
    append(&log, b"b\n");
    fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&log, b"c\n");
    let mut follower = resumed(checkpoint, &[&log]);
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["b", "c"], "the rotated file first: its lines are older");
    assert!(polled.lines[0].path.ends_with("app.log.1"));
    assert_eq!(follower.stats().files_released, 1);
}

#[test]
fn a_file_copy_truncated_while_stopped_is_read_from_its_start() {
    let (_dir, log) = common::temp_log();
    let checkpoint = read_then_checkpoint(&log, b"a long first line\n");
    common::truncate(&log);
    append(&log, b"new\n");
    let mut follower = resumed(checkpoint, &[&log]);
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["new"]);
    assert!(matches!(polled.errors[..], [FollowError::Truncated { offset: 18, size: 4, .. }]));
}

#[test]
fn new_files_in_a_folder_watched_at_the_checkpoint_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Follower::new(config()).unwrap();
    first.add(dir.path());
    poll(&mut first);
    let checkpoint = first.checkpoint();
    append(&dir.path().join("while-stopped.log"), b"x\n");
    let mut follower = resumed(checkpoint, &[dir.path()]);
    assert_eq!(poll(&mut follower).texts(), ["x"]);
}

#[test]
fn a_file_gone_while_stopped_is_a_lost_error() {
    let (_dir, log) = common::temp_log();
    let checkpoint = read_then_checkpoint(&log, b"a\n");
    fs::remove_file(&log).unwrap();
    let mut follower = resumed(checkpoint, &[&log]);
    let polled = poll(&mut follower);
    assert!(matches!(polled.errors[..], [FollowError::Lost { offset: 2, .. }]), "{:?}", polled.errors);
    assert_eq!(follower.stats().files_lost, 1);
}

#[test]
fn a_checkpoint_survives_json_and_another_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = read_then_checkpoint(&dir.path().join("app.log"), b"a\n");
    let json = serde_json::to_string(&checkpoint).unwrap();
    assert_eq!(serde_json::from_str::<Checkpoint>(&json).unwrap(), checkpoint);
    let foreign = Checkpoint { version: CHECKPOINT_VERSION + 1, ..checkpoint };
    let refused = Follower::new(FollowConfig { resume: Some(foreign), ..config() });
    assert!(matches!(refused, Err(FollowError::CheckpointVersion { .. })));
}

#[test]
fn positions_not_yet_taken_up_stay_in_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = read_then_checkpoint(&dir.path().join("app.log"), b"a\n");
    let follower = resumed(checkpoint.clone(), &[&dir.path().join("app.log")]);
    assert_eq!(follower.checkpoint(), checkpoint);
}
