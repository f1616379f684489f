//! `[rules]` (which registered rules run) and each OS's `link_sources` classes
//! (`docs/config.md`, `docs/rules.md`).

use clickchain_adapters::Os;
use clickchain_logic::rules;

/// `[rules]`: the rules that run, by id (`clickchain rules` lists them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSettings {
    /// Ids of the enabled rules, in order; default: every stable rule.
    pub enabled: Vec<String>,
    /// Alerts carry a `derivation` (`docs/alerts.md`); off by default (built only when on).
    pub explain: bool,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings { enabled: rules::stable_ids().map(str::to_owned).collect(), explain: false }
    }
}

/// Why a rule id is not registered, naming the closest one.
pub fn unknown_rule(id: &str) -> String {
    match rules::closest(id) {
        Some(near) => format!("unknown rule `{id}` (did you mean `{near}`? `clickchain rules` lists them)"),
        None => format!("unknown rule `{id}` (no rules are registered)"),
    }
}

/// Checks one rule id (a config list member or a `--rules` item).
pub(super) fn rule_id(id: &str) -> Result<String, String> {
    let id = id.trim();
    match rules::rule(id) {
        Some(_) => Ok(id.to_owned()),
        None => Err(unknown_rule(id)),
    }
}

/// The link-source classes of an OS beyond `browser` (which is `browser_parents`): lowercase
/// executable basenames. Every name in any class is a link source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkSources {
    /// Mail clients.
    pub mail: Vec<String>,
    /// Office suites.
    pub office: Vec<String>,
    /// Chat clients.
    pub chat: Vec<String>,
}

/// Keys of `[<os>.link_sources]`.
pub(super) const LINK_SOURCE_KEYS: &[&str] = &["browser", "mail", "office", "chat"];

#[rustfmt::skip]
const WINDOWS: (&[&str], &[&str], &[&str]) = (
    &["outlook.exe", "thunderbird.exe", "olk.exe", "hxoutlook.exe"],
    &["winword.exe", "excel.exe", "powerpnt.exe", "onenote.exe"],
    &["teams.exe", "ms-teams.exe", "slack.exe"],
);
#[rustfmt::skip]
const LINUX: (&[&str], &[&str], &[&str]) = (
    &["thunderbird", "evolution", "geary"],
    &["soffice.bin", "libreoffice"],
    &["slack", "teams"],
);
#[rustfmt::skip]
const MACOS: (&[&str], &[&str], &[&str]) = (
    &["mail", "microsoft outlook", "thunderbird"],
    &["microsoft word", "microsoft excel", "microsoft powerpoint"],
    &["slack", "microsoft teams", "msteams"],
);

impl LinkSources {
    /// The default classes of `os` (each name is also in the default `browser_parents`, which
    /// keeps them link sources in configs that predate the classes).
    pub fn default_for(os: Os) -> LinkSources {
        let (mail, office, chat) = match os {
            Os::Windows => WINDOWS,
            Os::Linux => LINUX,
            Os::Macos => MACOS,
        };
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        LinkSources { mail: owned(mail), office: owned(office), chat: owned(chat) }
    }

    /// Every class name: `browser_parents` and these, deduplicated.
    pub fn all_with(&self, browser_parents: &[String]) -> Vec<String> {
        let mut all: Vec<String> =
            browser_parents.iter().chain(&self.mail).chain(&self.office).chain(&self.chat).cloned().collect();
        all.sort();
        all.dedup();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn default_classes_are_link_sources() {
        for os in [Os::Windows, Os::Linux, Os::Macos] {
            let c = Config::default();
            let p = c.profile(os);
            let all = p.link_sources.all_with(&p.browser_parents);
            assert_eq!(
                all.len(),
                {
                    let mut b = p.browser_parents.clone();
                    b.sort();
                    b.dedup();
                    b.len()
                },
                "{os}"
            );
        }
    }

    #[test]
    fn rules_section_and_unknown_ids() {
        let c = Config::from_toml_str("[rules]\nenabled = [\"chain\", \"redirect-chain\"]\n", "t.toml").unwrap();
        assert_eq!(c.rules.enabled, ["chain", "redirect-chain"]);
        assert_eq!(Config::default().rules.enabled, ["chain"]);
        let e = Config::from_toml_str("[rules]\nenabled = [\"redirect-chian\"]\n", "t.toml").unwrap_err().to_string();
        assert!(
            e.contains("t.toml") && e.contains("rules.enabled[0]") && e.contains("did you mean `redirect-chain`"),
            "{e}"
        );
    }

    #[test]
    fn engine_refuses_an_unregistered_rule_built_in_code() {
        let mut c = Config::default();
        c.rules.enabled = vec!["chian".to_owned()];
        let e = crate::Engine::new(c).err().expect("an unknown rule is an error").to_string();
        assert!(e.contains("`chian`") && e.contains("did you mean `chain`"), "{e}");
    }

    #[test]
    fn link_sources_table_and_legacy_browser_parents() {
        let c = Config::from_toml_str(
            "[windows]\nbrowser_parents = [\"chrome.exe\"]\n[windows.link_sources]\nmail = [\"mailbird.exe\"]\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.windows.browser_parents, ["chrome.exe"]);
        assert_eq!(c.windows.link_sources.mail, ["mailbird.exe"]);
        let c = Config::from_toml_str("[linux.link_sources]\nbrowser = [\"firefox\"]\n", "t.toml").unwrap();
        assert_eq!(c.linux.browser_parents, ["firefox"]);
    }
}
