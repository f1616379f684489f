//! Configuration compiled for the hot path: one profile per OS, plus the engine's limits.

use std::sync::{Arc, Mutex, PoisonError};

use clickchain_adapters::Os;
use clickchain_logic::{LinkClass, Params, Rule};
use rustc_hash::FxHashSet;

use crate::alert::Analytic;
use crate::config::{duration_ms, Config, ConfigError, LinkSources, OsProfile};
use crate::domain::{DomainError, RiskPolicy};
use crate::paths::PathClassifier;

/// The analytic DET0066 names for each OS (as [`Analytic::for_os`]).
pub fn analytic(os: Os) -> Analytic {
    Analytic::for_os(os)
}

/// Why an engine could not be built from a configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A path pattern or list in the configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A domain list or CIDR in the configuration is invalid.
    #[error("{os}: {error}")]
    Domain {
        /// The OS section.
        os: Os,
        /// What is wrong.
        error: DomainError,
    },
    /// A rule id in `[rules] enabled` is not registered.
    #[error("rules.enabled: {0}")]
    Rule(String),
    /// A shard's thread could not be started.
    #[error("starting a shard thread: {0}")]
    Thread(std::io::Error),
}

pub(crate) struct Profile {
    pub analytic: Analytic,
    pub paths: PathClassifier,
    pub risk: RiskPolicy,
    pub params: Params,
    pub dns_ttl_ms: i64,
    pub quarantine_enabled: bool,
    /// An exec keeps its pid (Linux, macOS). On Windows none does: a start under the pid of a
    /// process still running means that process's end was not logged.
    pub exec_in_place: bool,
    /// The enabled rules, in configuration order.
    pub rules: Vec<&'static Rule>,
    /// Link-source classes beyond browser: (class, lowercase names).
    pub link_classes: Vec<(LinkClass, FxHashSet<String>)>,
    /// Some enabled rule reads the link-source or extension classes (else they are not built).
    pub wants_classes: bool,
    /// Alerts carry their derivation (`[rules] explain`, `scan --explain`).
    pub explain: bool,
    /// The longest hold of the enabled rules (ms): a write waits this long before evaluation.
    pub hold: i64,
    /// Some enabled rule reads what follows a write (`executed`, `opened`,
    /// `protection_removed`, `container_exec`): it is held on pending writes.
    pub wants_held: bool,
    /// Some enabled rule reads `write_container`, `write_origin` or `referrer_domain`.
    pub wants_origin: bool,
    /// The fact kinds the enabled rules read (the union of their headers' `data`).
    pub wanted: Vec<&'static str>,
    /// Some enabled rule reads `cradle`: download-cradle starts become anchors.
    pub wants_cradle: bool,
}

impl Profile {
    pub fn new(os: Os, p: &OsProfile, config: &Config) -> Result<Profile, EngineError> {
        let risk = RiskPolicy::new(p.risk_settings()).map_err(|error| EngineError::Domain { os, error })?;
        let quarantine = p.quarantine_policy.as_ref().filter(|q| q.enabled);
        Ok(Profile {
            analytic: analytic(os),
            paths: PathClassifier::new(os, p)?,
            risk,
            params: Params {
                window: duration_ms(p.time_window),
                download_gap: duration_ms(p.download_gap),
                min_strength: p.min_strength,
                quarantine_grace: quarantine.map_or(0, |q| duration_ms(q.grace)),
            },
            dns_ttl_ms: config.engine.dns_ttl_ms(),
            quarantine_enabled: quarantine.is_some(),
            exec_in_place: os != Os::Windows,
            rules: enabled_rules(config)?,
            link_classes: link_classes(&p.link_sources),
            explain: config.rules.explain,
            wants_classes: reads(config, &["link_class", "write_ext"])?,
            hold: clickchain_logic::rules::max_hold(enabled_rules(config)?),
            wants_held: reads(config, &["executed", "opened", "protection_removed", "container_exec"])?,
            wants_origin: reads(config, &["write_container", "write_origin", "referrer_domain"])?,
            wanted: wanted(config)?,
            wants_cradle: wanted(config)?.contains(&"cradle"),
        })
    }

