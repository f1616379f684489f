//! The egress kinds: the chain's untrusted egress (`egress`), its destination's risk reasons
//! (`risk`) and how its name came (`egress_dns`).

use clickchain_logic::DnsEvidence;

use super::super::emit::image_label;
use super::super::emit_detail::untrusted_reasons;
use super::super::facts_a::dns_evidence;
use super::process::{hop, under};
use super::{atom, fmt_time, ms, with_needs, ChainView};
use crate::alert::{secs, FactAtom};
use crate::host::EgressEntry;

/// The `egress` kind: the chain's egress, or (a chain that did not form) what the lineage
/// carried; a rule that needs several domains, or an egress by a given process, says so.
pub(super) fn egress(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let w = view.write();
    if view.process_anchor() {
        return cradle_egress(kind, view);
    }
    let mut domains: Vec<&str> = view.egress_in_window().map(|e| &*e.dest.key).collect();
    domains.sort_unstable();
    domains.dedup();
    if view.rule == "redirect-chain" {
        let f = atom(
            kind,
            format!(
                "the lineage reached {} distinct untrusted domain(s) within time_window before the write ({})",
                domains.len(),
                domains.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
            ),
            domains.len() >= 2,
            view.parts.egress.and_then(|e| e.evidence.first().cloned()),
        );
        return with_needs(f, Some("two or more distinct untrusted registrable domains".to_owned()));
    }
    if let Some(e) = view.parts.egress {
        return atom(kind, describe(view, e), true, e.evidence.first().cloned());
    }
    if let Some(origin) = own_origin_link(view) {
        let why = format!(
            "no egress needed: the page's own untrusted origin `{origin}` links it, and the lineage never connected there"
        );
        return atom(kind, why, true, None);
    }
    if view.rule == "office-lolbin" {
        if let Some(f) = lolbin_egress(kind, view) {
            return f;
        }
    }
    let before = view.root_egress().filter(|e| e.time <= w.time).count();
    if before == 0 {
        let after = view.root_egress().count();
        let later = if after > 0 { format!(" ({after} came after it)") } else { String::new() };
        return atom(kind, format!("the link lineage made no untrusted egress before the write{later}"), false, None);
    }
    atom(
        kind,
        format!(
            "the link lineage made {before} untrusted egress before the write, to {} domain(s) within time_window",
            domains.len()
        ),
        true,
        None,
    )
}

/// One egress in words.
fn describe(view: &ChainView<'_>, e: &EgressEntry) -> String {
    format!(
        "untrusted egress to `{}` (risk {}) at {} by `{}`",
        e.dest.domain.as_deref().unwrap_or(&e.dest.key),
        e.dest.risk,
        fmt_time(&ms(e.time)),
        image_label(view.host, e.proc)
    )
}

/// office-lolbin: the egress must come from the LOLBIN or a process it started, within
/// time_window before the write. `None` when the lineage has no LOLBIN (the `lolbin` kind says
/// that).
fn lolbin_egress(kind: &str, view: &ChainView<'_>) -> Option<FactAtom> {
    let l = hop(view)?;
    let name = image_label(view.host, l);
    let needs =
        Some(format!("an untrusted egress by `{name}` or a process it started, within time_window before the write"));
    let by_hop = view.egress_in_window().find(|e| under(view.host, l, e.proc));
    let f = match by_hop {
        Some(e) => atom(kind, describe(view, e), true, e.evidence.first().cloned()),
        None => {
            let others = view.egress_in_window().count();
            atom(
                kind,
                format!(
                    "neither the LOLBIN `{name}` nor a process it started made an untrusted egress within time_window \
                     before the write ({others} by other processes of the lineage)"
                ),
                false,
                None,
            )
        }
    };
    Some(with_needs(f, needs))
}

