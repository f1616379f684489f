//! Continuing from a checkpoint: which saved position a file found at a watched path takes up.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::{Checkpoint, FileId, FollowError, Position, CHECKPOINT_VERSION};

/// The part of a checkpoint not yet matched to a file.
#[derive(Debug)]
pub(crate) struct Resume {
    /// Paths watched when the checkpoint was taken.
    pub(crate) watched: HashSet<PathBuf>,
    /// Positions no file has taken up yet.
    pub(crate) unclaimed: Vec<Position>,
}

/// Where to begin reading a file first met at a watched path.
pub(crate) enum Start {
    /// At this saved offset (the file is the checkpointed one).
    Resumed(u64),
    /// At the start: the file is new since the checkpoint.
    New,
    /// Nothing in the checkpoint speaks of it.
    Unknown,
}

impl Resume {
    pub(crate) fn new(checkpoint: Checkpoint) -> Result<Resume, FollowError> {
        if checkpoint.version != CHECKPOINT_VERSION {
            return Err(FollowError::CheckpointVersion { found: checkpoint.version, expected: CHECKPOINT_VERSION });
        }
        Ok(Resume { watched: checkpoint.watched.into_iter().collect(), unclaimed: checkpoint.files })
    }

    /// The start for file `id` found at `path` through the watch of `watch_path`.
    ///
    /// A saved position is taken up by the file with its identity, whatever its name now (it was
    /// rotated by rename), or by the file at its saved path with its inode on another device
    /// number (device numbers may change across a reboot). A file at a path that was watched but
    /// not saved is new since the checkpoint (it replaced a rotated file, or appeared in a folder).
    pub(crate) fn start_for(&mut self, id: FileId, path: &Path, watch_path: &Path) -> Start {
        let same_file = |p: &Position| p.file == id || (p.path == path && p.file.ino == id.ino);
        if let Some(index) = self.unclaimed.iter().position(same_file) {
            return Start::Resumed(self.unclaimed.swap_remove(index).offset);
        }
        if self.watched.contains(watch_path) {
            Start::New
        } else {
            Start::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resume_of(path: &str, dev: u64, ino: u64, watched: &str) -> Resume {
        let position = Position { path: PathBuf::from(path), file: FileId { dev, ino }, offset: 7 };
        let checkpoint =
            Checkpoint { version: CHECKPOINT_VERSION, watched: vec![PathBuf::from(watched)], files: vec![position] };
        Resume::new(checkpoint).unwrap()
    }

    #[test]
    fn a_saved_file_is_known_by_identity_under_a_new_name() {
        let mut resume = resume_of("/l/app.log", 1, 42, "/l");
        assert!(matches!(
            resume.start_for(FileId { dev: 1, ino: 42 }, Path::new("/l/app.log.1"), Path::new("/l")),
            Start::Resumed(7)
        ));
        assert!(resume.unclaimed.is_empty(), "taken up once");
    }

    #[test]
    fn a_saved_file_is_known_by_path_and_inode_when_its_device_was_renumbered() {
        let mut resume = resume_of("/l/app.log", 1, 42, "/l/app.log");
        let renumbered = FileId { dev: 9, ino: 42 };
        assert!(matches!(
            resume.start_for(renumbered, Path::new("/l/app.log"), Path::new("/l/app.log")),
            Start::Resumed(7)
        ));
    }

    #[test]
    fn other_files_are_new_under_a_watched_path_and_unknown_elsewhere() {
        let mut resume = resume_of("/l/app.log", 1, 42, "/l/app.log");
        let other = FileId { dev: 1, ino: 43 };
        assert!(matches!(resume.start_for(other, Path::new("/l/app.log"), Path::new("/l/app.log")), Start::New));
        assert!(matches!(resume.start_for(other, Path::new("/m/x.log"), Path::new("/m/x.log")), Start::Unknown));
        let renamed_elsewhere = FileId { dev: 9, ino: 42 };
        assert!(matches!(
            resume.start_for(renamed_elsewhere, Path::new("/l/b.log"), Path::new("/l/b.log")),
            Start::Unknown
        ));
    }
}
