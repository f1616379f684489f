//! Stage 1 for one host: the writes ready in a batch, their lineage and their link roots'
//! carried summaries as crepe facts, the lineage derived once, one run of each enabled rule
//! (`docs/rules.md`), and the reduction of each rule's matches to one alert per (link root, file).

use std::collections::BTreeMap;
use std::sync::Arc;

use clickchain_logic::{self as logic, ChainFacts, ExtClass, Id, Rule, RuleInput, RuleOutput, NONE};
use rustc_hash::FxHashSet;

use super::emit::{emit_alert, Chosen};
use super::local::{Emitted, Local};
use crate::host::proctable::Slot;
use crate::host::{Host, PendingWrite};
use crate::profile::Profile;

/// The facts of one write (`id`): the write, its extension class when a rule wants classes, and
/// the quarantine flags seen on its file.
pub(super) fn write_facts(
    host: &Host,
    profile: &Profile,
    local: &mut Local,
    facts: &mut ChainFacts,
    id: Id,
    w: &PendingWrite,
) {
    if super::facts_a::anchor(host, local, facts, id, w) {
        return;
    }
    if profile.wants_classes {
        if let Some(class) = w.extension.as_deref().and_then(ExtClass::of) {
            facts.write_ext.push((id, class));
        }
    }
    super::facts_b::write_facts_b(host, profile, local, facts, id, w);
    let proc = local.rooted(host, w.proc);
    let origin_domain = w.origin_key.as_ref().map_or(NONE, |k| local.name(k));
    let t = w.time;
    facts.write.push(logic::Write {
        id,
        proc,
        time: t,
        origin_domain,
        origin_trusted: w.origin_trusted,
        quarantine_candidate: w.quarantine_candidate,
    });
    if w.quarantine_candidate {
        if let Some(tq) = host.anchors.quarantined(&w.norm) {
            facts.quarantine_seen.push((id, tq));
        }
        if w.origin.as_ref().and_then(|o| o.quarantine) == Some(true) {
            facts.quarantine_seen.push((id, t));
        }
    }
}

/// Fact ids back to carried state: (link root, index in that root's egress or clicks).
pub(super) struct Refs {
    pub egress: Vec<(Slot, usize)>,
    pub clicks: Vec<(Slot, usize)>,
}

