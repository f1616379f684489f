//! Allowlists, the risk score and the untrusted-destination verdict (`docs/design.md` "Domain risk").

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::first_seen::FirstSeen;
use super::lexical::LabelStats;
use super::lookalike::Brands;
use super::net::{is_public, parse_cidr, RangeSet};
use super::psl::{normalize, DomainName};
use super::{defaults, DomainError};

/// Plain-data settings of a [`RiskPolicy`] (what the configuration file holds).
///
/// Domain entries may have leading dots (`.top`, `.microsoft.com`), a `*.` prefix, a trailing
/// dot, mixed case or Unicode (converted to punycode). `allowed_cidrs` entries are CIDRs
/// (`10.0.0.0/8`, `fe80::/10`) or single addresses. [`Default`] gives the built-in lists
/// ([`super::default_suspicious_tlds`], [`super::default_allowed_cdns`],
/// [`super::default_allowed_cidrs`], [`super::default_dynamic_dns_suffixes`]) and a threshold
/// of [`super::DEFAULT_RISK_THRESHOLD`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskSettings {
    /// TLDs / public suffixes whose names are suspicious (matched against the name's suffix
    /// and its parent suffixes: `top` matches `a.top` and `a.com.top`).
    pub suspicious_tlds: Vec<String>,
    /// Trusted domains: a destination matches when an entry equals its registrable domain or
    /// its suffix, or the name is the entry or a subdomain of it.
    pub allowed_cdns: Vec<String>,
    /// Trusted address ranges (private and reserved ranges belong here).
    pub allowed_cidrs: Vec<String>,
    /// Address ranges that are always untrusted: checked before every allowlist and before
    /// the built-in trust of private and loopback addresses (an internal phishing test, a lab).
    pub untrusted_cidrs: Vec<String>,
    /// Dynamic-DNS domains: matched like `allowed_cdns` (suffix, registrable domain, or parent).
    pub dynamic_dns_suffixes: Vec<String>,
    /// Well-known brands (ASCII names such as `paypal`) that punycode lookalikes imitate.
    pub lookalike_brands: Vec<String>,
    /// Score (0-100) at or above which a destination is untrusted.
    pub risk_threshold: u8,
}

impl Default for RiskSettings {
    fn default() -> Self {
        RiskSettings {
            suspicious_tlds: defaults::default_suspicious_tlds(),
            allowed_cdns: defaults::default_allowed_cdns(),
            allowed_cidrs: defaults::default_allowed_cidrs(),
            untrusted_cidrs: Vec::new(),
            dynamic_dns_suffixes: defaults::default_dynamic_dns_suffixes(),
            lookalike_brands: defaults::default_lookalike_brands(),
            risk_threshold: defaults::DEFAULT_RISK_THRESHOLD,
        }
    }
}

/// An egress destination: the address and/or the (parsed) name it was reached by.
#[derive(Debug, Clone, Copy, Default)]
pub struct Destination<'a> {
    /// The destination address, if known.
    pub ip: Option<IpAddr>,
    /// The destination name, if known.
    pub name: Option<&'a DomainName>,
}

/// The outcome of [`RiskPolicy::assess`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Untrusted in the sense of DET0066 step 2 (see [`RiskPolicy::assess`]).
    pub untrusted: bool,
    /// The name or the address is allowlisted (then `untrusted` is false and `score` 0).
    pub allowlisted: bool,
    /// Additive risk score, 0-100.
    pub score: u8,
    /// Why, in the order the checks ran.
    pub reasons: Vec<Reason>,
}

impl Verdict {
    /// Whether `reason` is among the reasons.
    pub fn has(&self, reason: Reason) -> bool {
        self.reasons.contains(&reason)
    }
}

