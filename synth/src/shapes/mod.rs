//! The shapes of the rule variants ([`Variant`]): positives (labelled chains naming the rules
//! that must alert) and near misses (labelled [`DecoyKind::NearMiss`]; a near miss that is
//! still a base chain is also labelled as a chain with the base rules only).
//!
//! Each shape builds on the base chained download where the variant does (link root →
//! untrusted egress → download-like write in a user folder, `chain::inject_with`), then adds
//! what the variant looks for after it.

mod containers;
mod cradle;
mod html;
#[cfg(test)]
mod tests;
mod windows;

use clickchain_adapters::Os;

use crate::chain::Injected;
use crate::host::HostSim;
use crate::variant::{Variant, BASE_RULE};
use crate::{Decoy, DecoyKind, Params};

/// A positive, or the near miss of that number (each variant has two kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Positive,
    NearMiss(u8),
}

/// One variant episode to inject.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Planned {
    pub variant: Variant,
    pub case: Case,
    /// Placed before any chain of the host (a near miss that must precede every download).
    pub first: bool,
}

/// The variant episodes of a host running `os`: per round, a positive and a near miss of each
/// selected variant that applies (near-miss kinds alternate between rounds).
pub(crate) fn plan(p: &Params, os: Os) -> Vec<Planned> {
    let mut out = Vec::new();
    for round in 0..p.variant_chains {
        for &variant in p.variants.iter().filter(|v| v.applies_to(os)) {
            let kind = (round % 2) as u8;
            out.push(Planned { variant, case: Case::Positive, first: false });
            // An exec from a mounted volume must come before any chained container download.
            let first = variant == Variant::ContainerRun && kind == 0;
            out.push(Planned { variant, case: Case::NearMiss(kind), first });
        }
    }
    out
}

/// Injects one planned episode at `t`; returns the chain it labels, if any.
pub(crate) fn inject(h: &mut HostSim, t: i64, p: &Params, planned: Planned) -> Option<Injected> {
    match planned.variant {
        Variant::OfficeLolbin => windows::office_lolbin(h, t, planned.case),
        Variant::MotwRemovedRun => Some(windows::motw_removed_run(h, t, p, planned.case)),
        Variant::TerminalCradle => cradle::terminal_cradle(h, t, planned.case),
        Variant::ContainerRun => containers::container_run(h, t, p, planned.case),
        Variant::HtmlSmuggling => html::html_smuggling(h, t, planned.case),
        Variant::MacosQuarantineStripped => Some(containers::quarantine_stripped(h, t, p, planned.case)),
    }
}

/// Marks `chain` as a positive of `variant`: its rules become the base rule (if it is a base
/// chain too) plus `rules`.
fn positive(mut chain: Injected, variant: Variant, base: bool, rules: &[Variant]) -> Injected {
    chain.chain.variant = Some(variant);
    chain.chain.rules = base.then_some(BASE_RULE).into_iter().chain(rules.iter().map(|r| r.as_str())).collect();
    chain.chain.rules.sort_unstable();
    chain
}

/// Labels the file or process image at `path` as a near miss of `variant`.
fn near_miss(h: &mut HostSim, variant: Variant, path: &str, time_ms: i64) {
    h.decoys.push(Decoy { host: h.name.clone(), path: path.to_owned(), kind: DecoyKind::NearMiss(variant), time_ms });
}

/// The lowercase extension of a file name or path.
pub(crate) fn ext_of(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.rsplit_once('.').map_or(String::new(), |(_, e)| e.to_ascii_lowercase())
}

/// An archive or disk image (what `container-run` follows).
pub(crate) fn is_container(path: &str) -> bool {
    ["zip", "7z", "rar", "iso", "img", "vhd", "vhdx", "dmg"].contains(&ext_of(path).as_str())
}

/// The file name without its last extension.
fn stem_of(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// What a shape built outside the base chained download tells its label.
struct Built {
    root: clickchain_adapters::ProcKey,
    root_image: String,
    via: crate::ChainVia,
    url: String,
    domain: String,
    path: String,
    click_ms: i64,
    egress_ms: i64,
    write_ms: i64,
    lineage_depth: usize,
    anchor: crate::variant::Anchor,
    seqs: Vec<u32>,
}

/// The labelled chain of a shape built outside the base chained download.
fn built(h: &HostSim, b: Built) -> Injected {
    let chain = crate::Chain {
        host: h.name.clone(),
        os: h.os,
        via: b.via,
        root: b.root,
        root_image: b.root_image,
        url: b.url,
        domain: b.domain,
        partial_path: b.path.clone(),
        final_path: b.path,
        click_ms: b.click_ms,
        egress_ms: b.egress_ms,
        write_ms: b.write_ms,
        executed: false,
        quarantined: true,
        lineage_depth: b.lineage_depth,
        evasions: Vec::new(),
        events: Vec::new(),
        variant: None,
        anchor: b.anchor,
        rules: vec![BASE_RULE],
    };
    Injected { chain, seqs: b.seqs }
}
