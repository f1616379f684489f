//! Stage 1: lineage and the click → egress → write chain (AN0178 / AN0179 / AN0180).

use crate::{FxBuildHasher, Id, Strength, Time, NONE};

/// An observed click: a lineage process started with a URL, or a `UrlOpen` named one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Click {
    /// Caller's identifier of this click (returned in matches).
    pub id: Id,
    /// The process that handled the link.
    pub proc: Id,
    /// When.
    pub time: Time,
}

/// An outbound connection to an untrusted destination (classified at ingest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Egress {
    /// Caller's identifier of this egress (returned in matches).
    pub id: Id,
    /// The connecting process.
    pub proc: Id,
    /// When.
    pub time: Time,
    /// The destination's registrable domain (or its IP when it has no name).
    pub domain: Id,
}

/// A download-like file landing in a user path (classified at ingest): an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Write {
    /// Caller's identifier of this write (returned in matches).
    pub id: Id,
    /// The writing process.
    pub proc: Id,
    /// When the file got its final name.
    pub time: Time,
    /// The registrable domain of the file's origin URL, or [`NONE`].
    pub origin_domain: Id,
    /// The origin is a trusted destination (allowlisted, or without risk of its own).
    pub origin_trusted: bool,
    /// An executable in a quarantine-policy folder (macOS): checked for `com.apple.quarantine`.
    pub quarantine_candidate: bool,
}

/// The rule parameters that configuration feeds in as facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params {
    /// TimeWindow: the longest click → write span (ms).
    pub window: Time,
    /// DownloadGap: an egress this close before a write makes the link medium (ms).
    pub download_gap: Time,
    /// Weakest link that may alert.
    pub min_strength: Strength,
    /// How long after a write a quarantine flag may still arrive (ms).
    pub quarantine_grace: Time,
}

/// All facts for one evaluation of one host.
#[derive(Debug, Clone, Default)]
pub struct ChainFacts {
    /// `(child, parent)` edges of the process tree, for the processes involved.
    pub parent: Vec<(Id, Id)>,
    /// `(process, image)`: each process's image (basename) identifier.
    pub image: Vec<(Id, Id)>,
    /// Images that are link sources (BrowserParents).
    pub link_source_image: Vec<Id>,
    /// Observed clicks.
    pub click: Vec<Click>,
    /// Untrusted egress.
    pub egress: Vec<Egress>,
    /// Anchor writes.
    pub write: Vec<Write>,
    /// `(write id, time)`: a quarantine flag was seen on that write's file.
    pub quarantine_seen: Vec<(Id, Time)>,
    /// Rule parameters.
    pub params: Params,
}

/// One chain the rules found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainMatch {
    /// The write.
    pub write: Id,
    /// The egress it links to.
    pub egress: Id,
    /// The observed click that opens the chain, or `None` when it is inferred at the egress.
    pub click: Option<Id>,
    /// The link root (top-most link-source ancestor).
    pub root: Id,
    /// Link strength.
    pub strength: Strength,
}

/// Everything stage 1 derives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainOutput {
    /// Chains at or above the minimum strength, sorted.
    pub matches: Vec<ChainMatch>,
    /// `(write, root)`: quarantine candidates with no quarantine flag within the grace period.
    pub quarantine_missing: Vec<(Id, Id)>,
    /// `(process, root)`: the link root of every process in the facts that has one.
    pub roots: Vec<(Id, Id)>,
}

mod program {
    #![allow(missing_docs, clippy::all)]
    use crepe::crepe;

    crepe! {
        @input
        pub struct Parent(pub u32, pub u32);
        @input
        pub struct ProcImage(pub u32, pub u32);
        @input
        pub struct LinkSourceImage(pub u32);
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

        // Lineage: transitive ancestors.
        struct Ancestor(u32, u32);
        Ancestor(c, p) <- Parent(c, p);
        Ancestor(c, a) <- Ancestor(c, p), Parent(p, a);

        struct LinkSource(u32);
        LinkSource(p) <- ProcImage(p, i), LinkSourceImage(i);

        // A link root is a link source with no link-source ancestor; every descendant shares it.
        struct BelowLinkSource(u32);
        BelowLinkSource(p) <- Ancestor(p, a), LinkSource(a);

        @output
        pub struct Root(pub u32, pub u32);
        Root(p, p) <- LinkSource(p), !BelowLinkSource(p);
        Root(p, r) <- Ancestor(p, r), LinkSource(r), !BelowLinkSource(r);

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
            let s = crate::link_strength(od, ot, d, te, tw, gap) as u8,
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
            let s = crate::link_strength(od, ot, d, te, tw, gap) as u8,
            (s >= min);

        // AN0180 QuarantinePolicy: an executable from the lineage that never got quarantined.
        struct QuarantinedInTime(u32);
        QuarantinedInTime(w) <- WriteIn(w, _, tw, _, _, true), QuarantineSeen(w, tq), Param(_, _, _, g), (tq <= tw + g);
        @output
        pub struct QuarantineMissing(pub u32, pub u32);
        QuarantineMissing(w, r) <- RootWrite(r, w, _, _, _, true), !QuarantinedInTime(w);
    }
}

/// Runs stage 1 over one host's facts.
pub fn evaluate_chain(facts: &ChainFacts) -> ChainOutput {
    use program::*;
    let p = facts.params;
    let mut rt = Crepe::new();
    rt.extend(facts.parent.iter().map(|&(c, p)| Parent(c, p)));
    rt.extend(facts.image.iter().map(|&(p, i)| ProcImage(p, i)));
    rt.extend(facts.link_source_image.iter().map(|&i| LinkSourceImage(i)));
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
    let (roots, observed, inferred, missing) = rt.run_with_hasher::<FxBuildHasher>();

    let mut matches: Vec<ChainMatch> = observed
        .into_iter()
        .map(|Observed(write, egress, click, root, s)| ChainMatch {
            write,
            egress,
            click: Some(click),
            root,
            strength: crate::Strength::from_u8(s),
        })
        .chain(inferred.into_iter().map(|Inferred(write, egress, root, s)| ChainMatch {
            write,
            egress,
            click: None,
            root,
            strength: crate::Strength::from_u8(s),
        }))
        .collect();
    matches.sort_unstable();
    let mut quarantine_missing: Vec<(Id, Id)> = missing.into_iter().map(|QuarantineMissing(w, r)| (w, r)).collect();
    quarantine_missing.sort_unstable();
    let mut roots: Vec<(Id, Id)> = roots.into_iter().map(|Root(p, r)| (p, r)).collect();
    roots.sort_unstable();
    debug_assert!(matches.iter().all(|m| m.click != Some(NONE)));
    ChainOutput { matches, quarantine_missing, roots }
}

#[cfg(test)]
mod tests;
