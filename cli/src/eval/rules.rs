//! Rule selection for a scored run, and the rule an alert names.

use anyhow::bail;
use clickchain::alert::Alert;
use clickchain::config::Config;

/// `config` running `rules` (none: as configured).
pub fn with_rules(config: &Config, rules: &[String]) -> anyhow::Result<Config> {
    if !rules.is_empty() {
        bail!("rule selection is not available in this build: {}", rules.join(","));
    }
    Ok(config.clone())
}

/// The names of the set, for the report.
pub fn rule_names(_config: &Config, rules: &[String]) -> Vec<String> {
    match rules.is_empty() {
        true => vec!["default".to_owned()],
        false => rules.to_vec(),
    }
}

/// The rule that raised `alert`.
pub fn rule_of(alert: &Alert) -> String {
    alert.finding.as_str().to_owned()
}
