//! What an alert shows of a process beyond its image and user: its command line, kept from its
//! start record. Bounded: a command line is kept up to [`MAX_COMMAND_LINE`] bytes.

use std::sync::Arc;

use super::{ProcTable, Slot};

/// Command lines are kept up to this many bytes (cut at a character boundary). A longer one is
/// kept cut and counted (`dropped.command_line_truncated`): a hostile 10 MB command line must
/// not make every process cost 10 MB.
pub(crate) const MAX_COMMAND_LINE: usize = 1024;

/// The details of one process, boxed so that a process without any costs one pointer.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Details {
    /// The command line, at most [`MAX_COMMAND_LINE`] bytes.
    pub command_line: Option<Box<str>>,
    /// The command line was longer and was cut.
    pub command_line_truncated: bool,
}

/// `text` cut to at most `max` bytes at a character boundary, and whether it was cut.
pub(crate) fn cut(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

impl ProcTable {
    /// Keeps a start record's command line and user for `slot`, filling only what is missing (a
    /// second source's record of the same start may carry what the first lacked). Returns
    /// whether the command line was cut.
    pub fn keep_details(&mut self, slot: Slot, command_line: Option<&str>, user: Option<Arc<str>>) -> bool {
        let p = self.get_mut(slot);
        if p.user.is_none() {
            p.user = user;
        }
        let Some(line) = command_line else { return false };
        let details = p.details.get_or_insert_with(Box::default);
        let mut truncated = false;
        if details.command_line.is_none() {
            let (kept, cut_off) = cut(line, MAX_COMMAND_LINE);
            details.command_line = Some(Box::from(kept));
            details.command_line_truncated = cut_off;
            truncated = cut_off;
        }
        truncated
    }
}

impl ProcTable {
    /// Keeps a start record's logon session for `slot`, unless one is known already (a second
    /// source's record of the same start may carry what the first lacked).
    pub fn keep_session(&mut self, slot: Slot, session: Option<u64>) {
        let p = self.get_mut(slot);
        if p.session.is_none() {
            p.session = session.and_then(std::num::NonZeroU64::new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("abc", 3), ("abc", false));
        assert_eq!(cut("abcd", 3), ("abc", true));
        // 'é' is two bytes: a cut inside it steps back before it.
        assert_eq!(cut("aé", 2), ("a", true));
    }

    #[test]
    fn details_are_kept_bounded_and_only_filled_in() {
        use clickchain_adapters::ProcKey;
        let mut t = ProcTable::default();
        let slot = t.resolve(&ProcKey::Pid(7), 0);
        // A first record without a command line (4688 without the audit policy) ...
        assert!(!t.keep_details(slot, None, Some(Arc::from("alice"))));
        // ... then another source's record of the same start with one: it fills it in, cut.
        let long = "x".repeat(MAX_COMMAND_LINE + 10);
        assert!(t.keep_details(slot, Some(&long), Some(Arc::from("bob"))));
        let d = t.get(slot).details.as_deref().expect("details kept");
        assert_eq!(d.command_line.as_deref().map(str::len), Some(MAX_COMMAND_LINE));
        assert!(d.command_line_truncated);
        assert_eq!(t.get(slot).user.as_deref(), Some("alice"), "what was known stays");
        // A process whose start logged nothing costs no allocation.
        let bare = t.resolve(&ProcKey::Pid(8), 0);
        assert!(!t.keep_details(bare, None, None));
        assert!(t.get(bare).details.is_none());
    }
}
