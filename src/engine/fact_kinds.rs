//! The one place that says, for each fact kind a rule reads (`RuleHeader::data`, `docs/rules.md`
//! "Facts"), what that fact is for one chain and whether it is what the rule needs. Alert
//! derivations (`derive.rs`) and per-rule reasons for a missing alert (`unmatched.rs`) both
//! read it. A new fact kind is one arm of [`fact`]; a kind without an arm says so.

use clickchain_adapters::SourceRef;
use clickchain_logic::{ExtClass, LinkClass};

use super::emit::image_label;
use super::emit_detail::{lineage_slots, ChainParts};
use crate::alert::{fmt_time, FactAtom};
use crate::host::{EgressEntry, Host, PendingWrite};
use crate::profile::Profile;

/// One chain (matched or not) as the fact kinds read it.
pub(super) struct ChainView<'a> {
    pub host: &'a Host,
    pub profile: &'a Profile,
    /// The rule whose needs are checked.
    pub rule: &'a str,
    /// The chain; without an egress (a write that formed none) the lineage's carried egress is
    /// looked at instead.
    pub parts: &'a ChainParts<'a>,
}

impl ChainView<'_> {
    fn write(&self) -> &PendingWrite {
        self.parts.write
    }

    /// The untrusted egress of the link root at or before the write, and within `time_window`.
    pub(super) fn egress_in_window(&self) -> impl Iterator<Item = &EgressEntry> {
        let (tw, window) = (self.write().time, self.profile.params.window);
        self.root_egress().filter(move |e| e.time <= tw && tw - e.time <= window)
    }

    /// Every untrusted egress carried for the link root.
    pub(super) fn root_egress(&self) -> impl Iterator<Item = &EgressEntry> {
        self.host.roots.get(self.parts.root).map(|s| s.egress()).into_iter().flatten()
    }

    /// The link-source class of the root.
    pub(super) fn link_class(&self) -> LinkClass {
        self.profile.link_class(&self.host.procs.get(self.parts.root).image)
    }
}

/// The fact about `view`'s chain in fact kind `kind`.
pub(super) fn fact(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let w = view.write();
    match kind {
        "lineage" => {
            let root = view.parts.root;
            let n = lineage_slots(view.host, root, w.proc).len();
            let mut f = FactAtom::new(
                kind,
                format!(
                    "`{}` is in the lineage of link root `{}` ({}), {n} process(es) from root to writer",
                    image_label(view.host, w.proc),
                    image_label(view.host, root),
                    view.link_class().as_str()
                ),
                Some(true),
            );
            f.record = view.host.procs.get(root).source.clone();
            f
        }
        "link_class" => {
            let class = view.link_class();
            let needs: Option<&[LinkClass]> = match view.rule {
                "mail-payload" => Some(&[LinkClass::Mail]),
                "office-lolbin" => Some(&[LinkClass::Office, LinkClass::Mail]),
                _ => None,
            };
            let root = image_label(view.host, view.parts.root);
            let mut f = FactAtom::new(
                kind,
                format!("the link root `{root}` is a {} link source", class.as_str()),
                Some(needs.is_none_or(|n| n.contains(&class))),
            );
            f.needs = needs.map(|n| format!("a {} link source", one_of(n.iter().map(|c| c.as_str()))));
            f.record = view.host.procs.get(view.parts.root).source.clone();
            f
        }
        "write_ext" => {
            let class = w.extension.as_deref().and_then(ExtClass::of);
            let needs: Option<&[ExtClass]> = match view.rule {
                "mail-payload" => Some(&[ExtClass::Shortcut, ExtClass::DiskImage, ExtClass::Script]),
                _ => None,
            };
            let ext = w.extension.as_deref().map_or("no extension".to_owned(), |e| format!("`.{e}`"));
            let mut f = FactAtom::new(
                kind,
                format!("the file's extension class is {} ({ext})", class.map_or("none", ExtClass::as_str)),
                Some(needs.is_none_or(|n| class.is_some_and(|c| n.contains(&c)))),
            );
            f.needs = needs.map(|n| format!("a {} file", one_of(n.iter().map(|c| c.as_str()))));
            f.record = final_record(w).cloned();
            f
        }
        "click" => {
            // A formed chain names its click (none: inferred); otherwise the lineage's latest.
            let latest = match view.parts.egress {
                Some(_) => view.parts.click,
                None => view.host.roots.latest_click(view.parts.root, w.time),
            };
            let mut f = match latest {
                Some(c) => FactAtom::new(
                    kind,
                    format!(
                        "observed click `{}` at {} by `{}`",
                        c.url,
                        fmt_time(&ms(c.time)),
                        image_label(view.host, c.proc)
                    ),
                    Some(true),
                ),
                None => FactAtom::new(
                    kind,
                    "no observed click in the lineage: the click is inferred at the first untrusted egress".to_owned(),
                    Some(true),
                ),
            };
            f.record = latest.map(|c| c.source.clone());
            f
        }
        "egress" => egress_fact(kind, view),
        "write" => {
            let origin =
                w.origin.as_ref().and_then(|o| o.url.as_deref()).map(|u| format!(", origin `{u}`")).unwrap_or_default();
            let mut f = FactAtom::new(
                kind,
                format!(
                    "download-like write `{}` at {} by `{}`{origin}",
                    w.path,
                    fmt_time(&ms(w.time)),
                    image_label(view.host, w.proc)
                ),
                Some(true),
            );
            f.record = final_record(w).cloned();
            f
        }
        "quarantine" => {
            let fact = if !w.quarantine_candidate {
                "not a QuarantinePolicy candidate".to_owned()
            } else if view.parts.quarantine_missing {
                "an executable in a quarantine-policy folder that got no com.apple.quarantine in time".to_owned()
            } else {
                "an executable in a quarantine-policy folder with its com.apple.quarantine flag".to_owned()
            };
            FactAtom::new(kind, fact, Some(true))
        }
        other => unexplained(other),
    }
}

