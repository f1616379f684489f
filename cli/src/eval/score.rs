//! Alerts scored against labels, per rule and per analytic: an alert is true when it names an
//! injected chain's host and final path, false otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::labels::{LabelChain, Labels};

/// What scoring needs of an alert.
#[derive(Debug, Clone)]
pub struct Fired {
    pub rule: String,
    pub analytic: String,
    pub host: String,
    pub path: String,
    pub domain: Option<String>,
}

/// One row of the table: a rule, an analytic, or a whole set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    pub alerts: usize,
    pub true_alerts: usize,
    pub false_alerts: usize,
    /// Labelled chains this row is measured against.
    pub chains: usize,
    pub chains_found: usize,
    pub recall: f64,
    pub precision: f64,
    pub f1: f64,
    /// Ids of the chains found.
    #[serde(skip)]
    pub found: BTreeSet<String>,
}

impl Row {
    fn finish(&mut self, chains: usize) {
        self.chains = chains;
        self.chains_found = self.found.len();
        self.recall = ratio(self.chains_found, chains);
        self.precision = ratio(self.true_alerts, self.alerts);
        let (p, r) = (self.precision, self.recall);
        self.f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
    }
}

/// `n / d`, 1 when there is nothing to count.
fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        1.0
    } else {
        n as f64 / d as f64
    }
}

/// A false alert, described.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct FalseAlert {
    pub rule: String,
    pub host: String,
    pub path: String,
    /// The decoy's category, or `unlabelled write`.
    pub category: String,
    pub domain: Option<String>,
}

/// A chain no alert named.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Miss {
    pub id: String,
    pub analytic: String,
    pub host: String,
    pub path: String,
    pub domain: String,
}

/// The score of one rule set over one stream.
#[derive(Debug, Clone, Serialize)]
pub struct SetScore {
    pub rules: Vec<String>,
    pub total: Row,
    pub by_rule: BTreeMap<String, Row>,
    pub by_analytic: BTreeMap<String, Row>,
    pub misses: Vec<Miss>,
    pub false_alerts: Vec<FalseAlert>,
}

pub fn score(rules: Vec<String>, labels: &Labels, expected: &[&LabelChain], fired: &[Fired]) -> SetScore {
    let by_file: HashMap<(&str, &str), &LabelChain> =
        expected.iter().map(|c| ((c.host.as_str(), c.final_path.as_str()), *c)).collect();
    let mut total = Row::default();
    let mut by_rule: BTreeMap<String, Row> = BTreeMap::new();
    let mut by_analytic: BTreeMap<String, Row> = BTreeMap::new();
    let mut false_alerts = BTreeSet::new();
    for f in fired {
        let chain = by_file.get(&(f.host.as_str(), f.path.as_str()));
        for row in
            [&mut total, by_rule.entry(f.rule.clone()).or_default(), by_analytic.entry(f.analytic.clone()).or_default()]
        {
            row.alerts += 1;
            match chain {
                Some(c) => {
                    row.true_alerts += 1;
                    row.found.insert(c.id.clone());
                }
                None => row.false_alerts += 1,
            }
        }
        if chain.is_none() {
            let category = labels.decoy(&f.host, &f.path).map_or("unlabelled write", |d| d.category.as_str());
            false_alerts.insert(FalseAlert {
                rule: f.rule.clone(),
                host: f.host.clone(),
                path: f.path.clone(),
                category: category.to_owned(),
                domain: f.domain.clone(),
            });
        }
    }
    total.finish(expected.len());
    for row in by_rule.values_mut() {
        row.finish(expected.len());
    }
    for (analytic, row) in &mut by_analytic {
        row.finish(expected.iter().filter(|c| &c.analytic == analytic).count());
    }
    // Analytics with chains but no alert at all.
    for c in expected {
        by_analytic.entry(c.analytic.clone()).or_insert_with(|| {
            let mut row = Row::default();
            row.finish(expected.iter().filter(|e| e.analytic == c.analytic).count());
            row
        });
    }
    let misses = expected
        .iter()
        .filter(|c| !total.found.contains(&c.id))
        .map(|c| Miss {
            id: c.id.clone(),
            analytic: c.analytic.clone(),
            host: c.host.clone(),
            path: c.final_path.clone(),
            domain: c.egress_domain.clone(),
        })
        .collect();
    SetScore { rules, total, by_rule, by_analytic, misses, false_alerts: false_alerts.into_iter().collect() }
}

