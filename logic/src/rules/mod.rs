//! Rules as units (`docs/rules.md`): one file per rule, each a crepe program with a
//! [`RuleHeader`], and one line per rule in [`RULES`].
//!
//! A rule is a plain function from [`RuleInput`] (the evaluation's facts and its [`Lineage`],
//! derived once and shared by every rule) to [`RuleOutput`] (chains and quarantine findings in
//! the engine's local ids). The engine runs every enabled rule over the same input and reduces
//! and deduplicates each rule's matches on its own.

use crate::{ChainFacts, ChainMatch, Id, Lineage};

mod chain;
mod chained;
mod container_run;
mod html_smuggling;
mod macos_quarantine_stripped;
mod mail_payload;
mod motw_removed_run;
mod office_lolbin;
mod redirect_chain;
/// Compiled and tested, never registered (`docs/rules.md`).
#[cfg(test)]
#[allow(dead_code)]
mod template;
mod terminal_cradle;

/// Whether a rule is on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Enabled by default; its results are part of the engine's contract.
    Stable,
    /// Runs only when named in `[rules] enabled` or `--rules`.
    Experimental,
}

impl Status {
    /// The lowercase name used in listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Stable => "stable",
            Status::Experimental => "experimental",
        }
    }
}

/// What a rule is, for people and listings (`clickchain rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleHeader {
    /// Stable identifier: lowercase words joined by `-`; carried by every alert as `rule`.
    pub id: &'static str,
    /// One line.
    pub title: &'static str,
    /// What behaviour the rule bets on, and why it indicates a malicious link.
    pub hypothesis: &'static str,
    /// MITRE ATT&CK technique ids.
    pub attack: &'static [&'static str],
    /// The DET0066 analytics it refines (`AN0178`, `AN0179`, `AN0180`).
    pub refines: &'static [&'static str],
    /// The fact kinds it reads (`docs/rules.md`, "Facts").
    pub data: &'static [&'static str],
    /// What benign activity it is expected to fire on.
    pub false_positives: &'static str,
    /// Stable (default on) or experimental.
    pub status: Status,
    /// How long after a write the rule looks for what follows it (ms): the write is evaluated
    /// only once the input has passed `write time + hold` (`docs/rules.md`, "Hold").
    pub hold: crate::Time,
}

/// The facts one rule evaluation sees.
#[derive(Debug, Clone, Copy)]
pub struct RuleInput<'a> {
    /// Clicks, egress, writes, classes and parameters.
    pub facts: &'a ChainFacts,
    /// Ancestors and link roots, derived once for all rules.
    pub lineage: &'a Lineage,
}

/// What one rule found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleOutput {
    /// Chains, sorted.
    pub matches: Vec<ChainMatch>,
    /// `(write, root)`: quarantine findings, sorted.
    pub quarantine_missing: Vec<(Id, Id)>,
}

impl RuleOutput {
    /// An output of `matches` (sorted here) and no quarantine findings.
    pub fn of_matches(mut matches: Vec<ChainMatch>) -> RuleOutput {
        matches.sort_unstable();
        RuleOutput { matches, quarantine_missing: Vec::new() }
    }
}

/// One registered rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// What it is.
    pub header: &'static RuleHeader,
    /// Runs it.
    pub run: fn(&RuleInput<'_>) -> RuleOutput,
}

/// Every rule the engine knows, stable ones first. Adding a rule is one line here.
pub static RULES: &[Rule] = &[
    Rule { header: &chain::HEADER, run: chain::run },
    Rule { header: &redirect_chain::HEADER, run: redirect_chain::run },
    Rule { header: &mail_payload::HEADER, run: mail_payload::run },
    Rule { header: &motw_removed_run::HEADER, run: motw_removed_run::run },
    Rule { header: &container_run::HEADER, run: container_run::run },
    Rule { header: &html_smuggling::HEADER, run: html_smuggling::run },
    Rule { header: &macos_quarantine_stripped::HEADER, run: macos_quarantine_stripped::run },
    Rule { header: &office_lolbin::HEADER, run: office_lolbin::run },
    Rule { header: &terminal_cradle::HEADER, run: terminal_cradle::run },
];

/// Rule units that are not selected but run for every alert (stage 2), in order.
pub static ALWAYS: &[&RuleHeader] = &[&crate::follow_on::FOLLOW_ON];

