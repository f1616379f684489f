//! The data set kept next to the checkout, in `../shared/data` (licences that forbid copying
//! it into the repository). Tests that read it either find it, or, when it is absent, say
//! "skipped" and return — unless `CLICKCHAIN_REQUIRE_SHARED_DATA=1` (set by `.ci/run` when the
//! folder exists) makes its absence a failure. `CLICKCHAIN_SHARED_DATA` points elsewhere (a
//! path that does not exist shows that the requirement bites).

use std::path::{Path, PathBuf};

/// `rel` under the shared data folder, or `None` when it is not there and not required.
///
/// # Panics
/// When `rel` is missing and `CLICKCHAIN_REQUIRE_SHARED_DATA=1`.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = root().join(rel);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var("CLICKCHAIN_REQUIRE_SHARED_DATA").is_ok_and(|v| v == "1");
    assert!(!required, "{} not found, and CLICKCHAIN_REQUIRE_SHARED_DATA=1 requires it", path.display());
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    eprintln!("skipped: {test}: {} not found (set CLICKCHAIN_REQUIRE_SHARED_DATA=1 to require it)", path.display());
    None
}

/// `CLICKCHAIN_SHARED_DATA`, or `shared/data` beside the workspace (the folder holding Cargo.lock).
fn root() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLICKCHAIN_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.ancestors().find(|d| d.join("Cargo.lock").is_file()).unwrap_or(manifest);
    workspace.join("../shared/data")
}
