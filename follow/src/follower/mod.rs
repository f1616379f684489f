//! The follower: watched paths in, complete lines out.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::notifier::Notifier;
use crate::resume::{Resume, Start};
use crate::scan::{Found, Watch};
use crate::tracked::{find_in_folder, folder_of, starts_mid_line, Tracked};
use crate::{
    Checkpoint, FileFilter, FileId, FollowConfig, FollowError, FollowStats, Line, Position, WatchMode,
    CHECKPOINT_VERSION,
};

/// What the follower delivers: a line, or a problem it met and went on after.
#[derive(Debug)]
pub enum FollowEvent {
    /// A complete line.
    Line(Line),
    /// A problem with one path (also counted in [`FollowStats`]).
    Error(FollowError),
}

/// Follows files and folders; see the crate documentation for the rules.
pub struct Follower {
    config: FollowConfig,
    watches: Vec<Watch>,
    files: BTreeMap<FileId, Tracked>,
    resume: Option<Resume>,
    notifier: Option<Notifier>,
    stats: FollowStats,
    /// Problems met outside a scan, delivered at the next one.
    queued: Vec<FollowError>,
    buf: Vec<u8>,
    /// The last scan stopped at a read budget: the next one comes without waiting.
    more: bool,
    last_scan: Option<Instant>,
}

mod waiting;

/// Size of the read buffer, shared by all files.
const READ_CHUNK: usize = 64 * 1024;

impl Follower {
    /// A follower with nothing to follow yet. Fails on a configuration value out of range or a
    /// checkpoint of another version; a notification backend that cannot start is not an error:
    /// the follower polls, and says so at its first scan.
    pub fn new(mut config: FollowConfig) -> Result<Follower, FollowError> {
        config.validate()?;
        let resume = config.resume.take().map(Resume::new).transpose()?;
        let mut follower = Follower {
            config,
            watches: Vec::new(),
            files: BTreeMap::new(),
            resume,
            notifier: None,
            stats: FollowStats::default(),
            queued: Vec::new(),
            buf: vec![0; READ_CHUNK],
            more: false,
            last_scan: None,
        };
        if follower.config.mode == WatchMode::Notify {
            match Notifier::new() {
                Ok(notifier) => follower.notifier = Some(notifier),
                Err(error) => follower.queue_notify_error(error),
            }
        }
        Ok(follower)
    }

    /// Follows `path`: a folder's files (as [`Follower::add_folder`] with every file), or a file,
    /// which need not exist yet (a path that does not exist is taken for a file; a folder that
    /// will appear later is added with [`Follower::add_folder`]). Adding a path twice changes
    /// nothing.
    pub fn add(&mut self, path: impl Into<PathBuf>) {
        let path = path.into();
        let folder = path.is_dir().then(FileFilter::all);
        self.add_watch(path, folder);
    }

    /// Follows the files directly in `folder` that pass `filter`, those there now and those
    /// created later (not its subfolders).
    pub fn add_folder(&mut self, folder: impl Into<PathBuf>, filter: FileFilter) {
        self.add_watch(folder.into(), Some(filter));
    }

    fn add_watch(&mut self, path: PathBuf, folder: Option<FileFilter>) {
        if self.watches.iter().any(|watch| watch.path == path) {
            return;
        }
        self.watches.push(Watch::new(path, folder));
    }

    /// The counters so far.
    pub fn stats(&self) -> FollowStats {
        self.stats
    }

    /// Whether change notifications are in use (false: polling only).
    pub fn is_notified(&self) -> bool {
        self.notifier.is_some()
    }

    /// Where the follower stands, to pass as [`FollowConfig::resume`] after a restart: just past
    /// the last line delivered from each file. Take it between scans, once the lines delivered
    /// so far are processed, and save it with what they produced. Positions of a checkpoint this
    /// follower resumed from that no file took up yet are kept.
    pub fn checkpoint(&self) -> Checkpoint {
        let mut files: Vec<Position> = self
            .files
            .values()
            .map(|t| Position { path: t.path.to_path_buf(), file: t.id, offset: t.cutter.offset() })
            .collect();
        if let Some(resume) = &self.resume {
            files.extend(resume.unclaimed.iter().cloned());
        }
        let watched = self.watches.iter().map(|watch| watch.path.clone()).collect();
        Checkpoint { version: CHECKPOINT_VERSION, watched, files }
    }

