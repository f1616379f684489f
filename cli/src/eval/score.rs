//! Alerts scored against labels, per rule and per analytic: an alert is true when it names an
//! injected chain's host and final path, false otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
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
    /// The time of the write (or anchor event) the alert names.
    pub time: DateTime<Utc>,
}

/// How far an alert's time may be from a process-anchored chain's anchor start.
const ANCHOR_SLACK_MS: i64 = 2_000;

/// One row of the table: a rule, an analytic, or a whole set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// Every alert: true, false and on other rules' chains.
    pub alerts: usize,
    pub true_alerts: usize,
    pub false_alerts: usize,
    /// Alerts on labelled chains whose label does not list the alert's rule: neither true nor
    /// false (another rule's chain that this rule also sees).
    pub other_chains: usize,
    /// Labelled chains this row is measured against.
    pub chains: usize,
    pub chains_found: usize,
    pub recall: f64,
    /// True alerts over true and false alerts.
    pub precision: f64,
    pub f1: f64,
    /// Ids of the chains found.
    #[serde(skip)]
    pub found: BTreeSet<String>,
}

impl Row {
    fn count(&mut self, verdict: &Verdict<'_>) {
        self.alerts += 1;
        match verdict {
            Verdict::True(c) => {
                self.true_alerts += 1;
                self.found.insert(c.id.clone());
            }
            Verdict::False(_) => self.false_alerts += 1,
            Verdict::OtherRule => self.other_chains += 1,
        }
    }

    fn finish(&mut self, chains: usize) {
        self.chains = chains;
        self.chains_found = self.found.len();
        self.recall = ratio(self.chains_found, chains);
        self.precision = ratio(self.true_alerts, self.true_alerts + self.false_alerts);
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
    /// The decoy's category (`near_miss` when it is a near miss of the alert's rule), or
    /// `unlabelled write`.
    pub category: String,
    pub domain: Option<String>,
}

/// A chain that a rule whose label lists it did not alert on.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Miss {
    pub id: String,
    pub analytic: String,
    pub host: String,
    pub path: String,
    pub domain: String,
    /// The rules of the set that should have alerted and did not (empty for labels that name
    /// no rules: no rule alerted).
    pub rules: Vec<String>,
}

/// The score of one rule set over one stream.
#[derive(Debug, Clone, Serialize)]
pub struct SetScore {
    pub rules: Vec<String>,
    /// What per-rule recall is measured over: `labelled` (the chains whose label lists the
    /// rule) or `all` (every chain: the labels name no rules).
    pub recall_over: &'static str,
    pub total: Row,
    pub by_rule: BTreeMap<String, Row>,
    pub by_analytic: BTreeMap<String, Row>,
    pub misses: Vec<Miss>,
    pub false_alerts: Vec<FalseAlert>,
    /// Rule ids the labels name that this build does not know, with their chains: not measured.
    pub unmeasured: BTreeMap<String, usize>,
}

/// How one alert counts for its rule.
enum Verdict<'a> {
    /// It names a chain whose label lists its rule (or any chain, for labels without rules).
    True(&'a LabelChain),
    /// It names no labelled chain, or a near miss of its rule: the decoy's category.
    False(String),
    /// It names a chain labelled for other rules only.
    OtherRule,
}

/// What the alerts of a set are scored against: the labelled chains expected in the input's
/// forms, and whether their labels name rules.
pub struct Truth<'a> {
    labels: &'a Labels,
    expected: &'a [&'a LabelChain],
    forms: &'a [&'a str],
    /// The labels name rules ([`Labels::name_rules`]).
    named: bool,
}

