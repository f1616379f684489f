//! macOS: a chained download whose `com.apple.quarantine` flag is stripped, then run from the
//! mounted image or the download folder: Gatekeeper never sees it (the "xattr -c" lure).

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{ContainerKind, ExtClass, FxBuildHasher, Protection};

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "macos-quarantine-stripped",
    title: "macOS: quarantine stripped from a chained .dmg/.pkg/.zip/.app download, then run",
    hypothesis: "Stealer lures tell the user to run `xattr -c` (or drag to Terminal) so that Gatekeeper does not \
                 check the app; stripping the quarantine flag from a fresh chained download and running it from \
                 the mounted image or the download folder is rare in benign use",
    attack: &["T1204.001", "T1204.002", "T1553.001"],
    refines: &["AN0180"],
    data: &["lineage", "egress", "write", "write_ext", "protection_removed", "executed", "container_exec"],
    false_positives: "Users of unsigned open-source apps who clear the quarantine flag by habit",
    status: Status::Experimental,
    hold: 600_000,
};

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        // write, time
        @input
        pub struct WriteAt(pub u32, pub i64);
        // write: a .dmg, .pkg, .zip or .app
        @input
        pub struct Packaged(pub u32);
        // write, time: com.apple.quarantine removed
        @input
        pub struct Stripped(pub u32, pub i64);
        // write, time: the file (or a program inside the bundle), or a program on its mounted
        // volume or in its extraction, ran
        @input
        pub struct Ran(pub u32, pub i64);
        @input
        pub struct Hold(pub i64);

        @output
        pub struct StrippedThenRun(pub u32);
        StrippedThenRun(w) <- Packaged(w), WriteAt(w, tw), Stripped(w, tr), Ran(w, tx), Hold(hold),
            (tw <= tr && tr <= tx && tx - tw <= hold);
    }
}

/// Runs the rule: the packages stripped of their quarantine and then run, as chained downloads.
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let facts = input.facts;
    let mut rt = Crepe::new();
    rt.extend(facts.write.iter().map(|w| WriteAt(w.id, w.time)));
    // .dmg (disk image), .pkg and .app (executables), .zip (archive); an .iso or .exe is no
    // macOS package, but it only fires with a quarantine flag, which only macOS sets.
    let packaged = |x: ExtClass| matches!(x, ExtClass::DiskImage | ExtClass::Executable | ExtClass::Archive);
    rt.extend(facts.write_ext.iter().filter(|&&(_, x)| packaged(x)).map(|&(w, _)| Packaged(w)));
    let stripped = facts.protection_removed.iter().filter(|&&(_, _, f)| f == Protection::Quarantine);
    rt.extend(stripped.map(|&(w, t, _)| Stripped(w, t)));
    rt.extend(facts.executed.iter().map(|&(w, _, t)| Ran(w, t)));
    let from_volume = facts.container_exec.iter().filter(|&&(_, _, _, k)| k != ContainerKind::ArchiveTemp);
    rt.extend(from_volume.map(|&(w, _, t, _)| Ran(w, t)));
    rt.extend([Hold(HEADER.hold)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    super::chained::chained(input, found.into_iter().map(|StrippedThenRun(w)| w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests_support::{chained_download, run_len};

    #[test]
    fn quarantine_stripped_then_run_from_the_volume() {
        let mut f = chained_download();
        let fires = |f: &crate::ChainFacts| run_len(run, f);
        f.write_ext = vec![(0, ExtClass::DiskImage)];
        f.protection_removed = vec![(0, 40_000, Protection::Quarantine)];
        assert_eq!(fires(&f), 0, "stripped, never run");
        f.container_exec = vec![(0, 9, 50_000, ContainerKind::MountedVolume)];
        assert_eq!(fires(&f), 1);
        f.protection_removed = vec![(0, 40_000, Protection::Motw)];
        assert_eq!(fires(&f), 0, "a Mark-of-the-Web is no quarantine flag");
        f.protection_removed.clear();
        assert_eq!(fires(&f), 0, "run with the quarantine still set");
        f.protection_removed = vec![(0, 40_000, Protection::Quarantine)];
        f.container_exec.clear();
        f.executed = vec![(0, 9, 50_000)];
        assert_eq!(fires(&f), 1, "run from the download folder");
        f.write_ext = vec![(0, ExtClass::Markup)];
        assert_eq!(fires(&f), 0, "no package");
    }
}
