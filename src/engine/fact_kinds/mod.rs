//! The one place that says, for each fact kind a rule reads (`RuleHeader::data`, `docs/rules.md`
//! "Facts"), what that fact is for one chain and whether it is what the rule needs. Alert
//! derivations (`derive.rs`) and per-rule reasons for a missing alert (`unmatched.rs`) both
//! read it. A new fact kind is one arm of [`fact`]; a kind without an arm says so. The arms
//! of the egress kinds are in `egress`, of the process kinds in `process`, of what followed a
//! write in `held`, and of where a file came from or sits in `origin`.

#[cfg(test)]
mod arm_tests;
mod egress;
mod held;
mod origin;
mod process;

use clickchain_adapters::SourceRef;
use clickchain_logic::{rules, ExtClass, LinkClass};

use super::emit::image_label;
use super::emit_detail::{lineage_slots, ChainParts};
use crate::alert::{fmt_time, Anchor, FactAtom};
use crate::host::proctable::Slot;
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

    /// The processes from the link root down to the anchor's (root first).
    fn slots(&self) -> Vec<Slot> {
        lineage_slots(self.host, self.parts.root, self.write().proc)
    }

    /// Whether the anchor is a process start (a download cradle), not a file write.
    fn process_anchor(&self) -> bool {
        self.write().anchor == Anchor::Process
    }

    /// The rule's hold (`docs/rules.md` "Hold"): how long after the write what follows it counts.
    fn hold(&self) -> i64 {
        rules::rule(self.rule).map_or(0, |r| r.header.hold)
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
            let n = view.slots().len();
            let anchor = if view.process_anchor() { "download cradle" } else { "writer" };
            let mut f = FactAtom::new(
                kind,
                format!(
                    "`{}` is in the lineage of link root `{}` ({}), {n} process(es) from root to {anchor}",
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
                "terminal-cradle" => Some(&[LinkClass::Browser]),
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
            let needs = write_ext_needs(view.rule);
            let ext = w.extension.as_deref().map_or("no extension".to_owned(), |e| format!("`.{e}`"));
            let mut f = FactAtom::new(
                kind,
                format!("the file's extension class is {} ({ext})", class.map_or("none", ExtClass::as_str)),
                Some(needs.is_none_or(|n| class.is_some_and(|c| n.contains(&c)))),
            );
            f.needs = needs.map(|n| format!("a file of class {}", one_of(n.iter().map(|c| c.as_str()))));
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
        "egress" => egress::egress(kind, view),
        "risk" => egress::risk(kind, view),
        "egress_dns" => egress::egress_dns(kind, view),
        "ancestor" => process::ancestor(kind, view),
        "lolbin" => process::lolbin(kind, view),
        "cmd_class" => process::cmd_class(kind, view),
        "terminal" => process::terminal(kind, view),
        "cradle" => process::cradle(kind, view),
        "protection_removed" => held::protection_removed(kind, view),
        "executed" => held::executed(kind, view),
        "container_exec" => held::container_exec(kind, view),
        "opened" => held::opened(kind, view),
        "write_container" => origin::write_container(kind, view),
        "write_origin" => origin::write_origin(kind, view),
        "referrer_domain" => origin::referrer_domain(kind, view),
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

/// The extension classes `rule` needs of its file (its crepe program's `WriteExt` condition);
/// `None`: any.
fn write_ext_needs(rule: &str) -> Option<&'static [ExtClass]> {
    use ExtClass::*;
    match rule {
        "mail-payload" => Some(&[Shortcut, DiskImage, Script]),
        "office-lolbin" => Some(&[Executable, Script, Archive]),
        "container-run" => Some(&[Archive, DiskImage]),
        "macos-quarantine-stripped" => Some(&[DiskImage, Executable, Archive]),
        // A payload (blob:/data:/about: origin) or a markup file (opened): anything but a document.
        "html-smuggling" => Some(&[Executable, Script, Archive, DiskImage, Shortcut, Markup]),
        _ => None,
    }
}

/// A fact with its record.
fn atom(kind: &str, fact: String, holds: bool, record: Option<SourceRef>) -> FactAtom {
    let mut f = FactAtom::new(kind, fact, Some(holds));
    f.record = record;
    f
}

/// What `view`'s rule needs in this kind when the fact does not hold; `holds` true (the rule
/// does not ask it) without needs.
fn with_needs(mut f: FactAtom, needs: Option<String>) -> FactAtom {
    f.needs = needs;
    f
}

/// A fact kind without an arm in [`fact`]: said, never guessed.
fn unexplained(kind: &str) -> FactAtom {
    FactAtom::new(kind, format!("fact kind {kind}: no explanation yet"), None)
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
