//! Making an attacker-controlled string safe as a spreadsheet cell.

use clickchain::alert::terminal_safe;
use std::borrow::Cow;

/// The cell for `text`: a leading `'` when it starts with a character a spreadsheet reads as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return), and control characters written as `\xNN`
/// (`\u{NNNN}` for C1 controls and bidirectional overrides, as [`terminal_safe`]) so a cell
/// stays on one line and shows what was there.
pub(crate) fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let written = terminal_safe(text);
    if !formula {
        return written;
    }
    Cow::Owned(format!("'{written}"))
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_get_a_leading_quote() {
        for (raw, cell) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\\x09=1"),
            ("\r=1", "'\\x0d=1"),
        ] {
            assert_eq!(spreadsheet_safe(raw), cell, "{raw:?}");
        }
    }

    #[test]
    fn control_characters_are_escaped_and_plain_text_kept() {
        assert_eq!(spreadsheet_safe("a\nb\u{1b}[31m\u{7f}\u{85}"), "a\\x0ab\\x1b[31m\\x7f\\u{0085}");
        assert_eq!(spreadsheet_safe(r"C:\Users\alice\Downloads\a b,c.exe"), r"C:\Users\alice\Downloads\a b,c.exe");
        assert_eq!(spreadsheet_safe("in-the=middle"), "in-the=middle");
    }
}
