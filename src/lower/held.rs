//! What follows a download-like write while the enabled rules hold it (`docs/rules.md`,
//! "Hold"): a process start that runs the file, names it on its command line, strips its
//! Mark-of-the-Web or quarantine flag, or runs from inside what it unpacked or mounted. Only
//! when an enabled rule reads those facts (`Profile::wants_held`).

use std::sync::Arc;

use clickchain_adapters::{Origin, Os};
use clickchain_logic::{ContainerKind, ExtClass};

use super::{container, Ctx, Lowering};
use crate::domain::{host_of_url, DomainError};
use crate::host::proctable::Slot;
use crate::host::{HeldFact, HeldKind};

impl Lowering<'_> {
    /// The facts a start of `slot` at `t` (image `image_norm`, normalised) adds to the pending
    /// writes it concerns, by their index among the pending writes.
    pub(super) fn held_by_start(
        &self,
        ctx: &Ctx<'_>,
        slot: Slot,
        t: i64,
        image_norm: &str,
        cmd: Option<&str>,
    ) -> Vec<(usize, HeldFact)> {
        let profile = ctx.profile;
        let pending = self.anchors.pending();
        if !profile.wants_held || pending.is_empty() {
            return Vec::new();
        }
        let os = profile.paths.os();
        let cmd = cmd.map(|c| fold(os, c));
        let removes = cmd.as_deref().and_then(|c| removes_protection(image_norm, c));
        let proc = Some((slot, self.procs.get(slot).serial));
        let mut found = Vec::new();
        // Containers that name no file (a drive letter, a 7-Zip temp folder), by download time.
        let mut unnamed: Vec<(i64, usize, ContainerKind)> = Vec::new();
        let mut named = false;
        let held = pending.iter().enumerate().filter(|(_, w)| w.time <= t && t - w.time <= profile.hold);
        for (i, w) in held {
            let bundle = image_norm.strip_prefix(w.norm.as_str()).is_some_and(|rest| rest.starts_with('/'));
            if image_norm == w.norm || (os == Os::Macos && bundle) {
                found.push((i, HeldFact { kind: HeldKind::Executed, time: t, proc }));
            }
            if cmd.as_deref().is_some_and(|c| names(c, &w.norm)) {
                found.push((i, HeldFact { kind: HeldKind::Opened, time: t, proc }));
                if let Some(quarantine) = removes {
                    found.push((i, HeldFact { kind: HeldKind::Removed { quarantine }, time: t, proc: None }));
                }
            }
            let class = w.extension.as_deref().and_then(ExtClass::of);
            if let Some(kind) = class.and_then(|c| container::exec_inside(os, image_norm, &w.norm, c)) {
                if container::names_its_file(os, image_norm, &w.norm) {
                    named = true;
                    found.push((i, HeldFact { kind: HeldKind::ContainerExec(kind), time: t, proc }));
                } else {
                    unnamed.push((w.time, i, kind));
                }
            }
        }
        // An exec from a container that names no file is the latest such download's, not that
        // of every download of its class in the hold; and none when one that names it exists.
        if let Some(&(_, i, kind)) = unnamed.iter().max().filter(|_| !named) {
            found.push((i, HeldFact { kind: HeldKind::ContainerExec(kind), time: t, proc }));
        }
        found
    }
}

/// The registrable domain (or IP) of `origin`'s referrer URL, when an enabled rule reads it.
pub(super) fn referrer_key(ctx: &Ctx<'_>, origin: Option<&Origin>) -> Option<Arc<str>> {
    if !ctx.profile.wants_origin {
        return None;
    }
    let host = origin?.referrer.as_deref().and_then(host_of_url)?;
    match ctx.psl.parse(host) {
        Ok(d) => Some(Arc::from(d.registrable.unwrap_or(d.name))),
        Err(DomainError::IpLiteral { ip }) => Some(Arc::from(ip.to_string())),
        Err(_) => None,
    }
}

/// A command line folded as paths are normalised on `os` (case, separators), so that a
/// normalised path can be searched in it.
fn fold(os: Os, cmd: &str) -> String {
    match os {
        Os::Windows => cmd.to_lowercase().replace('/', "\\"),
        Os::Macos => cmd.to_lowercase(),
        Os::Linux => cmd.to_owned(),
    }
}

