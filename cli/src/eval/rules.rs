//! Rule selection for a scored run, and the rule an alert names.

use clickchain::alert::Alert;
use clickchain::config::Config;

/// `config` running `rules` (none: as configured); an unknown id is an error naming the
/// closest registered one.
pub fn with_rules(config: &Config, rules: &[String]) -> anyhow::Result<Config> {
    let mut config = config.clone();
    if !rules.is_empty() {
        crate::rules::check(rules)?;
        crate::rules::apply(&mut config, Some(rules));
    }
    Ok(config)
}

/// The rules of the set, for the report.
pub fn rule_names(config: &Config) -> Vec<String> {
    config.rules.enabled.clone()
}

/// The rule that raised `alert` (a quarantine finding is its rule's too).
pub fn rule_of(alert: &Alert) -> String {
    alert.rule.clone()
}
