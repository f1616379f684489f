//! Listing what the watched paths hold right now.

use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use crate::tracked::non_file_kind;
use crate::{FileFilter, FileId, FollowError, FollowStats};

/// A path given to [`crate::Follower::add`] or [`crate::Follower::add_folder`].
#[derive(Debug)]
pub(crate) struct Watch {
    pub(crate) path: PathBuf,
    /// `Some` for a folder: which of its files to follow.
    pub(crate) folder: Option<FileFilter>,
    /// Scanned at least once (files found after that are new, read from their start).
    pub(crate) scanned: bool,
    /// The problem last reported for the path, so it is reported once, not at every scan.
    pub(crate) problem: Option<String>,
    /// The identity of the folder notifications come from, once it is watched.
    pub(crate) notified_folder: Option<FileId>,
    /// Watching its folder failed and was reported (it is tried again at each scan).
    pub(crate) notify_failed: bool,
}

/// A regular file found at a watched path.
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) meta: Metadata,
    /// Index of the watch it was found through.
    pub(crate) watch: usize,
}

impl Watch {
    pub(crate) fn new(path: PathBuf, folder: Option<FileFilter>) -> Watch {
        Watch { path, folder, scanned: false, problem: None, notified_folder: None, notify_failed: false }
    }

    /// Appends the regular files this watch holds to `found`. A missing path is no problem (it may
    /// come back); others are reported once per change through `report`.
    pub(crate) fn list(
        &mut self,
        index: usize,
        found: &mut Vec<Found>,
        stats: &mut FollowStats,
        report: &mut dyn FnMut(FollowError),
    ) {
        let problem = match &self.folder {
            Some(filter) => list_folder(&self.path, filter, index, found),
            None => list_file(&self.path, index, found),
        };
        let key = problem.as_ref().map(|e| e.to_string());
        if key != self.problem {
            if let Some(error) = problem {
                match error {
                    FollowError::NotAFile { .. } => stats.not_a_file += 1,
                    _ => stats.io_errors += 1,
                }
                report(error);
            }
            self.problem = key;
        }
    }
}

fn list_file(path: &Path, index: usize, found: &mut Vec<Found>) -> Option<FollowError> {
    match std::fs::metadata(path) {
        Ok(meta) => match non_file_kind(&meta) {
            Some(kind) => Some(FollowError::NotAFile { path: path.to_path_buf(), kind }),
            None => {
                found.push(Found { path: path.to_path_buf(), meta, watch: index });
                None
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => Some(FollowError::Io { path: path.to_path_buf(), source }),
    }
}

/// The folder's regular files that pass `filter`; subfolders, FIFOs and the like are passed over.
fn list_folder(folder: &Path, filter: &FileFilter, index: usize, found: &mut Vec<Found>) -> Option<FollowError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(source) => return Some(FollowError::Io { path: folder.to_path_buf(), source }),
    };
    let start = found.len();
    for entry in entries.flatten() {
        let path = entry.path();
        if !filter.accepts(&path) {
            continue;
        }
        // An entry gone between the listing and the stat is simply not there.
        if let Ok(meta) = std::fs::metadata(&path) {
            if meta.is_file() {
                found.push(Found { path, meta, watch: index });
            }
        }
    }
    // Listing order is the file system's; sorted, runs are reproducible.
    found[start..].sort_by(|a, b| a.path.cmp(&b.path));
    None
}
