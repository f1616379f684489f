//! One host's micro-batch: carried state -> crepe facts -> matches -> alerts and follow-ons.
//!
//! Anchored on deltas (DESIGN §5): only the writes that became ready in this batch are
//! evaluated, with the lineage walked up from them and the summaries carried for their link
//! roots. Identifiers handed to crepe are local to the evaluation.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clickchain_adapters::SourceRef;
use clickchain_logic::{self as logic, ChainFacts, FollowOnFacts, Id, Strength, NONE};
use rustc_hash::{FxHashMap, FxHashSet};

use super::proctable::{Slot, MAX_DEPTH};
use super::profile::Profile;
use super::state::{AlertedFile, Host, PendingWrite};
use crate::alert::{Alert, ClickInfo, EgressInfo, FollowOn, Record, WriteInfo, STRATEGY, TECHNIQUE};
use crate::stats::Stats;

/// Local identifiers for one evaluation, and the facts about processes they imply.
#[derive(Default)]
struct Local {
    procs: FxHashMap<Slot, Id>,
    slots: Vec<Slot>,
    images: FxHashMap<Arc<str>, Id>,
    names: FxHashMap<Arc<str>, Id>,
    parent: Vec<(Id, Id)>,
    image: Vec<(Id, Id)>,
}

impl Local {
    /// The local id of `slot`, adding it and its ancestors (edges and images) on first sight.
    fn lineage(&mut self, host: &Host, slot: Slot) -> Id {
        if let Some(&id) = self.procs.get(&slot) {
            return id;
        }
        let first = self.add(host, slot);
        let mut child = first;
        for anc in host.procs.ancestors(slot) {
            let known = self.procs.contains_key(&anc);
            let id = if known { self.procs[&anc] } else { self.add(host, anc) };
            self.parent.push((child, id));
            if known {
                break;
            }
            child = id;
        }
        first
    }

    fn add(&mut self, host: &Host, slot: Slot) -> Id {
        let id = self.slots.len() as Id;
        self.procs.insert(slot, id);
        self.slots.push(slot);
        let image = &host.procs.get(slot).image;
        let next = self.images.len() as Id;
        let img = *self.images.entry(Arc::clone(image)).or_insert(next);
        self.image.push((id, img));
        id
    }

    fn name(&mut self, key: &Arc<str>) -> Id {
        let next = self.names.len() as Id;
        *self.names.entry(Arc::clone(key)).or_insert(next)
    }
}

/// Output of one host evaluation.
pub(crate) struct Emitted<'a> {
    pub out: &'a mut Vec<Record>,
    pub stats: &'a mut Stats,
    /// Most alerted files kept per host for follow-on matching.
    pub max_alerted: usize,
}

pub(crate) fn evaluate_host(host: &mut Host, profile: &Profile, until: i64, at_end: bool, emit: &mut Emitted<'_>) {
    let (ready, waiting): (Vec<PendingWrite>, Vec<PendingWrite>) =
        std::mem::take(&mut host.pending).into_iter().partition(|p| at_end || p.ready <= until);
    host.pending = waiting;
    if !ready.is_empty() {
        evaluate_chains(host, profile, &ready, emit);
        for w in &ready {
            host.procs.unpin(w.proc);
        }
        host.rebuild_interest();
    }
    if !host.alerted.is_empty() && (!host.execs.is_empty() || !host.removals.is_empty()) {
        evaluate_follow_ons(host, emit);
    }
    // Candidates stay while a write that may still alert (waiting out its quarantine grace)
    // is older than them: its alert can claim them later (regression:
    // follow_on_kept_during_quarantine_grace).
    match host.pending.iter().map(|p| p.time).min() {
        Some(first) => {
            host.execs.retain(|e| e.time >= first);
            host.removals.retain(|r| r.time >= first);
        }
        None => {
            host.execs.clear();
            host.removals.clear();
        }
    }
}

/// A chosen chain for one (link root, file).
struct Chosen {
    write: usize,
    root: Slot,
    egress: Option<(Slot, usize)>,
    click: Option<(Slot, usize)>,
    strength: Option<Strength>,
    quarantine_missing: bool,
}

