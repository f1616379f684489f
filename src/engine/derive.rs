//! An alert's derivation (`docs/alerts.md`, "Derivation"): built from the chosen chain when
//! `[rules] explain` is on, and only then, so a normal run pays nothing for it.

use clickchain_logic::rules;

use super::emit::{image_label, ms};
use super::emit_detail::{lineage_slots, strength_basis, strength_of, strength_reason, untrusted_reasons};
use super::fact_kinds::{fact, final_record, ChainView};
use crate::alert::{
    Alert, Anchor, ClickAtom, Derivation, EgressAtom, EgressInfo, LinkSource, ParamsUsed, ProcessStep, StrengthAtom,
    StrengthBasis, WindowTest, WriteAtom,
};
use crate::host::proctable::Slot;
use crate::host::{EgressEntry, Host};

/// The derivation of the chain `view` shows, which its rule matched, built into `alert` (whose
/// click, egress and write it repeats with their records).
pub(super) fn derivation(view: &ChainView<'_>, alert: &Alert) -> Derivation {
    let (host, profile, parts) = (view.host, view.profile, view.parts);
    let w = parts.write;
    let p = &profile.params;
    let data = rules::rule(view.rule).map_or(&[][..], |r| r.header.data);
    let egress = parts.egress;
    // The alert's click: observed, or inferred at the first untrusted egress of the window.
    let click = alert.click.clone().map(|click| ClickAtom { click, record: parts.click.map(|c| c.source.clone()) });
    Derivation {
        rule: view.rule.to_owned(),
        link_source: LinkSource { process: step(host, parts.root), link_class: view.link_class().as_str().to_owned() },
        writer_path: path(host, parts.root, w.proc),
        egress_path: egress.map(|e| path(host, parts.root, e.proc)).unwrap_or_default(),
        click,
        egress: egress.zip(alert.egress.clone()).map(|(e, info)| egress_atom(view, e, info)),
        write: WriteAtom {
            write: alert.write.clone(),
            origin_domain: w.origin_key.as_deref().map(str::to_owned),
            origin_trusted: w.origin_trusted,
            record: final_record(w).cloned(),
        },
        window: egress.map(|e| match w.anchor {
            Anchor::Process => cradle_window_test(view, e),
            _ => window_test(view, e),
        }),
        strength: egress.zip(parts.strength).map(|(e, s)| {
            // A download cradle names no origin: its egress within download_gap after the start
            // is what makes it medium.
            let basis = match w.anchor {
                Anchor::Process => StrengthBasis::WithinDownloadGap,
                _ => strength_basis(profile, w, e),
            };
            debug_assert_eq!(strength_of(basis), s, "the derivation's strength is the rule's");
            StrengthAtom { strength: s, basis, why: strength_reason(profile, parts, e), min_strength: p.min_strength }
        }),
        params: ParamsUsed {
            time_window_ms: p.window,
            download_gap_ms: p.download_gap,
            min_strength: p.min_strength,
            quarantine_grace_ms: p.quarantine_grace,
        },
        facts: data.iter().map(|kind| fact(kind, view)).collect(),
    }
}

fn step(host: &Host, slot: Slot) -> ProcessStep {
    let p = host.procs.get(slot);
    ProcessStep { image: image_label(host, slot), pid: p.pid, start: p.start.map(ms), record: p.source.clone() }
}

fn path(host: &Host, root: Slot, proc: Slot) -> Vec<ProcessStep> {
    lineage_slots(host, root, proc).into_iter().map(|s| step(host, s)).collect()
}

fn egress_atom(view: &ChainView<'_>, e: &EgressEntry, egress: EgressInfo) -> EgressAtom {
    let threshold = view.profile.risk.threshold();
    EgressAtom {
        egress,
        threshold,
        why: untrusted_reasons(&e.dest, threshold),
        // Lowering records the connection first, then the DNS answers that named it.
        record: e.evidence.first().cloned(),
        dns_records: e.evidence.iter().skip(1).cloned().collect(),
    }
}

/// The rule's order and window test: an observed click needs tc ≤ te ≤ tw and tw − tc within
/// the window, an inferred one te ≤ tw and tw − te within it.
fn window_test(view: &ChainView<'_>, e: &EgressEntry) -> WindowTest {
    let tw = view.parts.write.time;
    let window = view.profile.params.window;
    let tc = view.parts.click.map(|c| c.time);
    let start = tc.unwrap_or(e.time);
    let click_before_egress = tc.map(|tc| tc <= e.time);
    let egress_before_write = e.time <= tw;
    let elapsed = tw - start;
    WindowTest {
        from: if tc.is_some() { "click" } else { "egress" }.to_owned(),
        click_before_egress,
        egress_before_write,
        egress_to_write_ms: tw - e.time,
        elapsed_ms: elapsed,
        time_window_ms: window,
        holds: click_before_egress.unwrap_or(true) && egress_before_write && elapsed <= window,
    }
}

/// A download cradle's order and window test: its start ts, then the egress te of its process
/// (or one it started) with te − ts within download_gap. `from` is `cradle`, `elapsed_ms`
/// te − ts and `time_window_ms` the download_gap it is held to.
fn cradle_window_test(view: &ChainView<'_>, e: &EgressEntry) -> WindowTest {
    let start = view.parts.write.time;
    let gap = view.profile.params.download_gap;
    let elapsed = e.time - start;
    WindowTest {
        from: "cradle".to_owned(),
        click_before_egress: None,
        egress_before_write: e.time <= start,
        egress_to_write_ms: start - e.time,
        elapsed_ms: elapsed,
        time_window_ms: gap,
        holds: elapsed >= 0 && elapsed <= gap,
    }
}
