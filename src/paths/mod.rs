//! # Path patterns and classification at ingest
//!
//! A [`PathClassifier`] is built once per OS profile and answers, per file event and without
//! compiling anything, what a file write's classification needs to know about a path: is it in a user-writable
//! folder, in a browser's own profile or cache, in a Downloads folder, an unpacked archive
//! member, a download in progress; what is its extension and is that high-risk.
//!
//! **Patterns** (`user_paths`, `excluded_paths`, QuarantinePolicy `paths`) name folders; a
//! pattern matches every path in that folder or below it.
//! - `~`, `$HOME`, `%USERPROFILE%` mean every user's home: `?:\Users\*` on Windows (any drive),
//!   `/home/*` and `/root` on Linux, `/Users/*` on macOS.
//! - Windows: `%TEMP%`/`%TMP%` = `?:\Users\*\AppData\Local\Temp`, `%APPDATA%` = `…\AppData\Roaming`,
//!   `%LOCALAPPDATA%` = `…\AppData\Local`, also `%PUBLIC%`, `%PROGRAMDATA%`, `%WINDIR%`, ….
//!   Linux: `$TMPDIR`, `$XDG_CACHE_HOME`, …; macOS: `$TMPDIR` = `/private/var/folders/*/*/T`.
//!   An unknown variable is a configuration error that names it.
//! - `*` matches within one folder name (`OneDrive*`, `%APPDATA%*`), `?` one character, and
//!   `**` any number of folders.
//!
//! **Normalisation** ([`PathClassifier::normalize`]): Windows paths are case-insensitive with
//! `\` and `/` equivalent (lowercased, `/` -> `\`, `\\?\` and `\??\` prefixes dropped); Linux paths
//! are case-sensitive; macOS paths are treated case-insensitively, and `/var`, `/tmp`, `/etc`
//! are the `/private/...` folders they link to. Duplicate separators, `.` and `..` are resolved.
//!
//! ```
//! use clickchain::config::OsProfile;
//! use clickchain::paths::PathClassifier;
//! use clickchain_adapters::{Event, EventKind, Os};
//!
//! let windows = PathClassifier::new(Os::Windows, &OsProfile::default_for(Os::Windows))?;
//! let class = windows.classify(r"D:/users/Alice/AppData/Local/Temp/invoice.EXE");
//! assert!(class.user_path && class.high_risk_ext && class.download_like());
//! assert_eq!(class.extension.as_deref(), Some("exe"));
//! assert!(!windows.classify(r"C:\Users\alice\AppData\Local\Temp\setup.log").download_like());
//! assert_eq!(windows.partial_final_name(r"C:\Users\a\Downloads\x.iso.crdownload").as_deref(),
//!            Some(r"C:\Users\a\Downloads\x.iso"));
//! # Ok::<(), clickchain::config::ConfigError>(())
//! ```

mod flags;
mod normalize;
mod pattern;
#[cfg(test)]
mod tests;

pub use flags::{DirFlags, NameFlags};

use clickchain_adapters::{Event, EventKind, Os};
use rustc_hash::FxHashSet;

use normalize::{ends_with_ci, normalize_for, strip_prefix_ci, strip_suffix_ci};
use pattern::Pattern;

/// What a path is, for classifying a file write (see [`PathClassifier::classify`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathClass {
    /// The path normalised by this OS's rules (see [`PathClassifier::normalize`]).
    pub norm: String,
    /// Under one of the profile's `user_paths`.
    pub user_path: bool,
    /// Under one of the profile's `excluded_paths` (browser profile and cache folders).
    pub excluded: bool,
    /// Some folder above the file is named like one of `download_dirs`.
    pub in_download_dir: bool,
    /// Extension of the last path component, lowercase, without dot (`x.tar.gz` -> `gz`).
    pub extension: Option<String>,
    /// The extension is one of `high_risk_extensions`.
    pub high_risk_ext: bool,
    /// Some folder above the file is named like an archive (`Temp1_x.zip`, `x.iso`) or is an
    /// extraction folder of 7-Zip (`7zO…`) or WinRAR (`Rar$EX…`).
    pub archive_member: bool,
    /// A download in progress: a partial suffix (`.crdownload`, `.part`, …), inside a Safari
    /// `.download` bundle, or a Chromium temporary name (`.com.google.Chrome.AbC123`).
    pub partial: bool,
    /// Under one of the QuarantinePolicy `paths` (macOS; whether or not the policy is enabled).
    pub quarantine_path: bool,
    /// The extension (or an enclosing `.app` bundle) is one of the QuarantinePolicy's
    /// `executable_extensions`.
    pub executable_ext: bool,
}

