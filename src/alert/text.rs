//! Records for people: a few indented lines each, with every string from the logs made safe for
//! a terminal (see [`terminal_safe`]).

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{fmt_time, Alert, FollowOn, ProcessInfo, Strength};

/// `text` with what a terminal would act on written out instead: control characters (C0, DEL,
/// C1, so escape sequences and line breaks too) as `\xNN` (`\u{NNNN}` above 0x7f), and the
/// bidirectional overrides and isolates that reorder what is shown (U+202A–U+202E,
/// U+2066–U+2069) as `\u{NNNN}`. Log strings are attacker-controlled: a file name must not
/// clear the screen, forge a line, or show itself backwards.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Shorthand: a log string made terminal-safe.
fn s(text: &str) -> Cow<'_, str> {
    terminal_safe(text)
}

impl Alert {
    /// The alert for people: a header, the steps, the reasons, the lineage as an indented tree
    /// with pids, and the evidence by role.
    pub(super) fn to_text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "ALERT {} {} {} rule={} host={} score={} strength={} id={}",
            fmt_time(&self.time),
            self.analytic,
            self.finding,
            self.rule,
            s(&self.host),
            self.score,
            self.strength.map_or("-", Strength::as_str),
            self.id
        );
        if let Some(c) = &self.click {
            let how = if c.observed { "observed" } else { "inferred" };
            let _ = writeln!(t, "  click   {} {how} {}", fmt_time(&c.time), s(c.url.as_deref().unwrap_or("-")));
        }
        if let Some(e) = &self.egress {
            let _ = writeln!(
                t,
                "  egress  {} {} -> {}:{} {} ({}; risk {}; {})",
                fmt_time(&e.time),
                s(&e.process),
                e.ip,
                e.port,
                s(e.domain.as_deref().unwrap_or("-")),
                e.domain_source,
                e.risk,
                e.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
            );
        }
        let w = &self.write;
        if self.anchor == super::Anchor::Process {
            let _ = writeln!(t, "  start   {} {} (download cradle)", fmt_time(&w.time), s(&w.path));
        } else {
            let _ = writeln!(t, "  write   {} {} -> {}", fmt_time(&w.time), s(&w.process), s(&w.path));
        }
        if let Some(from) = &w.renamed_from {
            let _ = writeln!(t, "          renamed from {}", s(from));
        }
        if let Some(url) = &w.origin_url {
            let _ = writeln!(t, "          origin {}", s(url));
        }
        if let Some(hash) = &self.file_hash {
            let _ = writeln!(t, "          hash {}", s(hash));
        }
        for (i, why) in self.reasons.iter().enumerate() {
            let _ = writeln!(t, "  {} {}", if i == 0 { "why    " } else { "       " }, s(why));
        }
        self.lineage_text(&mut t);
        if let Some(d) = &self.derivation {
            d.write_text(&mut t);
        }
        let _ = writeln!(t, "  evidence");
        if self.evidence_by_role.is_empty() {
            for e in &self.evidence {
                let _ = writeln!(t, "    {}", s(&e.to_string()));
            }
        }
        for e in &self.evidence_by_role {
            let _ = writeln!(t, "    {:<9} {}", e.role.as_str(), s(&e.source.to_string()));
        }
        if self.replaced_invalid_utf8 {
            let _ = writeln!(t, "  note    some text held bytes that were not valid UTF-8: replaced by U+FFFD");
        }
        t
    }

    /// The lineage, root first, each process one level deeper than its parent.
    fn lineage_text(&self, t: &mut String) {
        let inferred = if self.lineage_inferred { " (a link inferred: a start was never logged)" } else { "" };
        let _ = writeln!(t, "  lineage{inferred}");
        if self.processes.is_empty() {
            for (depth, image) in self.lineage.iter().enumerate() {
                let _ = writeln!(t, "    {}{}", branch(depth), s(image));
            }
            return;
        }
        for (depth, p) in self.processes.iter().enumerate() {
            let _ = writeln!(t, "    {}{}", branch(depth), process_line(p));
            if let Some(cmd) = &p.command_line {
                let cut = if p.command_line_truncated { " [cut]" } else { "" };
                let _ = writeln!(t, "    {}   cmd: {}{cut}", "   ".repeat(depth), s(cmd));
            }
        }
    }
}

/// `└─ ` under the parent, one step further in per generation.
fn branch(depth: usize) -> String {
    if depth == 0 {
        String::new()
    } else {
        format!("{}└─ ", "   ".repeat(depth - 1))
    }
}

/// Image, then what is known: pid, id, user, start.
fn process_line(p: &ProcessInfo) -> String {
    let mut line = s(&p.image).into_owned();
    let mut known: Vec<String> = Vec::new();
    match (p.pid, &p.process_id) {
        (None, None) => known.push("pid ?".to_owned()),
        (pid, id) => {
            known.extend(pid.map(|pid| format!("pid {pid}")));
            known.extend(id.as_ref().map(|id| format!("id {}", s(id))));
        }
    }
    let _ = write!(line, " [{}", known.join(", "));
    if let Some(user) = &p.user {
        let _ = write!(line, ", user {}", s(user));
    }
    if let Some(start) = &p.start {
        let _ = write!(line, ", started {}", fmt_time(start));
    }
    line.push(']');
    line
}

impl FollowOn {
    /// The follow-on for people: one line, with its alert and host (it may be printed apart
    /// from its alert when records stream).
    pub(super) fn to_text(&self) -> String {
        let pid = self.process_info.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
        let mut t = format!(
            "  FOLLOW-ON {} {} {} by {}{pid} (alert {} host={})\n",
            fmt_time(&self.time),
            self.kind,
            s(&self.path),
            s(&self.process),
            self.alert_id,
            s(&self.host)
        );
        if let Some(cmd) = &self.process_info.command_line {
            let _ = writeln!(t, "            cmd: {}", s(cmd));
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn escapes_and_line_breaks_are_written_out() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\nc\r\u{7f}\u{9b}"), "a\\x1b[2Jb\\x0ac\\x0d\\x7f\\u{009b}");
        assert_eq!(terminal_safe("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(terminal_safe("C:\\Users\\ä\\x.exe"), "C:\\Users\\ä\\x.exe");
    }
}
