//! `container-run` (a chained archive or disk image, then a process starting from inside it)
//! and `macos-quarantine-stripped` (a chained `.dmg`/`.zip` loses `com.apple.quarantine`, then
//! runs from its volume or its download folder).

use clickchain_adapters::{AttrChange, Os};

use super::{near_miss, positive, stem_of, Case};
use crate::chain::{inject_with, Injected};
use crate::host::HostSim;
use crate::variant::Variant;
use crate::Params;

/// Container extensions a chained download of each OS gets.
fn container_exts(os: Os) -> &'static [&'static str] {
    match os {
        Os::Windows => &["zip", "iso", "img", "vhd"],
        Os::Linux => &["zip", "iso"],
        Os::Macos => &["dmg", "zip"],
    }
}

/// Where a process starts from inside the container at `archive` (a chained download): the
/// Explorer zip view's or 7-Zip's temp folder, an extraction folder beside it, or the mounted
/// volume of a disk image (a drive letter, `/Volumes/<name>`, `/media/<user>/<label>`).
fn inside(h: &mut HostSim, archive: &str) -> String {
    let stem = stem_of(archive).to_owned();
    let file = archive.rsplit(['/', '\\']).next().unwrap_or(archive).to_owned();
    let folder = &archive[..archive.len() - file.len() - 1];
    let disk = super::ext_of(archive) != "zip";
    match h.os {
        Os::Windows if disk => format!(r"{}:\{stem}.exe", *h.rng.pick(&["E", "F", "G"])),
        Os::Windows => match h.rng.below(3) {
            0 => h.path(&format!(r"~\AppData\Local\Temp\Temp1_{file}\{stem}.exe")),
            1 => {
                let id = h.rng.next_u64() as u32;
                h.path(&format!(r"~\AppData\Local\Temp\7zO{id:08X}\{stem}.exe"))
            }
            _ => format!(r"{folder}\{stem}\{stem}.exe"),
        },
        Os::Linux if disk => {
            let media = *h.rng.pick(&["/media", "/run/media"]);
            format!("{media}/{}/{}/setup.run", h.user, stem.to_uppercase())
        }
        Os::Linux => format!("{folder}/{stem}/{stem}"),
        Os::Macos if disk => format!("/Volumes/{stem}/{stem}.app/Contents/MacOS/{stem}"),
        Os::Macos => format!("{folder}/{stem}/{stem}.app/Contents/MacOS/{stem}"),
    }
}

/// A process from inside a container starts at `t`, from the desktop shell.
fn run_inside(h: &mut HostSim, t: i64, image: &str) {
    let shell = h.shell.clone();
    h.spawn(t, Some(t + 40_000), &shell, image, Some(format!("\"{image}\"")), false);
}

/// Positive: a chained container download, then within minutes a process from inside it.
/// Near miss 0: a process from a mounted volume with no chained container download on the host
/// before it (planned before any chain); near miss 1 (and near miss 0 when a container was
/// downloaded in the last hour): a container downloaded and never opened (a base chain).
pub(super) fn container_run(h: &mut HostSim, t: i64, p: &Params, case: Case) -> Option<Injected> {
    let recent = h.last_container_ms.is_some_and(|last| t - last < 3_600_000);
    if case == Case::NearMiss(0) && !recent {
        let volume = match h.os {
            Os::Windows => r"E:\setup.exe".to_owned(),
            Os::Linux => format!("/media/{}/BACKUP/restore.run", h.user),
            Os::Macos => "/Volumes/Backup/Restore.app/Contents/MacOS/Restore".to_owned(),
        };
        run_inside(h, t, &volume);
        near_miss(h, Variant::ContainerRun, &volume, t);
        return None;
    }
    let ext = *h.rng.pick(container_exts(h.os));
    let chain = inject_with(h, t, p, Some(ext));
    let archive = chain.chain.final_path.clone();
    let write_ms = chain.chain.write_ms;
    if case != Case::Positive {
        near_miss(h, Variant::ContainerRun, &archive, write_ms);
        return Some(chain);
    }
    let image = inside(h, &archive);
    let at = write_ms + h.rng.range(10_000, 180_000);
    run_inside(h, at, &image);
    Some(positive(chain, Variant::ContainerRun, true, &[Variant::ContainerRun]))
}

/// Positive: a chained `.dmg` or `.zip` (quarantined), `xattr -d com.apple.quarantine` (or
/// `xattr -c`) on it with the attribute's removal, then a process from its volume or its
/// extraction folder. Near miss 0: stripped, never run (a base chain); near miss 1: run from
/// the volume with the flag intact (a `container-run` positive).
pub(super) fn quarantine_stripped(h: &mut HostSim, t: i64, p: &Params, case: Case) -> Injected {
    let ext = *h.rng.pick(&["dmg", "zip"]);
    let chain = inject_with(h, t, p, Some(ext));
    let path = chain.chain.final_path.clone();
    let write_ms = chain.chain.write_ms;
    let stripped = write_ms + h.rng.range(5_000, 60_000);
    if case != Case::NearMiss(1) {
        let flag = *h.rng.pick(&["-d com.apple.quarantine", "-c"]);
        let term = h.terminal.clone();
        let cmd = Some(format!("xattr {flag} {path}"));
        let xattr = h.spawn(stripped, Some(stripped + 400), &term, "/usr/bin/xattr", cmd, false);
        h.attr(stripped + 100, &xattr, path.clone(), AttrChange::QuarantineRemoved);
    }
    if case != Case::NearMiss(0) {
        let image = inside(h, &path);
        let at = stripped + h.rng.range(5_000, 180_000);
        run_inside(h, at, &image);
    }
    match case {
        Case::Positive => positive(
            chain,
            Variant::MacosQuarantineStripped,
            true,
            &[Variant::MacosQuarantineStripped, Variant::ContainerRun],
        ),
        Case::NearMiss(kind) => {
            near_miss(h, Variant::MacosQuarantineStripped, &path, write_ms);
            match kind {
                1 => positive(chain, Variant::ContainerRun, true, &[Variant::ContainerRun]),
                _ => chain,
            }
        }
    }
}