impl PathClass {
    /// A write here can be step 3 of the chain: in a user path, not excluded, not partial, and
    /// in a Downloads folder, or with a high-risk extension, or an unpacked archive member.
    pub fn download_like(&self) -> bool {
        self.user_path
            && !self.excluded
            && !self.partial
            && (self.in_download_dir || self.high_risk_ext || self.archive_member)
    }
}

/// Chromium's temporary download names on Linux/macOS (compared case-insensitively).
const CHROMIUM_TEMP_PREFIXES: &[&str] =
    &[".com.google.chrome.", ".org.chromium.chromium.", ".com.microsoft.edge.", ".com.brave.browser."];

/// The lists a [`PathClassifier`] is built from (an OS profile's, as plain slices).
pub(crate) struct PathLists<'a> {
    pub(crate) user_paths: &'a [String],
    pub(crate) excluded_paths: &'a [String],
    pub(crate) quarantine_paths: &'a [String],
    pub(crate) download_dirs: &'a [String],
    pub(crate) high_risk_extensions: &'a [String],
    pub(crate) archive_extensions: &'a [String],
    pub(crate) executable_extensions: &'a [String],
    pub(crate) partial_suffixes: &'a [String],
    pub(crate) browser_parents: &'a [String],
    pub(crate) lolbins: &'a [String],
}

/// A folder pattern that does not compile: which list, which entry, and why.
#[derive(Debug, thiserror::Error)]
#[error("{list}[{index}] = {pattern:?}: {reason}")]
pub(crate) struct PatternError {
    /// The list's key in an OS profile (`user_paths`, `quarantine_policy.paths`).
    pub(crate) list: &'static str,
    /// The pattern's position in its list.
    pub(crate) index: usize,
    /// The pattern as given.
    pub(crate) pattern: String,
    /// Why it does not compile (an unknown variable, a relative path, …).
    pub(crate) reason: String,
}

/// Classifies paths and process images by one OS profile's lists and this OS's path rules.
#[derive(Debug, Clone)]
pub struct PathClassifier {
    os: Os,
    user: Vec<Pattern>,
    excluded: Vec<Pattern>,
    quarantine: Vec<Pattern>,
    download_dirs: FxHashSet<String>,
    high_risk: FxHashSet<String>,
    archive: Vec<String>,
    executable: FxHashSet<String>,
    partial_suffixes: Vec<String>,
    browsers: FxHashSet<String>,
    lolbins: FxHashSet<String>,
}

