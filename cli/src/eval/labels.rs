//! Ground truth as `clickchain synth` writes it (`labels.json`): the injected chains and the
//! labelled benign downloads, read back for scoring.

use std::path::Path;

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// An injected chain: the file its alert must name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LabelChain {
    pub id: String,
    pub analytic: String,
    pub host: String,
    pub final_path: String,
    pub egress_domain: String,
    /// Input forms (`native`, `sysmon`, `ecs`) in which the chain can be detected.
    #[serde(default)]
    pub expected_in: Vec<String>,
    /// The rules that must alert on it (empty in label files older than rule variants).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Per input form, the rules that must alert on it there (a form may lose a variant's evidence).
    #[serde(default)]
    pub rules_in: BTreeMap<String, Vec<String>>,
    /// `process` when `final_path` is the image of the anchor process (started at `write_time`).
    #[serde(default)]
    pub anchor: Option<String>,
    #[serde(default)]
    pub write_time: Option<DateTime<Utc>>,
}

impl LabelChain {
    /// Whether `rule` must alert on the chain in any of `forms` (its `rules_in` for those
    /// forms, else its `rules`).
    pub fn lists(&self, rule: &str, forms: &[&str]) -> bool {
        let in_forms = forms.iter().filter_map(|f| self.rules_in.get(*f)).collect::<Vec<_>>();
        match in_forms.is_empty() {
            true => self.rules.iter().any(|r| r == rule),
            false => in_forms.iter().any(|rules| rules.iter().any(|r| r == rule)),
        }
    }

    /// The time an alert on a process-anchored chain must carry, if it is one.
    pub fn anchor_time(&self) -> Option<DateTime<Utc>> {
        (self.anchor.as_deref() == Some("process")).then_some(self.write_time).flatten()
    }
}

/// A benign download that a rule should not alert on.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Decoy {
    pub host: String,
    pub path: String,
    pub category: String,
    /// The variant rule this benign look-alike must not fire (`near_miss` decoys).
    #[serde(default)]
    pub near_miss_of: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Host {
    pub name: String,
}

/// A `labels.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Labels {
    pub hosts: Vec<Host>,
    pub chains: Vec<LabelChain>,
    #[serde(default)]
    pub decoys: Vec<Decoy>,
}

impl Labels {
    pub fn load(path: &Path) -> anyhow::Result<Labels> {
        let text = std::fs::read_to_string(path).with_context(|| format!("labels {}", path.display()))?;
        let labels: Labels = serde_json::from_str(&text)
            .with_context(|| format!("labels {}: not a labels file as `clickchain synth` writes it", path.display()))?;
        if labels.hosts.is_empty() {
            bail!("labels {}: no hosts", path.display());
        }
        Ok(labels)
    }

    /// The chains detectable in any of `forms` (all chains when no form is known).
    pub fn expected(&self, forms: &[&str]) -> Vec<&LabelChain> {
        self.chains
            .iter()
            .filter(|c| {
                forms.is_empty()
                    || c.expected_in.is_empty()
                    || forms.iter().any(|f| c.expected_in.iter().any(|e| e == f))
            })
            .collect()
    }

    /// The decoy at `host` and `path`, a near miss of `rule` first.
    pub fn decoy_of(&self, host: &str, path: &str, rule: &str) -> Option<&Decoy> {
        let at = || self.decoys.iter().filter(|d| d.host == host && d.path == path);
        at().find(|d| d.near_miss_of.as_deref() == Some(rule)).or_else(|| at().next())
    }

    /// Whether the chains name the rules that must alert on them (labels of rule variants);
    /// if not, every rule is measured over every chain.
    pub fn name_rules(&self) -> bool {
        self.chains.iter().any(|c| !c.rules.is_empty())
    }

    /// The rule ids the chains name, each with its number of chains.
    pub fn rule_counts(&self) -> BTreeMap<&str, usize> {
        let mut out = BTreeMap::new();
        for r in self.chains.iter().flat_map(|c| &c.rules) {
            *out.entry(r.as_str()).or_default() += 1;
        }
        out
    }
}
