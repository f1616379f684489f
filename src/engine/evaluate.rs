//! One host's micro-batch: carried state -> crepe facts -> matches -> alerts and follow-ons.
//!
//! Anchored on deltas (DESIGN §5): only the writes that became ready in this batch are
//! evaluated, with the lineage walked up from them and the summaries carried for their link
//! roots. Identifiers handed to crepe are local to the evaluation.

use std::collections::BTreeMap;
use std::sync::Arc;

use clickchain_logic::{self as logic, ChainFacts, Id, Strength, NONE};
use rustc_hash::{FxHashMap, FxHashSet};

use super::emit::emit_alert;
use super::follow_on::evaluate_follow_ons;
use super::proctable::Slot;
use super::profile::Profile;
use super::state::{Host, PendingWrite};
use crate::alert::Record;
use crate::stats::Stats;

/// Local identifiers for one evaluation, and the facts about processes they imply.
#[derive(Default)]
pub(super) struct Local {
    pub(super) procs: FxHashMap<Slot, Id>,
    pub(super) slots: Vec<Slot>,
    pub(super) images: FxHashMap<Arc<str>, Id>,
    pub(super) names: FxHashMap<Arc<str>, Id>,
    pub(super) parent: Vec<(Id, Id)>,
    pub(super) image: Vec<(Id, Id)>,
}