impl<'a> Truth<'a> {
    pub fn new(labels: &'a Labels, expected: &'a [&'a LabelChain], forms: &'a [&'a str]) -> Truth<'a> {
        Truth { labels, expected, forms, named: labels.name_rules() }
    }

    fn measured(&self, rule: &str, c: &LabelChain) -> bool {
        !self.named || c.lists(rule, self.forms)
    }

    /// The chain an alert names: same host and path, and for a process-anchored chain an alert
    /// time within [`ANCHOR_SLACK_MS`] of its anchor.
    fn chain_of(&self, by_file: &HashMap<(&str, &str), Vec<&'a LabelChain>>, f: &Fired) -> Option<&'a LabelChain> {
        let near =
            |c: &&LabelChain| c.anchor_time().is_none_or(|t| (t - f.time).num_milliseconds().abs() <= ANCHOR_SLACK_MS);
        by_file.get(&(f.host.as_str(), f.path.as_str()))?.iter().copied().find(|c| near(c))
    }

    fn verdict(&self, chain: Option<&'a LabelChain>, f: &Fired) -> Verdict<'a> {
        let decoy = self.labels.decoy_of(&f.host, &f.path, &f.rule);
        match (chain, decoy) {
            (Some(c), _) if self.measured(&f.rule, c) => Verdict::True(c),
            (_, Some(d)) if d.near_miss_of.as_deref() == Some(f.rule.as_str()) => Verdict::False(d.category.clone()),
            (Some(_), _) => Verdict::OtherRule,
            (None, d) => Verdict::False(d.map_or("unlabelled write", |d| d.category.as_str()).to_owned()),
        }
    }
}

pub fn score(rules: Vec<String>, truth: &Truth<'_>, fired: &[Fired], known: impl Fn(&str) -> bool) -> SetScore {
    let mut by_file: HashMap<(&str, &str), Vec<&LabelChain>> = HashMap::new();
    for c in truth.expected {
        by_file.entry((c.host.as_str(), c.final_path.as_str())).or_default().push(c);
    }
    let mut total = Row::default();
    let mut by_rule: BTreeMap<String, Row> = rules.iter().map(|r| (r.clone(), Row::default())).collect();
    let mut by_analytic: BTreeMap<String, Row> = BTreeMap::new();
    let mut false_alerts = BTreeSet::new();
    for f in fired {
        let verdict = truth.verdict(truth.chain_of(&by_file, f), f);
        for row in
            [&mut total, by_rule.entry(f.rule.clone()).or_default(), by_analytic.entry(f.analytic.clone()).or_default()]
        {
            row.count(&verdict);
        }
        if let Verdict::False(category) = verdict {
            false_alerts.insert(FalseAlert {
                rule: f.rule.clone(),
                host: f.host.clone(),
                path: f.path.clone(),
                category,
                domain: f.domain.clone(),
            });
        }
    }
    // Every row measures the chains its rules must find.
    let in_set = |c: &LabelChain| rules.iter().chain(by_rule.keys()).any(|r| truth.measured(r, c));
    let measured: Vec<&LabelChain> = truth.expected.iter().copied().filter(|c| in_set(c)).collect();
    total.finish(measured.len());
    for (rule, row) in by_rule.iter_mut() {
        row.finish(measured.iter().filter(|c| truth.measured(rule, c)).count());
    }
    for c in &measured {
        by_analytic.entry(c.analytic.clone()).or_default();
    }
    for (analytic, row) in &mut by_analytic {
        row.finish(measured.iter().filter(|c| &c.analytic == analytic).count());
    }
    let misses = measured
        .iter()
        .filter_map(|c| {
            let missed: Vec<String> = match truth.named {
                true => by_rule
                    .iter()
                    .filter(|(r, row)| c.lists(r, truth.forms) && !row.found.contains(&c.id))
                    .map(|(r, _)| r.clone())
                    .collect(),
                false => Vec::new(),
            };
            let missed_any = if truth.named { !missed.is_empty() } else { !total.found.contains(&c.id) };
            missed_any.then(|| Miss {
                id: c.id.clone(),
                analytic: c.analytic.clone(),
                host: c.host.clone(),
                path: c.final_path.clone(),
                domain: c.egress_domain.clone(),
                rules: missed,
            })
        })
        .collect();
    let unmeasured =
        truth.labels.rule_counts().into_iter().filter(|(r, _)| !known(r)).map(|(r, n)| (r.to_owned(), n)).collect();
    SetScore {
        rules,
        recall_over: if truth.named { "labelled" } else { "all" },
        total,
        by_rule,
        by_analytic,
        misses,
        false_alerts: false_alerts.into_iter().collect(),
        unmeasured,
    }
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
            ..LabelChain::default()
        }
    }

    fn fired(rule: &str, path: &str) -> Fired {
        Fired {
            rule: rule.into(),
            analytic: "AN0178".into(),
            host: "h1".into(),
            path: path.into(),
            domain: None,
            time: DateTime::from_timestamp(1_717_401_600, 0).unwrap(),
        }
    }

    fn scored(rules: &[&str], labels: &Labels, alerts: &[Fired]) -> SetScore {
        let expected = labels.expected(&[]);
        let truth = Truth::new(labels, &expected, &["native"]);
        score(rules.iter().map(|r| r.to_string()).collect(), &truth, alerts, |r| r != "not-built")
    }

    #[test]
    fn counts_true_and_false_alerts_per_rule_and_analytic() {
        let labels = Labels {
            hosts: vec![Host { name: "h1".into() }],
            chains: vec![chain("c1", "AN0178", "/a"), chain("c2", "AN0178", "/b"), chain("c3", "AN0179", "/c")],
            decoys: vec![Decoy {
                host: "h1".into(),
                path: "/d".into(),
                category: "cdn_download".into(),
                ..Decoy::default()
            }],
        };
        let alerts = [fired("chain", "/a"), fired("chain", "/a"), fired("chain", "/d"), fired("two_domains", "/b")];
        let s = scored(&["chain", "two_domains"], &labels, &alerts);
        assert_eq!(s.recall_over, "all");
        assert_eq!((s.total.alerts, s.total.true_alerts, s.total.chains_found, s.total.chains), (4, 3, 2, 3));
        let chain_row = &s.by_rule["chain"];
        assert_eq!((chain_row.alerts, chain_row.false_alerts, chain_row.chains_found), (3, 1, 1));
        assert!((chain_row.precision - 2.0 / 3.0).abs() < 1e-9 && (chain_row.recall - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.by_analytic["AN0178"].chains, 2);
        assert_eq!(s.by_analytic["AN0179"].chains_found, 0, "an analytic with chains and no alert has a row");
        assert_eq!(s.misses.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["c3"]);
        assert_eq!(s.false_alerts[0].category, "cdn_download");

        let other = scored(&["chain"], &labels, &[fired("chain", "/c"), fired("chain", "/e")]);
        let c = compare(&s, &other);
        assert_eq!((c.only_first.clone(), c.only_second.clone()), (vec!["c1".into(), "c2".into()], vec!["c3".into()]));
        assert_eq!(c.false_only_first.len(), 1);
        assert_eq!(c.false_only_second[0].path, "/e");
    }

    /// With rules in the labels, a rule is measured over its own chains: an alert on another
    /// rule's chain is neither true nor false, one on its near miss is false, and a rule the
    /// build does not know is reported unmeasured.
    #[test]
    fn per_rule_recall_over_the_chains_labelled_with_the_rule() {
        let with = |mut c: LabelChain, rules: &[&str]| {
            c.rules = rules.iter().map(|r| r.to_string()).collect();
            c
        };
        let labels = Labels {
            hosts: vec![Host { name: "h1".into() }],
            chains: vec![
                with(chain("c1", "AN0178", "/a"), &["chain"]),
                with(chain("c2", "AN0178", "/b"), &["chain", "variant"]),
                with(chain("c3", "AN0178", "/c"), &["variant"]),
                with(chain("c4", "AN0178", "/n"), &["chain"]),
                with(chain("c5", "AN0178", "/u"), &["not-built"]),
            ],
            decoys: vec![Decoy {
                host: "h1".into(),
                path: "/n".into(),
                category: "near_miss".into(),
                near_miss_of: Some("variant".into()),
            }],
        };
        let alerts = [
            fired("chain", "/a"),
            fired("chain", "/b"),
            fired("chain", "/n"),
            fired("variant", "/b"),
            fired("variant", "/a"),
            fired("variant", "/n"),
        ];
        let s = scored(&["chain", "variant"], &labels, &alerts);
        assert_eq!(s.recall_over, "labelled");
        let v = &s.by_rule["variant"];
        assert_eq!((v.chains, v.chains_found, v.true_alerts, v.false_alerts, v.other_chains), (2, 1, 1, 1, 1));
        assert!((v.precision - 0.5).abs() < 1e-9 && (v.recall - 0.5).abs() < 1e-9);
        let c = &s.by_rule["chain"];
        assert_eq!((c.chains, c.chains_found, c.false_alerts), (3, 3, 0));
        assert_eq!(s.false_alerts.iter().map(|f| f.category.as_str()).collect::<Vec<_>>(), ["near_miss"]);
        assert_eq!(s.misses.len(), 1);
        assert_eq!((s.misses[0].id.as_str(), s.misses[0].rules.as_slice()), ("c3", ["variant".to_owned()].as_slice()));
        assert_eq!(s.unmeasured.get("not-built"), Some(&1));
        assert_eq!(s.total.chains, 4, "the unmeasured rule's chain is in no row");
    }

    /// A process-anchored chain (no file) is found by an alert naming its image on its host
    /// within 2 s of its start; the same image at another time is its near miss.
    #[test]
    fn a_process_anchor_matches_by_image_and_time() {
        let start = DateTime::from_timestamp(1_717_401_600, 0).unwrap();
        let mut cradle = chain("c1", "AN0179", "/usr/bin/bash");
        (cradle.rules, cradle.anchor, cradle.write_time) = (vec!["cradle".into()], Some("process".into()), Some(start));
        let labels = Labels {
            hosts: vec![Host { name: "h1".into() }],
            chains: vec![cradle],
            decoys: vec![Decoy {
                host: "h1".into(),
                path: "/usr/bin/bash".into(),
                category: "near_miss".into(),
                near_miss_of: Some("cradle".into()),
            }],
        };
        let at = |ms: i64| Fired {
            rule: "cradle".into(),
            time: start + chrono::Duration::milliseconds(ms),
            ..fired("x", "/usr/bin/bash")
        };
        let s = scored(&["cradle"], &labels, &[at(1_500), at(60_000)]);
        let row = &s.by_rule["cradle"];
        assert_eq!((row.chains_found, row.true_alerts, row.false_alerts), (1, 1, 1));
        assert_eq!(s.false_alerts[0].category, "near_miss");
    }
}