/// A fact kind without an arm in [`fact`]: said, never guessed.
fn unexplained(kind: &str) -> FactAtom {
    FactAtom::new(kind, format!("fact kind {kind}: no explanation yet"), None)
}

/// The `egress` kind: the chain's egress, or (a chain that did not form) what the lineage
/// carried; a rule that needs several domains says how many were reached.
fn egress_fact(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let w = view.write();
    let mut domains: Vec<&str> = view.egress_in_window().map(|e| &*e.dest.key).collect();
    domains.sort_unstable();
    domains.dedup();
    if view.rule == "redirect-chain" {
        let mut f = FactAtom::new(
            kind,
            format!(
                "the lineage reached {} distinct untrusted domain(s) within time_window before the write ({})",
                domains.len(),
                domains.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
            ),
            Some(domains.len() >= 2),
        );
        f.needs = Some("two or more distinct untrusted registrable domains".to_owned());
        f.record = view.parts.egress.and_then(|e| e.evidence.first().cloned());
        return f;
    }
    if let Some(e) = view.parts.egress {
        let mut f = FactAtom::new(
            kind,
            format!(
                "untrusted egress to `{}` (risk {}) at {} by `{}`",
                e.dest.domain.as_deref().unwrap_or(&e.dest.key),
                e.dest.risk,
                fmt_time(&ms(e.time)),
                image_label(view.host, e.proc)
            ),
            Some(true),
        );
        f.record = e.evidence.first().cloned();
        return f;
    }
    let before = view.root_egress().filter(|e| e.time <= w.time).count();
    if before == 0 {
        let after = view.root_egress().count();
        let later = if after > 0 { format!(" ({after} came after it)") } else { String::new() };
        return FactAtom::new(
            kind,
            format!("the link lineage made no untrusted egress before the write{later}"),
            Some(false),
        );
    }
    FactAtom::new(
        kind,
        format!(
            "the link lineage made {before} untrusted egress before the write, to {} domain(s) within time_window",
            domains.len()
        ),
        Some(true),
    )
}

/// `a`, `a or b`, `a, b or c`.
fn one_of<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The record that gave a write its final name.
pub(super) fn final_record(w: &PendingWrite) -> Option<&SourceRef> {
    let renamed = w.renamed_from.is_some();
    w.evidence.get(usize::from(renamed && w.evidence.len() >= 2))
}

fn ms(t: i64) -> chrono::DateTime<chrono::Utc> {
    super::emit::ms(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_without_an_arm_says_so_and_holds_nothing() {
        let f = unexplained("cradle");
        assert_eq!(f.fact, "fact kind cradle: no explanation yet");
        assert_eq!((f.kind.as_str(), f.holds, f.needs, f.record), ("cradle", None, None, None));
    }

    #[test]
    fn alternatives_read_as_a_list() {
        assert_eq!(one_of(["mail"].into_iter()), "mail");
        assert_eq!(one_of(["office", "mail"].into_iter()), "office or mail");
        assert_eq!(one_of(["shortcut", "disk_image", "script"].into_iter()), "shortcut, disk_image or script");
    }
}