fn evaluate_chains(host: &mut Host, profile: &Profile, ready: &[PendingWrite], emit: &mut Emitted<'_>) {
    let mut local = Local::default();
    let mut facts = ChainFacts { params: profile.params, ..ChainFacts::default() };
    let mut roots: Vec<Slot> = Vec::new();
    for (i, w) in ready.iter().enumerate() {
        let proc = local.lineage(host, w.proc);
        let origin_domain = w.origin_key.as_ref().map_or(NONE, |k| local.name(k));
        let t = w.time;
        facts.write.push(logic::Write {
            id: i as Id,
            proc,
            time: t,
            origin_domain,
            origin_trusted: w.origin_trusted,
            quarantine_candidate: w.quarantine_candidate,
        });
        if !roots.contains(&w.root) {
            roots.push(w.root);
        }
        if w.quarantine_candidate {
            if let Some(&tq) = host.quarantined.get(&w.norm) {
                facts.quarantine_seen.push((i as Id, tq));
            }
            if w.origin.as_ref().and_then(|o| o.quarantine) == Some(true) {
                facts.quarantine_seen.push((i as Id, t));
            }
        }
    }
    let mut egress_refs: Vec<(Slot, usize)> = Vec::new();
    let mut click_refs: Vec<(Slot, usize)> = Vec::new();
    for &r in &roots {
        let Some(state) = host.roots.get(&r) else { continue };
        for (j, e) in state.egress.iter().enumerate() {
            let proc = local.lineage(host, e.proc);
            let domain = local.name(&e.dest.key);
            facts.egress.push(logic::Egress { id: egress_refs.len() as Id, proc, time: e.time, domain });
            egress_refs.push((r, j));
        }
        for (j, c) in state.clicks.iter().enumerate() {
            let proc = local.lineage(host, c.proc);
            facts.click.push(logic::Click { id: click_refs.len() as Id, proc, time: c.time });
            click_refs.push((r, j));
        }
    }
    facts.link_source_image =
        local.images.iter().filter(|(image, _)| profile.paths.is_browser(image)).map(|(_, &id)| id).collect();
    facts.parent = std::mem::take(&mut local.parent);
    facts.image = std::mem::take(&mut local.image);
    let result = logic::evaluate_chain(&facts);
    emit.stats.chain_evaluations += 1;

    // Reduce: one alert per (link root, final file); the earliest write wins, then the strongest
    // link, an observed click, the egress closest to the write, and a stable tie-break.
    let missing: FxHashSet<(Id, Id)> = result.quarantine_missing.iter().copied().collect();
    let mut groups: BTreeMap<(Slot, &str), Vec<Chosen>> = BTreeMap::new();
    for m in &result.matches {
        let w = m.write as usize;
        let root = local.slots[m.root as usize];
        groups.entry((root, ready[w].norm.as_str())).or_default().push(Chosen {
            write: w,
            root,
            egress: Some(egress_refs[m.egress as usize]),
            click: m.click.map(|c| click_refs[c as usize]),
            strength: Some(m.strength),
            quarantine_missing: missing.contains(&(m.write, m.root)),
        });
    }
    for &(w, r) in &result.quarantine_missing {
        let root = local.slots[r as usize];
        let group = groups.entry((root, ready[w as usize].norm.as_str())).or_default();
        if group.is_empty() {
            group.push(Chosen {
                write: w as usize,
                root,
                egress: None,
                click: None,
                strength: None,
                quarantine_missing: true,
            });
        }
    }
    let mut chosen: Vec<Chosen> = Vec::new();
    for (_, mut cands) in groups {
        cands.sort_by_key(|c| {
            let w = &ready[c.write];
            let e = c.egress.map(|(r, j)| &host.roots[&r].egress[j]);
            (
                w.time,
                std::cmp::Reverse(c.strength),
                c.click.is_none(),
                std::cmp::Reverse(e.map(|e| e.time)),
                e.map(|e| Arc::clone(&e.dest.key)),
                c.click.map(|(r, j)| std::cmp::Reverse(host.roots[&r].clicks[j].time)),
                c.write,
            )
        });
        chosen.push(cands.swap_remove(0));
    }
    chosen.sort_by_key(|c| (ready[c.write].time, c.write));
    for c in chosen {
        emit_alert(host, profile, ready, c, emit);
    }
}

fn emit_alert(host: &mut Host, profile: &Profile, ready: &[PendingWrite], c: Chosen, emit: &mut Emitted<'_>) {
    let w = &ready[c.write];
    // The root's incarnation, not just its key: a pid is reused by a later process (regression:
    // dedup_by_incarnation_not_reused_pid).
    let root = host.procs.get(c.root);
    let root_key = format!("{}@{}", root.key, root.start.unwrap_or(i64::MIN));
    let dedup = (root_key.clone(), w.norm.clone());
    if host.emitted.contains_key(&dedup) {
        emit.stats.duplicates_suppressed += 1;
        return;
    }
    let state = host.roots.get(&c.root);
    let egress = c.egress.map(|(r, j)| &host.roots[&r].egress[j]);
    let click = c.click.map(|(r, j)| &host.roots[&r].clicks[j]);
    let window = profile.params.window;
    // An inferred click sits at the root's first untrusted egress within the window.
    let inferred_at =
        state.and_then(|s| s.egress.iter().map(|e| e.time).filter(|&te| te <= w.time && w.time - te <= window).min());
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
        w.origin.as_ref().and_then(|o| o.quarantine).or_else(|| host.quarantined.get(&w.norm).map(|_| true))
    };
    let id = alert_id(&host.name, &root_key, &w.norm, w.time);
    let score =
        score(c.strength, click.is_some(), w.high_risk_ext, egress.map_or(0, |e| e.dest.risk), c.quarantine_missing);
    let alert = Alert {
        record_type: "alert",
        id: id.clone(),
        analytic: profile.analytic,
        technique: TECHNIQUE,
        strategy: STRATEGY,
        finding: if c.quarantine_missing { "quarantine_missing" } else { "chain" },
        host: host.name.to_string(),
        time: ms(w.time),
        score,
        strength: c.strength.map(Strength::as_str),
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
            domain_source: e.source.as_str(),
            registrable_domain: e.dest.registrable.clone(),
            suffix: e.dest.suffix.clone(),
            risk: e.dest.risk,
            reasons: e.dest.reasons.clone(),
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
        evidence,
    };
    emit.stats.alerts += 1;
    emit.out.push(Record::Alert(Box::new(alert)));
    host.emitted.insert(dedup, w.time);
    if host.alerted.len() >= emit.max_alerted {
        emit.stats.dropped.alerted_cap += 1;
        return;
    }
    host.procs.pin(c.root);
    let deadline = click_time.unwrap_or(w.time) + window;
    host.alerted.push(AlertedFile {
        alert_id: Arc::from(id),
        analytic: profile.analytic,
        root: c.root,
        path: w.path.clone(),
        norm: w.norm.clone(),
        time: w.time,
        deadline: deadline.max(w.time),
        payload: Vec::new(),
        reported: FxHashSet::default(),
    });
}