/// What one set catches that the other misses, both ways, and the false alerts only one has.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub only_first: Vec<String>,
    pub only_second: Vec<String>,
    pub false_only_first: Vec<FalseAlert>,
    pub false_only_second: Vec<FalseAlert>,
}

pub fn compare(a: &SetScore, b: &SetScore) -> Comparison {
    let files = |s: &SetScore| -> BTreeSet<(String, String)> {
        s.false_alerts.iter().map(|f| (f.host.clone(), f.path.clone())).collect()
    };
    let (fa, fb) = (files(a), files(b));
    let only = |s: &SetScore, other: &BTreeSet<(String, String)>| -> Vec<FalseAlert> {
        let mut v: Vec<FalseAlert> =
            s.false_alerts.iter().filter(|f| !other.contains(&(f.host.clone(), f.path.clone()))).cloned().collect();
        v.dedup_by(|x, y| x.host == y.host && x.path == y.path);
        v
    };
    Comparison {
        only_first: a.total.found.difference(&b.total.found).cloned().collect(),
        only_second: b.total.found.difference(&a.total.found).cloned().collect(),
        false_only_first: only(a, &fb),
        false_only_second: only(b, &fa),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::labels::{Decoy, Host};

    fn chain(id: &str, analytic: &str, path: &str) -> LabelChain {
        LabelChain {
            id: id.into(),
            analytic: analytic.into(),
            host: "h1".into(),
            final_path: path.into(),
            egress_domain: "evil.top".into(),
            expected_in: vec![],
        }
    }

    fn fired(rule: &str, path: &str) -> Fired {
        Fired { rule: rule.into(), analytic: "AN0178".into(), host: "h1".into(), path: path.into(), domain: None }
    }

    #[test]
    fn counts_true_and_false_alerts_per_rule_and_analytic() {
        let labels = Labels {
            hosts: vec![Host { name: "h1".into() }],
            chains: vec![chain("c1", "AN0178", "/a"), chain("c2", "AN0178", "/b"), chain("c3", "AN0179", "/c")],
            decoys: vec![Decoy { host: "h1".into(), path: "/d".into(), category: "cdn_download".into() }],
        };
        let expected = labels.expected(&[]);
        let alerts = [fired("chain", "/a"), fired("chain", "/a"), fired("chain", "/d"), fired("two_domains", "/b")];
        let s = score(vec!["chain".into(), "two_domains".into()], &labels, &expected, &alerts);
        assert_eq!((s.total.alerts, s.total.true_alerts, s.total.chains_found, s.total.chains), (4, 3, 2, 3));
        let chain_row = &s.by_rule["chain"];
        assert_eq!((chain_row.alerts, chain_row.false_alerts, chain_row.chains_found), (3, 1, 1));
        assert!((chain_row.precision - 2.0 / 3.0).abs() < 1e-9 && (chain_row.recall - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.by_analytic["AN0178"].chains, 2);
        assert_eq!(s.by_analytic["AN0179"].chains_found, 0, "an analytic with chains and no alert has a row");
        assert_eq!(s.misses.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["c3"]);
        assert_eq!(s.false_alerts[0].category, "cdn_download");

        let other = score(vec!["chain".into()], &labels, &expected, &[fired("chain", "/c"), fired("chain", "/e")]);
        let c = compare(&s, &other);
        assert_eq!((c.only_first.clone(), c.only_second.clone()), (vec!["c1".into(), "c2".into()], vec!["c3".into()]));
        assert_eq!(c.false_only_first.len(), 1);
        assert_eq!(c.false_only_second[0].path, "/e");
    }
}