/// Whether the folded command line `cmd` names the file `norm`: its whole path, or (Unix) its
/// path under the home folder as `~/...`.
fn names(cmd: &str, norm: &str) -> bool {
    if contains_path(cmd, norm) {
        return true;
    }
    let home = ["/users/", "/Users/", "/home/"].iter().find_map(|h| norm.strip_prefix(h));
    let under_home = home.and_then(|rest| rest.split_once('/')).map(|(_, p)| p);
    under_home.is_some_and(|p| contains_path(cmd, &format!("~/{p}")))
}

/// Whether `path` occurs in `cmd` as a whole path (`x.htm` is not in `x.html`).
fn contains_path(cmd: &str, path: &str) -> bool {
    let ends = |c: char| matches!(c, '"' | '\'' | ' ' | '\t' | '?' | '#' | ',' | ';');
    cmd.match_indices(path).any(|(i, _)| cmd[i + path.len()..].chars().next().is_none_or(ends))
}

/// Whether a start of `image_norm` with the folded command line `cmd` removes a protection
/// flag from the files it names: `Some(true)` the quarantine flag (`xattr -d
/// com.apple.quarantine`, `xattr -c`), `Some(false)` a Mark-of-the-Web (`Unblock-File`,
/// `Remove-Item -Stream Zone.Identifier`).
fn removes_protection(image_norm: &str, cmd: &str) -> Option<bool> {
    let image = crate::paths::basename(image_norm);
    if image == "xattr" {
        let flags: Vec<&str> =
            cmd.split_ascii_whitespace().filter(|t| t.starts_with('-') && !t.starts_with("--")).collect();
        let deletes = cmd.contains("com.apple.quarantine") && flags.iter().any(|f| f.contains('d'));
        let clears = flags.iter().any(|f| f.contains('c'));
        return (deletes || clears).then_some(true);
    }
    let unblocks = cmd.contains("unblock-file")
        || (cmd.contains("zone.identifier") && (cmd.contains("remove-item") || cmd.contains("-stream")));
    unblocks.then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_fact_is_small() {
        // docs/rules.md ("Hold") quotes this size.
        assert_eq!(std::mem::size_of::<HeldFact>(), 40);
    }

    #[test]
    fn xattr_and_unblock_file_remove_protection() {
        let rm = |image: &str, cmd: &str| removes_protection(image, &fold(Os::Macos, cmd));
        assert_eq!(rm("/usr/bin/xattr", "xattr -d com.apple.quarantine ~/Downloads/Tool.dmg"), Some(true));
        assert_eq!(rm("/usr/bin/xattr", "xattr -cr /Applications/Tool.app"), Some(true));
        assert_eq!(rm("/usr/bin/xattr", "xattr -p com.apple.quarantine ~/Downloads/Tool.dmg"), None);
        assert_eq!(rm("/usr/bin/xattr", "xattr -d com.apple.metadata:kMDItemWhereFroms x.dmg"), None);
        let win = |cmd: &str| {
            removes_protection(r"c:\windows\system32\windowspowershell\v1.0\powershell.exe", &fold(Os::Windows, cmd))
        };
        assert_eq!(win(r"powershell.exe -c Unblock-File C:\Users\a\Downloads\x.exe"), Some(false));
        assert_eq!(win(r"powershell Remove-Item C:\x.exe -Stream Zone.Identifier"), Some(false));
        assert_eq!(win(r"powershell Get-Item C:\x.exe"), None);
    }

    #[test]
    fn command_lines_name_files_by_path_or_home() {
        let cmd = fold(
            Os::Windows,
            r#""C:\Program Files\Google\Chrome\chrome.exe" file:///C:/Users/alice/Downloads/Invoice.html"#,
        );
        assert!(names(&cmd, r"c:\users\alice\downloads\invoice.html"));
        assert!(!names(&cmd, r"c:\users\alice\downloads\invoice.htm"));
        let cmd = fold(Os::Macos, "xattr -c ~/Downloads/Tool.dmg");
        assert!(names(&cmd, "/users/bob/downloads/tool.dmg"));
        assert!(!names(&cmd, "/users/bob/desktop/tool.dmg"));
        assert!(names("sh /home/bob/Downloads/x.sh", "/home/bob/Downloads/x.sh"));
    }
}