/// A reason in a [`Verdict`], with a stable snake_case name ([`Reason::as_str`]) for alerts.
///
/// | reason | name | weight | when |
/// |---|---|---|---|
/// | `AllowedCdn` | `allowed_cdn` | - | name matches `allowed_cdns` |
/// | `AllowedCidr` | `allowed_cidr` | - | address in `allowed_cidrs` (private/reserved ranges) |
/// | `UntrustedCidr` | `untrusted_cidr` | 100 | address in `untrusted_cidrs` (checked first) |
/// | `SuspiciousTld` | `suspicious_tld` | 30 | suffix (or a parent of it) in `suspicious_tlds` |
/// | `DynamicDns` | `dynamic_dns` | 30 | name is or is under a `dynamic_dns_suffixes` entry |
/// | `Punycode` | `punycode` | 20 | a label starts with `xn--` (IDN, possible homograph) |
/// | `MixedScript` | `mixed_script` | 100 | a punycode label decodes to letters of several scripts |
/// | `BrandLookalike` | `brand_lookalike` | 100 | a punycode label's confusable skeleton spells a `lookalike_brands` entry |
/// | `HighEntropy` | `high_entropy` | 40 | label >= 8 chars, entropy >= 3.0 bits/char and vowels <= 20 % |
/// | `ManyDigits` | `many_digits` | 25 | label has >= 3 digits making >= 30 % of it |
/// | `ManyHyphens` | `many_hyphens` | 20 | label has >= 2 hyphens |
/// | `LongName` | `long_name` | 15 | label longer than 20 chars |
/// | `NewlyObserved` | `newly_observed` | 25 | registrable domain first seen after the warm-up, and the store has history |
/// | `NewlyObservedNoHistory` | `newly_observed_no_history` | 25 | the same, with a store of less than `nod_warmup` of history (a score signal only) |
/// | `IpNoName` | `ip_no_name` | 40 | public address reached without any name |
/// | `RiskAtThreshold` | `risk_at_threshold` | - | score >= `risk_threshold` |
///
/// "Label" is the registrable label (`example` in `www.example.co.uk`; the leftmost label when
/// the name is itself a public suffix). The lexical checks (entropy, digits, hyphens) skip
/// punycode labels, whose encoding makes them look random. The sum is capped at 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// The name matches the trusted-domain list.
    AllowedCdn,
    /// The address is in a trusted range (private and reserved ranges included).
    AllowedCidr,
    /// The suffix is on the suspicious-TLD list.
    SuspiciousTld,
    /// The registrable domain was not seen before (after the warm-up).
    NewlyObserved,
    /// The name is under a dynamic-DNS provider.
    DynamicDns,
    /// The name has punycode (IDN) labels.
    Punycode,
    /// The registrable label looks random (DGA-like).
    HighEntropy,
    /// The registrable label has many digits.
    ManyDigits,
    /// The registrable label has two or more hyphens.
    ManyHyphens,
    /// The registrable label is longer than 20 characters.
    LongName,
    /// A public address was reached without a name.
    IpNoName,
    /// The score reached the configured threshold.
    RiskAtThreshold,
    /// The registrable domain was not seen before, but the store holds too little history for
    /// that alone to distrust it: a score signal only.
    NewlyObservedNoHistory,
    /// The address is in `untrusted_cidrs`.
    UntrustedCidr,
    /// A punycode label mixes scripts (Latin with Cyrillic, Greek with Latin, ...).
    MixedScript,
    /// A punycode label's confusable skeleton spells a well-known brand.
    BrandLookalike,
}

