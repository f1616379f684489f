//! # Configuration: every DET0066 mutable element, per OS
//!
//! A [`Config`] holds the engine-wide settings ([`EngineSettings`]: lateness, batching, DNS
//! attribution, newly-observed-domain warm-up, table bounds) and one [`OsProfile`] per analytic
//! (AN0178 Windows, AN0179 Linux, AN0180 macOS) with the seed's mutable elements: `TimeWindow`,
//! `BrowserParents`, `UserPaths`, `SuspiciousTLDs`, `AllowedCDNs`, `HighRiskExtensions`,
//! `DomainRiskScore` and, on macOS, `QuarantinePolicy`, plus clickchain's own lists
//! (excluded profile folders, partial-download names, LOLBins, allowlisted ranges, …).
//!
//! The file format is TOML. A file may hold any subset of the sections `[engine]`, `[windows]`,
//! `[linux]`, `[macos]` and `[macos.quarantine_policy]`; a missing key keeps the default of that
//! OS, and a list that is given replaces the default list. Durations are humantime strings
//! (`"15m"`, `"30s"`, `"1h 30m"`). Loading validates everything: unknown keys (typos), bad or
//! absurd durations, scores out of range, unknown path variables — and the error names the file,
//! the key path and the value. Names and extensions are normalised (lowercase basenames,
//! extensions without a dot). [`Config::to_toml`] writes a commented file that loads back equal.
//!
//! ```
//! use clickchain::config::Config;
//! use clickchain_adapters::Os;
//!
//! let text = r#"
//! [linux]
//! time_window = "20m"
//! browser_parents = ["firefox", "/usr/lib/chromium/Chromium"]
//! high_risk_extensions = [".SH", "elf"]
//! "#;
//! let config = Config::from_toml_str(text, "site.toml")?;
//! let linux = config.profile(Os::Linux);
//! assert_eq!(linux.time_window_ms(), 20 * 60 * 1000);
//! assert_eq!(linux.browser_parents, ["firefox", "chromium"]);
//! assert_eq!(linux.high_risk_extensions, ["sh", "elf"]);
//! assert_eq!(config.windows, Config::default().windows); // untouched sections keep defaults
//!
//! // The default file for an OS loads back to the same configuration.
//! let text = Config::default().to_toml(Some(Os::Macos));
//! assert_eq!(Config::from_toml_str(&text, "default.toml")?, Config::default());
//!
//! // Typos are errors that name the key.
//! let err = Config::from_toml_str("[linux]\ntime_windw = \"5m\"\n", "bad.toml").unwrap_err();
//! assert_eq!(err.to_string(), "bad.toml:2:1: unknown key `linux.time_windw` (did you mean `time_window`?)");
//! # Ok::<(), clickchain::config::ConfigError>(())
//! ```

mod classifier;
mod defaults;
mod error;
mod parse;
mod rules;
#[cfg(test)]
mod tests;
mod tree;
mod validate;
mod warnings;
mod write;

use std::path::Path;
use std::time::Duration;

use clickchain_adapters::Os;
use clickchain_logic::Strength;

pub use defaults::{
    ALLOWED_CDNS_LINUX, ALLOWED_CDNS_MACOS, ALLOWED_CDNS_WINDOWS, ARCHIVE_EXTENSIONS, HIGH_RISK_EXTENSIONS,
    PARTIAL_SUFFIXES, PARTIAL_SUFFIXES_WINDOWS,
};
pub use error::{ConfigError, Location};
pub use rules::{unknown_rule, LinkSources, RuleSettings};
pub use warnings::ConfigWarning;

/// The whole configuration: engine settings and one profile per OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Settings of the streaming engine, shared by all OSes (`[engine]`).
    pub engine: EngineSettings,
    /// AN0178 (`[windows]`).
    pub windows: OsProfile,
    /// AN0179 (`[linux]`).
    pub linux: OsProfile,
    /// AN0180 (`[macos]`).
    pub macos: OsProfile,
    /// Which rules run (`[rules]`).
    pub rules: RuleSettings,
}