/// A download cradle's egress: by its process or one it started, at or after its start and
/// within download_gap.
fn cradle_egress(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let (w, gap) = (view.write(), view.profile.params.download_gap);
    let shell = image_label(view.host, w.proc);
    let needs = Some(format!(
        "an untrusted egress by `{shell}` or a process it started within download_gap {} after the cradle started",
        secs(gap)
    ));
    let in_gap = |e: &&EgressEntry| e.time >= w.time && e.time - w.time <= gap && under(view.host, w.proc, e.proc);
    let found = view.parts.egress.or_else(|| view.root_egress().find(in_gap));
    let f = match found {
        Some(e) => atom(
            kind,
            format!("{}, {} after the cradle started", describe(view, e), secs(e.time - w.time)),
            true,
            e.evidence.first().cloned(),
        ),
        None => {
            let by_cradle: Vec<i64> =
                view.root_egress().filter(|e| under(view.host, w.proc, e.proc)).map(|e| e.time - w.time).collect();
            let (before, after) =
                (by_cradle.iter().filter(|&&d| d < 0).count(), by_cradle.iter().filter(|&&d| d > gap).count());
            let others = match by_cradle.len() {
                0 => "none at all".to_owned(),
                _ => format!("{before} before it, {after} later"),
            };
            atom(
                kind,
                format!(
                    "`{shell}` and the processes it started made no untrusted egress within download_gap {} after the \
                     cradle started ({others})",
                    secs(gap)
                ),
                false,
                None,
            )
        }
    };
    with_needs(f, needs)
}

/// The egress the chain stands on: the formed chain's, else the latest of the window.
fn chain_egress<'a>(view: &'a ChainView<'a>) -> Option<&'a EgressEntry> {
    view.parts.egress.or_else(|| view.egress_in_window().max_by_key(|e| e.time))
}

/// The `risk` kind: why the egress's destination is untrusted.
pub(super) fn risk(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let Some(e) = chain_egress(view) else {
        return atom(kind, "no untrusted egress to judge the risk of".to_owned(), false, None);
    };
    let threshold = view.profile.risk.threshold();
    let reasons = untrusted_reasons(&e.dest, threshold);
    atom(
        kind,
        format!(
            "`{}` has risk {} (threshold {threshold}): {}",
            e.dest.domain.as_deref().unwrap_or(&e.dest.key),
            e.dest.risk,
            if reasons.is_empty() { "no reason recorded".to_owned() } else { reasons.join("; ") }
        ),
        true,
        e.evidence.first().cloned(),
    )
}

/// The `egress_dns` kind: how the egress's destination got its name.
pub(super) fn egress_dns(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let Some(e) = chain_egress(view) else {
        return atom(kind, "no untrusted egress whose name to trace".to_owned(), false, None);
    };
    let how = match dns_evidence(e) {
        DnsEvidence::DnsBefore => "a DNS answer before the connection",
        DnsEvidence::DnsLate => "a DNS answer logged after the connection",
        DnsEvidence::DnsOnly => "a DNS answer alone (no connection was logged)",
        DnsEvidence::ConnectName => "the connection record itself",
        DnsEvidence::ClickUrl => "the clicked URL",
        DnsEvidence::None => "nothing: the destination is an address without a name",
    };
    // The connection first, then the DNS answers that named it.
    let record = e.evidence.get(1).or(e.evidence.first()).cloned();
    atom(kind, format!("the destination `{}` was named by {how}", e.dest.key), true, record)
}

/// `html-smuggling`'s page case links a markup file by its own untrusted origin when the lineage
/// never reached it (`logic/src/rules/html_smuggling.rs`): that origin, if so.
fn own_origin_link<'a>(view: &'a ChainView<'_>) -> Option<&'a str> {
    let w = view.write();
    let markup =
        w.extension.as_deref().and_then(clickchain_logic::ExtClass::of) == Some(clickchain_logic::ExtClass::Markup);
    let origin = w.origin_key.as_deref().filter(|_| view.rule == "html-smuggling" && markup && !w.origin_trusted)?;
    let reached = view
        .root_egress()
        .any(|e| &*e.dest.key == origin && e.time <= w.time && w.time - e.time <= view.profile.params.window);
    (!reached).then_some(origin)
}
