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
    /// The lowercase path of the write being resolved (kept to reuse its buffer).
    scratch: String,
    /// The earliest time among `pending` (`None` when empty): a write less than
    /// [`MAX_AGE_MS`] after it expires nothing, so the queue is not walked for that.
    oldest: Option<DateTime<Utc>>,
}

/// Folder (lowercase, `/` and `\` alike) and lowercase file name of a path, written into
/// `buf` (reused: no allocation per write); the folder is `buf[..at]`, the name `buf[name..]`.
fn split_into(path: &str, buf: &mut String) -> (usize, usize) {
    buf.clear();
    if path.is_ascii() {
        match path.contains('/') {
            true => buf.push_str(&path.replace('/', "\\")),
            false => buf.push_str(path),
        }
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&path.to_lowercase().replace('/', "\\"));
    }
    match buf.rfind('\\') {
        Some(i) => (i, i + 1),
        None => (0, 0),
    }
}

/// Whether a path's file name ends in a partial suffix, in any case: the same as its lowercase
/// name ending in one (the suffixes are ASCII without separators, and the only other
/// characters that lowercase to ASCII, `K` (Kelvin) and `İ`, give `k`, not in a suffix, and `i`
/// followed by a combining dot).
fn is_partial(path: &str) -> bool {
    PARTIAL_SUFFIXES.iter().any(|s| {
        path.len() >= s.len()
            && path.is_char_boundary(path.len() - s.len())
            && path[path.len() - s.len()..].eq_ignore_ascii_case(s)
    })
}

impl Partials {
    /// Turns a create of a final name that follows a partial of the same process and folder
    /// into a rename from that partial (the one whose name is the final name plus a suffix if
    /// there is one, else the latest that is not a `.tmp`).
    pub fn resolve(&mut self, kind: &mut EventKind, time: DateTime<Utc>) {
        let EventKind::FileWrite { proc, path, op: op @ FileOp::Create, .. } = kind else { return };
        let partial = is_partial(path);
        if !partial {
            if self.oldest.is_some_and(|o| (time - o).num_milliseconds() > MAX_AGE_MS) {
                self.pending.retain(|p| (time - p.time).num_milliseconds() <= MAX_AGE_MS);
                self.oldest = self.pending.iter().map(|p| p.time).min();
            }
            // Nearly every write: no partial of this process waits (a candidate must be one),
            // so the path is not split and lowercased.
            if !self.pending.iter().any(|p| p.proc == *proc) {
                return;
            }
        }
        let mut buf = std::mem::take(&mut self.scratch);
        let (at, name_at) = split_into(path, &mut buf);
        let (folder, name) = (&buf[..at], &buf[name_at..]);
        if partial {
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_front();
                self.oldest = self.pending.iter().map(|p| p.time).min();
            }
            self.oldest = Some(self.oldest.map_or(time, |o| o.min(time)));
            let (folder, name) = (folder.to_owned(), name.to_owned());
            self.pending.push_back(Pending { proc: proc.clone(), folder, path: path.clone(), name, time });
            self.scratch = buf;
            return;
        }
        let candidates = || {
            self.pending
                .iter()
                .enumerate()
                .rev()
                .filter(|(_, p)| p.proc == *proc && p.folder == folder && p.time <= time)
        };
        let exact =
            candidates().find(|(_, p)| p.name.strip_prefix(name).is_some_and(|s| PARTIAL_SUFFIXES.contains(&s)));
        // A `.tmp` file is too common to pair with any name: only its exact final name.
        let latest = || candidates().find(|(_, p)| !p.name.ends_with(".tmp"));
        let found = exact.or_else(latest).map(|(i, _)| i);
        self.scratch = buf;
        let Some(i) = found else { return };
        if let Some(p) = self.pending.remove(i) {
            *op = FileOp::Rename { from: p.path };
            self.oldest = self.pending.iter().map(|p| p.time).min();
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

    /// The reused buffer splits as the allocating split did (`to_lowercase`, `/` as `\\`).
    #[test]
    fn split_into_equals_lowercase_split() {
        let mut buf = String::from("leftover");
        for path in
            [r"C:\Users\A\Downloads\X.EXE", "/home/u/Downloads/a.part", "NoFolder.crdownload", r"C:\Ünïcödé\İ.PART", ""]
        {
            let lower = path.to_lowercase().replace('/', "\\");
            let (folder, name) = match lower.rsplit_once('\\') {
                Some((f, n)) => (f.to_owned(), n.to_owned()),
                None => (String::new(), lower.clone()),
            };
            let (at, name_at) = split_into(path, &mut buf);
            assert_eq!((&buf[..at], &buf[name_at..]), (folder.as_str(), name.as_str()), "{path}");
        }
    }

    /// Expiry skipped while nothing can have expired still drops exactly the old partials,
    /// whatever order their times come in.
    #[test]
    fn expiry_follows_the_oldest_partial() {
        let mut p = Partials::default();
        p.resolve(&mut write("c", r"C:\E\late.part"), t(3000));
        p.resolve(&mut write("c", r"C:\D\early.part"), t(0));
        // 1 h 10 s after `early`: it expired, `late` did not.
        let mut a = write("c", r"C:\D\early");
        p.resolve(&mut a, t(3610));
        assert_eq!(op_of(&a), "Create");
        let mut b = write("c", r"C:\E\late");
        p.resolve(&mut b, t(3611));
        assert_eq!(op_of(&b), r"rename from C:\E\late.part");
        assert_eq!(p.oldest, None);
    }

    proptest::proptest! {
        /// The suffix check on the path as written equals the check on its lowercase name.
        #[test]
        fn is_partial_equals_the_lowercase_name_check(
            stem in "[a-zA-Z/\\\\. İK\u{212a}Σé]{0,8}",
            suffix in proptest::sample::select(vec!["", ".crdownload", ".PART", ".Partial", ".download", ".TMP", ".pArT.x", "part", ".partİal", ".par\u{212a}"]),
        ) {
            let path = format!("{stem}{suffix}");
            let mut buf = String::new();
            let (_, name_at) = split_into(&path, &mut buf);
            let name = &buf[name_at..];
            proptest::prop_assert_eq!(is_partial(&path), PARTIAL_SUFFIXES.iter().any(|s| name.ends_with(s)), "{}", path);
        }
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
