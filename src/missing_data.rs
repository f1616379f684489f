//! Rules enabled whose data the input cannot provide: a rule that reads command lines run over
//! an input without any finds nothing, and says so (`docs/rules.md`, "Missing data").

use std::fmt;

use clickchain_adapters::{AttrChange, EventKind};
use clickchain_logic::Rule;

use crate::stats::{Fed, Stats};

/// An enabled rule reads a fact kind that no record of the input fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingData {
    /// The rule's id.
    pub rule: &'static str,
    /// The fact kind (a header `data` name).
    pub kind: &'static str,
    /// What the input lacked.
    pub why: &'static str,
}

impl fmt::Display for MissingData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {} reads {}, but {}", self.rule, self.kind, self.why)
    }
}

/// Whether the run of `stats` fed fact kind `kind`, and what the input lacked if not. Kinds
/// a rule can do without in every input (`click`: inferred at the egress) are not checked.
fn unfed(kind: &str, stats: &Stats) -> Option<&'static str> {
    let fed = &stats.fed;
    let (fed, why) = match kind {
        "cmd_class" | "cradle" => (fed.command_lines > 0, "no process start in the input carried a command line"),
        "egress" | "risk" | "egress_dns" => {
            (fed.connects + fed.dns_answers > 0, "the input held no connection or DNS answer")
        }
        // Only macOS downloads need the flag: missing where a candidate could not be checked.
        "quarantine" => (
            fed.quarantine_reports > 0 || stats.classified.quarantine_unknown == 0,
            "no record in the input reported a quarantine flag (see classified.quarantine_unknown)",
        ),
        "lineage" | "ancestor" | "link_class" | "lolbin" | "terminal" => {
            (fed.process_starts > 0, "the input held no process start")
        }
        "write" | "write_ext" => (fed.file_writes > 0, "the input held no file write"),
        _ => return None,
    };
    (!fed).then_some(why)
}

/// The (rule, fact kind) pairs of `rules` that the run of `stats` never fed, one each, in rule order.
pub(crate) fn of_rules(rules: &[&'static Rule], stats: &Stats) -> Vec<MissingData> {
    rules
        .iter()
        .flat_map(|r| {
            r.header
                .data
                .iter()
                .filter_map(|&kind| unfed(kind, stats).map(|why| MissingData { rule: r.header.id, kind, why }))
        })
        .collect()
}

/// The (rule, fact kind) pairs of the rules `enabled` (ids, as `[rules] enabled`) that a
/// finished run (its `stats`) never fed: one warning each. Unknown ids are left out (the
/// engine refused them already).
pub fn missing_data(enabled: &[String], stats: &Stats) -> Vec<MissingData> {
    let rules: Vec<&'static Rule> = enabled.iter().filter_map(|id| clickchain_logic::rules::rule(id)).collect();
    of_rules(&rules, stats)
}

/// Counts what `kind`, one event's kind, feeds.
pub(crate) fn note(fed: &mut Fed, kind: &EventKind) {
    match kind {
        EventKind::ProcessStart { .. } => fed.process_starts += 1,
        EventKind::Connect { .. } => fed.connects += 1,
        EventKind::DnsAnswer { .. } => fed.dns_answers += 1,
        EventKind::FileWrite { origin, .. } => {
            fed.file_writes += 1;
            fed.quarantine_reports += u64::from(origin.as_ref().is_some_and(|o| o.quarantine.is_some()));
        }
        EventKind::FileAttr { attr: AttrChange::QuarantineSet | AttrChange::QuarantineRemoved, .. } => {
            fed.quarantine_reports += 1
        }
        EventKind::FileAttr { .. } | EventKind::ProcessEnd { .. } | EventKind::UrlOpen { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str) -> &'static Rule {
        clickchain_logic::rules::rule(id).expect("registered")
    }

    #[test]
    fn each_unfed_kind_is_named_once_per_rule() {
        let rules = [rule("office-lolbin"), rule("chain")];
        let mut stats = Stats { fed: Fed { process_starts: 3, ..Fed::default() }, ..Stats::default() };
        let missing: Vec<String> = of_rules(&rules, &stats).iter().map(ToString::to_string).collect();
        assert!(missing.contains(
            &"rule office-lolbin reads cmd_class, but no process start in the input carried a command line".to_owned()
        ));
        assert!(missing
            .contains(&"rule office-lolbin reads egress, but the input held no connection or DNS answer".to_owned()));
        assert!(missing.contains(&"rule chain reads egress, but the input held no connection or DNS answer".to_owned()));
        assert_eq!(missing.iter().filter(|m| m.contains("office-lolbin reads egress")).count(), 1);
        assert!(!missing.iter().any(|m| m.contains("reads lineage")), "process starts came");
        stats.fed = Fed { command_lines: 1, connects: 1, file_writes: 1, ..stats.fed };
        assert!(of_rules(&rules, &stats).is_empty(), "no quarantine candidate went unchecked");
        stats.classified.quarantine_unknown = 2;
        assert_eq!(
            of_rules(&rules, &stats).iter().map(|m| (m.rule, m.kind)).collect::<Vec<_>>(),
            [("chain", "quarantine")]
        );
        stats.fed.quarantine_reports = 1;
        assert!(of_rules(&rules, &stats).is_empty());
    }

    #[test]
    fn dns_answers_alone_feed_egress() {
        let stats = Stats { fed: Fed { dns_answers: 1, ..Fed::default() }, ..Stats::default() };
        assert!(!of_rules(&[rule("redirect-chain")], &stats).iter().any(|m| m.kind == "egress"));
    }
}
