//! Why a download-like write formed no chain of a rule, for the debug log (`crate::decision`):
//! worked out only when decision events are enabled. The step named is the first of the rule's
//! chain that broke: a fact kind the rule reads (`fact_kinds`), then the egress, the window, the
//! strength, the order of click and egress, and last a fact kind that has no explanation yet.
//! A download cradle (a process-start anchor) is held to its own order: start, then its
//! egress within download_gap (the `egress` kind says which came when).

use clickchain_logic::{rules, RuleOutput, Strength};
use rustc_hash::FxHashSet;

use super::emit_detail::{strength_basis, strength_of, strength_words, ChainParts};
use super::fact_kinds::{fact, ChainView};
use crate::alert::{secs, Anchor};
use crate::decision;
use crate::host::{Host, PendingWrite};
use crate::profile::Profile;

/// Logs, for each write of `ready` that `rule`'s `result` formed nothing with, why no chain
/// formed.
pub(super) fn explain(host: &Host, profile: &Profile, ready: &[PendingWrite], rule: &str, result: &RuleOutput) {
    if !decision::enabled() {
        return;
    }
    let matched: FxHashSet<usize> = result
        .matches
        .iter()
        .map(|m| m.write as usize)
        .chain(result.quarantine_missing.iter().map(|&(w, _)| w as usize))
        .collect();
    let reads_cradle = reads_cradle(rule);
    for (_, w) in ready.iter().enumerate().filter(|(i, _)| !matched.contains(i)) {
        // A process anchor is none of the other rules' business.
        if w.anchor == Anchor::Process && !reads_cradle {
            continue;
        }
        let parts =
            ChainParts { root: w.root, write: w, egress: None, click: None, strength: None, quarantine_missing: false };
        let (step, why) = why_not(&ChainView { host, profile, rule, parts: &parts });
        decision::chain_not_formed(&host.name, &w.path, rule, step, &why);
    }
}

/// Whether `rule` reads download-cradle anchors (and only those: a file write is none).
fn reads_cradle(rule: &str) -> bool {
    rules::rule(rule).is_some_and(|r| r.header.data.contains(&"cradle"))
}

/// The step where `view`'s rule broke on its anchor (a write, or a download cradle's start),
/// and why.
pub(super) fn why_not(view: &ChainView<'_>) -> (&'static str, String) {
    let data = rules::rule(view.rule).map_or(&[][..], |r| r.header.data);
    let process_anchor = view.parts.write.anchor == Anchor::Process;
    // A rule anchored on download cradles breaks on a file write before anything else.
    let first: &[&'static str] = if reads_cradle(view.rule) && !process_anchor { &["cradle"] } else { &[] };
    let mut unexplained: Vec<&'static str> = Vec::new();
    for kind in first.iter().chain(data) {
        let f = fact(kind, view);
        match f.holds {
            Some(false) => {
                let needs = f.needs.map(|n| format!("; the rule needs {n}")).unwrap_or_default();
                return (*kind, format!("{}{needs}", f.fact));
            }
            Some(true) => {}
            None => unexplained.push(*kind),
        }
    }
    if process_anchor {
        return cradle_why_not(view, &unexplained);
    }
    let p = &view.profile.params;
    let w = view.parts.write;
    let nearest = view.root_egress().map(|e| e.time).filter(|&t| t <= w.time).map(|t| w.time - t).min();
    let Some(nearest) = nearest else {
        return ("egress", "the link lineage made no untrusted egress before the write".to_owned());
    };
    if nearest > p.window {
        return (
            "window",
            format!(
                "the nearest untrusted egress came {} before the write, {} beyond time_window {}",
                secs(nearest),
                secs(nearest - p.window),
                secs(p.window)
            ),
        );
    }
    // The strongest link any egress of the window gives.
    let best = view
        .egress_in_window()
        .map(|e| {
            let basis = strength_basis(view.profile, w, e);
            (strength_of(basis), basis, e)
        })
        .max_by_key(|(s, _, e)| (*s, e.time));
    if let Some((s, basis, e)) = best.filter(|(s, _, _)| *s < p.min_strength) {
        return (
            "strength",
            format!(
                "the strongest link is {}, below min_strength {}",
                strength_words(view.profile, w, e, s, basis),
                p.min_strength
            ),
        );
    }
    // Only a rule that reads clicks measures its window from them.
    let clicks = view.host.roots.latest_click(view.parts.root, w.time).filter(|_| data.contains(&"click"));
    if let Some(c) = clicks.filter(|c| w.time - c.time > p.window) {
        return (
            "order",
            format!(
                "the observed click came {} before the write, beyond time_window {}, and the egress after it \
                 belongs to that click (no click is inferred there)",
                secs(w.time - c.time),
                secs(p.window)
            ),
        );
    }
    if let Some(step) = unexplained_step(&unexplained) {
        return step;
    }
    ("order", "no click, egress and write of the lineage fit in order within time_window".to_owned())
}

/// A download cradle whose fact kinds all held (its egress within download_gap among them):
/// what is left is the strength a cradle gives, then a kind without an explanation.
fn cradle_why_not(view: &ChainView<'_>, unexplained: &[&'static str]) -> (&'static str, String) {
    let min = view.profile.params.min_strength;
    if min > Strength::Medium {
        let why = format!("a download cradle's link is medium (no file names an origin), below min_strength {min}");
        return ("strength", why);
    }
    if let Some(step) = unexplained_step(unexplained) {
        return step;
    }
    ("order", "the cradle's start and its egress do not fit in order within download_gap".to_owned())
}

/// When the base chain held, a rule with fact kinds that have no explanation yet broke on one
/// of those: said so rather than blamed on the base chain.
fn unexplained_step(kinds: &[&'static str]) -> Option<(&'static str, String)> {
    let (first, _) = kinds.split_first()?;
    Some((
        *first,
        format!(
            "the base chain's egress, window and strength held; the rule's condition on fact kind(s) {} \
             (no explanation yet) did not",
            kinds.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_breaking_on_kinds_without_an_explanation_names_them() {
        assert_eq!(unexplained_step(&[]), None);
        let (step, why) = unexplained_step(&["cradle", "terminal"]).unwrap();
        assert_eq!(step, "cradle");
        assert_eq!(
            why,
            "the base chain's egress, window and strength held; the rule's condition on fact kind(s) cradle, \
             terminal (no explanation yet) did not"
        );
    }
}
