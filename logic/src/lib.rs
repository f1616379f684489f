//! # clickchain-logic
//!
//! The Datalog half of clickchain: fact types and the [crepe] programs that derive process
//! lineage and fire DET0066's click → egress → write chains. It has no I/O and no clock: the
//! engine classifies events at ingest, derives one host's [`Lineage`] for one micro-batch once,
//! runs every enabled rule of [`RULES`] over those facts (then [`evaluate_follow_on`]), and turns
//! the matches into alerts. [`evaluate_chain`] is the default rule set as one call.
//!
//! Identifiers in the facts are small integers local to one evaluation; the caller maps them back.
//! Each entry point is a plain, non-generic function, so crepe's generated code is compiled once,
//! here, rather than in every caller.
//!
//! ```
//! use clickchain_logic::{evaluate_chain, ChainFacts, Egress, Params, Strength, Write, NONE};
//!
//! // browser (0) -> network child (1); the child reaches an untrusted domain (7), the browser
//! // writes a file 30 s later whose origin URL names that same domain.
//! let facts = ChainFacts {
//!     parent: vec![(1, 0)],
//!     image: vec![(0, 100), (1, 100)],
//!     link_source_image: vec![100],
//!     egress: vec![Egress { id: 0, proc: 1, time: 1_000, domain: 7 }],
//!     write: vec![Write { id: 0, proc: 0, time: 31_000, origin_domain: 7, origin_trusted: false, quarantine_candidate: false }],
//!     params: Params { window: 900_000, download_gap: 120_000, min_strength: Strength::Medium, quarantine_grace: 0 },
//!     ..ChainFacts::default()
//! };
//! let out = evaluate_chain(&facts);
//! assert_eq!(out.matches.len(), 1);
//! assert_eq!(out.matches[0].root, 0);
//! assert_eq!(out.matches[0].strength, Strength::Strong);
//! assert_eq!(out.matches[0].click, None); // no observed click: inferred at the egress
//! ```
#![deny(missing_docs)]

mod chain;
mod classes;
mod follow_on;
mod hash;
mod lineage;
pub mod rules;

pub use chain::{evaluate_chain, ChainFacts, ChainMatch, ChainOutput, Click, Cradle, Egress, Params, Write};
pub use classes::{CmdClass, ContainerKind, DnsEvidence, ExtClass, LinkClass, OriginKind, Protection, RiskReason};
pub use follow_on::{evaluate_follow_on, Alerted, Exec, FollowOnFacts, FollowOnKind, FollowOnMatch, Removal};
pub use hash::{FxBuildHasher, FxHasher};
pub use lineage::{derive_lineage, Lineage};
pub use rules::{Rule, RuleHeader, RuleInput, RuleOutput, Status, RULES};

/// A local identifier of a process, file, domain or image within one evaluation.
pub type Id = u32;
/// Event time: milliseconds since the Unix epoch.
pub type Time = i64;
/// "No value" for optional identifiers in facts (crepe facts are plain `Copy` tuples).
pub const NONE: Id = u32::MAX;

/// How strongly a written file is tied to an untrusted egress (`docs/design.md` "Detection semantics").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// Only the window ties them.
    #[default]
    Weak = 1,
    /// The egress preceded the write within the download gap.
    Medium = 2,
    /// The file's origin URL names the untrusted registrable domain.
    Strong = 3,
}

impl Strength {
    /// The lowercase name used in config and alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Weak => "weak",
            Strength::Medium => "medium",
            Strength::Strong => "strong",
        }
    }

    fn from_u8(v: u8) -> Strength {
        match v {
            3 => Strength::Strong,
            2 => Strength::Medium,
            _ => Strength::Weak,
        }
    }
}

impl std::str::FromStr for Strength {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "weak" => Ok(Strength::Weak),
            "medium" => Ok(Strength::Medium),
            "strong" => Ok(Strength::Strong),
            other => Err(format!("unknown strength `{other}` (expected weak, medium or strong)")),
        }
    }
}

impl std::fmt::Display for Strength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The link strength of a write at `tw` to an egress at `te` on registrable domain `domain`,
/// given the write's origin domain (or [`NONE`]), whether that origin is a trusted destination
/// (allowlisted, or without risk of its own), and the download gap. An origin on another,
/// trusted domain says where the file really came from, so closeness in time alone does not make
/// the link medium.
pub fn link_strength(origin_domain: Id, origin_trusted: bool, domain: Id, te: Time, tw: Time, gap: Time) -> Strength {
    if origin_domain != NONE && origin_domain == domain {
        Strength::Strong
    } else if origin_domain != NONE && origin_trusted {
        Strength::Weak
    } else if tw - te <= gap {
        Strength::Medium
    } else {
        Strength::Weak
    }
}
