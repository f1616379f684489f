//! HTML escaping: every string from the logs goes through here before it is written.

use std::fmt;

/// `text` escaped for HTML text and quoted attribute values, in SVG as in HTML; control
/// characters and bidirectional overrides are written out first
/// ([`clickchain::alert::terminal_safe`]), so a name cannot show itself reversed.
pub(crate) struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let safe = clickchain::alert::terminal_safe(self.0);
        let mut rest = &*safe;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// At most `max` characters of `text`, with `…` when cut (cut before escaping, so an entity is
/// never split).
pub(crate) fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{shortened, Escaped};

    #[test]
    fn markup_characters_are_escaped() {
        let hostile = r#"<script>alert("x")</script></svg>'&amp;"#;
        assert_eq!(
            Escaped(hostile).to_string(),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;/svg&gt;&#39;&amp;amp;"
        );
        assert_eq!(Escaped(r"C:\Users\alice").to_string(), r"C:\Users\alice");
    }

    #[test]
    fn shortening_counts_characters() {
        assert_eq!(shortened("ééééé", 3), "ééé…");
        assert_eq!(shortened("abc", 3), "abc");
    }
}
