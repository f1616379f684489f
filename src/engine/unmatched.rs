//! Why a download-like write formed no chain, for the debug log (`crate::decision`): worked out
//! only when decision events are enabled.

use clickchain_logic::RuleOutput;
use rustc_hash::FxHashSet;

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
    let reads_cradle = clickchain_logic::rules::rule(rule).is_some_and(|r| r.header.data.contains(&"cradle"));
    for (_, w) in ready.iter().enumerate().filter(|(i, _)| !matched.contains(i)) {
        // A process anchor is none of the other rules' business.
        let why = match w.anchor {
            crate::alert::Anchor::Process if !reads_cradle => continue,
            crate::alert::Anchor::Process => {
                "the download cradle's process made no untrusted egress within download_gap after it started, or the lineage above it is not what the rule asks (a browser-launched terminal for terminal-cradle)".to_owned()
            }
            _ => why(host, profile, w),
        };
        decision::chain_not_formed(&host.name, &w.path, &format!("rule {rule}: {why}"));
    }
}

fn why(host: &Host, profile: &Profile, w: &PendingWrite) -> String {
    let p = &profile.params;
    let egress = host.roots.get(w.root).map(|s| s.egress()).into_iter().flatten();
    let before: Vec<i64> = egress.map(|e| e.time).filter(|&t| t <= w.time).collect();
    let Some(nearest) = before.iter().map(|&t| w.time - t).min() else {
        return "the link lineage made no untrusted egress before the write".to_owned();
    };
    if nearest > p.window {
        return format!(
            "the nearest untrusted egress came {} ms before the write, beyond time_window {} ms",
            nearest, p.window
        );
    }
    if w.origin_trusted {
        let origin = w.origin_key.as_deref().unwrap_or("-");
        return format!(
            "the file's origin `{origin}` is a trusted domain, so it came from there: a weak link, below min_strength {}",
            p.min_strength
        );
    }
    if nearest > p.download_gap {
        return format!(
            "the nearest untrusted egress came {nearest} ms before the write, beyond download_gap {} ms: a weak link, below min_strength {}",
            p.download_gap, p.min_strength
        );
    }
    "no click, egress and write of the lineage fit in order within time_window".to_owned()
}