    /// Whether an enabled rule reads the fact kind `kind` (a header `data` name): facts that
    /// cost anything are built only then.
    pub fn wants(&self, kind: &str) -> bool {
        self.wanted.contains(&kind)
    }

    /// The link-source class of a link-source `image` (browser unless a class names it).
    pub fn link_class(&self, image: &str) -> LinkClass {
        let name = crate::paths::image_name(image, self.paths.os());
        let exe = format!("{name}.exe");
        self.link_classes
            .iter()
            .find(|(_, names)| names.contains(&name) || names.contains(&exe))
            .map_or(LinkClass::Browser, |&(c, _)| c)
    }

    /// How long carried state must be kept: the window plus the longer of the quarantine grace
    /// and the rules' hold (a write is evaluated that long after it, with its window's egress).
    pub fn retention_ms(&self) -> i64 {
        self.params.window + self.params.quarantine_grace.max(self.hold)
    }
}

/// Whether an enabled rule of `config` names one of the fact kinds `data`.
fn reads(config: &Config, data: &[&str]) -> Result<bool, EngineError> {
    Ok(enabled_rules(config)?.iter().any(|r| r.header.data.iter().any(|d| data.contains(d))))
}

/// The registered rules `config` enables, in its order.
fn enabled_rules(config: &Config) -> Result<Vec<&'static Rule>, EngineError> {
    config
        .rules
        .enabled
        .iter()
        .map(|id| clickchain_logic::rules::rule(id).ok_or_else(|| EngineError::Rule(crate::config::unknown_rule(id))))
        .collect()
}

/// The fact kinds the rules `config` enables read, each once.
fn wanted(config: &Config) -> Result<Vec<&'static str>, EngineError> {
    let mut kinds: Vec<&'static str> =
        enabled_rules(config)?.iter().flat_map(|r| r.header.data.iter().copied()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    Ok(kinds)
}

fn link_classes(l: &LinkSources) -> Vec<(LinkClass, FxHashSet<String>)> {
    let set = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect();
    vec![(LinkClass::Mail, set(&l.mail)), (LinkClass::Office, set(&l.office)), (LinkClass::Chat, set(&l.chat))]
}

/// The last configuration compiled, and its profiles: engines built from an equal
/// configuration (shards, one engine per input pass in benches and tests) share them instead of
/// compiling the path patterns and domain lists again (about 1 ms each time).
static LAST_COMPILED: Mutex<Option<(Config, Arc<[Profile; 3]>)>> = Mutex::new(None);

/// The three OS profiles of `config`, compiled or shared from the last equal configuration.
pub(crate) fn compiled(config: &Config) -> Result<Arc<[Profile; 3]>, EngineError> {
    let mut last = LAST_COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((c, profiles)) = last.as_ref() {
        if c == config {
            return Ok(Arc::clone(profiles));
        }
    }
    let profiles = Arc::new([
        Profile::new(Os::Windows, &config.windows, config)?,
        Profile::new(Os::Linux, &config.linux, config)?,
        Profile::new(Os::Macos, &config.macos, config)?,
    ]);
    *last = Some((config.clone(), Arc::clone(&profiles)));
    Ok(profiles)
}

/// Table caps, from `[engine]`.
pub(crate) struct Limits {
    pub max_hosts: usize,
    pub max_processes_per_host: usize,
    pub max_egress_per_host: usize,
    pub max_pending_per_host: usize,
    pub max_dns_per_host: usize,
    pub max_reorder: usize,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        let e = &config.engine;
        Limits {
            max_hosts: e.max_hosts,
            max_processes_per_host: e.max_processes_per_host,
            max_egress_per_host: e.max_egress_per_host,
            max_pending_per_host: e.max_pending_per_host,
            max_dns_per_host: e.max_dns_per_host,
            max_reorder: e.max_reorder,
        }
    }
}
