//! What followed a write while it was held (`docs/rules.md` "Hold"): its protection removed
//! (`protection_removed`), the file run (`executed`), a program run from inside it
//! (`container_exec`), the file opened (`opened`). Each is judged as the rule's crepe program
//! does: after the write, within the rule's hold, and (the removal rules) removal before run.

use clickchain_logic::{ContainerKind, ExtClass};

use super::super::emit::image_label;
use super::{atom, fmt_time, ms, with_needs, ChainView};
use crate::alert::{secs, FactAtom};
use crate::host::{HeldFact, HeldKind};

/// Which removals and runs a rule counts: macos-quarantine-stripped only the quarantine flag,
/// and a run from a mounted volume or extraction folder as well as the file's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    quarantine_only: bool,
    volume_runs: bool,
}

impl Counts {
    fn of(rule: &str) -> Counts {
        let mac = rule == "macos-quarantine-stripped";
        Counts { quarantine_only: mac, volume_runs: mac }
    }

    fn removal(self, f: &HeldFact) -> bool {
        matches!(f.kind, HeldKind::Removed { quarantine } if quarantine || !self.quarantine_only)
    }

    fn run(self, f: &HeldFact) -> bool {
        match f.kind {
            HeldKind::Executed => true,
            HeldKind::ContainerExec(k) => self.volume_runs && k != ContainerKind::ArchiveTemp,
            _ => false,
        }
    }
}

/// Whether `t` is at or after the write `tw` and within `hold` of it.
fn within(tw: i64, hold: i64, t: i64) -> bool {
    tw <= t && t - tw <= hold
}

/// The first removal then run, both within the hold: the removal rules' condition.
fn removed_then_ran(tw: i64, hold: i64, facts: &[HeldFact], counts: Counts) -> Option<(&HeldFact, &HeldFact)> {
    let removals = facts.iter().filter(|f| counts.removal(f) && within(tw, hold, f.time));
    removals
        .flat_map(|r| {
            facts
                .iter()
                .filter(move |x| counts.run(x) && r.time <= x.time && within(tw, hold, x.time))
                .map(move |x| (r, x))
        })
        .min_by_key(|(r, x)| (x.time, r.time))
}

/// Whether a run from inside a container of `kind` opens a file of class `class`
/// (container-run: an archive unpacked, a disk image mounted).
fn opens(class: Option<ExtClass>, kind: ContainerKind) -> bool {
    match class {
        Some(ExtClass::Archive) => kind != ContainerKind::MountedVolume,
        Some(ExtClass::DiskImage) => kind == ContainerKind::MountedVolume,
        _ => false,
    }
}

/// A held fact in words: what, by which process, when after the write.
fn describe(view: &ChainView<'_>, f: &HeldFact) -> String {
    let what = match f.kind {
        HeldKind::Executed => "the file ran".to_owned(),
        HeldKind::Opened => "the file was opened".to_owned(),
        HeldKind::Removed { quarantine: true } => "its com.apple.quarantine flag was removed".to_owned(),
        HeldKind::Removed { quarantine: false } => "its Mark-of-the-Web was removed".to_owned(),
        HeldKind::ContainerExec(k) => format!("a program started from inside it ({})", k.as_str()),
    };
    let by = proc_of(view, f).map(|s| format!(" by `{}`", image_label(view.host, s))).unwrap_or_default();
    format!("{what}{by} at {}, {} after the write", fmt_time(&ms(f.time)), secs(f.time - view.write().time))
}

/// The process of a held fact, while the host still holds it.
fn proc_of(view: &ChainView<'_>, f: &HeldFact) -> Option<crate::host::proctable::Slot> {
    f.proc.filter(|&(slot, serial)| view.host.procs.holds(slot, serial)).map(|(slot, _)| slot)
}

/// A held fact's record: its process's start.
fn record_of(view: &ChainView<'_>, f: &HeldFact) -> Option<clickchain_adapters::SourceRef> {
    proc_of(view, f).and_then(|s| view.host.procs.get(s).source.clone())
}

