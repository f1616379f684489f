//! `scan --nod-store FILE` and `watch --nod-store FILE`: the newly-observed-domain store, read
//! before a run and written after it (by `watch` also at each checkpoint), so that the next
//! run knows the domains and the hosts' history this one saw.

use std::io::ErrorKind;
use std::path::Path;

use clickchain::domain::FirstSeenFileError;
use clickchain::AnyEngine;

/// Reads `path` into the engine's store (nothing when it does not exist yet). A bad domain line
/// is reported (unless `quiet`) and counted in the returned number; a file that is not a store
/// is an error, so that the run does not write over it.
pub fn load(engine: &mut AnyEngine, path: &Path, quiet: bool) -> anyhow::Result<u64> {
    let loaded = engine.with_first_seen(|seen| seen.load(path));
    let load = match loaded {
        Ok(load) => load,
        Err(FirstSeenFileError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
            if !quiet {
                crate::say!("nod store {}: not there yet, starting empty", path.display());
            }
            return Ok(0);
        }
        Err(e) => anyhow::bail!("nod store {e} (not overwritten; move it away or fix it)"),
    };
    if !quiet {
        for e in load.errors.iter().take(super::scan::MAX_ERROR_LINES as usize) {
            crate::say!("warning: nod store {}: {e}", path.display());
        }
        let over = match (load.over_cap, load.hosts_over_cap) {
            (0, 0) => String::new(),
            (domains, hosts) => format!(", {domains} domains and {hosts} hosts over the store's capacity"),
        };
        crate::say!(
            "nod store {}: {} domains read, the history of {} hosts{over}",
            path.display(),
            load.domains,
            load.hosts
        );
    }
    Ok(load.bad_lines)
}

/// Writes the engine's store to `path` (replacing it whole).
pub fn save(engine: &mut AnyEngine, path: &Path) -> anyhow::Result<()> {
    engine.with_first_seen(|seen| seen.save(path)).map(drop).map_err(|e| anyhow::anyhow!("nod store {e}"))
}
