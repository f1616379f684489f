//! An OS profile's [`PathClassifier`]: here rather than in `paths`, so that `paths` knows
//! nothing of configuration and the two modules depend one way.

use clickchain_adapters::Os;

use super::{ConfigError, OsProfile};
use crate::paths::{PathClassifier, PathLists};

impl PathClassifier {
    /// Compiles `profile`'s patterns and lists for `os`. Fails (naming the key, such as
    /// `windows.user_paths[2]`) on a pattern that does not compile, e.g. an unknown `%VAR%`.
    pub fn new(os: Os, profile: &OsProfile) -> Result<Self, ConfigError> {
        let policy = profile.quarantine_policy.as_ref();
        // Every link-source class is a link source.
        let link_sources = profile.link_sources.all_with(&profile.browser_parents);
        let lists = PathLists {
            user_paths: &profile.user_paths,
            excluded_paths: &profile.excluded_paths,
            quarantine_paths: policy.map_or(&[], |q| &q.paths),
            download_dirs: &profile.download_dirs,
            high_risk_extensions: &profile.high_risk_extensions,
            archive_extensions: &profile.archive_extensions,
            executable_extensions: policy.map_or(&[], |q| &q.executable_extensions),
            partial_suffixes: &profile.partial_suffixes,
            browser_parents: &link_sources,
            lolbins: &profile.lolbins,
        };
        PathClassifier::from_lists(os, &lists).map_err(|e| ConfigError::InvalidValue {
            origin: format!("{os} profile"),
            key: format!("{os}.{}[{}]", e.list, e.index),
            value: format!("{:?}", e.pattern),
            reason: e.reason,
            location: None,
        })
    }
}
