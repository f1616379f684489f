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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clickchain_adapters::{Origin, Os, Position, SourceRef};
    use clickchain_logic::ContainerKind;

    use super::*;
    use crate::host::{Held, HeldFact};

    fn pending(path: &str, norm: String, origin: Origin, held: Held) -> PendingWrite {
        PendingWrite {
            time: 1_000,
            ready: 1_000,
            proc: 0,
            root: 0,
            path: path.to_owned(),
            norm,
            extension: Some("exe".into()),
            high_risk_ext: true,
            renamed_from: None,
            origin: Some(origin),
            origin_key: None,
            origin_trusted: false,
            quarantine_path: false,
            quarantine_candidate: false,
            evidence: vec![SourceRef { input: Arc::from("t"), pos: Position::Line(1) }],
            held,
            anchor: crate::alert::Anchor::Write,
        }
    }

    #[test]
    fn origin_container_and_held_facts_only_when_read() {
        let config = crate::Config::default();
        let mut profile = Profile::new(Os::Windows, &config.windows, &config).unwrap();
        let host = Host::new(Arc::from("ws-1"), Some(Os::Windows));
        let origin = Origin { url: Some("blob:https://x.example.top/5d1c".into()), ..Origin::default() };
        // A process slot the host does not hold (any more): the fact stays, without a process.
        let gone = HeldFact { kind: HeldKind::Executed, time: 2_000, proc: Some((7, 99)) };
        let held = Held { referrer_key: Some(Arc::from("x.example.top")), facts: vec![gone] };
        let path = r"C:\Users\u\AppData\Local\Temp\Temp1_a.zip\a.exe";
        let w = pending(path, profile.paths.normalize(path), origin, held);
        let build = |profile: &Profile| {
            let mut facts = ChainFacts::default();
            write_facts_b(&host, profile, &mut Local::default(), &mut facts, 0, &w);
            facts
        };
        let none = build(&profile);
        assert!(none.write_origin.is_empty() && none.executed.is_empty(), "the default rules read neither");
        profile.wants_origin = true;
        profile.wants_held = true;
        let f = build(&profile);
        assert_eq!(f.write_origin, vec![(0, OriginKind::Blob)]);
        assert_eq!(f.referrer_domain, vec![(0, 0)]);
        assert_eq!(f.write_container, vec![(0, ContainerKind::ArchiveTemp)]);
        assert_eq!(f.executed, vec![(0, NONE, 2_000)]);
    }
}
