//! A mail-client click whose download is a shortcut, disk image or script: the payload types
//! phishing favours once Office macros from the internet are blocked.

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{ExtClass, FxBuildHasher, LinkClass};

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "mail-payload",
    title: "Link from a mail client whose download is a shortcut, disk image or script",
    hypothesis: "Phishing mail links to .lnk, .iso/.img/.vhd or script payloads; a mail-rooted lineage \
                 that reaches an untrusted destination and saves one of those is rarely benign",
    attack: &["T1204.001", "T1566.002"],
    refines: &["AN0178", "AN0179", "AN0180"],
    data: &["lineage", "link_class", "egress", "write", "write_ext"],
    false_positives: "Admins mailing each other scripts or ISO images from new internal-looking domains",
    status: Status::Experimental,
    hold: 0,
};

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        @input
        pub struct Root(pub u32, pub u32);
        // process, link-source class
        @input
        pub struct LinkClassOf(pub u32, pub u8);
        @input
        pub struct EgressIn(pub u32, pub u32, pub i64, pub u32);
        // id, proc, time, origin domain, origin trusted
        @input
        pub struct WriteIn(pub u32, pub u32, pub i64, pub u32, pub bool);
        // write, extension class
        @input
        pub struct WriteExt(pub u32, pub u8);
        // window, download gap, minimum strength
        @input
        pub struct Param(pub i64, pub i64, pub u8);

        struct Payload(u32);
        Payload(w) <- WriteExt(w, x), (x == crate::ExtClass::Shortcut as u8 || x == crate::ExtClass::DiskImage as u8 || x == crate::ExtClass::Script as u8);

        @output
        pub struct MailPayload(pub u32, pub u32, pub u32, pub u8);
        MailPayload(w, e, r, s) <-
            WriteIn(w, p, tw, od, ot),
            Payload(w),
            Root(p, r),
            LinkClassOf(r, c),
            (c == crate::LinkClass::Mail as u8),
            EgressIn(e, q, te, d),
            Root(q, r),
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
    rt.extend(facts.link_class.iter().map(|&(p, c): &(u32, LinkClass)| LinkClassOf(p, c as u8)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    rt.extend(facts.write.iter().map(|w| WriteIn(w.id, w.proc, w.time, w.origin_domain, w.origin_trusted)));
    rt.extend(facts.write_ext.iter().map(|&(w, x): &(u32, ExtClass)| WriteExt(w, x as u8)));
    rt.extend([Param(p.window, p.download_gap, p.min_strength as u8)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    RuleOutput::of_matches(found.into_iter().map(|MailPayload(w, e, r, s)| super::inferred(w, e, r, s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive_lineage;
    use crate::rules::tests_support::{egress, facts_one_root, write};

    #[test]
    fn mail_root_and_payload_class_both_needed() {
        let mut f = facts_one_root();
        f.egress = vec![egress(0, 1, 0, 7)];
        f.write = vec![write(0, 1, 30_000)];
        f.write_ext = vec![(0, ExtClass::Shortcut)];
        let l = derive_lineage(&f.parent, &f.image, &f.link_source_image);
        let run_it = |f: &crate::ChainFacts| run(&RuleInput { facts: f, lineage: &l }).matches.len();
        assert_eq!(run_it(&f), 0, "root is a browser");
        f.link_class = vec![(0, LinkClass::Mail)];
        assert_eq!(run_it(&f), 1);
        f.write_ext = vec![(0, ExtClass::MacroDocument)];
        assert_eq!(run_it(&f), 0, "not a payload class");
    }
}
