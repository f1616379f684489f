//! A chained download of an archive or disk image, then a program started from inside it: the
//! container hides the payload from the download's Mark-of-the-Web and from mail filters.

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{ContainerKind, ExtClass, FxBuildHasher};

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "container-run",
    title: "Chained archive or disk-image download, then a program run from inside it",
    hypothesis: "Payloads ship in .zip/.iso/.img/.vhd/.dmg so that the executable inside carries no Mark-of-the-Web \
                 of its own; a program started from the unpacked or mounted container soon after a chained \
                 download is the user running the lure",
    attack: &["T1204.001", "T1204.002", "T1553.005"],
    refines: &["AN0178", "AN0179", "AN0180"],
    data: &["lineage", "egress", "write", "write_ext", "container_exec"],
    false_positives: "Installers of new software delivered as archives or disk images from a new or unusual domain",
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
        // write, extension class
        @input
        pub struct WriteExt(pub u32, pub u8);
        // write, time, container kind
        @input
        pub struct ContainerExec(pub u32, pub i64, pub u8);
        @input
        pub struct Hold(pub i64);

        // An archive runs from where it was unpacked, a disk image from where it was mounted.
        @output
        pub struct Opened(pub u32);
        Opened(w) <- WriteAt(w, tw), WriteExt(w, x), ContainerExec(w, tx, k), Hold(hold),
            (tw <= tx && tx - tw <= hold),
            ((x == crate::ExtClass::Archive as u8 && k != crate::ContainerKind::MountedVolume as u8)
                || (x == crate::ExtClass::DiskImage as u8 && k == crate::ContainerKind::MountedVolume as u8));
    }
}

/// Runs the rule: the containers something ran from, as chained downloads.
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let facts = input.facts;
    let mut rt = Crepe::new();
    rt.extend(facts.write.iter().map(|w| WriteAt(w.id, w.time)));
    rt.extend(facts.write_ext.iter().map(|&(w, x): &(u32, ExtClass)| WriteExt(w, x as u8)));
    rt.extend(
        facts.container_exec.iter().map(|&(w, _, t, k): &(u32, u32, i64, ContainerKind)| ContainerExec(w, t, k as u8)),
    );
    rt.extend([Hold(HEADER.hold)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    super::chained::chained(input, found.into_iter().map(|Opened(w)| w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests_support::{chained_download, run_len};

    #[test]
    fn archive_unpacked_or_image_mounted_then_run() {
        let mut f = chained_download();
        let fires = |f: &crate::ChainFacts| run_len(run, f);
        f.write_ext = vec![(0, ExtClass::Archive)];
        assert_eq!(fires(&f), 0, "downloaded, never opened");
        f.container_exec = vec![(0, 9, 45_000, ContainerKind::ArchiveTemp)];
        assert_eq!(fires(&f), 1);
        f.container_exec = vec![(0, 9, 45_000, ContainerKind::ExtractedFolder)];
        assert_eq!(fires(&f), 1);
        f.container_exec = vec![(0, 9, 45_000, ContainerKind::MountedVolume)];
        assert_eq!(fires(&f), 0, "an archive is not mounted");
        f.write_ext = vec![(0, ExtClass::DiskImage)];
        assert_eq!(fires(&f), 1);
        f.container_exec = vec![(0, 9, 30_000 + HEADER.hold + 1, ContainerKind::MountedVolume)];
        assert_eq!(fires(&f), 0, "after the hold");
        f.container_exec = vec![(0, 9, 45_000, ContainerKind::MountedVolume)];
        f.write_ext = vec![(0, ExtClass::Executable)];
        assert_eq!(fires(&f), 0, "no container");
    }
}
