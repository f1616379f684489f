//! The facts of a write beyond the base ones (`docs/rules.md`, "Facts"): where its origin URL
//! points (`write_origin`, `referrer_domain`), whether it sits in an unpacked archive or a
//! mounted volume (`write_container`), and what followed it while held (`executed`, `opened`,
//! `protection_removed`, `container_exec`). Each is built only when an enabled rule reads it.

use clickchain_logic::{ChainFacts, Id, OriginKind, Protection, NONE};

use super::local::Local;
use crate::host::{HeldKind, Host, PendingWrite};
use crate::profile::Profile;

/// Adds the facts of write `id` (`w`) that the enabled rules read.
pub(super) fn write_facts_b(
    host: &Host,
    profile: &Profile,
    local: &mut Local,
    facts: &mut ChainFacts,
    id: Id,
    w: &PendingWrite,
) {
    if profile.wants_origin {
        let url = w.origin.as_ref().and_then(|o| o.url.as_deref());
        facts.write_origin.push((id, OriginKind::of(url)));
        if let Some(key) = &w.held.referrer_key {
            facts.referrer_domain.push((id, local.name(key)));
        }
        if let Some(kind) = crate::lower::container::location(profile.paths.os(), &w.norm) {
            facts.write_container.push((id, kind));
        }
    }
    if !profile.wants_held {
        return;
    }
    for f in &w.held.facts {
        // A copy of a settled write (the naive engine's window) may name a process gone since.
        let proc = f
            .proc
            .filter(|&(slot, serial)| host.procs.holds(slot, serial))
            .map_or(NONE, |(slot, _)| local.rooted(host, slot));
        match f.kind {
            HeldKind::Executed => facts.executed.push((id, proc, f.time)),
            HeldKind::Opened => facts.opened.push((id, proc, f.time)),
            HeldKind::Removed { quarantine } => {
                let flag = if quarantine { Protection::Quarantine } else { Protection::Motw };
                facts.protection_removed.push((id, f.time, flag));
            }
            HeldKind::ContainerExec(kind) => facts.container_exec.push((id, proc, f.time, kind)),
        }
    }
}