/// Completes `facts` (whose writes are in) with the carried egress and clicks of `roots`, the
/// lineage edges and images gathered in `local`, derives the lineage once and runs each
/// enabled rule over it.
pub(super) fn run_chain(
    host: &Host,
    profile: &Profile,
    local: &mut Local,
    mut facts: ChainFacts,
    roots: &[Slot],
    emit: &mut Emitted<'_>,
) -> (Vec<(&'static Rule, RuleOutput)>, Refs) {
    let mut refs = Refs { egress: Vec::new(), clicks: Vec::new() };
    for &r in roots {
        let Some(state) = host.roots.get(r) else { continue };
        for (j, e) in state.egress().iter().enumerate() {
            let proc = local.rooted(host, e.proc);
            let domain = local.name(&e.dest.key);
            super::facts_a::egress(profile, &mut facts, refs.egress.len() as Id, domain, e);
            facts.egress.push(logic::Egress { id: refs.egress.len() as Id, proc, time: e.time, domain });
            refs.egress.push((r, j));
        }
        for (j, c) in state.clicks().iter().enumerate() {
            let proc = local.rooted(host, c.proc);
            facts.click.push(logic::Click { id: refs.clicks.len() as Id, proc, time: c.time });
            refs.clicks.push((r, j));
        }
    }
    let mut classes: Vec<(Id, logic::LinkClass)> = Vec::new();
    for (image, &id) in &local.images {
        if profile.paths.is_browser(image) {
            facts.link_source_image.push(id);
            if profile.wants_classes {
                classes.push((id, profile.link_class(image)));
            }
        }
    }
    super::facts_a::processes(host, profile, local, &mut facts);
    facts.parent = std::mem::take(&mut local.parent);
    facts.image = std::mem::take(&mut local.image);
    if !classes.is_empty() {
        facts.link_class = facts
            .image
            .iter()
            .filter_map(|&(p, i)| classes.iter().find(|(c, _)| *c == i).map(|&(_, k)| (p, k)))
            .collect();
    }
    let lineage = logic::derive_lineage(&facts.parent, &facts.image, &facts.link_source_image);
    let input = RuleInput { facts: &facts, lineage: &lineage };
    let results = profile.rules.iter().map(|&rule| (rule, (rule.run)(&input))).collect();
    emit.stats.chain_evaluations += 1;
    // Only whole lineages (a rule reads `ancestor`) are cut.
    emit.stats.anomalies.lineage_truncated += std::mem::take(&mut local.truncated);
    (results, refs)
}

pub(super) fn evaluate_chains(host: &mut Host, profile: &Profile, ready: &[PendingWrite], emit: &mut Emitted<'_>) {
    let mut local = Local { full_lineage: profile.wants("ancestor"), ..Local::default() };
    let mut facts = ChainFacts { params: profile.params, ..ChainFacts::default() };
    let mut roots: Vec<Slot> = Vec::new();
    for (i, w) in ready.iter().enumerate() {
        write_facts(host, profile, &mut local, &mut facts, i as Id, w);
        if !roots.contains(&w.root) {
            roots.push(w.root);
        }
    }
    let (results, refs) = run_chain(host, profile, &mut local, facts, &roots, emit);
    for (rule, result) in &results {
        choose_and_emit(host, profile, ready, rule, result, &local.slots, &refs, emit);
    }
}

/// Reduce one rule's matches: one alert per (link root, final file); the earliest write wins, then the strongest
/// link, an observed click, the egress closest to the write, and a stable tie-break. Write ids
/// in `result` index `ready`; process, egress and click ids index `slots` and the refs.
#[allow(clippy::too_many_arguments)]
pub(super) fn choose_and_emit(
    host: &mut Host,
    profile: &Profile,
    ready: &[PendingWrite],
    rule: &'static Rule,
    result: &RuleOutput,
    slots: &[Slot],
    refs: &Refs,
    emit: &mut Emitted<'_>,
) {
    let (egress_refs, click_refs) = (&refs.egress, &refs.clicks);
    let missing: FxHashSet<(Id, Id)> = result.quarantine_missing.iter().copied().collect();
    super::unmatched::explain(host, profile, ready, rule.header.id, result);
    let mut groups: BTreeMap<(Slot, &str), Vec<Chosen>> = BTreeMap::new();
    for m in &result.matches {
        let w = m.write as usize;
        let root = slots[m.root as usize];
        groups.entry((root, ready[w].norm.as_str())).or_default().push(Chosen {
            write: w,
            root,
            // A rule may link a write without an egress (NONE): its own origin stands in.
            egress: (m.egress != NONE).then(|| egress_refs[m.egress as usize]),
            click: m.click.map(|c| click_refs[c as usize]),
            strength: Some(m.strength),
            quarantine_missing: missing.contains(&(m.write, m.root)),
            rule: rule.header.id,
            hash_from: None,
        });
    }
    for &(w, r) in &result.quarantine_missing {
        let root = slots[r as usize];
        let group = groups.entry((root, ready[w as usize].norm.as_str())).or_default();
        if group.is_empty() {
            group.push(Chosen {
                write: w as usize,
                root,
                egress: None,
                click: None,
                strength: None,
                quarantine_missing: true,
                rule: rule.header.id,
                hash_from: None,
            });
        }
    }
    let mut chosen: Vec<Chosen> = Vec::new();
    for (_, mut cands) in groups {
        cands.sort_by_key(|c| {
            let w = &ready[c.write];
            let e = c.egress.map(|(r, j)| host.roots.egress_at(r, j));
            (
                w.time,
                std::cmp::Reverse(c.strength),
                c.click.is_none(),
                std::cmp::Reverse(e.map(|e| e.time)),
                e.map(|e| Arc::clone(&e.dest.key)),
                c.click.map(|(r, j)| std::cmp::Reverse(host.roots.click_at(r, j).time)),
                c.write,
            )
        });
        // The file's hash may come with a later write of it than the one chosen (Sysmon logs
        // it with the MotW stream, after the file's creation).
        let hash_from =
            cands.iter().map(|c| c.write).find(|&w| ready[w].origin.as_ref().is_some_and(|o| o.hash.is_some()));
        let mut best = cands.swap_remove(0);
        best.hash_from = hash_from;
        chosen.push(best);
    }
    chosen.sort_by_key(|c| (ready[c.write].time, c.write));
    for c in chosen {
        emit_alert(host, profile, ready, c, emit);
    }
}
