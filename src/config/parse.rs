//! Reading TOML into a [`Config`]: a small spanned tree (so every error knows its full key path
//! and line/column), then a walk that accepts only known keys and converts and checks each value.
//!
//! Unknown keys are rejected by this walk rather than by serde's `deny_unknown_fields`: serde's
//! error knows the span but not the table the key is in, and the message must name `linux.x`.

use std::fmt;
use std::time::Duration;

use clickchain_adapters::Os;
use toml::Spanned;

use super::error::{closest, ConfigError, Location};
use super::tree::Node;
use super::validate as check;
use super::{Config, EngineSettings, OsProfile, QuarantinePolicy};

const ROOT_KEYS: &[&str] = &["engine", "windows", "linux", "macos", "rules"];
pub(super) const ENGINE_KEYS: &[&str] = &[
    "allowed_lateness",
    "batch",
    "max_future_skew",
    "dns_ttl",
    "dns_grace",
    "nod_warmup",
    "nod_window",
    "max_hosts",
    "max_processes_per_host",
    "max_egress_per_host",
    "max_pending_per_host",
    "nod_capacity",
    "max_dns_per_host",
    "max_reorder",
    "checkpoint_interval",
    "default_os",
];
/// Keys of an OS section; the last, `quarantine_policy`, exists only in `[macos]`.
pub(super) const OS_KEYS: &[&str] = &[
    "time_window",
    "download_gap",
    "min_strength",
    "domain_risk_score",
    "browser_parents",
    "user_paths",
    "excluded_paths",
    "download_dirs",
    "suspicious_tlds",
    "allowed_cdns",
    "allowed_cidrs",
    "untrusted_cidrs",
    "dynamic_dns_suffixes",
    "lookalike_brands",
    "high_risk_extensions",
    "archive_extensions",
    "partial_suffixes",
    "lolbins",
    "link_sources",
    "quarantine_policy",
];

/// The keys `[os]` accepts.
pub(super) fn os_keys(os: Os) -> &'static [&'static str] {
    if os == Os::Macos {
        OS_KEYS
    } else {
        &OS_KEYS[..OS_KEYS.len() - 1]
    }
}
pub(super) const QUARANTINE_KEYS: &[&str] = &["enabled", "grace", "paths", "executable_extensions"];

const SECOND: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3_600);
const DAY: Duration = Duration::from_secs(86_400);
const MAX_TABLE: i64 = 1_000_000_000;

type Entries = [(Spanned<String>, Node)];

/// Parses and validates `text` (see [`Config::from_toml_str`]).
pub(super) fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let root: Node = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        origin: origin.to_owned(),
        location: e.span().map(|s| Location::from_offset(text, s.start)),
        message: syntax_message(e.message()),
    })?;
    let reader = Reader { origin, text };
    let mut config = Config::default();
    for (key, node) in reader.table("", None, &root)? {
        let at = reader.at(key);
        match key.get_ref().as_str() {
            "engine" => reader.engine(&mut config.engine, reader.table("engine", at, node)?)?,
            "rules" => {
                for (key, node) in reader.table("rules", at, node)? {
                    match key.get_ref().as_str() {
                        "enabled" => {
                            config.rules.enabled =
                                reader.list("rules.enabled", reader.at(key), node, super::rules::rule_id)?
                        }
                        "explain" => match node {
                            Node::Bool(b) => config.rules.explain = *b,
                            _ => {
                                return Err(reader.invalid(
                                    "rules.explain",
                                    reader.at(key),
                                    node,
                                    "expected true or false",
                                ))
                            }
                        },
                        _ => return Err(reader.unknown("rules", key, &["enabled", "explain"])),
                    }
                }
            }
            name => {
                let os = match name {
                    "windows" => Os::Windows,
                    "linux" => Os::Linux,
                    "macos" => Os::Macos,
                    _ => return Err(reader.unknown("", key, ROOT_KEYS)),
                };
                let entries = reader.table(name, at, node)?;
                reader.profile(os, config.profile_mut(os), entries)?;
            }
        }
    }
    Ok(config)
}

fn syntax_message(message: &str) -> String {
    if message.contains("toml_private_datetime") {
        "dates and times are not valid in clickchain configuration".to_owned()
    } else {
        message.trim().replace('\n', "; ")
    }
}