impl Reason {
    /// The stable snake_case name used in alerts.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::AllowedCdn => "allowed_cdn",
            Reason::AllowedCidr => "allowed_cidr",
            Reason::SuspiciousTld => "suspicious_tld",
            Reason::NewlyObserved => "newly_observed",
            Reason::DynamicDns => "dynamic_dns",
            Reason::Punycode => "punycode",
            Reason::HighEntropy => "high_entropy",
            Reason::ManyDigits => "many_digits",
            Reason::ManyHyphens => "many_hyphens",
            Reason::LongName => "long_name",
            Reason::IpNoName => "ip_no_name",
            Reason::RiskAtThreshold => "risk_at_threshold",
            Reason::NewlyObservedNoHistory => "newly_observed_no_history",
            Reason::UntrustedCidr => "untrusted_cidr",
            Reason::MixedScript => "mixed_script",
            Reason::BrandLookalike => "brand_lookalike",
        }
    }

    /// Whether this reason alone makes a destination untrusted (a hard signal): a suspicious
    /// TLD, newly observed with history, a public address without a name, an `untrusted_cidrs`
    /// address, or the score at the threshold. The others only add to the score.
    pub const fn untrusts(self) -> bool {
        matches!(
            self,
            Reason::SuspiciousTld
                | Reason::NewlyObserved
                | Reason::IpNoName
                | Reason::UntrustedCidr
                | Reason::RiskAtThreshold
        )
    }

    /// The score weight (see the table on [`Reason`]); 0 for reasons that are not scored.
    pub const fn weight(self) -> u8 {
        match self {
            Reason::SuspiciousTld | Reason::DynamicDns => 30,
            Reason::Punycode | Reason::ManyHyphens => 20,
            Reason::HighEntropy | Reason::IpNoName => 40,
            Reason::ManyDigits | Reason::NewlyObserved | Reason::NewlyObservedNoHistory => 25,
            Reason::UntrustedCidr | Reason::MixedScript | Reason::BrandLookalike => 100,
            Reason::LongName => 15,
            Reason::AllowedCdn | Reason::AllowedCidr | Reason::RiskAtThreshold => 0,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Minimum label length for the entropy check.
const ENTROPY_MIN_LEN: usize = 8;
/// Entropy (bits per character) at or above which a vowel-poor label is DGA-like.
const ENTROPY_MIN_BITS: f64 = 3.0;
/// Vowel share at or below which a high-entropy label is DGA-like.
const ENTROPY_MAX_VOWELS: f64 = 0.2;
/// Digit count and share for `ManyDigits`.
const DIGITS_MIN: usize = 3;
const DIGITS_MIN_RATIO: f64 = 0.3;
/// Hyphen count for `ManyHyphens`.
const HYPHENS_MIN: usize = 2;
/// Label length above which `LongName` applies.
const LONG_LABEL: usize = 20;

/// The domain-risk policy: allowlists, suspicious and dynamic-DNS lists, and the threshold.
#[derive(Debug, Clone)]
pub struct RiskPolicy {
    suspicious_tlds: HashSet<String>,
    allowed_cdns: HashSet<String>,
    allowed_cidrs: RangeSet,
    untrusted_cidrs: RangeSet,
    dynamic_dns: HashSet<String>,
    brands: Brands,
    threshold: u8,
}

impl RiskPolicy {
    /// Builds the policy, normalising every entry. A bad entry is an error naming it.
    pub fn new(settings: RiskSettings) -> Result<RiskPolicy, DomainError> {
        if settings.risk_threshold > 100 {
            return Err(DomainError::BadThreshold { value: settings.risk_threshold });
        }
        let allowed_cidrs: Vec<IpNet> =
            settings.allowed_cidrs.iter().map(|entry| parse_cidr("allowed_cidrs", entry)).collect::<Result<_, _>>()?;
        let untrusted_cidrs: Vec<IpNet> = settings
            .untrusted_cidrs
            .iter()
            .map(|entry| parse_cidr("untrusted_cidrs", entry))
            .collect::<Result<_, _>>()?;
        // Sorted: of two brands a label imitates, the first in name order is reported.
        let mut brands: Vec<String> = domain_set("lookalike_brands", &settings.lookalike_brands)?.into_iter().collect();
        brands.sort_unstable();
        Ok(RiskPolicy {
            suspicious_tlds: domain_set("suspicious_tlds", &settings.suspicious_tlds)?,
            allowed_cdns: domain_set("allowed_cdns", &settings.allowed_cdns)?,
            allowed_cidrs: RangeSet::new(&allowed_cidrs),
            untrusted_cidrs: RangeSet::new(&untrusted_cidrs),
            dynamic_dns: domain_set("dynamic_dns_suffixes", &settings.dynamic_dns_suffixes)?,
            brands: Brands::new(&brands),
            threshold: settings.risk_threshold,
        })
    }

    /// The score at or above which a destination is untrusted.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Whether `name` matches `allowed_cdns`: an entry equals its registrable domain or its
    /// suffix, or the name is the entry or a subdomain of it (`update.microsoft.com` matches
    /// `microsoft.com`; `microsoft.com.evil.top` does not).
    pub fn is_allowed_cdn(&self, name: &DomainName) -> bool {
        matches_set(&self.allowed_cdns, name)
    }

    /// Whether `ip` (IPv4-mapped IPv6 addresses also as IPv4) is within `allowed_cidrs`.
    pub fn is_allowed_ip(&self, ip: IpAddr) -> bool {
        self.allowed_cidrs.contains(ip)
    }

    /// Whether `ip` (IPv4-mapped IPv6 addresses also as IPv4) is within `untrusted_cidrs`.
    pub fn is_untrusted_ip(&self, ip: IpAddr) -> bool {
        self.untrusted_cidrs.contains(ip)
    }

    /// Classifies an egress destination at event time `at_ms` (milliseconds, any epoch).
    ///
    /// * An address in `untrusted_cidrs` is untrusted before anything else is looked at
    ///   (reason [`Reason::UntrustedCidr`], score 100): no allowlist and no built-in trust of
    ///   private or loopback addresses applies to it.
    /// * `allowlisted` = the name matches `allowed_cdns` OR the address is in `allowed_cidrs`.
    ///   An allowlisted destination is not scored, not recorded in `first_seen`, and never
    ///   untrusted; its reasons are [`Reason::AllowedCdn`] / [`Reason::AllowedCidr`].
    /// * Otherwise the score is the capped sum of the weights in the table on [`Reason`];
    ///   `first_seen` is consulted (and updated) with the registrable domain, if there is one.
    /// * `untrusted` = !allowlisted AND (suspicious TLD OR newly observed with a store that has
    ///   history for the host asking ([`FirstSeen::has_history_on`]; here host `""`, see
    ///   [`RiskPolicy::assess_on`]) OR score >= threshold OR (no name AND a public
    ///   address)). Newly observed without history is [`Reason::NewlyObservedNoHistory`], a
    ///   score signal only. "Public" excludes private,
    ///   loopback, link-local, CGNAT, unique-local, unspecified, multicast and broadcast
    ///   addresses even when they are missing from `allowed_cidrs`.
    pub fn assess(&self, dest: Destination<'_>, first_seen: &mut FirstSeen, at_ms: i64) -> Verdict {
        self.assess_on(dest, first_seen, "", at_ms)
    }

    /// As [`RiskPolicy::assess`] for an egress of `host`: a newly observed domain is untrusted
    /// by itself only when the store holds enough history of that host's egress.
    pub fn assess_on(&self, dest: Destination<'_>, first_seen: &mut FirstSeen, host: &str, at_ms: i64) -> Verdict {
        self.verdict(dest, Some((first_seen, host)), at_ms)
    }

    /// Classifies a name by itself: as [`RiskPolicy::assess`] without the newly-observed check
    /// (nothing is recorded). What a downloaded file's origin is judged by: an origin that was
    /// never reached by name (a browser using DNS over HTTPS) is not new for that.
    pub fn assess_name(&self, name: &DomainName) -> Verdict {
        self.verdict(Destination { ip: None, name: Some(name) }, None, 0)
    }

    /// Classifies a destination without the newly-observed check (nothing is recorded): what
    /// the engine decides for it when the name is not newly observed.
    pub fn assess_stateless(&self, dest: Destination<'_>) -> Verdict {
        self.verdict(dest, None, 0)
    }

    /// The entries of each list that `name` matches, as (list, entry).
    pub fn list_matches(&self, name: &DomainName) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let lists = [
            ("allowed_cdns", &self.allowed_cdns),
            ("suspicious_tlds", &self.suspicious_tlds),
            ("dynamic_dns_suffixes", &self.dynamic_dns),
        ];
        for (list, set) in lists {
            let within = if list == "suspicious_tlds" { &name.suffix } else { &name.name };
            if let Some(entry) = dot_suffixes(within).find(|s| set.contains(*s)) {
                out.push((list, entry.to_owned()));
            }
        }
        if let Some(brand) = self.imitated_brand(name) {
            out.push(("lookalike_brands", brand));
        }
        out
    }

    fn verdict(&self, dest: Destination<'_>, first_seen: Option<(&mut FirstSeen, &str)>, at_ms: i64) -> Verdict {
        let mut verdict = Verdict::default();
        if dest.ip.is_some_and(|ip| self.is_untrusted_ip(ip)) {
            verdict.reasons.push(Reason::UntrustedCidr);
            verdict.score = Reason::UntrustedCidr.weight();
            verdict.untrusted = true;
            return verdict;
        }
        if dest.name.is_some_and(|n| self.is_allowed_cdn(n)) {
            verdict.reasons.push(Reason::AllowedCdn);
        }
        if dest.ip.is_some_and(|ip| self.is_allowed_ip(ip)) {
            verdict.reasons.push(Reason::AllowedCidr);
        }
        if !verdict.reasons.is_empty() {
            verdict.allowlisted = true;
            return verdict;
        }

        match dest.name {
            Some(name) => {
                if self.is_suspicious_tld(name) {
                    verdict.reasons.push(Reason::SuspiciousTld);
                }
                if matches_set(&self.dynamic_dns, name) {
                    verdict.reasons.push(Reason::DynamicDns);
                }
                lexical_reasons(name, &mut verdict.reasons);
                let lookalike = self.brands.check(name);
                if lookalike.mixed_script {
                    verdict.reasons.push(Reason::MixedScript);
                }
                if lookalike.brand.is_some() {
                    verdict.reasons.push(Reason::BrandLookalike);
                }
                if let (Some(reg), Some((seen, host))) = (&name.registrable, first_seen) {
                    if seen.observe_on(host, reg, at_ms) {
                        if seen.has_history_on(host) {
                            verdict.reasons.push(Reason::NewlyObserved);
                        } else {
                            verdict.reasons.push(Reason::NewlyObservedNoHistory);
                        }
                    }
                }
            }
            None => {
                if dest.ip.is_some_and(is_public) {
                    verdict.reasons.push(Reason::IpNoName);
                }
            }
        }
        let sum: u32 = verdict.reasons.iter().map(|r| u32::from(r.weight())).sum();
        verdict.score = sum.min(100) as u8;
        if verdict.score >= self.threshold {
            verdict.reasons.push(Reason::RiskAtThreshold);
        }
        verdict.untrusted = verdict.reasons.iter().any(|r| r.untrusts());
        verdict
    }

    /// The `lookalike_brands` entry a punycode label of `name` imitates, if any.
    pub fn imitated_brand(&self, name: &DomainName) -> Option<String> {
        self.brands.check(name).brand
    }

    fn is_suspicious_tld(&self, name: &DomainName) -> bool {
        dot_suffixes(&name.suffix).any(|s| self.suspicious_tlds.contains(s))
    }
}

/// Lexical checks over the registrable label (or the leftmost label of a bare suffix).
fn lexical_reasons(name: &DomainName, reasons: &mut Vec<Reason>) {
    let label = name.registrable_label().or_else(|| name.name.split('.').next()).unwrap_or("");
    if name.is_punycode() {
        reasons.push(Reason::Punycode);
    }
    let stats = LabelStats::of(label);
    if !label.starts_with("xn--") {
        if stats.len >= ENTROPY_MIN_LEN
            && stats.entropy >= ENTROPY_MIN_BITS
            && stats.ratio(stats.vowels) <= ENTROPY_MAX_VOWELS
        {
            reasons.push(Reason::HighEntropy);
        }
        if stats.digits >= DIGITS_MIN && stats.ratio(stats.digits) >= DIGITS_MIN_RATIO {
            reasons.push(Reason::ManyDigits);
        }
        if stats.hyphens >= HYPHENS_MIN {
            reasons.push(Reason::ManyHyphens);
        }
    }
    if stats.len > LONG_LABEL {
        reasons.push(Reason::LongName);
    }
}

/// `a.b.c`, `b.c`, `c`: the name and each parent domain.
fn dot_suffixes(name: &str) -> impl Iterator<Item = &str> {
    std::iter::once(name).chain(name.match_indices('.').map(move |(i, _)| &name[i + 1..]))
}

/// Whether the name, its registrable domain, its suffix or any parent domain is in `set`.
/// (Registrable domain and suffix are themselves parents of the name, so one walk covers all.)
fn matches_set(set: &HashSet<String>, name: &DomainName) -> bool {
    !set.is_empty() && dot_suffixes(&name.name).any(|s| set.contains(s))
}

fn domain_set(list: &'static str, entries: &[String]) -> Result<HashSet<String>, DomainError> {
    entries
        .iter()
        .map(|entry| {
            let trimmed = entry.trim();
            let bare = trimmed.strip_prefix("*.").unwrap_or(trimmed);
            normalize(bare.trim_start_matches('.')).map_err(|e| DomainError::BadListEntry {
                list,
                entry: entry.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
