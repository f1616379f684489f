//! The text report of `clickchain eval`: one table per rule set, then its misses and false
//! alerts, then the comparison.

use std::fmt::Write;

use super::score::{Comparison, Row, SetScore};

/// Misses and false alerts listed per set; the rest are counted.
const LISTED: usize = 20;

pub fn render(scores: &[SetScore], comparison: Option<&Comparison>) -> String {
    let mut out = String::new();
    for (i, s) in scores.iter().enumerate() {
        let _ = writeln!(out, "rule set {}: {}", i + 1, s.rules.join(", "));
        let _ = writeln!(out, "| scope | alerts | true | false | chains found | recall | precision | F1 |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for (name, row) in s.by_rule.iter().map(|(n, r)| (format!("rule {n}"), r)) {
            row_line(&mut out, &name, row);
        }
        for (name, row) in s.by_analytic.iter().map(|(n, r)| (format!("analytic {n}"), r)) {
            row_line(&mut out, &name, row);
        }
        row_line(&mut out, "all", &s.total);
        let _ = writeln!(out, "{}", recall_over(s.recall_over));
        let others: Vec<String> = s
            .by_rule
            .iter()
            .filter(|(_, r)| r.other_chains > 0)
            .map(|(n, r)| format!("{n} {}", r.other_chains))
            .collect();
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "alerts on chains labelled for other rules only (neither true nor false): {}",
                others.join(", ")
            );
        }
        if !s.unmeasured.is_empty() {
            let rules: Vec<String> = s.unmeasured.iter().map(|(r, n)| format!("{r} ({n} chains)")).collect();
            let _ = writeln!(out, "not measured (rules this build does not have): {}", rules.join(", "));
        }
        let _ = writeln!(out, "misses: {}", s.misses.len());
        for m in s.misses.iter().take(LISTED) {
            let rules = match m.rules.is_empty() {
                true => String::new(),
                false => format!(" (missed by {})", m.rules.join(", ")),
            };
            let _ = writeln!(out, "  {} {} {} {} <- {}{rules}", m.id, m.analytic, m.host, m.path, m.domain);
        }
        more(&mut out, s.misses.len());
        let _ = writeln!(out, "false alerts: {}", s.false_alerts.len());
        for f in s.false_alerts.iter().take(LISTED) {
            let domain = f.domain.as_deref().unwrap_or("-");
            let _ = writeln!(out, "  [{}] {} {} ({}) <- {domain}", f.rule, f.host, f.path, f.category);
        }
        more(&mut out, s.false_alerts.len());
        out.push('\n');
    }
    if let Some(c) = comparison {
        let _ = writeln!(out, "caught by set 1 only: {}", list(&c.only_first));
        let _ = writeln!(out, "caught by set 2 only: {}", list(&c.only_second));
        let _ = writeln!(out, "false alerts of set 1 only: {}", c.false_only_first.len());
        for f in c.false_only_first.iter().take(LISTED) {
            let _ = writeln!(out, "  {} {} ({})", f.host, f.path, f.category);
        }
        let _ = writeln!(out, "false alerts of set 2 only: {}", c.false_only_second.len());
        for f in c.false_only_second.iter().take(LISTED) {
            let _ = writeln!(out, "  {} {} ({})", f.host, f.path, f.category);
        }
    }
    out
}

fn recall_over(over: &str) -> &'static str {
    match over {
        "labelled" => "recall per rule: over the chains whose label lists the rule; false: alerts on no labelled chain or on the rule's near misses",
        _ => "recall per rule: over every chain (the labels name no rules); false: alerts on no labelled chain",
    }
}

fn row_line(out: &mut String, name: &str, r: &Row) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {}/{} | {:.3} | {:.3} | {:.3} |",
        r.alerts, r.true_alerts, r.false_alerts, r.chains_found, r.chains, r.recall, r.precision, r.f1
    );
}

fn more(out: &mut String, n: usize) {
    if n > LISTED {
        let _ = writeln!(out, "  … and {} more (--json lists all)", n - LISTED);
    }
}

fn list(ids: &[String]) -> String {
    match ids.len() {
        0 => "none".to_owned(),
        n if n <= LISTED => ids.join(", "),
        n => format!("{} … and {} more", ids[..LISTED].join(", "), n - LISTED),
    }
}
