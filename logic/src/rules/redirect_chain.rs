//! Redirect chains: the lineage reached two or more distinct untrusted registrable domains
//! before the write (a link through trackers, shorteners or compromised sites to a payload host).

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::FxBuildHasher;

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "redirect-chain",
    title: "Two or more distinct untrusted domains in the lineage before a download-like write",
    hypothesis: "Malicious links usually pass through a redirector before the payload host, so the \
                 lineage reaches several untrusted registrable domains within the window before the file lands",
    attack: &["T1204.001", "T1566.002"],
    refines: &["AN0178", "AN0179", "AN0180"],
    data: &["lineage", "egress", "write"],
    false_positives: "Ad-heavy pages that load several odd-looking ad or tracking domains before a benign download",
    status: Status::Experimental,
    hold: 0,
};

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

        struct RootEgress(u32, u32, i64, u32);
        RootEgress(r, e, t, d) <- EgressIn(e, p, t, d), Root(p, r);

        // An untrusted domain the root reached within the window before write w.
        struct Reached(u32, u32);
        Reached(w, d) <- WriteIn(w, p, tw, _, _), Root(p, r), RootEgress(r, _, te, d), Param(win, _, _), (te <= tw && tw - te <= win);

        @output
        pub struct Redirected(pub u32, pub u32, pub u32, pub u8);
        Redirected(w, e, r, s) <-
            WriteIn(w, p, tw, od, ot),
            Root(p, r),
            RootEgress(r, e, te, d),
            Reached(w, other),
            (other != d),
            Param(win, gap, min),
            (te <= tw && tw - te <= win),
            let s = crate::rules::strength_u8(od, ot, d, te, tw, gap),
            (s >= min);
    }
}

/// Runs the rule.
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let (facts, p) = (input.facts, input.facts.params);
    let mut rt = Crepe::new();
    rt.extend(input.lineage.root.iter().map(|&(p, r)| Root(p, r)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    rt.extend(facts.write.iter().map(|w| WriteIn(w.id, w.proc, w.time, w.origin_domain, w.origin_trusted)));
    rt.extend([Param(p.window, p.download_gap, p.min_strength as u8)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    RuleOutput::of_matches(found.into_iter().map(|Redirected(w, e, r, s)| super::inferred(w, e, r, s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive_lineage;
    use crate::rules::tests_support::{egress, facts_one_root, write};

    #[test]
    fn two_domains_fire_one_does_not() {
        let mut f = facts_one_root();
        f.egress = vec![egress(0, 1, 0, 7), egress(1, 1, 1_000, 7)];
        f.write = vec![write(0, 1, 30_000)];
        let l = derive_lineage(&f.parent, &f.image, &f.link_source_image);
        assert!(run(&RuleInput { facts: &f, lineage: &l }).matches.is_empty(), "one domain twice");
        f.egress.push(egress(2, 1, 2_000, 8));
        let out = run(&RuleInput { facts: &f, lineage: &l });
        assert_eq!(out.matches.len(), 3, "every egress of the write's window links: {out:?}");
        // A second domain only after the write does not count.
        f.egress[2].time = 31_000;
        assert!(run(&RuleInput { facts: &f, lineage: &l }).matches.is_empty());
    }
}
