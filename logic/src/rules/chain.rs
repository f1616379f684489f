//! The shipped DET0066 analytics: click → untrusted egress → download-like write in one link
//! root's lineage (AN0178 / AN0179 / AN0180), and AN0180's QuarantinePolicy finding, which the
//! engine merges into the chain's alert for the same file (`docs/design.md`, "Detection
//! semantics").

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{ChainMatch, FxBuildHasher, Strength};

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "chain",
    title: "Link click, untrusted egress, then a download-like write in the same lineage",
    hypothesis: "A user who follows a malicious link makes a link source (or its children) reach an \
                 untrusted destination and save a download-like file, within the time window",
    attack: &["T1204.001"],
    refines: &["AN0178", "AN0179", "AN0180"],
    data: &["lineage", "click", "egress", "write", "quarantine"],
    false_positives: "Legitimate downloads from new or odd-looking domains (newly observed, risky TLDs)",
    status: Status::Stable,
    hold: 0,
};

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        @input
        pub struct Root(pub u32, pub u32);
        @input
        pub struct ClickIn(pub u32, pub u32, pub i64);
        @input
        pub struct EgressIn(pub u32, pub u32, pub i64, pub u32);
        @input
        // id, proc, time, origin domain, origin trusted, quarantine candidate
        pub struct WriteIn(pub u32, pub u32, pub i64, pub u32, pub bool, pub bool);
        @input
        pub struct QuarantineSeen(pub u32, pub i64);
        // window, download gap, minimum strength, quarantine grace
        @input
        pub struct Param(pub i64, pub i64, pub u8, pub i64);

        struct RootWrite(u32, u32, i64, u32, bool, bool);
        RootWrite(r, w, t, od, ot, q) <- WriteIn(w, p, t, od, ot, q), Root(p, r);
        struct RootEgress(u32, u32, i64, u32);
        RootEgress(r, e, t, d) <- EgressIn(e, p, t, d), Root(p, r);
        struct RootClick(u32, u32, i64);
        RootClick(r, c, t) <- ClickIn(c, p, t), Root(p, r);

        // Observed click <= egress <= write, all within the window of the click.
        @output
        pub struct Observed(pub u32, pub u32, pub u32, pub u32, pub u8);
        Observed(w, e, c, r, s) <-
            RootWrite(r, w, tw, od, ot, _),
            RootEgress(r, e, te, d),
            RootClick(r, c, tc),
            Param(win, gap, min, _),
            (tc <= te && te <= tw && tw - tc <= win),
            let s = crate::rules::strength_u8(od, ot, d, te, tw, gap),
            (s >= min);

        struct HasObserved(u32);
        HasObserved(w) <- Observed(w, _, _, _, _);

        // An egress within the window after an observed click belongs to that click: its chain is
        // measured from the click, so inferring a later click there would widen the window.
        struct ClickedBefore(u32);
        ClickedBefore(e) <- RootEgress(r, e, te, _), RootClick(r, _, tc), Param(win, _, _, _), (tc <= te && te - tc <= win);

        // Otherwise the click is inferred at the (first) untrusted egress.
        @output
        pub struct Inferred(pub u32, pub u32, pub u32, pub u8);
        Inferred(w, e, r, s) <-
            RootWrite(r, w, tw, od, ot, _),
            RootEgress(r, e, te, d),
            Param(win, gap, min, _),
            (te <= tw && tw - te <= win),
            !HasObserved(w),
            !ClickedBefore(e),
            let s = crate::rules::strength_u8(od, ot, d, te, tw, gap),
            (s >= min);

        // AN0180 QuarantinePolicy: an executable from the lineage that never got quarantined.
        struct QuarantinedInTime(u32);
        QuarantinedInTime(w) <- WriteIn(w, _, tw, _, _, true), QuarantineSeen(w, tq), Param(_, _, _, g), (tq <= tw + g);
        @output
        pub struct QuarantineMissing(pub u32, pub u32);
        QuarantineMissing(w, r) <- RootWrite(r, w, _, _, _, true), !QuarantinedInTime(w);
    }
}

/// Runs the rule.
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let (facts, p) = (input.facts, input.facts.params);
    let mut rt = Crepe::new();
    rt.extend(input.lineage.root.iter().map(|&(p, r)| Root(p, r)));
    rt.extend(facts.click.iter().map(|c| ClickIn(c.id, c.proc, c.time)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    rt.extend(
        facts
            .write
            .iter()
            .map(|w| WriteIn(w.id, w.proc, w.time, w.origin_domain, w.origin_trusted, w.quarantine_candidate)),
    );
    rt.extend(facts.quarantine_seen.iter().map(|&(w, t)| QuarantineSeen(w, t)));
    rt.extend([Param(p.window, p.download_gap, p.min_strength as u8, p.quarantine_grace)]);
    let (observed, inferred, missing) = rt.run_with_hasher::<FxBuildHasher>();

    let matches: Vec<ChainMatch> = observed
        .into_iter()
        .map(|Observed(write, egress, click, root, s)| ChainMatch {
            write,
            egress,
            click: Some(click),
            root,
            strength: Strength::from_u8(s),
        })
        .chain(inferred.into_iter().map(|Inferred(write, egress, root, s)| super::inferred(write, egress, root, s)))
        .collect();
    let mut out = RuleOutput::of_matches(matches);
    out.quarantine_missing = missing.into_iter().map(|QuarantineMissing(w, r)| (w, r)).collect();
    out.quarantine_missing.sort_unstable();
    out
}
