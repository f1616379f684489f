//! The closed vocabularies of alert fields: each value has one stable name, written by
//! [`as_str`](Analytic::as_str), `Display` and serde alike (see `docs/alerts.md`).

use std::fmt;

use clickchain_adapters::Os;
use serde::{Deserialize, Serialize};

pub use crate::domain::Reason;
pub use clickchain_logic::{FollowOnKind, Strength};

/// The DET0066 analytic an alert belongs to: one per OS family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Analytic {
    /// Windows.
    #[serde(rename = "AN0178")]
    An0178,
    /// Linux.
    #[serde(rename = "AN0179")]
    An0179,
    /// macOS.
    #[serde(rename = "AN0180")]
    An0180,
}

impl Analytic {
    /// Every analytic, in the order of [`Os::ALL`].
    pub const ALL: [Analytic; 3] = [Analytic::An0178, Analytic::An0179, Analytic::An0180];

    /// The analytic that covers `os`.
    pub const fn for_os(os: Os) -> Analytic {
        match os {
            Os::Windows => Analytic::An0178,
            Os::Linux => Analytic::An0179,
            Os::Macos => Analytic::An0180,
        }
    }

    /// The OS family the analytic covers.
    pub const fn os(self) -> Os {
        match self {
            Analytic::An0178 => Os::Windows,
            Analytic::An0179 => Os::Linux,
            Analytic::An0180 => Os::Macos,
        }
    }

    /// The MITRE identifier, e.g. `AN0178`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Analytic::An0178 => "AN0178",
            Analytic::An0179 => "AN0179",
            Analytic::An0180 => "AN0180",
        }
    }
}

/// What an alert found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Finding {
    /// Click, untrusted egress and a written file, tied by lineage and time.
    Chain,
    /// A downloaded file that did not get its quarantine flag in time (macOS QuarantinePolicy).
    QuarantineMissing,
}

impl Finding {
    /// Every finding.
    pub const ALL: [Finding; 2] = [Finding::Chain, Finding::QuarantineMissing];

    /// The snake_case name: `chain` or `quarantine_missing`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Finding::Chain => "chain",
            Finding::QuarantineMissing => "quarantine_missing",
        }
    }
}

/// Where an egress destination's name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainSource {
    /// The connection record named it.
    Event,
    /// A DNS answer for the address, seen on the same host.
    Dns,
    /// Inferred from the click's URL.
    ClickUrl,
    /// No name was known: the address alone.
    None,
}

impl DomainSource {
    /// Every source.
    pub const ALL: [DomainSource; 4] =
        [DomainSource::Event, DomainSource::Dns, DomainSource::ClickUrl, DomainSource::None];

    /// The snake_case name: `event`, `dns`, `click_url` or `none`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DomainSource::Event => "event",
            DomainSource::Dns => "dns",
            DomainSource::ClickUrl => "click_url",
            DomainSource::None => "none",
        }
    }
}

/// `Display` as the name, and comparison with a name (`alert.analytic == "AN0178"`).
macro_rules! named {
    ($($ty:ty),+) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, name: &str) -> bool {
                self.as_str() == name
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, name: &&str) -> bool {
                self.as_str() == *name
            }
        }
    )+};
}

named!(Analytic, Finding, DomainSource);

/// What anchored an alert: a file landing (`write`), or a process start whose command line
/// is a download cradle (`process`; the alert's `write` then names that process's image).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Anchor {
    /// A download-like write.
    #[default]
    Write,
    /// A download-cradle process start.
    Process,
}

impl Anchor {
    /// The snake_case name: `write` or `process`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Anchor::Write => "write",
            Anchor::Process => "process",
        }
    }

    /// Whether this is the default, a write (left out of JSON).
    pub fn is_write(&self) -> bool {
        *self == Anchor::Write
    }
}
