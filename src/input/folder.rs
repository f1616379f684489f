//! Expanding the paths given into input files: folders are walked recursively in name order,
//! filtered by `--include`/`--exclude` globs; what cannot be read is named and left out.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::InputError;

/// Which files inside folders are read. Files named on their own are always read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl Filter {
    /// A filter from `--include` and `--exclude` globs (none: every file). A glob matches a
    /// file's path below the folder given, or its name; `*` also matches `/`.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter, globset::Error> {
        let set = |globs: &[String]| -> Result<Option<GlobSet>, globset::Error> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(Glob::new(g)?);
            }
            b.build().map(Some)
        };
        Ok(Filter { include: set(include)?, exclude: set(exclude)? })
    }

    /// Whether the file at `relative` (below the folder given) is read.
    pub fn admits(&self, relative: &Path) -> bool {
        let name = relative.file_name().map(Path::new);
        let hit = |set: &GlobSet| set.is_match(relative) || name.is_some_and(|n| set.is_match(n));
        self.include.as_ref().is_none_or(hit) && !self.exclude.as_ref().is_some_and(hit)
    }
}

/// The files found, and what was left out.
#[derive(Debug, Default)]
pub struct Expanded {
    /// The files to read, in order (`-` for stdin).
    pub files: Vec<PathBuf>,
    /// Paths left out, each with why (unreadable, a FIFO, a symlink loop, …).
    pub warnings: Vec<InputError>,
    /// Files inside folders that the filter left out.
    pub excluded: u64,
}

/// Expands `paths`: folders into the files below them (sorted by path), filtered by `filter`;
/// `-` stays as stdin.
pub fn expand_filtered(paths: &[PathBuf], filter: &Filter) -> Expanded {
    let mut out = Expanded::default();
    for p in paths {
        if p.as_os_str() == "-" {
            out.files.push(p.clone());
            continue;
        }
        match std::fs::metadata(p) {
            Err(error) => out.warnings.push(InputError::Io { path: p.display().to_string(), error }),
            // A FIFO or device named on its own is read (`<(zcat log.gz)` is one).
            Ok(m) if !m.is_dir() => out.files.push(p.clone()),
            Ok(m) => {
                let mut walk = Walk { root: p, filter, out: &mut out, ancestors: Vec::new() };
                walk.dir(p, &m);
            }
        }
    }
    out
}

/// One folder argument being walked.
struct Walk<'a> {
    root: &'a Path,
    filter: &'a Filter,
    out: &'a mut Expanded,
    /// The folders from the root down to the one being read, by identity: a folder met again
    /// below itself is a symlink loop.
    ancestors: Vec<FolderId>,
}

impl Walk<'_> {
    fn warn(&mut self, warning: InputError) {
        self.out.warnings.push(warning);
    }

    fn dir(&mut self, dir: &Path, meta: &std::fs::Metadata) {
        let id = folder_id(meta);
        if id.is_some() && self.ancestors.contains(&id) {
            return self.warn(InputError::SymlinkLoop { path: dir.display().to_string() });
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(error) => return self.warn(InputError::Io { path: dir.display().to_string(), error }),
        };
        let mut children = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => children.push(e.path()),
                Err(error) => self.warn(InputError::Io { path: dir.display().to_string(), error }),
            }
        }
        children.sort();
        self.ancestors.push(id);
        for child in children {
            self.entry(child);
        }
        self.ancestors.pop();
    }

    fn entry(&mut self, path: PathBuf) {
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            // A dangling symlink, or a file gone since the folder was listed.
            Err(error) => return self.warn(InputError::Io { path: path.display().to_string(), error }),
        };
        if meta.is_dir() {
            return self.dir(&path, &meta);
        }
        let relative = path.strip_prefix(self.root).unwrap_or(&path);
        if !self.filter.admits(relative) {
            self.out.excluded += 1;
            return;
        }
        if !meta.is_file() {
            // A FIFO would block the run until something writes to it; a socket or device is
            // no log file.
            return self.warn(InputError::NotAFile { path: path.display().to_string(), kind: special_kind(&meta) });
        }
        if path.to_str().is_none() {
            // Read all the same: records name it with the bytes that are not UTF-8 replaced.
            self.warn(InputError::NonUtf8Path { path: path.display().to_string() });
        }
        self.out.files.push(path);
    }
}

/// A folder's identity (device and inode), where the platform has one.
type FolderId = Option<(u64, u64)>;

#[cfg(unix)]
fn folder_id(meta: &std::fs::Metadata) -> FolderId {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn folder_id(_meta: &std::fs::Metadata) -> FolderId {
    None
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_meta: &std::fs::Metadata) -> &'static str {
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_the_path_below_the_folder_or_the_name() {
        let f = Filter::new(&["*.evtx".into(), "linux/**".into()], &["*old*".into()]).unwrap();
        assert!(f.admits(Path::new("host1/sysmon.evtx")));
        assert!(f.admits(Path::new("linux/audit.log")));
        assert!(!f.admits(Path::new("host1/old/sysmon.evtx")), "excluded");
        assert!(!f.admits(Path::new("README.txt")));
        assert!(Filter::default().admits(Path::new("anything")));
        assert!(Filter::new(&["[".into()], &[]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_fifos_and_dangling_links_are_named_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.ndjson"), "").unwrap();
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("gone"), root.join("dangling")).unwrap();
        let fifo = root.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
        let got = expand_filtered(&[root.to_path_buf()], &Filter::default());
        assert_eq!(got.files, [root.join("sub/a.ndjson")]);
        let warnings: Vec<String> = got.warnings.iter().map(|w| w.to_string()).collect();
        assert!(warnings.iter().any(|w| w.contains("sub/loop: symlink loop")), "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("dangling:")), "{warnings:?}");
        if made {
            assert!(warnings.iter().any(|w| w.contains("pipe: a FIFO")), "{warnings:?}");
        }
    }
}
