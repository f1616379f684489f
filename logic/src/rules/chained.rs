//! The shape the held variants refine, a "chained download": a write in a link root's lineage
//! with an untrusted egress of the same root within the window before it, at or above the
//! minimum link strength. Each variant decides which writes qualify by what followed them, and
//! this one program links those to their egress (`docs/rules.md`, "Hold").

use super::{RuleInput, RuleOutput};
use crate::{FxBuildHasher, Id};

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        @input
        pub struct Root(pub u32, pub u32);
        @input
        pub struct EgressIn(pub u32, pub u32, pub i64, pub u32);
        // id, proc, time, origin domain, origin trusted
        @input
        pub struct WriteIn(pub u32, pub u32, pub i64, pub u32, pub bool);
        // window, download gap, minimum strength
        @input
        pub struct Param(pub i64, pub i64, pub u8);

        @output
        pub struct Chained(pub u32, pub u32, pub u32, pub u8);
        Chained(w, e, r, s) <-
            WriteIn(w, p, tw, od, ot),
            Root(p, r),
            EgressIn(e, q, te, d),
            Root(q, r),
            Param(win, gap, min),
            (te <= tw && tw - te <= win),
            let s = crate::rules::strength_u8(od, ot, d, te, tw, gap),
            (s >= min);
    }
}

/// The chained-download matches of `writes` (the ones a variant kept), clicks inferred.
pub(super) fn chained(input: &RuleInput<'_>, writes: impl IntoIterator<Item = Id>) -> RuleOutput {
    use program::*;
    let mut keep: Vec<Id> = writes.into_iter().collect();
    if keep.is_empty() {
        return RuleOutput::default();
    }
    keep.sort_unstable();
    let (facts, p) = (input.facts, input.facts.params);
    let mut rt = Crepe::new();
    rt.extend(input.lineage.root.iter().map(|&(p, r)| Root(p, r)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    let kept = facts.write.iter().filter(|w| keep.binary_search(&w.id).is_ok());
    rt.extend(kept.map(|w| WriteIn(w.id, w.proc, w.time, w.origin_domain, w.origin_trusted)));
    rt.extend([Param(p.window, p.download_gap, p.min_strength as u8)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    RuleOutput::of_matches(found.into_iter().map(|Chained(w, e, r, s)| super::inferred(w, e, r, s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive_lineage;
    use crate::rules::tests_support::chained_download;

    #[test]
    fn only_the_kept_writes_link() {
        let f = chained_download();
        let l = derive_lineage(&f.parent, &f.image, &f.link_source_image);
        let input = RuleInput { facts: &f, lineage: &l };
        assert_eq!(chained(&input, [0]).matches.len(), 1);
        assert!(chained(&input, []).matches.is_empty());
        assert!(chained(&input, [5]).matches.is_empty());
    }
}