/// The id of the rule that carries the shipped DET0066 chain and quarantine findings.
pub const BASE_RULE: &str = chain::HEADER.id;

/// The registered rule named `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.header.id == id)
}

/// The longest hold of `rules` (0 for none): how long a write waits before evaluation.
pub fn max_hold<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> crate::Time {
    rules.into_iter().map(|r| r.header.hold).max().unwrap_or(0).max(0)
}

/// The ids of the stable rules: the default set.
pub fn stable_ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().filter(|r| r.header.status == Status::Stable).map(|r| r.header.id)
}

/// The registered id closest to `id` (edit distance to the whole id or, one worse, to its
/// start: a misspelt prefix names the rule it starts), for "did you mean" messages.
pub fn closest(id: &str) -> Option<&'static str> {
    RULES.iter().map(|r| r.header.id).min_by_key(|known| {
        let start: String = known.chars().take(id.chars().count()).collect();
        edit_distance(id, known).min(edit_distance(id, &start) + 1)
    })
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The link strength as crepe carries it (a `u8`), for rule programs.
pub(crate) fn strength_u8(od: Id, ot: bool, d: Id, te: crate::Time, tw: crate::Time, gap: crate::Time) -> u8 {
    crate::link_strength(od, ot, d, te, tw, gap) as u8
}

/// A match with an inferred click, for rule programs that do not look at clicks.
pub(crate) fn inferred(write: Id, egress: Id, root: Id, s: u8) -> ChainMatch {
    ChainMatch { write, egress, click: None, root, strength: crate::Strength::from_u8(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_headers_complete() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.header.id).collect();
        for r in RULES {
            let h = r.header;
            assert!(h.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{}", h.id);
            assert!(!h.title.is_empty() && !h.hypothesis.is_empty() && !h.false_positives.is_empty(), "{}", h.id);
            assert!(!h.attack.is_empty() && !h.refines.is_empty() && !h.data.is_empty(), "{}", h.id);
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert_eq!(stable_ids().collect::<Vec<_>>(), vec![BASE_RULE]);
    }

    #[test]
    fn default_set_holds_nothing() {
        assert_eq!(max_hold(stable_ids().filter_map(rule)), 0);
        assert_eq!(max_hold(RULES), 600_000);
        assert_eq!(max_hold([]), 0);
    }

    #[test]
    fn closest_names_the_nearest_id() {
        assert_eq!(closest("chian"), Some("chain"));
        assert_eq!(closest("redirect"), Some("redirect-chain"));
        assert_eq!(closest("redirct"), Some("redirect-chain"));
        assert_eq!(closest("mail"), Some("mail-payload"));
        assert_eq!(closest("container"), Some("container-run"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

/// Small fact builders for rule tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::{ChainFacts, Egress, Id, Params, Strength, Time, Write, NONE};

    /// browser (0) -> child (1); image 100 is the link source.
    pub(crate) fn facts_one_root() -> ChainFacts {
        ChainFacts {
            parent: vec![(1, 0)],
            image: vec![(0, 100), (1, 100)],
            link_source_image: vec![100],
            params: Params {
                window: 900_000,
                download_gap: 120_000,
                min_strength: Strength::Medium,
                quarantine_grace: 0,
            },
            ..ChainFacts::default()
        }
    }

    pub(crate) fn egress(id: Id, proc: Id, time: Time, domain: Id) -> Egress {
        Egress { id, proc, time, domain }
    }

    pub(crate) fn write(id: Id, proc: Id, time: Time) -> Write {
        Write { id, proc, time, origin_domain: NONE, origin_trusted: false, quarantine_candidate: false }
    }

    /// The base shape: the child (1) reaches domain 7 at 0 and writes write 0 at 30 s.
    pub(crate) fn chained_download() -> ChainFacts {
        let mut f = facts_one_root();
        f.egress = vec![egress(0, 1, 0, 7)];
        f.write = vec![write(0, 1, 30_000)];
        f
    }

    /// How many matches `run` finds in `f`.
    pub(crate) fn run_len(run: fn(&crate::RuleInput<'_>) -> crate::RuleOutput, f: &ChainFacts) -> usize {
        let l = crate::derive_lineage(&f.parent, &f.image, &f.link_source_image);
        run(&crate::RuleInput { facts: f, lineage: &l }).matches.len()
    }
}
