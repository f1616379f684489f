//! The process kinds: the anchor's ancestry (`ancestor`), the LOLBIN on it and its command line
//! (`lolbin`, `cmd_class`), the terminal above a download cradle (`terminal`) and the cradle
//! itself (`cradle`). They read the same classification the rules' facts are built from
//! (`facts_a`).

use clickchain_logic::CmdClass;

use super::super::emit::image_label;
use super::super::facts_a::{cmd_classes, is_terminal};
use super::{atom, fmt_time, ms, with_needs, ChainView};
use crate::alert::FactAtom;
use crate::host::proctable::Slot;
use crate::host::Host;

/// Whether `proc` is `top` or a process `top` started (at any depth).
pub(super) fn under(host: &Host, top: Slot, proc: Slot) -> bool {
    proc == top || host.procs.ancestors(proc).any(|a| a == top)
}

/// Whether a command line's classes fetch a URL (office-lolbin's `Hop`).
fn fetches_url(classes: &[CmdClass]) -> bool {
    classes.iter().any(|c| matches!(c, CmdClass::LolbinUrl | CmdClass::DownloadCradle))
}

/// The LOLBIN of the chain, below the link root down to the anchor's process: the first that
/// fetches a URL, else the first at all.
pub(super) fn hop(view: &ChainView<'_>) -> Option<Slot> {
    let below: Vec<Slot> = view.slots().into_iter().skip(1).filter(|&s| view.host.procs.get(s).lolbin).collect();
    below.iter().copied().find(|&s| fetches_url(&cmd_classes(view.host, view.profile, s))).or(below.first().copied())
}

/// `` `image` (pid n) ``.
fn who(view: &ChainView<'_>, slot: Slot) -> String {
    let pid = view.host.procs.get(slot).pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
    format!("`{}`{pid}", image_label(view.host, slot))
}

/// `a` → `b` → `c`.
fn path_words(view: &ChainView<'_>, slots: &[Slot]) -> String {
    slots.iter().map(|&s| format!("`{}`", image_label(view.host, s))).collect::<Vec<_>>().join(" → ")
}

/// The `ancestor` kind: the processes above the anchor's, up to the link root.
pub(super) fn ancestor(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let slots = view.slots();
    let (anchor, above) = slots.split_last().map_or((view.write().proc, &[][..]), |(a, r)| (*a, r));
    let parent = above.last().and_then(|&p| view.host.procs.get(p).source.clone());
    atom(
        kind,
        format!(
            "`{}` has {} ancestor(s) up to the link root: {}",
            image_label(view.host, anchor),
            above.len(),
            path_words(view, &slots)
        ),
        true,
        parent,
    )
}

/// The `lolbin` kind: a LOLBIN (the configuration's `lolbins`) between the link root and the
/// anchor's process, that process included.
pub(super) fn lolbin(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let needs = (view.rule == "office-lolbin").then(|| {
        "a LOLBIN (the configuration's lolbins) under the office or mail root that is the writer or an ancestor of it"
            .to_owned()
    });
    let f = match hop(view) {
        Some(l) => atom(
            kind,
            format!("{} in the lineage is a LOLBIN", who(view, l)),
            true,
            view.host.procs.get(l).source.clone(),
        ),
        None => {
            atom(kind, format!("no process of {} is a LOLBIN", path_words(view, &view.slots())), needs.is_none(), None)
        }
    };
    with_needs(f, needs)
}

/// The `cmd_class` kind: what the LOLBIN's command line (or, without one, the anchor's) does.
pub(super) fn cmd_class(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let slot = hop(view).unwrap_or(view.write().proc);
    let classes = cmd_classes(view.host, view.profile, slot);
    let p = view.host.procs.get(slot);
    let line = p.details.as_ref().and_then(|d| d.command_line.as_deref());
    let needs = (view.rule == "office-lolbin")
        .then(|| "a LOLBIN command line that fetches a URL (lolbin_url or download_cradle)".to_owned());
    let what = match (line, classes.is_empty()) {
        (None, _) => "has no command line logged".to_owned(),
        (Some(l), true) => format!("command line `{l}` is of no class"),
        (Some(l), false) => format!(
            "command line `{l}` classifies as {}",
            classes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    let holds = needs.is_none() || (p.lolbin && fetches_url(&classes));
    let f = atom(kind, format!("`{}`'s {what}", image_label(view.host, slot)), holds, p.source.clone());
    with_needs(f, needs)
}

/// The `terminal` kind: a terminal emulator above the anchor's process, below the link root.
pub(super) fn terminal(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let slots = view.slots();
    let above = slots.split_last().map_or(&[][..], |(_, r)| r);
    let needs = (view.rule == "terminal-cradle").then(|| {
        "a terminal emulator (gnome-terminal, konsole, xterm, …) between the browser root and the download cradle"
            .to_owned()
    });
    let f = match above.iter().skip(1).rev().copied().find(|&s| is_terminal(view.host, view.profile, s)) {
        Some(t) => atom(
            kind,
            format!("the terminal {} is an ancestor of `{}`", who(view, t), image_label(view.host, view.write().proc)),
            true,
            view.host.procs.get(t).source.clone(),
        ),
        None => atom(kind, format!("no terminal emulator among {}", path_words(view, &slots)), needs.is_none(), None),
    };
    with_needs(f, needs)
}

/// The `cradle` kind: the process start the chain is anchored on, if it is a download cradle.
pub(super) fn cradle(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let w = view.write();
    if view.process_anchor() {
        let p = view.host.procs.get(w.proc);
        let line = p.details.as_ref().and_then(|d| d.command_line.as_deref()).unwrap_or("-");
        let fact = format!("download cradle `{line}` started at {} by {}", fmt_time(&ms(w.time)), who(view, w.proc));
        // The cradle anchor's one record is its process start.
        return atom(kind, fact, true, w.evidence.first().cloned());
    }
    let needs = Some("a process start whose command line is a download cradle (`curl … | sh`)".to_owned());
    let f = atom(kind, "the anchor is a file write, not a download cradle's start".to_owned(), false, None);
    with_needs(f, needs)
}
