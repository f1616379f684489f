//! Where reading starts, and how bytes become lines.

mod common;

use clickchain_follow::{FollowConfig, FollowError, FollowStats, Follower};
use common::{append, following, poll};

#[test]
fn existing_content_is_skipped_unless_from_start() {
    let (_dir, log) = common::temp_log();
    append(&log, b"old 1\nold 2\n");
    let mut tail = following(&[&log], |_| {});
    let mut whole = Follower::new(FollowConfig { from_start: true, ..common::config() }).unwrap();
    whole.add(&log);
    append(&log, b"new\n");
    assert_eq!(poll(&mut tail).texts(), ["new"]);
    assert_eq!(poll(&mut whole).texts(), ["old 1", "old 2", "new"]);
}

#[test]
fn starting_at_the_end_inside_a_line_skips_that_line() {
    let (_dir, log) = common::temp_log();
    append(&log, b"done\nhalf writ");
    let mut follower = following(&[&log], |_| {});
    append(&log, b"ten\nnext\n");
    assert_eq!(poll(&mut follower).texts(), ["next"]);
    assert_eq!(follower.stats().started_mid_line, 1);
}

#[test]
fn a_partial_line_waits_for_its_newline_and_comes_once() {
    let (_dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    append(&log, b"first\npar");
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["first"]);
    assert_eq!(polled.lines[0].offset, 0);
    assert!(poll(&mut follower).lines.is_empty(), "not delivered early");
    append(&log, b"tial\n");
    let polled = poll(&mut follower);
    assert_eq!(polled.texts(), ["partial"]);
    assert_eq!(polled.lines[0].offset, 6);
    assert!(poll(&mut follower).lines.is_empty(), "not delivered twice");
}

#[test]
fn a_missing_file_is_read_from_its_start_when_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("later.log");
    let mut follower = following(&[&log], |_| {});
    append(&log, b"one\ntwo\n");
    assert_eq!(poll(&mut follower).texts(), ["one", "two"]);
}

#[test]
fn bytes_pass_unchanged_and_crlf_loses_its_cr() {
    let (_dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    append(&log, b"caf\xe9\r\nplain\n");
    let polled = poll(&mut follower);
    assert_eq!(polled.lines[0].text, b"caf\xe9");
    assert_eq!(polled.texts(), ["caf\u{fffd}", "plain"]);
}

#[test]
fn a_100_mb_line_is_skipped_with_a_counted_error_and_reading_goes_on() {
    let (_dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    append(&log, b"before\n");
    let block = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        append(&log, &block);
    }
    append(&log, b"\nafter\n");
    let (mut texts, mut errors) = (Vec::new(), Vec::new());
    // The per-scan read budget spreads the 100 MB over several scans.
    while texts.last().map(String::as_str) != Some("after") {
        let polled = poll(&mut follower);
        texts.extend(polled.texts());
        errors.extend(polled.errors);
        assert!(follower.stats().scans < 100, "reading does not progress");
    }
    assert_eq!(texts, ["before", "after"]);
    assert!(matches!(errors[..], [FollowError::LineTooLong { offset: 7, limit: 1_048_576, .. }]), "{errors:?}");
    assert_eq!(follower.stats().overlong_lines, 1);
}

#[test]
fn counters_start_at_zero_and_count_lines() {
    let (_dir, log) = common::temp_log();
    let mut follower = following(&[&log], |_| {});
    assert_eq!(follower.stats().lines, 0);
    append(&log, b"abc\nde\n");
    poll(&mut follower);
    let FollowStats { lines, line_bytes, files_followed, .. } = follower.stats();
    assert_eq!((lines, line_bytes, files_followed), (2, 5, 1));
}

#[test]
fn out_of_range_settings_are_refused() {
    let mut config = common::config();
    config.max_line_bytes = 0;
    assert!(matches!(Follower::new(config), Err(FollowError::Config(_))));
}
