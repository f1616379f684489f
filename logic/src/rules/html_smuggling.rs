//! HTML smuggling: the payload is assembled in the browser (a `blob:` or `data:` origin), or a
//! page file arrives from a domain the lineage never connected to and is then opened locally.

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{ExtClass, FxBuildHasher, OriginKind};

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "html-smuggling",
    title: "HTML smuggling: a payload from a blob:/data: origin, or a page file from nowhere opened locally",
    hypothesis: "Smuggling pages build the payload in script so that no proxy sees it: the saved file's origin is \
                 a blob: or data: URL, or an .html/.svg arrives without any connection to its origin and is then \
                 opened from disk to assemble the payload there",
    attack: &["T1204.001", "T1027.006"],
    refines: &["AN0178", "AN0179", "AN0180"],
    data: &["lineage", "egress", "write", "write_ext", "write_origin", "referrer_domain", "opened"],
    false_positives: "Web apps that export files through blob: URLs (reports, image editors) on new or unusual domains",
    status: Status::Experimental,
    hold: 600_000,
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
        // write, extension class
        @input
        pub struct WriteExt(pub u32, pub u8);
        // write, origin kind
        @input
        pub struct Origin(pub u32, pub u8);
        // write: it has a referrer
        @input
        pub struct Referred(pub u32);
        // write, time: a process named the file on its command line
        @input
        pub struct Opened(pub u32, pub i64);
        // window, hold
        @input
        pub struct Param(pub i64, pub i64);

        struct Payload(u32);
        Payload(w) <- WriteExt(w, x), (x != crate::ExtClass::MacroDocument as u8 && x != crate::ExtClass::Markup as u8);

        // (a) built in the page: a payload whose origin is blob: or data:, or about: with a referrer.
        @output
        pub struct Smuggled(pub u32);
        // A page file whose untrusted origin the lineage never reached, opened: its own origin
        // is the link (no egress to name), for each link root it was written under.
        @output
        pub struct PageOpened(pub u32, pub u32);
        PageOpened(w, r) <- Page(w), WriteIn(w, p, _, _, _), Root(p, r);
        struct Page(u32);
        Smuggled(w) <- Page(w);
        Smuggled(w) <- Payload(w), Origin(w, k), (k == crate::OriginKind::Blob as u8 || k == crate::OriginKind::Data as u8);
        Smuggled(w) <- Payload(w), Origin(w, k), (k == crate::OriginKind::About as u8), Referred(w);

        // (b) a page file from an untrusted origin the lineage never connected to in the window,
        // opened within the hold.
        struct ReachedOrigin(u32);
        ReachedOrigin(w) <- WriteIn(w, p, tw, od, _), Root(p, r), EgressIn(_, q, te, od), Root(q, r), Param(win, _),
            (te <= tw && tw - te <= win);
        Page(w) <- WriteIn(w, _, tw, od, ot), WriteExt(w, x), (x == crate::ExtClass::Markup as u8),
            (od != crate::NONE && !ot), !ReachedOrigin(w),
            Opened(w, to), Param(_, hold), (tw <= to && to - tw <= hold);
    }
}

/// Runs the rule: the smuggled writes, as chained downloads (the lineage's untrusted egress is
/// the page that smuggled them).
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let facts = input.facts;
    let mut rt = Crepe::new();
    rt.extend(input.lineage.root.iter().map(|&(p, r)| Root(p, r)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    rt.extend(facts.write.iter().map(|w| WriteIn(w.id, w.proc, w.time, w.origin_domain, w.origin_trusted)));
    rt.extend(facts.write_ext.iter().map(|&(w, x): &(u32, ExtClass)| WriteExt(w, x as u8)));
    rt.extend(facts.write_origin.iter().map(|&(w, k): &(u32, OriginKind)| Origin(w, k as u8)));
    rt.extend(facts.referrer_domain.iter().map(|&(w, _)| Referred(w)));
    rt.extend(facts.opened.iter().map(|&(w, _, t)| Opened(w, t)));
    rt.extend([Param(facts.params.window, HEADER.hold)]);
    let (found, pages) = rt.run_with_hasher::<FxBuildHasher>();
    let mut out = super::chained::chained(input, found.into_iter().map(|Smuggled(w)| w));
    // The origin is untrusted and never reached: medium, as an egress within the download gap.
    let medium = crate::Strength::Medium;
    if medium >= facts.params.min_strength {
        out.matches.extend(pages.into_iter().map(|PageOpened(w, r)| super::inferred(w, crate::NONE, r, medium as u8)));
        out.matches.sort_unstable();
        out.matches.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests_support::{chained_download, run_len};

    #[test]
    fn blob_or_data_origin_on_a_payload() {
        let mut f = chained_download();
        let fires = |f: &crate::ChainFacts| run_len(run, f);
        f.write_ext = vec![(0, ExtClass::Archive)];
        f.write_origin = vec![(0, OriginKind::Http)];
        assert_eq!(fires(&f), 0, "an ordinary download");
        f.write_origin = vec![(0, OriginKind::Blob)];
        assert_eq!(fires(&f), 1);
        f.write_origin = vec![(0, OriginKind::Data)];
        assert_eq!(fires(&f), 1);
        f.write_origin = vec![(0, OriginKind::About)];
        assert_eq!(fires(&f), 0, "about: without a referrer");
        f.referrer_domain = vec![(0, 7)];
        assert_eq!(fires(&f), 1);
        f.write_origin = vec![(0, OriginKind::Blob)];
        f.write_ext.clear();
        assert_eq!(fires(&f), 0, "a blob: PDF is no payload");
    }

    #[test]
    fn page_from_an_origin_never_reached_then_opened() {
        let mut f = chained_download();
        let fires = |f: &crate::ChainFacts| run_len(run, f);
        f.write_ext = vec![(0, ExtClass::Markup)];
        f.write[0].origin_domain = 8;
        assert_eq!(fires(&f), 0, "saved, never opened");
        f.opened = vec![(0, 9, 60_000)];
        assert_eq!(fires(&f), 2, "linked to the lineage's egress, and by its own origin");
        let alone = crate::ChainFacts { egress: Vec::new(), ..f.clone() };
        let l = crate::derive_lineage(&alone.parent, &alone.image, &alone.link_source_image);
        let m = run(&RuleInput { facts: &alone, lineage: &l }).matches;
        assert_eq!(m.len(), 1, "no egress at all: its own origin links it");
        assert_eq!((m[0].egress, m[0].strength), (crate::NONE, crate::Strength::Medium));
        f.write[0].origin_domain = 7;
        assert_eq!(fires(&f), 0, "the lineage connected to its origin");
        f.write[0].origin_domain = 8;
        f.write[0].origin_trusted = true;
        assert_eq!(fires(&f), 0, "a trusted origin");
        f.write[0].origin_trusted = false;
        f.write[0].origin_domain = crate::NONE;
        assert_eq!(fires(&f), 0, "no origin");
    }
}