/// The held facts of `view`'s write that `pick` keeps, and how many of them fell within the hold.
fn held<'a>(view: &'a ChainView<'a>, pick: impl Fn(&HeldFact) -> bool) -> (Vec<&'a HeldFact>, usize) {
    let (tw, hold) = (view.write().time, view.hold());
    let all: Vec<&HeldFact> = view.write().held.facts.iter().filter(|f| pick(f)).collect();
    let outside = all.iter().filter(|f| !within(tw, hold, f.time)).count();
    (all.into_iter().filter(|f| within(tw, hold, f.time)).collect(), outside)
}

/// What the removal rules need, in words.
fn removal_needs(view: &ChainView<'_>) -> Option<String> {
    let hold = secs(view.hold());
    match view.rule {
        "motw-removed-run" => Some(format!(
            "a protection removal (Mark-of-the-Web or quarantine) then an execution of the file, within the hold {hold}"
        )),
        "macos-quarantine-stripped" => Some(format!(
            "com.apple.quarantine removed from the file, then an exec of it, from its /Volumes mount or the download \
             folder, within the hold {hold}"
        )),
        _ => None,
    }
}

/// Nothing of `what` within the hold.
fn none_within(view: &ChainView<'_>, what: &str, outside: usize) -> String {
    let later = if outside > 0 { format!(" ({outside} outside it)") } else { String::new() };
    format!("{what} within the hold {} after the write{later}", secs(view.hold()))
}

/// The `protection_removed` kind.
pub(super) fn protection_removed(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let counts = Counts::of(view.rule);
    let needs = removal_needs(view);
    let (found, outside) = held(view, |f| counts.removal(f));
    let f = match found.first() {
        Some(r) => atom(kind, describe(view, r), true, None),
        None => {
            let flag = if counts.quarantine_only { "com.apple.quarantine" } else { "Mark-of-the-Web or quarantine" };
            atom(kind, none_within(view, &format!("no {flag} removal of the file"), outside), needs.is_none(), None)
        }
    };
    with_needs(f, needs)
}

/// The removal rules' run (the `executed` and, macos-quarantine-stripped, `container_exec`
/// kinds): a run after a removal, both within the hold.
fn run_after_removal(kind: &str, view: &ChainView<'_>, needs: String) -> FactAtom {
    let counts = Counts::of(view.rule);
    let w = view.write();
    let f = match removed_then_ran(w.time, view.hold(), &w.held.facts, counts) {
        Some((r, x)) => atom(
            kind,
            format!("{}, {} after the removal", describe(view, x), secs(x.time - r.time)),
            true,
            record_of(view, x),
        ),
        None => match held(view, |f| counts.run(f)) {
            (runs, _) if !runs.is_empty() => atom(
                kind,
                format!("{}, but no removal of its protection came before it", describe(view, runs[0])),
                false,
                record_of(view, runs[0]),
            ),
            (_, outside) => atom(kind, none_within(view, "the file did not run", outside), false, None),
        },
    };
    with_needs(f, Some(needs))
}

/// The `executed` kind.
pub(super) fn executed(kind: &str, view: &ChainView<'_>) -> FactAtom {
    if let Some(needs) = removal_needs(view) {
        return run_after_removal(kind, view, needs);
    }
    let (runs, outside) = held(view, |f| f.kind == HeldKind::Executed);
    match runs.first() {
        Some(x) => atom(kind, describe(view, x), true, record_of(view, x)),
        None => atom(kind, none_within(view, "the file did not run", outside), true, None),
    }
}

/// The `container_exec` kind.
pub(super) fn container_exec(kind: &str, view: &ChainView<'_>) -> FactAtom {
    if view.rule == "macos-quarantine-stripped" {
        return run_after_removal(kind, view, removal_needs(view).unwrap_or_default());
    }
    let w = view.write();
    let class = w.extension.as_deref().and_then(ExtClass::of);
    let (runs, outside) = held(view, |f| matches!(f.kind, HeldKind::ContainerExec(_)));
    let fits = |f: &&&HeldFact| matches!(f.kind, HeldKind::ContainerExec(k) if opens(class, k));
    let needs = (view.rule == "container-run").then(|| {
        format!(
            "a program started from inside the unpacked archive or the mounted disk image within the hold {}",
            secs(view.hold())
        )
    });
    let f = match (runs.iter().find(fits), runs.first()) {
        (Some(x), _) => atom(kind, describe(view, x), true, record_of(view, x)),
        (None, Some(x)) => atom(
            kind,
            format!(
                "{}, which is not where a {} file opens",
                describe(view, x),
                class.map_or("unclassed", ExtClass::as_str)
            ),
            needs.is_none(),
            record_of(view, x),
        ),
        (None, None) => {
            atom(kind, none_within(view, "no program started from inside the file", outside), needs.is_none(), None)
        }
    };
    with_needs(f, needs)
}

