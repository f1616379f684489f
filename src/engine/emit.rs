//! Building alert records from chosen chains: lineage, evidence, score, stable id, dedup.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use clickchain_adapters::SourceRef;
use clickchain_logic::Strength;
use rustc_hash::FxHashSet;

use super::derive::derivation;
use super::emit_detail::{enrich, lineage_slots, ChainParts};
use super::fact_kinds::ChainView;
use super::local::Emitted;
use crate::alert::{Alert, ClickInfo, EgressInfo, Finding, Record, WriteInfo, STRATEGY, TECHNIQUE};
use crate::host::proctable::Slot;
use crate::host::{AlertedFile, Host, PendingWrite};
use crate::profile::Profile;

/// A chosen chain for one (link root, file).
pub(super) struct Chosen {
    pub(super) write: usize,
    pub(super) root: Slot,
    pub(super) egress: Option<(Slot, usize)>,
    pub(super) click: Option<(Slot, usize)>,
    pub(super) strength: Option<Strength>,
    pub(super) quarantine_missing: bool,
    /// The id of the rule that matched.
    pub(super) rule: &'static str,
    /// A write of the same file (in `ready`) whose origin carries the file's hash.
    pub(super) hash_from: Option<usize>,
}

pub(super) fn emit_alert(
    host: &mut Host,
    profile: &Profile,
    ready: &[PendingWrite],
    c: Chosen,
    emit: &mut Emitted<'_>,
) {
    let w = &ready[c.write];
    // The root's incarnation, not just its key: a pid is reused by a later process (regression:
    // dedup_by_incarnation_not_reused_pid).
    let root = host.procs.get(c.root);
    let root_key = format!("{}@{}", root.key_label(), root.start.unwrap_or(i64::MIN));
    // Each rule is deduplicated on its own; the base rule keeps the key (and alert id) it had
    // before rules had ids, so checkpoints and alert ids carry over.
    let rule_key =
        if c.rule == clickchain_logic::rules::BASE_RULE { root_key.clone() } else { format!("{root_key}#{}", c.rule) };
    let dedup = (rule_key.clone(), w.norm.clone());
    if host.emitted.contains(&dedup) {
        emit.stats.duplicates_suppressed += 1;
        crate::decision::chain_not_formed(
            &host.name,
            &w.path,
            c.rule,
            "dedup",
            "an alert for this link root and file was already emitted",
        );
        return;
    }
    let state = host.roots.get(c.root);
    let egress = c.egress.map(|(r, j)| host.roots.egress_at(r, j));
    let click = c.click.map(|(r, j)| host.roots.click_at(r, j));
    let window = profile.params.window;
    // An inferred click sits at the root's first untrusted egress within the window.
    let inferred_at =
        state.and_then(|s| s.egress().iter().map(|e| e.time).filter(|&te| te <= w.time && w.time - te <= window).min());
    let click_time = click.map(|k| k.time).or(inferred_at);

    let mut evidence: Vec<SourceRef> = Vec::new();
    let mut lineage = lineage_of(host, c.root, w.proc, &mut evidence);
    if lineage.is_empty() {
        lineage.push(image_label(host, w.proc));
    }
    if let Some(k) = click {
        evidence.push(k.source.clone());
    }
    if let Some(e) = egress {
        evidence.extend(e.evidence.iter().cloned());
        lineage_of(host, c.root, e.proc, &mut evidence);
    }
    evidence.extend(w.evidence.iter().cloned());
    evidence.sort();
    evidence.dedup();

    let quarantine = if c.quarantine_missing {
        Some(false)
    } else {
        w.origin.as_ref().and_then(|o| o.quarantine).or_else(|| host.anchors.quarantined(&w.norm).map(|_| true))
    };
    // What the chain is, not how a source named its processes: the same chain read from two
    // formats gets one id (regression: alert_id_same_from_sysmon_and_ecs). A variant rule's
    // alert for the same file has an id of its own.
    let id = alert_id(&host.name, root.start.unwrap_or(i64::MIN), &w.norm, w.time, variant(c.rule));
    let score =
        score(c.strength, click.is_some(), w.high_risk_ext, egress.map_or(0, |e| e.dest.risk), c.quarantine_missing);
    let mut alert = Alert {
        id: id.clone(),
        analytic: profile.analytic,
        rule: c.rule.to_owned(),
        technique: TECHNIQUE.to_owned(),
        strategy: STRATEGY.to_owned(),
        finding: if c.quarantine_missing { Finding::QuarantineMissing } else { Finding::Chain },
        host: host.name.to_string(),
        time: ms(w.time),
        score,
        strength: c.strength,
        click: click_time.map(|t| ClickInfo {
            time: ms(t),
            url: click.map(|k| k.url.to_string()),
            observed: click.is_some(),
        }),
        egress: egress.map(|e| EgressInfo {
            time: ms(e.time),
            process: image_label(host, e.proc),
            ip: e.ip.to_string(),
            port: e.port,
            domain: e.dest.domain.clone(),
            domain_source: e.source,
            registrable_domain: e.dest.registrable.clone(),
            suffix: e.dest.suffix.clone(),
            risk: e.dest.risk,
            reasons: e.dest.reasons.clone(),
            source: e.from_dns.then_some(crate::alert::EgressSource::Dns),
        }),
        write: WriteInfo {
            time: ms(w.time),
            process: image_label(host, w.proc),
            path: w.path.clone(),
            extension: w.extension.clone(),
            renamed_from: w.renamed_from.clone(),
            origin_url: w.origin.as_ref().and_then(|o| o.url.clone()),
            quarantine,
        },
        lineage,
        lineage_inferred: host.procs.inferred_below(c.root, w.proc)
            || egress.is_some_and(|e| host.procs.inferred_below(c.root, e.proc)),
        evidence,
        processes: Vec::new(),
        evidence_by_role: Vec::new(),
        reasons: Vec::new(),
        file_hash: c.hash_from.and_then(|i| ready[i].origin.as_ref()?.hash.clone()),
        replaced_invalid_utf8: false,
        derivation: None,
        anchor: w.anchor,
    };
    let parts = ChainParts {
        root: c.root,
        write: w,
        egress,
        click,
        strength: c.strength,
        quarantine_missing: c.quarantine_missing,
    };
    enrich(&mut alert, host, profile, &parts);
    if profile.explain {
        let view = ChainView { host, profile, rule: c.rule, parts: &parts };
        alert.derivation = Some(Box::new(derivation(&view, &alert)));
    }
    emit.stats.alerts += 1;
    emit.out.push(Record::Alert(Box::new(alert)));
    host.emitted.insert(dedup, w.time);
    // A process anchor's image is no download: nothing to match follow-ons of.
    if w.anchor != crate::alert::Anchor::Write {
        return;
    }
    let deadline = click_time.unwrap_or(w.time) + window;
    let file = AlertedFile {
        alert_id: Arc::from(id),
        analytic: profile.analytic,
        root: c.root,
        path: w.path.clone(),
        norm: w.norm.clone(),
        time: w.time,
        deadline: deadline.max(w.time),
        payload: Vec::new(),
        reported: FxHashSet::default(),
    };
    if !host.follow.add_alerted(&mut host.procs, file, emit.max_alerted) {
        emit.stats.dropped.alerted_cap += 1;
    }
}

