//! One followed file: its handle (when open), its line cutter and where it was last seen.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::lines::{Cut, LineCutter};
use crate::{FileId, FollowError, FollowEvent, FollowStats, Line};

/// A file the follower reads.
#[derive(Debug)]
pub(crate) struct Tracked {
    pub(crate) id: FileId,
    /// The name it was last seen under.
    pub(crate) path: Arc<Path>,
    pub(crate) handle: Option<File>,
    pub(crate) cutter: LineCutter,
    /// Whether the last scan found it at a watched path; if not, it is drained and let go.
    pub(crate) at_watched_path: bool,
    /// An open or read error was reported and no read has succeeded since.
    pub(crate) failing: bool,
    /// Its size when a scan last saw it at a watched path.
    pub(crate) last_size: u64,
    /// When it last grew or was last seen at its path (for `release_after` and open-file LRU).
    pub(crate) last_active: Instant,
}

impl Tracked {
    pub(crate) fn new(id: FileId, path: Arc<Path>, offset: u64, skip_first: bool, max_line: usize) -> Tracked {
        Tracked {
            id,
            path,
            handle: None,
            cutter: LineCutter::new(offset, skip_first, max_line),
            at_watched_path: true,
            failing: false,
            last_size: offset,
            last_active: Instant::now(),
        }
    }

    /// Opens `path` (which must still hold this file) at the read position.
    pub(crate) fn open_at(&mut self, path: &Path) -> Result<(), FollowError> {
        let io_error = |source| FollowError::Io { path: path.to_path_buf(), source };
        let mut file = open_nonblocking(path).map_err(io_error)?;
        let meta = file.metadata().map_err(io_error)?;
        if !meta.is_file() || FileId::of(&meta, path) != self.id {
            // Replaced between the scan and the open: the next scan sorts it out.
            return Err(io_error(io::Error::new(io::ErrorKind::NotFound, "replaced while opening")));
        }
        file.seek(SeekFrom::Start(self.cutter.read_pos())).map_err(io_error)?;
        self.handle = Some(file);
        Ok(())
    }

    /// Reads new bytes from the open handle, at most `budget`, cutting them into lines. Returns
    /// whether it stopped at the budget with more to read.
    pub(crate) fn read_new(
        &mut self,
        buf: &mut [u8],
        budget: u64,
        stats: &mut FollowStats,
        emit: &mut dyn FnMut(FollowEvent),
    ) -> Result<bool, FollowError> {
        let Some(file) = self.handle.as_mut() else { return Ok(false) };
        let mut total = 0u64;
        loop {
            if total >= budget {
                return Ok(true);
            }
            let want = buf.len().min((budget - total) as usize);
            let n = match file.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(FollowError::Io { path: self.path.to_path_buf(), source }),
            };
            total += n as u64;
            let (path, id, max) = (&self.path, self.id, self.cutter.max());
            self.cutter.feed(&buf[..n], |cut| deliver(cut, path, id, max, stats, emit));
        }
        if total > 0 {
            self.last_active = Instant::now();
        }
        Ok(false)
    }

    /// Starts over at offset 0 after a truncation found at `size`.
    pub(crate) fn restart_truncated(&mut self, size: u64, stats: &mut FollowStats) -> FollowError {
        let error = FollowError::Truncated { path: self.path.to_path_buf(), offset: self.cutter.read_pos(), size };
        stats.truncations += 1;
        if self.cutter.has_partial() {
            stats.partial_lines_truncated += 1;
        }
        let max = self.cutter.max();
        self.cutter = LineCutter::new(0, false, max);
        // The handle stays: the same file is read again (its inode cannot be reused meanwhile).
        if self.handle.as_mut().is_some_and(|file| file.seek(SeekFrom::Start(0)).is_err()) {
            self.handle = None;
        }
        error
    }

    /// Delivers the unterminated last line of a file that is let go.
    pub(crate) fn flush_partial(&mut self, stats: &mut FollowStats, emit: &mut dyn FnMut(FollowEvent)) {
        if let Some((offset, text)) = self.cutter.take_partial() {
            stats.unterminated_lines += 1;
            stats.lines += 1;
            stats.line_bytes += text.len() as u64;
            emit(FollowEvent::Line(Line { path: self.path.clone(), file: self.id, offset, text }));
        }
    }
}

fn deliver(
    cut: Cut<'_>,
    path: &Arc<Path>,
    id: FileId,
    max: usize,
    stats: &mut FollowStats,
    emit: &mut dyn FnMut(FollowEvent),
) {
    match cut {
        Cut::Line(offset, text) => {
            stats.lines += 1;
            stats.line_bytes += text.len() as u64;
            emit(FollowEvent::Line(Line { path: path.clone(), file: id, offset, text: text.to_vec() }));
        }
        Cut::Overlong(offset) => {
            stats.overlong_lines += 1;
            emit(FollowEvent::Error(FollowError::LineTooLong { path: path.to_path_buf(), offset, limit: max }));
        }
    }
}

/// Opens for reading without blocking, so a FIFO that took a file's place between a scan and
/// the open cannot hang the follower.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// The first byte before `offset` is not a newline: reading from `offset` begins inside a line.
pub(crate) fn starts_mid_line(path: &Path, offset: u64) -> bool {
    if offset == 0 {
        return false;
    }
    let mut byte = [0u8; 1];
    let read = open_nonblocking(path).and_then(|mut file| {
        file.seek(SeekFrom::Start(offset - 1))?;
        file.read_exact(&mut byte)
    });
    read.is_ok() && byte[0] != b'\n'
}

/// What a path holds, when it is not a regular file.
pub(crate) fn non_file_kind(meta: &Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("FIFO");
        }
        if kind.is_socket() {
            return Some("socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("device");
        }
    }
    Some("special file")
}

/// The file with identity `id` in `folder`, if one is there (a rotated file keeps its folder).
/// The folder holding `path`: `.` for a bare file name (whose `parent()` is the empty path,
/// which names no folder to read).
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

pub(crate) fn find_in_folder(folder: &Path, id: FileId) -> Option<PathBuf> {
    std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && FileId::of(&meta, path) == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_in_the_working_folder() {
        assert_eq!(folder_of(Path::new("events.ndjson")), Path::new("."));
        assert_eq!(folder_of(Path::new("logs/events.ndjson")), Path::new("logs"));
        assert_eq!(folder_of(Path::new("/events.ndjson")), Path::new("/"));
    }
}
