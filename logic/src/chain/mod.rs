//! Stage 1's facts and matches, shared by every rule (`rules`), and the shipped chain as one call.

use crate::{
    CmdClass, ContainerKind, DnsEvidence, ExtClass, Id, LinkClass, OriginKind, Protection, RiskReason, Strength, Time,
    NONE,
};

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

/// A process start whose command line is a download cradle (`cradle`): an anchor like a
/// write, in the same id space (a match's `write` names it), but no `write` fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cradle {
    /// Caller's identifier of this anchor (returned in matches as `write`).
    pub id: Id,
    /// The process whose command line is the cradle.
    pub proc: Id,
    /// When it started.
    pub time: Time,
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
    /// `(process, class)`: the class of every process that is a link source.
    pub link_class: Vec<(Id, LinkClass)>,
    /// `(write id, class)`: the extension class of every write that has one.
    pub write_ext: Vec<(Id, ExtClass)>,
    /// Processes whose image is a LOLBIN (config `lolbins`).
    pub lolbin: Vec<Id>,
    /// Processes whose image is a terminal emulator.
    pub terminal: Vec<Id>,
    /// `(process, class)`: the classified command lines.
    pub cmd_class: Vec<(Id, CmdClass)>,
    /// `(domain, reason)`: the risk reasons of each egress's destination.
    pub risk: Vec<(Id, RiskReason)>,
    /// `(egress id, evidence)`: how each egress got its destination's name.
    pub egress_dns: Vec<(Id, DnsEvidence)>,
    /// Process-start anchors: download cradles.
    pub cradle: Vec<Cradle>,
    /// Rule parameters.
    pub params: Params,
    /// `(write, process, time)`: a process started whose image is the written file (within the
    /// hold after the write; `NONE` when the process is no longer known).
    pub executed: Vec<(Id, Id, Time)>,
    /// `(write, process, time)`: a process started whose command line names the written file.
    pub opened: Vec<(Id, Id, Time)>,
    /// `(write, time, flag)`: the file's Mark-of-the-Web or quarantine flag was removed.
    pub protection_removed: Vec<(Id, Time, Protection)>,
    /// `(write, process, time, kind)`: a process started from inside what the written archive or
    /// disk image unpacked or mounted.
    pub container_exec: Vec<(Id, Id, Time, ContainerKind)>,
    /// `(write, kind)`: the written file itself sits in an unpacked archive or a mounted volume.
    pub write_container: Vec<(Id, ContainerKind)>,
    /// `(write, kind)`: the scheme class of every write's origin URL.
    pub write_origin: Vec<(Id, OriginKind)>,
    /// `(write, domain)`: the registrable domain of the write's referrer URL (same ids as
    /// egress domains).
    pub referrer_domain: Vec<(Id, Id)>,
}

/// One chain the rules found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainMatch {
    /// The write.
    pub write: Id,
    /// The egress it links to, or [`NONE`] when the rule links the write by its own untrusted
    /// origin (the alert then has no egress).
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

/// Runs the shipped chain rule (`chain`) over one host's facts, deriving the lineage first: the
/// engine's stage 1 with the default rule set, as one call.
pub fn evaluate_chain(facts: &ChainFacts) -> ChainOutput {
    let lineage = crate::derive_lineage(&facts.parent, &facts.image, &facts.link_source_image);
    let base = crate::rules::rule(crate::rules::BASE_RULE).expect("the base rule is registered");
    let out = (base.run)(&crate::RuleInput { facts, lineage: &lineage });
    debug_assert!(out.matches.iter().all(|m| m.click != Some(NONE)));
    ChainOutput { matches: out.matches, quarantine_missing: out.quarantine_missing, roots: lineage.root }
}

#[cfg(test)]
mod tests;
