//! On Linux, a terminal a browser launched runs a `curl | sh`-style download cradle that
//! reaches an untrusted destination. Nothing needs to be written: the cradle's process start is
//! the anchor.

use super::{RuleHeader, RuleInput, RuleOutput, Status};
use crate::{FxBuildHasher, LinkClass, Strength};

/// This rule's header.
pub(super) const HEADER: RuleHeader = RuleHeader {
    id: "terminal-cradle",
    title: "Browser-launched terminal runs a download cradle to an untrusted destination",
    hypothesis: "A page that makes the browser open a terminal (a URL-scheme handler, a launcher file) \
                 running `curl … | sh` runs the link's payload without saving it; a shell under a \
                 browser-launched terminal that pipes a download from an untrusted destination into \
                 an interpreter is rarely anything else",
    attack: &["T1204.001", "T1059.004", "T1105"],
    refines: &["AN0179"],
    data: &["lineage", "ancestor", "link_class", "terminal", "cradle", "egress"],
    false_positives: "Install one-liners of new projects (`curl https://get.example | sh`) opened \
                      from a browser, when their domain is new and not allowlisted",
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
        pub struct Terminal(pub u32);
        // id, proc, time
        @input
        pub struct CradleIn(pub u32, pub u32, pub i64);
        @input
        pub struct EgressIn(pub u32, pub u32, pub i64, pub u32);
        // download gap
        @input
        pub struct Gap(pub i64);

        // A cradle under a terminal under a browser root.
        struct InTerminal(u32, u32, u32, i64);
        InTerminal(c, p, r, tc) <- CradleIn(c, p, tc), Root(p, r), LinkClassOf(r, k),
            (k == crate::LinkClass::Browser as u8), Ancestor(p, t), Terminal(t);

        // The cradle's process or one it started (curl, wget).
        struct Under(u32, u32);
        Under(p, p) <- InTerminal(_, p, _, _);
        Under(q, p) <- Ancestor(q, p), InTerminal(_, p, _, _);

        @output
        pub struct Fired(pub u32, pub u32, pub u32);
        Fired(c, e, r) <-
            InTerminal(c, p, r, tc),
            EgressIn(e, q, te, _),
            Under(q, p),
            Gap(gap),
            (te >= tc && te - tc <= gap);
    }
}

/// Runs the rule. A match is medium: the egress came within the download gap after the
/// cradle started (no file names an origin).
pub(super) fn run(input: &RuleInput<'_>) -> RuleOutput {
    use program::*;
    let (facts, p) = (input.facts, input.facts.params);
    if facts.cradle.is_empty() || p.min_strength > Strength::Medium {
        return RuleOutput::default();
    }
    let mut rt = Crepe::new();
    rt.extend(input.lineage.root.iter().map(|&(p, r)| Root(p, r)));
    rt.extend(input.lineage.ancestor.iter().map(|&(p, a)| Ancestor(p, a)));
    rt.extend(facts.link_class.iter().map(|&(p, c): &(u32, LinkClass)| LinkClassOf(p, c as u8)));
    rt.extend(facts.terminal.iter().map(|&p| Terminal(p)));
    rt.extend(facts.cradle.iter().map(|c| CradleIn(c.id, c.proc, c.time)));
    rt.extend(facts.egress.iter().map(|e| EgressIn(e.id, e.proc, e.time, e.domain)));
    rt.extend([Gap(p.download_gap)]);
    let (found,) = rt.run_with_hasher::<FxBuildHasher>();
    let medium = Strength::Medium as u8;
    RuleOutput::of_matches(found.into_iter().map(|Fired(c, e, r)| super::inferred(c, e, r, medium)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive_lineage;
    use crate::rules::tests_support::{egress, facts_one_root};
    use crate::Cradle;

    /// firefox (0) -> gnome-terminal (1) -> bash (2) -> curl (3); image 100 is the link source.
    fn browser_terminal_cradle() -> crate::ChainFacts {
        let mut f = facts_one_root();
        f.parent = vec![(1, 0), (2, 1), (3, 2)];
        f.image = vec![(0, 100), (1, 101), (2, 102), (3, 103)];
        f.link_class = vec![(0, LinkClass::Browser)];
        f.terminal = vec![1];
        f.cradle = vec![Cradle { id: 0, proc: 2, time: 10_000 }];
        f.egress = vec![egress(0, 3, 10_500, 7)];
        f
    }

    fn fired(f: &crate::ChainFacts) -> Vec<(u32, u32, u32)> {
        let l = derive_lineage(&f.parent, &f.image, &f.link_source_image);
        run(&RuleInput { facts: f, lineage: &l }).matches.iter().map(|m| (m.write, m.egress, m.root)).collect()
    }

    #[test]
    fn cradle_under_a_browser_launched_terminal_with_egress_fires() {
        let f = browser_terminal_cradle();
        assert_eq!(fired(&f), vec![(0, 0, 0)]);
        let l = derive_lineage(&f.parent, &f.image, &f.link_source_image);
        let m = run(&RuleInput { facts: &f, lineage: &l }).matches;
        assert_eq!(m[0].strength, Strength::Medium);
        assert!(f.write.is_empty(), "no file was written");
    }

    #[test]
    fn near_misses_stay_silent() {
        let f = browser_terminal_cradle();
        let mut no_terminal = f.clone();
        no_terminal.terminal.clear();
        assert!(fired(&no_terminal).is_empty(), "no terminal between browser and shell");
        let mut mail = f.clone();
        mail.link_class = vec![(0, LinkClass::Mail)];
        assert!(fired(&mail).is_empty(), "not a browser root");
        let mut trusted = f.clone();
        trusted.egress.clear();
        assert!(fired(&trusted).is_empty(), "the cradle's destination was trusted");
        let mut before = f.clone();
        before.egress = vec![egress(0, 3, 9_000, 7)];
        assert!(fired(&before).is_empty(), "egress before the cradle started");
        let mut late = f.clone();
        late.egress = vec![egress(0, 3, 10_000 + 120_001, 7)];
        assert!(fired(&late).is_empty(), "egress beyond the download gap");
        let mut other = f;
        other.egress = vec![egress(0, 0, 10_500, 7)];
        assert!(fired(&other).is_empty(), "the browser's own egress");
    }
}