/// The `opened` kind: html-smuggling's markup branch needs it; a payload does not.
pub(super) fn opened(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let markup = view.write().extension.as_deref().and_then(ExtClass::of) == Some(ExtClass::Markup);
    let needs = (view.rule == "html-smuggling" && markup).then(|| {
        format!(
            "the markup file opened (a browser or mshta naming it on its command line) within the hold {}",
            secs(view.hold())
        )
    });
    let (found, outside) = held(view, |f| f.kind == HeldKind::Opened);
    let f = match found.first() {
        Some(o) => atom(kind, describe(view, o), true, record_of(view, o)),
        None => atom(kind, none_within(view, "no process opened the file", outside), needs.is_none(), None),
    };
    with_needs(f, needs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: i64 = 600_000;

    fn fact(kind: HeldKind, time: i64) -> HeldFact {
        HeldFact { kind, time, proc: None }
    }

    #[test]
    fn a_removal_counts_only_before_the_run_and_within_the_hold() {
        let motw = Counts::of("motw-removed-run");
        let removed = fact(HeldKind::Removed { quarantine: false }, 2_000);
        let ran = fact(HeldKind::Executed, 3_000);
        assert_eq!(removed_then_ran(1_000, HOLD, &[removed, ran], motw), Some((&removed, &ran)));
        assert_eq!(removed_then_ran(1_000, HOLD, &[removed], motw), None, "removed, never run");
        assert_eq!(removed_then_ran(1_000, HOLD, &[ran], motw), None, "run with the flag intact");
        let early = fact(HeldKind::Executed, 1_500);
        assert_eq!(removed_then_ran(1_000, HOLD, &[removed, early], motw), None, "run before the removal");
        let late = fact(HeldKind::Executed, 1_000 + HOLD + 1);
        assert_eq!(removed_then_ran(1_000, HOLD, &[removed, late], motw), None, "run beyond the hold");
    }

    #[test]
    fn macos_counts_only_the_quarantine_flag_and_runs_from_the_volume() {
        let mac = Counts::of("macos-quarantine-stripped");
        let motw = fact(HeldKind::Removed { quarantine: false }, 2_000);
        let quarantine = fact(HeldKind::Removed { quarantine: true }, 2_000);
        let volume = fact(HeldKind::ContainerExec(ContainerKind::MountedVolume), 3_000);
        let temp = fact(HeldKind::ContainerExec(ContainerKind::ArchiveTemp), 3_000);
        assert_eq!(removed_then_ran(1_000, HOLD, &[motw, volume], mac), None);
        assert_eq!(removed_then_ran(1_000, HOLD, &[quarantine, volume], mac), Some((&quarantine, &volume)));
        assert_eq!(removed_then_ran(1_000, HOLD, &[quarantine, temp], mac), None, "an archive temp is no volume");
        let other = Counts::of("motw-removed-run");
        assert_eq!(removed_then_ran(1_000, HOLD, &[quarantine, volume], other), None, "only the file's own run");
    }

    #[test]
    fn an_archive_opens_where_it_unpacks_and_an_image_where_it_mounts() {
        use ContainerKind::*;
        assert!(opens(Some(ExtClass::Archive), ArchiveTemp) && opens(Some(ExtClass::Archive), ExtractedFolder));
        assert!(!opens(Some(ExtClass::Archive), MountedVolume));
        assert!(opens(Some(ExtClass::DiskImage), MountedVolume) && !opens(Some(ExtClass::DiskImage), ArchiveTemp));
        assert!(!opens(Some(ExtClass::Executable), MountedVolume) && !opens(None, MountedVolume));
    }

    #[test]
    fn the_hold_starts_at_the_write() {
        assert!(within(1_000, HOLD, 1_000) && within(1_000, HOLD, 1_000 + HOLD));
        assert!(!within(1_000, HOLD, 999) && !within(1_000, HOLD, 1_001 + HOLD));
    }
}
