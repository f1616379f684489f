//! Configuration compiled for the hot path: one profile per OS, plus the engine's limits.

use std::sync::{Arc, Mutex, PoisonError};

use clickchain_adapters::Os;
use clickchain_logic::Params;

use crate::alert::Analytic;
use crate::config::{duration_ms, Config, ConfigError, OsProfile};
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
        })
    }

    /// How long carried state must be kept: the window plus the quarantine grace.
    pub fn retention_ms(&self) -> i64 {
        self.params.window + self.params.quarantine_grace
    }
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