impl Local {
    /// The local id of `slot`, adding it and its ancestors (edges and images) on first sight.
    pub(super) fn lineage(&mut self, host: &Host, slot: Slot) -> Id {
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

    pub(super) fn name(&mut self, key: &Arc<str>) -> Id {
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

/// One streaming evaluation of `host` at a batch ending at `until`: the writes that became ready
/// are evaluated with the lineage and carried summaries they reach, then follow-ons.
pub(crate) fn evaluate_host(host: &mut Host, profile: &Profile, until: i64, at_end: bool, emit: &mut Emitted<'_>) {
    let ready = take_ready(host, until, at_end);
    if !ready.is_empty() {
        evaluate_chains(host, profile, &ready, emit);
    }
    after_chains(host, profile, ready, emit);
}

/// The pending writes ready at `until` (all of them at the end of input), taken from `host`.
pub(super) fn take_ready(host: &mut Host, until: i64, at_end: bool) -> Vec<PendingWrite> {
    let (ready, waiting): (Vec<PendingWrite>, Vec<PendingWrite>) =
        std::mem::take(&mut host.pending).into_iter().partition(|p| at_end || p.ready <= until);
    host.pending = waiting;
    ready
}

/// What follows the chain rules in every mode: evaluated writes leave (or are watched for a
/// later exec), then follow-on activity of alerted files is matched.
pub(super) fn after_chains(host: &mut Host, profile: &Profile, ready: Vec<PendingWrite>, emit: &mut Emitted<'_>) {
    if !ready.is_empty() {
        for w in ready {
            let watch = profile.quarantine_enabled
                && w.quarantine_path
                && !w.quarantine_candidate
                && !host.quarantined.contains_key(&w.norm)
                && host.exec_watch.len() < emit.max_alerted;
            if watch {
                // Keeps its pin: the process stays while the file is watched.
                if let Some(old) = host.exec_watch.insert(w.norm.clone(), w) {
                    host.procs.unpin(old.proc);
                }
            } else {
                host.procs.unpin(w.proc);
            }
        }
        host.rebuild_interest();
    }
    if !host.alerted.is_empty() && (!host.execs.is_empty() || !host.removals.is_empty()) {
        evaluate_follow_ons(host, emit);
    }
    // Candidates stay while a write that may still alert (waiting out its quarantine grace)
    // is older than them: its alert can claim them later (regression:
    // follow_on_kept_during_quarantine_grace).
    let first = host.pending.iter().map(|p| p.time).min().unwrap_or(i64::MAX);
    let procs = &mut host.procs;
    let mut keep = |time: i64, proc: Slot| {
        let keep = time >= first;
        if !keep {
            procs.unpin(proc);
        }
        keep
    };
    host.execs.retain(|e| keep(e.time, e.proc));
    host.removals.retain(|r| keep(r.time, r.proc));
}

/// A chosen chain for one (link root, file).
pub(super) struct Chosen {
    pub(super) write: usize,
    pub(super) root: Slot,
    pub(super) egress: Option<(Slot, usize)>,
    pub(super) click: Option<(Slot, usize)>,
    pub(super) strength: Option<Strength>,
    pub(super) quarantine_missing: bool,
}

/// The facts of one write (`id`): the write, and the quarantine flags seen on its file.
pub(super) fn write_facts(host: &Host, local: &mut Local, facts: &mut ChainFacts, id: Id, w: &PendingWrite) {
    let proc = local.lineage(host, w.proc);
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
        if let Some(&tq) = host.quarantined.get(&w.norm) {
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
/// lineage edges and images gathered in `local`, and runs the chain program once.
pub(super) fn run_chain(
    host: &Host,
    profile: &Profile,
    local: &mut Local,
    mut facts: ChainFacts,
    roots: &[Slot],
    emit: &mut Emitted<'_>,
) -> (logic::ChainOutput, Refs) {
    let mut refs = Refs { egress: Vec::new(), clicks: Vec::new() };
    for &r in roots {
        let Some(state) = host.roots.get(&r) else { continue };
        for (j, e) in state.egress.iter().enumerate() {
            let proc = local.lineage(host, e.proc);
            let domain = local.name(&e.dest.key);
            facts.egress.push(logic::Egress { id: refs.egress.len() as Id, proc, time: e.time, domain });
            refs.egress.push((r, j));
        }
        for (j, c) in state.clicks.iter().enumerate() {
            let proc = local.lineage(host, c.proc);
            facts.click.push(logic::Click { id: refs.clicks.len() as Id, proc, time: c.time });
            refs.clicks.push((r, j));
        }
    }
    facts.link_source_image =
        local.images.iter().filter(|(image, _)| profile.paths.is_browser(image)).map(|(_, &id)| id).collect();
    facts.parent = std::mem::take(&mut local.parent);
    facts.image = std::mem::take(&mut local.image);
    let result = logic::evaluate_chain(&facts);
    emit.stats.chain_evaluations += 1;
    (result, refs)
}

fn evaluate_chains(host: &mut Host, profile: &Profile, ready: &[PendingWrite], emit: &mut Emitted<'_>) {
    let mut local = Local::default();
    let mut facts = ChainFacts { params: profile.params, ..ChainFacts::default() };
    let mut roots: Vec<Slot> = Vec::new();
    for (i, w) in ready.iter().enumerate() {
        write_facts(host, &mut local, &mut facts, i as Id, w);
        if !roots.contains(&w.root) {
            roots.push(w.root);
        }
    }
    let (result, refs) = run_chain(host, profile, &mut local, facts, &roots, emit);
    choose_and_emit(host, profile, ready, &result, &local.slots, &refs.egress, &refs.clicks, emit);
}

/// Reduce: one alert per (link root, final file); the earliest write wins, then the strongest
/// link, an observed click, the egress closest to the write, and a stable tie-break. Write ids
/// in `result` index `ready`; process, egress and click ids index `slots` and the refs.
#[allow(clippy::too_many_arguments)]
pub(super) fn choose_and_emit(
    host: &mut Host,
    profile: &Profile,
    ready: &[PendingWrite],
    result: &logic::ChainOutput,
    slots: &[Slot],
    egress_refs: &[(Slot, usize)],
    click_refs: &[(Slot, usize)],
    emit: &mut Emitted<'_>,
) {
    let missing: FxHashSet<(Id, Id)> = result.quarantine_missing.iter().copied().collect();
    let mut groups: BTreeMap<(Slot, &str), Vec<Chosen>> = BTreeMap::new();
    for m in &result.matches {
        let w = m.write as usize;
        let root = slots[m.root as usize];
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
