//! What a file's folders and name say about it, separately: the folder part is the same for
//! every file written there, so the engine caches it per folder and rules most writes out
//! (cache and log files) without normalising the path or matching any folder pattern.

use super::normalize::{ends_with_ci, starts_with_ci};
use super::{extension_of, PathClassifier, CHROMIUM_TEMP_PREFIXES};

/// What a file's folders say (computed on the normalised folder path).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirFlags {
    /// Some folder is named like one of `download_dirs`.
    pub in_download_dir: bool,
    /// Some folder is named like an archive or an extraction folder.
    pub archive_member: bool,
    /// Some folder is an `.app` bundle and `app` is an executable extension.
    pub app_bundle: bool,
    /// The nearest folder is a Safari `.download` bundle (when `.download` is a partial suffix).
    pub download_bundle: bool,
}

/// What a file's name says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameFlags {
    /// Lowercase extension.
    pub extension: Option<String>,
    /// One of `high_risk_extensions`.
    pub high_risk_ext: bool,
    /// One of the QuarantinePolicy's `executable_extensions`.
    pub executable_ext: bool,
    /// A partial-download name (suffix or Chromium temporary name).
    pub partial: bool,
}

/// Calls `f` with `s` lowercased: on the stack when it is short ASCII (extensions are).
fn with_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 16];
    match buf.get_mut(..s.len()).filter(|_| s.is_ascii()) {
        Some(b) => {
            b.copy_from_slice(s.as_bytes());
            b.make_ascii_lowercase();
            // ASCII stays ASCII.
            f(std::str::from_utf8(b).unwrap_or_default())
        }
        None => f(&s.to_lowercase()),
    }
}

impl PathClassifier {
    /// Flags of a normalised folder path.
    pub(super) fn dir_flags_of(&self, norm_dir: &str) -> DirFlags {
        let mut flags = DirFlags::default();
        let mut last = "";
        for folder in norm_dir.split(self.sep()).filter(|s| !s.is_empty()) {
            last = folder;
            flags.in_download_dir |= self.download_dirs.contains(folder);
            let ext = extension_of(folder);
            flags.archive_member |= starts_with_ci(folder, "rar$ex")
                || starts_with_ci(folder, "7zo")
                || ext.is_some_and(|e| self.archive.iter().any(|a| a.eq_ignore_ascii_case(e)));
            flags.app_bundle |= ext.is_some_and(|e| e.eq_ignore_ascii_case("app")) && self.executable.contains("app");
        }
        flags.download_bundle =
            ends_with_ci(last, ".download") && self.partial_suffixes.iter().any(|s| s == ".download");
        flags
    }

    /// Flags of a folder as written in an event (normalised here).
    pub fn dir_flags(&self, raw_dir: &str) -> DirFlags {
        self.dir_flags_of(&self.normalize(raw_dir))
    }

    /// Flags of a file name (case does not matter to any of them).
    pub fn name_flags(&self, name: &str) -> NameFlags {
        let extension = extension_of(name).map(str::to_lowercase);
        let ext = extension.as_deref();
        NameFlags {
            high_risk_ext: ext.is_some_and(|e| self.high_risk.contains(e)),
            executable_ext: ext.is_some_and(|e| self.executable.contains(e)),
            partial: self.partial_name(name),
            extension,
        }
    }

    /// A partial-download name (suffix or Chromium temporary name).
    fn partial_name(&self, name: &str) -> bool {
        self.partial_suffixes.iter().any(|s| ends_with_ci(name, s))
            || CHROMIUM_TEMP_PREFIXES.iter().any(|p| starts_with_ci(name, p))
    }

    /// [`Self::may_matter`] of a file named `name` in a folder with flags `dir`, without
    /// building the name's flags: most writes are ruled out here, and a short extension is
    /// lowercased on the stack rather than into a new `String`.
    pub(crate) fn write_may_matter(&self, dir: &DirFlags, name: &str) -> bool {
        dir.download_bundle
            || dir.in_download_dir
            || dir.archive_member
            || self.partial_name(name)
            || extension_of(name).is_some_and(|e| with_lowercase(e, |e| self.high_risk.contains(e)))
    }

    /// Whether a file with these flags can be download-like or partial (what
    /// [`PathClassifier::classify_write`] answers with `Some`).
    pub fn may_matter(dir: &DirFlags, name: &NameFlags) -> bool {
        name.high_risk_ext || name.partial || dir.download_bundle || dir.in_download_dir || dir.archive_member
    }

    /// An event's path split into its folder and plain file name, or `None` when the split is
    /// not that simple (no folder, or a name that is empty, `.` or `..`).
    pub fn split_raw<'a>(&self, path: &'a str) -> Option<(&'a str, &'a str)> {
        let windows = self.os == clickchain_adapters::Os::Windows;
        let i = path.bytes().rposition(|b| b == b'/' || (windows && b == b'\\'))?;
        let (dir, name) = (&path[..i], &path[i + 1..]);
        (!dir.is_empty() && !matches!(name, "" | "." | "..")).then_some((dir, name))
    }
}
