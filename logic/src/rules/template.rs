//! TEMPLATE: copy this file to `logic/src/rules/<your_rule>.rs`, then add `mod <your_rule>;` and
//! one line to `RULES` in `mod.rs` (`docs/rules.md`, "Writing a variant"). It is compiled and
//! tested, but not registered: it never runs in the engine.
//!
//! The example fires on a write in a link root's lineage that follows an untrusted egress of the
//! same root within the window and is an executable.

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{ExtClass, FxBuildHasher};

/// This rule's header: every field is shown by `clickchain rules`.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "template",
    title: "One line saying what fires",
    hypothesis: "Why the behaviour indicates a malicious link",
    attack: &["T1204.001"],
    refines: &["AN0178"],
    data: &["lineage", "egress", "write", "write_ext"],
    false_positives: "What benign activity also fires",
    status: Status::Experimental,
    hold: 0,
};

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        // Inputs: declare only the facts the rule reads (see RuleInput and docs/rules.md).
        @input
        pub struct Root(pub u32, pub u32);
        @input
        pub struct EgressIn(pub u32, pub u32, pub i64, pub u32);
        @input
        pub struct WriteIn(pub u32, pub u32, pub i64);
        @input
        pub struct WriteExt(pub u32, pub u8);
        @input
        pub struct Window(pub i64);

        // Output: (write, egress, root, strength as u8).
        @output
        pub struct Fired(pub u32, pub u32, pub u32, pub u8);
        Fired(w, e, r, 2) <-
            WriteIn(w, p, tw),
            WriteExt(w, x),
            (x == crate::ExtClass::Executable as u8),
            Root(p, r),
            EgressIn(e, q, te, _),
            Root(q, r),
            Window(win),
            (te <= tw && tw - te <= win);
    }
}

/// Runs the rule: feed the inputs, run once, map the output to matches.
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let facts = input.facts;
    let mut rt = Crepe::new();
    rt.extend(input.lineage.root.iter().map(|&(p, r)| Root(p, r)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    rt.extend(facts.write.iter().map(|w| WriteIn(w.id, w.proc, w.time)));
    rt.extend(facts.write_ext.iter().map(|&(w, x): &(u32, ExtClass)| WriteExt(w, x as u8)));
    rt.extend([Window(facts.params.window)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    RuleOutput::of_matches(found.into_iter().map(|Fired(w, e, r, s)| super::inferred(w, e, r, s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive_lineage;
    use crate::rules::tests_support::{egress, facts_one_root, write};

    #[test]
    fn fires_on_an_executable_after_egress_only() {
        let mut f = facts_one_root();
        f.egress = vec![egress(0, 1, 0, 7)];
        f.write = vec![write(0, 1, 30_000), write(1, 1, 40_000)];
        f.write_ext = vec![(0, ExtClass::Executable), (1, ExtClass::Archive)];
        let l = derive_lineage(&f.parent, &f.image, &f.link_source_image);
        let out = run(&RuleInput { facts: &f, lineage: &l });
        assert_eq!(out.matches.iter().map(|m| m.write).collect::<Vec<_>>(), vec![0]);
    }
}