impl PathClassifier {
    /// Compiles `lists`' patterns for `os`; fails on the first pattern that does not compile.
    /// (The public constructor from an OS profile, [`PathClassifier::new`], is in `config`.)
    pub(crate) fn from_lists(os: Os, lists: &PathLists<'_>) -> Result<Self, PatternError> {
        let compile = |list: &'static str, raw: &[String]| -> Result<Vec<Pattern>, PatternError> {
            let mut out = Vec::new();
            for (index, pattern) in raw.iter().enumerate() {
                let compiled = pattern::compile(os, pattern).map_err(|reason| PatternError {
                    list,
                    index,
                    pattern: pattern.clone(),
                    reason,
                })?;
                out.extend(compiled);
            }
            Ok(out)
        };
        let lower = |list: &[String]| list.iter().map(|s| s.to_lowercase()).collect();
        Ok(PathClassifier {
            os,
            user: compile("user_paths", lists.user_paths)?,
            excluded: compile("excluded_paths", lists.excluded_paths)?,
            quarantine: compile("quarantine_policy.paths", lists.quarantine_paths)?,
            download_dirs: lists.download_dirs.iter().map(|d| fold(os, d)).collect(),
            high_risk: lower(lists.high_risk_extensions),
            archive: lists.archive_extensions.iter().map(|s| s.to_lowercase()).collect(),
            executable: lower(lists.executable_extensions),
            partial_suffixes: lists.partial_suffixes.iter().map(|s| s.to_lowercase()).collect(),
            browsers: lower(lists.browser_parents),
            lolbins: lower(lists.lolbins),
        })
    }

    /// The OS whose rules this classifier applies.
    pub fn os(&self) -> Os {
        self.os
    }

    fn sep(&self) -> char {
        if self.os == Os::Windows {
            '\\'
        } else {
            '/'
        }
    }

    /// `path` normalised by this OS's rules (see the module documentation).
    pub fn normalize(&self, path: &str) -> String {
        normalize_for(self.os, path)
    }

    /// Whether `a` and `b` name the same file by this OS's rules.
    pub fn same_path(&self, a: &str, b: &str) -> bool {
        a == b || self.normalize(a) == self.normalize(b)
    }

    /// Classifies `path` (one normalised copy is made; patterns are precompiled).
    pub fn classify(&self, path: &str) -> PathClass {
        self.classify_inner(path, true)
    }

    /// The engine's hot path: the same as [`PathClassifier::classify`] when the file could be
    /// download-like or partial, else `None` without matching any folder pattern (most file
    /// events are cache and log writes, and the name and folder names already rule them out).
    pub fn classify_write(&self, path: &str) -> Option<PathClass> {
        let class = self.classify_inner(path, false);
        (class.high_risk_ext || class.partial || class.in_download_dir || class.archive_member).then_some(class)
    }

    fn classify_inner(&self, path: &str, always_patterns: bool) -> PathClass {
        let norm = self.normalize(path);
        let sep = self.sep();
        let (parent, name) = match norm.rfind(sep) {
            Some(i) => (&norm[..i], &norm[i + 1..]),
            None => ("", norm.as_str()),
        };
        let dir = self.dir_flags_of(parent);
        let names = self.name_flags(name);
        let mut class = PathClass {
            high_risk_ext: names.high_risk_ext,
            executable_ext: names.executable_ext || dir.app_bundle,
            in_download_dir: dir.in_download_dir,
            archive_member: dir.archive_member,
            partial: names.partial || dir.download_bundle,
            ..PathClass::default()
        };
        if always_patterns || Self::may_matter(&dir, &names) {
            // Split once; every pattern then matches by index.
            let segs: Vec<&str> = norm.split(sep).collect();
            class.user_path = self.user.iter().any(|p| p.matches(&segs));
            class.excluded = self.excluded.iter().any(|p| p.matches(&segs));
            class.quarantine_path = self.quarantine.iter().any(|p| p.matches(&segs));
        }
        class.extension = names.extension;
        class.norm = norm;
        class
    }

    /// The path a download in progress will have when complete, with the original spelling:
    /// `x.iso.crdownload` -> `x.iso`, `x.sh.part` -> `x.sh`, `x.dmg.download` and
    /// `x.dmg.download/x.dmg` (Safari's bundle) -> `x.dmg`. `None` when `path` is not partial or
    /// its final name cannot be known (`Unconfirmed 123456.crdownload`, `.com.google.Chrome.AbC123`).
    pub fn partial_final_name(&self, path: &str) -> Option<String> {
        let trimmed = path.trim_end_matches(['/', '\\']);
        let name = basename(trimmed);
        let dir = &trimmed[..trimmed.len() - name.len()];
        let parent = basename(dir.trim_end_matches(['/', '\\']));
        let bundle = self.partial_suffixes.iter().any(|s| s == ".download");
        if bundle && ends_with_ci(parent, ".download") && !name.is_empty() {
            let grand = dir.trim_end_matches(['/', '\\']);
            let grand = &grand[..grand.len() - parent.len()];
            let stem = strip_suffix_ci(parent, ".download")?;
            return (!stem.is_empty()).then(|| format!("{grand}{stem}"));
        }
        let stem = self.partial_suffixes.iter().find_map(|s| strip_suffix_ci(name, s))?;
        let unconfirmed = strip_prefix_ci(stem, "unconfirmed ")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        (!stem.is_empty() && !unconfirmed).then(|| format!("{dir}{stem}"))
    }

    /// Whether `image` (a path or a name) is a link source of this profile's `browser_parents`.
    pub fn is_browser(&self, image: &str) -> bool {
        self.name_in(image, &self.browsers)
    }

    /// The lowercased image name, and whether it is a link source and a LOLBIN, computing the
    /// name once (this runs per process start).
    pub fn image_flags(&self, image: &str) -> (String, bool, bool) {
        let name = image_name(image, self.os);
        let browser = self.name_flag(image, &name, &self.browsers);
        let lolbin = self.name_flag(image, &name, &self.lolbins);
        (name, browser, lolbin)
    }

    /// Whether `image` (a path or a name) is one of this profile's `lolbins`.
    pub fn is_lolbin(&self, image: &str) -> bool {
        self.name_in(image, &self.lolbins)
    }

    fn name_in(&self, image: &str, set: &FxHashSet<String>) -> bool {
        self.name_flag(image, &image_name(image, self.os), set)
    }

    fn name_flag(&self, image: &str, name: &str, set: &FxHashSet<String>) -> bool {
        set.contains(name)
            || (self.os == Os::Windows && extension_of(name).is_none() && set.contains(&format!("{name}.exe")))
            || (self.os == Os::Macos && app_bundle(image).is_some_and(|b| set.contains(&b.to_lowercase())))
    }
}

