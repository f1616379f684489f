//! How the engine sees one destination: its PSL split, each risk signal with its weight, the
//! score, the list entries it matches and the verdict (`clickchain domain`, `docs/cli.md`).
//!
//! The verdict comes from [`RiskPolicy::assess_stateless`], the same function the engine's
//! classification calls (minus the newly-observed store), and a property test checks that the
//! two never disagree.

use std::net::IpAddr;

use clickchain_adapters::Os;
use serde::Serialize;

use super::psl::DomainName;
use super::{host_of_url, DomainError, Psl, Reason, RiskPolicy};
use crate::config::Config;

/// Why a destination could not be explained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// The input is empty (or only blanks).
    #[error("empty input: give a host name, a URL or an IP address")]
    Empty,
    /// A URL whose host part is empty or missing.
    #[error("{input:?} is a URL without a host")]
    NoHost {
        /// The input as given.
        input: String,
    },
    /// The host is not a valid name.
    #[error("{input:?}: {source}")]
    Name {
        /// The input as given.
        input: String,
        /// What is wrong with the name.
        #[source]
        source: DomainError,
    },
    /// The configuration's domain lists of that OS do not compile.
    #[error("{os} profile: {source}")]
    Policy {
        /// The OS profile.
        os: Os,
        /// What is wrong.
        #[source]
        source: DomainError,
    },
}

/// Which section of the Public Suffix List a suffix comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuffixSection {
    /// The ICANN section (`com`, `co.uk`).
    Icann,
    /// The PRIVATE section (`github.io`, `duckdns.org`).
    Private,
    /// No rule: the default rule `*` (the last label).
    Unlisted,
}

/// One risk signal: a reason and the weight it adds to the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// The reason (its stable name in alerts).
    pub reason: Reason,
    /// What it adds to the score (0 for reasons that are not scored).
    pub weight: u8,
}

/// A configured list entry the destination matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListMatch {
    /// The setting: `allowed_cdns`, `allowed_cidrs`, `untrusted_cidrs`, `suspicious_tlds`,
    /// `dynamic_dns_suffixes` or `lookalike_brands`.
    pub list: &'static str,
    /// The entry (for the CIDR lists, the address that fell in them).
    pub entry: String,
}

/// The engine's view of a destination (see [`explain`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainVerdict {
    /// The input as given.
    pub input: String,
    /// The OS profile whose lists were used.
    pub os: Os,
    /// The normalised name (lowercase ASCII, IDN labels as punycode); `None` for an address.
    pub name: Option<String>,
    /// The name in Unicode when it has punycode labels.
    pub unicode: Option<String>,
    /// The address, when the input is one or one was given.
    pub ip: Option<IpAddr>,
    /// The registrable domain (eTLD+1); `None` for an address or a bare public suffix.
    pub registrable: Option<String>,
    /// The public suffix.
    pub suffix: Option<String>,
    /// The suffix's section of the Public Suffix List.
    pub suffix_section: Option<SuffixSection>,
    /// The risk signals in the order the checks ran, each with its weight.
    pub signals: Vec<Signal>,
    /// The score: the weights' sum, capped at 100 (0 when allowlisted).
    pub score: u8,
    /// The profile's `domain_risk_score`.
    pub threshold: u8,
    /// The list entries the destination matches.
    pub matches: Vec<ListMatch>,
    /// Allowlisted (`allowed_cdns` or `allowed_cidrs`): never untrusted.
    pub allowlisted: bool,
    /// Untrusted in the sense of DET0066 step 2: its egress can link a download.
    pub untrusted: bool,
    /// `untrusted`, `allowlisted` or `trusted`.
    pub verdict: &'static str,
    /// The reasons that make it untrusted by themselves ([`Reason::untrusts`]).
    pub untrusted_by: Vec<Reason>,
    /// What this view cannot say: newly observed needs the store of a run.
    pub note: &'static str,
}

/// What [`DomainVerdict::note`] says.
const NOTE: &str = "newly observed is not judged here (it needs the store of a run)";

/// Explains `input` (a host name, a URL or an IP address) under the `os` profile of `config`,
/// with the vendored Public Suffix List.
pub fn explain(config: &Config, os: Os, input: &str) -> Result<DomainVerdict, ExplainError> {
    let policy =
        RiskPolicy::new(config.profile(os).risk_settings()).map_err(|source| ExplainError::Policy { os, source })?;
    explain_with(&policy, Psl::vendored(), os, input, None)
}

/// As [`explain`], with a compiled policy, a list, and the address the name was reached at
/// (`ip`: its `allowed_cidrs` / `untrusted_cidrs` membership counts as in the engine).
pub fn explain_with(
    policy: &RiskPolicy,
    psl: &Psl,
    os: Os,
    input: &str,
    ip: Option<IpAddr>,
) -> Result<DomainVerdict, ExplainError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ExplainError::Empty);
    }
    let host = if trimmed.contains("://") {
        host_of_url(trimmed)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| ExplainError::NoHost { input: input.to_owned() })?
    } else {
        trimmed
    };
    let (name, ip) = match psl.parse(host) {
        Ok(name) => (Some(name), ip),
        Err(DomainError::IpLiteral { ip: literal }) => (None, Some(literal)),
        Err(source) => return Err(ExplainError::Name { input: input.to_owned(), source }),
    };
    Ok(verdict_of(policy, os, input, name.as_ref(), ip))
}

fn verdict_of(
    policy: &RiskPolicy,
    os: Os,
    input: &str,
    name: Option<&DomainName>,
    ip: Option<IpAddr>,
) -> DomainVerdict {
    let verdict = policy.assess_stateless(super::Destination { ip, name });
    let mut matches: Vec<ListMatch> = name
        .map(|n| policy.list_matches(n))
        .unwrap_or_default()
        .into_iter()
        .map(|(list, entry)| ListMatch { list, entry })
        .collect();
    if let Some(ip) = ip {
        for (list, hit) in
            [("untrusted_cidrs", policy.is_untrusted_ip(ip)), ("allowed_cidrs", policy.is_allowed_ip(ip))]
        {
            if hit {
                matches.push(ListMatch { list, entry: ip.to_string() });
            }
        }
    }
    let word = if verdict.untrusted {
        "untrusted"
    } else if verdict.allowlisted {
        "allowlisted"
    } else {
        "trusted"
    };
    DomainVerdict {
        input: input.to_owned(),
        os,
        name: name.map(|n| n.name.clone()),
        unicode: name.filter(|n| n.is_punycode()).map(|n| idna::domain_to_unicode(&n.name).0),
        ip,
        registrable: name.and_then(|n| n.registrable.clone()),
        suffix: name.map(|n| n.suffix.clone()),
        suffix_section: name.map(|n| match (n.suffix_is_known, n.private_section) {
            (false, _) => SuffixSection::Unlisted,
            (true, true) => SuffixSection::Private,
            (true, false) => SuffixSection::Icann,
        }),
        signals: verdict.reasons.iter().map(|&reason| Signal { reason, weight: reason.weight() }).collect(),
        score: verdict.score,
        threshold: policy.threshold(),
        matches,
        allowlisted: verdict.allowlisted,
        untrusted: verdict.untrusted,
        verdict: word,
        untrusted_by: verdict.reasons.iter().copied().filter(|r| r.untrusts()).collect(),
        note: NOTE,
    }
}

#[cfg(test)]
mod tests;
