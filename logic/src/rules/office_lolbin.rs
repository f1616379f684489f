//! An Office document or mail message whose link starts a LOLBIN with a URL, which reaches an
//! untrusted destination and saves a payload: the macro-free download path of Office phishing.

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{CmdClass, ExtClass, FxBuildHasher, LinkClass};

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "office-lolbin",
    title: "Office or mail client starts a LOLBIN with a URL that downloads a payload",
    hypothesis: "Office and mail clients do not fetch files through certutil, bitsadmin, mshta or \
                 PowerShell; a LOLBIN started under one with a URL on its command line, which then \
                 reaches an untrusted destination and saves an executable, script or archive, is a \
                 malicious link or document at work",
    attack: &["T1204.001", "T1218", "T1105"],
    refines: &["AN0178"],
    data: &["lineage", "ancestor", "link_class", "lolbin", "cmd_class", "egress", "write", "write_ext"],
    false_positives: "Office add-ins or mail rules that update themselves through PowerShell or \
                      curl from a new, unlisted domain",
    status: Status::Experimental,
    hold: 0,
};

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        @input
        pub struct Root(pub u32, pub u32);
        // process, ancestor
        @input
        pub struct Ancestor(pub u32, pub u32);
        @input
        pub struct LinkClassOf(pub u32, pub u8);
        @input
        pub struct Lolbin(pub u32);
        @input
        pub struct CmdClassOf(pub u32, pub u8);
        @input
        pub struct EgressIn(pub u32, pub u32, pub i64, pub u32);
        // id, proc, time, origin domain, origin trusted
        @input
        pub struct WriteIn(pub u32, pub u32, pub i64, pub u32, pub bool);
        @input
        pub struct WriteExt(pub u32, pub u8);
        // window, download gap, minimum strength
        @input
        pub struct Param(pub i64, pub i64, pub u8);

        struct OfficeRoot(u32);
        OfficeRoot(r) <- LinkClassOf(r, c), (c == crate::LinkClass::Office as u8 || c == crate::LinkClass::Mail as u8);

        // A LOLBIN under an Office or mail root, fetching a URL.
        struct Hop(u32, u32);
        Hop(l, r) <- Lolbin(l), CmdClassOf(l, k),
            (k == crate::CmdClass::LolbinUrl as u8 || k == crate::CmdClass::DownloadCradle as u8),
            Root(l, r), OfficeRoot(r);

        // The hop itself or a process it started.
        struct Under(u32, u32);
        Under(l, l) <- Hop(l, _);
        Under(q, l) <- Ancestor(q, l), Hop(l, _);

        struct Payload(u32);
        Payload(w) <- WriteExt(w, x), (x == crate::ExtClass::Executable as u8 || x == crate::ExtClass::Script as u8 || x == crate::ExtClass::Archive as u8);

        @output
        pub struct Fired(pub u32, pub u32, pub u32, pub u8);
        Fired(w, e, r, s) <-
            WriteIn(w, q, tw, od, ot),
            Payload(w),
            Under(q, l),
            Hop(l, r),
            EgressIn(e, q2, te, d),
            Under(q2, l),
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
    rt.extend(input.lineage.ancestor.iter().map(|&(p, a)| Ancestor(p, a)));
    rt.extend(facts.link_class.iter().map(|&(p, c): &(u32, LinkClass)| LinkClassOf(p, c as u8)));
    rt.extend(facts.lolbin.iter().map(|&p| Lolbin(p)));
    rt.extend(facts.cmd_class.iter().map(|&(p, k): &(u32, CmdClass)| CmdClassOf(p, k as u8)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    rt.extend(facts.write.iter().map(|w| WriteIn(w.id, w.proc, w.time, w.origin_domain, w.origin_trusted)));
    rt.extend(facts.write_ext.iter().map(|&(w, x): &(u32, ExtClass)| WriteExt(w, x as u8)));
    rt.extend([Param(p.window, p.download_gap, p.min_strength as u8)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    RuleOutput::of_matches(found.into_iter().map(|Fired(w, e, r, s)| super::inferred(w, e, r, s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive_lineage;
    use crate::rules::tests_support::{egress, facts_one_root, write};

    /// winword (0) -> certutil (1) -> child (2); image 100 is the link source.
    fn office_certutil() -> crate::ChainFacts {
        let mut f = facts_one_root();
        f.parent = vec![(1, 0), (2, 1)];
        f.image = vec![(0, 100), (1, 101), (2, 102)];
        f.link_class = vec![(0, LinkClass::Office)];
        f.lolbin = vec![1];
        f.cmd_class = vec![(1, CmdClass::LolbinUrl)];
        f.egress = vec![egress(0, 1, 0, 7)];
        f.write = vec![write(0, 1, 30_000)];
        f.write_ext = vec![(0, ExtClass::Executable)];
        f
    }

    fn fired(f: &crate::ChainFacts) -> Vec<(u32, u32)> {
        let l = derive_lineage(&f.parent, &f.image, &f.link_source_image);
        run(&RuleInput { facts: f, lineage: &l }).matches.iter().map(|m| (m.write, m.root)).collect()
    }

    #[test]
    fn office_root_lolbin_url_egress_and_payload() {
        let f = office_certutil();
        assert_eq!(fired(&f), vec![(0, 0)]);
        let mut mail = f.clone();
        mail.link_class = vec![(0, LinkClass::Mail)];
        assert_eq!(fired(&mail), vec![(0, 0)], "a mail client root counts too");
        let mut child = f.clone();
        child.egress = vec![egress(0, 2, 0, 7)];
        child.write = vec![write(0, 2, 30_000)];
        assert_eq!(fired(&child), vec![(0, 0)], "egress and write by the LOLBIN's child");
    }

    #[test]
    fn near_misses_stay_silent() {
        let f = office_certutil();
        let mut browser = f.clone();
        browser.link_class = vec![(0, LinkClass::Browser)];
        assert!(fired(&browser).is_empty(), "a browser root");
        let mut no_egress = f.clone();
        no_egress.egress.clear();
        assert!(fired(&no_egress).is_empty(), "no untrusted egress");
        let mut no_url = f.clone();
        no_url.cmd_class = vec![(1, CmdClass::LolbinFile)];
        assert!(fired(&no_url).is_empty(), "the LOLBIN fetched no URL");
        let mut not_lolbin = f.clone();
        not_lolbin.lolbin.clear();
        assert!(fired(&not_lolbin).is_empty(), "not a LOLBIN");
        let mut doc = f.clone();
        doc.write_ext = vec![(0, ExtClass::MacroDocument)];
        assert!(fired(&doc).is_empty(), "not a payload class");
        let mut by_office = f;
        by_office.egress = vec![egress(0, 0, 0, 7)];
        assert!(fired(&by_office).is_empty(), "the egress is Office's own, not the LOLBIN's");
    }
}
