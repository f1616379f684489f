//! Alerts against ground truth: recall over the injected chains, precision over the alerts,
//! and a breakdown of the unexpected alerts by what they fired on.
//!
//! An alert matches a chain when it names the chain's host and final file path. Every other
//! alert is unexpected, and is described by the kind of file it fired on (a labelled benign
//! download, or an unlabelled write), whose egress it linked to (an injected chain's domain,
//! or another untrusted domain: a risky visit) and its strength or finding.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::DateTime;
use serde_json::Value;

use crate::synth::{Chain, Decoy};

/// The parts of an alert record that scoring needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Host.
    pub host: String,
    /// Final path of the written file.
    pub path: String,
    /// Image of the link root (first of the alert's lineage).
    pub root_image: Option<String>,
    /// `chain` or `quarantine_missing`.
    pub finding: String,
    /// `strong`, `medium` or `weak`, when there is a chain.
    pub strength: Option<String>,
    /// Registrable domain (else name) of the egress.
    pub egress_domain: Option<String>,
    /// Event time (ms) of the egress.
    pub egress_ms: Option<i64>,
    /// Event time (ms) of the write.
    pub write_ms: i64,
}

fn ms(v: &Value) -> Option<i64> {
    DateTime::parse_from_rfc3339(v.as_str()?).ok().map(|t| t.timestamp_millis())
}

impl Observed {
    /// Reads an output record (as JSON); `None` for anything but an alert.
    pub fn from_record(v: &Value) -> Option<Observed> {
        if v["type"] != "alert" {
            return None;
        }
        let s = |v: &Value| v.as_str().map(str::to_owned);
        let egress = &v["egress"];
        Some(Observed {
            host: s(&v["host"])?,
            path: s(&v["write"]["path"])?,
            root_image: v["lineage"].get(0).and_then(s),
            finding: s(&v["finding"]).unwrap_or_default(),
            strength: s(&v["strength"]),
            egress_domain: s(&egress["registrable_domain"]).or_else(|| s(&egress["domain"])),
            egress_ms: ms(&egress["time"]),
            write_ms: ms(&v["write"]["time"])?,
        })
    }
}

/// The outcome of [`score`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    /// Injected chains.
    pub injected: usize,
    /// Injected chains with at least one matching alert.
    pub found: usize,
    /// Indices of the chains without a matching alert.
    pub missed: Vec<usize>,
    /// Alerts.
    pub alerts: usize,
    /// Alerts that match an injected chain.
    pub matching: usize,
    /// Matching alerts whose link root image differs from the chain's.
    pub wrong_root: usize,
    /// Unexpected alerts by category (see the module docs).
    pub unexpected: BTreeMap<String, usize>,
    /// A few unexpected alerts, one line each.
    pub examples: Vec<String>,
}

impl Score {
    /// found / injected (1 when nothing was injected).
    pub fn recall(&self) -> f64 {
        if self.injected == 0 {
            1.0
        } else {
            self.found as f64 / self.injected as f64
        }
    }

    /// matching / alerts (1 when there are no alerts).
    pub fn precision(&self) -> f64 {
        if self.alerts == 0 {
            1.0
        } else {
            self.matching as f64 / self.alerts as f64
        }
    }
}

/// How many unexpected alerts are described in [`Score::examples`].
const EXAMPLES: usize = 8;

/// Scores `alerts` against the injected `chains`, describing unexpected ones with `decoys`.
pub fn score(chains: &[Chain], decoys: &[Decoy], alerts: &[Observed]) -> Score {
    let by_file: HashMap<(&str, &str), usize> =
        chains.iter().enumerate().map(|(i, c)| ((c.host.as_str(), c.final_path.as_str()), i)).collect();
    let decoy_kind: HashMap<(&str, &str), &str> =
        decoys.iter().map(|d| ((d.host.as_str(), d.path.as_str()), d.kind.as_str())).collect();
    let chain_domains: HashSet<(&str, &str)> = chains.iter().map(|c| (c.host.as_str(), c.domain.as_str())).collect();
    let mut s = Score { injected: chains.len(), alerts: alerts.len(), ..Score::default() };
    let mut hit = vec![false; chains.len()];
    for a in alerts {
        if let Some(&i) = by_file.get(&(a.host.as_str(), a.path.as_str())) {
            s.matching += 1;
            hit[i] = true;
            if a.root_image.as_deref() != Some(chains[i].root_image.as_str()) {
                s.wrong_root += 1;
            }
            continue;
        }
        let kind = decoy_kind.get(&(a.host.as_str(), a.path.as_str())).copied().unwrap_or("unlabelled write");
        let egress = match a.egress_domain.as_deref() {
            None => "no egress",
            Some(d) if chain_domains.contains(&(a.host.as_str(), d)) => "an injected chain's egress",
            Some(_) => "other untrusted egress (risky visit)",
        };
        let how = a.strength.as_deref().filter(|_| a.finding == "chain").unwrap_or(&a.finding);
        *s.unexpected.entry(format!("{kind} linked to {egress}, {how}")).or_default() += 1;
        if s.examples.len() < EXAMPLES {
            let gap = a.egress_ms.map_or("-".to_owned(), |e| format!("{:.1}", (a.write_ms - e) as f64 / 1000.0));
            s.examples.push(format!(
                "{} {} <- {} ({how}, egress {gap} s before the write)",
                a.host,
                a.path,
                a.egress_domain.as_deref().unwrap_or("-")
            ));
        }
    }
    s.missed = hit.iter().enumerate().filter(|(_, &h)| !h).map(|(i, _)| i).collect();
    s.found = s.injected - s.missed.len();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{generate, DecoyKind, Params};

    #[test]
    fn matches_by_host_and_path() {
        let stream = generate(&Params { hosts: 3, events: 3_000, chains_per_million: 1_000.0, ..Params::default() });
        let c = &stream.chains[0];
        let alert = |host: &str, path: &str, domain: &str| Observed {
            host: host.to_owned(),
            path: path.to_owned(),
            root_image: Some(c.root_image.clone()),
            finding: "chain".to_owned(),
            strength: Some("medium".to_owned()),
            egress_domain: Some(domain.to_owned()),
            egress_ms: Some(0),
            write_ms: 1_000,
        };
        let decoy = Decoy { host: c.host.clone(), path: "/d/x.zip".into(), kind: DecoyKind::CdnDownload, time_ms: 0 };
        let alerts = [alert(&c.host, &c.final_path, &c.domain), alert(&c.host, "/d/x.zip", &c.domain)];
        let s = score(&stream.chains, &[decoy], &alerts);
        assert_eq!((s.injected, s.found, s.alerts, s.matching, s.wrong_root), (3, 1, 2, 1, 0));
        assert_eq!(s.unexpected.get("cdn_download linked to an injected chain's egress, medium"), Some(&1));
        assert!((s.precision() - 0.5).abs() < 1e-9);
        assert_eq!(s.missed, vec![1, 2]);
    }
}