    /// Scans every watched path now, reads what is new and delivers it: each file's lines in
    /// order, once each. Returns the number of lines delivered.
    pub fn poll_once(&mut self, mut emit: impl FnMut(FollowEvent)) -> usize {
        let emit: &mut dyn FnMut(FollowEvent) = &mut emit;
        let lines_before = self.stats.lines;
        self.stats.scans += 1;
        self.last_scan = Some(Instant::now());
        for error in self.queued.drain(..) {
            emit(FollowEvent::Error(error));
        }
        self.refresh_notifications(emit);
        let mut found = Vec::new();
        for (index, watch) in self.watches.iter_mut().enumerate() {
            watch.list(index, &mut found, &mut self.stats, &mut |e| emit(FollowEvent::Error(e)));
        }
        let grown = self.take_found(found, emit);
        for watch in &mut self.watches {
            watch.scanned = true;
        }
        self.settle_resume(emit);
        self.more = false;
        // Files that left their path first: their lines are older than their successors'.
        let (watched, released): (Vec<&Tracked>, Vec<&Tracked>) = self.files.values().partition(|t| t.at_watched_path);
        let watched: Vec<FileId> = watched.iter().map(|t| t.id).filter(|id| grown.contains(id)).collect();
        let released: Vec<FileId> = released.iter().map(|t| t.id).collect();
        for id in released {
            self.drain_released(id, emit);
        }
        for id in watched {
            self.read_watched(id, emit);
        }
        (self.stats.lines - lines_before) as usize
    }

    /// Matches the files found to the tracked ones; returns those with bytes past the read position.
    fn take_found(&mut self, found: Vec<Found>, emit: &mut dyn FnMut(FollowEvent)) -> HashSet<FileId> {
        let now = Instant::now();
        let was_at_path: HashSet<FileId> = self.files.values().filter(|t| t.at_watched_path).map(|t| t.id).collect();
        for tracked in self.files.values_mut() {
            tracked.at_watched_path = false;
        }
        let mut grown = HashSet::new();
        for Found { path, meta, watch } in found {
            let id = FileId::of(&meta, &path);
            let size = meta.len();
            if !self.files.contains_key(&id) {
                let tracked = self.start_tracking(id, &path, size, watch, emit);
                self.files.insert(id, tracked);
                // Opened at once: a file held open keeps its inode from being reused if deleted.
                grown.insert(id);
            }
            let Some(tracked) = self.files.get_mut(&id) else { continue };
            tracked.at_watched_path = true;
            tracked.last_size = size;
            if *tracked.path != *path {
                tracked.path = Arc::from(path.as_path());
            }
            if size < tracked.cutter.read_pos() {
                let error = tracked.restart_truncated(size, &mut self.stats);
                emit(FollowEvent::Error(error));
            }
            if size > tracked.cutter.read_pos() {
                grown.insert(id);
            }
        }
        for tracked in self.files.values_mut() {
            if !tracked.at_watched_path && was_at_path.contains(&tracked.id) {
                // It just left its path: its writer may still finish lines in it. Its new name,
                // if it stayed in its folder, is what its lines and its checkpoint carry.
                tracked.last_active = now;
                let folder = folder_of(&tracked.path);
                if let Some(renamed) = find_in_folder(folder, tracked.id) {
                    tracked.path = Arc::from(renamed.as_path());
                }
            }
        }
        grown
    }

    /// The state for a file first met at a watched path, by the start rules.
    fn start_tracking(
        &mut self,
        id: FileId,
        path: &Path,
        size: u64,
        watch: usize,
        emit: &mut dyn FnMut(FollowEvent),
    ) -> Tracked {
        let watch = &self.watches[watch];
        let start = match self.resume.as_mut() {
            Some(resume) => resume.start_for(id, path, &watch.path),
            None => Start::Unknown,
        };
        let offset = match start {
            Start::Resumed(offset) if offset > size => {
                self.stats.truncations += 1;
                emit(FollowEvent::Error(FollowError::Truncated { path: path.to_path_buf(), offset, size }));
                0
            }
            Start::Resumed(offset) => offset,
            Start::New => 0,
            Start::Unknown if !watch.scanned && !self.config.from_start => size,
            Start::Unknown => 0,
        };
        self.stats.files_followed += 1;
        let mid_line = starts_mid_line(path, offset);
        if mid_line {
            self.stats.started_mid_line += 1;
        }
        Tracked::new(id, Arc::from(path), offset, mid_line, self.config.max_line_bytes)
    }