struct Reader<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Reader<'_> {
    fn at(&self, key: &Spanned<String>) -> Option<Location> {
        Some(Location::from_offset(self.text, key.span().start))
    }

    fn invalid(
        &self,
        key: &str,
        at: Option<Location>,
        value: &dyn fmt::Display,
        reason: impl Into<String>,
    ) -> ConfigError {
        ConfigError::InvalidValue {
            origin: self.origin.to_owned(),
            key: key.to_owned(),
            value: value.to_string(),
            reason: reason.into(),
            location: at,
        }
    }

    fn unknown(&self, prefix: &str, key: &Spanned<String>, expected: &'static [&'static str]) -> ConfigError {
        let name = key.get_ref();
        ConfigError::UnknownKey {
            origin: self.origin.to_owned(),
            key: if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") },
            location: self.at(key),
            suggestion: closest(name, expected),
            expected,
        }
    }

    fn table<'n>(&self, path: &str, at: Option<Location>, node: &'n Node) -> Result<&'n Entries, ConfigError> {
        match node {
            Node::Table(entries) => Ok(entries),
            other => Err(self.invalid(path, at, other, "expected a table")),
        }
    }

    fn engine(&self, e: &mut EngineSettings, entries: &Entries) -> Result<(), ConfigError> {
        for (key, node) in entries {
            let path = format!("engine.{}", key.get_ref());
            let at = self.at(key);
            let dur = |min, max| self.duration(&path, at, node, min, max);
            let count = || self.count(&path, at, node);
            match key.get_ref().as_str() {
                "allowed_lateness" => e.allowed_lateness = dur(Duration::ZERO, HOUR)?,
                "batch" => e.batch = dur(Duration::from_millis(1), HOUR)?,
                "max_future_skew" => e.max_future_skew = dur(SECOND, 30 * DAY)?,
                "dns_ttl" => e.dns_ttl = dur(SECOND, 7 * DAY)?,
                "dns_grace" => e.dns_grace = dur(Duration::ZERO, HOUR)?,
                "nod_warmup" => e.nod_warmup = dur(Duration::ZERO, 365 * DAY)?,
                "nod_window" => e.nod_window = dur(Duration::ZERO, 365 * DAY)?,
                "max_hosts" => e.max_hosts = count()?,
                "max_processes_per_host" => e.max_processes_per_host = count()?,
                "max_egress_per_host" => e.max_egress_per_host = count()?,
                "max_pending_per_host" => e.max_pending_per_host = count()?,
                "nod_capacity" => e.nod_capacity = count()?,
                "max_dns_per_host" => e.max_dns_per_host = count()?,
                "max_reorder" => e.max_reorder = count()?,
                "checkpoint_interval" => e.checkpoint_interval = dur(SECOND, DAY)?,
                "default_os" => {
                    let s = self.string(&path, at, node)?;
                    e.default_os = Some(s.parse().map_err(|e: String| self.invalid(&path, at, node, e))?);
                }
                _ => return Err(self.unknown("engine", key, ENGINE_KEYS)),
            }
        }
        Ok(())
    }

    fn profile(&self, os: Os, p: &mut OsProfile, entries: &Entries) -> Result<(), ConfigError> {
        let (mut window_at, mut gap_at) = (None, None);
        for (key, node) in entries {
            let path = format!("{os}.{}", key.get_ref());
            let at = self.at(key);
            let list = |f: fn(&str) -> Result<String, String>| self.list(&path, at, node, f);
            let paths = || self.list(&path, at, node, |s| check::pattern(os, s));
            match key.get_ref().as_str() {
                "time_window" => {
                    p.time_window = self.duration(&path, at, node, SECOND, DAY)?;
                    window_at = at;
                }
                "download_gap" => {
                    p.download_gap = self.duration(&path, at, node, SECOND, DAY)?;
                    gap_at = at;
                }
                "min_strength" => {
                    let s = self.string(&path, at, node)?;
                    p.min_strength =
                        s.trim().to_ascii_lowercase().parse().map_err(|e: String| self.invalid(&path, at, node, e))?;
                }
                "domain_risk_score" => match node {
                    Node::Int(i @ 0..=100) => p.domain_risk_score = *i as u8,
                    _ => return Err(self.invalid(&path, at, node, "expected an integer from 0 to 100")),
                },
                "browser_parents" => {
                    p.browser_parents = list(check::process_name)?;
                    if p.browser_parents.is_empty() {
                        return Err(self.invalid(&path, at, node, "needs at least one link-source process"));
                    }
                }
                "user_paths" => p.user_paths = paths()?,
                "excluded_paths" => p.excluded_paths = paths()?,
                "download_dirs" => p.download_dirs = list(check::folder_name)?,
                "suspicious_tlds" | "allowed_cdns" | "dynamic_dns_suffixes" => {
                    let v = list(check::domain_suffix)?;
                    match key.get_ref().as_str() {
                        "suspicious_tlds" => p.suspicious_tlds = v,
                        "allowed_cdns" => p.allowed_cdns = v,
                        _ => p.dynamic_dns_suffixes = v,
                    }
                }
                "allowed_cidrs" => p.allowed_cidrs = list(check::cidr)?,
                "untrusted_cidrs" => p.untrusted_cidrs = list(check::cidr)?,
                "lookalike_brands" => p.lookalike_brands = list(check::domain_suffix)?,
                "high_risk_extensions" => p.high_risk_extensions = list(check::extension)?,
                "archive_extensions" => p.archive_extensions = list(check::extension)?,
                "partial_suffixes" => p.partial_suffixes = list(check::partial_suffix)?,
                "lolbins" => p.lolbins = list(check::process_name)?,
                "link_sources" => {
                    for (class, node) in self.table(&path, at, node)? {
                        let (path, at) = (format!("{path}.{}", class.get_ref()), self.at(class));
                        let names = self.list(&path, at, node, check::process_name)?;
                        match class.get_ref().as_str() {
                            "browser" => p.browser_parents = names,
                            "mail" => p.link_sources.mail = names,
                            "office" => p.link_sources.office = names,
                            "chat" => p.link_sources.chat = names,
                            _ => {
                                return Err(self.unknown(
                                    &format!("{os}.link_sources"),
                                    class,
                                    super::rules::LINK_SOURCE_KEYS,
                                ))
                            }
                        }
                    }
                }
                "quarantine_policy" if os == Os::Macos => {
                    let entries = self.table(&path, at, node)?;
                    let policy = p.quarantine_policy.get_or_insert_with(QuarantinePolicy::macos_default);
                    self.quarantine(policy, entries)?;
                }
                _ => {
                    let expected = os_keys(os);
                    return Err(self.unknown(os.as_str(), key, expected));
                }
            }
        }
        if p.download_gap > p.time_window {
            let (path, at) = match gap_at {
                Some(at) => (format!("{os}.download_gap"), Some(at)),
                None => (format!("{os}.time_window"), window_at),
            };
            let value = format!("{:?}", humantime::format_duration(p.download_gap).to_string());
            let window = humantime::format_duration(p.time_window);
            return Err(self.invalid(
                &path,
                at,
                &value,
                format!("download_gap must not exceed time_window ({window})"),
            ));
        }
        Ok(())
    }

    fn quarantine(&self, q: &mut QuarantinePolicy, entries: &Entries) -> Result<(), ConfigError> {
        for (key, node) in entries {
            let path = format!("macos.quarantine_policy.{}", key.get_ref());
            let at = self.at(key);
            match key.get_ref().as_str() {
                "enabled" => match node {
                    Node::Bool(b) => q.enabled = *b,
                    _ => return Err(self.invalid(&path, at, node, "expected true or false")),
                },
                "grace" => q.grace = self.duration(&path, at, node, SECOND, HOUR)?,
                "paths" => q.paths = self.list(&path, at, node, |s| check::pattern(Os::Macos, s))?,
                "executable_extensions" => q.executable_extensions = self.list(&path, at, node, check::extension)?,
                _ => return Err(self.unknown("macos.quarantine_policy", key, QUARANTINE_KEYS)),
            }
        }
        Ok(())
    }

    fn string<'n>(&self, path: &str, at: Option<Location>, node: &'n Node) -> Result<&'n str, ConfigError> {
        match node {
            Node::Str(s) => Ok(s),
            other => Err(self.invalid(path, at, other, "expected a string")),
        }
    }

    fn duration(
        &self,
        path: &str,
        at: Option<Location>,
        node: &Node,
        min: Duration,
        max: Duration,
    ) -> Result<Duration, ConfigError> {
        let Node::Str(text) = node else {
            return Err(self.invalid(path, at, node, "expected a duration string such as \"15m\" or \"1h 30m\""));
        };
        let d = humantime::parse_duration(text.trim()).map_err(|e| {
            self.invalid(path, at, node, format!("not a duration ({e}); write e.g. \"15m\", \"30s\", \"1h 30m\""))
        })?;
        if d < min || d > max {
            let (lo, hi) = (humantime::format_duration(min), humantime::format_duration(max));
            return Err(self.invalid(path, at, node, format!("must be between {lo} and {hi}")));
        }
        Ok(d)
    }

    fn count(&self, path: &str, at: Option<Location>, node: &Node) -> Result<usize, ConfigError> {
        match node {
            Node::Int(i @ 1..=MAX_TABLE) => {
                usize::try_from(*i).map_err(|e| self.invalid(path, at, node, e.to_string()))
            }
            _ => Err(self.invalid(path, at, node, format!("expected an integer from 1 to {MAX_TABLE}"))),
        }
    }

    /// A list of strings, each normalised by `f`; duplicates (after normalising) are dropped.
    fn list(
        &self,
        path: &str,
        at: Option<Location>,
        node: &Node,
        f: impl Fn(&str) -> Result<String, String>,
    ) -> Result<Vec<String>, ConfigError> {
        let Node::Array(items) = node else {
            return Err(self.invalid(path, at, node, "expected a list of strings"));
        };
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let Node::Str(s) = item else {
                return Err(self.invalid(&item_path, at, item, "expected a string"));
            };
            let value = f(s).map_err(|reason| self.invalid(&item_path, at, item, reason))?;
            if !out.contains(&value) {
                out.push(value);
            }
        }
        Ok(out)
    }
}