/// Images from `root` down to `proc` (root first); adds their start records to `evidence`.
fn lineage_of(host: &Host, root: Slot, proc: Slot, evidence: &mut Vec<SourceRef>) -> Vec<String> {
    let mut chain = vec![proc];
    if proc != root {
        for a in host.procs.ancestors(proc).take(MAX_DEPTH) {
            chain.push(a);
            if a == root {
                break;
            }
        }
    }
    chain.reverse();
    chain
        .into_iter()
        .map(|s| {
            if let Some(src) = &host.procs.get(s).source {
                evidence.push(src.clone());
            }
            image_label(host, s)
        })
        .collect()
}

fn image_label(host: &Host, slot: Slot) -> String {
    let p = host.procs.get(slot);
    if p.image.is_empty() {
        format!("<unknown {}>", p.key)
    } else {
        p.image.to_string()
    }
}

fn ms(t: i64) -> DateTime<Utc> {
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

/// A stable alert id: FNV-1a over host, link root, normalised path and write time.
fn alert_id(host: &str, root: &str, norm: &str, time: i64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [host.as_bytes(), root.as_bytes(), norm.as_bytes(), &time.to_le_bytes()] {
        for &b in part.iter().chain([0xff_u8].iter()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn evaluate_follow_ons(host: &mut Host, emit: &mut Emitted<'_>) {
    let mut local = Local::default();
    let mut facts = FollowOnFacts::default();
    let mut files: FxHashMap<&str, Id> = FxHashMap::default();
    for (i, a) in host.alerted.iter().enumerate() {
        let next = files.len() as Id;
        let file = *files.entry(a.norm.as_str()).or_insert(next);
        let root = local.lineage(host, a.root);
        facts.alerted.push(logic::Alerted { alert: i as Id, file, root, time: a.time, deadline: a.deadline });
        for &p in &a.payload {
            let p = local.lineage(host, p);
            facts.payload.push((i as Id, p));
        }
    }
    for e in &host.execs {
        let proc = local.lineage(host, e.proc);
        let image_file = files.get(e.image_norm.as_str()).copied().unwrap_or(NONE);
        facts.exec.push(logic::Exec { proc, time: e.time, image_file, lolbin: e.lolbin });
        for m in &e.mentions {
            if let Some(&f) = files.get(m.as_str()) {
                facts.mentions.push((proc, f));
            }
        }
    }
    for r in &host.removals {
        if let Some(&file) = files.get(r.norm.as_str()) {
            let proc = local.lineage(host, r.proc);
            facts.removal.push(logic::Removal { file, proc, time: r.time });
        }
    }
    facts.parent = std::mem::take(&mut local.parent);
    let mut found = logic::evaluate_follow_on(&facts);
    found.sort_by_key(|m| (m.time, m.kind, m.alert, m.proc));
    emit.stats.follow_on_evaluations += 1;
    for m in found {
        let slot = local.slots[m.proc as usize];
        let a = &host.alerted[m.alert as usize];
        if a.reported.contains(&(m.kind as u8, slot)) {
            continue;
        }
        let mut evidence: Vec<SourceRef> = host.procs.get(slot).source.iter().cloned().collect();
        if m.kind == logic::FollowOnKind::ProtectionRemoved {
            evidence
                .extend(host.removals.iter().filter(|r| r.proc == slot && r.norm == a.norm).map(|r| r.source.clone()));
        }
        let record = FollowOn {
            record_type: "follow_on",
            alert_id: a.alert_id.to_string(),
            analytic: a.analytic,
            host: host.name.to_string(),
            time: ms(m.time),
            kind: m.kind.as_str(),
            process: image_label(host, slot),
            path: a.path.clone(),
            evidence,
        };
        emit.stats.follow_ons += 1;
        emit.out.push(Record::FollowOn(record));
        let a = &mut host.alerted[m.alert as usize];
        a.reported.insert((m.kind as u8, slot));
        if matches!(m.kind, logic::FollowOnKind::Executed | logic::FollowOnKind::LolbinWithFile) {
            a.payload.push(slot);
            host.procs.pin(slot);
        }
    }
}
