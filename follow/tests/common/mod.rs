//! Helpers shared by the follower's tests: a polling configuration and a collecting poll.
#![allow(dead_code)] // each test file uses its own subset

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use clickchain_follow::{FollowConfig, FollowError, FollowEvent, Follower, Line, WatchMode};

/// Polling only (no notification timing in the tests) and files let go as soon as drained.
pub fn config() -> FollowConfig {
    FollowConfig { mode: WatchMode::Poll, release_after: Duration::ZERO, ..FollowConfig::default() }
}

/// What one scan delivered.
#[derive(Debug, Default)]
pub struct Polled {
    pub lines: Vec<Line>,
    pub errors: Vec<FollowError>,
}

impl Polled {
    /// The lines as text.
    pub fn texts(&self) -> Vec<String> {
        self.lines.iter().map(|line| line.text_lossy().into_owned()).collect()
    }
}

/// A fresh temporary folder and the path of `app.log` in it (not created).
pub fn temp_log() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let log = dir.path().join("app.log");
    (dir, log)
}

/// Scans once and collects what came out.
pub fn poll(follower: &mut Follower) -> Polled {
    let mut polled = Polled::default();
    follower.poll_once(|event| match event {
        FollowEvent::Line(line) => polled.lines.push(line),
        FollowEvent::Error(error) => polled.errors.push(error),
    });
    polled
}

/// Appends `bytes` to `path`, creating it if needed, as a log writer does.
pub fn append(path: &Path, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("open for append");
    file.write_all(bytes).expect("append");
}

/// Truncates `path` to nothing, as copy-truncate rotation does after its copy.
pub fn truncate(path: &Path) {
    std::fs::OpenOptions::new().write(true).open(path).expect("open for truncation").set_len(0).expect("truncate");
}

/// A follower of the given paths with [`config`] changed by `adjust`, scanned once.
pub fn following(paths: &[&Path], adjust: impl FnOnce(&mut FollowConfig)) -> Follower {
    let mut config = config();
    adjust(&mut config);
    let mut follower = Follower::new(config).expect("valid configuration");
    for path in paths {
        follower.add(*path);
    }
    let first = poll(&mut follower);
    assert!(first.errors.is_empty(), "first scan: {:?}", first.errors);
    follower
}