/// Engine-wide settings (`[engine]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSettings {
    /// Out-of-order tolerance: events this far behind the watermark are still accepted (may be 0).
    pub allowed_lateness: Duration,
    /// Micro-batch length in event time.
    pub batch: Duration,
    /// Events further than this ahead of the newest plausible time are rejected.
    pub max_future_skew: Duration,
    /// How long a DNS answer attributes a name to an IP.
    pub dns_ttl: Duration,
    /// How long after a connection a DNS answer may still name it (at most `allowed_lateness`
    /// is used; may be 0).
    pub dns_grace: Duration,
    /// Newly-observed-domain warm-up: domains first seen within it are not "new" (may be 0).
    pub nod_warmup: Duration,
    /// How long after its first sighting a domain counts as newly observed.
    pub nod_window: Duration,
    /// Most hosts tracked at once.
    pub max_hosts: usize,
    /// Most processes tracked per host.
    pub max_processes_per_host: usize,
    /// Most carried egress summaries per host.
    pub max_egress_per_host: usize,
    /// Most pending (not yet evaluated) anchor facts per host.
    pub max_pending_per_host: usize,
    /// Most registrable domains remembered by the newly-observed-domain store.
    pub nod_capacity: usize,
    /// Most DNS answers remembered per host.
    pub max_dns_per_host: usize,
    /// Most events held in the reorder buffer (beyond it the oldest is forced out).
    pub max_reorder: usize,
    /// How often a live agent (`clickchain watch --checkpoint`) saves its checkpoint.
    pub checkpoint_interval: Duration,
    /// OS assumed for hosts whose events do not tell (`--os` on the command line).
    pub default_os: Option<Os>,
}

/// The mutable elements of one OS's analytic (`[windows]`, `[linux]`, `[macos]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsProfile {
    /// Correlation window from click (or first egress) to file write (1 s ..= 24 h).
    pub time_window: Duration,
    /// An egress this close before a write makes the link medium strength (<= `time_window`).
    pub download_gap: Duration,
    /// Weakest link strength that still alerts.
    pub min_strength: Strength,
    /// Domain risk score (0..=100) at or above which a domain is untrusted.
    pub domain_risk_score: u8,
    /// Link-source processes: lowercase executable basenames (never empty); the `browser`
    /// class of `[<os>.link_sources]`.
    pub browser_parents: Vec<String>,
    /// The other link-source classes (`[<os>.link_sources]` mail, office, chat).
    pub link_sources: LinkSources,
    /// User-writable folder patterns (see [`crate::paths`] for the pattern syntax).
    pub user_paths: Vec<String>,
    /// Folder patterns never considered (the browsers' own profiles and caches).
    pub excluded_paths: Vec<String>,
    /// Folder names that make a file download-like (`Downloads`).
    pub download_dirs: Vec<String>,
    /// Suspicious TLDs or suffixes, lowercase without leading dot.
    pub suspicious_tlds: Vec<String>,
    /// Allowlisted registrable domains or suffixes, lowercase without leading dot.
    pub allowed_cdns: Vec<String>,
    /// Allowlisted destination ranges in CIDR form (`10.0.0.0/8`).
    pub allowed_cidrs: Vec<String>,
    /// Destination ranges always untrusted, checked before `allowed_cidrs` (CIDR form).
    pub untrusted_cidrs: Vec<String>,
    /// Brands that punycode lookalike names imitate (lowercase ASCII names).
    pub lookalike_brands: Vec<String>,
    /// Dynamic-DNS (and tunnel) suffixes, lowercase without leading dot.
    pub dynamic_dns_suffixes: Vec<String>,
    /// High-risk file extensions, lowercase without dot.
    pub high_risk_extensions: Vec<String>,
    /// Archive and disk-image extensions, lowercase without dot.
    pub archive_extensions: Vec<String>,
    /// Suffixes of downloads in progress, lowercase with a leading dot.
    pub partial_suffixes: Vec<String>,
    /// Living-off-the-land binaries (lowercase basenames) reported as follow-on.
    pub lolbins: Vec<String>,
    /// AN0180's QuarantinePolicy; `Some` on macOS only (`[macos.quarantine_policy]`).
    pub quarantine_policy: Option<QuarantinePolicy>,
}

/// AN0180 QuarantinePolicy: executables downloaded without `com.apple.quarantine` alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinePolicy {
    /// Whether `quarantine_missing` findings are raised.
    pub enabled: bool,
    /// How long after the write the quarantine attribute may still appear (1 s ..= 1 h).
    pub grace: Duration,
    /// Folder patterns where the policy applies.
    pub paths: Vec<String>,
    /// Extensions (lowercase, no dot) that make a file executable for the policy.
    pub executable_extensions: Vec<String>,
}

