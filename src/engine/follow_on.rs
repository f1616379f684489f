//! Stage 2 for one host: follow-on activity of alerted files (the crepe follow-on program).

use clickchain_adapters::SourceRef;
use clickchain_logic::{self as logic, FollowOnFacts, Id, NONE};
use rustc_hash::FxHashMap;

use super::emit::{image_label, ms};
use super::emit_detail::{holds_replacement, process_info};
use super::local::{Emitted, Local};
use crate::alert::{FollowOn, Record};
use crate::host::Host;

pub(super) fn evaluate_follow_ons(host: &mut Host, emit: &mut Emitted<'_>) {
    let mut local = Local::default();
    let mut facts = FollowOnFacts::default();
    let mut files: FxHashMap<&str, Id> = FxHashMap::default();
    for (i, a) in host.follow.alerted().iter().enumerate() {
        let next = files.len() as Id;
        let file = *files.entry(a.norm.as_str()).or_insert(next);
        let root = local.lineage(host, a.root);
        facts.alerted.push(logic::Alerted { alert: i as Id, file, root, time: a.time, deadline: a.deadline });
        for &p in &a.payload {
            let p = local.lineage(host, p);
            facts.payload.push((i as Id, p));
        }
    }
    for e in host.follow.execs() {
        let proc = local.lineage(host, e.proc);
        let image_file = files.get(e.image_norm.as_str()).copied().unwrap_or(NONE);
        facts.exec.push(logic::Exec { proc, time: e.time, image_file, lolbin: e.lolbin });
        for m in &e.mentions {
            if let Some(&f) = files.get(m.as_str()) {
                facts.mentions.push((proc, f));
            }
        }
    }
    for r in host.follow.removals() {
        if let Some(&file) = files.get(r.norm.as_str()) {
            let proc = local.lineage(host, r.proc);
            facts.removal.push(logic::Removal { file, proc, time: r.time });
        }
    }
    facts.parent = std::mem::take(&mut local.parent);
    emit.stats.anomalies.lineage_truncated += local.truncated;
    let mut found = logic::evaluate_follow_on(&facts);
    found.sort_by_key(|m| (m.time, m.kind, m.alert, m.proc));
    emit.stats.follow_on_evaluations += 1;
    for m in found {
        let slot = local.slots[m.proc as usize];
        let a = &host.follow.alerted()[m.alert as usize];
        let serial = host.procs.get(slot).serial;
        if a.reported.contains(&(m.kind as u8, serial)) {
            continue;
        }
        let mut evidence: Vec<SourceRef> = host.procs.get(slot).source.iter().cloned().collect();
        if m.kind == logic::FollowOnKind::ProtectionRemoved {
            evidence.extend(
                host.follow.removals().iter().filter(|r| r.proc == slot && r.norm == a.norm).map(|r| r.source.clone()),
            );
        }
        let record = FollowOn {
            alert_id: a.alert_id.to_string(),
            analytic: a.analytic,
            host: host.name.to_string(),
            time: ms(m.time),
            kind: m.kind,
            process: image_label(host, slot),
            path: a.path.clone(),
            evidence,
            process_info: Box::new(process_info(host, slot)),
            replaced_invalid_utf8: false,
        };
        let record = FollowOn { replaced_invalid_utf8: holds_replacement(&record), ..record };
        emit.stats.follow_ons += 1;
        emit.out.push(Record::FollowOn(record));
        let payload = matches!(m.kind, logic::FollowOnKind::Executed | logic::FollowOnKind::LolbinWithFile);
        host.follow.reported(&mut host.procs, m.alert as usize, m.kind as u8, slot, payload);
    }
}