/// Images from `root` down to `proc` (root first); adds their start records to `evidence`.
pub(super) fn lineage_of(host: &Host, root: Slot, proc: Slot, evidence: &mut Vec<SourceRef>) -> Vec<String> {
    lineage_slots(host, root, proc)
        .into_iter()
        .map(|s| {
            if let Some(src) = &host.procs.get(s).source {
                evidence.push(src.clone());
            }
            image_label(host, s)
        })
        .collect()
}

pub(super) fn image_label(host: &Host, slot: Slot) -> String {
    let p = host.procs.get(slot);
    if p.image.is_empty() {
        format!("<unknown {}>", p.key_label())
    } else {
        p.image.to_string()
    }
}

pub(super) fn ms(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t).unwrap_or_default()
}

/// Alert score (0–100): link strength sets the base (strong 75, medium 60, weak 35; a
/// quarantine finding alone 60); +10 for an observed click; +5 for a high-risk extension;
/// + a tenth of the domain risk; +10 when AN0180's quarantine flag is missing.
pub(crate) fn score(strength: Option<Strength>, observed: bool, high_risk: bool, risk: u8, qmissing: bool) -> u8 {
    let base: u32 = match strength {
        Some(Strength::Strong) => 75,
        Some(Strength::Medium) => 60,
        Some(Strength::Weak) => 35,
        None => 60,
    };
    let total = base
        + if observed { 10 } else { 0 }
        + if high_risk { 5 } else { 0 }
        + u32::from(risk) / 10
        + if qmissing && strength.is_some() { 10 } else { 0 };
    total.min(100) as u8
}

/// A stable alert id: FNV-1a over host, the link root's start, normalised path and write time.
/// The rule id hashed into a variant's alert id; none for the base rule (whose ids are those
/// alerts had before rules had ids).
fn variant(rule: &str) -> &str {
    if rule == clickchain_logic::rules::BASE_RULE {
        ""
    } else {
        rule
    }
}

fn alert_id(host: &str, root_start: i64, norm: &str, time: i64, rule: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let parts: [&[u8]; 4] = [host.as_bytes(), &root_start.to_le_bytes(), norm.as_bytes(), &time.to_le_bytes()];
    let rule = (!rule.is_empty()).then_some(rule.as_bytes());
    for part in parts.into_iter().chain(rule) {
        for &b in part.iter().chain([0xff_u8].iter()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_follows_the_documented_formula() {
        assert_eq!(score(Some(Strength::Strong), true, true, 30, false), 75 + 10 + 5 + 3);
        assert_eq!(score(Some(Strength::Medium), false, false, 0, false), 60);
        assert_eq!(score(Some(Strength::Weak), false, false, 99, false), 35 + 9);
        assert_eq!(score(None, false, true, 0, true), 60 + 5);
        assert_eq!(score(Some(Strength::Strong), true, true, 100, true), 100, "capped");
    }

    #[test]
    fn alert_ids_are_stable_and_separate_their_inputs() {
        let a = alert_id("h", 1, "c:\\x", 5, "");
        assert_eq!(a, alert_id("h", 1, "c:\\x", 5, ""));
        assert_eq!(a.len(), 16);
        assert_ne!(a, alert_id("h", 1, "c:\\x", 6, ""));
        assert_ne!(a, alert_id("h", 2, "c:\\x", 5, ""), "another link root");
        assert_ne!(a, alert_id("h", 1, "c:\\x", 5, "redirect-chain"), "another rule");
        // Field boundaries count: ("ab", "c") is not ("a", "bc").
        assert_ne!(alert_id("ab", 0, "cp", 0, ""), alert_id("a", 0, "bcp", 0, ""));
    }
}