/// A duration in whole milliseconds, saturating at `i64::MAX`.
pub fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            engine: EngineSettings::default(),
            windows: OsProfile::default_for(Os::Windows),
            linux: OsProfile::default_for(Os::Linux),
            macos: OsProfile::default_for(Os::Macos),
            rules: RuleSettings::default(),
        }
    }
}

impl Config {
    /// Parses and validates TOML `text`; `origin` (usually the file name) prefixes every error.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        parse::parse(text, origin)
    }

    /// Reads, parses and validates the TOML file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Io { origin: origin.clone(), source })?;
        Config::from_toml_str(&text, &origin)
    }

    /// The profile of `os`.
    pub fn profile(&self, os: Os) -> &OsProfile {
        match os {
            Os::Windows => &self.windows,
            Os::Linux => &self.linux,
            Os::Macos => &self.macos,
        }
    }

    /// The profile of `os`, mutably (changes made here are not re-validated).
    pub fn profile_mut(&mut self, os: Os) -> &mut OsProfile {
        match os {
            Os::Windows => &mut self.windows,
            Os::Linux => &mut self.linux,
            Os::Macos => &mut self.macos,
        }
    }

    /// A commented TOML file: the `[engine]` section and the section of `os` (all three when
    /// `None`). It loads back to a configuration equal to `self` in those sections.
    pub fn to_toml(&self, os: Option<Os>) -> String {
        write::to_toml(self, os)
    }
}

impl EngineSettings {
    /// [`EngineSettings::allowed_lateness`] in milliseconds.
    pub fn allowed_lateness_ms(&self) -> i64 {
        duration_ms(self.allowed_lateness)
    }
    /// [`EngineSettings::batch`] in milliseconds.
    pub fn batch_ms(&self) -> i64 {
        duration_ms(self.batch)
    }
    /// [`EngineSettings::max_future_skew`] in milliseconds.
    pub fn max_future_skew_ms(&self) -> i64 {
        duration_ms(self.max_future_skew)
    }
    /// [`EngineSettings::dns_ttl`] in milliseconds.
    pub fn dns_ttl_ms(&self) -> i64 {
        duration_ms(self.dns_ttl)
    }
    /// [`EngineSettings::dns_grace`] in milliseconds, bounded by AllowedLateness (an answer
    /// logged later may not have arrived when its connection is classified).
    pub fn dns_grace_ms(&self) -> i64 {
        duration_ms(self.dns_grace).min(self.allowed_lateness_ms())
    }
    /// [`EngineSettings::nod_window`] in milliseconds.
    pub fn nod_window_ms(&self) -> i64 {
        duration_ms(self.nod_window)
    }

    /// [`EngineSettings::nod_warmup`] in milliseconds.
    pub fn nod_warmup_ms(&self) -> i64 {
        duration_ms(self.nod_warmup)
    }
}

impl OsProfile {
    /// [`OsProfile::time_window`] in milliseconds.
    pub fn time_window_ms(&self) -> i64 {
        duration_ms(self.time_window)
    }
    /// [`OsProfile::download_gap`] in milliseconds.
    pub fn download_gap_ms(&self) -> i64 {
        duration_ms(self.download_gap)
    }
    /// The domain-risk part of the profile, for [`crate::domain::RiskPolicy::new`].
    pub fn risk_settings(&self) -> crate::domain::RiskSettings {
        crate::domain::RiskSettings {
            suspicious_tlds: self.suspicious_tlds.clone(),
            allowed_cdns: self.allowed_cdns.clone(),
            allowed_cidrs: self.allowed_cidrs.clone(),
            untrusted_cidrs: self.untrusted_cidrs.clone(),
            dynamic_dns_suffixes: self.dynamic_dns_suffixes.clone(),
            lookalike_brands: self.lookalike_brands.clone(),
            risk_threshold: self.domain_risk_score,
        }
    }
}

impl QuarantinePolicy {
    /// [`QuarantinePolicy::grace`] in milliseconds.
    pub fn grace_ms(&self) -> i64 {
        duration_ms(self.grace)
    }
}
