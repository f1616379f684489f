//! A chained download whose Mark-of-the-Web or quarantine flag is removed, then run: the user
//! (or a lure's instructions) defeating SmartScreen, Office's internet block or Gatekeeper.

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::FxBuildHasher;

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "motw-removed-run",
    title: "Chained download whose Mark-of-the-Web or quarantine flag is removed, then run",
    hypothesis: "Lures tell the user to unblock the file (Properties > Unblock, Unblock-File, xattr -d) so that \
                 SmartScreen or Gatekeeper stays silent; removing the flag from a fresh download and running it \
                 soon after is rare in benign use",
    attack: &["T1204.001", "T1204.002", "T1553.005"],
    refines: &["AN0178", "AN0180"],
    data: &["lineage", "egress", "write", "protection_removed", "executed"],
    false_positives: "Developers unblocking their own tools downloaded from a new or unusual domain",
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
        @input
        pub struct Removed(pub u32, pub i64);
        @input
        pub struct Executed(pub u32, pub i64);
        @input
        pub struct Hold(pub i64);

        // The flag removed, then the file run, both within the hold after the write.
        @output
        pub struct RemovedThenRun(pub u32);
        RemovedThenRun(w) <- WriteAt(w, tw), Removed(w, tr), Executed(w, tx), Hold(hold),
            (tw <= tr && tr <= tx && tx - tw <= hold);
    }
}

/// Runs the rule: the writes whose flag was removed and which then ran, as chained downloads.
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let facts = input.facts;
    let mut rt = Crepe::new();
    rt.extend(facts.write.iter().map(|w| WriteAt(w.id, w.time)));
    rt.extend(facts.protection_removed.iter().map(|&(w, t, _)| Removed(w, t)));
    rt.extend(facts.executed.iter().map(|&(w, _, t)| Executed(w, t)));
    rt.extend([Hold(HEADER.hold)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    super::chained::chained(input, found.into_iter().map(|RemovedThenRun(w)| w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests_support::{chained_download, run_len};
    use crate::Protection;

    #[test]
    fn removed_then_run_within_the_hold() {
        let mut f = chained_download();
        let fires = |f: &crate::ChainFacts| run_len(run, f);
        assert_eq!(fires(&f), 0, "a chained download alone");
        f.protection_removed = vec![(0, 40_000, Protection::Motw)];
        assert_eq!(fires(&f), 0, "removed, never run");
        f.executed = vec![(0, 9, 50_000)];
        assert_eq!(fires(&f), 1);
        f.protection_removed.clear();
        assert_eq!(fires(&f), 0, "run with the flag intact");
        f.protection_removed = vec![(0, 60_000, Protection::Quarantine)];
        assert_eq!(fires(&f), 0, "removed only after the run");
        f.protection_removed = vec![(0, 40_000, Protection::Quarantine)];
        f.executed = vec![(0, 9, 30_000 + HEADER.hold + 1)];
        assert_eq!(fires(&f), 0, "run after the hold");
    }
}
