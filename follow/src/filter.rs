//! Which files of a watched folder are followed.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Chooses the files of a watched folder to follow, by their path.
///
/// Rotated copies usually stay beside the live file (`app.log.1`, `app.log.2.gz`): a filter that
/// matches only live names keeps a copy made by copy-truncate rotation, which is a new file, from
/// being read again whole.
#[derive(Clone)]
pub struct FileFilter(Arc<dyn Fn(&Path) -> bool + Send + Sync>);

impl FileFilter {
    /// Every regular file.
    pub fn all() -> FileFilter {
        FileFilter(Arc::new(|_| true))
    }

    /// Files for which `predicate` returns true.
    pub fn new(predicate: impl Fn(&Path) -> bool + Send + Sync + 'static) -> FileFilter {
        FileFilter(Arc::new(predicate))
    }

    /// Files whose name (not the folder part) matches `pattern`, where `*` stands for any run of
    /// characters and `?` for one: `*.log` takes `app.log`, not `app.log.1`.
    pub fn glob(pattern: &str) -> FileFilter {
        let pattern: Vec<char> = pattern.chars().collect();
        FileFilter::new(move |path| {
            let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            glob_matches(&pattern, &name.chars().collect::<Vec<_>>())
        })
    }

    /// Whether the file at `path` is followed.
    pub fn accepts(&self, path: &Path) -> bool {
        (self.0)(path)
    }
}

impl fmt::Debug for FileFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileFilter")
    }
}

/// `*` and `?` matching by backtracking to the last star: linear in practice, no recursion.
fn glob_matches(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_names_only() {
        let log = FileFilter::glob("*.log");
        assert!(log.accepts(Path::new("/var/log/app.log")));
        assert!(!log.accepts(Path::new("/var/log/app.log.1")));
        assert!(!log.accepts(Path::new("/var/x.log/app.txt")));
        let one = FileFilter::glob("a?c*");
        assert!(one.accepts(Path::new("abc")));
        assert!(one.accepts(Path::new("abcdef")));
        assert!(!one.accepts(Path::new("ac")));
        assert!(FileFilter::glob("*").accepts(Path::new("anything")));
        assert!(!FileFilter::glob("").accepts(Path::new("x")));
    }
}
