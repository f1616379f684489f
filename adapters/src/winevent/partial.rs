//! Partial downloads → their final name, for a source that logs no renames.
//!
//! Chromium writes `Unconfirmed 481516.crdownload` or `x.exe.crdownload`, Firefox `x.part`, and
//! renames it when the download ends. Sysmon logs the partial's creation (EID 11) and then only
//! the final name's MotW stream (EID 15) or another create: the same process writing a
//! final-named file in the same folder soon after. That write becomes a rename from the
//! partial, so the engine joins the two (origin, evidence) as it does for a logged rename.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::event::{EventKind, FileOp, ProcKey};

/// Name endings of files a download is written to before it gets its final name.
pub const PARTIAL_SUFFIXES: &[&str] = &[".crdownload", ".part", ".partial", ".download", ".tmp"];
/// Partials remembered at once (the oldest is forgotten first).
const MAX_PENDING: usize = 256;
/// A final name this long after its partial is a different download.
const MAX_AGE_MS: i64 = 60 * 60 * 1000;

struct Pending {
    proc: ProcKey,
    folder: String,
    path: String,
    name: String,
    time: DateTime<Utc>,
}

/// The partial downloads of one input not yet seen under their final name.
#[derive(Default)]
pub struct Partials {
    pending: VecDeque<Pending>,
}

/// Folder (lowercase, `/` and `\` alike) and lowercase file name of a path.
fn split(path: &str) -> (String, String) {
    let lower = path.to_lowercase().replace('/', "\\");
    match lower.rsplit_once('\\') {
        Some((folder, name)) => (folder.to_owned(), name.to_owned()),
        None => (String::new(), lower),
    }
}

impl Partials {
    /// Turns a create of a final name that follows a partial of the same process and folder
    /// into a rename from that partial (the one whose name is the final name plus a suffix if
    /// there is one, else the latest that is not a `.tmp`).
    pub fn resolve(&mut self, kind: &mut EventKind, time: DateTime<Utc>) {
        let EventKind::FileWrite { proc, path, op: op @ FileOp::Create, .. } = kind else { return };
        let (folder, name) = split(path);
        if PARTIAL_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_front();
            }
            self.pending.push_back(Pending { proc: proc.clone(), folder, path: path.clone(), name, time });
            return;
        }
        self.pending.retain(|p| (time - p.time).num_milliseconds() <= MAX_AGE_MS);
        let candidates = || {
            self.pending
                .iter()
                .enumerate()
                .rev()
                .filter(|(_, p)| p.proc == *proc && p.folder == folder && p.time <= time)
        };
        let exact = candidates()
            .find(|(_, p)| p.name.strip_prefix(name.as_str()).is_some_and(|s| PARTIAL_SUFFIXES.contains(&s)));
        // A `.tmp` file is too common to pair with any name: only its exact final name.
        let latest = || candidates().find(|(_, p)| !p.name.ends_with(".tmp"));
        let Some(i) = exact.or_else(latest).map(|(i, _)| i) else { return };
        if let Some(p) = self.pending.remove(i) {
            *op = FileOp::Rename { from: p.path };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(proc: &str, path: &str) -> EventKind {
        EventKind::FileWrite { proc: ProcKey::Id(proc.into()), path: path.into(), op: FileOp::Create, origin: None }
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    fn op_of(k: &EventKind) -> String {
        match k {
            EventKind::FileWrite { op: FileOp::Rename { from }, .. } => format!("rename from {from}"),
            EventKind::FileWrite { op, .. } => format!("{op:?}"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn final_name_after_unconfirmed_crdownload_is_a_rename() {
        let mut p = Partials::default();
        let mut a = write("c", r"C:\Users\a\Downloads\Unconfirmed 481516.crdownload");
        p.resolve(&mut a, t(0));
        assert_eq!(op_of(&a), "Create");
        let mut b = write("c", r"C:\Users\a\Downloads\Invoice.exe");
        p.resolve(&mut b, t(5));
        assert_eq!(op_of(&b), r"rename from C:\Users\a\Downloads\Unconfirmed 481516.crdownload");
        // Used once: a second final name has nothing to come from.
        let mut c = write("c", r"C:\Users\a\Downloads\Other.exe");
        p.resolve(&mut c, t(6));
        assert_eq!(op_of(&c), "Create");
    }

    #[test]
    fn exact_partial_name_wins_and_other_processes_or_folders_do_not_match() {
        let mut p = Partials::default();
        for (proc, path) in [
            ("c", r"C:\Users\a\Downloads\a.zip.crdownload"),
            ("c", r"C:\Users\a\Downloads\b.iso.crdownload"),
            ("x", r"C:\Users\a\Downloads\c.part"),
            ("c", r"C:\Users\a\Desktop\d.part"),
        ] {
            p.resolve(&mut write(proc, path), t(0));
        }
        let mut a = write("c", r"C:\Users\a\Downloads\A.zip");
        p.resolve(&mut a, t(1));
        assert_eq!(op_of(&a), r"rename from C:\Users\a\Downloads\a.zip.crdownload");
        let mut e = write("y", r"C:\Users\a\Downloads\e.exe");
        p.resolve(&mut e, t(1));
        assert_eq!(op_of(&e), "Create");
    }

    #[test]
    fn old_partials_expire() {
        let mut p = Partials::default();
        p.resolve(&mut write("c", r"C:\D\x.part"), t(0));
        let mut late = write("c", r"C:\D\x");
        p.resolve(&mut late, t(2 * 3600));
        assert_eq!(op_of(&late), "Create");
    }
}
