//! # clickchain-logic
//!
//! Fact types and crepe Datalog programs for DET0066 (placeholder: programs land next).
#![deny(missing_docs)]

/// How strongly a written file is tied to an untrusted egress (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strength {
    /// Only the window ties them.
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
