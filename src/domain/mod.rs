//! Domain risk: name normalisation against the Public Suffix List, allowlists and a risk score
//! (`docs/design.md` "Domain risk").
//!
//! This module is the stateless (plus one bounded store) classification that the lowering step
//! runs at ingest for every egress destination:
//!
//! 1. [`Psl::parse`] normalises a host name (trim, lowercase, one trailing dot, IDN to punycode,
//!    label checks, IP literals rejected as [`DomainError::IpLiteral`]) and splits it into its
//!    public suffix and registrable domain (eTLD+1) with the vendored Public Suffix List
//!    ([`Psl::vendored`]) or a newer list file ([`Psl::from_file`]).
//! 2. [`RiskPolicy`] (built from plain [`RiskSettings`] data) decides whether a [`Destination`]
//!    (IP and/or name) is allowlisted, scores it with a documented additive heuristic and says
//!    whether it is *untrusted* in the sense of DET0066 step 2, with stable [`Reason`] names.
//! 3. [`explain`] shows how the engine sees one destination (`clickchain domain`), with the
//!    same verdict as the engine's classification.
//! 4. [`FirstSeen`] is the bounded, deterministic newly-observed-domain store with a warm-up;
//!    [`FirstSeen::save`] and [`FirstSeen::load`] keep it in a file across runs.
//!
//! [`host_of_url`] extracts the host from a URL without pulling in a URL parser, and
//! [`VENDORED_PSL_COMMIT`] / [`VENDORED_PSL_DATE`] record where the vendored list comes from.
//!
//! # Example
//!
//! ```
//! use clickchain::domain::{Destination, FirstSeen, Psl, Reason, RiskPolicy, RiskSettings};
//!
//! let psl = Psl::vendored();
//! let name = psl.parse("Login-Update-Secure-Account.TOP.")?;
//! assert_eq!(name.name, "login-update-secure-account.top");
//! assert_eq!(name.registrable.as_deref(), Some("login-update-secure-account.top"));
//! assert_eq!(name.suffix, "top");
//!
//! let policy = RiskPolicy::new(RiskSettings::default())?;
//! // A warm-up of one hour: nothing is reported "newly observed" during the first hour.
//! let mut first_seen = FirstSeen::new(3_600_000, 100_000);
//! let verdict = policy.assess(
//!     Destination { ip: "203.0.113.7".parse().ok(), name: Some(&name) },
//!     &mut first_seen,
//!     0,
//! );
//! assert!(verdict.untrusted);
//! assert!(verdict.reasons.contains(&Reason::SuspiciousTld));
//! assert!(verdict.score >= 60);
//!
//! let cdn = psl.parse("update.microsoft.com")?;
//! let verdict = policy.assess(Destination { ip: None, name: Some(&cdn) }, &mut first_seen, 0);
//! assert!(verdict.allowlisted && !verdict.untrusted);
//!
//! assert_eq!(clickchain::domain::host_of_url("https://user@files.example.org:8443/a?b"),
//!            Some("files.example.org"));
//! # Ok::<(), clickchain::domain::DomainError>(())
//! ```
#![deny(missing_docs)]

mod defaults;
mod explain;
mod first_seen;
mod first_seen_file;
mod first_seen_hosts;
pub(crate) mod lexical;
mod lookalike;
mod net;
mod psl;
mod risk;
mod url;

use std::net::IpAddr;
use std::path::PathBuf;

pub use defaults::{
    default_allowed_cdns, default_allowed_cidrs, default_dynamic_dns_suffixes, default_lookalike_brands,
    default_suspicious_tlds, DEFAULT_RISK_THRESHOLD,
};
pub use explain::{explain, explain_with, DomainVerdict, ExplainError, ListMatch, Signal, SuffixSection};
pub use first_seen::FirstSeen;
pub(crate) use first_seen_file::HistoryFrom;
pub use first_seen_file::{
    FirstSeenFileError, FirstSeenLineError, FirstSeenLoad, FirstSeenSaved, FIRST_SEEN_VERSION, MAX_LINE_ERRORS,
};
pub use first_seen_hosts::HostSpan;
pub use psl::{DomainName, Psl, VENDORED_PSL_COMMIT, VENDORED_PSL_DATE};
pub use risk::{Destination, Reason, RiskPolicy, RiskSettings, Verdict};
pub use url::{host_of_url, origin_host};

/// Errors of the domain module. Every variant carries the offending name, entry or file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// The name is empty after trimming and removing one trailing dot.
    #[error("empty domain name")]
    Empty,
    /// The name is an IP address literal (`1.2.3.4`, `::1`, `[::1]`): treat it as an IP.
    #[error("`{ip}` is an IP literal, not a domain name")]
    IpLiteral {
        /// The parsed address (IPv4-mapped IPv6 addresses are kept as written).
        ip: IpAddr,
    },
    /// The ASCII (punycode) form is longer than 253 bytes.
    #[error("domain name too long ({len} bytes, at most 253): {name:?}")]
    TooLong {
        /// The name (shortened to 100 characters).
        name: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A label is empty, longer than 63 bytes, or has a character not allowed in host names.
    #[error("bad domain name {name:?}: {reason}")]
    BadLabel {
        /// The name (shortened to 100 characters).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// IDNA (UTS #46) conversion to ASCII failed.
    #[error("cannot convert internationalised name {name:?} to punycode")]
    Idna {
        /// The name (shortened to 100 characters).
        name: String,
    },
    /// A Public Suffix List could not be read.
    #[error("cannot read public suffix list {path}: {source}")]
    PslIo {
        /// The file that was given.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A Public Suffix List could not be parsed.
    #[error("invalid public suffix list {origin}: {message}")]
    PslParse {
        /// Where the list came from: a file path, `vendored` or `bytes`.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// An entry of `allowed_cidrs` or `untrusted_cidrs` is neither a CIDR (`10.0.0.0/8`) nor an
    /// IP address.
    #[error("invalid CIDR {entry:?} in {list}: {source}")]
    BadCidr {
        /// The list: `allowed_cidrs` or `untrusted_cidrs`.
        list: &'static str,
        /// The entry as given.
        entry: String,
        /// The parser's error.
        #[source]
        source: ipnet::AddrParseError,
    },
    /// An entry of a domain list (suspicious TLDs, allowed CDNs, dynamic DNS) is not a valid name.
    #[error("invalid entry {entry:?} in {list}: {reason}")]
    BadListEntry {
        /// The list: `suspicious_tlds`, `allowed_cdns` or `dynamic_dns_suffixes`.
        list: &'static str,
        /// The entry as given.
        entry: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The risk threshold is above 100 (the score never exceeds 100).
    #[error("risk_threshold {value} is out of range 0..=100")]
    BadThreshold {
        /// The value given.
        value: u8,
    },
}

/// Shortens `s` to at most 100 characters for error messages.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 100;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
