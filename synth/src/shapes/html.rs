//! `html-smuggling`: (a) a payload written from a `blob:` or `data:` origin after a page on an
//! untrusted domain; (b) an HTML file written from a domain the lineage never reached, then
//! opened by a browser.

use clickchain_adapters::{AttrChange, EventKind, FileOp, Origin, Os, ProcKey};

use super::{built, near_miss, positive, Built, Case};
use crate::chain::Injected;
use crate::host::HostSim;
use crate::variant::{Anchor, Variant};
use crate::ChainVia;

/// Payload extensions of smuggled files on each OS.
fn payload_exts(os: Os) -> &'static [&'static str] {
    match os {
        Os::Windows => &["exe", "zip", "iso", "js", "lnk"],
        Os::Linux => &["sh", "zip", "AppImage"],
        Os::Macos => &["dmg", "zip", "pkg"],
    }
}

/// A page on `domain` opened in the running browser: URL-open, DNS and connect. Returns the
/// page URL and the sequence numbers of the click and the connect.
fn page(h: &mut HostSim, t: i64, domain: &str, n: u64) -> (String, u32, u32) {
    let url = format!("https://{domain}/share/view?doc={n}");
    let root = h.root.clone();
    let net = h.net.clone();
    let click = h.emit(t, EventKind::UrlOpen { proc: root.clone(), url: url.clone() });
    let ip = h.dns(t + 200, Some(root), domain);
    let connect = h.out.len() as u32;
    h.connect(t + 300, &net, ip, None);
    (url, click, connect)
}

/// The browser `root` writes `file` into Downloads from `origin_url` (partial, then the rename
/// with the origin, and on macOS the quarantine flag). Returns the path and the rename's
/// sequence number.
fn save(
    h: &mut HostSim,
    root: &ProcKey,
    t: i64,
    file: &str,
    origin_url: String,
    referrer: Option<String>,
) -> (String, u32) {
    let root = root.clone();
    let path = h.downloads(file);
    let partial = format!("{path}{}", h.browser.partial);
    h.write(t, &root, partial.clone(), FileOp::Create, None);
    let mut origin = Origin { url: Some(origin_url), referrer, ..Origin::default() };
    match h.os {
        Os::Windows => origin.zone = Some(3),
        Os::Macos => {
            h.attr(t + 50, &root, partial.clone(), AttrChange::QuarantineSet);
        }
        Os::Linux => {}
    }
    let seq = h.write(t + 800, &root, path.clone(), FileOp::Rename { from: partial }, Some(origin));
    (path, seq)
}

/// A browser started with `path` on its command line (the user opens the saved file).
fn open(h: &mut HostSim, t: i64, path: &str) {
    let shell = h.shell.clone();
    let image = h.browser.image;
    h.spawn(t, Some(t + 60_000), &shell, image, Some(format!("\"{image}\" {path}")), false);
}

/// Positive, half of each: (a) a payload from a `blob:`/`data:` origin within the download gap
/// of an untrusted page (a base chain too), or (b) an `.html`/`.svg` saved by a browser window
/// that reached no untrusted domain, from a domain never reached, opened within minutes.
/// Near miss 0: an `.html` saved from the untrusted page's domain, then opened; near miss 1: a
/// `blob:` PDF after the page. Both near misses are downloads after an untrusted page: base
/// chains.
pub(super) fn html_smuggling(h: &mut HostSim, t: i64, case: Case) -> Option<Injected> {
    let n = h.next_n();
    let lure = *h.rng.pick(crate::catalog::LURES);
    let smuggled = case == Case::Positive && h.rng.chance(0.5);
    if case == Case::Positive && !smuggled {
        // (b): the lineage never connects to the origin's domain.
        let unseen = h.risky(true);
        let ext = *h.rng.pick(&["html", "htm", "svg", "shtml", "xhtml"]);
        let file = format!("{lure}_{n}.{ext}");
        let origin = format!("https://{unseen}/m/{file}");
        // A browser window of its own: its lineage reaches no untrusted domain at all.
        let shell = h.shell.clone();
        let image = h.browser.image;
        let first = h.out.len() as u32;
        let window = h.spawn(t, Some(t + 30_000), &shell, image, Some(format!("\"{image}\"")), false);
        let (path, write) = save(h, &window, t + 500, &file, origin.clone(), None);
        let at = t + 800 + h.rng.range(5_000, 120_000);
        let opened = h.out.len() as u32;
        open(h, at, &path);
        let chain = Built {
            root: window,
            root_image: h.path(image),
            via: ChainVia::UrlOpen,
            url: origin,
            domain: unseen,
            path,
            click_ms: t,
            egress_ms: t + 1_300,
            write_ms: t + 1_300,
            lineage_depth: 0,
            anchor: Anchor::File,
            seqs: vec![first, write, opened],
        };
        return Some(positive(built(h, chain), Variant::HtmlSmuggling, false, &[Variant::HtmlSmuggling]));
    }
    let domain = h.risky(true);
    let (url, click, connect) = page(h, t, &domain, n);
    let save_ms = t + 1_500 + h.rng.range(0, 20_000);
    let root = h.root.clone();
    // Near misses are still downloads after an untrusted page: base chains.
    let (file, origin, rules): (String, String, &[Variant]) = match case {
        Case::NearMiss(0) => {
            let file = format!("{lure}_{n}.html");
            let origin = format!("https://{domain}/share/{file}");
            (file, origin, &[])
        }
        Case::NearMiss(_) => (format!("{lure}_{n}.pdf"), format!("blob:https://{domain}/{n:08x}-4e1f-9c3a"), &[]),
        Case::Positive => {
            let ext = *h.rng.pick(payload_exts(h.os));
            let origin = match h.rng.chance(0.5) {
                true => format!("blob:https://{domain}/{n:08x}-7d2e-4b6a-a1f0"),
                false => "data:application/octet-stream;base64,UEsDBBQAAAAIAA".to_owned(),
            };
            (format!("{lure}_{n}.{ext}"), origin, &[Variant::HtmlSmuggling])
        }
    };
    let (path, write) = save(h, &root, save_ms, &file, origin, Some(url.clone()));
    if case == Case::NearMiss(0) {
        let at = save_ms + h.rng.range(5_000, 60_000);
        open(h, at, &path);
    }
    if case != Case::Positive {
        near_miss(h, Variant::HtmlSmuggling, &path, save_ms + 800);
    }
    let chain = Built {
        root,
        root_image: h.path(h.browser.image),
        via: ChainVia::UrlOpen,
        url,
        domain,
        path,
        click_ms: t,
        egress_ms: t + 300,
        write_ms: save_ms + 800,
        lineage_depth: 0,
        anchor: Anchor::File,
        seqs: vec![click, connect, write],
    };
    Some(match case {
        Case::Positive => positive(built(h, chain), Variant::HtmlSmuggling, true, rules),
        Case::NearMiss(_) => built(h, chain),
    })
}
