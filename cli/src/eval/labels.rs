//! Ground truth as `clickchain synth` writes it (`labels.json`): the injected chains and the
//! labelled benign downloads, read back for scoring.

use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

/// An injected chain: the file its alert must name.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelChain {
    pub id: String,
    pub analytic: String,
    pub host: String,
    pub final_path: String,
    pub egress_domain: String,
    /// Input forms (`native`, `sysmon`, `ecs`) in which the chain can be detected.
    #[serde(default)]
    pub expected_in: Vec<String>,
}

/// A benign download that a rule should not alert on.
#[derive(Debug, Clone, Deserialize)]
pub struct Decoy {
    pub host: String,
    pub path: String,
    pub category: String,
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

    pub fn decoy(&self, host: &str, path: &str) -> Option<&Decoy> {
        self.decoys.iter().find(|d| d.host == host && d.path == path)
    }
}