/// Checks that `pattern` compiles for `os` (the reason when not). Used by config validation.
pub(crate) fn check_pattern(os: Os, pattern: &str) -> Result<(), String> {
    pattern::compile(os, pattern).map(|_| ())
}

/// The last component of `path`, with `/` and `\` both separators; trailing separators ignored.
pub fn basename(path: &str) -> &str {
    let is_sep = |b: u8| b == b'/' || b == b'\\';
    let bytes = path.as_bytes();
    let end = bytes.iter().rposition(|&b| !is_sep(b)).map_or(0, |i| i + 1);
    // Separators are ASCII, so both cuts fall on character boundaries.
    let start = bytes[..end].iter().rposition(|&b| is_sep(b)).map_or(0, |i| i + 1);
    &path[start..end]
}

/// The lowercase basename of process image `image`. On macOS an app bundle path names its
/// app (`/Applications/Safari.app` -> `safari`); the executable inside a bundle keeps its own
/// name (`/Applications/Google Chrome.app/Contents/MacOS/Google Chrome` -> `google chrome`).
pub fn image_name(image: &str, os: Os) -> String {
    let name = basename(image.trim().trim_matches('"')).to_lowercase();
    match name.strip_suffix(".app") {
        Some(app) if os == Os::Macos && !app.is_empty() => app.to_owned(),
        _ => name,
    }
}

/// The app bundle an executable is the main binary of: `X.app/Contents/MacOS/name` -> `X`.
fn app_bundle(image: &str) -> Option<&str> {
    let mut parts = image.trim_end_matches('/').rsplit('/');
    let (_, macos, contents, app) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let ok = macos.eq_ignore_ascii_case("macos") && contents.eq_ignore_ascii_case("contents");
    strip_suffix_ci(app, ".app").filter(|a| ok && !a.is_empty())
}

/// A folder name as compared on `os` (lowercase where paths are case-insensitive).
fn fold(os: Os, name: &str) -> String {
    if os == Os::Linux {
        name.to_owned()
    } else {
        name.to_lowercase()
    }
}

/// The extension of a file name: after the last dot, not for dot-files or a trailing dot.
fn extension_of(name: &str) -> Option<&str> {
    // A byte search: `rfind('.')` costs a `memrchr` call setup per name, most of them short.
    match name.bytes().rposition(|b| b == b'.') {
        Some(i) if i > 0 && i + 1 < name.len() => Some(&name[i + 1..]),
        _ => None,
    }
}

/// Guesses a host's OS from the paths in an event (image or file path), for sources that do
/// not say: a drive letter or backslash is Windows, a macOS top-level folder macOS, any other
/// absolute path Linux.
pub fn os_hint(ev: &Event) -> Option<Os> {
    let path = match &ev.kind {
        EventKind::ProcessStart { image, .. } => image.as_str(),
        EventKind::FileWrite { path, .. } | EventKind::FileAttr { path, .. } => path.as_str(),
        _ => return None,
    };
    let b = path.as_bytes();
    if path.contains('\\') || (b.len() > 1 && b[1] == b':') {
        Some(Os::Windows)
    } else if ["/Users/", "/Applications/", "/System/", "/private/", "/Library/", "/Volumes/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        Some(Os::Macos)
    } else if path.starts_with('/') {
        Some(Os::Linux)
    } else {
        None
    }
}