    /// After the first scan, a checkpointed file no watched path holds is looked for by identity
    /// in its folder (rotated while the follower was stopped) and drained; if it is not there,
    /// its unread rest is lost.
    fn settle_resume(&mut self, emit: &mut dyn FnMut(FollowEvent)) {
        let Some(resume) = self.resume.take() else { return };
        for position in resume.unclaimed {
            let folder = folder_of(&position.path);
            let found = find_in_folder(folder, position.file)
                .and_then(|path| std::fs::metadata(&path).ok().map(|meta| (path, meta.len())));
            match found {
                Some((path, size)) if size >= position.offset => {
                    let mid_line = starts_mid_line(&path, position.offset);
                    let mut tracked = Tracked::new(
                        position.file,
                        Arc::from(path),
                        position.offset,
                        mid_line,
                        self.config.max_line_bytes,
                    );
                    tracked.at_watched_path = false;
                    self.stats.files_followed += 1;
                    self.files.insert(position.file, tracked);
                }
                _ => {
                    self.stats.files_lost += 1;
                    let lost = FollowError::Lost { path: position.path, offset: position.offset };
                    emit(FollowEvent::Error(lost));
                }
            }
        }
    }

    /// Reads a file at a watched path that grew, opening it if needed.
    fn read_watched(&mut self, id: FileId, emit: &mut dyn FnMut(FollowEvent)) {
        let Some(tracked) = self.files.get(&id) else { return };
        if tracked.handle.is_none() {
            let path = tracked.path.clone();
            self.make_room_for_handle();
            let Some(tracked) = self.files.get_mut(&id) else { return };
            if let Err(error) = tracked.open_at(&path) {
                self.report_file_error(id, error, emit);
                return;
            }
        }
        self.read(id, emit);
    }

    /// Reads a file that left its watched path to its end, and lets it go once it has not grown
    /// for `release_after`.
    fn drain_released(&mut self, id: FileId, emit: &mut dyn FnMut(FollowEvent)) {
        let Some(tracked) = self.files.get_mut(&id) else { return };
        if tracked.handle.is_none() {
            let folder = folder_of(&tracked.path).to_path_buf();
            let reopened = find_in_folder(&folder, id).map(|path| {
                tracked.path = Arc::from(path.as_path());
                tracked.open_at(&path)
            });
            if !matches!(reopened, Some(Ok(()))) {
                if tracked.last_size <= tracked.cutter.read_pos() {
                    // Gone while closed, but read to its end the last time it was seen.
                    tracked.flush_partial(&mut self.stats, emit);
                    self.files.remove(&id);
                    self.stats.files_released += 1;
                    return;
                }
                // Gone while its handle was closed: whatever it held past the offset is lost.
                let lost = FollowError::Lost { path: tracked.path.to_path_buf(), offset: tracked.cutter.offset() };
                self.files.remove(&id);
                self.stats.files_lost += 1;
                emit(FollowEvent::Error(lost));
                return;
            }
        }
        let at_end = self.read(id, emit) == Some(false);
        let Some(tracked) = self.files.get_mut(&id) else { return };
        if at_end && tracked.last_active.elapsed() >= self.config.release_after {
            tracked.flush_partial(&mut self.stats, emit);
            self.files.remove(&id);
            self.stats.files_released += 1;
        }
    }

    /// Reads an open file up to the per-scan budget: whether more is left, `None` after an error.
    fn read(&mut self, id: FileId, emit: &mut dyn FnMut(FollowEvent)) -> Option<bool> {
        let tracked = self.files.get_mut(&id)?;
        match tracked.read_new(&mut self.buf, self.config.max_read_per_scan, &mut self.stats, emit) {
            Ok(more) => {
                tracked.failing = false;
                self.more |= more;
                Some(more)
            }
            Err(error) => {
                tracked.handle = None;
                self.report_file_error(id, error, emit);
                None
            }
        }
    }

    /// Closes the least recently active handle of a file still at its watched path when the
    /// open-file limit is reached (such a file can be reopened by its path).
    fn make_room_for_handle(&mut self) {
        let open = self.files.values().filter(|t| t.handle.is_some()).count();
        if open < self.config.max_open_files {
            return;
        }
        let oldest =
            self.files.values_mut().filter(|t| t.handle.is_some() && t.at_watched_path).min_by_key(|t| t.last_active);
        if let Some(tracked) = oldest {
            tracked.handle = None;
            self.stats.handles_closed += 1;
        }
    }

    /// Reports an open or read error of a file once, not at every scan, until a read succeeds.
    fn report_file_error(&mut self, id: FileId, error: FollowError, emit: &mut dyn FnMut(FollowEvent)) {
        let Some(tracked) = self.files.get_mut(&id) else { return };
        if !std::mem::replace(&mut tracked.failing, true) {
            self.stats.io_errors += 1;
            emit(FollowEvent::Error(error));
        }
    }

    fn queue_notify_error(&mut self, error: FollowError) {
        self.stats.notify_errors += 1;
        self.queued.push(error);
    }
}
